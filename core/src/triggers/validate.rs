//! Checking a trigger before it is stored: every problem is reported at once, each with the path of the part at
//! fault (`conditions.rules[1].value`, `actions[0].fields.LastName`) so the admin console can point at it.
//!
//! What is checked: names and sizes; each condition's variable, operator and operand; conditions that can never
//! hold, alone (`duration < 0`, `duration` at `call_started`) or together under `all` (`duration > 10` and
//! `duration < 5`); actions (at least one, objects, field API names, fields callpop owns, required fields such as a
//! Lead's `LastName` and `Company`, delays); and every template (syntax, unknown variables, variables that are
//! always blank at the trigger's event). Unknown JSON keys never get this far: the rule types reject them when
//! deserialized, and the server reports serde's path.
//!
//! Not checked, because only the org knows: whether a field exists on the object, picklist values, validation
//! rules. Salesforce reports those when the action runs, and the sync log shows its message.

use super::template::{Segment, Template};
use super::{
    Action, Combine, Condition, Operand, OperandKind, Operator, SetAt, Trigger, TriggerEvent, VariableKind, variable,
};
use std::collections::BTreeMap;
use std::fmt;

/// The most conditions one trigger may have.
pub const MAX_CONDITIONS: usize = 20;
/// The most actions one trigger may have.
pub const MAX_ACTIONS: usize = 10;
/// The longest trigger name.
pub const MAX_NAME_CHARS: usize = 80;

/// One thing wrong with a trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleProblem {
    /// Where: dotted keys and `[index]`, from the trigger's root, e.g. `actions[0].fields.LastName`.
    pub path: String,
    pub kind: ProblemKind,
    /// A sentence for the admin.
    pub message: String,
}

impl fmt::Display for RuleProblem {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}: {}", self.path, self.message)
    }
}

/// The kinds of problems, for code that reacts to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemKind {
    BadName,
    TooMany,
    UnknownVariable,
    OperatorNotForVariable,
    MissingOperand,
    UnexpectedOperand,
    WrongOperand,
    Impossible,
    NoActions,
    BadObject,
    BadFieldName,
    FieldOwnedByCallpop,
    MissingRequiredField,
    RequiredFieldCanBeBlank,
    BadMatchField,
    NoFields,
    DelayTooLong,
    BadTemplate,
    AlwaysBlank,
}

/// Checks a trigger; `Ok` when it can be stored and run.
pub fn validate(trigger: &Trigger) -> Result<(), Vec<RuleProblem>> {
    let mut problems = Problems::default();
    let name = trigger.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        problems.add(
            "name",
            ProblemKind::BadName,
            format!("a trigger needs a name of 1 to {MAX_NAME_CHARS} characters"),
        );
    }
    check_conditions(trigger, &mut problems);
    check_actions(trigger, &mut problems);
    if problems.0.is_empty() { Ok(()) } else { Err(problems.0) }
}

#[derive(Default)]
struct Problems(Vec<RuleProblem>);

impl Problems {
    fn add(&mut self, path: impl Into<String>, kind: ProblemKind, message: impl Into<String>) {
        self.0.push(RuleProblem { path: path.into(), kind, message: message.into() });
    }
}

fn check_conditions(trigger: &Trigger, problems: &mut Problems) {
    let rules = &trigger.conditions.rules;
    if rules.len() > MAX_CONDITIONS {
        problems.add("conditions.rules", ProblemKind::TooMany, format!("at most {MAX_CONDITIONS} conditions"));
    }
    let mut sound = Vec::new();
    for (index, condition) in rules.iter().enumerate() {
        let path = format!("conditions.rules[{index}]");
        if check_condition(condition, trigger.event, &path, problems) {
            sound.push(index);
        }
    }
    if trigger.conditions.combine == Combine::All {
        find_contradictions(rules, &sound, problems);
    }
}

