//! The org's data: records of every object, held in memory, with Salesforce's ids, timestamps and phone matching.
//!
//! Records are open-ended field maps, as in Salesforce's REST API. Each carries `Id`, `CreatedDate`,
//! `LastModifiedDate` and `SystemModstamp` in Salesforce's datetime format (`2026-11-25T10:00:00.000+0000`).
//! Deleted records go to a recycle bin, where `queryAll` still sees them and direct access answers
//! `ENTITY_IS_DELETED`. A `Records` value is cheap enough to clone that a composite request's rollback is a snapshot.

use crate::schema::ObjectDef;
use callpop_core::record::{RecordId, SObjectType};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// A record: its object's API name and its fields (including `Id`).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub id: RecordId,
    pub object: String,
    pub fields: Map<String, Value>,
}

impl Record {
    /// A field as text, if it is a non-empty string.
    pub fn text(&self, field: &str) -> Option<&str> {
        self.fields.get(field).and_then(Value::as_str).filter(|text| !text.is_empty())
    }

    /// The record's name as Salesforce shows it: `FirstName LastName` for people, `Name` or `Subject` otherwise.
    pub fn display_name(&self) -> String {
        match (self.text("FirstName"), self.text("LastName")) {
            (first, Some(last)) => first.map_or_else(|| last.to_owned(), |first| format!("{first} {last}")),
            _ => self.text("Name").or_else(|| self.text("Subject")).unwrap_or(self.id.as_str()).to_owned(),
        }
    }

    /// The record as the REST API returns it: `attributes`, then every field of its object in the schema's order
    /// (`null` when unset), or only `fields` when given (already checked against the schema).
    pub fn rest_json(&self, definition: &ObjectDef, api_version: &str, fields: Option<&[String]>) -> Value {
        let full = self.to_json(api_version);
        let mut body = Map::new();
        body.insert("attributes".to_owned(), full["attributes"].clone());
        let names: Vec<&str> = match fields {
            Some(fields) => fields.iter().map(String::as_str).collect(),
            None => definition.fields.iter().map(|field| field.name.as_str()).collect(),
        };
        for name in names {
            body.insert(name.to_owned(), full.get(name).cloned().unwrap_or(Value::Null));
        }
        Value::Object(body)
    }

    /// `{"attributes": …, "Id": …}`: how a duplicate rule's match names a record.
    pub fn reference_json(&self, api_version: &str) -> Value {
        json!({"attributes": self.to_json(api_version)["attributes"], "Id": self.id.as_str()})
    }

    /// The record as the REST API returns it: `attributes`, then the fields, with `Name` computed for people.
    pub fn to_json(&self, api_version: &str) -> Value {
        let mut body = Map::new();
        body.insert(
            "attributes".to_owned(),
            json!({ "type": self.object, "url": format!("/services/data/v{api_version}/sobjects/{}/{}", self.object, self.id) }),
        );
        body.extend(self.fields.clone());
        if matches!(self.object.as_str(), "Lead" | "Contact" | "User") {
            body.insert("Name".to_owned(), Value::String(self.display_name()));
        }
        Value::Object(body)
    }
}

/// The phone fields of each object that Salesforce's `IN PHONE FIELDS` search covers.
pub fn phone_fields(object: &str) -> &'static [&'static str] {
    match object {
        "Lead" => &["Phone", "MobilePhone"],
        "Contact" => &["Phone", "MobilePhone", "HomePhone", "OtherPhone", "AssistantPhone"],
        "Account" => &["Phone", "Fax"],
        _ => &[],
    }
}

/// The digits of a phone value, with a leading North American `1` dropped from 11-digit numbers, so that
/// `+1 (415) 555-2671`, `415.555.2671` and `14155552671` compare equal, as Salesforce's phone search treats them.
pub fn phone_key(value: &str) -> String {
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    match digits.strip_prefix('1') {
        Some(national) if digits.len() == 11 => national.to_owned(),
        _ => digits,
    }
}

