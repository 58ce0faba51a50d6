//! What to write to Salesforce for a call's (or a text's) activity, as plans: typed subrequests the server sends in
//! one composite request, and the typed answers read back into what happens next. The server only executes them:
//! it builds the request from the plan, sends it, and maps Salesforce's answer to an `Answer` per subrequest.
//!
//! One identity per call: every write is keyed by the call (`key`, the call's id or `text:<message id>`), never by
//! the pair call × record. The Task is upserted by `Call_Id__c = key` (without the field: looked up by `CallObject`,
//! then updated or created); a Lead callpop creates is upserted by `Callpop_Id__c = key` (without the field:
//! created). `core/tests/write_plans.txt` lists every situation and its plan.

use crate::legacy::{Candidate, FieldValue, TaskEvent};
use crate::record::{RecordId, SObjectType};
use std::time::Duration;

/// The external id field that keys callpop's Tasks (Text 255, External ID, Unique; the admin guide asks for it).
/// Its value is the call's id (`text:<message id>` for a text): one Task per call, whichever record it is on.
pub const CALL_ID_FIELD: &str = "Call_Id__c";

/// The external id field on the Leads callpop creates (Text 255, External ID, Unique): the key of the call (or
/// text) whose sync created it, so a replay upserts the same Lead instead of creating a second one.
pub const LEAD_ID_FIELD: &str = "Callpop_Id__c";

/// The fields Salesforce lets a Task have only on create.
pub const CREATE_ONLY_TASK_FIELDS: [&str; 1] = ["TaskSubtype"];

/// The status of a Campaign membership callpop adds for a call.
pub const MEMBER_STATUS: &str = "Responded";

/// What callpop's writes depend on in the org's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgKeys {
    /// Task `Call_Id__c` exists.
    pub task_key: bool,
    /// Lead `Callpop_Id__c` exists.
    pub lead_key: bool,
}

/// A subrequest's part in an activity write; the server derives the composite reference ids from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    Lead,
    Task,
    Member,
    /// The record a trigger's action writes alone (`find_or_create`'s new record, `update_record`).
    Record,
    /// The preflight dry run's last subrequest, refused on purpose so the request rolls back.
    Rollback,
}

impl Part {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lead => "lead",
            Self::Task => "task",
            Self::Member => "member",
            Self::Record => "record",
            Self::Rollback => "rollback",
        }
    }
}

/// A record a field points at: one that exists, or the one an earlier subrequest of the same request creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ref {
    Record(RecordId),
    IdOf(Part),
}

/// What a subrequest writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// These fields, as they are (a new Lead's, a Task update's changes).
    Fields(Vec<(String, FieldValue)>),
    /// The activity's Task fields with the lookup to its record; without the fields Salesforce takes only on
    /// create when `create_only` is false.
    Task { lookup: &'static str, to: Ref, create_only: bool },
    /// A Campaign membership: the Campaign, the person's lookup (`LeadId` or `ContactId`) and the status.
    Member { campaign_id: String, lookup: &'static str, person: Ref, status: String },
}

/// One write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    Create { object: String },
    Update { object: String, id: String },
    Upsert { object: String, external_id_field: &'static str, key: String },
}

impl Write {
    /// The object written.
    pub fn object(&self) -> &str {
        match self {
            Self::Create { object } | Self::Update { object, .. } | Self::Upsert { object, .. } => object,
        }
    }
}

/// One subrequest of a composite request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subrequest {
    pub part: Part,
    pub write: Write,
    pub body: Body,
}

/// A query a plan needs answered before it writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// The Task whose `CallObject` is the call's key, on whichever record.
    TaskByCallObject { key: String },
}

/// What an activity write is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity<'a> {
    /// The call's key: `<call id>`, or `text:<message id>`.
    pub key: &'a str,
    /// The record the Task goes on; `None` for a new Lead, created in the same request.
    pub record: Option<&'a RecordId>,
    /// A new Lead's fields (used when `record` is `None`).
    pub new_lead: &'a [(String, FieldValue)],
    /// The Task this call already has: the id callpop stored, or the one `task_lookup`'s query found.
    pub known_task: Option<&'a str>,
    /// The active Campaign the caller joins.
    pub campaign_id: Option<&'a str>,
    pub keys: OrgKeys,
}

