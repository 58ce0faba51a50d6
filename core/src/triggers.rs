//! Triggers: an account's rules for what callpop writes into Salesforce when legacy mode is off.
//!
//! A trigger names an event (`call_started`, `call_answered`, `call_ended`, `text_received`, `recording_ready`),
//! conditions on the call's data combined with `all` or `any`, and ordered actions (`find_or_create`,
//! `update_record`, `log_task`, `add_to_campaign`), each optionally delayed. Field values are templates over the
//! call's data (`template.rs` documents the syntax). Rules are stored as JSON and managed over the API, so the rule
//! types derive serde and reject unknown keys.
//!
//! This module decides; it does not act. [`validate`] says what is wrong with a rule before it is stored, and
//! [`evaluate`] says which actions to run for an event, with every template rendered. Executing the actions
//! (searching, creating, delaying) is the server's sync engine's.
//!
//! Evaluation semantics, for admins and for the server:
//! - Triggers run in the order given; within a trigger, actions run in their order.
//! - A disabled trigger, a trigger for another event, and a trigger that does not validate never fire.
//! - Text comparisons ignore case and surrounding spaces. On a list (`tags`, `keywords`) a condition holds when it
//!   holds for any item; `not_…` operators are the exact negation of their positive form.
//! - A blank value (missing, empty text, empty list) satisfies `is_blank` and `not_…` operators and nothing else.
//! - No conditions means the trigger fires on every occurrence of its event.

pub mod template;
mod validate;

pub use validate::{MAX_ACTIONS, MAX_CONDITIONS, MAX_NAME_CHARS, ProblemKind, RuleProblem, is_api_name, validate};

use crate::call::Direction;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use template::Template;

/// The events a trigger can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TriggerEvent {
    CallStarted,
    CallAnswered,
    CallEnded,
    TextReceived,
    RecordingReady,
}

impl TriggerEvent {
    pub const ALL: [TriggerEvent; 5] =
        [Self::CallStarted, Self::CallAnswered, Self::CallEnded, Self::TextReceived, Self::RecordingReady];

    /// The wire name, e.g. `call_ended`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CallStarted => "call_started",
            Self::CallAnswered => "call_answered",
            Self::CallEnded => "call_ended",
            Self::TextReceived => "text_received",
            Self::RecordingReady => "recording_ready",
        }
    }
}

/// One rule of an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Trigger {
    /// Shown in the admin console and the sync log.
    pub name: String,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    pub event: TriggerEvent,
    #[serde(default)]
    pub conditions: Conditions,
    pub actions: Vec<Action>,
}

fn enabled_by_default() -> bool {
    true
}

/// The conditions of a trigger and how they combine. JSON: `{"match": "all", "rules": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conditions {
    #[serde(rename = "match", default)]
    pub combine: Combine,
    #[serde(default)]
    pub rules: Vec<Condition>,
}

/// Whether every condition must hold, or at least one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Combine {
    #[default]
    All,
    Any,
}

/// One test on the call's data, e.g. `{"field": "duration", "op": "greater_than", "value": 30}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Condition {
    /// A variable name from [`VARIABLES`], or `custom.<name>`.
    pub field: String,
    pub op: Operator,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Operand>,
}

/// How a condition compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Operator {
    Equals,
    NotEquals,
    Contains,
    NotContains,
    StartsWith,
    InList,
    NotInList,
    GreaterThan,
    LessThan,
    IsSet,
    IsBlank,
}

impl Operator {
    /// Every operator, in the order the admin console lists them.
    pub const ALL: [Operator; 11] = [
        Self::Equals,
        Self::NotEquals,
        Self::Contains,
        Self::NotContains,
        Self::StartsWith,
        Self::InList,
        Self::NotInList,
        Self::GreaterThan,
        Self::LessThan,
        Self::IsSet,
        Self::IsBlank,
    ];

