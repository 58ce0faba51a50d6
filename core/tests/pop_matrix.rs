#![cfg(not(target_arch = "wasm32"))]
//! The softphone table of `behaviour.md`, computed for every combination of UI, the options the softphone acts on
//! (edit mode, Classic auto-create, the multi-match dialog) and what is known about the caller, and compared with
//! `pop_matrix.txt`. That file is the acceptance table in readable form: review a change to it line by line against
//! the spec. The other four options change nothing in the browser (legacy mode only decides whether the server
//! names the record, which is the "server named" rows). `UPDATE_EXPECT=1 cargo test -p callpop-core` rewrites it.

use callpop_core::call::Direction;
use callpop_core::open_cti::{OpenCtiCall, Ui};
use callpop_core::options::IntegrationOptions;
use callpop_core::record::{RecordId, RecordMatch};
use callpop_core::screen_pop::{ActivityPlan, Caller, Found, decide};
use std::fmt::Write;

fn record(id: &str, name: &str, modified: &str) -> RecordMatch {
    let id = RecordId::parse(id).expect("a valid id");
    RecordMatch {
        object: id.object().api_name().to_owned(),
        id,
        name: name.to_owned(),
        phone: Some("(415) 555-0142".to_owned()),
        detail: None,
        last_modified: Some(modified.to_owned()),
    }
}

fn describe_call(call: &OpenCtiCall) -> String {
    let pairs = |pairs: &[(String, String)]| {
        pairs.iter().map(|(key, value)| format!("{key}={value}")).collect::<Vec<_>>().join(", ")
    };
    match call {
        OpenCtiCall::PopRecord { id } => format!("screenPop SOBJECT {id}"),
        OpenCtiCall::PopUrl { url } => format!("screenPop URL {url}"),
        OpenCtiCall::PopSearch { term } => format!("screenPop SEARCH {term}"),
        OpenCtiCall::NewRecordModal { entity, defaults } => {
            format!("screenPop NEW_RECORD_MODAL {entity} {{{}}}", pairs(defaults))
        }
        OpenCtiCall::CreateRecord { entity, fields } => format!("saveLog {entity} {{{}}}", pairs(fields)),
        other => format!("{other:?}"),
    }
}

fn describe_activity(activity: &ActivityPlan) -> String {
    match activity {
        ActivityPlan::Append { record, reason } => format!("append to {record} ({})", reason.as_str()),
        ActivityPlan::AfterSave => "append to the record the agent saves".to_owned(),
        ActivityPlan::AfterCreate => "pop the created Lead, append to it".to_owned(),
        ActivityPlan::AskAgent { matches, .. } => {
            let names: Vec<String> = matches.iter().map(|found| format!("{} {}", found.object, found.name)).collect();
            format!("dialog: {}", names.join(" / "))
        }
        ActivityPlan::LeaveToServer => "the server decides (triggers or legacy)".to_owned(),
    }
}

#[test]
fn the_pop_table_for_every_ui_option_and_match_count() {
    let contact = record("003000000000001", "Ada Lovelace", "2026-11-01T10:00:00.000Z");
    let several = [
        record("00Q000000000002", "Grace Hopper", "2026-08-27T10:00:00.000Z"),
        record("003000000000003", "Grace Hopper", "2026-11-23T10:00:00.000Z"),
        record("00Q000000000004", "Hopper Family Trust", "2026-10-11T10:00:00.000Z"),
    ];
    let caller =
        Caller { number: "+14155550142", name: Some("Grace Hopper"), source: Some("Google Ads"), remembered: None };
    let created = record("00Q000000000005", "Grace Hopper", "2026-11-25T10:00:00.000Z");
    let found_cases: [(&str, Found<'_>); 5] = [
        ("server named", Found::ServerNamed(&contact.id)),
        ("server new", Found::ServerCreated(&created.id)),
        ("no match", Found::Matches(&[])),
        ("one match", Found::Matches(std::slice::from_ref(&contact))),
        ("3 matches", Found::Matches(&several)),
    ];
    let mut table = String::new();
    for ui in [Ui::Lightning, Ui::Classic] {
        for (found_label, found) in &found_cases {
            for bits in 0..8u8 {
                let options = IntegrationOptions {
                    edit_mode: bits & 1 != 0,
                    auto_create_classic: bits & 2 != 0,
                    multi_match_dialog: bits & 4 != 0,
                    ..IntegrationOptions::default()
                };
                let plan = decide(ui, &options, Direction::Inbound, caller, *found);
                let calls: Vec<String> = plan.calls.iter().map(describe_call).collect();
                let calls = if calls.is_empty() { "no pop".to_owned() } else { calls.join(" then ") };
                let on_off = |on: bool| if on { "on " } else { "off" };
                writeln!(
                    table,
                    "{:<9} {:<12} edit {} auto {} dialog {} | {calls} | {}",
                    format!("{ui:?}"),
                    found_label,
                    on_off(options.edit_mode),
                    on_off(options.auto_create_classic),
                    on_off(options.multi_match_dialog),
                    describe_activity(&plan.activity),
                )
                .expect("writing to a string");
            }
        }
    }
    for ui in [Ui::Lightning, Ui::Classic] {
        let plan = decide(
            ui,
            &IntegrationOptions::default(),
            Direction::Outbound,
            caller,
            Found::Matches(std::slice::from_ref(&contact)),
        );
        let pops = if plan.calls.is_empty() { "no pop" } else { "POPS" };
        writeln!(
            table,
            "{:<9} outbound     (any options)                | {pops} | {}",
            format!("{ui:?}"),
            describe_activity(&plan.activity)
        )
        .expect("writing to a string");
    }
    expect_test::expect_file!["pop_matrix.txt"].assert_eq(&table);
}
