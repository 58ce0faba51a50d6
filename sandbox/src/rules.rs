//! The admin's rules: validation rules, duplicate rules, and State and Country picklists.
//!
//! Each is configured through the control API as data (Salesforce's own rules are formulas and matching rules
//! edited in Setup; a small data model covers what the sync engine has to survive). The write engine (`dml`) runs
//! them on every create and update, in Salesforce's order: field checks, validation rules, duplicate rules.

use crate::errors::ApiError;
use crate::geo_data::{COUNTRIES, STATES};
use crate::org::{Record, phone_key};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// A validation rule: when `condition` holds for the record being saved, the save fails with
/// `FIELD_CUSTOM_VALIDATION_EXCEPTION` and the admin's `message`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationRule {
    /// The rule's API name (`ValidationName`).
    pub name: String,
    pub object: String,
    pub condition: Condition,
    /// The admin's error message, returned verbatim.
    pub message: String,
    /// The field the error is shown at; `None` shows it at the top of the page (`"fields": []`).
    #[serde(default)]
    pub error_field: Option<String>,
    #[serde(default = "active_by_default")]
    pub active: bool,
    #[serde(default)]
    pub description: Option<String>,
}

fn active_by_default() -> bool {
    true
}

/// The error condition of a validation rule: the equivalent of the formula functions admins use most.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Condition {
    /// `ISBLANK(field)`.
    Blank {
        field: String,
    },
    /// `NOT(ISBLANK(field))`.
    NotBlank {
        field: String,
    },
    /// `field = value` (text compares case-sensitively, as formulas do).
    Equals {
        field: String,
        value: Value,
    },
    NotEquals {
        field: String,
        value: Value,
    },
    /// `OR(ISPICKVAL(field, "a"), …)`.
    InList {
        field: String,
        values: Vec<Value>,
    },
    /// `NOT(OR(ISPICKVAL(field, "a"), …))`; a blank field is not in the list.
    NotInList {
        field: String,
        values: Vec<Value>,
    },
    /// `REGEX(field, pattern)`: the whole value must match; a blank field is matched as "".
    Matches {
        field: String,
        pattern: String,
    },
    /// `NOT(REGEX(field, pattern))`.
    NotMatches {
        field: String,
        pattern: String,
    },
    /// `AND(…)`.
    All {
        conditions: Vec<Condition>,
    },
    /// `OR(…)`.
    Any {
        conditions: Vec<Condition>,
    },
}

fn is_blank(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::String(text)) => text.trim().is_empty(),
        Some(_) => false,
    }
}

fn field_value<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    fields.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value)
}

fn values_equal(left: Option<&Value>, right: &Value) -> bool {
    match (left, right) {
        (None | Some(Value::Null), Value::Null) => true,
        (Some(Value::Number(left)), Value::Number(right)) => left.as_f64() == right.as_f64(),
        (Some(left), right) => left == right,
        (None, _) => false,
    }
}

fn full_match(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("^(?:{pattern})$"))
}

impl Condition {
    /// Whether the condition holds for these field values.
    pub fn holds(&self, fields: &Map<String, Value>) -> bool {
        match self {
            Self::Blank { field } => is_blank(field_value(fields, field)),
            Self::NotBlank { field } => !is_blank(field_value(fields, field)),
            Self::Equals { field, value } => values_equal(field_value(fields, field), value),
            Self::NotEquals { field, value } => !values_equal(field_value(fields, field), value),
            Self::InList { field, values } => {
                values.iter().any(|value| values_equal(field_value(fields, field), value))
            }
            Self::NotInList { field, values } => {
                !values.iter().any(|value| values_equal(field_value(fields, field), value))
            }
            Self::Matches { field, pattern } => Self::regex_holds(fields, field, pattern),
            Self::NotMatches { field, pattern } => !Self::regex_holds(fields, field, pattern),
            Self::All { conditions } => conditions.iter().all(|condition| condition.holds(fields)),
            Self::Any { conditions } => conditions.iter().any(|condition| condition.holds(fields)),
        }
    }

    fn regex_holds(fields: &Map<String, Value>, field: &str, pattern: &str) -> bool {
        let text = match field_value(fields, field) {
            Some(Value::String(text)) => text.clone(),
            None | Some(Value::Null) => String::new(),
            Some(other) => other.to_string(),
        };
        full_match(pattern).is_ok_and(|regex| regex.is_match(&text))
    }

