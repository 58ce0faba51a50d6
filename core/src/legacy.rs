//! Legacy mode's decisions (`behaviour.md`, "Legacy mode ON"): which record a call belongs to, the Lead to create
//! when there is none, the Task to log, and which Task fields change as the call goes on.
//!
//! Pure functions over what the server already fetched and formatted: the phone search's candidates, the state of
//! the multi-match dialog, the triggers' plan, and numbers, regions and dates as the account writes them. The
//! server runs the searches and the writes; nothing here knows HTTP, JSON or the clock.

use crate::call::{CallState, Direction};
use crate::record::{RecordId, SObjectType};
use crate::screen_pop::{Caller, new_lead_fields};
use crate::triggers::{PlannedAction, Step};
use std::cmp::Ordering;

/// A Lead or Contact the phone search returned, with the fields the choice needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: RecordId,
    /// Leads only: converted Leads are read-only in Salesforce and cannot join campaigns.
    pub is_converted: bool,
    /// Leads only: the Contact a converted Lead became.
    pub converted_contact_id: Option<RecordId>,
    /// `LastModifiedDate` as Salesforce returns it (`2026-11-01T10:00:00.000+0000`); one format sorts by time.
    pub last_modified: Option<String>,
    /// Every phone field value the search returned (`Phone`, `MobilePhone`, ...), as stored in the org.
    pub phones: Vec<String>,
}

impl Candidate {
    fn object(&self) -> SObjectType {
        self.id.object()
    }
}

/// Where the multi-match dialog stands for this call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    /// `multi_match_dialog` is off.
    Off,
    /// The option is on, but no agent has the call (nobody to ask).
    NoAgent,
    /// The agent has been (or is about to be) asked and has not answered yet.
    Waiting,
    /// The agent picked this record.
    Picked(RecordId),
    /// Nobody answered within the timeout.
    TimedOut,
}

/// Everything the record choice depends on.
#[derive(Debug, Clone, Copy)]
pub struct ChoiceInput<'a> {
    /// The search results, in the order Salesforce returned them (relevance).
    pub candidates: &'a [Candidate],
    /// The digit strings the search looked for (from the server's phone-variant builder); results are re-checked
    /// against them because SOSL's phone matching is looser than callpop's.
    pub caller_digits: &'a [String],
    pub dialog: &'a Dialog,
    /// What the account's triggers planned for this call's event; consulted only when the dialog cannot decide.
    pub trigger_plan: &'a [PlannedAction],
}

/// The rule that chose the record, for the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChoiceRule {
    /// Exactly one record matched.
    SingleMatch,
    /// Nothing matched: a Lead is created.
    NoMatch,
    /// Several matched and the agent picked one in the dialog.
    AgentChoice,
    /// Several matched and this trigger's `find_or_create` named the object to use.
    Trigger { trigger_name: String },
    /// Several matched and nothing else decided: the most recently modified one.
    MostRecentlyModified,
}

impl ChoiceRule {
    /// A stable name for logs and the sync panel.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::SingleMatch => "single_match",
            Self::NoMatch => "no_match",
            Self::AgentChoice => "agent_choice",
            Self::Trigger { .. } => "trigger",
            Self::MostRecentlyModified => "most_recently_modified",
        }
    }
}

/// What to do with the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Log the call on this record.
    Use { record: RecordId, rule: ChoiceRule },
    /// Create a Lead ([`lead_fields`]) and log the call on it.
    CreateLead,
    /// Ask the agent to choose among these, newest first; decide again when the dialog changes.
    AskAgent { candidates: Vec<RecordId> },
}

/// Why a search result was set aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exclusion {
    /// None of its phone values is the caller's number.
    PhoneDoesNotMatch,
    /// A converted Lead without a Contact to go to.
    ConvertedLead,
    /// A converted Lead: its Contact takes its place.
    ConvertedTo(RecordId),
    /// Neither a Lead nor a Contact.
    NotLeadOrContact,
    /// The same record came back twice (or as a converted Lead's Contact).
    Duplicate,
}

