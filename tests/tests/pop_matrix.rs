//! The softphone table of `behaviour.md`, row by row, in a real browser, in both UIs. One runner, one row per case.
//! Each row sets the account's options through the settings API, rings the softphone, answers like an agent, then
//! asserts what the org's page shows, the Open CTI pops the org received (which, how many), and the activity
//! appends the server holds.

use callpop_core::open_cti::Ui;
use callpop_core::options::IntegrationOptions;
use callpop_e2e::{Stack, start_signed_in};
use callpop_sandbox::seed::numbers;
use fantoccini::Locator;
use serde_json::{Value, json};
use std::time::Duration;

/// Who calls.
#[derive(Debug, Clone, Copy)]
enum Caller {
    /// Ada Lovelace's number: one Contact.
    OneContact,
    /// Nobody's number.
    Unknown,
    /// Grace Hopper's number: a Contact and two Leads.
    Several,
    /// Alan Turing's number, with the server (legacy mode) naming his Lead before the agent answers.
    ServerNamed,
}

/// What the agent does after the pop.
#[derive(Debug, Clone, Copy)]
enum AgentDoes {
    Nothing,
    /// Picks the first record the dialog offers (the newest: Grace Hopper's Contact).
    PicksFirst,
    /// Completes the pre-filled new-Lead form and saves it.
    SavesTheForm,
}

