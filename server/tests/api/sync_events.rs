//! Every event's data reaches Salesforce, in any arrival order and timing: events sent back to back, a recording
//! link sent after the call ended, events that arrive out of order or all at once. Every test asserts the org's
//! records or the stored call.

use crate::database_proxy::DatabaseProxy;
use crate::helpers::{Backend, TestApp, fresh_database, spawn_on};
use crate::org::{Linked, org_test, use_org};
use callpop_sandbox::seed::numbers;
use callpop_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};
use std::sync::Arc;

/// What the phone system sends at a call's end in these tests.
fn the_end() -> Value {
    json!({ "duration_secs": 125, "disposition": "Quote sent" })
}

/// Asserts that the call's one Task holds `the_end`.
#[track_caller]
fn assert_the_task_holds_the_end(linked: &Linked, call: &str) {
    let task = linked.the_task_of(call);
    assert_eq!(task.text("Status"), Some("Completed"), "{call}: {task:?}");
    assert_eq!(task.fields["CallDurationInSeconds"], json!(125), "{call}: {task:?}");
    assert_eq!(task.text("CallDisposition"), Some("Quote sent"), "{call}: {task:?}");
}

org_test! {
    async fn answered_and_completed_sent_together_always_leave_the_task_completed_with_its_duration(linked: Linked) {
        // Arrange: calls whose Tasks are logged.
        let calls: Vec<String> = (1..=40).map(|n| format!("CA-B2B-{n}")).collect();
        for call in &calls {
            linked.ring(call, numbers::ONE_CONTACT).await;
        }
        linked.settle().await;

        // Act: each call's answered and completed at once, as "End call" and short calls send them. (Which of the
        // many interleavings happens is luck; the test below makes the one that broke happen every run.)
        let end = the_end();
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
            assert_the_task_holds_the_end(&linked, call);
        }
    }
}

/// The statement with which legacy mode collects a call's later events waiting in the outbox, to fold them into the
/// Task's one write (`SyncStore::pending_items_of_call`).
const A_CALLS_WAITING_EVENTS: &str = "WHERE call_row_id = $1 AND id > $2";

/// The race of back-to-back events, every run: the worker syncing a call's `answered` reads the call and collects
/// its later events; `completed` commits between the two reads. (Read in the other order, the call lacked the end
/// that the collected event was then marked done for: the Task stayed without its duration and disposition.)
///
/// PostgreSQL only: the statement is held on its way to the database by a proxy, and SQLite has no wire to hold.
mod the_end_that_commits_while_the_worker_collects_a_calls_later_events_reaches_the_task {
    use super::*;

    #[tokio::test]
    async fn on_postgres() {
        // Arrange: the application's database behind the proxy; a call whose Task is logged.
        let org = Sandbox::start(SandboxConfig::default()).await.expect("the local org starts");
        let (url, database) = fresh_database(Backend::Postgres).await;
        let proxy = DatabaseProxy::start(&url).await;
        let app =
            spawn_on(Backend::Postgres, proxy.url.clone(), Arc::new(database), |config| use_org(config, &org)).await;
        let linked = Linked::around(app, org).await;
        linked.link().await;
        linked.ring("CA-HELD", numbers::ONE_CONTACT).await;
        linked.settle().await;

        // Act: the worker syncs the answer; its look for the call's later events waits while the end commits.
        let mut collecting = proxy.hold_next(A_CALLS_WAITING_EVENTS);
        linked.event("CA-HELD", "answered", 1, &json!({})).await;
        collecting.reached().await;
        linked.event("CA-HELD", "completed", 3, &the_end()).await;
        collecting.release();
        linked.settle().await;

        // Assert
        assert_the_task_holds_the_end(&linked, "CA-HELD");
    }
}

org_test! {
    async fn a_recording_link_sent_after_the_call_ended_reaches_the_task(linked: Linked) {
        // Arrange: a call that ended, logged without its recording.
        linked.ring("CA-REC", numbers::ONE_CONTACT).await;
        linked.event("CA-REC", "completed", 2, &json!({ "duration_secs": 61 })).await;
        linked.settle().await;
        assert!(linked.the_task_of("CA-REC").text("Description").is_none_or(|text| !text.contains("Recording:")));

        // Act: the phone system sends the end again, now with the recording link.
        linked.event("CA-REC", "completed", 2, &json!({ "duration_secs": 61, "recording_url": "https://recordings.example.com/CA-REC.mp3" })).await;
        linked.settle().await;

        // Assert: the same Task holds it; a plain repeat of the event changes nothing.
        let task = linked.the_task_of("CA-REC");
        assert!(task.text("Description").is_some_and(|text| text.contains("Recording: https://recordings.example.com/CA-REC.mp3")), "{task:?}");
        assert_eq!(task.fields["CallDurationInSeconds"], json!(61));
        let items_before = linked.app.store.sync_log(linked.acme.account.id, &["done"], 50).await.unwrap().len();
        linked.event("CA-REC", "completed", 2, &json!({ "duration_secs": 61, "recording_url": "https://recordings.example.com/CA-REC.mp3" })).await;
        assert_eq!(linked.app.store.sync_log(linked.acme.account.id, &["done", "pending"], 50).await.unwrap().len(), items_before);
    }
}

