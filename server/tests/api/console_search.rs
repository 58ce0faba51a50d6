//! The console's search and export: the call and text logs searched by number, name, agent, dates and sync status,
//! paged both ways with counts, exported as CSV (what the search shows, escaped and safe in a spreadsheet, under the
//! same visibility), and the sync log's callers, pages and dismissals.

use crate::helpers::{TestAccount, TestApp, TestUser, api_test, assert_error, at, call_event, text_event};
use crate::org::{Linked, org_test};
use callpop_core::account::Plan;
use callpop_sandbox::faults::{Fault, FaultAction};
use callpop_sandbox::seed;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn call_ids(page: &Value) -> Vec<String> {
    let calls = page["calls"].as_array().unwrap_or_else(|| panic!("a calls array in {page}"));
    calls.iter().map(|call| call["call_id"].as_str().unwrap().to_owned()).collect()
}

fn message_ids(page: &Value) -> Vec<String> {
    let texts = page["texts"].as_array().unwrap_or_else(|| panic!("a texts array in {page}"));
    texts.iter().map(|text| text["message_id"].as_str().unwrap().to_owned()).collect()
}

/// A call from `number` by `name` rings for `agent`, `minutes` after the tests' start time.
async fn ring(
    app: &TestApp,
    account: &TestAccount,
    call_id: &str,
    number: &str,
    name: &str,
    agent: &TestUser,
    minutes: i64,
) {
    let mut body = call_event(call_id, "ringing", &agent.email, minutes, "Google Ads");
    body["caller_number"] = json!(number);
    body["caller_name"] = json!(name);
    let response = app.post_json(Some(&account.api_key), "/api/v1/call-events", &body).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED, "{}", response.text().await.unwrap_or_default());
}

