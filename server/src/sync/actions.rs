//! The Salesforce operations the flows share: finding a caller's records, writing a call's Task (exactly once),
//! the Campaign membership, and the facts about a call that core's decisions take, formatted for the account.

use super::{AuditEntry, Flow, Halt, ItemContext, item_error};
use crate::model::Call;
use crate::region;
use crate::salesforce::SalesforceError;
use crate::salesforce::composite::{CompositeBuildError, CompositeRequest, Reference, SubResult};
use crate::salesforce::record::{UpsertOutcome, fields_from_core};
use crate::salesforce::search::{candidate, phone_search_digits};
use crate::salesforce::soql;
use crate::store::salesforce_audit::{StepOutcome, SyncStep};
use crate::store::wrap_up::StoredWrapUp;
use callpop_core::call_logging::{WhatIdRule, WhatNext, WhatQuery, after_what_query, task_what_id, what_query};
use callpop_core::legacy::{CallActivity, Candidate, FieldValue, phone_matches, task_fields};
use callpop_core::record::RecordId;
use callpop_core::wrap_up::{AgentWrapUp, Fields, with_agent_wrap_up};
use callpop_core::write_plan::{
    Activity, Answer, Body, CALL_ID_FIELD, CREATE_ONLY_TASK_FIELDS, LEAD_ID_FIELD, MemberOutcome, Next, OrgKeys, Part,
    Query, Ref, Refusal, Subrequest, Write, after_retry, plan_activity, plan_task_update, read_answers, task_lookup,
};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::time::Instant;

/// What callpop's writes depend on in the org's schema, read once per link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct OrgShape {
    /// Task `Call_Id__c`.
    pub(crate) task_key: bool,
    /// Lead `Callpop_Id__c`.
    pub(crate) lead_key: bool,
    /// State and Country picklists: the Lead has `StateCode` and `CountryCode`.
    pub(crate) address_codes: bool,
}

impl OrgShape {
    /// The shape the Task's and the Lead's describes show.
    pub(crate) fn from_describes(task: &Value, lead: &Value) -> Self {
        Self {
            task_key: has_field(task, CALL_ID_FIELD),
            lead_key: has_field(lead, LEAD_ID_FIELD),
            address_codes: has_field(lead, "StateCode") && has_field(lead, "CountryCode"),
        }
    }

    /// The external id fields core's write plans depend on.
    pub(crate) fn keys(&self) -> OrgKeys {
        OrgKeys { task_key: self.task_key, lead_key: self.lead_key }
    }
}

/// Searches Leads and Contacts by the caller's number, and reads the results as core's candidates.
pub(crate) async fn search_by_phone(ctx: &ItemContext<'_>, e164: &str) -> Flow<(Vec<Candidate>, Vec<String>)> {
    let parsed = phonenumber::parse(None, e164).map_err(|_| Halt::Park {
        status: "failed",
        error: crate::store::sync::ItemError {
            code: "BAD_NUMBER".to_owned(),
            message: format!("{e164} no longer parses as a phone number"),
            fields: Vec::new(),
        },
    })?;
    let digits = phone_search_digits(&parsed);
    let entry =
        AuditEntry::new(SyncStep::Search).object("Lead,Contact").detail(format!("by phone {}", digits.join(" or ")));
    // A replay searches afresh: what an earlier attempt wrote must be seen.
    if !ctx.is_retry()
        && let Some(candidates) = ctx.engine.remembered_search(ctx.account.id, e164)
    {
        let detail =
            format!("by phone {}: {} found (remembered from a recent search)", digits.join(" or "), candidates.len());
        ctx.audit(entry.detail(detail)).await?;
        return Ok((candidates, digits));
    }
    let (records, charged) = ctx.answered(entry.clone(), ctx.batch.search(&ctx.link, digits.clone()).await).await?;
    // A search made together with other callers' returns their records too: keep this caller's.
    let candidates: Vec<Candidate> = records
        .iter()
        .filter_map(candidate)
        .filter(|found| found.phones.iter().any(|phone| phone_matches(phone, &digits)))
        .collect();
    ctx.engine.remember_search(ctx.account.id, e164, &candidates);
    let found =
        entry.with_requests(charged).detail(format!("by phone {}: {} found", digits.join(" or "), candidates.len()));
    ctx.audit(found).await?;
    Ok((candidates, digits))
}

