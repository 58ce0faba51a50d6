//! Legacy mode against the local org: who a call is logged on, what is created, the Campaign, the implicit updates,
//! the formatting options and texts. Every test asserts the org's records.

use crate::org::{Linked, org_test};
use callpop_sandbox::seed::numbers;
use callpop_server::provision;
use serde_json::{Value, json};

/// The org's CampaignMembers of `record` (as Lead or Contact).
fn memberships(linked: &Linked, record: &str) -> Vec<callpop_sandbox::org::Record> {
    linked
        .org
        .records("CampaignMember")
        .into_iter()
        .filter(|member| member.text("LeadId") == Some(record) || member.text("ContactId") == Some(record))
        .collect()
}

fn spring_promo(linked: &Linked) -> String {
    linked.find("Campaign", "Name", "Spring Promo").id.as_str().to_owned()
}

org_test! {
    async fn a_new_caller_becomes_a_lead_with_the_calls_task_and_campaign_in_two_requests(linked: Linked) {
        // Arrange
        let leads_before = linked.org.records("Lead").len();
        let nobody_else = "+14155550199";

        // Act
        linked.ring("CA-NEW-1", numbers::NOBODY).await;
        linked.settle().await;

        // Assert: one new Lead with the fields Salesforce requires, the Task on it, and the Campaign.
        let leads = linked.org.records("Lead");
        assert_eq!(leads.len(), leads_before + 1);
        let lead = linked.find("Lead", "Phone", numbers::NOBODY);
        assert_eq!(lead.text("LastName"), Some("Unknown Caller"));
        assert_eq!(lead.text("Company"), Some("[not provided]"));
        assert_eq!(lead.text("LeadSource"), Some("Google Ads"));
        let task = linked.the_task_of("CA-NEW-1");
        assert_eq!(task.text("WhoId"), Some(lead.id.as_str()));
        assert_eq!(task.text("TaskSubtype"), Some("Call"));
        assert_eq!(task.text("CallType"), Some("Inbound"));
        assert_eq!(task.text("Status"), Some("Not Started"));
        assert_eq!(task.text("Subject"), Some("Inbound call from +14155550123"));
        assert!(task.text("Description").is_some_and(|text| text.contains("Tracking source: Google Ads")), "{task:?}");
        let members = memberships(&linked, lead.id.as_str());
        assert_eq!(members.len(), 1, "{members:#?}");
        assert_eq!(members[0].text("CampaignId"), Some(spring_promo(&linked).as_str()));
        assert_eq!(members[0].text("Status"), Some("Responded"));
        // The agent's softphone is told which record to pop: the call names the new Lead.
        let call = linked.app.store.call_by_call_id(linked.acme.account.id, "CA-NEW-1").await.unwrap().unwrap();
        assert_eq!(call.salesforce_record_id.as_deref(), Some(lead.id.as_str()));

        // Act: the next new caller, once the Campaign's id and the org's Task key are known.
        linked.org.clear_requests();
        linked.ring("CA-NEW-2", nobody_else).await;
        linked.settle().await;

        // Assert: one search and one composite request (Lead, Task and CampaignMember together).
        let lead = linked.find("Lead", "Phone", nobody_else);
        assert_eq!(linked.the_task_of("CA-NEW-2").text("WhoId"), Some(lead.id.as_str()));
        assert_eq!(linked.org.request_count(None, "/services/**"), 2, "{:#?}", linked.org.requests());
        assert_eq!(linked.org.request_count(Some("GET"), "/services/data/*/search/"), 1);
        assert_eq!(linked.org.request_count(Some("POST"), "/services/data/*/composite"), 1);
        let panel = linked.panel("CA-NEW-2").await;
        assert!(panel.to_string().contains("no match: a new Lead"), "{panel}");
        // Operators see the requests and the items in the metrics.
        let metrics = linked.app.get(None, "/metrics").await.text().await.unwrap();
        let requests = metrics.lines().find_map(|line| line.strip_prefix("callpop_salesforce_requests_total "));
        assert!(requests.and_then(|value| value.trim().parse::<f64>().ok()).is_some_and(|value| value >= 2.0), "{metrics}");
        assert!(metrics.contains("callpop_sync_items_total{kind=\"call_event\",outcome=\"done\"}"), "{metrics}");
    }
}

