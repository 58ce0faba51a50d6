//! After a call: the disposition list and after-call work (`/settings/wrap-up`), the agent's notes and disposition
//! (`/agent/calls/{id}/wrap-up`), the agent's status (`/agent/status`), what the telephony side reads
//! (`/agent-statuses`), and the notes and disposition on the call's Task in the local org.

use crate::helpers::{TestAccount, TestApp, TestUser, api_test, assert_error, call_event};
use crate::org::org_test;
use callpop_core::account::Plan;
use callpop_sandbox::seed::numbers;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const SETTINGS: &str = "/api/v1/settings/wrap-up";

async fn put(app: &TestApp, user: &TestUser, path: &str, body: &Value) -> (StatusCode, Value) {
    let response = app.send_json(Method::PUT, Some(&user.token), path, body).await;
    let status = response.status();
    (status, response.json().await.expect("a JSON body"))
}

fn wrap_up_path(call_id: &str) -> String {
    format!("/api/v1/agent/calls/{call_id}/wrap-up")
}

/// Posts one event of `call_id` for `agent`, as it happens now (after-call work is measured from the call's end).
async fn event_now(app: &TestApp, account: &TestAccount, call_id: &str, kind: &str, agent: &TestUser) {
    let mut body = call_event(call_id, kind, &agent.email, 0, "Google Ads");
    body["occurred_at"] = json!(chrono::Utc::now().to_rfc3339());
    if kind == "completed" {
        body["duration_secs"] = json!(42);
    }
    let response = app.post_json(Some(&account.api_key), "/api/v1/call-events", &body).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED, "{}", response.text().await.unwrap_or_default());
}

/// The telephony side's view of `agent`.
async fn telephony_status(app: &TestApp, account: &TestAccount, agent: &TestUser) -> Value {
    let response = app.get(Some(&account.api_key), "/api/v1/agent-statuses").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("a JSON body");
    let agents = body["agents"].as_array().expect("a list of agents").clone();
    assert_eq!(agents.len(), 5, "every user of the account: {body}");
    agents.into_iter().find(|entry| entry["agent"] == agent.email.as_str()).expect("the agent is listed")
}

api_test! {
    async fn administrators_keep_the_disposition_list_and_the_seconds(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        let (status, defaults) = app.get_json(&acme.admin, SETTINGS).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(defaults, json!({ "dispositions": [], "wrap_up_secs": 60 }));

        let wanted = json!({ "dispositions": [" Sale ", "Left voicemail", "Not interested"], "wrap_up_secs": 30 });
        let (status, saved) = put(&app, &acme.admin, SETTINGS, &wanted).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        let trimmed = json!({ "dispositions": ["Sale", "Left voicemail", "Not interested"], "wrap_up_secs": 30 });
        assert_eq!(saved, trimmed);
        assert_eq!(app.get_json(&acme.admin, SETTINGS).await.1, trimmed);
        // Agents read the same list for the softphone.
        assert_eq!(app.get_json(&acme.agent, "/api/v1/agent/wrap-up-settings").await.1, trimmed);

        // Nobody but an administrator reads or changes it.
        for user in [&acme.agent, &acme.manager, &acme.reports] {
            let (status, body) = app.get_json(user, SETTINGS).await;
            assert_error(status, &body, 403, "forbidden", None);
            let (status, body) = put(&app, user, SETTINGS, &json!({ "dispositions": [], "wrap_up_secs": 0 })).await;
            assert_error(status, &body, 403, "forbidden", None);
        }
        // Another account's administrator sees their own defaults.
        let other = app.create_account("Other", Plan::Enterprise).await;
        assert_eq!(app.get_json(&other.admin, SETTINGS).await.1["dispositions"], json!([]));
        assert_eq!(app.get_json(&acme.admin, SETTINGS).await.1, trimmed);
    }
}

