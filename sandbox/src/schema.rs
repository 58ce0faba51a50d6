//! The org's schema: which objects exist, their fields, and what each field accepts.
//!
//! The write engine (`dml`) checks every create and update against it, the query engines use it to reject unknown
//! columns and to name fields the way Salesforce spells them, and `describe` reports it. Custom fields (such as the
//! Task's `Call_Id__c` external id, or a required `Region__c`) are added and removed at run time through the control
//! API, so a test can run against an org with or without them.

use crate::geo_data::{COUNTRIES, STATES};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The API name of the Task field the sync engine upserts on: Text(255), External ID, Unique.
pub const TASK_CALL_ID_FIELD: &str = "Call_Id__c";
/// The Lead's callpop id: the call (or text) whose sync created the Lead, the key a replay upserts the Lead by.
pub const LEAD_CALLPOP_ID_FIELD: &str = "Callpop_Id__c";

/// A field's data type, as `describe` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    Id,
    String,
    Textarea,
    Phone,
    Email,
    Url,
    Picklist,
    Combobox,
    Reference,
    Boolean,
    Int,
    Double,
    Date,
    Datetime,
}

impl FieldType {
    /// Whether values of this type are text (and so have a maximum length).
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Self::String | Self::Textarea | Self::Phone | Self::Email | Self::Url | Self::Picklist | Self::Combobox
        )
    }
}

/// One field of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    pub name: String,
    pub label: String,
    pub field_type: FieldType,
    /// Maximum length of text values.
    pub length: u32,
    pub nillable: bool,
    pub createable: bool,
    pub updateable: bool,
    pub external_id: bool,
    pub unique: bool,
    pub custom: bool,
    /// Whether a save without a value fails with `REQUIRED_FIELD_MISSING` (after defaults are applied).
    pub required: bool,
    /// The value a create gets when the body leaves the field out.
    pub default: Option<Value>,
    pub picklist_values: Vec<String>,
    pub restricted_picklist: bool,
    /// The objects a reference field may point at.
    pub reference_to: Vec<String>,
}

impl FieldDef {
    fn new(name: &str, field_type: FieldType, length: u32) -> Self {
        Self {
            name: name.to_owned(),
            label: label_from_name(name),
            field_type,
            length,
            nillable: true,
            createable: true,
            updateable: true,
            external_id: false,
            unique: false,
            custom: name.ends_with("__c"),
            required: false,
            default: None,
            picklist_values: Vec::new(),
            restricted_picklist: false,
            reference_to: Vec::new(),
        }
    }

    pub fn text(name: &str, length: u32) -> Self {
        Self::new(name, FieldType::String, length)
    }

    fn of_type(name: &str, field_type: FieldType) -> Self {
        let length = match field_type {
            FieldType::Id | FieldType::Reference => 18,
            FieldType::Phone | FieldType::Picklist | FieldType::Combobox => 40,
            FieldType::Email => 80,
            FieldType::Url => 255,
            FieldType::Textarea => 32_000,
            _ => 0,
        };
        Self::new(name, field_type, length)
    }

    fn picklist(name: &str, values: &[&str]) -> Self {
        let mut field = Self::of_type(name, FieldType::Picklist);
        field.picklist_values = values.iter().map(|value| (*value).to_owned()).collect();
        field
    }

    fn reference(name: &str, targets: &[&str]) -> Self {
        let mut field = Self::of_type(name, FieldType::Reference);
        field.reference_to = targets.iter().map(|target| (*target).to_owned()).collect();
        field
    }

    fn labelled(mut self, label: &str) -> Self {
        self.label = label.to_owned();
        self
    }

    /// Required on save, as `LastName` on a Lead.
    fn required(mut self) -> Self {
        self.required = true;
        self.nillable = false;
        self
    }

    fn restricted(mut self) -> Self {
        self.restricted_picklist = true;
        self
    }

    fn defaulted(mut self, value: Value) -> Self {
        self.default = Some(value);
        self.nillable = false;
        self
    }

    /// Computed or system-maintained: never written through the API.
    fn read_only(mut self) -> Self {
        self.createable = false;
        self.updateable = false;
        self
    }

    /// Set on create, fixed afterwards (as a CampaignMember's `CampaignId`).
    fn create_only(mut self) -> Self {
        self.updateable = false;
        self
    }

