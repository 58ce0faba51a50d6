//! After a call: the agent's status, after-call work, the account's disposition list, and how the agent's notes and
//! disposition join the call's Task.
//!
//! - **Status.** An agent chooses a status (`AgentStatus`); what the telephony side reads is the *effective* status,
//!   `effective_status`, a pure function of that choice, the agent's answered calls, the account's wrap-up seconds
//!   and the time. A live answered call makes the agent busy; the end of one puts them in after-call work for the
//!   account's seconds, until they click Done or choose a status themselves. Offline is never overridden: an
//!   agent who signed off is not offered calls because a call of theirs ended.
//! - **Dispositions.** The administrator keeps a list (`validate_dispositions`): each value 1 to 255 characters
//!   after trimming, unique ignoring case (Salesforce's picklists are), at most `MAX_DISPOSITIONS`. An org whose
//!   `CallDisposition` lacks a value still gets it: the field is text.
//! - **The Task.** `with_agent_wrap_up` lays the agent's notes and disposition over the Task fields callpop writes
//!   from the telephony side's facts: the notes come first in `Description`, then a blank line, then the facts
//!   (tracking source, campaign, keywords, tags, recording); the agent's disposition replaces the telephony side's,
//!   because the agent heard the call; a disposition the agent cleared gives way to the telephony side's, or
//!   clears the field (`agent_task_update`). Every write of the call's Task (its creation, later events, the agent's own
//!   saves) goes through it, so no later event undoes what the agent wrote.

use crate::legacy::FieldValue;

/// How many dispositions an account may keep.
pub const MAX_DISPOSITIONS: usize = 100;
/// The longest disposition, in characters (`Task.CallDisposition` is 255).
pub const MAX_DISPOSITION_CHARS: usize = 255;
/// The longest after-call work an administrator may set, in seconds (one hour).
pub const MAX_WRAP_UP_SECS: u32 = 3600;
/// The after-call work of an account whose administrator never set it, in seconds.
pub const DEFAULT_WRAP_UP_SECS: u32 = 60;
/// The longest notes an agent may save for a call, in bytes of UTF-8 (32 KB).
pub const MAX_NOTES_BYTES: usize = 32 * 1024;
/// `Task.Description`'s length, in characters.
const DESCRIPTION_MAX: usize = 32_000;

pub use crate::agent_status::AgentStatus;

/// What the effective status is computed from. Times are Unix milliseconds: the calls' ends as the telephony side
/// reported them, the rest from the server's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusInput {
    /// The status the agent chose, and when (an agent who never chose is available since the epoch).
    pub chosen: AgentStatus,
    pub chosen_at: i64,
    /// When the agent last clicked Done on after-call work.
    pub done_at: Option<i64>,
    /// Whether a call the agent answered is still live.
    pub on_call: bool,
    /// When the latest call the agent answered ended.
    pub last_call_ended_at: Option<i64>,
    /// The account's after-call work, in seconds (0: none).
    pub wrap_up_secs: u32,
    pub now: i64,
}

/// The status the telephony side reads, and, in after-call work, when it ends (Unix milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EffectiveStatus {
    pub status: AgentStatus,
    pub until: Option<i64>,
}

/// The agent's effective status (see the module's rules).
pub fn effective_status(input: StatusInput) -> EffectiveStatus {
    let plain = |status| EffectiveStatus { status, until: None };
    if input.chosen == AgentStatus::Offline {
        return plain(AgentStatus::Offline);
    }
    if input.on_call {
        return plain(AgentStatus::Busy);
    }
    if let Some(ended) = input.last_call_ended_at {
        let until = ended + i64::from(input.wrap_up_secs) * 1000;
        let acted_since = input.chosen_at > ended || input.done_at.is_some_and(|done| done >= ended);
        if input.wrap_up_secs > 0 && !acted_since && input.now < until {
            return EffectiveStatus { status: AgentStatus::AfterCallWork, until: Some(until) };
        }
    }
    plain(input.chosen)
}

