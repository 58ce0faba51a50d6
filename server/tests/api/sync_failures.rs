//! The sync engine when Salesforce fails: each error class of `behaviour.md` ("Exactly once"), the sync log and the
//! administrator's retry, expired tokens in the middle of a burst, and writes that commit while the answer is lost.
//! Every test asserts the org's records: nothing lost, nothing written twice.

use crate::org::org_test;
use callpop_sandbox::faults::{Fault, FaultAction};
use callpop_sandbox::schema::CustomField;
use callpop_sandbox::seed::{self, numbers};
use reqwest::StatusCode;
use serde_json::{Value, json};

const COMPOSITE: &str = "/services/data/*/composite";
const SEARCH: &str = "/services/data/*/search/";

org_test! {
    async fn unavailable_locked_and_broken_answers_are_retried_until_the_call_is_logged_once(linked: Linked) {
        // Arrange: the search first meets a locked row, then the composite a 503 and a maintenance page.
        linked.org.inject(Fault::on("GET", SEARCH, FaultAction::UnableToLockRow).times(1));
        linked.org.inject(Fault::on("POST", COMPOSITE, FaultAction::ServiceUnavailable).times(1));
        linked.org.inject(Fault::on("POST", COMPOSITE, FaultAction::HtmlError).times(1));
        let ada = linked.find("Contact", "LastName", "Lovelace");

        // Act
        linked.ring("CA-FLAKY", numbers::ONE_CONTACT).await;
        linked.settle().await;

        // Assert: one Task and one membership, and the retries are in the call's audit trail.
        assert_eq!(linked.the_task_of("CA-FLAKY").text("WhoId"), Some(ada.id.as_str()));
        let members = linked.org.records("CampaignMember");
        assert_eq!(members.iter().filter(|member| member.text("ContactId") == Some(ada.id.as_str())).count(), 1);
        let panel = linked.panel("CA-FLAKY").await.to_string();
        assert!(panel.contains("UNABLE_TO_LOCK_ROW") && panel.contains("SERVER_UNAVAILABLE"), "{panel}");
        assert!(linked.sync_log().await.is_empty());
    }
}

org_test! {
    async fn a_write_that_commits_but_loses_its_answer_leaves_exactly_one_lead_task_and_membership(linked: Linked) {
        // Arrange: the org commits the composite request, then drops the connection.
        linked.org.inject(Fault::on("POST", COMPOSITE, FaultAction::CommitThenDrop).times(1));
        let leads_before = linked.org.records("Lead").len();

        // Act
        linked.ring("CA-DROP", numbers::NOBODY).await;
        linked.settle().await;

        // Assert
        assert_eq!(linked.org.requests().iter().filter(|entry| entry.fault.as_deref() == Some("commit_then_drop")).count(), 1);
        assert_eq!(linked.org.records("Lead").len(), leads_before + 1);
        let lead = linked.find("Lead", "Phone", numbers::NOBODY);
        assert_eq!(linked.the_task_of("CA-DROP").text("WhoId"), Some(lead.id.as_str()));
        let members = linked.org.records("CampaignMember");
        assert_eq!(members.iter().filter(|member| member.text("LeadId") == Some(lead.id.as_str())).count(), 1);
    }
}

org_test! {
    async fn without_the_call_id_field_a_replay_finds_the_task_by_call_object(linked: Linked) {
        // Arrange: an org whose admin has not created Task.Call_Id__c; every composite commits and drops once.
        linked.org.set_task_call_id_field(false);
        linked.org.inject(Fault::on("POST", COMPOSITE, FaultAction::CommitThenDrop).times(2));
        let ada = linked.find("Contact", "LastName", "Lovelace");

        // Act: a known caller and a new one.
        linked.ring("CA-NOKEY-1", numbers::ONE_CONTACT).await;
        linked.settle().await;
        linked.ring("CA-NOKEY-2", numbers::NOBODY).await;
        linked.settle().await;

        // Assert
        assert_eq!(linked.the_task_of("CA-NOKEY-1").text("WhoId"), Some(ada.id.as_str()));
        let lead = linked.find("Lead", "Phone", numbers::NOBODY);
        assert_eq!(linked.the_task_of("CA-NOKEY-2").text("WhoId"), Some(lead.id.as_str()));
    }
}

