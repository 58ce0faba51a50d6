//! Drawing the softphone: the sign-in form, the calls, and the multi-match dialog, from core's `ViewChange`.
//!
//! The page (`static/softphone/index.html`) holds the fixed structure; this module fills it. Clicks and keys reach
//! the adapter through one delegated listener per region, so redrawing never leaks handlers. Every value from
//! Salesforce or the caller is set as text.

use crate::dom::{El, by_id, closest_data, focus, listen, replace_children};
use crate::{controls_ui, dispatch, server, wrap_up_ui};
use callpop_core::adapter::{CallCard, Connection, DialogView, Event, Tone, ViewChange};
use callpop_core::call::Direction;
use callpop_core::open_cti::Ui;
use callpop_core::record::{RecordId, RecordMatch};
use std::cell::RefCell;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, HtmlInputElement, KeyboardEvent};

/// The dialog on screen: its call, the records it offers, and which one the keyboard is on.
#[derive(Debug)]
struct OpenDialog {
    call_id: String,
    record_ids: Vec<String>,
    active: usize,
}

thread_local! {
    static DIALOG: RefCell<Option<OpenDialog>> = const { RefCell::new(None) };
}

/// The element id of a call's card: the browser finds it by id at once, however many cards there are.
fn card_id(call_id: &str) -> String {
    format!("call-{call_id}")
}

/// Wires the page's regions to the adapter. Called once, before anything is drawn.
pub(crate) fn mount(ui: Ui) {
    if let Some(app) = by_id("app") {
        let _ = app.set_attribute("data-ui", if ui == Ui::Lightning { "lightning" } else { "classic" });
    }
    if let Some(calls) = by_id("calls") {
        listen(&calls, "click", |event| {
            if let Some((button, call_id)) = closest_data(&event, "data-answer") {
                let _ = button.set_attribute("disabled", "");
                dispatch(Event::AnswerClicked { call_id });
            } else {
                controls_ui::on_click(&event);
            }
        });
        listen(&calls, "submit", |event| {
            controls_ui::on_submit(&event);
        });
        wrap_up_ui::mount(&calls);
    }
    controls_ui::mount_dialpad();
    if let Some(root) = by_id("dialog-root") {
        listen(&root, "click", |event| {
            if let Some((_, record)) = closest_data(&event, "data-pick") {
                pick(&record);
            } else if closest_data(&event, "data-dismiss").is_some() {
                dismiss();
            }
        });
        listen(&root, "keydown", |event| on_dialog_key(&event));
    }
    if let Some(form) = by_id("signin-form") {
        listen(&form, "submit", |event| {
            event.prevent_default();
            submit_sign_in();
        });
    }
    if let Some(button) = by_id("sign-out") {
        listen(&button, "click", |_| crate::sign_out());
    }
}

fn set_hidden(id: &str, hidden: bool) {
    if let Some(element) = by_id(id) {
        let _ = if hidden { element.set_attribute("hidden", "") } else { element.remove_attribute("hidden") };
    }
}

fn set_text(id: &str, text: &str) {
    if let Some(element) = by_id(id) {
        element.set_text_content(Some(text));
    }
}

/// Marks a moment of the boot on the page's performance timeline, where the boot times are read
/// (`tests/examples/softphone_timing.rs` and the browser benchmark, `tests/examples/browser_bench.rs`):
/// `callpop-ready` (something to show), `callpop-live` (the stream is up).
fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|window| window.performance()) {
        let _ = performance.mark(name);
    }
}

/// Marks the page ready (tests and screenshots wait for it).
pub(crate) fn set_ready() {
    mark("callpop-ready");
    if let Some(app) = by_id("app") {
        let _ = app.set_attribute("data-ready", "1");
    }
}

/// Shows a message that stops the softphone (not loaded from Salesforce, untrusted origin, library missing).
pub(crate) fn fatal(message: &str) {
    set_text("notice", message);
    set_hidden("notice", false);
    set_hidden("signin", true);
    set_hidden("calls", true);
    set_hidden("views", true);
    set_hidden("recent", true);
    set_ready();
}

