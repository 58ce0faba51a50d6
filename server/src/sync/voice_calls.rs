//! A call's VoiceCall, for an account whose host uses Salesforce Voice (`OutboxJob::VoiceCall`): each item carries
//! out what `callpop_core::voice::voice_call_plan` decides for its event, through the account's Telephony
//! Integration client (`sync/voice.rs`).
//!
//! - **Create**, in real time while the call rings: `POST /voiceCalls` keyed by callpop's call id (the
//!   `vendorCallKey`), so a create whose answer was lost is sent again and finds the same VoiceCall. The numbers
//!   are written in the account's number format (option 2), as on the Task.
//! - **Mark**: the agent's answer (`acceptTime`, still in progress), then the end (`startTime` and `endTime`, so
//!   Salesforce sets the duration; the recording's location, which makes the VoiceCallRecording; the holds the
//!   telephony side confirmed, as `numberOfHolds`, `longestHoldDuration` and, with a recording only, since
//!   Salesforce takes it only with `recordingLocation`, `totalHoldDuration`; the disposition, the agent's or else
//!   the telephony side's, in `callAttributes` as `Callpop_Disposition__c`).
//! - **Link**, when the agent answers and again at the end: the VoiceCall's `ActivityId` (the call's Task) and
//!   `RelatedRecordId` (the caller's record, as legacy mode or the triggers settled it), through the REST API, once
//!   the call's Task side has nothing in flight (an answer's Task update held for the call's end does not count). The Task, the Lead and the Campaign stay the Task side's: matching and logging work as
//!   they do under Open CTI, so an account that moves mid-day loses and doubles nothing.
//!
//! An account whose settings are incomplete (no contact center, URL or key pair) parks the item with
//! `VOICE_NOT_SET_UP` and a sentence naming what to do; a retry from the sync log runs it once that is done.

use super::subject::the_call;
use super::voice::VoiceSetupError;
use super::{AuditEntry, Flow, Halt, ItemContext};
use crate::model::Call;
use crate::salesforce::telephony::{InitiationMethod, NewVoiceCall, Participant, TelephonyClient, VoiceCallUpdate};
use crate::store::salesforce_audit::SyncStep;
use crate::store::sync::ItemError;
use callpop_core::call::CallState;
use callpop_core::control::hold_summary;
use callpop_core::voice::{DISPOSITION_FIELD, VoiceCallMark, voice_call_plan};
use callpop_core::wrap_up::call_disposition;
use serde_json::{Map, Value, json};

/// How long the VoiceCall's last item waits before it looks again at a Task side still in flight.
const TASK_SIDE_WAIT: chrono::Duration = chrono::Duration::seconds(2);

/// The sync log's code for an account whose Salesforce Voice settings are not complete.
pub(crate) const VOICE_NOT_SET_UP: &str = "VOICE_NOT_SET_UP";

/// Writes what the call's `event` means for its VoiceCall.
pub(super) async fn voice_call_event(ctx: &ItemContext<'_>, event: CallState) -> Flow {
    let voice = ctx.store().voice(ctx.account.id).await?;
    if !voice.settings.host.uses_salesforce_voice() {
        return Ok(()); // The account went back to Open CTI after the event was queued.
    }
    let Some(call) = the_call(ctx).await? else { return Ok(()) };
    let known = ctx.store().call_voice_call(call.id).await?;
    let Some(plan) = voice_call_plan(call.direction, event, call.state, known.is_some()) else { return Ok(()) };
    if plan.link && ctx.store().call_task_side_busy(call.id, ctx.now).await? {
        return Err(Halt::Defer { until: ctx.now + TASK_SIDE_WAIT, error: None });
    }
    let client = telephony_client(ctx).await?;
    let voice_call_id = match known {
        Some(id) => id,
        None => create(ctx, &client, &call).await?,
    };
    if let Some(mark) = plan.mark {
        update(ctx, &client, &voice_call_id, &call, mark).await?;
    }
    if plan.link {
        link(ctx, &voice_call_id, &call).await?;
    }
    Ok(())
}

/// The account's client, or the item parked with what the administrator must set up first.
async fn telephony_client(ctx: &ItemContext<'_>) -> Flow<TelephonyClient> {
    match ctx.engine.telephony_client(ctx.account.id).await {
        Ok(client) => Ok(client),
        Err(VoiceSetupError::Database(error)) => Err(error.into()),
        Err(error) => {
            let error = ItemError { code: VOICE_NOT_SET_UP.to_owned(), message: error.to_string(), fields: Vec::new() };
            let entry = AuditEntry::new(SyncStep::Create).object("VoiceCall");
            ctx.audit(entry.outcome(crate::store::salesforce_audit::StepOutcome::Parked, Some(error.clone()))).await?;
            Err(Halt::Park { status: "parked", error })
        }
    }
}

