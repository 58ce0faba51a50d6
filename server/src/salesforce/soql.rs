//! The SOQL queries callpop sends, as typed builders: the sync engine and the preflight check compose these and
//! never write query text themselves. Values are quoted with `escape::soql_quote`; object and field names come from
//! callpop's own constants or from trigger rules, whose names `callpop_core::triggers::validate` checks.

use super::escape::soql_quote;

/// The newest unconverted Lead whose `Phone` is exactly `phone` (SOQL sees every committed record, unlike the
/// search index), with what `search::candidate` reads.
pub fn lead_by_exact_phone(phone: &str) -> String {
    format!(
        "SELECT Id, Phone, IsConverted, ConvertedContactId, LastModifiedDate FROM Lead WHERE Phone = {} AND \
         IsConverted = false ORDER BY CreatedDate DESC LIMIT 1",
        soql_quote(phone)
    )
}

/// The active Campaigns named `name` (two at most: one is enough, a second says the name is ambiguous).
pub fn active_campaign_by_name(name: &str) -> String {
    format!("SELECT Id FROM Campaign WHERE Name = {} AND IsActive = true LIMIT 2", soql_quote(name))
}

/// The oldest Task whose `CallObject` is `call_object` (callpop sets it to the call's key).
pub fn task_by_call_object(call_object: &str) -> String {
    format!("SELECT Id FROM Task WHERE CallObject = {} ORDER BY CreatedDate LIMIT 1", soql_quote(call_object))
}

/// The most recently modified `object` record whose `field` is exactly `value` (a trigger's `find_or_create`).
pub fn newest_by_field(object: &str, field: &str, value: &str) -> String {
    format!("SELECT Id FROM {object} WHERE {field} = {} ORDER BY LastModifiedDate DESC LIMIT 1", soql_quote(value))
}

/// The newest open Case of a Contact (a call's Task `WhatId`, `call_logging::WhatIdRule::OpenCase`).
pub fn open_case_of_contact(contact_id: &str) -> String {
    format!(
        "SELECT Id FROM Case WHERE ContactId = {} AND IsClosed = false ORDER BY CreatedDate DESC LIMIT 1",
        soql_quote(contact_id)
    )
}

/// A Contact's Account (`AccountId`; null for a private Contact).
pub fn account_of_contact(contact_id: &str) -> String {
    format!("SELECT AccountId FROM Contact WHERE Id = {}", soql_quote(contact_id))
}

/// The newest open Opportunity of an Account (a call's Task `WhatId`, `WhatIdRule::OpenOpportunity`).
pub fn open_opportunity_of_account(account_id: &str) -> String {
    format!(
        "SELECT Id FROM Opportunity WHERE AccountId = {} AND IsClosed = false ORDER BY CreatedDate DESC LIMIT 1",
        soql_quote(account_id)
    )
}

/// The org's active validation rules (a Tooling API query). For a standard object `EntityDefinitionId` is the
/// object's API name (`Lead`), so no join to `EntityDefinition` is needed for the objects callpop writes.
pub fn active_validation_rules() -> &'static str {
    "SELECT Id, ValidationName, EntityDefinitionId, ErrorMessage FROM ValidationRule WHERE Active = true"
}

/// The org's active duplicate rules.
pub fn active_duplicate_rules() -> &'static str {
    "SELECT Id, DeveloperName, SobjectType FROM DuplicateRule WHERE IsActive = true"
}

/// The org's default time zone (`Organization` has one row: the org itself).
pub fn organization_time_zone() -> &'static str {
    "SELECT TimeZoneSidKey FROM Organization"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted_so_they_cannot_change_the_query() {
        assert_eq!(
            lead_by_exact_phone("(415) 555-0100' OR Name != '"),
            "SELECT Id, Phone, IsConverted, ConvertedContactId, LastModifiedDate FROM Lead WHERE Phone = \
             '(415) 555-0100\\' OR Name != \\'' AND IsConverted = false ORDER BY CreatedDate DESC LIMIT 1"
        );
        assert_eq!(
            active_campaign_by_name("Spring \"Promo\""),
            "SELECT Id FROM Campaign WHERE Name = 'Spring \\\"Promo\\\"' AND IsActive = true LIMIT 2"
        );
        assert_eq!(
            task_by_call_object("call-1"),
            "SELECT Id FROM Task WHERE CallObject = 'call-1' ORDER BY CreatedDate LIMIT 1"
        );
        assert_eq!(
            newest_by_field("Account", "AccountNumber", "A\\1"),
            "SELECT Id FROM Account WHERE AccountNumber = 'A\\\\1' ORDER BY LastModifiedDate DESC LIMIT 1"
        );
        assert_eq!(
            open_case_of_contact("003' OR Id != '"),
            "SELECT Id FROM Case WHERE ContactId = '003\\' OR Id != \\'' AND IsClosed = false ORDER BY CreatedDate DESC \
             LIMIT 1"
        );
        assert_eq!(
            account_of_contact("003000000000001AAA"),
            "SELECT AccountId FROM Contact WHERE Id = '003000000000001AAA'"
        );
        assert_eq!(
            open_opportunity_of_account("001000000000003AAA"),
            "SELECT Id FROM Opportunity WHERE AccountId = '001000000000003AAA' AND IsClosed = false ORDER BY \
             CreatedDate DESC LIMIT 1"
        );
    }
}
