//! Tests of trigger validation and evaluation: examples first, then properties (native only: proptest does not
//! build for wasm32).

use super::*;

fn facts() -> Facts {
    let mut facts = Facts::new("CA-1", Direction::Inbound, "+14155552671");
    facts.caller_name = Some("Ada Lovelace".to_owned());
    facts.tracking_source = Some("Google Ads".to_owned());
    facts.campaign = Some("Spring Promo".to_owned());
    facts.tags = vec!["vip".to_owned(), "returning".to_owned()];
    facts.caller_region = Some("CA".to_owned());
    facts
}

fn condition(field: &str, op: Operator, value: Option<Operand>) -> Condition {
    Condition { field: field.to_owned(), op, value }
}

fn text(value: &str) -> Option<Operand> {
    Some(Operand::Text(value.to_owned()))
}

fn number(value: f64) -> Option<Operand> {
    Some(Operand::Number(value))
}

fn log_task(subject: &str) -> Action {
    Action::LogTask { fields: BTreeMap::from([("Subject".to_owned(), subject.to_owned())]), delay_secs: 0 }
}

fn trigger(event: TriggerEvent, combine: Combine, rules: Vec<Condition>, actions: Vec<Action>) -> Trigger {
    Trigger { name: "test".to_owned(), enabled: true, event, conditions: Conditions { combine, rules }, actions }
}

fn problems(trigger: &Trigger) -> Vec<(String, ProblemKind)> {
    validate(trigger).err().unwrap_or_default().into_iter().map(|problem| (problem.path, problem.kind)).collect()
}

#[track_caller]
fn assert_problems(trigger: &Trigger, expected: &[(&str, ProblemKind)]) {
    let expected: Vec<_> = expected.iter().map(|(path, kind)| ((*path).to_owned(), *kind)).collect();
    assert_eq!(problems(trigger), expected);
}

#[test]
fn a_trigger_reads_from_the_json_the_api_stores() {
    let json = r#"{
        "name": "Google callers become Leads",
        "event": "call_started",
        "conditions": {"match": "all", "rules": [
            {"field": "tracking_source", "op": "equals", "value": "google ads"},
            {"field": "tags", "op": "in_list", "value": ["vip", "gold"]}
        ]},
        "actions": [
            {"type": "find_or_create", "object": "Lead",
             "fields": {"LastName": "{{caller_name|Unknown Caller}}", "Company": "[not provided]"}},
            {"type": "log_task", "delay_secs": 60, "fields": {"Subject": "Call from {{caller_number}} via {{tracking_source}}"}},
            {"type": "add_to_campaign"}
        ]
    }"#;
    let trigger: Trigger = serde_json::from_str(json).unwrap();
    assert_eq!(validate(&trigger), Ok(()));
    let planned = evaluate(std::slice::from_ref(&trigger), TriggerEvent::CallStarted, &facts());
    let steps: Vec<_> = planned.iter().map(|action| (action.delay_secs, action.step.clone())).collect();
    let fields = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    assert_eq!(
        steps,
        [
            (
                0,
                Step::FindOrCreate {
                    object: "Lead".to_owned(),
                    match_field: None,
                    fields: fields(&[("Company", "[not provided]"), ("LastName", "Ada Lovelace")]),
                }
            ),
            (60, Step::LogTask { fields: fields(&[("Subject", "Call from +14155552671 via Google Ads")]) }),
            (0, Step::AddToCampaign { campaign: "Spring Promo".to_owned(), status: "Responded".to_owned() }),
        ]
    );
}

#[test]
fn unknown_json_keys_are_rejected_with_their_name() {
    let json = r#"{"name": "x", "event": "call_ended", "actions": [{"type": "log_task", "feilds": {}}]}"#;
    let error = serde_json::from_str::<Trigger>(json).unwrap_err().to_string();
    assert!(error.contains("feilds"), "{error}");
    let json = r#"{"name": "x", "event": "call_ended", "actions": [], "priority": 1}"#;
    assert!(serde_json::from_str::<Trigger>(json).unwrap_err().to_string().contains("priority"));
}

#[test]
fn triggers_fire_in_order_and_only_for_their_event() {
    let first = trigger(TriggerEvent::CallEnded, Combine::All, vec![], vec![log_task("first")]);
    let other_event = trigger(TriggerEvent::CallStarted, Combine::All, vec![], vec![log_task("never")]);
    let disabled = Trigger { enabled: false, ..first.clone() };
    let second = trigger(TriggerEvent::CallEnded, Combine::All, vec![], vec![log_task("second"), log_task("third")]);
    let planned = evaluate(&[first, other_event, disabled, second], TriggerEvent::CallEnded, &facts());
    let order: Vec<_> = planned.iter().map(|action| (action.trigger_index, action.action_index)).collect();
    assert_eq!(order, [(0, 0), (3, 0), (3, 1)]);
}

