//! Drawing the call controls: the buttons of a call's card (Hang up, Hold or Resume, Mute or Unmute, Transfer,
//! Keypad), the card's transfer form and keypad, and the dial pad shown when no call is in the panel.
//!
//! What each button may do and what the card says come from core (`control::card_controls`); this module only
//! draws them and turns clicks into `Event::ControlClicked` (or `Event::ClickToDial` for the idle dial pad's
//! number). Which of a card's two small forms is open is the page's own state, kept across the card's redraws.

use crate::dispatch;
use crate::dom::{El, by_id, focus};
use callpop_core::adapter::Event;
use callpop_core::control::{CommandKind, CommandRequest, ControlsView};
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement};

/// A card's form that is open: the transfer form or the keypad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Panel {
    Transfer,
    Keypad,
}

thread_local! {
    /// The call whose transfer form or keypad is open, at most one.
    static OPEN: RefCell<Option<(String, Panel)>> = const { RefCell::new(None) };
    /// The controls last drawn for each call, to redraw them in place when a form opens or closes.
    static DRAWN: RefCell<HashMap<String, ControlsView>> = RefCell::new(HashMap::new());
}

/// The keys of a telephone keypad, in its layout.
const KEYS: [&str; 12] = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];

fn label(kind: CommandKind) -> &'static str {
    match kind {
        CommandKind::HangUp => "Hang up",
        CommandKind::Hold => "Hold",
        CommandKind::Resume => "Resume",
        CommandKind::Mute => "Mute",
        CommandKind::Unmute => "Unmute",
        CommandKind::Transfer => "Transfer",
        CommandKind::SendDigits => "Keypad",
    }
}

/// The controls of one call's card.
pub(crate) fn controls(call_id: &str, view: &ControlsView) -> El {
    DRAWN.with(|drawn| drawn.borrow_mut().insert(call_id.to_owned(), view.clone()));
    let open = OPEN.with(|open| open.borrow().clone()).filter(|(open, _)| open == call_id).map(|(_, panel)| panel);
    let buttons = view.buttons.iter().map(|(kind, enabled)| {
        let mut button = El::new("button")
            .attr("type", "button")
            .class(if *kind == CommandKind::HangUp { "control hang-up" } else { "control" })
            .attr("data-control", kind.as_str())
            .text(label(*kind));
        let toggles = match kind {
            CommandKind::Transfer => Some(Panel::Transfer),
            CommandKind::SendDigits => Some(Panel::Keypad),
            _ => None,
        };
        if let Some(panel) = toggles {
            button = button.attr("aria-expanded", if open == Some(panel) { "true" } else { "false" });
        }
        if !enabled {
            button = button.attr("disabled", "");
        }
        button
    });
    let mut element = El::new("div").class("controls").attr("data-controls", call_id);
    if let Some(status) = &view.status {
        element = element.child(
            El::new("p")
                .class("control-status")
                .attr("role", "status")
                .attr("data-control-status", status)
                .text(status),
        );
    }
    element = element.child(El::new("div").class("control-buttons").children(buttons));
    let enabled = |kind: CommandKind| view.buttons.iter().any(|(shown, enabled)| *shown == kind && *enabled);
    match open {
        Some(Panel::Transfer) if enabled(CommandKind::Transfer) => element.child(transfer_form()),
        Some(Panel::Keypad) if enabled(CommandKind::SendDigits) => element.child(keypad("data-digit")),
        _ => element,
    }
}

fn transfer_form() -> El {
    El::new("form")
        .class("transfer")
        .attr("data-transfer-form", "")
        .child(El::new("label").attr("for", "transfer-to").text("Transfer to (number or agent's email)"))
        .child(
            El::new("input")
                .attr("id", "transfer-to")
                .attr("name", "to")
                .attr("type", "text")
                .attr("autocomplete", "off")
                .attr("required", ""),
        )
        .child(El::new("button").attr("type", "submit").class("control").text("Transfer now"))
}

/// A keypad whose keys carry `attribute` (`data-digit` on a card, `data-dial-key` on the idle dial pad).
fn keypad(attribute: &str) -> El {
    let keys = KEYS.iter().map(|key| {
        El::new("button").attr("type", "button").class("key").attr(attribute, key).attr("aria-label", key).text(key)
    });
    El::new("div").class("keypad").attr("role", "group").attr("aria-label", "Keypad").children(keys)
}

/// Forgets the controls of a call that left the panel.
pub(crate) fn forget(call_id: &str) {
    DRAWN.with(|drawn| drawn.borrow_mut().remove(call_id));
}

/// A click in the calls region: a control button, a keypad key. True when it was one of them.
pub(crate) fn on_click(event: &web_sys::Event) -> bool {
    let Some(target) = event.target().and_then(|target| target.dyn_into::<Element>().ok()) else { return false };
    let Some(card) = target.closest("[data-controls]").ok().flatten() else { return false };
    let Some(call_id) = card.get_attribute("data-controls") else { return false };
    if let Some(key) = target.closest("[data-digit]").ok().flatten().and_then(|key| key.get_attribute("data-digit")) {
        dispatch(Event::ControlClicked { call_id, command: CommandRequest::SendDigits { digits: key } });
        return true;
    }
    let Some(button) = target.closest("[data-control]").ok().flatten() else { return false };
    let command = match button.get_attribute("data-control").as_deref().and_then(CommandKind::parse) {
        Some(CommandKind::HangUp) => CommandRequest::HangUp,
        Some(CommandKind::Hold) => CommandRequest::Hold,
        Some(CommandKind::Resume) => CommandRequest::Resume,
        Some(CommandKind::Mute) => CommandRequest::Mute,
        Some(CommandKind::Unmute) => CommandRequest::Unmute,
        Some(CommandKind::Transfer) => return toggle(&call_id, Panel::Transfer),
        Some(CommandKind::SendDigits) => return toggle(&call_id, Panel::Keypad),
        None => return false,
    };
    dispatch(Event::ControlClicked { call_id, command });
    true
}

