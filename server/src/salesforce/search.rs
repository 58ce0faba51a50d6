//! Finding a caller's Leads and Contacts: the digit variants of their number, the SOSL query that ORs them
//! (`salesforce-api.md` §3.1), reading the search response in both its shapes, and turning the hits into the
//! candidates `callpop_core::legacy` chooses from.
//!
//! Numbers are searched as digits only, so no SOSL operator character ever reaches the query, in the forms an org
//! stores them: national (`4155552671`, `02070313000`) and with the country code (`14155552671`,
//! `442070313000`). Salesforce's phone matching is not documented in detail, so the core re-checks every hit's
//! digits (`legacy::phone_matches`).

use super::error::SalesforceError;
use super::escape::sosl_escape;
use super::record::Record;
use crate::phone;
use callpop_core::legacy::Candidate;
use callpop_core::record::RecordId;
use phonenumber::PhoneNumber;
use serde_json::Value;

/// The phone fields searched and read back, per object.
pub const LEAD_PHONE_FIELDS: [&str; 2] = ["Phone", "MobilePhone"];
pub const CONTACT_PHONE_FIELDS: [&str; 5] = ["Phone", "MobilePhone", "HomePhone", "OtherPhone", "AssistantPhone"];

/// The most hits one phone search asks for.
pub const SEARCH_LIMIT: u32 = 50;

/// The digit strings that spell `number` as orgs store it: the national format's digits, the country code with
/// the national significant number, and the national significant number alone (duplicates removed, in that order).
pub fn phone_search_digits(number: &PhoneNumber) -> Vec<String> {
    let digits = |text: &str| -> String { text.chars().filter(char::is_ascii_digit).collect() };
    let international = digits(&phone::e164(number));
    let country_code = number.code().value().to_string();
    let significant = international.strip_prefix(&country_code).unwrap_or(&international).to_owned();
    let national = digits(&phone::display(number, true));
    let mut variants: Vec<String> = Vec::new();
    for variant in [national, international, significant] {
        if !variant.is_empty() && !variants.contains(&variant) {
            variants.push(variant);
        }
    }
    variants
}

/// The SOSL query for `callers` callers' numbers (one, or several searched together): the digit variants OR'ed, in
/// phone fields, returning what the record choice needs, up to [`SEARCH_LIMIT`] rows per caller (SOSL's own
/// ceiling is 2,000).
pub fn phone_search_sosl(digit_variants: &[String], callers: usize) -> String {
    let limit = (SEARCH_LIMIT as usize).saturating_mul(callers.max(1)).min(2_000);
    let terms: Vec<String> = digit_variants
        .iter()
        .map(|variant| variant.chars().filter(char::is_ascii_digit).collect::<String>())
        .filter(|variant| !variant.is_empty())
        .map(|variant| sosl_escape(&variant))
        .collect();
    format!(
        "FIND {{{}}} IN PHONE FIELDS RETURNING Lead(Id, Name, {}, IsConverted, ConvertedContactId, LastModifiedDate), \
         Contact(Id, Name, {}, LastModifiedDate) LIMIT {limit}",
        terms.join(" OR "),
        LEAD_PHONE_FIELDS.join(", "),
        CONTACT_PHONE_FIELDS.join(", "),
    )
}

/// Reads a search response: `{"searchRecords": [...]}` (API v37 and later) or the bare array of older versions.
pub fn parse_search_response(body: Value) -> Result<Vec<Record>, SalesforceError> {
    let items = match body {
        Value::Array(items) => items,
        Value::Object(mut object) => match object.remove("searchRecords") {
            Some(Value::Array(items)) => items,
            _ => return Err(SalesforceError::Decode("a search response without searchRecords".to_owned())),
        },
        _ => return Err(SalesforceError::Decode("a search response that is neither a list nor an object".to_owned())),
    };
    items.into_iter().map(Record::from_value).collect()
}

/// The Lead or Contact a search hit is, for the record choice; `None` for other objects or a malformed id.
pub fn candidate(record: &Record) -> Option<Candidate> {
    let phone_fields: &[&str] = match record.object.as_str() {
        "Lead" => &LEAD_PHONE_FIELDS,
        "Contact" => &CONTACT_PHONE_FIELDS,
        _ => return None,
    };
    Some(Candidate {
        id: RecordId::parse(record.id.as_deref()?).ok()?,
        is_converted: record.fields.get("IsConverted").and_then(Value::as_bool).unwrap_or(false),
        converted_contact_id: record.text("ConvertedContactId").and_then(|id| RecordId::parse(id).ok()),
        last_modified: record.text("LastModifiedDate").map(str::to_owned),
        phones: phone_fields.iter().filter_map(|field| record.text(field)).map(str::to_owned).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variants(raw: &str) -> Vec<String> {
        phone_search_digits(&phone::parse(raw, "US").unwrap())
    }

    #[test]
    fn digit_variants_cover_national_and_international_spellings() {
        assert_eq!(variants("+14155552671"), ["4155552671", "14155552671"]);
        assert_eq!(variants("+44 20 7031 3000"), ["02070313000", "442070313000", "2070313000"]);
        // Italy keeps its leading zero in the national significant number.
        assert_eq!(variants("+39 06 1234 5678"), ["0612345678", "390612345678"]);
    }

    #[test]
    fn the_sosl_query_ors_digits_only() {
        let sosl = phone_search_sosl(&["4155552671".to_owned(), "+1 (415) 555-2671".to_owned(), String::new()], 1);
        assert_eq!(
            sosl,
            "FIND {4155552671 OR 14155552671} IN PHONE FIELDS RETURNING Lead(Id, Name, Phone, MobilePhone, \
             IsConverted, ConvertedContactId, LastModifiedDate), Contact(Id, Name, Phone, MobilePhone, HomePhone, \
             OtherPhone, AssistantPhone, LastModifiedDate) LIMIT 50"
        );
        let together = phone_search_sosl(&["4155552671".to_owned(), "4155550173".to_owned()], 2);
        assert!(together.starts_with("FIND {4155552671 OR 4155550173} IN PHONE FIELDS"), "{together}");
        assert!(together.ends_with("LIMIT 100"), "{together}");
    }

    #[test]
    fn both_response_shapes_are_read() {
        // `salesforce-api.md` §3.1: the current shape, then the bare array of API v35.
        let current = serde_json::json!({"searchRecords": [
            {"attributes": {"type": "Lead", "url": "/services/data/v62.0/sobjects/Lead/00Q000000000001EAA"},
             "Id": "00Q000000000001EAA", "Name": "Ann Lee", "Phone": "(415) 555-1212", "IsConverted": false},
            {"attributes": {"type": "Contact", "url": "/services/data/v62.0/sobjects/Contact/003000000000002AAA"},
             "Id": "003000000000002AAA", "Name": "Bo Chan", "Phone": "+1 415 555 1212", "MobilePhone": null}
        ]});
        let legacy = current["searchRecords"].clone();
        for body in [current, legacy] {
            let records = parse_search_response(body).unwrap();
            let candidates: Vec<Candidate> = records.iter().filter_map(candidate).collect();
            assert_eq!(candidates.len(), 2);
            assert_eq!(candidates[0].id.as_str(), "00Q000000000001EAA");
            assert_eq!(candidates[1].phones, ["+1 415 555 1212"]);
        }
        assert!(parse_search_response(serde_json::json!({"searchRecords": []})).unwrap().is_empty());
        assert!(parse_search_response(serde_json::json!({"records": []})).is_err());
    }
}