/// Before a create that might repeat one, what the search index may not show yet: the Lead an earlier attempt of
/// this call, or an earlier call from this number, created. A number whose earlier call's write is still in doubt
/// (being sent or retried) waits for it: creates for one number are serialized per account. Callpop wrote the
/// Lead's phone exactly as formatted, so an exact SOQL query (which, unlike SOSL, sees every committed record) finds
/// it.
pub(crate) async fn read_your_writes(ctx: &ItemContext<'_>, call: &Call, phone: &str) -> Flow<Vec<Candidate>> {
    let called_before = ctx.store().number_called_before(ctx.account.id, &call.caller_e164, call.id).await?;
    if !ctx.is_retry() && !called_before {
        return Ok(Vec::new()); // A first call from a first-time caller: nothing callpop wrote can be missed.
    }
    if called_before && ctx.store().number_in_doubt(ctx.account.id, &call.caller_e164, ctx.item.id).await? {
        let until =
            chrono::Utc::now() + chrono::Duration::from_std(ctx.engine.timing.dialog_recheck).unwrap_or_default();
        return Err(Halt::Defer { until, error: None });
    }
    lead_written_earlier(ctx, phone).await
}

/// The newest unconverted Lead whose `Phone` is exactly `phone`, as a candidate.
async fn lead_written_earlier(ctx: &ItemContext<'_>, phone: &str) -> Flow<Vec<Candidate>> {
    let entry = AuditEntry::new(SyncStep::Search)
        .object("Lead")
        .detail("looking for a Lead callpop created for this number that the search may not show yet");
    let records = ctx.call(entry, ctx.client().query(&soql::lead_by_exact_phone(phone))).await?;
    Ok(records.iter().filter_map(candidate).collect())
}

/// The org's shape (callpop's external ids, State and Country picklists), from the Task's and Lead's describe,
/// looked up once per link.
pub(crate) async fn org_shape(ctx: &ItemContext<'_>) -> Flow<OrgShape> {
    if let Some(known) = ctx.link.shape.get() {
        return Ok(*known);
    }
    let task = describe(ctx, "Task").await?;
    let lead = describe(ctx, "Lead").await?;
    let shape = OrgShape::from_describes(&task, &lead);
    let _ = ctx.link.shape.set(shape);
    Ok(shape)
}

async fn describe(ctx: &ItemContext<'_>, object: &str) -> Flow<Value> {
    let entry = AuditEntry::new(SyncStep::Search).object(object).detail(format!("reading {object}'s fields"));
    ctx.call(entry, ctx.client().describe(object)).await
}

/// Whether a describe lists the field.
fn has_field(described: &Value, field: &str) -> bool {
    described["fields"]
        .as_array()
        .is_some_and(|fields| fields.iter().any(|described| described["name"].as_str() == Some(field)))
}

/// The id of the active Campaign with this name, remembered for a while; `None` when the org has none.
pub(crate) async fn campaign_id(ctx: &ItemContext<'_>, name: &str) -> Flow<Option<String>> {
    let key = (ctx.account.id, name.to_owned());
    let remembered = {
        let campaigns = ctx.engine.campaigns.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        campaigns.get(&key).filter(|(_, at)| at.elapsed() < ctx.engine.timing.cache_ttl).map(|(id, _)| id.clone())
    };
    if let Some(id) = remembered {
        return Ok(Some(id));
    }
    let entry = AuditEntry::new(SyncStep::Campaign).object("Campaign").detail(format!("finding Campaign {name:?}"));
    let records = ctx.call(entry, ctx.client().query(&soql::active_campaign_by_name(name))).await?;
    let id = records.first().and_then(|record| record.text("Id")).map(str::to_owned);
    if let Some(id) = &id {
        ctx.engine
            .campaigns
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, (id.clone(), Instant::now()));
    }
    Ok(id)
}

/// The Campaign a call or text joins (by `campaign_name`), looked up; a Campaign the org lacks is an audit step
/// with its reason, and the Task is written without the membership.
pub(crate) async fn campaign_to_join<'a>(
    ctx: &ItemContext<'_>,
    name: Option<&'a str>,
) -> Flow<Option<(&'a str, String)>> {
    let Some(name) = name else { return Ok(None) };
    match campaign_id(ctx, name).await? {
        Some(id) => Ok(Some((name, id))),
        None => {
            ctx.audit(campaign_not_found(name)).await?;
            Ok(None)
        }
    }
}

