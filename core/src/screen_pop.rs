//! The screen-pop decision table of `behaviour.md`: given the UI, the options, the call and what was found, which
//! Open CTI calls to make and where the call's activity goes. Pure: the adapter carries out the plan.
//!
//! | found                 | Lightning                              | Classic                                        |
//! |-----------------------|----------------------------------------|------------------------------------------------|
//! | server named a record | `SOBJECT` pop                          | `/<id>`, or `/<id>/e` with edit mode           |
//! | one match             | `SOBJECT` pop, append                  | `/<id>` or `/<id>/e`, append                   |
//! | no match              | new-Lead modal, append on save         | edit mode: new-Lead form; auto-create: create  |
//! |                       |                                        | the Lead and pop it; neither: new-Lead form    |
//! | several matches       | dialog on: ask the agent; off: search page, the server's triggers append               |
//!
//! Outbound calls are never popped (Classic never pops them, and in Lightning the agent dialled from the record).
//!
//! Lightning has no edit-mode pop (`opencti.md` §8 #9). With edit mode on, the closest honest equivalent is the
//! record pop followed by the record's edit page (`/lightning/r/<Object>/<id>/edit`); with it off, Lightning
//! behaves exactly as it does without the option.

use crate::call::Direction;
use crate::open_cti::{OpenCtiCall, Ui, classic_url};
use crate::options::IntegrationOptions;
use crate::record::{RecordId, RecordMatch, SObjectType};
use crate::wire::ChoiceReason;

/// What the softphone knows about the caller when it decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller<'a> {
    /// The number as the server formatted it for this account; also the search term.
    pub number: &'a str,
    pub name: Option<&'a str>,
    /// The tracking source, written as the new Lead's `LeadSource`.
    pub source: Option<&'a str>,
    /// The record an agent picked for this number last time several matched, if any.
    pub remembered: Option<&'a RecordId>,
}

/// What is known about the caller's record when the softphone decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found<'a> {
    /// Legacy mode: the server searched the org itself and names the record.
    ServerNamed(&'a RecordId),
    /// Legacy mode: nobody matched, and the server created the caller's Lead and names it.
    ServerCreated(&'a RecordId),
    /// The softphone's own Open CTI search returned these records.
    Matches(&'a [RecordMatch]),
}

/// Where the call's activity is appended once the pop is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActivityPlan {
    /// Append the call to this record now.
    Append { record: RecordId, reason: ChoiceReason },
    /// Wait until the agent saves the pre-filled form; append to the record they save.
    AfterSave,
    /// Wait for `saveLog` to return the created Lead; pop it and append to it.
    AfterCreate,
    /// Show these matches: the one picked last time first (when it is among them), then newest first. The agent's
    /// pick is popped and gets the activity.
    AskAgent { matches: Vec<RecordMatch>, remembered: Option<RecordId> },
    /// Nothing for the softphone to append: the server's legacy mode or triggers decide.
    LeaveToServer,
}

/// The decision: Open CTI calls to make now, and what happens to the activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PopPlan {
    pub calls: Vec<OpenCtiCall>,
    pub activity: ActivityPlan,
}

/// Decides what to pop for a call the agent answered (or dialled).
pub fn decide(
    ui: Ui,
    options: &IntegrationOptions,
    direction: Direction,
    caller: Caller<'_>,
    found: Found<'_>,
) -> PopPlan {
    if direction == Direction::Outbound {
        return PopPlan { calls: Vec::new(), activity: ActivityPlan::LeaveToServer };
    }
    match found {
        Found::ServerNamed(record) => {
            PopPlan { calls: pop_record(ui, options, record), activity: ActivityPlan::LeaveToServer }
        }
        // A new caller's Lead opens in edit mode in Lightning whatever the option says, as Lightning's new Leads do
        // (the option is Classic's). In Classic the Lead exists already, so auto-create has nothing left to do and
        // edit mode decides between its page and its Edit form.
        Found::ServerCreated(record) => {
            let options =
                if ui == Ui::Lightning { IntegrationOptions { edit_mode: true, ..*options } } else { *options };
            PopPlan { calls: pop_record(ui, &options, record), activity: ActivityPlan::LeaveToServer }
        }
        Found::Matches([]) => pop_new_lead(ui, options, caller),
        Found::Matches([only]) => PopPlan {
            calls: pop_record(ui, options, &only.id),
            activity: ActivityPlan::Append { record: only.id.clone(), reason: ChoiceReason::SingleMatch },
        },
        Found::Matches(several) if options.multi_match_dialog => {
            let remembered =
                caller.remembered.filter(|id| several.iter().any(|candidate| &candidate.id == *id)).cloned();
            let matches = remembered_then_newest(several, remembered.as_ref());
            PopPlan { calls: Vec::new(), activity: ActivityPlan::AskAgent { matches, remembered } }
        }
        Found::Matches(_) => PopPlan { calls: pop_search(ui, caller.number), activity: ActivityPlan::LeaveToServer },
    }
}

