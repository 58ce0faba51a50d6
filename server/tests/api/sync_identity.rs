//! One identity per call: whatever Salesforce does with a write (loses its answer, commits it after callpop gave
//! up, keeps it out of the search index for seconds), a call ends with one Task, and a caller's number with the one
//! Lead callpop created for it. In orgs with callpop's external-id fields (Task `Call_Id__c`, Lead `Callpop_Id__c`)
//! and in orgs without them. Every test asserts the org's records.

use crate::org::{Linked, org_test};
use callpop_sandbox::faults::{Fault, FaultAction};
use callpop_sandbox::seed::numbers;
use std::time::Duration;

const COMPOSITE: &str = "/services/data/*/composite";
const SEARCH: &str = "/services/data/*/search/";

/// The org's Leads with this phone.
fn leads_with_phone(linked: &Linked, phone: &str) -> Vec<callpop_sandbox::org::Record> {
    linked.org.records("Lead").into_iter().filter(|lead| lead.text("Phone") == Some(phone)).collect()
}

/// Asserts one Lead for `phone` and each call's one Task on it.
#[track_caller]
fn one_lead_with_each_calls_task(linked: &Linked, phone: &str, calls: &[&str]) {
    let leads = leads_with_phone(linked, phone);
    assert_eq!(leads.len(), 1, "{leads:#?}");
    for call in calls {
        assert_eq!(linked.the_task_of(call).text("WhoId"), Some(leads[0].id.as_str()), "{call}");
    }
}

/// A write whose answer is lost, and the same caller calling again 80 ms later, while the first call's replay
/// is still failing.
async fn lost_answer_then_the_same_caller_again(linked: &Linked) {
    // Arrange: the first composite commits, then the connection drops; the searches after the first fail for a
    // while (the org is struggling), so the first call is still being retried when the second arrives.
    linked.org.inject(Fault::on("POST", COMPOSITE, FaultAction::CommitThenDrop).times(1));
    linked.org.inject(Fault::on("GET", SEARCH, FaultAction::ServiceUnavailable).after(1).times(4));

    // Act
    linked.ring("CA-LOST-1", numbers::NOBODY).await;
    linked
        .wait_for_org("the first call's Lead", |org| {
            org.records("Lead").iter().any(|lead| lead.text("Phone") == Some(numbers::NOBODY))
        })
        .await;
    tokio::time::sleep(Duration::from_millis(80)).await;
    linked.ring("CA-LOST-2", numbers::NOBODY).await;
    linked.settle().await;

    // Assert
    one_lead_with_each_calls_task(linked, numbers::NOBODY, &["CA-LOST-1", "CA-LOST-2"]);
    assert!(linked.sync_log().await.is_empty());
}

org_test! {
    async fn a_lost_answer_and_the_same_caller_80_ms_later_make_one_lead_and_one_task_per_call(linked: Linked) {
        lost_answer_then_the_same_caller_again(&linked).await;
    }
}

org_test! {
    async fn without_callpops_id_fields_a_lost_answer_and_a_repeat_caller_still_make_one_lead(linked: Linked) {
        linked.org.set_task_call_id_field(false);
        linked.org.set_lead_callpop_id_field(false);
        lost_answer_then_the_same_caller_again(&linked).await;
    }
}

org_test! {
    async fn a_lost_answer_while_the_search_index_lags_makes_one_lead_for_a_repeat_caller(linked: Linked) {
        linked.org.update_settings(|settings| settings.search_index_lag_ms = 3_000);
        lost_answer_then_the_same_caller_again(&linked).await;
    }
}

org_test! {
    async fn a_repeat_caller_while_the_search_index_lags_three_seconds_gets_no_second_lead(linked: Linked) {
        // Arrange: Salesforce's search does not see records younger than 3 s.
        linked.org.update_settings(|settings| settings.search_index_lag_ms = 3_000);
        linked.org.set_task_call_id_field(false);
        linked.org.set_lead_callpop_id_field(false);

        // Act: a new caller, then the same caller again at once, then a third time.
        for call in ["CA-LAG-1", "CA-LAG-2", "CA-LAG-3"] {
            linked.ring(call, numbers::NOBODY).await;
            linked.settle().await;
        }

        // Assert
        one_lead_with_each_calls_task(&linked, numbers::NOBODY, &["CA-LAG-1", "CA-LAG-2", "CA-LAG-3"]);
    }
}

org_test! {
    async fn a_write_that_commits_after_callpop_gave_up_is_not_made_twice_by_the_retry(linked: Linked) {
        // Arrange: the org runs the first composite 4.5 s late, after callpop's 3 s timeout; the retry goes first.
        linked.org.inject(Fault::on("POST", COMPOSITE, FaultAction::SlowCommit { ms: 4_500 }).times(1));

        // Act
        linked.ring("CA-SLOW", numbers::NOBODY).await;
        linked.settle().await;

        // Assert: the retry logged the call while the first write was still running.
        let slow = linked.org.requests().into_iter().find(|entry| entry.fault.as_deref() == Some("slow_commit"));
        assert!(slow.is_some_and(|entry| entry.status.is_none()), "{:#?}", linked.org.requests());
        one_lead_with_each_calls_task(&linked, numbers::NOBODY, &["CA-SLOW"]);

        // Act: the first write lands (it upserts the Lead again).
        linked.wait_for_org("the late write", |org| {
            org.records("Lead").iter().any(|lead| {
                lead.text("Phone") == Some(numbers::NOBODY) && lead.text("LastModifiedDate") != lead.text("CreatedDate")
            })
        })
        .await;

        // Assert: still one Lead, keyed by the call, and one Task.
        one_lead_with_each_calls_task(&linked, numbers::NOBODY, &["CA-SLOW"]);
        let lead = &leads_with_phone(&linked, numbers::NOBODY)[0];
        assert_eq!(lead.text("Callpop_Id__c"), Some("CA-SLOW"));
        assert_eq!(linked.the_task_of("CA-SLOW").text("Call_Id__c"), Some("CA-SLOW"));
    }
}
