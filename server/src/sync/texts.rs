//! Text messages (SMS), logged like calls: in legacy mode on the matched record (or a new Lead) as a completed
//! Task holding the message; with triggers, by the account's `text_received` triggers.

use super::actions::{NewLeadWrite, campaign_to_join, search_by_phone, write_activity_following_duplicates};
use super::{AuditEntry, Flow, ItemContext, triggers};
use crate::model::Text;
use crate::phone;
use crate::salesforce::record::{fields_from_core, fields_from_text};
use crate::store::salesforce_audit::{SyncStep, SyncSubject};
use callpop_core::call::Direction;
use callpop_core::legacy::{
    ChoiceInput, Dialog, NewLead, Outcome, TextActivity, campaign_name, choose_record, lead_fields, text_task_fields,
};

/// The other party's number: the sender of an incoming message, the recipient of an outgoing one.
pub(super) fn other_party(text: &Text) -> &str {
    match text.direction {
        Direction::Inbound => &text.from_e164,
        Direction::Outbound => &text.to_e164,
    }
}

pub(super) async fn text_event(ctx: &ItemContext<'_>) -> Flow {
    let SyncSubject::Text(text_row_id) = ctx.subject else { return Ok(()) };
    let Some(text) = ctx.store().text_by_row_id(text_row_id).await? else { return Ok(()) };
    if !ctx.options.legacy_mode {
        return triggers::text_event(ctx, &text).await;
    }
    let number =
        phone::display_e164_for(other_party(&text), ctx.options.local_number_format, &ctx.account.default_region);
    let (candidates, digits) = search_by_phone(ctx, other_party(&text)).await?;
    // Nobody is asked about a text: several matches go to the most recently modified record.
    let choice = choose_record(ChoiceInput {
        candidates: &candidates,
        caller_digits: &digits,
        dialog: &Dialog::NoAgent,
        trigger_plan: &[],
    });
    let target = match choice.outcome {
        Outcome::Use { record, rule } => {
            let matched = AuditEntry::new(SyncStep::Match).object(record.object().api_name()).record(record.as_str());
            ctx.audit(matched.detail(rule.as_str().replace('_', " "))).await?;
            Ok(record)
        }
        Outcome::CreateLead | Outcome::AskAgent { .. } => {
            let fields = lead_fields(NewLead {
                caller_name: None,
                phone: &number,
                tracking_source: text.tracking_source.as_deref(),
                city: None,
                state: None,
                country: None,
                address_codes: false,
            });
            ctx.audit(AuditEntry::new(SyncStep::Match).object("Lead").detail("no match: a new Lead")).await?;
            Err(NewLeadWrite { fields: fields_from_text(&fields) })
        }
    };
    let campaign =
        campaign_to_join(ctx, campaign_name(text.campaign.as_deref(), text.tracking_source.as_deref())).await?;
    let task = text_task(ctx, &text);
    let key = format!("text:{}", text.message_id);
    let written = match target {
        Ok(record) => write_activity_following_duplicates(ctx, Ok(&record), &key, task, None, campaign).await?,
        Err(lead) => write_activity_following_duplicates(ctx, Err(lead), &key, task, None, campaign).await?,
    };
    ctx.store().set_text_sync(text.id, written.record.as_str(), Some(&written.task_id)).await?;
    Ok(())
}

/// The Task fields of a text, formatted for the account.
pub(super) fn text_task(ctx: &ItemContext<'_>, text: &Text) -> serde_json::Map<String, serde_json::Value> {
    let number =
        phone::display_e164_for(other_party(text), ctx.options.local_number_format, &ctx.account.default_region);
    fields_from_core(&text_task_fields(&TextActivity {
        message_id: &text.message_id,
        direction: text.direction,
        other_number: &number,
        body: &text.body,
        activity_date: &text.occurred_at.format("%Y-%m-%d").to_string(),
        tracking_source: text.tracking_source.as_deref(),
    }))
}
