//! Call controls: an agent's command for their live call, the telephony side reading and acknowledging it, and the
//! confirmed state that reaches the agent's softphone on its stream.

use crate::helpers::{TestAccount, TestApp, api_test, assert_error, call_event};
use crate::softphone::{calls_sent, open_stream, read_stream};
use callpop_core::account::Plan;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Rings the call on the first agent and answers it.
async fn live_call(app: &TestApp, account: &TestAccount, call_id: &str) {
    app.ring(account, call_id, &account.agent, 1, "Google Ads").await;
    let answered = call_event(call_id, "answered", &account.agent.email, 2, "Google Ads");
    let response = app.post_json(Some(&account.api_key), "/api/v1/call-events", &answered).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
}

async fn command(app: &TestApp, token: &str, call_id: &str, body: Value) -> (StatusCode, Value) {
    let response = app.post_json(Some(token), &format!("/api/v1/agent/calls/{call_id}/commands"), &body).await;
    (response.status(), response.json().await.unwrap_or_default())
}

async fn pending(app: &TestApp, account: &TestAccount, query: &str) -> Vec<Value> {
    let response = app.get(Some(&account.api_key), &format!("/api/v1/call-commands{query}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn ack(app: &TestApp, account: &TestAccount, id: i64, body: Value) -> (StatusCode, Value) {
    let response = app.post_json(Some(&account.api_key), &format!("/api/v1/call-commands/{id}/ack"), &body).await;
    (response.status(), response.json().await.unwrap_or_default())
}

/// The control state of the last update of `call_id` the stream sent.
fn last_control(sent: &str, call_id: &str) -> Value {
    calls_sent(sent)
        .into_iter()
        .rfind(|call| call["call_id"] == call_id)
        .map(|call| call["control"].clone())
        .unwrap_or_default()
}

api_test! {
    async fn a_hold_shows_pending_until_the_telephony_side_confirms_it_and_the_ack_is_idempotent(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        live_call(&app, &acme, "CA-HOLD").await;
        let mut stream = open_stream(&app, &acme.agent.token).await;

        let (status, sent) = command(&app, &acme.agent.token, "CA-HOLD", json!({"command": "hold"})).await;
        assert_eq!((status, sent["status"].as_str(), sent["command"].as_str()), (StatusCode::CREATED, Some("pending"), Some("hold")));
        let seen = read_stream(&mut stream, |seen| last_control(seen, "CA-HOLD")["pending"] == "hold").await;
        assert_eq!(last_control(&seen, "CA-HOLD")["held"], false, "not held before the telephony side says so: {seen}");
        let (status, again) = command(&app, &acme.agent.token, "CA-HOLD", json!({"command": "mute"})).await;
        assert_error(status, &again, 422, "invalid_field", Some("command"));

        let waiting = pending(&app, &acme, "").await;
        assert_eq!(waiting.len(), 1, "{waiting:?}");
        assert_eq!((waiting[0]["call_id"].as_str(), waiting[0]["agent"].as_str()), (Some("CA-HOLD"), Some(acme.agent.email.as_str())));
        let id = waiting[0]["id"].as_i64().unwrap();
        let (status, done) = ack(&app, &acme, id, json!({"status": "done"})).await;
        assert_eq!((status, done["status"].as_str()), (StatusCode::OK, Some("done")));
        let seen = read_stream(&mut stream, |seen| last_control(seen, "CA-HOLD")["held"] == true).await;
        assert_eq!(last_control(&seen, "CA-HOLD")["pending"], Value::Null, "{seen}");
        assert_eq!(pending(&app, &acme, "").await, Vec::<Value>::new(), "nothing left to read");

        let (status, repeated) = ack(&app, &acme, id, json!({"status": "done"})).await;
        assert_eq!((status, repeated["status"].as_str()), (StatusCode::OK, Some("done")), "the same ack again is fine");
        let (status, contradicting) = ack(&app, &acme, id, json!({"status": "failed", "reason": "line busy"})).await;
        assert_error(status, &contradicting, 409, "contradicts_ack", None);

        // Held: hold again is refused, resume goes through.
        let (status, body) = command(&app, &acme.agent.token, "CA-HOLD", json!({"command": "hold"})).await;
        assert_error(status, &body, 422, "invalid_field", Some("command"));
        let (status, _) = command(&app, &acme.agent.token, "CA-HOLD", json!({"command": "resume"})).await;
        assert_eq!(status, StatusCode::CREATED);
    }
}

api_test! {
    async fn a_failed_command_leaves_the_state_and_shows_the_reason(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        live_call(&app, &acme, "CA-MUTE").await;
        let mut stream = open_stream(&app, &acme.agent.token).await;
        let (_, sent) = command(&app, &acme.agent.token, "CA-MUTE", json!({"command": "mute"})).await;
        let id = sent["id"].as_i64().unwrap();
        // A phone system that gives no reason still fails the command; the agent reads that none was given.
        let (status, _) = ack(&app, &acme, id, json!({"status": "failed"})).await;
        assert_eq!(status, StatusCode::OK);
        let seen = read_stream(&mut stream, |seen| !last_control(seen, "CA-MUTE")["failure"].is_null()).await;
        let control = last_control(&seen, "CA-MUTE");
        assert_eq!(control["failure"]["reason"], json!("the phone system gave no reason"), "{seen}");
        let (_, again) = command(&app, &acme.agent.token, "CA-MUTE", json!({"command": "mute"})).await;
        let again = again["id"].as_i64().unwrap();
        let (status, _) = ack(&app, &acme, again, json!({"status": "failed", "reason": "the line dropped"})).await;
        assert_eq!(status, StatusCode::OK);
        let seen = read_stream(&mut stream, |seen| last_control(seen, "CA-MUTE")["failure"]["reason"] == json!("the line dropped")).await;
        let control = last_control(&seen, "CA-MUTE");
        assert_eq!((&control["muted"], &control["failure"]["reason"]), (&json!(false), &json!("the line dropped")), "{seen}");
        let (status, _) = command(&app, &acme.agent.token, "CA-MUTE", json!({"command": "mute"})).await;
        assert_eq!(status, StatusCode::CREATED, "the agent may try again");
    }
}

api_test! {
    async fn commands_are_refused_for_calls_and_inputs_they_do_not_fit(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        let globex = app.create_account("Globex", Plan::Enterprise).await;
        live_call(&app, &acme, "CA-MINE").await;
        app.ring(&acme, "CA-RINGING", &acme.agent, 1, "Google Ads").await;
        let token = acme.agent.token.as_str();

        let (status, body) = command(&app, token, "CA-RINGING", json!({"command": "hold"})).await;
        assert_error(status, &body, 422, "invalid_field", Some("command"));
        let (status, body) = command(&app, &acme.other_agent.token, "CA-MINE", json!({"command": "hang_up"})).await;
        assert_error(status, &body, 404, "not_found", None);
        let (status, body) = command(&app, &globex.agent.token, "CA-MINE", json!({"command": "hang_up"})).await;
        assert_error(status, &body, 404, "not_found", None);
        let (status, body) = command(&app, token, "CA-MINE", json!({"command": "send_digits", "digits": "12a"})).await;
        assert_error(status, &body, 422, "invalid_field", Some("digits"));
        let (status, body) = command(&app, token, "CA-MINE", json!({"command": "transfer"})).await;
        assert_error(status, &body, 422, "invalid_field", Some("to_number"));
        let (status, body) = command(&app, token, "CA-MINE", json!({"command": "transfer", "to_agent": "nobody@else.test"})).await;
        assert_error(status, &body, 422, "invalid_field", Some("to_agent"));
        let (status, body) = command(&app, token, "CA-MINE", json!({"command": "transfer", "to_agent": globex.agent.email})).await;
        assert_error(status, &body, 422, "invalid_field", Some("to_agent"));
        let (status, body) = command(&app, token, "CA-MINE", json!({"command": "transfer", "to_number": "not a number"})).await;
        assert_error(status, &body, 422, "invalid_field", Some("to_number"));
        assert_eq!(pending(&app, &acme, "").await, Vec::<Value>::new(), "nothing refused was stored");

        let ended = call_event("CA-MINE", "completed", &acme.agent.email, 3, "Google Ads");
        assert_eq!(app.post_json(Some(&acme.api_key), "/api/v1/call-events", &ended).await.status(), StatusCode::ACCEPTED);
        let (status, body) = command(&app, token, "CA-MINE", json!({"command": "hang_up"})).await;
        assert_error(status, &body, 422, "invalid_field", Some("command"));

        let response = app.get(Some(&acme.api_key), "/api/v1/call-commands?wait_secs=31").await;
        assert_error(response.status(), &response.json().await.unwrap(), 422, "invalid_field", Some("wait_secs"));
        let response = app.get(Some(token), "/api/v1/call-commands").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "the telephony side's API key only");
    }
}

api_test! {
    async fn each_account_reads_and_acknowledges_only_its_own_commands(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        let globex = app.create_account("Globex", Plan::Enterprise).await;
        live_call(&app, &acme, "CA-DIGITS").await;
        let (_, sent) = command(&app, &acme.agent.token, "CA-DIGITS", json!({"command": "send_digits", "digits": "12#,w9"})).await;
        assert_eq!(sent["digits"], "12#,w9");
        assert_eq!(pending(&app, &globex, "").await, Vec::<Value>::new());
        let (status, body) = ack(&app, &globex, sent["id"].as_i64().unwrap(), json!({"status": "done"})).await;
        assert_error(status, &body, 404, "not_found", None);
        assert_eq!(pending(&app, &acme, "").await.len(), 1, "still waiting for its own telephony side");
    }
}

api_test! {
    async fn a_read_that_waits_returns_the_command_sent_meanwhile(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        live_call(&app, &acme, "CA-WAIT").await;
        let read = pending(&app, &acme, "?wait_secs=10");
        let send = async {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            command(&app, &acme.agent.token, "CA-WAIT", json!({"command": "hang_up"})).await
        };
        let (read, (status, _)) = tokio::join!(read, send);
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(read.len(), 1, "{read:?}");
        assert_eq!(read[0]["command"], "hang_up");
    }
}

api_test! {
    async fn a_transfer_to_another_agent_hands_them_the_call_once_confirmed(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        live_call(&app, &acme, "CA-XFER").await;
        let mut first = open_stream(&app, &acme.agent.token).await;
        let mut second = open_stream(&app, &acme.other_agent.token).await;
        let body = json!({"command": "transfer", "to_agent": acme.other_agent.email.to_uppercase()});
        let (status, sent) = command(&app, &acme.agent.token, "CA-XFER", body).await;
        assert_eq!((status, sent["to_agent"].as_str()), (StatusCode::CREATED, Some(acme.other_agent.email.as_str())));
        let (status, _) = ack(&app, &acme, sent["id"].as_i64().unwrap(), json!({"status": "done"})).await;
        assert_eq!(status, StatusCode::OK);

        let seen = read_stream(&mut first, |seen| !last_control(seen, "CA-XFER")["transferred_to"].is_null()).await;
        assert_eq!(last_control(&seen, "CA-XFER")["transferred_to"], "agent2", "{seen}");
        let seen = read_stream(&mut second, |seen| calls_sent(seen).iter().any(|call| call["call_id"] == "CA-XFER")).await;
        let call = calls_sent(&seen).into_iter().rfind(|call| call["call_id"] == "CA-XFER").unwrap();
        assert_eq!((&call["state"], &call["popped"], &call["control"]["transferred_to"]), (&json!("answered"), &json!(false), &Value::Null));

        let (status, body) = command(&app, &acme.agent.token, "CA-XFER", json!({"command": "hang_up"})).await;
        assert_error(status, &body, 404, "not_found", None);
        let (status, _) = command(&app, &acme.other_agent.token, "CA-XFER", json!({"command": "hold"})).await;
        assert_eq!(status, StatusCode::CREATED, "the call is the second agent's now");
    }
}

api_test! {
    async fn a_transfer_to_a_number_ends_the_agents_controls(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        live_call(&app, &acme, "CA-OUT").await;
        let mut stream = open_stream(&app, &acme.agent.token).await;
        let (_, sent) = command(&app, &acme.agent.token, "CA-OUT", json!({"command": "transfer", "to_number": "(415) 555-0199"})).await;
        assert_eq!(sent["to_number"], "+14155550199");
        ack(&app, &acme, sent["id"].as_i64().unwrap(), json!({"status": "done"})).await;
        let seen = read_stream(&mut stream, |seen| !last_control(seen, "CA-OUT")["transferred_to"].is_null()).await;
        assert_eq!(last_control(&seen, "CA-OUT")["transferred_to"], "+14155550199", "{seen}");
        let (status, body) = command(&app, &acme.agent.token, "CA-OUT", json!({"command": "hang_up"})).await;
        assert_error(status, &body, 422, "invalid_field", Some("command"));
    }
}
