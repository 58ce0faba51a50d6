//! `callpop simulate`: posts a call's events to a callpop server the way a telephony platform would.
//!
//! It also plays the telephony side of call controls (`--obey-commands`, and the demo's loop): it reads the agents'
//! commands (`GET /api/v1/call-commands?wait_secs=`) for the calls it has up, carries them out the way a phone
//! system would and acknowledges each. Hold, resume, mute, unmute and digits are acknowledged `done`. A hang-up is
//! acknowledged, then the call's `completed` event posted. A transfer to another agent is acknowledged and the
//! call's later events name that agent. A transfer to a number takes the call away from the contact centre: it is
//! acknowledged and the call reported `completed`, which ends the agent's leg (and the call's Task).

use anyhow::{Context, bail};
use clap::Args;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Ring an agent's softphone from the command line.
#[derive(Debug, Clone, Args)]
pub struct SimulateArgs {
    /// The callpop server.
    #[arg(long, env = "CALLPOP_SERVER", default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// The account's API key; defaults to the demo's, read from target/demo/credentials.json.
    #[arg(long, env = "CALLPOP_API_KEY")]
    pub api_key: Option<String>,
    /// The caller's number.
    #[arg(long, default_value = "+14155552671")]
    pub from: String,
    /// The tracking number the caller dialled.
    #[arg(long, default_value = "+14155550100")]
    pub to: String,
    /// The agent whose softphone rings (their callpop email).
    #[arg(long, default_value = crate::provision::DEMO_AGENT_EMAIL)]
    pub agent: String,
    /// The caller's name, as caller ID gives it.
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long, default_value = "Google Ads")]
    pub source: String,
    #[arg(long, default_value = "Spring Promo")]
    pub campaign: String,
    /// The call's id; a new one by default. Reuse it with `--kind` to send a later event of the same call.
    #[arg(long)]
    pub call_id: Option<String>,
    /// Send only this event (`ringing`, `answered` or `completed`) instead of ringing.
    #[arg(long)]
    pub kind: Option<String>,
    /// After ringing, report the call answered this many seconds later.
    #[arg(long)]
    pub answer_after: Option<u64>,
    /// After answering (or ringing), report the call completed this many seconds later.
    #[arg(long)]
    pub hang_up_after: Option<u64>,
    /// Act as the telephony side for click-to-dial: place every pending dial request (answered after 2 s,
    /// completed after 30 s) until stopped.
    #[arg(long, conflicts_with_all = ["kind", "call_id"])]
    pub place_dials: bool,
    /// Keep the call up after ringing (answered after `--answer-after`, 1 s by default) and obey the agent's call
    /// controls until the agent hangs up or transfers it to a number.
    #[arg(long, conflicts_with_all = ["kind", "place_dials", "hang_up_after"])]
    pub obey_commands: bool,
}

/// Where the demo writes its credentials.
pub fn demo_credentials_path() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/demo/credentials.json"))
}

fn api_key(args: &SimulateArgs) -> anyhow::Result<String> {
    if let Some(key) = &args.api_key {
        return Ok(key.clone());
    }
    let path = demo_credentials_path();
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "no --api-key given and no demo credentials at {}: start `cargo xtask demo` or pass --api-key",
            path.display()
        )
    })?;
    let credentials: Value = serde_json::from_str(&text)?;
    credentials["api_key"].as_str().map(str::to_owned).context("the demo credentials have no api_key")
}

/// Runs the simulation, printing each event's answer.
pub async fn run(args: SimulateArgs) -> anyhow::Result<()> {
    let key = api_key(&args)?;
    if args.place_dials {
        println!("placing click-to-dial requests for {} (Ctrl-C to stop)", args.server);
        return place_dial_requests(args.server.clone(), key, &args.to, CallBook::default()).await;
    }
    if args.obey_commands {
        return ring_and_obey(&args, key).await;
    }
    let call_id = args.call_id.clone().unwrap_or_else(|| format!("sim-{}", uuid::Uuid::new_v4().simple()));
    let client = reqwest::Client::new();
    let started = std::time::Instant::now();
    let send = |kind: &'static str, duration_secs: Option<u64>| {
        let mut body = json!({
            "call_id": call_id, "kind": kind, "direction": "inbound", "caller_number": args.from,
            "tracking_number": args.to, "agent": args.agent, "tracking_source": args.source,
            "campaign": args.campaign, "occurred_at": chrono::Utc::now().to_rfc3339(),
        });
        if let Some(name) = &args.name {
            body["caller_name"] = json!(name);
        }
        if let Some(duration) = duration_secs {
            body["duration_secs"] = json!(duration);
        }
        let request = client
            .post(format!("{}/api/v1/call-events", args.server.trim_end_matches('/')))
            .bearer_auth(&key)
            .json(&body);
        async move {
            let response = request.send().await.context("reaching the callpop server")?;
            let status = response.status();
            let answer = response.text().await.unwrap_or_default();
            if !status.is_success() {
                bail!("{kind}: the server answered {status}: {answer}");
            }
            println!("{kind:>9}: {status} {answer}");
            anyhow::Ok(())
        }
    };
    let single = args.kind.as_deref();
    match single {
        Some("ringing") | None => send("ringing", None).await?,
        Some("answered") => send("answered", None).await?,
        Some("completed") => send("completed", args.hang_up_after).await?,
        Some(other) => bail!("--kind must be ringing, answered or completed, not {other:?}"),
    }
    if single.is_none() {
        if let Some(seconds) = args.answer_after {
            tokio::time::sleep(Duration::from_secs(seconds)).await;
            send("answered", None).await?;
        }
        if let Some(seconds) = args.hang_up_after {
            tokio::time::sleep(Duration::from_secs(seconds)).await;
            send("completed", Some(started.elapsed().as_secs())).await?;
        }
    }
    println!("call id: {call_id}");
    Ok(())
}

