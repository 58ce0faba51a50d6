//! The preflight check an admin runs before going live: can callpop write what it writes, in this org?
//!
//! It reads the org's metadata (the Lead and Task describes, active validation and duplicate rules) and then does a
//! dry run: one all-or-none composite request that creates a Lead and a Task exactly as callpop would, followed by a
//! subrequest that always fails, so Salesforce judges the real records (validation rules, required fields,
//! picklists, duplicate rules) and rolls everything back. Each problem comes with what to do about it.

use super::SyncEngine;
use super::actions::{OrgShape, add_plan, answer_of};
use crate::phone;
use crate::region;
use crate::salesforce::SalesforceClient;
use crate::salesforce::composite::CompositeRequest;
use crate::salesforce::record::fields_from_core;
use crate::salesforce::soql;
use callpop_core::call::{CallState, Direction};
use callpop_core::legacy::{CallActivity, NewLead, lead_fields, task_fields};
use callpop_core::options::IntegrationOptions;
use callpop_core::write_plan::{
    CALL_ID_FIELD, DRY_RUN_KEY, DryRun, LEAD_ID_FIELD, Part, plan_dry_run, read_dry_run, text_fields,
};
use serde::Serialize;
use serde_json::Value;

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PreflightCheck {
    /// A stable id, e.g. `lead_dry_run`.
    pub id: String,
    pub title: String,
    pub status: CheckStatus,
    /// What callpop found, with Salesforce's own words where it gave any.
    pub detail: String,
    /// What to do about it; empty when nothing is needed.
    pub fix: String,
}

/// What a finding means for going live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Ok,
    /// It works, but check it.
    Warning,
    /// Calls will not sync as they are.
    Problem,
}

pub(super) fn check(
    id: &str,
    title: &str,
    status: CheckStatus,
    detail: impl Into<String>,
    fix: impl Into<String>,
) -> PreflightCheck {
    PreflightCheck { id: id.to_owned(), title: title.to_owned(), status, detail: detail.into(), fix: fix.into() }
}

/// The fields callpop writes on a new Lead.
const LEAD_FIELDS_WRITTEN: [&str; 7] = ["LastName", "Company", "Phone", "LeadSource", "City", "State", "Country"];

/// The describe's fields by name.
fn described_fields(describe: &Value) -> Vec<&Value> {
    describe["fields"].as_array().map(|fields| fields.iter().collect()).unwrap_or_default()
}

fn field<'a>(describe: &'a Value, name: &str) -> Option<&'a Value> {
    described_fields(describe).into_iter().find(|field| field["name"] == name)
}

impl SyncEngine {
    /// Runs the preflight check for an account's org.
    pub async fn preflight(&self, account_id: i64, options: &IntegrationOptions) -> sqlx::Result<Vec<PreflightCheck>> {
        let Some(link) = self.link_for(account_id).await? else {
            return Ok(vec![check(
                "linked",
                "Salesforce is linked",
                CheckStatus::Problem,
                "This account is not linked to a Salesforce org, or the link needs to be renewed.",
                "Link the org on the Salesforce connection page.",
            )]);
        };
        let client = &link.client;
        let mut checks = Vec::new();
        let lead = client.describe("Lead").await;
        match &lead {
            Ok(lead) => {
                checks.extend(lead_checks(lead, options));
                checks.push(id_field_check(
                    lead,
                    "lead_callpop_id",
                    LEAD_ID_FIELD,
                    "a Lead callpop creates is created once",
                ));
            }
            Err(error) => checks.push(check(
                "lead_describe",
                "callpop can read the Lead object",
                CheckStatus::Problem,
                error.to_string(),
                "Give the integration user read and create access to Leads (its profile or a permission set).",
            )),
        }
        let task = client.describe("Task").await;
        match &task {
            Ok(task) => checks.push(id_field_check(
                task,
                "task_call_id",
                CALL_ID_FIELD,
                "every retry updates the call's one Task",
            )),
            Err(error) => checks.push(check(
                "task_describe",
                "callpop can read the Task object",
                CheckStatus::Problem,
                error.to_string(),
                "Give the integration user access to Tasks (activities).",
            )),
        }
        // The dry run writes as the sync would in this org: keyed by the external ids the org has.
        let shape = match (&task, &lead) {
            (Ok(task), Ok(lead)) => OrgShape::from_describes(task, lead),
            _ => OrgShape::default(),
        };
        checks.extend(rule_checks(client).await);
        // The org's time zone, read again and kept with the link (`link.rs`).
        checks.push(self.time_zone_check(account_id, &link).await?);
        checks.push(dry_run(client, options, shape).await);
        Ok(checks)
    }
}

