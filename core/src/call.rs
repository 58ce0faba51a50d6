//! Calls as callpop sees them: ids, directions and the states a call goes through.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Which way a call goes. Salesforce's `CallType` adds `Internal`, which callpop never logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Direction {
    Inbound,
    Outbound,
}

impl Direction {
    /// Salesforce's `Task.CallType` picklist value.
    pub fn call_type(self) -> &'static str {
        match self {
            Self::Inbound => "Inbound",
            Self::Outbound => "Outbound",
        }
    }
}

/// Where a call is in its life, as the telephony side reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CallState {
    Ringing,
    Answered,
    Completed,
}

impl CallState {
    /// The wire name (`ringing`, `answered`, `completed`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ringing => "ringing",
            Self::Answered => "answered",
            Self::Completed => "completed",
        }
    }

    /// Parses the wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Ringing, Self::Answered, Self::Completed].into_iter().find(|state| state.as_str() == raw)
    }

    /// Whether an agent can still act on the call (answer it, be popped for it).
    pub fn is_live(self) -> bool {
        !matches!(self, Self::Completed)
    }
}

/// The telephony side's id for a call: 1 to 128 printable ASCII characters without spaces.
///
/// It is written into Salesforce as `Task.CallObject`, so it stays within that field's 255 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(String);

/// Why a string cannot be a call id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidCallId {
    #[error("a call id cannot be empty")]
    Empty,
    #[error("a call id has at most 128 characters")]
    TooLong,
    #[error("a call id holds only letters, digits and . _ : - characters")]
    BadCharacter,
}

impl CallId {
    pub const MAX_LEN: usize = 128;

    /// Parses a call id.
    pub fn parse(raw: &str) -> Result<Self, InvalidCallId> {
        if raw.is_empty() {
            return Err(InvalidCallId::Empty);
        }
        if raw.len() > Self::MAX_LEN {
            return Err(InvalidCallId::TooLong);
        }
        if !raw.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"._:-".contains(&byte)) {
            return Err(InvalidCallId::BadCharacter);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// A fact of a call that no later event may change: who called (or was called) and which way the call went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixedFact {
    /// The other party's number, as the `caller_number` field the telephony side sends.
    CallerNumber,
    Direction,
}

impl FixedFact {
    /// The request field that carries the fact.
    pub fn field(self) -> &'static str {
        match self {
            Self::CallerNumber => "caller_number",
            Self::Direction => "direction",
        }
    }
}

/// A later event that says it belongs to another call: the field it disagrees on, what the call has, what was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contradiction {
    pub fact: FixedFact,
    pub known: String,
    pub sent: String,
}

/// Whether an event of a known call contradicts it. The caller and the direction never change during a call, so an
/// event that disagrees is a mistake (most often a reused call id) that must be refused, not folded into the call.
/// Numbers are compared in E.164, so the same number written two ways agrees.
pub fn contradiction(
    known_caller_e164: &str,
    known_direction: Direction,
    sent_caller_e164: &str,
    sent_direction: Direction,
) -> Option<Contradiction> {
    if known_caller_e164 != sent_caller_e164 {
        return Some(Contradiction {
            fact: FixedFact::CallerNumber,
            known: known_caller_e164.to_owned(),
            sent: sent_caller_e164.to_owned(),
        });
    }
    (known_direction != sent_direction).then(|| Contradiction {
        fact: FixedFact::Direction,
        known: known_direction.call_type().to_owned(),
        sent: sent_direction.call_type().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_another_caller_or_direction_contradicts_a_call() {
        assert_eq!(contradiction("+14155550100", Direction::Inbound, "+14155550100", Direction::Inbound), None);
        let caller = contradiction("+14155550100", Direction::Inbound, "+14155550199", Direction::Outbound).unwrap();
        assert_eq!(
            (caller.fact.field(), caller.known.as_str(), caller.sent.as_str()),
            ("caller_number", "+14155550100", "+14155550199")
        );
        let direction = contradiction("+14155550100", Direction::Inbound, "+14155550100", Direction::Outbound).unwrap();
        assert_eq!(
            (direction.fact.field(), direction.known.as_str(), direction.sent.as_str()),
            ("direction", "Inbound", "Outbound")
        );
    }

    #[test]
    fn call_ids_are_validated() {
        assert!(CallId::parse("CA-2026-11-25:0001_a.b").is_ok());
        assert_eq!(CallId::parse(""), Err(InvalidCallId::Empty));
        assert_eq!(CallId::parse("a b"), Err(InvalidCallId::BadCharacter));
        assert_eq!(CallId::parse(&"x".repeat(129)), Err(InvalidCallId::TooLong));
    }

    #[test]
    fn states_round_trip_through_their_wire_names() {
        for state in [CallState::Ringing, CallState::Answered, CallState::Completed] {
            assert_eq!(CallState::parse(state.as_str()), Some(state));
        }
        assert_eq!(CallState::parse("on_hold"), None);
    }
}
