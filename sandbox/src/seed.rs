//! The records a fresh local org starts with: each kind of caller the softphone and the sync engine must handle.
//!
//! | number          | who                                             | matches |
//! |-----------------|-------------------------------------------------|---------|
//! | +1 415 555 2671 | Contact Ada Lovelace (Analytical Engines)       | one     |
//! | +1 415 555 0173 | Lead Alan Turing (Bletchley Labs)               | one     |
//! | +1 415 555 0142 | Lead and Contact Grace Hopper, Lead Hopper Trust | three  |
//! | +1 415 555 0123 | nobody                                          | none    |
//! | +1 900 555 0199 | nobody; a premium-rate number the example validation rule refuses on a Lead | none |
//!
//! `example_validation_rules` are the rules the demo's org starts with (`callpop-org --example-rules`): one that
//! refuses what callpop writes for a premium-rate caller, one that never meets callpop's writes.

use crate::org::Records;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

/// The seeded numbers, for tests and the demo's scenarios.
pub mod numbers {
    pub const ONE_CONTACT: &str = "+14155552671";
    pub const ONE_LEAD: &str = "+14155550173";
    pub const SEVERAL: &str = "+14155550142";
    pub const NOBODY: &str = "+14155550123";
    pub const PREMIUM_RATE: &str = "+19005550199";
}

/// The rule the tests use when the org must refuse what callpop writes: every Lead needs an email, so each Lead
/// callpop creates for a new caller fails with `FIELD_CUSTOM_VALIDATION_EXCEPTION`, this message and `Email`.
pub fn lead_needs_email() -> crate::rules::ValidationRule {
    crate::rules::ValidationRule {
        name: "Lead_Needs_Email".to_owned(),
        object: "Lead".to_owned(),
        condition: crate::rules::Condition::Blank { field: "Email".to_owned() },
        message: "Enter the lead's email address.".to_owned(),
        error_field: Some("Email".to_owned()),
        active: true,
        description: None,
    }
}

/// Validation rules of the kind admins write, for the demo: `No_Premium_Rate_Lead_Phone` refuses a Lead whose
/// Phone is a US 1-900 number in any of the formats callpop writes (E.164, national, international), so the
/// premium-rate caller's new Lead is rejected with Salesforce's `FIELD_CUSTOM_VALIDATION_EXCEPTION`;
/// `Qualified_Lead_Needs_Source` shows a rule callpop's writes never trip.
pub fn example_validation_rules() -> Vec<crate::rules::ValidationRule> {
    use crate::rules::{Condition, ValidationRule};
    vec![
        ValidationRule {
            name: "No_Premium_Rate_Lead_Phone".to_owned(),
            object: "Lead".to_owned(),
            condition: Condition::Matches {
                field: "Phone".to_owned(),
                pattern: r"\+?1?[\s.-]*\(?900\)?[\s.-]*\d{3}[\s.-]*\d{4}".to_owned(),
            },
            message: "Premium-rate (1-900) numbers cannot be saved on a Lead.".to_owned(),
            error_field: Some("Phone".to_owned()),
            active: true,
            description: Some("Sales does not call back premium-rate lines.".to_owned()),
        },
        ValidationRule {
            name: "Qualified_Lead_Needs_Source".to_owned(),
            object: "Lead".to_owned(),
            condition: Condition::All {
                conditions: vec![
                    Condition::Equals { field: "Status".to_owned(), value: json!("Qualified") },
                    Condition::Blank { field: "LeadSource".to_owned() },
                ],
            },
            message: "Say where a qualified Lead came from: fill in Lead Source.".to_owned(),
            error_field: Some("LeadSource".to_owned()),
            active: true,
            description: None,
        },
    ]
}

fn fields(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(fields) => fields,
        _ => serde_json::Map::new(),
    }
}

/// Fills `records` with the demo org's data. Older records get older modification dates, so "newest first" shows.
pub fn seed(records: &mut Records, now: DateTime<Utc>) {
    let days_ago = |days: i64| now - Duration::days(days);
    let owner = records.insert("User", fields(json!({"FirstName": "Integration", "LastName": "User", "Username": "integration@acme.example", "Email": "integration@acme.example", "IsActive": true})), days_ago(400));
    let owned = |mut record: serde_json::Map<String, Value>| {
        record.insert("OwnerId".to_owned(), Value::String(owner.as_str().to_owned()));
        record
    };
    records.insert(
        "User",
        fields(
            json!({"FirstName": "Alex", "LastName": "Agent", "Username": "alex.agent@acme.example", "IsActive": true}),
        ),
        days_ago(400),
    );
    let account = records.insert(
        "Account",
        owned(fields(json!({"Name": "Analytical Engines Ltd", "Phone": "+1 415 555 0111", "BillingCity": "San Francisco", "BillingState": "CA", "BillingCountry": "US"}))),
        days_ago(300),
    );
    records.insert(
        "Contact",
        owned(fields(json!({"FirstName": "Ada", "LastName": "Lovelace", "Phone": "(415) 555-2671", "Email": "ada@engines.example",
                      "AccountId": account.as_str(), "Title": "Chief Analyst", "MailingCity": "San Francisco"}))),
        days_ago(30),
    );
    records.insert(
        "Lead",
        owned(fields(
            json!({"FirstName": "Alan", "LastName": "Turing", "Company": "Bletchley Labs", "Phone": "415-555-0173",
                      "Status": "Open - Not Contacted", "LeadSource": "Web", "IsConverted": false}),
        )),
        days_ago(20),
    );
    records.insert(
        "Lead",
        owned(fields(
            json!({"FirstName": "Grace", "LastName": "Hopper", "Company": "Hopper Consulting", "Phone": "+14155550142",
                      "Status": "Working - Contacted", "LeadSource": "Phone Inquiry", "IsConverted": false}),
        )),
        days_ago(90),
    );
    records.insert(
        "Contact",
        owned(fields(json!({"FirstName": "Grace", "LastName": "Hopper", "MobilePhone": "(415) 555-0142", "Email": "grace@navy.example",
                      "AccountId": account.as_str(), "Title": "Rear Admiral"}))),
        days_ago(2),
    );
    records.insert(
        "Lead",
        owned(fields(
            json!({"LastName": "Hopper Family Trust", "Company": "Hopper Family Trust", "Phone": "415.555.0142",
                      "Status": "Open - Not Contacted", "IsConverted": false}),
        )),
        days_ago(45),
    );
    records.insert(
        "Campaign",
        owned(fields(json!({"Name": "Spring Promo", "IsActive": true, "Status": "In Progress"}))),
        days_ago(60),
    );
}
