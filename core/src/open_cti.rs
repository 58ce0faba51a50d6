//! The Open CTI calls the softphone makes, as data.
//!
//! The core decides which call to make and with which arguments; the adapter marshals each one onto the Lightning
//! library (`sforce.opencti`, one object argument) or the Classic library (`sforce.interaction`, positional
//! arguments). Calls that exist in only one UI say so; the decision table never emits them for the other.

use crate::call::Direction;
use crate::record::RecordId;

/// Which Salesforce UI framed the softphone: `mode=Lightning` in the adapter URL, or no `mode` for Classic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ui {
    Lightning,
    Classic,
}

impl Ui {
    /// Reads the UI from the adapter URL's `mode` parameter, as Salesforce's own libraries do.
    pub fn from_mode(mode: Option<&str>) -> Self {
        match mode {
            Some(mode) if mode.eq_ignore_ascii_case("lightning") => Self::Lightning,
            _ => Self::Classic,
        }
    }

    /// The path of Salesforce's Open CTI library for this UI, relative to the org's origin.
    pub fn library_path(self, api_version: &str) -> String {
        match self {
            Self::Lightning => format!("/support/api/{api_version}/lightning/opencti_min.js"),
            Self::Classic => format!("/support/api/{api_version}/interaction.js"),
        }
    }
}

/// The domain suffixes Salesforce's own Open CTI library accepts for `sfdcIframeOrigin` (its origin check,
/// `opencti.md` §10): `force.com`, `visualforce.com`, `my-visualforce.com`, `my-lightning.com`, `salesforce.com`,
/// `my-salesforce.com`, and `salesforce`/`crmforce` under `.mil` and `.ms`.
pub const SALESFORCE_DOMAIN_SUFFIXES: [&str; 10] = [
    ".force.com",
    ".visualforce.com",
    ".my-visualforce.com",
    ".my-lightning.com",
    ".salesforce.com",
    ".my-salesforce.com",
    ".salesforce.mil",
    ".salesforce.ms",
    ".crmforce.mil",
    ".crmforce.ms",
];

/// Whether the softphone may load its Open CTI library from `origin` and talk to it: a Salesforce origin as the
/// real library defines one, or one of `extra_origins` (the local org in the demo), and in either case with the
/// page's own scheme. Anything else could make the softphone run a stranger's script.
pub fn is_trusted_org_origin(origin: &str, extra_origins: &[String], page_scheme: &str) -> bool {
    let Some((scheme, host_and_port)) = origin.split_once("://") else { return false };
    if scheme != page_scheme.trim_end_matches(':') || !matches!(scheme, "http" | "https") {
        return false;
    }
    if extra_origins.iter().any(|extra| extra.trim_end_matches('/') == origin) {
        return true;
    }
    let (host, port) = host_and_port.split_once(':').unwrap_or((host_and_port, ""));
    let port_ok = port.is_empty() && !host_and_port.ends_with(':')
        || !port.is_empty() && port.bytes().all(|byte| byte.is_ascii_digit());
    let host_ok = host.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"_-.".contains(&byte));
    port_ok
        && host_ok
        && SALESFORCE_DOMAIN_SUFFIXES
            .iter()
            .any(|suffix| host.len() > suffix.len() && host.to_ascii_lowercase().ends_with(suffix))
}

/// One Open CTI call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenCtiCall {
    /// Lightning `setSoftphonePanelVisibility({visible: true})`, Classic `setVisible(true)`.
    ShowPanel,
    /// `enableClickToDial` in both UIs.
    EnableClickToDial,
    /// Search without popping: Lightning `searchAndScreenPop({deferred: true})`, Classic `searchAndGetScreenPopUrl`.
    /// The answer comes back as the matching records.
    Search { term: String, direction: Direction },
    /// Lightning only: `screenPop({type: SOBJECT, params: {recordId}})`.
    PopRecord { id: RecordId },
    /// Lightning only: `screenPop({type: SEARCH, params: {searchString}})`; the term has at least 3 characters.
    PopSearch { term: String },
    /// A relative URL: Lightning `screenPop({type: URL, params: {url}})`, Classic `screenPop(url, true)`.
    PopUrl { url: String },
    /// Lightning only: `screenPop({type: NEW_RECORD_MODAL, params: {entityName, defaultFieldValues}})`.
    NewRecordModal { entity: String, defaults: Vec<(String, String)> },
    /// `saveLog` creating a record: Lightning `{value: {entityApiName, ...fields}}`, Classic `saveLog(object, "k=v&…")`.
    /// The answer comes back as the new record's id.
    CreateRecord { entity: String, fields: Vec<(String, String)> },
    /// Lightning only: `setSoftphoneItemLabel({label})`, the utility bar item's text ("Incoming call" while ringing).
    SetItemLabel { label: String },
}

/// A relative Classic URL with query parameters, percent-encoded the way `encodeURIComponent` does.
pub fn classic_url(path: &str, params: &[(&str, &str)]) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    // encodeURIComponent leaves A-Z a-z 0-9 - _ . ! ~ * ' ( ) unescaped.
    const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'!')
        .remove(b'~')
        .remove(b'*')
        .remove(b'\'')
        .remove(b'(')
        .remove(b')');
    let query: Vec<String> = params
        .iter()
        .map(|(key, value)| {
            format!("{}={}", utf8_percent_encode(key, COMPONENT), utf8_percent_encode(value, COMPONENT))
        })
        .collect();
    if query.is_empty() { path.to_owned() } else { format!("{path}?{}", query.join("&")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mode_parameter_picks_the_ui() {
        assert_eq!(Ui::from_mode(Some("Lightning")), Ui::Lightning);
        assert_eq!(Ui::from_mode(None), Ui::Classic);
        assert_eq!(Ui::Classic.library_path("62.0"), "/support/api/62.0/interaction.js");
    }

    #[test]
    fn only_salesforce_origins_and_the_configured_extras_are_trusted() {
        let extras = ["http://127.0.0.1:8081".to_owned()];
        for trusted in [
            "https://acme.lightning.force.com",
            "https://acme--c.visualforce.com",
            "https://acme.my.salesforce.com:443",
            "http://acme.salesforce.ms:8081",
        ] {
            let scheme = trusted.split(':').next().unwrap();
            assert!(is_trusted_org_origin(trusted, &extras, scheme), "{trusted}");
        }
        assert!(is_trusted_org_origin("http://127.0.0.1:8081", &extras, "http:"));
        for untrusted in [
            "https://evil.example",
            "https://force.com",
            "https://acme.force.com.evil.example",
            "https://acme.lightning.force.com/path",
            "https://user@acme.force.com",
            "javascript://acme.force.com",
            "http://127.0.0.1:8082",
        ] {
            assert!(!is_trusted_org_origin(untrusted, &extras, "https"), "{untrusted}");
        }
        assert!(
            !is_trusted_org_origin("http://acme.lightning.force.com", &extras, "https"),
            "the scheme must match the page's"
        );
    }

    #[test]
    fn classic_urls_escape_every_value() {
        let url = classic_url("/00Q/e", &[("lea8", "(415) 555-2671"), ("name_lastlea2", "O'Brien & Sons")]);
        assert_eq!(url, "/00Q/e?lea8=(415)%20555-2671&name_lastlea2=O'Brien%20%26%20Sons");
    }
}