    /// The relationship name SOQL uses to reach through this reference, e.g. `Owner` for `OwnerId`.
    pub fn relationship_name(&self) -> Option<&str> {
        (self.field_type == FieldType::Reference).then(|| self.name.strip_suffix("Id").unwrap_or(&self.name))
    }

    /// The field as `describe` reports it.
    pub fn describe(&self) -> Value {
        let picklist_values: Vec<Value> = self
            .picklist_values
            .iter()
            .map(|value| {
                let default = self.default.as_ref().and_then(Value::as_str) == Some(value.as_str());
                json!({"active": true, "defaultValue": default, "label": value, "validFor": null, "value": value})
            })
            .collect();
        json!({
            "name": self.name,
            "label": self.label,
            "type": self.field_type,
            "length": self.length,
            "nillable": self.nillable,
            "createable": self.createable,
            "updateable": self.updateable,
            "externalId": self.external_id,
            "unique": self.unique,
            "custom": self.custom,
            "idLookup": self.field_type == FieldType::Id || self.external_id,
            "defaultedOnCreate": self.default.is_some(),
            "defaultValue": self.default,
            "calculated": false,
            "picklistValues": picklist_values,
            "restrictedPicklist": self.restricted_picklist,
            "referenceTo": self.reference_to,
            "relationshipName": self.relationship_name(),
            "filterable": true,
        })
    }
}

/// `Call_Duration__c` → `Call Duration`, `LastName` → `Last Name`.
fn label_from_name(name: &str) -> String {
    let base = name.strip_suffix("__c").unwrap_or(name);
    let mut label = String::new();
    let mut previous: Option<char> = None;
    for character in base.chars() {
        if character == '_' {
            label.push(' ');
        } else {
            if character.is_ascii_uppercase() && previous.is_some_and(|previous| previous.is_ascii_lowercase()) {
                label.push(' ');
            }
            label.push(character);
        }
        previous = Some(character);
    }
    label
}

/// One object (sObject type).
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectDef {
    pub name: String,
    pub label: String,
    pub label_plural: String,
    pub key_prefix: String,
    pub createable: bool,
    /// Only through the Tooling API (`tooling/query`), as `ValidationRule`.
    pub tooling: bool,
    pub fields: Vec<FieldDef>,
}

impl ObjectDef {
    fn new(name: &str, label_plural: &str, key_prefix: &str, fields: Vec<FieldDef>) -> Self {
        let mut all_fields = vec![FieldDef::of_type("Id", FieldType::Id).labelled(&format!("{name} ID")).read_only()];
        all_fields.extend(fields);
        for audit in ["CreatedDate", "LastModifiedDate", "SystemModstamp"] {
            all_fields.push(FieldDef::of_type(audit, FieldType::Datetime).read_only());
        }
        for audit in ["CreatedById", "LastModifiedById"] {
            all_fields.push(FieldDef::reference(audit, &["User"]).read_only());
        }
        all_fields.push(FieldDef::of_type("IsDeleted", FieldType::Boolean).read_only());
        Self {
            name: name.to_owned(),
            label: label_from_name(name),
            label_plural: label_plural.to_owned(),
            key_prefix: key_prefix.to_owned(),
            createable: true,
            tooling: false,
            fields: all_fields,
        }
    }

    fn read_only(mut self) -> Self {
        self.createable = false;
        for field in &mut self.fields {
            field.createable = false;
            field.updateable = false;
        }
        self
    }

    /// A field by API name, in any case, as Salesforce matches field names.
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|field| field.name.eq_ignore_ascii_case(name))
    }

    /// The object as `describe` reports it.
    pub fn describe(&self, api_version: &str) -> Value {
        let base = format!("/services/data/v{api_version}/sobjects/{}", self.name);
        json!({
            "name": self.name,
            "label": self.label,
            "labelPlural": self.label_plural,
            "keyPrefix": self.key_prefix,
            "custom": false,
            "createable": self.createable,
            "updateable": self.createable,
            "deletable": self.createable,
            "queryable": true,
            "searchable": !self.tooling,
            "fields": self.fields.iter().map(FieldDef::describe).collect::<Vec<_>>(),
            "urls": {"sobject": base, "describe": format!("{base}/describe"), "rowTemplate": format!("{base}/{{ID}}")},
        })
    }
}

