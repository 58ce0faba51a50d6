//! What an item is about, loaded from the store: its call or its text, and what the flows take from a text (the
//! other party's number, the Task that logs it).

use super::{Flow, ItemContext};
use crate::model::{Call, Text};
use crate::salesforce::record::fields_from_core;
use crate::store::salesforce_audit::SyncSubject;
use callpop_core::call::Direction;
use callpop_core::legacy::{TextActivity, text_task_fields};

/// Loads the call an item is about.
pub(super) async fn the_call(ctx: &ItemContext<'_>) -> Flow<Option<Call>> {
    let SyncSubject::Call(call_row_id) = ctx.subject else { return Ok(None) };
    Ok(ctx.store().calls_by_row_ids(&[call_row_id]).await?.pop())
}

/// Loads the text an item is about.
pub(super) async fn the_text(ctx: &ItemContext<'_>) -> Flow<Option<Text>> {
    let SyncSubject::Text(text_row_id) = ctx.subject else { return Ok(None) };
    Ok(ctx.store().text_by_row_id(text_row_id).await?)
}

/// The other party's number: the sender of an incoming message, the recipient of an outgoing one.
pub(super) fn other_party(text: &Text) -> &str {
    match text.direction {
        Direction::Inbound => &text.from_e164,
        Direction::Outbound => &text.to_e164,
    }
}

/// The Task fields of a text, formatted for the account.
pub(super) fn text_task(ctx: &ItemContext<'_>, text: &Text) -> serde_json::Map<String, serde_json::Value> {
    let number = ctx.number_as_written(other_party(text));
    fields_from_core(&text_task_fields(&TextActivity {
        message_id: &text.message_id,
        direction: text.direction,
        other_number: &number,
        body: &text.body,
        activity_date: &ctx.link.activity_date(text.occurred_at),
        tracking_source: text.tracking_source.as_deref(),
    }))
}