/// Text fields (a new Lead's, from `legacy::lead_fields`) as field values.
pub fn text_fields(pairs: Vec<(String, String)>) -> Vec<(String, FieldValue)> {
    pairs.into_iter().map(|(name, value)| (name, FieldValue::Text(value))).collect()
}

/// A record's lookup field on a Task: people are `WhoId`, the rest `WhatId`.
pub fn who_or_what(record: &RecordId) -> &'static str {
    match record.object() {
        SObjectType::Lead | SObjectType::Contact => "WhoId",
        _ => "WhatId",
    }
}

/// Whether the call's Task must be looked up before it is written: in an org without `Call_Id__c`, when callpop
/// holds no Task id and an earlier write may have made one (a replay, or an existing record that a softphone or an
/// earlier attempt may have logged the call on). A new Lead's first attempt has no Task to find.
pub fn task_lookup(key: &str, keys: OrgKeys, record_exists: bool, known_task: bool, is_retry: bool) -> Option<Query> {
    (!keys.task_key && !known_task && (is_retry || record_exists))
        .then(|| Query::TaskByCallObject { key: key.to_owned() })
}

/// The subrequests of an activity write, sent together and not all-or-none: a Campaign Salesforce refuses must not
/// undo the Task, and a Lead that fails halts the subrequests that refer to it.
pub fn plan_activity(activity: &Activity<'_>) -> Vec<Subrequest> {
    let key = activity.key.to_owned();
    let mut plan = Vec::new();
    let (lookup, to) = match activity.record {
        Some(record) => (who_or_what(record), Ref::Record(record.clone())),
        None => {
            let write = plan_record_create("Lead", &key, activity.keys);
            plan.push(Subrequest { part: Part::Lead, write, body: Body::Fields(activity.new_lead.to_vec()) });
            ("WhoId", Ref::IdOf(Part::Lead))
        }
    };
    let write = match (activity.known_task, activity.keys.task_key) {
        (_, true) => Write::Upsert { object: "Task".to_owned(), external_id_field: CALL_ID_FIELD, key },
        (Some(id), false) => Write::Update { object: "Task".to_owned(), id: id.to_owned() },
        (None, false) => Write::Create { object: "Task".to_owned() },
    };
    // A Task that exists already takes no create-only field.
    let create_only = activity.known_task.is_none();
    plan.push(Subrequest { part: Part::Task, write, body: Body::Task { lookup, to: to.clone(), create_only } });
    if let Some(campaign_id) = activity.campaign_id {
        let lead = activity.record.is_none_or(|record| record.object() == SObjectType::Lead);
        plan.push(plan_member(campaign_id, lead, to, MEMBER_STATUS));
    }
    plan
}

/// A Campaign membership for a person: `lead` says whether it is a Lead (`LeadId`) or not (`ContactId`).
pub fn plan_member(campaign_id: &str, lead: bool, person: Ref, status: &str) -> Subrequest {
    let lookup = if lead { "LeadId" } else { "ContactId" };
    let body = Body::Member { campaign_id: campaign_id.to_owned(), lookup, person, status: status.to_owned() };
    Subrequest { part: Part::Member, write: Write::Create { object: "CampaignMember".to_owned() }, body }
}

/// Whether creating an `object` record depends on the org's keys (only a Lead's does), so the server reads them
/// (a describe, once per link) only then.
pub fn create_depends_on_keys(object: &str) -> bool {
    object == "Lead"
}

/// How a record callpop creates is written (a trigger's `find_or_create` that found none, legacy mode's new Lead):
/// a Lead is upserted by `Callpop_Id__c = key`
/// in an org with the field, so a replay finds the Lead it created instead of creating another; anything else is
/// created.
pub fn plan_record_create(object: &str, key: &str, keys: OrgKeys) -> Write {
    if create_depends_on_keys(object) && keys.lead_key {
        Write::Upsert { object: "Lead".to_owned(), external_id_field: LEAD_ID_FIELD, key: key.to_owned() }
    } else {
        Write::Create { object: object.to_owned() }
    }
}

/// Salesforce's answer to one subrequest, as the server read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Written; the record's id when the answer names it.
    Saved {
        id: Option<String>,
    },
    Refused(Refusal),
}

