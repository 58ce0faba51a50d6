//! Call controls: the commands agents send for their live calls, the telephony side's acknowledgements, and each
//! call's confirmed control state (`call_controls`).
//!
//! A command is checked against the call's confirmed state by `callpop_core::control::allowed` inside the
//! transaction that stores it, so two racing commands cannot both pass. Storing a command and applying an
//! acknowledgement each write the agent's stream notice in the same transaction: the softphone shows the pending
//! command, then the state the acknowledgement confirmed.

use super::accounts::corrupt;
use super::{SqlStore, in_write_tx, on_db, select_in_chunks};
use crate::model::User;
use callpop_core::call::CallState;
use callpop_core::control::{
    AckOutcome, AckStatus, CommandFailure, CommandKind, CommandStatus, ControlState, HoldChange, Refusal, acknowledge,
    allowed, confirmed,
};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// A command as the store writes it: the validated command with its target resolved (a number in E.164, an agent
/// by user id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCommand {
    pub kind: CommandKind,
    pub to_number_e164: Option<String>,
    pub to_user_id: Option<i64>,
    pub digits: Option<String>,
}

/// A command as the telephony side reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCommand {
    pub id: i64,
    /// The telephony side's id of the call.
    pub call_id: String,
    pub kind: CommandKind,
    /// Who asked: the agent's email.
    pub agent_email: String,
    pub to_number_e164: Option<String>,
    /// A transfer's target agent, by email.
    pub to_agent_email: Option<String>,
    pub digits: Option<String>,
    pub status: CommandStatus,
    pub reason: Option<String>,
    pub requested_at: DateTime<Utc>,
}

/// What became of an agent's command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandOutcome {
    Queued(StoredCommand),
    /// The agent has no such call (another agent's, another account's, or none).
    NotFound,
    Refused(Refusal),
}

/// What became of an acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckResult {
    /// Recorded and applied; these users' streams have a notice to read.
    Applied {
        notify: Vec<i64>,
    },
    /// The same acknowledgement as before: nothing changed.
    Repeat,
    Contradicts(AckStatus),
    NotFound,
}

/// A call's control state as stored, before it is rendered for one agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredControl {
    pub state: ControlState,
    /// A transfer to a number, E.164 (rendered as the account writes numbers).
    pub transferred_to_e164: Option<String>,
}