org_test! {
    async fn a_known_lead_gets_the_task_and_no_new_lead_is_created(linked: Linked) {
        // Arrange
        let alan = linked.find("Lead", "LastName", "Turing");
        let leads_before = linked.org.records("Lead").len();

        // Act
        linked.ring("CA-LEAD", numbers::ONE_LEAD).await;
        linked.settle().await;

        // Assert
        assert_eq!(linked.org.records("Lead").len(), leads_before);
        let task = linked.the_task_of("CA-LEAD");
        assert_eq!(task.text("WhoId"), Some(alan.id.as_str()));
        let members = memberships(&linked, alan.id.as_str());
        assert_eq!(members.len(), 1);
        assert_eq!(members[0].text("LeadId"), Some(alan.id.as_str()));
        let panel = linked.panel("CA-LEAD").await;
        assert!(panel.to_string().contains("single match"), "{panel}");
    }
}

org_test! {
    async fn a_known_contact_gets_the_task_and_joins_the_campaign_as_a_contact(linked: Linked) {
        // Arrange
        let ada = linked.find("Contact", "LastName", "Lovelace");
        let leads_before = linked.org.records("Lead").len();

        // Act
        linked.ring("CA-CONTACT", numbers::ONE_CONTACT).await;
        linked.settle().await;

        // Assert
        assert_eq!(linked.org.records("Lead").len(), leads_before);
        assert_eq!(linked.the_task_of("CA-CONTACT").text("WhoId"), Some(ada.id.as_str()));
        let members = memberships(&linked, ada.id.as_str());
        assert_eq!(members.len(), 1);
        assert_eq!(members[0].text("ContactId"), Some(ada.id.as_str()));
        assert_eq!(members[0].text("LeadId"), None);
    }
}

org_test! {
    async fn a_converted_lead_is_passed_over_for_the_contact_it_became(linked: Linked) {
        // Arrange: Marie was a Lead, converted into a Contact; both still carry her number.
        let marie = linked.insert("Contact", &json!({"FirstName": "Marie", "LastName": "Curie", "Phone": "+1 415 555 0177"}));
        let converted = linked.insert(
            "Lead",
            &json!({"FirstName": "Marie", "LastName": "Curie", "Company": "Radium Institute", "Phone": "(415) 555-0177",
                    "IsConverted": true, "ConvertedContactId": marie, "Status": "Closed - Converted"}),
        );

        // Act
        linked.ring("CA-CONVERTED", "+14155550177").await;
        linked.settle().await;

        // Assert: the Task is on the Contact; the converted Lead is untouched and joined nothing.
        assert_eq!(linked.the_task_of("CA-CONVERTED").text("WhoId"), Some(marie.as_str()));
        assert!(memberships(&linked, &converted).is_empty());
        assert_eq!(memberships(&linked, &marie).len(), 1);
        assert_eq!(linked.org.records("Lead").iter().filter(|lead| lead.text("LastName") == Some("Curie")).count(), 1);
    }
}

org_test! {
    async fn several_matches_without_the_dialog_go_to_the_most_recently_modified_record(linked: Linked) {
        // Arrange: Grace Hopper the Contact (modified 2 days ago) is newer than the two Leads with her number.
        linked.set_options(&json!({ "multi_match_dialog": false })).await;
        let grace = linked.find("Contact", "LastName", "Hopper");

        // Act
        linked.ring("CA-SEVERAL", numbers::SEVERAL).await;
        linked.settle().await;

        // Assert
        assert_eq!(linked.the_task_of("CA-SEVERAL").text("WhoId"), Some(grace.id.as_str()));
        assert_eq!(linked.org.records("Task").iter().filter(|task| task.text("CallObject") == Some("CA-SEVERAL")).count(), 1);
        let panel = linked.panel("CA-SEVERAL").await;
        assert!(panel.to_string().contains("most recently modified"), "{panel}");
    }
}

