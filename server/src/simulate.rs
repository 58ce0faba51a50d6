//! `callpop simulate`: posts a call's events to a callpop server the way a telephony platform would.

use anyhow::{Context, bail};
use clap::Args;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

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
        return place_dial_requests(args.server.clone(), key, &args.to).await;
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
/// `ringing`, `answered` (2 s later) and `completed` (30 s later) events with the request's id. Runs until stopped;
/// the demo runs it in the background.
pub async fn place_dial_requests(server: String, api_key: String, tracking_number: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let server = server.trim_end_matches('/').to_owned();
    loop {
        let pending: Vec<Value> =
            match client.get(format!("{server}/api/v1/dial-requests")).bearer_auth(&api_key).send().await {
                Ok(response) if response.status().is_success() => response.json().await.unwrap_or_default(),
                _ => Vec::new(), // The server is starting or away: try again shortly.
            };
        for request in pending {
            let (client, server, api_key, tracking) =
                (client.clone(), server.clone(), api_key.clone(), tracking_number.to_owned());
            tokio::spawn(async move {
                if let Err(error) = place_one(&client, &server, &api_key, &tracking, &request).await {
                    eprintln!("placing dial request {}: {error:#}", request["id"]);
                }
            });
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn place_one(
    client: &reqwest::Client,
    server: &str,
    api_key: &str,
    tracking: &str,
    request: &Value,
) -> anyhow::Result<()> {
    let id = request["id"].as_i64().context("a dial request without an id")?;
    let call_id = format!("dial-{id}-{}", uuid::Uuid::new_v4().simple());
    let started = std::time::Instant::now();
    for (kind, delay) in [("ringing", 0), ("answered", 2), ("completed", 28)] {
        tokio::time::sleep(Duration::from_secs(delay)).await;
        let mut body = json!({
            "call_id": call_id, "kind": kind, "direction": "outbound", "caller_number": request["number"],
            "tracking_number": tracking, "agent": request["agent"], "dial_request_id": id,
            "occurred_at": chrono::Utc::now().to_rfc3339(),
        });
        if kind == "completed" {
            body["duration_secs"] = json!(started.elapsed().as_secs());
        }
        let response =
            client.post(format!("{server}/api/v1/call-events")).bearer_auth(api_key).json(&body).send().await?;
        if !response.status().is_success() {
            bail!("{kind}: the server answered {}: {}", response.status(), response.text().await.unwrap_or_default());
        }
    }
    Ok(())
}