    /// Checks the patterns compile, so a bad rule is refused when it is added rather than ignored when it runs.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Self::Matches { pattern, .. } | Self::NotMatches { pattern, .. } => {
                full_match(pattern).map(drop).map_err(|error| format!("bad pattern {pattern:?}: {error}"))
            }
            Self::All { conditions } | Self::Any { conditions } => conditions.iter().try_for_each(Self::check),
            _ => Ok(()),
        }
    }
}

impl ValidationRule {
    /// The error when the rule fires on these field values.
    pub fn fire(&self, fields: &Map<String, Value>) -> Option<ApiError> {
        (self.active && self.condition.holds(fields)).then(|| {
            ApiError::bad_request("FIELD_CUSTOM_VALIDATION_EXCEPTION", self.message.clone())
                .with_fields(self.error_field.iter().cloned())
        })
    }
}

/// What a duplicate rule does when it finds a match.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DuplicateAction {
    /// The save fails, whatever the request says.
    #[default]
    Block,
    /// The save fails unless the request sends `Sforce-Duplicate-Rule-Header: allowSave=true`.
    Alert,
}

/// How a matching field's values are compared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalizer {
    /// Trimmed, otherwise exact.
    #[default]
    Exact,
    /// Trimmed and lowercased, as for email addresses.
    Lowercase,
    /// Digits only, with a North American leading `1` dropped (`org::phone_key`).
    PhoneDigits,
}

impl Normalizer {
    fn normalize(self, text: &str) -> String {
        match self {
            Self::Exact => text.trim().to_owned(),
            Self::Lowercase => text.trim().to_lowercase(),
            Self::PhoneDigits => phone_key(text),
        }
    }
}

/// A matching field of a duplicate rule. The field has the same API name on every compared object (`Phone`,
/// `Email`), which is how Salesforce's standard Lead↔Contact matching rules pair them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchField {
    pub field: String,
    #[serde(default)]
    pub normalizer: Normalizer,
}

/// A duplicate rule with its matching rule: a record of `object` being saved matches an existing record of any of
/// `compare_with` when every matching field is non-blank and equal after normalising.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateRule {
    /// Developer name, e.g. `Standard_Lead_Duplicate_Rule`.
    pub name: String,
    pub object: String,
    #[serde(default)]
    pub action: DuplicateAction,
    pub fields: Vec<MatchField>,
    /// Objects whose records are compared; empty means `object` itself. `["Lead", "Contact"]` matches across.
    #[serde(default)]
    pub compare_with: Vec<String>,
    /// The matching rule's developer name; `{object}_Match_Rule` when left out.
    #[serde(default)]
    pub matching_rule: Option<String>,
    #[serde(default = "default_duplicate_message")]
    pub message: String,
    #[serde(default = "active_by_default")]
    pub active: bool,
}

fn default_duplicate_message() -> String {
    "Use one of these records?".to_owned()
}

/// The records a duplicate rule found, by object.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateMatch<'a> {
    pub rule: &'a DuplicateRule,
    pub matches: Vec<(String, Vec<&'a Record>)>,
}

impl DuplicateRule {
    /// The objects compared.
    pub fn compared_objects(&self) -> Vec<String> {
        if self.compare_with.is_empty() { vec![self.object.clone()] } else { self.compare_with.clone() }
    }

    fn keys(&self, fields: &Map<String, Value>) -> Option<Vec<String>> {
        self.fields
            .iter()
            .map(|matching| {
                let text = field_value(fields, &matching.field).and_then(Value::as_str)?;
                let key = matching.normalizer.normalize(text);
                (!key.is_empty()).then_some(key)
            })
            .collect()
    }

    /// Whether `candidate` matches the record being saved (whose field values are `fields`).
    pub fn matches(&self, fields: &Map<String, Value>, candidate: &Record) -> bool {
        match (self.keys(fields), self.keys(&candidate.fields)) {
            (Some(saved), Some(existing)) => saved == existing,
            _ => false,
        }
    }

