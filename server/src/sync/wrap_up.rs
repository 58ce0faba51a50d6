//! The agent's notes and disposition (`OutboxJob::AgentWrapUp`): they go on the call's one Task, in legacy mode and
//! with triggers (the Task a `log_task` action wrote), as an update of `Description` (the notes, then the facts)
//! and `CallDisposition` (`callpop_core::wrap_up::agent_task_update`), audited with the agent who wrote them.
//!
//! A call without a Task yet gets nothing now: every write of a call's Task lays the agent's latest notes over the
//! facts (`FormattedCall`), so they go with the Task when it is written. Later saves of the same call already
//! waiting are folded into this write, which reads the newest notes.

use super::actions::{FormattedCall, update_task_saying};
use super::subject::the_call;
use super::{AuditEntry, Flow, ItemContext};
use crate::store::salesforce_audit::{SyncStep, SyncSubject};
use crate::store::sync::OutboxJob;
use callpop_core::legacy::task_fields;
use callpop_core::wrap_up::agent_task_update;
use chrono::Utc;

/// Writes the agent's notes and disposition on the call's Task.
pub(super) async fn agent_wrap_up(ctx: &ItemContext<'_>) -> Flow {
    let SyncSubject::Call(call_row_id) = ctx.subject else { return Ok(()) };
    // Collected before the notes are read: each save is stored with its item in one transaction, so the notes
    // read after hold what every folded item saved.
    let folded: Vec<i64> = ctx
        .store()
        .pending_items_of_call(call_row_id, ctx.item.id)
        .await?
        .into_iter()
        .filter(|item| matches!(item.job(), Some(OutboxJob::AgentWrapUp { .. })))
        .map(|item| item.id)
        .collect();
    let Some(call) = the_call(ctx).await? else { return Ok(()) };
    let formatted = FormattedCall::load(ctx, &call).await?;
    if let Some(wrap_up) = &formatted.wrap_up {
        let by = format!("notes and disposition by {}", wrap_up.written_by);
        match ctx.store().call_task(call.id).await? {
            Some((task_id, _)) => {
                let changes = agent_task_update(task_fields(&formatted.activity(&call)), formatted.agent_wrap_up());
                update_task_saying(ctx, &task_id, &changes, Some(by)).await?;
            }
            None => {
                let waiting = format!("{by}: the call has no Task yet, so they go with its Task when it is written");
                ctx.audit(AuditEntry::new(SyncStep::Update).object("Task").detail(waiting)).await?;
            }
        }
    }
    ctx.store().complete_outbox_items(&folded, Utc::now()).await?;
    Ok(())
}
