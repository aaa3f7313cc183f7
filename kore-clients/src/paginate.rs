//! The list request ([`ListClients`]) and its walk over every page.
//!
//! Pages are requested by number (`page_number = n`), never by following `meta.next_page_url`: that
//! URL comes from the response, and sending the bearer token wherever a response points would hand
//! it to any host a misconfigured or compromised gateway names.
//!
//! The stream ends at the first of:
//! - an empty page;
//! - a page whose `meta` has no next page (`next_page_url` missing, `null` or empty);
//! - a short page (fewer clients than `page_size`) when nothing in the response says there is more:
//!   a `next_page_url` outranks the count, since a server may cap the page size without saying so;
//! - `limit` clients.
//!
//! It stops with [`Error::Pagination`] rather than loop or skip when a page repeats any earlier
//! page of the walk client for client (one hash per page is kept), or when `meta.page_number` is
//! not the number asked for.
//!
//! With `concurrency(k)`, up to `k` page requests run ahead of the reader, each in a task of its
//! own: they make progress (and finish, so their timeouts never run out) while the reader is busy,
//! and are aborted when the stream is dropped. Clients are still yielded in page order; up to
//! `k - 1` requests past the last page may be made and discarded. With a `limit`, no page is
//! requested beyond the one expected to hold the last wanted client. `concurrency(1)` requests each
//! page only when the reader asks for it, in the reader's own task.

use std::collections::{HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash as _, Hasher as _};

use futures::{Stream, StreamExt as _, stream};
use tokio::task::JoinHandle;
use tracing::Instrument as _;

use crate::Kore;
use crate::error::{Error, Operation, Result};
use crate::generated::ListClientParams;
use crate::models::{Client, Page};

/// Default page size of [`ListClients`].
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// A list request: filters, paging, and how to run it.
///
/// ```no_run
/// # async fn example(kore: kore_clients::Kore) -> kore_clients::Result<()> {
/// use futures::TryStreamExt as _;
/// use kore_clients::ClientType;
///
/// let page = kore.clients().list().page_size(50).page_number(2).send().await?;
/// let admins: Vec<_> = kore
///     .clients()
///     .list()
///     .client_type(ClientType::Admin)
///     .concurrency(4)
///     .stream()
///     .try_collect()
///     .await?;
/// let first_ten: Vec<_> = kore.clients().list().limit(10).stream().try_collect().await?;
/// # let _ = (page, admins, first_ten);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a list request does nothing until `send` or `stream`"]
pub struct ListClients {
    kore: Kore,
    pub(crate) page_size: u32,
    pub(crate) page_number: u32,
    /// The query parameters other than the page's (generated with the spec:
    /// `client_type`, and any KORE adds).
    pub(crate) params: ListClientParams,
    pub(crate) limit: Option<usize>,
    pub(crate) concurrency: usize,
}

impl ListClients {
    pub(crate) fn new(kore: Kore) -> Self {
        Self {
            kore,
            page_size: DEFAULT_PAGE_SIZE,
            page_number: 1,
            params: ListClientParams::default(),
            limit: None,
            concurrency: 1,
        }
    }

    setters! {
        /// Clients per page (default 100; must be at least 1).
        page_size(page_size: u32) => page_size = page_size;

        /// The page [`send`](Self::send) fetches, or where
        /// [`stream`](Self::stream) starts (default 1; must be at least 1).
        page_number(page_number: u32) => page_number = page_number;

        /// [`stream`](Self::stream) stops after `n` clients, fetching no page
        /// beyond the one that holds the `n`th.
        limit(n: usize) => limit = Some(n);

        /// [`stream`](Self::stream) keeps up to `k` page requests in flight,
        /// still yielding clients in page order (default 1: one page at a time).
        concurrency(k: usize) => concurrency = k.max(1);
    }