/// Creates the call's VoiceCall (or finds the one a lost answer left) and keeps its id.
async fn create(ctx: &ItemContext<'_>, client: &TelephonyClient, call: &Call) -> Flow<String> {
    let from = ctx.number_as_written(&call.caller_e164);
    let new_call = NewVoiceCall {
        vendor_call_key: call.call_id.clone(),
        from: from.clone(),
        to: ctx.number_as_written(&call.tracking_number),
        initiation_method: InitiationMethod::Inbound,
        start_time: call.started_at,
        participants: vec![Participant::caller(&call.caller_e164)],
        parent_voice_call_id: None,
        call_origin: None,
    };
    let fields = json!({"VendorCallKey": call.call_id, "FromPhoneNumber": from});
    let entry = AuditEntry::new(SyncStep::Create).object("VoiceCall").fields(fields.as_object().unwrap_or(&Map::new()));
    let voice_call_id = ctx.call(entry.clone(), client.create_voice_call(&new_call)).await?;
    ctx.store().set_call_voice_call(call.id, &voice_call_id).await?;
    ctx.audit(entry.record(&voice_call_id).with_requests(1)).await?;
    Ok(voice_call_id)
}

/// The disposition the VoiceCall carries (`callpop_core::wrap_up::call_disposition`); `null` clears an earlier one.
async fn disposition(ctx: &ItemContext<'_>, call: &Call) -> Flow<Value> {
    let agent = ctx.store().call_wrap_up(call.id).await?.and_then(|wrap_up| wrap_up.disposition);
    Ok(call_disposition(agent.as_deref(), call.disposition.as_deref()).map_or(Value::Null, Value::String))
}

/// Tells Salesforce the call was answered or is over.
async fn update(
    ctx: &ItemContext<'_>,
    client: &TelephonyClient,
    voice_call_id: &str,
    call: &Call,
    mark: VoiceCallMark,
) -> Flow {
    let update = match mark {
        VoiceCallMark::Accepted => {
            VoiceCallUpdate { accept_time: call.answered_at, is_active_call: Some(true), ..VoiceCallUpdate::default() }
        }
        VoiceCallMark::Ended => {
            let attributes = json!({ DISPOSITION_FIELD: disposition(ctx, call).await? });
            let end_time = call.ended_at.unwrap_or(ctx.now);
            let changes = ctx.store().call_hold_changes(call.id).await?;
            let holds = hold_summary(&changes, end_time.timestamp_millis());
            VoiceCallUpdate {
                start_time: Some(call.started_at),
                end_time: Some(end_time),
                accept_time: call.answered_at,
                // The total is a recording field, which Salesforce takes only with the recording's location.
                total_hold_duration: call.recording_url.as_ref().map(|_| holds.total_seconds),
                recording_location: call.recording_url.clone(),
                number_of_holds: Some(holds.holds),
                longest_hold_duration: Some(holds.longest_seconds),
                call_attributes: Some(attributes.to_string()),
                is_active_call: Some(false),
                ..VoiceCallUpdate::default()
            }
        }
    };
    let fields = serde_json::to_value(&update).ok().and_then(|value| value.as_object().cloned()).unwrap_or_default();
    let entry = AuditEntry::new(SyncStep::Update).object("VoiceCall").record(voice_call_id).fields(&fields);
    ctx.call(entry.clone(), client.update_voice_call(voice_call_id, &update)).await?;
    ctx.audit(entry.with_requests(1)).await
}

/// Links the VoiceCall to the call's Task and the caller's record, where the Task side settled them.
async fn link(ctx: &ItemContext<'_>, voice_call_id: &str, call: &Call) -> Flow {
    let task = ctx.store().call_task(call.id).await?;
    let trigger_record = ctx.store().call_trigger_record(call.id).await?;
    let record =
        task.as_ref().map(|(_, record)| record.clone()).or(trigger_record).or(call.salesforce_record_id.clone());
    let mut fields = Map::new();
    if let Some((task_id, _)) = &task {
        fields.insert("ActivityId".to_owned(), json!(task_id));
    }
    if let Some(record) = record {
        fields.insert("RelatedRecordId".to_owned(), json!(record));
    }
    let entry = AuditEntry::new(SyncStep::Update).object("VoiceCall").record(voice_call_id).fields(&fields);
    if fields.is_empty() {
        let detail = "the call has no Task and no record in Salesforce, so its VoiceCall links to none";
        return ctx.audit(entry.detail(detail)).await;
    }
    ctx.call(entry.clone(), ctx.client().update("VoiceCall", voice_call_id, &fields)).await?;
    ctx.audit(entry.with_requests(1)).await
}
