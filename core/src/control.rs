//! Call controls: the commands an agent sends to the telephony side for a live call (hang up, hold, resume, mute,
//! unmute, transfer, DTMF digits), which of them a call's confirmed state allows, how the telephony side's
//! acknowledgement changes that state, and what the confirmed holds add up to (`hold_summary`).
//!
//! callpop carries no audio. A command is a request the telephony side reads (`GET /api/v1/call-commands`) and
//! acknowledges (`done` or `failed` with a reason). The softphone shows only what an acknowledgement confirmed:
//! until then the command is pending ("Holding…"), and a failure leaves the state as it was.
//!
//! The rules, as a decision table (`allowed`, tested below row by row):
//! - Nothing is allowed once the call has ended, once the agent hung up (confirmed), or once it was transferred.
//! - While the call rings only hang-up is allowed (decline an inbound call, cancel an outbound one).
//! - An answered call may be held when not held and resumed when held; muted when not muted and unmuted when muted.
//!   Digits need a call that is not held (nobody would hear them). Transfer is allowed held or not.
//! - One command waits at a time: while one is pending, another is refused, except hang-up, which is always
//!   allowed on a live call (an agent must never be unable to end a call because the telephony side is slow).

use crate::call::CallState;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The kinds of command, as the API and the store name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CommandKind {
    HangUp,
    Hold,
    Resume,
    Mute,
    Unmute,
    Transfer,
    SendDigits,
}

impl CommandKind {
    pub const ALL: [CommandKind; 7] = [
        CommandKind::HangUp,
        CommandKind::Hold,
        CommandKind::Resume,
        CommandKind::Mute,
        CommandKind::Unmute,
        CommandKind::Transfer,
        CommandKind::SendDigits,
    ];

    /// The wire and stored name (`hang_up`, `send_digits`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HangUp => "hang_up",
            Self::Hold => "hold",
            Self::Resume => "resume",
            Self::Mute => "mute",
            Self::Unmute => "unmute",
            Self::Transfer => "transfer",
            Self::SendDigits => "send_digits",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }

    /// What the softphone says while the command waits for the telephony side.
    pub fn pending_label(self) -> &'static str {
        match self {
            Self::HangUp => "Hanging up…",
            Self::Hold => "Holding…",
            Self::Resume => "Resuming…",
            Self::Mute => "Muting…",
            Self::Unmute => "Unmuting…",
            Self::Transfer => "Transferring…",
            Self::SendDigits => "Sending digits…",
        }
    }

    /// The command in the agent's words, for a failure ("Hold failed: …").
    pub fn label(self) -> &'static str {
        match self {
            Self::HangUp => "Hang up",
            Self::Hold => "Hold",
            Self::Resume => "Resume",
            Self::Mute => "Mute",
            Self::Unmute => "Unmute",
            Self::Transfer => "Transfer",
            Self::SendDigits => "Digits",
        }
    }
}

/// Where a transfer goes: a phone number (read in the account's region on the server) or another agent of the
/// account, named by their callpop email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferTarget {
    Number(String),
    Agent(String),
}

/// DTMF digits: 1 to 64 of `0-9 * #`, plus `,` and `w` for a pause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digits(String);