/// Whether a call the agent answered, which ended at `ended_at` (Unix milliseconds), is still in their after-call
/// work. A softphone that (re)loads gets such calls back from the server (`CallUpdate::after_call_work`), so the
/// agent finds the ended call's card with its notes, disposition, countdown and Done, as before the reload.
///
/// It is `effective_status`'s rule for that one call, whatever the agent does now:
/// - each such call comes back, not only the latest: two calls that ended within the account's seconds both
///   wait for Done, and one comes back even while the agent is on a newer call;
/// - for as long as after-call work lasts: less than the account's seconds since the call ended (none when the
///   account has no after-call work). Later the agent is available again and a reload shows no card; the notes
///   they saved are on the call's Task, and the call is in the Recent list;
/// - until the agent acts after the call ended: Done (the server keeps one per agent, so Done on a later call
///   ends an earlier one's too) or a status they choose; and never for an offline agent.
///
/// Which softphone shows it is the adapter's rule: the one that had the call (`adapter::Resume`), or any for a
/// call the agent dialled.
pub fn after_call_work_covers(ended_at: i64, input: StatusInput) -> bool {
    let for_this_call = StatusInput { on_call: false, last_call_ended_at: Some(ended_at), ..input };
    effective_status(for_this_call).until.is_some()
}

/// What is wrong with a disposition list; `index` is the value's position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DispositionError {
    #[error("at most {MAX_DISPOSITIONS} dispositions")]
    TooMany,
    #[error("disposition {index} is empty")]
    Empty { index: usize },
    #[error("disposition {index} is longer than {MAX_DISPOSITION_CHARS} characters")]
    TooLong { index: usize },
    #[error("disposition {index} repeats an earlier one")]
    Repeated { index: usize },
}

/// Checks an administrator's disposition list; returns it trimmed, in the administrator's order.
pub fn validate_dispositions(values: &[String]) -> Result<Vec<String>, DispositionError> {
    if values.len() > MAX_DISPOSITIONS {
        return Err(DispositionError::TooMany);
    }
    let mut kept: Vec<String> = Vec::with_capacity(values.len());
    for (index, value) in values.iter().enumerate() {
        let value = value.trim();
        if value.is_empty() {
            return Err(DispositionError::Empty { index });
        }
        if value.chars().count() > MAX_DISPOSITION_CHARS {
            return Err(DispositionError::TooLong { index });
        }
        if kept.iter().any(|earlier| earlier.to_lowercase() == value.to_lowercase()) {
            return Err(DispositionError::Repeated { index });
        }
        kept.push(value.to_owned());
    }
    Ok(kept)
}

/// Whether after-call work of `secs` seconds is one an administrator may set.
pub fn wrap_up_secs_allowed(secs: u32) -> bool {
    secs <= MAX_WRAP_UP_SECS
}

/// What the agent wrote for a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AgentWrapUp<'a> {
    pub notes: &'a str,
    pub disposition: Option<&'a str>,
}

/// The disposition a call carries where it is written whole (a Salesforce Voice VoiceCall): the agent's, trimmed
/// and cut to [`MAX_DISPOSITION_CHARS`], or else the telephony side's; none when both are missing or blank. The same
/// rule as the Task's `CallDisposition` after the agent's save (`agent_task_update`).
pub fn call_disposition(agent: Option<&str>, telephony: Option<&str>) -> Option<String> {
    [agent, telephony]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|value| !value.is_empty())
        .map(|value| value.chars().take(MAX_DISPOSITION_CHARS).collect())
}

/// Whether the fields are a whole Task (a create, or the agent's own save) or an update of some of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fields {
    /// Every field callpop writes: a missing `CallDisposition` is added when the agent chose one.
    Whole,
    /// Only the fields an event changes: the agent's values replace those present, nothing is added.
    Changed,
}

