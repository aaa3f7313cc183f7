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
//! discarded); clients are still yielded in page order. A page whose clients
//! are exactly the previous page's, or whose `meta.page_number` is not the
//! number asked for, ends the stream with [`Error::Pagination`] rather than
//! loop forever.

use std::collections::VecDeque;

use futures::{Stream, StreamExt as _, stream};

use crate::clients::{ListClients, fetch_page};
use crate::error::{Error, Operation, Result};
use crate::models::{Client, Page};

pub(crate) fn stream(list: ListClients) -> impl Stream<Item = Result<Client>> + Send + 'static {
    if let Err(error) = list.validate() {
        return stream::iter(vec![Err(error)]).left_stream();
    }
    let ListClients {
        page_size,
        page_number: first,
        client_type,
        limit,
        concurrency,
        ..
    } = list.clone();
    if limit == Some(0) {
        return stream::iter(Vec::new()).left_stream();
    }
    // With a limit, no page beyond the one holding the last wanted client.
    let last = match limit {
        Some(n) => {
            let pages = u32::try_from(n.div_ceil(page_size as usize)).unwrap_or(u32::MAX);
            first.saturating_add(pages - 1)
        }
        None => u32::MAX,
    };
    let kore = list.kore().clone();
    let pages = stream::iter(first..=last)
        .map(move |number| {
            let kore = kore.clone();
            async move {
                (
                    number,
                    fetch_page(&kore, page_size, number, client_type).await,
                )
            }
        })
        .buffered(concurrency);

    let walker = Walker {
        page_size,
        remaining: limit,
        previous_ids: None,
        finished: false,
    };
    stream::unfold(
        (Box::pin(pages), walker, VecDeque::new()),
        |(mut pages, mut walker, mut ready)| async move {
            loop {
                if let Some(item) = ready.pop_front() {
                    return Some((item, (pages, walker, ready)));
                }
                if walker.finished {
                    return None;
                }
                let (number, page) = pages.next().await?;
                ready.extend(walker.accept(number, page));
            }
        },
    )
    .right_stream()
}

/// The stop rules, applied to pages in order.
struct Walker {
    page_size: u32,
    remaining: Option<usize>,
    previous_ids: Option<Vec<Option<String>>>,
    finished: bool,
}

impl Walker {
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
        let ids: Vec<Option<String>> = page
            .clients()
            .iter()
            .map(|c| c.client_id().map(str::to_owned))
            .collect();
        if !ids.is_empty() && self.previous_ids.as_ref() == Some(&ids) {
            self.finished = true;
            return vec![Err(self.inconsistent(format!(
                "page {number} repeats page {} client for client; stopping instead of looping",
                number - 1
            )))];
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
