//! The bindings to Salesforce's Open CTI libraries: loading the right one from the org, marshalling each
//! `OpenCtiCall` onto it, and turning its callbacks and listeners back into adapter events.
//!
//! Lightning (`sforce.opencti`) takes one object argument and answers `{success, returnValue, errors}`; Classic
//! (`sforce.interaction`, `sforce.interaction.cti`) takes positional arguments and answers `{result, error}`, where
//! `result` is often a JSON string (`opencti.md` §1). Calls are made through `Reflect` because the libraries are
//! plain globals that appear only once their script has loaded.

use crate::dispatch;
use callpop_core::adapter::Event;
use callpop_core::call::Direction;
use callpop_core::open_cti::{OpenCtiCall, Ui};
use callpop_core::record::{RecordId, RecordMatch};
use js_sys::{Array, Function, JSON, Object, Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// Loads the UI's Open CTI library from the org and waits until it is ready.
pub(crate) async fn load(ui: Ui, org_origin: &str, api_version: &str) -> Result<(), JsValue> {
    let document = crate::dom::document();
    let script: web_sys::HtmlScriptElement = document.create_element("script")?.unchecked_into();
    script.set_src(&format!("{org_origin}{}", ui.library_path(api_version)));
    let loaded = Promise::new(&mut |resolve, reject| {
        script.set_onload(Some(&resolve));
        script.set_onerror(Some(&reject));
    });
    document.head().ok_or("the softphone page has no head")?.append_child(&script)?;
    JsFuture::from(loaded)
        .await
        .map_err(|_| JsValue::from_str("Salesforce's Open CTI library did not load from the org"))?;
    namespace(ui).map(|_| ())
}

/// `sforce.opencti` (Lightning) or `sforce.interaction` (Classic).
fn namespace(ui: Ui) -> Result<JsValue, JsValue> {
    let sforce = Reflect::get(&js_sys::global(), &"sforce".into())?;
    let name = match ui {
        Ui::Lightning => "opencti",
        Ui::Classic => "interaction",
    };
    let api = if sforce.is_object() { Reflect::get(&sforce, &name.into())? } else { JsValue::UNDEFINED };
    if api.is_object() { Ok(api) } else { Err(JsValue::from_str("Salesforce's Open CTI library did not start")) }
}

/// Calls `target[method](...arguments)`.
fn invoke(target: &JsValue, method: &str, arguments: &Array) -> Result<(), JsValue> {
    let function: Function = Reflect::get(target, &method.into())?.dyn_into()?;
    function.apply(target, arguments)?;
    Ok(())
}

/// An enum constant of the Lightning library (`sforce.opencti.SCREENPOP_TYPE.SOBJECT`), with the documented
/// wire value as a fallback.
fn lightning_constant(api: &JsValue, group: &str, name: &str, fallback: &str) -> JsValue {
    Reflect::get(api, &group.into())
        .ok()
        .filter(JsValue::is_object)
        .and_then(|constants| Reflect::get(&constants, &name.into()).ok())
        .filter(JsValue::is_string)
        .unwrap_or_else(|| fallback.into())
}

/// A Lightning response, read defensively.
struct LightningResponse {
    success: bool,
    return_value: JsValue,
    errors: String,
}

impl LightningResponse {
    fn read(response: &JsValue) -> Self {
        let success = Reflect::get(response, &"success".into()).ok().and_then(|value| value.as_bool()).unwrap_or(false);
        let return_value = Reflect::get(response, &"returnValue".into()).unwrap_or(JsValue::NULL);
        let errors = Reflect::get(response, &"errors".into())
            .ok()
            .filter(|errors| !errors.is_null() && !errors.is_undefined())
            .and_then(|errors| JSON::stringify(&errors).ok())
            .map(String::from)
            .unwrap_or_else(|| "unknown error".to_owned());
        Self { success, return_value, errors }
    }
}

/// A Classic response: `{result, error}`, plus `id` for `saveLog`.
struct ClassicResponse {
    result: JsValue,
    error: Option<String>,
    id: Option<String>,
}

impl ClassicResponse {
    fn read(response: &JsValue) -> Self {
        let field = |name: &str| Reflect::get(response, &name.into()).unwrap_or(JsValue::UNDEFINED);
        let error = field("error").as_string().filter(|error| !error.is_empty());
        Self { result: field("result"), error, id: field("id").as_string() }
    }

    /// `result` parsed when it is a JSON string, as it is for searches.
    fn parsed_result(&self) -> JsValue {
        match self.result.as_string() {
            Some(text) => JSON::parse(&text).unwrap_or(JsValue::NULL),
            None => self.result.clone(),
        }
    }
}

fn object(entries: &[(&str, JsValue)]) -> Object {
    let object = Object::new();
    for (key, value) in entries {
        let _ = Reflect::set(&object, &(*key).into(), value);
    }
    object
}

fn pairs_object(pairs: &[(String, String)]) -> Object {
    let object = Object::new();
    for (key, value) in pairs {
        let _ = Reflect::set(&object, &key.as_str().into(), &value.as_str().into());
    }
    object
}

/// Calls a Lightning method with `args` plus a callback that receives the parsed response.
fn lightning(
    method: &str,
    args: &Object,
    on_response: impl FnOnce(LightningResponse) + 'static,
) -> Result<(), JsValue> {
    let api = namespace(Ui::Lightning)?;
    let callback = Closure::once_into_js(move |response: JsValue| on_response(LightningResponse::read(&response)));
    Reflect::set(args, &"callback".into(), &callback)?;
    invoke(&api, method, &Array::of1(args))
}

/// Calls a Classic method (`cti.` prefix for `sforce.interaction.cti`) with positional arguments and a callback.
fn classic(
    method: &str,
    arguments: &[JsValue],
    on_response: impl FnOnce(ClassicResponse) + 'static,
) -> Result<(), JsValue> {
    let api = namespace(Ui::Classic)?;
    let (target, name) = match method.strip_prefix("cti.") {
        Some(name) => (Reflect::get(&api, &"cti".into())?, name),
        None => (api, method),
    };
    let arguments: Array = arguments.iter().collect();
    arguments.push(&Closure::once_into_js(move |response: JsValue| on_response(ClassicResponse::read(&response))));
    invoke(&target, name, &arguments)
}

fn failed(call_id: &str, message: String) {
    dispatch(Event::OpenCtiFailed { call_id: call_id.to_owned(), message });
}

/// Reports a Lightning failure for the call, if the response is one.
fn lightning_outcome(call_id: String) -> impl FnOnce(LightningResponse) + 'static {
    move |response| {
        if !response.success {
            failed(&call_id, response.errors);
        }
    }
}