/// Checks one condition on its own; true when it is well formed and can hold (so it takes part in the
/// contradiction check).
fn check_condition(condition: &Condition, event: TriggerEvent, path: &str, problems: &mut Problems) -> bool {
    let Some(variable) = variable(&condition.field) else {
        problems.add(
            format!("{path}.field"),
            ProblemKind::UnknownVariable,
            format!("{:?} is not a variable; custom fields are written custom.<name>", condition.field),
        );
        return false;
    };
    let op = condition.op;
    let op_fits = match variable.kind {
        VariableKind::Bool => {
            matches!(op, Operator::Equals | Operator::NotEquals | Operator::IsSet | Operator::IsBlank)
        }
        VariableKind::Count => !matches!(op.operand(), Some(OperandKind::Text | OperandKind::List)),
        VariableKind::Text | VariableKind::List => op.operand() != Some(OperandKind::Number),
        VariableKind::Any => true,
    };
    if !op_fits {
        problems.add(
            format!("{path}.op"),
            ProblemKind::OperatorNotForVariable,
            format!("{} does not apply to {}, which is {}", op.as_str(), condition.field, variable.kind.describe()),
        );
        return false;
    }
    if !check_operand(condition, variable.kind, path, problems) {
        return false;
    }
    if let Some(reason) = never_holds(condition, variable.kind, variable.set_at, event) {
        problems.add(path, ProblemKind::Impossible, format!("this condition can never hold: {reason}"));
        return false;
    }
    true
}

fn check_operand(condition: &Condition, kind: VariableKind, path: &str, problems: &mut Problems) -> bool {
    let value_path = format!("{path}.value");
    let (wanted, value) = match (condition.op.operand(), &condition.value) {
        (None, None) => return true,
        (None, Some(_)) => {
            problems.add(value_path, ProblemKind::UnexpectedOperand, "is_set and is_blank take no value");
            return false;
        }
        (Some(_), None) => {
            problems.add(value_path, ProblemKind::MissingOperand, "this operator needs a value");
            return false;
        }
        (Some(wanted), Some(value)) => (wanted, value),
    };
    let fits = match (wanted, value) {
        (OperandKind::Text, Operand::Text(_)) | (OperandKind::List, Operand::List(_)) => true,
        (OperandKind::Number, Operand::Number(number)) => number.is_finite(),
        (OperandKind::Scalar, Operand::Text(_)) => {
            matches!(kind, VariableKind::Text | VariableKind::List | VariableKind::Any)
        }
        (OperandKind::Scalar, Operand::Number(number)) => {
            matches!(kind, VariableKind::Count | VariableKind::Any) && number.is_finite()
        }
        (OperandKind::Scalar, Operand::Bool(_)) => matches!(kind, VariableKind::Bool | VariableKind::Any),
        _ => false,
    };
    if !fits {
        let expected = match (wanted, kind) {
            (OperandKind::Scalar, VariableKind::Bool) => "true or false",
            (OperandKind::Scalar, VariableKind::Count) | (OperandKind::Number, _) => "a number",
            (OperandKind::Scalar | OperandKind::Text, _) => "text",
            (OperandKind::List, _) => "a list of texts",
        };
        problems.add(value_path, ProblemKind::WrongOperand, format!("expected {expected}"));
        return false;
    }
    let allowed = allowed_values(&condition.field);
    let texts: Vec<&String> = match value {
        Operand::Text(text) if condition.op.operand() == Some(OperandKind::Scalar) => vec![text],
        Operand::List(items) => items.iter().collect(),
        _ => Vec::new(),
    };
    if let Some(bad) = texts
        .into_iter()
        .find(|text| !allowed.is_empty() && !allowed.iter().any(|ok| ok.eq_ignore_ascii_case(text.trim())))
    {
        problems.add(
            value_path,
            ProblemKind::WrongOperand,
            format!("{} is one of {}, not {bad:?}", condition.field, allowed.join(", ")),
        );
        return false;
    }
    true
}

/// The only values some text variables take.
fn allowed_values(field: &str) -> &'static [&'static str] {
    match field {
        "direction" => &["inbound", "outbound"],
        "call_type" => &["Inbound", "Outbound"],
        _ => &[],
    }
}

/// Why a well-formed condition can never hold on its own, if it cannot.
fn never_holds(condition: &Condition, kind: VariableKind, set_at: SetAt, event: TriggerEvent) -> Option<String> {
    if condition.op.needs_a_value() && !set_at.can_be_set_at(event) {
        return Some(format!("{} has no value at {}", condition.field, event.as_str()));
    }
    match (condition.op, &condition.value) {
        (Operator::InList, Some(Operand::List(items))) if items.is_empty() => Some("the list is empty".to_owned()),
        (Operator::LessThan, Some(Operand::Number(bound))) if kind == VariableKind::Count && *bound <= 0.0 => {
            Some(format!("{} is never negative", condition.field))
        }
        (Operator::Equals, Some(Operand::Number(wanted)))
            if kind == VariableKind::Count && (*wanted < 0.0 || wanted.fract() != 0.0) =>
        {
            Some(format!("{} is a whole number of at least 0", condition.field))
        }
        _ => None,
    }
}

