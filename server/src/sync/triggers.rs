//! Triggers mode (option 1 off): the account's rules decide what reaches Salesforce. `callpop_core::triggers`
//! evaluates them (which fire, with their templates rendered); this module carries out the planned actions:
//! `find_or_create` a record (it becomes the call's record for the later actions), `update_record`, `log_task`,
//! `add_to_campaign`. A planned action's delay holds the whole item until the longest delay has passed.
//!
//! A Task the softphone appended is still the call's: its implicit updates (owner and status when answered;
//! duration, disposition and completion at the end) happen with triggers too, so an agent's call log is complete.

use super::actions::{
    FormattedCall, body_json, call_task_fields, campaign_id, campaign_not_found, org_shape, read_your_writes,
    search_by_phone, update_task, write_activity_following_duplicates, write_alone,
};
use super::facts::{account_triggers, call_facts};
use super::subject::{other_party, text_task, the_call, the_text};
use super::{AuditEntry, Flow, Halt, ItemContext};
use crate::model::{Call, Text};
use crate::salesforce::record::fields_from_text;
use crate::salesforce::soql;
use crate::store::salesforce_audit::{StepOutcome, SyncStep};
use callpop_core::call::CallState;
use callpop_core::legacy::{task_events, task_update};
use callpop_core::record::{RecordId, SObjectType};
use callpop_core::triggers::{Facts, PlannedAction, Step, TriggerEvent, evaluate};
use callpop_core::write_plan::{
    AfterSearch, Find, OrgKeys, Ref, after_phone_search, create_depends_on_keys, newest_of, plan_find, plan_member,
    plan_record_update, plan_trigger_create,
};
use chrono::Utc;
use std::collections::HashMap;

/// The trigger events one call event raises.
fn trigger_events(kind: CallState, call: &Call) -> Vec<TriggerEvent> {
    match kind {
        CallState::Ringing => vec![TriggerEvent::CallStarted],
        CallState::Answered => vec![TriggerEvent::CallAnswered],
        CallState::Completed if call.recording_url.is_some() => {
            vec![TriggerEvent::CallEnded, TriggerEvent::RecordingReady]
        }
        CallState::Completed => vec![TriggerEvent::CallEnded],
    }
}

/// Syncs one call event with the account's triggers.
pub(super) async fn call_event(ctx: &ItemContext<'_>, kind: CallState, late: bool) -> Flow {
    let Some(call) = the_call(ctx).await? else { return Ok(()) };
    let rules = account_triggers(ctx).await?;
    let facts = call_facts(ctx, &call).await?;
    // A late repeat of an event (its recording link after the call ended) raises only what it added.
    let events = match late {
        true if call.recording_url.is_some() => vec![TriggerEvent::RecordingReady],
        true => Vec::new(),
        false => trigger_events(kind, &call),
    };
    let plan: Vec<PlannedAction> = events.iter().flat_map(|event| evaluate(&rules, *event, &facts)).collect();
    if plan.is_empty() {
        if kind == CallState::Completed && !late {
            // No trigger acts on the call's end: a call the softphone popped but never logged is logged by callpop.
            super::unlogged::log_unless_appended(ctx, &call).await?;
        }
        return unhandled(ctx, &call, kind, late, &events).await;
    }
    hold_for_delays(ctx, &plan)?;
    implicit_task_update(ctx, &call, kind).await?;
    for action in &plan {
        run_action(ctx, action, &Subject::Call(&call)).await?;
    }
    Ok(())
}

/// An event no trigger handles: said in the call's audit trail (so the call is not "pending" for ever). When the
/// call ends and nothing was written for it at all, the item is parked in the sync log with the reason, for the
/// admin to add a trigger and Retry. A Task the softphone appended still gets the event's implicit update.
async fn unhandled(ctx: &ItemContext<'_>, call: &Call, kind: CallState, late: bool, events: &[TriggerEvent]) -> Flow {
    implicit_task_update(ctx, call, kind).await?;
    let written_before =
        ctx.store().call_task(call.id).await?.is_some() || ctx.store().call_trigger_record(call.id).await?.is_some();
    let names: Vec<&str> = events.iter().map(|event| event.as_str()).collect();
    let detail =
        format!("no trigger handles {}", if names.is_empty() { kind.as_str().to_owned() } else { names.join(", ") });
    let entry = AuditEntry::new(SyncStep::Match).detail(detail.clone());
    let call_over = kind == CallState::Completed && !late;
    if written_before || !call_over {
        return ctx.audit(entry.detail(format!("{detail}: nothing to write"))).await;
    }
    let error = crate::store::sync::ItemError {
        code: "NO_TRIGGER".to_owned(),
        message: "no trigger wrote anything to Salesforce for this call: add or change a trigger, then Retry"
            .to_owned(),
        fields: Vec::new(),
    };
    ctx.audit(entry.outcome(StepOutcome::Parked, Some(error.clone()))).await?;
    Err(Halt::Park { status: "parked", error })
}