    /// The wire name, e.g. `greater_than`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Equals => "equals",
            Self::NotEquals => "not_equals",
            Self::Contains => "contains",
            Self::NotContains => "not_contains",
            Self::StartsWith => "starts_with",
            Self::InList => "in_list",
            Self::NotInList => "not_in_list",
            Self::GreaterThan => "greater_than",
            Self::LessThan => "less_than",
            Self::IsSet => "is_set",
            Self::IsBlank => "is_blank",
        }
    }

    /// The kind of operand the operator takes, `None` for `is_set` and `is_blank`.
    pub fn operand(self) -> Option<OperandKind> {
        match self {
            Self::Equals | Self::NotEquals => Some(OperandKind::Scalar),
            Self::Contains | Self::NotContains | Self::StartsWith => Some(OperandKind::Text),
            Self::InList | Self::NotInList => Some(OperandKind::List),
            Self::GreaterThan | Self::LessThan => Some(OperandKind::Number),
            Self::IsSet | Self::IsBlank => None,
        }
    }

    /// Whether the condition can only hold when the value is set.
    pub fn needs_a_value(self) -> bool {
        !matches!(self, Self::NotEquals | Self::NotContains | Self::NotInList | Self::IsBlank)
    }
}

/// The operand kinds operators take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperandKind {
    /// Text, a number or a boolean, matching the variable's kind.
    Scalar,
    Text,
    Number,
    List,
}

/// A condition's operand, as JSON gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Operand {
    Bool(bool),
    Number(f64),
    Text(String),
    List(Vec<String>),
}

/// An action, with its optional delay in seconds (at most [`MAX_DELAY_SECS`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Action {
    /// Find a record of `object` for the caller, or create it with `fields` when there is none. The record is found
    /// by the caller's number (a phone search), or with `match_field` by that field's mapped value. A found record
    /// becomes the call's record; it is not updated (use `update_record` for that).
    FindOrCreate {
        object: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        match_field: Option<String>,
        fields: BTreeMap<String, String>,
        #[serde(default)]
        delay_secs: u32,
    },
    /// Update the call's record (the one an earlier action or the softphone chose) with `fields`.
    UpdateRecord {
        fields: BTreeMap<String, String>,
        #[serde(default)]
        delay_secs: u32,
    },
    /// Log the call as a Task on the call's record. callpop sets the call fields itself (`TaskSubtype`,
    /// `CallType`, `CallObject`, `WhoId`); `fields` adds or overrides the others (`Subject`, `Status`, ...).
    LogTask {
        #[serde(default)]
        fields: BTreeMap<String, String>,
        #[serde(default)]
        delay_secs: u32,
    },
    /// Add the call's record to the Campaign whose name `campaign` renders to, with `status`. A name that renders
    /// blank (a call without a campaign) skips the action.
    AddToCampaign {
        #[serde(default = "default_campaign")]
        campaign: String,
        #[serde(default = "default_member_status")]
        status: String,
        #[serde(default)]
        delay_secs: u32,
    },
}

fn default_campaign() -> String {
    "{{campaign}}".to_owned()
}

fn default_member_status() -> String {
    "Responded".to_owned()
}

/// The longest delay an action may ask for: seven days.
pub const MAX_DELAY_SECS: u32 = 7 * 24 * 60 * 60;

impl Action {
    /// The action's wire name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::FindOrCreate { .. } => "find_or_create",
            Self::UpdateRecord { .. } => "update_record",
            Self::LogTask { .. } => "log_task",
            Self::AddToCampaign { .. } => "add_to_campaign",
        }
    }

    /// How long to wait before running the action.
    pub fn delay_secs(&self) -> u32 {
        match self {
            Self::FindOrCreate { delay_secs, .. }
            | Self::UpdateRecord { delay_secs, .. }
            | Self::LogTask { delay_secs, .. }
            | Self::AddToCampaign { delay_secs, .. } => *delay_secs,
        }
    }
}

/// The call's data a trigger sees. The server fills it, with numbers and regions already formatted per the
/// account's options; every text here is written to Salesforce as it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub call_id: String,
    pub direction: Direction,
    pub answered: bool,
    pub duration_secs: Option<u64>,
    pub caller_number: String,
    pub caller_name: Option<String>,
    pub caller_city: Option<String>,
    pub caller_region: Option<String>,
    pub caller_country: Option<String>,
    pub tracking_number: Option<String>,
    pub tracking_source: Option<String>,
    pub campaign: Option<String>,
    pub keywords: Vec<String>,
    pub tags: Vec<String>,
    pub disposition: Option<String>,
    pub recording_url: Option<String>,
    pub agent_name: Option<String>,
    /// When the call started, as the server formats dates for this account.
    pub started_at: Option<String>,
    /// The text of an incoming text message (`text_received`).
    pub message_body: Option<String>,
    /// The telephony side's custom fields, read as `custom.<name>`.
    pub custom: BTreeMap<String, FactValue>,
}

