//! Two servers on one PostgreSQL database, as behind a load balancer. A softphone connected to one server sees at
//! once a call the other stored (`LISTEN`/`NOTIFY`, with streams that would otherwise look only every 60 s), both
//! servers share the outbox and write each call once, and a server killed in the middle of a write loses nothing:
//! the other finishes its item when the lease runs out, and the dead server's late write changes nothing; a live
//! server renews its lease while a slow write runs, so the other never takes its item.
//!
//! This is PostgreSQL's scenario (a SQLite file serves one server), so these tests run on PostgreSQL only; there is
//! no SQLite variant to skip.

use crate::helpers::{Backend, TestApp, call_event, fresh_database, spawn_on};
use crate::org::{Linked, use_org};
use callpop_sandbox::faults::{Fault, FaultAction};
use callpop_sandbox::{Sandbox, SandboxConfig};
use callpop_server::Config;
use callpop_server::salesforce::TokenCipher;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The servers' lease on an outbox item: short, so a dead server's item is taken over within the test.
const LEASE: Duration = Duration::from_secs(2);
/// The streams' poll: long, so a notice from the other server can only arrive in time through `NOTIFY`.
const STREAM_POLL: Duration = Duration::from_secs(60);
/// The path of Salesforce's composite requests, with which callpop writes a call's records.
const COMPOSITE: &str = "/services/data/*/composite";
/// How soon a notice stored by one server must reach a stream on the other.
const AT_ONCE: Duration = Duration::from_secs(1);

/// Server A (`linked.app`, through which the org was linked) and server B, on one database and one org, with no
/// sync worker running: each test starts and stops the workers itself.
struct TwoServers {
    linked: Linked,
    b: TestApp,
}

impl TwoServers {
    async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// The same, with both servers' configuration adjusted by `adjust` too.
    async fn start_with(adjust: impl Fn(&mut Config)) -> Self {
        let org = Sandbox::start(SandboxConfig::default()).await.expect("the local org starts");
        let (url, database) = fresh_database(Backend::Postgres).await;
        let database = Arc::new(database);
        // What every server of a deployment shares: the token key (the tokens in the database are sealed with it)
        // and the connected app.
        let token_key = TokenCipher::generate_key();
        let configure = |config: &mut Config| {
            use_org(config, &org);
            config.token_key = Some(token_key.clone().into());
            config.stream_poll = STREAM_POLL;
            config.sync_timing.lease = LEASE;
            config.no_sync = true;
            adjust(config);
        };
        let a = spawn_on(Backend::Postgres, url.clone(), Arc::clone(&database), &configure).await;
        let b = spawn_on(Backend::Postgres, url, database, &configure).await;
        let linked = Linked::around(a, org).await;
        linked.link().await;
        Self { linked, b }
    }

    fn a(&self) -> &TestApp {
        &self.linked.app
    }

    /// A call from `number` rings for the agent, posted to `server`.
    async fn ring_on(&self, server: &TestApp, call_id: &str, number: &str) {
        let acme = &self.linked.acme;
        let mut body = call_event(call_id, "ringing", &acme.agent.email, 0, "Google Ads");
        body["caller_number"] = json!(number);
        let response = server.post_json(Some(&acme.api_key), "/api/v1/call-events", &body).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{}", response.text().await.unwrap_or_default());
    }

    /// The org's Leads with this phone.
    fn leads_with_phone(&self, phone: &str) -> usize {
        self.linked.org.records("Lead").iter().filter(|lead| lead.text("Phone") == Some(phone)).count()
    }
}

/// An agent's open event stream, read as the softphone reads it.
struct AgentStream {
    response: reqwest::Response,
    buffer: String,
}

impl AgentStream {
    /// Opens the stream on `server` with a fresh ticket and waits for its `ready`.
    async fn open(server: &TestApp, token: &str) -> Self {
        let ticket = server.post_json(Some(token), "/api/v1/agent/stream-tickets", &json!({})).await;
        assert_eq!(ticket.status(), StatusCode::CREATED);
        let ticket: Value = ticket.json().await.expect("a JSON body");
        let ticket = ticket["ticket"].as_str().expect("a ticket");
        let response = server
            .client
            .get(format!("{}/api/v1/agent/stream?ticket={ticket}", server.base))
            .send()
            .await
            .expect("the stream opens");
        assert_eq!(response.status(), StatusCode::OK);
        let mut stream = Self { response, buffer: String::new() };
        assert!(stream.next("ready", Duration::from_secs(10)).await.is_some(), "the stream never said ready");
        stream
    }

