//! SOQL and SOSL through the REST resources: the Campaign lookup, phone search, escaping, converted Leads, index
//! lag, and the configuration objects a preflight check queries (rules, the Organization and its time zone).

use crate::helpers::TestOrg;
use callpop_sandbox::rules::{Condition, DuplicateRule, MatchField, Normalizer, ValidationRule};
use callpop_sandbox::seed::numbers;
use callpop_sandbox::settings::PhoneMatch;
use reqwest::Method;
use serde_json::{Value, json};

fn names(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|record| {
            format!("{}:{}", record["attributes"]["type"].as_str().unwrap(), record["Name"].as_str().unwrap_or("?"))
        })
        .collect()
}

#[tokio::test]
async fn the_campaign_lookup_query_finds_the_active_campaign() {
    let org = TestOrg::start().await;
    let answer = org
        .get("query?q=SELECT+Id,+Name,+IsActive+FROM+Campaign+WHERE+Name+=+'Spring+Promo'+AND+IsActive+=+true+LIMIT+2")
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!((answer.body["totalSize"].as_u64(), answer.body["done"].as_bool()), (Some(1), Some(true)));
    let campaign = &answer.body["records"][0];
    assert!(campaign["Id"].as_str().unwrap().starts_with("701"));
    assert_eq!(
        campaign.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["Id", "IsActive", "Name", "attributes"],
        "JSON keys come sorted"
    );

    org.create("Campaign", json!({"Name": "Bob's BBQ", "IsActive": true})).await;
    let escaped = org.query(r"SELECT Name FROM Campaign WHERE Name = 'Bob\'s BBQ'").await;
    assert_eq!(escaped.len(), 1);
    assert!(org.query("SELECT Id FROM Campaign WHERE Name = 'spring promo' AND IsActive = false").await.is_empty());
}

#[tokio::test]
async fn queries_filter_sort_limit_and_follow_relationships() {
    let org = TestOrg::start().await;
    let leads = org.query("SELECT Name, Owner.Name FROM Lead WHERE LastName LIKE 'Hop%' OR Company IN ('Bletchley Labs') ORDER BY LastName DESC LIMIT 2").await;
    assert_eq!(names(&leads), ["Lead:Alan Turing", "Lead:Hopper Family Trust"]);
    assert_eq!(leads[0]["Owner"]["Name"], "Integration User");
    assert_eq!(leads[0]["Owner"]["attributes"]["type"], "User");
    let contacts = org
        .query("SELECT Name, Account.Name FROM Contact WHERE (Title != null AND MailingCity = null) ORDER BY Name")
        .await;
    assert_eq!(contacts[0]["Account"]["Name"], "Analytical Engines Ltd");
    let id = contacts[0]["attributes"]["url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    assert_eq!(
        org.query(&format!("SELECT Id FROM Contact WHERE Id = '{}'", &id[..15])).await.len(),
        1,
        "15-character ids match"
    );

    org.call(Method::DELETE, &format!("sobjects/Contact/{id}"), None).await;
    assert!(org.query(&format!("SELECT Id FROM Contact WHERE Id = '{id}'")).await.is_empty());
    let all = org.get(&format!("queryAll?q=SELECT+Id,+IsDeleted+FROM+Contact+WHERE+Id+=+'{id}'")).await;
    assert_eq!(all.body["records"][0]["IsDeleted"], json!(true));
}

#[tokio::test]
async fn bad_queries_are_malformed_or_name_the_unknown_column() {
    let org = TestOrg::start().await;
    let escape = org.query_answer(r"SELECT Id FROM Lead WHERE Name = 'a\q'").await;
    assert_eq!((escape.status, escape.body[0]["errorCode"].as_str()), (400, Some("MALFORMED_QUERY")));
    let column = org.query_answer("SELECT Id, Nope FROM Lead").await;
    assert_eq!((column.status, column.body[0]["errorCode"].as_str()), (400, Some("INVALID_FIELD")));
    assert!(column.body[0]["message"].as_str().unwrap().starts_with("No such column 'Nope' on entity 'Lead'"));
    let object = org.query_answer("SELECT Id FROM Nope").await;
    assert_eq!(object.body, json!([{"message": "sObject type 'Nope' is not supported.", "errorCode": "INVALID_TYPE"}]));
    assert_eq!(
        org.query_answer("SELECT Id FROM Lead WHERE A = 1 AND B = 2 OR C = 3").await.body[0]["errorCode"],
        "MALFORMED_QUERY"
    );
}

