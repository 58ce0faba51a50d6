//! Triggers (legacy mode off): managing them over `/api/v1/triggers`, each action against the local org, delays,
//! texts, appends from the softphone, and the errors a mapping can cause in the org.

use crate::helpers::{api_test, assert_error};
use crate::org::{Linked, org_test};
use callpop_core::account::Plan;
use callpop_sandbox::seed::numbers;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

impl Linked {
    /// Turns legacy mode off and saves these triggers, in order.
    pub(crate) async fn use_triggers(&self, triggers: &[Value]) {
        self.set_options(&json!({ "legacy_mode": false })).await;
        for trigger in triggers {
            let response = self.app.post_json(Some(&self.acme.admin.token), "/api/v1/triggers", trigger).await;
            assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap_or_default());
        }
    }
}

/// A trigger that logs a caller's call on their Contact, and adds them to the call's Campaign.
fn contact_trigger() -> Value {
    json!({
        "name": "Customers' calls", "event": "call_started",
        "conditions": {"match": "all", "rules": [{"field": "tracking_source", "op": "equals", "value": "Google Ads"}]},
        "actions": [
            {"type": "find_or_create", "object": "Contact",
             "fields": {"LastName": "{{caller_name|Unknown Caller}}", "Phone": "{{caller_number}}"}},
            {"type": "log_task", "fields": {"Subject": "{{tracking_source}} call from {{caller_number}}"}},
            {"type": "add_to_campaign", "campaign": "{{campaign}}", "status": "Responded"}
        ]
    })
}