#[test]
fn conditions_compare_text_ignoring_case_and_lists_by_any_item() {
    let facts = facts();
    let holds = |field: &str, op, value| condition_holds(&condition(field, op, value), facts.get(field));
    assert!(holds("tracking_source", Operator::Equals, text(" GOOGLE ads ")));
    assert!(holds("tracking_source", Operator::Contains, text("google")));
    assert!(holds("caller_number", Operator::StartsWith, text("+1415")));
    assert!(holds("tags", Operator::Equals, text("VIP")));
    assert!(!holds("tags", Operator::NotContains, text("return")));
    assert!(holds("direction", Operator::InList, Some(Operand::List(vec!["inbound".to_owned()]))));
    assert!(holds("answered", Operator::Equals, Some(Operand::Bool(false))));
    assert!(holds("caller_city", Operator::IsBlank, None));
    assert!(holds("caller_city", Operator::NotEquals, text("Paris")), "a blank value is not Paris");
    assert!(!holds("caller_city", Operator::Equals, text("")), "a blank value equals nothing");
    assert!(!holds("duration", Operator::LessThan, number(10.0)), "no duration before the call ends");
}

#[test]
fn custom_fields_are_compared_as_numbers_when_they_read_as_numbers() {
    let mut facts = facts();
    facts.custom.insert("score".to_owned(), FactValue::Text(" 42 ".to_owned()));
    facts.custom.insert("plan".to_owned(), FactValue::Text("Gold".to_owned()));
    let holds = |field: &str, op, value| condition_holds(&condition(field, op, value), facts.get(field));
    assert!(holds("custom.score", Operator::GreaterThan, number(41.5)));
    assert!(holds("custom.score", Operator::Equals, number(42.0)));
    assert!(!holds("custom.plan", Operator::GreaterThan, number(0.0)));
    assert!(holds("custom.missing", Operator::IsBlank, None));
}

#[test]
fn any_fires_when_one_condition_holds_and_all_needs_every_one() {
    let rules = vec![
        condition("tracking_source", Operator::Equals, text("Bing")),
        condition("campaign", Operator::Equals, text("spring promo")),
    ];
    let any = trigger(TriggerEvent::CallStarted, Combine::Any, rules.clone(), vec![log_task("x")]);
    let all = trigger(TriggerEvent::CallStarted, Combine::All, rules, vec![log_task("x")]);
    assert_eq!(evaluate(&[any], TriggerEvent::CallStarted, &facts()).len(), 1);
    assert!(evaluate(&[all], TriggerEvent::CallStarted, &facts()).is_empty());
}

#[test]
fn contradictory_bounds_are_reported_at_the_later_condition() {
    let rules = vec![
        condition("duration", Operator::GreaterThan, number(10.0)),
        condition("duration", Operator::LessThan, number(5.0)),
    ];
    let impossible = trigger(TriggerEvent::CallEnded, Combine::All, rules.clone(), vec![log_task("x")]);
    assert_problems(&impossible, &[("conditions.rules[1]", ProblemKind::Impossible)]);
    let message = validate(&impossible).unwrap_err()[0].to_string();
    assert!(message.contains("conditions.rules[0]"), "{message}");
    let either = trigger(TriggerEvent::CallEnded, Combine::Any, rules, vec![log_task("x")]);
    assert_eq!(validate(&either), Ok(()));
}