/// The audit entry of a Campaign the org has not (active).
pub(crate) fn campaign_not_found(name: &str) -> AuditEntry {
    let error = crate::store::sync::ItemError {
        code: "CAMPAIGN_NOT_FOUND".to_owned(),
        message: format!("the org has no active Campaign named {name:?}: the call is logged without it"),
        fields: Vec::new(),
    };
    AuditEntry::new(SyncStep::Campaign)
        .object("Campaign")
        .detail(format!("finding Campaign {name:?}"))
        .outcome(StepOutcome::Failed, Some(error))
}

/// Forgets a Campaign id Salesforce no longer accepts.
fn forget_campaign(ctx: &ItemContext<'_>, name: &str) {
    ctx.engine
        .campaigns
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .remove(&(ctx.account.id, name.to_owned()));
}

/// The call's facts as core's Task fields take them, formatted per the account's options.
pub(crate) struct FormattedCall {
    pub(crate) caller_number: String,
    pub(crate) activity_date: String,
    /// The answering agent's Salesforce user, when the call was answered and the agent is linked to one.
    pub(crate) owner_id: Option<RecordId>,
    /// The agent's notes and disposition, which every write of the call's Task lays over the facts.
    pub(crate) wrap_up: Option<StoredWrapUp>,
}

impl FormattedCall {
    pub(crate) async fn load(ctx: &ItemContext<'_>, call: &Call) -> Flow<Self> {
        // The answering agent: the user the call is assigned to, else the one the telephony side named.
        let salesforce_user = match (&call.answered_at, call.agent_user_id, &call.agent_ref) {
            (None, _, _) => None,
            (Some(_), Some(agent), _) => ctx.store().salesforce_user_of(agent).await?,
            (Some(_), None, Some(reference)) => {
                ctx.store().user_by_reference(ctx.account.id, reference).await?.and_then(|user| user.salesforce_user_id)
            }
            (Some(_), None, None) => None,
        };
        let owner_id = salesforce_user.and_then(|id| RecordId::parse(&id).ok());
        Ok(Self {
            caller_number: ctx.number_as_written(&call.caller_e164),
            activity_date: ctx.link.activity_date(call.started_at),
            owner_id,
            wrap_up: ctx.store().call_wrap_up(call.id).await?,
        })
    }

    /// The agent's notes and disposition as core's `with_agent_wrap_up` takes them.
    pub(crate) fn agent_wrap_up(&self) -> AgentWrapUp<'_> {
        self.wrap_up.as_ref().map_or_else(AgentWrapUp::default, |wrap_up| AgentWrapUp {
            notes: &wrap_up.notes,
            disposition: wrap_up.disposition.as_deref(),
        })
    }

    pub(crate) fn activity<'a>(&'a self, call: &'a Call) -> CallActivity<'a> {
        CallActivity {
            call_id: &call.call_id,
            direction: call.direction,
            state: call.state,
            caller_number: &self.caller_number,
            activity_date: &self.activity_date,
            duration_secs: call.duration_secs.and_then(|secs| u64::try_from(secs).ok()),
            disposition: call.disposition.as_deref(),
            tracking_source: call.tracking_source.as_deref(),
            campaign: call.campaign.as_deref(),
            keywords: &call.keywords,
            tags: &call.tags,
            recording_url: call.recording_url.as_deref(),
            owner_id: self.owner_id.as_ref(),
        }
    }
}

/// A region as the account writes regions: ISO codes, or full English names (option 3). An org with State and
/// Country picklists (`codes`) gets ISO codes for `StateCode` and `CountryCode` whatever the option says.
pub(crate) fn format_location(
    ctx: &ItemContext<'_>,
    country: Option<&str>,
    region_name: Option<&str>,
    codes: bool,
) -> (Option<String>, Option<String>) {
    let full = ctx.options.full_region_names && !codes;
    let country_formatted = country.map(|country| region::format_country(country, full));
    let region_formatted = match (country, region_name) {
        (Some(country), Some(region_name)) => Some(region::format_region(country, region_name, full)),
        (None, Some(region_name)) => Some(region_name.to_owned()),
        _ => None,
    };
    (country_formatted, region_formatted)
}

/// What the composite wrote.
pub(crate) struct Written {
    pub(crate) record: RecordId,
    pub(crate) task_id: String,
}

