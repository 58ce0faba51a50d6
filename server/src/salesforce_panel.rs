//! The Salesforce panel of a call or text: what was sent to Salesforce, summarised from the audit trail the sync
//! engine writes (`store::salesforce_audit`) and the activity appends the softphones sent.
//!
//! Pure: it turns stored entries into the panel's JSON and does no I/O. Who may see the panel is decided by
//! `callpop_core::account::visibility` before this runs.

use crate::model::{StoredActivity, SyncStatus};
use crate::store::salesforce_audit::{AuditEntry, SalesforceError, StepOutcome, SyncStep};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// What callpop sent to Salesforce for one call or text.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SalesforcePanel {
    pub sync_status: SyncStatus,
    /// Every record Salesforce accepted a step on, in the order first touched.
    pub records: Vec<PanelRecord>,
    /// The call's or text's Task: the newest one successfully appended or updated.
    pub task_id: Option<String>,
    /// The fields written to each record, merged over the steps (a later value wins).
    pub fields_written: Vec<PanelFieldsWritten>,
    /// Salesforce's errors, oldest first, as Salesforce worded them.
    pub errors: Vec<PanelError>,
    /// REST requests used for this call or text, retries included.
    pub api_requests: i64,
    /// Records the softphones chose in the browser and asked to append to (calls only).
    pub appends: Vec<PanelAppend>,
    /// Every step in order.
    pub trail: Vec<PanelStep>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PanelRecord {
    pub object: String,
    pub record_id: String,
    /// The steps that touched it (`create`, `append`, …), in order.
    pub steps: Vec<SyncStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PanelFieldsWritten {
    pub object: String,
    pub record_id: Option<String>,
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PanelError {
    pub step: SyncStep,
    pub object: Option<String>,
    pub record_id: Option<String>,
    pub outcome: StepOutcome,
    #[serde(flatten)]
    pub error: SalesforceError,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PanelAppend {
    pub record_id: String,
    pub record_type: String,
    /// `single_match`, `agent_choice`, `new_record` or `click_to_dial`.
    pub chosen_by: String,
    /// The signed-in user whose softphone sent it.
    pub sent_by: Option<String>,
    pub sent_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PanelStep {
    pub occurred_at: DateTime<Utc>,
    pub step: SyncStep,
    pub object: Option<String>,
    pub record_id: Option<String>,
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, serde_json::Value>,
    pub outcome: StepOutcome,
    pub error: Option<SalesforceError>,
    pub api_requests: i64,
    pub detail: Option<String>,
}

/// Builds the panel from the subject's sync status, its audit trail (oldest first) and its activity appends.
pub fn summarise(sync_status: SyncStatus, trail: &[AuditEntry], appends: &[StoredActivity]) -> SalesforcePanel {
    let mut records: Vec<PanelRecord> = Vec::new();
    let mut fields_written: Vec<PanelFieldsWritten> = Vec::new();
    let mut task_id = None;
    for entry in trail.iter().filter(|entry| entry.outcome == StepOutcome::Ok) {
        if let (Some(object), Some(record_id)) = (&entry.object, &entry.record_id) {
            match records.iter_mut().find(|record| &record.record_id == record_id) {
                Some(record) => record.steps.push(entry.step),
                None => records.push(PanelRecord {
                    object: object.clone(),
                    record_id: record_id.clone(),
                    steps: vec![entry.step],
                }),
            }
            if object == "Task" {
                task_id = Some(record_id.clone());
            }
        }
        if let (Some(object), false) = (&entry.object, entry.fields.is_empty()) {
            let same_record = |written: &&mut PanelFieldsWritten| {
                &written.object == object && written.record_id == entry.record_id && entry.record_id.is_some()
            };
            match fields_written.iter_mut().find(same_record) {
                Some(written) => written.fields.extend(entry.fields.clone()),
                None => fields_written.push(PanelFieldsWritten {
                    object: object.clone(),
                    record_id: entry.record_id.clone(),
                    fields: entry.fields.clone(),
                }),
            }
        }
    }
    let errors = trail
        .iter()
        .filter_map(|entry| {
            let error = entry.error.clone()?;
            Some(PanelError {
                step: entry.step,
                object: entry.object.clone(),
                record_id: entry.record_id.clone(),
                outcome: entry.outcome,
                error,
                occurred_at: entry.occurred_at,
            })
        })
        .collect();
    SalesforcePanel {
        sync_status,
        records,
        task_id,
        fields_written,
        errors,
        api_requests: trail.iter().map(|entry| entry.api_requests).sum(),
        appends: appends
            .iter()
            .map(|append| PanelAppend {
                record_id: append.record_id.clone(),
                record_type: append.record_type.clone(),
                chosen_by: append.chosen_by.clone(),
                sent_by: append.user_email.clone(),
                sent_at: append.created_at,
            })
            .collect(),
        trail: trail
            .iter()
            .map(|entry| PanelStep {
                occurred_at: entry.occurred_at,
                step: entry.step,
                object: entry.object.clone(),
                record_id: entry.record_id.clone(),
                fields: entry.fields.clone(),
                outcome: entry.outcome,
                error: entry.error.clone(),
                api_requests: entry.api_requests,
                detail: entry.detail.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(step: SyncStep, object: &str, record_id: Option<&str>, fields: &serde_json::Value) -> AuditEntry {
        AuditEntry {
            id: 0,
            occurred_at: DateTime::UNIX_EPOCH,
            step,
            object: Some(object.to_owned()),
            record_id: record_id.map(str::to_owned),
            fields: fields.as_object().cloned().unwrap_or_default(),
            outcome: StepOutcome::Ok,
            error: None,
            api_requests: 1,
            detail: None,
        }
    }

    #[test]
    fn a_created_lead_with_its_task_and_a_parked_campaign_step_reads_as_such() {
        let lead = "00Q000000000001AAA";
        let task = "00T000000000002AAA";
        let mut campaign = entry(SyncStep::Campaign, "CampaignMember", None, &json!({"Status": "Responded"}));
        campaign.outcome = StepOutcome::Parked;
        campaign.error = Some(SalesforceError {
            code: "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST".to_owned(),
            message: "Status: bad value for restricted picklist field: Responded".to_owned(),
            fields: vec!["Status".to_owned()],
        });
        let trail = [
            entry(SyncStep::Search, "Lead,Contact", None, &json!({})),
            entry(SyncStep::Create, "Lead", Some(lead), &json!({"LastName": "Unknown Caller", "Phone": "+1"})),
            entry(SyncStep::Update, "Lead", Some(lead), &json!({"Phone": "+14155552671"})),
            entry(SyncStep::Append, "Task", Some(task), &json!({"CallObject": "CA-1"})),
            campaign,
        ];
        let panel = summarise(SyncStatus::Parked, &trail, &[]);
        let records: Vec<_> = panel.records.iter().map(|record| (record.object.as_str(), record.steps.len())).collect();
        assert_eq!(records, [("Lead", 2), ("Task", 1)]);
        assert_eq!(panel.task_id.as_deref(), Some(task));
        assert_eq!(panel.fields_written[0].fields["Phone"], "+14155552671", "the later value wins");
        assert_eq!(panel.fields_written[0].fields["LastName"], "Unknown Caller");
        assert_eq!(panel.errors.len(), 1);
        assert_eq!(panel.errors[0].error.fields, ["Status"]);
        assert_eq!(panel.api_requests, 5);
        assert_eq!(panel.trail.len(), 5);
    }
}
