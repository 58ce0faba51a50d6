//! The agent's recent calls and texts for the softphone's Recent list (`GET /api/v1/agent/history`), each with the
//! record it was logged to.
//!
//! A call's record is, in order: the record the agent's softphone appended the activity to (the latest append), the
//! record the sync engine settled on (the audit trail's last successful `match` step, in legacy mode and triggers),
//! or legacy mode's chosen record kept on the call. A text's record is its `match` step's. The list is the calls the
//! telephony side routed to the agent (`calls.agent_user_id`, the `calls_agent` index) and the texts it handed them.

use super::accounts::corrupt;
use super::calls::direction_from_name;
use super::salesforce_audit::{StepOutcome, SyncStep};
use super::{SqlStore, on_db};
use callpop_core::call::{CallState, Direction};
use callpop_core::wire::HistoryKind;
use chrono::{DateTime, Utc};

/// One call or text of the agent's, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    pub kind: HistoryKind,
    pub id: String,
    pub direction: Direction,
    /// The other party's number, E.164.
    pub number_e164: String,
    pub name: Option<String>,
    pub at: DateTime<Utc>,
    pub state: Option<CallState>,
    pub answered: bool,
    pub record_id: Option<String>,
}

#[async_trait::async_trait]
pub trait HistoryStore {
    /// The agent's `limit` most recent calls and texts together, newest first.
    async fn agent_history(&self, account_id: i64, user_id: i64, limit: i64) -> sqlx::Result<Vec<HistoryRow>>;
}

#[derive(sqlx::FromRow)]
struct CallHistoryRow {
    call_id: String,
    direction: String,
    caller_e164: String,
    caller_name: Option<String>,
    started_at: DateTime<Utc>,
    state: String,
    answered_at: Option<DateTime<Utc>>,
    popped_at: Option<DateTime<Utc>>,
    record_id: Option<String>,
}

#[derive(sqlx::FromRow)]
struct TextHistoryRow {
    message_id: String,
    direction: String,
    from_e164: String,
    to_e164: String,
    occurred_at: DateTime<Utc>,
    record_id: Option<String>,
}

const CALLS_SQL: &str = "SELECT calls.call_id, calls.direction, calls.caller_e164, calls.caller_name, calls.started_at,
        calls.state, calls.answered_at, calls.popped_at,
        COALESCE(
            (SELECT activities.record_id FROM activities WHERE activities.call_row_id = calls.id
             ORDER BY activities.id DESC LIMIT 1),
            (SELECT salesforce_audit.record_id FROM salesforce_audit
             WHERE salesforce_audit.call_row_id = calls.id AND salesforce_audit.step = $4
               AND salesforce_audit.outcome = $5 AND salesforce_audit.record_id IS NOT NULL
             ORDER BY salesforce_audit.id DESC LIMIT 1),
            calls.salesforce_record_id) AS record_id
    FROM calls WHERE calls.agent_user_id = $1 AND calls.account_id = $2
    ORDER BY calls.started_at DESC, calls.id DESC LIMIT $3";

const TEXTS_SQL: &str = "SELECT texts.message_id, texts.direction, texts.from_e164, texts.to_e164, texts.occurred_at,
        (SELECT salesforce_audit.record_id FROM salesforce_audit
         WHERE salesforce_audit.text_row_id = texts.id AND salesforce_audit.step = $4
           AND salesforce_audit.outcome = $5 AND salesforce_audit.record_id IS NOT NULL
         ORDER BY salesforce_audit.id DESC LIMIT 1) AS record_id
    FROM texts WHERE texts.agent_user_id = $1 AND texts.account_id = $2
    ORDER BY texts.occurred_at DESC, texts.id DESC LIMIT $3";

#[async_trait::async_trait]
impl HistoryStore for SqlStore {
    async fn agent_history(&self, account_id: i64, user_id: i64, limit: i64) -> sqlx::Result<Vec<HistoryRow>> {
        let (calls, texts): (Vec<CallHistoryRow>, Vec<TextHistoryRow>) = on_db!(self.db(), pool => {
            let (matched, ok) = (SyncStep::Match.as_str(), StepOutcome::Ok.as_str());
            let calls = sqlx::query_as(CALLS_SQL)
                .bind(user_id).bind(account_id).bind(limit).bind(matched).bind(ok)
                .fetch_all(pool)
                .await?;
            let texts = sqlx::query_as(TEXTS_SQL)
                .bind(user_id).bind(account_id).bind(limit).bind(matched).bind(ok)
                .fetch_all(pool)
                .await?;
            (calls, texts)
        });
        let mut rows = Vec::with_capacity(calls.len() + texts.len());
        for call in calls {
            rows.push(HistoryRow {
                kind: HistoryKind::Call,
                direction: direction_from_name(&call.direction)
                    .ok_or_else(|| corrupt("calls.direction", &call.direction))?,
                state: Some(CallState::parse(&call.state).ok_or_else(|| corrupt("calls.state", &call.state))?),
                id: call.call_id,
                number_e164: call.caller_e164,
                name: call.caller_name,
                at: call.started_at,
                // The telephony side's `answered`, or a softphone of the agent's that answered and popped it.
                answered: call.answered_at.is_some() || call.popped_at.is_some(),
                record_id: call.record_id,
            });
        }
        for text in texts {
            let direction =
                direction_from_name(&text.direction).ok_or_else(|| corrupt("texts.direction", &text.direction))?;
            rows.push(HistoryRow {
                kind: HistoryKind::Text,
                id: text.message_id,
                number_e164: match direction {
                    Direction::Inbound => text.from_e164,
                    Direction::Outbound => text.to_e164,
                },
                direction,
                name: None,
                at: text.occurred_at,
                state: None,
                answered: false,
                record_id: text.record_id,
            });
        }
        rows.sort_by_key(|row| std::cmp::Reverse(row.at));
        rows.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(rows)
    }
}