#[test]
fn other_impossible_conditions_are_caught() {
    let cases: Vec<(TriggerEvent, Vec<Condition>)> = vec![
        (TriggerEvent::CallStarted, vec![condition("duration", Operator::GreaterThan, number(30.0))]),
        (TriggerEvent::CallEnded, vec![condition("duration", Operator::LessThan, number(0.0))]),
        (TriggerEvent::CallEnded, vec![condition("tags", Operator::InList, Some(Operand::List(vec![])))]),
        (
            TriggerEvent::CallEnded,
            vec![
                condition("tracking_source", Operator::Equals, text("Google")),
                condition("tracking_source", Operator::Equals, text("Bing")),
            ],
        ),
        (
            TriggerEvent::CallEnded,
            vec![condition("campaign", Operator::IsBlank, None), condition("campaign", Operator::Contains, text("x"))],
        ),
        (
            TriggerEvent::CallEnded,
            vec![condition("tags", Operator::Equals, text("vip")), condition("tags", Operator::NotEquals, text("VIP"))],
        ),
        (
            TriggerEvent::CallEnded,
            vec![
                condition("duration", Operator::Equals, number(60.0)),
                condition("duration", Operator::GreaterThan, number(60.0)),
            ],
        ),
        (
            TriggerEvent::CallEnded,
            vec![
                condition("duration", Operator::GreaterThan, number(9.0)),
                condition("duration", Operator::LessThan, number(20.0)),
                condition("duration", Operator::LessThan, number(9.0)),
            ],
        ),
    ];
    for (event, rules) in cases {
        let checked = trigger(event, Combine::All, rules.clone(), vec![log_task("x")]);
        let kinds: Vec<_> = problems(&checked).into_iter().map(|(_, kind)| kind).collect();
        assert_eq!(kinds, [ProblemKind::Impossible], "{rules:?}");
    }
    let two_tags =
        vec![condition("tags", Operator::Equals, text("vip")), condition("tags", Operator::Equals, text("new"))];
    assert_eq!(validate(&trigger(TriggerEvent::CallEnded, Combine::All, two_tags, vec![log_task("x")])), Ok(()));
}

#[test]
fn malformed_conditions_name_the_part_at_fault() {
    let rules = vec![
        condition("sorce", Operator::Equals, text("x")),
        condition("answered", Operator::Contains, text("y")),
        condition("duration", Operator::GreaterThan, text("ten")),
        condition("campaign", Operator::IsSet, text("z")),
        condition("campaign", Operator::Equals, None),
        condition("direction", Operator::Equals, text("sideways")),
        condition("custom.bad name", Operator::IsSet, None),
    ];
    let checked = trigger(TriggerEvent::CallEnded, Combine::All, rules, vec![log_task("x")]);
    let expected = [
        ("conditions.rules[0].field", ProblemKind::UnknownVariable),
        ("conditions.rules[1].op", ProblemKind::OperatorNotForVariable),
        ("conditions.rules[2].value", ProblemKind::WrongOperand),
        ("conditions.rules[3].value", ProblemKind::UnexpectedOperand),
        ("conditions.rules[4].value", ProblemKind::MissingOperand),
        ("conditions.rules[5].value", ProblemKind::WrongOperand),
        ("conditions.rules[6].field", ProblemKind::UnknownVariable),
    ];
    assert_problems(&checked, &expected);
}

#[test]
fn actions_are_checked_for_objects_fields_templates_and_required_mappings() {
    let mapping = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let actions = vec![
        Action::FindOrCreate {
            object: "Lead".to_owned(),
            match_field: Some("Email".to_owned()),
            fields: mapping(&[("LastName", "{{caller_name}}"), ("Phone", "{{caller_numbr}}")]),
            delay_secs: 0,
        },
        Action::UpdateRecord {
            fields: mapping(&[("Id", "x"), ("Bad Name", "y"), ("Note__c", "{{oops")]),
            delay_secs: 0,
        },
        Action::LogTask { fields: mapping(&[("CallObject", "mine"), ("Subject", "{{recording_url}}")]), delay_secs: 0 },
        Action::FindOrCreate { object: "Task".to_owned(), match_field: None, fields: BTreeMap::new(), delay_secs: 0 },
        Action::AddToCampaign {
            campaign: "{{campaign}}".to_owned(),
            status: " ".to_owned(),
            delay_secs: MAX_DELAY_SECS + 1,
        },
    ];
    let checked = trigger(TriggerEvent::CallEnded, Combine::All, vec![], actions);
    let expected = [
        ("actions[0].fields.Phone", ProblemKind::UnknownVariable),
        ("actions[0].match_field", ProblemKind::BadMatchField),
        ("actions[0].fields.LastName", ProblemKind::RequiredFieldCanBeBlank),
        ("actions[0].fields", ProblemKind::MissingRequiredField),
        ("actions[1].fields.Bad Name", ProblemKind::BadFieldName),
        ("actions[1].fields.Id", ProblemKind::FieldOwnedByCallpop),
        ("actions[1].fields.Note__c", ProblemKind::BadTemplate),
        ("actions[2].fields.CallObject", ProblemKind::FieldOwnedByCallpop),
        ("actions[2].fields.Subject", ProblemKind::AlwaysBlank),
        ("actions[3].object", ProblemKind::BadObject),
        ("actions[4].delay_secs", ProblemKind::DelayTooLong),
        ("actions[4].status", ProblemKind::BadTemplate),
    ];
    assert_problems(&checked, &expected);
}