/// Syncs one text message with the account's `text_received` triggers.
pub(super) async fn text_event(ctx: &ItemContext<'_>) -> Flow {
    let Some(text) = the_text(ctx).await? else { return Ok(()) };
    let text = &text;
    let rules = account_triggers(ctx).await?;
    let number = ctx.number_as_written(other_party(text));
    let mut facts = Facts::new(&text.message_id, text.direction, &number);
    facts.tracking_source.clone_from(&text.tracking_source);
    facts.campaign.clone_from(&text.campaign);
    facts.message_body = Some(text.body.clone());
    let plan = evaluate(&rules, TriggerEvent::TextReceived, &facts);
    hold_for_delays(ctx, &plan)?;
    for action in &plan {
        run_action(ctx, action, &Subject::Text(text)).await?;
    }
    Ok(())
}

/// Defers the item until its planned actions' longest delay has passed since the event.
fn hold_for_delays(ctx: &ItemContext<'_>, plan: &[PlannedAction]) -> Flow {
    let longest = plan.iter().map(|action| action.delay_secs).max().unwrap_or(0);
    let due = ctx.item.created_at + chrono::Duration::seconds(i64::from(longest));
    if due > Utc::now() { Err(Halt::Defer { until: due, error: None }) } else { Ok(()) }
}

/// The call's Task (the softphone's append, a trigger's `log_task`) gets the fields this event changes, as in legacy
/// mode (`task_events`): a repeat of any event that brings the recording of an ended call brings it to the Task.
async fn implicit_task_update(ctx: &ItemContext<'_>, call: &Call, kind: CallState) -> Flow {
    let Some((task_id, _)) = ctx.store().call_task(call.id).await? else { return Ok(()) };
    let events = task_events(&[kind], call.state, call.recording_url.is_some());
    if events.is_empty() {
        return Ok(());
    }
    let formatted = FormattedCall::load(ctx, call).await?;
    let activity = formatted.activity(call);
    let changes: Vec<_> = events.iter().flat_map(|event| task_update(*event, &activity)).collect();
    update_task(ctx, &task_id, &changes).await
}

/// What a trigger acts for.
enum Subject<'a> {
    Call(&'a Call),
    Text(&'a Text),
}

impl Subject<'_> {
    fn key(&self) -> String {
        match self {
            Self::Call(call) => call.call_id.clone(),
            Self::Text(text) => format!("text:{}", text.message_id),
        }
    }

    fn e164(&self) -> &str {
        match self {
            Self::Call(call) => &call.caller_e164,
            Self::Text(text) => other_party(text),
        }
    }

    fn is_call(&self) -> bool {
        matches!(self, Self::Call(_))
    }

    /// The other party's number as the account writes numbers.
    fn number(&self, ctx: &ItemContext<'_>) -> String {
        ctx.number_as_written(self.e164())
    }
}

/// The record the actions work on: the one a trigger found (kept, so a replay reuses it), else, for a call, the one
/// the softphone appended to.
async fn current_record(ctx: &ItemContext<'_>, subject: &Subject<'_>) -> Flow<Option<RecordId>> {
    let record = match subject {
        Subject::Call(call) => match ctx.store().call_trigger_record(call.id).await? {
            Some(record) => Some(record),
            None => ctx.store().call_task(call.id).await?.map(|(_, record)| record),
        },
        Subject::Text(text) => ctx.store().text_record(text.id).await?,
    };
    Ok(record.and_then(|id| RecordId::parse(&id).ok()))
}

async fn remember_record(ctx: &ItemContext<'_>, subject: &Subject<'_>, record: &RecordId) -> Flow {
    match subject {
        Subject::Call(call) => ctx.store().set_call_trigger_record(call.id, record.as_str()).await?,
        Subject::Text(text) => ctx.store().set_text_sync(text.id, record.as_str(), None).await?,
    }
    Ok(())
}

/// Records a step a trigger could not take because it needs a record no earlier action settled on.
async fn no_record(ctx: &ItemContext<'_>, step: SyncStep, trigger: &str) -> Flow {
    let entry =
        AuditEntry::new(step).detail(format!("trigger {trigger:?}: no record yet (add a find_or_create before it)"));
    let error = crate::store::sync::ItemError {
        code: "NO_RECORD".to_owned(),
        message: "the trigger's action needs the call's record, and no earlier action found or created one".to_owned(),
        fields: Vec::new(),
    };
    ctx.audit(entry.outcome(StepOutcome::Failed, Some(error))).await
}