/// Every object of the org, by API name.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    objects: BTreeMap<String, ObjectDef>,
}

/// Why the schema refused a change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    #[error("there is no object {0}")]
    UnknownObject(String),
    #[error("custom field names end with __c, {0} does not")]
    NotCustom(String),
    #[error("{object} already has a field {field}")]
    FieldExists { object: String, field: String },
    #[error("{object} has no custom field {field}")]
    UnknownField { object: String, field: String },
}

/// A custom field as the control API adds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomField {
    /// API name, ending in `__c`.
    pub name: String,
    #[serde(default = "default_custom_type", rename = "type")]
    pub field_type: FieldType,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default = "default_custom_length")]
    pub length: u32,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub external_id: bool,
    #[serde(default)]
    pub unique: bool,
    #[serde(default)]
    pub picklist_values: Vec<String>,
    #[serde(default)]
    pub restricted_picklist: bool,
}

fn default_custom_type() -> FieldType {
    FieldType::String
}

fn default_custom_length() -> u32 {
    255
}

impl CustomField {
    /// The Task's call id: Text(255), External ID, Unique, the field the sync engine upserts on.
    pub fn task_call_id() -> Self {
        Self::external_id(TASK_CALL_ID_FIELD, "Call Id")
    }

    /// The Lead's callpop id: Text(255), External ID, Unique, the field the sync engine upserts new Leads on.
    pub fn lead_callpop_id() -> Self {
        Self::external_id(LEAD_CALLPOP_ID_FIELD, "Callpop Id")
    }

    /// A unique Text(255) external id.
    fn external_id(name: &str, label: &str) -> Self {
        Self {
            name: name.to_owned(),
            field_type: FieldType::String,
            label: Some(label.to_owned()),
            length: 255,
            required: false,
            external_id: true,
            unique: true,
            picklist_values: Vec::new(),
            restricted_picklist: false,
        }
    }

    fn into_field(self) -> FieldDef {
        let mut field = FieldDef::of_type(&self.name, self.field_type);
        if self.field_type.is_text() {
            field.length = self.length;
        }
        if let Some(label) = self.label {
            field.label = label;
        }
        if self.required {
            field = field.required();
        }
        field.external_id = self.external_id;
        field.unique = self.unique;
        field.picklist_values = self.picklist_values;
        field.restricted_picklist = self.restricted_picklist;
        field
    }
}

const ADDRESS_PARTS: [&str; 5] = ["Street", "City", "State", "PostalCode", "Country"];

/// The fields of an address (`Mailing` → `MailingStreet`, …, `MailingCountry`). The `…StateCode` and
/// `…CountryCode` fields exist only while State and Country picklists are on (`Schema::set_state_country_picklists`).
fn address_fields(prefix: &str) -> Vec<FieldDef> {
    ADDRESS_PARTS
        .iter()
        .map(|part| match *part {
            "Street" => FieldDef::of_type(&format!("{prefix}{part}"), FieldType::Textarea).with_length(255),
            "PostalCode" => FieldDef::text(&format!("{prefix}{part}"), 20),
            _ => FieldDef::text(&format!("{prefix}{part}"), 80),
        })
        .collect()
}

impl FieldDef {
    fn with_length(mut self, length: u32) -> Self {
        self.length = length;
        self
    }
}

/// The address prefixes of an object: `""` for a Lead's `State`/`Country`, `Mailing` and `Other` for a Contact.
pub fn address_prefixes(object: &str) -> &'static [&'static str] {
    match object {
        "Lead" => &[""],
        "Contact" => &["Mailing", "Other"],
        "Account" => &["Billing", "Shipping"],
        _ => &[],
    }
}

fn owner() -> FieldDef {
    FieldDef::reference("OwnerId", &["User"]).labelled("Owner ID")
}

fn name_computed() -> FieldDef {
    FieldDef::text("Name", 121).labelled("Full Name").read_only()
}

/// The picklist values of a Task's `Status` (the common default set).
pub const TASK_STATUSES: [&str; 5] = ["Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred"];

/// The Task `Status` values that close a Task (`IsClosed`).
pub const CLOSED_TASK_STATUSES: [&str; 1] = ["Completed"];