/// What the `all` conditions on one variable require so far.
#[derive(Default)]
struct Requirements {
    /// The condition that requires a blank value.
    blank: Option<usize>,
    /// The first condition that requires a value.
    set: Option<usize>,
    /// The tightest lower and upper numeric bounds: (bound, inclusive, condition).
    lower: Option<(f64, bool, usize)>,
    upper: Option<(f64, bool, usize)>,
    /// `equals` and `not_equals` operands, normalised, with their conditions.
    equal_to: Vec<(String, usize)>,
    not_equal_to: Vec<(String, usize)>,
}

fn normalised(operand: &Operand) -> String {
    match operand {
        Operand::Text(text) => text.trim().to_lowercase(),
        Operand::Number(number) => super::number_text(*number),
        Operand::Bool(flag) => flag.to_string(),
        Operand::List(items) => items.join("\u{1f}"),
    }
}

/// Reports conditions that cannot hold together with an earlier one, for triggers whose conditions must all hold.
fn find_contradictions(rules: &[Condition], sound: &[usize], problems: &mut Problems) {
    let mut by_field: BTreeMap<&str, Requirements> = BTreeMap::new();
    for &index in sound {
        let condition = &rules[index];
        let Some(variable) = variable(&condition.field) else { continue };
        let requirements = by_field.entry(condition.field.as_str()).or_insert_with(|| Requirements {
            lower: (variable.kind == VariableKind::Count).then_some((0.0, true, usize::MAX)),
            ..Requirements::default()
        });
        if let Some(earlier) = add_requirement(requirements, condition, index, variable.kind) {
            let message = if earlier == usize::MAX {
                format!("{} is never negative", condition.field)
            } else {
                format!("it can never hold together with conditions.rules[{earlier}], and all conditions must hold")
            };
            problems.add(format!("conditions.rules[{index}]"), ProblemKind::Impossible, message);
        }
    }
}

/// Adds one condition's requirement; returns the earlier condition it contradicts, if any.
fn add_requirement(
    requirements: &mut Requirements,
    condition: &Condition,
    index: usize,
    kind: VariableKind,
) -> Option<usize> {
    let op = condition.op;
    if op == Operator::IsBlank {
        requirements.blank.get_or_insert(index);
    } else if op.needs_a_value() {
        requirements.set.get_or_insert(index);
    }
    if let (Some(blank), Some(set)) = (requirements.blank, requirements.set) {
        return Some(blank.min(set));
    }
    let single_valued = matches!(kind, VariableKind::Text | VariableKind::Count | VariableKind::Bool);
    match (op, &condition.value) {
        (Operator::Equals, Some(operand)) => {
            let key = normalised(operand);
            if let Some((_, earlier)) = requirements.not_equal_to.iter().find(|(other, _)| *other == key) {
                return Some(*earlier);
            }
            if single_valued && let Some((_, earlier)) = requirements.equal_to.iter().find(|(other, _)| *other != key) {
                return Some(*earlier);
            }
            requirements.equal_to.push((key, index));
            if let Operand::Number(number) = operand {
                return tighten(requirements, *number, true, index, true)
                    .or_else(|| tighten(requirements, *number, true, index, false));
            }
        }
        (Operator::NotEquals, Some(operand)) => {
            let key = normalised(operand);
            if let Some((_, earlier)) = requirements.equal_to.iter().find(|(other, _)| *other == key) {
                return Some(*earlier);
            }
            requirements.not_equal_to.push((key, index));
            if let (Operand::Number(number), Some((low, true, earlier)), Some((high, true, _))) =
                (operand, requirements.lower, requirements.upper)
                && low == *number
                && high == *number
            {
                return Some(earlier);
            }
        }
        (Operator::GreaterThan, Some(Operand::Number(bound))) => {
            return tighten(requirements, *bound, false, index, true);
        }
        (Operator::LessThan, Some(Operand::Number(bound))) => {
            return tighten(requirements, *bound, false, index, false);
        }
        _ => {}
    }
    None
}

