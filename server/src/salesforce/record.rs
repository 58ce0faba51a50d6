//! Records as the REST API returns them (`{"attributes": {"type", "url"}, "Id": …, fields…}`) and the results of
//! writes (`{"id", "success", "errors"}`). Records are open-ended: fields stay JSON values, read through a few
//! typed accessors.

use super::error::{SalesforceError, parse_error_list};
use callpop_core::legacy::FieldValue;
use serde_json::{Map, Value};

/// The fields of a JSON object, e.g. `fields(json!({"LastName": "Lee"}))`; anything else gives no fields.
pub fn fields(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The JSON fields for values `callpop_core::legacy` built (Lead, Task), in their order.
pub fn fields_from_core<K: AsRef<str>>(pairs: &[(K, FieldValue)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(name, value)| {
            let value = match value {
                FieldValue::Text(text) => Value::from(text.as_str()),
                FieldValue::Integer(number) => Value::from(*number),
                FieldValue::Cleared => Value::Null,
            };
            (name.as_ref().to_owned(), value)
        })
        .collect()
}

/// The JSON fields for text values (a trigger's rendered mappings, a Lead's fields).
pub fn fields_from_text<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> Map<String, Value> {
    pairs.iter().map(|(name, value)| (name.as_ref().to_owned(), Value::from(value.as_ref()))).collect()
}

/// A record returned by a query, a search or a retrieve.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The object's API name, from `attributes.type`.
    pub object: String,
    pub id: Option<String>,
    /// Every field except `attributes`.
    pub fields: Map<String, Value>,
}

impl Record {
    /// Reads one record object.
    pub fn from_value(value: Value) -> Result<Self, SalesforceError> {
        let Value::Object(mut fields) = value else {
            return Err(SalesforceError::Decode("a record that is not a JSON object".to_owned()));
        };
        let attributes = fields.remove("attributes").unwrap_or(Value::Null);
        let object = attributes
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| SalesforceError::Decode("a record without attributes.type".to_owned()))?
            .to_owned();
        let id = fields.get("Id").and_then(Value::as_str).map(str::to_owned);
        Ok(Self { object, id, fields })
    }

    /// A text field's value; `None` when missing, null or not text.
    pub fn text(&self, field: &str) -> Option<&str> {
        self.fields.get(field).and_then(Value::as_str)
    }
}

/// The outcome of writing one record, in a collection or a composite subrequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveOutcome {
    Saved { id: String },
    Failed(SalesforceError),
}

/// Reads a SaveResult: `{"id": …, "success": true, "errors": []}`, or its failure with `statusCode` errors.
pub fn parse_save_result(value: &Value, status: u16) -> SaveOutcome {
    let success = value.get("success").and_then(Value::as_bool).unwrap_or(false);
    match value.get("id").and_then(Value::as_str) {
        Some(id) if success => SaveOutcome::Saved { id: id.to_owned() },
        _ => {
            let errors = value.get("errors").and_then(parse_error_list).unwrap_or_default();
            SaveOutcome::Failed(SalesforceError::Api { status, errors })
        }
    }
}

/// What an upsert by external id did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpsertOutcome {
    /// 201: no record had the external id; this one was created.
    Created { id: String },
    /// 200 `{"created": false}` (recent API versions) or 204 (older ones): the one record with it was updated.
    /// The id is known only from a 200.
    Updated { id: Option<String> },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_record_splits_its_attributes_from_its_fields() {
        let value = json!({"attributes": {"type": "Campaign", "url": "/services/data/v62.0/sobjects/Campaign/701000000000001AAA"},
                           "Id": "701000000000001AAA", "Name": "Spring Promo", "IsActive": true});
        let record = Record::from_value(value).unwrap();
        assert_eq!(record.object, "Campaign");
        assert_eq!(record.id.as_deref(), Some("701000000000001AAA"));
        assert_eq!(record.text("Name"), Some("Spring Promo"));
        assert!(!record.fields.contains_key("attributes"));
        assert!(Record::from_value(json!({"Id": "x"})).is_err());
    }

    #[test]
    fn core_values_become_json_of_the_right_type() {
        let pairs =
            [("Subject", FieldValue::Text("Call".to_owned())), ("CallDurationInSeconds", FieldValue::Integer(184))];
        assert_eq!(Value::Object(fields_from_core(&pairs)), json!({"Subject": "Call", "CallDurationInSeconds": 184}));
        assert_eq!(Value::Object(fields_from_text(&[("LastName", "Lee")])), json!({"LastName": "Lee"}));
        assert!(fields(json!([1])).is_empty());
    }

    #[test]
    fn save_results_succeed_or_carry_their_errors() {
        let saved = json!({"id": "00T000000000001AAA", "success": true, "errors": []});
        assert_eq!(parse_save_result(&saved, 200), SaveOutcome::Saved { id: "00T000000000001AAA".to_owned() });
        let failed = json!({"success": false, "errors": [{"statusCode": "DUPLICATE_VALUE", "message": "Already a campaign member.", "fields": []}]});
        let SaveOutcome::Failed(error) = parse_save_result(&failed, 200) else { panic!("expected a failure") };
        assert!(error.is_already_campaign_member());
    }
}