    /// The `duplicateResut` detail of §7.2. `render` turns each matched record into its `record` value.
    pub fn detail(&self, found: &DuplicateMatch<'_>, render: &dyn Fn(&Record) -> Value) -> Value {
        let match_results: Vec<Value> = found
            .matches
            .iter()
            .map(|(object, records)| {
                let match_records: Vec<Value> = records
                    .iter()
                    .map(|record| {
                        json!({"additionalInformation": [], "fieldDiffs": [], "matchConfidence": 100.0,
                               "record": render(record)})
                    })
                    .collect();
                json!({
                    "entityType": object, "errors": [], "matchEngine": "ExactMatchEngine",
                    "matchRecords": match_records,
                    "rule": self.matching_rule.clone().unwrap_or_else(|| format!("{object}_Match_Rule")),
                    "size": records.len(), "success": true,
                })
            })
            .collect();
        json!({
            "allowSave": self.action == DuplicateAction::Alert,
            "duplicateRule": self.name,
            "duplicateRuleEntityType": self.object,
            "errorMessage": self.message,
            "matchResults": match_results,
        })
    }
}

/// What a request asked of duplicate rules with `Sforce-Duplicate-Rule-Header`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DuplicateRuleHeader {
    pub allow_save: bool,
    pub include_record_details: bool,
}

impl DuplicateRuleHeader {
    /// Parses `allowSave=true; includeRecordDetails=true; runAsCurrentUser=true`. Unknown keys are ignored.
    pub fn parse(header: &str) -> Self {
        let mut parsed = Self::default();
        for part in header.split(';') {
            let Some((key, value)) = part.split_once('=') else { continue };
            let on = value.trim().eq_ignore_ascii_case("true");
            match key.trim() {
                "allowSave" => parsed.allow_save = on,
                "includeRecordDetails" => parsed.include_record_details = on,
                _ => {}
            }
        }
        parsed
    }
}

/// A country by ISO code or English name, in any case: `(code, name)`.
fn find_country(text: &str) -> Option<(&'static str, &'static str)> {
    let text = text.trim();
    COUNTRIES.iter().copied().find(|(code, name)| code.eq_ignore_ascii_case(text) || name.eq_ignore_ascii_case(text))
}

/// A state of `country` by code or English name: `(code, name)`.
fn find_state(country: &str, text: &str) -> Option<(&'static str, &'static str)> {
    let text = text.trim();
    STATES
        .iter()
        .find(|(of, code, name)| *of == country && (code.eq_ignore_ascii_case(text) || name.eq_ignore_ascii_case(text)))
        .map(|(_, code, name)| (*code, *name))
}

fn text_of<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    fields.get(name).and_then(Value::as_str).map(str::trim).filter(|text| !text.is_empty())
}

fn restricted_picklist_error(field: &str, label: &str, value: &str) -> ApiError {
    ApiError::bad_request(
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        format!("{label}: bad value for restricted picklist field: {value}"),
    )
    .with_fields([field])
}

/// With State and Country picklists on, checks an address (`prefix` `Mailing`, `Billing`, or `""` for a Lead) and
/// fills in the other half of each pair, so `Country: "United States"` also sets `CountryCode: "US"`.
///
/// A bad `CountryCode`/`StateCode` is rejected with `INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST`. A bad text
/// `Country`/`State` is rejected with `FIELD_INTEGRITY_EXCEPTION` and the message real orgs show ("There's a problem
/// with this country, even though it may appear correct…"); that message is from memory of real orgs, not from the
/// reference (unverified). Countries outside the United States, Canada and Australia take no state.
pub fn check_address(fields: &mut Map<String, Value>, prefix: &str) -> Result<(), ApiError> {
    let [country_field, country_code_field, state_field, state_code_field] =
        ["Country", "CountryCode", "State", "StateCode"].map(|part| format!("{prefix}{part}"));
    let country = match (text_of(fields, &country_code_field), text_of(fields, &country_field)) {
        (Some(code), name) => {
            let country = COUNTRIES.iter().copied().find(|(known, _)| known.eq_ignore_ascii_case(code));
            let country = country.ok_or_else(|| {
                restricted_picklist_error(&country_code_field, format!("{prefix} Country Code").trim_start(), code)
            })?;
            if name.is_some_and(|name| find_country(name) != Some(country)) {
                return Err(country_problem(&country_field));
            }
            Some(country)
        }
        (None, Some(name)) => Some(find_country(name).ok_or_else(|| country_problem(&country_field))?),
        (None, None) => None,
    };
    let state_text = text_of(fields, &state_code_field).or_else(|| text_of(fields, &state_field)).map(str::to_owned);
    let state = match (state_text, country) {
        (Some(text), Some((country_code, _))) => Some(find_state(country_code, &text).ok_or_else(|| {
            if text_of(fields, &state_code_field).is_some() {
                restricted_picklist_error(&state_code_field, format!("{prefix} State Code").trim_start(), &text)
            } else {
                state_problem(&state_field)
            }
        })?),
        (Some(_), None) => return Err(state_problem(&state_field)),
        (None, _) => None,
    };
    for (code_field, name_field, found) in
        [(&country_code_field, &country_field, country), (&state_code_field, &state_field, state)]
    {
        if let Some((code, name)) = found {
            fields.insert(code_field.clone(), json!(code));
            fields.insert(name_field.clone(), json!(name));
        }
    }
    Ok(())
}

