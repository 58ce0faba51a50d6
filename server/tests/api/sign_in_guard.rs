//! Sign-in under attack and sessions people can end: throttling per email and client address (429 with
//! `Retry-After`, before the password is checked), API keys untouched by it, an administrator's view and revocation
//! of a user's sessions, and a password change that ends every session.

use crate::helpers::{TestApp, api_test, assert_error, call_event};
use callpop_core::account::Plan;
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

impl TestApp {
    /// Tries to sign in, optionally claiming a client address in `X-Forwarded-For`.
    async fn try_sign_in(&self, email: &str, password: &str, forwarded_for: Option<&str>) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}/api/v1/sessions", self.base))
            .json(&json!({ "email": email, "password": password }));
        if let Some(address) = forwarded_for {
            request = request.header("x-forwarded-for", address);
        }
        request.send().await.expect("the request is sent")
    }

    async fn delete(&self, token: &str, path: &str) -> reqwest::Response {
        self.client.delete(format!("{}{path}", self.base)).bearer_auth(token).send().await.expect("sent")
    }
}

api_test! {
    async fn a_hundred_wrong_passwords_are_throttled_and_the_right_one_waits_too(app: TestApp) {
        // Arrange
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        let email = acme.agent.email.clone();

        // Act: a guessing attack, each guess claiming to come from another address.
        let mut statuses = Vec::new();
        for guess in 0..100 {
            let forged = format!("203.0.113.{}", guess % 250);
            statuses.push(app.try_sign_in(&email, &format!("guess {guess}"), Some(&forged)).await.status().as_u16());
        }
        let right = app.try_sign_in(&email, PASSWORD, None).await;

        // Assert: five guesses were checked, the rest refused unchecked, and the right password waits too.
        assert_eq!(statuses.iter().filter(|status| **status == 401).count(), 5, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|status| **status == 429).count(), 95, "{statuses:?}");
        assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry_after: i64 = right
            .headers()
            .get("retry-after")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse().ok())
            .expect("a Retry-After in seconds");
        assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");
        let body: Value = right.json().await.expect("a JSON error");
        assert_error(StatusCode::TOO_MANY_REQUESTS, &body, 429, "too_many_requests", None);
        assert!(body["message"].as_str().unwrap_or_default().contains("too many failed sign-ins"), "{body}");

        // The telephony side's API key keeps working, and so does another user on the same machine.
        let event = call_event("call-under-attack", "ringing", &email, 0, "Google Ads");
        let response = app.post_json(Some(&acme.api_key), "/api/v1/call-events", &event).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        assert_eq!(app.try_sign_in(&acme.manager.email, PASSWORD, None).await.status(), StatusCode::CREATED);
        // The agent's existing session is untouched.
        assert_eq!(app.get(Some(&acme.agent.token), "/api/v1/me").await.status(), StatusCode::OK);
    }
}

api_test! {
    configured(|config: &mut callpop_server::config::Config| config.client_address_header = Some("X-Forwarded-For".into()))
    async fn behind_a_proxy_the_address_is_the_one_the_proxy_appended(app: TestApp) {
        // Arrange: the operator's proxy appends the client's address; anything before it came from the client.
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        for guess in 0..50 {
            let response = app.try_sign_in(&format!("nobody{guess}@example.com"), "x", Some("10.9.8.7, 198.51.100.7")).await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "guess {guess}");
        }

        // Act: the guessing client again, and a colleague behind the same proxy who claims the guesser's address.
        let guesser = app.try_sign_in(&acme.admin.email, PASSWORD, Some("198.51.100.7")).await;
        let colleague = app.try_sign_in(&acme.admin.email, PASSWORD, Some("198.51.100.7, 198.51.100.8")).await;

        // Assert: the guesser's address is throttled; the colleague is known by what the proxy appended.
        assert_eq!(guesser.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(colleague.status(), StatusCode::CREATED, "{}", colleague.text().await.unwrap_or_default());
    }
}

api_test! {
    async fn one_address_trying_many_emails_is_throttled_by_address(app: TestApp) {
        // Arrange
        let acme = app.create_account("Acme", Plan::Enterprise).await;

        // Act: 50 failures for different emails from one address, then a real user from it.
        for guess in 0..50 {
            let response = app.try_sign_in(&format!("nobody{guess}@example.com"), "x", None).await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "guess {guess}");
        }
        let response = app.try_sign_in(&acme.admin.email, PASSWORD, None).await;

        // Assert
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        let body: Value = response.json().await.expect("a JSON error");
        assert!(body["message"].as_str().unwrap_or_default().contains("from this address"), "{body}");
    }
}

