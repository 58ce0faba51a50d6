//! How a stored call is shown to the agent's softphone.

use crate::model::{Account, Call};
use crate::phone;
use callpop_core::wire::{CallUpdate, RecordRef};

/// The call as the agent's event stream sends it, rendered with the account's current options.
pub fn call_update(call: &Call, account: &Account) -> CallUpdate {
    let record = match (&call.salesforce_record_id, &call.salesforce_record_type) {
        // Whether callpop created it is in the audit trail: `routes/agent.rs` fills it in.
        (Some(id), Some(object)) => Some(RecordRef { id: id.clone(), object: object.clone(), created: false }),
        _ => None,
    };
    CallUpdate {
        call_id: call.call_id.clone(),
        state: call.state,
        direction: call.direction,
        caller_number: phone::as_account_writes(&call.caller_e164, account),
        caller_name: call.caller_name.clone(),
        tracking_source: call.tracking_source.clone(),
        campaign: call.campaign.clone(),
        started_at: call.started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        popped: call.popped_at.is_some(),
        // Who popped it is relative to the agent who receives the update: `routes/agent.rs` fills it in.
        popped_by_other_agent: None,
        record,
        remembered_record: None,
        options: account.options,
        // The confirmed controls are in `call_controls`: `routes/agent.rs` fills them in for a live call.
        control: Default::default(),
        // What the agent wrote, and whether the call is in their after-call work, go only with the calls a
        // softphone gets when it (re)loads: `routes/agent.rs` fills them in.
        saved_wrap_up: None,
        after_call_work: false,
    }
}