impl Facts {
    /// Facts with only the required data set; the rest blank.
    pub fn new(call_id: &str, direction: Direction, caller_number: &str) -> Self {
        Self {
            call_id: call_id.to_owned(),
            direction,
            answered: false,
            duration_secs: None,
            caller_number: caller_number.to_owned(),
            caller_name: None,
            caller_city: None,
            caller_region: None,
            caller_country: None,
            tracking_number: None,
            tracking_source: None,
            campaign: None,
            keywords: Vec::new(),
            tags: Vec::new(),
            disposition: None,
            recording_url: None,
            agent_name: None,
            started_at: None,
            message_body: None,
            custom: BTreeMap::new(),
        }
    }

    /// The value of a variable; `Fact::Missing` for unknown names.
    pub fn get(&self, name: &str) -> Fact<'_> {
        if let Some(custom_name) = name.strip_prefix(CUSTOM_PREFIX) {
            return self.custom.get(custom_name).map_or(Fact::Missing, FactValue::as_fact);
        }
        VARIABLES.iter().find(|variable| variable.name == name).map_or(Fact::Missing, |variable| (variable.read)(self))
    }
}

/// A custom field's value, as the telephony side sent it.
#[derive(Debug, Clone, PartialEq)]
pub enum FactValue {
    Text(String),
    Number(f64),
    Bool(bool),
    List(Vec<String>),
}

impl FactValue {
    fn as_fact(&self) -> Fact<'_> {
        match self {
            Self::Text(text) => Fact::Text(text),
            Self::Number(number) => Fact::Number(*number),
            Self::Bool(flag) => Fact::Bool(*flag),
            Self::List(items) => Fact::List(items),
        }
    }
}

/// One variable's value during evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fact<'a> {
    Missing,
    Text(&'a str),
    Number(f64),
    Bool(bool),
    List(&'a [String]),
}

impl<'a> Fact<'a> {
    fn optional_text(text: Option<&'a String>) -> Self {
        text.map_or(Self::Missing, |text| Self::Text(text))
    }

    /// Whether the value counts as blank: missing, empty or spaces only, or a list without a non-blank item.
    pub fn is_blank(self) -> bool {
        match self {
            Self::Missing => true,
            Self::Text(text) => text.trim().is_empty(),
            Self::List(items) => items.iter().all(|item| item.trim().is_empty()),
            Self::Number(_) | Self::Bool(_) => false,
        }
    }

    /// The value as text items: one for a scalar, each item for a list, none when missing.
    fn texts(self) -> Vec<Cow<'a, str>> {
        match self {
            Self::Missing => Vec::new(),
            Self::Text(text) => vec![Cow::Borrowed(text)],
            Self::List(items) => items.iter().map(|item| Cow::Borrowed(item.as_str())).collect(),
            Self::Number(number) => vec![Cow::Owned(number_text(number))],
            Self::Bool(flag) => vec![Cow::Borrowed(if flag { "yes" } else { "no" })],
        }
    }

    /// The value as a number: a number, or text that reads as one.
    fn number(self) -> Option<f64> {
        match self {
            Self::Number(number) => Some(number),
            Self::Text(text) => text.trim().parse().ok(),
            _ => None,
        }
    }

    /// The text a template inserts.
    pub fn render(self) -> String {
        self.texts().join(", ")
    }
}

/// Whole numbers without a decimal point; others as Rust prints them.
fn number_text(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() < 1e15 { format!("{number:.0}") } else { number.to_string() }
}

/// The prefix of the telephony side's custom fields: `custom.plan`, `custom.order_id`.
pub const CUSTOM_PREFIX: &str = "custom.";

