//! The test harness: `spawn_app` runs the application as `callpop serve` does, on a free port, against a fresh
//! SQLite file or a fresh PostgreSQL schema, and `TestApp` has one helper per endpoint.
//!
//! `api_test!` writes each scenario once and runs it on both backends (`…::on_sqlite`, `…::on_postgres`).
//! PostgreSQL comes from `CALLPOP_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`); `cargo
//! xtask test` starts a throwaway one when nothing answers there.

use callpop_core::account::{Plan, Role};
use callpop_server::model::Account;
use callpop_server::store::Store;
use callpop_server::sync::SyncEngine;
use callpop_server::{Application, Config, provision};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

/// Runs an async scenario `async fn name(app: TestApp) { … }` once per backend.
macro_rules! api_test {
    ($(#[$meta:meta])* async fn $name:ident($app:ident: TestApp) $body:block) => {
        $crate::helpers::api_test! { configured(|_| {}) $(#[$meta])* async fn $name($app: TestApp) $body }
    };
    // The same, on a server whose configuration the test adjusts first (`|config| ...`).
    (configured($configure:expr) $(#[$meta:meta])* async fn $name:ident($app:ident: TestApp) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn scenario($app: $crate::helpers::TestApp) $body
            #[tokio::test]
            async fn on_sqlite() {
                let app = $crate::helpers::spawn_app_with($crate::helpers::Backend::Sqlite, $configure).await;
                scenario(app).await;
            }
            #[tokio::test]
            async fn on_postgres() {
                let app = $crate::helpers::spawn_app_with($crate::helpers::Backend::Postgres, $configure).await;
                scenario(app).await;
            }
        }
    };
}
pub(crate) use api_test;

pub(crate) const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// Drops the test's PostgreSQL schema, or removes its SQLite directory, when the test ends (when the last of the
/// servers sharing it is dropped).
pub(crate) enum Database {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { url: String, schema: String },
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Database::Postgres { url, schema } = self {
            let (url, schema_to_drop) = (url.clone(), schema.clone());
            // A fresh runtime on its own thread: the test's runtime may be shutting down.
            let dropped = std::thread::spawn(move || {
                let schema = schema_to_drop;
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                runtime.block_on(async {
                    let pool = sqlx::PgPool::connect(&url).await?;
                    // The application's connections may sit in a transaction the blocked test runtime will never
                    // finish; they hold locks the drop would wait for forever. They are named after the schema.
                    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1")
                        .bind(&schema)
                        .execute(&pool)
                        .await?;
                    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {schema} CASCADE")))
                        .execute(&pool)
                        .await?;
                    anyhow::Ok(())
                })
            })
            .join();
            if !matches!(dropped, Ok(Ok(()))) {
                eprintln!("could not drop the test schema {schema}; drop it by hand");
            }
        }
    }
}

/// The running application and a client for it.
pub(crate) struct TestApp {
    pub(crate) base: String,
    pub(crate) client: reqwest::Client,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) backend: Backend,
    /// The sync engine, for tests that run its worker themselves (configured with `no_sync`) and stop it.
    pub(crate) sync: Arc<SyncEngine>,
    _database: Arc<Database>,
}

/// A signed-in user of a test account.
#[derive(Debug, Clone)]
pub(crate) struct TestUser {
    pub(crate) id: i64,
    pub(crate) email: String,
    pub(crate) token: String,
    pub(crate) role: Role,
}

/// An account with one user per role, a second call agent, and an API key.
#[derive(Debug, Clone)]
pub(crate) struct TestAccount {
    pub(crate) account: Account,
    pub(crate) api_key: String,
    pub(crate) agent: TestUser,
    pub(crate) other_agent: TestUser,
    pub(crate) manager: TestUser,
    pub(crate) reports: TestUser,
    pub(crate) admin: TestUser,
}

impl TestAccount {
    /// The signed-in user with `role` (the first agent for call agents).
    pub(crate) fn user(&self, role: Role) -> &TestUser {
        match role {
            Role::CallAgent => &self.agent,
            Role::CallManager => &self.manager,
            Role::ReportManager => &self.reports,
            Role::Administrator => &self.admin,
        }
    }
}

/// Spawns the application with a configuration `configure` adjusted (a connected app, a login URL).
pub(crate) async fn spawn_app_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> TestApp {
    let (database_url, database) = fresh_database(backend).await;
    spawn_on(backend, database_url, Arc::new(database), configure).await
}

/// A fresh SQLite file or PostgreSQL schema: its URL, and what removes it.
pub(crate) async fn fresh_database(backend: Backend) -> (String, Database) {
    match backend {
        Backend::Sqlite => {
            let directory = tempfile::tempdir().expect("a temporary directory");
            let url = format!("sqlite://{}?mode=rwc", directory.path().join("callpop.db").display());
            (url, Database::Sqlite(directory))
        }
        Backend::Postgres => {
            let url = std::env::var("CALLPOP_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
            let schema = format!("callpop_test_{}", uuid::Uuid::new_v4().simple());
            let pool = sqlx::PgPool::connect(&url).await.unwrap_or_else(|error| {
                panic!(
                    "PostgreSQL does not answer at {url} ({error}): run the tests with `cargo xtask test`, which \
                     starts one, or set CALLPOP_TEST_POSTGRES_URL"
                )
            });
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                .execute(&pool)
                .await
                .expect("creating the test's schema");
            pool.close().await;
            let separator = if url.contains('?') { '&' } else { '?' };
            let app_url = format!("{url}{separator}search_path={schema}&application_name={schema}");
            (app_url, Database::Postgres { url, schema })
        }
    }
}

/// Spawns the application on an existing database (another server may be using it too).
pub(crate) async fn spawn_on(
    backend: Backend,
    database_url: String,
    database: Arc<Database>,
    configure: impl FnOnce(&mut Config),
) -> TestApp {
    let mut config = Config::for_tests(database_url);
    configure(&mut config);
    let app = Application::build(config).await.expect("the application builds");
    let base = format!("http://{}", app.local_addr());
    let store = app.store();
    let sync = app.sync();
    tokio::spawn(app.run_until_stopped());
    TestApp { base, client: reqwest::Client::new(), store, backend, sync, _database: database }
}

/// The time `minutes` after 10:00 UTC three days ago, RFC 3339: calls in tests happen at a known time of day, and
/// recently enough for the server's window of accepted event times (`validate::event_time`).
pub(crate) fn at(minutes: i64) -> String {
    let three_days_ago = chrono::Utc::now().date_naive() - chrono::Duration::days(3);
    let start = three_days_ago.and_hms_opt(10, 0, 0).expect("a valid time").and_utc();
    (start + chrono::Duration::minutes(minutes)).to_rfc3339()
}

impl TestApp {
    /// The PostgreSQL server's URL and this app's schema in it (`None` on SQLite).
    pub(crate) fn postgres(&self) -> Option<(&str, &str)> {
        match self._database.as_ref() {
            Database::Postgres { url, schema } => Some((url, schema)),
            Database::Sqlite(_) => None,
        }
    }

    /// Creates an account on `plan` with one user per role (two call agents) and signs each of them in.
    pub(crate) async fn create_account(&self, name: &str, plan: Plan) -> TestAccount {
        let store = self.store.as_ref();
        let account = provision::create_account(store, name, plan, "US", "https://callpop.example.com")
            .await
            .expect("creating the account");
        let api_key = provision::create_api_key(store, account.id, "tests").await.expect("creating an API key");
        let slug = account.public_id.to_lowercase();
        let mut users = Vec::new();
        for (role, who) in [
            (Role::CallAgent, "agent"),
            (Role::CallAgent, "agent2"),
            (Role::CallManager, "manager"),
            (Role::ReportManager, "reports"),
            (Role::Administrator, "admin"),
        ] {
            let email = format!("{who}@{slug}.test");
            let user = provision::create_user(store, account.id, &email, who, role, "correct horse battery", None)
                .await
                .expect("creating a user");
            let token = self.sign_in(&email, "correct horse battery").await;
            users.push(TestUser { id: user.id, email, token, role });
        }
        let [agent, other_agent, manager, reports, admin] = users.try_into().expect("five users");
        TestAccount { account, api_key, agent, other_agent, manager, reports, admin }
    }

    pub(crate) async fn sign_in(&self, email: &str, password: &str) -> String {
        let response = self.post_json(None, "/api/v1/sessions", &json!({ "email": email, "password": password })).await;
        assert_eq!(response.status(), StatusCode::CREATED, "signing in as {email}");
        let body: Value = response.json().await.expect("a JSON body");
        body["token"].as_str().expect("a token").to_owned()
    }

    pub(crate) async fn get(&self, token: Option<&str>, path: &str) -> Response {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("the request is sent")
    }

    /// GETs `path` as `user` and returns the status and the JSON body.
    pub(crate) async fn get_json(&self, user: &TestUser, path: &str) -> (StatusCode, Value) {
        let response = self.get(Some(&user.token), path).await;
        let status = response.status();
        (status, response.json().await.expect("a JSON body"))
    }

    pub(crate) async fn send_json(
        &self,
        method: reqwest::Method,
        token: Option<&str>,
        path: &str,
        body: &Value,
    ) -> Response {
        let mut request = self.client.request(method, format!("{}{path}", self.base)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("the request is sent")
    }

    pub(crate) async fn post_json(&self, token: Option<&str>, path: &str, body: &Value) -> Response {
        self.send_json(reqwest::Method::POST, token, path, body).await
    }

    /// Posts a call event with the telephony side's key and expects it stored.
    pub(crate) async fn ring(
        &self,
        account: &TestAccount,
        call_id: &str,
        agent: &TestUser,
        minutes: i64,
        source: &str,
    ) {
        let body = call_event(call_id, "ringing", &agent.email, minutes, source);
        let response = self.post_json(Some(&account.api_key), "/api/v1/call-events", &body).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{}", response.text().await.unwrap_or_default());
    }

    /// Posts a text event with the telephony side's key and expects it stored.
    pub(crate) async fn text(&self, account: &TestAccount, message_id: &str, agent: &TestUser, minutes: i64) {
        let body = text_event(message_id, &agent.email, minutes);
        let response = self.post_json(Some(&account.api_key), "/api/v1/text-events", &body).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{}", response.text().await.unwrap_or_default());
    }

    /// The outbox items waiting in this app's database (what `/metrics` reports as `callpop_outbox_depth`).
    pub(crate) async fn outbox_depth(&self) -> i64 {
        // Read from this app's own database: `/metrics`' gauge is process-wide, and under `cargo test` every test's
        // app shares one process, so another test may set it between our request and its answer.
        self.store.outbox_depth().await.expect("the outbox depth")
    }
}

/// A valid call event body.
pub(crate) fn call_event(call_id: &str, kind: &str, agent: &str, minutes: i64, source: &str) -> Value {
    json!({
        "call_id": call_id, "kind": kind, "direction": "inbound", "caller_number": "+14155552671",
        "tracking_number": "+14155550100", "agent": agent, "tracking_source": source,
        "campaign": "Spring Promo", "occurred_at": at(minutes),
    })
}

/// A valid text event body.
pub(crate) fn text_event(message_id: &str, agent: &str, minutes: i64) -> Value {
    json!({
        "message_id": message_id, "direction": "inbound", "from_number": "(415) 555-2671",
        "to_number": "+14155550100", "body": "Can you call me back about the quote?", "agent": agent,
        "tracking_source": "Google Ads", "occurred_at": at(minutes),
    })
}

/// Asserts a 4xx JSON error with this status, code and (when given) field.
#[track_caller]
pub(crate) fn assert_error(status: StatusCode, body: &Value, expected_status: u16, code: &str, field: Option<&str>) {
    assert_eq!(status.as_u16(), expected_status, "{body}");
    assert_eq!(body["error"], code, "{body}");
    assert!(body["message"].as_str().is_some_and(|message| !message.is_empty()), "{body}");
    if let Some(field) = field {
        assert_eq!(body["field"], field, "{body}");
    }
}