#[test]
fn a_trigger_needs_a_name_and_an_action() {
    let empty = Trigger { name: " ".to_owned(), ..trigger(TriggerEvent::CallEnded, Combine::All, vec![], vec![]) };
    assert_problems(&empty, &[("name", ProblemKind::BadName), ("actions", ProblemKind::NoActions)]);
}

#[test]
fn a_trigger_that_does_not_validate_never_fires() {
    let broken = trigger(TriggerEvent::CallEnded, Combine::All, vec![], vec![log_task("{{nope}}")]);
    assert!(evaluate(&[broken], TriggerEvent::CallEnded, &facts()).is_empty());
}

#[test]
fn every_variable_is_readable_and_listed_once() {
    let mut names: Vec<_> = VARIABLES.iter().map(|variable| variable.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), VARIABLES.len());
    let mut facts = facts();
    facts.duration_secs = Some(184);
    assert_eq!(facts.get("duration").render(), "184");
    assert_eq!(facts.get("tags").render(), "vip, returning");
    assert_eq!(facts.get("answered").render(), "no");
    assert_eq!(facts.get("call_type").render(), "Inbound");
    assert_eq!(facts.get("nonsense"), Fact::Missing);
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn optional_text() -> impl Strategy<Value = Option<String>> {
        prop::option::of(any::<String>())
    }

    fn fact_value() -> impl Strategy<Value = FactValue> {
        prop_oneof![
            any::<String>().prop_map(FactValue::Text),
            any::<f64>().prop_map(FactValue::Number),
            any::<bool>().prop_map(FactValue::Bool),
            prop::collection::vec(any::<String>(), 0..4).prop_map(FactValue::List),
        ]
    }

    prop_compose! {
        fn arbitrary_facts()(
            inbound in any::<bool>(), answered in any::<bool>(), duration in prop::option::of(any::<u64>()),
            number in any::<String>(), texts in prop::collection::vec(optional_text(), 12),
            tags in prop::collection::vec(any::<String>(), 0..4), keywords in prop::collection::vec(any::<String>(), 0..4),
            custom in prop::collection::btree_map("[a-z_]{1,8}", fact_value(), 0..4),
        ) -> Facts {
            let direction = if inbound { Direction::Inbound } else { Direction::Outbound };
            let mut facts = Facts::new("CA-1", direction, &number);
            facts.answered = answered;
            facts.duration_secs = duration;
            [
                &mut facts.caller_name, &mut facts.caller_city, &mut facts.caller_region, &mut facts.caller_country,
                &mut facts.tracking_number, &mut facts.tracking_source, &mut facts.campaign, &mut facts.disposition,
                &mut facts.recording_url, &mut facts.agent_name, &mut facts.started_at, &mut facts.message_body,
            ]
            .into_iter()
            .zip(texts)
            .for_each(|(slot, value)| *slot = value);
            facts.tags = tags;
            facts.keywords = keywords;
            facts.custom = custom;
            facts
        }
    }

    fn operator() -> impl Strategy<Value = Operator> {
        prop::sample::select(Operator::ALL.to_vec())
    }

    fn operand() -> impl Strategy<Value = Option<Operand>> {
        prop::option::of(prop_oneof![
            any::<bool>().prop_map(Operand::Bool),
            any::<f64>().prop_map(Operand::Number),
            any::<String>().prop_map(Operand::Text),
            prop::collection::vec(any::<String>(), 0..3).prop_map(Operand::List),
        ])
    }

    fn field_name() -> impl Strategy<Value = String> {
        let known: Vec<String> = VARIABLES.iter().map(|variable| variable.name.to_owned()).collect();
        prop_oneof![prop::sample::select(known), "custom\\.[a-z_]{1,8}", any::<String>()]
    }

    fn any_condition() -> impl Strategy<Value = Condition> {
        (field_name(), operator(), operand()).prop_map(|(field, op, value)| Condition { field, op, value })
    }

    /// A condition on `field` that holds for `facts`, built from the value it has there.
    fn condition_that_holds(facts: &Facts, field: &str, pick: u8) -> Condition {
        let fact = facts.get(field);
        let with = |op, value| Condition { field: field.to_owned(), op, value };
        if fact.is_blank() {
            return with(Operator::IsBlank, None);
        }
        match (fact, pick % 4) {
            (Fact::Number(number), 0) if number.is_finite() => with(Operator::Equals, Some(Operand::Number(number))),
            (Fact::Number(number), 1) if number.is_finite() => {
                with(Operator::GreaterThan, Some(Operand::Number(number / 2.0 - 1.0)))
            }
            (Fact::Bool(flag), 0 | 1) => with(Operator::Equals, Some(Operand::Bool(flag))),
            (Fact::Text(text), 0) if !text.trim().is_empty() => {
                with(Operator::Equals, Some(Operand::Text(text.to_owned())))
            }
            (Fact::Text(text), 1) => with(Operator::InList, Some(Operand::List(vec![text.to_owned()]))),
            (Fact::List(items), 0 | 1) => {
                let item = items.iter().find(|item| !item.trim().is_empty()).cloned().unwrap_or_default();
                with(Operator::InList, Some(Operand::List(vec![item])))
            }
            (Fact::Number(_), 2) => with(Operator::NotEquals, Some(Operand::Number(-1.0))),
            (Fact::Bool(flag), 2) => with(Operator::NotEquals, Some(Operand::Bool(!flag))),
            (Fact::Text(_) | Fact::List(_), 2) if !matches!(field, "direction" | "call_type") => {
                with(Operator::NotEquals, Some(Operand::Text(format!("{}\u{0}not", fact.render()))))
            }
            _ => with(Operator::IsSet, None),
        }
    }

    proptest! {
        #[test]
        fn evaluation_never_panics_on_arbitrary_facts_and_rules(
            facts in arbitrary_facts(),
            rules in prop::collection::vec(any_condition(), 0..5),
            any in any::<bool>(),
            subject in any::<String>(),
        ) {
            let combine = if any { Combine::Any } else { Combine::All };
            let rule = trigger(TriggerEvent::CallEnded, combine, rules, vec![log_task(&subject)]);
            let _ = validate(&rule);
            let _ = evaluate(&[rule], TriggerEvent::CallEnded, &facts);
        }

        #[test]
        fn a_valid_trigger_whose_conditions_all_hold_always_fires(
            facts in arbitrary_facts(),
            picks in prop::collection::vec((0..VARIABLES.len(), any::<u8>()), 0..6),
        ) {
            let event = TriggerEvent::RecordingReady;
            let rules: Vec<Condition> = picks
                .iter()
                .filter(|(index, _)| VARIABLES[*index].set_at.can_be_set_at(event))
                .map(|(index, pick)| condition_that_holds(&facts, VARIABLES[*index].name, *pick))
                .collect();
            prop_assert!(rules.iter().all(|rule| condition_holds(rule, facts.get(&rule.field))));
            let rule = trigger(event, Combine::All, rules, vec![log_task("{{caller_number}}")]);
            // Conditions built from real values are never contradictory; the validator must agree.
            prop_assert_eq!(validate(&rule), Ok(()));
            let planned = evaluate(std::slice::from_ref(&rule), event, &facts);
            prop_assert_eq!(planned.len(), 1);
            let subject = if facts.caller_number.trim().is_empty() { String::new() } else { facts.caller_number };
            prop_assert_eq!(&planned[0].step, &Step::LogTask { fields: vec![("Subject".to_owned(), subject)] });
        }

        #[test]
        fn bounds_the_validator_calls_impossible_hold_for_no_duration(
            bounds in prop::collection::vec((any::<bool>(), -5i32..40), 1..4),
            durations in prop::collection::vec(0u64..60, 20),
        ) {
            let rules: Vec<Condition> = bounds
                .iter()
                .map(|(greater, bound)| {
                    let op = if *greater { Operator::GreaterThan } else { Operator::LessThan };
                    condition("duration", op, number(f64::from(*bound)))
                })
                .collect();
            let rule = trigger(TriggerEvent::CallEnded, Combine::All, rules, vec![log_task("x")]);
            let impossible = problems(&rule).iter().any(|(_, kind)| *kind == ProblemKind::Impossible);
            for duration in durations {
                let mut facts = facts();
                facts.duration_secs = Some(duration);
                let holds = conditions_hold(&rule.conditions, &facts);
                prop_assert!(!(impossible && holds), "called impossible, yet {duration} s satisfies {:?}", rule.conditions);
            }
        }

        #[test]
        fn rendering_arbitrary_facts_never_reintroduces_template_tags(facts in arbitrary_facts()) {
            let source = "{{caller_name}} / {{tags}} / {{custom.a|none}}";
            let rendered = render(source, &facts);
            let values = [facts.get("caller_name").render(), facts.get("tags").render(), facts.get("custom.a").render()];
            // The separators hold no braces, so every `{{` in the output came from a value, inserted as it was.
            let from_values: usize = values.iter().map(|value| value.matches("{{").count()).sum();
            prop_assert_eq!(rendered.matches("{{").count(), from_values);
        }
    }
}