const PHONE_SEARCH: &str = "IN PHONE FIELDS RETURNING Contact(Id, Name, Phone, MobilePhone), Lead(Id, Name, Phone, IsConverted WHERE IsConverted = false)";

async fn phone_search(org: &TestOrg, term: &str) -> Vec<String> {
    let answer = org.search(&format!("FIND {{{term}}} {PHONE_SEARCH}")).await;
    assert_eq!(answer.status, 200, "{term}: {}", answer.text);
    names(answer.body["searchRecords"].as_array().unwrap())
}

#[tokio::test]
async fn phone_search_finds_every_seeded_caller_in_any_format() {
    let org = TestOrg::start().await;
    assert_eq!(phone_search(&org, "4155552671").await, ["Contact:Ada Lovelace"]);
    assert_eq!(phone_search(&org, "14155552671").await, ["Contact:Ada Lovelace"]);
    assert_eq!(phone_search(&org, r"\+14155552671").await, ["Contact:Ada Lovelace"]);
    assert_eq!(phone_search(&org, "4155550173 OR 14155550173").await, ["Lead:Alan Turing"]);
    let several = phone_search(&org, "4155550142").await;
    assert_eq!(several.len(), 3, "{several:?}");
    assert_eq!(phone_search(&org, &numbers::NOBODY[2..]).await, Vec::<String>::new());

    let answer = org.search("FIND {4155552671} IN PHONE FIELDS RETURNING Contact(Id)").await;
    let record = &answer.body["searchRecords"][0];
    assert_eq!(record["attributes"]["type"], "Contact");
    assert!(record["attributes"]["url"].as_str().unwrap().starts_with("/services/data/v62.0/sobjects/Contact/003"));
}

#[tokio::test]
async fn an_unescaped_reserved_character_is_a_malformed_search() {
    let org = TestOrg::start().await;
    let answer = org.search("FIND {+14155552671} IN PHONE FIELDS RETURNING Contact(Id)").await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.body[0]["errorCode"], "MALFORMED_SEARCH");
    assert!(answer.body[0]["message"].is_string());
    assert_eq!(org.search("FIND {a}").await.body[0]["message"], "search term must be longer than one character");
}

#[tokio::test]
async fn converted_leads_are_found_unless_filtered() {
    let org = TestOrg::start().await;
    org.seed_record(
        "Lead",
        json!({"LastName": "Converted", "Company": "C", "Phone": "415 555 0188", "IsConverted": true}),
    )
    .await;
    assert_eq!(phone_search(&org, "4155550188").await, Vec::<String>::new());
    let unfiltered = org.search("FIND {4155550188} IN PHONE FIELDS RETURNING Lead(Name, IsConverted)").await;
    assert_eq!(unfiltered.body["searchRecords"][0]["IsConverted"], json!(true));
    org.sandbox.update_settings(|settings| settings.search_returns_converted_leads = false);
    let hidden = org.search("FIND {4155550188} IN PHONE FIELDS RETURNING Lead(Name)").await;
    assert_eq!(hidden.body, json!({"searchRecords": []}));
}

#[tokio::test]
async fn strict_phone_matching_and_index_lag_are_switchable() {
    let org = TestOrg::start().await;
    org.sandbox.update_settings(|settings| settings.phone_match = PhoneMatch::Strict);
    assert_eq!(phone_search(&org, "14155552671").await, Vec::<String>::new());
    assert_eq!(phone_search(&org, "4155552671").await, ["Contact:Ada Lovelace"]);

    org.sandbox.update_settings(|settings| settings.search_index_lag_ms = 400);
    org.create("Contact", json!({"LastName": "Fresh", "Phone": "4155550177"})).await;
    assert_eq!(phone_search(&org, "4155550177").await, Vec::<String>::new());
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(phone_search(&org, "4155550177").await, ["Contact:Fresh"]);
}

