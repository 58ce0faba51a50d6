//! The agent's recent calls and texts, as the softphone's Recent list shows them.
//!
//! The server answers `GET /api/v1/agent/history` with `wire::HistoryEntry` rows, newest first; this module decides
//! what each row says, which rows are missed calls, and what clicking one does: pop the record the call or text was
//! logged to again, or call a missed caller back. The shell only draws `HistoryItem`s and carries out the
//! `HistoryAction` a click names.

use crate::call::{CallState, Direction};
use crate::open_cti::{OpenCtiCall, Ui};
use crate::record::RecordId;
use crate::wire::{HistoryEntry, HistoryKind};

/// How many entries the Recent list shows. The server answers with at most this many.
pub const HISTORY_LIMIT: usize = 50;

/// What a click on a Recent entry does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryAction {
    /// Show the record the call or text was logged to again.
    Pop(OpenCtiCall),
    /// Call the number (E.164) back, logging the new call to the same record when there is one: what clicking a
    /// number in Salesforce does (`adapter::Event::ClickToDial`).
    CallBack { number: String, record: Option<RecordId> },
}

/// One row of the Recent list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryItem {
    /// The call's or the text's id, unique within its kind.
    pub key: String,
    /// The caller's name when caller ID gave one, else the number.
    pub title: String,
    /// What happened, in two or three words: "Missed call", "Outbound call", "Text received".
    pub summary: &'static str,
    /// When, RFC 3339; the shell writes it in the agent's own time.
    pub at: String,
    /// The object of the record it was logged to ("Contact", "Lead"), shown as "Logged to Contact".
    pub logged_to: Option<String>,
    /// A call nobody answered: marked, and offered a call back.
    pub missed: bool,
    /// What clicking the row does: pop the record again, when there is one.
    pub open: Option<HistoryAction>,
    /// The "Call back" button of a missed call.
    pub call_back: Option<HistoryAction>,
}

/// Whether a call was missed: an inbound call that ended without anyone answering it.
pub fn is_missed(entry: &HistoryEntry) -> bool {
    entry.kind == HistoryKind::Call
        && entry.direction == Direction::Inbound
        && entry.state == Some(CallState::Completed)
        && !entry.answered
}

/// The words for what an entry was.
fn summary(entry: &HistoryEntry) -> &'static str {
    match (entry.kind, entry.direction) {
        (HistoryKind::Call, _) if is_missed(entry) => "Missed call",
        (HistoryKind::Call, Direction::Inbound) => "Inbound call",
        (HistoryKind::Call, Direction::Outbound) if !entry.answered => "Outbound call, not answered",
        (HistoryKind::Call, Direction::Outbound) => "Outbound call",
        (HistoryKind::Text, Direction::Inbound) => "Text received",
        (HistoryKind::Text, Direction::Outbound) => "Text sent",
    }
}

/// Shows a record again, as the agent would open it: its view page in either UI (not the edit page a new call's
/// pop may open, since the call is over).
pub fn view_record(ui: Ui, record: &RecordId) -> OpenCtiCall {
    match ui {
        Ui::Lightning => OpenCtiCall::PopRecord { id: record.clone() },
        Ui::Classic => OpenCtiCall::PopUrl { url: format!("/{}", record.short()) },
    }
}