/// Why Salesforce refused a subrequest, as far as the plan cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A duplicate rule blocked a create, matching these records (first match first).
    Duplicate { matches: Vec<RecordId> },
    /// A field Salesforce takes only on create was sent to a record that exists (`INVALID_FIELD_FOR_INSERT_UPDATE`).
    CreateOnlyField,
    /// `DUPLICATE_VALUE` "Already a campaign member.": an earlier attempt joined.
    AlreadyMember,
    /// A reference names a record that is gone or never was (a stale Campaign id).
    MissingRecord,
    /// Not judged: another subrequest of an all-or-none request failed, and this one was stopped or rolled back
    /// (`PROCESSING_HALTED`).
    Halted,
    /// Anything else: the item fails with Salesforce's error.
    Other,
}

/// What became of the Campaign membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberOutcome {
    Joined {
        id: Option<String>,
    },
    AlreadyMember,
    /// Refused; `forget_campaign` when the Campaign id no longer names an active Campaign. Shown, not retried.
    Refused {
        forget_campaign: bool,
    },
}

/// What happens after the composite answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// A duplicate rule refused the new Lead and named an existing record: log the activity on that record instead
    /// (plan again with it, once).
    FollowDuplicate(RecordId),
    /// Salesforce refused this part: the item fails (or waits) with its error.
    Failed(Part),
    /// The call's keyed Task exists already (another item of the call wrote it): write it again, alone, without the
    /// fields Salesforce takes only on create; then `after_retry` reads its answer.
    Retry(Subrequest),
    /// Written: the Task is on `record` (`created` when it is the new Lead); `task` is the Task's id (the answer's,
    /// else the known Task's); `member` what became of the membership.
    Written { record: RecordId, created: bool, task: String, member: Option<MemberOutcome> },
    /// The answer lacks what the plan needs (no answer for a subrequest, a new Lead without its id): try again.
    Unreadable,
}

/// Reads the composite's answers (`answer(part)`) back into what happens next.
pub fn read_answers(activity: &Activity<'_>, answer: impl Fn(Part) -> Option<Answer>) -> Next {
    let lead = match (activity.record, answer(Part::Lead)) {
        (Some(_), _) => None,
        (None, Some(Answer::Refused(Refusal::Duplicate { matches }))) if !matches.is_empty() => {
            return Next::FollowDuplicate(matches[0].clone());
        }
        (None, Some(Answer::Refused(_))) => return Next::Failed(Part::Lead),
        (None, Some(Answer::Saved { id })) => id.and_then(|id| RecordId::parse(&id).ok()),
        (None, None) => None,
    };
    let task_answer = answer(Part::Task);
    let create_only_refused = matches!(task_answer, Some(Answer::Refused(Refusal::CreateOnlyField)));
    if matches!(task_answer, Some(Answer::Refused(_))) && !(create_only_refused && activity.keys.task_key) {
        return Next::Failed(Part::Task);
    }
    let Some(record) = activity.record.cloned().or_else(|| lead.clone()) else { return Next::Unreadable };
    if create_only_refused {
        let write =
            Write::Upsert { object: "Task".to_owned(), external_id_field: CALL_ID_FIELD, key: activity.key.to_owned() };
        let body = Body::Task { lookup: who_or_what(&record), to: Ref::Record(record), create_only: false };
        return Next::Retry(Subrequest { part: Part::Task, write, body });
    }
    let task = match task_answer {
        Some(Answer::Saved { id: Some(id) }) => Some(id),
        _ => activity.known_task.map(str::to_owned),
    };
    let Some(task) = task else { return Next::Unreadable };
    let member = activity.campaign_id.and_then(|_| answer(Part::Member)).map(|answer| match answer {
        Answer::Saved { id } => MemberOutcome::Joined { id },
        Answer::Refused(Refusal::AlreadyMember) => MemberOutcome::AlreadyMember,
        Answer::Refused(refusal) => MemberOutcome::Refused { forget_campaign: refusal == Refusal::MissingRecord },
    });
    Next::Written { record, created: lead.is_some(), task, member }
}

/// What the retried Task upsert's answer leaves: its id, or (an update that named none) a query for it.
pub fn after_retry(key: &str, answer: Answer) -> Result<String, Query> {
    match answer {
        Answer::Saved { id: Some(id) } => Ok(id),
        _ => Err(Query::TaskByCallObject { key: key.to_owned() }),
    }
}

