//! The seven Salesforce integration options an account administrator sets, and their defaults.
//!
//! The wording and meaning of each option come from `integration-options.md`; the defaults from `behaviour.md`.
//! This type crosses the wire as-is (the server stores and serves it, the softphone receives it with every call),
//! so it derives serde and rejects unknown fields.

use serde::{Deserialize, Serialize};

/// The account's integration options. `Default` gives the documented defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntegrationOptions {
    /// 1. Legacy mode: the server finds a Lead or Contact by phone, else creates a Lead, and appends the Task and the
    ///    Campaign itself. Off: the account's triggers decide.
    pub legacy_mode: bool,
    /// 2. Numbers written to Salesforce in the local format (`(415) 555-2671`) instead of E.164 (`+14155552671`).
    pub local_number_format: bool,
    /// 3. Regions written with full names (`United States`, `California`) instead of codes (`US`, `CA`).
    pub full_region_names: bool,
    /// 4. Classic only: open records in edit mode; new records open as an unsaved form the agent must save.
    pub edit_mode: bool,
    /// 5. Classic only: create the new Lead automatically and pop the stored record.
    pub auto_create_classic: bool,
    /// 6. Several matches: the softphone asks the agent which record to use (off: a trigger appends instead).
    pub multi_match_dialog: bool,
    /// 7. Call managers and call agents cannot see the Salesforce panel of a call or text.
    pub limit_data_access: bool,
}

impl Default for IntegrationOptions {
    fn default() -> Self {
        Self {
            legacy_mode: false,
            local_number_format: false,
            full_region_names: false,
            edit_mode: false,
            auto_create_classic: true,
            multi_match_dialog: true,
            limit_data_access: false,
        }
    }
}

impl IntegrationOptions {
    /// The options' field names in the order the admin console lists them.
    pub const FIELD_NAMES: [&'static str; 7] = [
        "legacy_mode",
        "local_number_format",
        "full_region_names",
        "edit_mode",
        "auto_create_classic",
        "multi_match_dialog",
        "limit_data_access",
    ];

    /// Each option by name with its value, in `FIELD_NAMES` order.
    pub fn as_pairs(&self) -> [(&'static str, bool); 7] {
        let values = [
            self.legacy_mode,
            self.local_number_format,
            self.full_region_names,
            self.edit_mode,
            self.auto_create_classic,
            self.multi_match_dialog,
            self.limit_data_access,
        ];
        let mut pairs = [("", false); 7];
        for (index, (name, value)) in Self::FIELD_NAMES.iter().zip(values).enumerate() {
            pairs[index] = (name, value);
        }
        pairs
    }

    /// The options whose value differs between `self` (before) and `after`, as `(name, old, new)`.
    pub fn changes_to(&self, after: &Self) -> Vec<(&'static str, bool, bool)> {
        self.as_pairs()
            .into_iter()
            .zip(after.as_pairs())
            .filter(|((_, old), (_, new))| old != new)
            .map(|((name, old), (_, new))| (name, old, new))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones() {
        let options = IntegrationOptions::default();
        let on: Vec<_> = options.as_pairs().into_iter().filter(|(_, value)| *value).map(|(name, _)| name).collect();
        assert_eq!(on, ["auto_create_classic", "multi_match_dialog"]);
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let error = serde_json::from_str::<IntegrationOptions>(
            r#"{"legacy_mode":true,"local_number_format":false,"full_region_names":false,"edit_mode":false,
                "auto_create_classic":true,"multi_match_dialog":true,"limit_data_access":false,"colour":"red"}"#,
        )
        .unwrap_err();
        assert!(error.to_string().contains("colour"), "{error}");
    }

    #[test]
    fn changes_list_only_what_differs() {
        let before = IntegrationOptions::default();
        let after = IntegrationOptions { edit_mode: true, multi_match_dialog: false, ..before };
        assert_eq!(before.changes_to(&after), [("edit_mode", false, true), ("multi_match_dialog", true, false)]);
    }
}