/// The decision and what was set aside on the way, for the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub outcome: Outcome,
    pub excluded: Vec<(RecordId, Exclusion)>,
}

/// Chooses the record per `behaviour.md`: one match, use it; none, create a Lead; several, the agent's pick when the
/// dialog is on and an agent has the call, else the triggers' object, else the most recently modified record.
///
/// Converted Leads are replaced by the Contact they became, or dropped when there is none. An agent's pick that is
/// not among the remaining candidates is ignored (the dialog only offers those), as if the dialog had timed out.
pub fn choose_record(input: ChoiceInput<'_>) -> Choice {
    let (remaining, excluded) = screen_candidates(input.candidates, input.caller_digits);
    let outcome = match remaining.as_slice() {
        [] => Outcome::CreateLead,
        [only] => Outcome::Use { record: only.id.clone(), rule: ChoiceRule::SingleMatch },
        several => choose_among(several, input.dialog, input.trigger_plan),
    };
    Choice { outcome, excluded }
}

/// Drops what is not the caller's Lead or Contact and replaces converted Leads with their Contacts.
fn screen_candidates(
    candidates: &[Candidate],
    caller_digits: &[String],
) -> (Vec<Candidate>, Vec<(RecordId, Exclusion)>) {
    let mut remaining: Vec<Candidate> = Vec::new();
    let mut excluded = Vec::new();
    for candidate in candidates {
        let kept = match exclusion(candidate, caller_digits) {
            None => candidate.clone(),
            Some(Exclusion::ConvertedTo(contact)) => {
                excluded.push((candidate.id.clone(), Exclusion::ConvertedTo(contact.clone())));
                Candidate { id: contact, is_converted: false, converted_contact_id: None, ..candidate.clone() }
            }
            Some(reason) => {
                excluded.push((candidate.id.clone(), reason));
                continue;
            }
        };
        match remaining.iter_mut().find(|other| other.id == kept.id) {
            Some(other) => {
                // The same Contact, found directly and through its converted Lead: one candidate, the newer date.
                if newer(&kept, other) == Ordering::Less {
                    other.last_modified = kept.last_modified;
                }
                if kept.id == candidate.id {
                    excluded.push((candidate.id.clone(), Exclusion::Duplicate));
                }
            }
            None => remaining.push(kept),
        }
    }
    (remaining, excluded)
}

/// Why a search result cannot be used as it is, if it cannot.
fn exclusion(candidate: &Candidate, caller_digits: &[String]) -> Option<Exclusion> {
    let object = candidate.object();
    if !matches!(object, SObjectType::Lead | SObjectType::Contact) {
        Some(Exclusion::NotLeadOrContact)
    } else if !candidate.phones.iter().any(|phone| phone_matches(phone, caller_digits)) {
        Some(Exclusion::PhoneDoesNotMatch)
    } else if object == SObjectType::Lead && candidate.is_converted {
        Some(candidate.converted_contact_id.clone().map_or(Exclusion::ConvertedLead, Exclusion::ConvertedTo))
    } else {
        None
    }
}

fn choose_among(several: &[Candidate], dialog: &Dialog, trigger_plan: &[PlannedAction]) -> Outcome {
    let mut newest_first = several.to_vec();
    newest_first.sort_by(newer);
    match dialog {
        Dialog::Waiting => {
            return Outcome::AskAgent { candidates: newest_first.into_iter().map(|candidate| candidate.id).collect() };
        }
        Dialog::Picked(pick) if several.iter().any(|candidate| &candidate.id == pick) => {
            return Outcome::Use { record: pick.clone(), rule: ChoiceRule::AgentChoice };
        }
        Dialog::Off | Dialog::NoAgent | Dialog::Picked(_) | Dialog::TimedOut => {}
    }
    let from_trigger = trigger_plan.iter().find_map(|planned| {
        let Step::FindOrCreate { object, .. } = &planned.step else { return None };
        let object = SObjectType::from_api_name(object);
        let newest = newest_first.iter().find(|candidate| candidate.object() == object)?;
        Some(Outcome::Use {
            record: newest.id.clone(),
            rule: ChoiceRule::Trigger { trigger_name: planned.trigger_name.clone() },
        })
    });
    from_trigger
        .unwrap_or_else(|| Outcome::Use { record: newest_first[0].id.clone(), rule: ChoiceRule::MostRecentlyModified })
}