fn country_problem(field: &str) -> ApiError {
    ApiError::bad_request(
        "FIELD_INTEGRITY_EXCEPTION",
        "There's a problem with this country, even though it may appear correct. Please select a country/territory \
         from the list of valid countries.",
    )
    .with_fields([field])
}

fn state_problem(field: &str) -> ApiError {
    ApiError::bad_request(
        "FIELD_INTEGRITY_EXCEPTION",
        "There's a problem with this state, even though it may appear correct. Please select a state from the list \
         of valid states.",
    )
    .with_fields([field])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(fields) => fields,
            _ => Map::new(),
        }
    }

    #[test]
    fn conditions_combine_like_formulas() {
        let condition: Condition = serde_json::from_value(json!({"op": "all", "conditions": [
            {"op": "not_blank", "field": "Phone"},
            {"op": "not_matches", "field": "Phone", "pattern": "\\+[0-9]{8,15}"},
        ]}))
        .unwrap();
        assert!(condition.holds(&fields(json!({"Phone": "415-555-0100"}))));
        assert!(!condition.holds(&fields(json!({"Phone": "+14155550100"}))));
        assert!(!condition.holds(&fields(json!({"Phone": null}))));
        assert!(Condition::Matches { field: "Phone".into(), pattern: "(".into() }.check().is_err());
    }

    #[test]
    fn not_in_list_treats_blank_as_outside_the_list() {
        let condition = Condition::NotInList { field: "LeadSource".into(), values: vec![json!("Web")] };
        assert!(condition.holds(&fields(json!({}))));
        assert!(!condition.holds(&fields(json!({"leadsource": "Web"}))));
    }

    #[test]
    fn addresses_accept_codes_and_names_and_fill_in_the_other() {
        let mut lead = fields(json!({"Country": "united states", "State": "CA"}));
        check_address(&mut lead, "").unwrap();
        assert_eq!(lead["CountryCode"], "US");
        assert_eq!(lead["Country"], "United States");
        assert_eq!(lead["State"], "California");
        let mut contact = fields(json!({"MailingCountryCode": "CA", "MailingStateCode": "ON"}));
        check_address(&mut contact, "Mailing").unwrap();
        assert_eq!(contact["MailingState"], "Ontario");
    }

    #[test]
    fn unknown_countries_and_states_are_rejected() {
        let error = check_address(&mut fields(json!({"Country": "Atlantis"})), "").unwrap_err();
        assert_eq!((error.code, error.fields), ("FIELD_INTEGRITY_EXCEPTION", Some(vec!["Country".to_owned()])));
        let error = check_address(&mut fields(json!({"CountryCode": "XX"})), "").unwrap_err();
        assert_eq!(error.code, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST");
        assert_eq!(error.message, "Country Code: bad value for restricted picklist field: XX");
        let error = check_address(&mut fields(json!({"Country": "US", "State": "Narnia"})), "").unwrap_err();
        assert_eq!(error.fields, Some(vec!["State".to_owned()]));
        let error = check_address(&mut fields(json!({"State": "CA"})), "").unwrap_err();
        assert_eq!(error.code, "FIELD_INTEGRITY_EXCEPTION");
    }

    #[test]
    fn the_duplicate_rule_header_is_parsed() {
        let header = DuplicateRuleHeader::parse("allowSave=true; includeRecordDetails=false; runAsCurrentUser=true");
        assert_eq!(header, DuplicateRuleHeader { allow_save: true, include_record_details: false });
    }
}