impl Digits {
    pub const MAX_LEN: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, CommandProblem> {
        if raw.is_empty() {
            return Err(CommandProblem::new("digits", "`digits` cannot be empty"));
        }
        if raw.len() > Self::MAX_LEN {
            return Err(CommandProblem::new("digits", "`digits` holds at most 64 characters"));
        }
        if !raw.bytes().all(|byte| byte.is_ascii_digit() || b"*#,w".contains(&byte)) {
            return Err(CommandProblem::new("digits", "`digits` holds only 0-9, *, # and the pauses , and w"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A validated command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    HangUp,
    Hold,
    Resume,
    Mute,
    Unmute,
    Transfer(TransferTarget),
    SendDigits(Digits),
}

impl Command {
    pub fn kind(&self) -> CommandKind {
        match self {
            Self::HangUp => CommandKind::HangUp,
            Self::Hold => CommandKind::Hold,
            Self::Resume => CommandKind::Resume,
            Self::Mute => CommandKind::Mute,
            Self::Unmute => CommandKind::Unmute,
            Self::Transfer(_) => CommandKind::Transfer,
            Self::SendDigits(_) => CommandKind::SendDigits,
        }
    }

    /// Reads the softphone's request: the transfer names exactly one target, the digits are valid.
    pub fn from_request(request: &CommandRequest) -> Result<Self, CommandProblem> {
        fn blank(value: &Option<String>) -> Option<&str> {
            value.as_deref().map(str::trim).filter(|value| !value.is_empty())
        }
        Ok(match request {
            CommandRequest::HangUp => Self::HangUp,
            CommandRequest::Hold => Self::Hold,
            CommandRequest::Resume => Self::Resume,
            CommandRequest::Mute => Self::Mute,
            CommandRequest::Unmute => Self::Unmute,
            CommandRequest::Transfer { to_number, to_agent } => match (blank(to_number), blank(to_agent)) {
                (Some(number), None) => Self::Transfer(TransferTarget::Number(number.to_owned())),
                (None, Some(agent)) => Self::Transfer(TransferTarget::Agent(agent.to_owned())),
                (Some(_), Some(_)) => {
                    return Err(CommandProblem::new(
                        "to_agent",
                        "a transfer names `to_number` or `to_agent`, not both",
                    ));
                }
                (None, None) => {
                    return Err(CommandProblem::new("to_number", "a transfer needs `to_number` or `to_agent`"));
                }
            },
            CommandRequest::SendDigits { digits } => Self::SendDigits(Digits::parse(digits)?),
        })
    }
}

/// What is wrong with a command: the field at fault and a sentence for the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandProblem {
    pub field: &'static str,
    pub message: String,
}

impl CommandProblem {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self { field, message: message.into() }
    }
}

impl fmt::Display for CommandProblem {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.message)
    }
}

/// `POST /api/v1/agent/calls/{call_id}/commands`: what the agent asks of the telephony side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CommandRequest {
    HangUp,
    Hold,
    Resume,
    Mute,
    Unmute,
    /// Transfer to a number (in the account's region when it has no country code) or to another agent of the
    /// account (their email): exactly one of the two.
    Transfer {
        #[serde(default)]
        to_number: Option<String>,
        #[serde(default)]
        to_agent: Option<String>,
    },
    /// DTMF: `0-9 * #`, and `,` or `w` for a pause; at most 64.
    SendDigits {
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64, pattern = r"^[0-9*#,w]+$"))]
        digits: String,
    },
}

/// A call's control state as the telephony side confirmed it, plus the command waiting for it, if any. It travels
/// in `CallUpdate::control`, so the softphone draws the confirmed state and never a guess.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ControlState {
    #[serde(default)]
    pub held: bool,
    #[serde(default)]
    pub muted: bool,
    /// The telephony side confirmed the hang-up; the call's `completed` event follows.
    #[serde(default)]
    pub hung_up: bool,
    /// Where the call went when it was transferred away from this agent: a number as the account writes it, or
    /// the other agent's name.
    #[serde(default)]
    pub transferred_to: Option<String>,
    /// The command sent and not yet acknowledged.
    #[serde(default)]
    pub pending: Option<CommandKind>,
    /// The last command's failure, when the last acknowledged command failed: the command and the telephony
    /// side's reason.
    #[serde(default)]
    pub failure: Option<CommandFailure>,
}

/// A command the telephony side could not carry out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommandFailure {
    pub command: CommandKind,
    pub reason: String,
}

/// Why a command is refused in the call's confirmed state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Ended,
    HungUp,
    Transferred,
    NotAnswered,
    AlreadyHeld,
    NotHeld,
    AlreadyMuted,
    NotMuted,
    Held,
    Waiting(CommandKind),
}

impl fmt::Display for Refusal {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ended => formatter.write_str("the call has ended"),
            Self::HungUp => formatter.write_str("the call was hung up"),
            Self::Transferred => formatter.write_str("the call was transferred"),
            Self::NotAnswered => formatter.write_str("the call is not answered yet: only hang_up is allowed"),
            Self::AlreadyHeld => formatter.write_str("the call is already on hold"),
            Self::NotHeld => formatter.write_str("the call is not on hold"),
            Self::AlreadyMuted => formatter.write_str("the call is already muted"),
            Self::NotMuted => formatter.write_str("the call is not muted"),
            Self::Held => formatter.write_str("the call is on hold: resume it before sending digits"),
            Self::Waiting(kind) => {
                write!(formatter, "a {} command is waiting for the telephony side", kind.as_str())
            }
        }
    }
}