/// The record a row is about, by last name, or the Lead the agent creates.
#[derive(Debug, Clone, Copy)]
enum Target {
    Named(&'static str),
    CreatedLead,
}

/// What the org's page shows at the end.
#[derive(Debug, Clone, Copy)]
enum Page {
    Record(Target),
    EditForm(&'static str),
    SearchResults,
}

/// The pops the org received, in order.
#[derive(Debug, Clone, Copy)]
enum Pop {
    Record(Target),
    EditOf(&'static str),
    NewLeadForm,
    Search,
}

#[derive(Debug)]
struct Case {
    ui: Ui,
    edit_mode: bool,
    auto_create: bool,
    dialog: bool,
    caller: Caller,
    agent: AgentDoes,
    pops: &'static [Pop],
    page: Page,
    /// The append the softphone makes: the record and how it was chosen. `None`: it leaves the call to the server.
    append: Option<(Target, &'static str)>,
}

const NEW_LEAD_LAST_NAME: &str = "Byron";
const NEW_LEAD_COMPANY: &str = "Newstead Abbey";

impl Case {
    fn number(&self) -> &'static str {
        match self.caller {
            Caller::OneContact => numbers::ONE_CONTACT,
            Caller::Unknown => numbers::NOBODY,
            Caller::Several => numbers::SEVERAL,
            Caller::ServerNamed => numbers::ONE_LEAD,
        }
    }
}

async fn record_id(stack: &Stack, target: Target) -> anyhow::Result<String> {
    let (object, last_name) = match target {
        Target::Named("Lovelace") => ("Contact", "Lovelace"),
        Target::Named("Turing") => ("Lead", "Turing"),
        Target::Named("Hopper") => ("Contact", "Hopper"),
        Target::Named(other) => anyhow::bail!("no seeded record named {other}"),
        Target::CreatedLead => ("Lead", NEW_LEAD_LAST_NAME),
    };
    let records = stack.org_records_where(object, "LastName", last_name).await?;
    anyhow::ensure!(records.len() == 1, "expected one {object} {last_name}, found {}", records.len());
    Ok(records[0]["Id"].as_str().unwrap_or_default().to_owned())
}

/// A pop as the org's log records it, for this case's UI.
async fn expected_pop(stack: &Stack, ui: Ui, pop: Pop, number: &str) -> anyhow::Result<Value> {
    let encoded: String = number.replace('+', "%2B");
    Ok(match (ui, pop) {
        (Ui::Lightning, Pop::Record(target)) => {
            json!({"type": "sobject", "params": {"recordId": record_id(stack, target).await?}})
        }
        (Ui::Lightning, Pop::EditOf(name)) => {
            let id = record_id(stack, Target::Named(name)).await?;
            let object = callpop_core::record::RecordId::parse(&id)?.object().api_name();
            json!({"type": "url", "params": {"url": format!("/lightning/r/{object}/{id}/edit")}})
        }
        (Ui::Lightning, Pop::NewLeadForm) => {
            json!({"type": "newRecord", "params": {"entityName": "Lead", "defaultFieldValues": {"Phone": number, "LeadSource": "Google Ads"}}})
        }
        (Ui::Lightning, Pop::Search) => json!({"type": "search", "params": {"searchString": number}}),
        (Ui::Classic, Pop::Record(target)) => json!([format!("/{}", &record_id(stack, target).await?[..15]), true]),
        (Ui::Classic, Pop::EditOf(name)) => {
            json!([format!("/{}/e", &record_id(stack, Target::Named(name)).await?[..15]), true])
        }
        (Ui::Classic, Pop::NewLeadForm) => json!([format!("/00Q/e?lea8={encoded}&lea5=Google%20Ads"), true]),
        (Ui::Classic, Pop::Search) => json!([format!("/_ui/search/ui/UnifiedSearchResults?str={encoded}"), true]),
    })
}

async fn run(case: Case) -> anyhow::Result<()> {
    let (stack, browser) = start_signed_in(case.ui).await?;
    let options = IntegrationOptions {
        legacy_mode: matches!(case.caller, Caller::ServerNamed),
        edit_mode: case.edit_mode,
        auto_create_classic: case.auto_create,
        multi_match_dialog: case.dialog,
        ..IntegrationOptions::default()
    };
    stack.set_options(&options).await?;
    let call_id = format!("MX-{:?}-{:?}", case.ui, case.caller);
    let number = case.number();
    stack.post_call_event(&call_id, "ringing", number).await?;
    let card = format!("article.call[data-call-id='{call_id}']");
    if let Caller::ServerNamed = case.caller {
        let turing = record_id(&stack, Target::Named("Turing")).await?;
        stack.name_record(&call_id, &turing).await?;
        browser.wait_for(&format!("{card}[data-server-record='{turing}']")).await?;
    }
    browser.wait_for(&format!("[data-answer='{call_id}']")).await?.click().await?;

    match case.agent {
        AgentDoes::Nothing => {}
        AgentDoes::PicksFirst => browser.wait_for("[role=option][data-pick]").await?.click().await?,
        AgentDoes::SavesTheForm => {
            browser.wait_for(&format!("{card} [data-status='New caller: complete the Lead and save it']")).await?;
            browser.leave_softphone().await?;
            if case.ui == Ui::Classic {
                // The console footer's softphone covers the page; Lightning's modal sits above the utility panel.
                browser.minimize_softphone().await?;
            }
            browser.save_new_lead_form(number, NEW_LEAD_LAST_NAME, NEW_LEAD_COMPANY).await?;
            browser.enter_softphone().await?;
        }
    }
    browser.wait_for(&format!("{card} [data-status='In call']")).await?;
    browser.leave_softphone().await?;

    match case.page {
        Page::Record(target) => {
            let id = record_id(&stack, target).await?;
            browser.wait_for(&format!("[data-page='record'][data-record-id='{id}']")).await?;
        }
        Page::EditForm(name) => {
            let id = record_id(&stack, Target::Named(name)).await?;
            let object = callpop_core::record::RecordId::parse(&id)?.object().api_name();
            let form = browser.wait_for(&format!("form[data-form-object='{object}']")).await?;
            let last_name = form.find(Locator::Css("input[name='LastName']")).await?.prop("value").await?;
            assert_eq!(last_name.as_deref(), Some(name), "the edit form is the record's");
            // Each UI's own address for a record's edit form: Lightning's page, the Classic console's tab.
            if case.ui == Ui::Lightning {
                let path = browser.client.current_url().await?.path().to_owned();
                assert_eq!(path, format!("/lightning/r/{object}/{id}/edit"), "the page's address");
            } else {
                browser.wait_for(&format!("[role=tab][aria-selected='true'][data-tab-url='/{}/e']", &id[..15])).await?;
            }
        }
        Page::SearchResults => {
            browser.wait_for(&format!("[data-page='search'][data-term='{number}']")).await?;
        }
    }

    // Give the page a moment to log anything it would wrongly do after the expected pops.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = stack.opencti_log().await?;
    let pops: Vec<Value> =
        log.iter().filter(|entry| entry.method == "screenPop").map(|entry| entry.args.clone()).collect();
    let mut expected = Vec::new();
    for pop in case.pops {
        expected.push(expected_pop(&stack, case.ui, *pop, number).await?);
    }
    assert_eq!(pops, expected, "the pops the org received ({case:?})");

    let appends = stack.appends(&call_id).await?;
    let expected_appends = match case.append {
        Some((target, chosen_by)) => vec![(record_id(&stack, target).await?, chosen_by.to_owned())],
        None => Vec::new(),
    };
    assert_eq!(appends, expected_appends, "the activity appends the server holds ({case:?})");
    Ok(())
}

/// One test per row of the table.
macro_rules! rows {
    ($($name:ident: $case:expr;)*) => {
        $(
            #[tokio::test]
            async fn $name() -> anyhow::Result<()> {
                run($case).await
            }
        )*
    };
}

const DEFAULTS: Case = Case {
    ui: Ui::Lightning,
    edit_mode: false,
    auto_create: true,
    dialog: true,
    caller: Caller::OneContact,
    agent: AgentDoes::Nothing,
    pops: &[Pop::Record(Target::Named("Lovelace"))],
    page: Page::Record(Target::Named("Lovelace")),
    append: Some((Target::Named("Lovelace"), "single_match")),
};

rows! {
    lightning_one_match_pops_the_record_and_appends: Case { ..DEFAULTS };
    lightning_one_match_in_edit_mode_also_opens_its_edit_page: Case {
        edit_mode: true,
        pops: &[Pop::Record(Target::Named("Lovelace")), Pop::EditOf("Lovelace")],
        page: Page::EditForm("Lovelace"),
        ..DEFAULTS
    };
    lightning_no_match_opens_a_prefilled_new_lead_and_appends_to_the_saved_one: Case {
        caller: Caller::Unknown,
        agent: AgentDoes::SavesTheForm,
        pops: &[Pop::NewLeadForm],
        page: Page::Record(Target::CreatedLead),
        append: Some((Target::CreatedLead, "new_record")),
        ..DEFAULTS
    };
    lightning_several_matches_with_the_dialog_pop_and_append_the_pick: Case {
        caller: Caller::Several,
        agent: AgentDoes::PicksFirst,
        pops: &[Pop::Record(Target::Named("Hopper"))],
        page: Page::Record(Target::Named("Hopper")),
        append: Some((Target::Named("Hopper"), "agent_choice")),
        ..DEFAULTS
    };
    lightning_several_matches_without_the_dialog_show_the_search_page: Case {
        caller: Caller::Several,
        dialog: false,
        pops: &[Pop::Search],
        page: Page::SearchResults,
        append: None,
        ..DEFAULTS
    };
    lightning_legacy_mode_pops_the_record_the_server_chose: Case {
        caller: Caller::ServerNamed,
        pops: &[Pop::Record(Target::Named("Turing"))],
        page: Page::Record(Target::Named("Turing")),
        append: None,
        ..DEFAULTS
    };
    classic_one_match_pops_the_record_by_url_and_appends: Case { ui: Ui::Classic, ..DEFAULTS };
    classic_one_match_in_edit_mode_pops_its_edit_page: Case {
        ui: Ui::Classic,
        edit_mode: true,
        pops: &[Pop::EditOf("Lovelace")],
        page: Page::EditForm("Lovelace"),
        ..DEFAULTS
    };
    classic_no_match_in_edit_mode_opens_an_unsaved_prefilled_form: Case {
        ui: Ui::Classic,
        edit_mode: true,
        caller: Caller::Unknown,
        agent: AgentDoes::SavesTheForm,
        pops: &[Pop::NewLeadForm],
        page: Page::Record(Target::CreatedLead),
        append: Some((Target::CreatedLead, "new_record")),
        ..DEFAULTS
    };
    classic_no_match_without_auto_create_opens_the_prefilled_form: Case {
        ui: Ui::Classic,
        auto_create: false,
        caller: Caller::Unknown,
        agent: AgentDoes::SavesTheForm,
        pops: &[Pop::NewLeadForm],
        page: Page::Record(Target::CreatedLead),
        append: Some((Target::CreatedLead, "new_record")),
        ..DEFAULTS
    };
    classic_several_matches_with_the_dialog_pop_the_pick_by_url: Case {
        ui: Ui::Classic,
        caller: Caller::Several,
        agent: AgentDoes::PicksFirst,
        pops: &[Pop::Record(Target::Named("Hopper"))],
        page: Page::Record(Target::Named("Hopper")),
        append: Some((Target::Named("Hopper"), "agent_choice")),
        ..DEFAULTS
    };
    classic_several_matches_without_the_dialog_show_the_search_page: Case {
        ui: Ui::Classic,
        caller: Caller::Several,
        dialog: false,
        pops: &[Pop::Search],
        page: Page::SearchResults,
        append: None,
        ..DEFAULTS
    };
    classic_legacy_mode_pops_the_record_the_server_chose: Case {
        ui: Ui::Classic,
        caller: Caller::ServerNamed,
        pops: &[Pop::Record(Target::Named("Turing"))],
        page: Page::Record(Target::Named("Turing")),
        append: None,
        ..DEFAULTS
    };
    classic_legacy_mode_in_edit_mode_pops_the_record_to_edit: Case {
        ui: Ui::Classic,
        edit_mode: true,
        caller: Caller::ServerNamed,
        pops: &[Pop::EditOf("Turing")],
        page: Page::EditForm("Turing"),
        append: None,
        ..DEFAULTS
    };
}