fn classic_outcome(call_id: String) -> impl FnOnce(ClassicResponse) + 'static {
    move |response| {
        if let Some(error) = response.error {
            failed(&call_id, error);
        }
    }
}

/// Makes one Open CTI call for `call_id`.
pub(crate) fn perform(ui: Ui, call_id: &str, call: OpenCtiCall) {
    let id = call_id.to_owned();
    let outcome = match ui {
        Ui::Lightning => perform_lightning(id, call),
        Ui::Classic => perform_classic(id, call),
    };
    if let Err(error) = outcome {
        failed(call_id, error.as_string().unwrap_or_else(|| "the Open CTI call could not be made".to_owned()));
    }
}

fn call_type(direction: Direction) -> &'static str {
    match direction {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
    }
}

fn perform_lightning(call_id: String, call: OpenCtiCall) -> Result<(), JsValue> {
    let api = namespace(Ui::Lightning)?;
    let pop_type = |name: &str, fallback: &str| lightning_constant(&api, "SCREENPOP_TYPE", name, fallback);
    match call {
        OpenCtiCall::ShowPanel => {
            lightning("setSoftphonePanelVisibility", &object(&[("visible", true.into())]), lightning_outcome(call_id))
        }
        OpenCtiCall::EnableClickToDial => lightning("enableClickToDial", &Object::new(), lightning_outcome(call_id)),
        OpenCtiCall::Search { term, direction } => {
            let call_type_name = if direction == Direction::Inbound { "INBOUND" } else { "OUTBOUND" };
            let args = object(&[
                ("searchParams", term.into()),
                ("callType", lightning_constant(&api, "CALL_TYPE", call_type_name, call_type(direction))),
                ("deferred", true.into()),
            ]);
            lightning("searchAndScreenPop", &args, move |response| {
                if response.success {
                    dispatch(Event::SearchCompleted { call_id, matches: read_matches(&response.return_value) });
                } else {
                    failed(&call_id, response.errors);
                }
            })
        }
        OpenCtiCall::PopRecord { id } => {
            let params = object(&[("recordId", id.as_str().into())]);
            let args = object(&[("type", pop_type("SOBJECT", "sobject")), ("params", params.into())]);
            lightning("screenPop", &args, lightning_outcome(call_id))
        }
        OpenCtiCall::PopSearch { term } => {
            let params = object(&[("searchString", term.into())]);
            let args = object(&[("type", pop_type("SEARCH", "search")), ("params", params.into())]);
            lightning("screenPop", &args, lightning_outcome(call_id))
        }
        OpenCtiCall::PopUrl { url } => {
            let params = object(&[("url", url.into())]);
            let args = object(&[("type", pop_type("URL", "url")), ("params", params.into())]);
            lightning("screenPop", &args, lightning_outcome(call_id))
        }
        OpenCtiCall::NewRecordModal { entity, defaults } => {
            let params =
                object(&[("entityName", entity.into()), ("defaultFieldValues", pairs_object(&defaults).into())]);
            let args = object(&[("type", pop_type("NEW_RECORD_MODAL", "newRecord")), ("params", params.into())]);
            lightning("screenPop", &args, lightning_outcome(call_id))
        }
        OpenCtiCall::SetItemLabel { label } => {
            lightning("setSoftphoneItemLabel", &object(&[("label", label.into())]), lightning_outcome(call_id))
        }
        OpenCtiCall::CreateRecord { entity, fields } => {
            let value = pairs_object(&fields);
            Reflect::set(&value, &"entityApiName".into(), &entity.into())?;
            lightning("saveLog", &object(&[("value", value.into())]), move |response| {
                // The documentation says the id; orgs answer `{recordId}`. Both are read.
                let id = response.return_value.as_string().or_else(|| {
                    Reflect::get(&response.return_value, &"recordId".into()).ok().and_then(|id| id.as_string())
                });
                created(&call_id, response.success.then_some(id.as_deref()).flatten(), &response.errors);
            })
        }
    }
}