/// Orders the more recently modified candidate first; candidates without a date go last, in search order.
fn newer(left: &Candidate, right: &Candidate) -> Ordering {
    match (&left.last_modified, &right.last_modified) {
        (Some(left), Some(right)) => right.cmp(left),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// Whether a stored phone value is the caller's number: its digits (up to any extension, the first letter) equal
/// one of the searched digit strings, also after dropping an international `00` prefix.
pub fn phone_matches(stored: &str, caller_digits: &[String]) -> bool {
    let before_extension = stored.split(|character: char| character.is_alphabetic()).next().unwrap_or_default();
    let digits: String = before_extension.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return false;
    }
    let without_prefix = digits.strip_prefix("00").unwrap_or(&digits);
    caller_digits.iter().any(|wanted| *wanted == digits || wanted == without_prefix)
}

/// What the server knows about a caller it creates a Lead for, formatted per the account's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewLead<'a> {
    pub caller_name: Option<&'a str>,
    pub phone: &'a str,
    pub tracking_source: Option<&'a str>,
    pub city: Option<&'a str>,
    pub state: Option<&'a str>,
    pub country: Option<&'a str>,
    /// The org has State and Country picklists: `state` and `country` are ISO codes, written to `StateCode` and
    /// `CountryCode` (the text fields then take only what the picklists hold).
    pub address_codes: bool,
}

/// The lengths of the Lead's text fields callpop writes, in characters (`STRING_TOO_LONG` beyond them).
const LEAD_FIELD_LENGTHS: [(&str, usize); 10] = [
    ("FirstName", 40),
    ("LastName", 80),
    ("Company", 255),
    ("Phone", 40),
    ("LeadSource", 255),
    ("City", 40),
    ("State", 80),
    ("Country", 80),
    ("StateCode", 10),
    ("CountryCode", 10),
];

/// The Lead to create for a caller nobody knows. Salesforce requires `LastName` and `Company`: they come from the
/// caller name, or are `Unknown Caller` and `[not provided]` (the same fields the softphone's Classic auto-create
/// writes, `screen_pop::new_lead_fields`). `LeadSource` is the tracking source; City, State and Country follow.
pub fn lead_fields(lead: NewLead<'_>) -> Vec<(String, String)> {
    let caller = Caller { number: lead.phone, name: lead.caller_name, source: lead.tracking_source, remembered: None };
    let mut fields = new_lead_fields(caller);
    let (state, country) = if lead.address_codes { ("StateCode", "CountryCode") } else { ("State", "Country") };
    for (name, value) in [("City", lead.city), (state, lead.state), (country, lead.country)] {
        if let Some(value) = value.map(str::trim).filter(|value| !value.is_empty()) {
            fields.push((name.to_owned(), value.to_owned()));
        }
    }
    for (name, value) in &mut fields {
        if let Some((_, max)) = LEAD_FIELD_LENGTHS.iter().find(|(field, _)| field == name)
            && value.chars().count() > *max
        {
            *value = value.chars().take(*max).collect::<String>().trim_end().to_owned();
        }
    }
    fields
}

/// A field value in a record written to Salesforce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    Text(String),
    Integer(u64),
    /// No value: an update clears the field (Salesforce clears a field given `null`).
    Cleared,
}

/// The `Task.Status` values callpop writes: Salesforce's default picklist, which most orgs keep.
pub const STATUS_NOT_STARTED: &str = "Not Started";
pub const STATUS_IN_PROGRESS: &str = "In Progress";
pub const STATUS_COMPLETED: &str = "Completed";