/// What kind of value a variable holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VariableKind {
    Text,
    /// A whole number of at least zero (`duration`).
    Count,
    Bool,
    List,
    /// A custom field: any kind, known only at run time.
    Any,
}

impl VariableKind {
    /// How the admin console names the kind.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Count => "a number",
            Self::Bool => "yes or no",
            Self::List => "a list",
            Self::Any => "a custom field",
        }
    }
}

/// The events at which a variable can have a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetAt {
    /// Known from the first event.
    Always,
    /// Known once the call ended (`call_ended`, `recording_ready`).
    CallEnd,
    /// Known only when the recording is ready.
    Recording,
    /// Known only for a text message.
    Text,
}

impl SetAt {
    /// Whether a variable set at `self` can have a value at `event`.
    pub fn can_be_set_at(self, event: TriggerEvent) -> bool {
        match self {
            Self::Always => true,
            Self::CallEnd => matches!(event, TriggerEvent::CallEnded | TriggerEvent::RecordingReady),
            Self::Recording => event == TriggerEvent::RecordingReady,
            Self::Text => event == TriggerEvent::TextReceived,
        }
    }
}

/// A variable conditions and templates can read.
#[derive(Debug, Clone, Copy)]
pub struct Variable {
    pub name: &'static str,
    pub kind: VariableKind,
    pub set_at: SetAt,
    pub description: &'static str,
    read: for<'a> fn(&'a Facts) -> Fact<'a>,
}

/// Every variable, in the order the admin console lists them. `custom.<name>` reads custom fields besides these.
pub static VARIABLES: [Variable; 20] = [
    Variable {
        name: "call_id",
        kind: VariableKind::Text,
        set_at: SetAt::Always,
        description: "the telephony side's call id",
        read: |facts| Fact::Text(&facts.call_id),
    },
    Variable {
        name: "direction",
        kind: VariableKind::Text,
        set_at: SetAt::Always,
        description: "`inbound` or `outbound`",
        read: |facts| {
            Fact::Text(match facts.direction {
                Direction::Inbound => "inbound",
                Direction::Outbound => "outbound",
            })
        },
    },
    Variable {
        name: "answered",
        kind: VariableKind::Bool,
        set_at: SetAt::Always,
        description: "whether an agent answered",
        read: |facts| Fact::Bool(facts.answered),
    },
    Variable {
        name: "duration",
        kind: VariableKind::Count,
        set_at: SetAt::CallEnd,
        description: "the call's length in seconds",
        read: |facts| facts.duration_secs.map_or(Fact::Missing, |secs| Fact::Number(secs as f64)),
    },
    Variable {
        name: "caller_number",
        kind: VariableKind::Text,
        set_at: SetAt::Always,
        description: "the caller's number, formatted per the account's options",
        read: |facts| Fact::Text(&facts.caller_number),
    },
    Variable {
        name: "caller_name",
        kind: VariableKind::Text,
        set_at: SetAt::Always,
        description: "the caller's name (caller id)",
        read: |facts| Fact::optional_text(facts.caller_name.as_ref()),
    },
    Variable {
        name: "caller_city",
        kind: VariableKind::Text,
        set_at: SetAt::Always,
        description: "the caller's city",
        read: |facts| Fact::optional_text(facts.caller_city.as_ref()),
    },
    Variable {
        name: "caller_region",
        kind: VariableKind::Text,
        set_at: SetAt::Always,
        description: "the caller's state or province, formatted per the account's options",
        read: |facts| Fact::optional_text(facts.caller_region.as_ref()),
    },
    Variable {
        name: "caller_country",
        kind: VariableKind::Text,
        set_at: SetAt::Always,
        description: "the caller's country, formatted per the account's options",
        read: |facts| Fact::optional_text(facts.caller_country.as_ref()),
    },
    Variable {
        name: "tracking_number",
        kind: VariableKind::Text,
        set_at: SetAt::Always,
        description: "the number the caller dialled",
        read: |facts| Fact::optional_text(facts.tracking_number.as_ref()),
    },
    Variable {
        name: "tracking_source",
        kind: VariableKind::Text,
        set_at: SetAt::Always,
        description: "the source the tracking number belongs to (e.g. Google Ads)",
        read: |facts| Fact::optional_text(facts.tracking_source.as_ref()),
    },
    Variable {
        name: "campaign",
        kind: VariableKind::Text,
        set_at: SetAt::Always,
        description: "the marketing campaign",
        read: |facts| Fact::optional_text(facts.campaign.as_ref()),
    },
    Variable {
        name: "keywords",
        kind: VariableKind::List,
        set_at: SetAt::Always,
        description: "the search keywords that led to the call",
        read: |facts| Fact::List(&facts.keywords),
    },
    Variable {
        name: "tags",
        kind: VariableKind::List,
        set_at: SetAt::Always,
        description: "the call's tags",
        read: |facts| Fact::List(&facts.tags),
    },
    Variable {
        name: "disposition",
        kind: VariableKind::Text,
        set_at: SetAt::CallEnd,
        description: "how the call ended (e.g. Left voicemail)",
        read: |facts| Fact::optional_text(facts.disposition.as_ref()),
    },
    Variable {
        name: "recording_url",
        kind: VariableKind::Text,
        set_at: SetAt::Recording,
        description: "the link to the call's recording",
        read: |facts| Fact::optional_text(facts.recording_url.as_ref()),
    },
    Variable {
        name: "agent_name",
        kind: VariableKind::Text,
        set_at: SetAt::Always,
        description: "the agent who has the call",
        read: |facts| Fact::optional_text(facts.agent_name.as_ref()),
    },
    Variable {
        name: "started_at",
        kind: VariableKind::Text,
        set_at: SetAt::Always,
        description: "when the call started",
        read: |facts| Fact::optional_text(facts.started_at.as_ref()),
    },
    Variable {
        name: "message_body",
        kind: VariableKind::Text,
        set_at: SetAt::Text,
        description: "the text of an incoming text message",
        read: |facts| Fact::optional_text(facts.message_body.as_ref()),
    },
    Variable {
        name: "call_type",
        kind: VariableKind::Text,
        set_at: SetAt::Always,
        description: "`Inbound` or `Outbound`, as Salesforce's Task.CallType spells it",
        read: |facts| Fact::Text(facts.direction.call_type()),
    },
];

