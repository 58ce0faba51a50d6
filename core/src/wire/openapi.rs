//! The OpenAPI schemas of the wire messages whose rules cross fields, written by hand (a derive describes each
//! field alone): a record id's key prefix must match its record type, as the server checks.
//!
//! `format: salesforce-id` is a 15- or 18-character Salesforce id (the 18-character form with its case-safe suffix,
//! `record.rs`); `format: phone` a number libphonenumber accepts.

use super::{ActivityAppend, ChoiceReason, DialRequest};
use utoipa::PartialSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, SchemaType, Type,
};

/// The record types callpop appends to, with their ids' key prefix.
const RECORD_TYPES: [(&str, &str); 3] = [("Lead", "00Q"), ("Contact", "003"), ("Account", "001")];

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn nullable(of: Type) -> SchemaType {
    SchemaType::from_iter([of, Type::Null])
}

/// A record id of the object whose ids start with `prefix`.
fn record_id(prefix: &str) -> ObjectBuilder {
    string()
        .format(Some(SchemaFormat::Custom("salesforce-id".to_owned())))
        .pattern(Some(format!("^{prefix}[A-Za-z0-9]{{12}}([A-Za-z0-9]{{3}})?$")))
}

fn closed(object: ObjectBuilder) -> ObjectBuilder {
    object.additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)))
}

impl PartialSchema for ActivityAppend {
    fn schema() -> RefOr<Schema> {
        let mut shapes = OneOfBuilder::new().description(Some(
            "The record the activity goes to: a Lead (`00Q…`), Contact (`003…`) or Account (`001…`)",
        ));
        for (record_type, prefix) in RECORD_TYPES {
            let shape = ObjectBuilder::new()
                .property("call_id", string().description(Some("the telephony side's call id")))
                .property("record_id", record_id(prefix))
                .property("record_type", string().enum_values(Some([record_type])))
                .property("chosen_by", ChoiceReason::schema())
                .required("call_id")
                .required("record_id")
                .required("record_type")
                .required("chosen_by");
            shapes = shapes.item(closed(shape));
        }
        shapes.into()
    }
}

impl utoipa::ToSchema for ActivityAppend {}

impl PartialSchema for DialRequest {
    fn schema() -> RefOr<Schema> {
        let number = || {
            string()
                .format(Some(SchemaFormat::Custom("phone".to_owned())))
                .description(Some("the number to call; read in the account's region when it has no country code"))
        };
        let no_record = ObjectBuilder::new()
            .property("number", number())
            .property("record_id", ObjectBuilder::new().schema_type(Type::Null))
            .property("record_type", ObjectBuilder::new().schema_type(nullable(Type::String)))
            .required("number");
        let mut shapes = OneOfBuilder::new()
            .description(Some(
                "A number, and optionally the record it was clicked on (its type, when given, must match the id)",
            ))
            .item(closed(no_record));
        for (record_type, prefix) in RECORD_TYPES {
            let record_type =
                ObjectBuilder::new().schema_type(nullable(Type::String)).enum_values(Some([Some(record_type), None]));
            let shape = ObjectBuilder::new()
                .property("number", number())
                .property("record_id", record_id(prefix))
                .property("record_type", record_type)
                .required("number")
                .required("record_id");
            shapes = shapes.item(closed(shape));
        }
        shapes.into()
    }
}

impl utoipa::ToSchema for DialRequest {}