api_test! {
    async fn administrators_manage_triggers_and_bad_rules_are_refused_naming_the_problem(app: TestApp) {
        // Arrange
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        let admin = acme.admin.token.clone();
        let post = |body: Value| {
            let (app, admin) = (&app, admin.clone());
            async move {
                let response = app.post_json(Some(&admin), "/api/v1/triggers", &body).await;
                (response.status(), response.json::<Value>().await.unwrap())
            }
        };

        // Act and assert: bad rules, each refused with the part at fault.
        let mut unknown_variable = contact_trigger();
        unknown_variable["conditions"]["rules"][0]["field"] = json!("traffic_source");
        let (status, body) = post(unknown_variable).await;
        assert_error(status, &body, 422, "invalid_trigger", Some("conditions.rules[0].field"));
        let mut bad_template = contact_trigger();
        bad_template["actions"][1]["fields"]["Subject"] = json!("Call from {{caller_nmber}}");
        let (status, body) = post(bad_template).await;
        assert_error(status, &body, 422, "invalid_trigger", Some("actions[1].fields.Subject"));
        let mut impossible = contact_trigger();
        impossible["event"] = json!("call_ended");
        impossible["conditions"]["rules"] = json!([
            {"field": "duration", "op": "greater_than", "value": 60},
            {"field": "duration", "op": "less_than", "value": 30}
        ]);
        let (status, body) = post(impossible).await;
        assert_error(status, &body, 422, "invalid_trigger", Some("conditions.rules[1]"));
        assert!(body["message"].as_str().unwrap().contains("never hold"), "{body}");
        let mut unknown_key = contact_trigger();
        unknown_key["priority"] = json!(1);
        let (status, body) = post(unknown_key).await;
        assert!(status.is_client_error(), "{status}");
        assert!(body["message"].as_str().unwrap().contains("priority"), "{body}");
        let (_, list) = app.get_json(&acme.admin, "/api/v1/triggers").await;
        assert_eq!(list["triggers"], json!([]), "nothing half-stored");

        // Act and assert: create, list, replace, reorder, delete.
        let (status, first) = post(contact_trigger()).await;
        assert_eq!(status, StatusCode::CREATED, "{first}");
        let mut second_rule = contact_trigger();
        second_rule["name"] = json!("Second");
        let (_, second) = post(second_rule).await;
        let (first_id, second_id) = (first["id"].as_i64().unwrap(), second["id"].as_i64().unwrap());
        let names = |list: &Value| list["triggers"].as_array().unwrap().iter().map(|t| t["rule"]["name"].clone()).collect::<Vec<_>>();
        let (_, list) = app.get_json(&acme.admin, "/api/v1/triggers").await;
        assert_eq!(names(&list), [json!("Customers' calls"), json!("Second")]);
        let mut renamed = contact_trigger();
        renamed["name"] = json!("Renamed");
        let replaced = app.send_json(Method::PUT, Some(&admin), &format!("/api/v1/triggers/{first_id}"), &renamed).await;
        assert_eq!(replaced.status(), StatusCode::OK);
        let order = json!({ "ids": [second_id, first_id] });
        let reordered = app.send_json(Method::PUT, Some(&admin), "/api/v1/triggers/order", &order).await;
        assert_eq!(reordered.status(), StatusCode::NO_CONTENT);
        let (_, list) = app.get_json(&acme.admin, "/api/v1/triggers").await;
        assert_eq!(names(&list), [json!("Second"), json!("Renamed")]);
        let partial = app.send_json(Method::PUT, Some(&admin), "/api/v1/triggers/order", &json!({ "ids": [second_id] })).await;
        assert_eq!(partial.status(), StatusCode::CONFLICT, "a stale order conflicts with the account's triggers");
        let path = format!("/api/v1/triggers/{second_id}");
        assert_eq!(app.send_json(Method::DELETE, Some(&admin), &path, &json!({})).await.status(), StatusCode::NO_CONTENT);
        assert_eq!(app.send_json(Method::DELETE, Some(&admin), &path, &json!({})).await.status(), StatusCode::NOT_FOUND);

        // Act and assert: trying a rule on a past call writes nothing and shows what it would do.
        app.ring(&acme, "CA-TRY", &acme.agent, 0, "Google Ads").await;
        let tried = app.post_json(Some(&admin), "/api/v1/triggers/test", &json!({ "rule": contact_trigger(), "call_id": "CA-TRY" })).await;
        assert_eq!(tried.status(), StatusCode::OK);
        let tried: Value = tried.json().await.unwrap();
        assert_eq!(tried["fires"], true, "{tried}");
        assert!(tried.to_string().contains("Google Ads call from +14155552671"), "{tried}");
        let unknown_call = app.post_json(Some(&admin), "/api/v1/triggers/test", &json!({ "rule": contact_trigger(), "call_id": "CA-NONE" })).await;
        assert_eq!(unknown_call.status(), StatusCode::NOT_FOUND);

        // Act and assert: only administrators, only on plans with Salesforce.
        let (status, body) = app.get_json(&acme.manager, "/api/v1/triggers").await;
        assert_error(status, &body, 403, "forbidden", None);
        let basic = app.create_account("Basic Co", Plan::Basic).await;
        let (status, body) = app.get_json(&basic.admin, "/api/v1/triggers").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
}

org_test! {
    async fn find_or_create_log_task_and_add_to_campaign_work_on_the_callers_record(linked: Linked) {
        // Arrange
        linked.use_triggers(&[contact_trigger()]).await;
        let ada = linked.find("Contact", "LastName", "Lovelace");
        let contacts_before = linked.org.records("Contact").len();

        // Act: Ada calls (found by phone), then someone new (created).
        linked.ring("CA-T-ADA", numbers::ONE_CONTACT).await;
        linked.event("CA-T-NEW", "ringing", 1, &json!({ "caller_number": numbers::NOBODY, "caller_name": "Lise Meitner" })).await;
        linked.settle().await;

        // Assert
        let task = linked.the_task_of("CA-T-ADA");
        assert_eq!(task.text("WhoId"), Some(ada.id.as_str()));
        assert_eq!(task.text("Subject"), Some("Google Ads call from +14155552671"));
        assert_eq!(task.text("TaskSubtype"), Some("Call"));
        let lise = linked.find("Contact", "LastName", "Lise Meitner");
        assert_eq!(lise.text("Phone"), Some(numbers::NOBODY));
        assert_eq!(linked.org.records("Contact").len(), contacts_before + 1);
        assert_eq!(linked.the_task_of("CA-T-NEW").text("WhoId"), Some(lise.id.as_str()));
        let members = linked.org.records("CampaignMember");
        for contact in [ada.id.as_str(), lise.id.as_str()] {
            assert_eq!(members.iter().filter(|member| member.text("ContactId") == Some(contact)).count(), 1, "{contact}");
        }
        assert!(linked.org.records("Lead").iter().all(|lead| lead.text("Phone") != Some(numbers::NOBODY)), "no Lead");
    }
}

org_test! {
    async fn update_record_and_a_delayed_task_follow_the_call_through_its_events(linked: Linked) {
        // Arrange: a Lead for every caller, worked when answered, its Task logged a second after the call ends.
        linked.use_triggers(&[
            json!({"name": "Lead", "event": "call_started", "actions": [
                {"type": "find_or_create", "object": "Lead", "fields": {
                    "LastName": "{{caller_name|Unknown Caller}}", "Company": "[not provided]", "Phone": "{{caller_number}}"}}]}),
            json!({"name": "Working", "event": "call_answered", "actions": [
                {"type": "update_record", "fields": {"Status": "Working - Contacted", "Description": "Answered by {{agent_name}}"}}]}),
            json!({"name": "Log", "event": "call_ended", "actions": [
                {"type": "log_task", "delay_secs": 3, "fields": {"Subject": "{{duration}} s with {{caller_number}}"}}]}),
        ]).await;

        // Act
        linked.ring("CA-T-LIFE", numbers::NOBODY).await;
        linked.event("CA-T-LIFE", "answered", 1, &json!({ "caller_number": numbers::NOBODY })).await;
        linked.event("CA-T-LIFE", "completed", 2, &json!({ "caller_number": numbers::NOBODY, "duration_secs": 42 })).await;
        linked
            .wait_for_org("the answered call's update_record", |org| {
                org.records("Lead").iter().any(|lead| {
                    lead.text("Phone") == Some(numbers::NOBODY) && lead.text("Status") == Some("Working - Contacted")
                })
            })
            .await;

        // Assert: the Lead exists and is being worked; the Task waits for its delay.
        let lead = linked.find("Lead", "Phone", numbers::NOBODY);
        assert_eq!(lead.text("Status"), Some("Working - Contacted"));
        assert_eq!(lead.text("Description"), Some("Answered by agent"));
        assert!(linked.tasks_of("CA-T-LIFE").is_empty(), "the Task waits for its delay");
        linked.settle().await;
        let task = linked.the_task_of("CA-T-LIFE");
        assert_eq!(task.text("WhoId"), Some(lead.id.as_str()));
        assert_eq!(task.text("Subject"), Some("42 s with +14155550123"));
        assert_eq!(task.text("Status"), Some("Completed"));
    }
}

org_test! {
    async fn find_or_create_by_a_mapped_field_finds_the_record_whatever_the_number(linked: Linked) {
        // Arrange: the telephony side passes the caller's email as a custom field.
        linked.use_triggers(&[json!({"name": "By email", "event": "call_started", "actions": [
            {"type": "find_or_create", "object": "Contact", "match_field": "Email",
             "fields": {"LastName": "{{caller_name|Unknown Caller}}", "Email": "{{custom.email}}"}},
            {"type": "log_task"}]})]).await;
        let ada = linked.find("Contact", "LastName", "Lovelace");

        // Act: Ada calls from a number the org does not know.
        linked.event("CA-T-EMAIL", "ringing", 0, &json!({ "caller_number": "+14155550150",
            "custom_fields": {"email": "ada@engines.example"} })).await;
        linked.settle().await;

        // Assert
        assert_eq!(linked.the_task_of("CA-T-EMAIL").text("WhoId"), Some(ada.id.as_str()));
        assert_eq!(linked.org.records("Contact").iter().filter(|c| c.text("Email") == Some("ada@engines.example")).count(), 1);
    }
}

org_test! {
    async fn a_trigger_whose_conditions_do_not_hold_writes_nothing(linked: Linked) {
        // Arrange
        let mut bing_only = contact_trigger();
        bing_only["conditions"]["rules"][0]["value"] = json!("Bing");
        linked.use_triggers(&[bing_only]).await;
        let (tasks, contacts) = (linked.org.records("Task").len(), linked.org.records("Contact").len());

        // Act
        linked.ring("CA-T-SKIP", numbers::NOBODY).await;
        linked.settle().await;

        // Assert
        assert_eq!((linked.org.records("Task").len(), linked.org.records("Contact").len()), (tasks, contacts));
    }
}

org_test! {
    async fn text_received_triggers_log_the_message_on_the_senders_record(linked: Linked) {
        // Arrange
        linked.use_triggers(&[json!({"name": "Texts", "event": "text_received", "actions": [
            {"type": "find_or_create", "object": "Contact", "fields": {"LastName": "Texter", "Phone": "{{caller_number}}"}},
            {"type": "log_task", "fields": {"Subject": "SMS: {{message_body}}"}}]})]).await;
        let ada = linked.find("Contact", "LastName", "Lovelace");

        // Act
        linked.app.text(&linked.acme, "SM-T-1", &linked.acme.agent, 0).await;
        linked.settle().await;

        // Assert
        let task = linked.the_task_of("text:SM-T-1");
        assert_eq!(task.text("WhoId"), Some(ada.id.as_str()));
        assert_eq!(task.text("Subject"), Some("SMS: Can you call me back about the quote?"));
    }
}

org_test! {
    async fn the_softphones_append_is_honoured_and_its_task_follows_the_call(linked: Linked) {
        // Arrange: triggers mode with no triggers at all.
        linked.use_triggers(&[]).await;
        let ada = linked.find("Contact", "LastName", "Lovelace");

        // Act: the softphone found Ada and appends; the call is answered and ends.
        linked.ring("CA-T-APPEND", numbers::ONE_CONTACT).await;
        linked.append("CA-T-APPEND", ada.id.as_str(), "Contact", "single_match").await;
        linked.settle().await;
        let appended = linked.the_task_of("CA-T-APPEND");
        linked.event("CA-T-APPEND", "answered", 1, &json!({})).await;
        linked.event("CA-T-APPEND", "completed", 2, &json!({ "duration_secs": 61, "disposition": "Booked" })).await;
        linked.settle().await;

        // Assert: one Task on Ada, brought up to date.
        let task = linked.the_task_of("CA-T-APPEND");
        assert_eq!(task.id, appended.id);
        assert_eq!(task.text("WhoId"), Some(ada.id.as_str()));
        assert_eq!(task.text("Status"), Some("Completed"));
        assert_eq!(task.fields["CallDurationInSeconds"], json!(61));
        assert_eq!(task.text("CallDisposition"), Some("Booked"));
    }
}

org_test! {
    async fn a_recording_link_on_a_repeat_of_the_answer_reaches_the_triggers_task(linked: Linked) {
        // Arrange: a trigger logs the call's Task when it starts; the call is answered and ends without a recording.
        linked.use_triggers(&[contact_trigger()]).await;
        linked.ring("CA-T-REC", numbers::ONE_CONTACT).await;
        linked.event("CA-T-REC", "answered", 1, &json!({})).await;
        linked.event("CA-T-REC", "completed", 2, &json!({ "duration_secs": 61 })).await;
        linked.settle().await;
        let logged = linked.the_task_of("CA-T-REC");
        assert!(logged.text("Description").is_none_or(|text| !text.contains("Recording:")), "{logged:?}");

        // Act: the phone system repeats the answer, now with the recording link.
        let recording = "https://recordings.example.com/CA-T-REC.mp3";
        linked.event("CA-T-REC", "answered", 1, &json!({ "recording_url": recording })).await;
        linked.settle().await;

        // Assert: the same Task holds the link, and is still completed.
        let task = linked.the_task_of("CA-T-REC");
        assert_eq!(task.id, logged.id);
        assert!(task.text("Description").is_some_and(|text| text.contains(&format!("Recording: {recording}"))), "{task:?}");
        assert_eq!(task.text("Status"), Some("Completed"));
    }
}

org_test! {
    async fn a_mapping_the_org_refuses_is_parked_until_the_admin_fixes_the_trigger_and_retries(linked: Linked) {
        // Arrange: a restricted picklist on Lead, and a trigger that maps the tracking source into it.
        linked.org.add_custom_field("Lead", serde_json::from_value(json!({
            "name": "Interest__c", "type": "picklist", "picklist_values": ["Sales", "Support"], "restricted_picklist": true
        })).expect("a custom field")).expect("a new field");
        let trigger = |interest: &str| json!({"name": "Leads", "event": "call_started", "actions": [
            {"type": "find_or_create", "object": "Lead", "fields": {
                "LastName": "Unknown Caller", "Company": "[not provided]", "Phone": "{{caller_number}}", "Interest__c": interest}},
            {"type": "log_task"}]});
        linked.use_triggers(&[trigger("{{tracking_source}}")]).await;

        // Act
        linked.ring("CA-T-PICK", numbers::NOBODY).await;
        linked.settle().await;

        // Assert: parked with Salesforce's code and field; nothing in the org.
        let log = linked.sync_log().await;
        assert_eq!(log.len(), 1, "{log:#?}");
        assert_eq!(log[0]["status"], "parked");
        assert_eq!(log[0]["error"]["code"], "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST");
        assert_eq!(log[0]["error"]["fields"], json!(["Interest__c"]));
        assert!(linked.tasks_of("CA-T-PICK").is_empty());

        // Act: the admin fixes the mapping and retries.
        let (_, list) = linked.app.get_json(&linked.acme.admin, "/api/v1/triggers").await;
        let id = list["triggers"][0]["id"].as_i64().unwrap();
        let fixed = linked.app.send_json(Method::PUT, Some(&linked.acme.admin.token), &format!("/api/v1/triggers/{id}"), &trigger("Sales")).await;
        assert_eq!(fixed.status(), StatusCode::OK);
        let item = log[0]["id"].as_i64().unwrap();
        let retried = linked.app.post_json(Some(&linked.acme.admin.token), &format!("/api/v1/sync-log/{item}/retry"), &json!({})).await;
        assert_eq!(retried.status(), StatusCode::ACCEPTED);
        linked.settle().await;

        // Assert
        let lead = linked.find("Lead", "Phone", numbers::NOBODY);
        assert_eq!(lead.text("Interest__c"), Some("Sales"));
        assert_eq!(linked.the_task_of("CA-T-PICK").text("WhoId"), Some(lead.id.as_str()));
    }
}

org_test! {
    async fn a_duplicate_rule_blocking_a_triggers_record_is_parked_with_the_rules_message(linked: Linked) {
        // Arrange: the org blocks a second Contact with an existing Contact's last name.
        linked.org.add_duplicate_rule(serde_json::from_value(json!({
            "name": "Contacts_By_Name", "object": "Contact", "fields": [{"field": "LastName", "normalizer": "lowercase"}],
            "message": "You're creating a duplicate contact."
        })).expect("a duplicate rule")).expect("a valid rule");
        linked.use_triggers(&[json!({"name": "Contacts", "event": "call_started", "actions": [
            {"type": "find_or_create", "object": "Contact", "fields": {"LastName": "Lovelace", "Phone": "{{caller_number}}"}}]})]).await;

        // Act
        linked.ring("CA-T-DUP", numbers::NOBODY).await;
        linked.settle().await;

        // Assert
        let log = linked.sync_log().await;
        assert_eq!(log.len(), 1, "{log:#?}");
        assert_eq!(log[0]["status"], "parked");
        assert_eq!(log[0]["error"]["code"], "DUPLICATES_DETECTED");
        assert_eq!(log[0]["error"]["message"], "You're creating a duplicate contact.");
        assert_eq!(linked.org.records("Contact").iter().filter(|c| c.text("LastName") == Some("Lovelace")).count(), 1);
    }
}
