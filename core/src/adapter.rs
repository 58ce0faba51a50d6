//! The softphone's logic as a state machine, generic over the browser so native tests drive it.
//!
//! The Wasm shell turns everything that happens (a stream message, a click, an Open CTI callback) into an `Event`,
//! hands it to `Adapter::handle`, and carries out what the adapter asks of its `Host`: Open CTI calls, requests to
//! the callpop server, and what changed in the softphone (`ViewChange`) to draw. Sans-I/O, after str0m: no DOM, no
//! fetch, no clock here.

use crate::call::{CallState, Direction};
use crate::control::{CommandKind, ControlsView, card_controls};
use crate::open_cti::{OpenCtiCall, Ui};
use crate::record::{RecordId, RecordMatch, SObjectType};
use crate::screen_pop::{self, ActivityPlan, Caller, Found};
use crate::wire::{ActivityAppend, CallUpdate, ChoiceReason, CommandRequest, DialRequest, SavedWrapUp};

/// What the adapter needs from the browser. `callpop-adapter` implements it over Open CTI, `fetch` and the DOM.
pub trait Host {
    /// Makes one Open CTI call on behalf of `call_id` (empty for calls about no phone call); its result comes back
    /// as an `Event` naming that call.
    fn open_cti(&mut self, call_id: &str, call: OpenCtiCall);
    /// Sends one request to the callpop server; its result comes back as an `Event` where one is expected.
    fn send(&mut self, request: ToServer);
    /// Draws what changed in the softphone since the last call (the first one brings every call).
    fn render(&mut self, change: &ViewChange);
}

/// A request to the callpop server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToServer {
    /// Ask to be the one softphone of this agent that pops the call; answered by `Event::PopClaimed`.
    ClaimPop { call_id: String },
    /// Append the call's activity to a record (idempotent on the server).
    AppendActivity(ActivityAppend),
    /// Place an outbound call (click-to-dial); a failure comes back as `Event::DialFailed`.
    Dial(DialRequest),
    /// A call control for the telephony side; a refusal comes back as `Event::CommandRefused`.
    CallCommand { call_id: String, command: CommandRequest },
}

/// The state of the connection to the agent's event stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Live,
    /// The stream dropped; the shell is reconnecting and will receive what it missed.
    Reconnecting,
}

/// Something that happened, as the shell observed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Connection(Connection),
    /// The event stream delivered a call's latest state (boxed: it is by far the largest event).
    CallUpdated(Box<CallUpdate>),
    /// The agent pressed Answer on a ringing call.
    AnswerClicked {
        call_id: String,
    },
    /// The server answered the pop claim.
    PopClaimed {
        call_id: String,
        claimed: bool,
    },
    /// The Open CTI search for the call's number returned these records.
    SearchCompleted {
        call_id: String,
        matches: Vec<RecordMatch>,
    },
    /// An Open CTI call made for this call failed.
    OpenCtiFailed {
        call_id: String,
        message: String,
    },
    /// `saveLog` created this record for the call (Classic auto-create).
    RecordCreated {
        call_id: String,
        record: RecordId,
    },
    /// Salesforce navigated to a record (`onNavigationChange` in Lightning, `onFocus` in Classic).
    NavigatedTo {
        record: RecordId,
    },
    /// The agent picked a record in the multi-match dialog.
    DialogPicked {
        call_id: String,
        record: RecordId,
    },
    /// The agent closed the multi-match dialog without picking.
    DialogDismissed {
        call_id: String,
    },
    /// The agent clicked a number in Salesforce (`onClickToDial`), on a record page or a list.
    ClickToDial {
        number: String,
        record: Option<RecordId>,
    },
    /// The server could not place the outbound call.
    DialFailed {
        message: String,
    },
    /// The agent pressed a call control (Hang up, Hold, Mute, Transfer, a digit).
    ControlClicked {
        call_id: String,
        command: CommandRequest,
    },
    /// The server refused a call control (not allowed in the call's confirmed state, or unreachable).
    CommandRefused {
        call_id: String,
        message: String,
    },
    /// The agent clicked Done on the call's wrap-up: an ended call's card leaves the panel.
    WrapUpDone {
        call_id: String,
    },
}

/// Where the softphone is with one call.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// Ringing or live, not answered in this softphone.
    Waiting,
    /// Answer pressed; waiting for the Open CTI search.
    Searching,
    /// A pre-filled new-record form is open; waiting for the agent to save it.
    AwaitingSave,
    /// `saveLog` is creating the Lead.
    AwaitingCreate,
    /// The multi-match dialog is open.
    Choosing { matches: Vec<RecordMatch>, remembered: Option<RecordId> },
    /// Popped; `logged_to` names the record that got the activity when the softphone chose it.
    Popped { logged_to: Option<String> },
    /// Another softphone popped it: another tab of this agent's, or another agent's (`CallUpdate::popped_by_other_agent`).
    HandledElsewhere,
    /// Something failed; the message says what.
    Failed(String),
}

/// The softphone's Open CTI search for a call's caller.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Search {
    NotAsked,
    UnderWay,
    /// What it found: the pop is decided from it, and the record the activity goes to is named from it.
    Done(Vec<RecordMatch>),
}

/// Something this softphone would write for a call it has not been confirmed to pop yet.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Held {
    /// An Open CTI call that writes to Salesforce (`saveLog` creating the caller's Lead).
    OpenCti(OpenCtiCall),
    /// A request to the server (the activity append).
    Send(ToServer),
}

/// The server's word on whether this softphone pops a call. Answer pops at once; what the pop writes waits for it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Claim {
    /// Not answered here.
    NotAsked,
    /// Asked; the writes of the pop wait here, in order, and are made only if the claim is granted.
    Pending(Vec<Held>),
    Granted,
}

#[derive(Debug, Clone)]
struct TrackedCall {
    update: CallUpdate,
    phase: Phase,
    search: Search,
    claim: Claim,
    /// The card as last handed to the host, so a change that leaves it as it was redraws nothing.
    drawn: Option<CallCard>,
    /// A call control this softphone sent that the stream has not shown yet, and the server's last refusal.
    sending: Option<CommandKind>,
    refused: Option<String>,
    /// The agent clicked Done on the call's wrap-up.
    wrapped_up: bool,
    /// The notes and disposition the server held when this softphone first saw the call (after a reload).
    saved_wrap_up: Option<SavedWrapUp>,
}

impl TrackedCall {
    /// What the softphone's search found for this call, to name the record its activity goes to.
    fn found(&self) -> &[RecordMatch] {
        match &self.search {
            Search::Done(matches) => matches,
            Search::NotAsked | Search::UnderWay => &[],
        }
    }
}

/// How far this softphone got with a call it popped. The shell keeps it in the tab's storage and hands it back after
/// a reload (`Adapter::resume`), so the call resumes in this softphone instead of showing as another one's.
///
/// A call that ended while its card waited for Done comes back too, with the notes and disposition the server
/// holds, for as long as the server says it is in the agent's after-call work (`CallUpdate::after_call_work`,
/// decided by `wrap_up::after_call_work_covers`): in the softphone that popped it (this resume), or in any for a
/// call the agent dialled. Other tabs of the agent's get nothing for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resume {
    /// Popped; the activity went to `logged_to` (none when the server decides).
    InCall { logged_to: Option<String> },
    /// The pop was under way (the search, the dialog, a new-record form waiting for its save): it is done again,
    /// so the search finds the Lead the agent saved meanwhile, or the form opens again.
    PopAgain,
}

/// The utility bar item's label when no call waits, and while one does (Lightning only).
const IDLE_LABEL: &str = "Phone";
const RINGING_LABEL: &str = "Incoming call";

/// The softphone's state: the calls it knows and where each one is.
#[derive(Debug)]
pub struct Adapter<H> {
    host: H,
    ui: Ui,
    connection: Connection,
    calls: Vec<TrackedCall>,
    /// The utility bar item's label as last set.
    item_label: &'static str,
    /// A message about something that is not one call's (a dial that failed).
    notice: Option<String>,
    /// The calls this softphone had popped before a reload, by call id.
    resumable: Vec<(String, Resume)>,
    /// The calls whose card changed (or that left the panel) while handling the current event.
    dirty: Vec<String>,
    /// What a reload would resume, as last handed to the host (`None` before the first change).
    drawn_resume: Option<Vec<(String, Resume)>>,
}

