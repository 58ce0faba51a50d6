//! callpop-adapter: the softphone Salesforce frames through Open CTI, as a thin wasm-bindgen shell.
//!
//! The only crate that knows wasm-bindgen, web-sys, `JsValue` and the Open CTI globals. It reads the URL Salesforce
//! framed it with, checks the org's origin, loads that org's Open CTI library, signs the agent in, listens to their
//! event stream, and feeds everything that happens to `callpop_core::adapter::Adapter`, which decides. It makes no
//! decisions itself.

#[cfg(all(test, target_arch = "wasm32"))]
mod browser_tests;
mod controls_ui;
mod dom;
mod history_ui;
mod host;
mod opencti;
mod resume;
mod server;
mod ui;
mod url;
mod wrap_up_ui;

use callpop_core::adapter::{Adapter, Connection, Event};
use callpop_core::open_cti::{OpenCtiCall, Ui, is_trusted_org_origin};
use callpop_core::wire::{SoftphoneConfig, StreamTicket};
use futures_util::future::join;
use host::BrowserHost;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;

/// The softphone's allocator in the browser (single-threaded Wasm): talc, which takes memory from the Wasm memory as
/// it needs it, in place of the standard library's dlmalloc (PERFORMANCE.md).
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

thread_local! {
    static ADAPTER: RefCell<Option<Adapter<BrowserHost>>> = const { RefCell::new(None) };
    static QUEUE: RefCell<VecDeque<Event>> = const { RefCell::new(VecDeque::new()) };
    static HANDLING: Cell<bool> = const { Cell::new(false) };
}

/// Hands an event to the adapter. Events raised while the adapter is busy with another (a host call that answers
/// at once) wait in a queue, so the adapter always sees them one at a time and in order.
pub(crate) fn dispatch(event: Event) {
    QUEUE.with(|queue| queue.borrow_mut().push_back(event));
    if HANDLING.replace(true) {
        return;
    }
    while let Some(event) = QUEUE.with(|queue| queue.borrow_mut().pop_front()) {
        ADAPTER.with(|adapter| {
            if let Some(adapter) = adapter.borrow_mut().as_mut() {
                adapter.handle(event);
            }
        });
    }
    HANDLING.set(false);
}

/// Starts the softphone. `static/softphone/boot.js` calls it once the module is instantiated.
#[wasm_bindgen]
pub fn start() {
    console_error_panic_hook::set_once();
    spawn_local(async {
        if let Err(error) = boot().await {
            let message = error.as_string().unwrap_or_else(|| "the softphone could not start".to_owned());
            ui::fatal(&message);
        }
    });
}

async fn boot() -> Result<(), JsValue> {
    let location = web_sys::window().ok_or("no window")?.location();
    let params = url::Params::parse(&location.search()?);
    let ui = Ui::from_mode(params.get("mode"));
    ui::mount(ui);
    history_ui::mount(ui);
    let Some(org_origin) = params.get("sfdcIframeOrigin").map(str::to_owned) else {
        ui::fatal("Open this softphone from Salesforce: add it to a call center and open the Phone utility.");
        return Ok(());
    };
    let config = page_config().ok_or("the softphone page carries no configuration")?;
    if !is_trusted_org_origin(&org_origin, &config.extra_org_origins, &location.protocol()?) {
        ui::fatal("This page was not opened by Salesforce, so the softphone will not start.");
        return Ok(());
    }
    // Three requests to two servers, sent together: the org's Open CTI library, who the session cookie signs in (a
    // reload's only trace of a sign-in), and a stream ticket for that session.
    let (library, (me, ticket)) = join(
        opencti::load(ui, &org_origin, &config.api_version),
        join(server::signed_in_by_cookie(), server::stream_ticket_by_cookie()),
    )
    .await;
    library?;
    let mut adapter = Adapter::new(BrowserHost::new(ui), ui);
    adapter.resume(resume::load());
    ADAPTER.with(|slot| *slot.borrow_mut() = Some(adapter));
    opencti::listen(ui)?;
    opencti::perform(ui, "", OpenCtiCall::EnableClickToDial);
    opencti::notify_initialization_complete(ui)?;
    match me {
        Ok(me) => start_session(&me.email, ticket.ok()),
        Err(server::RequestError::SignedOut) => ui::show_sign_in(None),
        Err(_) => ui::fatal("callpop cannot be reached. Reload the page to try again."),
    }
    Ok(())
}

/// What the server wrote into the page for the softphone (`routes/softphone.rs`): the Open CTI version and the
/// origins besides Salesforce's that may frame it, as `GET /api/v1/softphone/config` answers them.
fn page_config() -> Option<SoftphoneConfig> {
    let app = dom::by_id("app")?;
    let api_version = app.get_attribute("data-open-cti-version").filter(|version| !version.is_empty())?;
    let origins = app.get_attribute("data-extra-org-origins").unwrap_or_default();
    Some(SoftphoneConfig { api_version, extra_org_origins: origins.split_whitespace().map(str::to_owned).collect() })
}

/// The session ended under the softphone (`server` forgot it): the sign-in form says why, in one sentence.
pub(crate) fn session_ended(end: server::SessionEnd) {
    ui::show_sign_in(Some(ui::session_end_sentence(end)));
}

/// The agent pressed "Sign out": the server ends the session, and the sign-in form comes back.
pub(crate) fn sign_out() {
    spawn_local(async {
        match server::sign_out().await {
            Ok(()) => ui::show_sign_in(None),
            Err(error) => ui::show_sign_in(Some(&ui::sign_out_failed_sentence(&error))),
        }
    });
}

/// Shows the signed-in softphone and opens the agent's stream, with the ticket the boot got if it got one.
pub(crate) fn start_session(email: &str, ticket: Option<StreamTicket>) {
    ui::show_signed_in(email);
    wrap_up_ui::start();
    dispatch(Event::Connection(Connection::Connecting));
    server::connect_stream(ticket);
}
