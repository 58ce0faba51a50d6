//! A hostile tenant administrator, or a login host they control, cannot make the server send the connected app's
//! secret or a token anywhere but Salesforce (and the local org its operator listed): the login URL, the token
//! answer's `instance_url` and its identity URL are checked before any request, and the admin is told which host
//! was refused. A redirect is never followed with a token.

use crate::helpers::assert_error;
use crate::org::org_test;
use callpop_sandbox::faults::{Fault, FaultAction};
use callpop_sandbox::seed::numbers;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A stand-in for an internal service (a database port, a metadata endpoint) that counts every connection.
struct InternalService {
    origin: String,
    connections: Arc<AtomicUsize>,
}

impl InternalService {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let origin = format!("http://{}", listener.local_addr().expect("its address"));
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&connections);
        tokio::spawn(async move {
            while let Ok((_socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        Self { origin, connections }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

org_test! {
    unlinked async fn a_login_url_that_is_not_salesforce_is_refused_naming_its_host(linked: Linked) {
        // Arrange
        let internal = InternalService::start().await;
        let internal_host = internal.origin.trim_start_matches("http://").to_owned();
        let admin = linked.acme.admin.token.clone();

        // Act and assert
        for (login_url, host) in [
            ("https://evil.example.com", "evil.example.com"),
            ("https://169.254.169.254", "169.254.169.254"),
            ("http://localhost:5432", "localhost:5432"),
            (internal.origin.as_str(), internal_host.as_str()),
        ] {
            let refused = linked
                .app
                .post_json(Some(&admin), "/api/v1/salesforce/connection", &json!({ "login_url": login_url }))
                .await;
            let (status, body) = (refused.status(), refused.json::<Value>().await.expect("a JSON error"));
            assert_error(status, &body, 422, "invalid_field", Some("login_url"));
            let message = body["message"].as_str().unwrap_or_default();
            assert!(message.contains(&format!("{host} is not a Salesforce host")), "{login_url}: {message}");
        }
        assert_eq!(internal.connections(), 0, "nothing may be sent to a refused host");
        let (_, connection) = linked.app.get_json(&linked.acme.admin, "/api/v1/salesforce/connection").await;
        assert_eq!(connection["status"], "not_linked", "{connection}");

        // The org the operator configured is still linked as usual.
        linked.link().await;
    }
}

org_test! {
    unlinked async fn a_token_answer_naming_another_instance_url_links_nothing_and_sends_nothing_there(linked: Linked) {
        // Arrange: the login host answers the code exchange with an instance URL on an internal port.
        let internal = InternalService::start().await;
        let internal_host = internal.origin.trim_start_matches("http://").to_owned();
        let instance_url = internal.origin.clone();
        linked.org.update_settings(|settings| settings.token_instance_url = Some(instance_url));

        // Act
        let console = linked.allow_access().await;

        // Assert: the admin is sent back with the reason, the account is not linked, the internal port got nothing.
        let reason = percent_encoding::percent_decode_str(console.split("error=").nth(1).unwrap_or_default())
            .decode_utf8_lossy()
            .into_owned();
        assert!(console.starts_with("/console/salesforce?error="), "{console}");
        assert!(reason.contains(&format!("{internal_host} is not a Salesforce host")), "{reason}");
        assert!(reason.contains("nothing was sent there"), "{reason}");
        assert_eq!(internal.connections(), 0, "no bearer token, query or preflight may reach the named host");
        let (status, connection) = linked.app.get_json(&linked.acme.admin, "/api/v1/salesforce/connection").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(connection["status"], "not_linked", "{connection}");
        // The preflight check, which queries the org, has no link to use either.
        let (_, preflight) = linked.app.get_json(&linked.acme.admin, "/api/v1/salesforce/preflight").await;
        assert_eq!(internal.connections(), 0, "the preflight must not reach the named host: {preflight}");
        // The tokens the refused answer carried were revoked at the login host they came from.
        assert_eq!(linked.org.org().lock().auth.live_tokens(), 0);

        // Once the login host answers with its own instance URL, linking works.
        linked.org.update_settings(|settings| settings.token_instance_url = None);
        linked.link().await;
    }
}

org_test! {
    async fn a_redirect_in_salesforces_answer_is_not_followed_with_the_token(linked: Linked) {
        // Arrange: the org's search answers with a redirect to an internal port (a proxy gone wrong, or a hostile host).
        let internal = InternalService::start().await;
        let internal_host = internal.origin.trim_start_matches("http://").to_owned();
        let location = format!("{}/services/data/v62.0/search/", internal.origin);
        linked.org.inject(
            Fault::on("GET", "/services/data/*/search/", FaultAction::Redirect { status: 307, location }).times(1),
        );

        // Act
        linked.ring("CA-REDIRECT", numbers::ONE_CONTACT).await;
        linked.settle().await;

        // Assert: nothing reached the redirect's target; the call is parked with where the redirect pointed.
        assert_eq!(internal.connections(), 0, "the bearer token must not follow a redirect");
        let log = linked.sync_log().await;
        assert_eq!(log.len(), 1, "{log:#?}");
        assert_eq!((log[0]["status"].as_str(), log[0]["error"]["code"].as_str()), (Some("parked"), Some("REDIRECT")));
        let message = log[0]["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(&internal_host) && message.contains("307"), "{message}");
        assert!(linked.tasks_of("CA-REDIRECT").is_empty());

        // Act: the admin retries once the org answers normally again.
        let id = log[0]["id"].as_i64().expect("the item's id");
        let retried = linked
            .app
            .post_json(Some(&linked.acme.admin.token), &format!("/api/v1/sync-log/{id}/retry"), &json!({}))
            .await;
        assert_eq!(retried.status(), StatusCode::ACCEPTED);
        linked.settle().await;

        // Assert: the call is logged once, still without a connection to the internal port.
        let ada = linked.find("Contact", "LastName", "Lovelace");
        assert_eq!(linked.the_task_of("CA-REDIRECT").text("WhoId"), Some(ada.id.as_str()));
        assert_eq!(internal.connections(), 0);
    }
}