pub(crate) fn show_sign_in(message: Option<&str>) {
    show_session_note(false);
    set_hidden("signin", false);
    set_hidden("calls", true);
    set_hidden("dialpad", true);
    set_hidden("views", true);
    set_hidden("recent", true);
    set_hidden("me", true);
    set_hidden("agent-status", true);
    set_text("signin-error", message.unwrap_or(""));
    set_hidden("signin-error", message.is_none());
    set_connection(None);
    set_ready();
    if let Some(input) = by_id("signin-email") {
        focus(&input);
    }
}

/// Why the sign-in form is back, when the session ended under the softphone.
pub(crate) fn session_end_sentence(end: server::SessionEnd) -> &'static str {
    match end {
        server::SessionEnd::Refused => "Your session has ended. Sign in again.",
        server::SessionEnd::EndedElsewhere => {
            "You were signed out: this session was ended in another tab, by an administrator or by a password change."
        }
    }
}

/// Why the agent is signed out here but maybe not on the server.
pub(crate) fn sign_out_failed_sentence(error: &server::RequestError) -> String {
    let reason = match error {
        server::RequestError::Rejected(_, message) | server::RequestError::Unavailable(message) => message.as_str(),
        server::RequestError::SignedOut => "it had already ended",
    };
    format!("Signed out here, but callpop could not end the session ({reason}). Sign out again later.")
}

/// Says, in one sentence, that a reload will ask for the password again, when the browser kept no session cookie.
pub(crate) fn show_session_note(shown: bool) {
    set_text(
        "session-note",
        if shown {
            "This browser keeps nothing for callpop inside Salesforce, so after a reload you will be asked to sign in \
             again."
        } else {
            ""
        },
    );
    set_hidden("session-note", !shown);
}

pub(crate) fn show_signed_in(email: &str) {
    set_hidden("signin", true);
    set_hidden("views", false);
    set_hidden("me", false);
    crate::history_ui::show_calls();
    set_text("me-email", email);
    set_ready();
}

fn input_value(id: &str) -> String {
    by_id(id)
        .and_then(|element| element.dyn_into::<HtmlInputElement>().ok())
        .map(|input| input.value())
        .unwrap_or_default()
}

fn submit_sign_in() {
    let (email, password) = (input_value("signin-email"), input_value("signin-password"));
    set_hidden("signin-error", true);
    spawn_local(async move {
        match server::sign_in(email, password).await {
            Ok(signed_in) => {
                crate::start_session(&signed_in.login.email, None);
                show_session_note(!signed_in.kept_across_reloads);
            }
            Err(server::RequestError::SignedOut) => show_sign_in(Some("The email or the password is wrong.")),
            Err(server::RequestError::Rejected(_, message)) => show_sign_in(Some(&message)),
            Err(server::RequestError::Unavailable(reason)) => {
                show_sign_in(Some(&format!("callpop cannot be reached ({reason}). Try again in a moment.")));
            }
        }
    });
}

fn set_connection(connection: Option<Connection>) {
    if connection == Some(Connection::Live) {
        mark("callpop-live");
    }
    let (label, state) = match connection {
        None => ("", "none"),
        Some(Connection::Connecting) => ("Connecting…", "connecting"),
        Some(Connection::Live) => ("Ready", "live"),
        Some(Connection::Reconnecting) => ("Reconnecting…", "reconnecting"),
    };
    if let Some(element) = by_id("connection") {
        element.set_text_content(Some(label));
        let _ = element.set_attribute("data-connection", state);
    }
}

/// Draws what changed: only the calls the change names are redrawn, so a call costs the same with thousands in the
/// panel.
pub(crate) fn render(change: &ViewChange) {
    set_connection(Some(change.connection));
    // A call that rings while the agent reads the Recent list brings the calls back, so no ring goes unseen.
    if change.changed.iter().any(|call| call.can_answer) {
        crate::history_ui::show_calls();
    }
    if let Some(calls) = by_id("calls") {
        draw_calls(&calls, change);
    }
    controls_ui::update_dialpad();
    render_dialog(change.dialog.as_ref());
    set_text("banner", change.notice.as_deref().unwrap_or(""));
    set_hidden("banner", change.notice.is_none());
}