#[async_trait::async_trait]
pub trait CallCommandStore {
    /// Stores an agent's command for one of their calls, if the call's confirmed state allows it.
    async fn create_call_command(
        &self,
        user: &User,
        call_id: &str,
        command: &NewCommand,
        now: DateTime<Utc>,
    ) -> sqlx::Result<CommandOutcome>;
    /// The account's commands waiting for the telephony side, oldest first.
    async fn pending_call_commands(&self, account_id: i64, limit: i64) -> sqlx::Result<Vec<StoredCommand>>;
    /// One of the account's commands.
    async fn call_command(&self, account_id: i64, command_id: i64) -> sqlx::Result<Option<StoredCommand>>;
    /// Records the telephony side's acknowledgement and applies a `done` to the call's confirmed state.
    async fn acknowledge_call_command(
        &self,
        account_id: i64,
        command_id: i64,
        ack: AckStatus,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<AckResult>;
    /// Each call's confirmed control state, its pending command and its last failure, in a few reads: the calls
    /// with a stored state or a command (the others have the default state). `read_control!` reads one call's in a
    /// transaction; this reads many with the same rule.
    async fn call_controls(&self, call_row_ids: &[i64]) -> sqlx::Result<HashMap<i64, StoredControl>>;
    /// The call's holds and resumes the telephony side confirmed, in the order it confirmed them (for the
    /// VoiceCall's hold fields, `callpop_core::control::hold_summary`).
    async fn call_hold_changes(&self, call_row_id: i64) -> sqlx::Result<Vec<HoldChange>>;
}

const COMMAND_COLUMNS: &str = "call_commands.id, calls.call_id, call_commands.command, agents.email, \
    call_commands.to_number, targets.email, call_commands.digits, call_commands.status, call_commands.reason, \
    call_commands.requested_at";

const COMMAND_FROM: &str = "call_commands JOIN calls ON calls.id = call_commands.call_row_id \
    JOIN users AS agents ON agents.id = call_commands.user_id \
    LEFT JOIN users AS targets ON targets.id = call_commands.to_user_id";

type CommandRow = (
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    DateTime<Utc>,
);

/// The commands `condition` selects (on `call_commands`, `calls`, `agents` and `targets`), as `CommandRow`s.
fn select_commands(condition: &str) -> String {
    format!("SELECT {COMMAND_COLUMNS} FROM {COMMAND_FROM} WHERE {condition}")
}

/// A stored command name, read back.
fn stored_kind(command: &str) -> sqlx::Result<CommandKind> {
    CommandKind::parse(command).ok_or_else(|| corrupt("call_commands.command", command))
}

/// A stored command status, read back.
fn stored_status(status: &str) -> sqlx::Result<CommandStatus> {
    CommandStatus::parse(status).ok_or_else(|| corrupt("call_commands.status", status))
}

fn command_from_row(row: CommandRow) -> sqlx::Result<StoredCommand> {
    let (id, call_id, command, agent_email, to_number_e164, to_agent_email, digits, status, reason, requested_at) = row;
    Ok(StoredCommand {
        id,
        call_id,
        kind: stored_kind(&command)?,
        agent_email,
        to_number_e164,
        to_agent_email,
        digits,
        status: stored_status(&status)?,
        reason,
        requested_at,
    })
}

/// The control columns and the call's latest command, from which `control_of` builds the state.
type ControlRow = (bool, bool, bool, Option<String>);
type LatestCommandRow = (String, String, Option<String>);

/// Builds the stored control state from the row of `call_controls` (none: nothing confirmed yet) and the call's
/// latest command: pending, it is shown as waiting; failed, its reason is shown until the next command.
fn control_of(row: Option<ControlRow>, latest: Option<LatestCommandRow>) -> sqlx::Result<StoredControl> {
    let (held, muted, hung_up, transferred_to_e164) = row.unwrap_or_default();
    let mut state = ControlState { held, muted, hung_up, ..ControlState::default() };
    state.transferred_to = transferred_to_e164.clone();
    if let Some((command, status, reason)) = latest {
        let kind = stored_kind(&command)?;
        match stored_status(&status)? {
            CommandStatus::Pending => state.pending = Some(kind),
            CommandStatus::Acked(AckStatus::Failed) => {
                state.failure = Some(CommandFailure { command: kind, reason: reason.unwrap_or_default() });
            }
            CommandStatus::Acked(AckStatus::Done) => {}
        }
    }
    Ok(StoredControl { state, transferred_to_e164 })
}

const CONTROL_SQL: &str = "SELECT held, muted, hung_up, transferred_to FROM call_controls WHERE call_row_id = $1";
/// The latest pending command if there is one, else the latest command.
const LATEST_COMMAND_SQL: &str = "SELECT command, status, reason FROM call_commands WHERE call_row_id = $1
    ORDER BY CASE WHEN status = 'pending' THEN 0 ELSE 1 END, id DESC LIMIT 1";

/// Reads a call's stored control state (`control_of`) through `$executor`, a pool or `&mut *tx` (a macro: its type
/// is the backend's).
macro_rules! read_control {
    ($executor:expr, $call_row_id:expr) => {{
        let row: Option<ControlRow> = sqlx::query_as(CONTROL_SQL).bind($call_row_id).fetch_optional($executor).await?;
        let latest: Option<LatestCommandRow> =
            sqlx::query_as(LATEST_COMMAND_SQL).bind($call_row_id).fetch_optional($executor).await?;
        control_of(row, latest)
    }};
}

const UPSERT_CONTROL_SQL: &str =
    "INSERT INTO call_controls (call_row_id, held, muted, hung_up, transferred_to, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (call_row_id) DO UPDATE SET held = excluded.held, muted = excluded.muted, hung_up = excluded.hung_up,
        transferred_to = excluded.transferred_to, updated_at = excluded.updated_at";
const NOTICE_SQL: &str =
    "INSERT INTO agent_events (user_id, call_row_id, reason, created_at) VALUES ($1, $2, 'control', $3)";

#[async_trait::async_trait]
impl CallCommandStore for SqlStore {
    async fn create_call_command(
        &self,
        user: &User,
        call_id: &str,
        command: &NewCommand,
        now: DateTime<Utc>,
    ) -> sqlx::Result<CommandOutcome> {
        let select = select_commands("call_commands.id = $1");
        in_write_tx!(self.db(), tx => {
            let call: Option<(i64, String)> = sqlx::query_as(
                "SELECT id, state FROM calls WHERE account_id = $1 AND call_id = $2 AND agent_user_id = $3",
            )
            .bind(user.account_id)
            .bind(call_id)
            .bind(user.id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((call_row_id, call_state)) = call else { return Ok(CommandOutcome::NotFound) };
            let call_state = CallState::parse(&call_state).ok_or_else(|| corrupt("calls.state", &call_state))?;
            let control = read_control!(&mut *tx, call_row_id)?;
            if let Err(refusal) = allowed(call_state, &control.state, command.kind) {
                return Ok(CommandOutcome::Refused(refusal));
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO call_commands (account_id, call_row_id, user_id, command, to_number, to_user_id, digits,
                    status, requested_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8) RETURNING id",
            )
            .bind(user.account_id)
            .bind(call_row_id)
            .bind(user.id)
            .bind(command.kind.as_str())
            .bind(&command.to_number_e164)
            .bind(command.to_user_id)
            .bind(&command.digits)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(NOTICE_SQL).bind(user.id).bind(call_row_id).bind(now).execute(&mut *tx).await?;
            let row: CommandRow = sqlx::query_as(sqlx::AssertSqlSafe(select)).bind(id).fetch_one(&mut *tx).await?;
            Ok(CommandOutcome::Queued(command_from_row(row)?))
        })
    }

    async fn pending_call_commands(&self, account_id: i64, limit: i64) -> sqlx::Result<Vec<StoredCommand>> {
        let sql = select_commands(
            "call_commands.account_id = $1 AND call_commands.status = 'pending' ORDER BY call_commands.id LIMIT $2",
        );
        let rows: Vec<CommandRow> = on_db!(self.db(), pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(account_id).bind(limit).fetch_all(pool).await?
        });
        rows.into_iter().map(command_from_row).collect()
    }