/// Whether `command` may be sent for a call in this state (see the module's table).
pub fn allowed(call: CallState, control: &ControlState, command: CommandKind) -> Result<(), Refusal> {
    if call == CallState::Completed {
        return Err(Refusal::Ended);
    }
    if control.hung_up {
        return Err(Refusal::HungUp);
    }
    if control.transferred_to.is_some() {
        return Err(Refusal::Transferred);
    }
    if command == CommandKind::HangUp {
        return Ok(());
    }
    if let Some(waiting) = control.pending {
        return Err(Refusal::Waiting(waiting));
    }
    if call == CallState::Ringing {
        return Err(Refusal::NotAnswered);
    }
    match command {
        CommandKind::Hold if control.held => Err(Refusal::AlreadyHeld),
        CommandKind::Resume if !control.held => Err(Refusal::NotHeld),
        CommandKind::Mute if control.muted => Err(Refusal::AlreadyMuted),
        CommandKind::Unmute if !control.muted => Err(Refusal::NotMuted),
        CommandKind::SendDigits if control.held => Err(Refusal::Held),
        _ => Ok(()),
    }
}

/// The telephony side's acknowledgement of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AckStatus {
    Done,
    Failed,
}

impl AckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}

/// Where a command is: waiting, or acknowledged one way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandStatus {
    Pending,
    Acked(AckStatus),
}

impl CommandStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Acked(ack) => ack.as_str(),
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(Self::Pending),
            "done" => Some(Self::Acked(AckStatus::Done)),
            "failed" => Some(Self::Acked(AckStatus::Failed)),
            _ => None,
        }
    }
}

/// What an acknowledgement does to a command in `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckOutcome {
    /// The first acknowledgement: record it and apply it to the call's state.
    Apply,
    /// The same acknowledgement again (a retry): nothing changes.
    Repeat,
    /// It contradicts the one recorded: refused.
    Contradicts(AckStatus),
}

pub fn acknowledge(status: CommandStatus, ack: AckStatus) -> AckOutcome {
    match status {
        CommandStatus::Pending => AckOutcome::Apply,
        CommandStatus::Acked(recorded) if recorded == ack => AckOutcome::Repeat,
        CommandStatus::Acked(recorded) => AckOutcome::Contradicts(recorded),
    }
}

/// The confirmed state after a `done` acknowledgement of `kind`. A transfer's own effect (where the call went) is
/// the server's to fill in, since a transfer to an agent hands the call over instead.
pub fn confirmed(mut control: ControlState, kind: CommandKind) -> ControlState {
    match kind {
        CommandKind::Hold => control.held = true,
        CommandKind::Resume => control.held = false,
        CommandKind::Mute => control.muted = true,
        CommandKind::Unmute => control.muted = false,
        CommandKind::HangUp => control.hung_up = true,
        CommandKind::Transfer | CommandKind::SendDigits => {}
    }
    control
}

/// One confirmed hold or resume of a call, `at` milliseconds on the caller's clock (the server passes Unix time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoldChange {
    /// `true` for a confirmed Hold, `false` for a confirmed Resume.
    pub held: bool,
    pub at_millis: i64,
}

/// A call's holds, as a VoiceCall records them (`numberOfHolds`, `totalHoldDuration`, `longestHoldDuration`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HoldSummary {
    pub holds: i64,
    /// All the holds together, in whole seconds (rounded once, from the milliseconds).
    pub total_seconds: i64,
    pub longest_seconds: i64,
}