/// The calls that open one record: the agent's pick in the dialog, a created record, or the single match.
pub fn pop_record(ui: Ui, options: &IntegrationOptions, record: &RecordId) -> Vec<OpenCtiCall> {
    match ui {
        Ui::Lightning if options.edit_mode => vec![
            OpenCtiCall::PopRecord { id: record.clone() },
            OpenCtiCall::PopUrl { url: format!("/lightning/r/{}/{}/edit", record.object().api_name(), record) },
        ],
        Ui::Lightning => vec![OpenCtiCall::PopRecord { id: record.clone() }],
        Ui::Classic if options.edit_mode => vec![OpenCtiCall::PopUrl { url: format!("/{}/e", record.short()) }],
        Ui::Classic => vec![OpenCtiCall::PopUrl { url: format!("/{}", record.short()) }],
    }
}

/// The call that shows the search page for the caller's number, as Salesforce's default layout does for
/// several matches. Lightning needs at least 3 characters; shorter terms pop nothing.
fn pop_search(ui: Ui, term: &str) -> Vec<OpenCtiCall> {
    match ui {
        Ui::Lightning if term.chars().count() >= 3 => vec![OpenCtiCall::PopSearch { term: term.to_owned() }],
        Ui::Lightning => Vec::new(),
        Ui::Classic => {
            vec![OpenCtiCall::PopUrl { url: classic_url("/_ui/search/ui/UnifiedSearchResults", &[("str", term)]) }]
        }
    }
}

fn pop_new_lead(ui: Ui, options: &IntegrationOptions, caller: Caller<'_>) -> PopPlan {
    let defaults = new_lead_defaults(caller);
    match ui {
        Ui::Lightning => PopPlan {
            calls: vec![OpenCtiCall::NewRecordModal { entity: "Lead".to_owned(), defaults }],
            activity: ActivityPlan::AfterSave,
        },
        Ui::Classic if options.auto_create_classic && !options.edit_mode => PopPlan {
            calls: vec![OpenCtiCall::CreateRecord { entity: "Lead".to_owned(), fields: new_lead_fields(caller) }],
            activity: ActivityPlan::AfterCreate,
        },
        Ui::Classic => PopPlan {
            calls: vec![OpenCtiCall::PopUrl { url: classic_new_lead_url(&defaults) }],
            activity: ActivityPlan::AfterSave,
        },
    }
}

/// Splits a caller name into first and last name: the last word is the last name.
fn split_name(name: &str) -> (Option<&str>, &str) {
    let name = name.trim();
    match name.rsplit_once(char::is_whitespace) {
        Some((first, last)) => (Some(first.trim()), last),
        None => (None, name),
    }
}

/// Field values that pre-fill a new-Lead form the agent completes: only what callpop knows, nothing invented.
pub fn new_lead_defaults(caller: Caller<'_>) -> Vec<(String, String)> {
    let mut fields = vec![("Phone".to_owned(), caller.number.to_owned())];
    if let Some(name) = caller.name.filter(|name| !name.trim().is_empty()) {
        let (first, last) = split_name(name);
        if let Some(first) = first {
            fields.push(("FirstName".to_owned(), first.to_owned()));
        }
        fields.push(("LastName".to_owned(), last.to_owned()));
    }
    if let Some(source) = caller.source.filter(|source| !source.trim().is_empty()) {
        fields.push(("LeadSource".to_owned(), source.to_owned()));
    }
    fields
}

