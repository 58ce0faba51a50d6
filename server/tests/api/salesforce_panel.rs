//! The Salesforce panel: what the sync engine recorded, summarised; and who may see it (the full matrix).

use crate::helpers::{TestAccount, TestApp, api_test, assert_error};
use callpop_core::account::{Plan, Role};
use callpop_core::options::IntegrationOptions;
use callpop_server::store::salesforce_audit::{SalesforceError, SalesforceStep, StepOutcome, SyncStep, SyncSubject};
use reqwest::StatusCode;
use serde_json::{Map, Value, json};

const LEAD: &str = "00Q000000000001AAA";
const TASK: &str = "00T000000000002AAA";

fn step(subject: SyncSubject, kind: SyncStep, object: &str, record_id: Option<&str>, fields: &Value) -> SalesforceStep {
    SalesforceStep {
        subject,
        outbox_id: None,
        step: kind,
        object: Some(object.to_owned()),
        record_id: record_id.map(str::to_owned),
        fields: fields.as_object().cloned().unwrap_or_else(Map::new),
        outcome: StepOutcome::Ok,
        error: None,
        api_requests: 1,
        detail: None,
    }
}

/// Records what a legacy-mode sync of the call would: search, create a Lead, append the Task, a parked campaign.
async fn record_a_sync(app: &TestApp, account: &TestAccount, call_id: &str) {
    let call = app.store.call_by_call_id(account.account.id, call_id).await.unwrap().expect("the call is stored");
    let subject = SyncSubject::Call(call.id);
    let mut campaign = step(subject, SyncStep::Campaign, "CampaignMember", None, &json!({ "Status": "Responded" }));
    campaign.outcome = StepOutcome::Parked;
    campaign.error = Some(SalesforceError {
        code: "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST".to_owned(),
        message: "Status: bad value for restricted picklist field: Responded".to_owned(),
        fields: vec!["Status".to_owned()],
    });
    let steps = [
        step(subject, SyncStep::Search, "Lead,Contact", None, &json!({})),
        step(
            subject,
            SyncStep::Create,
            "Lead",
            Some(LEAD),
            &json!({ "LastName": "Unknown Caller", "Company": "[not provided]" }),
        ),
        step(subject, SyncStep::Append, "Task", Some(TASK), &json!({ "CallObject": call_id, "TaskSubtype": "Call" })),
        campaign,
    ];
    for step in &steps {
        app.store.record_salesforce_step(account.account.id, step, chrono::Utc::now()).await.expect("recording a step");
    }
}

api_test! {
    async fn the_panel_shows_the_records_the_task_the_fields_the_status_and_salesforces_errors(app: TestApp) {
        // Arrange
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        app.ring(&acme, "CA-1", &acme.agent, 0, "Google Ads").await;
        record_a_sync(&app, &acme, "CA-1").await;
        // Act
        let (status, panel) = app.get_json(&acme.admin, "/api/v1/calls/CA-1/salesforce").await;
        // Assert
        assert_eq!(status, StatusCode::OK, "{panel}");
        assert_eq!(panel["sync_status"], "parked");
        assert_eq!(panel["records"], json!([
            { "object": "Lead", "record_id": LEAD, "steps": ["create"] },
            { "object": "Task", "record_id": TASK, "steps": ["append"] },
        ]));
        assert_eq!(panel["task_id"], TASK);
        assert_eq!(panel["fields_written"][0]["fields"]["Company"], "[not provided]");
        assert_eq!(panel["errors"][0]["code"], "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST");
        assert_eq!(panel["errors"][0]["fields"], json!(["Status"]));
        assert_eq!(panel["api_requests"], 4);
        let steps: Vec<&str> = panel["trail"].as_array().unwrap().iter().map(|entry| entry["step"].as_str().unwrap()).collect();
        assert_eq!(steps, ["search", "create", "append", "campaign"]);
        // The call's detail embeds the same panel, and the call log its status.
        let (_, detail) = app.get_json(&acme.admin, "/api/v1/calls/CA-1").await;
        assert_eq!(detail["salesforce"], panel);
        let (_, page) = app.get_json(&acme.admin, "/api/v1/calls").await;
        assert_eq!(page["calls"][0]["sync_status"], "parked");
        // A new event of the call is new work: pending again.
        let completed = crate::helpers::call_event("CA-1", "completed", &acme.agent.email, 3, "Google Ads");
        app.post_json(Some(&acme.api_key), "/api/v1/call-events", &completed).await;
        let (_, panel) = app.get_json(&acme.admin, "/api/v1/calls/CA-1/salesforce").await;
        assert_eq!(panel["sync_status"], "pending");
    }
}