/// How a call card looks: what the agent's attention is needed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Ringing and waiting for the agent.
    Ringing,
    /// In progress.
    Active,
    /// The agent must do something in Salesforce: choose a record, complete a form.
    NeedsAgent,
    /// Handled elsewhere, or over.
    Quiet,
    /// Something failed.
    Problem,
}

/// One call as the softphone shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallCard {
    pub call_id: String,
    pub direction: Direction,
    pub caller_number: String,
    pub caller_name: Option<String>,
    pub tracking_source: Option<String>,
    pub campaign: Option<String>,
    /// One short sentence: what is happening with this call.
    pub status: String,
    /// The record the call's activity goes to, as "Ada Lovelace · Contact", once the softphone chose it.
    pub logged_to: Option<String>,
    /// Legacy mode: the id of the record the server chose, which Answer pops.
    pub server_record: Option<String>,
    pub tone: Tone,
    pub can_answer: bool,
    /// What a reload of this softphone resumes, for a call it popped.
    pub resume: Option<Resume>,
    /// The call controls (`control::card_controls`): none while an inbound call rings or once the agent's part
    /// of the call is over.
    pub controls: Option<ControlsView>,
    /// The notes and disposition the agent writes for a call that is theirs here, and after its end the Done
    /// button (`crate::wrap_up` has the rules of after-call work).
    pub wrap_up: Option<WrapUpCard>,
}

/// The wrap-up part of a call card.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WrapUpCard {
    /// The call ended: after-call work, and Done closes the card.
    pub ended: bool,
    /// What the server holds of the agent's notes and disposition, for a card drawn after a reload (typing the
    /// softphone kept and did not send yet is newer, and wins).
    pub saved: Option<SavedWrapUp>,
}

/// The multi-match dialog as the softphone shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialogView {
    pub call_id: String,
    pub caller_number: String,
    /// The record picked last time first (when it matched again), then the newest.
    pub matches: Vec<RecordMatch>,
    /// The record an agent picked for this number last time, to be marked as such.
    pub remembered: Option<RecordId>,
}

/// What changed in the softphone after one event: the shell redraws only the calls named here, so a redraw costs
/// the same with one call in the panel or thousands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewChange {
    pub connection: Connection,
    /// The calls that arrived or changed. A call the shell already shows keeps its place; a new one goes last.
    pub changed: Vec<CallCard>,
    /// The calls that left the panel.
    pub removed: Vec<String>,
    pub dialog: Option<DialogView>,
    /// A message about something that is not one call's, e.g. a dial that failed.
    pub notice: Option<String>,
    /// What a reload of this softphone would resume (`CallCard::resume` of every call that has one), with the
    /// first change and whenever it changed.
    pub resume: Option<Vec<(String, Resume)>>,
}

/// Everything the shell draws.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoftphoneView {
    pub connection: Connection,
    pub calls: Vec<CallCard>,
    pub dialog: Option<DialogView>,
    /// A message about something that is not one call's, e.g. a dial that failed.
    pub notice: Option<String>,
}

impl<H: Host> Adapter<H> {
    pub fn new(host: H, ui: Ui) -> Self {
        Self {
            host,
            ui,
            connection: Connection::Connecting,
            calls: Vec::new(),
            item_label: IDLE_LABEL,
            notice: None,
            resumable: Vec::new(),
            dirty: Vec::new(),
            drawn_resume: None,
        }
    }

    /// The calls this softphone popped before it was reloaded (from `CallCard::resume`). When the stream brings one
    /// back, marked popped, it resumes here.
    pub fn resume(&mut self, calls: Vec<(String, Resume)>) {
        self.resumable = calls;
    }

    pub fn host(&self) -> &H {
        &self.host
    }

    pub fn host_mut(&mut self) -> &mut H {
        &mut self.host
    }

    pub fn ui(&self) -> Ui {
        self.ui
    }

    /// Applies one event, asks the host for what follows, and redraws.
    pub fn handle(&mut self, event: Event) {
        match event {
            Event::Connection(connection) => self.connection = connection,
            Event::CallUpdated(update) => self.on_call_updated(*update),
            Event::AnswerClicked { call_id } => self.on_answer(&call_id),
            Event::PopClaimed { call_id, claimed } => self.on_pop_claimed(&call_id, claimed),
            Event::SearchCompleted { call_id, matches } => self.on_search_completed(&call_id, &matches),
            Event::OpenCtiFailed { call_id, message } => self.on_open_cti_failed(&call_id, &message),
            Event::RecordCreated { call_id, record } => self.on_record_created(&call_id, record),
            Event::NavigatedTo { record } => self.on_navigated_to(record),
            Event::DialogPicked { call_id, record } => self.on_dialog_picked(&call_id, record),
            Event::DialogDismissed { call_id } => {
                if matches!(self.phase(&call_id), Some(Phase::Choosing { .. })) {
                    self.set_phase(&call_id, Phase::Popped { logged_to: None });
                }
            }
            Event::ClickToDial { number, record } => self.on_click_to_dial(number, record.as_ref()),
            Event::DialFailed { message } => self.notice = Some(format!("The call could not be placed: {message}")),
            Event::ControlClicked { call_id, command } => self.on_control(call_id, command),
            Event::CommandRefused { call_id, message } => {
                if let Some(call) = self.find(&call_id) {
                    call.sending = None;
                    call.refused = Some(message);
                }
            }
            Event::WrapUpDone { call_id } => self.on_wrap_up_done(&call_id),
        }
        self.update_item_label();
        let change = self.change();
        self.host.render(&change);
    }

    /// What changed since the last `render`, from the calls marked dirty.
    fn change(&mut self) -> ViewChange {
        let (mut changed, mut removed) = (Vec::new(), Vec::new());
        for call_id in std::mem::take(&mut self.dirty) {
            match self.calls.iter_mut().find(|call| call.update.call_id == call_id) {
                Some(call) => {
                    let card = card(call);
                    if call.drawn.as_ref() != Some(&card) {
                        call.drawn = Some(card.clone());
                        changed.push(card);
                    }
                }
                None => removed.push(call_id),
            }
        }
        let resume: Vec<_> = self
            .calls
            .iter()
            .filter_map(|call| resume_of(call).map(|resume| (call.update.call_id.clone(), resume)))
            .collect();
        let resume = (self.drawn_resume.as_ref() != Some(&resume)).then(|| {
            self.drawn_resume = Some(resume.clone());
            resume
        });
        let view = self.view_without_calls();
        ViewChange { connection: view.connection, changed, removed, dialog: view.dialog, notice: view.notice, resume }
    }

    /// What the shell should draw now, whole.
    pub fn view(&self) -> SoftphoneView {
        SoftphoneView { calls: self.calls.iter().map(card).collect(), ..self.view_without_calls() }
    }

    fn view_without_calls(&self) -> SoftphoneView {
        let dialog = self.calls.iter().find_map(|call| match &call.phase {
            Phase::Choosing { matches, remembered } => Some(DialogView {
                call_id: call.update.call_id.clone(),
                caller_number: call.update.caller_number.clone(),
                matches: matches.clone(),
                remembered: remembered.clone(),
            }),
            _ => None,
        });
        SoftphoneView { connection: self.connection, calls: Vec::new(), dialog, notice: self.notice.clone() }
    }

    /// The call, to change: its card is redrawn after this event.
    fn find(&mut self, call_id: &str) -> Option<&mut TrackedCall> {
        let call = self.calls.iter_mut().find(|call| call.update.call_id == call_id)?;
        if !self.dirty.iter().any(|dirty| *dirty == call_id) {
            self.dirty.push(call_id.to_owned());
        }
        Some(call)
    }

    fn tracked(&self, call_id: &str) -> Option<&TrackedCall> {
        self.calls.iter().find(|call| call.update.call_id == call_id)
    }

    fn phase(&self, call_id: &str) -> Option<&Phase> {
        self.tracked(call_id).map(|call| &call.phase)
    }