/// Field values for a Lead created without the agent (Classic auto-create). Salesforce requires `LastName` and
/// `Company`; like the server's legacy mode, callpop fills them with `Unknown Caller` and `[not provided]`.
pub fn new_lead_fields(caller: Caller<'_>) -> Vec<(String, String)> {
    let mut fields = new_lead_defaults(caller);
    if !fields.iter().any(|(name, _)| name == "LastName") {
        fields.push(("LastName".to_owned(), "Unknown Caller".to_owned()));
    }
    let company = caller.name.filter(|name| !name.trim().is_empty()).unwrap_or("[not provided]");
    fields.push(("Company".to_owned(), company.to_owned()));
    fields
}

/// The Classic new-Lead page with its fields pre-filled through the page's field ids (`lea8` is Phone, and so on).
fn classic_new_lead_url(defaults: &[(String, String)]) -> String {
    const CLASSIC_FIELD_IDS: [(&str, &str); 4] =
        [("Phone", "lea8"), ("FirstName", "name_firstlea2"), ("LastName", "name_lastlea2"), ("LeadSource", "lea5")];
    let prefix = SObjectType::Lead.key_prefix().unwrap_or("00Q");
    let params: Vec<(&str, &str)> = defaults
        .iter()
        .filter_map(|(field, value)| {
            CLASSIC_FIELD_IDS.iter().find(|(name, _)| name == field).map(|(_, id)| (*id, value.as_str()))
        })
        .collect();
    classic_url(&format!("/{prefix}/e"), &params)
}

