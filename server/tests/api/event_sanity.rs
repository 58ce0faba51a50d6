//! Events the telephony side sends must be sane: their times fall in the window the server documents
//! (`validate::event_time`: 90 days back to 15 minutes ahead), or they are refused with a 422 naming the field and
//! nothing is stored or pushed to a softphone.

use crate::helpers::{api_test, assert_error, call_event, text_event};
use callpop_core::account::Plan;
use reqwest::StatusCode;
use serde_json::Value;

api_test! {
    async fn events_dated_outside_the_window_are_refused_and_store_nothing(app: TestApp) {
        // Arrange
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        let in_an_hour = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
        let last_year = (chrono::Utc::now() - chrono::Duration::days(365)).to_rfc3339();

        for (index, when) in ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", in_an_hour.as_str(), last_year.as_str()]
            .into_iter()
            .enumerate()
        {
            // Act
            let mut call = call_event(&format!("CALL-{index}"), "ringing", &acme.agent.email, 0, "Google Ads");
            call["occurred_at"] = Value::from(when);
            let refused_call = app.post_json(Some(&acme.api_key), "/api/v1/call-events", &call).await;
            let mut text = text_event(&format!("SMS-{index}"), &acme.agent.email, 0);
            text["occurred_at"] = Value::from(when);
            let refused_text = app.post_json(Some(&acme.api_key), "/api/v1/text-events", &text).await;

            // Assert
            for refused in [refused_call, refused_text] {
                let (status, body) = (refused.status(), refused.json::<Value>().await.expect("a JSON error"));
                assert_error(status, &body, 422, "invalid_field", Some("occurred_at"));
                assert!(body["message"].as_str().unwrap_or_default().contains("outside the accepted window"), "{body}");
            }
            let (status, _) = app.get_json(&acme.manager, &format!("/api/v1/calls/CALL-{index}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "a refused event stores no call ({when})");
            let (status, _) = app.get_json(&acme.manager, &format!("/api/v1/texts/SMS-{index}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "a refused event stores no text ({when})");
        }
        assert_eq!(app.outbox_depth().await, 0, "nothing was queued for Salesforce");

        // A call from a few minutes ago is as welcome as ever.
        app.ring(&acme, "CALL-NOW", &acme.agent, 0, "Google Ads").await;
    }
}

api_test! {
    async fn a_later_event_that_contradicts_the_calls_caller_or_direction_is_a_409_naming_the_field(app: TestApp) {
        // Arrange
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        app.ring(&acme, "CALL-1", &acme.agent, 0, "Google Ads").await;

        for (field, value) in [("caller_number", "+442071234567"), ("direction", "outbound")] {
            // Act
            let mut answered = call_event("CALL-1", "answered", &acme.agent.email, 1, "Google Ads");
            answered[field] = Value::from(value);
            let refused = app.post_json(Some(&acme.api_key), "/api/v1/call-events", &answered).await;

            // Assert
            let (status, body) = (refused.status(), refused.json::<Value>().await.expect("a JSON error"));
            assert_error(status, &body, 409, "contradicts_call", None);
            assert!(body["message"].as_str().unwrap_or_default().contains(field), "{body}");
        }
        let (_, call) = app.get_json(&acme.manager, "/api/v1/calls/CALL-1").await;
        assert_eq!(call["state"], "ringing", "a refused event changes nothing: {call}");
        assert_eq!(call["caller_e164"], "+14155552671", "{call}");

        // The same facts again are welcome.
        let answered = call_event("CALL-1", "answered", &acme.agent.email, 1, "Google Ads");
        let accepted = app.post_json(Some(&acme.api_key), "/api/v1/call-events", &answered).await;
        assert_eq!(accepted.status(), StatusCode::ACCEPTED);
    }
}

api_test! {
    async fn of_two_racing_events_that_disagree_on_a_new_call_exactly_one_is_kept(app: TestApp) {
        // Arrange: the first two events of each call arrive at once (as a phone system's parallel webhooks do), and
        // they disagree on the caller. The check runs inside the writing transaction, so one of them wins.
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        let pairs = (0..16).map(|index| {
            let call_id = format!("RACE-{index}");
            let ringing = call_event(&call_id, "ringing", &acme.agent.email, 0, "Google Ads");
            let mut answered = call_event(&call_id, "answered", &acme.agent.email, 1, "Google Ads");
            answered["caller_number"] = Value::from("+442071234567");
            (call_id, ringing, answered)
        });

        // Act
        let outcomes = futures_util::future::join_all(pairs.map(|(call_id, ringing, answered)| {
            let app = &app;
            let key = &acme.api_key;
            async move {
                let (first, second) = tokio::join!(
                    app.post_json(Some(key), "/api/v1/call-events", &ringing),
                    app.post_json(Some(key), "/api/v1/call-events", &answered),
                );
                (call_id, first.status(), second.status())
            }
        }))
        .await;

        // Assert
        for (call_id, ringing, answered) in outcomes {
            let mut statuses = [ringing.as_u16(), answered.as_u16()];
            statuses.sort_unstable();
            assert_eq!(statuses, [202, 409], "{call_id}: exactly one of two disagreeing events is kept");
            let (_, call) = app.get_json(&acme.manager, &format!("/api/v1/calls/{call_id}")).await;
            let kept = if ringing == StatusCode::ACCEPTED { ("ringing", "+14155552671") } else { ("answered", "+442071234567") };
            assert_eq!((call["state"].as_str(), call["caller_e164"].as_str()), (Some(kept.0), Some(kept.1)), "{call}");
        }
    }
}