/// The holds of a call that ended at `end_millis`, from its confirmed holds and resumes in the order they were
/// confirmed. A hold confirmed while the call was already held (a repeated acknowledgement) starts nothing, a
/// resume while not held ends nothing, and a hold still open at the end lasts until the end: the caller heard the
/// hold music until then.
pub fn hold_summary(changes: &[HoldChange], end_millis: i64) -> HoldSummary {
    let mut summary = HoldSummary::default();
    let (mut total, mut longest) = (0_i64, 0_i64);
    let mut held_since: Option<i64> = None;
    let mut close = |since: i64, until: i64| {
        let length = (until - since).max(0);
        total += length;
        longest = longest.max(length);
    };
    for change in changes {
        match (change.held, held_since) {
            (true, None) => {
                held_since = Some(change.at_millis);
                summary.holds += 1;
            }
            (false, Some(since)) => {
                close(since, change.at_millis);
                held_since = None;
            }
            _ => {}
        }
    }
    if let Some(since) = held_since {
        close(since, end_millis);
    }
    let seconds = |millis: i64| (millis + 500) / 1000;
    summary.total_seconds = seconds(total);
    summary.longest_seconds = seconds(longest);
    summary
}

/// The controls the softphone offers for a call in this state: each button and whether it can be pressed now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlsView {
    /// Hang up, Hold or Resume, Mute or Unmute, Transfer, Keypad, in that order, each with whether it is enabled.
    pub buttons: Vec<(CommandKind, bool)>,
    /// A line about the confirmed state: "On hold · Muted", "Holding…", "Hold failed: …".
    pub status: Option<String>,
}

/// The buttons of a call's card. `None` when the call offers no control (ended, hung up, transferred).
pub fn controls_view(call: CallState, control: &ControlState) -> Option<ControlsView> {
    if call == CallState::Completed || control.hung_up || control.transferred_to.is_some() {
        return None;
    }
    let hold = if control.held { CommandKind::Resume } else { CommandKind::Hold };
    let mute = if control.muted { CommandKind::Unmute } else { CommandKind::Mute };
    let buttons = [CommandKind::HangUp, hold, mute, CommandKind::Transfer, CommandKind::SendDigits]
        .into_iter()
        .map(|kind| (kind, allowed(call, control, kind).is_ok()))
        .collect();
    let status = match (&control.pending, &control.failure) {
        (Some(pending), _) => Some(pending.pending_label().to_owned()),
        (None, Some(failure)) => Some(format!("{} failed: {}", failure.command.label(), failure.reason)),
        (None, None) => {
            let parts: Vec<&str> = [(control.held, "On hold"), (control.muted, "Muted")]
                .iter()
                .filter(|(on, _)| *on)
                .map(|p| p.1)
                .collect();
            (!parts.is_empty()).then(|| parts.join(" · "))
        }
    };
    Some(ControlsView { buttons, status })
}