    fn set_phase(&mut self, call_id: &str, phase: Phase) {
        if let Some(call) = self.find(call_id) {
            call.phase = phase;
        }
    }

    /// In Lightning the utility bar item says "Incoming call" while a call waits for the agent, so they notice it
    /// with the panel closed. Classic has no such item.
    fn update_item_label(&mut self) {
        if self.ui != Ui::Lightning {
            return;
        }
        let ringing = self.calls.iter().any(can_answer);
        let label = if ringing { RINGING_LABEL } else { IDLE_LABEL };
        if label != self.item_label {
            self.item_label = label;
            self.host.open_cti("", OpenCtiCall::SetItemLabel { label: label.to_owned() });
        }
    }

    fn on_call_updated(&mut self, update: CallUpdate) {
        let popped_elsewhere = update.popped;
        match self.find(&update.call_id) {
            Some(call) => {
                if popped_elsewhere && call.phase == Phase::Waiting {
                    call.phase = Phase::HandledElsewhere;
                }
                if call.update.control != update.control {
                    // The server has the command now (or its answer): the stream shows it from here on.
                    call.sending = None;
                    call.refused = None;
                }
                call.update = update;
            }
            None => {
                if update.state == CallState::Completed && !update.after_call_work {
                    return; // A call that ended before this softphone saw it needs nothing from the agent.
                }
                let kept = self
                    .resumable
                    .iter()
                    .position(|(call_id, _)| *call_id == update.call_id)
                    .map(|index| self.resumable.swap_remove(index).1);
                // A pop under way whose claim had not reached the server when the page was replaced: the agent
                // answered here, so this softphone answers again.
                let answer_again = !popped_elsewhere && kept == Some(Resume::PopAgain);
                let resumed = kept.filter(|_| popped_elsewhere);
                let rings_here = update.direction == Direction::Inbound && !popped_elsewhere;
                let call_id = update.call_id.clone();
                // A call that rings while the stream is live is searched for at once, so that Answer pops without
                // waiting for Salesforce. Calls the stream brings on (re)connecting wait for Answer: an agent with
                // thousands of them would otherwise send as many searches at once.
                let search_now = rings_here
                    && resumed.is_none()
                    && update.state == CallState::Ringing
                    && update.record.is_none()
                    && self.connection == Connection::Live;
                let shows_panel = update.direction == Direction::Inbound && (rings_here || resumed.is_some());
                let (phase, claim) = match &resumed {
                    Some(Resume::InCall { logged_to }) => {
                        (Phase::Popped { logged_to: logged_to.clone() }, Claim::Granted)
                    }
                    // This softphone holds the server's claim already: the pop goes on from where it was.
                    Some(Resume::PopAgain) => (Phase::Searching, Claim::Granted),
                    None if popped_elsewhere => (Phase::HandledElsewhere, Claim::NotAsked),
                    None => (Phase::Waiting, Claim::NotAsked),
                };
                let mut update = update;
                let saved_wrap_up = update.saved_wrap_up.take();
                let call = TrackedCall {
                    update,
                    phase,
                    search: Search::NotAsked,
                    claim,
                    drawn: None,
                    sending: None,
                    refused: None,
                    wrapped_up: false,
                    saved_wrap_up,
                };
                if !call.update.state.is_live() && wrap_up_of(&call).is_none() {
                    // An ended call in after-call work comes back only to the softphone that had it (its resume)
                    // or, dialled by the agent, to any: elsewhere it would be another tab's, with nothing to do.
                    return;
                }
                if shows_panel {
                    self.host.open_cti(&call_id, OpenCtiCall::ShowPanel);
                }
                if call.update.direction == Direction::Outbound {
                    self.notice = None; // The call the agent dialled has arrived.
                }
                self.calls.push(call);
                self.dirty.push(call_id.clone());
                if resumed == Some(Resume::PopAgain) {
                    self.pop(&call_id);
                } else if answer_again {
                    self.on_answer(&call_id);
                } else if search_now {
                    self.search(&call_id);
                }
            }
        }
        // Keep live calls and the ones the agent still has to act on (a record to save, a wrap-up to finish); ended,
        // finished calls leave the panel.
        let dirty = &mut self.dirty;
        self.calls.retain(|call| {
            let kept = call.update.state.is_live()
                || wrap_up_of(call).is_some()
                || matches!(
                    call.phase,
                    Phase::AwaitingSave | Phase::AwaitingCreate | Phase::Choosing { .. } | Phase::Searching
                );
            if !kept && !dirty.contains(&call.update.call_id) {
                dirty.push(call.update.call_id.clone());
            }
            kept
        });
    }

    /// The agent is done with the call's notes: an ended call leaves the panel; a live one keeps its card, without
    /// the wrap-up part once it ends.
    fn on_wrap_up_done(&mut self, call_id: &str) {
        let Some(call) = self.find(call_id) else { return };
        call.wrapped_up = true;
        if !call.update.state.is_live() {
            self.calls.retain(|call| call.update.call_id != call_id);
        }
    }

    /// Asks Open CTI for the records matching the caller; the answer comes back as `Event::SearchCompleted`.
    fn search(&mut self, call_id: &str) {
        let Some(call) = self.find(call_id) else { return };
        call.search = Search::UnderWay;
        let search = OpenCtiCall::Search { term: call.update.caller_number.clone(), direction: call.update.direction };
        self.host.open_cti(call_id, search);
    }

    /// The agent answered: the server is asked whether this softphone pops the call, and the pop goes ahead at once
    /// (what it writes waits for the server's answer).
    fn on_answer(&mut self, call_id: &str) {
        let Some(call) = self.find(call_id) else { return };
        if call.phase != Phase::Waiting {
            return;
        }
        call.claim = Claim::Pending(Vec::new());
        self.host.send(ToServer::ClaimPop { call_id: call_id.to_owned() });
        self.pop(call_id);
    }

    /// Pops the call: the record the server named, or what the search found, once it has.
    fn pop(&mut self, call_id: &str) {
        let Some(call) = self.find(call_id) else { return };
        let update = call.update.clone();
        let named = update.record.as_ref().and_then(|named| Some((RecordId::parse(&named.id).ok()?, named.created)));
        if let Some((record, created)) = named {
            let found = if created { Found::ServerCreated(&record) } else { Found::ServerNamed(&record) };
            let plan = screen_pop::decide(self.ui, &update.options, update.direction, caller(&update, None), found);
            return self.carry_out(call_id, plan.calls, plan.activity);
        }
        call.phase = Phase::Searching;
        match &call.search {
            Search::Done(matches) => {
                let matches = matches.clone();
                self.decide_from_search(call_id, &update, &matches);
            }
            Search::UnderWay => {} // `on_search_completed` goes on.
            Search::NotAsked => self.search(call_id),
        }
    }

    fn on_pop_claimed(&mut self, call_id: &str, claimed: bool) {
        let Some(call) = self.find(call_id) else { return };
        let Claim::Pending(held) = std::mem::replace(&mut call.claim, Claim::Granted) else { return };
        if !claimed {
            // Another of this agent's softphones popped it first: this one writes nothing for it.
            call.claim = Claim::NotAsked;
            call.phase = Phase::HandledElsewhere;
            return;
        }
        for write in held {
            match write {
                Held::OpenCti(open_cti) => self.host.open_cti(call_id, open_cti),
                Held::Send(request) => self.host.send(request),
            }
        }
    }

    fn on_open_cti_failed(&mut self, call_id: &str, message: &str) {
        let Some(call) = self.find(call_id) else { return };
        if call.phase == Phase::Waiting {
            // Nothing the agent asked for failed: a search made at ring time is made again at Answer.
            if call.search == Search::UnderWay {
                call.search = Search::NotAsked;
            }
            return;
        }
        call.phase = Phase::Failed(format!("Salesforce could not do that: {message}"));
    }

    fn on_search_completed(&mut self, call_id: &str, matches: &[RecordMatch]) {
        let Some(call) = self.find(call_id) else { return };
        if call.search != Search::UnderWay {
            return;
        }
        call.search = Search::Done(matches.to_vec());
        if call.phase == Phase::Searching {
            let update = call.update.clone();
            self.decide_from_search(call_id, &update, matches);
        }
    }

