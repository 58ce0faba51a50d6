//! sObject create, retrieve, update, delete, upsert and describe, with Salesforce's error bodies.

use crate::helpers::{TestOrg, VERSION};
use callpop_sandbox::seed::numbers;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn a_created_lead_answers_201_with_its_location_and_reads_back_in_full() {
    let org = TestOrg::start().await;
    let answer = org
        .post(
            "sobjects/Lead",
            json!({"FirstName": "Ann", "LastName": "Lee", "Company": "Acme", "Phone": "+14155551212"}),
        )
        .await;
    assert_eq!(answer.status, 201);
    let id = answer.body["id"].as_str().unwrap();
    assert!(id.starts_with("00Q") && id.len() == 18);
    assert_eq!(answer.body, json!({"id": id, "success": true, "errors": []}));
    assert_eq!(answer.header("location"), Some(format!("/services/data/{VERSION}/sobjects/Lead/{id}").as_str()));

    let lead = org.get(&format!("sobjects/Lead/{id}")).await.body;
    assert_eq!(
        lead["attributes"],
        json!({"type": "Lead", "url": format!("/services/data/{VERSION}/sobjects/Lead/{id}")})
    );
    assert_eq!(
        (lead["Name"].as_str(), lead["Status"].as_str(), lead["IsConverted"].as_bool()),
        (Some("Ann Lee"), Some("Open - Not Contacted"), Some(false))
    );
    assert_eq!(lead["Email"], Value::Null, "unset fields read as null");
    assert!(lead["OwnerId"].as_str().unwrap().starts_with("005"));

    let some = org.get(&format!("sobjects/Lead/{id}?fields=Phone,company")).await.body;
    assert_eq!(
        some.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["Company", "Phone", "attributes"],
        "JSON keys come sorted"
    );
    let short_id = &id[..15];
    assert_eq!(
        org.get(&format!("sobjects/lead/{short_id}")).await.status,
        200,
        "15-character ids and any-case names work"
    );
}