fn lead_checks(lead: &Value, options: &IntegrationOptions) -> Vec<PreflightCheck> {
    let mut checks = Vec::new();
    let not_createable: Vec<&str> = LEAD_FIELDS_WRITTEN
        .iter()
        .copied()
        .filter(|name| field(lead, name).is_none_or(|described| described["createable"] != true))
        .collect();
    checks.push(if lead["createable"] != true {
        check(
            "lead_create",
            "callpop can create Leads",
            CheckStatus::Problem,
            "The integration user cannot create Leads.",
            "Give the integration user's profile or a permission set the Create permission on Leads.",
        )
    } else if not_createable.is_empty() {
        check(
            "lead_create",
            "callpop can create Leads",
            CheckStatus::Ok,
            format!("It can create Leads with {}.", LEAD_FIELDS_WRITTEN.join(", ")),
            "",
        )
    } else {
        check(
            "lead_create",
            "callpop can create Leads",
            CheckStatus::Problem,
            format!("It cannot write {} on a new Lead.", not_createable.join(", ")),
            "Make these fields visible and editable for the integration user (field-level security).",
        )
    });
    let required: Vec<String> = described_fields(lead)
        .into_iter()
        .filter(|described| {
            described["nillable"] == false && described["createable"] == true && described["defaultedOnCreate"] != true
        })
        .filter_map(|described| described["name"].as_str())
        .filter(|name| !LEAD_FIELDS_WRITTEN.contains(name))
        .map(str::to_owned)
        .collect();
    if !required.is_empty() {
        checks.push(check("lead_required", "Every field a new Lead requires gets a value", CheckStatus::Problem,
            format!("The org requires {} on every Lead, and callpop does not fill it.", required.join(", ")),
            "Give the field a default value in Setup, make it optional, or fill it with a trigger's find_or_create mapping (legacy mode off)."));
    }
    if field(lead, "CountryCode").is_some() || field(lead, "StateCode").is_some() {
        let written = if options.full_region_names {
            "full names (\"United States\", \"California\")"
        } else {
            "codes (\"US\", \"CA\")"
        };
        checks.push(check("state_country_picklists", "State and Country values fit the org's picklists", CheckStatus::Warning,
            format!("State and Country picklists are on in this org. callpop writes {written} (option 3)."),
            "Keep option 3 as it is if the picklists' values match it; otherwise a new Lead from an unlisted region is refused, and shows in the sync log."));
    }
    checks
}

/// Whether `object` has callpop's external id `field` (Text 255, External ID, Unique), and what it protects.
fn id_field_check(described_object: &Value, id: &str, field_name: &str, protects: &str) -> PreflightCheck {
    let object = described_object["name"].as_str().unwrap_or_default();
    let title = format!("{object}s have callpop's external id field");
    // Task custom fields are defined on the Activity object.
    let setup_object = if object == "Task" { "Activity" } else { object };
    match field(described_object, field_name) {
        Some(described) if described["externalId"] == true && described["unique"] == true => check(
            id,
            &title,
            CheckStatus::Ok,
            format!("{object}.{field_name} is an external id and unique: {protects}."),
            "",
        ),
        Some(_) => check(
            id,
            &title,
            CheckStatus::Warning,
            format!("{object}.{field_name} exists but is not both External ID and Unique."),
            format!("Edit the {setup_object} field {field_name}: tick External ID and Unique."),
        ),
        None => check(
            id,
            &title,
            CheckStatus::Warning,
            format!(
                "{object}.{field_name} does not exist. callpop still writes each call once, with one more request \
                 per create to check, but cannot rule out a duplicate when Salesforce commits a write after callpop \
                 gave up waiting."
            ),
            format!("Create a {setup_object} custom field: Text(255), named {field_name}, External ID and Unique."),
        ),
    }
}