fn draw_calls(region: &Element, change: &ViewChange) {
    let document = crate::dom::document();
    for call_id in &change.removed {
        if let Some(shown) = document.get_element_by_id(&card_id(call_id)) {
            shown.remove();
        }
        controls_ui::forget(call_id);
    }
    for call in &change.changed {
        let element = card(call);
        match document.get_element_by_id(&card_id(&call.call_id)) {
            Some(shown) => {
                // Keep the keyboard where it was: on the same call's Answer button if it is still there.
                let active = document.active_element();
                let had_focus = active.is_some_and(|active| shown.contains(Some(&active)));
                // The notes box moves into the new card with what was typed, and the keyboard goes back into it.
                let caret = wrap_up_ui::caret_in(&shown);
                wrap_up_ui::attach(Some(&shown), &element, call);
                let _ = shown.replace_with_with_node_1(&element);
                if let Some(button) = element.query_selector("[data-answer]").ok().flatten().filter(|_| had_focus) {
                    focus(&button);
                }
                wrap_up_ui::restore_caret(caret);
            }
            None => {
                wrap_up_ui::attach(None, &element, call);
                let _ = region.append_child(&element);
            }
        }
    }
    // The idle line is there exactly when no call is: it is the region's only child then.
    match region.first_element_child() {
        None => {
            let line = El::new("p").class("idle").text("No calls right now. Incoming calls ring here.").build();
            let _ = region.append_child(&line);
        }
        Some(first) if first.class_name() == "idle" && region.child_element_count() > 1 => first.remove(),
        Some(_) => {}
    }
}

fn card(call: &CallCard) -> Element {
    let direction = if call.direction == Direction::Inbound { "Incoming" } else { "Outgoing" };
    let mut details = Vec::new();
    if let Some(source) = &call.tracking_source {
        details.push(El::new("dt").text("Source"));
        details.push(El::new("dd").text(source));
    }
    if let Some(campaign) = &call.campaign {
        details.push(El::new("dt").text("Campaign"));
        details.push(El::new("dd").text(campaign));
    }
    let tone = match call.tone {
        Tone::Ringing => "ringing",
        Tone::Active => "active",
        Tone::NeedsAgent => "needs-agent",
        Tone::Quiet => "quiet",
        Tone::Problem => "problem",
    };
    let mut article = El::new("article")
        .attr("id", &card_id(&call.call_id))
        .class("call")
        .attr("data-call-id", &call.call_id)
        .attr("data-tone", tone)
        .attr("data-server-record", call.server_record.as_deref().unwrap_or(""))
        .attr("aria-label", &format!("{direction} call from {}", call.caller_number))
        .child(El::new("p").class("direction").text(direction))
        .child(El::new("p").class("caller-number").text(&call.caller_number));
    if let Some(name) = &call.caller_name {
        article = article.child(El::new("p").class("caller-name").text(name));
    }
    if !details.is_empty() {
        article = article.child(El::new("dl").class("tracking").children(details));
    }
    article = article.child(El::new("p").class("status").attr("data-status", &call.status).text(&call.status));
    if let Some(logged_to) = &call.logged_to {
        article = article.child(El::new("p").class("logged-to").text(&format!("Logged to {logged_to}")));
    }
    if call.can_answer {
        article = article.child(
            El::new("button").class("answer").attr("type", "button").attr("data-answer", &call.call_id).text("Answer"),
        );
    }
    if let Some(controls) = &call.controls {
        article = article.child(controls_ui::controls(&call.call_id, controls));
    }
    article.build()
}

/// "Contact · (415) 555-0142 · Rear Admiral · 23 Nov 2026"
fn match_details(record: &RecordMatch) -> String {
    let modified = record.last_modified.as_deref().map(|date| {
        let date = js_sys::Date::new(&JsValue::from_str(&date.replace("+0000", "Z")));
        if date.get_time().is_nan() {
            String::new()
        } else {
            format!("modified {}", String::from(date.to_locale_date_string("default", &JsValue::UNDEFINED)))
        }
    });
    [Some(record.object.clone()), record.phone.clone(), record.detail.clone(), modified.filter(|text| !text.is_empty())]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ")
}