    fn decide_from_search(&mut self, call_id: &str, update: &CallUpdate, matches: &[RecordMatch]) {
        let remembered = update.remembered_record.as_deref().and_then(|id| RecordId::parse(id).ok());
        let caller = caller(update, remembered.as_ref());
        let plan = screen_pop::decide(self.ui, &update.options, update.direction, caller, Found::Matches(matches));
        self.carry_out(call_id, plan.calls, plan.activity);
    }

    fn on_record_created(&mut self, call_id: &str, record: RecordId) {
        if self.phase(call_id) != Some(&Phase::AwaitingCreate) {
            return;
        }
        let Some(call) = self.find(call_id) else { return };
        let options = call.update.options;
        let calls = screen_pop::pop_record(self.ui, &options, &record);
        self.carry_out(call_id, calls, ActivityPlan::Append { record, reason: ChoiceReason::NewRecord });
    }

    fn on_navigated_to(&mut self, record: RecordId) {
        // A record the agent saves from the pre-filled form is a Lead, or a Contact if they chose to create one.
        if !matches!(record.object(), SObjectType::Lead | SObjectType::Contact) {
            return;
        }
        let waiting =
            self.calls.iter().find(|call| call.phase == Phase::AwaitingSave).map(|call| call.update.call_id.clone());
        if let Some(call_id) = waiting {
            self.carry_out(&call_id, Vec::new(), ActivityPlan::Append { record, reason: ChoiceReason::NewRecord });
        }
    }

    fn on_dialog_picked(&mut self, call_id: &str, record: RecordId) {
        let Some(Phase::Choosing { matches, .. }) = self.phase(call_id) else { return };
        if !matches.iter().any(|candidate| candidate.id == record) {
            return; // Only a record the dialog offered can be picked.
        }
        let Some(call) = self.find(call_id) else { return };
        let options = call.update.options;
        let calls = screen_pop::pop_record(self.ui, &options, &record);
        self.carry_out(call_id, calls, ActivityPlan::Append { record, reason: ChoiceReason::AgentChoice });
    }

    fn on_click_to_dial(&mut self, number: String, record: Option<&RecordId>) {
        // Until the telephony side places the call and it arrives on the stream.
        self.notice = Some(format!("Calling {number}…"));
        self.host.open_cti("", OpenCtiCall::ShowPanel);
        let record_type = record.map(|id| id.object().api_name().to_owned());
        let record_id = record.map(|id| id.as_str().to_owned());
        self.host.send(ToServer::Dial(DialRequest { number, record_id, record_type }));
    }

    /// Sends a call control; the card shows it under way until the stream brings the server's state.
    fn on_control(&mut self, call_id: String, command: CommandRequest) {
        let Some(call) = self.find(&call_id) else { return };
        let kind = match crate::control::Command::from_request(&command) {
            Ok(valid) => valid.kind(),
            Err(problem) => {
                call.refused = Some(problem.message);
                return;
            }
        };
        call.sending = Some(kind);
        call.refused = None;
        self.host.send(ToServer::CallCommand { call_id, command });
    }

    /// Makes the plan's Open CTI calls and moves the call to the phase its activity plan calls for. Pops go out at
    /// once; what writes (the Lead `saveLog` creates, the activity append) waits until the server confirms this
    /// softphone pops the call.
    fn carry_out(&mut self, call_id: &str, calls: Vec<OpenCtiCall>, activity: ActivityPlan) {
        for call in calls {
            if matches!(call, OpenCtiCall::CreateRecord { .. }) {
                self.write(call_id, Held::OpenCti(call));
            } else {
                self.host.open_cti(call_id, call);
            }
        }
        let phase = match activity {
            ActivityPlan::Append { record, reason } => {
                let object = record.object().api_name();
                let append = ToServer::AppendActivity(ActivityAppend {
                    call_id: call_id.to_owned(),
                    record_id: record.as_str().to_owned(),
                    record_type: object.to_owned(),
                    chosen_by: reason,
                });
                self.write(call_id, Held::Send(append));
                let found = self.tracked(call_id).map(TrackedCall::found).unwrap_or_default();
                let name = found.iter().find(|known| known.id == record).map(|known| known.name.as_str());
                Phase::Popped {
                    logged_to: Some(
                        name.map_or_else(|| format!("a new {object}"), |name| format!("{name} · {object}")),
                    ),
                }
            }
            ActivityPlan::AfterSave => Phase::AwaitingSave,
            ActivityPlan::AfterCreate => Phase::AwaitingCreate,
            ActivityPlan::AskAgent { matches, remembered } => Phase::Choosing { matches, remembered },
            ActivityPlan::LeaveToServer => Phase::Popped { logged_to: None },
        };
        self.set_phase(call_id, phase);
    }

    /// Makes a write for the call now, or holds it until the server confirms this softphone pops the call.
    fn write(&mut self, call_id: &str, write: Held) {
        if let Some(Claim::Pending(held)) = self.find(call_id).map(|call| &mut call.claim) {
            held.push(write);
            return;
        }
        match write {
            Held::OpenCti(call) => self.host.open_cti(call_id, call),
            Held::Send(request) => self.host.send(request),
        }
    }
}

/// What the decision table knows about the caller.
fn caller<'a>(update: &'a CallUpdate, remembered: Option<&'a RecordId>) -> Caller<'a> {
    Caller {
        number: &update.caller_number,
        name: update.caller_name.as_deref(),
        source: update.tracking_source.as_deref(),
        remembered,
    }
}

/// Who has a call this softphone did not pop, in the agent's words: another agent by name (a call handed over
/// after they answered it), or, when it was this agent, their other tab (or window, or browser).
fn handled_elsewhere(update: &CallUpdate) -> String {
    match &update.popped_by_other_agent {
        Some(name) => format!("Answered by {name}"),
        None => "Answered in your other tab".to_owned(),
    }
}

fn card(call: &TrackedCall) -> CallCard {
    let update = &call.update;
    let tone = match (&call.phase, update.state) {
        (Phase::Failed(_), _) => Tone::Problem,
        (Phase::HandledElsewhere, _) | (_, CallState::Completed) => Tone::Quiet,
        (Phase::AwaitingSave | Phase::AwaitingCreate | Phase::Choosing { .. }, _) => Tone::NeedsAgent,
        (Phase::Waiting, CallState::Ringing) if update.direction == Direction::Inbound => Tone::Ringing,
        _ => Tone::Active,
    };
    let status = match (&call.phase, update.state, update.direction) {
        (Phase::Failed(message), _, _) => message.clone(),
        (Phase::HandledElsewhere, _, _) => handled_elsewhere(update),
        (Phase::Searching, _, _) => "Looking up the caller in Salesforce…".to_owned(),
        (Phase::AwaitingSave, _, _) => "New caller: complete the Lead and save it".to_owned(),
        (Phase::AwaitingCreate, _, _) => "New caller: creating their Lead…".to_owned(),
        (Phase::Choosing { .. }, _, _) => "Several records match: choose one".to_owned(),
        (Phase::Popped { .. } | Phase::Waiting, CallState::Completed, _) => "Call ended".to_owned(),
        (Phase::Popped { .. }, _, _) => "In call".to_owned(),
        (Phase::Waiting, CallState::Ringing, Direction::Outbound) => "Dialling…".to_owned(),
        (Phase::Waiting, _, Direction::Outbound) => "In call".to_owned(),
        (Phase::Waiting, CallState::Answered, Direction::Inbound) => "Answered".to_owned(),
        (Phase::Waiting, _, Direction::Inbound) => "Incoming call".to_owned(),
    };
    let control = &update.control;
    let (status, tone) = match (&control.transferred_to, control.hung_up) {
        (Some(to), _) if update.state.is_live() => (format!("Transferred to {to}"), Tone::Quiet),
        (None, true) if update.state.is_live() => ("Call ended".to_owned(), Tone::Quiet),
        _ => (status, tone),
    };
    let controls = if call.phase == Phase::HandledElsewhere {
        None
    } else {
        card_controls(update.state, update.direction, control, call.sending, call.refused.as_deref())
    };
    CallCard {
        call_id: update.call_id.clone(),
        direction: update.direction,
        caller_number: update.caller_number.clone(),
        caller_name: update.caller_name.clone(),
        tracking_source: update.tracking_source.clone(),
        campaign: update.campaign.clone(),
        status,
        server_record: update.record.as_ref().map(|record| record.id.clone()),
        logged_to: match &call.phase {
            Phase::Popped { logged_to } => logged_to.clone(),
            _ => None,
        },
        tone,
        can_answer: can_answer(call) && control.transferred_to.is_none(),
        resume: resume_of(call),
        controls,
        wrap_up: wrap_up_of(call),
    }
}

