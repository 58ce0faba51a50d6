//! Legacy mode (option 1 on): the server decides the record. The first event of a call searches the org for the
//! caller, lets `callpop_core::legacy::choose_record` decide (waiting for the agent's pick while the dialog can
//! still answer), logs the Task on that record (creating a Lead when nobody matched), joins the call's Campaign,
//! and names the record to the agent's softphone, which pops it. Later events update the same Task; the answer's
//! update is held (`SyncTiming::answer_hold`) for the call's end, which then goes in the same update.

use super::actions::{
    FormattedCall, NewLeadWrite, call_task_fields, campaign_to_join, format_location, org_shape, read_your_writes,
    related_record, search_by_phone, update_task, write_activity_following_duplicates,
};
use super::facts::plan_for_start;
use super::subject::the_call;
use super::{AuditEntry, Flow, Halt, ItemContext};
use crate::model::Call;
use crate::store::salesforce_audit::{SyncStep, SyncSubject};
use crate::store::sync::OutboxJob;
use callpop_core::call::CallState;
use callpop_core::call_logging::{CallFacts, TaskDecision, task_decision};
use callpop_core::legacy::{
    ChoiceInput, Dialog, NewLead, Outcome, campaign_name, choose_record, lead_fields, task_events, task_update,
};
use callpop_core::record::RecordId;
use callpop_core::wrap_up::{Fields, with_agent_wrap_up};
use callpop_core::write_plan::{UpdateTiming, text_fields, update_timing};
use chrono::Utc;

/// What the first event settles on.
enum Chosen {
    Existing(RecordId),
    NewLead(NewLeadWrite),
}

/// Syncs one call event in legacy mode.
pub(super) async fn call_event(ctx: &ItemContext<'_>, kind: CallState) -> Flow {
    let SyncSubject::Call(call_row_id) = ctx.subject else { return Ok(()) };
    // Later events of this call that are already waiting: the Task gets the call's current state in one write.
    // Collected before the call is loaded: each event is stored with its item in one transaction, so the call read
    // after holds every folded event's data (read before, an event arriving in between would be marked done
    // without reaching the Task).
    let later = ctx.store().pending_items_of_call(call_row_id, ctx.item.id).await?;
    let later_items = !later.is_empty();
    let folded: Vec<_> = later
        .into_iter()
        .filter_map(|item| match item.job() {
            Some(OutboxJob::CallEvent { kind, .. }) => Some((item.id, kind)),
            _ => None,
        })
        .collect();
    let Some(call) = the_call(ctx).await? else { return Ok(()) };
    let kinds: Vec<CallState> = std::iter::once(kind).chain(folded.iter().map(|(_, kind)| *kind)).collect();
    match ctx.store().call_task(call.id).await? {
        Some((task_id, _)) => {
            let events = task_events(&kinds, call.state, call.recording_url.is_some());
            // Measured from when callpop stored the event, like the dialog's wait.
            let waited = (Utc::now() - ctx.item.created_at).to_std().unwrap_or_default();
            let ended = call.state == CallState::Completed;
            let hold = ctx.engine.timing.answer_hold;
            if let UpdateTiming::Hold(rest) = update_timing(&events, later_items, ended, waited, hold) {
                return Err(Halt::Hold { until: Utc::now() + chrono::Duration::from_std(rest).unwrap_or_default() });
            }
            let formatted = FormattedCall::load(ctx, &call).await?;
            let activity = formatted.activity(&call);
            let mut changes: Vec<(&str, callpop_core::legacy::FieldValue)> = Vec::new();
            for event in events {
                for (field, value) in task_update(event, &activity) {
                    changes.retain(|(name, _)| *name != field);
                    changes.push((field, value));
                }
            }
            let changes = with_agent_wrap_up(changes, formatted.agent_wrap_up(), Fields::Changed);
            update_task(ctx, &task_id, &changes).await?;
        }
        None => first_event(ctx, &call, &FormattedCall::load(ctx, &call).await?).await?,
    }
    let folded_ids: Vec<i64> = folded.iter().map(|(id, _)| *id).collect();
    ctx.store().complete_outbox_items(&folded_ids, Utc::now()).await?;
    Ok(())
}