org_test! {
    async fn tokens_that_expire_in_the_middle_of_a_burst_are_refreshed_once_and_every_call_is_logged(linked: Linked) {
        // Arrange: the org answers writes slowly enough for the burst to be under way when the tokens expire.
        linked.org.inject(Fault::on("POST", COMPOSITE, FaultAction::Latency { ms: 150 }));
        linked.org.clear_requests();
        let calls: Vec<String> = (1..=6).map(|n| format!("CA-BURST-{n}")).collect();

        // Act
        for call in &calls {
            linked.ring(call, numbers::ONE_LEAD).await;
        }
        linked.wait_for_org("the burst's first Task", |org| {
            org.records("Task").iter().any(|task| task.text("CallObject").is_some_and(|id| id.starts_with("CA-BURST-")))
        })
        .await;
        assert!(linked.org.expire_all_tokens() > 0);
        linked.settle().await;

        // Assert: one refresh, and each call's one Task.
        let refreshes = linked.org.requests().into_iter().filter(|entry| {
            entry.path == "/services/oauth2/token" && entry.body.contains("grant_type=refresh_token")
        });
        assert_eq!(refreshes.count(), 1);
        let alan = linked.find("Lead", "LastName", "Turing");
        for call in &calls {
            assert_eq!(linked.the_task_of(call).text("WhoId"), Some(alan.id.as_str()), "{call}");
        }
        let (_, connection) = linked.app.get_json(&linked.acme.admin, "/api/v1/salesforce/connection").await;
        assert_eq!(connection["status"], "connected");
    }
}

