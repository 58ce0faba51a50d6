//! Batching the Salesforce requests of items that are worked on together.
//!
//! The worker runs the due items of one account concurrently, each through its own linear flow. When a flow needs a
//! phone search or a composite write, it hands it to the round's [`Batch`] and waits. Once every item still running
//! is waiting, the batch sends what they asked for together: one SOSL search with every number (each item keeps
//! the records that carry its own number), and composite requests holding several items' subrequests (up to
//! Salesforce's 25 per request, one item's subrequests never split). A burst of calls thus costs a few requests in
//! all, not two per call; an item alone is sent at once, exactly as without batching.
//!
//! Each answer goes back to every item that asked. A request that fails fails for each of them, and each applies its
//! own retry policy. The requests a flush made are charged to the first item in it, so that the audit trail's
//! per-call counts add up to what Salesforce saw. Hand-written: no crate batches Salesforce's REST calls.

use super::link::OrgLink;
use crate::salesforce::composite::{CompositeRequest, CompositeResults};
use crate::salesforce::record::Record;
use crate::salesforce::search::phone_search_sosl;
use crate::salesforce::{SalesforceClient, SalesforceError};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// An answer, with the number of requests charged to the item that receives it.
pub(crate) type Answer<T> = (Result<T, SalesforceError>, u32);

/// What one item is waiting for.
enum Wanted {
    /// A phone search for these digit variants.
    Search { variants: Vec<String>, reply: oneshot::Sender<Answer<Vec<Record>>> },
    /// A composite request of the item's own subrequests (reference ids unique to the item).
    Composite { request: CompositeRequest, reply: oneshot::Sender<Answer<CompositeResults>> },
}

#[derive(Default)]
struct Waiting {
    /// Items of the round that have not finished.
    running: usize,
    wanted: Vec<Wanted>,
    /// The org link the items use (the same for all: one account per batch).
    link: Option<Arc<OrgLink>>,
}

/// The requests of one round of items of one account.
pub(crate) struct Batch {
    waiting: Mutex<Waiting>,
}

impl Batch {
    /// A batch for `items` items, each of which calls [`Batch::finish`] when its flow is over.
    pub(crate) fn new(items: usize) -> Self {
        Self { waiting: Mutex::new(Waiting { running: items, wanted: Vec::new(), link: None }) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds a wish; when every running item is now waiting, takes them all for sending.
    fn add(&self, link: &Arc<OrgLink>, wanted: Wanted) -> Option<(Arc<OrgLink>, Vec<Wanted>)> {
        let mut waiting = self.lock();
        waiting.link = Some(Arc::clone(link));
        waiting.wanted.push(wanted);
        Self::take_when_all_wait(&mut waiting)
    }

    fn take_when_all_wait(waiting: &mut Waiting) -> Option<(Arc<OrgLink>, Vec<Wanted>)> {
        if waiting.wanted.is_empty() || waiting.wanted.len() < waiting.running {
            return None;
        }
        let link = waiting.link.clone()?;
        Some((link, std::mem::take(&mut waiting.wanted)))
    }

    /// Searches phone fields for these digit variants; the records of every number searched together.
    pub(crate) async fn search(&self, link: &Arc<OrgLink>, variants: Vec<String>) -> Answer<Vec<Record>> {
        let (reply, answer) = oneshot::channel();
        if let Some((link, ready)) = self.add(link, Wanted::Search { variants, reply }) {
            send(&link.client, ready).await;
        }
        answer.await.unwrap_or_else(|_| (Err(dropped()), 0))
    }

    /// Sends a composite request, possibly together with other items' subrequests.
    pub(crate) async fn composite(&self, link: &Arc<OrgLink>, request: CompositeRequest) -> Answer<CompositeResults> {
        let (reply, answer) = oneshot::channel();
        if let Some((link, ready)) = self.add(link, Wanted::Composite { request, reply }) {
            send(&link.client, ready).await;
        }
        answer.await.unwrap_or_else(|_| (Err(dropped()), 0))
    }

    /// An item's flow is over; if the others are all waiting, sends what they want.
    pub(crate) async fn finish(&self) {
        let ready = {
            let mut waiting = self.lock();
            waiting.running = waiting.running.saturating_sub(1);
            Self::take_when_all_wait(&mut waiting)
        };
        if let Some((link, ready)) = ready {
            send(&link.client, ready).await;
        }
    }
}

fn dropped() -> SalesforceError {
    SalesforceError::Transport { timeout: false, message: "the batch was dropped before it was sent".to_owned() }
}

/// Sends the searches as one, and the composites in as few requests as fit, answering each wish.
async fn send(client: &SalesforceClient, wanted: Vec<Wanted>) {
    let mut searches = Vec::new();
    let mut composites = Vec::new();
    for wish in wanted {
        match wish {
            Wanted::Search { variants, reply } => searches.push((variants, reply)),
            Wanted::Composite { request, reply } => composites.push((request, reply)),
        }
    }
    if !searches.is_empty() {
        let mut variants: Vec<String> = Vec::new();
        for (wanted, _) in &searches {
            variants.extend(wanted.iter().filter(|variant| !variants.contains(variant)).cloned().collect::<Vec<_>>());
        }
        let result = client.search(&phone_search_sosl(&variants, searches.len())).await;
        for (index, (_, reply)) in searches.into_iter().enumerate() {
            let _ = reply.send((result.clone(), u32::from(index == 0)));
        }
    }
    for chunk in chunks(composites) {
        let mut merged = CompositeRequest::new(client.api_version(), false);
        for (request, _) in &chunk {
            // Chunks are made to fit and items' reference ids are their own, so this cannot fail.
            let _ = merged.append(request);
        }
        let result = client.composite(&merged).await;
        for (index, (_, reply)) in chunk.into_iter().enumerate() {
            let _ = reply.send((result.clone(), u32::from(index == 0)));
        }
    }
}

type CompositeWish = (CompositeRequest, oneshot::Sender<Answer<CompositeResults>>);

/// Groups the composite wishes into requests of at most 25 subrequests, first come first served.
fn chunks(composites: Vec<CompositeWish>) -> Vec<Vec<CompositeWish>> {
    let mut chunks: Vec<Vec<CompositeWish>> = Vec::new();
    let mut size = 0;
    for wish in composites {
        let len = wish.0.len();
        match chunks.last_mut() {
            Some(chunk) if size + len <= crate::salesforce::composite::MAX_SUBREQUESTS => {
                chunk.push(wish);
                size += len;
            }
            _ => {
                chunks.push(vec![wish]);
                size = len;
            }
        }
    }
    chunks
}