    /// Checks page size, number and an unlisted type before any request.
    pub(crate) fn validate(&self) -> Result<()> {
        let invalid = |message: String| Err(Error::invalid_input(Operation::ListClient, message));
        if let Some(crate::ClientType::Unknown(text)) = &self.params.client_type
            && let text = text.as_str()
            && (text.is_empty() || text.trim() != text)
        {
            return invalid(format!(
                "the client type {text:?} is empty or has surrounding spaces: give KORE's exact name"
            ));
        }
        for (name, value) in [
            ("page_size", self.page_size),
            ("page_number", self.page_number),
        ] {
            if value == 0 {
                return invalid(format!(
                    "{name} must be at least 1 (pages are numbered from 1)"
                ));
            }
            if i32::try_from(value).is_err() {
                return invalid(format!(
                    "{name} {value} is larger than KORE accepts ({})",
                    i32::MAX
                ));
            }
        }
        Ok(())
    }

    /// Fetches one page: `page_number` (default 1) of `page_size` clients.
    pub async fn send(self) -> Result<Page> {
        self.validate()?;
        fetch_page(&self.kore, self.page_size, self.page_number, &self.params).await
    }

    /// Every client from `page_number` on, fetched lazily page by page as
    /// the stream is read (see [`concurrency`](Self::concurrency) and
    /// [`limit`](Self::limit)). The stream ends after an empty page, a
    /// short page, or a page without a next-page URL; a server that repeats
    /// a page ends it with [`Error::Pagination`] instead of looping.
    ///
    /// Pages are requested by number from the configured base URL; the URLs
    /// in the responses' `meta` are never followed, so the bearer token only
    /// ever goes to KORE.
    pub fn stream(self) -> impl Stream<Item = Result<Client>> + Send + 'static {
        if let Err(error) = self.validate() {
            return stream::iter(vec![Err(error)]).left_stream();
        }
        let walk = Walk {
            kore: self.kore.clone(),
            params: self.params,
            concurrency: self.concurrency,
            next_number: self.page_number,
            in_flight: VecDeque::new(),
            walker: Walker::new(self.page_size, self.page_number, self.limit),
            ready: VecDeque::new(),
        };
        stream::unfold(walk, |mut walk| async move {
            let item = walk.next().await?;
            Some((item, walk))
        })
        .right_stream()
    }
}

/// One page request (arguments already validated).
pub(crate) async fn fetch_page(
    kore: &Kore,
    page_size: u32,
    page_number: u32,
    params: &ListClientParams,
) -> Result<Page> {
    let raw = kore
        .call(Operation::ListClient, |raw| {
            params
                .apply(
                    raw.list_client()
                        .page_size(page_size)
                        .page_number(page_number),
                )
                .send()
        })
        .await?;
    Ok(Page::from_raw(raw))
}

/// The walk's state: pages requested but not yet accepted, clients
/// accepted but not yet yielded.
struct Walk {
    kore: Kore,
    params: ListClientParams,
    concurrency: usize,
    next_number: u32,
    in_flight: VecDeque<(u32, Prefetch)>,
    walker: Walker,
    ready: VecDeque<Result<Client>>,
}

/// A page request running in its own task; dropping it aborts the task.
struct Prefetch(JoinHandle<Result<Page>>);

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Walk {
    async fn next(&mut self) -> Option<Result<Client>> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Some(item);
            }
            if self.walker.finished {
                // Requests past the end are no longer wanted.
                self.in_flight.clear();
                return None;
            }
            let (number, page) = if self.concurrency == 1 {
                if !self.walker.wants(self.next_number) {
                    return None;
                }
                let number = self.take_number();
                let page =
                    fetch_page(&self.kore, self.walker.page_size, number, &self.params).await;
                (number, page)
            } else {
                self.top_up();
                let (number, mut prefetch) = self.in_flight.pop_front()?;
                // Page tasks are aborted only with the walk, so a task that
                // did not finish panicked: the panic goes on to the reader.
                let page = (&mut prefetch.0)
                    .await
                    .unwrap_or_else(|join| std::panic::resume_unwind(join.into_panic()));
                (number, page)
            };
            let accepted = self.walker.accept(number, page);
            self.ready.extend(accepted);
        }
    }

    /// Starts page requests until `concurrency` are in flight or the walker
    /// wants no more.
    fn top_up(&mut self) {
        for _ in self.in_flight.len()..self.concurrency {
            if !self.walker.wants(self.next_number) {
                break;
            }
            let number = self.take_number();
            let (kore, size, params) = (
                self.kore.clone(),
                self.walker.page_size,
                self.params.clone(),
            );
            let task = tokio::spawn(
                async move { fetch_page(&kore, size, number, &params).await }.in_current_span(),
            );
            self.in_flight.push_back((number, Prefetch(task)));
        }
    }

    fn take_number(&mut self) -> u32 {
        let number = self.next_number;
        self.next_number = self.next_number.saturating_add(1);
        number
    }
}

