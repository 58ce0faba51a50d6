//! What the account's trigger rules read: the rules, a call's facts formatted for the account, and what the
//! `call_started` rules plan for a call (legacy mode consults it when several records match).

use super::{Flow, ItemContext};
use crate::model::Call;
use crate::phone;
use callpop_core::call::CallState;
use callpop_core::triggers::{Facts, PlannedAction, Trigger, TriggerEvent, evaluate};
use serde_json::Value;

/// The account's trigger rules, in their order.
pub(super) async fn account_triggers(ctx: &ItemContext<'_>) -> Flow<Vec<Trigger>> {
    Ok(ctx.store().triggers(ctx.account.id).await?.into_iter().map(|stored| stored.rule).collect())
}

/// The facts of the item's call, formatted for its account.
pub(super) async fn call_facts(ctx: &ItemContext<'_>, call: &Call) -> Flow<Facts> {
    Ok(facts_for_call(ctx.store(), ctx.account.id, &ctx.options, call).await?)
}

/// The facts of a call that trigger conditions and templates read, formatted for the account.
pub async fn facts_for_call(
    store: &dyn crate::store::Store,
    account_id: i64,
    options: &callpop_core::options::IntegrationOptions,
    call: &Call,
) -> sqlx::Result<Facts> {
    let home_region = store.account(account_id).await?.map(|account| account.default_region).unwrap_or_default();
    let number = phone::display_e164_for(&call.caller_e164, options.local_number_format, &home_region);
    let mut facts = Facts::new(&call.call_id, call.direction, &number);
    facts.answered =
        call.answered_at.is_some() || call.state != CallState::Ringing && call.duration_secs.unwrap_or(0) > 0;
    facts.duration_secs = call.duration_secs.and_then(|secs| u64::try_from(secs).ok());
    facts.caller_name.clone_from(&call.caller_name);
    facts.caller_city.clone_from(&call.caller_city);
    facts.caller_region.clone_from(&call.caller_region);
    facts.caller_country.clone_from(&call.caller_country);
    facts.tracking_number =
        Some(phone::display_e164_for(&call.tracking_number, options.local_number_format, &home_region));
    facts.tracking_source.clone_from(&call.tracking_source);
    facts.campaign.clone_from(&call.campaign);
    facts.keywords.clone_from(&call.keywords);
    facts.tags.clone_from(&call.tags);
    facts.disposition.clone_from(&call.disposition);
    facts.recording_url.clone_from(&call.recording_url);
    facts.started_at = Some(call.started_at.format("%Y-%m-%d %H:%M UTC").to_string());
    if let Some(reference) = &call.agent_ref {
        facts.agent_name = store.user_by_reference(account_id, reference).await?.map(|user| user.display_name);
    }
    facts.custom = call
        .custom_fields
        .iter()
        .map(|(name, value)| {
            let fact = match value {
                Value::Number(number) => callpop_core::triggers::FactValue::Number(number.as_f64().unwrap_or_default()),
                Value::Bool(flag) => callpop_core::triggers::FactValue::Bool(*flag),
                Value::String(text) => callpop_core::triggers::FactValue::Text(text.clone()),
                other => callpop_core::triggers::FactValue::Text(other.to_string()),
            };
            (name.clone(), fact)
        })
        .collect();
    Ok(facts)
}

/// What the account's `call_started` triggers plan for a call: legacy mode consults it when several records match
/// and the dialog cannot decide.
pub(super) async fn plan_for_start(ctx: &ItemContext<'_>, call: &Call) -> Flow<Vec<PlannedAction>> {
    let rules = account_triggers(ctx).await?;
    if rules.is_empty() {
        return Ok(Vec::new());
    }
    Ok(evaluate(&rules, TriggerEvent::CallStarted, &call_facts(ctx, call).await?))
}
