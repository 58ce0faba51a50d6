//! Text messages (SMS): stored with their outbox item in one transaction, and listed for the text log.
//!
//! A message is one event. A telephony retry of the same message id changes nothing and is reported `duplicate`.

use super::accounts::corrupt;
use super::call_log::{LogCounts, LogFilter, LogQuery, LogTable, page_counts, page_rows};
use super::calls::{direction_from_name, direction_name};
use super::sync::{OutboxJob, OutboxSubject, enqueue};
use super::{SqlStore, in_group_tx, on_db};
use crate::model::{NewTextEvent, RecordedText, SyncStatus, Text, User};
use chrono::{DateTime, Utc};
use sqlx::types::Json;

#[async_trait::async_trait]
pub trait TextStore {
    /// Stores a text durably with the sync engine's outbox item (kind `text_event`, pointing at the text by
    /// `text_row_id`), in one transaction.
    async fn record_text_event(
        &self,
        account_id: i64,
        agent: Option<&User>,
        event: &NewTextEvent,
        now: DateTime<Utc>,
    ) -> sqlx::Result<RecordedText>;
    async fn text_by_message_id(&self, account_id: i64, message_id: &str) -> sqlx::Result<Option<Text>>;
    /// The texts of one page of a search, newest first.
    async fn list_texts(&self, query: &LogQuery) -> sqlx::Result<Vec<Text>>;
    /// How many texts the search matches, and how many are newer than row `first` and older than row `last`.
    async fn count_texts(&self, filter: &LogFilter, first: Option<i64>, last: Option<i64>) -> sqlx::Result<LogCounts>;
}

const TEXT_COLUMNS: &str = "id, account_id, message_id, direction, from_e164, to_e164, body, agent_user_id, \
    agent_ref, tracking_source, campaign, occurred_at, received_at, sync_status";

/// The text log's search: a number is either end of the message; a name is that of a call from or to the same
/// number in the account (texts carry no caller name of their own).
const TEXTS_LOG: LogTable = LogTable {
    table: "texts",
    columns: TEXT_COLUMNS,
    time: "occurred_at",
    number: "from_e164 = $6 OR to_e164 = $6 OR from_e164 LIKE $7 OR to_e164 LIKE $7",
    name: r"EXISTS (SELECT 1 FROM calls known WHERE known.account_id = texts.account_id
        AND known.caller_e164 IN (texts.from_e164, texts.to_e164) AND LOWER(known.caller_name) LIKE $8 ESCAPE '\')",
};

#[derive(sqlx::FromRow)]
struct TextRow {
    id: i64,
    account_id: i64,
    message_id: String,
    direction: String,
    from_e164: String,
    to_e164: String,
    body: String,
    agent_user_id: Option<i64>,
    agent_ref: Option<String>,
    tracking_source: Option<String>,
    campaign: Option<String>,
    occurred_at: DateTime<Utc>,
    received_at: DateTime<Utc>,
    sync_status: String,
}

impl TryFrom<TextRow> for Text {
    type Error = sqlx::Error;
    fn try_from(row: TextRow) -> Result<Self, Self::Error> {
        Ok(Text {
            direction: direction_from_name(&row.direction).ok_or_else(|| corrupt("texts.direction", &row.direction))?,
            sync_status: SyncStatus::parse(&row.sync_status)
                .ok_or_else(|| corrupt("texts.sync_status", &row.sync_status))?,
            id: row.id,
            account_id: row.account_id,
            message_id: row.message_id,
            from_e164: row.from_e164,
            to_e164: row.to_e164,
            body: row.body,
            agent_user_id: row.agent_user_id,
            agent_ref: row.agent_ref,
            tracking_source: row.tracking_source,
            campaign: row.campaign,
            occurred_at: row.occurred_at,
            received_at: row.received_at,
        })
    }
}

#[async_trait::async_trait]
impl TextStore for SqlStore {
    async fn record_text_event(
        &self,
        account_id: i64,
        agent: Option<&User>,
        event: &NewTextEvent,
        now: DateTime<Utc>,
    ) -> sqlx::Result<RecordedText> {
        let select_text = format!("SELECT {TEXT_COLUMNS} FROM texts WHERE account_id = $1 AND message_id = $2");
        let (agent_user_id, event) = (agent.map(|user| user.id), event.clone());
        in_group_tx!(self.db(), tx => {
            let inserted: Option<i64> = sqlx::query_scalar(
                "INSERT INTO texts (account_id, message_id, direction, from_e164, to_e164, body, agent_user_id,
                    agent_ref, tracking_source, campaign, occurred_at, received_at, payload)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                 ON CONFLICT (account_id, message_id) DO NOTHING RETURNING id",
            )
            .bind(account_id)
            .bind(&event.message_id)
            .bind(direction_name(event.direction))
            .bind(&event.from_e164)
            .bind(&event.to_e164)
            .bind(&event.body)
            .bind(agent_user_id)
            .bind(&event.agent_ref)
            .bind(&event.tracking_source)
            .bind(&event.campaign)
            .bind(event.occurred_at)
            .bind(now)
            .bind(Json(&event.raw))
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(text_row_id) = inserted {
                enqueue!(tx, account_id, OutboxSubject::Text(text_row_id), OutboxJob::TextEvent { text_row_id }, now);
            }
            let row: TextRow = sqlx::query_as(sqlx::AssertSqlSafe(select_text))
                .bind(account_id)
                .bind(&event.message_id)
                .fetch_one(&mut *tx)
                .await?;
            Ok(RecordedText { text: row.try_into()?, duplicate: inserted.is_none() })
        })
    }

    async fn text_by_message_id(&self, account_id: i64, message_id: &str) -> sqlx::Result<Option<Text>> {
        let sql = format!("SELECT {TEXT_COLUMNS} FROM texts WHERE account_id = $1 AND message_id = $2");
        let row: Option<TextRow> = on_db!(self.db(), pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(account_id).bind(message_id).fetch_optional(pool).await?
        });
        row.map(Text::try_from).transpose()
    }

    async fn list_texts(&self, query: &LogQuery) -> sqlx::Result<Vec<Text>> {
        let rows: Vec<TextRow> = page_rows(self.db(), &TEXTS_LOG, query).await?;
        rows.into_iter().map(Text::try_from).collect()
    }

    async fn count_texts(&self, filter: &LogFilter, first: Option<i64>, last: Option<i64>) -> sqlx::Result<LogCounts> {
        page_counts(self.db(), &TEXTS_LOG, filter, first, last).await
    }
}