org_test! {
    async fn a_refused_refresh_asks_the_admin_to_link_again_and_loses_nothing(linked: Linked) {
        // Arrange: the access token expired and Salesforce no longer accepts the refresh token.
        linked.org.expire_all_tokens();
        let refused = linked.org.inject(Fault::on("POST", "/services/oauth2/token", FaultAction::Respond {
            status: 400,
            content_type: None,
            body: json!({"error": "invalid_grant", "error_description": "expired access/refresh token"}).to_string(),
        }));

        // Act
        linked.ring("CA-RELINK", numbers::ONE_CONTACT).await;
        linked.wait_for_org("nothing", |_| true).await;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        let connection = loop {
            let (_, connection) = linked.app.get_json(&linked.acme.admin, "/api/v1/salesforce/connection").await;
            if connection["status"] == "needs_relink" || tokio::time::Instant::now() > deadline {
                break connection;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        };

        // Assert: the console says why; the call waits, then reaches the org once the admin links again.
        assert_eq!(connection["status"], "needs_relink", "{connection}");
        assert!(connection["last_error"].as_str().is_some_and(|error| error.contains("expired access/refresh token")), "{connection}");
        assert!(linked.tasks_of("CA-RELINK").is_empty());
        linked.org.remove_fault(refused);
        linked.link().await;
        linked.settle().await;
        let ada = linked.find("Contact", "LastName", "Lovelace");
        assert_eq!(linked.the_task_of("CA-RELINK").text("WhoId"), Some(ada.id.as_str()));
    }
}

org_test! {
    async fn the_daily_limit_pauses_the_accounts_sync_until_salesforce_allows_it_again(linked: Linked) {
        // Arrange: the org's daily API requests are used up.
        linked.org.set_api_usage(15_000, 15_000);

        // Act: the call, until the admin sees both the pause and the item put back. (The engine pauses the account,
        // then puts the item back: read in between, the log still shows the item being worked on. The pause lasts
        // 2 s in tests and is taken again at each retry, so both are read in one look.)
        linked.ring("CA-LIMIT", numbers::ONE_CONTACT).await;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        let (log, connection) = loop {
            let log = linked.sync_log().await;
            let (_, connection) = linked.app.get_json(&linked.acme.admin, "/api/v1/salesforce/connection").await;
            let put_back = log.iter().any(|item| item["status"] == "retrying");
            if (put_back && !connection["paused_until"].is_null()) || tokio::time::Instant::now() > deadline {
                break (log, connection);
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        };

        // Assert: paused, shown in the sync log as retrying with Salesforce's error, nothing written.
        assert!(!connection["paused_until"].is_null(), "{connection}");
        assert_eq!(log.len(), 1, "{log:#?}");
        assert_eq!(log[0]["status"], "retrying");
        assert_eq!(log[0]["error"]["code"], "REQUEST_LIMIT_EXCEEDED");
        assert!(linked.tasks_of("CA-LIMIT").is_empty());

        // Act: a new day (the pause is 2 s in tests).
        linked.org.set_api_usage(10, 15_000);
        linked.settle().await;

        // Assert: the call is logged, and the console shows the usage Salesforce reported.
        assert_eq!(linked.tasks_of("CA-LIMIT").len(), 1);
        let (_, connection) = linked.app.get_json(&linked.acme.admin, "/api/v1/salesforce/connection").await;
        assert_eq!(connection["api_max"], 15_000, "{connection}");
        assert!(connection["api_used"].as_i64().is_some_and(|used| used > 10), "{connection}");
    }
}

org_test! {
    async fn a_validation_rule_parks_the_call_with_salesforces_words_until_the_admin_fixes_the_org_and_retries(linked: Linked) {
        // Arrange: the org requires an email on every Lead.
        linked.org.add_validation_rule(seed::lead_needs_email())
        .expect("a valid rule");
        let leads_before = linked.org.records("Lead").len();

        // Act
        linked.ring("CA-RULE", numbers::NOBODY).await;
        linked.settle().await;

        // Assert: parked with Salesforce's code, message and field; nothing half-written in the org.
        let log = linked.sync_log().await;
        assert_eq!(log.len(), 1, "{log:#?}");
        assert_eq!(log[0]["status"], "parked");
        assert_eq!(log[0]["subject"], "CA-RULE");
        assert_eq!(log[0]["error"]["code"], "FIELD_CUSTOM_VALIDATION_EXCEPTION");
        assert_eq!(log[0]["error"]["message"], "Enter the lead's email address.");
        assert_eq!(log[0]["error"]["fields"], json!(["Email"]));
        assert_eq!(linked.org.records("Lead").len(), leads_before);
        assert!(linked.tasks_of("CA-RULE").is_empty());
        let (_, call) = linked.app.get_json(&linked.acme.admin, "/api/v1/calls/CA-RULE").await;
        assert_eq!(call["sync_status"], "parked", "{call}");

        // Act: the admin deactivates the rule and presses Retry.
        assert!(linked.org.remove_validation_rule("Lead_Needs_Email"));
        let id = log[0]["id"].as_i64().unwrap();
        let retried = linked.app.post_json(Some(&linked.acme.admin.token), &format!("/api/v1/sync-log/{id}/retry"), &json!({})).await;
        assert_eq!(retried.status(), StatusCode::ACCEPTED);
        linked.settle().await;

        // Assert
        let lead = linked.find("Lead", "Phone", numbers::NOBODY);
        assert_eq!(linked.the_task_of("CA-RULE").text("WhoId"), Some(lead.id.as_str()));
        assert!(linked.sync_log().await.is_empty());
    }
}

org_test! {
    async fn a_required_custom_field_parks_every_new_caller_and_one_retry_sends_them_all(linked: Linked) {
        // Arrange: the admin made a custom Lead field required.
        let region = CustomField {
            name: "Sales_Region__c".to_owned(),
            required: true,
            ..serde_json::from_value(json!({"name": "Sales_Region__c"})).expect("a custom field")
        };
        linked.org.add_custom_field("Lead", region).expect("a new field");

        // Act
        linked.ring("CA-REQ-1", numbers::NOBODY).await;
        linked.ring("CA-REQ-2", "+14155550188").await;
        linked.settle().await;

        // Assert
        let log = linked.sync_log().await;
        assert_eq!(log.len(), 2, "{log:#?}");
        for item in &log {
            assert_eq!(item["error"]["code"], "REQUIRED_FIELD_MISSING", "{item}");
            assert_eq!(item["error"]["fields"], json!(["Sales_Region__c"]), "{item}");
        }

        // Act: the field is made optional; one retry for every item with that error.
        linked.org.remove_custom_field("Lead", "Sales_Region__c").expect("the field exists");
        let retried = linked
            .app
            .post_json(Some(&linked.acme.admin.token), "/api/v1/sync-log/retry", &json!({ "error_code": "REQUIRED_FIELD_MISSING" }))
            .await;
        assert_eq!(retried.status(), StatusCode::ACCEPTED);
        assert_eq!(retried.json::<Value>().await.unwrap()["retried"], 2);
        linked.settle().await;

        // Assert
        assert_eq!(linked.the_task_of("CA-REQ-1").text("WhoId"), Some(linked.find("Lead", "Phone", numbers::NOBODY).id.as_str()));
        assert_eq!(linked.the_task_of("CA-REQ-2").text("WhoId"), Some(linked.find("Lead", "Phone", "+14155550188").id.as_str()));
        assert!(linked.sync_log().await.is_empty());
    }
}

org_test! {
    async fn a_duplicate_rule_that_blocks_the_new_lead_sends_the_call_to_the_record_it_matched(linked: Linked) {
        // Arrange: a caller whose number the org does not have, but whose name a duplicate rule recognises.
        linked.org.add_duplicate_rule(serde_json::from_value(json!({
            "name": "Leads_Like_Contacts", "object": "Lead", "compare_with": ["Contact"],
            "fields": [{"field": "LastName", "normalizer": "lowercase"}, {"field": "FirstName", "normalizer": "lowercase"}],
            "message": "This lead looks like an existing contact."
        })).expect("a duplicate rule"))
        .expect("a valid rule");
        let ada = linked.find("Contact", "LastName", "Lovelace");
        let leads_before = linked.org.records("Lead").len();

        // Act
        linked.event("CA-DUP", "ringing", 0, &json!({ "caller_number": "+14155550155", "caller_name": "Ada Lovelace" })).await;
        linked.settle().await;

        // Assert: no Lead; the Task is on Ada, and the panel says why.
        assert_eq!(linked.org.records("Lead").len(), leads_before);
        assert_eq!(linked.the_task_of("CA-DUP").text("WhoId"), Some(ada.id.as_str()));
        let panel = linked.panel("CA-DUP").await.to_string();
        assert!(panel.contains("DUPLICATES_DETECTED") && panel.contains("the duplicate rule's match"), "{panel}");
        assert!(linked.sync_log().await.is_empty());
    }
}

org_test! {
    async fn calls_of_an_account_not_linked_yet_wait_and_go_once_the_org_is_linked(linked: Linked) {
        // Arrange: unlink (callpop revokes its tokens).
        let unlinked = linked.app.send_json(reqwest::Method::DELETE, Some(&linked.acme.admin.token), "/api/v1/salesforce/connection", &json!({})).await;
        assert_eq!(unlinked.status(), StatusCode::NO_CONTENT);
        let revocations = linked.org.requests().into_iter().filter(|entry| entry.path == "/services/oauth2/revoke").count();
        assert_eq!(revocations, 1);

        // Act
        linked.ring("CA-WAIT", numbers::ONE_CONTACT).await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;

        // Assert: nothing reached the org, nothing was dropped.
        assert!(linked.tasks_of("CA-WAIT").is_empty());
        let (_, connection) = linked.app.get_json(&linked.acme.admin, "/api/v1/salesforce/connection").await;
        assert_eq!(connection["status"], "not_linked");
        linked.link().await;
        linked.settle().await;
        assert_eq!(linked.tasks_of("CA-WAIT").len(), 1);
    }
}

org_test! {
    async fn the_agents_append_reaches_the_org_past_a_later_event_waiting_behind_the_refused_lead(linked: Linked) {
        // Arrange: the org refuses callpop's new Lead (no email), so the call's first write parks for the
        // administrator; the agent then answers, and that event waits behind the parked one.
        linked.org.add_validation_rule(seed::lead_needs_email()).expect("a valid rule");
        linked.ring("CA-STUCK", numbers::NOBODY).await;
        linked.settle().await;
        let log = linked.sync_log().await;
        assert_eq!(log.len(), 1, "{log:#?}");
        assert_eq!(log[0]["status"], "parked");
        linked.event("CA-STUCK", "answered", 1, &json!({ "caller_number": numbers::NOBODY })).await;
        let saved = linked.insert(
            "Lead",
            &json!({ "FirstName": "Joan", "LastName": "Clarke", "Company": "Bletchley", "Phone": numbers::NOBODY,
                     "Email": "joan@example.com" }),
        );

        // Act: the agent appends the call to the Lead they saved.
        linked.append("CA-STUCK", &saved, "Lead", "agent_choice").await;

        // Assert: the call's Task reaches the agent's Lead without waiting for the administrator, and the call's
        // refused and waiting events then update that Task instead of writing anything else.
        linked
            .wait_for_org("the call's Task on the agent's Lead", |org| {
                org.records("Task").iter().any(|task| {
                    task.text("CallObject") == Some("CA-STUCK") && task.text("WhoId") == Some(saved.as_str())
                })
            })
            .await;
        linked.settle().await;
        assert_eq!(linked.the_task_of("CA-STUCK").text("WhoId"), Some(saved.as_str()));
        assert_eq!(linked.org.records("Lead").iter().filter(|lead| lead.text("Phone") == Some(numbers::NOBODY)).count(), 1);
        assert!(linked.sync_log().await.is_empty());
    }
}