/// The outcome of a write: written, or the new Lead was refused by a duplicate rule that names an existing record
/// (`salesforce-api.md` §7.2: log the call against the match instead).
pub(crate) enum WriteOutcome {
    Written(Written),
    DuplicateOf(RecordId),
}

/// A new Lead to create in the same request as the Task.
pub(crate) struct NewLeadWrite {
    pub(crate) fields: Vec<(String, FieldValue)>,
}

/// Writes a call's (or text's) Task on `target` (or on a new Lead) and its Campaign membership, in one request
/// where possible, exactly once across replays: core plans the subrequests (`write_plan::plan_activity`) and reads
/// the answers back (`read_answers`); this executes them and writes the audit trail. `key` names the call across
/// attempts and records (`<call id>`, or `text:<message id>`): the Task's `Call_Id__c` and a new Lead's
/// `Callpop_Id__c`. `known_task` is the Task this call already has (callpop stored its id).
pub(crate) async fn write_activity(
    ctx: &ItemContext<'_>,
    target: Result<&RecordId, NewLeadWrite>,
    key: &str,
    task: Map<String, Value>,
    known_task: Option<&str>,
    campaign: Option<(&str, String)>,
) -> Flow<WriteOutcome> {
    let keys = org_shape(ctx).await?.keys();
    let record = target.as_ref().ok().copied();
    let new_lead = target.as_ref().err().map(|lead| lead.fields.clone()).unwrap_or_default();
    // Without the key field, the call's Task is looked up by `CallObject` (on any record) before one is written.
    let looked_up = match task_lookup(key, keys, record.is_some(), known_task.is_some(), ctx.is_retry()) {
        Some(query) => run_query(ctx, &query).await?,
        None => None,
    };
    let known_task = known_task.map(str::to_owned).or(looked_up);
    let activity = Activity {
        key,
        record,
        new_lead: &new_lead,
        known_task: known_task.as_deref(),
        campaign_id: campaign.as_ref().map(|(_, id)| id.as_str()),
        keys,
    };
    let plan = plan_activity(&activity);
    let mut request = CompositeRequest::new(ctx.client().api_version(), false);
    // Reference ids unique to this item: its subrequests may share a request with other items'.
    let references =
        add_plan(&mut request, &plan, &format!("i{}_", ctx.item.id), &task).map_err(|error| build_error(&error))?;
    if record.is_none() {
        // A Lead is about to be created: what searches remembered for the account may miss it from now on, whether
        // or not the answer comes back.
        ctx.engine.forget_searches(ctx.account.id);
    }
    // The Task's fields as the audit trail shows them: with the lookup to its record and the create-only fields.
    let audited = match plan.iter().find(|subrequest| subrequest.part == Part::Task).map(|subrequest| &subrequest.body)
    {
        Some(Body::Task { lookup, to, .. }) => {
            let full = Body::Task { lookup, to: to.clone(), create_only: true };
            body_json(&full, &task, &references)
        }
        _ => task.clone(),
    };
    let step = AuditEntry::new(SyncStep::Append).object("Task");
    let (results, mut used) = ctx.answered(step.clone(), ctx.batch.composite(&ctx.link, request).await).await?;
    let result = |part: Part| references.get(&part).and_then(|reference| results.get(reference));
    let answer = |part: Part| result(part).and_then(answer_of);
    let mut next = read_answers(&activity, answer);
    if let Next::Retry(retry) = &next {
        // The keyed Task exists already (another item of this call wrote it): write it again without the fields
        // Salesforce takes only on create.
        let changes = body_json(&retry.body, &task, &references);
        let Write::Upsert { object, external_id_field, key } = &retry.write else { return Err(unreadable()) };
        let outcome = ctx
            .call(step.clone().fields(&changes), ctx.client().upsert(object, external_id_field, key, &changes))
            .await?;
        used += 1;
        let id = match outcome {
            UpsertOutcome::Created { id } | UpsertOutcome::Updated { id: Some(id) } => Some(id),
            UpsertOutcome::Updated { id: None } => None,
        };
        let task_id = match after_retry(key, Answer::Saved { id }) {
            Ok(id) => Some(id),
            Err(query) => run_query(ctx, &query).await?,
        };
        let retried = Answer::Saved { id: task_id };
        next = read_answers(&activity, |part| if part == Part::Task { Some(retried.clone()) } else { answer(part) });
    }
    let lead_step = AuditEntry::new(SyncStep::Create).object("Lead").fields(&fields_from_core(&new_lead));
    let refusal = |part: Part| {
        result(part)
            .and_then(SubResult::error)
            .unwrap_or_else(|| SalesforceError::Decode("a refused subrequest without an error".to_owned()))
    };
    let (record, created, task_id, member) = match next {
        Next::FollowDuplicate(existing) => {
            let detail = format!("a duplicate rule matched {existing}: the call goes to that record");
            let error = item_error(&refusal(Part::Lead));
            ctx.audit(lead_step.outcome(StepOutcome::Ok, Some(error)).detail(detail)).await?;
            return Ok(WriteOutcome::DuplicateOf(existing));
        }
        Next::Failed(Part::Lead) => return Err(ctx.fail(lead_step, &refusal(Part::Lead)).await?),
        Next::Failed(part) => return Err(ctx.fail(step.clone().fields(&audited), &refusal(part)).await?),
        Next::Retry(_) | Next::Unreadable => return Err(unreadable()),
        Next::Written { record, created, task, member } => (record, created, task, member),
    };
    if created {
        ctx.audit(lead_step.record(record.as_str())).await?;
    }
    ctx.audit(
        step.record(&task_id)
            .fields(&audited)
            .with_requests(used)
            .detail(format!("on {} {record}", record.object().api_name())),
    )
    .await?;
    if let (Some(member), Some((name, _))) = (member, campaign) {
        let entry = AuditEntry::new(SyncStep::Campaign).object("CampaignMember").detail(name.to_owned());
        match member {
            MemberOutcome::Joined { id } => ctx.audit(entry.record(&id.unwrap_or_default())).await?,
            MemberOutcome::AlreadyMember => ctx.audit(entry.detail(format!("{name}: already a member"))).await?,
            MemberOutcome::Refused { forget_campaign: forget } => {
                if forget {
                    forget_campaign(ctx, name);
                }
                // The Task is in; a membership Salesforce refused is shown, not retried blindly.
                let error = item_error(&refusal(Part::Member));
                ctx.audit(entry.outcome(StepOutcome::Failed, Some(error))).await?;
            }
        }
    }
    Ok(WriteOutcome::Written(Written { record, task_id }))
}