fn perform_classic(call_id: String, call: OpenCtiCall) -> Result<(), JsValue> {
    match call {
        OpenCtiCall::ShowPanel => classic("setVisible", &[true.into()], classic_outcome(call_id)),
        OpenCtiCall::EnableClickToDial => classic("cti.enableClickToDial", &[], classic_outcome(call_id)),
        OpenCtiCall::Search { term, direction } => {
            let arguments = [term.into(), "".into(), call_type(direction).into()];
            classic("searchAndGetScreenPopUrl", &arguments, move |response| match &response.error {
                Some(error) => failed(&call_id, error.clone()),
                None => dispatch(Event::SearchCompleted { call_id, matches: read_matches(&response.parsed_result()) }),
            })
        }
        OpenCtiCall::PopRecord { id } => {
            classic("screenPop", &[format!("/{}", id.short()).into(), true.into()], classic_outcome(call_id))
        }
        OpenCtiCall::PopUrl { url } => classic("screenPop", &[url.into(), true.into()], classic_outcome(call_id)),
        OpenCtiCall::PopSearch { term } => {
            let url = callpop_core::open_cti::classic_url("/_ui/search/ui/UnifiedSearchResults", &[("str", &term)]);
            classic("screenPop", &[url.into(), true.into()], classic_outcome(call_id))
        }
        OpenCtiCall::NewRecordModal { .. } => {
            Err(JsValue::from_str("Classic has no new-record modal; callpop pops the new-record page instead"))
        }
        // Classic's softphone has no utility-bar item to label.
        OpenCtiCall::SetItemLabel { .. } => Ok(()),
        OpenCtiCall::CreateRecord { entity, fields } => {
            let query = fields
                .iter()
                .map(|(field, value)| {
                    format!("{}={}", js_sys::encode_uri_component(field), js_sys::encode_uri_component(value))
                })
                .collect::<Vec<_>>()
                .join("&");
            classic("saveLog", &[entity.into(), query.into()], move |response| {
                let id = response.id.clone().or_else(|| response.result.as_string());
                created(
                    &call_id,
                    response.error.is_none().then_some(id.as_deref()).flatten(),
                    response.error.as_deref().unwrap_or("no id returned"),
                );
            })
        }
    }
}

fn created(call_id: &str, id: Option<&str>, error: &str) {
    match id.map(RecordId::parse) {
        Some(Ok(record)) => dispatch(Event::RecordCreated { call_id: call_id.to_owned(), record }),
        _ => failed(call_id, format!("the record was not created: {error}")),
    }
}

fn text_field(entry: &JsValue, names: &[&str]) -> Option<String> {
    names.iter().find_map(|name| {
        Reflect::get(entry, &(*name).into()).ok().and_then(|value| value.as_string()).filter(|value| !value.is_empty())
    })
}

