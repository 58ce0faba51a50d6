//! What an administrator sees and does around the sync engine: the connection (who callpop writes as, where), the
//! tokens at rest, a refused or forged OAuth callback, the preflight check, and bad input on the new routes.

use crate::helpers::assert_error;
use crate::org::{Linked, location, org_test};
use callpop_sandbox::seed;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The preflight report as `id → status`, with the whole check for messages.
async fn preflight(linked: &Linked) -> Vec<Value> {
    let (status, report) = linked.app.get_json(&linked.acme.admin, "/api/v1/salesforce/preflight").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    report["checks"].as_array().cloned().expect("a list of checks")
}

#[track_caller]
fn check<'a>(checks: &'a [Value], id: &str) -> &'a Value {
    checks.iter().find(|check| check["id"] == id).unwrap_or_else(|| panic!("no {id} check in {checks:#?}"))
}

org_test! {
    async fn the_connection_names_the_org_and_user_and_keeps_its_tokens_sealed(linked: Linked) {
        // Act
        let (status, connection) = linked.app.get_json(&linked.acme.admin, "/api/v1/salesforce/connection").await;

        // Assert: what the console shows.
        assert_eq!(status, StatusCode::OK);
        assert_eq!(connection["connected"], true);
        assert_eq!(connection["instance_url"], linked.org.base_url());
        assert_eq!(connection["login_url"], linked.org.base_url());
        assert!(connection["org_id"].as_str().is_some_and(|id| id.starts_with("00D")), "{connection}");
        assert_eq!(connection["username"], "integration@acme.example");
        assert_eq!(connection["linking_available"], true);

        // Assert: the token callpop sends is not what the database holds.
        linked.ring("CA-SEALED", callpop_sandbox::seed::numbers::ONE_CONTACT).await;
        linked.settle().await;
        let sent = linked.org.requests().into_iter().rev().find_map(|entry| entry.headers.get("authorization").cloned());
        let token = sent.and_then(|header| header.strip_prefix("Bearer ").map(str::to_owned)).expect("a bearer token");
        let stored = linked.app.store.connection(linked.acme.account.id).await.unwrap().expect("a stored connection");
        assert!(!stored.access_token.contains(&token), "the access token is stored in the clear");
        let refresh = stored.refresh_token.expect("a refresh token");
        assert!(!refresh.is_empty() && !refresh.contains(&token));
    }
}

org_test! {
    async fn a_denied_or_forged_authorization_sends_the_admin_back_with_the_reason_and_changes_nothing(linked: Linked) {
        // Arrange
        let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let callback = format!("{}/api/v1/salesforce/oauth/callback", linked.app.base);

        // Act: a state callpop never issued, then Salesforce's own refusal.
        let forged = browser.get(format!("{callback}?code=stolen&state=made-up")).send().await.unwrap();
        let denied = browser
            .get(format!("{callback}?error=access_denied&error_description=end-user%20denied%20authorization"))
            .send()
            .await
            .unwrap();

        // Assert
        assert_eq!(forged.status(), StatusCode::SEE_OTHER);
        assert!(location(&forged).starts_with("/console/salesforce?error=this%20authorization%20is%20unknown"), "{}", location(&forged));
        assert_eq!(location(&denied), "/console/salesforce?error=end%2Duser%20denied%20authorization");
        let (_, connection) = linked.app.get_json(&linked.acme.admin, "/api/v1/salesforce/connection").await;
        assert_eq!(connection["status"], "connected", "the working link is kept");
    }
}