/// Plays the telephony side of click-to-dial: polls the pending dial requests and places each one, posting its
/// `ringing`, `answered` (2 s later) and `completed` (30 s later, unless the agent hung up or transferred it before)
/// events with the request's id. The calls it places go into `book`, so a command loop over the same book
/// (`obey_commands`) controls them. Runs until stopped; the demo runs it in the background.
pub async fn place_dial_requests(
    server: String,
    api_key: String,
    tracking_number: &str,
    book: CallBook,
) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let server = server.trim_end_matches('/').to_owned();
    loop {
        let pending: Vec<Value> =
            match client.get(format!("{server}/api/v1/dial-requests")).bearer_auth(&api_key).send().await {
                Ok(response) if response.status().is_success() => response.json().await.unwrap_or_default(),
                _ => Vec::new(), // The server is starting or away: try again shortly.
            };
        for request in pending {
            let line =
                Line { client: client.clone(), server: server.clone(), api_key: api_key.clone(), book: book.clone() };
            let tracking = tracking_number.to_owned();
            tokio::spawn(async move {
                if let Err(error) = place_one(&line, &tracking, &request).await {
                    eprintln!("placing dial request {}: {error:#}", request["id"]);
                }
            });
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn place_one(line: &Line, tracking: &str, request: &Value) -> anyhow::Result<()> {
    let id = request["id"].as_i64().context("a dial request without an id")?;
    let call_id = format!("dial-{id}-{}", uuid::Uuid::new_v4().simple());
    let event = json!({
        "call_id": call_id, "direction": "outbound", "caller_number": request["number"],
        "tracking_number": tracking, "agent": request["agent"], "dial_request_id": id,
    });
    line.book.insert(&call_id, event);
    for (kind, delay) in [("ringing", 0), ("answered", 2), ("completed", 28)] {
        tokio::time::sleep(Duration::from_secs(delay)).await;
        // The agent hung up or transferred the call meanwhile: its end was reported then.
        if !line.book.has(&call_id) {
            return Ok(());
        }
        line.post_event(&call_id, kind).await?;
    }
    line.book.remove(&call_id);
    Ok(())
}

/// The calls a telephony side has up, by call id: what each one's later events repeat (direction, numbers, agent)
/// and when it started.
#[derive(Debug, Clone, Default)]
pub struct CallBook(Arc<Mutex<HashMap<String, (Value, Instant)>>>);

impl CallBook {
    fn calls(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Value, Instant)>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Keeps a call: `event` is the body of its events without `kind` and `occurred_at`.
    pub fn insert(&self, call_id: &str, event: Value) {
        self.calls().insert(call_id.to_owned(), (event, Instant::now()));
    }

    pub fn has(&self, call_id: &str) -> bool {
        self.calls().contains_key(call_id)
    }

    pub fn remove(&self, call_id: &str) {
        self.calls().remove(call_id);
    }

    /// The ids of the calls up now.
    pub fn ids(&self) -> Vec<String> {
        self.calls().keys().cloned().collect()
    }

    /// The call's event of `kind`, now; `completed` carries the duration so far.
    fn event(&self, call_id: &str, kind: &str) -> Option<Value> {
        let (mut event, started) = self.calls().get(call_id).cloned()?;
        event["kind"] = json!(kind);
        event["occurred_at"] = json!(chrono::Utc::now().to_rfc3339());
        if kind == "completed" {
            event["duration_secs"] = json!(started.elapsed().as_secs());
        }
        Some(event)
    }

    /// The call's later events name `agent`: the call was transferred to them.
    fn hand_to(&self, call_id: &str, agent: &str) {
        if let Some((event, _)) = self.calls().get_mut(call_id) {
            event["agent"] = json!(agent);
        }
    }
}

/// A telephony side's connection to one callpop server: where it posts, with which key, and the calls it has up.
#[derive(Debug, Clone)]
pub struct Line {
    pub client: reqwest::Client,
    pub server: String,
    pub api_key: String,
    pub book: CallBook,
}

impl Line {
    pub fn new(server: &str, api_key: &str, book: CallBook) -> Self {
        Self {
            client: reqwest::Client::new(),
            server: server.trim_end_matches('/').to_owned(),
            api_key: api_key.to_owned(),
            book,
        }
    }

    /// Posts the call's event of `kind` (nothing when the call is not in the book).
    pub async fn post_event(&self, call_id: &str, kind: &str) -> anyhow::Result<()> {
        let Some(event) = self.book.event(call_id, kind) else { return Ok(()) };
        let response = self
            .client
            .post(format!("{}/api/v1/call-events", self.server))
            .bearer_auth(&self.api_key)
            .json(&event)
            .send()
            .await
            .context("posting the call event")?;
        let status = response.status();
        anyhow::ensure!(status.is_success(), "{kind}: the server answered {status}: {}", response.text().await?);
        Ok(())
    }

    /// Reads the pending commands, waiting up to 20 s for one, and obeys those of the calls in the book. Commands
    /// for other calls are left for the telephony side that has them.
    pub async fn obey_pending(&self) -> anyhow::Result<()> {
        let response = self
            .client
            .get(format!("{}/api/v1/call-commands?wait_secs=20", self.server))
            .bearer_auth(&self.api_key)
            .send()
            .await
            .context("reading the call commands")?;
        anyhow::ensure!(response.status().is_success(), "the call-commands API answered {}", response.status());
        let commands: Vec<Value> = response.json().await?;
        let mine: Vec<&Value> =
            commands.iter().filter(|command| command["call_id"].as_str().is_some_and(|id| self.book.has(id))).collect();
        if mine.is_empty() {
            // Only other telephony sides' commands wait: look again a little later rather than at once.
            tokio::time::sleep(Duration::from_millis(if commands.is_empty() { 0 } else { 500 })).await;
        }
        for command in mine {
            self.obey(command).await?;
        }
        Ok(())
    }

    /// Carries out one command of a call in the book and acknowledges it.
    async fn obey(&self, command: &Value) -> anyhow::Result<()> {
        let id = command["id"].as_i64().context("a command without an id")?;
        let call_id = command["call_id"].as_str().context("a command without a call id")?;
        let ends_the_call = match command["command"].as_str() {
            Some("hang_up") => true,
            Some("transfer") => match command["to_agent"].as_str() {
                Some(agent) => {
                    self.book.hand_to(call_id, agent);
                    false
                }
                None => true,
            },
            _ => false,
        };
        let response = self
            .client
            .post(format!("{}/api/v1/call-commands/{id}/ack", self.server))
            .bearer_auth(&self.api_key)
            .json(&json!({ "status": "done" }))
            .send()
            .await
            .context("acknowledging the command")?;
        anyhow::ensure!(response.status().is_success(), "the ack answered {}", response.status());
        println!("{:>9}: {} done", command["command"].as_str().unwrap_or("command"), call_id);
        if ends_the_call {
            self.post_event(call_id, "completed").await?;
            self.book.remove(call_id);
        }
        Ok(())
    }

    /// Obeys commands until stopped; a failed read is tried again shortly.
    pub async fn obey_commands(self) {
        loop {
            if let Err(error) = self.obey_pending().await {
                eprintln!("call commands: {error:#}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// `--obey-commands`: rings the agent, reports the call answered, and obeys the agent's commands until the call
/// ends (hang-up, or a transfer to a number).
async fn ring_and_obey(args: &SimulateArgs, key: String) -> anyhow::Result<()> {
    let call_id = args.call_id.clone().unwrap_or_else(|| format!("sim-{}", uuid::Uuid::new_v4().simple()));
    let line = Line::new(&args.server, &key, CallBook::default());
    let mut event = json!({
        "call_id": call_id, "direction": "inbound", "caller_number": args.from, "tracking_number": args.to,
        "agent": args.agent, "tracking_source": args.source, "campaign": args.campaign,
    });
    if let Some(name) = &args.name {
        event["caller_name"] = json!(name);
    }
    line.book.insert(&call_id, event);
    line.post_event(&call_id, "ringing").await?;
    println!("  ringing: {call_id}");
    tokio::time::sleep(Duration::from_secs(args.answer_after.unwrap_or(1))).await;
    line.post_event(&call_id, "answered").await?;
    println!(" answered: obeying the agent's commands until the call ends (Ctrl-C to stop)");
    while line.book.has(&call_id) {
        line.obey_pending().await?;
    }
    println!("call id: {call_id} (ended)");
    Ok(())
}