/// The member statuses every campaign has (Salesforce's defaults for a new campaign).
pub const CAMPAIGN_MEMBER_STATUSES: [&str; 2] = ["Sent", "Responded"];

/// The statuses that mark a campaign member as responded (`HasResponded`).
pub const RESPONDED_MEMBER_STATUSES: [&str; 1] = ["Responded"];

fn lead() -> ObjectDef {
    let mut fields = vec![
        FieldDef::text("FirstName", 40),
        FieldDef::text("LastName", 80).required(),
        name_computed(),
        FieldDef::text("Company", 255).required(),
        FieldDef::text("Title", 128),
        FieldDef::of_type("Email", FieldType::Email),
        FieldDef::of_type("Phone", FieldType::Phone).labelled("Business Phone"),
        FieldDef::of_type("MobilePhone", FieldType::Phone).labelled("Mobile Phone"),
        FieldDef::picklist(
            "Status",
            &["Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted"],
        )
        .defaulted(json!("Open - Not Contacted")),
        FieldDef::picklist("LeadSource", &["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"]),
        FieldDef::picklist("Rating", &["Hot", "Warm", "Cold"]),
        FieldDef::text("Industry", 40),
        FieldDef::of_type("Description", FieldType::Textarea),
        FieldDef::of_type("IsConverted", FieldType::Boolean)
            .labelled("Converted")
            .defaulted(json!(false))
            .create_only(),
        FieldDef::reference("ConvertedContactId", &["Contact"]).read_only(),
        FieldDef::reference("ConvertedAccountId", &["Account"]).read_only(),
        FieldDef::of_type("ConvertedDate", FieldType::Date).read_only(),
        owner(),
    ];
    fields.extend(address_fields(""));
    ObjectDef::new("Lead", "Leads", "00Q", fields)
}

fn contact() -> ObjectDef {
    let mut fields = vec![
        FieldDef::text("FirstName", 40),
        FieldDef::text("LastName", 80).required(),
        name_computed(),
        FieldDef::reference("AccountId", &["Account"]),
        FieldDef::text("Title", 128),
        FieldDef::of_type("Email", FieldType::Email),
        FieldDef::of_type("Phone", FieldType::Phone).labelled("Business Phone"),
        FieldDef::of_type("MobilePhone", FieldType::Phone).labelled("Mobile Phone"),
        FieldDef::of_type("HomePhone", FieldType::Phone).labelled("Home Phone"),
        FieldDef::of_type("OtherPhone", FieldType::Phone).labelled("Other Phone"),
        FieldDef::of_type("AssistantPhone", FieldType::Phone).labelled("Asst. Phone"),
        FieldDef::picklist("LeadSource", &["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"]),
        FieldDef::of_type("Description", FieldType::Textarea),
        owner(),
    ];
    fields.extend(address_fields("Mailing"));
    fields.extend(address_fields("Other"));
    ObjectDef::new("Contact", "Contacts", "003", fields)
}

fn account() -> ObjectDef {
    let mut fields = vec![
        FieldDef::text("Name", 255).labelled("Account Name").required(),
        FieldDef::of_type("Phone", FieldType::Phone).labelled("Account Phone"),
        FieldDef::of_type("Fax", FieldType::Phone).labelled("Account Fax"),
        FieldDef::of_type("Website", FieldType::Url),
        FieldDef::text("Industry", 40),
        FieldDef::picklist("Type", &["Prospect", "Customer - Direct", "Customer - Channel", "Partner", "Other"]),
        FieldDef::of_type("Description", FieldType::Textarea),
        owner(),
    ];
    fields.extend(address_fields("Billing"));
    fields.extend(address_fields("Shipping"));
    ObjectDef::new("Account", "Accounts", "001", fields)
}