api_test! {
    async fn a_bad_list_is_refused_naming_the_value_and_nothing_is_stored(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        put(&app, &acme.admin, SETTINGS, &json!({ "dispositions": ["Sale"], "wrap_up_secs": 30 })).await;
        let cases = [
            (json!({ "dispositions": ["Sale", "  "], "wrap_up_secs": 30 }), "invalid_field", "dispositions[1]"),
            (json!({ "dispositions": ["Sale", "SALE"], "wrap_up_secs": 30 }), "invalid_field", "dispositions[1]"),
            (json!({ "dispositions": ["x".repeat(256)], "wrap_up_secs": 30 }), "invalid_field", "dispositions[0]"),
            (json!({ "dispositions": (0..101).map(|n| format!("D{n}")).collect::<Vec<_>>(), "wrap_up_secs": 30 }), "invalid_field", "dispositions"),
            (json!({ "dispositions": ["Other"], "wrap_up_secs": 3601 }), "invalid_field", "wrap_up_secs"),
            (json!({ "dispositions": ["Other"], "wrap_up_secs": -1 }), "invalid_field", "wrap_up_secs"),
            (json!({ "dispositions": ["Other"] }), "missing_field", "wrap_up_secs"),
            (json!({ "dispositions": ["Other"], "wrap_up_secs": 30, "colour": "red" }), "invalid_field", "colour"),
        ];
        for (body, code, field) in cases {
            let (status, error) = put(&app, &acme.admin, SETTINGS, &body).await;
            assert_error(status, &error, 422, code, Some(field));
        }
        assert_eq!(app.get_json(&acme.admin, SETTINGS).await.1, json!({ "dispositions": ["Sale"], "wrap_up_secs": 30 }));
    }
}

api_test! {
    async fn an_agent_saves_notes_and_a_disposition_on_their_own_calls_only(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        put(&app, &acme.admin, SETTINGS, &json!({ "dispositions": ["Sale", "Callback"], "wrap_up_secs": 30 })).await;
        app.ring(&acme, "CA-NOTES", &acme.agent, 0, "Google Ads").await;

        let (status, saved) = put(&app, &acme.agent, &wrap_up_path("CA-NOTES"), &json!({ "notes": "Wants a quote", "disposition": "Sale" })).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert_eq!(saved["notes"], "Wants a quote");
        assert_eq!(saved["disposition"], "Sale");
        assert_eq!(saved["written_by"], acme.agent.email.as_str());

        // Another agent, a manager and another account's agent get a 404: the call is not theirs to write.
        let other = app.create_account("Other", Plan::Enterprise).await;
        for user in [&acme.other_agent, &acme.manager, &other.agent] {
            let (status, body) = put(&app, user, &wrap_up_path("CA-NOTES"), &json!({ "notes": "mine" })).await;
            assert_error(status, &body, 404, "not_found", None);
        }
        // A disposition not in the list, and notes over 32 KB, are refused naming the field.
        let (status, body) = put(&app, &acme.agent, &wrap_up_path("CA-NOTES"), &json!({ "notes": "x", "disposition": "Maybe" })).await;
        assert_error(status, &body, 422, "invalid_field", Some("disposition"));
        let (status, body) = put(&app, &acme.agent, &wrap_up_path("CA-NOTES"), &json!({ "notes": "x".repeat(32 * 1024 + 1) })).await;
        assert_error(status, &body, 422, "invalid_field", Some("notes"));
        let (status, body) = app.get_json(&acme.agent, "/api/v1/agent/status").await;
        assert_eq!(status, StatusCode::OK, "{body}");

        // What was refused changed nothing: saving the same values again is what the server holds.
        let (_, again) = put(&app, &acme.agent, &wrap_up_path("CA-NOTES"), &json!({ "notes": "Wants a quote", "disposition": "Sale" })).await;
        assert_eq!((again["notes"].clone(), again["disposition"].clone()), (json!("Wants a quote"), json!("Sale")));
        // Two saves, one of them changing nothing: one outbox item for the Task besides the ringing's.
        assert_eq!(app.outbox_depth().await, 2);
    }
}

