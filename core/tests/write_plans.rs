#![cfg(not(target_arch = "wasm32"))]
//! Legacy mode's writes, computed for every situation (which record, which external id fields the org has, whether
//! callpop knows the call's Task, a Campaign or not, a first attempt or a replay) and for every answer Salesforce
//! can give, and compared with `write_plans.txt`. That file is the reviewed table of what callpop writes: any change
//! to a plan shows up as a diff of it. `UPDATE_EXPECT=1 cargo test -p callpop-core` rewrites it.

use callpop_core::legacy::{Candidate, FieldValue, TaskEvent};
use callpop_core::record::{RecordId, SObjectType};
use callpop_core::write_plan::{
    Activity, Answer, Body, OrgKeys, Part, Query, Ref, Refusal, Subrequest, Write, after_phone_search, after_retry,
    create_depends_on_keys, plan_activity, plan_dry_run, plan_find, plan_member, plan_record_update, plan_task_update,
    plan_trigger_create, read_answers, read_dry_run, task_lookup, update_timing,
};
use std::fmt::Write as _;
use std::time::Duration;

const KEY: &str = "call-1";

fn id(text: &str) -> RecordId {
    RecordId::parse(text).expect("a valid id")
}

fn value(value: &FieldValue) -> String {
    match value {
        FieldValue::Text(text) => text.clone(),
        FieldValue::Integer(number) => number.to_string(),
        FieldValue::Cleared => "null".to_owned(),
    }
}

fn reference(to: &Ref) -> String {
    match to {
        Ref::Record(record) => record.as_str().to_owned(),
        Ref::IdOf(part) => format!("@{{{}.id}}", part.as_str()),
    }
}

fn describe_write(write: &Write) -> String {
    match write {
        Write::Create { object } => format!("create {object}"),
        Write::Update { object, id } => format!("update {object} {id}"),
        Write::Upsert { object, external_id_field, key } => format!("upsert {object} by {external_id_field}={key}"),
    }
}

fn describe(subrequest: &Subrequest) -> String {
    let write = describe_write(&subrequest.write);
    let body = match &subrequest.body {
        Body::Fields(fields) => {
            fields.iter().map(|(name, field)| format!("{name}={}", value(field))).collect::<Vec<_>>().join(", ")
        }
        Body::Task { lookup, to, create_only } => {
            let which = if *create_only { "all Task fields" } else { "Task fields without create-only" };
            format!("{which}, {lookup}={}", reference(to))
        }
        Body::Member { campaign_id, lookup, person, status } => {
            format!("CampaignId={campaign_id}, {lookup}={}, Status={status}", reference(person))
        }
    };
    format!("{}: {write} {{{body}}}", subrequest.part.as_str())
}

fn describe_query(query: &Query) -> String {
    match query {
        Query::TaskByCallObject { key } => format!("query Task by CallObject={key}"),
    }
}

fn keys_name(keys: OrgKeys) -> &'static str {
    match (keys.task_key, keys.lead_key) {
        (true, true) => "both keys  ",
        (true, false) => "task key   ",
        (false, true) => "lead key   ",
        (false, false) => "no keys    ",
    }
}

fn all_keys() -> [OrgKeys; 4] {
    [
        OrgKeys { task_key: true, lead_key: true },
        OrgKeys { task_key: true, lead_key: false },
        OrgKeys { task_key: false, lead_key: true },
        OrgKeys { task_key: false, lead_key: false },
    ]
}

