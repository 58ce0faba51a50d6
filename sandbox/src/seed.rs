//! The records a fresh local org starts with: each kind of caller the softphone and the sync engine must handle.
//!
//! | number          | who                                             | matches |
//! |-----------------|-------------------------------------------------|---------|
//! | +1 415 555 2671 | Contact Ada Lovelace (Analytical Engines)       | one     |
//! | +1 415 555 0173 | Lead Alan Turing (Bletchley Labs)               | one     |
//! | +1 415 555 0142 | Lead and Contact Grace Hopper, Lead Hopper Trust | three  |
//! | +1 415 555 0123 | nobody                                          | none    |

use crate::org::Records;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

/// The seeded numbers, for tests and the demo's scenarios.
pub mod numbers {
    pub const ONE_CONTACT: &str = "+14155552671";
    pub const ONE_LEAD: &str = "+14155550173";
    pub const SEVERAL: &str = "+14155550142";
    pub const NOBODY: &str = "+14155550123";
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