/// The variable named `name`: one of [`VARIABLES`], or a custom field (`custom.<letters, digits, _>`).
pub fn variable(name: &str) -> Option<Variable> {
    if let Some(custom_name) = name.strip_prefix(CUSTOM_PREFIX) {
        let valid = !custom_name.is_empty()
            && custom_name.chars().all(|character| character.is_ascii_alphanumeric() || character == '_');
        return valid.then_some(Variable {
            name: "custom",
            kind: VariableKind::Any,
            set_at: SetAt::Always,
            description: "a custom field from the telephony side",
            read: |_| Fact::Missing,
        });
    }
    VARIABLES.iter().find(|variable| variable.name == name).copied()
}

/// What one action of a fired trigger asks the sync engine to do, with its templates rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedAction {
    /// The trigger's position in the list evaluated, and its name (for the sync log).
    pub trigger_index: usize,
    pub trigger_name: String,
    /// The action's position in its trigger.
    pub action_index: usize,
    pub delay_secs: u32,
    pub step: Step,
}

/// A rendered action. Field lists are `(API name, value)` in the field name order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    FindOrCreate { object: String, match_field: Option<String>, fields: Vec<(String, String)> },
    UpdateRecord { fields: Vec<(String, String)> },
    LogTask { fields: Vec<(String, String)> },
    AddToCampaign { campaign: String, status: String },
}

/// The actions to run for `event`, in order: every enabled, valid trigger for the event whose conditions hold
/// contributes all its actions.
pub fn evaluate(triggers: &[Trigger], event: TriggerEvent, facts: &Facts) -> Vec<PlannedAction> {
    triggers
        .iter()
        .enumerate()
        .filter(|(_, trigger)| trigger.enabled && trigger.event == event)
        .filter(|(_, trigger)| validate(trigger).is_ok() && conditions_hold(&trigger.conditions, facts))
        .flat_map(|(trigger_index, trigger)| {
            trigger.actions.iter().enumerate().map(move |(action_index, action)| PlannedAction {
                trigger_index,
                trigger_name: trigger.name.clone(),
                action_index,
                delay_secs: action.delay_secs(),
                step: render_action(action, facts),
            })
        })
        .collect()
}

