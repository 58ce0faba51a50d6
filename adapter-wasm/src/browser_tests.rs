//! Tests of the shell in headless Chromium (`cargo test -p callpop-adapter --target wasm32-unknown-unknown`):
//! how Open CTI calls are marshalled onto a library, how search answers and the server's JSON are read, and that text
//! from Salesforce or callers is drawn literally. The decisions themselves are tested natively in callpop-core.

use crate::opencti;
use crate::server;
use crate::ui;
use callpop_core::adapter::{CallCard, Connection, DialogView, Tone, ViewChange};
use callpop_core::call::{CallState, Direction};
use callpop_core::open_cti::{OpenCtiCall, Ui};
use callpop_core::record::{RecordId, RecordMatch};
use callpop_core::wire::{ActivityAppend, CallUpdate, ChoiceReason, CommandRequest};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// Installs a stand-in `sforce.opencti` that records each call and answers every callback successfully.
fn fake_lightning_library() -> js_sys::Array {
    let setup = js_sys::Function::new_no_args(
        "const calls = [];
         window.sforce = { opencti: {
             SCREENPOP_TYPE: { SOBJECT: 'sobject', URL: 'url', SEARCH: 'search', NEW_RECORD_MODAL: 'newRecord' },
             CALL_TYPE: { INBOUND: 'inbound', OUTBOUND: 'outbound' } } };
         for (const name of ['screenPop', 'searchAndScreenPop', 'saveLog', 'setSoftphonePanelVisibility']) {
             window.sforce.opencti[name] = (args) => {
                 calls.push(JSON.stringify([name, args]));
                 if (args.callback) args.callback({ success: true, returnValue: null, errors: null });
             };
         }
         return calls;",
    );
    setup.call0(&JsValue::NULL).expect("installing the fake library").into()
}

#[wasm_bindgen_test]
fn a_record_pop_becomes_an_sobject_screen_pop() {
    let calls = fake_lightning_library();
    let id = RecordId::parse("003000000000001").unwrap();
    opencti::perform(Ui::Lightning, "c1", OpenCtiCall::PopRecord { id: id.clone() });
    let expected = format!(r#"["screenPop",{{"type":"sobject","params":{{"recordId":"{id}"}}}}]"#);
    assert_eq!(calls.get(0).as_string(), Some(expected));
}

#[wasm_bindgen_test]
fn a_new_lead_modal_carries_its_default_values() {
    let calls = fake_lightning_library();
    let defaults = vec![("Phone".to_owned(), "+14155550123".to_owned()), ("LeadSource".to_owned(), "Web".to_owned())];
    opencti::perform(Ui::Lightning, "c1", OpenCtiCall::NewRecordModal { entity: "Lead".to_owned(), defaults });
    let expected = r#"["screenPop",{"type":"newRecord","params":{"entityName":"Lead","defaultFieldValues":{"Phone":"+14155550123","LeadSource":"Web"}}}]"#;
    assert_eq!(calls.get(0).as_string().as_deref(), Some(expected));
}

#[wasm_bindgen_test]
fn a_search_answer_counts_records_and_ignores_the_pop_data() {
    let answer = js_sys::JSON::parse(
        r#"{"003000000000001AAA": {"Id": "003000000000001AAA", "Name": "Ada Lovelace", "RecordType": "Contact",
                                    "Phone": "(415) 555-2671", "LastModifiedDate": "2026-11-01T10:00:00.000Z"},
            "00Q000000000002": {"Name": "Alan Turing", "object": "Lead", "Company": "Bletchley Labs"},
            "SCREEN_POP_DATA": {"type": "sobject", "params": {"recordId": "003000000000001AAA"}}}"#,
    )
    .unwrap();
    let matches: Vec<RecordMatch> = opencti::read_matches(&answer);
    assert_eq!(matches.len(), 2);
    assert_eq!((matches[0].name.as_str(), matches[0].object.as_str()), ("Ada Lovelace", "Contact"));
    assert_eq!(matches[1].detail.as_deref(), Some("Bletchley Labs"), "Classic entries name their object `object`");
    assert_eq!(matches[1].object, "Lead");
}