/// Adds a plan's subrequests to a composite request, each named `<prefix><part>`; `task` is the activity's Task
/// fields. Returns each part's reference, for reading the answers.
pub(crate) fn add_plan(
    request: &mut CompositeRequest,
    plan: &[Subrequest],
    prefix: &str,
    task: &Map<String, Value>,
) -> Result<HashMap<Part, Reference>, CompositeBuildError> {
    let mut references: HashMap<Part, Reference> = HashMap::new();
    for subrequest in plan {
        let name = format!("{prefix}{}", subrequest.part.as_str());
        let body = body_json(&subrequest.body, task, &references);
        let reference = match &subrequest.write {
            Write::Create { object } => request.create(&name, object, body),
            Write::Update { object, id } => request.update(&name, object, id, body),
            Write::Upsert { object, external_id_field, key } => {
                request.upsert(&name, object, external_id_field, key, body)
            }
        }?;
        references.insert(subrequest.part, reference);
    }
    Ok(references)
}

/// Sends one planned write alone (a trigger's record create or update), with its audit step: the record's id.
pub(crate) async fn write_alone(ctx: &ItemContext<'_>, entry: AuditEntry, subrequest: &Subrequest) -> Flow<String> {
    let fields = body_json(&subrequest.body, &Map::new(), &HashMap::new());
    let entry = entry.object(subrequest.write.object()).fields(&fields);
    let id = match &subrequest.write {
        Write::Upsert { object, external_id_field, key } => {
            match ctx.call(entry.clone(), ctx.client().upsert(object, external_id_field, key, &fields)).await? {
                UpsertOutcome::Created { id } | UpsertOutcome::Updated { id: Some(id) } => id,
                UpsertOutcome::Updated { id: None } => return Err(unreadable()),
            }
        }
        Write::Create { object } => ctx.call(entry.clone(), ctx.client().create(object, &fields)).await?,
        Write::Update { object, id } => {
            ctx.call(entry.clone().record(id), ctx.client().update(object, id, &fields)).await?;
            id.clone()
        }
    };
    ctx.audit(entry.record(&id).with_requests(1)).await?;
    Ok(id)
}

