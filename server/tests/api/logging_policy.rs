//! What gets logged, and where, against the local org in legacy mode: the logging policy per call type (a Task or
//! none, and a ringing call's Task waiting for its type), the `WhatId` rules (the Contact's open Case or open
//! Opportunity, never with a Lead), the Task's owner from the agents' Salesforce users, and a recording link that
//! arrives after the call ended. Every test asserts the org's records.

use crate::org::{Linked, org_test};
use callpop_sandbox::seed::numbers;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Replaces the account's logging settings as its administrator.
async fn set_logging(linked: &Linked, settings: &Value) {
    let response =
        linked.app.send_json(Method::PUT, Some(&linked.acme.admin.token), "/api/v1/settings/logging", settings).await;
    assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap_or_default());
}

/// Every call type, by its wire name.
const ALL_TYPES: [&str; 5] = ["answered", "missed", "voicemail", "abandoned", "outbound_not_answered"];

/// A policy that logs the types named, and the `WhatId` rule.
fn logging(logged: &[&str], what_id: &str) -> Value {
    let log: serde_json::Map<String, Value> =
        ALL_TYPES.into_iter().map(|call_type| (call_type.to_owned(), json!(logged.contains(&call_type)))).collect();
    json!({ "log": log, "what_id": what_id })
}

/// A whole call from `number`: rings, is answered or not, and ends with `disposition`.
async fn whole_call(linked: &Linked, call_id: &str, number: &str, direction: &str, answered: bool, disposition: &str) {
    let common = json!({ "caller_number": number, "direction": direction });
    linked.event(call_id, "ringing", 0, &common).await;
    if answered {
        linked.event(call_id, "answered", 0, &common).await;
    }
    let mut end = common.clone();
    end["disposition"] = json!(disposition);
    end["duration_secs"] = json!(if answered { 95 } else { 0 });
    linked.event(call_id, "completed", 0, &end).await;
}

org_test! {
    async fn each_call_type_writes_a_task_only_when_the_policy_logs_it(linked: Linked) {
        // Arrange: the defaults log everything; the administrator leaves out missed, abandoned and outbound calls.
        let (status, defaults) = linked.app.get_json(&linked.acme.admin, "/api/v1/settings/logging").await;
        assert_eq!(status, StatusCode::OK, "{defaults}");
        assert_eq!(defaults, logging(&ALL_TYPES, "none"));
        set_logging(&linked, &logging(&["answered", "voicemail"], "none")).await;
        let (_, stored) = linked.app.get_json(&linked.acme.admin, "/api/v1/settings/logging").await;
        assert_eq!(stored, logging(&["answered", "voicemail"], "none"));

        // Act: a call rings; its type is not known yet, and some types are not logged.
        linked.event("CA-ANSWERED", "ringing", 0, &json!({ "caller_number": numbers::ONE_CONTACT })).await;
        linked.settle().await;

        // Assert: no Task while it rings, so a call that turns out missed leaves nothing behind.
        assert!(linked.tasks_of("CA-ANSWERED").is_empty());
        let panel = linked.panel("CA-ANSWERED").await;
        assert!(panel.to_string().contains("not logged yet"), "{panel}");

        // Act: it is answered, and ends; and one call of every other type.
        linked.event("CA-ANSWERED", "answered", 0, &json!({ "caller_number": numbers::ONE_CONTACT })).await;
        linked.settle().await;
        let answered = linked.the_task_of("CA-ANSWERED");
        assert_eq!(answered.text("Status"), Some("In Progress"));
        linked.event("CA-ANSWERED", "completed", 0, &json!({ "caller_number": numbers::ONE_CONTACT })).await;
        whole_call(&linked, "CA-MISSED", numbers::ONE_CONTACT, "inbound", false, "no answer").await;
        whole_call(&linked, "CA-VOICEMAIL", numbers::ONE_CONTACT, "inbound", false, "voicemail").await;
        whole_call(&linked, "CA-ABANDONED", numbers::ONE_CONTACT, "inbound", false, "Abandoned").await;
        whole_call(&linked, "CA-OUTBOUND", numbers::ONE_CONTACT, "outbound", false, "no answer").await;
        linked.settle().await;

        // Assert: Tasks for the answered call and the voicemail only, each complete; the others say why not.
        let ada = linked.find("Contact", "LastName", "Lovelace");
        let answered = linked.the_task_of("CA-ANSWERED");
        assert_eq!(answered.text("Status"), Some("Completed"));
        assert_eq!(answered.text("WhoId"), Some(ada.id.as_str()));
        let voicemail = linked.the_task_of("CA-VOICEMAIL");
        assert_eq!(voicemail.text("CallDisposition"), Some("voicemail"));
        assert_eq!(voicemail.text("Status"), Some("Completed"));
        let left_out =
            [("CA-MISSED", "missed"), ("CA-ABANDONED", "abandoned"), ("CA-OUTBOUND", "outbound_not_answered")];
        for (call_id, call_type) in left_out {
            assert!(linked.tasks_of(call_id).is_empty(), "{call_id}: {:#?}", linked.tasks_of(call_id));
            let panel = linked.panel(call_id).await;
            assert!(panel.to_string().contains(&format!("log no {call_type} calls")), "{call_id}: {panel}");
        }

        // Act: a recording arrives long after the missed call ended.
        linked.event("CA-MISSED", "completed", 0, &json!({
            "caller_number": numbers::ONE_CONTACT, "recording_url": "https://rec.example/missed",
        })).await;
        linked.settle().await;

        // Assert: still no Task: the call's type is not logged, whatever comes later.
        assert!(linked.tasks_of("CA-MISSED").is_empty());

        // The change is in the settings history, with who made it.
        let (_, history) = linked.app.get_json(&linked.acme.admin, "/api/v1/settings/salesforce/changes").await;
        let changed: Vec<&str> =
            history["changes"].as_array().unwrap().iter().filter_map(|change| change["setting"].as_str()).collect();
        for setting in ["logging.missed", "logging.abandoned", "logging.outbound_not_answered"] {
            assert!(changed.contains(&setting), "{history}");
        }
    }
}

