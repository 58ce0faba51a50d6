//! Every event's data reaches Salesforce, in any arrival order and timing: events sent back to back, a recording
//! link sent after the call ended, events that arrive out of order or all at once. Every test asserts the org's
//! records or the stored call.

use crate::org::org_test;
use callpop_sandbox::seed::numbers;
use serde_json::json;

org_test! {
    async fn answered_and_completed_sent_together_always_leave_the_task_completed_with_its_duration(linked: Linked) {
        // Arrange: calls whose Tasks are logged.
        let calls: Vec<String> = (1..=15).map(|n| format!("CA-B2B-{n}")).collect();
        for call in &calls {
            linked.ring(call, numbers::ONE_CONTACT).await;
        }
        linked.settle().await;

        // Act: each call's answered and completed at once, as "End call" and short calls send them.
        let end = json!({ "duration_secs": 125, "disposition": "Quote sent" });
        futures_util::future::join_all(calls.iter().map(|call| {
            let end = end.clone();
            let linked = &linked;
            async move {
                let answered = json!({});
                tokio::join!(linked.event(call, "answered", 1, &answered), linked.event(call, "completed", 3, &end));
            }
        }))
        .await;
        linked.settle().await;

        // Assert: every Task holds the call's end.
        for call in &calls {
            let task = linked.the_task_of(call);
            assert_eq!(task.text("Status"), Some("Completed"), "{call}: {task:?}");
            assert_eq!(task.fields["CallDurationInSeconds"], json!(125), "{call}: {task:?}");
            assert_eq!(task.text("CallDisposition"), Some("Quote sent"), "{call}: {task:?}");
        }
    }
}