/// Opens or closes a card's transfer form or keypad, and redraws the card's controls in place.
fn toggle(call_id: &str, panel: Panel) -> bool {
    OPEN.with(|open| {
        let mut open = open.borrow_mut();
        *open = match open.as_ref() {
            Some((shown, was)) if shown == call_id && *was == panel => None,
            _ => Some((call_id.to_owned(), panel)),
        };
    });
    let view = DRAWN.with(|drawn| drawn.borrow().get(call_id).cloned());
    let shown = crate::dom::document().get_element_by_id(&format!("call-{call_id}"));
    let shown = shown.and_then(|card| card.query_selector("[data-controls]").ok().flatten());
    if let (Some(view), Some(shown)) = (view, shown) {
        let _ = shown.replace_with_with_node_1(&controls(call_id, &view).build());
    }
    if let (Panel::Transfer, Some(input)) = (panel, by_id("transfer-to")) {
        focus(&input);
    }
    true
}

/// The transfer form was submitted: a number, or an agent's email (it has an `@`).
pub(crate) fn on_submit(event: &web_sys::Event) -> bool {
    let Some(form) = event.target().and_then(|target| target.dyn_into::<Element>().ok()) else { return false };
    if !form.has_attribute("data-transfer-form") {
        return false;
    }
    event.prevent_default();
    let Some(call_id) =
        form.closest("[data-controls]").ok().flatten().and_then(|card| card.get_attribute("data-controls"))
    else {
        return true;
    };
    let to = input_value(&form, "input[name=to]");
    let to = to.trim();
    let command = if to.contains('@') {
        CommandRequest::Transfer { to_number: None, to_agent: Some(to.to_owned()) }
    } else {
        CommandRequest::Transfer { to_number: Some(to.to_owned()), to_agent: None }
    };
    OPEN.with(|open| open.borrow_mut().take());
    dispatch(Event::ControlClicked { call_id, command });
    true
}

fn input_value(within: &Element, selector: &str) -> String {
    within
        .query_selector(selector)
        .ok()
        .flatten()
        .and_then(|input| input.dyn_into::<HtmlInputElement>().ok())
        .map(|input| input.value())
        .unwrap_or_default()
}

/// Fills the idle dial pad (`#dialpad`): a disclosure with the number, the keypad and Call.
pub(crate) fn mount_dialpad() {
    let Some(region) = by_id("dialpad") else { return };
    let form = El::new("form")
        .attr("id", "dialpad-form")
        .child(El::new("label").attr("for", "dialpad-number").text("Number to call"))
        .child(
            El::new("input")
                .attr("id", "dialpad-number")
                .attr("name", "number")
                .attr("type", "tel")
                .attr("autocomplete", "off")
                .attr("required", ""),
        )
        .child(keypad("data-dial-key"))
        .child(El::new("button").attr("type", "submit").class("primary call-button").text("Call"));
    let details = El::new("details").child(El::new("summary").text("Dial pad")).child(form).build();
    let _ = region.append_child(&details);
    let listen = |event: &str, handler: fn(&web_sys::Event)| {
        let closure = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::Event)>::new(move |event| handler(&event));
        let _ = region.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
        closure.forget(); // The dial pad lives as long as the page.
    };
    listen("click", |event| {
        let Some(target) = event.target().and_then(|target| target.dyn_into::<Element>().ok()) else { return };
        let Some(key) =
            target.closest("[data-dial-key]").ok().flatten().and_then(|key| key.get_attribute("data-dial-key"))
        else {
            return;
        };
        if let Some(input) = by_id("dialpad-number").and_then(|input| input.dyn_into::<HtmlInputElement>().ok()) {
            input.set_value(&format!("{}{key}", input.value()));
        }
    });
    listen("submit", |event| {
        event.prevent_default();
        let Some(input) = by_id("dialpad-number").and_then(|input| input.dyn_into::<HtmlInputElement>().ok()) else {
            return;
        };
        let number = input.value().trim().to_owned();
        if !number.is_empty() {
            input.set_value("");
            dispatch(Event::ClickToDial { number, record: None });
        }
    });
}

/// The idle dial pad places an outbound call. It shows with the calls when none is in the panel; during a call the
/// card's keypad sends digits instead, and the Recent list has its own Call back.
pub(crate) fn update_dialpad() {
    if let Some(calls) = by_id("calls") {
        let idle = calls.query_selector(".call").ok().flatten().is_none();
        if let Some(dialpad) = by_id("dialpad") {
            let hidden = !idle || calls.has_attribute("hidden");
            let _ = if hidden { dialpad.set_attribute("hidden", "") } else { dialpad.remove_attribute("hidden") };
        }
    }
}