/// The records of a search answer: an object keyed by record id, plus `SCREEN_POP_DATA`, which is not a record.
/// Lightning entries name their object `RecordType`, Classic ones `object`; both are read.
pub(crate) fn read_matches(answer: &JsValue) -> Vec<RecordMatch> {
    if !answer.is_object() {
        return Vec::new();
    }
    Object::keys(answer.unchecked_ref::<Object>())
        .iter()
        .filter_map(|key| key.as_string())
        .filter(|key| key != "SCREEN_POP_DATA")
        .filter_map(|key| {
            let entry = Reflect::get(answer, &key.as_str().into()).ok()?;
            let id = RecordId::parse(&text_field(&entry, &["Id"]).unwrap_or(key)).ok()?;
            let object =
                text_field(&entry, &["RecordType", "object"]).unwrap_or_else(|| id.object().api_name().to_owned());
            Some(RecordMatch {
                name: text_field(&entry, &["Name", "displayName"]).unwrap_or_else(|| id.as_str().to_owned()),
                phone: text_field(&entry, &["Phone", "MobilePhone"]),
                detail: text_field(&entry, &["Company", "AccountName", "Title"]),
                last_modified: text_field(&entry, &["LastModifiedDate"]),
                object,
                id,
            })
        })
        .collect()
}

/// Registers a listener for the page's lifetime: Lightning `{listener}`, Classic a bare function whose argument
/// carries a JSON string in `result`. `on_payload` gets the payload object either way.
fn register_listener(
    ui: Ui,
    lightning_method: &str,
    classic_method: &str,
    on_payload: fn(&JsValue),
) -> Result<(), JsValue> {
    let listener = Closure::<dyn Fn(JsValue)>::new(move |argument: JsValue| match ui {
        Ui::Lightning => on_payload(&argument),
        Ui::Classic => on_payload(&ClassicResponse::read(&argument).parsed_result()),
    });
    let api = namespace(ui)?;
    let registered = match (ui, classic_method.strip_prefix("cti.")) {
        (Ui::Lightning, _) => {
            invoke(&api, lightning_method, &Array::of1(&object(&[("listener", listener.as_ref().clone())])))
        }
        (Ui::Classic, Some(cti_method)) => {
            invoke(&Reflect::get(&api, &"cti".into())?, cti_method, &Array::of1(listener.as_ref()))
        }
        (Ui::Classic, None) => invoke(&api, classic_method, &Array::of1(listener.as_ref())),
    };
    listener.forget(); // Open CTI keeps calling it while the page lives.
    registered
}

/// The record id of a navigation or click-to-dial payload: `recordId` in Lightning, `objectId` in Classic.
fn payload_record(payload: &JsValue) -> Option<RecordId> {
    text_field(payload, &["recordId", "objectId"]).and_then(|id| RecordId::parse(&id).ok())
}

/// Registers the listeners that feed the adapter: navigation (to learn records the agent saves) and click-to-dial.
pub(crate) fn listen(ui: Ui) -> Result<(), JsValue> {
    register_listener(ui, "onNavigationChange", "onFocus", |payload| {
        if let Some(record) = payload_record(payload) {
            dispatch(Event::NavigatedTo { record });
        }
    })?;
    register_listener(ui, "onClickToDial", "cti.onClickToDial", |payload| {
        // The documentation types `number` as a number in places; accept either. A phone number sent as a number is
        // a whole one, written as an integer: formatting a float would add 5 KB to the download (PERFORMANCE.md).
        let number = text_field(payload, &["number"]).or_else(|| {
            Reflect::get(payload, &"number".into()).ok().and_then(|number| number.as_f64()).and_then(whole_number)
        });
        if let Some(number) = number {
            dispatch(Event::ClickToDial { number, record: payload_record(payload) });
        }
    })
}

/// `number` as the digits of a whole number, or `None` for a fraction or one too large to be exact.
pub(crate) fn whole_number(number: f64) -> Option<String> {
    // 2^53: every whole number below it is exact in a JavaScript number.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    #[allow(clippy::cast_possible_truncation)] // Whole and within ±2^53: exact.
    (number.fract() == 0.0 && number.abs() < EXACT).then(|| (number as i64).to_string())
}

/// Tells Salesforce the softphone is up, so it does not switch to a standby URL.
pub(crate) fn notify_initialization_complete(ui: Ui) -> Result<(), JsValue> {
    match ui {
        Ui::Lightning => lightning("notifyInitializationComplete", &Object::new(), |_| {}),
        Ui::Classic => {
            let cti = Reflect::get(&namespace(Ui::Classic)?, &"cti".into())?;
            invoke(&cti, "notifyInitializationComplete", &Array::new())
        }
    }
}