/// The search's answer, asserting a 200.
async fn search(app: &TestApp, user: &TestUser, path: &str) -> Value {
    let (status, page) = app.get_json(user, path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {page}");
    page
}

/// The CSV download's lines (header first), asserting an attachment.
async fn export(app: &TestApp, user: &TestUser, path: &str) -> Vec<String> {
    let response = app.get(Some(&user.token), path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let header =
        |name: &str| response.headers().get(name).and_then(|value| value.to_str().ok()).unwrap_or("").to_owned();
    assert_eq!(header("content-type"), "text/csv; charset=utf-8");
    let disposition = header("content-disposition");
    assert!(disposition.starts_with("attachment; filename=\"") && disposition.ends_with(".csv\""), "{disposition}");
    let body = response.text().await.expect("a CSV body");
    assert!(body.ends_with("\r\n"), "every line ends with CRLF: {body:?}");
    body.trim_end_matches("\r\n").split("\r\n").map(str::to_owned).collect()
}

async fn four_callers(app: &TestApp, acme: &TestAccount) {
    ring(app, acme, "CA-ANA", "+14155550101", "Ana Lopez", &acme.agent, 0).await;
    ring(app, acme, "CA-BOB", "(415) 555-0102", "Bob Stone", &acme.other_agent, 1).await;
    ring(app, acme, "CA-ANNA", "+442071234567", "Anna Bell", &acme.agent, 2).await;
    ring(app, acme, "CA-ANA-AGAIN", "415.555.0101", "ana lopez", &acme.other_agent, 3).await;
}

api_test! {
    async fn the_call_log_is_searched_by_number_name_agent_dates_and_sync_status(app: TestApp) {
        // Arrange
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        four_callers(&app, &acme).await;
        let manager = &acme.manager;

        // Act and assert: a number in any format, or its last digits.
        for number in ["%2B14155550101", "(415)%20555-0101", "415.555.0101", "0101"] {
            let page = search(&app, manager, &format!("/api/v1/calls?number={number}")).await;
            assert_eq!(call_ids(&page), ["CA-ANA-AGAIN", "CA-ANA"], "number={number}");
            assert_eq!(page["total"], 2);
        }
        let page = search(&app, manager, "/api/v1/calls?number=020%207123%204567").await;
        assert_eq!(call_ids(&page), Vec::<String>::new(), "a UK national number is not a US one");
        let page = search(&app, manager, "/api/v1/calls?number=%2B44%2020%207123%204567").await;
        assert_eq!(call_ids(&page), ["CA-ANNA"]);

        // A name, contained anywhere, without case; `%` and `_` are plain characters.
        let page = search(&app, manager, "/api/v1/calls?name=ANA").await;
        assert_eq!(call_ids(&page), ["CA-ANA-AGAIN", "CA-ANA"]);
        let page = search(&app, manager, "/api/v1/calls?name=ann").await;
        assert_eq!(call_ids(&page), ["CA-ANNA"]);
        let page = search(&app, manager, "/api/v1/calls?name=%25").await;
        assert_eq!(call_ids(&page), Vec::<String>::new());

        // An agent, and the filters together.
        let path = format!("/api/v1/calls?agent={}&name=ana", acme.other_agent.email);
        assert_eq!(call_ids(&search(&app, manager, &path).await), ["CA-ANA-AGAIN"]);

        // Dates are days on the org's calendar (UTC without an org); `to` includes its day.
        let day = at(0)[..10].to_owned();
        let page = search(&app, manager, &format!("/api/v1/calls?from={day}&to={day}")).await;
        assert_eq!(page["total"], 4);
        let before = (chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d").unwrap() - chrono::Duration::days(1)).to_string();
        let page = search(&app, manager, &format!("/api/v1/calls?to={before}")).await;
        assert_eq!(page["total"], 0);
        let page = search(&app, manager, &format!("/api/v1/calls?from={}", at(2).replace('+', "%2B"))).await;
        assert_eq!(call_ids(&page), ["CA-ANA-AGAIN", "CA-ANNA"]);

        // The sync status the panel shows: nothing is linked, so everything waits.
        let page = search(&app, manager, "/api/v1/calls?sync_status=pending").await;
        assert_eq!(page["total"], 4);
        let page = search(&app, manager, "/api/v1/calls?sync_status=synced").await;
        assert_eq!(page["total"], 0);

        // A call agent searches only their own calls.
        let page = search(&app, &acme.agent, "/api/v1/calls?name=ana").await;
        assert_eq!(call_ids(&page), ["CA-ANA"]);
        assert_eq!(page["total"], 1);
    }
}

api_test! {
    async fn pages_move_forward_and_back_with_counts_and_keep_their_rows_while_calls_arrive(app: TestApp) {
        // Arrange
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        for minute in 0..5 {
            ring(&app, &acme, &format!("CA-{minute}"), "+14155550101", "Ana Lopez", &acme.agent, minute).await;
        }
        let manager = &acme.manager;

        // Act: forward to the last page.
        let first = search(&app, manager, "/api/v1/calls?limit=2").await;
        let next = first["next_cursor"].as_str().expect("a next page").to_owned();
        let second = search(&app, manager, &format!("/api/v1/calls?limit=2&after={next}")).await;
        let next = second["next_cursor"].as_str().expect("a last page").to_owned();
        let last = search(&app, manager, &format!("/api/v1/calls?limit=2&after={next}")).await;

        // Assert
        assert_eq!((call_ids(&first), &first["total"], &first["offset"], &first["prev_cursor"]), (vec!["CA-4".to_owned(), "CA-3".to_owned()], &json!(5), &json!(0), &Value::Null));
        assert_eq!((call_ids(&second), &second["offset"]), (vec!["CA-2".to_owned(), "CA-1".to_owned()], &json!(2)));
        assert_eq!((call_ids(&last), &last["offset"], &last["next_cursor"]), (vec!["CA-0".to_owned()], &json!(4), &Value::Null));

        // Act: a new call arrives, then back from the last page.
        ring(&app, &acme, "CA-NEW", "+14155550101", "Ana Lopez", &acme.agent, 6).await;
        let prev = last["prev_cursor"].as_str().expect("a previous page").to_owned();
        let back = search(&app, manager, &format!("/api/v1/calls?limit=2&before={prev}")).await;
        let prev = back["prev_cursor"].as_str().expect("a previous page").to_owned();
        let front = search(&app, manager, &format!("/api/v1/calls?limit=2&before={prev}")).await;

        // Assert: the same rows as before, counted with the new call, which is one page further back.
        assert_eq!(call_ids(&back), ["CA-2", "CA-1"]);
        assert_eq!((&back["total"], &back["offset"]), (&json!(6), &json!(3)));
        assert_eq!(call_ids(&front), ["CA-4", "CA-3"]);
        assert_eq!(front["offset"], 1);
        let prev = front["prev_cursor"].as_str().expect("the new call's page").to_owned();
        let newest = search(&app, manager, &format!("/api/v1/calls?limit=2&before={prev}")).await;
        assert_eq!(call_ids(&newest), ["CA-NEW"]);
        assert_eq!((&newest["offset"], &newest["prev_cursor"]), (&json!(0), &Value::Null));
        let older = search(&app, manager, &format!("/api/v1/calls?limit=2&after={}", newest["next_cursor"].as_str().unwrap())).await;
        assert_eq!(call_ids(&older), ["CA-4", "CA-3"]);
    }
}

api_test! {
    async fn the_export_is_every_row_the_search_shows_escaped_and_safe_in_a_spreadsheet(app: TestApp) {
        // Arrange: names a spreadsheet would run, and one with a comma and quotes.
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        ring(&app, &acme, "CA-FORMULA", "+14155550101", "=HYPERLINK(\"http://evil.example\",\"x\")", &acme.agent, 0).await;
        ring(&app, &acme, "CA-QUOTED", "+14155550102", "Stone, \"Bob\"", &acme.agent, 1).await;
        ring(&app, &acme, "CA-AT", "+14155550103", "@SUM(A1)", &acme.other_agent, 2).await;
        ring(&app, &acme, "CA-OTHER", "+14155550199", "Zed", &acme.agent, 3).await;

        // Act
        let page = search(&app, &acme.manager, "/api/v1/calls?number=5550101&limit=1").await;
        let lines = export(&app, &acme.manager, "/api/v1/calls/export.csv?number=4155550101").await;
        let all = export(&app, &acme.manager, "/api/v1/calls/export.csv?limit=1&after=1").await;

        // Assert: the header, then the search's rows (paging ignored), newest first.
        assert!(lines[0].starts_with("call_id,started_at,direction,state,caller_number,caller_e164,caller_name,"), "{}", lines[0]);
        assert!(lines[0].ends_with(",keywords,tags,sync_status"), "{}", lines[0]);
        assert_eq!(page["total"], 1);
        assert_eq!(lines.len(), 2, "{lines:#?}");
        let expected_start = format!("CA-FORMULA,{},inbound,ringing,'+14155550101,'+14155550101,\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",", at(0).replace("+00:00", "Z"));
        assert!(lines[1].starts_with(&expected_start), "{}\n{expected_start}", lines[1]);
        assert!(lines[1].ends_with(",pending"), "{}", lines[1]);
        let ids: Vec<&str> = all[1..].iter().map(|line| line.split(',').next().unwrap()).collect();
        assert_eq!(ids, ["CA-OTHER", "CA-AT", "CA-QUOTED", "CA-FORMULA"]);
        assert!(all.iter().any(|line| line.contains(",\"Stone, \"\"Bob\"\"\",")), "{all:#?}");
        assert!(all.iter().any(|line| line.contains(",'@SUM(A1),")), "{all:#?}");

        // Assert: a call agent exports only their own calls; a filter that selects nothing exports the header.
        let mine = export(&app, &acme.agent, "/api/v1/calls/export.csv").await;
        let ids: Vec<&str> = mine[1..].iter().map(|line| line.split(',').next().unwrap()).collect();
        assert_eq!(ids, ["CA-OTHER", "CA-QUOTED", "CA-FORMULA"]);
        let none = export(&app, &acme.agent, &format!("/api/v1/calls/export.csv?agent={}", acme.other_agent.email)).await;
        assert_eq!(none.len(), 1);
    }
}

api_test! {
    async fn under_limit_data_access_an_agent_neither_sees_nor_filters_nor_exports_sync_statuses(app: TestApp) {
        // Arrange
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        ring(&app, &acme, "CA-1", "+14155550101", "Ana Lopez", &acme.agent, 0).await;
        let (_, mut options) = app.get_json(&acme.admin, "/api/v1/settings/salesforce").await;
        options["limit_data_access"] = json!(true);
        let response = app.send_json(Method::PUT, Some(&acme.admin.token), "/api/v1/settings/salesforce", &options).await;
        assert_eq!(response.status(), StatusCode::OK);

        // Act
        let (status, refused) = app.get_json(&acme.agent, "/api/v1/calls?sync_status=pending").await;
        let lines = export(&app, &acme.agent, "/api/v1/calls/export.csv").await;
        let admin_lines = export(&app, &acme.admin, "/api/v1/calls/export.csv?sync_status=pending").await;

        // Assert
        assert_error(status, &refused, 403, "limit_data_access", None);
        assert!(!lines[0].contains("sync_status"), "{}", lines[0]);
        assert_eq!(lines.len(), 2);
        assert!(admin_lines[0].ends_with(",sync_status"));
        assert_eq!(admin_lines.len(), 2);
    }
}

api_test! {
    async fn the_text_log_is_searched_by_number_and_by_the_name_of_a_call_from_that_number_and_exported(app: TestApp) {
        // Arrange: texts from (415) 555-2671; a call from that number names the caller.
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        app.text(&acme, "SMS-1", &acme.agent, 0).await;
        app.text(&acme, "SMS-2", &acme.other_agent, 1).await;
        let mut other = text_event("SMS-OTHER", &acme.agent.email, 2);
        other["from_number"] = json!("+14155550177");
        other["body"] = json!("-1 for the quote, =cheaper?");
        let response = app.post_json(Some(&acme.api_key), "/api/v1/text-events", &other).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        ring(&app, &acme, "CA-CAROL", "+14155552671", "Carol Díaz", &acme.agent, 3).await;

        // Act and assert
        let page = search(&app, &acme.manager, "/api/v1/texts?number=2671").await;
        assert_eq!((message_ids(&page), &page["total"]), (vec!["SMS-2".to_owned(), "SMS-1".to_owned()], &json!(2)));
        let page = search(&app, &acme.manager, "/api/v1/texts?name=carol").await;
        assert_eq!(message_ids(&page), ["SMS-2", "SMS-1"]);
        let page = search(&app, &acme.agent, "/api/v1/texts?number=2671").await;
        assert_eq!(message_ids(&page), ["SMS-1"], "a call agent's own texts only");
        let page = search(&app, &acme.manager, "/api/v1/texts?limit=1&after=999999").await;
        assert_eq!((message_ids(&page), &page["total"]), (Vec::<String>::new(), &json!(3)));
        let lines = export(&app, &acme.manager, "/api/v1/texts/export.csv?number=5550177").await;
        assert!(lines[0].starts_with("message_id,occurred_at,direction,from_number,to_number,body,"), "{}", lines[0]);
        assert_eq!(lines.len(), 2, "{lines:#?}");
        assert!(lines[1].starts_with("SMS-OTHER,"), "{}", lines[1]);
        assert!(lines[1].contains(",'+14155550177,'+14155550100,\"'-1 for the quote, =cheaper?\","), "{}", lines[1]);
    }
}

api_test! {
    async fn bad_search_parameters_are_refused_naming_the_parameter(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        let long_name = "n".repeat(101);
        for path in ["/api/v1/calls", "/api/v1/calls/export.csv", "/api/v1/texts", "/api/v1/texts/export.csv"] {
            for (query, field) in [
                ("number=ab12", "number"),
                ("number=12", "number"),
                (&format!("name={long_name}") as &str, "name"),
                ("sync_status=done", "sync_status"),
                ("from=2026-13-01", "from"),
                ("to=tomorrow", "to"),
                ("before=3&after=4", "before"),
                ("after=-1", "after"),
                ("before=x", "before"),
                ("cursor=x", "cursor"),
                ("limit=201", "limit"),
                ("colour=red", "colour"),
            ] {
                let (status, body) = app.get_json(&acme.manager, &format!("{path}?{query}")).await;
                assert_error(status, &body, 422, "invalid_field", Some(field));
            }
        }
        let response = app.get(None, "/api/v1/calls/export.csv").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
}

/// Parks a call from a new number: the org requires an email on every Lead.
async fn park_a_call(linked: &Linked, call_id: &str, number: &str) -> Value {
    linked.event(call_id, "ringing", 0, &json!({ "caller_number": number, "caller_name": "Dana Park" })).await;
    linked.settle().await;
    let log = linked.sync_log().await;
    log.into_iter()
        .find(|item| item["subject"] == call_id)
        .unwrap_or_else(|| panic!("{call_id} is not in the sync log"))
}

async fn dismiss(linked: &Linked, user: &TestUser, id: i64, body: &Value) -> (StatusCode, Value) {
    let response = linked.app.post_json(Some(&user.token), &format!("/api/v1/sync-log/{id}/dismiss"), body).await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

org_test! {
    async fn a_parked_item_names_its_caller_and_is_dismissed_with_a_reason_until_it_is_retried(linked: Linked) {
        // Arrange
        linked.org.add_validation_rule(seed::lead_needs_email()).expect("a valid rule");
        let item = park_a_call(&linked, "CA-DISMISS", "+14155550188").await;
        park_a_call(&linked, "CA-KEEP", "+14155550187").await;
        let id = item["id"].as_i64().unwrap();
        let admin = &linked.acme.admin;

        // Assert: the row names the caller; the org's address is there for record links.
        assert_eq!((&item["caller_number"], &item["caller_name"], &item["dismissal"]), (&json!("+14155550188"), &json!("Dana Park"), &Value::Null));
        let (_, log) = linked.app.get_json(admin, "/api/v1/sync-log").await;
        assert_eq!(log["org_url"], linked.org.base_url().trim_end_matches('/'));
        assert_eq!((&log["total"], &log["offset"]), (&json!(2), &json!(0)));

        // Act: refused without a reason, by a manager, for an unknown item; then dismissed.
        let (status, body) = dismiss(&linked, admin, id, &json!({ "reason": "  " })).await;
        assert_error(status, &body, 422, "missing_field", Some("reason"));
        let (status, body) = dismiss(&linked, &linked.acme.manager, id, &json!({ "reason": "spam" })).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let (status, _) = dismiss(&linked, admin, id + 1000, &json!({ "reason": "spam" })).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, body) = dismiss(&linked, admin, id, &json!({ "reason": "A spam caller; no Lead wanted." })).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        let (status, body) = dismiss(&linked, admin, id, &json!({ "reason": "again" })).await;
        assert_error(status, &body, 409, "not_dismissable", None);

        // Assert: out of the default view, in the dismissed one with who, when and why; "retry all" leaves it.
        let subjects = |log: &Value| log["items"].as_array().unwrap().iter().map(|item| item["subject"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
        let (_, log) = linked.app.get_json(admin, "/api/v1/sync-log").await;
        assert_eq!((subjects(&log), &log["total"]), (vec!["CA-KEEP".to_owned()], &json!(1)));
        let (_, dismissed) = linked.app.get_json(admin, "/api/v1/sync-log?dismissed=true").await;
        assert_eq!(subjects(&dismissed), ["CA-DISMISS"]);
        let dismissal = &dismissed["items"][0]["dismissal"];
        assert_eq!((&dismissal["by"], &dismissal["reason"]), (&json!(admin.email), &json!("A spam caller; no Lead wanted.")));
        assert!(dismissal["at"].as_str().is_some_and(|at| at.starts_with(&chrono::Utc::now().format("%Y-%m-%d").to_string())), "{dismissal}");
        assert!(linked.org.remove_validation_rule("Lead_Needs_Email"));
        let retried = linked.app.post_json(Some(&admin.token), "/api/v1/sync-log/retry", &json!({})).await;
        assert_eq!(retried.json::<Value>().await.unwrap()["retried"], 1);
        linked.settle().await;
        let (_, dismissed) = linked.app.get_json(admin, "/api/v1/sync-log?dismissed=true").await;
        assert_eq!(subjects(&dismissed), ["CA-DISMISS"], "retry all leaves a dismissed item alone");

        // Act: retrying the item itself ends its dismissal.
        let retried = linked.app.post_json(Some(&admin.token), &format!("/api/v1/sync-log/{id}/retry"), &json!({})).await;
        assert_eq!(retried.status(), StatusCode::ACCEPTED);
        linked.settle().await;

        // Assert
        let (_, dismissed) = linked.app.get_json(admin, "/api/v1/sync-log?dismissed=true").await;
        assert_eq!(dismissed["total"], 0);
        assert!(linked.sync_log().await.is_empty());
        assert_eq!(linked.tasks_of("CA-DISMISS").len(), 1);
    }
}

/// Waits until the sync log's default view lists `call_id`'s call event refused with `code`, and returns it.
async fn listed_with_error(linked: &Linked, call_id: &str, code: &str) -> Value {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let log = linked.sync_log().await;
        let found = log.iter().find(|item| {
            item["subject"] == call_id
                && item["kind"] == "call_event"
                && item["status"] == "parked"
                && item["error"]["code"] == code
        });
        if let Some(item) = found {
            return item.clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "{call_id} was never listed refused with {code}: {log:#?}");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

org_test! {
    async fn a_dismissal_ends_when_callpops_own_retry_meets_a_different_error(linked: Linked) {
        // Arrange: the org refuses the caller's new Lead; the call ends (its end waits behind the refused start), and
        // the administrator dismisses the refusal.
        linked.org.add_validation_rule(seed::lead_needs_email()).expect("a valid rule");
        let number = "+14155550186";
        linked.event("CA-AGAIN", "ringing", 0, &json!({ "caller_number": number })).await;
        let refused = listed_with_error(&linked, "CA-AGAIN", "FIELD_CUSTOM_VALIDATION_EXCEPTION").await;
        linked.event("CA-AGAIN", "completed", 2, &json!({ "caller_number": number, "duration_secs": 61 })).await;
        let id = refused["id"].as_i64().unwrap();
        let (status, body) = dismiss(&linked, &linked.acme.admin, id, &json!({ "reason": "No Lead for this caller." })).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        assert!(linked.sync_log().await.iter().all(|item| item["id"] != id));

        // Act: the agent appends the call to a Lead they saved, so callpop sends the refused start again on its own,
        // and this time the org refuses the Task's update for another reason.
        linked.org.inject(
            Fault::on("POST", "/services/data/*/composite", FaultAction::Respond {
                status: 400,
                content_type: None,
                body: json!([{ "message": "Task is locked by an approval process.", "errorCode": "ENTITY_IS_LOCKED", "fields": [] }])
                    .to_string(),
            })
            .after(1)
            .times(1),
        );
        let saved = linked.insert("Lead", &json!({ "LastName": "Park", "Company": "Park & Co", "Phone": number, "Email": "dana@example.com" }));
        linked.append("CA-AGAIN", &saved, "Lead", "agent_choice").await;

        // Assert: the item is listed again with the new error, no longer dismissed.
        let listed = listed_with_error(&linked, "CA-AGAIN", "ENTITY_IS_LOCKED").await;
        assert_eq!((&listed["id"], &listed["dismissal"]), (&json!(id), &Value::Null), "{listed}");
        assert_eq!(listed["error"]["message"], "Task is locked by an approval process.");
        let (_, dismissed) = linked.app.get_json(&linked.acme.admin, "/api/v1/sync-log?dismissed=true").await;
        assert_eq!(dismissed["total"], 0, "{dismissed}");
    }
}

org_test! {
    async fn the_sync_log_pages_both_ways_and_refuses_bad_parameters_by_name(linked: Linked) {
        // Arrange
        linked.org.add_validation_rule(seed::lead_needs_email()).expect("a valid rule");
        for n in 0..3 {
            linked.event(&format!("CA-P{n}"), "ringing", n, &json!({ "caller_number": format!("+1415555016{n}") })).await;
        }
        linked.settle().await;
        let admin = &linked.acme.admin;

        // Act
        let (_, first) = linked.app.get_json(admin, "/api/v1/sync-log?limit=2").await;
        let next = first["next_cursor"].as_str().expect("a next page").to_owned();
        let (_, second) = linked.app.get_json(admin, &format!("/api/v1/sync-log?limit=2&after={next}")).await;
        let prev = second["prev_cursor"].as_str().expect("a previous page").to_owned();
        let (_, back) = linked.app.get_json(admin, &format!("/api/v1/sync-log?limit=2&before={prev}")).await;

        // Assert
        assert_eq!((&first["total"], first["items"].as_array().unwrap().len(), &first["prev_cursor"]), (&json!(3), 2, &Value::Null));
        assert_eq!((&second["offset"], second["items"].as_array().unwrap().len(), &second["next_cursor"]), (&json!(2), 1, &Value::Null));
        assert_eq!(back["items"], first["items"]);
        for (query, field) in [("dismissed=maybe", "dismissed"), ("after=x", "after"), ("limit=0", "limit"), ("status=done", "status"), ("page=2", "page")] {
            let (status, body) = linked.app.get_json(admin, &format!("/api/v1/sync-log?{query}")).await;
            assert_error(status, &body, 422, "invalid_field", Some(field));
        }
    }
}
