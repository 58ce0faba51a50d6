//! What a reload of the softphone resumes: the calls it had popped (`callpop_core::adapter::Resume`), kept in the
//! tab's `sessionStorage` (partitioned per top-level site in a third-party frame, and kept across reloads of the
//! page and of the frame). Where the browser gives the frame no storage, nothing is kept: after a reload such a call
//! shows as answered in the agent's other tab, and the server logs it by its own rule (`ARCHITECTURE.md`).

use crate::server::{from_json, to_json};
use callpop_core::adapter::Resume;
use serde::{Deserialize, Serialize};

const RESUME_KEY: &str = "callpop.resume";

/// One call's `Resume`, as stored.
#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    call_id: String,
    in_call: bool,
    logged_to: Option<String>,
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// The calls kept by the softphone this page replaced.
pub(crate) fn load() -> Vec<(String, Resume)> {
    let stored: Vec<Stored> = session_storage()
        .and_then(|storage| storage.get_item(RESUME_KEY).ok().flatten())
        .and_then(|text| from_json(&text).ok())
        .unwrap_or_default();
    stored
        .into_iter()
        .map(|call| {
            let resume = if call.in_call { Resume::InCall { logged_to: call.logged_to } } else { Resume::PopAgain };
            (call.call_id, resume)
        })
        .collect()
}

/// Keeps what each call this softphone popped would resume as.
pub(crate) fn save(calls: &[(String, Resume)]) {
    let stored: Vec<Stored> = calls
        .iter()
        .map(|(call_id, resume)| {
            let (in_call, logged_to) = match resume {
                Resume::InCall { logged_to } => (true, logged_to.clone()),
                Resume::PopAgain => (false, None),
            };
            Stored { call_id: call_id.clone(), in_call, logged_to }
        })
        .collect();
    if let (Some(storage), Ok(text)) = (session_storage(), to_json(&stored)) {
        let _ = storage.set_item(RESUME_KEY, &text);
    }
}