    async fn call_command(&self, account_id: i64, command_id: i64) -> sqlx::Result<Option<StoredCommand>> {
        let sql = select_commands("call_commands.account_id = $1 AND call_commands.id = $2");
        let row: Option<CommandRow> = on_db!(self.db(), pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(account_id).bind(command_id).fetch_optional(pool).await?
        });
        row.map(command_from_row).transpose()
    }

    async fn acknowledge_call_command(
        &self,
        account_id: i64,
        command_id: i64,
        ack: AckStatus,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<AckResult> {
        in_write_tx!(self.db(), tx => {
            let found: Option<(i64, String, String, Option<String>, Option<i64>, Option<i64>)> = sqlx::query_as(
                "SELECT call_commands.call_row_id, call_commands.command, call_commands.status, call_commands.to_number,
                    call_commands.to_user_id, calls.agent_user_id
                 FROM call_commands JOIN calls ON calls.id = call_commands.call_row_id
                 WHERE call_commands.account_id = $1 AND call_commands.id = $2",
            )
            .bind(account_id)
            .bind(command_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((call_row_id, command, status, to_number, to_user_id, agent)) = found else {
                return Ok(AckResult::NotFound);
            };
            let kind = stored_kind(&command)?;
            let status = stored_status(&status)?;
            match acknowledge(status, ack) {
                AckOutcome::Repeat => return Ok(AckResult::Repeat),
                AckOutcome::Contradicts(recorded) => return Ok(AckResult::Contradicts(recorded)),
                AckOutcome::Apply => {}
            }
            sqlx::query("UPDATE call_commands SET status = $2, reason = $3, acked_at = $4 WHERE id = $1")
                .bind(command_id)
                .bind(ack.as_str())
                .bind(reason)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let mut notify: Vec<i64> = agent.into_iter().collect();
            if ack == AckStatus::Done {
                let row: Option<ControlRow> =
                    sqlx::query_as(CONTROL_SQL).bind(call_row_id).fetch_optional(&mut *tx).await?;
                let mut control = control_of(row, None)?;
                match (kind, to_user_id) {
                    // A transfer to an agent hands the call over: it is theirs, not popped yet, neither held nor
                    // muted on their leg. The agent who had it sees where it went from the call's new agent.
                    (CommandKind::Transfer, Some(target)) => {
                        sqlx::query(
                            "UPDATE calls SET agent_user_id = $2, popped_at = NULL, popped_by_user_id = NULL,
                                updated_at = $3 WHERE id = $1",
                        )
                        .bind(call_row_id)
                        .bind(target)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                        control = StoredControl::default();
                        notify.push(target);
                    }
                    (CommandKind::Transfer, None) => control.transferred_to_e164 = to_number,
                    _ => control.state = confirmed(control.state, kind),
                }
                sqlx::query(UPSERT_CONTROL_SQL)
                    .bind(call_row_id)
                    .bind(control.state.held)
                    .bind(control.state.muted)
                    .bind(control.state.hung_up)
                    .bind(&control.transferred_to_e164)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            notify.dedup();
            for user_id in &notify {
                sqlx::query(NOTICE_SQL).bind(*user_id).bind(call_row_id).bind(now).execute(&mut *tx).await?;
            }
            Ok(AckResult::Applied { notify })
        })
    }

    async fn call_controls(&self, call_row_ids: &[i64]) -> sqlx::Result<HashMap<i64, StoredControl>> {
        let sql = "SELECT call_row_id, held, muted, hung_up, transferred_to FROM call_controls
                   WHERE call_row_id IN ({list})";
        let rows = select_in_chunks!(self.db(), (i64, bool, bool, bool, Option<String>), sql, call_row_ids);
        let mut stored: HashMap<i64, ControlRow> =
            rows.into_iter().map(|(call, held, muted, hung_up, to)| (call, (held, muted, hung_up, to))).collect();
        let sql = "SELECT call_row_id, id, command, status, reason FROM call_commands WHERE call_row_id IN ({list})";
        let commands = select_in_chunks!(self.db(), (i64, i64, String, String, Option<String>), sql, call_row_ids);
        // LATEST_COMMAND_SQL's choice per call: the latest pending command if there is one, else the latest.
        let mut latest: HashMap<i64, (bool, i64, LatestCommandRow)> = HashMap::new();
        for (call, id, command, status, reason) in commands {
            let rank = (status == "pending", id);
            if latest.get(&call).is_none_or(|(pending, best, _)| rank > (*pending, *best)) {
                latest.insert(call, (rank.0, id, (command, status, reason)));
            }
        }
        let mut controls = HashMap::new();
        for call in call_row_ids {
            let row = stored.remove(call);
            let command = latest.remove(call).map(|(_, _, command)| command);
            if row.is_some() || command.is_some() {
                controls.insert(*call, control_of(row, command)?);
            }
        }
        Ok(controls)
    }

    async fn call_hold_changes(&self, call_row_id: i64) -> sqlx::Result<Vec<HoldChange>> {
        let rows: Vec<(String, DateTime<Utc>)> = on_db!(self.db(), db => {
            sqlx::query_as(
                "SELECT command, acked_at FROM call_commands
                 WHERE call_row_id = $1 AND status = 'done' AND command IN ('hold', 'resume') AND acked_at IS NOT NULL
                 ORDER BY acked_at, id",
            )
            .bind(call_row_id)
            .fetch_all(db)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|(command, at)| HoldChange {
                held: command == CommandKind::Hold.as_str(),
                at_millis: at.timestamp_millis(),
            })
            .collect())
    }
}
