//! The sync engine's harness: the application linked to a local org (`callpop-sandbox`) the way an administrator
//! links a real one — `POST /api/v1/salesforce/connection`, the org's authorize page, the callback — and helpers to
//! wait for the engine and read what it wrote in the org.
//!
//! `org_test!` runs a scenario on SQLite and on PostgreSQL, each with its own org.

use crate::helpers::{Backend, TestAccount, TestApp, spawn_app_with};
use callpop_core::account::Plan;
use callpop_sandbox::oauth::ConnectedApp;
use callpop_sandbox::org::Record;
use callpop_sandbox::settings::Approval;
use callpop_sandbox::{Sandbox, SandboxConfig};
use callpop_server::Config;
use callpop_server::sync::link::callback_url;
use reqwest::StatusCode;
use serde_json::{Map, Value, json};
use std::time::Duration;

/// Runs an async scenario `async fn name(linked: Linked) { … }` once per backend, each with a fresh org.
/// Written `unlinked async fn …`, the scenario starts before the administrator has linked the org; written
/// `holding async fn …`, the engine holds an answer's Task update for a minute (`Linked::HELD_ANSWER`), as in
/// production, instead of the fast pace's moment.
macro_rules! org_test {
    ($(#[$meta:meta])* async fn $name:ident($linked:ident: Linked) $body:block) => {
        $crate::org::org_test!(@with start $(#[$meta])* async fn $name($linked: Linked) $body);
    };
    ($(#[$meta:meta])* unlinked async fn $name:ident($linked:ident: Linked) $body:block) => {
        $crate::org::org_test!(@with unlinked $(#[$meta])* async fn $name($linked: Linked) $body);
    };
    ($(#[$meta:meta])* holding async fn $name:ident($linked:ident: Linked) $body:block) => {
        $crate::org::org_test!(@with holding $(#[$meta])* async fn $name($linked: Linked) $body);
    };
    (@with $start:ident $(#[$meta:meta])* async fn $name:ident($linked:ident: Linked) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn scenario($linked: $crate::org::Linked) $body
            #[tokio::test]
            async fn on_sqlite() {
                scenario($crate::org::Linked::$start($crate::helpers::Backend::Sqlite).await).await;
            }
            #[tokio::test]
            async fn on_postgres() {
                scenario($crate::org::Linked::$start($crate::helpers::Backend::Postgres).await).await;
            }
        }
    };
}
pub(crate) use org_test;

const CLIENT_ID: &str = "3MVG9callpop.tests.connected.app";
const CLIENT_SECRET: &str = "callpop-tests-consumer-secret";

/// How long the engine may take to settle before a test gives up and shows what is stuck. Generous: it bounds a
/// failure's wait, it is not a speed goal (those live in `cargo xtask bench`).
const SETTLE_LIMIT: Duration = Duration::from_secs(30);

/// An Enterprise account (legacy mode on) whose org is linked.
pub(crate) struct Linked {
    pub(crate) app: TestApp,
    pub(crate) org: Sandbox,
    pub(crate) acme: TestAccount,
}

impl Linked {
    /// A seeded org, the application configured with a connected app on it, and an account linked through OAuth.
    pub(crate) async fn start(backend: Backend) -> Self {
        let linked = Self::unlinked(backend).await;
        linked.link().await;
        linked
    }

    /// How long the engine holds an answer's Task update in a `holding` scenario: far longer than the scenario, and
    /// than `settle` waits, so only a later event of the call ends the hold.
    pub(crate) const HELD_ANSWER: Duration = Duration::from_secs(60);

    /// A linked org whose engine holds an answer's Task update for `HELD_ANSWER`.
    pub(crate) async fn holding(backend: Backend) -> Self {
        let org = Sandbox::start(SandboxConfig::default()).await.expect("the local org starts");
        let app = spawn_app_with(backend, |config| {
            use_org(config, &org);
            config.sync_timing.answer_hold = Self::HELD_ANSWER;
        })
        .await;
        let linked = Self::around(app, org).await;
        linked.link().await;
        linked
    }

    /// The same, but the account's org is not linked yet.
    pub(crate) async fn unlinked(backend: Backend) -> Self {
        let org = Sandbox::start(SandboxConfig::default()).await.expect("the local org starts");
        let app = spawn_app_with(backend, |config| use_org(config, &org)).await;
        Self::around(app, org).await
    }

    /// An account of `app` on `org`, not linked yet: the connected app registered on the org for `app`'s callback.
    pub(crate) async fn around(app: TestApp, org: Sandbox) -> Self {
        org.register_connected_app(ConnectedApp {
            client_id: CLIENT_ID.to_owned(),
            client_secret: CLIENT_SECRET.to_owned(),
            redirect_uris: vec![callback_url(&app.base)],
            ..ConnectedApp::default_app()
        });
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        let linked = Self { app, org, acme };
        linked.set_options(&json!({ "legacy_mode": true })).await;
        linked
    }

    /// Links the account's org as its administrator does, and checks the console reports it linked.
    pub(crate) async fn link(&self) {
        assert_eq!(self.allow_access().await, "/console/salesforce?linked=1");
        let (status, connection) = self.app.get_json(&self.acme.admin, "/api/v1/salesforce/connection").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(connection["status"], "connected", "{connection}");
    }

    /// The administrator starts linking, allows access on the org's page and is sent back to the console: the
    /// console page callpop sends them to (`?linked=1`, or `?error=` and the reason).
    pub(crate) async fn allow_access(&self) -> String {
        let started =
            self.app.post_json(Some(&self.acme.admin.token), "/api/v1/salesforce/connection", &json!({})).await;
        assert_eq!(started.status(), StatusCode::CREATED, "{}", started.text().await.unwrap_or_default());
        let authorize_url = started.json::<Value>().await.expect("a JSON body")["authorize_url"]
            .as_str()
            .expect("an authorize URL")
            .to_owned();
        // The admin clicks "Allow" on the org's page; the org then sends the browser to callpop's callback.
        self.org.update_settings(|settings| settings.approval = Approval::Immediate);
        let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("a client");
        let to_callback = browser.get(&authorize_url).send().await.expect("the org answers");
        let callback = location(&to_callback);
        assert!(callback.starts_with(&callback_url(&self.app.base)), "the org sent the browser to {callback}");
        let to_console = browser.get(&callback).send().await.expect("callpop answers");
        assert_eq!(to_console.status(), StatusCode::SEE_OTHER);
        self.org.update_settings(|settings| settings.approval = Approval::Page);
        location(&to_console)
    }

    /// Replaces some of the account's integration options.
    pub(crate) async fn set_options(&self, changes: &Value) {
        let (_, mut options) = self.app.get_json(&self.acme.admin, "/api/v1/settings/salesforce").await;
        for (name, value) in changes.as_object().expect("an object of options") {
            options[name] = value.clone();
        }
        let response = self
            .app
            .send_json(reqwest::Method::PUT, Some(&self.acme.admin.token), "/api/v1/settings/salesforce", &options)
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap_or_default());
    }

    /// Posts a call event (`call_event`'s body with `changes`) and expects it stored.
    pub(crate) async fn event(&self, call_id: &str, kind: &str, minutes: i64, changes: &Value) {
        let mut body = crate::helpers::call_event(call_id, kind, &self.acme.agent.email, minutes, "Google Ads");
        for (name, value) in changes.as_object().expect("an object of fields") {
            if value.is_null() {
                body.as_object_mut().expect("an object").remove(name);
            } else {
                body[name] = value.clone();
            }
        }
        let response = self.app.post_json(Some(&self.acme.api_key), "/api/v1/call-events", &body).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{}", response.text().await.unwrap_or_default());
    }

    /// A call from `number` rings for the agent (campaign `Spring Promo`, source `Google Ads`).
    pub(crate) async fn ring(&self, call_id: &str, number: &str) {
        self.event(call_id, "ringing", 0, &json!({ "caller_number": number })).await;
    }

    /// The softphone appends the call's activity to `record` as the agent's choice.
    pub(crate) async fn append(&self, call_id: &str, record: &str, record_type: &str, chosen_by: &str) {
        let body =
            json!({ "call_id": call_id, "record_id": record, "record_type": record_type, "chosen_by": chosen_by });
        let response = self.app.post_json(Some(&self.acme.agent.token), "/api/v1/activities", &body).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{}", response.text().await.unwrap_or_default());
    }

    /// Waits until the engine has nothing due or being retried: every item is done, parked or failed.
    pub(crate) async fn settle(&self) {
        let deadline = tokio::time::Instant::now() + SETTLE_LIMIT;
        loop {
            let busy = self
                .app
                .store
                .sync_log(self.acme.account.id, &["pending", "processing", "retrying"], 50)
                .await
                .expect("reading the outbox");
            if busy.is_empty() {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "the sync engine did not settle: {busy:#?}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until the engine holds the call's answer: the item waits, pending, for the call's later events.
    pub(crate) async fn wait_until_held(&self, call_id: &str) {
        let deadline = tokio::time::Instant::now() + SETTLE_LIMIT;
        loop {
            let pending =
                self.app.store.sync_log(self.acme.account.id, &["pending"], 50).await.expect("reading the outbox");
            let later = chrono::Utc::now() + chrono::Duration::seconds(5);
            if pending.iter().any(|item| item.subject == call_id && item.next_attempt_at > later) {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "the answer of {call_id} was never held: {pending:#?}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until `check` holds for the org (a record written, a field changed).
    pub(crate) async fn wait_for_org(&self, what: &str, check: impl Fn(&Sandbox) -> bool) {
        let deadline = tokio::time::Instant::now() + SETTLE_LIMIT;
        while !check(&self.org) {
            assert!(tokio::time::Instant::now() < deadline, "the org never showed {what}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The Tasks whose `CallObject` is `call_id`.
    pub(crate) fn tasks_of(&self, call_id: &str) -> Vec<Record> {
        self.org.records("Task").into_iter().filter(|task| task.text("CallObject") == Some(call_id)).collect()
    }

    /// The call's one Task; fails when there is none or more than one.
    #[track_caller]
    pub(crate) fn the_task_of(&self, call_id: &str) -> Record {
        let mut tasks = self.tasks_of(call_id);
        assert_eq!(tasks.len(), 1, "the org has {} Tasks for {call_id}: {tasks:#?}", tasks.len());
        tasks.remove(0)
    }

    /// Adds a record to the org, as a user would in Salesforce; returns its id.
    pub(crate) fn insert(&self, object: &str, fields: &Value) -> String {
        let fields: Map<String, Value> = fields.as_object().cloned().expect("an object of fields");
        self.org.org().lock().records.insert(object, fields, chrono::Utc::now()).as_str().to_owned()
    }

    /// The record of `object` whose `field` is `value` (the seed's people, by name).
    #[track_caller]
    pub(crate) fn find(&self, object: &str, field: &str, value: &str) -> Record {
        let mut found: Vec<_> =
            self.org.records(object).into_iter().filter(|record| record.text(field) == Some(value)).collect();
        assert_eq!(found.len(), 1, "{object} with {field} = {value}: {found:#?}");
        found.remove(0)
    }

    /// The Salesforce panel of a call, as its administrator sees it.
    pub(crate) async fn panel(&self, call_id: &str) -> Value {
        let (status, panel) = self.app.get_json(&self.acme.admin, &format!("/api/v1/calls/{call_id}/salesforce")).await;
        assert_eq!(status, StatusCode::OK, "{panel}");
        panel
    }

    /// The sync log as the administrator sees it.
    pub(crate) async fn sync_log(&self) -> Vec<Value> {
        let (status, log) = self.app.get_json(&self.acme.admin, "/api/v1/sync-log").await;
        assert_eq!(status, StatusCode::OK, "{log}");
        log["items"].as_array().cloned().unwrap_or_default()
    }
}

/// Configures a server for the local org: the connected app, the login URL, the org's origins.
pub(crate) fn use_org(config: &mut Config, org: &Sandbox) {
    let login_url = org.base_url().to_owned();
    config.salesforce_client_id = Some(CLIENT_ID.to_owned());
    config.salesforce_client_secret = Some(CLIENT_SECRET.into());
    // The local org answers on both loopback names, and a test moves it from one to the other (a refresh naming a
    // new instance): the operator lists both, as credentials go only to listed hosts.
    config.extra_org_origins = vec![login_url.clone(), login_url.replace("127.0.0.1", "localhost")];
    config.salesforce_login_url = login_url;
}

/// A redirect's `Location`.
#[track_caller]
pub(crate) fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_else(|| panic!("a redirect, not {}", response.status()))
        .to_owned()
}