/// Lays the agent's notes and disposition over Task fields written from the telephony side's facts.
pub fn with_agent_wrap_up(
    mut fields: Vec<(&'static str, FieldValue)>,
    agent: AgentWrapUp<'_>,
    which: Fields,
) -> Vec<(&'static str, FieldValue)> {
    let notes = agent.notes.trim();
    let disposition = agent.disposition.map(str::trim).filter(|value| !value.is_empty());
    for (name, value) in &mut fields {
        match (*name, &value) {
            ("Description", FieldValue::Text(facts)) if !notes.is_empty() => {
                let joined = if facts.is_empty() { notes.to_owned() } else { format!("{notes}\n\n{facts}") };
                *value = FieldValue::Text(joined.chars().take(DESCRIPTION_MAX).collect());
            }
            ("CallDisposition", _) => {
                if let Some(disposition) = disposition {
                    *value = FieldValue::Text(disposition.chars().take(MAX_DISPOSITION_CHARS).collect());
                }
            }
            _ => {}
        }
    }
    let missing = which == Fields::Whole && !fields.iter().any(|(name, _)| *name == "CallDisposition");
    if let Some(disposition) = disposition.filter(|_| missing) {
        fields.push(("CallDisposition", FieldValue::Text(disposition.chars().take(MAX_DISPOSITION_CHARS).collect())));
    }
    fields
}

/// The Task fields an agent's save changes: `Description` and `CallDisposition` from the whole Task's fields
/// (`task_fields` of the call's facts), with the agent's values laid over them. A disposition the agent cleared
/// gives way to the telephony side's; when there is none the field is cleared, so an agent who clears a wrong
/// disposition no longer sees it on the Task (even one a Salesforce user typed there: the agent's save decides).
pub fn agent_task_update(
    task_fields: Vec<(&'static str, FieldValue)>,
    agent: AgentWrapUp<'_>,
) -> Vec<(&'static str, FieldValue)> {
    let mut changes: Vec<_> = with_agent_wrap_up(task_fields, agent, Fields::Whole)
        .into_iter()
        .filter(|(name, _)| matches!(*name, "Description" | "CallDisposition"))
        .collect();
    if !changes.iter().any(|(name, _)| *name == "CallDisposition") {
        changes.push(("CallDisposition", FieldValue::Cleared));
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use AgentStatus::*;

    #[test]
    fn a_calls_disposition_is_the_agents_else_the_telephony_sides_and_never_blank() {
        assert_eq!(call_disposition(Some(" Sale "), Some("Quote sent")).as_deref(), Some("Sale"));
        assert_eq!(call_disposition(Some("  "), Some("Quote sent")).as_deref(), Some("Quote sent"));
        assert_eq!(call_disposition(None, Some("Quote sent")).as_deref(), Some("Quote sent"));
        assert_eq!(call_disposition(None, Some(" ")), None);
        assert_eq!(call_disposition(None, None), None);
        let long = "x".repeat(MAX_DISPOSITION_CHARS + 5);
        assert_eq!(call_disposition(Some(&long), None).map(|value| value.chars().count()), Some(MAX_DISPOSITION_CHARS));
    }

    /// One row of the after-call work table: chosen, chosen at, done at, on a call, last call ended, seconds, now →
    /// status, until.
    type Row = (AgentStatus, i64, Option<i64>, bool, Option<i64>, u32, i64, AgentStatus, Option<i64>);

    const TABLE: &[Row] = &[
        // Never on a call: what the agent chose.
        (Available, 0, None, false, None, 60, 1_000, Available, None),
        (Busy, 0, None, false, None, 60, 1_000, Busy, None),
        // On a call: busy, whatever was chosen, except offline.
        (Available, 0, None, true, None, 60, 1_000, Busy, None),
        (Offline, 0, None, true, None, 60, 1_000, Offline, None),
        // The call ended 10 s ago: after-call work until its end plus the account's seconds.
        (Available, 0, None, false, Some(990), 60, 1_000, AfterCallWork, Some(1_050)),
        (Busy, 0, None, false, Some(990), 60, 1_000, AfterCallWork, Some(1_050)),
        // The seconds ran out: back to what was chosen.
        (Available, 0, None, false, Some(900), 60, 960, Available, None),
        (Available, 0, None, false, Some(900), 60, 959, AfterCallWork, Some(960)),
        // Done clicked after the call ended: over. Done clicked for an earlier call: still in after-call work.
        (Available, 0, Some(995), false, Some(990), 60, 1_000, Available, None),
        (Available, 0, Some(500), false, Some(990), 60, 1_000, AfterCallWork, Some(1_050)),
        // A status chosen after the call ended ends after-call work too; one chosen as it ended does not.
        (Busy, 995, None, false, Some(990), 60, 1_000, Busy, None),
        (Busy, 990, None, false, Some(990), 60, 1_000, AfterCallWork, Some(1_050)),
        // No after-call work set: none.
        (Available, 0, None, false, Some(990), 0, 1_000, Available, None),
        // Offline stays offline after a call.
        (Offline, 0, None, false, Some(990), 60, 1_000, Offline, None),
        // After-call work chosen by hand lasts until the agent changes it.
        (AfterCallWork, 0, None, false, None, 60, 1_000, AfterCallWork, None),
    ];

    #[test]
    fn after_call_work_follows_the_table() {
        for (row, &(chosen, chosen_at, done_at, on_call, ended, secs, now, status, until)) in TABLE.iter().enumerate() {
            // The table is in seconds, for reading; the rule takes milliseconds.
            let ms = |secs: i64| secs * 1000;
            let input = StatusInput {
                chosen,
                chosen_at: ms(chosen_at),
                done_at: done_at.map(ms),
                on_call,
                last_call_ended_at: ended.map(ms),
                wrap_up_secs: secs,
                now: ms(now),
            };
            let expected = EffectiveStatus { status, until: until.map(ms) };
            assert_eq!(effective_status(input), expected, "row {row}: {input:?}");
        }
    }

    #[test]
    fn an_ended_call_comes_back_after_a_reload_while_its_after_call_work_lasts() {
        let input = |chosen, chosen_at, done_at, on_call, now| StatusInput {
            chosen,
            chosen_at,
            done_at,
            on_call,
            last_call_ended_at: Some(990_000),
            wrap_up_secs: 60,
            now,
        };
        // Ended 10 s ago, 60 s of after-call work: it comes back, even while the agent is on a newer call.
        assert!(after_call_work_covers(990_000, input(Available, 0, None, false, 1_000_000)));
        assert!(after_call_work_covers(990_000, input(Busy, 0, None, true, 1_000_000)));
        // An earlier call that ended within the seconds too.
        assert!(after_call_work_covers(960_000, input(Available, 0, None, false, 1_000_000)));
        // Not once the seconds ran out, nor after Done or a status chosen since it ended, nor for an offline agent.
        assert!(!after_call_work_covers(900_000, input(Available, 0, None, false, 1_000_000)));
        assert!(!after_call_work_covers(990_000, input(Available, 0, Some(995_000), false, 1_000_000)));
        assert!(!after_call_work_covers(990_000, input(Busy, 995_000, None, false, 1_000_000)));
        assert!(!after_call_work_covers(990_000, input(Offline, 0, None, false, 1_000_000)));
        // Done for an earlier call leaves this one's after-call work running.
        assert!(after_call_work_covers(990_000, input(Available, 0, Some(500_000), false, 1_000_000)));
        // No after-call work set: nothing comes back.
        let none = StatusInput { wrap_up_secs: 0, ..input(Available, 0, None, false, 1_000_000) };
        assert!(!after_call_work_covers(990_000, none));
    }

    #[test]
    fn statuses_round_trip_their_wire_names() {
        for status in AgentStatus::ALL {
            assert_eq!(AgentStatus::parse(status.as_str()), Some(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
        assert_eq!(AgentStatus::parse("away"), None);
    }

    #[test]
    fn dispositions_are_trimmed_unique_and_bounded() {
        let list = |values: &[&str]| values.iter().map(|value| (*value).to_owned()).collect::<Vec<_>>();
        assert_eq!(validate_dispositions(&list(&[" Sale ", "Voicemail"])), Ok(list(&["Sale", "Voicemail"])));
        assert_eq!(validate_dispositions(&[]), Ok(Vec::new()));
        assert_eq!(validate_dispositions(&list(&["Sale", "  "])), Err(DispositionError::Empty { index: 1 }));
        assert_eq!(validate_dispositions(&list(&["Sale", "sale"])), Err(DispositionError::Repeated { index: 1 }));
        assert_eq!(validate_dispositions(&["é".repeat(255)]).map(|kept| kept.len()), Ok(1));
        assert_eq!(validate_dispositions(&["é".repeat(256)]), Err(DispositionError::TooLong { index: 0 }));
        let many: Vec<String> = (0..=MAX_DISPOSITIONS).map(|index| format!("Value {index}")).collect();
        assert_eq!(validate_dispositions(&many), Err(DispositionError::TooMany));
        assert!(validate_dispositions(&many[..MAX_DISPOSITIONS]).is_ok());
    }

    #[test]
    fn wrap_up_seconds_are_bounded() {
        assert!(wrap_up_secs_allowed(0));
        assert!(wrap_up_secs_allowed(MAX_WRAP_UP_SECS));
        assert!(!wrap_up_secs_allowed(MAX_WRAP_UP_SECS + 1));
    }

    fn text(value: &str) -> FieldValue {
        FieldValue::Text(value.to_owned())
    }

    #[test]
    fn the_agents_notes_come_before_the_facts_and_their_disposition_wins() {
        let facts = vec![("Subject", text("Inbound call")), ("Description", text("Tracking source: Google"))];
        let agent = AgentWrapUp { notes: " Wants a quote. ", disposition: Some("Sale") };
        let whole = with_agent_wrap_up(facts.clone(), agent, Fields::Whole);
        assert_eq!(
            whole,
            vec![
                ("Subject", text("Inbound call")),
                ("Description", text("Wants a quote.\n\nTracking source: Google")),
                ("CallDisposition", text("Sale")),
            ]
        );
        // An update that does not change the disposition does not gain one.
        let changed = with_agent_wrap_up(vec![("Status", text("Completed"))], agent, Fields::Changed);
        assert_eq!(changed, vec![("Status", text("Completed"))]);
        // The telephony side's disposition gives way to the agent's.
        let ended = vec![("CallDisposition", text("ANSWERED"))];
        assert_eq!(with_agent_wrap_up(ended.clone(), agent, Fields::Changed), vec![("CallDisposition", text("Sale"))]);
        // Without the agent's values the facts stay as they are.
        assert_eq!(with_agent_wrap_up(ended.clone(), AgentWrapUp::default(), Fields::Whole), ended);
        let only_notes = with_agent_wrap_up(vec![("Description", text(""))], agent, Fields::Changed);
        assert_eq!(only_notes, vec![("Description", text("Wants a quote."))]);
    }

    #[test]
    fn the_agents_save_changes_only_the_description_and_the_disposition() {
        let facts = vec![
            ("Subject", text("Inbound call")),
            ("Description", text("Campaign: Spring")),
            ("Status", text("Completed")),
        ];
        let agent = AgentWrapUp { notes: "Call back Monday", disposition: Some("Callback") };
        assert_eq!(
            agent_task_update(facts.clone(), agent),
            vec![("Description", text("Call back Monday\n\nCampaign: Spring")), ("CallDisposition", text("Callback"))]
        );
        let cleared = AgentWrapUp { notes: "", disposition: None };
        assert_eq!(
            agent_task_update(facts, cleared),
            vec![("Description", text("Campaign: Spring")), ("CallDisposition", FieldValue::Cleared)]
        );
    }

    /// One row of the disposition table: the telephony side's, the agent's → the Task's `CallDisposition`.
    type DispositionRow = (Option<&'static str>, Option<&'static str>, FieldValue);

    #[test]
    fn the_tasks_disposition_follows_the_table() {
        let table: &[DispositionRow] = &[
            // The agent's disposition wins over the telephony side's, or stands alone.
            (Some("ANSWERED"), Some("Sale"), text("Sale")),
            (None, Some("Sale"), text("Sale")),
            // Cleared (or only blanks): the telephony side's, else none at all.
            (Some("ANSWERED"), None, text("ANSWERED")),
            (Some("ANSWERED"), Some("  "), text("ANSWERED")),
            (None, None, FieldValue::Cleared),
            (None, Some(" "), FieldValue::Cleared),
        ];
        for (row, (telephony, agent, expected)) in table.iter().enumerate() {
            let mut facts = vec![("Description", text("Campaign: Spring"))];
            if let Some(telephony) = telephony {
                facts.push(("CallDisposition", text(telephony)));
            }
            let changes = agent_task_update(facts, AgentWrapUp { notes: "Notes", disposition: *agent });
            let disposition = changes.iter().find(|(name, _)| *name == "CallDisposition").map(|(_, value)| value);
            assert_eq!(disposition, Some(expected), "row {row}: {telephony:?}, {agent:?}");
        }
    }

    #[test]
    fn a_long_description_is_cut_at_salesforces_limit() {
        let notes = "n".repeat(MAX_NOTES_BYTES);
        let fields = vec![("Description", text("Tracking source: Google"))];
        let joined = with_agent_wrap_up(fields, AgentWrapUp { notes: &notes, disposition: None }, Fields::Whole);
        assert_eq!(joined, vec![("Description", FieldValue::Text("n".repeat(DESCRIPTION_MAX)))]);
    }
}
