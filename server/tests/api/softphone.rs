//! The softphone as the server serves it: its page only with its Content-Security-Policy (no copy of it, or of any
//! other page, under `/static`), and its session: the partitioned cookie, where the cookie is accepted, and signing
//! out.

use crate::helpers::{api_test, assert_error};
use callpop_core::account::Plan;
use reqwest::StatusCode;
use serde_json::{Value, json};

api_test! {
    configured(|config| config.extra_org_origins = vec!["http://localhost:8081".to_owned(), "http://127.0.0.2:9000".to_owned()])
    async fn the_softphone_page_has_its_policy_and_static_serves_no_page(app: TestApp) {
        let page = app.get(None, "/softphone/").await;
        assert_eq!(page.status(), StatusCode::OK);
        let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(policy.contains("frame-ancestors https://*.force.com"), "{policy}");
        for copy in ["/static/softphone/index.html", "/static/softphone/", "/static/softphone", "/static/softphone/index%2Ehtml",
            "/static/softphone/INDEX.HTML", "/static/console/index.html", "/static/console/"]
        {
            let response = app.get(None, copy).await;
            let status = response.status();
            let body: Value = response.json().await.unwrap_or_else(|_| panic!("a JSON error for {copy}"));
            assert_error(status, &body, 404, "not_found", None);
        }
        // The page carries what the configuration route answers, so the softphone starts without asking for it.
        let config: Value = app.get(None, "/api/v1/softphone/config").await.json().await.unwrap();
        let page = app.get(None, "/softphone/").await.text().await.unwrap();
        let origins: Vec<&str> = config["extra_org_origins"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert!(page.contains(&format!(r#"data-open-cti-version="{}""#, config["api_version"].as_str().unwrap())), "{page}");
        assert!(page.contains(&format!(r#"data-extra-org-origins="{}""#, origins.join(" "))), "{page}");
        let style = app.get(None, "/static/softphone/softphone.css").await;
        assert_eq!(style.status(), StatusCode::OK);
        let policy = style.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(policy.contains("frame-ancestors 'none'"), "a static file frames nowhere: {policy}");
    }
}

/// Signs in as the softphone does and returns the token and the `Set-Cookie` header.
async fn softphone_sign_in(app: &crate::helpers::TestApp, email: &str) -> (String, String) {
    let body = json!({ "email": email, "password": "correct horse battery", "session_cookie": true });
    let response = app.post_json(None, "/api/v1/sessions", &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    (body["token"].as_str().unwrap().to_owned(), set_cookie)
}

/// `GET /api/v1/me` with the session cookie only, and the given request headers.
async fn me_by_cookie(app: &crate::helpers::TestApp, token: &str, headers: &[(&str, &str)]) -> StatusCode {
    let mut request =
        app.client.get(format!("{}/api/v1/me", app.base)).header("cookie", format!("callpop_session={token}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap().status()
}

api_test! {
    async fn the_softphone_session_cookie_is_partitioned_and_accepted_only_from_its_own_origin(app: TestApp) {
        let account = app.create_account("Acme", Plan::Enterprise).await;
        let (token, set_cookie) = softphone_sign_in(&app, &account.agent.email).await;
        let attributes: Vec<&str> = set_cookie.split(';').map(str::trim).collect();
        assert_eq!(attributes[0], format!("callpop_session={token}"));
        for wanted in ["HttpOnly", "SameSite=None", "Partitioned", "Secure", "Path=/api/", "Max-Age=43200"] {
            assert!(attributes.contains(&wanted), "{wanted} in {set_cookie}");
        }
        // The console signs in without asking for the cookie, and gets none.
        let plain = app.post_json(None, "/api/v1/sessions",
            &json!({ "email": account.admin.email, "password": "correct horse battery" })).await;
        assert!(plain.headers().get("set-cookie").is_none());

        assert_eq!(me_by_cookie(&app, &token, &[("sec-fetch-site", "same-origin")]).await, StatusCode::OK);
        // A page of another site (Salesforce's own, or any other) cannot use the cookie.
        for site in ["cross-site", "same-site", "none"] {
            assert_eq!(me_by_cookie(&app, &token, &[("sec-fetch-site", site)]).await, StatusCode::UNAUTHORIZED, "{site}");
        }
        // A browser that sends no fetch metadata: the Origin decides.
        let own_origin = app.base.clone();
        assert_eq!(me_by_cookie(&app, &token, &[("origin", &own_origin)]).await, StatusCode::OK);
        let other = me_by_cookie(&app, &token, &[("origin", "https://evil.example")]).await;
        assert_eq!(other, StatusCode::UNAUTHORIZED);
        assert_eq!(me_by_cookie(&app, &token, &[]).await, StatusCode::UNAUTHORIZED, "no proof of origin");
    }
}

api_test! {
    async fn signing_out_ends_the_session_on_the_server(app: TestApp) {
        let account = app.create_account("Acme", Plan::Enterprise).await;
        let (token, _) = softphone_sign_in(&app, &account.agent.email).await;
        assert_eq!(app.get(Some(&token), "/api/v1/me").await.status(), StatusCode::OK);
        let response = app.send_json(reqwest::Method::DELETE, Some(&token), "/api/v1/sessions/current", &json!({})).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let removal = response.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(removal.starts_with("callpop_session=;") && removal.contains("Max-Age=0"), "{removal}");
        assert!(removal.contains("Partitioned"), "the removal names the same partitioned cookie: {removal}");

        // The old token is refused everywhere, as a bearer token and as the cookie.
        let response = app.get(Some(&token), "/api/v1/me").await;
        let status = response.status();
        assert_error(status, &response.json().await.unwrap(), 401, "unauthorized", None);
        let ticket = app.post_json(Some(&token), "/api/v1/agent/stream-tickets", &json!({})).await;
        assert_eq!(ticket.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(me_by_cookie(&app, &token, &[("sec-fetch-site", "same-origin")]).await, StatusCode::UNAUTHORIZED);
        // Signing out again, or without a session, is a 401 with a JSON body.
        let again = app.send_json(reqwest::Method::DELETE, Some(&token), "/api/v1/sessions/current", &json!({})).await;
        let status = again.status();
        assert_error(status, &again.json().await.unwrap(), 401, "unauthorized", None);
        // Other sessions of the same agent (another browser) go on.
        assert_eq!(app.get(Some(&account.agent.token), "/api/v1/me").await.status(), StatusCode::OK);
    }
}

/// A stream ticket of the session `token` names.
async fn stream_ticket(app: &crate::helpers::TestApp, token: &str) -> String {
    let response = app.post_json(Some(token), "/api/v1/agent/stream-tickets", &json!({})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<Value>().await.unwrap()["ticket"].as_str().unwrap().to_owned()
}

/// Opens the agent's event stream with a new ticket of `token`'s session, read up to its `ready` event.
pub(crate) async fn open_stream(app: &crate::helpers::TestApp, token: &str) -> reqwest::Response {
    let ticket = stream_ticket(app, token).await;
    let mut stream = app.get(None, &format!("/api/v1/agent/stream?ticket={ticket}")).await;
    assert_eq!(stream.status(), StatusCode::OK);
    let sent = read_stream(&mut stream, |sent| sent.contains("event: ready")).await;
    assert!(sent.contains("event: ready"), "the stream is live: {sent:?}");
    stream
}

/// What the stream sends until `enough` says so, it closes, or 10 s pass.
pub(crate) async fn read_stream(stream: &mut reqwest::Response, enough: impl Fn(&str) -> bool) -> String {
    let mut sent = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !enough(&sent) {
        match tokio::time::timeout_at(deadline, stream.chunk()).await {
            Ok(Ok(Some(chunk))) => sent.push_str(&String::from_utf8_lossy(&chunk)),
            Ok(_) => return sent + "\n[closed]",
            Err(_) => return sent + "\n[still open]",
        }
    }
    sent
}

/// Ends the session of `token` in one of the three ways a session ends before its time.
async fn end_session(app: &crate::helpers::TestApp, account: &crate::helpers::TestAccount, how: &str, token: &str) {
    let agent = &account.other_agent;
    let status = match how {
        "sign-out" => {
            app.send_json(reqwest::Method::DELETE, Some(token), "/api/v1/sessions/current", &json!({})).await.status()
        }
        "administrator" => {
            let path = format!("/api/v1/users/{}/sessions", agent.id);
            app.send_json(reqwest::Method::DELETE, Some(&account.admin.token), &path, &json!({})).await.status()
        }
        _ => {
            let change =
                json!({ "current_password": "correct horse battery", "new_password": "another horse battery" });
            app.send_json(reqwest::Method::PUT, Some(token), "/api/v1/me/password", &change).await.status()
        }
    };
    assert!(status.is_success(), "{how}: {status}");
}

api_test! {
    async fn a_session_that_ends_refuses_its_unused_stream_ticket_and_ends_its_open_stream(app: TestApp) {
        for how in ["sign-out", "administrator", "password change"] {
            let account = app.create_account(&format!("Acme {how}"), Plan::Enterprise).await;
            let agent = &account.other_agent;
            // The agent's softphone signs in: a session with an open stream, and a ticket it has not used yet.
            let (token, _) = softphone_sign_in(&app, &agent.email).await;
            let mut stream = open_stream(&app, &token).await;
            let unused = stream_ticket(&app, &token).await;
            // Another agent of the account, whose stream has nothing to do with it.
            let mut bystander = open_stream(&app, &account.agent.token).await;

            end_session(&app, &account, how, &token).await;
            let sent = read_stream(&mut stream, |sent| sent.contains("[closed]")).await;
            assert!(sent.contains("event: ended") && sent.contains(r#"{"reason":"session_ended"}"#), "{how}: {sent:?}");
            assert!(sent.ends_with("[closed]"), "{how}: the stream closes: {sent:?}");
            let refused = app.get(None, &format!("/api/v1/agent/stream?ticket={unused}")).await;
            let status = refused.status();
            assert_error(status, &refused.json().await.unwrap(), 401, "unauthorized", None);

            // The other agent's stream goes on and still gets their calls.
            app.ring(&account, &format!("CA-{}", how.len()), &account.agent, 1, "Google Ads").await;
            let theirs = read_stream(&mut bystander, |sent| sent.contains("event: call")).await;
            assert!(theirs.contains("event: call") && !theirs.contains("ended"), "{how}: {theirs:?}");
        }
    }
}

/// The `call` events' data in what a stream sent.
pub(crate) fn calls_sent(sent: &str) -> Vec<Value> {
    sent.split("\n\n")
        .filter(|event| event.contains("event: call"))
        .filter_map(|event| event.lines().find_map(|line| line.strip_prefix("data: ")))
        .map(|data| serde_json::from_str(data).unwrap())
        .collect()
}

api_test! {
    async fn a_call_handed_over_after_another_agent_answered_it_names_them_and_the_agents_own_tabs_name_no_one(app: TestApp) {
        let account = app.create_account("Acme", Plan::Enterprise).await;
        let (first, second) = (&account.agent, &account.other_agent);
        app.ring(&account, "CA-handover", first, 1, "Google Ads").await;
        let mut own_tab = open_stream(&app, &first.token).await;
        let mut theirs = open_stream(&app, &second.token).await;
        let claim = app.post_json(Some(&first.token), "/api/v1/agent/calls/CA-handover/pop", &json!({})).await;
        assert_eq!(claim.json::<Value>().await.unwrap()["claimed"], true);
        let sent = read_stream(&mut own_tab, |sent| calls_sent(sent).iter().any(|call| call["popped"] == true)).await;
        let popped = calls_sent(&sent).pop().unwrap();
        assert_eq!((&popped["popped"], &popped["popped_by_other_agent"]), (&json!(true), &Value::Null), "{sent}");

        // The phone system hands the answered call to the second agent.
        let handed = crate::helpers::call_event("CA-handover", "answered", &second.email, 2, "Google Ads");
        let response = app.post_json(Some(&account.api_key), "/api/v1/call-events", &handed).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let sent = read_stream(&mut theirs, |sent| !calls_sent(sent).is_empty()).await;
        let call = calls_sent(&sent).pop().unwrap_or_default();
        assert_eq!(call["popped_by_other_agent"], "agent", "named by the first agent's display name: {sent}");
    }
}

/// The `call` events a fresh stream of `token`'s session sends before its `ready`: what a reloaded softphone gets.
async fn calls_on_reload(app: &crate::helpers::TestApp, token: &str) -> Vec<Value> {
    let ticket = stream_ticket(app, token).await;
    let mut stream = app.get(None, &format!("/api/v1/agent/stream?ticket={ticket}")).await;
    assert_eq!(stream.status(), StatusCode::OK);
    let sent = read_stream(&mut stream, |sent| sent.contains("event: ready")).await;
    assert!(sent.contains("event: ready"), "{sent:?}");
    calls_sent(&sent)
}

api_test! {
    async fn a_reloaded_softphone_gets_back_the_ended_call_in_after_call_work_with_its_notes_until_done(app: TestApp) {
        // Arrange: ten minutes of after-call work; a call the agent answered, ended, with their notes, and a call
        // that rang and ended unanswered.
        let account = app.create_account("Acme", Plan::Enterprise).await;
        let agent = &account.agent;
        let settings = json!({ "dispositions": ["Sale"], "wrap_up_secs": 600 });
        let (admin, put) = (Some(account.admin.token.as_str()), reqwest::Method::PUT);
        let response = app.send_json(put, admin, "/api/v1/settings/wrap-up", &settings).await;
        assert_eq!(response.status(), StatusCode::OK);
        let answered = ("CA-ACW", &["ringing", "answered", "completed"][..]);
        for (call_id, kinds) in [answered, ("CA-MISSED", &["ringing", "completed"])] {
            for kind in kinds {
                let mut event = crate::helpers::call_event(call_id, kind, &agent.email, 0, "Google Ads");
                event["occurred_at"] = json!(chrono::Utc::now().to_rfc3339());
                let response = app.post_json(Some(&account.api_key), "/api/v1/call-events", &event).await;
                assert_eq!(response.status(), StatusCode::ACCEPTED);
            }
        }
        let notes = json!({ "notes": "Wants a quote", "disposition": "Sale" });
        let path = "/api/v1/agent/calls/CA-ACW/wrap-up";
        let response = app.send_json(reqwest::Method::PUT, Some(&agent.token), path, &notes).await;
        assert_eq!(response.status(), StatusCode::OK);

        // Act and assert: a reload gets the ended call, marked, with the notes; not the missed one.
        let calls = calls_on_reload(&app, &agent.token).await;
        assert_eq!(calls.len(), 1, "{calls:#?}");
        assert_eq!((&calls[0]["call_id"], &calls[0]["state"]), (&json!("CA-ACW"), &json!("completed")));
        assert_eq!(calls[0]["after_call_work"], true);
        assert_eq!(calls[0]["saved_wrap_up"], notes);
        // Another agent's reload gets nothing of it.
        assert!(calls_on_reload(&app, &account.other_agent.token).await.is_empty());

        // Once the agent clicked Done, a reload brings nothing back.
        let done = json!({ "notes": "Wants a quote", "disposition": "Sale", "done": true });
        let response = app.send_json(reqwest::Method::PUT, Some(&agent.token), path, &done).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(calls_on_reload(&app, &agent.token).await.is_empty());
    }
}

/// The server's stream watchman looks every 50 ms (a session check every 750 ms), and no sync worker runs, so
/// nothing else wakes the streams.
fn quick_watchman(config: &mut callpop_server::Config) {
    config.stream_poll = std::time::Duration::from_millis(50);
    config.no_sync = true;
}

api_test! {
    configured(quick_watchman)
    async fn a_notice_whose_wake_up_was_lost_still_reaches_the_open_stream(app: TestApp) {
        // Arrange: a call ringing on the agent's open softphone.
        let account = app.create_account("Acme", Plan::Enterprise).await;
        let mut stream = open_stream(&app, &account.agent.token).await;
        app.ring(&account, "CA-LOST-WAKE", &account.agent, 1, "Google Ads").await;
        let rang = read_stream(&mut stream, |sent| sent.contains("CA-LOST-WAKE")).await;
        assert!(rang.contains("CA-LOST-WAKE"), "{rang:?}");

        // Act: the call's record is stored with its notice, and nobody wakes the stream (as when the server that
        // wrote it died between its commit and its wake-up, or its NOTIFY was lost).
        let call = app.store.call_by_call_id(account.account.id, "CA-LOST-WAKE").await.unwrap().unwrap();
        app.store.set_call_record(call.id, "003000000000001AAA", "Contact", chrono::Utc::now()).await.unwrap();

        // Assert: the softphone gets the call with its record all the same.
        let sent = read_stream(&mut stream, |sent| sent.contains("003000000000001AAA")).await;
        let records: Vec<Value> = calls_sent(&sent).into_iter().map(|call| call["record"].clone()).collect();
        assert!(records.iter().any(|record| record["id"] == "003000000000001AAA"), "{sent:?}");
    }
}

api_test! {
    configured(quick_watchman)
    async fn a_session_that_ended_without_a_wake_up_still_ends_its_open_stream(app: TestApp) {
        // Arrange
        let account = app.create_account("Acme", Plan::Enterprise).await;
        let (token, _) = softphone_sign_in(&app, &account.other_agent.email).await;
        let mut stream = open_stream(&app, &token).await;

        // Act: the session ends in the database with no wake-up (it expired, or the server that ended it could not
        // tell this one).
        assert!(app.store.delete_session(&callpop_server::secrets::hash_secret(&token)).await.unwrap());

        // Assert
        let sent = read_stream(&mut stream, |sent| sent.contains("[closed]")).await;
        assert!(sent.contains("event: ended") && sent.contains(r#"{"reason":"session_ended"}"#), "{sent:?}");
    }
}

api_test! {
    async fn with_local_format_the_agent_and_the_console_see_national_numbers_at_home_and_international_ones_abroad(app: TestApp) {
        // Arrange: a US account writing numbers in local format, and its agent's softphone.
        let account = app.create_account("Acme", Plan::Enterprise).await;
        let (_, mut options) = app.get_json(&account.admin, "/api/v1/settings/salesforce").await;
        options["local_number_format"] = json!(true);
        let saved = app.send_json(reqwest::Method::PUT, Some(&account.admin.token), "/api/v1/settings/salesforce", &options).await;
        assert_eq!(saved.status(), StatusCode::OK);
        let mut softphone = open_stream(&app, &account.agent.token).await;

        // Act: a caller from London and one from San Francisco; a text from London.
        for (call_id, number, minutes) in [("CA-LONDON", "+442071234567", 1), ("CA-HOME", "+14155552671", 2)] {
            let mut ringing = crate::helpers::call_event(call_id, "ringing", &account.agent.email, minutes, "Google Ads");
            ringing["caller_number"] = json!(number);
            let response = app.post_json(Some(&account.api_key), "/api/v1/call-events", &ringing).await;
            assert_eq!(response.status(), StatusCode::ACCEPTED);
        }
        let mut text = crate::helpers::text_event("SM-LONDON", &account.agent.email, 3);
        text["from_number"] = json!("+442071234567");
        let response = app.post_json(Some(&account.api_key), "/api/v1/text-events", &text).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);

        // Assert: the softphone shows (and searches with) the London number with its country code.
        let sent = read_stream(&mut softphone, |sent| calls_sent(sent).len() >= 2).await;
        let shown: Vec<(Value, Value)> =
            calls_sent(&sent).into_iter().map(|call| (call["call_id"].clone(), call["caller_number"].clone())).collect();
        assert_eq!(shown, [(json!("CA-LONDON"), json!("+44 20 7123 4567")), (json!("CA-HOME"), json!("(415) 555-2671"))]);
        // The console: the call, the call log and the text log; E.164 stays alongside for dialling.
        let (_, london) = app.get_json(&account.admin, "/api/v1/calls/CA-LONDON").await;
        assert_eq!((&london["caller_number"], &london["caller_e164"]), (&json!("+44 20 7123 4567"), &json!("+442071234567")));
        let (_, log) = app.get_json(&account.admin, "/api/v1/calls").await;
        let numbers: Vec<&Value> = log["calls"].as_array().unwrap().iter().map(|call| &call["caller_number"]).collect();
        assert_eq!(numbers, [&json!("(415) 555-2671"), &json!("+44 20 7123 4567")], "newest first");
        let (_, text) = app.get_json(&account.admin, "/api/v1/texts/SM-LONDON").await;
        assert_eq!((&text["from_number"], &text["to_number"]), (&json!("+44 20 7123 4567"), &json!("(415) 555-0100")));
    }
}

/// A static directory of its own: the real softphone page, boot script and stylesheet, and stand-in build output
/// (`wasm` as the Wasm) with the precompressed copies `cargo xtask build-wasm` writes beside each file.
fn static_dir_with_wasm(wasm: &[u8]) -> std::path::PathBuf {
    // Kept under the target directory: the server reads it for as long as the test runs.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary directory").keep();
    let real = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../static/softphone");
    std::fs::create_dir_all(dir.join("softphone")).unwrap();
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    for file in ["index.html", "boot.js", "softphone.css"] {
        std::fs::copy(real.join(file), dir.join("softphone").join(file)).unwrap();
    }
    let glue = b"export default function init() { return fetch(new URL('callpop_adapter_bg.wasm', import.meta.url)); }";
    for (name, bytes) in [("callpop_adapter.js", glue.as_slice()), ("callpop_adapter_bg.wasm", wasm)] {
        std::fs::write(dir.join("pkg").join(name), bytes).unwrap();
        std::fs::write(dir.join("pkg").join(format!("{name}.gz")), [b"gzip of ".as_slice(), bytes].concat()).unwrap();
        std::fs::write(dir.join("pkg").join(format!("{name}.br")), [b"brotli of ".as_slice(), bytes].concat()).unwrap();
    }
    dir
}

/// The page's boot script URL, resolved against the page.
fn boot_script_url(page: &str, base: &str) -> reqwest::Url {
    let src = page.split(r#"<script type="module" src=""#).nth(1).and_then(|rest| rest.split('"').next()).unwrap();
    reqwest::Url::parse(base).unwrap().join(src).unwrap()
}

/// GETs `url` with `Accept-Encoding: encoding`, as a browser that accepts it does.
async fn fetch_encoded(app: &crate::helpers::TestApp, url: &reqwest::Url, encoding: &str) -> reqwest::Response {
    app.client.get(url.clone()).header("accept-encoding", encoding).send().await.unwrap()
}

api_test! {
    configured(|config| config.static_dir = static_dir_with_wasm(b"\0asm version one"))
    async fn the_softphone_files_are_served_compressed_under_a_content_hash_cached_for_a_year_and_the_page_is_not(app: TestApp) {
        let page = app.get(None, "/softphone/").await;
        assert_eq!(page.headers()["cache-control"], "no-cache", "the page is revalidated on every load");
        let page = page.text().await.unwrap();
        let boot = boot_script_url(&page, &format!("{}/softphone/", app.base));
        let version = boot.path().strip_prefix("/static/v/").and_then(|rest| rest.strip_suffix("/softphone/boot.js"));
        let version = version.unwrap_or_else(|| panic!("the boot script is named under the bundle's hash: {boot}"));
        assert!(page.contains(&format!(r#"href="/static/v/{version}/softphone/softphone.css""#)), "{page}");
        // The glue and the Wasm are fetched alongside the boot script, under the same version.
        assert!(page.contains(&format!(r#"<link rel="modulepreload" href="/static/v/{version}/pkg/callpop_adapter.js">"#)), "{page}");
        assert!(page.contains(&format!(r#"href="/static/v/{version}/pkg/callpop_adapter_bg.wasm" as="fetch""#)), "{page}");

        // The boot script imports the glue relatively, so the glue and the Wasm it names are of the same version.
        let script = fetch_encoded(&app, &boot, "gzip, deflate, br").await;
        assert_eq!(script.headers()["cache-control"], "public, max-age=31536000, immutable");
        let glue = boot.join(r"../pkg/callpop_adapter.js").unwrap();
        assert!(script.text().await.unwrap().contains("from '../pkg/callpop_adapter.js'"));
        let wasm = glue.join("callpop_adapter_bg.wasm").unwrap();
        assert_eq!(wasm.path(), format!("/static/v/{version}/pkg/callpop_adapter_bg.wasm"));
        for (accepts, encoding, body) in [
            ("gzip, deflate, br, zstd", Some("br"), b"brotli of \0asm version one".as_slice()),
            ("gzip, deflate", Some("gzip"), b"gzip of \0asm version one".as_slice()),
            ("identity", None, b"\0asm version one".as_slice()),
        ] {
            let response = fetch_encoded(&app, &wasm, accepts).await;
            assert_eq!(response.status(), StatusCode::OK, "{accepts}");
            let headers = response.headers().clone();
            assert_eq!(headers.get("content-encoding").map(|value| value.to_str().unwrap()), encoding, "{accepts}");
            assert_eq!(headers["content-type"], "application/wasm");
            assert_eq!(headers["cache-control"], "public, max-age=31536000, immutable");
            assert_eq!(headers["vary"], "accept-encoding");
            assert_eq!(response.bytes().await.unwrap().as_ref(), body, "{accepts}");
        }
        let glue = fetch_encoded(&app, &glue, "br").await;
        assert_eq!((glue.status(), glue.headers()["content-encoding"].to_str().unwrap()), (StatusCode::OK, "br"));
        // Unversioned, the same files are revalidated every time.
        let plain = app.get(None, "/static/pkg/callpop_adapter_bg.wasm").await;
        assert_eq!(plain.headers()["cache-control"], "no-cache");

        // Another build: the page names a new version, and the old one's names are gone from the new server.
        let rebuilt = crate::helpers::spawn_app_with(app.backend, |config| {
            config.static_dir = static_dir_with_wasm(b"\0asm version two");
        })
        .await;
        let page = rebuilt.get(None, "/softphone/").await.text().await.unwrap();
        let new_boot = boot_script_url(&page, &format!("{}/softphone/", rebuilt.base));
        assert!(!new_boot.path().contains(version), "a new hash for new bytes: {new_boot} after {boot}");
        let new_wasm = new_boot.join("../pkg/callpop_adapter_bg.wasm").unwrap();
        let response = fetch_encoded(&rebuilt, &new_wasm, "identity").await;
        assert_eq!(response.bytes().await.unwrap().as_ref(), b"\0asm version two");
        let old = rebuilt.get(None, wasm.path()).await;
        assert_eq!(old.status(), StatusCode::NOT_FOUND, "{wasm} is not served by the new build");
    }
}

/// PostgreSQL only: a notice whose transaction commits after a later notice's (two writers of one agent's calls at
/// once, each notice's id taken from the sequence when it was inserted) still reaches the open stream. SQLite has
/// one writer, whose notices commit in the order of their ids.
#[tokio::test]
async fn a_notice_that_commits_after_a_later_one_still_reaches_the_open_stream() {
    use sqlx::Connection;
    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::Postgres, quick_watchman).await;
    let account = app.create_account("Acme", Plan::Enterprise).await;
    let mut stream = open_stream(&app, &account.agent.token).await;
    app.ring(&account, "CA-SLOW-WRITER", &account.agent, 1, "Google Ads").await;
    let rang = read_stream(&mut stream, |sent| sent.contains("CA-SLOW-WRITER")).await;
    assert!(rang.contains("CA-SLOW-WRITER"), "{rang:?}");

    // A writer takes its notice's id and has not committed yet: the caller's name it learned, with its notice.
    let (url, schema) = app.postgres().expect("a PostgreSQL app");
    let mut slow = sqlx::PgConnection::connect(url).await.expect("PostgreSQL answers");
    sqlx::query(sqlx::AssertSqlSafe(format!("SET search_path TO {schema}"))).execute(&mut slow).await.unwrap();
    let mut slow_writer = slow.begin().await.unwrap();
    let call_row_id: i64 =
        sqlx::query_scalar("UPDATE calls SET caller_name = 'Ada Slow' WHERE call_id = 'CA-SLOW-WRITER' RETURNING id")
            .fetch_one(&mut *slow_writer)
            .await
            .unwrap();
    sqlx::query(
        "INSERT INTO agent_events (user_id, call_row_id, reason, created_at) VALUES ($1, $2, 'ringing', now())",
    )
    .bind(account.agent.id)
    .bind(call_row_id)
    .execute(&mut *slow_writer)
    .await
    .unwrap();

    // Meanwhile another call rings and its notice, with a higher id, commits and reaches the stream.
    app.ring(&account, "CA-FAST-WRITER", &account.agent, 2, "Google Ads").await;
    let fast = read_stream(&mut stream, |sent| sent.contains("CA-FAST-WRITER")).await;
    assert!(fast.contains("CA-FAST-WRITER") && !fast.contains("Ada Slow"), "{fast:?}");

    // The slow writer commits; its wake-up comes from the next thing written for the agent.
    slow_writer.commit().await.unwrap();
    app.ring(&account, "CA-THIRD-WRITER", &account.agent, 3, "Google Ads").await;
    let sent = read_stream(&mut stream, |sent| sent.contains("Ada Slow") && sent.contains("CA-THIRD-WRITER")).await;
    let late: Vec<Value> = calls_sent(&sent).into_iter().filter(|call| call["call_id"] == "CA-SLOW-WRITER").collect();
    assert_eq!(late.len(), 1, "the late notice is sent once: {sent:?}");
    assert_eq!(late[0]["caller_name"], "Ada Slow");
}
