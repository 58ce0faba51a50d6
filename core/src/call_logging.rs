//! What gets logged, and where: a call's type (answered, missed, voicemail, abandoned, outbound not answered), the
//! account's logging policy (which types write a Task), when the Task of a call is written, and the record a Task
//! is related to (`WhatId`: none, the caller's most recent open Case or open Opportunity).
//!
//! The telephony side says how an unanswered call ended through the call event's `disposition`: `voicemail` (the
//! caller left a message) or `abandoned` (the caller hung up while waiting), in any case. Any other unanswered
//! inbound call is missed; an unanswered outbound call is "outbound not answered" whatever its disposition. A call
//! with an `answered` event is answered.
//!
//! A call's type is known once it is answered (it stays answered) or once it has ended. While a call only rings, the
//! Task is written at once only when every type the call may still become is logged (the default, so nothing
//! changes for existing accounts); otherwise it waits for the answer or the end, so a call is never half-logged: a
//! Task is written only for a call whose type is logged.
//!
//! The Task's `WhatId` is set only with a Contact as its record (`WhoId`): Salesforce refuses a `WhatId` on a Task
//! whose `WhoId` is a Lead (Leads have no related records), so a Lead's Task never gets one, and a Task on an Account
//! already has the Account as its `WhatId`, which it keeps.

use crate::call::{CallState, Direction};
use crate::record::{RecordId, SObjectType};
use serde::{Deserialize, Serialize};

/// What kind of call it was, for the logging policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CallType {
    /// An agent answered (inbound or outbound).
    Answered,
    /// Inbound, nobody answered, and the caller left no message.
    Missed,
    /// Inbound, nobody answered, and the caller left a message (`disposition` `voicemail`).
    Voicemail,
    /// Inbound, and the caller hung up while waiting (`disposition` `abandoned`).
    Abandoned,
    /// Outbound, and nobody answered.
    OutboundNotAnswered,
}

impl CallType {
    /// Every type, in the order the console lists them.
    pub const ALL: [Self; 5] =
        [Self::Answered, Self::Missed, Self::Voicemail, Self::Abandoned, Self::OutboundNotAnswered];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Answered => "answered",
            Self::Missed => "missed",
            Self::Voicemail => "voicemail",
            Self::Abandoned => "abandoned",
            Self::OutboundNotAnswered => "outbound_not_answered",
        }
    }

    /// The types a call of this direction can be.
    pub fn possible(direction: Direction) -> &'static [Self] {
        match direction {
            Direction::Inbound => &[Self::Answered, Self::Missed, Self::Voicemail, Self::Abandoned],
            Direction::Outbound => &[Self::Answered, Self::OutboundNotAnswered],
        }
    }
}

/// The facts a call's type is decided from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallFacts<'a> {
    pub direction: Direction,
    pub state: CallState,
    /// The call has an `answered` event.
    pub answered: bool,
    /// The telephony side's disposition.
    pub disposition: Option<&'a str>,
}

/// The call's type, or `None` while it is not decided yet (a ringing call may still be answered).
pub fn classify(facts: CallFacts<'_>) -> Option<CallType> {
    if facts.answered || facts.state == CallState::Answered {
        return Some(CallType::Answered);
    }
    if facts.state != CallState::Completed {
        return None;
    }
    let said = |word: &str| facts.disposition.is_some_and(|disposition| disposition.trim().eq_ignore_ascii_case(word));
    Some(match facts.direction {
        Direction::Outbound => CallType::OutboundNotAnswered,
        Direction::Inbound if said("voicemail") => CallType::Voicemail,
        Direction::Inbound if said("abandoned") => CallType::Abandoned,
        Direction::Inbound => CallType::Missed,
    })
}

/// Which call types write a Task. `Default` logs every type, as callpop always did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoggingPolicy {
    pub answered: bool,
    pub missed: bool,
    pub voicemail: bool,
    pub abandoned: bool,
    pub outbound_not_answered: bool,
}

impl Default for LoggingPolicy {
    fn default() -> Self {
        Self { answered: true, missed: true, voicemail: true, abandoned: true, outbound_not_answered: true }
    }
}

impl LoggingPolicy {
    /// Whether calls of this type write a Task.
    pub fn logs(&self, call_type: CallType) -> bool {
        match call_type {
            CallType::Answered => self.answered,
            CallType::Missed => self.missed,
            CallType::Voicemail => self.voicemail,
            CallType::Abandoned => self.abandoned,
            CallType::OutboundNotAnswered => self.outbound_not_answered,
        }
    }
}

/// What to do about a call's Task now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskDecision {
    /// Write (or update) the Task.
    Write,
    /// Not yet: the call's type is not decided and some type it may become is not logged.
    Wait,
    /// Never: calls of this type are not logged.
    Skip(CallType),
}