#[tokio::test]
async fn bad_bodies_get_salesforces_error_codes() {
    let org = TestOrg::start().await;
    let cases = [
        (
            "Lead",
            json!({"LastName": "Lee"}),
            json!([{"message": "Required fields are missing: [Company]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["Company"]}]),
        ),
        (
            "Lead",
            json!({"Id": "00Q5g0000000001AAA", "LastName": "Lee", "Company": "A"}),
            json!([{"message": "The Id field should not be specified in the sobject data.", "errorCode": "INVALID_FIELD"}]),
        ),
        (
            "Lead",
            json!({"LastName": "Lee", "Company": "A", "Foo__c": 1}),
            json!([{"message": "No such column 'Foo__c' on sobject of type Lead", "errorCode": "INVALID_FIELD"}]),
        ),
        (
            "Task",
            json!({"Subject": "Call", "CallType": "Sideways"}),
            json!([{"message": "Call Type: bad value for restricted picklist field: Sideways", "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "fields": ["CallType"]}]),
        ),
        (
            "Task",
            json!({"Subject": "x".repeat(256)}),
            json!([{"message": format!("Subject: data value too large: {} (max length=255)", "x".repeat(256)), "errorCode": "STRING_TOO_LONG", "fields": ["Subject"]}]),
        ),
        (
            "Task",
            json!({"Subject": "Call", "IsClosed": true}),
            json!([{"message": "Unable to create/update fields: IsClosed. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", "errorCode": "INVALID_FIELD_FOR_INSERT_UPDATE", "fields": ["IsClosed"]}]),
        ),
    ];
    for (object, body, expected) in cases {
        let answer = org.post(&format!("sobjects/{object}"), body).await;
        assert_eq!((answer.status, &answer.body), (400, &expected));
    }
    let response =
        org.http.post(org.data("sobjects/Lead")).bearer_auth(&org.token).body("{not json").send().await.unwrap();
    let answer = TestOrg::answer(response).await;
    assert_eq!((answer.status, answer.body[0]["errorCode"].as_str()), (400, Some("JSON_PARSER_ERROR")));
    assert_eq!(
        org.post("sobjects/Nonsense__c", json!({})).await.body,
        json!([{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])
    );
}

#[tokio::test]
async fn updates_answer_204_and_deleted_records_answer_entity_is_deleted() {
    let org = TestOrg::start().await;
    let id = org.create("Contact", json!({"LastName": "Byron", "Phone": "(415) 555-0199"})).await;
    let updated = org.patch(&format!("sobjects/Contact/{id}"), json!({"Title": "Poet"})).await;
    assert_eq!((updated.status, updated.text.as_str()), (204, ""));
    assert_eq!(org.sandbox.record(&id).unwrap().text("Title"), Some("Poet"));

    let deleted = org.call(Method::DELETE, &format!("sobjects/Contact/{id}"), None).await;
    assert_eq!(deleted.status, 204);
    assert!(org.sandbox.is_deleted(&id));
    let gone = json!([{"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": []}]);
    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        let body = (method == Method::PATCH).then(|| json!({"Title": "x"}));
        let answer = org.call(method, &format!("sobjects/Contact/{id}"), body).await;
        assert_eq!((answer.status, &answer.body), (404, &gone));
    }

    let missing = org.get("sobjects/Contact/0035g0000000zzzAAA").await;
    assert_eq!(
        (missing.status, &missing.body),
        (404, &json!([{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]))
    );
    let wrong_object = org.get(&format!("sobjects/Lead/{id}")).await;
    assert_eq!((wrong_object.status, wrong_object.body[0]["errorCode"].as_str()), (400, Some("MALFORMED_ID")));
    let not_an_id = org.get("sobjects/Lead/xyz").await;
    assert_eq!((not_an_id.status, not_an_id.body[0]["errorCode"].as_str()), (404, Some("NOT_FOUND")));
}

#[tokio::test]
async fn converted_leads_are_read_only() {
    let org = TestOrg::start().await;
    let contact = org.create("Contact", json!({"LastName": "Turing"})).await;
    let lead = org
        .seed_record(
            "Lead",
            json!({"LastName": "Turing", "Company": "B", "IsConverted": true, "ConvertedContactId": contact}),
        )
        .await;
    let answer = org.patch(&format!("sobjects/Lead/{lead}"), json!({"Phone": "1"})).await;
    assert_eq!(
        (answer.status, &answer.body),
        (
            400,
            &json!([{"message": "cannot reference converted lead", "errorCode": "CANNOT_UPDATE_CONVERTED_LEAD", "fields": []}])
        )
    );
}

fn seeded_id(org: &TestOrg, object: &str, last_name: &str) -> String {
    org.sandbox
        .records(object)
        .into_iter()
        .find(|record| record.text("LastName") == Some(last_name))
        .expect("a seeded record")
        .id
        .to_string()
}

#[tokio::test]
async fn tasks_check_who_and_what_and_default_their_status() {
    let org = TestOrg::start().await;
    let lead = seeded_id(&org, "Lead", "Turing");
    let contact = seeded_id(&org, "Contact", "Lovelace");
    let account = org.sandbox.records("Account")[0].id.to_string();

    let task = org
        .create(
            "Task",
            json!({"Subject": "Inbound call", "WhoId": contact, "TaskSubtype": "Call", "CallType": "Inbound"}),
        )
        .await;
    let stored = org.sandbox.record(&task).unwrap();
    assert_eq!(
        (stored.text("Status"), stored.text("Priority"), stored.text("AccountId")),
        (Some("Not Started"), Some("Normal"), Some(account.as_str()))
    );

    let wrong_who = org.post("sobjects/Task", json!({"Subject": "x", "WhoId": account})).await;
    assert_eq!(
        (wrong_who.status, &wrong_who.body),
        (
            400,
            &json!([{"message": "invalid cross reference id", "errorCode": "INVALID_CROSS_REFERENCE_KEY", "fields": ["WhoId"]}])
        )
    );
    let lead_with_what = org.post("sobjects/Task", json!({"Subject": "x", "WhoId": lead, "WhatId": account})).await;
    assert_eq!(lead_with_what.body[0]["errorCode"], "FIELD_INTEGRITY_EXCEPTION");
    let subtype_change = org.patch(&format!("sobjects/Task/{task}"), json!({"TaskSubtype": "Task"})).await;
    assert_eq!(subtype_change.body[0]["errorCode"], "INVALID_FIELD_FOR_INSERT_UPDATE");
    let closed = org.patch(&format!("sobjects/Task/{task}"), json!({"Status": "Completed"})).await;
    assert_eq!(closed.status, 204);
    assert_eq!(org.sandbox.record(&task).unwrap().fields["IsClosed"], json!(true));
}

#[tokio::test]
async fn upsert_by_call_id_creates_then_updates() {
    let org = TestOrg::start().await;
    let contact = seeded_id(&org, "Contact", "Lovelace");
    let body = json!({"Subject": "Inbound call", "WhoId": contact, "CallDurationInSeconds": 10, "Status": "Completed"});

    let created = org.patch("sobjects/Task/Call_Id__c/CA-1", body.clone()).await;
    assert_eq!(created.status, 201);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.body, json!({"id": id, "success": true, "errors": [], "created": true}));
    assert!(created.header("location").unwrap().ends_with(&id));

    let updated = org.patch("sobjects/Task/Call_Id__c/CA-1", json!({"CallDurationInSeconds": 184})).await;
    assert_eq!(
        (updated.status, &updated.body),
        (200, &json!({"id": id, "success": true, "errors": [], "created": false}))
    );
    let tasks: Vec<_> =
        org.sandbox.records("Task").into_iter().filter(|task| task.text("Call_Id__c") == Some("CA-1")).collect();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].fields["CallDurationInSeconds"], json!(184));

    org.sandbox.update_settings(|settings| settings.upsert_update_status = 204);
    assert_eq!(org.patch("sobjects/Task/Call_Id__c/CA-1", json!({})).await.status, 204);
    assert_eq!(org.get("sobjects/Task/Call_Id__c/CA-1").await.body["Id"], json!(id));

    let update_only = org.patch("sobjects/Task/Call_Id__c/CA-2?updateOnly=true", body.clone()).await;
    assert_eq!((update_only.status, update_only.body[0]["errorCode"].as_str()), (404, Some("NOT_FOUND")));
    let unknown_field = org.patch("sobjects/Task/Nope__c/CA-1", body).await;
    assert_eq!(
        unknown_field.body,
        json!([{"errorCode": "NOT_FOUND", "message": "Provided external ID field does not exist or is not accessible: Nope__c"}])
    );
}

#[tokio::test]
async fn an_external_id_matching_several_records_answers_300() {
    let org = TestOrg::start().await;
    org.sandbox
        .add_custom_field(
            "Lead",
            serde_json::from_value(json!({"name": "Phone_E164__c", "external_id": true})).unwrap(),
        )
        .unwrap();
    let first = org.create("Lead", json!({"LastName": "A", "Company": "A", "Phone_E164__c": numbers::NOBODY})).await;
    let second = org.create("Lead", json!({"LastName": "B", "Company": "B", "Phone_E164__c": numbers::NOBODY})).await;
    let answer = org
        .patch(&format!("sobjects/Lead/Phone_E164__c/{}", numbers::NOBODY.replace('+', "%2B")), json!({"Title": "x"}))
        .await;
    assert_eq!(answer.status, 300);
    assert_eq!(
        answer.body,
        json!([
            format!("/services/data/{VERSION}/sobjects/Lead/{first}"),
            format!("/services/data/{VERSION}/sobjects/Lead/{second}")
        ])
    );
}

#[tokio::test]
async fn an_org_without_the_call_id_field_refuses_it_and_the_field_comes_back() {
    let org = TestOrg::start().await;
    org.sandbox.set_task_call_id_field(false);
    let upsert = org.patch("sobjects/Task/Call_Id__c/CA-1", json!({"Subject": "x"})).await;
    assert_eq!(upsert.status, 404);
    let create = org.post("sobjects/Task", json!({"Subject": "x", "Call_Id__c": "CA-1"})).await;
    assert_eq!(create.body[0]["message"], "No such column 'Call_Id__c' on sobject of type Task");
    let describe = org.get("sobjects/Task/describe").await.body;
    assert!(describe["fields"].as_array().unwrap().iter().all(|field| field["name"] != "Call_Id__c"));

    org.sandbox.set_task_call_id_field(true);
    assert_eq!(org.patch("sobjects/Task/Call_Id__c/CA-1", json!({"Subject": "x"})).await.status, 201);
    let clash = org.post("sobjects/Task", json!({"Subject": "y", "Call_Id__c": "ca-1"})).await;
    assert_eq!(clash.body[0]["errorCode"], "DUPLICATE_VALUE", "the field is unique, case-insensitively");
}

#[tokio::test]
async fn campaign_members_are_unique_per_person_and_never_converted_leads() {
    let org = TestOrg::start().await;
    let campaign = org.sandbox.records("Campaign")[0].id.to_string();
    let lead = seeded_id(&org, "Lead", "Turing");
    let member =
        org.create("CampaignMember", json!({"CampaignId": campaign, "LeadId": lead, "Status": "Responded"})).await;
    assert_eq!(org.sandbox.record(&member).unwrap().fields["HasResponded"], json!(true));

    let again = org.post("sobjects/CampaignMember", json!({"CampaignId": campaign, "LeadId": lead})).await;
    assert_eq!(
        (again.status, &again.body),
        (400, &json!([{"message": "Already a campaign member.", "errorCode": "DUPLICATE_VALUE", "fields": []}]))
    );
    let converted = org.seed_record("Lead", json!({"LastName": "Old", "Company": "Old", "IsConverted": true})).await;
    let refused = org.post("sobjects/CampaignMember", json!({"CampaignId": campaign, "LeadId": converted})).await;
    assert_eq!(refused.body[0]["errorCode"], "CANNOT_UPDATE_CONVERTED_LEAD");
    let contact = seeded_id(&org, "Contact", "Lovelace");
    let both = org
        .post("sobjects/CampaignMember", json!({"CampaignId": campaign, "LeadId": lead, "ContactId": contact}))
        .await;
    assert_eq!(both.body[0]["errorCode"], "FIELD_INTEGRITY_EXCEPTION");
    let neither = org.post("sobjects/CampaignMember", json!({"CampaignId": campaign})).await;
    assert_eq!(neither.body[0]["errorCode"], "REQUIRED_FIELD_MISSING");
    let bad_campaign =
        org.post("sobjects/CampaignMember", json!({"CampaignId": "7015g0000000zzzAAA", "ContactId": contact})).await;
    assert_eq!(bad_campaign.body[0]["errorCode"], "INVALID_CROSS_REFERENCE_KEY");
}

#[tokio::test]
async fn describe_tells_a_preflight_check_what_it_needs() {
    let org = TestOrg::start().await;
    let task = org.get("sobjects/Task/describe").await.body;
    assert_eq!((task["name"].as_str(), task["keyPrefix"].as_str()), (Some("Task"), Some("00T")));
    let field =
        |name: &str| task["fields"].as_array().unwrap().iter().find(|field| field["name"] == name).cloned().unwrap();
    let call_id = field("Call_Id__c");
    assert_eq!(
        (call_id["externalId"].as_bool(), call_id["unique"].as_bool(), call_id["type"].as_str()),
        (Some(true), Some(true), Some("string"))
    );
    let call_type = field("CallType");
    assert_eq!(call_type["restrictedPicklist"], json!(true));
    let values: Vec<&str> =
        call_type["picklistValues"].as_array().unwrap().iter().filter_map(|value| value["value"].as_str()).collect();
    assert_eq!(values, ["Inbound", "Outbound", "Internal"]);
    let status = field("Status");
    assert_eq!((status["nillable"].as_bool(), status["defaultValue"].as_str()), (Some(false), Some("Not Started")));
    assert_eq!(field("WhoId")["referenceTo"], json!(["Contact", "Lead"]));
    for object in ["Lead", "Contact", "Account", "Campaign", "CampaignMember", "User"] {
        assert_eq!(org.get(&format!("sobjects/{object}/describe")).await.status, 200, "{object}");
    }
}