api_test! {
    async fn the_agents_status_goes_busy_then_after_call_work_then_back_and_the_telephony_side_reads_it(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        put(&app, &acme.admin, SETTINGS, &json!({ "dispositions": ["Sale"], "wrap_up_secs": 120 })).await;
        let agent = &acme.agent;

        // Nobody chose yet: available.
        let (status, view) = app.get_json(agent, "/api/v1/agent/status").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(view["status"], "available");
        assert_eq!(telephony_status(&app, &acme, agent).await["status"], "available");

        // The agent chooses busy, then available again.
        let (_, view) = put(&app, agent, "/api/v1/agent/status", &json!({ "status": "busy" })).await;
        assert_eq!((view["status"].clone(), view["chosen"].clone()), (json!("busy"), json!("busy")));
        assert_eq!(telephony_status(&app, &acme, agent).await["status"], "busy");
        put(&app, agent, "/api/v1/agent/status", &json!({ "status": "available" })).await;

        // On an answered call: busy. After it: after-call work for the account's seconds.
        event_now(&app, &acme, "CA-ACW", "ringing", agent).await;
        event_now(&app, &acme, "CA-ACW", "answered", agent).await;
        assert_eq!(app.get_json(agent, "/api/v1/agent/status").await.1["status"], "busy");
        assert_eq!(telephony_status(&app, &acme, agent).await["status"], "busy");
        event_now(&app, &acme, "CA-ACW", "completed", agent).await;
        let (_, view) = app.get_json(agent, "/api/v1/agent/status").await;
        assert_eq!(view["status"], "after_call_work", "{view}");
        assert_eq!(view["chosen"], "available");
        let remaining = view["after_call_work_remaining_secs"].as_u64().expect("seconds left");
        assert!((100..=120).contains(&remaining), "{view}");
        let read = telephony_status(&app, &acme, agent).await;
        assert_eq!(read["status"], "after_call_work");
        assert_eq!(read["after_call_work_until"], view["after_call_work_until"]);
        // The other agent is not affected.
        assert_eq!(telephony_status(&app, &acme, &acme.other_agent).await["status"], "available");

        // Done: back to what the agent chose.
        let (status, saved) = put(&app, agent, &wrap_up_path("CA-ACW"), &json!({ "notes": "Sold", "disposition": "Sale", "done": true })).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert_eq!(saved["status"]["status"], "available");
        assert_eq!(telephony_status(&app, &acme, agent).await["status"], "available");
        assert_eq!(telephony_status(&app, &acme, agent).await["after_call_work_until"], Value::Null);

        // Offline stays offline after a call.
        put(&app, agent, "/api/v1/agent/status", &json!({ "status": "offline" })).await;
        event_now(&app, &acme, "CA-OFF", "answered", agent).await;
        event_now(&app, &acme, "CA-OFF", "completed", agent).await;
        assert_eq!(telephony_status(&app, &acme, agent).await["status"], "offline");
    }
}

api_test! {
    async fn without_after_call_work_an_ended_call_leaves_the_agent_available(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        put(&app, &acme.admin, SETTINGS, &json!({ "dispositions": [], "wrap_up_secs": 0 })).await;
        event_now(&app, &acme, "CA-ZERO", "answered", &acme.agent).await;
        event_now(&app, &acme, "CA-ZERO", "completed", &acme.agent).await;
        assert_eq!(telephony_status(&app, &acme, &acme.agent).await["status"], "available");
    }
}

api_test! {
    async fn statuses_need_the_right_credentials_and_a_known_status(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Basic).await;
        // The telephony side's route takes the API key only; the agent's routes take a session only.
        let response = app.get(Some(&acme.agent.token), "/api/v1/agent-statuses").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let response = app.get(Some(&acme.api_key), "/api/v1/agent/status").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let (status, body) = put(&app, &acme.agent, "/api/v1/agent/status", &json!({ "status": "away" })).await;
        assert_error(status, &body, 422, "invalid_field", Some("status"));
        // Status works on every plan: it is the telephony side's, not Salesforce's.
        let (status, view) = put(&app, &acme.agent, "/api/v1/agent/status", &json!({ "status": "busy" })).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        // Another account's key does not list this account's agents.
        let other = app.create_account("Other", Plan::Basic).await;
        let body: Value = app.get(Some(&other.api_key), "/api/v1/agent-statuses").await.json().await.unwrap();
        assert!(!body.to_string().contains(&acme.agent.email), "{body}");
    }
}