    /// The data of the next event named `name` within `within`, or `None`.
    async fn next(&mut self, name: &str, within: Duration) -> Option<String> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |key: &str| {
                    block.lines().find_map(|line| line.strip_prefix(key)).map(|value| value.trim_start().to_owned())
                };
                if field("event:").as_deref() == Some(name) {
                    return Some(field("data:").unwrap_or_default());
                }
            }
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }

    /// Waits for the call's update and returns how long it took from `since`.
    async fn call_arrives(&mut self, call_id: &str, since: Instant) -> Duration {
        loop {
            let data = self.next("call", STREAM_POLL / 2).await;
            let data = data.unwrap_or_else(|| panic!("{call_id} never reached the stream"));
            if data.contains(call_id) {
                return since.elapsed();
            }
        }
    }
}

/// Ends the listening connections of both servers, as a network blip or a PostgreSQL restart would, and waits until
/// both listen again on new connections.
async fn drop_the_listeners(server: &TestApp) {
    let (url, schema) = server.postgres().expect("a PostgreSQL test");
    let pool = sqlx::PgPool::connect(url).await.expect("PostgreSQL answers");
    // The test harness names each server's connections after its schema.
    let in_schema = "SELECT pid FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND application_name = $1";
    let before: Vec<i32> = sqlx::query_scalar(in_schema).bind(schema).fetch_all(&pool).await.expect("the listeners");
    assert_eq!(before.len(), 2, "each server listens once: {before:?}");
    for pid in &before {
        sqlx::query("SELECT pg_terminate_backend($1)").bind(pid).execute(&pool).await.expect("terminating");
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now: Vec<i32> = sqlx::query_scalar(in_schema).bind(schema).fetch_all(&pool).await.expect("the listeners");
        if now.len() == 2 && now.iter().all(|pid| !before.contains(pid)) {
            return;
        }
        assert!(Instant::now() < deadline, "the servers did not listen again: {before:?} then {now:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_softphone_on_one_server_sees_at_once_a_call_the_other_stored() {
    // Arrange: the agent's softphone is connected to server A.
    let servers = TwoServers::start().await;
    let acme = &servers.linked.acme;
    let mut stream = AgentStream::open(servers.a(), &acme.agent.token).await;

    // Act: the telephony side's event reaches server B.
    servers.ring_on(&servers.b, "CA-ON-B", "+14155550123").await;
    let stored = Instant::now();

    // Assert: the stream on A shows it well before its 60 s poll (counted from B's 202, which follows its commit).
    let waited = stream.call_arrives("CA-ON-B", stored).await;
    assert!(waited < AT_ONCE, "the call reached server A's stream after {waited:?}");

    // Act: the servers' listening connections drop; they connect again by themselves.
    drop_the_listeners(servers.a()).await;
    servers.ring_on(&servers.b, "CA-AFTER-DROP", "+14155550123").await;
    let stored = Instant::now();

    // Assert
    let waited = stream.call_arrives("CA-AFTER-DROP", stored).await;
    assert!(waited < AT_ONCE, "after the reconnection, the call reached server A's stream after {waited:?}");
}

#[tokio::test]
async fn calls_stored_on_either_server_are_written_once_while_both_servers_sync() {
    // Arrange: both servers' workers run.
    let servers = TwoServers::start().await;
    let _workers = [servers.a().sync.spawn(), servers.b.sync.spawn()].map(AbortOnDrop);
    let numbers = ["+14155550191", "+14155550192", "+14155550193", "+14155550194"];

    // Act: twelve calls, three from each new caller, stored alternately by B and A.
    let mut calls = Vec::new();
    for round in 0..3 {
        for (index, number) in numbers.iter().enumerate() {
            let call_id = format!("CA-{round}-{index}");
            let server = if (round + index) % 2 == 0 { &servers.b } else { servers.a() };
            servers.ring_on(server, &call_id, number).await;
            calls.push(call_id);
        }
    }
    servers.linked.settle().await;

    // Assert: one Task per call, one Lead per caller, nothing refused, nothing left.
    for call in &calls {
        servers.linked.the_task_of(call);
    }
    for number in numbers {
        assert_eq!(servers.leads_with_phone(number), 1, "Leads for {number}");
    }
    assert!(servers.linked.sync_log().await.is_empty());
    assert_eq!(servers.a().outbox_depth().await, 0);
}

#[tokio::test]
async fn a_server_killed_in_the_middle_of_a_write_loses_nothing_the_other_finishes_after_the_lease() {
    // Arrange: only server A syncs; the org runs A's first write 4 s late (it lands even though A is gone).
    let servers = TwoServers::start().await;
    let org = &servers.linked.org;
    org.inject(Fault::on("POST", COMPOSITE, FaultAction::SlowCommit { ms: 4_000 }).times(1));
    let a_worker = servers.a().sync.spawn();
    servers.ring_on(&servers.b, "CA-KILLED", "+14155550195").await;
    let in_flight = |org: &Sandbox| org.requests().iter().any(|entry| entry.fault.as_deref() == Some("slow_commit"));
    servers.linked.wait_for_org("server A's write under way", in_flight).await;

    // Act: server A's worker dies with the item leased; server B's starts.
    a_worker.abort();
    let killed = Instant::now();
    let _b_worker = AbortOnDrop(servers.b.sync.spawn());
    servers.linked.settle().await;
    let recovered = killed.elapsed();

    // Assert: B waited for the lease (A renewed it every third of it), then finished the call.
    assert!(recovered >= LEASE / 2, "B took the item {recovered:?} after A died, before the lease ran out");
    assert!(recovered < LEASE + Duration::from_secs(5), "B took {recovered:?} to finish A's item");
    servers.linked.the_task_of("CA-KILLED");
    assert_eq!(servers.leads_with_phone("+14155550195"), 1);

    // Act: the dead server's write lands (it upserts the Lead B created again).
    let landed = |org: &Sandbox| {
        org.records("Lead").iter().any(|lead| {
            lead.text("Phone") == Some("+14155550195") && lead.text("LastModifiedDate") != lead.text("CreatedDate")
        })
    };
    servers.linked.wait_for_org("server A's late write", landed).await;

    // Assert: it wrote the same records again: still one Task and one Lead, nothing refused, nothing left.
    let task = servers.linked.the_task_of("CA-KILLED");
    assert_eq!(task.text("Call_Id__c"), Some("CA-KILLED"));
    assert_eq!(servers.leads_with_phone("+14155550195"), 1);
    assert!(servers.linked.sync_log().await.is_empty());
    assert_eq!(servers.a().outbox_depth().await, 0);
}

#[tokio::test]
async fn a_write_that_outlasts_the_lease_is_left_to_the_server_making_it() {
    // Arrange: both servers sync; the org takes 5 s (two and a half leases) over the call's write, and the servers
    // wait up to 15 s for an answer.
    let servers = TwoServers::start_with(|config| config.sync_timing.request_timeout = Duration::from_secs(15)).await;
    let org = &servers.linked.org;
    org.inject(Fault::on("POST", COMPOSITE, FaultAction::SlowCommit { ms: 5_000 }).times(1));
    let _workers = [servers.a().sync.spawn(), servers.b.sync.spawn()].map(AbortOnDrop);

    // Act
    servers.ring_on(servers.a(), "CA-LONG-WRITE", "+14155550196").await;
    servers.linked.settle().await;

    // Assert: the server making the write renewed its lease while it waited, so the other never took the item: the
    // write went to Salesforce once, and the call has its one Task on one Lead.
    assert_eq!(org.request_count(Some("POST"), COMPOSITE), 1, "{:#?}", org.requests());
    servers.linked.the_task_of("CA-LONG-WRITE");
    assert_eq!(servers.leads_with_phone("+14155550196"), 1);
}

/// A worker that stops when the test ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