async fn rule_checks(client: &SalesforceClient) -> Vec<PreflightCheck> {
    let mut checks = Vec::new();
    match client.tooling_query(soql::active_validation_rules()).await {
        Ok(rules) => {
            let relevant: Vec<String> = rules
                .iter()
                .filter(|rule| {
                    rule.text("EntityDefinitionId")
                        .is_none_or(|entity| ["Lead", "Task", "CampaignMember"].contains(&entity))
                })
                .map(|rule| format!("{} (\"{}\")", rule.text("ValidationName").unwrap_or("a rule"), rule.text("ErrorMessage").unwrap_or("")))
                .collect();
            checks.push(if relevant.is_empty() {
                check("validation_rules", "No validation rule stands in the way", CheckStatus::Ok, "No active validation rule on Leads, Tasks or Campaign members.", "")
            } else {
                check("validation_rules", "Validation rules on what callpop writes", CheckStatus::Warning,
                    format!("Active: {}. The dry run below shows whether they refuse callpop's records.", relevant.join("; ")),
                    "If the dry run fails, relax the rule for the integration user or change what callpop writes (options 2 and 3, triggers).")
            });
        }
        Err(error) => checks.push(check("validation_rules", "Validation rules can be read", CheckStatus::Warning, error.to_string(),
            "Give the integration user \"View Setup and Configuration\" to let callpop list them; the dry run still tests them.")),
    }
    match client.query(soql::active_duplicate_rules()).await {
        Ok(rules) => {
            let on_leads: Vec<&str> = rules
                .iter()
                .filter(|rule| rule.text("SobjectType") == Some("Lead"))
                .filter_map(|rule| rule.text("DeveloperName"))
                .collect();
            if !on_leads.is_empty() {
                checks.push(check("duplicate_rules", "Duplicate rules on Leads", CheckStatus::Warning,
                    format!("Active on Leads: {}. When one blocks a new Lead, callpop logs the call on the record the rule matched.", on_leads.join(", ")),
                    "Nothing to do if that is what you want; the sync log shows each case."));
            }
        }
        Err(error) => {
            checks.push(check(
                "duplicate_rules",
                "Duplicate rules can be read",
                CheckStatus::Warning,
                error.to_string(),
                "",
            ));
        }
    }
    checks
}

/// Creates a Lead and its Task as callpop would (core's `plan_dry_run`: the same subrequests a first caller's call
/// makes), then makes the request fail on purpose so nothing is kept.
async fn dry_run(client: &SalesforceClient, options: &IntegrationOptions, shape: OrgShape) -> PreflightCheck {
    let phone = phonenumber::parse(None, "+14155550199")
        .map(|number| phone::display(&number, options.local_number_format))
        .unwrap_or_default();
    let full_names = options.full_region_names && !shape.address_codes;
    let country = region::format_country("US", full_names);
    let state = region::format_region("US", "CA", full_names);
    let lead = lead_fields(NewLead {
        caller_name: Some("callpop preflight"),
        phone: &phone,
        tracking_source: Some("callpop preflight"),
        city: Some("San Francisco"),
        state: Some(&state),
        country: Some(&country),
        address_codes: shape.address_codes,
    });
    let activity = CallActivity {
        call_id: DRY_RUN_KEY,
        direction: Direction::Inbound,
        state: CallState::Completed,
        caller_number: &phone,
        activity_date: "2026-01-01",
        duration_secs: Some(60),
        disposition: Some("Preflight"),
        tracking_source: Some("callpop preflight"),
        campaign: None,
        keywords: &[],
        tags: &[],
        recording_url: None,
        owner_id: None,
    };
    let plan = plan_dry_run(&text_fields(lead), shape.keys());
    let mut request = CompositeRequest::new(client.api_version(), true);
    let task = fields_from_core(&task_fields(&activity));
    let title = "A Lead and a Task as callpop writes them are accepted";
    let Ok(references) = add_plan(&mut request, &plan, "", &task) else {
        return check("dry_run", title, CheckStatus::Warning, "The dry run could not be built.", "");
    };
    let results = match client.composite(&request).await {
        Ok(results) => results,
        Err(error) => {
            let fix = "Check the integration user's API access.";
            return check("dry_run", title, CheckStatus::Problem, error.to_string(), fix);
        }
    };
    let result = |part: Part| references.get(&part).and_then(|reference| results.get(reference));
    let refused = match read_dry_run(&plan, |part| result(part).and_then(answer_of)) {
        DryRun::Accepted => {
            return check(
                "dry_run",
                title,
                CheckStatus::Ok,
                "Salesforce accepted a test Lead and its call Task; nothing was kept (the request was rolled back).",
                "",
            );
        }
        DryRun::Unreadable => {
            let detail = "Salesforce's answer to the dry run did not say whether it accepted the test records.";
            return check("dry_run", title, CheckStatus::Warning, detail, "Run the check again.");
        }
        DryRun::Refused(part) => part,
    };
    let error = result(refused).and_then(|result| result.error()).map(|error| {
        let fields = error.errors().iter().flat_map(|detail| detail.fields.clone()).collect::<Vec<_>>();
        let on = if fields.is_empty() { String::new() } else { format!(" (fields: {})", fields.join(", ")) };
        format!("{error}{on}")
    });
    let object = if refused == Part::Lead { "Lead" } else { "Task" };
    check(
        "dry_run",
        title,
        CheckStatus::Problem,
        format!("Salesforce refused the {object}: {}", error.unwrap_or_default()),
        "Fix the org (the rule or the field named) or what callpop writes (options 2 and 3); then run the check again.",
    )
}