/// The update of a Task callpop wrote earlier with the fields later events change; nothing when none changed.
pub fn plan_task_update(task_id: &str, changes: Vec<(String, FieldValue)>) -> Option<Subrequest> {
    (!changes.is_empty()).then(|| Subrequest {
        part: Part::Task,
        write: Write::Update { object: "Task".to_owned(), id: task_id.to_owned() },
        body: Body::Fields(changes),
    })
}

/// When the update of a call's Task for the events waiting together is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateTiming {
    /// Send it now.
    Now,
    /// Hold it this much longer: the call's end, which usually follows, then goes in the same update. Any later
    /// event of the call ends the hold at once.
    Hold(Duration),
}

/// When the update of an existing Task for these events (the item's own, then those of the later items waiting
/// with it) is sent, `waited` after the item was stored; `later_items` says whether any later item of the call is
/// waiting (an activity append too, which brings no Task event), `ended` whether the call has ended already (its end
/// arrived before the answer). The answer alone is held up to `hold`: its changes (the owner, In Progress) are not
/// what the call's real time needs (the Task exists from the ring on, and ends Completed), and most calls end within
/// the hold, so the answer and the end cost one update, not two. Anything else is sent now: the end, a recording,
/// an answer with a later item behind it (which would end the hold at once), the answer of a call that has ended
/// (nothing is left to wait for), and an answer whose hold is over (a long call shows In Progress then).
pub fn update_timing(
    events: &[TaskEvent],
    later_items: bool,
    ended: bool,
    waited: Duration,
    hold: Duration,
) -> UpdateTiming {
    match events {
        [TaskEvent::Answered] if !later_items && !ended && waited < hold => UpdateTiming::Hold(hold - waited),
        _ => UpdateTiming::Now,
    }
}

/// The key of the preflight's dry run: the Lead and Task it writes are rolled back, so nothing keeps it.
pub const DRY_RUN_KEY: &str = "callpop-preflight";

/// A field no org has: the dry run's last subrequest writes it, so Salesforce refuses that one and, the request being
/// all-or-none, rolls back everything before it.
pub const DRY_RUN_ROLLBACK_FIELD: &str = "callpop_dry_run_rollback__x";

/// The preflight's dry run: the subrequests a first caller's call makes (a new Lead and its Task, keyed as the org
/// allows, exactly as `plan_activity` plans them), then one that always fails. Sent all-or-none, Salesforce judges
/// the real writes (validation rules, required fields, picklists, duplicate rules, the external ids) and keeps none.
pub fn plan_dry_run(new_lead: &[(String, FieldValue)], keys: OrgKeys) -> Vec<Subrequest> {
    let activity = Activity { key: DRY_RUN_KEY, record: None, new_lead, known_task: None, campaign_id: None, keys };
    let mut plan = plan_activity(&activity);
    plan.push(Subrequest {
        part: Part::Rollback,
        write: Write::Create { object: "Lead".to_owned() },
        body: Body::Fields(vec![(DRY_RUN_ROLLBACK_FIELD.to_owned(), FieldValue::Text("roll back".to_owned()))]),
    });
    plan
}

/// What the dry run's answers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DryRun {
    /// Salesforce judged callpop's writes and refused none; the rollback subrequest's refusal undid them.
    Accepted,
    /// Salesforce judged this write and refused it (the first such).
    Refused(Part),
    /// The answers do not say (missing, or the rollback subrequest was not refused).
    Unreadable,
}

/// Reads the dry run's answers: a write of callpop's refused for itself (not halted by another's failure), else
/// accepted when the rollback subrequest was refused as planned.
pub fn read_dry_run(plan: &[Subrequest], answer: impl Fn(Part) -> Option<Answer>) -> DryRun {
    let judged_and_refused = |part: &Part| {
        *part != Part::Rollback && matches!(answer(*part), Some(Answer::Refused(refusal)) if refusal != Refusal::Halted)
    };
    if let Some(part) = plan.iter().map(|subrequest| subrequest.part).find(judged_and_refused) {
        return DryRun::Refused(part);
    }
    match answer(Part::Rollback) {
        Some(Answer::Refused(_)) => DryRun::Accepted,
        _ => DryRun::Unreadable,
    }
}