org_test! {
    async fn several_matches_with_the_dialog_wait_for_the_agents_pick_and_log_one_task_on_it(linked: Linked) {
        // Arrange
        let trust = linked.find("Lead", "LastName", "Hopper Family Trust");

        // Act: the call rings; the engine waits while the agent's softphone shows the dialog.
        linked.ring("CA-PICK", numbers::SEVERAL).await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert!(linked.tasks_of("CA-PICK").is_empty(), "nothing is logged before the agent picks");
        linked.append("CA-PICK", trust.id.as_str(), "Lead", "agent_choice").await;
        linked.settle().await;

        // Assert: one Task, on the record the agent picked (the call event and the append share it).
        assert_eq!(linked.the_task_of("CA-PICK").text("WhoId"), Some(trust.id.as_str()));
        assert_eq!(memberships(&linked, trust.id.as_str()).len(), 1);
        let panel = linked.panel("CA-PICK").await;
        assert!(panel.to_string().contains("agent choice"), "{panel}");
    }
}

org_test! {
    async fn several_matches_with_the_dialog_unanswered_fall_back_to_the_most_recently_modified_record(linked: Linked) {
        // Arrange
        let grace = linked.find("Contact", "LastName", "Hopper");

        // Act: nobody picks; the dialog times out (3 s in tests).
        linked.ring("CA-NOPICK", numbers::SEVERAL).await;
        linked.settle().await;

        // Assert
        assert_eq!(linked.the_task_of("CA-NOPICK").text("WhoId"), Some(grace.id.as_str()));
    }
}

org_test! {
    async fn an_existing_campaign_member_stays_one_member_and_the_call_is_still_logged(linked: Linked) {
        // Arrange: Ada already responded to Spring Promo.
        let ada = linked.find("Contact", "LastName", "Lovelace");
        let campaign = spring_promo(&linked);
        linked.insert("CampaignMember", &json!({"CampaignId": campaign, "ContactId": ada.id.as_str(), "Status": "Sent"}));

        // Act
        linked.ring("CA-MEMBER", numbers::ONE_CONTACT).await;
        linked.settle().await;

        // Assert: the Task is in, the membership is the one there was, and nothing waits in the sync log.
        assert_eq!(linked.the_task_of("CA-MEMBER").text("WhoId"), Some(ada.id.as_str()));
        let members = memberships(&linked, ada.id.as_str());
        assert_eq!(members.len(), 1);
        assert_eq!(members[0].text("Status"), Some("Sent"));
        assert!(linked.sync_log().await.is_empty());
        let panel = linked.panel("CA-MEMBER").await;
        assert!(panel.to_string().contains("already a member"), "{panel}");
    }
}

org_test! {
    async fn a_campaign_the_org_does_not_have_is_skipped_and_the_task_is_logged(linked: Linked) {
        // Act
        linked.event("CA-NOCAMPAIGN", "ringing", 0, &json!({ "caller_number": numbers::ONE_LEAD, "campaign": "Winter Sale" })).await;
        linked.settle().await;

        // Assert
        let alan = linked.find("Lead", "LastName", "Turing");
        assert_eq!(linked.the_task_of("CA-NOCAMPAIGN").text("WhoId"), Some(alan.id.as_str()));
        assert!(memberships(&linked, alan.id.as_str()).is_empty());
        assert!(linked.sync_log().await.is_empty());
    }
}

org_test! {
    async fn the_calls_life_updates_the_same_task_owner_status_duration_disposition_and_recording(linked: Linked) {
        // Arrange: an agent linked to their Salesforce user.
        let alex = linked.find("User", "Username", "alex.agent@acme.example");
        let email = format!("linked@{}.test", linked.acme.account.public_id.to_lowercase());
        provision::create_user(
            linked.app.store.as_ref(), linked.acme.account.id, &email, "Alex Agent",
            callpop_core::account::Role::CallAgent, "correct horse battery", Some(alex.id.as_str()),
        )
        .await
        .expect("creating the agent");
        let agent = json!({ "agent": email, "caller_number": numbers::ONE_CONTACT });
        let with = |extra: Value| {
            let mut body = agent.clone();
            body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            body
        };

        // Act and assert, event by event.
        linked.event("CA-LIFE", "ringing", 0, &agent).await;
        linked.settle().await;
        let ringing = linked.the_task_of("CA-LIFE");
        assert_eq!(ringing.text("Status"), Some("Not Started"));

        linked.event("CA-LIFE", "answered", 1, &agent).await;
        linked.settle().await;
        let answered = linked.the_task_of("CA-LIFE");
        assert_eq!(answered.id, ringing.id);
        assert_eq!(answered.text("Status"), Some("In Progress"));
        assert_eq!(answered.text("OwnerId"), Some(alex.id.as_str()));

        // The recording comes with the call's end (a call has one event of each kind).
        let end = json!({ "duration_secs": 95, "disposition": "Quote sent",
                          "recording_url": "https://recordings.example.com/CA-LIFE.mp3" });
        linked.event("CA-LIFE", "completed", 3, &with(end)).await;
        linked.settle().await;
        let completed = linked.the_task_of("CA-LIFE");
        assert_eq!(completed.id, ringing.id);
        assert_eq!(completed.text("Status"), Some("Completed"));
        assert_eq!(completed.fields["CallDurationInSeconds"], json!(95));
        assert_eq!(completed.text("CallDisposition"), Some("Quote sent"));
        assert!(
            completed.text("Description").is_some_and(|text| text.contains("Recording: https://recordings.example.com/CA-LIFE.mp3")),
            "{completed:?}"
        );
    }
}

