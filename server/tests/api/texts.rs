//! Texts: stored once with their outbox item, listed in the text log, shown to the right people.

use crate::helpers::{api_test, assert_error, text_event};
use callpop_core::account::Plan;
use reqwest::StatusCode;
use serde_json::Value;

api_test! {
    async fn a_text_is_stored_once_with_one_outbox_item_and_listed_for_its_agent(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        let depth_before = app.outbox_depth().await;
        let body = text_event("SMS-1", &acme.agent.email, 0);
        let first = app.post_json(Some(&acme.api_key), "/api/v1/text-events", &body).await;
        assert_eq!(first.status(), StatusCode::ACCEPTED);
        let first: Value = first.json().await.unwrap();
        assert_eq!((first["id"].as_str(), first["duplicate"].as_bool(), first["agent_known"].as_bool()), (Some("SMS-1"), Some(false), Some(true)));
        let retry: Value = app.post_json(Some(&acme.api_key), "/api/v1/text-events", &body).await.json().await.unwrap();
        assert_eq!(retry["duplicate"], true);
        assert_eq!(app.outbox_depth().await - depth_before, 1, "one outbox item for one message, however often sent");
        let (_, page) = app.get_json(&acme.agent, "/api/v1/texts").await;
        let texts = page["texts"].as_array().unwrap();
        assert_eq!(texts.len(), 1);
        assert_eq!(texts[0]["from_number"], "+14155552671", "a local number is stored as E.164");
        assert_eq!(texts[0]["body"], "Can you call me back about the quote?");
        assert_eq!(texts[0]["sync_status"], "pending");
        let (_, none) = app.get_json(&acme.other_agent, "/api/v1/texts").await;
        assert_eq!(none["texts"].as_array().unwrap().len(), 0, "another agent's texts are not a call agent's");
        let (status, body) = app.get_json(&acme.other_agent, "/api/v1/texts/SMS-1").await;
        assert_error(status, &body, 404, "not_found", None);
        let (status, detail) = app.get_json(&acme.manager, "/api/v1/texts/SMS-1").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(detail["salesforce"]["sync_status"], "pending");
        let (status, panel) = app.get_json(&acme.manager, "/api/v1/texts/SMS-1/salesforce").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(panel["trail"].as_array().unwrap().len(), 0);
    }
}
