#![cfg(not(target_arch = "wasm32"))]
//! What gets logged, computed for every situation and compared with `logging_policy.txt`, the reviewed table: each
//! call (direction, how far it got, whether it was answered, its disposition) under each policy, and each `WhatId`
//! rule for each record and each answer the org can give. `UPDATE_EXPECT=1 cargo test -p callpop-core` rewrites it.

use callpop_core::call::{CallState, Direction};
use callpop_core::call_logging::{
    CallFacts, CallType, LoggingPolicy, TaskDecision, WhatIdRule, WhatNext, WhatQuery, after_what_query, classify,
    task_decision, task_what_id, what_query,
};
use callpop_core::record::RecordId;
use std::fmt::Write as _;

fn id(text: &str) -> RecordId {
    RecordId::parse(text).expect("a valid id")
}

/// The policies the table shows: everything logged (the default), one type left out at a time, and only answered.
fn policies() -> Vec<(String, LoggingPolicy)> {
    let all = LoggingPolicy::default();
    let mut policies = vec![("all logged".to_owned(), all)];
    for left_out in CallType::ALL {
        let mut policy = all;
        match left_out {
            CallType::Answered => policy.answered = false,
            CallType::Missed => policy.missed = false,
            CallType::Voicemail => policy.voicemail = false,
            CallType::Abandoned => policy.abandoned = false,
            CallType::OutboundNotAnswered => policy.outbound_not_answered = false,
        }
        policies.push((format!("not {}", left_out.as_str()), policy));
    }
    let only_answered = LoggingPolicy {
        answered: true,
        missed: false,
        voicemail: false,
        abandoned: false,
        outbound_not_answered: false,
    };
    policies.push(("only answered".to_owned(), only_answered));
    policies
}

fn describe_decision(decision: TaskDecision) -> String {
    match decision {
        TaskDecision::Write => "write the Task".to_owned(),
        TaskDecision::Wait => "wait for the call's type".to_owned(),
        TaskDecision::Skip(call_type) => format!("no Task ({} not logged)", call_type.as_str()),
    }
}

fn describe_query(query: &WhatQuery) -> String {
    match query {
        WhatQuery::OpenCaseOfContact(contact) => format!("open Case of Contact {contact}"),
        WhatQuery::AccountOfContact(contact) => format!("Account of Contact {contact}"),
        WhatQuery::OpenOpportunityOfAccount(account) => format!("open Opportunity of Account {account}"),
    }
}

#[test]
fn the_logging_table_matches_the_reviewed_one() {
    let mut table = String::new();
    writeln!(table, "# Call types: direction | state | answered | disposition => type").expect("writing to a string");
    let situations: Vec<(Direction, CallState, bool)> = vec![
        (Direction::Inbound, CallState::Ringing, false),
        (Direction::Inbound, CallState::Answered, true),
        (Direction::Inbound, CallState::Completed, true),
        (Direction::Inbound, CallState::Completed, false),
        (Direction::Outbound, CallState::Ringing, false),
        (Direction::Outbound, CallState::Answered, true),
        (Direction::Outbound, CallState::Completed, true),
        (Direction::Outbound, CallState::Completed, false),
    ];
    let dispositions = [None, Some("voicemail"), Some("Abandoned"), Some("Left voicemail")];
    let mut calls = Vec::new();
    for (direction, state, answered) in situations {
        for disposition in dispositions {
            let facts = CallFacts { direction, state, answered, disposition };
            let call_type = classify(facts).map_or("not decided yet", CallType::as_str);
            writeln!(
                table,
                "{:<8} | {:<9} | {:<8} | {:<16} => {call_type}",
                format!("{direction:?}"),
                state.as_str(),
                if answered { "answered" } else { "-" },
                disposition.map_or("-".to_owned(), |text| format!("{text:?}")),
            )
            .expect("writing to a string");
            calls.push(facts);
        }
    }

    writeln!(table, "\n# Task decisions: policy | direction | state | answered | disposition => decision")
        .expect("writing to a string");
    for (name, policy) in policies() {
        for facts in &calls {
            // The dispositions that do not change the type are left out, to keep the table readable.
            if facts.disposition == Some("Left voicemail") {
                continue;
            }
            writeln!(
                table,
                "{name:<25} | {:<8} | {:<9} | {:<8} | {:<11} => {}",
                format!("{:?}", facts.direction),
                facts.state.as_str(),
                if facts.answered { "answered" } else { "-" },
                facts.disposition.map_or("-".to_owned(), |text| format!("{text:?}")),
                describe_decision(task_decision(&policy, *facts)),
            )
            .expect("writing to a string");
        }
    }

    writeln!(table, "\n# WhatId: rule | record | what the org has => queries; WhatId from the rule (an Account's Task keeps the Account)").expect("writing to a string");
    let contact = id("003000000000001");
    let lead = id("00Q000000000002");
    let account = id("001000000000003");
    let case = id("500000000000004");
    let opportunity = id("006000000000005");
    // What the org has: its name, then the open Case, the Contact's Account and the Account's open Opportunity.
    type Org<'a> = (&'a str, Option<&'a RecordId>, Option<&'a RecordId>, Option<&'a RecordId>);
    let orgs: [Org<'_>; 3] = [
        ("an open Case, an Account with an open Opportunity", Some(&case), Some(&account), Some(&opportunity)),
        ("a Contact without an Account", None, None, None),
        ("an Account with nothing open", None, Some(&account), None),
    ];
    for rule in [WhatIdRule::None, WhatIdRule::OpenCase, WhatIdRule::OpenOpportunity] {
        for record in [&contact, &lead, &account] {
            for (org, open_case, contact_account, open_opportunity) in orgs {
                let mut queries = Vec::new();
                let mut next = what_query(rule, record).map(WhatNext::Query).unwrap_or(WhatNext::Done(None));
                let what = loop {
                    match next {
                        WhatNext::Done(found) => break found,
                        WhatNext::Query(query) => {
                            queries.push(describe_query(&query));
                            let found = match &query {
                                WhatQuery::OpenCaseOfContact(_) => open_case,
                                WhatQuery::AccountOfContact(_) => contact_account,
                                WhatQuery::OpenOpportunityOfAccount(_) => open_opportunity,
                            };
                            next = after_what_query(&query, found.cloned());
                        }
                    }
                };
                let what_id = task_what_id(record, what.as_ref());
                writeln!(
                    table,
                    "{:<16} | {:<7} | {org:<50} => {}; WhatId {}",
                    format!("{rule:?}"),
                    format!("{:?}", record.object()),
                    if queries.is_empty() { "no query".to_owned() } else { queries.join(", then ") },
                    what_id.map_or("none".to_owned(), ToString::to_string),
                )
                .expect("writing to a string");
            }
        }
    }
    expect_test::expect_file!["logging_policy.txt"].assert_eq(&table);
}
