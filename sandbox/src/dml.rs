//! The write engine: create, update, upsert and delete, with every check Salesforce runs on a save.
//!
//! Order of checks, as in Salesforce's save order: the body's fields (unknown, read-only, wrong type, too long,
//! restricted picklist, bad reference), defaults, required fields, the objects' own rules (Task, CampaignMember,
//! converted Leads), State and Country picklists, validation rules, duplicate rules, and last the unique index.
//! The REST resources, sObject Collections and composite subrequests all write through here, so they fail alike.

use crate::OrgState;
use crate::errors::ApiError;
use crate::org::{Record, Records, salesforce_datetime};
use crate::rules::{DuplicateAction, DuplicateMatch, DuplicateRuleHeader, check_address};
use crate::schema::{
    CLOSED_CASE_STATUSES, CLOSED_OPPORTUNITY_STAGES, CLOSED_TASK_STATUSES, FieldDef, FieldType, ObjectDef,
    RESPONDED_MEMBER_STATUSES, address_prefixes,
};
use axum::http::StatusCode;
use callpop_core::record::RecordId;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value, json};

/// Who writes, when, and what the request asked of duplicate rules.
#[derive(Debug, Clone)]
pub struct WriteContext {
    pub now: DateTime<Utc>,
    /// The user the access token belongs to: the records' owner and `CreatedById`.
    pub user: RecordId,
    pub duplicate_header: DuplicateRuleHeader,
    pub api_version: String,
}

/// What an upsert by external id did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpsertOutcome {
    Created(RecordId),
    Updated(RecordId),
    /// The value matched several records (HTTP 300): nothing was written.
    MultipleMatches(Vec<RecordId>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Create,
    Update,
}

fn json_token(value: &Value) -> &'static str {
    match value {
        Value::Object(_) => "START_OBJECT",
        Value::Array(_) => "START_ARRAY",
        Value::String(_) => "VALUE_STRING",
        Value::Number(number) if number.is_f64() => "VALUE_NUMBER_FLOAT",
        Value::Number(_) => "VALUE_NUMBER_INT",
        Value::Bool(true) => "VALUE_TRUE",
        Value::Bool(false) => "VALUE_FALSE",
        Value::Null => "VALUE_NULL",
    }
}

fn cannot_deserialize(type_name: &str, value: &Value) -> ApiError {
    ApiError::json_parser(format!(
        "Cannot deserialize instance of {type_name} from {} value {value} or request may be missing a required field",
        json_token(value)
    ))
}

fn looks_like_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.contains(' ')
}

/// Checks and converts one value for `field`: the type, the length, restricted picklists, email shape and id syntax.
/// An empty string is stored as null, as Salesforce does.
fn coerce(field: &FieldDef, value: &Value) -> Result<Value, ApiError> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    match field.field_type {
        FieldType::Id | FieldType::Reference => {
            let Value::String(text) = value else { return Err(cannot_deserialize("id", value)) };
            if text.is_empty() {
                return Ok(Value::Null);
            }
            let id = RecordId::parse(text).map_err(|_| {
                ApiError::bad_request("MALFORMED_ID", format!("{}: id value of incorrect type: {text}", field.label))
                    .with_fields([field.name.as_str()])
            })?;
            Ok(json!(id.as_str()))
        }
        FieldType::Boolean => match value {
            Value::Bool(_) => Ok(value.clone()),
            Value::String(text) if text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false") => {
                Ok(json!(text.eq_ignore_ascii_case("true")))
            }
            _ => Err(cannot_deserialize("boolean", value)),
        },
        FieldType::Int => match value {
            Value::Number(number) if number.is_i64() => Ok(value.clone()),
            Value::String(text) => {
                text.trim().parse::<i64>().map(|number| json!(number)).map_err(|_| cannot_deserialize("int", value))
            }
            _ => Err(cannot_deserialize("int", value)),
        },
        FieldType::Double => match value {
            Value::Number(_) => Ok(value.clone()),
            Value::String(text) => {
                text.trim().parse::<f64>().map(|number| json!(number)).map_err(|_| cannot_deserialize("double", value))
            }
            _ => Err(cannot_deserialize("double", value)),
        },
        FieldType::Date => match value {
            Value::String(text) if NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok() => Ok(value.clone()),
            _ => Err(cannot_deserialize("date", value)),
        },
        FieldType::Datetime => match value {
            Value::String(text) => parse_datetime(text)
                .map(|at| json!(salesforce_datetime(at)))
                .ok_or_else(|| cannot_deserialize("datetime", value)),
            _ => Err(cannot_deserialize("datetime", value)),
        },
        _ => coerce_text(field, value),
    }
}

fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

fn coerce_text(field: &FieldDef, value: &Value) -> Result<Value, ApiError> {
    let text = match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        _ => return Err(cannot_deserialize("string", value)),
    };
    if text.is_empty() {
        return Ok(Value::Null);
    }
    if text.chars().count() > field.length as usize {
        let message = format!("{}: data value too large: {text} (max length={})", field.label, field.length);
        return Err(ApiError::bad_request("STRING_TOO_LONG", message).with_fields([field.name.as_str()]));
    }
    if field.field_type == FieldType::Email && !looks_like_email(&text) {
        let message = format!("{}: invalid email address: {text}", field.label);
        return Err(ApiError::bad_request("INVALID_EMAIL_ADDRESS", message).with_fields([field.name.as_str()]));
    }
    if field.restricted_picklist && !field.picklist_values.contains(&text) {
        let message = format!("{}: bad value for restricted picklist field: {text}", field.label);
        return Err(ApiError::bad_request("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", message)
            .with_fields([field.name.as_str()]));
    }
    Ok(Value::String(text))
}

fn text<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    fields.get(name).and_then(Value::as_str).filter(|text| !text.trim().is_empty())
}

fn id_in(fields: &Map<String, Value>, name: &str) -> Option<RecordId> {
    text(fields, name).and_then(|raw| RecordId::parse(raw).ok())
}

fn is_blank(fields: &Map<String, Value>, name: &str) -> bool {
    match fields.get(name) {
        None | Some(Value::Null) => true,
        Some(Value::String(text)) => text.trim().is_empty(),
        Some(_) => false,
    }
}