fn task() -> ObjectDef {
    let fields = vec![
        FieldDef::of_type("Subject", FieldType::Combobox).with_length(255),
        FieldDef::picklist("Status", &TASK_STATUSES).defaulted(json!("Not Started")).required(),
        FieldDef::picklist("Priority", &["High", "Normal", "Low"]).defaulted(json!("Normal")),
        FieldDef::of_type("ActivityDate", FieldType::Date).labelled("Due Date Only"),
        FieldDef::of_type("Description", FieldType::Textarea).labelled("Comments"),
        FieldDef::reference("WhoId", &["Contact", "Lead"]).labelled("Name ID"),
        FieldDef::reference("WhatId", &["Account", "Campaign", "Opportunity", "Case"]).labelled("Related To ID"),
        FieldDef::picklist("TaskSubtype", &["Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn"])
            .labelled("Task Subtype")
            .restricted()
            .create_only(),
        FieldDef::picklist("CallType", &["Inbound", "Outbound", "Internal"]).labelled("Call Type").restricted(),
        FieldDef::of_type("CallDurationInSeconds", FieldType::Int).labelled("Call Duration"),
        FieldDef::text("CallObject", 255).labelled("Call Object Identifier"),
        FieldDef::text("CallDisposition", 255).labelled("Call Result"),
        FieldDef::of_type("IsClosed", FieldType::Boolean).labelled("Closed").read_only(),
        FieldDef::reference("AccountId", &["Account"]).read_only(),
        owner().labelled("Assigned To ID"),
    ];
    ObjectDef::new("Task", "Tasks", "00T", fields)
}

/// The Case `Status` values that close a Case (`IsClosed`).
pub const CLOSED_CASE_STATUSES: [&str; 1] = ["Closed"];

/// The Opportunity `StageName` values that close an Opportunity (`IsClosed`).
pub const CLOSED_OPPORTUNITY_STAGES: [&str; 2] = ["Closed Won", "Closed Lost"];

fn case() -> ObjectDef {
    let fields = vec![
        FieldDef::text("CaseNumber", 30).labelled("Case Number").read_only(),
        FieldDef::text("Subject", 255),
        FieldDef::picklist("Status", &["New", "Working", "Escalated", "Closed"]).defaulted(json!("New")),
        FieldDef::reference("ContactId", &["Contact"]).labelled("Contact ID"),
        FieldDef::reference("AccountId", &["Account"]).labelled("Account ID"),
        FieldDef::of_type("Description", FieldType::Textarea),
        FieldDef::of_type("IsClosed", FieldType::Boolean).labelled("Closed").read_only(),
        owner(),
    ];
    ObjectDef::new("Case", "Cases", "500", fields)
}

fn opportunity() -> ObjectDef {
    let stages = ["Prospecting", "Qualification", "Negotiation/Review", "Closed Won", "Closed Lost"];
    let fields = vec![
        FieldDef::text("Name", 120).labelled("Opportunity Name").required(),
        FieldDef::picklist("StageName", &stages).labelled("Stage").required(),
        FieldDef::of_type("CloseDate", FieldType::Date).labelled("Close Date").required(),
        FieldDef::reference("AccountId", &["Account"]).labelled("Account ID"),
        FieldDef::of_type("IsClosed", FieldType::Boolean).labelled("Closed").read_only(),
        owner(),
    ];
    ObjectDef::new("Opportunity", "Opportunities", "006", fields)
}

fn campaign() -> ObjectDef {
    let fields = vec![
        FieldDef::text("Name", 80).labelled("Campaign Name").required(),
        FieldDef::of_type("IsActive", FieldType::Boolean).labelled("Active").defaulted(json!(false)),
        FieldDef::picklist("Status", &["Planned", "In Progress", "Completed", "Aborted"]),
        FieldDef::picklist("Type", &["Conference", "Webinar", "Advertisement", "Email", "Direct Mail", "Other"]),
        FieldDef::of_type("StartDate", FieldType::Date),
        FieldDef::of_type("EndDate", FieldType::Date),
        FieldDef::of_type("Description", FieldType::Textarea),
        owner(),
    ];
    ObjectDef::new("Campaign", "Campaigns", "701", fields)
}

fn campaign_member() -> ObjectDef {
    let fields = vec![
        FieldDef::reference("CampaignId", &["Campaign"]).labelled("Campaign ID").required().create_only(),
        FieldDef::reference("LeadId", &["Lead"]).labelled("Lead ID").create_only(),
        FieldDef::reference("ContactId", &["Contact"]).labelled("Contact ID").create_only(),
        FieldDef::picklist("Status", &CAMPAIGN_MEMBER_STATUSES).restricted().defaulted(json!("Sent")),
        FieldDef::of_type("HasResponded", FieldType::Boolean).labelled("Responded").read_only(),
    ];
    ObjectDef::new("CampaignMember", "Campaign Members", "00v", fields)
}

