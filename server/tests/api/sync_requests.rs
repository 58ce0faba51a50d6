//! What a whole call costs in Salesforce requests in legacy mode, and that the saving loses nothing: the Task exists
//! from the ring on, the answer's update waits for the call's end and goes in the same request, and the Task ends
//! Completed with every field an event-by-event sync writes. The engine holds answers as in production (a minute
//! here, far longer than each scenario), so only the call's end can end the hold.

use crate::org::{Linked, org_test};
use callpop_sandbox::faults::{Fault, FaultAction};
use callpop_sandbox::seed::numbers;
use callpop_server::provision;
use serde_json::json;

const REQUESTS: &str = "/services/data/**";

/// Makes the account's agent a user linked to the org's Alex Agent (the Task's owner once they answer); returns
/// the agent's email and their Salesforce user id.
async fn linked_agent(linked: &Linked) -> (String, String) {
    let alex = linked.find("User", "Username", "alex.agent@acme.example");
    let email = format!("linked@{}.test", linked.acme.account.public_id.to_lowercase());
    provision::create_user(
        linked.app.store.as_ref(),
        linked.acme.account.id,
        &email,
        "Alex Agent",
        callpop_core::account::Role::CallAgent,
        "correct horse battery",
        Some(alex.id.as_str()),
    )
    .await
    .expect("creating the agent");
    (email, alex.id.as_str().to_owned())
}

/// Rings `number` for `agent` and lets the engine log the call; returns the requests it cost.
async fn ring(linked: &Linked, call_id: &str, number: &str, agent: &str) -> usize {
    let before = linked.org.request_count(None, REQUESTS);
    linked.event(call_id, "ringing", 0, &json!({ "agent": agent, "caller_number": number })).await;
    linked.settle().await;
    linked.org.request_count(None, REQUESTS) - before
}

/// The agent answers and the engine holds the answer's update; returns the requests that cost.
async fn answer(linked: &Linked, call_id: &str, number: &str, agent: &str) -> usize {
    let before = linked.org.request_count(None, REQUESTS);
    linked.event(call_id, "answered", 1, &json!({ "agent": agent, "caller_number": number })).await;
    linked.wait_until_held(call_id).await;
    linked.org.request_count(None, REQUESTS) - before
}

/// The call ends (95 s, a disposition, a recording) and the engine writes it; returns the requests that cost.
async fn end(linked: &Linked, call_id: &str, number: &str, agent: &str) -> usize {
    let before = linked.org.request_count(None, REQUESTS);
    let end = json!({ "agent": agent, "caller_number": number, "duration_secs": 95, "disposition": "Quote sent",
                      "recording_url": format!("https://recordings.example.com/{call_id}.mp3") });
    linked.event(call_id, "completed", 3, &end).await;
    // `settle` gives up long before the hold ends: the end itself must have ended it.
    linked.settle().await;
    linked.org.request_count(None, REQUESTS) - before
}

/// The fields of a whole call's Task that the answer and the end write.
#[track_caller]
fn assert_ended(linked: &Linked, call_id: &str, owner: &str) {
    let task = linked.the_task_of(call_id);
    assert_eq!(task.text("Status"), Some("Completed"), "{task:?}");
    assert_eq!(task.text("OwnerId"), Some(owner), "{task:?}");
    assert_eq!(task.fields["CallDurationInSeconds"], json!(95));
    assert_eq!(task.text("CallDisposition"), Some("Quote sent"));
    let recording = format!("Recording: https://recordings.example.com/{call_id}.mp3");
    assert!(task.text("Description").is_some_and(|text| text.contains(&recording)), "{task:?}");
    assert_eq!(task.text("TaskSubtype"), Some("Call"));
    assert_eq!(task.text("CallObject"), Some(call_id));
}

