//! The org's switches: behaviours a test can choose where Salesforce's is configurable, or where the reference
//! leaves it open (each choice's default is the documented or likeliest behaviour). Changed through
//! `PUT /__control/settings` or `Sandbox::update_settings`.

use crate::errors::DuplicateResultKey;
use serde::{Deserialize, Serialize};

/// How SOSL matches a phone number against phone fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneMatch {
    /// Digits only, and a national number equals the same number with `1`/`+1` in front (§3.1).
    #[default]
    Normalized,
    /// Digits only, compared exactly: `4155550100` does not find `+14155550100`.
    Strict,
}

/// What `GET /services/oauth2/authorize` does once the connected app and redirect URI check out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    /// Show an "Allow Access?" page a person clicks through.
    #[default]
    Page,
    /// Redirect with a code at once, for tests.
    Immediate,
    /// Redirect with `error=access_denied`, as when the user clicks Deny.
    Deny,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrgSettings {
    /// The key of the duplicate-rule detail (§7.2): `duplicateResut` as real orgs send it, or `duplicateResult`.
    pub duplicate_result_key: DuplicateResultKey,
    /// State and Country picklists: address fields accept only ISO codes or English names.
    pub state_country_picklists: bool,
    /// How long after a create a record becomes findable by SOSL (the search index lags; §3.1).
    pub search_index_lag_ms: u64,
    pub phone_match: PhoneMatch,
    /// Whether SOSL returns converted Leads when the query does not filter them (unverified; §3.4).
    pub search_returns_converted_leads: bool,
    /// The status of an upsert that updated: 200 with `{"created": false}` (recent versions) or 204 (old ones).
    pub upsert_update_status: u16,
    /// Answer SOSL with the bare array of API v35 and earlier instead of `{"searchRecords": […]}`.
    pub legacy_search_array: bool,
    pub approval: Approval,
    /// How long an access token lives; `None` means until revoked or expired by the control API.
    pub access_token_ttl_secs: Option<u64>,
    /// How long an authorization code lives (Salesforce: 15 minutes).
    pub authorization_code_ttl_secs: u64,
    /// The `instance_url` the token endpoint answers with instead of the org's own base URL: a hostile or
    /// compromised login host pointing the client at another server.
    pub token_instance_url: Option<String>,
    /// The `instance_url` a refresh answers with, when the org has "moved" to another instance since it was linked
    /// (any URL that reaches this org, e.g. `localhost` for `127.0.0.1`); the org's own origin when `None`.
    pub refreshed_instance_url: Option<String>,
    /// The org's default time zone, `Organization.TimeZoneSidKey` (an IANA name, as Salesforce's picklist has).
    pub time_zone: String,
}

impl Default for OrgSettings {
    fn default() -> Self {
        Self {
            duplicate_result_key: DuplicateResultKey::Misspelled,
            state_country_picklists: false,
            search_index_lag_ms: 0,
            phone_match: PhoneMatch::Normalized,
            search_returns_converted_leads: true,
            upsert_update_status: 200,
            legacy_search_array: false,
            approval: Approval::Page,
            access_token_ttl_secs: None,
            authorization_code_ttl_secs: 15 * 60,
            token_instance_url: None,
            refreshed_instance_url: None,
            // A Developer Edition org signed up for in California: the zone Salesforce's own examples use.
            time_zone: "America/Los_Angeles".to_owned(),
        }
    }
}

/// The org's daily API allocation, as `Sforce-Limit-Info: api-usage=used/max` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiUsage {
    pub used: u64,
    pub max: u64,
}

impl Default for ApiUsage {
    /// A Developer Edition org's allocation (about 15,000; §6.1).
    fn default() -> Self {
        Self { used: 0, max: 15_000 }
    }
}