org_test! {
    async fn events_that_wait_together_reach_the_task_in_one_write(linked: Linked) {
        // Arrange: the org is not reachable for a moment, so the call's three events queue up.
        let fault = linked.org.inject(callpop_sandbox::faults::Fault::any_method(
            "/services/**",
            callpop_sandbox::faults::FaultAction::ServiceUnavailable,
        ));
        linked.ring("CA-QUEUED", numbers::ONE_LEAD).await;
        linked.event("CA-QUEUED", "answered", 1, &json!({ "caller_number": numbers::ONE_LEAD })).await;
        linked.event("CA-QUEUED", "completed", 2, &json!({ "caller_number": numbers::ONE_LEAD, "duration_secs": 40 })).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;

        // Act
        linked.org.remove_fault(fault);
        linked.org.clear_requests();
        linked.app.store.wake_account_outbox(linked.acme.account.id, chrono::Utc::now()).await.unwrap();
        linked.settle().await;

        // Assert: one Task holding the call's end, written with the search and one composite request, no updates.
        let task = linked.the_task_of("CA-QUEUED");
        assert_eq!(task.text("Status"), Some("Completed"));
        assert_eq!(task.fields["CallDurationInSeconds"], json!(40));
        let searches: Vec<_> = linked.org.requests().into_iter().filter(|e| e.path.ends_with("/search/") || e.path.contains("oauth") || e.path.starts_with("/id")).map(|e| (e.at, e.path, e.query.map(|q| q.len()))).collect();
        assert_eq!(linked.org.request_count(Some("GET"), "/services/data/*/search/"), 1, "{searches:#?}");
        assert_eq!(linked.org.request_count(Some("POST"), "/services/data/*/composite"), 1);
        assert_eq!(linked.org.request_count(Some("PATCH"), "/services/data/*/sobjects/Task/*"), 0);
    }
}

org_test! {
    async fn numbers_and_regions_are_written_as_the_account_chose(linked: Linked) {
        // Arrange
        let caller = |number: &str| json!({ "caller_number": number, "caller_name": "Rosalind Franklin",
            "caller_city": "Los Angeles", "caller_region": "CA", "caller_country": "US" });

        // Act: E.164 and ISO codes (both options off, the defaults).
        linked.set_options(&json!({ "local_number_format": false, "full_region_names": false })).await;
        linked.event("CA-ISO", "ringing", 0, &caller("+13105550110")).await;
        linked.settle().await;
        // Local format and full names (both on).
        linked.set_options(&json!({ "local_number_format": true, "full_region_names": true })).await;
        linked.event("CA-FULL", "ringing", 1, &caller("+13105550111")).await;
        linked.event("CA-UK", "ringing", 2, &json!({ "caller_number": "+442079460958", "caller_name": "Alan Blumlein",
            "caller_city": "London", "caller_region": "ENG", "caller_country": "GB" })).await;
        linked.settle().await;

        // Assert
        let iso = linked.find("Lead", "Phone", "+13105550110");
        assert_eq!((iso.text("City"), iso.text("State"), iso.text("Country")), (Some("Los Angeles"), Some("CA"), Some("US")));
        assert_eq!(linked.the_task_of("CA-ISO").text("Subject"), Some("Inbound call from +13105550110"));
        let full = linked.find("Lead", "Phone", "(310) 555-0111");
        assert_eq!((full.text("State"), full.text("Country")), (Some("California"), Some("United States")));
        assert_eq!(linked.the_task_of("CA-FULL").text("Subject"), Some("Inbound call from (310) 555-0111"));
        // A foreign caller keeps the country code: local format is for the account's own country (US).
        let uk = linked.find("Lead", "Phone", "+44 20 7946 0958");
        assert_eq!((uk.text("State"), uk.text("Country")), (Some("England"), Some("United Kingdom")));
        assert_eq!(uk.text("LastName"), Some("Blumlein"));
        assert_eq!(linked.the_task_of("CA-UK").text("Subject"), Some("Inbound call from +44 20 7946 0958"));
    }
}