org_test! {
    async fn a_ringing_event_that_arrives_after_answered_sets_when_the_call_started(linked: Linked) {
        // Act: the answer arrives first, then the ringing it followed.
        linked.event("CA-ORDER", "answered", 1, &json!({})).await;
        linked.event("CA-ORDER", "ringing", 0, &json!({})).await;
        linked.settle().await;

        // Assert: the call started when it rang, and is still answered.
        let call = linked.app.store.call_by_call_id(linked.acme.account.id, "CA-ORDER").await.unwrap().unwrap();
        assert_eq!(call.started_at.to_rfc3339(), chrono::DateTime::parse_from_rfc3339(&crate::helpers::at(0)).unwrap().to_rfc3339());
        assert_eq!(call.state, callpop_core::call::CallState::Answered);
        assert_eq!(linked.the_task_of("CA-ORDER").text("Status"), Some("In Progress"));
    }
}

org_test! {
    async fn many_concurrent_first_events_of_one_call_are_all_accepted_and_make_one_call(linked: Linked) {
        // Arrange: on PostgreSQL, every request may read the calls table but none may insert until several wait:
        // they all find no call, and all insert it at once.
        let inserts_held = InsertsHeld::on(&linked.app).await;

        // Act: the phone system's retries of one call's events, all at once.
        let kinds = ["ringing", "answered", "completed"];
        let events = futures_util::future::join_all((0..60).map(|n| {
            let kind = kinds[n % 3];
            let mut body = crate::helpers::call_event("CA-STORM", kind, &linked.acme.agent.email, 0, "Google Ads");
            body["duration_secs"] = json!(30);
            let linked = &linked;
            async move { linked.app.post_json(Some(&linked.acme.api_key), "/api/v1/call-events", &body).await.status() }
        }));
        let release = async {
            if let Some(inserts_held) = inserts_held {
                inserts_held.release_when_waiting(INSERTS_RACING).await;
            }
        };
        let (responses, ()) = tokio::join!(events, release);

        // Assert: no 500; one call, completed, with one Task.
        assert!(responses.iter().all(|status| *status == reqwest::StatusCode::ACCEPTED), "{responses:?}");
        linked.settle().await;
        let call = linked.app.store.call_by_call_id(linked.acme.account.id, "CA-STORM").await.unwrap().unwrap();
        assert_eq!(call.state, callpop_core::call::CallState::Completed);
        assert_eq!(linked.the_task_of("CA-STORM").text("Status"), Some("Completed"));
    }
}

/// How many first events of one call wait to insert it together: more than the one that can.
const INSERTS_RACING: i64 = 6;

/// A transaction of the test's holding PostgreSQL's `SHARE ROW EXCLUSIVE` lock on the app's `calls` table: reads go
/// on, inserts wait.
struct InsertsHeld {
    lock: sqlx::Transaction<'static, sqlx::Postgres>,
    observer: sqlx::PgPool,
    schema: String,
}

impl InsertsHeld {
    /// Takes the lock on `app`'s database; `None` on SQLite, whose writers take turns.
    async fn on(app: &TestApp) -> Option<Self> {
        let (url, schema) = app.postgres()?;
        let observer = sqlx::PgPool::connect(url).await.expect("PostgreSQL answers");
        let mut lock = observer.begin().await.expect("a transaction");
        sqlx::query(sqlx::AssertSqlSafe(format!("LOCK TABLE {schema}.calls IN SHARE ROW EXCLUSIVE MODE")))
            .execute(&mut *lock)
            .await
            .expect("the lock on the calls table");
        Some(Self { lock, observer, schema: schema.to_owned() })
    }

    /// Waits until `count` of the app's transactions wait for the lock, then lets them all go at once.
    async fn release_when_waiting(self, count: i64) {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_locks JOIN pg_stat_activity USING (pid)
                 WHERE NOT pg_locks.granted AND pg_stat_activity.application_name = $1
                   AND pg_locks.relation = to_regclass($1 || '.calls')",
            )
            .bind(&self.schema)
            .fetch_one(&self.observer)
            .await
            .expect("reading PostgreSQL's locks");
            if waiting >= count {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "only {waiting} events waited to insert the call");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        self.lock.commit().await.expect("releasing the lock");
    }
}

