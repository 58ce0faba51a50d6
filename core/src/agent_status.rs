//! An agent's status (`AgentStatus`), the vocabulary the softphone, the wire and the telephony side share. Its own
//! module so that the wire's messages name it without reaching into `wrap_up`, whose rules depend on the Task's
//! fields (`legacy`), which depend on the pop (`screen_pop`), which uses the wire: a circle of imports.

use serde::{Deserialize, Serialize};

/// An agent's status, as the agent chooses it and as the telephony side reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AgentStatus {
    /// Ready for the next call.
    Available,
    /// On a call, or busy with something else.
    Busy,
    /// Finishing the last call's notes and disposition.
    AfterCallWork,
    /// Not taking calls.
    Offline,
}

impl AgentStatus {
    /// Every status, in the order the softphone lists them.
    pub const ALL: [AgentStatus; 4] = [Self::Available, Self::Busy, Self::AfterCallWork, Self::Offline];

    /// The wire and database name (`available`, `busy`, `after_call_work`, `offline`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Available => "available",
            Self::Busy => "busy",
            Self::AfterCallWork => "after_call_work",
            Self::Offline => "offline",
        }
    }

    /// Parses the wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == raw)
    }
}