org_test! {
    async fn a_new_callers_name_longer_than_the_leads_fields_is_cut_to_fit_and_the_call_is_logged(linked: Linked) {
        // Arrange: a caller name longer than Salesforce's Lead names (FirstName 40 characters, LastName 80), which
        // the org refuses whole (`STRING_TOO_LONG`).
        let (first, last) = ("Maximiliane".repeat(4), "Wolfeschlegelsteinhausen".repeat(4));

        // Act
        let caller = json!({ "caller_number": numbers::NOBODY, "caller_name": format!("{first} {last}") });
        linked.event("CA-LONG-NAME", "ringing", 0, &caller).await;
        linked.settle().await;

        // Assert: the new Lead has the name's first 40 and 80 characters, the call's Task is on it, nothing parked.
        let lead = linked.find("Lead", "Phone", numbers::NOBODY);
        assert_eq!(lead.text("FirstName"), Some(&first[..40]), "{lead:?}");
        assert_eq!(lead.text("LastName"), Some(&last[..80]), "{lead:?}");
        assert_eq!(linked.the_task_of("CA-LONG-NAME").text("WhoId"), Some(lead.id.as_str()));
        assert!(linked.sync_log().await.is_empty());
    }
}

org_test! {
    async fn a_text_is_logged_as_a_task_on_the_sender_or_on_a_new_lead(linked: Linked) {
        // Arrange
        let ada = linked.find("Contact", "LastName", "Lovelace");

        // Act: Ada texts (her number, written as she typed it), and so does a stranger.
        linked.app.text(&linked.acme, "SM-ADA", &linked.acme.agent, 0).await;
        let stranger = json!({
            "message_id": "SM-NEW", "direction": "inbound", "from_number": "+14155550166", "to_number": "+14155550100",
            "body": "Are you open on Saturday?", "agent": linked.acme.agent.email, "occurred_at": crate::helpers::at(1),
        });
        let response = linked.app.post_json(Some(&linked.acme.api_key), "/api/v1/text-events", &stranger).await;
        assert_eq!(response.status(), reqwest::StatusCode::ACCEPTED);
        linked.settle().await;

        // Assert
        let to_ada = linked.the_task_of("text:SM-ADA");
        assert_eq!(to_ada.text("WhoId"), Some(ada.id.as_str()));
        assert_eq!(to_ada.text("Subject"), Some("Text message from +14155552671"));
        assert!(to_ada.text("Description").is_some_and(|text| text.starts_with("Can you call me back about the quote?")));
        assert_eq!(to_ada.text("Status"), Some("Completed"));
        let lead = linked.find("Lead", "Phone", "+14155550166");
        let to_stranger = linked.the_task_of("text:SM-NEW");
        assert_eq!(to_stranger.text("WhoId"), Some(lead.id.as_str()));
        assert_eq!(to_stranger.text("Description"), Some("Are you open on Saturday?"));
    }
}