#[test]
fn write_plans_match_the_reviewed_table() {
    let contact = id("003000000000001");
    let lead = id("00Q000000000002");
    let account = id("001000000000003");
    let new_lead = vec![
        ("LastName".to_owned(), FieldValue::Text("Unknown Caller".to_owned())),
        ("Phone".to_owned(), FieldValue::Text("(415) 555-0142".to_owned())),
    ];
    let mut table = String::new();
    writeln!(table, "# Plans: record | org | known Task | campaign | first attempt or replay => lookup; subrequests (when the lookup finds none)")
        .expect("writing to a string");
    let records: [(&str, Option<&RecordId>); 4] =
        [("Contact ", Some(&contact)), ("Lead    ", Some(&lead)), ("Account ", Some(&account)), ("new Lead", None)];
    for (name, record) in records {
        for keys in all_keys() {
            for known_task in [None, Some("00T000000000009")] {
                for campaign_id in [None, Some("701000000000004AAA")] {
                    for is_retry in [false, true] {
                        let lookup = task_lookup(KEY, keys, record.is_some(), known_task.is_some(), is_retry);
                        let activity =
                            Activity { key: KEY, record, new_lead: &new_lead, known_task, campaign_id, keys };
                        let plan: Vec<String> = plan_activity(&activity).iter().map(describe).collect();
                        writeln!(
                            table,
                            "{name} | {} | {} | {} | {} => {}{}",
                            keys_name(keys),
                            if known_task.is_some() { "Task known  " } else { "no Task     " },
                            if campaign_id.is_some() { "campaign   " } else { "no campaign" },
                            if is_retry { "replay" } else { "first " },
                            lookup.as_ref().map(|query| format!("{}; ", describe_query(query))).unwrap_or_default(),
                            plan.join("; ")
                        )
                        .expect("writing to a string");
                    }
                }
            }
        }
    }

    writeln!(table, "\n# Answers: record | org | answers => what happens next").expect("writing to a string");
    let saved = |text: &str| Some(Answer::Saved { id: Some(text.to_owned()) });
    let refused = |refusal: Refusal| Some(Answer::Refused(refusal));
    let duplicate = refused(Refusal::Duplicate { matches: vec![contact.clone()] });
    type Answers = [(&'static str, Option<Answer>); 3];
    let cases: Vec<(&str, Answers)> = vec![
        (
            "all written",
            [
                ("lead", saved("00Q000000000005")),
                ("task", saved("00T000000000006")),
                ("member", saved("00v000000000007")),
            ],
        ),
        (
            "lead refused by a duplicate rule",
            [("lead", duplicate), ("task", refused(Refusal::Other)), ("member", refused(Refusal::Other))],
        ),
        (
            "lead refused, duplicate rule names nothing",
            [
                ("lead", refused(Refusal::Duplicate { matches: Vec::new() })),
                ("task", refused(Refusal::Other)),
                ("member", None),
            ],
        ),
        (
            "lead refused by a validation rule",
            [("lead", refused(Refusal::Other)), ("task", refused(Refusal::Other)), ("member", None)],
        ),
        (
            "task exists: create-only field refused",
            [
                ("lead", saved("00Q000000000005")),
                ("task", refused(Refusal::CreateOnlyField)),
                ("member", saved("00v000000000007")),
            ],
        ),
        ("task refused", [("lead", saved("00Q000000000005")), ("task", refused(Refusal::Other)), ("member", None)]),
        (
            "task answer names no id",
            [("lead", saved("00Q000000000005")), ("task", Some(Answer::Saved { id: None })), ("member", None)],
        ),
        ("no answer at all", [("lead", None), ("task", None), ("member", None)]),
        (
            "already a member",
            [
                ("lead", saved("00Q000000000005")),
                ("task", saved("00T000000000006")),
                ("member", refused(Refusal::AlreadyMember)),
            ],
        ),
        (
            "Campaign gone",
            [
                ("lead", saved("00Q000000000005")),
                ("task", saved("00T000000000006")),
                ("member", refused(Refusal::MissingRecord)),
            ],
        ),
        (
            "membership refused",
            [
                ("lead", saved("00Q000000000005")),
                ("task", saved("00T000000000006")),
                ("member", refused(Refusal::Other)),
            ],
        ),
    ];
    for (name, record) in [("Contact ", Some(&contact)), ("new Lead", None)] {
        for keys in [OrgKeys { task_key: true, lead_key: true }, OrgKeys { task_key: false, lead_key: false }] {
            for (case, answers) in &cases {
                if record.is_some() && case.starts_with("lead") {
                    continue; // No Lead is created on an existing record.
                }
                let activity = Activity {
                    key: KEY,
                    record,
                    new_lead: &new_lead,
                    known_task: None,
                    campaign_id: Some("701000000000004AAA"),
                    keys,
                };
                let answer = |part: Part| {
                    answers.iter().find(|(named, _)| *named == part.as_str()).and_then(|(_, answer)| answer.clone())
                };
                let next = read_answers(&activity, answer);
                let next = match next {
                    callpop_core::write_plan::Next::Retry(subrequest) => format!("retry {}", describe(&subrequest)),
                    other => format!("{other:?}"),
                };
                writeln!(table, "{name} | {} | {case} => {next}", keys_name(keys)).expect("writing to a string");
            }
        }
    }

    writeln!(table, "\n# After the retried Task upsert").expect("writing to a string");
    for (case, answer) in [
        ("names the Task", Answer::Saved { id: Some("00T000000000006".to_owned()) }),
        ("names none", Answer::Saved { id: None }),
    ] {
        let next = match after_retry(KEY, answer) {
            Ok(task) => format!("Task {task}"),
            Err(query) => describe_query(&query),
        };
        writeln!(table, "{case} => {next}").expect("writing to a string");
    }

    writeln!(table, "\n# A later event's update of the call's Task").expect("writing to a string");
    let changes = vec![
        ("Status".to_owned(), FieldValue::Text("Completed".to_owned())),
        ("CallDurationInSeconds".to_owned(), FieldValue::Integer(42)),
    ];
    for (case, changes) in [("changes", changes), ("nothing changed", Vec::new())] {
        let next = plan_task_update("00T000000000006", changes).map_or("nothing to write".to_owned(), |s| describe(&s));
        writeln!(table, "{case} => {next}").expect("writing to a string");
    }

    writeln!(table, "\n# When that update is sent (hold 600 s): events of the items waiting | later items | call => waited => timing")
        .expect("writing to a string");
    let hold = Duration::from_secs(600);
    let waiting: [(&str, &[TaskEvent]); 6] = [
        ("answered                     ", &[TaskEvent::Answered]),
        ("answered, completed          ", &[TaskEvent::Answered, TaskEvent::Completed]),
        ("answered, completed, recorded", &[TaskEvent::Answered, TaskEvent::Completed, TaskEvent::RecordingReady]),
        ("completed                    ", &[TaskEvent::Completed]),
        ("completed, recorded          ", &[TaskEvent::Completed, TaskEvent::RecordingReady]),
        ("nothing                      ", &[]),
    ];
    for (name, events) in waiting {
        for later_items in [false, true] {
            for ended in [false, true] {
                let timings: Vec<String> = [0, 599, 600]
                    .into_iter()
                    .map(|waited| {
                        let timing = update_timing(events, later_items, ended, Duration::from_secs(waited), hold);
                        format!("{waited} s => {timing:?}")
                    })
                    .collect();
                let later = if later_items { "later items" } else { "alone      " };
                let call = if ended { "ended" } else { "live " };
                writeln!(table, "{name} | {later} | {call} => {}", timings.join(", ")).expect("writing to a string");
            }
        }
    }

    writeln!(table, "\n# A trigger's find_or_create: object | match field | the call's settled record => how it finds")
        .expect("writing to a string");
    let trigger_fields =
        vec![("LastName".to_owned(), "Caller".to_owned()), ("Email".to_owned(), "ada@example.com".to_owned())];
    for object in ["Lead", "Contact"] {
        for match_field in [None, Some("Email"), Some("Website")] {
            for (settled_name, settled) in [("none   ", None), ("Lead   ", Some(&lead)), ("Contact", Some(&contact))] {
                let find = plan_find(object, match_field, &trigger_fields, settled);
                writeln!(table, "{object:<7} | {:<7} | {settled_name} => {find:?}", match_field.unwrap_or("none"))
                    .expect("writing to a string");
            }
        }
    }

    writeln!(table, "\n# A trigger's find_or_create by phone: object | candidates | call or text => what next")
        .expect("writing to a string");
    let candidate = |record: &RecordId, converted: bool, modified: &str| Candidate {
        id: record.clone(),
        is_converted: converted,
        converted_contact_id: None,
        last_modified: Some(modified.to_owned()),
        phones: Vec::new(),
    };
    let older_lead = id("00Q000000000011");
    let candidate_sets: Vec<(&str, Vec<Candidate>)> = vec![
        ("none", Vec::new()),
        ("a Contact", vec![candidate(&contact, false, "2026-11-01T10:00:00.000+0000")]),
        (
            "two Leads, the older first",
            vec![
                candidate(&older_lead, false, "2026-10-01T10:00:00.000+0000"),
                candidate(&lead, false, "2026-11-01T10:00:00.000+0000"),
            ],
        ),
        ("a converted Lead", vec![candidate(&lead, true, "2026-11-01T10:00:00.000+0000")]),
    ];
    for object in [SObjectType::Lead, SObjectType::Contact] {
        for (name, candidates) in &candidate_sets {
            for for_call in [true, false] {
                let next = after_phone_search(object, candidates, for_call);
                let subject = if for_call { "call" } else { "text" };
                writeln!(table, "{:<7} | {name} | {subject} => {next:?}", object.api_name())
                    .expect("writing to a string");
            }
        }
    }

    writeln!(
        table,
        "\n# A trigger's find_or_create, when no record was found: object | trigger fields | org => the create"
    )
    .expect("writing to a string");
    let with_phone = vec![("LastName".to_owned(), "Caller".to_owned()), ("Phone".to_owned(), "555 0100".to_owned())];
    for object in ["Lead", "Contact", "Account"] {
        for (fields_name, fields) in [("no Phone", &trigger_fields), ("Phone   ", &with_phone)] {
            for keys in all_keys() {
                let create = plan_trigger_create(object, fields, "(415) 555-0142", KEY, keys);
                let depends = if create_depends_on_keys(object) { "" } else { " (the org's keys are not read)" };
                writeln!(table, "{object:<7} | {fields_name} | {} => {}{depends}", keys_name(keys), describe(&create))
                    .expect("writing to a string");
            }
        }
    }

    writeln!(table, "\n# A trigger's update_record").expect("writing to a string");
    for record in [&lead, &account] {
        writeln!(table, "{} => {}", record.object().api_name(), describe(&plan_record_update(record, &trigger_fields)))
            .expect("writing to a string");
    }

    writeln!(table, "\n# The preflight's dry run (all-or-none): org => subrequests").expect("writing to a string");
    for keys in all_keys() {
        let plan: Vec<String> = plan_dry_run(&new_lead, keys).iter().map(describe).collect();
        writeln!(table, "{} => {}", keys_name(keys), plan.join("; ")).expect("writing to a string");
    }
    writeln!(table, "\n# The dry run's answers => what they say").expect("writing to a string");
    let dry_plan = plan_dry_run(&new_lead, OrgKeys { task_key: true, lead_key: true });
    let halted = Some(Answer::Refused(Refusal::Halted));
    let dry_cases: Vec<(&str, Answers)> = vec![
        (
            "all judged, rolled back",
            [("lead", halted.clone()), ("task", halted.clone()), ("rollback", refused(Refusal::Other))],
        ),
        (
            "a validation rule refuses the Lead",
            [("lead", refused(Refusal::Other)), ("task", halted.clone()), ("rollback", halted.clone())],
        ),
        (
            "a duplicate rule refuses the Lead",
            [
                ("lead", refused(Refusal::Duplicate { matches: vec![lead.clone()] })),
                ("task", halted.clone()),
                ("rollback", halted.clone()),
            ],
        ),
        ("the Task is refused", [("lead", halted.clone()), ("task", refused(Refusal::Other)), ("rollback", halted)]),
        ("no answers", [("lead", None), ("task", None), ("rollback", None)]),
        (
            "the rollback was not refused",
            [
                ("lead", saved("00Q000000000005")),
                ("task", saved("00T000000000006")),
                ("rollback", saved("00Q000000000007")),
            ],
        ),
    ];
    for (case, answers) in &dry_cases {
        let answer = |part: Part| {
            answers.iter().find(|(named, _)| *named == part.as_str()).and_then(|(_, answer)| answer.clone())
        };
        writeln!(table, "{case} => {:?}", read_dry_run(&dry_plan, answer)).expect("writing to a string");
    }

    writeln!(table, "\n# A trigger's add_to_campaign").expect("writing to a string");
    for (name, record) in [("Lead   ", &lead), ("Contact", &contact)] {
        let lead = record.object() == callpop_core::record::SObjectType::Lead;
        let member = plan_member("701000000000004", lead, Ref::Record(record.clone()), "Sent");
        writeln!(table, "{name} => {}", describe(&member)).expect("writing to a string");
    }
    expect_test::expect_file!["write_plans.txt"].assert_eq(&table);
}