/// A planned subrequest's body as JSON: `task` is the activity's Task fields; `references` the composite
/// references of the parts already added.
pub(crate) fn body_json(
    body: &Body,
    task: &Map<String, Value>,
    references: &HashMap<Part, Reference>,
) -> Map<String, Value> {
    let reference = |to: &Ref| match to {
        Ref::Record(record) => record.as_str().to_owned(),
        Ref::IdOf(part) => references.get(part).map(Reference::id).unwrap_or_default(),
    };
    match body {
        Body::Fields(fields) => fields_from_core(fields),
        Body::Task { lookup, to, create_only } => {
            let mut fields = task.clone();
            if !create_only {
                CREATE_ONLY_TASK_FIELDS.iter().for_each(|field| {
                    fields.remove(*field);
                });
            }
            fields.insert((*lookup).to_owned(), json!(reference(to)));
            fields
        }
        Body::Member { campaign_id, lookup, person, status } => {
            let member = json!({"CampaignId": campaign_id, *lookup: reference(person), "Status": status});
            member.as_object().cloned().unwrap_or_default()
        }
    }
}

/// Salesforce's answer to one subrequest, read as core's `Answer`; `None` when it carries neither a success nor
/// an error.
pub(crate) fn answer_of(result: &SubResult) -> Option<Answer> {
    if result.is_success() {
        return Some(Answer::Saved { id: result.id().map(str::to_owned) });
    }
    let error = result.error()?;
    let duplicates: Vec<RecordId> =
        error.duplicate_matches().into_iter().filter_map(|(_, id)| RecordId::parse(&id).ok()).collect();
    let refusal = if result.halted() {
        Refusal::Halted
    } else if !duplicates.is_empty() {
        Refusal::Duplicate { matches: duplicates }
    } else if error.refuses_field_on_write(&CREATE_ONLY_TASK_FIELDS) {
        Refusal::CreateOnlyField
    } else if error.is_already_campaign_member() {
        Refusal::AlreadyMember
    } else if error.names_a_missing_record() {
        Refusal::MissingRecord
    } else {
        Refusal::Other
    };
    Some(Answer::Refused(refusal))
}

/// Runs a plan's query: the id of the record it finds.
async fn run_query(ctx: &ItemContext<'_>, query: &Query) -> Flow<Option<String>> {
    match query {
        Query::TaskByCallObject { key } => find_task(ctx, key).await,
    }
}

/// Writes the activity, following a duplicate rule to the record it names (once).
pub(crate) async fn write_activity_following_duplicates(
    ctx: &ItemContext<'_>,
    target: Result<&RecordId, NewLeadWrite>,
    key: &str,
    task: Map<String, Value>,
    known_task: Option<&str>,
    campaign: Option<(&str, String)>,
) -> Flow<Written> {
    match write_activity(ctx, target, key, task.clone(), known_task, campaign.clone()).await? {
        WriteOutcome::Written(written) => Ok(written),
        WriteOutcome::DuplicateOf(existing) => {
            let matched =
                AuditEntry::new(SyncStep::Match).object(existing.object().api_name()).record(existing.as_str());
            ctx.audit(matched.detail("the duplicate rule's match")).await?;
            match write_activity(ctx, Ok(&existing), key, task, None, campaign).await? {
                WriteOutcome::Written(written) => Ok(written),
                WriteOutcome::DuplicateOf(_) => Err(unreadable()),
            }
        }
    }
}

/// The Task this call already has, on whichever record (by `CallObject`, which callpop sets to the call's key).
async fn find_task(ctx: &ItemContext<'_>, call_object: &str) -> Flow<Option<String>> {
    let entry =
        AuditEntry::new(SyncStep::Search).object("Task").detail("looking for this call's Task before writing it");
    let found = ctx.call(entry, ctx.client().query(&soql::task_by_call_object(call_object))).await?;
    Ok(found.first().and_then(|task| task.text("Id")).map(str::to_owned))
}

/// Updates a Task callpop wrote earlier with the fields an event changes (batched with other items' writes).
pub(crate) async fn update_task(ctx: &ItemContext<'_>, task_id: &str, changes: &[(&str, FieldValue)]) -> Flow {
    update_task_saying(ctx, task_id, changes, None).await
}