/// Tightens the lower (`is_lower`) or upper bound, then checks that some number is still within both.
fn tighten(
    requirements: &mut Requirements,
    bound: f64,
    inclusive: bool,
    index: usize,
    is_lower: bool,
) -> Option<usize> {
    let new = (bound, inclusive, index);
    let slot = if is_lower { &mut requirements.lower } else { &mut requirements.upper };
    let tighter = match *slot {
        None => true,
        Some((current, current_inclusive, _)) => {
            let beyond = if is_lower { bound > current } else { bound < current };
            beyond || (bound == current && current_inclusive && !inclusive)
        }
    };
    if tighter {
        *slot = Some(new);
    }
    let ((low, low_inclusive, low_index), (high, high_inclusive, high_index)) =
        (requirements.lower?, requirements.upper?);
    let empty = low > high || (low == high && !(low_inclusive && high_inclusive));
    empty.then_some(if low_index == index { high_index } else { low_index })
}

/// Objects an action may not find or create, with what to use instead.
const NOT_FIND_OR_CREATE: [(&str, &str); 3] = [
    ("Task", "use log_task to log the call"),
    ("Event", "callpop logs calls as Tasks (log_task)"),
    ("CampaignMember", "use add_to_campaign"),
];

/// Fields each standard object needs on create (Salesforce's `REQUIRED_FIELD_MISSING` otherwise).
const REQUIRED_ON_CREATE: [(&str, &[&str]); 4] = [
    ("Lead", &["LastName", "Company"]),
    ("Contact", &["LastName"]),
    ("Account", &["Name"]),
    ("Opportunity", &["Name", "StageName", "CloseDate"]),
];

/// Fields Salesforce sets itself on every object; writing them fails.
const SYSTEM_FIELDS: [&str; 16] = [
    "Id",
    "IsDeleted",
    "CreatedDate",
    "CreatedById",
    "LastModifiedDate",
    "LastModifiedById",
    "SystemModstamp",
    "LastActivityDate",
    "LastViewedDate",
    "LastReferencedDate",
    "MasterRecordId",
    "IsConverted",
    "ConvertedDate",
    "ConvertedAccountId",
    "ConvertedContactId",
    "ConvertedOpportunityId",
];

/// Task fields callpop sets for every call it logs: the call's identity and the record it belongs to.
const TASK_FIELDS_OWNED_BY_CALLPOP: [&str; 4] = ["TaskSubtype", "CallType", "CallObject", "WhoId"];

/// Whether `name` is shaped like a Salesforce API name: a letter, then letters, digits and single underscores,
/// not ending in `_` (custom names end in `__c`, namespaced ones start `ns__`), at most 80 characters.
pub fn is_api_name(name: &str) -> bool {
    let body_ok = name.chars().all(|character| character.is_ascii_alphanumeric() || character == '_');
    let starts_ok = name.chars().next().is_some_and(|first| first.is_ascii_alphabetic());
    let underscores_ok = !name.ends_with('_') && !name.contains("___");
    body_ok && starts_ok && underscores_ok && name.len() <= 80
}

fn check_actions(trigger: &Trigger, problems: &mut Problems) {
    if trigger.actions.is_empty() {
        problems.add("actions", ProblemKind::NoActions, "a trigger needs at least one action");
    }
    if trigger.actions.len() > MAX_ACTIONS {
        problems.add("actions", ProblemKind::TooMany, format!("at most {MAX_ACTIONS} actions"));
    }
    for (index, action) in trigger.actions.iter().enumerate() {
        let path = format!("actions[{index}]");
        if action.delay_secs() > super::MAX_DELAY_SECS {
            problems.add(
                format!("{path}.delay_secs"),
                ProblemKind::DelayTooLong,
                format!("an action can wait at most {} seconds (7 days)", super::MAX_DELAY_SECS),
            );
        }
        let context = ActionContext { path: &path, event: trigger.event };
        match action {
            Action::FindOrCreate { object, match_field, fields, .. } => {
                check_find_or_create(&context, object, match_field.as_deref(), fields, problems);
            }
            Action::UpdateRecord { fields, .. } => {
                if fields.is_empty() {
                    problems.add(format!("{path}.fields"), ProblemKind::NoFields, "name at least one field to update");
                }
                check_fields(&context, fields, &[], problems);
            }
            Action::LogTask { fields, .. } => check_fields(&context, fields, &TASK_FIELDS_OWNED_BY_CALLPOP, problems),
            Action::AddToCampaign { campaign, status, .. } => {
                context.check_template(&format!("{path}.campaign"), campaign, problems);
                if status.trim().is_empty() {
                    problems.add(
                        format!("{path}.status"),
                        ProblemKind::BadTemplate,
                        "a campaign member needs a status",
                    );
                }
                context.check_template(&format!("{path}.status"), status, problems);
            }
        }
    }
}