/// The rows of the Recent list, in the server's order (newest first). A record id the server sent that is not a
/// Salesforce id is shown as not logged rather than popped.
pub fn items(ui: Ui, entries: &[HistoryEntry]) -> Vec<HistoryItem> {
    entries
        .iter()
        .take(HISTORY_LIMIT)
        .map(|entry| {
            let record = entry.record.as_ref().and_then(|record| RecordId::parse(&record.id).ok());
            let missed = is_missed(entry);
            HistoryItem {
                key: format!("{}:{}", entry.kind.as_str(), entry.id),
                title: entry
                    .name
                    .clone()
                    .filter(|name| !name.trim().is_empty())
                    .unwrap_or_else(|| entry.number.clone()),
                summary: summary(entry),
                at: entry.at.clone(),
                logged_to: record.as_ref().map(|id| id.object().api_name().to_owned()),
                missed,
                open: record.as_ref().map(|id| HistoryAction::Pop(view_record(ui, id))),
                call_back: missed
                    .then(|| HistoryAction::CallBack { number: entry.number_e164.clone(), record: record.clone() }),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::RecordRef;

    const CONTACT: &str = "003000000000001AAA";

    fn entry(kind: HistoryKind, direction: Direction, state: Option<CallState>, answered: bool) -> HistoryEntry {
        HistoryEntry {
            kind,
            id: "c1".to_owned(),
            direction,
            number: "(415) 555-2671".to_owned(),
            number_e164: "+14155552671".to_owned(),
            name: None,
            at: "2026-12-07T10:42:00Z".to_owned(),
            state,
            answered,
            record: None,
        }
    }

    /// Every kind of entry, with what the Recent list says about it and what it offers.
    #[test]
    fn each_kind_of_entry_reads_as_the_agent_expects() {
        use CallState::{Answered, Completed};
        use Direction::{Inbound, Outbound};
        use HistoryKind::{Call, Text};
        let table = [
            (entry(Call, Inbound, Some(Completed), false), "Missed call", true),
            (entry(Call, Inbound, Some(Completed), true), "Inbound call", false),
            // Still ringing or in progress: not missed (yet).
            (entry(Call, Inbound, Some(Answered), true), "Inbound call", false),
            (entry(Call, Inbound, Some(CallState::Ringing), false), "Inbound call", false),
            (entry(Call, Outbound, Some(Completed), false), "Outbound call, not answered", false),
            (entry(Call, Outbound, Some(Completed), true), "Outbound call", false),
            (entry(Text, Inbound, None, false), "Text received", false),
            (entry(Text, Outbound, None, false), "Text sent", false),
        ];
        for (entry, summary, missed) in table {
            let item = &items(Ui::Lightning, std::slice::from_ref(&entry))[0];
            assert_eq!((item.summary, item.missed), (summary, missed), "{entry:?}");
            assert_eq!(item.call_back.is_some(), missed, "only a missed call is offered a call back: {entry:?}");
        }
    }

    #[test]
    fn a_logged_entry_pops_its_record_again_in_either_ui() {
        let mut logged = entry(HistoryKind::Call, Direction::Inbound, Some(CallState::Completed), true);
        logged.record = Some(RecordRef { id: CONTACT.to_owned(), object: "Contact".to_owned(), created: false });
        let contact = RecordId::parse(CONTACT).unwrap();
        let lightning = &items(Ui::Lightning, std::slice::from_ref(&logged))[0];
        assert_eq!(lightning.logged_to.as_deref(), Some("Contact"));
        assert_eq!(lightning.open, Some(HistoryAction::Pop(OpenCtiCall::PopRecord { id: contact.clone() })));
        let classic = &items(Ui::Classic, std::slice::from_ref(&logged))[0];
        assert_eq!(
            classic.open,
            Some(HistoryAction::Pop(OpenCtiCall::PopUrl { url: format!("/{}", contact.short()) }))
        );
    }

    #[test]
    fn a_missed_call_is_called_back_on_its_number_and_logged_to_its_record() {
        let mut missed = entry(HistoryKind::Call, Direction::Inbound, Some(CallState::Completed), false);
        missed.name = Some("Ada Lovelace".to_owned());
        missed.record = Some(RecordRef { id: CONTACT.to_owned(), object: "Contact".to_owned(), created: false });
        let item = &items(Ui::Lightning, &[missed])[0];
        assert_eq!(item.title, "Ada Lovelace");
        assert_eq!(
            item.call_back,
            Some(HistoryAction::CallBack {
                number: "+14155552671".to_owned(),
                record: Some(RecordId::parse(CONTACT).unwrap()),
            })
        );
    }

    #[test]
    fn an_entry_without_a_valid_record_is_shown_unlogged_and_titled_by_its_number() {
        let mut odd = entry(HistoryKind::Text, Direction::Inbound, None, false);
        odd.name = Some("  ".to_owned());
        odd.record = Some(RecordRef { id: "not-an-id".to_owned(), object: "Contact".to_owned(), created: false });
        let item = &items(Ui::Classic, &[odd])[0];
        assert_eq!(
            (item.title.as_str(), item.logged_to.as_deref(), item.open.as_ref()),
            ("(415) 555-2671", None, None)
        );
    }

    #[test]
    fn the_list_keeps_at_most_its_limit() {
        let many = vec![entry(HistoryKind::Text, Direction::Inbound, None, false); HISTORY_LIMIT + 5];
        assert_eq!(items(Ui::Lightning, &many).len(), HISTORY_LIMIT);
    }
}