/// Field lengths Salesforce enforces on Task (`STRING_TOO_LONG` otherwise), in characters.
const SHORT_TEXT_MAX: usize = 255;
const DESCRIPTION_MAX: usize = 32_000;

/// What the server knows about a call when it writes its Task, already formatted for the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallActivity<'a> {
    pub call_id: &'a str,
    pub direction: Direction,
    pub state: CallState,
    /// The caller's number as the account writes numbers.
    pub caller_number: &'a str,
    /// The day of the call, `YYYY-MM-DD`, in the account's time zone.
    pub activity_date: &'a str,
    pub duration_secs: Option<u64>,
    pub disposition: Option<&'a str>,
    pub tracking_source: Option<&'a str>,
    pub campaign: Option<&'a str>,
    pub keywords: &'a [String],
    pub tags: &'a [String],
    pub recording_url: Option<&'a str>,
    /// The answering agent's linked Salesforce user.
    pub owner_id: Option<&'a RecordId>,
}

/// The Task's fields for a call, to create it (or upsert it by call id). `WhoId` is not among them: the server
/// sets it to the chosen record, or to a composite reference to the Lead it creates in the same request.
pub fn task_fields(call: &CallActivity<'_>) -> Vec<(&'static str, FieldValue)> {
    let text = |value: &str, max: usize| FieldValue::Text(value.chars().take(max).collect());
    let subject = match call.direction {
        Direction::Inbound => format!("Inbound call from {}", call.caller_number),
        Direction::Outbound => format!("Outbound call to {}", call.caller_number),
    };
    let status = match call.state {
        CallState::Ringing => STATUS_NOT_STARTED,
        CallState::Answered => STATUS_IN_PROGRESS,
        CallState::Completed => STATUS_COMPLETED,
    };
    let mut fields = vec![
        ("TaskSubtype", text("Call", SHORT_TEXT_MAX)),
        ("CallType", text(call.direction.call_type(), SHORT_TEXT_MAX)),
        ("CallObject", text(call.call_id, SHORT_TEXT_MAX)),
        ("Subject", text(&subject, SHORT_TEXT_MAX)),
        ("Status", text(status, SHORT_TEXT_MAX)),
        ("ActivityDate", text(call.activity_date, SHORT_TEXT_MAX)),
        ("Description", text(&description(call), DESCRIPTION_MAX)),
    ];
    if let Some(duration) = call.duration_secs {
        fields.push(("CallDurationInSeconds", FieldValue::Integer(duration)));
    }
    if let Some(disposition) = call.disposition.filter(|value| !value.trim().is_empty()) {
        fields.push(("CallDisposition", text(disposition, SHORT_TEXT_MAX)));
    }
    if let Some(owner) = call.owner_id {
        fields.push(("OwnerId", text(owner.as_str(), SHORT_TEXT_MAX)));
    }
    fields
}