fn mount_regions() -> web_sys::Element {
    // The test runner reports through elements of its own in the body: add ours beside them, once.
    let document = crate::dom::document();
    if let Some(previous) = document.get_element_by_id("softphone-regions") {
        previous.remove();
    }
    let regions = document.create_element("div").expect("a div");
    regions.set_id("softphone-regions");
    regions
        .set_inner_html(r#"<span id="connection"></span><section id="calls"></section><div id="dialog-root"></div>"#);
    document.body().expect("a body").append_child(&regions).expect("adding the regions");
    document.get_element_by_id("calls").expect("the calls region")
}

const HOSTILE: &str = "<img src=x onerror=alert(1)>";

fn ringing_card(call_id: &str) -> CallCard {
    CallCard {
        call_id: call_id.to_owned(),
        direction: Direction::Inbound,
        caller_number: "+14155552671".to_owned(),
        caller_name: None,
        tracking_source: None,
        campaign: None,
        status: "Incoming call".to_owned(),
        logged_to: None,
        server_record: None,
        tone: Tone::Ringing,
        can_answer: true,
        resume: None,
        controls: None,
        wrap_up: None,
    }
}

fn change(changed: Vec<CallCard>, removed: &[&str]) -> ViewChange {
    ViewChange {
        connection: Connection::Live,
        changed,
        removed: removed.iter().map(|call_id| (*call_id).to_owned()).collect(),
        dialog: None,
        notice: None,
        resume: None,
    }
}

#[wasm_bindgen_test]
fn names_from_salesforce_and_callers_are_drawn_as_text() {
    let calls = mount_regions();
    let card = CallCard {
        caller_name: Some(HOSTILE.to_owned()),
        tracking_source: Some("<b>Ads</b>".to_owned()),
        ..ringing_card("hostile-1")
    };
    let hostile_match = RecordMatch {
        id: RecordId::parse("003000000000001").unwrap(),
        object: "Contact".to_owned(),
        name: HOSTILE.to_owned(),
        phone: None,
        detail: None,
        last_modified: None,
    };
    let dialog = DialogView {
        call_id: "hostile-1".to_owned(),
        caller_number: "+14155552671".to_owned(),
        matches: vec![hostile_match],
        remembered: None,
    };
    ui::render(&ViewChange { dialog: Some(dialog), ..change(vec![card], &[]) });

    let document = crate::dom::document();
    assert!(document.query_selector("img").unwrap().is_none(), "no element came from the name");
    assert!(document.query_selector("b").unwrap().is_none());
    assert!(calls.text_content().unwrap_or_default().contains(HOSTILE), "the name shows literally");
    let option = document.query_selector("[role=option] .match-name").unwrap().expect("the dialog lists the match");
    assert_eq!(option.text_content().as_deref(), Some(HOSTILE));
}

#[wasm_bindgen_test]
fn a_change_redraws_only_its_calls_in_place_and_adds_new_ones_last() {
    let calls = mount_regions();
    let ids = || -> Vec<String> {
        let cards = calls.query_selector_all("article.call").expect("a query");
        (0..cards.length())
            .filter_map(|index| cards.item(index))
            .filter_map(|node| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(node).ok())
            .filter_map(|card| card.get_attribute("data-call-id"))
            .collect()
    };
    ui::render(&change(vec![ringing_card("order-1"), ringing_card("order-2"), ringing_card("order-3")], &[]));
    let untouched = calls.query_selector("[data-call-id='order-3']").unwrap().expect("the third card");
    let answered = CallCard { status: "In call".to_owned(), can_answer: false, ..ringing_card("order-1") };
    ui::render(&change(vec![answered, ringing_card("order-4")], &["order-2"]));
    assert_eq!(ids(), ["order-1", "order-3", "order-4"]);
    let status = calls.query_selector("[data-call-id='order-1'] .status").unwrap().expect("a status");
    assert_eq!(status.text_content().as_deref(), Some("In call"));
    let still = calls.query_selector("[data-call-id='order-3']").unwrap().expect("the third card");
    assert!(untouched.is_same_node(Some(&still)), "a call that did not change is not redrawn");

    ui::render(&change(Vec::new(), &["order-1", "order-3", "order-4"]));
    assert_eq!(calls.text_content().as_deref(), Some("No calls right now. Incoming calls ring here."));
}

#[wasm_bindgen_test]
fn a_click_to_dial_number_sent_as_a_javascript_number_is_read_as_its_digits() {
    assert_eq!(opencti::whole_number(14_155_552_671.0).as_deref(), Some("14155552671"));
    assert_eq!(opencti::whole_number(-0.0).as_deref(), Some("0"));
    assert_eq!(opencti::whole_number(1.5), None, "not a phone number");
    assert_eq!(opencti::whole_number(1e300), None, "too large to be exact");
}

#[wasm_bindgen_test]
fn a_call_from_the_server_is_read_with_its_escapes_and_without_the_fields_it_does_not_know() {
    let text = r#"{"call_id": "c1", "state": "answered", "direction": "inbound", "caller_number": "+14155552671",
        "caller_name": "Zo\u00eb \"Z\" 😀\tTab \\ back\/slash\n", "tracking_source": null, "campaign": "Spring",
        "started_at": "2026-12-07T18:00:00Z", "a_later_field": {"score": 1.5e3, "list": [1, null, true, "x"]},
        "options": {"legacy_mode": true, "local_number_format": false, "full_region_names": false,
                    "edit_mode": false, "auto_create_classic": false, "multi_match_dialog": true,
                    "limit_data_access": false},
        "control": {"held": true, "pending": "mute"}}"#;
    let update: CallUpdate = server::from_json(text).expect("a call the server sends");
    assert_eq!(update.caller_name.as_deref(), Some("Zoë \"Z\" 😀\tTab \\ back/slash\n"));
    assert_eq!(
        (update.state, update.campaign.as_deref(), update.tracking_source),
        (CallState::Answered, Some("Spring"), None)
    );
    assert!(update.options.legacy_mode && update.options.multi_match_dialog);
    assert!(update.control.held && !update.control.muted);
    assert!(server::from_json::<CallUpdate>(r#"{"call_id": "c1"}"#).is_err(), "a call without its state");
    assert!(server::from_json::<CallUpdate>("not json").is_err());
}

#[wasm_bindgen_test]
fn the_queued_appends_read_back_as_they_were_written() {
    let queue = vec![ActivityAppend {
        call_id: "c\"1\"".to_owned(),
        record_id: "003000000000001".to_owned(),
        record_type: "Contact — ü".to_owned(),
        chosen_by: ChoiceReason::AgentChoice,
    }];
    let text = server::to_json(&queue).expect("the queue as JSON");
    assert_eq!(text, the_browsers_json(&text), "written as the browser's JSON.stringify writes it");
    assert_eq!(server::from_json::<Vec<ActivityAppend>>(&text).ok(), Some(queue));
}

/// `text` parsed and written again by the browser.
fn the_browsers_json(text: &str) -> String {
    js_sys::JSON::stringify(&js_sys::JSON::parse(text).expect("JSON the browser reads")).unwrap().into()
}

#[wasm_bindgen_test]
fn a_command_is_sent_as_the_browser_would_write_it() {
    let digits = CommandRequest::SendDigits { digits: "1#\\n\u{7}".to_owned() };
    let text = server::to_json(&digits).expect("the command as JSON");
    assert_eq!(text, the_browsers_json(&text));
    assert_eq!(text, r#"{"command":"send_digits","digits":"1#\\n\u0007"}"#);
}