/// How a trigger's `find_or_create` finds the call's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Find {
    /// The call settled on a record of this object before (a replay, or an earlier trigger): it is reused, since a
    /// search may not show yet what an earlier attempt created.
    Settled(RecordId),
    /// The newest record whose `field` is `value`: a SOQL query, exact and without the search index's lag.
    ByField { object: String, field: String, value: String },
    /// The caller's number, searched in Leads and Contacts (then `after_phone_search`).
    ByPhone { object: SObjectType },
}

/// How a trigger's `find_or_create` of `object` finds its record: the record the call settled on (`settled`, when
/// it is of this object), else by the trigger's match field (its value is the trigger's field of that name), else by
/// the caller's number.
pub fn plan_find(
    object: &str,
    match_field: Option<&str>,
    fields: &[(String, String)],
    settled: Option<&RecordId>,
) -> Find {
    if let Some(record) = settled.filter(|record| record.object().api_name() == object) {
        return Find::Settled(record.clone());
    }
    match match_field {
        Some(field) => {
            let value =
                fields.iter().find(|(name, _)| name == field).map(|(_, value)| value.clone()).unwrap_or_default();
            Find::ByField { object: object.to_owned(), field: field.to_owned(), value }
        }
        None => Find::ByPhone { object: SObjectType::from_api_name(object) },
    }
}

/// What a phone search leaves a trigger's find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterSearch {
    Found(RecordId),
    /// No Lead in the search, for a call: check with an exact query for a Lead callpop wrote for this number, which
    /// the search index may not show yet (then `newest_of` that answer).
    CheckWrittenLeads,
    NotFound,
}

/// The newest record of `object` among the candidates, leaving out converted Leads (Salesforce keeps them
/// read-only).
pub fn newest_of(object: SObjectType, candidates: &[Candidate]) -> Option<RecordId> {
    candidates
        .iter()
        .filter(|candidate| candidate.id.object() == object && !candidate.is_converted)
        // The first of equally new ones: `max_by` keeps the last, so look from the end.
        .rev()
        .max_by(|left, right| left.last_modified.cmp(&right.last_modified))
        .map(|candidate| candidate.id.clone())
}

/// What a phone search's candidates leave a trigger's `find_or_create` of `object`; `for_call` is false for a text
/// (a text's Leads are not checked for index lag: its replays reuse the settled record).
pub fn after_phone_search(object: SObjectType, candidates: &[Candidate], for_call: bool) -> AfterSearch {
    match newest_of(object, candidates) {
        Some(record) => AfterSearch::Found(record),
        None if for_call && object == SObjectType::Lead && !candidates.iter().any(|c| c.id.object() == object) => {
            AfterSearch::CheckWrittenLeads
        }
        None => AfterSearch::NotFound,
    }
}

/// The record a trigger's `find_or_create` creates when it found none: the trigger's fields, with the caller's
/// number (`number`, as the account writes numbers) as `Phone` on a Lead or a Contact unless the trigger maps Phone
/// itself, so the next call from the number finds it; keyed by the call where the org allows (`plan_record_create`).
pub fn plan_trigger_create(
    object: &str,
    fields: &[(String, String)],
    number: &str,
    key: &str,
    keys: OrgKeys,
) -> Subrequest {
    let mut body: Vec<(String, FieldValue)> =
        fields.iter().map(|(name, value)| (name.clone(), FieldValue::Text(value.clone()))).collect();
    let person = matches!(SObjectType::from_api_name(object), SObjectType::Lead | SObjectType::Contact);
    if person && !body.iter().any(|(name, _)| name == "Phone") {
        body.push(("Phone".to_owned(), FieldValue::Text(number.to_owned())));
    }
    Subrequest { part: Part::Record, write: plan_record_create(object, key, keys), body: Body::Fields(body) }
}

/// A trigger's `update_record`: its fields on the call's record.
pub fn plan_record_update(record: &RecordId, fields: &[(String, String)]) -> Subrequest {
    let write = Write::Update { object: record.object().api_name().to_owned(), id: record.as_str().to_owned() };
    Subrequest { part: Part::Record, write, body: Body::Fields(text_fields(fields.to_vec())) }
}