impl OrgState {
    /// The record behind `raw_id` for a request about `object`: `MALFORMED_ID` (400) for an id of another object
    /// or a bad checksum, `NOT_FOUND` (404) for an unknown one, `ENTITY_IS_DELETED` (404) for a deleted one.
    ///
    /// A segment that is not id-shaped at all (not 15 or 18 letters and digits) is answered as real orgs do, by
    /// reading it as an external-id field name: 404 "Provided external ID field does not exist or is not
    /// accessible" (from memory of real orgs; the reference leaves MALFORMED_ID's status open).
    pub fn locate(&self, object: &ObjectDef, raw_id: &str) -> Result<&Record, ApiError> {
        let id_shaped = matches!(raw_id.len(), 15 | 18) && raw_id.bytes().all(|byte| byte.is_ascii_alphanumeric());
        if !id_shaped {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                format!("Provided external ID field does not exist or is not accessible: {raw_id}"),
            ));
        }
        let malformed = || {
            ApiError::bad_request("MALFORMED_ID", format!("{} ID: id value of incorrect type: {raw_id}", object.name))
                .with_fields(["Id"])
        };
        let id = RecordId::parse(raw_id).map_err(|_| malformed())?;
        if id.key_prefix() != object.key_prefix {
            return Err(malformed());
        }
        if self.records.deleted(&id).is_some() {
            return Err(ApiError::entity_is_deleted());
        }
        self.records.get(&id).ok_or_else(ApiError::not_found)
    }

    /// The body's fields, checked and converted for `operation`. References must point at live records of the
    /// field's target objects.
    fn accept_fields(
        &self,
        object: &ObjectDef,
        body: &Map<String, Value>,
        operation: Operation,
        existing: Option<&RecordId>,
    ) -> Result<Map<String, Value>, ApiError> {
        let mut accepted = Map::new();
        let mut read_only = Vec::new();
        for (name, value) in body {
            if name == "attributes" {
                continue;
            }
            if name.eq_ignore_ascii_case("Id") {
                let same_record = existing
                    .is_some_and(|id| value.as_str().and_then(|raw| RecordId::parse(raw).ok()).as_ref() == Some(id));
                if same_record {
                    continue;
                }
                return Err(ApiError::invalid_field("The Id field should not be specified in the sobject data."));
            }
            let field = object.field(name).ok_or_else(|| ApiError::no_such_column(name, &object.name))?;
            let writable = match operation {
                Operation::Create => field.createable,
                Operation::Update => field.updateable,
            };
            if !writable {
                read_only.push(field.name.clone());
                continue;
            }
            let value = coerce(field, value)?;
            if field.field_type == FieldType::Reference && !value.is_null() {
                self.check_reference(field, &value)?;
            }
            accepted.insert(field.name.clone(), value);
        }
        if !read_only.is_empty() {
            let message = format!(
                "Unable to create/update fields: {}. Please check the security settings of this field and verify that \
                 it is read/write for your profile or permission set.",
                read_only.join(", ")
            );
            return Err(ApiError::bad_request("INVALID_FIELD_FOR_INSERT_UPDATE", message).with_fields(read_only));
        }
        Ok(accepted)
    }

    /// A reference must name a live record of one of the field's target objects: `INVALID_CROSS_REFERENCE_KEY`
    /// otherwise (a wrong-type `WhoId` included), `ENTITY_IS_DELETED` for a deleted one (status 400, unverified).
    fn check_reference(&self, field: &FieldDef, value: &Value) -> Result<(), ApiError> {
        let id = value.as_str().and_then(|raw| RecordId::parse(raw).ok());
        let target = id.as_ref().and_then(|id| self.schema.object_by_prefix(id.key_prefix()));
        let Some((id, target)) = id.zip(target) else { return Err(invalid_cross_reference(field)) };
        if !field.reference_to.contains(&target.name) {
            return Err(invalid_cross_reference(field));
        }
        if self.records.deleted(&id).is_some() {
            return Err(
                ApiError::bad_request("ENTITY_IS_DELETED", "entity is deleted").with_fields([field.name.as_str()])
            );
        }
        if self.records.get(&id).is_none() {
            return Err(invalid_cross_reference(field));
        }
        Ok(())
    }

    /// Creates a record of `object` from a REST body.
    pub fn create_record(
        &mut self,
        object: &ObjectDef,
        body: &Map<String, Value>,
        context: &WriteContext,
    ) -> Result<RecordId, Vec<ApiError>> {
        if !object.createable {
            let message = format!("entity type {} does not support insert", object.name);
            return Err(vec![ApiError::bad_request("INVALID_TYPE_FOR_OPERATION", message)]);
        }
        let mut fields = self.accept_fields(object, body, Operation::Create, None).map_err(|error| vec![error])?;
        for field in &object.fields {
            if let Some(default) = &field.default
                && is_blank(&fields, &field.name)
            {
                fields.insert(field.name.clone(), default.clone());
            }
        }
        if object.field("OwnerId").is_some() && is_blank(&fields, "OwnerId") {
            fields.insert("OwnerId".to_owned(), json!(context.user.as_str()));
        }
        self.check_save(object, &mut fields, None, context)?;
        for audit in ["CreatedById", "LastModifiedById"] {
            fields.insert(audit.to_owned(), json!(context.user.as_str()));
        }
        fields.insert("IsDeleted".to_owned(), json!(false));
        self.derive_fields(object, &mut fields);
        Ok(self.records.insert_as(&object.name, &object.key_prefix, fields, context.now))
    }

    /// Updates the record `id` of `object` with a REST body (only the fields it names change).
    pub fn update_record(
        &mut self,
        object: &ObjectDef,
        id: &RecordId,
        body: &Map<String, Value>,
        context: &WriteContext,
    ) -> Result<(), Vec<ApiError>> {
        let record = self.locate(object, id.as_str()).map_err(|error| vec![error])?;
        if record.object == "Lead" && record.fields.get("IsConverted") == Some(&Value::Bool(true)) {
            return Err(vec![converted_lead()]);
        }
        let mut merged = record.fields.clone();
        let changes = self.accept_fields(object, body, Operation::Update, Some(id)).map_err(|error| vec![error])?;
        merged.extend(changes);
        self.check_save(object, &mut merged, Some(id), context)?;
        merged.insert("LastModifiedById".to_owned(), json!(context.user.as_str()));
        self.derive_fields(object, &mut merged);
        self.records.update(id, merged, context.now);
        Ok(())
    }

    /// Upserts on `field` (an External ID field, or `Id`) = `value`.
    pub fn upsert_record(
        &mut self,
        object: &ObjectDef,
        field: &str,
        value: &str,
        body: &Map<String, Value>,
        update_only: bool,
        context: &WriteContext,
    ) -> Result<UpsertOutcome, Vec<ApiError>> {
        let matches: Vec<RecordId> = if field.eq_ignore_ascii_case("Id") {
            let found = self.locate(object, value).map_err(|error| vec![error])?;
            vec![found.id.clone()]
        } else {
            let external = object.field(field).filter(|field| field.external_id).ok_or_else(|| {
                vec![ApiError::new(
                    StatusCode::NOT_FOUND,
                    "NOT_FOUND",
                    format!("Provided external ID field does not exist or is not accessible: {field}"),
                )]
            })?;
            self.find_by_external_id(object, &external.name, value)
        };
        match matches.as_slice() {
            [] if update_only => Err(vec![ApiError::not_found()]),
            [] => {
                let mut fields = body.clone();
                fields.insert(object.field(field).map_or(field, |field| &field.name).to_owned(), json!(value));
                self.create_record(object, &fields, context).map(UpsertOutcome::Created)
            }
            [id] => {
                let mut changes = body.clone();
                changes.retain(|name, _| !name.eq_ignore_ascii_case(field));
                self.update_record(object, id, &changes, context)?;
                Ok(UpsertOutcome::Updated(id.clone()))
            }
            several => Ok(UpsertOutcome::MultipleMatches(several.to_vec())),
        }
    }

    /// The live records of `object` whose `field` equals `value`. External ids compare case-insensitively (the
    /// default for a Unique text field).
    pub fn find_by_external_id(&self, object: &ObjectDef, field: &str, value: &str) -> Vec<RecordId> {
        self.records
            .of(&object.name)
            .filter(|record| record.text(field).is_some_and(|stored| stored.eq_ignore_ascii_case(value)))
            .map(|record| record.id.clone())
            .collect()
    }

    /// Deletes (moves to the recycle bin) the record `id` of `object`.
    pub fn delete_record(&mut self, object: &ObjectDef, id: &RecordId, now: DateTime<Utc>) -> Result<(), ApiError> {
        self.locate(object, id.as_str())?;
        self.records.delete(id, now);
        Ok(())
    }

    /// The checks every save runs on the record's final field values, in Salesforce's order.
    fn check_save(
        &self,
        object: &ObjectDef,
        fields: &mut Map<String, Value>,
        existing: Option<&RecordId>,
        context: &WriteContext,
    ) -> Result<(), Vec<ApiError>> {
        let missing: Vec<String> = object
            .fields
            .iter()
            .filter(|field| field.required && is_blank(fields, &field.name))
            .map(|field| field.name.clone())
            .collect();
        if !missing.is_empty() {
            return Err(vec![ApiError::required_fields_missing(&missing)]);
        }
        self.check_object_rules(object, fields, existing).map_err(|error| vec![error])?;
        if self.settings.state_country_picklists {
            for prefix in address_prefixes(&object.name) {
                check_address(fields, prefix).map_err(|error| vec![error])?;
            }
        }
        let fired = self.fired_validation_rules(&object.name, fields);
        if !fired.is_empty() {
            return Err(fired);
        }
        self.check_duplicate_rules(object, fields, existing, context).map_err(|error| vec![error])?;
        self.check_unique_fields(object, fields, existing).map_err(|error| vec![error])
    }

    /// The errors of `object`'s active validation rules that these field values break, in the rules' order. The
    /// REST API and the org's own record pages both run them.
    pub(crate) fn fired_validation_rules(&self, object: &str, fields: &Map<String, Value>) -> Vec<ApiError> {
        self.validation_rules
            .iter()
            .filter(|rule| rule.object.eq_ignore_ascii_case(object))
            .filter_map(|rule| rule.fire(fields))
            .collect()
    }

    fn check_object_rules(
        &self,
        object: &ObjectDef,
        fields: &Map<String, Value>,
        existing: Option<&RecordId>,
    ) -> Result<(), ApiError> {
        match object.name.as_str() {
            "Task" => {
                let who_is_lead = id_in(fields, "WhoId").is_some_and(|who| who.key_prefix() == "00Q");
                if who_is_lead && !is_blank(fields, "WhatId") {
                    // The reference marks this unverified: a Lead cannot be related to another record.
                    return Err(ApiError::bad_request(
                        "FIELD_INTEGRITY_EXCEPTION",
                        "Related To ID: a task whose Name is a lead cannot be related to another record",
                    )
                    .with_fields(["WhatId"]));
                }
                Ok(())
            }
            "CampaignMember" => self.check_campaign_member(fields, existing),
            _ => Ok(()),
        }
    }

    /// A CampaignMember names exactly one of a Lead or a Contact, never a converted Lead, and a person at most once
    /// per campaign (`DUPLICATE_VALUE` "Already a campaign member.", §5.2).
    fn check_campaign_member(&self, fields: &Map<String, Value>, existing: Option<&RecordId>) -> Result<(), ApiError> {
        let (lead, contact) = (id_in(fields, "LeadId"), id_in(fields, "ContactId"));
        let person = match (&lead, &contact) {
            (Some(_), Some(_)) => {
                // Message unverified: the reference only says "exactly one of".
                return Err(ApiError::bad_request(
                    "FIELD_INTEGRITY_EXCEPTION",
                    "A campaign member is either a lead or a contact, not both",
                )
                .with_fields(["LeadId", "ContactId"]));
            }
            (None, None) => {
                return Err(ApiError::required_fields_missing(&["LeadId".to_owned(), "ContactId".to_owned()]));
            }
            (Some(person), None) | (None, Some(person)) => person,
        };
        if lead.as_ref().and_then(|lead| self.records.get(lead)).and_then(|lead| lead.fields.get("IsConverted"))
            == Some(&Value::Bool(true))
        {
            return Err(converted_lead());
        }
        let campaign = text(fields, "CampaignId").unwrap_or_default();
        let already = self.records.of("CampaignMember").any(|member| {
            Some(&member.id) != existing
                && member.text("CampaignId") == Some(campaign)
                && [member.text("LeadId"), member.text("ContactId")].contains(&Some(person.as_str()))
        });
        if already {
            return Err(ApiError::bad_request("DUPLICATE_VALUE", "Already a campaign member.")
                .with_fields(Vec::<String>::new()));
        }
        Ok(())
    }

    fn check_duplicate_rules(
        &self,
        object: &ObjectDef,
        fields: &Map<String, Value>,
        existing: Option<&RecordId>,
        context: &WriteContext,
    ) -> Result<(), ApiError> {
        for rule in
            self.duplicate_rules.iter().filter(|rule| rule.active && rule.object.eq_ignore_ascii_case(&object.name))
        {
            let matches: Vec<(String, Vec<&Record>)> = rule
                .compared_objects()
                .into_iter()
                .map(|compared| {
                    let found: Vec<&Record> = self
                        .records
                        .of(&compared)
                        .filter(|candidate| Some(&candidate.id) != existing && rule.matches(fields, candidate))
                        .collect();
                    (compared, found)
                })
                .filter(|(_, found)| !found.is_empty())
                .collect();
            if matches.is_empty() || (rule.action == DuplicateAction::Alert && context.duplicate_header.allow_save) {
                continue;
            }
            let found = DuplicateMatch { rule, matches };
            let render = |record: &Record| match self.schema.object(&record.object) {
                Some(definition) if context.duplicate_header.include_record_details => {
                    record.rest_json(definition, &context.api_version, None)
                }
                _ => record.reference_json(&context.api_version),
            };
            let mut error = ApiError::bad_request("DUPLICATES_DETECTED", rule.message.clone());
            error.duplicate_result = Some(rule.detail(&found, &render));
            return Err(error);
        }
        Ok(())
    }

    fn check_unique_fields(
        &self,
        object: &ObjectDef,
        fields: &Map<String, Value>,
        existing: Option<&RecordId>,
    ) -> Result<(), ApiError> {
        for field in object.fields.iter().filter(|field| field.unique) {
            let Some(value) = text(fields, &field.name) else { continue };
            let clash =
                self.find_by_external_id(object, &field.name, value).into_iter().find(|id| Some(id) != existing);
            if let Some(clash) = clash {
                let message =
                    format!("duplicate value found: {} duplicates value on record with id: {clash}", field.name);
                return Err(ApiError::bad_request("DUPLICATE_VALUE", message).with_fields(Vec::<String>::new()));
            }
        }
        Ok(())
    }

    /// Fields Salesforce computes on save: a Task's `IsClosed` and `AccountId`, a Case's and an Opportunity's
    /// `IsClosed`, a member's `HasResponded`.
    fn derive_fields(&self, object: &ObjectDef, fields: &mut Map<String, Value>) {
        match object.name.as_str() {
            "Task" => {
                let closed = text(fields, "Status").is_some_and(|status| CLOSED_TASK_STATUSES.contains(&status));
                fields.insert("IsClosed".to_owned(), json!(closed));
                let account = match (id_in(fields, "WhatId"), id_in(fields, "WhoId")) {
                    (Some(what), _) if what.key_prefix() == "001" => Some(what.as_str().to_owned()),
                    (_, Some(who)) => self.records.get(&who).and_then(|who| who.text("AccountId")).map(str::to_owned),
                    _ => None,
                };
                fields.insert("AccountId".to_owned(), json!(account));
            }
            "Case" => {
                let closed = text(fields, "Status").is_some_and(|status| CLOSED_CASE_STATUSES.contains(&status));
                fields.insert("IsClosed".to_owned(), json!(closed));
            }
            "Opportunity" => {
                let closed = text(fields, "StageName").is_some_and(|stage| CLOSED_OPPORTUNITY_STAGES.contains(&stage));
                fields.insert("IsClosed".to_owned(), json!(closed));
            }
            "CampaignMember" => {
                let responded =
                    text(fields, "Status").is_some_and(|status| RESPONDED_MEMBER_STATUSES.contains(&status));
                fields.insert("HasResponded".to_owned(), json!(responded));
            }
            "VoiceCall" if !fields.contains_key("Name") => {
                fields.insert("Name".to_owned(), json!(next_voice_call_name(&self.records)));
            }
            _ => {}
        }
    }
}

fn invalid_cross_reference(field: &FieldDef) -> ApiError {
    ApiError::bad_request("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
        .with_fields([field.name.as_str()])
}

/// A converted Lead is read-only, and cannot join a campaign (§3.4).
fn converted_lead() -> ApiError {
    ApiError::bad_request("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead")
        .with_fields(Vec::<String>::new())
}

/// The next VoiceCall's auto-number name, as Salesforce names voice calls: VC-00000001, VC-00000002, …
pub(crate) fn next_voice_call_name(records: &Records) -> String {
    let number = records.of("VoiceCall").count() + records.deleted_of("VoiceCall").count() + 1;
    format!("VC-{number:08}")
}