org_test! {
    async fn the_new_routes_refuse_bad_input_and_other_roles_by_name(linked: Linked) {
        // Arrange
        let admin = linked.acme.admin.token.clone();

        // Act and assert
        let bad_login = linked.app.post_json(Some(&admin), "/api/v1/salesforce/connection", &json!({ "login_url": "ftp://login.example.com" })).await;
        let (status, body) = (bad_login.status(), bad_login.json::<Value>().await.unwrap());
        assert_error(status, &body, 422, "invalid_field", Some("login_url"));
        let unknown_key = linked.app.post_json(Some(&admin), "/api/v1/salesforce/connection", &json!({ "instance": "x" })).await;
        let (status, body) = (unknown_key.status(), unknown_key.json::<Value>().await.unwrap());
        assert_error(status, &body, 422, "invalid_field", Some("instance"));
        let (status, body) = linked.app.get_json(&linked.acme.admin, "/api/v1/sync-log?status=lost").await;
        assert_error(status, &body, 422, "invalid_field", Some("status"));
        let bad_code = linked.app.post_json(Some(&admin), "/api/v1/sync-log/retry", &json!({ "error_code": 5 })).await;
        let (status, body) = (bad_code.status(), bad_code.json::<Value>().await.unwrap());
        assert_error(status, &body, 422, "invalid_field", Some("error_code"));
        let missing = linked.app.post_json(Some(&admin), "/api/v1/sync-log/987654/retry", &json!({})).await;
        let (status, body) = (missing.status(), missing.json::<Value>().await.unwrap());
        assert_error(status, &body, 404, "not_found", None);
        for user in [&linked.acme.agent, &linked.acme.manager, &linked.acme.reports] {
            for path in ["/api/v1/salesforce/connection", "/api/v1/salesforce/preflight", "/api/v1/sync-log"] {
                let (status, body) = linked.app.get_json(user, path).await;
                assert_error(status, &body, 403, "forbidden", None);
            }
            let unlink = linked.app.send_json(reqwest::Method::DELETE, Some(&user.token), "/api/v1/salesforce/connection", &json!({})).await;
            assert_eq!(unlink.status(), StatusCode::FORBIDDEN);
        }
        let (_, connection) = linked.app.get_json(&linked.acme.admin, "/api/v1/salesforce/connection").await;
        assert_eq!(connection["status"], "connected");
    }
}

org_test! {
    async fn the_preflight_check_passes_a_ready_org_and_names_what_would_stop_calls_in_another(linked: Linked) {
        // Act: the seeded org, with Task.Call_Id__c.
        let ready = preflight(&linked).await;

        // Assert
        for id in ["lead_create", "lead_callpop_id", "task_call_id", "validation_rules", "dry_run"] {
            assert_eq!(check(&ready, id)["status"], "ok", "{:#?}", check(&ready, id));
        }
        let problems: Vec<_> = ready.iter().filter(|check| check["status"] == "problem").collect();
        assert!(problems.is_empty(), "{problems:#?}");

        // Arrange: a validation rule every Lead callpop creates breaks, and no Call_Id__c.
        linked.org.add_validation_rule(seed::lead_needs_email())
        .unwrap();
        linked.org.set_task_call_id_field(false);
        linked.org.set_lead_callpop_id_field(false);
        let leads_before = linked.org.records("Lead").len();

        // Act
        let blocked = preflight(&linked).await;

        // Assert: Salesforce's own words, what to do, and nothing left in the org by the dry run.
        let dry_run = check(&blocked, "dry_run");
        assert_eq!(dry_run["status"], "problem", "{dry_run}");
        assert!(dry_run["detail"].as_str().unwrap().contains("Enter the lead's email address."), "{dry_run}");
        assert!(!dry_run["fix"].as_str().unwrap().is_empty());
        assert_eq!(check(&blocked, "task_call_id")["status"], "warning");
        let lead_key = check(&blocked, "lead_callpop_id");
        assert_eq!(lead_key["status"], "warning");
        assert!(lead_key["fix"].as_str().unwrap().contains("Callpop_Id__c"), "{lead_key}");
        assert!(check(&blocked, "validation_rules").to_string().contains("Lead_Needs_Email"));
        assert_eq!(linked.org.records("Lead").len(), leads_before);
    }
}
