//! A slow database answer, on cue: a TCP proxy between the application and PostgreSQL that forwards every byte
//! and, once armed, holds back the next statement whose SQL contains a given text until the test lets it go.
//!
//! Races between two requests are decided by which statement reaches the database first; a test that waits for luck
//! passes on broken code most runs. With the proxy, a test makes the interleaving that broke happen every run (a
//! worker's read waits while another request commits) without any hook in the application: the application only
//! sees a database that answered one statement late.
//!
//! The proxy reads the client's side of the PostgreSQL protocol (version 3) just enough to know which SQL a message
//! runs: the text of a `Query` or a `Parse`, and the prepared statement a `Bind` names. The connection it holds is
//! the one that sent the statement; the application's other connections go on.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// The request codes of the untagged messages a client may send before its startup message.
const SSL_REQUEST: i32 = 80_877_103;
const GSS_ENCRYPTION_REQUEST: i32 = 80_877_104;

/// How long a test waits for the statement it holds to be sent before it gives up (a bound on a failure's wait,
/// not a speed goal).
const REACH_LIMIT: Duration = Duration::from_secs(30);

/// The statement to hold: the SQL text it contains, whom to tell when it arrives, and what lets it go.
struct Armed {
    sql: String,
    reached: oneshot::Sender<()>,
    release: oneshot::Receiver<()>,
}

/// The proxy, listening on a port of its own.
pub(crate) struct DatabaseProxy {
    /// The database URL with the proxy's address in place of PostgreSQL's.
    pub(crate) url: String,
    armed: Arc<Mutex<Option<Armed>>>,
}

/// A statement the proxy holds (or will hold once it is sent).
pub(crate) struct HeldStatement {
    reached: oneshot::Receiver<()>,
    release: oneshot::Sender<()>,
}

impl DatabaseProxy {
    /// Starts a proxy to the PostgreSQL server of `database_url` (a `postgres://` URL, kept whole but for its host
    /// and port, and without TLS, so that the proxy can read the messages).
    pub(crate) async fn start(database_url: &str) -> Self {
        let mut url = reqwest::Url::parse(database_url).expect("a PostgreSQL URL");
        let upstream = format!("{}:{}", url.host_str().expect("a PostgreSQL host"), url.port().unwrap_or(5432));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port for the proxy");
        let address = listener.local_addr().expect("the proxy's address");
        url.set_host(Some("127.0.0.1")).expect("a host");
        url.set_port(Some(address.port())).expect("a port");
        url.query_pairs_mut().append_pair("sslmode", "disable");
        let armed: Arc<Mutex<Option<Armed>>> = Arc::default();
        let shared = Arc::clone(&armed);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, armed) = (upstream.clone(), Arc::clone(&shared));
                tokio::spawn(async move {
                    // A connection ends when either side closes it; how it ended is the application's business.
                    let _ = relay(client, &upstream, &armed).await;
                });
            }
        });
        Self { url: url.to_string(), armed }
    }

    /// Arms the proxy: the next statement whose SQL contains `sql`, on whichever connection, is held until the
    /// returned handle lets it go.
    pub(crate) fn hold_next(&self, sql: &str) -> HeldStatement {
        let (reached_sender, reached) = oneshot::channel();
        let (release, release_receiver) = oneshot::channel();
        let armed = Armed { sql: sql.to_owned(), reached: reached_sender, release: release_receiver };
        *self.armed.lock().expect("the proxy's hold") = Some(armed);
        HeldStatement { reached, release }
    }
}

impl HeldStatement {
    /// Waits until the statement has reached the proxy (and is being held there).
    pub(crate) async fn reached(&mut self) {
        tokio::time::timeout(REACH_LIMIT, &mut self.reached)
            .await
            .expect("the held statement was never sent")
            .expect("the proxy is running");
    }

    /// Lets the statement go on to PostgreSQL.
    pub(crate) fn release(self) {
        // The connection may have closed meanwhile; then there is nothing to let go.
        let _ = self.release.send(());
    }
}

/// Relays one client connection to PostgreSQL, holding the armed statement when this client sends it.
async fn relay(client: TcpStream, upstream: &str, armed: &Mutex<Option<Armed>>) -> std::io::Result<()> {
    let server = TcpStream::connect(upstream).await?;
    // Messages go on as they come (small writes answered by a read would otherwise wait for Nagle's algorithm).
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_server, mut to_server) = server.into_split();
    let answers = tokio::spawn(async move { tokio::io::copy(&mut from_server, &mut to_client).await });
    let relayed = relay_requests(&mut from_client, &mut to_server, armed).await;
    answers.abort();
    relayed
}

/// Forwards the client's messages, holding the armed one.
async fn relay_requests(
    from_client: &mut OwnedReadHalf,
    to_server: &mut OwnedWriteHalf,
    armed: &Mutex<Option<Armed>>,
) -> std::io::Result<()> {
    // Before its startup message a client may ask for encryption; those requests and the startup are untagged.
    loop {
        let length = from_client.read_i32().await?;
        let body = read_body(from_client, length).await?;
        to_server.write_all(&[length.to_be_bytes().as_slice(), &body].concat()).await?;
        let code = body.get(..4).map_or(0, |code| i32::from_be_bytes(code.try_into().unwrap_or_default()));
        if code != SSL_REQUEST && code != GSS_ENCRYPTION_REQUEST {
            break;
        }
    }
    // The SQL of each prepared statement of this connection, by name: a `Bind` names only the statement.
    let mut prepared: HashMap<Vec<u8>, String> = HashMap::new();
    loop {
        let tag = from_client.read_u8().await?;
        let length = from_client.read_i32().await?;
        let body = read_body(from_client, length).await?;
        if let Some(sql) = sql_of(tag, &body, &mut prepared) {
            let hold = {
                let mut armed = armed.lock().expect("the proxy's hold");
                if armed.as_ref().is_some_and(|hold| sql.contains(&hold.sql)) { armed.take() } else { None }
            };
            if let Some(hold) = hold {
                let _ = hold.reached.send(());
                let _ = hold.release.await;
            }
        }
        let mut message = Vec::with_capacity(body.len() + 5);
        message.push(tag);
        message.extend_from_slice(&length.to_be_bytes());
        message.extend_from_slice(&body);
        to_server.write_all(&message).await?;
    }
}

/// The rest of a message whose length field (which counts itself) was `length`.
async fn read_body(from_client: &mut OwnedReadHalf, length: i32) -> std::io::Result<Vec<u8>> {
    let size = usize::try_from(length.saturating_sub(4))
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "a negative message length"))?;
    let mut body = vec![0; size];
    from_client.read_exact(&mut body).await?;
    Ok(body)
}

/// The SQL a message runs or prepares, if any: a simple `Query`, a `Parse` (remembered under its statement's
/// name), or the `Bind` of a prepared statement.
fn sql_of(tag: u8, body: &[u8], prepared: &mut HashMap<Vec<u8>, String>) -> Option<String> {
    let mut strings = body.split(|byte| *byte == 0);
    match tag {
        b'Q' => strings.next().map(|sql| String::from_utf8_lossy(sql).into_owned()),
        b'P' => {
            let name = strings.next()?.to_vec();
            let sql = String::from_utf8_lossy(strings.next()?).into_owned();
            prepared.insert(name, sql.clone());
            Some(sql)
        }
        b'B' => {
            let _portal = strings.next()?;
            prepared.get(strings.next()?).cloned()
        }
        _ => None,
    }
}