org_test! {
    async fn a_campaign_the_org_lacks_is_a_step_of_the_calls_audit_trail(linked: Linked) {
        // Act
        linked.event("CA-NO-CAMPAIGN", "ringing", 0, &json!({ "caller_number": numbers::ONE_CONTACT, "campaign": "Winter Promo" })).await;
        linked.settle().await;

        // Assert: the Task is logged; the panel says why the call joined no Campaign.
        assert_eq!(linked.tasks_of("CA-NO-CAMPAIGN").len(), 1);
        let panel = linked.panel("CA-NO-CAMPAIGN").await.to_string();
        assert!(panel.contains("CAMPAIGN_NOT_FOUND") && panel.contains("Winter Promo"), "{panel}");
    }
}

org_test! {
    async fn a_call_no_trigger_handles_is_in_the_sync_log_with_the_reason(linked: Linked) {
        // Arrange: triggers mode, and the account's only trigger is for texts.
        linked.use_triggers(&[json!({"name": "Texts", "event": "text_received", "actions": [
            {"type": "find_or_create", "object": "Contact", "fields": {"LastName": "Texter"}}]})]).await;

        // Act
        linked.ring("CA-UNHANDLED", numbers::ONE_CONTACT).await;
        linked.event("CA-UNHANDLED", "completed", 1, &json!({ "duration_secs": 12 })).await;
        linked.settle().await;

        // Assert: nothing written, the call parked with the reason, not pending.
        assert!(linked.tasks_of("CA-UNHANDLED").is_empty());
        let log = linked.sync_log().await;
        assert_eq!(log.len(), 1, "{log:#?}");
        assert_eq!(log[0]["subject"], "CA-UNHANDLED");
        assert_eq!(log[0]["status"], "parked");
        assert_eq!(log[0]["error"]["code"], "NO_TRIGGER");
        let call = linked.app.store.call_by_call_id(linked.acme.account.id, "CA-UNHANDLED").await.unwrap().unwrap();
        assert_ne!(call.sync_status, callpop_server::model::SyncStatus::Pending);
    }
}

org_test! {
    async fn a_find_or_create_that_maps_no_phone_still_finds_the_callers_lead_next_time(linked: Linked) {
        // Arrange: a trigger whose new Lead names no Phone field; the search index lags.
        linked.org.update_settings(|settings| settings.search_index_lag_ms = 3_000);
        linked.use_triggers(&[json!({"name": "Leads", "event": "call_started", "actions": [
            {"type": "find_or_create", "object": "Lead", "fields": {"LastName": "Caller", "Company": "[not provided]"}},
            {"type": "log_task", "fields": {}}]})]).await;

        // Act: the same new caller twice.
        linked.ring("CA-NOPHONE-1", numbers::NOBODY).await;
        linked.settle().await;
        linked.ring("CA-NOPHONE-2", numbers::NOBODY).await;
        linked.settle().await;

        // Assert: one Lead, with the caller's number, holding both calls' Tasks.
        let lead = linked.find("Lead", "Phone", numbers::NOBODY);
        for call in ["CA-NOPHONE-1", "CA-NOPHONE-2"] {
            assert_eq!(linked.the_task_of(call).text("WhoId"), Some(lead.id.as_str()), "{call}");
        }
    }
}

org_test! {
    async fn after_a_validation_rule_refuses_the_lead_the_agents_saved_lead_gets_the_task_and_nothing_is_doubled(linked: Linked) {
        // Arrange: the org requires an email on every Lead, so callpop's new Lead is refused.
        linked.org.add_validation_rule(callpop_sandbox::seed::lead_needs_email()).expect("a valid rule");
        let leads_before = linked.org.records("Lead").len();
        linked.ring("CA-SAVED", numbers::NOBODY).await;
        linked.settle().await;
        assert_eq!(linked.sync_log().await.len(), 1);

        // Act: the agent saves the Lead in Salesforce with an email, and the softphone appends the call to it.
        let saved = linked.insert("Lead", &json!({ "LastName": "Curie", "Company": "Radium", "Email": "marie@example.com", "Phone": numbers::NOBODY }));
        linked.append("CA-SAVED", &saved, "Lead", "new_record").await;
        linked.settle().await;

        // Assert: the call's one Task is on the agent's Lead, and the refused item went through without creating.
        assert_eq!(linked.the_task_of("CA-SAVED").text("WhoId"), Some(saved.as_str()));
        assert_eq!(linked.org.records("Lead").len(), leads_before + 1);
        assert!(linked.sync_log().await.is_empty());

        // Act: the admin relaxes the rule and retries everything.
        linked.org.remove_validation_rule("Lead_Needs_Email");
        let retried = linked.app.post_json(Some(&linked.acme.admin.token), "/api/v1/sync-log/retry", &json!({})).await;
        assert!(retried.status().is_success(), "{}", retried.status());
        linked.settle().await;

        // Assert: still one Lead more and one Task.
        assert_eq!(linked.org.records("Lead").len(), leads_before + 1);
        assert_eq!(linked.the_task_of("CA-SAVED").text("WhoId"), Some(saved.as_str()));
    }
}
