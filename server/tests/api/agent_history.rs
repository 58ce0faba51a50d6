//! The softphone's Recent list (`GET /api/v1/agent/history`): the agent's own calls and texts, newest first, each
//! with whether it was answered and the record it was logged to.

use crate::helpers::{api_test, call_event};
use callpop_core::account::Plan;
use reqwest::StatusCode;
use serde_json::{Value, json};

const ADA: &str = "003000000000001AAA";

api_test! {
    async fn the_recent_list_is_the_agents_own_calls_and_texts_newest_first_with_their_records(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        let globex = app.create_account("Globex", Plan::Enterprise).await;
        let agent = &acme.agent.email;
        // A call nobody answered (missed), at 10:00.
        app.ring(&acme, "MISSED-1", &acme.agent, 0, "Google Ads").await;
        let hang_up = call_event("MISSED-1", "completed", agent, 1, "Google Ads");
        assert_eq!(app.post_json(Some(&acme.api_key), "/api/v1/call-events", &hang_up).await.status(), StatusCode::ACCEPTED);
        // A text at 10:05.
        app.text(&acme, "SMS-1", &acme.agent, 5).await;
        // An answered call at 10:10, logged by the softphone to Ada.
        app.ring(&acme, "ANSWERED-1", &acme.agent, 10, "Google Ads").await;
        let answer = call_event("ANSWERED-1", "answered", agent, 11, "Google Ads");
        assert_eq!(app.post_json(Some(&acme.api_key), "/api/v1/call-events", &answer).await.status(), StatusCode::ACCEPTED);
        let append = json!({ "call_id": "ANSWERED-1", "record_id": ADA, "record_type": "Contact", "chosen_by": "single_match" });
        let appended = app.post_json(Some(&acme.agent.token), "/api/v1/activities", &append).await;
        assert!(appended.status().is_success(), "{}", appended.text().await.unwrap_or_default());
        // Someone else's call and another account's call are not in the list.
        app.ring(&acme, "OTHER-1", &acme.other_agent, 20, "Google Ads").await;
        app.ring(&globex, "GLOBEX-1", &globex.agent, 30, "Google Ads").await;

        let (status, history) = app.get_json(&acme.agent, "/api/v1/agent/history").await;
        assert_eq!(status, StatusCode::OK, "{history}");
        let rows = history.as_array().unwrap();
        let ids: Vec<_> = rows.iter().map(|row| (row["kind"].as_str().unwrap(), row["id"].as_str().unwrap())).collect();
        assert_eq!(ids, [("call", "ANSWERED-1"), ("text", "SMS-1"), ("call", "MISSED-1")], "{history}");

        let answered = &rows[0];
        assert_eq!((answered["answered"].as_bool(), answered["state"].as_str()), (Some(true), Some("answered")));
        assert_eq!(answered["record"]["id"], ADA);
        assert_eq!(answered["record"]["object"], "Contact");
        assert_eq!(answered["number_e164"], "+14155552671");
        assert_eq!(answered["number"], "+14155552671", "the number as the account writes it (E.164 by default)");

        let text = &rows[1];
        assert_eq!((text["direction"].as_str(), text["number_e164"].as_str()), (Some("inbound"), Some("+14155552671")));
        assert_eq!((text["state"].clone(), text["answered"].as_bool()), (Value::Null, Some(false)));

        let missed = &rows[2];
        assert_eq!((missed["answered"].as_bool(), missed["state"].as_str()), (Some(false), Some("completed")));
        assert_eq!(missed["record"], Value::Null, "nothing logged it yet");

        let (_, other) = app.get_json(&acme.other_agent, "/api/v1/agent/history").await;
        let other_ids: Vec<_> = other.as_array().unwrap().iter().map(|row| row["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(other_ids, ["OTHER-1"]);
    }
}

api_test! {
    async fn the_recent_list_needs_a_session(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        assert_eq!(app.get(None, "/api/v1/agent/history").await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(app.get(Some(&acme.api_key), "/api/v1/agent/history").await.status(), StatusCode::UNAUTHORIZED,
            "the telephony side's key is not an agent");
    }
}