/// Salesforce's datetime format.
pub fn salesforce_datetime(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// All the org's records, by object, and the recycle bin.
#[derive(Debug, Default, Clone)]
pub struct Records {
    by_object: BTreeMap<String, BTreeMap<RecordId, Record>>,
    recycle_bin: BTreeMap<RecordId, Record>,
    minted: u64,
}

impl Records {
    /// Creates a record with the given fields, stamping `Id` and the audit dates.
    pub fn insert(&mut self, object: &str, fields: Map<String, Value>, now: DateTime<Utc>) -> RecordId {
        let prefix = SObjectType::from_api_name(object).key_prefix().unwrap_or("a00");
        self.insert_as(object, prefix, fields, now)
    }

    /// Creates a record whose id starts with `key_prefix` (the schema's, for objects callpop's core does not name,
    /// such as `VoiceCall`'s `0LQ`), stamping `Id` and the audit dates.
    pub fn insert_as(
        &mut self,
        object: &str,
        key_prefix: &str,
        mut fields: Map<String, Value>,
        now: DateTime<Utc>,
    ) -> RecordId {
        self.minted += 1;
        let id = RecordId::mint(key_prefix, self.minted);
        let stamp = Value::String(salesforce_datetime(now));
        fields.insert("Id".to_owned(), Value::String(id.as_str().to_owned()));
        for field in ["CreatedDate", "LastModifiedDate", "SystemModstamp"] {
            fields.insert(field.to_owned(), stamp.clone());
        }
        let record = Record { id: id.clone(), object: object.to_owned(), fields };
        self.by_object.entry(object.to_owned()).or_default().insert(id.clone(), record);
        id
    }

    /// Changes fields of a record, stamping `LastModifiedDate`. `None` when there is no such record.
    pub fn update(&mut self, id: &RecordId, changes: Map<String, Value>, now: DateTime<Utc>) -> Option<&Record> {
        let record = self.by_object.values_mut().find_map(|records| records.get_mut(id))?;
        for (field, value) in changes {
            if !matches!(field.as_str(), "Id" | "CreatedDate" | "LastModifiedDate" | "SystemModstamp") {
                record.fields.insert(field, value);
            }
        }
        let stamp = Value::String(salesforce_datetime(now));
        record.fields.insert("LastModifiedDate".to_owned(), stamp.clone());
        record.fields.insert("SystemModstamp".to_owned(), stamp);
        Some(record)
    }

    pub fn get(&self, id: &RecordId) -> Option<&Record> {
        self.by_object.values().find_map(|records| records.get(id))
    }

    /// Every record of `object`, oldest first.
    pub fn of(&self, object: &str) -> impl Iterator<Item = &Record> {
        self.by_object.get(object).into_iter().flat_map(|records| records.values())
    }

    /// Moves a record to the recycle bin (`IsDeleted` true); true when there was one.
    pub fn delete(&mut self, id: &RecordId, now: DateTime<Utc>) -> bool {
        let Some(mut record) = self.by_object.values_mut().find_map(|records| records.remove(id)) else {
            return false;
        };
        record.fields.insert("IsDeleted".to_owned(), Value::Bool(true));
        record.fields.insert("SystemModstamp".to_owned(), Value::String(salesforce_datetime(now)));
        self.recycle_bin.insert(id.clone(), record);
        true
    }

    /// A record in the recycle bin.
    pub fn deleted(&self, id: &RecordId) -> Option<&Record> {
        self.recycle_bin.get(id)
    }

    /// The records of `object` in the recycle bin.
    pub fn deleted_of(&self, object: &str) -> impl Iterator<Item = &Record> {
        self.recycle_bin.values().filter(move |record| record.object == object)
    }

    /// Puts back an earlier snapshot (a rolled-back transaction). Ids minted since stay used, as in Salesforce.
    pub fn roll_back_to(&mut self, snapshot: Records) {
        let minted = self.minted;
        *self = snapshot;
        self.minted = minted;
    }

    /// Drops a field's values from every record of `object`, as deleting a field in Setup does.
    pub fn drop_field(&mut self, object: &str, field: &str) {
        let live = self.by_object.get_mut(object).into_iter().flat_map(|records| records.values_mut());
        let binned = self.recycle_bin.values_mut().filter(|record| record.object == object);
        for record in live.chain(binned) {
            record.fields.remove(field);
        }
    }

    /// Removes a record; true when there was one.
    pub fn remove(&mut self, id: &RecordId) -> bool {
        self.by_object.values_mut().any(|records| records.remove(id).is_some())
    }

    /// Leads (not converted), Contacts and Accounts with a phone field matching `term`, as the softphone's search
    /// and Salesforce's `IN PHONE FIELDS` find them.
    pub fn search_phone(&self, term: &str) -> Vec<&Record> {
        let key = phone_key(term);
        if key.len() < 3 {
            return Vec::new();
        }
        ["Contact", "Lead", "Account"]
            .into_iter()
            .flat_map(|object| self.of(object))
            .filter(|record| record.fields.get("IsConverted") != Some(&Value::Bool(true)))
            .filter(|record| {
                phone_fields(&record.object)
                    .iter()
                    .any(|field| record.text(field).is_some_and(|value| phone_key(value) == key))
            })
            .collect()
    }

    /// Records whose name contains `term` (any case), for the search page.
    pub fn search_name(&self, term: &str) -> Vec<&Record> {
        let needle = term.trim().to_lowercase();
        if needle.len() < 2 {
            return Vec::new();
        }
        ["Contact", "Lead", "Account"]
            .into_iter()
            .flat_map(|object| self.of(object))
            .filter(|record| record.display_name().to_lowercase().contains(&needle))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_keys_ignore_formatting_and_the_north_american_prefix() {
        assert_eq!(phone_key("+1 (415) 555-2671"), "4155552671");
        assert_eq!(phone_key("415.555.2671"), "4155552671");
        assert_eq!(phone_key("+44 20 7031 3000"), "442070313000");
    }

    #[test]
    fn phone_search_finds_every_format_and_skips_converted_leads() {
        let now = Utc::now();
        let mut records = Records::default();
        let contact = records.insert(
            "Contact",
            json!({"LastName": "Lovelace", "Phone": "(415) 555-2671"}).as_object().cloned().unwrap(),
            now,
        );
        records.insert(
            "Lead",
            json!({"LastName": "Old", "Phone": "+14155552671", "IsConverted": true}).as_object().cloned().unwrap(),
            now,
        );
        let found: Vec<_> = records.search_phone("+14155552671").into_iter().map(|record| record.id.clone()).collect();
        assert_eq!(found, [contact]);
    }
}