/// Where an action sits, for paths and for the variables its templates may read.
struct ActionContext<'a> {
    path: &'a str,
    event: TriggerEvent,
}

impl ActionContext<'_> {
    /// Checks a template's syntax and variables; returns it when it parses.
    fn check_template(&self, path: &str, source: &str, problems: &mut Problems) -> Option<Template> {
        let template = match Template::parse(source) {
            Ok(template) => template,
            Err(error) => {
                problems.add(path, ProblemKind::BadTemplate, error.to_string());
                return None;
            }
        };
        for (name, has_fallback) in template.variables() {
            match variable(name) {
                None => problems.add(
                    path,
                    ProblemKind::UnknownVariable,
                    format!("{{{{{name}}}}} is not a variable; custom fields are written custom.<name>"),
                ),
                Some(found) if !has_fallback && !found.set_at.can_be_set_at(self.event) => problems.add(
                    path,
                    ProblemKind::AlwaysBlank,
                    format!(
                        "{{{{{name}}}}} is always blank at {}; give it a fallback: {{{{{name}|…}}}}",
                        self.event.as_str()
                    ),
                ),
                Some(_) => {}
            }
        }
        Some(template)
    }
}

fn check_fields(
    context: &ActionContext<'_>,
    fields: &BTreeMap<String, String>,
    owned: &[&str],
    problems: &mut Problems,
) {
    for (name, source) in fields {
        let path = format!("{}.fields.{name}", context.path);
        if !is_api_name(name) {
            problems.add(&path, ProblemKind::BadFieldName, format!("{name:?} is not a Salesforce field API name"));
        } else if SYSTEM_FIELDS.iter().chain(owned).any(|reserved| reserved.eq_ignore_ascii_case(name)) {
            problems.add(&path, ProblemKind::FieldOwnedByCallpop, format!("{name} is set by Salesforce or callpop"));
        }
        context.check_template(&path, source, problems);
    }
}

fn check_find_or_create(
    context: &ActionContext<'_>,
    object: &str,
    match_field: Option<&str>,
    fields: &BTreeMap<String, String>,
    problems: &mut Problems,
) {
    let path = context.path;
    if !is_api_name(object) {
        problems.add(format!("{path}.object"), ProblemKind::BadObject, format!("{object:?} is not an object API name"));
    } else if let Some((_, instead)) = NOT_FIND_OR_CREATE.iter().find(|(name, _)| name.eq_ignore_ascii_case(object)) {
        problems.add(format!("{path}.object"), ProblemKind::BadObject, format!("not {object}: {instead}"));
    }
    check_fields(context, fields, &[], problems);
    if let Some(match_field) = match_field.filter(|field| !fields.contains_key(*field)) {
        problems.add(
            format!("{path}.match_field"),
            ProblemKind::BadMatchField,
            format!("{match_field} must be one of the mapped fields: its value is what the search looks for"),
        );
    }
    let required =
        REQUIRED_ON_CREATE.iter().find(|(name, _)| name.eq_ignore_ascii_case(object)).map(|(_, fields)| *fields);
    for field in required.unwrap_or_default() {
        match fields.get(*field) {
            None => problems.add(
                format!("{path}.fields"),
                ProblemKind::MissingRequiredField,
                format!("Salesforce needs {field} to create a {object}: map it"),
            ),
            Some(source) if can_render_blank(source) => problems.add(
                format!("{path}.fields.{field}"),
                ProblemKind::RequiredFieldCanBeBlank,
                format!("{field} is required but can render blank; give each variable a fallback, e.g. {{{{caller_name|Unknown Caller}}}}"),
            ),
            Some(_) => {}
        }
    }
}

/// Whether a template can render to blank text: it has no visible literal text and some variable lacks a
/// non-blank fallback. A template that does not parse is reported elsewhere.
fn can_render_blank(source: &str) -> bool {
    let Ok(template) = Template::parse(source) else { return false };
    let has_text = template.segments().iter().any(|segment| match segment {
        Segment::Literal(text) => !text.trim().is_empty(),
        Segment::Variable { fallback, .. } => fallback.as_deref().is_some_and(|text| !text.trim().is_empty()),
    });
    !has_text
}