api_test! {
    async fn an_admin_lists_and_revokes_an_agents_sessions(app: TestApp) {
        // Arrange: the agent is signed in on a second machine too.
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        let other = app.create_account("Other", Plan::Enterprise).await;
        let second_token = app.sign_in(&acme.agent.email, PASSWORD).await;
        let sessions_path = format!("/api/v1/users/{}/sessions", acme.agent.id);

        // Act and assert: the list.
        let (status, list) = app.get_json(&acme.admin, &sessions_path).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let sessions = list["sessions"].as_array().cloned().unwrap_or_default();
        assert_eq!(sessions.len(), 2, "{list}");
        assert!(!list.to_string().contains(&second_token), "a token never appears in the list");

        // Only the account's administrators see it; other accounts do not even see the user.
        let (status, body) = app.get_json(&acme.manager, &sessions_path).await;
        assert_error(status, &body, 403, "forbidden", None);
        let (status, body) = app.get_json(&other.admin, &sessions_path).await;
        assert_error(status, &body, 404, "not_found", None);

        // Revoking one session refuses its token from the next request on; the other keeps working.
        let newest = sessions[0]["id"].as_str().expect("an id").to_owned();
        let revoked = app.delete(&acme.admin.token, &format!("{sessions_path}/{newest}")).await;
        assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
        assert_eq!(app.get(Some(&second_token), "/api/v1/me").await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(app.get(Some(&acme.agent.token), "/api/v1/me").await.status(), StatusCode::OK);
        let again = app.delete(&acme.admin.token, &format!("{sessions_path}/{newest}")).await;
        assert_eq!(again.status(), StatusCode::NOT_FOUND);

        // Revoking all of them signs the agent out everywhere.
        let all = app.delete(&acme.admin.token, &sessions_path).await;
        assert_eq!(all.status(), StatusCode::OK);
        assert_eq!(all.json::<Value>().await.expect("JSON")["revoked"], 1);
        assert_eq!(app.get(Some(&acme.agent.token), "/api/v1/me").await.status(), StatusCode::UNAUTHORIZED);
        let stream_ticket = app.post_json(Some(&acme.agent.token), "/api/v1/agent/stream-tickets", &json!({})).await;
        assert_eq!(stream_ticket.status(), StatusCode::UNAUTHORIZED);
    }
}

api_test! {
    async fn changing_a_password_ends_every_session_and_starts_a_new_one(app: TestApp) {
        // Arrange
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        let elsewhere = app.sign_in(&acme.agent.email, PASSWORD).await;
        let change = |current: &str, new: &str| json!({ "current_password": current, "new_password": new });
        let put = |body: Value| {
            let request = app.client.put(format!("{}/api/v1/me/password", app.base));
            request.bearer_auth(&acme.agent.token).json(&body).send()
        };

        // Act and assert: bad changes are refused by field and change nothing.
        let wrong = put(change("not my password", "a brand new passphrase")).await.expect("sent");
        let (status, body) = (wrong.status(), wrong.json::<Value>().await.expect("JSON"));
        assert_error(status, &body, 403, "wrong_password", None);
        let short = put(change(PASSWORD, "short")).await.expect("sent");
        let (status, body) = (short.status(), short.json::<Value>().await.expect("JSON"));
        assert_error(status, &body, 422, "invalid_field", Some("new_password"));
        assert_eq!(app.get(Some(&elsewhere), "/api/v1/me").await.status(), StatusCode::OK);

        let changed = put(change(PASSWORD, "a brand new passphrase")).await.expect("sent");
        assert_eq!(changed.status(), StatusCode::OK);
        let new_token = changed.json::<Value>().await.expect("JSON")["token"].as_str().expect("a token").to_owned();

        // Every earlier session ended; the new one works, and only the new password signs in.
        assert_eq!(app.get(Some(&acme.agent.token), "/api/v1/me").await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(app.get(Some(&elsewhere), "/api/v1/me").await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(app.get(Some(&new_token), "/api/v1/me").await.status(), StatusCode::OK);
        assert_eq!(app.try_sign_in(&acme.agent.email, PASSWORD, None).await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(app.try_sign_in(&acme.agent.email, "a brand new passphrase", None).await.status(), StatusCode::CREATED);
    }
}

api_test! {
    async fn guessing_the_current_password_is_throttled_apart_from_signing_in(app: TestApp) {
        // Arrange
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        let guess = |attempt: usize| {
            let body = json!({ "current_password": format!("guess {attempt}"), "new_password": "a brand new passphrase" });
            let request = app.client.put(format!("{}/api/v1/me/password", app.base));
            request.bearer_auth(&acme.agent.token).json(&body).send()
        };

        // Act
        let mut statuses = Vec::new();
        for attempt in 0..8 {
            statuses.push(guess(attempt).await.expect("sent").status().as_u16());
        }

        // Assert: five guesses checked, then refused; the agent still signs in with the real password.
        assert_eq!(statuses, [403, 403, 403, 403, 403, 429, 429, 429]);
        assert_eq!(app.try_sign_in(&acme.agent.email, PASSWORD, None).await.status(), StatusCode::CREATED);
    }
}
