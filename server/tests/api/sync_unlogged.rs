//! With legacy mode off, a call the agent's softphone popped but never logged (its page closed, or kept nothing
//! across a reload) is logged by callpop's own rule once the grace period after its end has passed; the audit trail
//! says which rule and why. A call the softphone did log, or that nobody popped, is left as it is.

use crate::org::{Linked, org_test};
use callpop_sandbox::seed::numbers;
use reqwest::StatusCode;
use serde_json::{Value, json};

impl Linked {
    /// The agent's softphone claims the call's pop, as when the agent presses Answer.
    async fn pop(&self, call_id: &str) {
        let path = format!("/api/v1/agent/calls/{call_id}/pop");
        let response = self.app.post_json(Some(&self.acme.agent.token), &path, &json!({})).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.json::<Value>().await.unwrap()["claimed"], true);
    }

    /// The details of the call's audit trail, in order.
    async fn audit_details(&self, call_id: &str) -> Vec<String> {
        let panel = self.panel(call_id).await;
        let steps = panel["trail"].as_array().cloned().unwrap_or_default();
        steps.iter().filter_map(|step| step["detail"].as_str().map(str::to_owned)).collect()
    }
}

org_test! {
    async fn a_popped_call_without_an_append_is_logged_by_the_servers_rule_after_the_grace_period(linked: Linked) {
        // Arrange: triggers decide (legacy off), and the account has none.
        linked.set_options(&json!({ "legacy_mode": false })).await;
        let ada = linked.find("Contact", "LastName", "Lovelace");

        // Act: Ada's call is answered and popped, then ends; the softphone's append never arrives.
        linked.ring("CA-LOST-1", numbers::ONE_CONTACT).await;
        linked.pop("CA-LOST-1").await;
        linked.event("CA-LOST-1", "completed", 3, &json!({ "caller_number": numbers::ONE_CONTACT, "duration_secs": 95 })).await;
        linked.settle().await;

        // Assert: one Task on Ada, and the trail says why callpop chose her.
        let task = linked.the_task_of("CA-LOST-1");
        assert_eq!(task.text("WhoId"), Some(ada.id.as_str()));
        let details = linked.audit_details("CA-LOST-1").await;
        let why = details.iter().position(|detail| detail.starts_with("callpop's own rule: the agent's softphone popped this call but sent no record"));
        let rule = details.iter().position(|detail| detail == "single match");
        assert!(matches!((why, rule), (Some(why), Some(rule)) if why < rule), "{details:#?}");
    }
}

org_test! {
    async fn a_call_the_softphone_logged_or_nobody_popped_is_left_to_the_softphone_and_the_triggers(linked: Linked) {
        linked.set_options(&json!({ "legacy_mode": false })).await;
        let turing = linked.find("Lead", "LastName", "Turing");

        // The softphone's append arrives after the call ended, within the grace period: its record gets the Task.
        linked.ring("CA-KEPT-1", numbers::ONE_CONTACT).await;
        linked.pop("CA-KEPT-1").await;
        linked.event("CA-KEPT-1", "completed", 3, &json!({ "caller_number": numbers::ONE_CONTACT })).await;
        linked.append("CA-KEPT-1", turing.id.as_str(), "Lead", "agent_choice").await;
        // A call nobody answered: no softphone popped it, so only triggers could log it.
        linked.ring("CA-MISSED-1", numbers::ONE_LEAD).await;
        linked.event("CA-MISSED-1", "completed", 1, &json!({ "caller_number": numbers::ONE_LEAD })).await;
        linked.settle().await;

        assert_eq!(linked.the_task_of("CA-KEPT-1").text("WhoId"), Some(turing.id.as_str()));
        let details = linked.audit_details("CA-KEPT-1").await;
        assert!(details.iter().all(|detail| !detail.starts_with("callpop's own rule")), "{details:#?}");
        assert!(linked.tasks_of("CA-MISSED-1").is_empty());
    }
}
