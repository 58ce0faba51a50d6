//! Text messages (SMS), logged like calls: in legacy mode on the matched record (or a new Lead) as a completed
//! Task holding the message; with triggers, by the account's `text_received` triggers.

use super::actions::{NewLeadWrite, campaign_to_join, search_by_phone, write_activity_following_duplicates};
use super::subject::{other_party, text_task, the_text};
use super::{AuditEntry, Flow, ItemContext};
use crate::store::salesforce_audit::SyncStep;
use callpop_core::legacy::{ChoiceInput, Dialog, NewLead, Outcome, campaign_name, choose_record, lead_fields};
use callpop_core::write_plan::text_fields;

/// Syncs one text message in legacy mode.
pub(super) async fn text_event(ctx: &ItemContext<'_>) -> Flow {
    let Some(text) = the_text(ctx).await? else { return Ok(()) };
    let number = ctx.number_as_written(other_party(&text));
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
            Err(NewLeadWrite { fields: text_fields(fields) })
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