async fn run_action(ctx: &ItemContext<'_>, action: &PlannedAction, subject: &Subject<'_>) -> Flow {
    let trigger = action.trigger_name.as_str();
    match &action.step {
        Step::FindOrCreate { object, match_field, fields } => {
            // Core decides how to find the record and what to create (`write_plan::plan_find`); this runs it.
            let settled = current_record(ctx, subject).await?;
            let found = match plan_find(object, match_field.as_deref(), fields, settled.as_ref()) {
                Find::Settled(record) => Some(record),
                Find::ByField { object, field, value } => {
                    let entry = AuditEntry::new(SyncStep::Search)
                        .object(&object)
                        .detail(format!("trigger {trigger:?}: {field} = {value}"));
                    let records =
                        ctx.call(entry, ctx.client().query(&soql::newest_by_field(&object, &field, &value))).await?;
                    records.first().and_then(|record| record.text("Id")).and_then(|id| RecordId::parse(id).ok())
                }
                Find::ByPhone { object } => {
                    let (candidates, _) = search_by_phone(ctx, subject.e164()).await?;
                    match (after_phone_search(object, &candidates, subject.is_call()), subject) {
                        (AfterSearch::Found(record), _) => Some(record),
                        (AfterSearch::CheckWrittenLeads, Subject::Call(call)) => {
                            let written = read_your_writes(ctx, call, &subject.number(ctx)).await?;
                            newest_of(object, &written)
                        }
                        _ => None,
                    }
                }
            };
            let record = match found {
                Some(record) => {
                    let matched = AuditEntry::new(SyncStep::Match).object(object).record(record.as_str());
                    ctx.audit(matched.detail(format!("trigger {trigger:?}"))).await?;
                    record
                }
                None => {
                    // Keyed by the call where core says so: a replay finds the record it created.
                    let keys = if create_depends_on_keys(object) {
                        org_shape(ctx).await?.keys()
                    } else {
                        OrgKeys { task_key: false, lead_key: false }
                    };
                    let create = plan_trigger_create(object, fields, &subject.number(ctx), &subject.key(), keys);
                    let entry = AuditEntry::new(SyncStep::Create).detail(format!("trigger {trigger:?}"));
                    ctx.engine.forget_searches(ctx.account.id);
                    let id = write_alone(ctx, entry, &create).await?;
                    RecordId::parse(&id)
                        .map_err(|_| Halt::Store(anyhow::anyhow!("Salesforce returned the id {id:?}")))?
                }
            };
            remember_record(ctx, subject, &record).await
        }
        Step::UpdateRecord { fields } => {
            let Some(record) = current_record(ctx, subject).await? else {
                return no_record(ctx, SyncStep::Update, trigger).await;
            };
            let entry = AuditEntry::new(SyncStep::Update).detail(format!("trigger {trigger:?}"));
            write_alone(ctx, entry, &plan_record_update(&record, fields)).await.map(|_| ())
        }
        Step::LogTask { fields } => {
            let Some(record) = current_record(ctx, subject).await? else {
                return no_record(ctx, SyncStep::Append, trigger).await;
            };
            let mut task = match subject {
                Subject::Call(call) => call_task_fields(&FormattedCall::load(ctx, call).await?, call),
                Subject::Text(text) => text_task(ctx, text),
            };
            task.extend(fields_from_text(fields));
            let known = match subject {
                Subject::Call(call) => {
                    ctx.store().call_task(call.id).await?.filter(|(_, on)| on == record.as_str()).map(|(task, _)| task)
                }
                Subject::Text(_) => None,
            };
            let written =
                write_activity_following_duplicates(ctx, Ok(&record), &subject.key(), task, known.as_deref(), None)
                    .await?;
            match subject {
                Subject::Call(call) => {
                    ctx.store().set_call_task(call.id, &written.task_id, written.record.as_str()).await?;
                }
                Subject::Text(text) => {
                    ctx.store().set_text_sync(text.id, written.record.as_str(), Some(&written.task_id)).await?;
                }
            }
            Ok(())
        }
        Step::AddToCampaign { campaign, status } => {
            let Some(record) = current_record(ctx, subject).await? else {
                return no_record(ctx, SyncStep::Campaign, trigger).await;
            };
            let entry = AuditEntry::new(SyncStep::Campaign)
                .object("CampaignMember")
                .detail(format!("trigger {trigger:?}: {campaign}"));
            let Some(campaign_id) = campaign_id(ctx, campaign).await? else {
                return ctx
                    .audit(campaign_not_found(campaign).detail(format!("trigger {trigger:?}: {campaign}")))
                    .await;
            };
            let lead = record.object() == SObjectType::Lead;
            let planned = plan_member(&campaign_id, lead, Ref::Record(record.clone()), status);
            let member = body_json(&planned.body, &serde_json::Map::new(), &HashMap::new());
            match ctx.client().create(planned.write.object(), &member).await {
                Ok(id) => ctx.audit(entry.record(&id).fields(&member).with_requests(1)).await,
                Err(error) if error.is_already_campaign_member() => {
                    ctx.audit(entry.detail(format!("{campaign}: already a member"))).await
                }
                Err(error) => Err(ctx.fail(entry.fields(&member).with_requests(1), &error).await?),
            }
        }
    }
}