org_test! {
    async fn the_notes_and_disposition_reach_the_calls_task_once_and_later_events_keep_them(linked: Linked) {
        // Arrange: a known Lead calls in legacy mode; the Task is on the Lead.
        let app = &linked.app;
        put(app, &linked.acme.admin, SETTINGS, &json!({ "dispositions": ["Sale", "Callback"], "wrap_up_secs": 30 })).await;
        linked.ring("CA-TASK", numbers::ONE_LEAD).await;
        linked.settle().await;
        let task_id = linked.the_task_of("CA-TASK").id.as_str().to_owned();

        // Act: the agent types notes twice and picks a disposition, then the call ends with the telephony side's.
        let path = wrap_up_path("CA-TASK");
        put(app, &linked.acme.agent, &path, &json!({ "notes": "Wants a" })).await;
        put(app, &linked.acme.agent, &path, &json!({ "notes": "Wants a quote for 12 seats", "disposition": "Callback" })).await;
        linked.settle().await;

        // Assert: the same Task, the notes first in its Description, the agent's disposition.
        let task = linked.the_task_of("CA-TASK");
        assert_eq!(task.id.as_str(), task_id);
        let description = task.text("Description").unwrap_or_default().to_owned();
        assert!(description.starts_with("Wants a quote for 12 seats\n\n"), "{description}");
        assert!(description.contains("Tracking source: Google Ads"), "{description}");
        assert_eq!(task.text("CallDisposition"), Some("Callback"));
        // The audit trail names who wrote them.
        let panel = linked.panel("CA-TASK").await;
        assert!(panel.to_string().contains(&format!("notes and disposition by {}", linked.acme.agent.email)), "{panel}");

        // Act: the call ends with a disposition of the telephony side's.
        linked.event("CA-TASK", "completed", 5, &json!({ "caller_number": numbers::ONE_LEAD, "duration_secs": 300, "disposition": "ANSWERED" })).await;
        linked.settle().await;

        // Assert: the Task completes and keeps the agent's notes and disposition.
        let task = linked.the_task_of("CA-TASK");
        assert_eq!(task.text("Status"), Some("Completed"));
        assert_eq!(task.text("CallDisposition"), Some("Callback"));
        assert!(task.text("Description").unwrap_or_default().starts_with("Wants a quote for 12 seats"), "{task:?}");
    }
}

org_test! {
    async fn notes_saved_before_the_call_has_a_task_go_with_the_task_the_agent_appends(linked: Linked) {
        // Arrange: triggers mode without triggers, so nothing writes a Task until the agent appends the activity.
        linked.set_options(&json!({ "legacy_mode": false })).await;
        put(&linked.app, &linked.acme.admin, SETTINGS, &json!({ "dispositions": ["Sale"], "wrap_up_secs": 30 })).await;
        linked.ring("CA-EARLY", numbers::ONE_CONTACT).await;
        let (status, saved) =
            put(&linked.app, &linked.acme.agent, &wrap_up_path("CA-EARLY"), &json!({ "notes": "Early notes", "disposition": "Sale" })).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        linked.settle().await;
        assert!(linked.tasks_of("CA-EARLY").is_empty());
        let panel = linked.panel("CA-EARLY").await;
        assert!(panel.to_string().contains("no Task yet"), "{panel}");

        // Act
        let ada = linked.find("Contact", "LastName", "Lovelace");
        linked.append("CA-EARLY", ada.id.as_str(), "Contact", "single_match").await;
        linked.settle().await;

        // Assert: one Task, on the agent's record, with the notes and the disposition.
        let task = linked.the_task_of("CA-EARLY");
        assert_eq!(task.text("WhoId"), Some(ada.id.as_str()));
        assert!(task.text("Description").unwrap_or_default().starts_with("Early notes\n\n"), "{task:?}");
        assert_eq!(task.text("CallDisposition"), Some("Sale"));
    }
}

org_test! {
    async fn a_disposition_the_agent_clears_leaves_the_calls_task(linked: Linked) {
        // Arrange: a known Lead calls in legacy mode (the telephony side gives no disposition); the agent picks a
        // wrong one and it reaches the Task.
        let app = &linked.app;
        put(app, &linked.acme.admin, SETTINGS, &json!({ "dispositions": ["Sale", "Callback"], "wrap_up_secs": 30 })).await;
        linked.ring("CA-CLEAR", numbers::ONE_LEAD).await;
        linked.settle().await;
        let path = wrap_up_path("CA-CLEAR");
        put(app, &linked.acme.agent, &path, &json!({ "notes": "Wants a quote", "disposition": "Sale" })).await;
        linked.settle().await;
        assert_eq!(linked.the_task_of("CA-CLEAR").text("CallDisposition"), Some("Sale"));

        // Act: the agent clears the disposition.
        let (status, saved) = put(app, &linked.acme.agent, &path, &json!({ "notes": "Wants a quote", "disposition": null })).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        linked.settle().await;

        // Assert: the Task has no disposition any more, and keeps the notes.
        let task = linked.the_task_of("CA-CLEAR");
        assert_eq!(task.text("CallDisposition"), None, "{task:?}");
        assert!(task.text("Description").unwrap_or_default().starts_with("Wants a quote\n\n"), "{task:?}");
    }
}