fn user() -> ObjectDef {
    let fields = vec![
        FieldDef::text("Username", 80),
        FieldDef::text("FirstName", 40),
        FieldDef::text("LastName", 80),
        name_computed(),
        FieldDef::of_type("Email", FieldType::Email),
        FieldDef::of_type("IsActive", FieldType::Boolean).labelled("Active"),
    ];
    ObjectDef::new("User", "Users", "005", fields).read_only()
}

/// `CallCenter`: one row per contact center (or Open CTI call center) the admin imported. `InternalName` is the
/// API name the Telephony Integration REST API's `callCenterApiName` and JWT `sub` name. Rows come from the control
/// API (`PUT /__control/contact-centers/{apiName}`), not from REST writes, as in Salesforce, where they come from an
/// imported definition.
fn call_center() -> ObjectDef {
    let fields = vec![FieldDef::text("Name", 80), FieldDef::text("InternalName", 80).labelled("Internal Name")];
    ObjectDef::new("CallCenter", "Call Centers", "04v", fields).read_only()
}

/// The values of a VoiceCall's `CallType` under Service Cloud Voice (Salesforce's object reference; Sales Dialer
/// adds `Bridge`, `Coach` and `Internal`).
pub const VOICE_CALL_TYPES: [&str; 6] = ["Callback", "Consult", "Inbound", "InternalCall", "Outbound", "Transfer"];

/// `VoiceCall`, as Salesforce's object reference lists the fields a Partner Telephony call fills: written by the
/// Telephony Integration REST API (`telephony`) and readable through `sobjects` and SOQL like every other object.
/// `FromPhoneNumber` and `ToPhoneNumber` keep their names from before API 62.0 (Salesforce renamed them
/// `RecipientContactInfo` and `CallerContactInfo` then); the local org does not version field names.
fn voice_call() -> ObjectDef {
    let related = ["Account", "Case", "Contact", "Lead", "Opportunity"];
    let fields = vec![
        FieldDef::text("Name", 80).labelled("Voice Call Name").read_only(),
        FieldDef::reference("CallCenterId", &["CallCenter"]).labelled("Call Center ID").create_only(),
        FieldDef::text("VendorCallKey", 255).labelled("Vendor Call Key"),
        FieldDef::of_type("FromPhoneNumber", FieldType::Phone).labelled("Caller Number"),
        FieldDef::of_type("ToPhoneNumber", FieldType::Phone).labelled("Recipient Number"),
        FieldDef::picklist("CallType", &VOICE_CALL_TYPES).labelled("Call Type").restricted().required(),
        FieldDef::picklist("CallSubtype", &["PSTN", "WebRTC"]).labelled("Call Subtype").restricted(),
        FieldDef::picklist("CallOrigin", &["Preview", "Progressive", "Voicemail"]).labelled("Call Origin").restricted(),
        FieldDef::of_type("CallStartDateTime", FieldType::Datetime).labelled("Call Started").required(),
        FieldDef::of_type("CallEndDateTime", FieldType::Datetime).labelled("Call Ended"),
        FieldDef::of_type("CallQueuedDateTime", FieldType::Datetime).labelled("Call Queued"),
        FieldDef::of_type("CallAcceptDateTime", FieldType::Datetime).labelled("Call Accepted"),
        FieldDef::of_type("CallDurationInSeconds", FieldType::Int).labelled("Call Duration"),
        FieldDef::text("CallDisposition", 255).labelled("Call Disposition"),
        FieldDef::picklist("CallResolution", &["Resolved", "Unresolved"]).labelled("Call Resolution"),
        FieldDef::of_type("CustomerHoldDuration", FieldType::Int).labelled("Customer Hold Duration"),
        FieldDef::of_type("LongestHoldDuration", FieldType::Int).labelled("Longest Hold Duration"),
        FieldDef::of_type("NumberOfHolds", FieldType::Int).labelled("Number of Holds"),
        FieldDef::text("QueueName", 255).labelled("Queue Name"),
        FieldDef::text("DisconnectReason", 255).labelled("Disconnect Reason"),
        FieldDef::of_type("Description", FieldType::Textarea).labelled("Call Summary"),
        FieldDef::reference("ActivityId", &["Task"]).labelled("Activity ID"),
        FieldDef::reference("RelatedRecordId", &related).labelled("Related Record ID"),
        FieldDef::reference("PreviousCallId", &["VoiceCall"]).labelled("Previous Call ID"),
        FieldDef::reference("NextCallId", &["VoiceCall"]).labelled("Next Call ID"),
        FieldDef::reference("CallRecordingId", &["VoiceCallRecording"]).labelled("Call Recording ID"),
        FieldDef::of_type("IsRecorded", FieldType::Boolean).labelled("Recorded").defaulted(json!(false)),
        owner(),
    ];
    ObjectDef::new("VoiceCall", "Voice Calls", "0LQ", fields)
}

