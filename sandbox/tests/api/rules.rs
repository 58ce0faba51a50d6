//! Validation rules, required custom fields, duplicate rules and State/Country picklists, as the org's admin
//! configures them through the control API.

use crate::helpers::{TestOrg, VERSION};
use callpop_sandbox::schema::CustomField;
use reqwest::Method;
use serde_json::{Value, json};

async fn add(org: &TestOrg, path: &str, rule: Value) {
    let answer = org.control(Method::POST, path, Some(rule)).await;
    assert_eq!(answer.status, 204, "{}", answer.text);
}

#[tokio::test]
async fn a_validation_rule_fires_with_the_admins_message() {
    let org = TestOrg::start().await;
    add(&org, "validation-rules", json!({"name": "E164_Phone", "object": "Lead", "error_field": "Phone",
        "message": "Phone must be in E.164 format",
        "condition": {"op": "all", "conditions": [{"op": "not_blank", "field": "Phone"}, {"op": "not_matches", "field": "Phone", "pattern": "\\+[0-9]{8,15}"}]}})).await;
    add(
        &org,
        "validation-rules",
        json!({"name": "No_Test_Leads", "object": "Lead", "message": "No test leads, please",
        "condition": {"op": "equals", "field": "LastName", "value": "Test"}}),
    )
    .await;

    let bad_phone =
        org.post("sobjects/Lead", json!({"LastName": "Lee", "Company": "A", "Phone": "415-555-0100"})).await;
    assert_eq!(
        (bad_phone.status, &bad_phone.body),
        (
            400,
            &json!([{"message": "Phone must be in E.164 format", "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "fields": ["Phone"]}])
        )
    );
    let both = org.post("sobjects/Lead", json!({"LastName": "Test", "Company": "A", "Phone": "x"})).await;
    assert_eq!(both.body.as_array().unwrap().len(), 2, "every rule that fires is reported");
    assert_eq!(
        both.body[1],
        json!({"message": "No test leads, please", "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "fields": []})
    );
    assert_eq!(
        org.post("sobjects/Lead", json!({"LastName": "Lee", "Company": "A", "Phone": "+14155550100"})).await.status,
        201
    );

    let lead = org.sandbox.records("Lead").into_iter().find(|lead| lead.text("LastName") == Some("Turing")).unwrap();
    let update = org.patch(&format!("sobjects/Lead/{}", lead.id), json!({"LastName": "Test"})).await;
    let messages: Vec<&str> =
        update.body.as_array().unwrap().iter().filter_map(|error| error["message"].as_str()).collect();
    // The seeded phone, 415-555-0173, breaks the first rule too: rules run over the merged record.
    assert_eq!(messages, ["Phone must be in E.164 format", "No test leads, please"]);
    let refused = org.control(Method::POST, "validation-rules", Some(json!({"name": "Bad", "object": "Lead", "message": "m", "condition": {"op": "matches", "field": "Phone", "pattern": "("}}))).await;
    assert_eq!(refused.status, 400);
}

#[tokio::test]
async fn a_required_custom_field_is_reported_missing() {
    let org = TestOrg::start().await;
    org.sandbox
        .add_custom_field(
            "Task",
            serde_json::from_value::<CustomField>(json!({"name": "Region__c", "required": true})).unwrap(),
        )
        .unwrap();
    let answer = org.post("sobjects/Task", json!({"Subject": "Call"})).await;
    assert_eq!(
        answer.body,
        json!([{"message": "Required fields are missing: [Region__c]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["Region__c"]}])
    );
    assert_eq!(org.post("sobjects/Task", json!({"Subject": "Call", "Region__c": "West"})).await.status, 201);
}

async fn phone_rule(org: &TestOrg, action: &str) {
    add(
        org,
        "duplicate-rules",
        json!({"name": "Standard_Lead_Duplicate_Rule", "object": "Lead", "action": action,
        "fields": [{"field": "Phone", "normalizer": "phone_digits"}], "compare_with": ["Lead", "Contact"],
        "matching_rule": "Standard_Lead_Match_Rule_v1_0"}),
    )
    .await;
}

#[tokio::test]
async fn a_blocking_duplicate_rule_answers_with_the_misspelled_detail() {
    let org = TestOrg::start().await;
    phone_rule(&org, "Block").await;
    let contact = org
        .sandbox
        .records("Contact")
        .into_iter()
        .find(|contact| contact.text("LastName") == Some("Lovelace"))
        .unwrap();
    let answer =
        org.post("sobjects/Lead", json!({"LastName": "Again", "Company": "A", "Phone": "+1 415 555 2671"})).await;
    assert_eq!(answer.status, 400);
    let expected = json!([{
        "duplicateResut": {
            "allowSave": false, "duplicateRule": "Standard_Lead_Duplicate_Rule", "duplicateRuleEntityType": "Lead",
            "errorMessage": "Use one of these records?",
            "matchResults": [{"entityType": "Contact", "errors": [], "matchEngine": "ExactMatchEngine",
                "matchRecords": [{"additionalInformation": [], "fieldDiffs": [], "matchConfidence": 100.0,
                    "record": {"attributes": {"type": "Contact", "url": format!("/services/data/{VERSION}/sobjects/Contact/{}", contact.id)}, "Id": contact.id.as_str()}}],
                "rule": "Standard_Lead_Match_Rule_v1_0", "size": 1, "success": true}]},
        "errorCode": "DUPLICATES_DETECTED", "message": "Use one of these records?"}]);
    assert_eq!(answer.body, expected);

    let header = org
        .http
        .post(org.data("sobjects/Lead"))
        .bearer_auth(&org.token)
        .header("Sforce-Duplicate-Rule-Header", "allowSave=true");
    let still_blocked = TestOrg::answer(
        header.json(&json!({"LastName": "Again", "Company": "A", "Phone": "4155552671"})).send().await.unwrap(),
    )
    .await;
    assert_eq!(still_blocked.status, 400, "allowSave cannot bypass a Block rule");

    org.control(Method::PUT, "settings", Some(json!({"duplicate_result_key": "duplicateResult"}))).await;
    let correct = org.post("sobjects/Lead", json!({"LastName": "Again", "Company": "A", "Phone": "4155552671"})).await;
    assert!(correct.body[0].get("duplicateResult").is_some() && correct.body[0].get("duplicateResut").is_none());

    let collection = org.post("composite/sobjects", json!({"records": [{"attributes": {"type": "Lead"}, "LastName": "Again", "Company": "A", "Phone": "4155552671"}]})).await;
    assert_eq!(
        collection.body,
        json!([{"success": false, "errors": [{"statusCode": "DUPLICATES_DETECTED", "message": "Use one of these records?", "fields": []}]}])
    );
}

#[tokio::test]
async fn an_alert_rule_lets_allow_save_through() {
    let org = TestOrg::start().await;
    phone_rule(&org, "Alert").await;
    let body = json!({"LastName": "Again", "Company": "A", "Phone": "415.555.0173"});
    let alerted = org.post("sobjects/Lead", body.clone()).await;
    assert_eq!(alerted.body[0]["duplicateResut"]["allowSave"], json!(true));
    assert_eq!(alerted.body[0]["duplicateResut"]["matchResults"][0]["entityType"], "Lead");

    let request = org
        .http
        .post(org.data("sobjects/Lead"))
        .bearer_auth(&org.token)
        .header("Sforce-Duplicate-Rule-Header", "allowSave=true; includeRecordDetails=true");
    let saved = TestOrg::answer(request.json(&body).send().await.unwrap()).await;
    assert_eq!(saved.status, 201, "{}", saved.text);

    let request = org
        .http
        .post(org.data("sobjects/Contact"))
        .bearer_auth(&org.token)
        .header("Sforce-Duplicate-Rule-Header", "includeRecordDetails=true");
    phone_rule_for_contacts(&org).await;
    let detailed =
        TestOrg::answer(request.json(&json!({"LastName": "Again", "Phone": "4155552671"})).send().await.unwrap()).await;
    let record = &detailed.body[0]["duplicateResut"]["matchResults"][0]["matchRecords"][0]["record"];
    assert_eq!(record["LastName"], "Lovelace", "includeRecordDetails returns every field");
}

async fn phone_rule_for_contacts(org: &TestOrg) {
    add(org, "duplicate-rules", json!({"name": "Contact_Phone", "object": "Contact", "fields": [{"field": "Phone", "normalizer": "phone_digits"}]})).await;
}

#[tokio::test]
async fn state_and_country_picklists_accept_only_known_places() {
    let org = TestOrg::start().await;
    let before = org.post("sobjects/Lead", json!({"LastName": "A", "Company": "A", "CountryCode": "US"})).await;
    assert_eq!(
        before.body[0]["message"], "No such column 'CountryCode' on sobject of type Lead",
        "the code fields exist only when on"
    );
    assert_eq!(
        org.post("sobjects/Lead", json!({"LastName": "A", "Company": "A", "Country": "Atlantis"})).await.status,
        201,
        "free text when off"
    );

    org.control(Method::PUT, "settings", Some(json!({"state_country_picklists": true}))).await;
    let id =
        org.create("Lead", json!({"LastName": "A", "Company": "A", "Country": "united states", "State": "CA"})).await;
    let lead = org.sandbox.record(&id).unwrap();
    assert_eq!(
        (lead.text("CountryCode"), lead.text("Country"), lead.text("StateCode"), lead.text("State")),
        (Some("US"), Some("United States"), Some("CA"), Some("California"))
    );

    let country = org.post("sobjects/Lead", json!({"LastName": "A", "Company": "A", "Country": "Atlantis"})).await;
    assert_eq!(
        (country.status, country.body[0]["errorCode"].as_str(), &country.body[0]["fields"]),
        (400, Some("FIELD_INTEGRITY_EXCEPTION"), &json!(["Country"]))
    );
    let code = org.post("sobjects/Lead", json!({"LastName": "A", "Company": "A", "CountryCode": "XX"})).await;
    assert_eq!(
        code.body,
        json!([{"message": "Country Code: bad value for restricted picklist field: XX", "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "fields": ["CountryCode"]}])
    );
    let contact = org
        .post("sobjects/Contact", json!({"LastName": "A", "MailingCountryCode": "CA", "MailingState": "Texas"}))
        .await;
    assert_eq!(contact.body[0]["fields"], json!(["MailingState"]));
    let describe = org.get("sobjects/Lead/describe").await.body;
    assert!(
        describe["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|field| field["name"] == "StateCode" && field["restrictedPicklist"] == json!(true))
    );
}
