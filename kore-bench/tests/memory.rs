//! Peak heap while streaming 100,000 clients: bounded by a few pages, never the whole list.
//!
//! A counting global allocator (`peak_alloc`, no `unsafe` here: the workspace
//! forbids it) tracks this process's current and peak heap. The mock runs in
//! a child process (`kore-bench-mock`), so every byte counted is the
//! client's. The test measures, in the same run, what one page costs (its
//! JSON body plus the decoded `Page`) and asserts that streaming all 1,000
//! pages raises the peak by no more than a few of those pages. Collecting
//! the stream instead would raise it by about 1,000 pages, so the bound
//! separates "streams" from "buffers everything" by two orders of magnitude
//! while leaving room for the connection's buffers.
//!
//! The bound is on bytes, not time: how fast the stream runs is the
//! benchmark's business (`benches/sdk.rs`).

use std::path::Path;

use futures::TryStreamExt as _;
use kore_bench::{MockOptions, MockProcess};
use peak_alloc::PeakAlloc;

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

const CLIENTS: usize = 100_000;
const PAGE_SIZE: u32 = 100;

/// A sequential stream holds at once: the response being received and
/// decoded (one page), the page whose clients are being yielded, the
/// previous page's ids (repeat detection) and one connection's read buffer.
/// That is two to three pages; measured: 1.7. Four leaves room for allocator
/// and buffer-growth variation.
const SEQUENTIAL_PAGES_ALLOWED: usize = 4;
/// Streams with `concurrency(k)` run with this many pages in flight.
const CONCURRENCY: usize = 8;
/// With `k` requests in flight: up to `k` responses and decoded pages
/// waiting in order, the page being yielded, and `k` connections (opened
/// here, so counted) whose read buffers hyper grows adaptively to about a
/// page each: about `2k + 1` pages; measured: 10.6 to 15. `3k` leaves room for
/// a loaded machine delivering bodies in bigger reads.
const CONCURRENT_PAGES_ALLOWED: usize = 3 * CONCURRENCY;

#[tokio::test]
async fn streaming_100k_clients_keeps_peak_heap_within_a_few_pages() {
    let mock = MockProcess::spawn(
        Path::new(env!("CARGO_BIN_EXE_kore-bench-mock")),
        MockOptions::clients(CLIENTS),
    )
    .expect("kore-bench-mock starts");
    let kore = mock.kore();

    // One page's body as it crosses the wire, fetched with the SDK's token.
    let token = kore.tokens().bearer().await.expect("a token");
    let body = reqwest::Client::new()
        .get(format!(
            "{}/v1/clients?page_size={PAGE_SIZE}&page_number=2",
            mock.base_url()
        ))
        .header(reqwest::header::AUTHORIZATION, token.header().clone())
        .send()
        .await
        .expect("page 2")
        .bytes()
        .await
        .expect("page 2 body");
    let body_bytes = body.len();
    drop(token);

    // One page decoded into the type the SDK decodes it into. (Measured
    // around an SDK call, this would depend on whether the call opened a
    // connection: the token request shares the API's, so one is open.)
    let before = HEAP.current_usage();
    let decoded: kore_clients::raw::types::ClientList =
        serde_json::from_slice(&body).expect("page 2 decodes");
    let decoded_bytes = HEAP.current_usage().saturating_sub(before);
    assert_eq!(decoded.clients.len(), PAGE_SIZE as usize);
    drop((decoded, body));
    // The SDK reads the same page (and its connection is warm for the
    // baseline below).
    let page = kore
        .clients()
        .list()
        .page_size(PAGE_SIZE)
        .page_number(2)
        .send()
        .await
        .expect("page 2 through the SDK");
    assert_eq!(page.clients().len(), PAGE_SIZE as usize);
    drop(page);
    let one_page = body_bytes + decoded_bytes;

    let sequential = peak_growth_while_streaming(&kore, 1).await;
    let concurrent = peak_growth_while_streaming(&kore, CONCURRENCY).await;

    kore_bench::record(
        "memory",
        &serde_json::json!({
            "clients": CLIENTS,
            "page_size": PAGE_SIZE,
            "page_body_bytes": body_bytes,
            "page_decoded_bytes": decoded_bytes,
            "sequential_peak_growth_bytes": sequential,
            "sequential_pages_allowed": SEQUENTIAL_PAGES_ALLOWED,
            "concurrency": CONCURRENCY,
            "concurrent_peak_growth_bytes": concurrent,
            "concurrent_pages_allowed": CONCURRENT_PAGES_ALLOWED,
        }),
    )
    .expect("results are written");

    assert!(
        sequential <= SEQUENTIAL_PAGES_ALLOWED * one_page,
        "streaming {CLIENTS} clients one page at a time raised the peak heap by {sequential} bytes, \
         more than {SEQUENTIAL_PAGES_ALLOWED} pages of {one_page} bytes"
    );
    assert!(
        concurrent <= CONCURRENT_PAGES_ALLOWED * one_page,
        "streaming {CLIENTS} clients with concurrency({CONCURRENCY}) raised the peak heap by {concurrent} bytes, \
         more than {CONCURRENT_PAGES_ALLOWED} pages of {one_page} bytes"
    );
}

/// Streams every client with `concurrency` pages in flight, counting them
/// without keeping any, and returns how far the peak heap rose above where
/// it started.
async fn peak_growth_while_streaming(kore: &kore_clients::Kore, concurrency: usize) -> usize {
    let baseline = HEAP.current_usage();
    HEAP.reset_peak_usage();
    let mut count = 0_usize;
    let mut last_id = String::new();
    kore.clients()
        .list()
        .page_size(PAGE_SIZE)
        .concurrency(concurrency)
        .stream()
        .try_for_each(|client| {
            count += 1;
            // Keep one id (reusing the buffer) to check the walk reached the end.
            last_id.clear();
            last_id.push_str(client.client_id().unwrap_or_default());
            futures::future::ready(Ok(()))
        })
        .await
        .expect("every page streams");
    let growth = HEAP.peak_usage().saturating_sub(baseline);
    assert_eq!(count, CLIENTS, "concurrency {concurrency}");
    assert!(last_id.starts_with("apiclient_"), "{last_id:?}");
    growth
}