fn render_dialog(dialog: Option<&DialogView>) {
    let Some(root) = by_id("dialog-root") else { return };
    let Some(dialog) = dialog else {
        DIALOG.with(|open| open.borrow_mut().take());
        root.set_text_content(None);
        return;
    };
    if DIALOG.with(|open| open.borrow().as_ref().is_some_and(|open| open.call_id == dialog.call_id)) {
        return; // Already on screen: redrawing would lose the keyboard position.
    }
    let options = dialog.matches.iter().enumerate().map(|(index, record)| {
        let mut name = El::new("span").class("match-name").text(&record.name);
        if dialog.remembered.as_ref() == Some(&record.id) {
            name = name.child(El::new("span").class("remembered").text("Chosen last time"));
        }
        El::new("li")
            .attr("role", "option")
            .attr("id", &format!("match-{index}"))
            .attr("aria-selected", if index == 0 { "true" } else { "false" })
            .attr("data-pick", record.id.as_str())
            .child(name)
            .child(El::new("span").class("match-details").text(&match_details(record)))
    });
    let element = El::new("div")
        .class("dialog")
        .attr("role", "dialog")
        .attr("aria-modal", "true")
        .attr("aria-labelledby", "dialog-title")
        .attr("aria-describedby", "dialog-help")
        .attr("data-call-id", &dialog.call_id)
        .child(El::new("h2").attr("id", "dialog-title").text(&format!(
            "{} records match {}",
            dialog.matches.len(),
            dialog.caller_number
        )))
        .child(
            El::new("p")
                .attr("id", "dialog-help")
                .class("help")
                .text("Choose the caller's record. Arrow keys move, Enter picks, Escape skips."),
        )
        .child(
            El::new("ul")
                .attr("role", "listbox")
                .attr("tabindex", "0")
                .attr("aria-labelledby", "dialog-title")
                .attr("aria-activedescendant", "match-0")
                .children(options),
        )
        .child(
            El::new("div")
                .class("dialog-actions")
                .child(El::new("button").attr("type", "button").attr("data-dismiss", "").text("Skip")),
        )
        .build();
    replace_children(&root, [element]);
    let record_ids = dialog.matches.iter().map(|record| record.id.as_str().to_owned()).collect();
    DIALOG
        .with(|open| *open.borrow_mut() = Some(OpenDialog { call_id: dialog.call_id.clone(), record_ids, active: 0 }));
    if let Some(listbox) = root.query_selector("[role=listbox]").ok().flatten() {
        focus(&listbox);
    }
}

fn on_dialog_key(event: &web_sys::Event) {
    let Some(key) = event.dyn_ref::<KeyboardEvent>().map(KeyboardEvent::key) else { return };
    let active = DIALOG.with(|open| open.borrow().as_ref().map(|open| (open.active, open.record_ids.len())));
    let Some((active, count)) = active else { return };
    let next = match key.as_str() {
        "ArrowDown" => (active + 1).min(count.saturating_sub(1)),
        "ArrowUp" => active.saturating_sub(1),
        "Home" => 0,
        "End" => count.saturating_sub(1),
        "Enter" | " " => {
            event.prevent_default();
            let record =
                DIALOG.with(|open| open.borrow().as_ref().and_then(|open| open.record_ids.get(active).cloned()));
            if let Some(record) = record {
                pick(&record);
            }
            return;
        }
        "Escape" => {
            event.prevent_default();
            return dismiss();
        }
        _ => return,
    };
    event.prevent_default();
    DIALOG.with(|open| {
        if let Some(open) = open.borrow_mut().as_mut() {
            open.active = next;
        }
    });
    if let Some(root) = by_id("dialog-root") {
        if let Ok(options) = root.query_selector_all("[role=option]") {
            for index in 0..options.length() {
                if let Some(option) = options.item(index).and_then(|node| node.dyn_into::<Element>().ok()) {
                    let _ =
                        option.set_attribute("aria-selected", if index as usize == next { "true" } else { "false" });
                }
            }
        }
        if let Some(listbox) = root.query_selector("[role=listbox]").ok().flatten() {
            let _ = listbox.set_attribute("aria-activedescendant", &format!("match-{next}"));
        }
    }
}

fn pick(record: &str) {
    let call_id = DIALOG.with(|open| open.borrow().as_ref().map(|open| open.call_id.clone()));
    if let (Some(call_id), Ok(record)) = (call_id, RecordId::parse(record)) {
        dispatch(Event::DialogPicked { call_id, record });
    }
}

fn dismiss() {
    let call_id = DIALOG.with(|open| open.borrow().as_ref().map(|open| open.call_id.clone()));
    if let Some(call_id) = call_id {
        dispatch(Event::DialogDismissed { call_id });
    }
}