org_test! {
    holding async fn a_known_callers_whole_call_costs_a_search_and_two_writes_and_two_writes_when_remembered(linked: Linked) {
        // Arrange: an agent linked to their Salesforce user; the link's first call reads the org's shape and the
        // Campaign once, so a first call from another number goes before the counted ones.
        let (agent, owner) = linked_agent(&linked).await;
        let ada = linked.find("Contact", "LastName", "Lovelace");
        ring(&linked, "CA-WARM", numbers::ONE_LEAD, &agent).await;

        // Act and assert, event by event: the Task exists from the ring on.
        assert_eq!(ring(&linked, "CA-KNOWN-1", numbers::ONE_CONTACT, &agent).await, 2, "{:#?}", linked.org.requests());
        let rung = linked.the_task_of("CA-KNOWN-1");
        assert_eq!(rung.text("Status"), Some("Not Started"));
        assert_eq!(rung.text("WhoId"), Some(ada.id.as_str()));
        assert_eq!(answer(&linked, "CA-KNOWN-1", numbers::ONE_CONTACT, &agent).await, 0);
        assert_eq!(linked.the_task_of("CA-KNOWN-1").id, rung.id, "the Task exists while the call is live");
        assert_eq!(end(&linked, "CA-KNOWN-1", numbers::ONE_CONTACT, &agent).await, 1, "{:#?}", linked.org.requests());
        assert_eq!(linked.the_task_of("CA-KNOWN-1").id, rung.id);
        assert_ended(&linked, "CA-KNOWN-1", &owner);

        // The same caller again within a minute: the search is remembered, so the whole call is two writes.
        let again = ring(&linked, "CA-KNOWN-2", numbers::ONE_CONTACT, &agent).await
            + answer(&linked, "CA-KNOWN-2", numbers::ONE_CONTACT, &agent).await
            + end(&linked, "CA-KNOWN-2", numbers::ONE_CONTACT, &agent).await;
        assert_eq!(again, 2, "{:#?}", linked.org.requests());
        assert_ended(&linked, "CA-KNOWN-2", &owner);
        assert_eq!(linked.the_task_of("CA-KNOWN-2").text("WhoId"), Some(ada.id.as_str()));
    }
}

org_test! {
    holding async fn a_new_callers_whole_call_costs_three_requests_and_makes_one_lead_and_one_task(linked: Linked) {
        // Arrange
        let (agent, owner) = linked_agent(&linked).await;
        ring(&linked, "CA-WARM", numbers::ONE_LEAD, &agent).await;
        let leads_before = linked.org.records("Lead").len();

        // Act
        let rung = ring(&linked, "CA-NEW", numbers::NOBODY, &agent).await;
        let live = linked.the_task_of("CA-NEW");
        let answered = answer(&linked, "CA-NEW", numbers::NOBODY, &agent).await;
        let ended = end(&linked, "CA-NEW", numbers::NOBODY, &agent).await;

        // Assert: the search and the Lead with its Task while the call rang, then one update for the rest.
        assert_eq!((rung, answered, ended), (2, 0, 1), "{:#?}", linked.org.requests());
        assert_eq!(live.text("Status"), Some("Not Started"));
        assert_eq!(linked.org.records("Lead").len(), leads_before + 1);
        let lead = linked.find("Lead", "Phone", numbers::NOBODY);
        assert_eq!(linked.the_task_of("CA-NEW").text("WhoId"), Some(lead.id.as_str()));
        assert_ended(&linked, "CA-NEW", &owner);
    }
}

org_test! {
    holding async fn the_end_of_a_held_call_whose_answer_is_lost_after_commit_is_written_once(linked: Linked) {
        // Arrange: a known caller's call rings and is answered; then the org commits the next write and drops the
        // connection before answering.
        let (agent, owner) = linked_agent(&linked).await;
        ring(&linked, "CA-LOST", numbers::ONE_CONTACT, &agent).await;
        let rung = linked.the_task_of("CA-LOST");
        answer(&linked, "CA-LOST", numbers::ONE_CONTACT, &agent).await;
        linked.org.inject(Fault::on("POST", "/services/data/*/composite", FaultAction::CommitThenDrop).times(1));

        // Act
        end(&linked, "CA-LOST", numbers::ONE_CONTACT, &agent).await;

        // Assert: the update committed, its answer was lost, the replay wrote the same Task again: one Task, ended.
        let dropped = linked.org.requests().iter().filter(|entry| entry.fault.as_deref() == Some("commit_then_drop")).count();
        assert_eq!(dropped, 1);
        assert_eq!(linked.the_task_of("CA-LOST").id, rung.id);
        assert_ended(&linked, "CA-LOST", &owner);
        assert!(linked.sync_log().await.is_empty());
    }
}