org_test! {
    async fn calls_that_wait_together_are_searched_and_written_together(linked: Linked) {
        // Arrange: six callers the org knows and six it does not, all queued while the org was not linked.
        let unlinked = linked
            .app
            .send_json(reqwest::Method::DELETE, Some(&linked.acme.admin.token), "/api/v1/salesforce/connection", &json!({}))
            .await;
        assert_eq!(unlinked.status(), reqwest::StatusCode::NO_CONTENT);
        let mut known = vec![
            (numbers::ONE_CONTACT.to_owned(), linked.find("Contact", "LastName", "Lovelace").id.as_str().to_owned()),
            (numbers::ONE_LEAD.to_owned(), linked.find("Lead", "LastName", "Turing").id.as_str().to_owned()),
        ];
        for n in 0..4 {
            let number = format!("+1415555031{n}");
            let id = linked.insert("Contact", &json!({"LastName": format!("Known {n}"), "Phone": number}));
            known.push((number, id));
        }
        let unknown: Vec<String> = (0..6).map(|n| format!("+1415555032{n}")).collect();
        for (n, (number, _)) in known.iter().enumerate() {
            linked.ring(&format!("CA-KNOWN-{n}"), number).await;
        }
        for (n, number) in unknown.iter().enumerate() {
            linked.ring(&format!("CA-UNKNOWN-{n}"), number).await;
        }

        // Every call has been looked at once and waits for the link (none is being worked on right now).
        let store = &linked.app.store;
        let account = linked.acme.account.id;
        let waiting = || async {
            let pending = store.sync_log(account, &["pending"], 50).await.unwrap();
            pending.len() == 12 && pending.iter().all(|item| item.attempts >= 1)
        };
        while !waiting().await || !store.sync_log(account, &["processing"], 50).await.unwrap().is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }

        // Act
        linked.org.clear_requests();
        linked.link().await;
        linked.settle().await;

        // Assert: every call is on its record or a new Lead, once.
        for (n, (_, record)) in known.iter().enumerate() {
            assert_eq!(linked.the_task_of(&format!("CA-KNOWN-{n}")).text("WhoId"), Some(record.as_str()));
        }
        for (n, number) in unknown.iter().enumerate() {
            let lead = linked.find("Lead", "Phone", number);
            assert_eq!(linked.the_task_of(&format!("CA-UNKNOWN-{n}")).text("WhoId"), Some(lead.id.as_str()));
        }
        // One search for all twelve numbers, and the 30 writes in two composite requests of at most 25.
        let searches: Vec<_> = linked.org.requests().into_iter().filter(|e| e.path.ends_with("/search/") || e.path.contains("oauth") || e.path.starts_with("/id")).map(|e| (e.at, e.path, e.query.map(|q| q.len()))).collect();
        assert_eq!(linked.org.request_count(Some("GET"), "/services/data/*/search/"), 1, "{searches:#?}");
        assert_eq!(linked.org.request_count(Some("POST"), "/services/data/*/composite"), 2);
        let (_, connection) = linked.app.get_json(&linked.acme.admin, "/api/v1/salesforce/connection").await;
        let per_call = connection["requests_per_logged_call"].as_f64().expect("requests per logged call");
        assert!(per_call < 0.5, "{per_call} requests per call");
    }
}

org_test! {
    async fn in_an_org_with_state_and_country_picklists_callpop_writes_the_codes_whatever_option_3_says(linked: Linked) {
        // Arrange: the org's State and Country picklists are on; option 3 asks for full region names.
        linked.org.update_settings(|settings| settings.state_country_picklists = true);
        linked.set_options(&json!({ "full_region_names": true })).await;

        // Act: a new caller from California.
        linked.event("CA-PICKLISTS", "ringing", 0, &json!({ "caller_number": numbers::NOBODY,
            "caller_name": "Rosalind Franklin", "caller_city": "Los Angeles", "caller_region": "CA", "caller_country": "US" })).await;
        linked.settle().await;

        // Assert: the Lead's picklists hold the codes and the org shows the names; the call's audit trail (what the
        // console shows the admin) says callpop wrote StateCode and CountryCode, which picklist orgs expect.
        let lead = linked.find("Lead", "Phone", numbers::NOBODY);
        assert_eq!((lead.text("StateCode"), lead.text("CountryCode")), (Some("CA"), Some("US")));
        assert_eq!((lead.text("State"), lead.text("Country")), (Some("California"), Some("United States")));
        let panel = linked.panel("CA-PICKLISTS").await.to_string();
        assert!(panel.contains(r#""StateCode":"CA""#) && panel.contains(r#""CountryCode":"US""#), "{panel}");
    }
}
