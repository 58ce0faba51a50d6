//! `/composite` with references and allOrNone rollback, and sObject Collections.

use crate::helpers::{TestOrg, VERSION};
use serde_json::{Value, json};

fn campaign_id(org: &TestOrg) -> String {
    org.sandbox.records("Campaign")[0].id.to_string()
}

/// The create branch of §4.4: a new Lead, its Task by call id, its campaign membership.
fn create_branch(campaign: &str, call_type: &str) -> Value {
    json!({"allOrNone": true, "compositeRequest": [
        {"method": "POST", "url": format!("/services/data/{VERSION}/sobjects/Lead"), "referenceId": "newLead",
         "body": {"LastName": "Unknown caller", "Company": "+14155550123", "Phone": "+14155550123", "LeadSource": "Phone Inquiry"}},
        {"method": "PATCH", "url": format!("/services/data/{VERSION}/sobjects/Task/Call_Id__c/CA-9"), "referenceId": "task",
         "body": {"WhoId": "@{newLead.id}", "Subject": "Inbound call", "TaskSubtype": "Call", "CallType": call_type, "Status": "Completed"}},
        {"method": "POST", "url": format!("/services/data/{VERSION}/sobjects/CampaignMember"), "referenceId": "cm",
         "body": {"CampaignId": campaign, "LeadId": "@{newLead.id}", "Status": "Responded"}},
    ]})
}

fn unknown_callers(org: &TestOrg) -> usize {
    org.sandbox.records("Lead").iter().filter(|lead| lead.text("LastName") == Some("Unknown caller")).count()
}

#[tokio::test]
async fn the_create_branch_commits_every_subrequest_in_one_call() {
    let org = TestOrg::start().await;
    let used = org.sandbox.api_usage().used;
    let answer = org.post("composite", create_branch(&campaign_id(&org), "Inbound")).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(org.sandbox.api_usage().used, used + 1, "a composite request counts as one call");
    let results = answer.body["compositeResponse"].as_array().unwrap();
    let statuses: Vec<u64> = results.iter().map(|result| result["httpStatusCode"].as_u64().unwrap()).collect();
    assert_eq!(statuses, [201, 201, 201]);
    let lead = results[0]["body"]["id"].as_str().unwrap();
    assert_eq!(results[0]["httpHeaders"]["Location"], format!("/services/data/{VERSION}/sobjects/Lead/{lead}"));
    assert_eq!(results[1]["body"]["created"], json!(true));
    assert_eq!(results[2]["referenceId"], "cm");
    let task = org.sandbox.records("Task").into_iter().find(|task| task.text("Call_Id__c") == Some("CA-9")).unwrap();
    assert_eq!(task.text("WhoId"), Some(lead));
    assert_eq!(org.sandbox.records("CampaignMember")[0].text("LeadId"), Some(lead));
}

#[tokio::test]
async fn all_or_none_rolls_back_every_write_and_halts_the_others() {
    let org = TestOrg::start().await;
    let (leads, members) = (org.sandbox.records("Lead").len(), org.sandbox.records("CampaignMember").len());
    let answer = org.post("composite", create_branch(&campaign_id(&org), "Sideways")).await;
    assert_eq!(answer.status, 200);
    let results = answer.body["compositeResponse"].as_array().unwrap();
    let halted = json!([{"errorCode": "PROCESSING_HALTED", "message": "The transaction was rolled back since another operation in the same transaction failed."}]);
    assert_eq!((results[0]["httpStatusCode"].as_u64(), &results[0]["body"]), (Some(400), &halted));
    assert_eq!(results[1]["httpStatusCode"], 400);
    assert_eq!(results[1]["body"][0]["errorCode"], "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST");
    assert_eq!((results[2]["httpStatusCode"].as_u64(), &results[2]["body"]), (Some(400), &halted));

    assert_eq!(unknown_callers(&org), 0, "the Lead was rolled back");
    assert_eq!(org.sandbox.records("Lead").len(), leads);
    assert_eq!(org.sandbox.records("CampaignMember").len(), members);
    assert!(org.sandbox.records("Task").iter().all(|task| task.text("Call_Id__c") != Some("CA-9")));
}

#[tokio::test]
async fn without_all_or_none_independent_work_commits_and_dependents_halt() {
    let org = TestOrg::start().await;
    let campaign = campaign_id(&org);
    let contact = org.sandbox.records("Contact")[0].id.to_string();
    org.create("CampaignMember", json!({"CampaignId": campaign, "ContactId": contact})).await;
    let body = json!({"allOrNone": false, "compositeRequest": [
        {"method": "PATCH", "url": format!("/services/data/{VERSION}/sobjects/Task/Call_Id__c/CA-7"), "referenceId": "task",
         "body": {"WhoId": contact, "Subject": "Inbound call", "Status": "Completed"}},
        {"method": "POST", "url": format!("/services/data/{VERSION}/sobjects/CampaignMember"), "referenceId": "cm",
         "body": {"CampaignId": campaign, "ContactId": contact}},
        {"method": "POST", "url": format!("/services/data/{VERSION}/sobjects/Lead"), "referenceId": "badLead", "body": {"LastName": "X"}},
        {"method": "GET", "url": format!("/services/data/{VERSION}/sobjects/Lead/@{{badLead.id}}"), "referenceId": "readLead"},
    ]});
    let answer = org.post("composite", body).await;
    let results = answer.body["compositeResponse"].as_array().unwrap();
    assert_eq!(results[0]["httpStatusCode"], 201);
    assert_eq!(
        results[1]["body"],
        json!([{"message": "Already a campaign member.", "errorCode": "DUPLICATE_VALUE", "fields": []}])
    );
    assert_eq!(results[2]["body"][0]["errorCode"], "REQUIRED_FIELD_MISSING");
    assert_eq!(results[3]["httpStatusCode"], 400);
    assert_eq!(
        results[3]["body"],
        json!([{"errorCode": "PROCESSING_HALTED", "message": "Invalid reference specified. No value for badLead.id found in badLead. Provided referenceId ('badLead.id') must start with a letter or a number, and it can contain only letters, numbers and underscores ('_')."}])
    );
    assert!(
        org.sandbox.records("Task").iter().any(|task| task.text("Call_Id__c") == Some("CA-7")),
        "the Task committed"
    );
}

