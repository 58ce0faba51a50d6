//! A popped call the softphone never logged (legacy mode off). The softphone appends the call's activity when the
//! agent answers, picks or saves a record; its queue lives in the page, which may close, reload without storage, or
//! lose the network for good. So when a call that one of the agent's softphones popped ends, and neither an append
//! nor a trigger has logged it or settled on its record, the call's `completed` event waits a grace period (`SyncTiming::unlogged_grace`,
//! from when callpop stored the event) for an append, looking again every `dialog_recheck`. When none came, the
//! server logs the call by its own rule, legacy mode's (`legacy::first_event`: the one match, the newest of several,
//! or a new Lead), and the audit trail says so and why before the rule's own Match entry names the record.

use super::{AuditEntry, Flow, Halt, ItemContext, legacy};
use crate::model::Call;
use crate::store::salesforce_audit::SyncStep;
use chrono::Utc;

/// Waits for the softphone's append while the grace period lasts, then logs the call by the server's rule. Does
/// nothing for a call no softphone popped, or one an append or a trigger logged.
pub(super) async fn log_unless_appended(ctx: &ItemContext<'_>, call: &Call) -> Flow {
    if call.popped_at.is_none() || ctx.store().call_task(call.id).await?.is_some() {
        return Ok(());
    }
    if ctx.store().call_trigger_record(call.id).await?.is_some() {
        return Ok(()); // The account's triggers settled on a record for this call: they are the rule.
    }
    if !ctx.store().activities_for_call(call.id).await?.is_empty() {
        return Ok(()); // The append is in; its own outbox item, after this one, logs the call.
    }
    let grace = chrono::Duration::from_std(ctx.engine.timing.unlogged_grace).unwrap_or_default();
    let now = Utc::now();
    let deadline = ctx.item.created_at + grace;
    if now < deadline {
        let recheck = now + chrono::Duration::from_std(ctx.engine.timing.dialog_recheck).unwrap_or_default();
        return Err(Halt::Defer { until: recheck.min(deadline), error: None });
    }
    let minutes = grace.num_seconds().div_euclid(60);
    let waited = if minutes >= 1 { format!("{minutes} min") } else { format!("{} s", grace.num_seconds()) };
    let why = format!(
        "callpop's own rule: the agent's softphone popped this call but sent no record for it within {waited} of \
         the call's end (its page closed, or kept nothing across a reload)"
    );
    ctx.audit(AuditEntry::new(SyncStep::Match).detail(why)).await?;
    let formatted = super::actions::FormattedCall::load(ctx, call).await?;
    legacy::first_event(ctx, call, &formatted).await
}
