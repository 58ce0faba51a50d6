//! Sessions and tokens as Salesforce treats them (`salesforce-api.md` §2 and §6.5): a token endpoint that fails
//! for a moment is retried, only `invalid_grant` asks the admin to link again, a session the REST API refuses asks
//! for a relink (and the relink sends what waited), and one expiry costs one refresh. Every test asserts the org's
//! records and what the console shows.

use crate::org::{Linked, org_test};
use callpop_sandbox::faults::{Fault, FaultAction};
use callpop_sandbox::seed::numbers;
use serde_json::Value;

const TOKEN: &str = "/services/oauth2/token";

/// How many token refreshes the org saw.
fn refreshes(linked: &Linked) -> usize {
    linked
        .org
        .requests()
        .into_iter()
        .filter(|entry| entry.path == TOKEN && entry.body.contains("grant_type=refresh_token"))
        .count()
}

async fn connection(linked: &Linked) -> Value {
    linked.app.get_json(&linked.acme.admin, "/api/v1/salesforce/connection").await.1
}

org_test! {
    async fn a_token_endpoint_that_fails_for_a_moment_is_retried_and_the_org_stays_linked(linked: Linked) {
        // Arrange: the access token expired; the token endpoint answers an HTML 502, then a 503, then works.
        linked.org.expire_all_tokens();
        linked.org.inject(Fault::on("POST", TOKEN, FaultAction::Respond {
            status: 502,
            content_type: Some("text/html".to_owned()),
            body: "<html><body><h1>502 Bad Gateway</h1></body></html>".to_owned(),
        }).times(1));
        linked.org.inject(Fault::on("POST", TOKEN, FaultAction::ServiceUnavailable).times(1));
        let ada = linked.find("Contact", "LastName", "Lovelace");

        // Act
        linked.ring("CA-TOKEN-5XX", numbers::ONE_CONTACT).await;
        linked.settle().await;

        // Assert: logged once after three refresh attempts, and the link never needed the admin.
        assert_eq!(linked.the_task_of("CA-TOKEN-5XX").text("WhoId"), Some(ada.id.as_str()));
        assert_eq!(refreshes(&linked), 3);
        let connection = connection(&linked).await;
        assert_eq!(connection["status"], "connected", "{connection}");
        assert!(linked.sync_log().await.is_empty());
    }
}

org_test! {
    async fn a_session_the_rest_api_refuses_asks_for_a_relink_and_the_relink_sends_what_waited(linked: Linked) {
        // Arrange: Salesforce refuses the session for the REST API (the user lost "API Enabled").
        let refused = linked.org.inject(Fault::any_method("/services/data/**", FaultAction::SessionNotValidForRest));

        // Act
        linked.ring("CA-NOT-REST", numbers::ONE_CONTACT).await;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        while connection(&linked).await["status"] != "needs_relink" {
            assert!(tokio::time::Instant::now() < deadline, "the link was never marked: {}", connection(&linked).await);
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }

        // Assert: the admin is asked to link again, nothing is parked, nothing was refreshed in vain.
        let connection_now = connection(&linked).await;
        assert!(connection_now["last_error"].as_str().is_some_and(|error| error.contains("not valid for use with the REST API")), "{connection_now}");
        let log = linked.sync_log().await;
        assert!(log.iter().all(|item| item["status"] != "parked"), "{log:#?}");
        assert_eq!(refreshes(&linked), 0);

        // Act: the admin fixes the user and links again; the call goes at once (the wait is 5 s in tests).
        linked.org.remove_fault(refused);
        let relinked_at = tokio::time::Instant::now();
        linked.link().await;
        linked.wait_for_org("the call's Task", |org| {
            org.records("Task").iter().any(|task| task.text("CallObject") == Some("CA-NOT-REST"))
        })
        .await;

        // Assert
        assert!(relinked_at.elapsed() < std::time::Duration::from_secs(4), "the relink did not wake the call");
        let ada = linked.find("Contact", "LastName", "Lovelace");
        assert_eq!(linked.the_task_of("CA-NOT-REST").text("WhoId"), Some(ada.id.as_str()));
    }
}

org_test! {
    async fn one_expiry_costs_one_refresh_however_many_requests_meet_it(linked: Linked) {
        // Arrange: twelve callers, each a different number, whose calls wait together: the org's daily requests
        // are used up, so the account's sync is paused (and paused again at each try) while they arrive.
        linked.org.set_api_usage(15_000, 15_000);
        let numbers: Vec<String> = (0..12).map(|n| format!("+1415555{:04}", 3100 + n)).collect();
        linked.ring("CA-EXPIRY-0", &numbers[0]).await;
        linked.wait_for_org("the limit met", |org| org.requests().iter().any(|entry| entry.status == Some(403))).await;
        for (n, number) in numbers.iter().enumerate().skip(1) {
            linked.ring(&format!("CA-EXPIRY-{n}"), number).await;
        }

        // Act: the token expires, then the limit resets: at the pause's end the twelve go together and all meet
        // the expiry.
        linked.org.expire_all_tokens();
        linked.org.set_api_usage(10, 15_000);
        linked.settle().await;

        // Assert
        assert_eq!(refreshes(&linked), 1);
        for n in 0..numbers.len() {
            assert_eq!(linked.tasks_of(&format!("CA-EXPIRY-{n}")).len(), 1);
        }
    }
}

org_test! {
    async fn the_instance_url_a_refresh_names_is_kept_and_used(linked: Linked) {
        // Arrange: the org moved to another instance (`localhost` reaches the same local org), and the token expired.
        let moved = linked.org.base_url().replace("127.0.0.1", "localhost");
        linked.org.update_settings(|settings| settings.refreshed_instance_url = Some(moved.clone()));
        linked.org.expire_all_tokens();

        // Act
        linked.ring("CA-MOVED", numbers::ONE_CONTACT).await;
        linked.settle().await;
        linked.ring("CA-MOVED-2", numbers::ONE_LEAD).await;
        linked.settle().await;

        // Assert: the console shows the new instance, and the next call's requests went there.
        assert_eq!(connection(&linked).await["instance_url"], moved.as_str());
        assert_eq!(linked.tasks_of("CA-MOVED-2").len(), 1);
        let host = moved.trim_start_matches("http://");
        let last = linked.org.requests().into_iter().rev().find(|entry| entry.path.ends_with("/composite")).expect("a write");
        assert_eq!(last.headers.get("host").map(String::as_str), Some(host), "{last:#?}");
    }
}