#[tokio::test]
async fn references_reach_into_query_results() {
    let org = TestOrg::start().await;
    let body = json!({"compositeRequest": [
        {"method": "GET", "url": format!("/services/data/{VERSION}/query?q=SELECT+Id+FROM+Campaign+WHERE+Name+=+'Spring+Promo'"), "referenceId": "campaigns"},
        {"method": "GET", "url": format!("/services/data/{VERSION}/sobjects/Campaign/@{{campaigns.records[0].Id}}?fields=Name"), "referenceId": "campaign"},
    ]});
    let answer = org.post("composite", body).await;
    assert_eq!(answer.body["compositeResponse"][1]["body"]["Name"], "Spring Promo", "{}", answer.text);
}

#[tokio::test]
async fn malformed_composites_are_refused_whole() {
    let org = TestOrg::start().await;
    let subrequest = |index: usize| json!({"method": "GET", "url": format!("/services/data/{VERSION}/limits"), "referenceId": format!("r{index}")});
    let too_many =
        org.post("composite", json!({"compositeRequest": (0..26).map(subrequest).collect::<Vec<_>>()})).await;
    assert_eq!(too_many.status, 400);
    let mut with_header = subrequest(0);
    with_header["httpHeaders"] = json!({"Authorization": "Bearer x"});
    let forbidden = org.post("composite", json!({"compositeRequest": [with_header]})).await;
    assert_eq!((forbidden.status, forbidden.body[0]["errorCode"].as_str()), (400, Some("INVALID_API_INPUT")));
    let search = json!({"method": "GET", "url": format!("/services/data/{VERSION}/search?q=FIND+%7Bada%7D"), "referenceId": "s"});
    let answer = org.post("composite", json!({"compositeRequest": [search]})).await;
    assert_eq!(answer.body["compositeResponse"][0]["httpStatusCode"], 404, "SOSL cannot run inside composite");
}

#[tokio::test]
async fn collections_answer_save_results_with_status_code() {
    let org = TestOrg::start().await;
    let contact = org.sandbox.records("Contact")[0].id.to_string();
    let records = json!([
        {"attributes": {"type": "Task"}, "Subject": "Call", "WhoId": contact},
        {"attributes": {"type": "Lead"}, "LastName": "No company"},
    ]);
    let answer = org.post("composite/sobjects", json!({"allOrNone": false, "records": records})).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body[0]["success"], json!(true));
    assert!(answer.body[0]["id"].as_str().unwrap().starts_with("00T"));
    assert_eq!(
        answer.body[1],
        json!({"success": false, "errors": [{"statusCode": "REQUIRED_FIELD_MISSING", "message": "Required fields are missing: [Company]", "fields": ["Company"]}]})
    );

    let tasks = org.sandbox.records("Task").len();
    let answer = org.post("composite/sobjects", json!({"allOrNone": true, "records": records})).await;
    assert_eq!(
        answer.body[0],
        json!({"success": false, "errors": [{"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK", "message": "Record rolled back because not all records were valid and the request was using AllOrNone header", "fields": []}]})
    );
    assert_eq!(answer.body[1]["errors"][0]["statusCode"], "REQUIRED_FIELD_MISSING");
    assert_eq!(org.sandbox.records("Task").len(), tasks, "the Task was rolled back");

    let task = org.sandbox.records("Task")[0].id.to_string();
    let update = org
        .patch(
            "composite/sobjects",
            json!({"records": [{"attributes": {"type": "Task"}, "id": task, "Status": "Completed"}]}),
        )
        .await;
    assert_eq!(update.body, json!([{"id": task, "success": true, "errors": []}]));
    let read = org.get(&format!("composite/sobjects/Task?ids={task}&fields=Status,IsClosed")).await;
    assert_eq!((read.body[0]["Status"].as_str(), read.body[0]["IsClosed"].as_bool()), (Some("Completed"), Some(true)));

    let many: Vec<Value> = (0..201).map(|_| json!({"attributes": {"type": "Task"}, "Subject": "x"})).collect();
    let refused = org.post("composite/sobjects", json!({"records": many})).await;
    assert_eq!((refused.status, refused.body[0]["errorCode"].as_str()), (400, Some("EXCEEDED_ID_LIMIT")));
}