api_test! {
    async fn a_step_for_another_accounts_call_is_refused_and_writes_nothing(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        let globex = app.create_account("Globex", Plan::Enterprise).await;
        app.ring(&acme, "CA-1", &acme.agent, 0, "Google Ads").await;
        let call = app.store.call_by_call_id(acme.account.id, "CA-1").await.unwrap().unwrap();
        let wrong = step(SyncSubject::Call(call.id), SyncStep::Search, "Lead", None, &json!({}));
        let refused = app.store.record_salesforce_step(globex.account.id, &wrong, chrono::Utc::now()).await;
        assert!(matches!(refused, Err(sqlx::Error::RowNotFound)), "{refused:?}");
        assert!(app.store.salesforce_audit(SyncSubject::Call(call.id)).await.unwrap().is_empty());
        let (_, panel) = app.get_json(&acme.admin, "/api/v1/calls/CA-1/salesforce").await;
        assert_eq!(panel["sync_status"], "pending");
    }
}

api_test! {
    /// Every role × Limit Data Access on and off × own call and another agent's call, on the panel route and on the
    /// call's detail and list, where the panel and the sync status must not leak either.
    async fn the_panel_follows_role_limit_data_access_and_ownership(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        for role in Role::ALL {
            let user = acme.user(role);
            app.ring(&acme, &format!("OWN-{}", role.as_str()), user, 0, "Google Ads").await;
        }
        app.ring(&acme, "OTHERS", &acme.other_agent, 1, "Google Ads").await;
        for limit_data_access in [false, true] {
            let options = IntegrationOptions { limit_data_access, ..IntegrationOptions::default() };
            app.store.update_integration_options(acme.account.id, acme.admin.id, &options, chrono::Utc::now()).await.unwrap();
            for role in Role::ALL {
                let user = acme.user(role);
                let sees_panel = !limit_data_access || role >= Role::ReportManager;
                for call_id in [format!("OWN-{}", role.as_str()), "OTHERS".to_owned()] {
                    let sees_call = call_id != "OTHERS" || role != Role::CallAgent;
                    let case = format!("{role:?}, limit_data_access {limit_data_access}, {call_id}");
                    let (status, body) = app.get_json(user, &format!("/api/v1/calls/{call_id}/salesforce")).await;
                    match (sees_call, sees_panel) {
                        (false, _) => assert_error(status, &body, 404, "not_found", None),
                        (true, false) => assert_error(status, &body, 403, "limit_data_access", None),
                        (true, true) => assert_eq!(status, StatusCode::OK, "{case}: {body}"),
                    }
                    let (status, detail) = app.get_json(user, &format!("/api/v1/calls/{call_id}")).await;
                    assert_eq!(status.as_u16(), if sees_call { 200 } else { 404 }, "{case}");
                    if sees_call {
                        assert_eq!(detail.get("salesforce").is_some(), sees_panel, "{case}: {detail}");
                        assert_eq!(detail.get("sync_status").is_some(), sees_panel, "{case}: {detail}");
                    }
                }
                let (_, page) = app.get_json(user, "/api/v1/calls").await;
                for call in page["calls"].as_array().unwrap() {
                    assert_eq!(call.get("sync_status").is_some(), sees_panel, "{role:?} {limit_data_access}: {call}");
                }
            }
        }
    }
}

api_test! {
    async fn on_the_basic_plan_the_panel_is_403_naming_the_plans_that_include_salesforce(app: TestApp) {
        let basic = app.create_account("Corner Shop", Plan::Basic).await;
        app.ring(&basic, "CA-1", &basic.agent, 0, "Google Ads").await;
        let (status, body) = app.get_json(&basic.admin, "/api/v1/calls/CA-1/salesforce").await;
        assert_error(status, &body, 403, "plan_excludes_salesforce", None);
        assert!(body["message"].as_str().unwrap().contains("Sales Engage, Enterprise and Connect"), "{body}");
        // The call log itself works on every plan, without Salesforce data.
        let (status, detail) = app.get_json(&basic.admin, "/api/v1/calls/CA-1").await;
        assert_eq!(status, StatusCode::OK);
        assert!(detail.get("salesforce").is_none() && detail.get("sync_status").is_none(), "{detail}");
    }
}