/// The matches with the remembered one first, then the most recently modified; records without a date go last,
/// in the order found.
fn remembered_then_newest(matches: &[RecordMatch], remembered: Option<&RecordId>) -> Vec<RecordMatch> {
    // An unstable sort with the position found as the last key keeps ties in order: the stable sort's code would
    // add 3.5 KB to the softphone's download (PERFORMANCE.md).
    let mut sorted: Vec<(usize, &RecordMatch)> = matches.iter().enumerate().collect();
    sorted.sort_unstable_by(|(left_at, left), (right_at, right)| {
        let left_first = Some(&left.id) == remembered;
        let right_first = Some(&right.id) == remembered;
        right_first
            .cmp(&left_first)
            .then_with(|| right.last_modified.cmp(&left.last_modified))
            .then_with(|| left_at.cmp(right_at))
    });
    sorted.into_iter().map(|(_, found)| found.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, modified: &str) -> RecordMatch {
        RecordMatch {
            id: RecordId::parse(id).unwrap(),
            object: RecordId::parse(id).unwrap().object().api_name().to_owned(),
            name: "Ada Lovelace".to_owned(),
            phone: Some("+14155552671".to_owned()),
            detail: None,
            last_modified: Some(modified.to_owned()),
        }
    }

    const CALLER: Caller<'static> =
        Caller { number: "+14155552671", name: Some("Ada Lovelace"), source: Some("Google Ads"), remembered: None };

    #[test]
    fn one_match_in_lightning_pops_the_record_and_appends_to_it() {
        let contact = record("003000000000001", "2026-11-01T10:00:00.000Z");
        let plan = decide(
            Ui::Lightning,
            &IntegrationOptions::default(),
            Direction::Inbound,
            CALLER,
            Found::Matches(std::slice::from_ref(&contact)),
        );
        assert_eq!(plan.calls, [OpenCtiCall::PopRecord { id: contact.id.clone() }]);
        assert_eq!(plan.activity, ActivityPlan::Append { record: contact.id, reason: ChoiceReason::SingleMatch });
    }

    #[test]
    fn several_matches_are_offered_newest_first() {
        let older = record("00Q000000000001", "2025-01-01T00:00:00.000Z");
        let newer = record("003000000000002", "2026-01-01T00:00:00.000Z");
        let plan = decide(
            Ui::Classic,
            &IntegrationOptions::default(),
            Direction::Inbound,
            CALLER,
            Found::Matches(&[older.clone(), newer.clone()]),
        );
        assert!(plan.calls.is_empty());
        assert_eq!(plan.activity, ActivityPlan::AskAgent { matches: vec![newer, older], remembered: None });
    }

    #[test]
    fn the_record_picked_last_time_is_offered_first() {
        let older = record("00Q000000000001", "2025-01-01T00:00:00.000Z");
        let newer = record("003000000000002", "2026-01-01T00:00:00.000Z");
        let caller = Caller { remembered: Some(&older.id), ..CALLER };
        let plan = decide(
            Ui::Lightning,
            &IntegrationOptions::default(),
            Direction::Inbound,
            caller,
            Found::Matches(&[newer.clone(), older.clone()]),
        );
        assert_eq!(
            plan.activity,
            ActivityPlan::AskAgent { matches: vec![older.clone(), newer], remembered: Some(older.id) }
        );
    }

    #[test]
    fn matches_with_the_same_date_or_none_keep_the_order_they_were_found_in() {
        // Forty: past the length up to which any sort keeps ties in order.
        let found: Vec<RecordMatch> = (0..40)
            .map(|index| {
                let id = format!("003{index:012}");
                match index % 4 {
                    0 => RecordMatch { last_modified: None, ..record(&id, "") },
                    1 => record(&id, "2026-01-01T00:00:00.000Z"),
                    _ => record(&id, "2025-01-01T00:00:00.000Z"),
                }
            })
            .collect();
        let plan =
            decide(Ui::Classic, &IntegrationOptions::default(), Direction::Inbound, CALLER, Found::Matches(&found));
        let ActivityPlan::AskAgent { matches, .. } = plan.activity else { panic!("the agent is asked: {plan:?}") };
        let order: Vec<usize> = matches.iter().map(|found| found.id.as_str()[3..15].parse().unwrap()).collect();
        let in_found_order = |remainder: usize| (0..40).filter(move |index| index % 4 == remainder);
        let expected: Vec<usize> =
            in_found_order(1).chain((0..40).filter(|index| index % 4 >= 2)).chain(in_found_order(0)).collect();
        assert_eq!(order, expected);
    }

    #[test]
    fn classic_auto_create_fills_the_fields_salesforce_requires() {
        let anonymous = Caller { number: "+14155550000", name: None, source: None, remembered: None };
        let plan =
            decide(Ui::Classic, &IntegrationOptions::default(), Direction::Inbound, anonymous, Found::Matches(&[]));
        let expected = vec![
            ("Phone".to_owned(), "+14155550000".to_owned()),
            ("LastName".to_owned(), "Unknown Caller".to_owned()),
            ("Company".to_owned(), "[not provided]".to_owned()),
        ];
        assert_eq!(plan.calls, [OpenCtiCall::CreateRecord { entity: "Lead".to_owned(), fields: expected }]);
        assert_eq!(plan.activity, ActivityPlan::AfterCreate);
    }

    #[test]
    fn classic_new_lead_form_carries_the_callers_details() {
        let options = IntegrationOptions { auto_create_classic: false, ..IntegrationOptions::default() };
        let plan = decide(Ui::Classic, &options, Direction::Inbound, CALLER, Found::Matches(&[]));
        let url = "/00Q/e?lea8=%2B14155552671&name_firstlea2=Ada&name_lastlea2=Lovelace&lea5=Google%20Ads";
        assert_eq!(plan.calls, [OpenCtiCall::PopUrl { url: url.to_owned() }]);
        assert_eq!(plan.activity, ActivityPlan::AfterSave);
    }

    #[test]
    fn outbound_calls_never_pop() {
        let contact = record("003000000000001", "2026-11-01T10:00:00.000Z");
        for ui in [Ui::Lightning, Ui::Classic] {
            let plan = decide(
                ui,
                &IntegrationOptions::default(),
                Direction::Outbound,
                CALLER,
                Found::Matches(std::slice::from_ref(&contact)),
            );
            assert!(plan.calls.is_empty(), "{ui:?}");
        }
    }
}
