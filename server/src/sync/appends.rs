//! Activity appends from the softphone: the agent's single match, pick, saved new record, or the record they
//! dialled from. Always honoured, in legacy mode and with triggers: the call's Task goes on that record. A call has
//! one Task: when legacy mode (or an earlier append) logged it elsewhere, the same Task moves to the agent's record.

use super::actions::{FormattedCall, call_task_fields, write_activity_following_duplicates};
use super::subject::the_call;
use super::{Flow, ItemContext};
use callpop_core::record::RecordId;

pub(super) async fn activity_append(ctx: &ItemContext<'_>, activity_id: i64) -> Flow {
    let Some((_, record_id, _, _)) = ctx.store().activity(activity_id).await? else { return Ok(()) };
    let Some(call) = the_call(ctx).await? else { return Ok(()) };
    let Ok(record) = RecordId::parse(&record_id) else { return Ok(()) };
    let formatted = FormattedCall::load(ctx, &call).await?;
    // The call's one Task, wherever legacy mode or an earlier append put it: it moves to the agent's record.
    let known_task = ctx.store().call_task(call.id).await?.map(|(task, _)| task);
    let task = call_task_fields(&formatted, &call);
    let written =
        write_activity_following_duplicates(ctx, Ok(&record), &call.call_id, task, known_task.as_deref(), None).await?;
    // The call's one Task is on this record now; its later events update it (duration, disposition, completion).
    ctx.store().set_call_task(call.id, &written.task_id, written.record.as_str()).await?;
    // Events of the call that Salesforce refused earlier (legacy mode's new Lead, refused by a validation rule) now
    // update this Task instead of creating anything.
    if ctx.store().retry_parked_items_of_call(call.id, chrono::Utc::now()).await? > 0 {
        ctx.engine.wake();
    }
    Ok(())
}