/// Whether a trigger's conditions hold for these facts.
pub fn conditions_hold(conditions: &Conditions, facts: &Facts) -> bool {
    let mut results = conditions.rules.iter().map(|condition| condition_holds(condition, facts.get(&condition.field)));
    match conditions.combine {
        Combine::All => results.all(|holds| holds),
        Combine::Any => conditions.rules.is_empty() || results.any(|holds| holds),
    }
}

/// Whether one condition holds for a value.
pub fn condition_holds(condition: &Condition, fact: Fact<'_>) -> bool {
    let operand = condition.value.as_ref();
    let same_text = |left: &str, right: &str| left.trim().to_lowercase() == right.trim().to_lowercase();
    let any_text = |test: &dyn Fn(&str) -> bool| fact.texts().iter().any(|text| test(text));
    match (condition.op, operand) {
        (Operator::IsSet, _) => !fact.is_blank(),
        (Operator::IsBlank, _) => fact.is_blank(),
        (Operator::NotEquals | Operator::NotContains | Operator::NotInList, _) => {
            let positive = match condition.op {
                Operator::NotEquals => Operator::Equals,
                Operator::NotContains => Operator::Contains,
                _ => Operator::InList,
            };
            !condition_holds(&Condition { op: positive, ..condition.clone() }, fact)
        }
        _ if fact.is_blank() => false,
        (Operator::Equals, Some(Operand::Text(wanted))) => any_text(&|text| same_text(text, wanted)),
        (Operator::Equals, Some(Operand::Number(wanted))) => fact.number().is_some_and(|number| number == *wanted),
        (Operator::Equals, Some(Operand::Bool(wanted))) => match fact {
            Fact::Bool(flag) => flag == *wanted,
            _ => any_text(&|text| same_text(text, if *wanted { "true" } else { "false" })),
        },
        (Operator::Contains, Some(Operand::Text(part))) => {
            let part = part.trim().to_lowercase();
            any_text(&|text| text.to_lowercase().contains(&part))
        }
        (Operator::StartsWith, Some(Operand::Text(prefix))) => {
            let prefix = prefix.trim().to_lowercase();
            any_text(&|text| text.trim().to_lowercase().starts_with(&prefix))
        }
        (Operator::InList, Some(Operand::List(items))) => {
            any_text(&|text| items.iter().any(|item| same_text(text, item)))
        }
        (Operator::GreaterThan, Some(Operand::Number(bound))) => fact.number().is_some_and(|number| number > *bound),
        (Operator::LessThan, Some(Operand::Number(bound))) => fact.number().is_some_and(|number| number < *bound),
        _ => false,
    }
}

fn render_fields(fields: &BTreeMap<String, String>, facts: &Facts) -> Vec<(String, String)> {
    fields.iter().map(|(name, source)| (name.clone(), render(source, facts))).collect()
}

/// Renders one template source against the facts; a source that does not parse renders as itself (`evaluate`
/// never gets there: it skips triggers that do not validate).
pub fn render(source: &str, facts: &Facts) -> String {
    match Template::parse(source) {
        Ok(template) => template.render_with(|name| Some(facts.get(name).render())),
        Err(_) => source.to_owned(),
    }
}

fn render_action(action: &Action, facts: &Facts) -> Step {
    match action {
        Action::FindOrCreate { object, match_field, fields, .. } => Step::FindOrCreate {
            object: object.clone(),
            match_field: match_field.clone(),
            fields: render_fields(fields, facts),
        },
        Action::UpdateRecord { fields, .. } => Step::UpdateRecord { fields: render_fields(fields, facts) },
        Action::LogTask { fields, .. } => Step::LogTask { fields: render_fields(fields, facts) },
        Action::AddToCampaign { campaign, status, .. } => {
            Step::AddToCampaign { campaign: render(campaign, facts), status: render(status, facts) }
        }
    }
}

#[cfg(test)]
mod tests;