/// `update_task`, with a sentence for the audit trail (who asked for the update).
pub(crate) async fn update_task_saying(
    ctx: &ItemContext<'_>,
    task_id: &str,
    changes: &[(&str, FieldValue)],
    detail: Option<String>,
) -> Flow {
    let changes = changes.iter().map(|(name, value)| ((*name).to_owned(), value.clone())).collect();
    let Some(update) = plan_task_update(task_id, changes) else { return Ok(()) };
    let (Write::Update { object, id }, Body::Fields(fields)) = (&update.write, &update.body) else {
        return Err(unreadable());
    };
    let fields = fields_from_core(fields);
    let mut entry = AuditEntry::new(SyncStep::Update).object(object).record(id).fields(&fields);
    if let Some(detail) = detail {
        entry = entry.detail(detail);
    }
    let mut request = CompositeRequest::new(ctx.client().api_version(), false);
    let update =
        request.update(&format!("i{}_update", ctx.item.id), object, id, fields).map_err(|error| build_error(&error))?;
    let (results, charged) = ctx.answered(entry.clone(), ctx.batch.composite(&ctx.link, request).await).await?;
    match results.get(&update) {
        Some(result) if result.is_success() => ctx.audit(entry.with_requests(charged)).await,
        Some(result) => {
            let error = result
                .error()
                .unwrap_or_else(|| SalesforceError::Decode("a failed update without an error".to_owned()));
            Err(ctx.fail(entry.with_requests(charged), &error).await?)
        }
        None => Err(unreadable()),
    }
}

/// The record a call's Task on `record` is related to (`WhatId`) by the account's rule: the queries core's
/// `call_logging` plans, run one after the other; `None` when the rule is none, the record is not a Contact, or
/// nothing open is found. The record found is an audit step.
pub(crate) async fn related_record(
    ctx: &ItemContext<'_>,
    rule: WhatIdRule,
    record: &RecordId,
) -> Flow<Option<RecordId>> {
    let Some(mut query) = what_query(rule, record) else { return Ok(None) };
    loop {
        let (object, column, text, detail) = match &query {
            WhatQuery::OpenCaseOfContact(contact) => {
                ("Case", "Id", soql::open_case_of_contact(contact.as_str()), "the Contact's most recent open Case")
            }
            WhatQuery::AccountOfContact(contact) => {
                ("Contact", "AccountId", soql::account_of_contact(contact.as_str()), "the Contact's Account")
            }
            WhatQuery::OpenOpportunityOfAccount(account) => (
                "Opportunity",
                "Id",
                soql::open_opportunity_of_account(account.as_str()),
                "the Account's most recent open Opportunity",
            ),
        };
        let entry = AuditEntry::new(SyncStep::Search).object(object).detail(format!("looking for {detail}"));
        let records = ctx.call(entry, ctx.client().query(&text)).await?;
        let found = records.first().and_then(|found| found.text(column)).and_then(|id| RecordId::parse(id).ok());
        match after_what_query(&query, found) {
            WhatNext::Query(next) => query = next,
            WhatNext::Done(what) => {
                let what = task_what_id(record, what.as_ref()).cloned();
                let outcome = match &what {
                    Some(what) => AuditEntry::new(SyncStep::Match)
                        .object(what.object().api_name())
                        .record(what.as_str())
                        .detail(format!("the Task's WhatId: {detail}")),
                    None => AuditEntry::new(SyncStep::Match).detail(format!("no WhatId: {detail} was not found")),
                };
                ctx.audit(outcome).await?;
                return Ok(what);
            }
        }
    }
}

/// The Task fields for a call, as JSON, with the agent's notes and disposition laid over the facts.
pub(crate) fn call_task_fields(formatted: &FormattedCall, call: &Call) -> Map<String, Value> {
    let fields = task_fields(&formatted.activity(call));
    fields_from_core(&with_agent_wrap_up(fields, formatted.agent_wrap_up(), Fields::Whole))
}

pub(crate) fn build_error(error: &CompositeBuildError) -> Halt {
    Halt::Store(anyhow::anyhow!("building the Salesforce request: {error}"))
}

fn unreadable() -> Halt {
    let error = SalesforceError::Decode("the composite answer lacks an id".to_owned());
    Halt::Defer { until: chrono::Utc::now(), error: Some(item_error(&error)) }
}
