//! The softphone's Recent list: the agent's recent calls and texts, from `GET /api/v1/agent/history`.
//!
//! "Recent" in the view switcher loads the list each time it is shown; core's `history` decides what each row says
//! and what a click does. Clicking a row that was logged to a record shows that record again (Open CTI, from the
//! shell, since no call of the adapter's is involved); "Call back" on a missed call dials it as clicking the number
//! in Salesforce would (`Event::ClickToDial`), and goes back to the calls, where the outbound call arrives.

use crate::dom::{El, by_id, listen, replace_children};
use crate::{dispatch, opencti, server};
use callpop_core::adapter::Event;
use callpop_core::history::{HistoryAction, HistoryItem, items};
use callpop_core::open_cti::Ui;
use callpop_core::wire::HistoryEntry;
use std::cell::RefCell;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::Element;

thread_local! {
    /// The rows on screen, so a click finds what its row offers by index.
    static SHOWN: RefCell<Vec<HistoryItem>> = const { RefCell::new(Vec::new()) };
}

/// Wires the view switcher and the list. Called once with the page's UI.
pub(crate) fn mount(ui: Ui) {
    if let Some(button) = by_id("show-calls") {
        listen(&button, "click", |_| show_calls());
    }
    if let Some(button) = by_id("show-recent") {
        listen(&button, "click", move |_| show_recent(ui));
    }
    if let Some(list) = by_id("recent") {
        listen(&list, "click", move |event| on_click(ui, &event));
    }
}

/// Shows the calls (the view a signed-in softphone starts on).
pub(crate) fn show_calls() {
    switch(false);
}

/// Shows the Recent list, loaded again.
fn show_recent(ui: Ui) {
    switch(true);
    spawn_local(load(ui));
}

fn switch(recent: bool) {
    for (id, hidden) in [("calls", recent), ("recent", !recent)] {
        if let Some(region) = by_id(id) {
            let _ = if hidden { region.set_attribute("hidden", "") } else { region.remove_attribute("hidden") };
        }
    }
    for (id, pressed) in [("show-calls", !recent), ("show-recent", recent)] {
        if let Some(button) = by_id(id) {
            let _ = button.set_attribute("aria-pressed", if pressed { "true" } else { "false" });
        }
    }
    crate::controls_ui::update_dialpad();
}

async fn load(ui: Ui) {
    let Some(list) = by_id("recent") else { return };
    let _ = list.set_attribute("aria-busy", "true");
    match server::request::<Vec<HistoryEntry>>("GET", "/api/v1/agent/history", None).await {
        Ok(entries) => draw(&list, items(ui, &entries)),
        Err(server::RequestError::SignedOut) => crate::session_ended(server::SessionEnd::Refused),
        Err(server::RequestError::Rejected(_, reason) | server::RequestError::Unavailable(reason)) => {
            let line = El::new("p").class("idle").text(&format!("Recent calls cannot be shown: {reason}")).build();
            replace_children(&list, [line]);
        }
    }
    let _ = list.remove_attribute("aria-busy");
}

fn draw(list: &Element, shown: Vec<HistoryItem>) {
    let rows: Vec<Element> = if shown.is_empty() {
        vec![El::new("p").class("idle").text("No calls or texts yet.").build()]
    } else {
        shown.iter().enumerate().map(|(index, item)| row(index, item)).collect()
    };
    SHOWN.with(|slot| *slot.borrow_mut() = shown);
    replace_children(list, rows);
}

fn row(index: usize, item: &HistoryItem) -> Element {
    let index = index.to_string();
    let mut summary = El::new("p").class("recent-summary").text(item.summary);
    summary = summary.child(El::new("span").class("recent-time").text(&format!(" · {}", local_time(&item.at))));
    let mut main = El::new("button")
        .attr("type", "button")
        .class("recent-open")
        .child(El::new("span").class("recent-title").text(&item.title))
        .child(summary);
    if let Some(object) = &item.logged_to {
        main = main.child(El::new("span").class("logged-to").text(&format!("Logged to {object}")));
    }
    main = match &item.open {
        Some(_) => main.attr("data-open", &index).attr("title", "Show the record again"),
        None => main.attr("disabled", ""),
    };
    let mut entry = El::new("div")
        .class("recent-entry")
        .attr("data-key", &item.key)
        .attr("data-missed", if item.missed { "true" } else { "false" })
        .child(main);
    if item.call_back.is_some() {
        entry = entry.child(
            El::new("button")
                .attr("type", "button")
                .class("call-back")
                .attr("data-call-back", &index)
                .text("Call back"),
        );
    }
    entry.build()
}

/// The time in the agent's own locale and time zone: the time alone for today, with the date before.
fn local_time(at: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_str(at));
    if date.get_time().is_nan() {
        return at.to_owned();
    }
    let time = String::from(date.to_locale_time_string("default"));
    let today = js_sys::Date::new_0().to_date_string() == date.to_date_string();
    if today {
        time
    } else {
        format!("{} {time}", String::from(date.to_locale_date_string("default", &JsValue::UNDEFINED)))
    }
}

fn on_click(ui: Ui, event: &web_sys::Event) {
    let Some(target) = event.target().and_then(|target| target.dyn_into::<Element>().ok()) else { return };
    let chosen = |attribute: &str| {
        let holder = target.closest(&format!("[{attribute}]")).ok()??;
        let index: usize = holder.get_attribute(attribute)?.parse().ok()?;
        SHOWN.with(|shown| {
            let shown = shown.borrow();
            let item = shown.get(index)?;
            if attribute == "data-open" { item.open.clone() } else { item.call_back.clone() }
        })
    };
    match chosen("data-call-back").or_else(|| chosen("data-open")) {
        Some(HistoryAction::Pop(call)) => opencti::perform(ui, "", call),
        Some(HistoryAction::CallBack { number, record }) => {
            show_calls();
            dispatch(Event::ClickToDial { number, record });
        }
        None => {}
    }
}
