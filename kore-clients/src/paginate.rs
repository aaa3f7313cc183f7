//! Walking every page of the client list as one stream of clients.
//!
//! Pages are requested by number (`page_number = n`), never by following
//! `meta.next_page_url`: that URL comes from the response, and sending the
//! bearer token wherever a response points would hand it to any host a
//! misconfigured or compromised gateway names.
//!
//! The stream ends at the first of: an empty page, a short page (fewer
//! clients than `page_size`), a page without `next_page_url`, or `limit`
//! clients. With `concurrency(k)`, up to `k` page requests run ahead of the
//! reader (so up to `k - 1` requests past the last page may be made and
//! discarded); clients are still yielded in page order. With a `limit`, no
//! page is requested beyond the one expected to hold the last wanted client. A page whose clients
//! are exactly the previous page's, or whose `meta.page_number` is not the
//! number asked for, ends the stream with [`Error::Pagination`] rather than
//! loop forever.

use std::collections::VecDeque;

use futures::stream::FuturesOrdered;
use futures::{Stream, StreamExt as _, stream};

use crate::Kore;
use crate::clients::{ListClients, fetch_page};
use crate::error::{Error, Operation, Result};
use crate::models::{Client, ClientType, Page};

pub(crate) fn stream(list: ListClients) -> impl Stream<Item = Result<Client>> + Send + 'static {
    if let Err(error) = list.validate() {
        return stream::iter(vec![Err(error)]).left_stream();
    }
    let walk = Walk {
        kore: list.kore().clone(),
        client_type: list.client_type,
        concurrency: list.concurrency,
        next_number: list.page_number,
        in_flight: FuturesOrdered::new(),
        walker: Walker {
            page_size: list.page_size,
            first: list.page_number,
            accepted: 0,
            remaining: list.limit,
            previous_ids: None,
            finished: list.limit == Some(0),
        },
        ready: VecDeque::new(),
    };
    stream::unfold(walk, |mut walk| async move {
        let item = walk.next().await?;
        Some((item, walk))
    })
    .right_stream()
}

/// The walk's state: pages requested but not yet accepted, clients
/// accepted but not yet yielded.
struct Walk {
    kore: Kore,
    client_type: Option<ClientType>,
    concurrency: usize,
    next_number: u32,
    in_flight: FuturesOrdered<PageFetch>,
    walker: Walker,
    ready: VecDeque<Result<Client>>,
}

type PageFetch = std::pin::Pin<Box<dyn Future<Output = (u32, Result<Page>)> + Send>>;

impl Walk {
    async fn next(&mut self) -> Option<Result<Client>> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Some(item);
            }
            if self.walker.finished {
                return None;
            }
            // Top the window up: requests go out before earlier pages are
            // read, and (their connections being driven by the HTTP
            // client's own tasks) progress while the reader is busy.
            while self.in_flight.len() < self.concurrency && self.walker.wants(self.next_number) {
                let (kore, number, size, client_type) = (
                    self.kore.clone(),
                    self.next_number,
                    self.walker.page_size,
                    self.client_type,
                );
                self.in_flight.push_back(Box::pin(async move {
                    (number, fetch_page(&kore, size, number, client_type).await)
                }));
                self.next_number = self.next_number.saturating_add(1);
            }
            let (number, page) = self.in_flight.next().await?;
            let accepted = self.walker.accept(number, page);
            self.ready.extend(accepted);
        }
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
    previous_ids: Option<Vec<Option<String>>>,
    finished: bool,
}

impl Walker {
    /// Whether page `number` may be requested: not after the end, and with
    /// a limit, not beyond the page expected to hold the last wanted client.
    fn wants(&self, number: u32) -> bool {
        if self.finished || number == u32::MAX {
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
        if let Some(reported) = page.meta().page_number
            && reported != u64::from(number)
        {
            self.finished = true;
            return vec![Err(self.inconsistent(format!(
                "asked for page {number}, the server answered with page {reported}"
            )))];
        }
        self.accepted += 1;
        let ids: Vec<Option<String>> = page
            .clients()
            .iter()
            .map(|c| c.client_id().map(str::to_owned))
            .collect();
        // Clients without ids cannot be told apart; only compare real ids.
        let comparable = ids.iter().any(Option::is_some);
        if comparable && self.previous_ids.as_ref() == Some(&ids) {
            self.finished = true;
            return vec![Err(self.inconsistent(format!(
                "page {number} repeats page {} client for client; stopping instead of looping",
                number - 1
            )))];
        }

        // A server that caps the page size says so in `meta.page_size`; a
        // page of that size is full, not short.
        if let Some(applied) = page.meta().page_size.and_then(|s| u32::try_from(s).ok())
            && applied > 0
            && applied < self.page_size
        {
            self.page_size = applied;
        }
        let short = page.clients().len() < self.page_size as usize;
        // A page without `meta` says nothing about what follows; only an
        // explicit missing next-page URL ends the walk.
        let no_next = page.raw_meta().is_some() && !page.has_next();
        let mut clients = page.into_clients();
        if let Some(remaining) = self.remaining.as_mut() {
            clients.truncate(*remaining);
            *remaining -= clients.len();
            if *remaining == 0 {
                self.finished = true;
            }
        }
        if clients.is_empty() || short || no_next {
            self.finished = true;
        }
        self.previous_ids = Some(ids);
        clients.into_iter().map(Ok).collect()
    }

    fn inconsistent(&self, message: String) -> Error {
        Error::Pagination {
            operation: Operation::ListClients,
            message,
        }
    }
}