/// `VoiceCallRecording`: the recording the Update a Voice Call Record API creates from `recordingLocation`.
/// Salesforce keeps the media behind `MediaContentId`; the local org, which stores no media, keeps the vendor's
/// location in `RecordingLocation` instead (a field of the local org only, so tests can read it back).
fn voice_call_recording() -> ObjectDef {
    let fields = vec![
        FieldDef::reference("VoiceCallId", &["VoiceCall"]).labelled("Voice Call ID").create_only(),
        FieldDef::of_type("DurationInSeconds", FieldType::Int).labelled("Duration"),
        FieldDef::of_type("RecordingLocation", FieldType::Url).labelled("Recording Location").with_length(1000),
        owner(),
    ];
    ObjectDef::new("VoiceCallRecording", "Voice Call Recordings", "0Ls", fields)
}

/// `Organization`: one row, the org itself (its id is the org id), computed from the org's settings. Its
/// `TimeZoneSidKey` is the org's default time zone, an IANA name (`America/Los_Angeles`).
fn organization() -> ObjectDef {
    let fields = vec![
        FieldDef::text("Name", 80),
        FieldDef::text("TimeZoneSidKey", 40).labelled("Default Time Zone"),
        FieldDef::text("DefaultLocaleSidKey", 40).labelled("Default Locale"),
        FieldDef::text("LanguageLocaleKey", 40).labelled("Default Language"),
    ];
    ObjectDef::new("Organization", "Organizations", "00D", fields).read_only()
}

/// `DuplicateRule` rows: queryable with SOQL, one per duplicate rule configured through the control API.
fn duplicate_rule_object() -> ObjectDef {
    let fields = vec![
        FieldDef::text("DeveloperName", 80),
        FieldDef::text("MasterLabel", 80),
        FieldDef::text("SobjectType", 40),
        FieldDef::of_type("IsActive", FieldType::Boolean),
    ];
    ObjectDef::new("DuplicateRule", "Duplicate Rules", "0Bm", fields).read_only()
}

/// `ValidationRule` rows: Tooling API only, one per validation rule configured through the control API.
/// `EntityDefinitionId` is the object's API name, as the Tooling API gives it for standard objects.
fn validation_rule_object() -> ObjectDef {
    let fields = vec![
        FieldDef::text("ValidationName", 40),
        FieldDef::text("EntityDefinitionId", 40),
        FieldDef::of_type("Active", FieldType::Boolean),
        FieldDef::text("ErrorMessage", 255),
        FieldDef::text("ErrorDisplayField", 255),
        FieldDef::text("Description", 255),
    ];
    let mut object = ObjectDef::new("ValidationRule", "Validation Rules", "03d", fields).read_only();
    object.tooling = true;
    object
}

impl Default for Schema {
    fn default() -> Self {
        Self::standard()
    }
}

impl Schema {
    /// The standard objects, with no custom fields.
    pub fn standard() -> Self {
        let objects = [
            lead(),
            contact(),
            account(),
            task(),
            campaign(),
            campaign_member(),
            case(),
            opportunity(),
            user(),
            organization(),
            call_center(),
            voice_call(),
            voice_call_recording(),
            duplicate_rule_object(),
            validation_rule_object(),
        ];
        Self { objects: objects.into_iter().map(|object| (object.name.clone(), object)).collect() }
    }