/// Whether the card shows the call's wrap-up: a call the agent has here (popped in this softphone, or one they
/// dialled and that was answered), until they click Done.
fn wrap_up_of(call: &TrackedCall) -> Option<WrapUpCard> {
    let theirs = match (&call.phase, call.update.direction) {
        (Phase::Popped { .. }, _) => !matches!(call.claim, Claim::Pending(_)),
        (Phase::Waiting, Direction::Outbound) => call.update.state != CallState::Ringing,
        _ => false,
    };
    (theirs && !call.wrapped_up)
        .then(|| WrapUpCard { ended: call.update.state == CallState::Completed, saved: call.saved_wrap_up.clone() })
}

/// Whether the agent can answer the call here.
fn can_answer(call: &TrackedCall) -> bool {
    call.phase == Phase::Waiting && call.update.state.is_live() && call.update.direction == Direction::Inbound
}

/// What a reload of this softphone resumes for the call, if it popped it. A pop whose claim the server has not
/// confirmed yet is done again (its writes were held in the page the reload replaced).
fn resume_of(call: &TrackedCall) -> Option<Resume> {
    match (&call.phase, &call.claim) {
        (Phase::Waiting | Phase::HandledElsewhere | Phase::Failed(_), _) => None,
        (Phase::Popped { logged_to }, Claim::NotAsked | Claim::Granted) => {
            Some(Resume::InCall { logged_to: logged_to.clone() })
        }
        (Phase::Popped { .. }, Claim::Pending(_))
        | (Phase::Searching | Phase::AwaitingSave | Phase::AwaitingCreate | Phase::Choosing { .. }, _) => {
            Some(Resume::PopAgain)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::IntegrationOptions;

    /// Records what the adapter asked of the browser.
    #[derive(Debug, Default)]
    struct Recorder {
        open_cti: Vec<(String, OpenCtiCall)>,
        sent: Vec<ToServer>,
        changes: Vec<ViewChange>,
    }

    impl Host for Recorder {
        fn open_cti(&mut self, call_id: &str, call: OpenCtiCall) {
            self.open_cti.push((call_id.to_owned(), call));
        }
        fn send(&mut self, request: ToServer) {
            self.sent.push(request);
        }
        fn render(&mut self, change: &ViewChange) {
            self.changes.push(change.clone());
        }
    }

    fn ringing(call_id: &str) -> CallUpdate {
        CallUpdate {
            call_id: call_id.to_owned(),
            state: CallState::Ringing,
            direction: Direction::Inbound,
            caller_number: "+14155552671".to_owned(),
            caller_name: None,
            tracking_source: Some("Google Ads".to_owned()),
            campaign: Some("Spring Promo".to_owned()),
            started_at: "2026-11-25T10:00:00Z".to_owned(),
            popped: false,
            popped_by_other_agent: None,
            record: None,
            remembered_record: None,
            options: IntegrationOptions::default(),
            control: crate::control::ControlState::default(),
            saved_wrap_up: None,
            after_call_work: false,
        }
    }

    fn contact() -> RecordMatch {
        RecordMatch {
            id: RecordId::parse("003000000000001").unwrap(),
            object: "Contact".to_owned(),
            name: "Ada Lovelace".to_owned(),
            phone: Some("+14155552671".to_owned()),
            detail: None,
            last_modified: None,
        }
    }

    /// The call as a reloaded softphone's stream brings it back: answered, and popped by a softphone.
    fn answered_and_popped(call_id: &str) -> CallUpdate {
        CallUpdate { state: CallState::Answered, popped: true, ..ringing(call_id) }
    }

    #[test]
    fn a_call_this_softphone_popped_resumes_in_call_after_a_reload_without_popping_again() {
        let mut before = Adapter::new(Recorder::default(), Ui::Lightning);
        before.handle(Event::CallUpdated(Box::new(ringing("c1"))));
        before.handle(Event::AnswerClicked { call_id: "c1".to_owned() });
        before.handle(Event::PopClaimed { call_id: "c1".to_owned(), claimed: true });
        before.handle(Event::SearchCompleted { call_id: "c1".to_owned(), matches: vec![contact()] });
        let kept: Vec<_> =
            before.view().calls.iter().filter_map(|card| Some((card.call_id.clone(), card.resume.clone()?))).collect();
        assert_eq!(kept, [("c1".to_owned(), Resume::InCall { logged_to: Some("Ada Lovelace · Contact".to_owned()) })]);

        let mut after = Adapter::new(Recorder::default(), Ui::Lightning);
        after.resume(kept);
        after.handle(Event::CallUpdated(Box::new(answered_and_popped("c1"))));
        let card = &after.view().calls[0];
        assert_eq!((card.status.as_str(), card.logged_to.as_deref()), ("In call", Some("Ada Lovelace · Contact")));
        assert_eq!(
            after.host().open_cti.iter().map(|(_, call)| call.clone()).collect::<Vec<_>>(),
            [OpenCtiCall::ShowPanel]
        );
        assert!(after.host().sent.is_empty(), "no second claim, no second append");
    }

    #[test]
    fn a_new_caller_form_pending_before_a_reload_is_searched_again_and_the_saved_lead_gets_the_activity() {
        let mut after = Adapter::new(Recorder::default(), Ui::Lightning);
        after.resume(vec![("c1".to_owned(), Resume::PopAgain)]);
        after.handle(Event::CallUpdated(Box::new(answered_and_popped("c1"))));
        let search = OpenCtiCall::Search { term: "+14155552671".to_owned(), direction: Direction::Inbound };
        assert_eq!(after.host().open_cti.last().map(|(_, call)| call.clone()), Some(search));
        // The agent saved the Lead before the reload: the search finds it, it is popped and gets the activity.
        let lead =
            RecordMatch { id: RecordId::parse("00Q000000000001").unwrap(), object: "Lead".to_owned(), ..contact() };
        after.handle(Event::SearchCompleted { call_id: "c1".to_owned(), matches: vec![lead.clone()] });
        assert!(after.host().sent.iter().any(|sent| matches!(sent,
            ToServer::AppendActivity(append) if append.record_id == lead.id.as_str())));
        // Another softphone's call that this one never popped stays the other's.
        after.handle(Event::CallUpdated(Box::new(answered_and_popped("c2"))));
        assert_eq!(after.view().calls[1].status, "Answered in your other tab");
    }

    #[test]
    fn a_pop_whose_claim_had_not_reached_the_server_before_a_reload_is_answered_again() {
        let mut after = Adapter::new(Recorder::default(), Ui::Lightning);
        after.resume(vec![("c1".to_owned(), Resume::PopAgain)]);
        after.handle(Event::CallUpdated(Box::new(ringing("c1"))));
        assert_eq!(after.host().sent, [ToServer::ClaimPop { call_id: "c1".to_owned() }]);
        after.handle(Event::SearchCompleted { call_id: "c1".to_owned(), matches: vec![] });
        assert_eq!(after.view().calls[0].status, "New caller: complete the Lead and save it");
    }

    #[test]
    fn answering_a_call_with_one_match_pops_it_once_and_appends_the_activity() {
        let mut adapter = Adapter::new(Recorder::default(), Ui::Lightning);
        adapter.handle(Event::CallUpdated(Box::new(ringing("c1"))));
        assert!(adapter.view().calls[0].can_answer);

        adapter.handle(Event::AnswerClicked { call_id: "c1".to_owned() });
        adapter.handle(Event::AnswerClicked { call_id: "c1".to_owned() }); // a double click claims once
        adapter.handle(Event::PopClaimed { call_id: "c1".to_owned(), claimed: true });
        adapter.handle(Event::SearchCompleted { call_id: "c1".to_owned(), matches: vec![contact()] });

        let calls: Vec<_> = adapter.host().open_cti.iter().map(|(_, call)| call.clone()).collect();
        assert_eq!(
            calls,
            [
                OpenCtiCall::ShowPanel,
                OpenCtiCall::SetItemLabel { label: "Incoming call".to_owned() },
                OpenCtiCall::Search { term: "+14155552671".to_owned(), direction: Direction::Inbound },
                OpenCtiCall::SetItemLabel { label: "Phone".to_owned() },
                OpenCtiCall::PopRecord { id: contact().id },
            ]
        );
        let append = ActivityAppend {
            call_id: "c1".to_owned(),
            record_id: contact().id.as_str().to_owned(),
            record_type: "Contact".to_owned(),
            chosen_by: ChoiceReason::SingleMatch,
        };
        assert_eq!(
            adapter.host().sent,
            [ToServer::ClaimPop { call_id: "c1".to_owned() }, ToServer::AppendActivity(append)]
        );
        assert_eq!(adapter.view().calls[0].status, "In call");
    }

    #[test]
    fn a_claim_refused_before_the_search_answers_pops_nothing_and_writes_nothing() {
        let mut adapter = Adapter::new(Recorder::default(), Ui::Lightning);
        adapter.handle(Event::CallUpdated(Box::new(ringing("c1"))));
        adapter.handle(Event::AnswerClicked { call_id: "c1".to_owned() });
        adapter.handle(Event::PopClaimed { call_id: "c1".to_owned(), claimed: false });
        adapter.handle(Event::SearchCompleted { call_id: "c1".to_owned(), matches: vec![contact()] });
        assert_eq!(pops(&adapter), 0);
        assert_eq!(adapter.host().sent, [ToServer::ClaimPop { call_id: "c1".to_owned() }]);
        assert_eq!(adapter.view().calls[0].status, "Answered in your other tab");
        assert!(!adapter.view().calls[0].can_answer);
    }

    fn pops(adapter: &Adapter<Recorder>) -> usize {
        let pops = adapter.host().open_cti.iter().filter(|(_, call)| {
            matches!(
                call,
                OpenCtiCall::PopRecord { .. }
                    | OpenCtiCall::PopUrl { .. }
                    | OpenCtiCall::PopSearch { .. }
                    | OpenCtiCall::NewRecordModal { .. }
            )
        });
        pops.count()
    }

    /// The softphone with its stream live, as it is when a call rings.
    fn live(ui: Ui) -> Adapter<Recorder> {
        let mut adapter = Adapter::new(Recorder::default(), ui);
        adapter.handle(Event::Connection(Connection::Live));
        adapter
    }

    #[test]
    fn a_call_ringing_while_live_is_searched_at_once_and_answer_pops_without_waiting_for_the_claim() {
        let mut adapter = live(Ui::Lightning);
        adapter.handle(Event::CallUpdated(Box::new(ringing("c1"))));
        let search = OpenCtiCall::Search { term: "+14155552671".to_owned(), direction: Direction::Inbound };
        assert!(adapter.host().open_cti.contains(&("c1".to_owned(), search)), "searched while it rings");
        adapter.handle(Event::SearchCompleted { call_id: "c1".to_owned(), matches: vec![contact()] });
        assert_eq!(pops(&adapter), 0, "nothing pops before Answer");
        assert!(adapter.view().calls[0].can_answer);
        let last = adapter.host().changes.last().expect("a redraw");
        assert!(last.changed.is_empty(), "the card the agent is about to click is left as it is");

        adapter.handle(Event::AnswerClicked { call_id: "c1".to_owned() });
        assert_eq!(last_for(&adapter, "c1"), Some(&OpenCtiCall::PopRecord { id: contact().id }), "Answer pops at once");
        assert_eq!(adapter.host().sent, [ToServer::ClaimPop { call_id: "c1".to_owned() }], "the append waits");
        assert_eq!(adapter.view().calls[0].status, "In call");

        adapter.handle(Event::PopClaimed { call_id: "c1".to_owned(), claimed: true });
        assert!(matches!(adapter.host().sent.as_slice(),
            [ToServer::ClaimPop { .. }, ToServer::AppendActivity(append)] if append.record_id == contact().id.as_str()));
        assert_eq!(pops(&adapter), 1);
    }

    #[test]
    fn a_claim_refused_after_the_pop_appends_nothing_and_says_the_other_tab_has_the_call() {
        let mut adapter = live(Ui::Lightning);
        adapter.handle(Event::CallUpdated(Box::new(ringing("c1"))));
        adapter.handle(Event::SearchCompleted { call_id: "c1".to_owned(), matches: vec![contact()] });
        adapter.handle(Event::AnswerClicked { call_id: "c1".to_owned() });
        adapter.handle(Event::PopClaimed { call_id: "c1".to_owned(), claimed: false });
        assert_eq!(adapter.host().sent, [ToServer::ClaimPop { call_id: "c1".to_owned() }]);
        let card = &adapter.view().calls[0];
        assert_eq!((card.status.as_str(), card.resume.clone()), ("Answered in your other tab", None));
    }

    #[test]
    fn classic_auto_create_makes_the_lead_only_once_the_claim_is_granted() {
        let mut adapter = live(Ui::Classic);
        adapter.handle(Event::CallUpdated(Box::new(ringing("c1"))));
        adapter.handle(Event::SearchCompleted { call_id: "c1".to_owned(), matches: vec![] });
        adapter.handle(Event::AnswerClicked { call_id: "c1".to_owned() });
        let creates = |adapter: &Adapter<Recorder>| {
            adapter.host().open_cti.iter().filter(|(_, call)| matches!(call, OpenCtiCall::CreateRecord { .. })).count()
        };
        assert_eq!(creates(&adapter), 0, "nothing is written in Salesforce before the server's answer");
        adapter.handle(Event::PopClaimed { call_id: "c1".to_owned(), claimed: true });
        assert_eq!(creates(&adapter), 1);
    }

    #[test]
    fn calls_the_stream_brings_on_connecting_are_searched_only_when_answered() {
        let mut adapter = Adapter::new(Recorder::default(), Ui::Lightning);
        for index in 0..3 {
            adapter.handle(Event::CallUpdated(Box::new(ringing(&format!("c{index}")))));
        }
        adapter.handle(Event::Connection(Connection::Live));
        let searches = |adapter: &Adapter<Recorder>| {
            adapter.host().open_cti.iter().filter(|(_, call)| matches!(call, OpenCtiCall::Search { .. })).count()
        };
        assert_eq!(searches(&adapter), 0);
        adapter.handle(Event::AnswerClicked { call_id: "c1".to_owned() });
        assert_eq!(searches(&adapter), 1);
        assert_eq!(adapter.view().calls[1].status, "Looking up the caller in Salesforce…");
    }

    #[test]
    fn a_search_that_failed_while_ringing_leaves_the_call_answerable_and_answer_searches_again() {
        let mut adapter = live(Ui::Lightning);
        adapter.handle(Event::CallUpdated(Box::new(ringing("c1"))));
        adapter.handle(Event::OpenCtiFailed { call_id: "c1".to_owned(), message: "busy".to_owned() });
        assert!(adapter.view().calls[0].can_answer);
        adapter.handle(Event::AnswerClicked { call_id: "c1".to_owned() });
        let search = OpenCtiCall::Search { term: "+14155552671".to_owned(), direction: Direction::Inbound };
        assert_eq!(last_for(&adapter, "c1"), Some(&search));
    }

    /// The last Open CTI call made for this phone call.
    fn last_for<'a>(adapter: &'a Adapter<Recorder>, call_id: &str) -> Option<&'a OpenCtiCall> {
        adapter.host().open_cti.iter().rev().find(|(id, _)| id == call_id).map(|(_, call)| call)
    }

    #[test]
    fn each_redraw_carries_only_the_calls_that_changed() {
        let mut adapter = live(Ui::Classic);
        for index in 0..1_000 {
            adapter.handle(Event::CallUpdated(Box::new(ringing(&format!("c{index}")))));
        }
        let last = adapter.host().changes.last().cloned().expect("a redraw");
        assert_eq!(last.changed.iter().map(|card| card.call_id.as_str()).collect::<Vec<_>>(), ["c999"]);

        adapter.handle(Event::CallUpdated(Box::new(CallUpdate { state: CallState::Answered, ..ringing("c500") })));
        let last = adapter.host().changes.last().cloned().expect("a redraw");
        assert_eq!(
            last.changed.iter().map(|card| (card.call_id.as_str(), card.status.as_str())).collect::<Vec<_>>(),
            [("c500", "Answered")]
        );
        adapter.handle(Event::CallUpdated(Box::new(CallUpdate { state: CallState::Completed, ..ringing("c7") })));
        let last = adapter.host().changes.last().cloned().expect("a redraw");
        assert_eq!((last.changed.len(), last.removed.as_slice()), (0, ["c7".to_owned()].as_slice()));
        assert_eq!(adapter.view().calls.len(), 999);
        adapter.handle(Event::Connection(Connection::Reconnecting));
        let last = adapter.host().changes.last().cloned().expect("a redraw");
        assert!(last.changed.is_empty() && last.removed.is_empty(), "no call changed");
    }

    #[test]
    fn a_call_another_agent_popped_names_them() {
        let mut adapter = Adapter::new(Recorder::default(), Ui::Lightning);
        // Handed over to this agent after Grace answered it: it arrives popped, by her.
        let handed_over =
            CallUpdate { popped_by_other_agent: Some("Grace Hopper".to_owned()), ..answered_and_popped("c1") };
        adapter.handle(Event::CallUpdated(Box::new(handed_over)));
        let card = &adapter.view().calls[0];
        assert_eq!((card.status.as_str(), card.can_answer), ("Answered by Grace Hopper", false));
        assert!(adapter.host().sent.is_empty(), "nothing to claim");
    }

    #[test]
    fn a_saved_new_lead_gets_the_activity() {
        let mut adapter = Adapter::new(Recorder::default(), Ui::Lightning);
        adapter.handle(Event::CallUpdated(Box::new(ringing("c1"))));
        adapter.handle(Event::AnswerClicked { call_id: "c1".to_owned() });
        adapter.handle(Event::PopClaimed { call_id: "c1".to_owned(), claimed: true });
        adapter.handle(Event::SearchCompleted { call_id: "c1".to_owned(), matches: vec![] });
        let lead = RecordId::parse("00Q000000000009").unwrap();
        adapter.handle(Event::NavigatedTo { record: RecordId::parse("001000000000009").unwrap() }); // an Account: ignored
        adapter.handle(Event::NavigatedTo { record: lead.clone() });
        let Some(ToServer::AppendActivity(append)) = adapter.host().sent.last() else { panic!("no append") };
        assert_eq!((append.record_id.as_str(), append.chosen_by), (lead.as_str(), ChoiceReason::NewRecord));
    }

    #[test]
    fn a_call_popped_here_keeps_its_wrap_up_after_the_end_until_done() {
        let mut adapter = Adapter::new(Recorder::default(), Ui::Lightning);
        adapter.handle(Event::CallUpdated(Box::new(ringing("c1"))));
        assert_eq!(adapter.view().calls[0].wrap_up, None, "nothing to write before the agent has the call");
        adapter.handle(Event::AnswerClicked { call_id: "c1".to_owned() });
        adapter.handle(Event::SearchCompleted { call_id: "c1".to_owned(), matches: vec![contact()] });
        assert_eq!(adapter.view().calls[0].wrap_up, None, "not before the server confirms the pop is this one's");
        adapter.handle(Event::PopClaimed { call_id: "c1".to_owned(), claimed: true });
        assert_eq!(adapter.view().calls[0].wrap_up, Some(WrapUpCard { ended: false, saved: None }));

        adapter.handle(Event::CallUpdated(Box::new(CallUpdate { state: CallState::Completed, ..ringing("c1") })));
        let card = &adapter.view().calls[0];
        assert_eq!(
            (card.status.as_str(), card.wrap_up.clone()),
            ("Call ended", Some(WrapUpCard { ended: true, saved: None }))
        );

        adapter.handle(Event::WrapUpDone { call_id: "c1".to_owned() });
        assert!(adapter.view().calls.is_empty());
        assert_eq!(adapter.host().changes.last().map(|change| change.removed.clone()), Some(vec!["c1".to_owned()]));
    }

    #[test]
    fn done_during_a_call_hides_the_wrap_up_and_the_end_then_closes_the_card() {
        let mut adapter = Adapter::new(Recorder::default(), Ui::Lightning);
        answered_with(&mut adapter, ringing("c1"), vec![contact()]);
        adapter.handle(Event::WrapUpDone { call_id: "c1".to_owned() });
        assert_eq!(adapter.view().calls[0].wrap_up, None);
        adapter.handle(Event::CallUpdated(Box::new(CallUpdate { state: CallState::Completed, ..ringing("c1") })));
        assert!(adapter.view().calls.is_empty());
    }

    /// The call `c1`, popped here, as a softphone reloaded during its after-call work receives it.
    fn in_after_call_work(notes: &str) -> CallUpdate {
        let saved = SavedWrapUp { notes: notes.to_owned(), disposition: Some("Callback".to_owned()) };
        CallUpdate {
            state: CallState::Completed,
            after_call_work: true,
            saved_wrap_up: Some(saved),
            ..answered_and_popped("c1")
        }
    }

    #[test]
    fn an_ended_call_in_after_call_work_comes_back_after_a_reload_with_the_servers_notes_until_done() {
        let mut adapter = Adapter::new(Recorder::default(), Ui::Lightning);
        adapter
            .resume(vec![("c1".to_owned(), Resume::InCall { logged_to: Some("Ada Lovelace · Contact".to_owned()) })]);
        adapter.handle(Event::CallUpdated(Box::new(in_after_call_work("Wants a quote"))));
        let card = &adapter.view().calls[0];
        let saved = SavedWrapUp { notes: "Wants a quote".to_owned(), disposition: Some("Callback".to_owned()) };
        assert_eq!((card.status.as_str(), card.logged_to.as_deref()), ("Call ended", Some("Ada Lovelace · Contact")));
        assert_eq!(card.wrap_up, Some(WrapUpCard { ended: true, saved: Some(saved) }));
        assert_eq!(card.controls, None);
        assert!(adapter.host().sent.is_empty(), "nothing is claimed or written again");

        adapter.handle(Event::WrapUpDone { call_id: "c1".to_owned() });
        assert!(adapter.view().calls.is_empty());
        assert_eq!(adapter.host().changes.last().and_then(|change| change.resume.clone()), Some(Vec::new()));
    }

    #[test]
    fn an_ended_call_comes_back_neither_to_another_tab_nor_once_after_call_work_is_over() {
        let mut other_tab = Adapter::new(Recorder::default(), Ui::Lightning);
        other_tab.handle(Event::CallUpdated(Box::new(in_after_call_work("Wants a quote"))));
        assert!(other_tab.view().calls.is_empty());
        assert!(other_tab.host().open_cti.is_empty(), "the panel does not open for it");
        assert!(other_tab.host().changes.iter().all(|change| change.changed.is_empty() && change.removed.is_empty()));

        let mut over = Adapter::new(Recorder::default(), Ui::Lightning);
        over.resume(vec![("c1".to_owned(), Resume::InCall { logged_to: None })]);
        let update = CallUpdate { after_call_work: false, ..in_after_call_work("Wants a quote") };
        over.handle(Event::CallUpdated(Box::new(update)));
        assert!(over.view().calls.is_empty());
    }

    #[test]
    fn an_ended_call_the_agent_dialled_comes_back_to_any_of_their_softphones() {
        let mut adapter = Adapter::new(Recorder::default(), Ui::Classic);
        let dialled = CallUpdate { direction: Direction::Outbound, popped: false, ..in_after_call_work("") };
        adapter.handle(Event::CallUpdated(Box::new(dialled)));
        assert_eq!(adapter.view().calls[0].wrap_up.as_ref().map(|wrap_up| wrap_up.ended), Some(true));
    }

    #[test]
    fn a_call_handled_in_another_tab_has_no_wrap_up_here() {
        let mut adapter = Adapter::new(Recorder::default(), Ui::Lightning);
        adapter.handle(Event::CallUpdated(Box::new(answered_and_popped("c1"))));
        assert_eq!(adapter.view().calls[0].wrap_up, None);
        adapter.handle(Event::CallUpdated(Box::new(CallUpdate { state: CallState::Completed, ..ringing("c1") })));
        assert!(adapter.view().calls.is_empty());
    }

    #[test]
    fn an_ended_call_leaves_the_panel() {
        let mut adapter = Adapter::new(Recorder::default(), Ui::Classic);
        adapter.handle(Event::CallUpdated(Box::new(ringing("c1"))));
        adapter.handle(Event::CallUpdated(Box::new(CallUpdate { state: CallState::Completed, ..ringing("c1") })));
        assert!(adapter.view().calls.is_empty());
        assert_eq!(adapter.host().changes.last().map(|change| change.removed.clone()), Some(vec!["c1".to_owned()]));
    }

    fn answered_with(adapter: &mut Adapter<Recorder>, update: CallUpdate, matches: Vec<RecordMatch>) {
        let call_id = update.call_id.clone();
        adapter.handle(Event::CallUpdated(Box::new(update)));
        adapter.handle(Event::AnswerClicked { call_id: call_id.clone() });
        adapter.handle(Event::PopClaimed { call_id: call_id.clone(), claimed: true });
        adapter.handle(Event::SearchCompleted { call_id, matches });
    }

    #[test]
    fn classic_auto_create_pops_the_stored_lead_and_appends_to_it() {
        let mut adapter = Adapter::new(Recorder::default(), Ui::Classic);
        answered_with(&mut adapter, ringing("c1"), vec![]);
        assert!(matches!(adapter.host().open_cti.last(), Some((_, OpenCtiCall::CreateRecord { .. }))));
        assert_eq!(adapter.view().calls[0].tone, Tone::NeedsAgent);
        let lead = RecordId::parse("00Q000000000007").unwrap();
        adapter.handle(Event::RecordCreated { call_id: "c1".to_owned(), record: lead.clone() });
        assert_eq!(
            adapter.host().open_cti.last().map(|(_, call)| call.clone()),
            Some(OpenCtiCall::PopUrl { url: format!("/{}", lead.short()) })
        );
        let Some(ToServer::AppendActivity(append)) = adapter.host().sent.last() else { panic!("no append") };
        assert_eq!((append.record_id.as_str(), append.chosen_by), (lead.as_str(), ChoiceReason::NewRecord));
    }

    #[test]
    fn the_agents_pick_in_the_dialog_is_popped_and_gets_the_activity() {
        let mut adapter = Adapter::new(Recorder::default(), Ui::Lightning);
        let lead =
            RecordMatch { id: RecordId::parse("00Q000000000002").unwrap(), object: "Lead".to_owned(), ..contact() };
        let update = CallUpdate { remembered_record: Some(lead.id.as_str().to_owned()), ..ringing("c1") };
        answered_with(&mut adapter, update, vec![contact(), lead.clone()]);
        let dialog = adapter.view().dialog.expect("the dialog is open");
        assert_eq!(dialog.matches[0].id, lead.id, "the record picked last time comes first");
        assert_eq!(dialog.remembered, Some(lead.id));

        let stranger = RecordId::parse("003000000000099").unwrap();
        adapter.handle(Event::DialogPicked { call_id: "c1".to_owned(), record: stranger }); // not offered: ignored
        assert!(adapter.view().dialog.is_some());
        adapter.handle(Event::DialogPicked { call_id: "c1".to_owned(), record: contact().id });
        assert!(adapter.view().dialog.is_none());
        assert_eq!(
            adapter.host().open_cti.last().map(|(_, call)| call.clone()),
            Some(OpenCtiCall::PopRecord { id: contact().id })
        );
        let Some(ToServer::AppendActivity(append)) = adapter.host().sent.last() else { panic!("no append") };
        assert_eq!(append.chosen_by, ChoiceReason::AgentChoice);
    }

    #[test]
    fn click_to_dial_shows_the_panel_and_asks_the_server_to_dial() {
        let mut adapter = Adapter::new(Recorder::default(), Ui::Lightning);
        adapter.handle(Event::ClickToDial { number: "(415) 555-2671".to_owned(), record: Some(contact().id) });
        assert_eq!(adapter.host().open_cti, [(String::new(), OpenCtiCall::ShowPanel)]);
        let request = DialRequest {
            number: "(415) 555-2671".to_owned(),
            record_id: Some(contact().id.as_str().to_owned()),
            record_type: Some("Contact".to_owned()),
        };
        assert_eq!(adapter.host().sent, [ToServer::Dial(request)]);
        assert_eq!(adapter.view().notice.as_deref(), Some("Calling (415) 555-2671…"));
        adapter.handle(Event::DialFailed { message: "no telephony line".to_owned() });
        assert_eq!(adapter.view().notice.as_deref(), Some("The call could not be placed: no telephony line"));

        // The outbound call arrives on the stream: shown, never popped.
        let outbound = CallUpdate { direction: Direction::Outbound, ..ringing("out-1") };
        adapter.handle(Event::CallUpdated(Box::new(outbound)));
        let card = &adapter.view().calls[0];
        assert_eq!((card.status.as_str(), card.can_answer), ("Dialling…", false));
        assert_eq!(adapter.view().notice, None, "the placed call replaces the notice");
    }

    #[test]
    fn a_call_control_shows_under_way_then_the_state_the_stream_confirms() {
        use crate::control::{CommandKind, ControlState};
        let mut adapter = Adapter::new(Recorder::default(), Ui::Lightning);
        adapter.handle(Event::CallUpdated(Box::new(ringing("c1"))));
        assert_eq!(adapter.view().calls[0].controls, None, "a ringing call offers Answer, not controls");
        adapter.handle(Event::AnswerClicked { call_id: "c1".to_owned() });
        adapter.handle(Event::PopClaimed { call_id: "c1".to_owned(), claimed: true });
        adapter.handle(Event::SearchCompleted { call_id: "c1".to_owned(), matches: vec![contact()] });
        adapter.handle(Event::CallUpdated(Box::new(answered_and_popped("c1"))));
        adapter.handle(Event::ControlClicked { call_id: "c1".to_owned(), command: CommandRequest::Hold });
        assert_eq!(
            adapter.host().sent.last(),
            Some(&ToServer::CallCommand { call_id: "c1".to_owned(), command: CommandRequest::Hold })
        );
        let controls = adapter.view().calls[0].controls.clone().unwrap();
        assert_eq!(controls.status.as_deref(), Some("Holding…"));
        assert!(controls.buttons.contains(&(CommandKind::Hold, false)), "not held until confirmed: {controls:?}");

        let held = ControlState { held: true, ..ControlState::default() };
        adapter.handle(Event::CallUpdated(Box::new(CallUpdate { control: held, ..answered_and_popped("c1") })));
        let controls = adapter.view().calls[0].controls.clone().unwrap();
        assert_eq!(controls.status.as_deref(), Some("On hold"));
        assert!(controls.buttons.contains(&(CommandKind::Resume, true)), "{controls:?}");

        adapter.handle(Event::CommandRefused { call_id: "c1".to_owned(), message: "the call has ended".to_owned() });
        assert_eq!(adapter.view().calls[0].controls.clone().unwrap().status.as_deref(), Some("the call has ended"));

        let moved = ControlState { transferred_to: Some("Grace Hopper".to_owned()), ..ControlState::default() };
        adapter.handle(Event::CallUpdated(Box::new(CallUpdate { control: moved, ..answered_and_popped("c1") })));
        let card = &adapter.view().calls[0];
        assert_eq!((card.status.as_str(), card.controls.as_ref()), ("Transferred to Grace Hopper", None));
    }
}