/// The Task's `Description`: one line per thing known, in a fixed order.
fn description(call: &CallActivity<'_>) -> String {
    let lines = [
        ("Tracking source", call.tracking_source.map(str::to_owned)),
        ("Campaign", call.campaign.map(str::to_owned)),
        ("Keywords", Some(call.keywords.join(", "))),
        ("Tags", Some(call.tags.join(", "))),
        ("Recording", call.recording_url.map(str::to_owned)),
    ];
    lines
        .into_iter()
        .filter_map(|(label, value)| {
            value.filter(|value| !value.trim().is_empty()).map(|value| format!("{label}: {value}"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What the server knows about a text message when it logs it, already formatted for the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextActivity<'a> {
    /// The telephony side's message id; it keys the Task (in `CallObject`, as `text:<id>`).
    pub message_id: &'a str,
    pub direction: Direction,
    /// The other party's number, as the account writes numbers.
    pub other_number: &'a str,
    pub body: &'a str,
    /// The day of the message, `YYYY-MM-DD`.
    pub activity_date: &'a str,
    pub tracking_source: Option<&'a str>,
}

/// The Task's fields for a text message: a completed Task whose comments hold the message. `CallObject` carries
/// `text:<message id>`, so a replay finds the Task in an org without callpop's external id field.
pub fn text_task_fields(text: &TextActivity<'_>) -> Vec<(&'static str, FieldValue)> {
    let subject = match text.direction {
        Direction::Inbound => format!("Text message from {}", text.other_number),
        Direction::Outbound => format!("Text message to {}", text.other_number),
    };
    let mut description = text.body.to_owned();
    if let Some(source) = text.tracking_source.filter(|source| !source.trim().is_empty()) {
        description.push_str(&format!("\n\nTracking source: {source}"));
    }
    vec![
        ("TaskSubtype", FieldValue::Text("Task".to_owned())),
        ("CallObject", FieldValue::Text(format!("text:{}", text.message_id).chars().take(SHORT_TEXT_MAX).collect())),
        ("Subject", FieldValue::Text(subject.chars().take(SHORT_TEXT_MAX).collect())),
        ("Status", FieldValue::Text(STATUS_COMPLETED.to_owned())),
        ("ActivityDate", FieldValue::Text(text.activity_date.to_owned())),
        ("Description", FieldValue::Text(description.chars().take(DESCRIPTION_MAX).collect())),
    ]
}

/// The moments in a call's life that change its Task (legacy mode's implicit updates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskEvent {
    /// An agent answered: the Task gets its owner and moves to In Progress.
    Answered,
    /// The call ended: duration, disposition, and Completed.
    Completed,
    /// The recording is ready: the description gains its link.
    RecordingReady,
}

/// The Task events that synced call events (`kinds`, of a call now in `state`) bring, in legacy mode and for the
/// Task the softphone appended or a trigger logged. The recording link goes to the Task with any event of a call
/// that has ended and has one: it may come with the end, or long after it on a repeat of any event (a `late` item),
/// and the Task's other updates never drop it (the description is rewritten whole each time).
pub fn task_events(kinds: &[CallState], state: CallState, has_recording: bool) -> Vec<TaskEvent> {
    let mut events: Vec<TaskEvent> = kinds
        .iter()
        .filter_map(|kind| match kind {
            CallState::Answered => Some(TaskEvent::Answered),
            CallState::Completed => Some(TaskEvent::Completed),
            CallState::Ringing => None,
        })
        .collect();
    if has_recording && state == CallState::Completed {
        events.push(TaskEvent::RecordingReady);
    }
    events
}

/// The Task fields an event changes, with their new values, for an update of the same Task (never a second one).
/// `TaskSubtype` is never among them: Salesforce lets it be set only on create.
pub fn task_update(event: TaskEvent, call: &CallActivity<'_>) -> Vec<(&'static str, FieldValue)> {
    let changed: &[&str] = match event {
        TaskEvent::Answered => &["OwnerId", "Status"],
        TaskEvent::Completed => &["CallDurationInSeconds", "CallDisposition", "Status"],
        TaskEvent::RecordingReady => &["Description"],
    };
    task_fields(call).into_iter().filter(|(name, _)| changed.contains(name)).collect()
}

/// The Campaign a call joins: named by its campaign, else by its tracking source.
pub fn campaign_name<'a>(campaign: Option<&'a str>, tracking_source: Option<&'a str>) -> Option<&'a str> {
    [campaign, tracking_source].into_iter().flatten().map(str::trim).find(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_goes_to_the_task_with_any_event_of_an_ended_call() {
        use CallState::{Answered, Completed, Ringing};
        use TaskEvent as Event;
        // kinds, the call's state, whether it has a recording → the Task's events.
        let table: &[(&[CallState], CallState, bool, &[TaskEvent])] = &[
            (&[Ringing], Ringing, false, &[]),
            (&[Answered], Answered, false, &[Event::Answered]),
            (&[Answered, Completed], Completed, false, &[Event::Answered, Event::Completed]),
            (&[Completed], Completed, true, &[Event::Completed, Event::RecordingReady]),
            // A repeat of an earlier event brings the recording once the call has ended, not before.
            (&[Answered], Completed, true, &[Event::Answered, Event::RecordingReady]),
            (&[Ringing], Completed, true, &[Event::RecordingReady]),
            (&[Answered], Answered, true, &[Event::Answered]),
        ];
        for (row, (kinds, state, recording, expected)) in table.iter().enumerate() {
            assert_eq!(task_events(kinds, *state, *recording), *expected, "row {row}");
        }
    }

    const CONTACT: &str = "003000000000001";
    const LEAD: &str = "00Q000000000002";
    const CONVERTED: &str = "00Q000000000003";
    const OTHER_CONTACT: &str = "003000000000004";

    fn id(raw: &str) -> RecordId {
        RecordId::parse(raw).unwrap()
    }

    fn candidate(raw: &str, modified: Option<&str>, phone: &str) -> Candidate {
        Candidate {
            id: id(raw),
            is_converted: false,
            converted_contact_id: None,
            last_modified: modified.map(str::to_owned),
            phones: vec![phone.to_owned()],
        }
    }

    fn digits() -> Vec<String> {
        vec!["4155552671".to_owned(), "14155552671".to_owned()]
    }

    fn choose(candidates: &[Candidate], dialog: &Dialog, trigger_plan: &[PlannedAction]) -> Choice {
        let caller_digits = digits();
        choose_record(ChoiceInput { candidates, caller_digits: &caller_digits, dialog, trigger_plan })
    }

    fn used(choice: &Choice) -> (String, &'static str) {
        match &choice.outcome {
            Outcome::Use { record, rule } => (record.short().to_owned(), rule.as_str()),
            other => panic!("expected a record, got {other:?}"),
        }
    }

    #[test]
    fn one_match_is_used_and_none_creates_a_lead() {
        let one = [candidate(CONTACT, None, "(415) 555-2671")];
        assert_eq!(used(&choose(&one, &Dialog::Off, &[])), (CONTACT.to_owned(), "single_match"));
        assert_eq!(choose(&[], &Dialog::Off, &[]).outcome, Outcome::CreateLead);
    }

    #[test]
    fn results_whose_digits_differ_are_set_aside() {
        let found = [candidate(CONTACT, None, "+1 415 555 2671 ext. 12"), candidate(LEAD, None, "(415) 555-2672")];
        let choice = choose(&found, &Dialog::Off, &[]);
        assert_eq!(used(&choice), (CONTACT.to_owned(), "single_match"));
        assert_eq!(choice.excluded, [(id(LEAD), Exclusion::PhoneDoesNotMatch)]);
    }

    #[test]
    fn a_converted_lead_gives_way_to_its_contact() {
        let mut converted = candidate(CONVERTED, Some("2026-01-01T00:00:00.000+0000"), "4155552671");
        converted.is_converted = true;
        converted.converted_contact_id = Some(id(CONTACT));
        let choice = choose(std::slice::from_ref(&converted), &Dialog::Off, &[]);
        assert_eq!(used(&choice), (CONTACT.to_owned(), "single_match"));
        assert_eq!(choice.excluded, [(id(CONVERTED), Exclusion::ConvertedTo(id(CONTACT)))]);

        // Found both directly and through the Lead: one candidate, so still a single match.
        let direct = candidate(CONTACT, None, "+14155552671");
        let choice = choose(&[direct, converted.clone()], &Dialog::Off, &[]);
        assert_eq!(used(&choice), (CONTACT.to_owned(), "single_match"));

        converted.converted_contact_id = None;
        let choice = choose(&[converted], &Dialog::Off, &[]);
        assert_eq!(choice.outcome, Outcome::CreateLead);
        assert_eq!(choice.excluded, [(id(CONVERTED), Exclusion::ConvertedLead)]);
    }

    fn several() -> Vec<Candidate> {
        vec![
            candidate(LEAD, Some("2026-03-01T00:00:00.000+0000"), "4155552671"),
            candidate(CONTACT, Some("2025-01-01T00:00:00.000+0000"), "4155552671"),
            candidate(OTHER_CONTACT, None, "4155552671"),
        ]
    }

    #[test]
    fn several_matches_ask_the_agent_newest_first_and_use_the_pick() {
        let asked = choose(&several(), &Dialog::Waiting, &[]);
        assert_eq!(asked.outcome, Outcome::AskAgent { candidates: vec![id(LEAD), id(CONTACT), id(OTHER_CONTACT)] });
        let picked = choose(&several(), &Dialog::Picked(id(CONTACT)), &[]);
        assert_eq!(used(&picked), (CONTACT.to_owned(), "agent_choice"));
        let stranger = choose(&several(), &Dialog::Picked(id("003000000000009")), &[]);
        assert_eq!(used(&stranger), (LEAD.to_owned(), "most_recently_modified"));
    }

    #[test]
    fn without_an_answer_a_trigger_then_the_newest_record_decides() {
        let planned = PlannedAction {
            trigger_index: 0,
            trigger_name: "Contacts first".to_owned(),
            action_index: 0,
            delay_secs: 0,
            step: Step::FindOrCreate { object: "Contact".to_owned(), match_field: None, fields: Vec::new() },
        };
        for dialog in [Dialog::Off, Dialog::NoAgent, Dialog::TimedOut] {
            let by_trigger = choose(&several(), &dialog, std::slice::from_ref(&planned));
            assert_eq!(
                by_trigger.outcome,
                Outcome::Use {
                    record: id(CONTACT),
                    rule: ChoiceRule::Trigger { trigger_name: "Contacts first".to_owned() },
                }
            );
            assert_eq!(used(&choose(&several(), &dialog, &[])), (LEAD.to_owned(), "most_recently_modified"));
        }
    }

    #[test]
    fn phone_values_match_by_digits_with_or_without_prefixes() {
        let caller = vec!["2070313000".to_owned(), "02070313000".to_owned(), "442070313000".to_owned()];
        for stored in ["020 7031 3000", "+44 20 7031 3000", "0044 20 7031 3000", "(020) 7031-3000 x 5"] {
            assert!(phone_matches(stored, &caller), "{stored}");
        }
        for stored in ["020 7031 3001", "", "n/a", "7031 3000"] {
            assert!(!phone_matches(stored, &caller), "{stored}");
        }
    }

    #[test]
    fn a_lead_for_an_anonymous_caller_has_the_required_fields() {
        let lead = NewLead {
            caller_name: None,
            phone: "+14155552671",
            tracking_source: Some("Google Ads"),
            city: Some("San Francisco"),
            state: Some("CA"),
            country: Some(" "),
            address_codes: false,
        };
        let pairs = |fields: &[(&str, &str)]| -> Vec<(String, String)> {
            fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
        };
        assert_eq!(
            lead_fields(lead),
            pairs(&[
                ("Phone", "+14155552671"),
                ("LeadSource", "Google Ads"),
                ("LastName", "Unknown Caller"),
                ("Company", "[not provided]"),
                ("City", "San Francisco"),
                ("State", "CA"),
            ])
        );
        let named = lead_fields(NewLead { caller_name: Some("Ada Lovelace"), ..lead });
        assert!(named.contains(&("LastName".to_owned(), "Lovelace".to_owned())));
        assert!(named.contains(&("Company".to_owned(), "Ada Lovelace".to_owned())));
    }

    #[test]
    fn a_leads_names_fit_salesforces_lengths_and_picklist_orgs_get_codes() {
        let long_name = format!("{} {}", "Maximiliane".repeat(5), "Wolfeschlegelsteinhausen".repeat(5));
        let lead = NewLead {
            caller_name: Some(&long_name),
            phone: "+14155552671",
            tracking_source: None,
            city: None,
            state: Some("CA"),
            country: Some("US"),
            address_codes: true,
        };
        let fields = lead_fields(lead);
        let value = |name: &str| fields.iter().find(|(field, _)| field == name).map(|(_, value)| value.clone());
        assert_eq!(value("FirstName").map(|name| name.chars().count()), Some(40));
        assert_eq!(value("LastName").map(|name| name.chars().count()), Some(80));
        assert_eq!(value("Company").map(|name| name.chars().count()), Some(long_name.chars().count().min(255)));
        assert_eq!(value("StateCode").as_deref(), Some("CA"));
        assert_eq!(value("CountryCode").as_deref(), Some("US"));
        assert_eq!(value("State"), None);
    }

    fn activity<'a>(keywords: &'a [String], owner: Option<&'a RecordId>) -> CallActivity<'a> {
        CallActivity {
            call_id: "CA-1",
            direction: Direction::Inbound,
            state: CallState::Completed,
            caller_number: "+14155552671",
            activity_date: "2026-11-25",
            duration_secs: Some(184),
            disposition: Some("Left voicemail"),
            tracking_source: Some("Google Ads"),
            campaign: None,
            keywords,
            tags: &[],
            recording_url: Some("https://rec.example/1"),
            owner_id: owner,
        }
    }

    #[test]
    fn a_completed_call_logs_a_full_task() {
        let keywords = vec!["plumber".to_owned(), "24h".to_owned()];
        let owner = id("005000000000001");
        let fields = task_fields(&activity(&keywords, Some(&owner)));
        let text = |value: &str| FieldValue::Text(value.to_owned());
        assert_eq!(
            fields,
            [
                ("TaskSubtype", text("Call")),
                ("CallType", text("Inbound")),
                ("CallObject", text("CA-1")),
                ("Subject", text("Inbound call from +14155552671")),
                ("Status", text("Completed")),
                ("ActivityDate", text("2026-11-25")),
                (
                    "Description",
                    text("Tracking source: Google Ads\nKeywords: plumber, 24h\nRecording: https://rec.example/1")
                ),
                ("CallDurationInSeconds", FieldValue::Integer(184)),
                ("CallDisposition", text("Left voicemail")),
                ("OwnerId", text(owner.as_str())),
            ]
        );
    }

    #[test]
    fn each_event_changes_only_its_own_task_fields() {
        let owner = id("005000000000001");
        let mut call = activity(&[], Some(&owner));
        call.state = CallState::Answered;
        let names =
            |fields: Vec<(&'static str, FieldValue)>| fields.into_iter().map(|(name, _)| name).collect::<Vec<_>>();
        assert_eq!(
            task_update(TaskEvent::Answered, &call),
            [
                ("Status", FieldValue::Text("In Progress".to_owned())),
                ("OwnerId", FieldValue::Text(owner.as_str().to_owned())),
            ]
        );
        call.state = CallState::Completed;
        assert_eq!(
            names(task_update(TaskEvent::Completed, &call)),
            ["Status", "CallDurationInSeconds", "CallDisposition"]
        );
        assert_eq!(names(task_update(TaskEvent::RecordingReady, &call)), ["Description"]);
        call.owner_id = None;
        assert_eq!(names(task_update(TaskEvent::Answered, &call)), ["Status"], "no owner when no agent is linked");
    }

    #[test]
    fn long_values_are_cut_to_salesforce_lengths() {
        let long = "é".repeat(300);
        let mut call = activity(&[], None);
        call.disposition = Some(&long);
        let disposition = task_fields(&call).into_iter().find(|(name, _)| *name == "CallDisposition").unwrap().1;
        assert_eq!(disposition, FieldValue::Text("é".repeat(255)));
    }

    #[test]
    fn the_campaign_is_the_calls_campaign_or_its_source() {
        assert_eq!(campaign_name(Some("Spring"), Some("Google")), Some("Spring"));
        assert_eq!(campaign_name(Some(" "), Some("Google")), Some("Google"));
        assert_eq!(campaign_name(None, None), None);
    }
}