org_test! {
    async fn the_task_is_related_to_the_contacts_open_case_or_opportunity_and_never_with_a_lead(linked: Linked) {
        // Arrange: Ada has an open Case and a closed, newer one; her Account has an open Opportunity and a won one.
        let ada = linked.find("Contact", "LastName", "Lovelace");
        let account = ada.text("AccountId").expect("Ada's Account").to_owned();
        let case =
            |status: &str| json!({"ContactId": ada.id.as_str(), "Status": status, "IsClosed": status == "Closed"});
        let open_case = linked.insert("Case", &case("Working"));
        let _closed_case = linked.insert("Case", &case("Closed"));
        let deal = |name: &str, stage: &str| {
            json!({"Name": name, "StageName": stage, "CloseDate": "2027-01-31", "AccountId": account,
                "IsClosed": stage.starts_with("Closed")})
        };
        let open_deal = linked.insert("Opportunity", &deal("Engine No. 2", "Prospecting"));
        let _won = linked.insert("Opportunity", &deal("Engine No. 1", "Closed Won"));

        // Act: calls from Ada and from a Lead under the open-Case rule.
        set_logging(&linked, &logging(&ALL_TYPES, "open_case")).await;
        linked.ring("CA-CASE", numbers::ONE_CONTACT).await;
        linked.ring("CA-LEAD", numbers::ONE_LEAD).await;
        linked.settle().await;

        // Assert: Ada's Task is on her open Case; the Lead's Task has no WhatId (Salesforce refuses one).
        let task = linked.the_task_of("CA-CASE");
        assert_eq!(task.text("WhoId"), Some(ada.id.as_str()));
        assert_eq!(task.text("WhatId"), Some(open_case.as_str()));
        let lead_task = linked.the_task_of("CA-LEAD");
        assert_eq!(lead_task.text("WhoId"), Some(linked.find("Lead", "LastName", "Turing").id.as_str()));
        assert_eq!(lead_task.text("WhatId"), None);

        // Act: the open-Opportunity rule.
        set_logging(&linked, &logging(&ALL_TYPES, "open_opportunity")).await;
        linked.ring("CA-DEAL", numbers::ONE_CONTACT).await;
        linked.settle().await;

        // Assert: the Task is on the Account's open Opportunity.
        let task = linked.the_task_of("CA-DEAL");
        assert_eq!(task.text("WhoId"), Some(ada.id.as_str()));
        assert_eq!(task.text("WhatId"), Some(open_deal.as_str()));

        // Act: nothing open any more.
        linked.org.org().lock().records.update(
            &callpop_core::record::RecordId::parse(&open_deal).unwrap(),
            json!({"StageName": "Closed Lost", "IsClosed": true}).as_object().cloned().unwrap(),
            chrono::Utc::now(),
        );
        linked.ring("CA-NO-DEAL", numbers::ONE_CONTACT).await;
        linked.settle().await;

        // Assert: the Task is written, related to nothing.
        let task = linked.the_task_of("CA-NO-DEAL");
        assert_eq!(task.text("WhoId"), Some(ada.id.as_str()));
        assert_eq!(task.text("WhatId"), None);
    }
}