    /// An object by API name, in any case.
    pub fn object(&self, name: &str) -> Option<&ObjectDef> {
        self.objects.get(name).or_else(|| self.objects.values().find(|object| object.name.eq_ignore_ascii_case(name)))
    }

    /// The object whose ids start with `key_prefix`.
    pub fn object_by_prefix(&self, key_prefix: &str) -> Option<&ObjectDef> {
        self.objects.values().find(|object| object.key_prefix == key_prefix)
    }

    /// Every object, by name.
    pub fn objects(&self) -> impl Iterator<Item = &ObjectDef> {
        self.objects.values()
    }

    fn object_mut(&mut self, name: &str) -> Result<&mut ObjectDef, SchemaError> {
        let canonical = self.object(name).map(|object| object.name.clone());
        canonical
            .and_then(|name| self.objects.get_mut(&name))
            .ok_or_else(|| SchemaError::UnknownObject(name.to_owned()))
    }

    /// Adds a custom field, as an admin does in Setup.
    pub fn add_custom_field(&mut self, object: &str, field: CustomField) -> Result<(), SchemaError> {
        if !field.name.ends_with("__c") {
            return Err(SchemaError::NotCustom(field.name));
        }
        let definition = self.object_mut(object)?;
        if definition.field(&field.name).is_some() {
            return Err(SchemaError::FieldExists { object: definition.name.clone(), field: field.name });
        }
        let position = definition.fields.iter().position(|field| field.name == "CreatedDate");
        definition.fields.insert(position.unwrap_or(definition.fields.len()), field.into_field());
        Ok(())
    }

    /// Turns State and Country picklists on or off: the `…StateCode` and `…CountryCode` fields of every address
    /// appear or disappear, as they do in Setup. Their values are checked by `rules::check_address`.
    pub fn set_state_country_picklists(&mut self, enabled: bool) {
        for object in self.objects.values_mut() {
            for prefix in address_prefixes(&object.name) {
                for part in ["StateCode", "CountryCode"] {
                    let name = format!("{prefix}{part}");
                    object.fields.retain(|field| field.name != name);
                    if enabled {
                        let after = format!("{prefix}Country");
                        let position =
                            object.fields.iter().position(|field| field.name == after).map_or(0, |at| at + 1);
                        let values: Vec<&str> = if part == "CountryCode" {
                            COUNTRIES.iter().map(|(code, _)| *code).collect()
                        } else {
                            STATES.iter().map(|(_, code, _)| *code).collect()
                        };
                        let label = format!("{prefix} {}", label_from_name(part));
                        let field = FieldDef::picklist(&name, &values).restricted().labelled(label.trim_start());
                        object.fields.insert(position, field);
                    }
                }
            }
        }
    }

    /// Deletes a custom field. The caller drops its values from the records, as Salesforce does.
    pub fn remove_custom_field(&mut self, object: &str, field: &str) -> Result<String, SchemaError> {
        let definition = self.object_mut(object)?;
        let position = definition
            .fields
            .iter()
            .position(|candidate| candidate.custom && candidate.name.eq_ignore_ascii_case(field));
        let position = position
            .ok_or_else(|| SchemaError::UnknownField { object: definition.name.clone(), field: field.to_owned() })?;
        Ok(definition.fields.remove(position).name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_come_from_api_names() {
        assert_eq!(label_from_name("LastName"), "Last Name");
        assert_eq!(label_from_name("Call_Id__c"), "Call Id");
        assert_eq!(label_from_name("MailingStateCode"), "Mailing State Code");
    }

    #[test]
    fn custom_fields_can_be_added_and_removed() {
        let mut schema = Schema::standard();
        schema.add_custom_field("task", CustomField::task_call_id()).unwrap();
        let field = schema.object("Task").and_then(|task| task.field("call_id__c")).unwrap();
        assert!(field.external_id && field.unique);
        assert_eq!(
            schema.add_custom_field("Task", CustomField::task_call_id()),
            Err(SchemaError::FieldExists { object: "Task".into(), field: TASK_CALL_ID_FIELD.into() })
        );
        assert_eq!(schema.remove_custom_field("Task", TASK_CALL_ID_FIELD).unwrap(), TASK_CALL_ID_FIELD);
        assert!(schema.object("Task").unwrap().field(TASK_CALL_ID_FIELD).is_none());
    }
}