/// The controls of a call's card in the softphone: none on an inbound call still ringing (its card offers Answer)
/// or a call this agent no longer has; otherwise `controls_view`, with the command this softphone just sent shown
/// as under way until the stream brings it back (`sending`), and a refusal of the server's (`error`).
pub fn card_controls(
    call: CallState,
    direction: crate::call::Direction,
    control: &ControlState,
    sending: Option<CommandKind>,
    error: Option<&str>,
) -> Option<ControlsView> {
    if call == CallState::Ringing && direction == crate::call::Direction::Inbound {
        return None;
    }
    let mut view = controls_view(call, control)?;
    if let Some(sending) = sending.filter(|_| control.pending.is_none()) {
        for (kind, enabled) in &mut view.buttons {
            *enabled = *enabled && *kind == CommandKind::HangUp && sending != CommandKind::HangUp;
        }
        view.status = Some(sending.pending_label().to_owned());
    }
    if let Some(error) = error {
        view.status = Some(error.to_owned());
    }
    Some(view)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(held: bool, muted: bool, pending: Option<CommandKind>) -> ControlState {
        ControlState { held, muted, pending, ..ControlState::default() }
    }

    /// The decision table: call state, confirmed control state, command → allowed or the refusal.
    #[test]
    fn the_decision_table() {
        use CallState::{Answered, Completed, Ringing};
        use CommandKind::*;
        let quiet = state(false, false, None);
        let held = state(true, false, None);
        let muted = state(false, true, None);
        let waiting = state(false, false, Some(Hold));
        let hung_up = ControlState { hung_up: true, ..ControlState::default() };
        let transferred = ControlState { transferred_to: Some("+14155550100".to_owned()), ..ControlState::default() };
        let table: &[(CallState, &ControlState, CommandKind, Result<(), Refusal>)] = &[
            (Ringing, &quiet, HangUp, Ok(())),
            (Ringing, &quiet, Hold, Err(Refusal::NotAnswered)),
            (Ringing, &quiet, SendDigits, Err(Refusal::NotAnswered)),
            (Ringing, &quiet, Transfer, Err(Refusal::NotAnswered)),
            (Answered, &quiet, HangUp, Ok(())),
            (Answered, &quiet, Hold, Ok(())),
            (Answered, &quiet, Resume, Err(Refusal::NotHeld)),
            (Answered, &quiet, Mute, Ok(())),
            (Answered, &quiet, Unmute, Err(Refusal::NotMuted)),
            (Answered, &quiet, Transfer, Ok(())),
            (Answered, &quiet, SendDigits, Ok(())),
            (Answered, &held, Hold, Err(Refusal::AlreadyHeld)),
            (Answered, &held, Resume, Ok(())),
            (Answered, &held, SendDigits, Err(Refusal::Held)),
            (Answered, &held, Transfer, Ok(())),
            (Answered, &held, Mute, Ok(())),
            (Answered, &muted, Mute, Err(Refusal::AlreadyMuted)),
            (Answered, &muted, Unmute, Ok(())),
            (Answered, &muted, Hold, Ok(())),
            (Answered, &waiting, Resume, Err(Refusal::Waiting(Hold))),
            (Answered, &waiting, Mute, Err(Refusal::Waiting(Hold))),
            (Answered, &waiting, HangUp, Ok(())),
            (Answered, &hung_up, HangUp, Err(Refusal::HungUp)),
            (Answered, &transferred, Hold, Err(Refusal::Transferred)),
            (Answered, &transferred, HangUp, Err(Refusal::Transferred)),
        ];
        for (call, control, command, expected) in table {
            assert_eq!(allowed(*call, control, *command), *expected, "{call:?} {control:?} {command:?}");
        }
        for command in CommandKind::ALL {
            assert_eq!(allowed(Completed, &quiet, command), Err(Refusal::Ended), "nothing after completed");
        }
    }

    #[test]
    fn acknowledgements_are_idempotent_and_never_contradicted() {
        use AckStatus::{Done, Failed};
        assert_eq!(acknowledge(CommandStatus::Pending, Done), AckOutcome::Apply);
        assert_eq!(acknowledge(CommandStatus::Pending, Failed), AckOutcome::Apply);
        assert_eq!(acknowledge(CommandStatus::Acked(Done), Done), AckOutcome::Repeat);
        assert_eq!(acknowledge(CommandStatus::Acked(Failed), Failed), AckOutcome::Repeat);
        assert_eq!(acknowledge(CommandStatus::Acked(Done), Failed), AckOutcome::Contradicts(Done));
        assert_eq!(acknowledge(CommandStatus::Acked(Failed), Done), AckOutcome::Contradicts(Failed));
        for status in [CommandStatus::Pending, CommandStatus::Acked(Done), CommandStatus::Acked(Failed)] {
            assert_eq!(CommandStatus::parse(status.as_str()), Some(status));
        }
    }

    #[test]
    fn a_done_acknowledgement_moves_the_confirmed_state() {
        let quiet = ControlState::default();
        let held = confirmed(quiet.clone(), CommandKind::Hold);
        assert!(held.held);
        assert!(!confirmed(held.clone(), CommandKind::Resume).held);
        let muted = confirmed(held, CommandKind::Mute);
        assert!(muted.held && muted.muted);
        assert!(!confirmed(muted, CommandKind::Unmute).muted);
        assert!(confirmed(quiet.clone(), CommandKind::HangUp).hung_up);
        assert_eq!(confirmed(quiet.clone(), CommandKind::SendDigits), quiet);
    }

    #[test]
    fn digits_are_validated() {
        assert_eq!(Digits::parse("0123456789*#,w").unwrap().as_str(), "0123456789*#,w");
        assert_eq!(Digits::parse("").unwrap_err().field, "digits");
        assert!(Digits::parse("12a").is_err());
        assert!(Digits::parse(&"1".repeat(64)).is_ok());
        assert!(Digits::parse(&"1".repeat(65)).is_err());
    }

    #[test]
    fn requests_are_read_from_their_wire_form() {
        let read = |json: &str| Command::from_request(&serde_json::from_str::<CommandRequest>(json).unwrap());
        assert_eq!(read(r#"{"command":"hold"}"#), Ok(Command::Hold));
        assert_eq!(
            read(r#"{"command":"transfer","to_agent":"grace@acme.test"}"#),
            Ok(Command::Transfer(TransferTarget::Agent("grace@acme.test".to_owned())))
        );
        assert_eq!(read(r#"{"command":"transfer"}"#).unwrap_err().field, "to_number");
        assert_eq!(read(r#"{"command":"transfer","to_number":"1","to_agent":"a"}"#).unwrap_err().field, "to_agent");
        assert_eq!(read(r#"{"command":"send_digits","digits":"12#"}"#).unwrap().kind(), CommandKind::SendDigits);
        assert!(serde_json::from_str::<CommandRequest>(r#"{"command":"explode"}"#).is_err());
        for kind in CommandKind::ALL {
            assert_eq!(CommandKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn the_card_offers_the_buttons_the_state_allows() {
        let view = controls_view(CallState::Answered, &state(true, false, None)).unwrap();
        assert_eq!(
            view.buttons,
            [
                (CommandKind::HangUp, true),
                (CommandKind::Resume, true),
                (CommandKind::Mute, true),
                (CommandKind::Transfer, true),
                (CommandKind::SendDigits, false)
            ]
        );
        assert_eq!(view.status.as_deref(), Some("On hold"));
        let waiting = controls_view(CallState::Answered, &state(false, false, Some(CommandKind::Hold))).unwrap();
        assert_eq!(waiting.status.as_deref(), Some("Holding…"));
        assert!(waiting.buttons.iter().all(|(kind, enabled)| *enabled == (*kind == CommandKind::HangUp)));
        let failed = ControlState {
            failure: Some(CommandFailure { command: CommandKind::Hold, reason: "line busy".to_owned() }),
            ..ControlState::default()
        };
        let view = controls_view(CallState::Answered, &failed).unwrap();
        assert_eq!(view.status.as_deref(), Some("Hold failed: line busy"));
        assert_eq!(controls_view(CallState::Completed, &ControlState::default()), None);
    }

    #[test]
    fn a_ringing_inbound_call_offers_answer_and_a_dialling_one_offers_hang_up() {
        use crate::call::Direction;
        let quiet = ControlState::default();
        assert_eq!(card_controls(CallState::Ringing, Direction::Inbound, &quiet, None, None), None);
        let dialling = card_controls(CallState::Ringing, Direction::Outbound, &quiet, None, None).unwrap();
        let enabled: Vec<CommandKind> =
            dialling.buttons.iter().filter(|(_, enabled)| *enabled).map(|(kind, _)| *kind).collect();
        assert_eq!(enabled, [CommandKind::HangUp]);
        let sending = card_controls(CallState::Answered, Direction::Inbound, &quiet, Some(CommandKind::Mute), None);
        assert_eq!(sending.unwrap().status.as_deref(), Some("Muting…"), "shown as under way, not as muted");
    }

    #[test]
    fn holds_add_up_to_the_voice_calls_hold_fields_and_a_hold_open_at_the_end_lasts_until_the_end() {
        let change = |held, seconds: i64| HoldChange { held, at_millis: seconds * 1000 };
        assert_eq!(hold_summary(&[], 60_000), HoldSummary::default());
        // Held 10 s, then 25 s, then held again until the end at 100 s (15 s); a repeated hold starts nothing.
        let changes = [
            change(true, 5),
            change(false, 15),
            change(true, 20),
            change(true, 30),
            change(false, 45),
            change(false, 50),
            change(true, 85),
        ];
        let summary = hold_summary(&changes, 100_000);
        assert_eq!(summary, HoldSummary { holds: 3, total_seconds: 50, longest_seconds: 25 });
        // Milliseconds are summed before rounding: three holds of 1.4 s make 4 s, not 3.
        let short = [(0, 1400), (2000, 3400), (4000, 5400)]
            .iter()
            .flat_map(|(on, off)| {
                [HoldChange { held: true, at_millis: *on }, HoldChange { held: false, at_millis: *off }]
            })
            .collect::<Vec<_>>();
        assert_eq!(hold_summary(&short, 6000), HoldSummary { holds: 3, total_seconds: 4, longest_seconds: 1 });
    }
}