/// The stop rules, applied to pages in order.
struct Walker {
    /// Clients per page: as requested, until the server shows it applies
    /// a smaller size (a cap), which then decides "short page" and `limit`.
    page_size: u32,
    first: u32,
    /// Pages accepted so far.
    accepted: u32,
    remaining: Option<usize>,
    /// One hash of client ids per accepted page, with the page's number, to
    /// catch a server that cycles through pages.
    seen: HashMap<u64, u32>,
    finished: bool,
}

impl Walker {
    fn new(page_size: u32, first: u32, limit: Option<usize>) -> Self {
        Self {
            page_size,
            first,
            accepted: 0,
            remaining: limit,
            seen: HashMap::new(),
            finished: limit == Some(0),
        }
    }

    /// Whether page `number` may be requested, once the walk is known not to
    /// have ended: with a limit, not beyond the page expected to hold the
    /// last wanted client.
    fn wants(&self, number: u32) -> bool {
        if number == u32::MAX {
            return false;
        }
        match self.remaining {
            None => true,
            Some(remaining) => {
                // Pages already requested but not accepted will hold
                // `page_size` clients each at most.
                let pending = u64::from(number - self.first - self.accepted);
                pending * u64::from(self.page_size) < remaining as u64
            }
        }
    }

    /// Takes page `number`'s result; returns what to yield, and sets
    /// `finished` when nothing after it should be read.
    fn accept(&mut self, number: u32, page: Result<Page>) -> Vec<Result<Client>> {
        let page = match page {
            Ok(page) => page,
            Err(error) => {
                self.finished = true;
                return vec![Err(error)];
            }
        };
        if let Some(reported) = page.meta().page_number()
            && reported != u64::from(number)
        {
            return self.fail(format!(
                "asked for page {number}, the server answered with page {reported}"
            ));
        }
        if page.clients().is_empty() {
            self.finished = true;
            return Vec::new();
        }
        // Clients without ids cannot be told apart; only pages with real
        // ids take part in the repeat check.
        if page.clients().iter().any(|c| c.client_id().is_some()) {
            let mut hasher = DefaultHasher::new();
            for client in page.clients() {
                client.client_id().hash(&mut hasher);
            }
            if let Some(earlier) = self.seen.insert(hasher.finish(), number) {
                return self.fail(format!(
                    "page {number} repeats page {earlier} client for client; stopping instead of looping"
                ));
            }
        }
        self.accepted += 1;

        // A server that caps the page size says so in `meta.page_size`;
        // later pages are asked for at that size, and a `limit` is counted
        // in pages of it. A size of 0 or above the current one is not a cap.
        if let Some(applied) = page.meta().page_size().and_then(|s| u32::try_from(s).ok())
            && applied > 0
        {
            self.page_size = self.page_size.min(applied);
        }
        // With `meta`, its next-page URL decides; without, only a short
        // page says the end has come.
        let more = match page.had_meta() {
            true => page.has_next(),
            false => page.clients().len() >= self.page_size as usize,
        };
        let mut clients = page.into_clients();
        if let Some(remaining) = self.remaining.as_mut() {
            clients.truncate(*remaining);
            *remaining -= clients.len();
            if *remaining == 0 {
                self.finished = true;
            }
        }
        if !more {
            self.finished = true;
        }
        clients.into_iter().map(Ok).collect()
    }

    fn fail(&mut self, message: String) -> Vec<Result<Client>> {
        self.finished = true;
        vec![Err(Error::Pagination {
            operation: Operation::ListClient,
            message,
        })]
    }
}