org_test! {
    async fn the_task_owner_is_the_answering_agents_salesforce_user_as_the_administrator_maps_it(linked: Linked) {
        // Arrange: Alex's Salesforce user, mapped to callpop's agent.
        let alex = linked.find("User", "LastName", "Agent");
        let path = format!("/api/v1/users/{}/salesforce-user", linked.acme.agent.id);
        let admin = Some(linked.acme.admin.token.as_str());

        // Bad input is refused, naming the field, and stores nothing; agents cannot change it.
        for bad in [json!("00Q000000000002"), json!("005-not-an-id"), json!(42)] {
            let response = linked.app.send_json(Method::PUT, admin, &path, &json!({ "salesforce_user_id": bad })).await;
            let status = response.status();
            let body: Value = response.json().await.unwrap();
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
            assert_eq!(body["field"], "salesforce_user_id", "{bad}: {body}");
        }
        let agent = Some(linked.acme.agent.token.as_str());
        let change = json!({ "salesforce_user_id": alex.id.as_str() });
        let forbidden = linked.app.send_json(Method::PUT, agent, &path, &change).await;
        assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
        let nobody = "/api/v1/users/999999/salesforce-user";
        let missing = linked.app.send_json(Method::PUT, admin, nobody, &json!({ "salesforce_user_id": null })).await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);

        let (_, unmapped) = linked.app.get_json(&linked.acme.admin, "/api/v1/users").await;
        assert!(unmapped.to_string().contains(&linked.acme.agent.email), "{unmapped}");
        assert!(!unmapped.to_string().contains(alex.id.as_str()), "the bad inputs stored nothing: {unmapped}");

        // Act: the administrator maps the agent (by the 15-character id).
        let short = &alex.id.as_str()[..15];
        let response = linked.app.send_json(Method::PUT, admin, &path, &json!({ "salesforce_user_id": short })).await;
        assert_eq!(response.status(), StatusCode::OK);
        let mapped: Value = response.json().await.unwrap();
        assert_eq!(mapped["salesforce_user_id"], alex.id.as_str());
        let (_, users) = linked.app.get_json(&linked.acme.admin, "/api/v1/users").await;
        let listed = users["users"].as_array().unwrap().iter().find(|user| user["id"] == linked.acme.agent.id).cloned();
        assert_eq!(listed.map(|user| user["salesforce_user_id"].clone()), Some(json!(alex.id.as_str())));
        whole_call(&linked, "CA-OWNED", numbers::ONE_CONTACT, "inbound", true, "sale").await;
        linked.settle().await;

        // Assert: the Task belongs to Alex; the change is audited.
        assert_eq!(linked.the_task_of("CA-OWNED").text("OwnerId"), Some(alex.id.as_str()));
        let (_, history) = linked.app.get_json(&linked.acme.admin, "/api/v1/settings/salesforce/changes").await;
        let setting = format!("salesforce_user.{}", linked.acme.agent.email);
        let changes = history["changes"].as_array().unwrap();
        assert!(changes.iter().any(|change| change["setting"] == setting.as_str()), "{history}");
    }
}

org_test! {
    async fn a_recording_link_that_arrives_after_the_end_reaches_the_task(linked: Linked) {
        // Arrange: a whole answered call, synced, without a recording.
        whole_call(&linked, "CA-REC", numbers::ONE_CONTACT, "inbound", true, "sale").await;
        linked.settle().await;
        let task = linked.the_task_of("CA-REC");
        assert_eq!(task.text("Status"), Some("Completed"));
        assert!(!task.text("Description").unwrap_or_default().contains("Recording"), "{task:?}");

        // Act: the recording comes later, on a repeat of the answer (not of the end).
        linked.event("CA-REC", "answered", 0, &json!({
            "caller_number": numbers::ONE_CONTACT, "recording_url": "https://rec.example/CA-REC.mp3",
        })).await;
        linked.settle().await;

        // Assert: the same Task has the link, and kept what the other updates wrote.
        let task = linked.the_task_of("CA-REC");
        let description = task.text("Description").unwrap_or_default();
        assert!(description.contains("Recording: https://rec.example/CA-REC.mp3"), "{description}");
        assert!(description.contains("Tracking source: Google Ads"), "{description}");
        assert_eq!(task.text("Status"), Some("Completed"));
        assert_eq!(task.text("CallDisposition"), Some("sale"));
        // The call's API answer carries the link the console shows.
        let (_, call) = linked.app.get_json(&linked.acme.admin, "/api/v1/calls/CA-REC").await;
        assert!(call.to_string().contains("https://rec.example/CA-REC.mp3"), "{call}");
    }
}

org_test! {
    async fn the_logging_settings_are_the_administrators_and_bad_input_names_its_field(linked: Linked) {
        // An agent may neither read nor change them.
        let (status, _) = linked.app.get_json(&linked.acme.agent, "/api/v1/settings/logging").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = linked.app.get_json(&linked.acme.agent, "/api/v1/users").await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // A wrong rule or a missing type is a 422 naming the field, and nothing is stored.
        let admin = Some(linked.acme.admin.token.as_str());
        let mut wrong = logging(&["answered"], "open_case");
        wrong["what_id"] = json!("newest_lead");
        let response = linked.app.send_json(Method::PUT, admin, "/api/v1/settings/logging", &wrong).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = response.json().await.unwrap();
        assert!(body["field"].as_str().is_some_and(|field| field.contains("what_id")), "{body}");
        let mut missing = logging(&["answered"], "none");
        missing["log"].as_object_mut().unwrap().remove("voicemail");
        let response = linked.app.send_json(Method::PUT, admin, "/api/v1/settings/logging", &missing).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = response.json().await.unwrap();
        let names = |key: &str| body[key].as_str().is_some_and(|text| text.contains("voicemail"));
        assert!(names("field") || names("message"), "{body}");
        let (_, stored) = linked.app.get_json(&linked.acme.admin, "/api/v1/settings/logging").await;
        assert_eq!(stored["what_id"], "none");
        assert_eq!(stored["log"]["missed"], true);
    }
}