/// The first event synced for a call: the record, the Task, the Campaign; or nothing, when the account's logging
/// policy does not log the call's type (or not before the type is known: `call_logging::task_decision`). A call
/// whose Task is not written yet is looked at again by each of its later events (a late recording included).
pub(super) async fn first_event(ctx: &ItemContext<'_>, call: &Call, formatted: &FormattedCall) -> Flow {
    let settings = ctx.store().logging_settings(ctx.account.id).await?;
    let facts = CallFacts {
        direction: call.direction,
        state: call.state,
        answered: call.answered_at.is_some(),
        disposition: call.disposition.as_deref(),
    };
    match task_decision(&settings.log, facts) {
        TaskDecision::Write => {}
        TaskDecision::Wait => {
            let detail = "not logged yet: some calls of this kind are not logged, and this one's type is not known \
                          until it is answered or ends";
            return ctx.audit(AuditEntry::new(SyncStep::Match).detail(detail)).await;
        }
        TaskDecision::Skip(call_type) => {
            let detail = format!("not logged: the logging settings log no {} calls", call_type.as_str());
            return ctx.audit(AuditEntry::new(SyncStep::Match).detail(detail)).await;
        }
    }
    let chosen = match call.salesforce_record_id.as_deref().and_then(|id| RecordId::parse(id).ok()) {
        Some(record) => Chosen::Existing(record),
        None => choose(ctx, call, formatted).await?,
    };
    let campaign =
        campaign_to_join(ctx, campaign_name(call.campaign.as_deref(), call.tracking_source.as_deref())).await?;
    let mut task = call_task_fields(formatted, call);
    if let Chosen::Existing(record) = &chosen
        && let Some(what) = related_record(ctx, settings.what_id, record).await?
    {
        task.insert("WhatId".to_owned(), serde_json::Value::String(what.as_str().to_owned()));
    }
    let written = match chosen {
        Chosen::Existing(record) => {
            write_activity_following_duplicates(ctx, Ok(&record), &call.call_id, task, None, campaign).await?
        }
        Chosen::NewLead(lead) => {
            write_activity_following_duplicates(ctx, Err(lead), &call.call_id, task, None, campaign).await?
        }
    };
    ctx.store().set_call_task(call.id, &written.task_id, written.record.as_str()).await?;
    if call.salesforce_record_id.as_deref() != Some(written.record.as_str()) {
        ctx.store()
            .set_call_record(call.id, written.record.as_str(), written.record.object().api_name(), Utc::now())
            .await?;
        if let Some(agent) = call.agent_user_id {
            ctx.engine.streams.notify(agent);
        }
    }
    Ok(())
}

/// Where the multi-match dialog stands for this call.
async fn dialog(ctx: &ItemContext<'_>, call: &Call) -> Flow<Dialog> {
    if !ctx.options.multi_match_dialog {
        return Ok(Dialog::Off);
    }
    if call.agent_user_id.is_none() {
        return Ok(Dialog::NoAgent);
    }
    if let Some(picked) = ctx.store().agent_choice_for_call(call.id).await?.and_then(|id| RecordId::parse(&id).ok()) {
        return Ok(Dialog::Picked(picked));
    }
    // Measured from when callpop stored the event: the telephony side's clock is not ours.
    let waited = Utc::now() - ctx.item.created_at;
    let timeout = chrono::Duration::from_std(ctx.engine.timing.dialog_timeout).unwrap_or_default();
    Ok(if call.state == CallState::Completed || waited > timeout { Dialog::TimedOut } else { Dialog::Waiting })
}

/// Searches the org and lets core decide; waits (defers the item) while the agent is being asked.
async fn choose(ctx: &ItemContext<'_>, call: &Call, formatted: &FormattedCall) -> Flow<Chosen> {
    let (mut candidates, digits) = search_by_phone(ctx, &call.caller_e164).await?;
    if candidates.is_empty() {
        candidates = read_your_writes(ctx, call, &formatted.caller_number).await?;
    }
    let dialog = dialog(ctx, call).await?;
    let plan = plan_for_start(ctx, call).await?;
    let choice = choose_record(ChoiceInput {
        candidates: &candidates,
        caller_digits: &digits,
        dialog: &dialog,
        trigger_plan: &plan,
    });
    match choice.outcome {
        Outcome::Use { record, rule } => {
            let detail = match &rule {
                callpop_core::legacy::ChoiceRule::Trigger { trigger_name } => format!("trigger {trigger_name:?}"),
                other => other.as_str().replace('_', " "),
            };
            let matched = AuditEntry::new(SyncStep::Match).object(record.object().api_name()).record(record.as_str());
            ctx.audit(matched.detail(detail)).await?;
            Ok(Chosen::Existing(record))
        }
        Outcome::CreateLead => {
            let address_codes = org_shape(ctx).await?.address_codes;
            let (country, state) =
                format_location(ctx, call.caller_country.as_deref(), call.caller_region.as_deref(), address_codes);
            let fields = lead_fields(NewLead {
                caller_name: call.caller_name.as_deref(),
                phone: &formatted.caller_number,
                tracking_source: call.tracking_source.as_deref(),
                city: call.caller_city.as_deref(),
                state: state.as_deref(),
                country: country.as_deref(),
                address_codes,
            });
            ctx.audit(AuditEntry::new(SyncStep::Match).object("Lead").detail("no match: a new Lead")).await?;
            Ok(Chosen::NewLead(NewLeadWrite { fields: text_fields(fields) }))
        }
        // The agent's softphone shows the dialog; look again shortly (their pick arrives as an activity append).
        Outcome::AskAgent { .. } => {
            let until = Utc::now() + chrono::Duration::from_std(ctx.engine.timing.dialog_recheck).unwrap_or_default();
            Err(Halt::Defer { until, error: None })
        }
    }
}
