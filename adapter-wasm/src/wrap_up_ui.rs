//! Drawing and saving the wrap-up: the notes box and the disposition on the card of a call the agent has here,
//! the after-call work countdown and Done once it ended, and the agent's status in the header.
//!
//! What a card shows is core's (`CallCard::wrap_up`); what after-call work is and how long it lasts is the
//! server's answer (`AgentStatusView`, computed by `callpop_core::wrap_up`). This module keeps the agent's typing:
//! a card redrawn for a change of its call keeps the same notes box (moved into the new card, with the keyboard
//! where it was); notes are saved a moment after the agent stops typing, a disposition at once; and what the server
//! does not have yet is kept in `localStorage` (where the frame has any), so a reload or a dropped connection loses
//! nothing: a restored box sends it again. A card drawn anew after a reload starts from what the server holds
//! (`WrapUpCard::saved`), and what was kept unsent, being newer, goes over it.
//!
//! Once the call ended, the countdown and Done come first in the wrap-up, on one row above the notes: at Salesforce's
//! smallest softphone (200 × 400) they are on screen without scrolling, and the notes box below stays as it was.

use crate::dom::{El, by_id, closest_data, focus, listen};
use crate::server::{self, RequestError, from_json, to_json};
use callpop_core::adapter::{CallCard, Event};
use callpop_core::wire::{AgentStatusView, CallWrapUp, CallWrapUpSaved, SetAgentStatus, WrapUpSettings};
use callpop_core::wrap_up::AgentStatus;
use std::cell::{Cell, RefCell};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, HtmlSelectElement, HtmlTextAreaElement};

/// How long after the last key a note is saved, in milliseconds.
const SAVE_DELAY_MS: i32 = 800;
/// How long after a save that could not reach the server it is tried again, in milliseconds.
const RETRY_DELAY_MS: i32 = 5_000;
/// Where unsent notes wait, per call.
const UNSENT_PREFIX: &str = "callpop.wrap-up.";