/// Whether a call's Task is written now, later, or never, by the account's policy.
pub fn task_decision(policy: &LoggingPolicy, facts: CallFacts<'_>) -> TaskDecision {
    match classify(facts) {
        Some(call_type) if policy.logs(call_type) => TaskDecision::Write,
        Some(call_type) => TaskDecision::Skip(call_type),
        None if CallType::possible(facts.direction).iter().all(|call_type| policy.logs(*call_type)) => {
            TaskDecision::Write
        }
        None => TaskDecision::Wait,
    }
}

/// The record a call's Task is related to besides its person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum WhatIdRule {
    /// No `WhatId` (an Account's Task keeps the Account).
    #[default]
    None,
    /// The most recently created open Case of the Contact.
    OpenCase,
    /// The most recently created open Opportunity of the Contact's Account.
    OpenOpportunity,
}

/// The account's logging settings, as `GET/PUT /api/v1/settings/logging` carry them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoggingSettings {
    /// Which call types write a Task.
    pub log: LoggingPolicy,
    /// What the Task is related to (`WhatId`).
    pub what_id: WhatIdRule,
}

/// A query the `WhatId` rule needs answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhatQuery {
    /// The newest open Case whose `ContactId` is this Contact.
    OpenCaseOfContact(RecordId),
    /// The Contact's `AccountId`, then [`WhatQuery::OpenOpportunityOfAccount`] with it.
    AccountOfContact(RecordId),
    /// The newest open Opportunity whose `AccountId` is this Account.
    OpenOpportunityOfAccount(RecordId),
}

/// The first query the rule needs for a Task on `record`; `None` when the Task gets no `WhatId` (the rule is none,
/// or the record is not a Contact: a Lead's Task cannot have one, an Account's has the Account).
pub fn what_query(rule: WhatIdRule, record: &RecordId) -> Option<WhatQuery> {
    if record.object() != SObjectType::Contact {
        return None;
    }
    match rule {
        WhatIdRule::None => None,
        WhatIdRule::OpenCase => Some(WhatQuery::OpenCaseOfContact(record.clone())),
        WhatIdRule::OpenOpportunity => Some(WhatQuery::AccountOfContact(record.clone())),
    }
}

/// What a `WhatId` query's answer (`found`, the id it returned) leaves: the next query, or the related record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhatNext {
    Query(WhatQuery),
    /// The Task's `WhatId`; `None` when there is nothing open to relate it to.
    Done(Option<RecordId>),
}

/// Reads a `WhatId` query's answer.
pub fn after_what_query(query: &WhatQuery, found: Option<RecordId>) -> WhatNext {
    match (query, found) {
        (WhatQuery::AccountOfContact(_), Some(account)) if account.object() == SObjectType::Account => {
            WhatNext::Query(WhatQuery::OpenOpportunityOfAccount(account))
        }
        (WhatQuery::AccountOfContact(_), _) => WhatNext::Done(None),
        (_, found) => WhatNext::Done(found),
    }
}

/// The Task's `WhatId` for a Task on `record`: `what` only when the record is a Contact, never with a Lead.
pub fn task_what_id<'a>(record: &RecordId, what: Option<&'a RecordId>) -> Option<&'a RecordId> {
    (record.object() == SObjectType::Contact).then_some(what).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(direction: Direction, state: CallState, answered: bool, disposition: Option<&str>) -> CallFacts<'_> {
        CallFacts { direction, state, answered, disposition }
    }

    #[test]
    fn a_ringing_call_has_no_type_yet_and_an_answered_one_stays_answered() {
        assert_eq!(classify(facts(Direction::Inbound, CallState::Ringing, false, None)), None);
        assert_eq!(
            classify(facts(Direction::Inbound, CallState::Completed, true, Some("voicemail"))),
            Some(CallType::Answered)
        );
        assert_eq!(
            classify(facts(Direction::Inbound, CallState::Completed, false, Some(" VoiceMail "))),
            Some(CallType::Voicemail)
        );
        assert_eq!(
            classify(facts(Direction::Outbound, CallState::Completed, false, Some("voicemail"))),
            Some(CallType::OutboundNotAnswered)
        );
    }

    #[test]
    fn the_default_policy_logs_every_call_at_once() {
        let policy = LoggingPolicy::default();
        for direction in [Direction::Inbound, Direction::Outbound] {
            for state in [CallState::Ringing, CallState::Answered, CallState::Completed] {
                assert_eq!(task_decision(&policy, facts(direction, state, false, None)), TaskDecision::Write);
            }
        }
    }

    #[test]
    fn a_leads_task_never_gets_a_what_id() {
        let lead = RecordId::parse("00Q000000000002").unwrap();
        let case = RecordId::parse("500000000000001").unwrap();
        assert_eq!(what_query(WhatIdRule::OpenCase, &lead), None);
        assert_eq!(task_what_id(&lead, Some(&case)), None);
    }
}
