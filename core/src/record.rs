//! Salesforce record ids and the small facts callpop needs about a record found by a phone search.

use std::fmt;

/// A Salesforce record id, always held in its 18-character, case-insensitive-safe form.
///
/// Salesforce ids come as 15 case-sensitive characters or 18 characters whose last three encode the case of the
/// first fifteen. Parsing accepts both; comparisons and storage always use the 18-character form, so `001…A` and its
/// 15-character spelling are the same record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId(String);

/// Why a string is not a Salesforce record id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRecordId {
    #[error("a record id has 15 or 18 characters, this one has {0}")]
    WrongLength(usize),
    #[error("a record id holds only letters and digits")]
    NotAlphanumeric,
    #[error("the last three characters of an 18-character id do not match the first fifteen")]
    ChecksumMismatch,
}

const SUFFIX_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/// Computes the three-character suffix that makes a 15-character id case-insensitive.
fn case_suffix(id15: &str) -> String {
    id15.as_bytes()
        .chunks(5)
        .map(|chunk| {
            let mask = chunk
                .iter()
                .enumerate()
                .filter(|(_, byte)| byte.is_ascii_uppercase())
                .fold(0usize, |mask, (bit, _)| mask | (1 << bit));
            char::from(SUFFIX_ALPHABET[mask])
        })
        .collect()
}

impl RecordId {
    /// Parses a 15- or 18-character id.
    pub fn parse(raw: &str) -> Result<Self, InvalidRecordId> {
        let raw = raw.trim();
        if !raw.bytes().all(|byte| byte.is_ascii_alphanumeric()) {
            return Err(InvalidRecordId::NotAlphanumeric);
        }
        match raw.len() {
            15 => Ok(Self(format!("{raw}{}", case_suffix(raw)))),
            18 => {
                let (id15, suffix) = raw.split_at(15);
                if case_suffix(id15).eq_ignore_ascii_case(suffix) {
                    Ok(Self(format!("{id15}{}", suffix.to_ascii_uppercase())))
                } else {
                    Err(InvalidRecordId::ChecksumMismatch)
                }
            }
            other => Err(InvalidRecordId::WrongLength(other)),
        }
    }

    /// Builds an id from a key prefix and a counter, the way the local org mints ids.
    ///
    /// The result looks like `00Q5g00000AbCdE` plus its suffix: prefix, pod `5g`, zeros, then the counter in base 62.
    pub fn mint(key_prefix: &str, counter: u64) -> Self {
        const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let mut digits = Vec::new();
        let mut rest = counter;
        loop {
            digits.push(BASE62[(rest % 62) as usize]);
            rest /= 62;
            if rest == 0 {
                break;
            }
        }
        let counter_text: String = digits.iter().rev().map(|byte| char::from(*byte)).collect();
        let prefix: String = key_prefix.chars().take(3).collect();
        let id15 = format!("{prefix}5g{counter_text:0>10}");
        let id15: String = id15.chars().take(15).collect();
        Self(format!("{id15}{}", case_suffix(&id15)))
    }

    /// The 18-character form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 15-character, case-sensitive form, as Salesforce Classic URLs show it.
    pub fn short(&self) -> &str {
        &self.0[..15]
    }

    /// The three-character key prefix that names the object (`003` Contact, `00Q` Lead, ...).
    pub fn key_prefix(&self) -> &str {
        &self.0[..3]
    }

    /// The object this id belongs to, from its key prefix.
    pub fn object(&self) -> SObjectType {
        SObjectType::from_key_prefix(self.key_prefix())
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// The standard objects callpop reads or writes, by API name and key prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SObjectType {
    Account,
    Contact,
    Lead,
    Task,
    Campaign,
    CampaignMember,
    User,
    Opportunity,
    Case,
    /// An object callpop has no special knowledge of (custom objects, for example).
    Other,
}

impl SObjectType {
    const TABLE: [(SObjectType, &'static str, &'static str); 9] = [
        (SObjectType::Account, "Account", "001"),
        (SObjectType::Contact, "Contact", "003"),
        (SObjectType::Lead, "Lead", "00Q"),
        (SObjectType::Task, "Task", "00T"),
        (SObjectType::Campaign, "Campaign", "701"),
        (SObjectType::CampaignMember, "CampaignMember", "00v"),
        (SObjectType::User, "User", "005"),
        (SObjectType::Opportunity, "Opportunity", "006"),
        (SObjectType::Case, "Case", "500"),
    ];

    /// The object for a key prefix; `Other` when callpop does not know it.
    pub fn from_key_prefix(prefix: &str) -> Self {
        Self::TABLE
            .iter()
            .find(|(_, _, key_prefix)| *key_prefix == prefix)
            .map_or(Self::Other, |(object, _, _)| *object)
    }

    /// The object for an API name such as `Lead`; `Other` when callpop does not know it.
    pub fn from_api_name(name: &str) -> Self {
        Self::TABLE
            .iter()
            .find(|(_, api_name, _)| api_name.eq_ignore_ascii_case(name))
            .map_or(Self::Other, |(object, _, _)| *object)
    }

    /// The API name, e.g. `Lead`.
    pub fn api_name(self) -> &'static str {
        Self::TABLE.iter().find(|(object, _, _)| *object == self).map_or("Other", |(_, api_name, _)| api_name)
    }

    /// The key prefix, e.g. `00Q`; `None` for `Other`.
    pub fn key_prefix(self) -> Option<&'static str> {
        Self::TABLE.iter().find(|(object, _, _)| *object == self).map(|(_, _, prefix)| *prefix)
    }
}

/// A record that a phone search found, with what the agent needs to tell matches apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordMatch {
    pub id: RecordId,
    /// The object's API name as Salesforce reported it (`Contact`, `Lead`, `Account`, ...).
    pub object: String,
    pub name: String,
    pub phone: Option<String>,
    /// The company, account or owner, when the search returned one.
    pub detail: Option<String>,
    /// Salesforce's `LastModifiedDate`, ISO 8601; ISO strings of one format sort by time.
    pub last_modified: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifteen_character_id_gains_its_case_suffix() {
        // The example pair from Salesforce's knowledge base: 001A0000006Vm9r → 001A0000006Vm9rIAC.
        let id = RecordId::parse("001A0000006Vm9r").unwrap();
        assert_eq!(id.as_str(), "001A0000006Vm9rIAC");
        assert_eq!(id.short(), "001A0000006Vm9r");
        assert_eq!(id.object(), SObjectType::Account);
    }

    #[test]
    fn an_eighteen_character_id_is_checked_against_its_suffix() {
        assert!(RecordId::parse("001A0000006Vm9rIAC").is_ok());
        assert!(RecordId::parse("001A0000006Vm9riac").is_ok(), "the suffix is case-insensitive");
        assert_eq!(RecordId::parse("001A0000006Vm9rAAA"), Err(InvalidRecordId::ChecksumMismatch));
    }

    #[test]
    fn malformed_ids_are_rejected_with_the_reason() {
        assert_eq!(RecordId::parse("003abc"), Err(InvalidRecordId::WrongLength(6)));
        assert_eq!(RecordId::parse("003<script>00000"), Err(InvalidRecordId::NotAlphanumeric));
    }

    #[test]
    fn minted_ids_parse_back_and_keep_their_object() {
        for counter in [0, 1, 61, 62, 1_000_000] {
            let id = RecordId::mint("00Q", counter);
            assert_eq!(RecordId::parse(id.as_str()).unwrap(), id);
            assert_eq!(id.object(), SObjectType::Lead);
        }
        assert_ne!(RecordId::mint("003", 1), RecordId::mint("003", 2));
    }
}