thread_local! {
    static SETTINGS: RefCell<WrapUpSettings> =
        const { RefCell::new(WrapUpSettings { dispositions: Vec::new(), wrap_up_secs: 0 }) };
    /// Each call's save generation: a save is sent only if no key was typed after it was scheduled.
    static GENERATIONS: RefCell<Vec<(String, u32)>> = const { RefCell::new(Vec::new()) };
    /// When after-call work ends, in the browser's milliseconds (`Date.now()`).
    static DEADLINE: Cell<Option<f64>> = const { Cell::new(None) };
    static TICKING: Cell<bool> = const { Cell::new(false) };
    /// How many times the server was asked for the agent's status (`refresh_status`).
    static STATUS_ASKS: Cell<u32> = const { Cell::new(0) };
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn section_id(call_id: &str) -> String {
    format!("wrap-up-{call_id}")
}

/// Wires the calls region's typing, picking and Done, and the header's status. Called once, with `ui::mount`.
pub(crate) fn mount(calls: &Element) {
    listen(calls, "input", |event| {
        if let Some(call_id) = closest_data(&event, "data-notes").map(|(_, call_id)| call_id) {
            keep_unsent(&call_id);
            schedule_save(call_id, SAVE_DELAY_MS);
        }
    });
    listen(calls, "change", |event| {
        if let Some(call_id) = closest_data(&event, "data-disposition").map(|(_, call_id)| call_id) {
            keep_unsent(&call_id);
            schedule_save(call_id, 0);
        }
    });
    listen(calls, "click", |event| {
        if let Some(call_id) = closest_data(&event, "data-done").map(|(_, call_id)| call_id) {
            spawn_local(save(call_id, true));
        }
    });
    if let Some(select) = by_id("agent-status") {
        listen(&select, "change", |_| {
            let Some(status) = select_value("agent-status").and_then(|value| AgentStatus::parse(&value)) else {
                return;
            };
            spawn_local(async move {
                let body = to_json(&SetAgentStatus { status }).ok();
                let asked = ask_status();
                if let Ok(view) = server::request::<AgentStatusView>("PUT", "/api/v1/agent/status", body).await {
                    show_status_if_latest(asked, &view);
                }
            });
        });
    }
}

/// Reads the agent's status and the account's dispositions, once signed in.
pub(crate) fn start() {
    spawn_local(async {
        refresh_status().await;
        refresh_settings().await;
    });
}

/// Reads the account's dispositions again (when signed in, and for each new wrap-up: the administrator's changes
/// apply to the next call without a reload) and puts them in the selects on screen.
async fn refresh_settings() {
    if let Ok(settings) = server::request::<WrapUpSettings>("GET", "/api/v1/agent/wrap-up-settings", None).await {
        let changed = SETTINGS.with(|kept| kept.replace(settings.clone()) != settings);
        if changed {
            refresh_dispositions();
        }
    }
}

async fn refresh_status() {
    let asked = ask_status();
    if let Ok(view) = server::request::<AgentStatusView>("GET", "/api/v1/agent/status", None).await {
        show_status_if_latest(asked, &view);
    }
}

/// Counts a request whose answer carries the agent's status. Answers can arrive out of order (a call answered then
/// ended at once, a save while the status is read), and only the latest request's answer is the status now.
fn ask_status() -> u32 {
    let asked = STATUS_ASKS.get().wrapping_add(1);
    STATUS_ASKS.set(asked);
    asked
}

fn show_status_if_latest(asked: u32, view: &AgentStatusView) {
    if STATUS_ASKS.get() == asked {
        show_status(view);
    }
}

/// The header's status, and the after-call work countdown of every ended card.
fn show_status(view: &AgentStatusView) {
    if let Some(select) = by_id("agent-status") {
        let _ = select.remove_attribute("hidden");
        if let Ok(select) = select.dyn_into::<HtmlSelectElement>() {
            select.set_value(view.status.as_str());
        }
    }
    if let Some(app) = by_id("app") {
        let _ = app.set_attribute("data-agent-status", view.status.as_str());
    }
    let deadline = match (view.status, view.after_call_work_remaining_secs) {
        (AgentStatus::AfterCallWork, Some(secs)) => Some(js_sys::Date::now() + f64::from(secs) * 1000.0),
        _ => None,
    };
    DEADLINE.set(deadline);
    draw_countdown();
    if deadline.is_some() && !TICKING.replace(true) {
        let closure = Closure::<dyn FnMut()>::new(tick);
        if let Some(window) = web_sys::window() {
            let _ =
                window.set_interval_with_callback_and_timeout_and_arguments_0(closure.as_ref().unchecked_ref(), 1000);
        }
        closure.forget(); // One interval for the page's life.
    }
}

/// Each second of after-call work: the countdown, and at its end the status the server says it ends in.
fn tick() {
    if DEADLINE.get().is_some() {
        draw_countdown();
    }
}

/// Writes the countdown on the ended cards (it is shown only on those); when after-call work has run out, asks the
/// server for the status it ends in.
fn draw_countdown() {
    let left = DEADLINE.get().map(|deadline| ((deadline - js_sys::Date::now()) / 1000.0).ceil().max(0.0));
    let text = match left {
        Some(secs) if secs > 0.0 => {
            let secs = secs as u32;
            format!("After-call work: {}:{:02} left", secs / 60, secs % 60)
        }
        _ => "After-call work is over".to_owned(),
    };
    for countdown in all("[data-countdown]") {
        countdown.set_text_content(Some(&text));
    }
    // An ended card's countdown is shown once it has its text (`attach` leaves a blank one hidden).
    for countdown in all("[data-ended] [data-countdown]") {
        let _ = countdown.remove_attribute("hidden");
    }
    if left == Some(0.0) {
        DEADLINE.set(None);
        spawn_local(refresh_status());
    }
}

fn all(selector: &str) -> Vec<Element> {
    let Ok(found) = crate::dom::document().query_selector_all(selector) else { return Vec::new() };
    (0..found.length()).filter_map(|index| found.item(index)?.dyn_into::<Element>().ok()).collect()
}

/// Gives the new card of a call its wrap-up part: the one the old card had (the same notes box, so nothing typed is
/// lost and the keyboard stays), or a new one, filled from what the server holds and what was not sent yet.
pub(crate) fn attach(old: Option<&Element>, card: &Element, call: &CallCard) {
    let Some(wrap_up) = &call.wrap_up else { return };
    let kept = old.and_then(|old| old.query_selector(".wrap-up").ok().flatten());
    let (section, fresh) = match kept {
        Some(section) => (section, false),
        None => (new_section(&call.call_id), true),
    };
    let _ = card.append_child(&section);
    let ended_before = section.get_attribute("data-ended").is_some();
    for shown_once_ended in ["[data-after-call]", "[data-done]"] {
        if let Some(element) = section.query_selector(shown_once_ended).ok().flatten() {
            let _ =
                if wrap_up.ended { element.remove_attribute("hidden") } else { element.set_attribute("hidden", "") };
        }
    }
    if wrap_up.ended {
        let _ = section.set_attribute("data-ended", "");
        // A countdown not written yet stays hidden until the server's status gives it its seconds (`draw_countdown`):
        // a blank line, or a wrong "over", would show for a moment.
        if let Some(countdown) = section.query_selector("[data-countdown]").ok().flatten()
            && countdown.text_content().is_some_and(|text| !text.is_empty())
        {
            let _ = countdown.remove_attribute("hidden");
        }
        if !ended_before {
            // The call just ended (or ended before this card was drawn): after-call work's clock is the server's.
            spawn_local(refresh_status());
        }
    } else {
        // The agent's live call changed (answered, held, resumed): the status the telephony side reads may have
        // changed with it (busy once the answer is reported, whatever after-call work an earlier call left), and the
        // header shows the server's word for it, never its own guess.
        spawn_local(refresh_status());
    }
    if fresh {
        // Restored once the dispositions are there, so the one that was chosen can be chosen again.
        let call_id = call.call_id.clone();
        let saved = wrap_up.saved.clone();
        spawn_local(async move {
            refresh_settings().await;
            if let Some(saved) = saved {
                fill(&section, &saved.notes, saved.disposition.as_deref());
            }
            if restore_unsent(&section, &call_id) {
                schedule_save(call_id, 0);
            }
        });
    }
}

/// Before a card is replaced: where the keyboard is in its notes, to put it back.
pub(crate) struct Caret {
    id: String,
    range: Option<(u32, u32)>,
}

pub(crate) fn caret_in(old: &Element) -> Option<Caret> {
    let active = crate::dom::document().active_element()?;
    old.query_selector(".wrap-up").ok()??.contains(Some(&active)).then_some(())?;
    let range = active
        .dyn_ref::<HtmlTextAreaElement>()
        .and_then(|area| Some((area.selection_start().ok()??, area.selection_end().ok()??)));
    Some(Caret { id: active.id(), range })
}

pub(crate) fn restore_caret(caret: Option<Caret>) {
    let Some(caret) = caret else { return };
    let Some(element) = by_id(&caret.id) else { return };
    focus(&element);
    if let (Some(area), Some((start, end))) = (element.dyn_ref::<HtmlTextAreaElement>(), caret.range) {
        let _ = area.set_selection_range(start, end);
    }
}

fn new_section(call_id: &str) -> Element {
    let notes_id = format!("notes-{call_id}");
    let disposition_id = format!("disposition-{call_id}");
    El::new("section")
        .class("wrap-up")
        .attr("id", &section_id(call_id))
        .attr("aria-label", "Wrap-up")
        .child(
            El::new("div")
                .class("after-call")
                .attr("data-after-call", "")
                .attr("hidden", "")
                .child(El::new("p").class("countdown").attr("data-countdown", "").attr("hidden", ""))
                .child(
                    El::new("button")
                        .class("done primary")
                        .attr("type", "button")
                        .attr("data-done", call_id)
                        .attr("hidden", "")
                        .text("Done"),
                ),
        )
        .child(El::new("label").attr("for", &notes_id).text("Notes"))
        .child(
            El::new("textarea")
                .attr("id", &notes_id)
                .attr("data-notes", call_id)
                .attr("rows", "3")
                .attr("maxlength", "32000")
                .attr("placeholder", "What was the call about?"),
        )
        .child(El::new("label").attr("for", &disposition_id).text("Disposition"))
        .child(dispositions(El::new("select").attr("id", &disposition_id).attr("data-disposition", call_id)))
        .child(El::new("p").class("wrap-up-state").attr("role", "status").attr("data-save-state", ""))
        .build()
}

/// The disposition choices: none, then the account's list in the administrator's order.
fn dispositions(select: El) -> El {
    let values = SETTINGS.with(|settings| settings.borrow().dispositions.clone());
    let none = El::new("option").attr("value", "").text("No disposition");
    select.child(none).children(values.iter().map(|value| El::new("option").attr("value", value).text(value)))
}

/// The dispositions arrived after some cards were drawn: their selects get the list, keeping what was chosen.
fn refresh_dispositions() {
    for select in all("select[data-disposition]") {
        let chosen = select.dyn_ref::<HtmlSelectElement>().map(HtmlSelectElement::value).unwrap_or_default();
        let fresh = dispositions(El::new("select")).build();
        select.set_text_content(None);
        while let Some(option) = fresh.first_element_child() {
            let _ = select.append_child(&option);
        }
        if let Some(select) = select.dyn_ref::<HtmlSelectElement>() {
            select.set_value(&chosen);
        }
    }
}

fn select_value(id: &str) -> Option<String> {
    by_id(id)?.dyn_into::<HtmlSelectElement>().ok().map(|select| select.value())
}

/// What the card's box and select hold now.
fn current(call_id: &str) -> Option<CallWrapUp> {
    let notes = by_id(&format!("notes-{call_id}"))?.dyn_into::<HtmlTextAreaElement>().ok()?.value();
    let disposition = select_value(&format!("disposition-{call_id}")).filter(|value| !value.is_empty());
    Some(CallWrapUp { notes, disposition, done: false })
}

fn keep_unsent(call_id: &str) {
    if let (Some(storage), Some(Ok(text))) = (storage(), current(call_id).map(|wrap_up| to_json(&wrap_up))) {
        let _ = storage.set_item(&format!("{UNSENT_PREFIX}{call_id}"), &text);
    }
}

fn unsent(call_id: &str) -> Option<CallWrapUp> {
    let text = storage()?.get_item(&format!("{UNSENT_PREFIX}{call_id}")).ok()??;
    from_json(&text).ok()
}

/// Puts back into a new section what the server did not get before a reload; whether there was any.
fn restore_unsent(section: &Element, call_id: &str) -> bool {
    let Some(wrap_up) = unsent(call_id) else { return false };
    fill(section, &wrap_up.notes, wrap_up.disposition.as_deref());
    true
}

/// Writes notes and a disposition into a section's box and select.
fn fill(section: &Element, notes: &str, disposition: Option<&str>) {
    let find = |selector: &str| section.query_selector(selector).ok().flatten();
    if let Some(area) = find("textarea").and_then(|area| area.dyn_into::<HtmlTextAreaElement>().ok()) {
        area.set_value(notes);
    }
    if let Some(select) = find("select").and_then(|select| select.dyn_into::<HtmlSelectElement>().ok()) {
        select.set_value(disposition.unwrap_or(""));
    }
}

fn next_generation(call_id: &str) -> u32 {
    GENERATIONS.with(|generations| {
        let mut generations = generations.borrow_mut();
        match generations.iter_mut().find(|(id, _)| id == call_id) {
            Some((_, generation)) => {
                *generation += 1;
                *generation
            }
            None => {
                generations.push((call_id.to_owned(), 1));
                1
            }
        }
    })
}

fn generation(call_id: &str) -> u32 {
    GENERATIONS.with(|generations| {
        generations.borrow().iter().find(|(id, _)| id == call_id).map_or(0, |(_, generation)| *generation)
    })
}

/// Saves the call's notes after `delay_ms`, unless the agent types again meanwhile.
fn schedule_save(call_id: String, delay_ms: i32) {
    let scheduled = next_generation(&call_id);
    set_save_state(&call_id, "Saving…");
    let closure = Closure::once_into_js(move || {
        if generation(&call_id) == scheduled {
            spawn_local(save(call_id, false));
        }
    });
    if let Some(window) = web_sys::window() {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(closure.unchecked_ref(), delay_ms);
    }
}

fn set_save_state(call_id: &str, text: &str) {
    if let Some(state) =
        by_id(&section_id(call_id)).and_then(|section| section.query_selector("[data-save-state]").ok().flatten())
    {
        state.set_text_content(Some(text));
    }
}

/// Sends what the card holds; `done` ends after-call work and closes an ended call's card.
async fn save(call_id: String, done: bool) {
    let Some(mut wrap_up) = current(&call_id) else { return };
    wrap_up.done = done;
    let Ok(body) = to_json(&wrap_up) else { return };
    let path = format!("/api/v1/agent/calls/{}/wrap-up", String::from(js_sys::encode_uri_component(&call_id)));
    let asked = ask_status();
    match server::request::<CallWrapUpSaved>("PUT", &path, Some(body)).await {
        Ok(saved) => {
            // Typed meanwhile: what is unsent now is newer than what was saved, and its own save is scheduled.
            let sent_all =
                unsent(&call_id).is_some_and(|kept| kept.notes == saved.notes && kept.disposition == saved.disposition);
            if let Some(storage) = storage().filter(|_| sent_all) {
                let _ = storage.remove_item(&format!("{UNSENT_PREFIX}{call_id}"));
            }
            set_save_state(&call_id, "Saved");
            show_status_if_latest(asked, &saved.status);
            if done {
                crate::dispatch(Event::WrapUpDone { call_id });
            }
        }
        Err(RequestError::Unavailable(_)) => {
            set_save_state(&call_id, "Not saved yet: callpop cannot be reached. Trying again…");
            schedule_retry(call_id, done);
        }
        Err(RequestError::Rejected(_, message)) => set_save_state(&call_id, &format!("Not saved: {message}")),
        Err(RequestError::SignedOut) => set_save_state(&call_id, "Not saved: sign in again; your notes are kept."),
    }
}

fn schedule_retry(call_id: String, done: bool) {
    let closure = Closure::once_into_js(move || spawn_local(save(call_id, done)));
    if let Some(window) = web_sys::window() {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(closure.unchecked_ref(), RETRY_DELAY_MS);
    }
}