#[tokio::test]
async fn names_emails_phrases_and_wildcards_are_searchable() {
    let org = TestOrg::start().await;
    let found = |answer: crate::helpers::Answer| names(answer.body["searchRecords"].as_array().unwrap());
    assert_eq!(
        found(org.search(r#"FIND {"Ada Lovelace"} IN NAME FIELDS RETURNING Contact(Name)"#).await),
        ["Contact:Ada Lovelace"]
    );
    assert_eq!(
        found(org.search("FIND {grace@navy.example} IN EMAIL FIELDS RETURNING Contact(Name), Lead(Name)").await),
        ["Contact:Grace Hopper"]
    );
    let hoppers =
        found(org.search("FIND {hopp* AND NOT trust} IN NAME FIELDS RETURNING Lead(Name ORDER BY Name)").await);
    assert_eq!(hoppers, ["Lead:Grace Hopper"]);
    let limited = org.search("FIND {hopper} RETURNING Contact(Name), Lead(Name) LIMIT 2").await;
    assert_eq!(limited.body["searchRecords"].as_array().unwrap().len(), 2);
    org.sandbox.update_settings(|settings| settings.legacy_search_array = true);
    assert!(org.search("FIND {hopper} RETURNING Contact(Name)").await.body.is_array());
}

#[tokio::test]
async fn validation_and_duplicate_rules_are_queryable_for_a_preflight_check() {
    let org = TestOrg::start().await;
    org.sandbox
        .add_validation_rule(ValidationRule {
            name: "Phone_Required".into(),
            object: "Lead".into(),
            condition: Condition::Blank { field: "Phone".into() },
            message: "Phone is required".into(),
            error_field: Some("Phone".into()),
            active: true,
            description: None,
        })
        .unwrap();
    org.sandbox
        .add_duplicate_rule(DuplicateRule {
            name: "Lead_Phone_Rule".into(),
            object: "Lead".into(),
            action: Default::default(),
            fields: vec![MatchField { field: "Phone".into(), normalizer: Normalizer::PhoneDigits }],
            compare_with: vec![],
            matching_rule: None,
            message: "Use one of these records?".into(),
            active: true,
        })
        .unwrap();
    let tooling = org.get("tooling/query?q=SELECT+Id,+ValidationName,+Active,+ErrorMessage,+ErrorDisplayField+FROM+ValidationRule+WHERE+EntityDefinitionId+=+'Lead'").await;
    assert_eq!(tooling.status, 200, "{}", tooling.text);
    let rule = &tooling.body["records"][0];
    assert_eq!(
        (rule["ValidationName"].as_str(), rule["Active"].as_bool(), rule["ErrorMessage"].as_str()),
        (Some("Phone_Required"), Some(true), Some("Phone is required"))
    );
    assert!(rule["Id"].as_str().unwrap().starts_with("03d"));
    let duplicates =
        org.query("SELECT DeveloperName, SobjectType, IsActive FROM DuplicateRule WHERE IsActive = true").await;
    assert_eq!(
        (duplicates[0]["DeveloperName"].as_str(), duplicates[0]["SobjectType"].as_str()),
        (Some("Lead_Phone_Rule"), Some("Lead"))
    );
    let outside_tooling = org.get("query?q=SELECT+Id+FROM+ValidationRule").await;
    assert_eq!(outside_tooling.body[0]["errorCode"], "INVALID_TYPE");
}

#[tokio::test]
async fn the_organization_is_one_row_with_its_default_time_zone() {
    let org = TestOrg::start().await;
    let default = org.query("SELECT Id, TimeZoneSidKey FROM Organization").await;
    assert_eq!(default.len(), 1);
    assert_eq!(default[0]["TimeZoneSidKey"], "America/Los_Angeles");
    assert!(default[0]["Id"].as_str().is_some_and(|id| id.starts_with("00D")), "{}", default[0]);
    org.sandbox.update_settings(|settings| settings.time_zone = "Europe/London".to_owned());
    assert_eq!(org.query("SELECT TimeZoneSidKey FROM Organization").await[0]["TimeZoneSidKey"], "Europe/London");
}
