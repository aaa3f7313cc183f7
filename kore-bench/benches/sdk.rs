//! Criterion benchmarks of kore-clients against kore-mock: per-call overhead
//! versus raw reqwest, the cost of a cached token, and pagination sequential
//! versus concurrent. All run in one process, one after another, so their
//! ratios (computed by `cargo xtask bench`) compare like with like.
//!
//! The mock runs in a child process (`kore-bench-mock`, single-threaded), so
//! the counting allocator below sees only client allocations. The client
//! side runs on a current-thread Tokio runtime, and the benchmark pins
//! itself to one CPU before starting the mock, which inherits the pin: every
//! round trip is then two context switches on one core. Without the pin, on
//! a 2-vCPU VM each round trip wakes the other, idle vCPU twice, which adds
//! tens of microseconds that vary with whatever else the machine does and
//! would dilute the SDK's own cost in the ratio.
//!
//! Besides criterion's own output (`$CRITERION_HOME` or
//! `target/criterion`), the benchmark records allocations per call, the
//! interleaved SDK-to-raw ratios and whether concurrent pagination kept the
//! order, in `extras.json` under `$KORE_BENCH_OUT` when set.

use std::alloc::System;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, SamplingMode};
use futures::TryStreamExt as _;
use kore_bench::get::{self, GetPath, GetPaths};
use kore_bench::{MockOptions, MockProcess};
use kore_clients::raw::types::ClientList;
use kore_clients::{Client, Kore};
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde_json::json;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use tokio::runtime::Runtime;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Pagination workload of the issue: 10,000 clients, 100 per page, 20 ms per page.
const PAGINATED_CLIENTS: usize = 10_000;
const PAGE_SIZE: u32 = 100;
const PAGE_LATENCY: Duration = Duration::from_millis(20);
const CONCURRENCY: usize = 8;
/// What the slow reader spends on each page it reads: as long as the server
/// takes to answer one.
const READ_TIME_PER_PAGE: Duration = PAGE_LATENCY;
/// Interleaved SDK-versus-raw rounds, and calls per block in each.
const PAIRED_ROUNDS: usize = 40;
const PAIRED_CALLS_PER_BLOCK: usize = 250;

fn main() {
    // First, so that every thread and child process started later inherits it.
    let pinned_cpu = get::pin_to_one_cpu();
    let mut criterion = Criterion::default().configure_from_args();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    let binary = Path::new(env!("CARGO_BIN_EXE_kore-bench-mock"));

    let mut extras = serde_json::Map::new();
    extras.insert("pinned_cpu".into(), json!(pinned_cpu));
    extras.insert(
        "get_client".into(),
        per_call_overhead(&mut criterion, &runtime, binary),
    );
    extras.insert(
        "token_cache".into(),
        token_cache(&mut criterion, &runtime, binary),
    );
    extras.insert(
        "pagination".into(),
        pagination(&mut criterion, &runtime, binary),
    );
    extras.insert("decode".into(), decode(&mut criterion));
    kore_bench::record("extras", &serde_json::Value::Object(extras)).expect("extras are written");
    criterion.final_summary();
}

/// `kore.clients().get(id)` against a hand-written reqwest GET of the same
/// URL that decodes the same body type, each with its own warm connection
/// pool, plus the two diagnostic paths in between (`kore_bench::get`): what
/// differs is only the SDK's own work (the token-cache lookup, the
/// generated request builder and its extra headers, the retry loop, tracing
/// spans, the outcome slot, the deadline and error mapping).
fn per_call_overhead(
    criterion: &mut Criterion,
    runtime: &Runtime,
    binary: &Path,
) -> serde_json::Value {
    let mock = MockProcess::spawn(binary, MockOptions::clients(25)).expect("kore-bench-mock");
    let paths = runtime.block_on(GetPaths::new(&mock));
    // Warm every pool (and the SDK's token) before anything is measured.
    runtime.block_on(paths.warm_up(50));

    let mut group = criterion.benchmark_group("get_client");
    for path in GetPath::ALL {
        group.bench_function(path.name(), |b| {
            b.to_async(runtime).iter(|| paths.get(path))
        });
    }
    group.finish();

    let paired = |path: GetPath| {
        runtime.block_on(get::paired_ratios(
            PAIRED_ROUNDS,
            PAIRED_CALLS_PER_BLOCK,
            || paths.get(GetPath::Raw),
            || paths.get(path),
        ))
    };
    let (sdk, generated, bare) = (
        paired(GetPath::Sdk),
        paired(GetPath::Generated),
        paired(GetPath::GeneratedNoHooks),
    );

    const CALLS: u64 = 1_000;
    let mut result = json!({
        "paired_rounds": sdk.len(),
        "paired_calls_per_block": PAIRED_CALLS_PER_BLOCK,
        "paired_ratio_p10": get::percentile(&sdk, 0.10),
        "paired_ratio_median": get::percentile(&sdk, 0.50),
        "paired_ratio_p90": get::percentile(&sdk, 0.90),
        "paired_generated_ratio_p10": get::percentile(&generated, 0.10),
        "paired_generated_ratio_median": get::percentile(&generated, 0.50),
        "paired_generated_ratio_p90": get::percentile(&generated, 0.90),
        "paired_generated_no_hooks_ratio_p10": get::percentile(&bare, 0.10),
        "paired_generated_no_hooks_ratio_median": get::percentile(&bare, 0.50),
        "paired_generated_no_hooks_ratio_p90": get::percentile(&bare, 0.90),
    });
    for (path, key) in [
        (GetPath::Raw, "raw"),
        (GetPath::Sdk, "sdk"),
        (GetPath::Generated, "generated"),
        (GetPath::GeneratedNoHooks, "generated_no_hooks"),
    ] {
        let (allocations, bytes) = allocations_per_call(runtime, CALLS, || paths.get(path));
        result[format!("{key}_allocations_per_call")] = json!(allocations);
        result[format!("{key}_bytes_per_call")] = json!(bytes);
    }
    result
}

/// A cached bearer token: the read-lock-and-`Arc`-clone path every request
/// takes. It should allocate nothing: the header value is built once per
/// token, not per call.
fn token_cache(criterion: &mut Criterion, runtime: &Runtime, binary: &Path) -> serde_json::Value {
    let mock = MockProcess::spawn(binary, MockOptions::clients(1)).expect("kore-bench-mock");
    let kore = mock.kore();
    runtime
        .block_on(kore.tokens().bearer())
        .expect("the first token");

    let mut group = criterion.benchmark_group("token_cache");
    group.bench_function("bearer_cached", |b| {
        b.to_async(runtime)
            .iter(|| async { black_box(kore.tokens().bearer().await.expect("cached token")) })
    });
    group.finish();

    const CALLS: u64 = 100_000;
    let (allocations, bytes) = allocations_per_call(runtime, CALLS, || async {
        black_box(kore.tokens().bearer().await.expect("cached token"));
    });
    assert_eq!(
        kore.tokens().grants(),
        1,
        "every call was served from the cache"
    );
    json!({ "allocations_per_call": allocations, "bytes_per_call": bytes })
}

/// 10,000 clients in 100 pages of 100, each page answered after 20 ms:
/// reading them one page at a time, by hand with reqwest, with 8 page
/// requests in flight, and with 8 in flight under a reader that spends
/// 20 ms on each page (plus that reader alone, its baseline).
fn pagination(criterion: &mut Criterion, runtime: &Runtime, binary: &Path) -> serde_json::Value {
    let mock = MockProcess::spawn(
        binary,
        MockOptions {
            list_latency: PAGE_LATENCY,
            ..MockOptions::clients(PAGINATED_CLIENTS)
        },
    )
    .expect("kore-bench-mock");
    let kore = mock.kore();

    // Correctness first, outside the timing: the concurrent stream must
    // yield exactly the sequential stream's clients, in the same order.
    let sequential = runtime.block_on(all_clients(&kore, 1));
    let concurrent = runtime.block_on(all_clients(&kore, CONCURRENCY));
    let order_preserved =
        sequential.len() == PAGINATED_CLIENTS && ids(&sequential) == ids(&concurrent);

    let count = |concurrency: usize| {
        let kore = kore.clone();
        async move {
            let n = walk(&kore, concurrency)
                .try_fold(0_usize, |n, client| {
                    black_box(client);
                    futures::future::ready(Ok(n + 1))
                })
                .await
                .expect("every page");
            assert_eq!(n, PAGINATED_CLIENTS);
        }
    };

    // The same 100 pages fetched by a hand-written loop: what the mock's
    // latency (which tokio's 1 ms timer rounds up) and page building cost
    // without the SDK, to tell the SDK's share of the sequential time apart.
    let raw = reqwest::Client::new();
    let bearer: HeaderValue = runtime
        .block_on(kore.tokens().bearer())
        .expect("a token")
        .header()
        .clone();
    let url_base = mock.base_url().to_owned();
    let raw_walk = || {
        let (raw, bearer, url_base) = (raw.clone(), bearer.clone(), url_base.clone());
        async move {
            let mut n = 0;
            for number in 1.. {
                let body = raw
                    .get(format!(
                        "{url_base}/v1/clients?page_size={PAGE_SIZE}&page_number={number}"
                    ))
                    .header(AUTHORIZATION, bearer.clone())
                    .send()
                    .await
                    .expect("raw page")
                    .bytes()
                    .await
                    .expect("raw page body");
                let page: ClientList = serde_json::from_slice(&body).expect("a page");
                n += page.clients.len();
                let last = page.meta.and_then(|m| m.next_page_url).is_none();
                black_box(page.clients);
                if last {
                    break;
                }
            }
            assert_eq!(n, PAGINATED_CLIENTS);
        }
    };

    // A reader as slow as the server: it spends a page's latency on each
    // page it reads. With prefetch, the next pages are fetched while it
    // reads, and the walk takes the reader's own time (measured alone, on
    // the same clients held in memory) plus the first page's latency.
    let slow_reader = || {
        let kore = kore.clone();
        async move {
            assert_eq!(
                read_slowly(walk(&kore, CONCURRENCY)).await,
                PAGINATED_CLIENTS
            );
        }
    };
    let reader_alone = || async {
        let held = futures::stream::iter(sequential.iter().map(Ok::<_, kore_clients::Error>));
        assert_eq!(read_slowly(held).await, PAGINATED_CLIENTS);
    };

    let mut group = criterion.benchmark_group("pagination");
    // Each iteration takes seconds: ten samples of one iteration each, and a
    // token warm-up (the correctness pass above already warmed the pool).
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1));
    group.measurement_time(Duration::from_secs(22));
    group.bench_function("sequential", |b| b.to_async(runtime).iter(|| count(1)));
    group.bench_function("raw_sequential", |b| b.to_async(runtime).iter(raw_walk));
    group.measurement_time(Duration::from_secs(6));
    group.bench_function(format!("concurrency_{CONCURRENCY}"), |b| {
        b.to_async(runtime).iter(|| count(CONCURRENCY))
    });
    group.measurement_time(Duration::from_secs(22));
    group.bench_function(format!("concurrency_{CONCURRENCY}_slow_reader"), |b| {
        b.to_async(runtime).iter(slow_reader)
    });
    group.bench_function("slow_reader_alone", |b| {
        b.to_async(runtime).iter(reader_alone)
    });
    group.finish();

    let pages = PAGINATED_CLIENTS.div_ceil(PAGE_SIZE as usize);
    json!({
        "clients": PAGINATED_CLIENTS,
        "page_size": PAGE_SIZE,
        "pages": pages,
        "latency_ms": PAGE_LATENCY.as_millis() as u64,
        "concurrency": CONCURRENCY,
        "ideal_sequential_ns": (PAGE_LATENCY * pages as u32).as_nanos() as u64,
        "order_preserved": order_preserved,
        "reader_ms_per_page": READ_TIME_PER_PAGE.as_millis() as u64,
    })
}

/// The generated page type as it was before answers were open: the same
/// fields, a closed `client_type`, no `extra` map. The baseline of the cost of
/// keeping what the spec does not name.
mod closed {
    #[derive(serde::Deserialize)]
    #[allow(dead_code)] // read only by the decoder
    pub struct ClientList {
        #[serde(default)]
        clients: Vec<Client>,
        meta: Option<Meta>,
    }

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    pub struct Client {
        account_id: Option<String>,
        client_id: Option<String>,
        client_owner: Option<String>,
        client_type: Option<ClientType>,
        date_created: Option<String>,
        locked: Option<bool>,
        name: Option<String>,
    }

    #[derive(serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum ClientType {
        Admin,
        Standard,
    }

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    pub struct Meta {
        count: Option<f64>,
        next_page_url: Option<String>,
        page_number: Option<f64>,
        page_size: Option<f64>,
        previous_page_url: Option<String>,
    }
}

/// Decoding one page of [`PAGE_SIZE`] clients: the generated (open) types
/// against the closed baseline above, and the open types on a page where
/// every client has three fields the spec does not name.
fn decode(criterion: &mut Criterion) -> serde_json::Value {
    let page = |extra: bool| {
        let clients: Vec<_> = (0..PAGE_SIZE)
            .map(|i| {
                let mut client = json!({
                    "account_id": "acct_01hk4pdcm04xnw39h9acc05d7d",
                    "client_id": format!("apiclient_01hk7bdrc80bjmenvtwn2rg{i:04}"),
                    "client_owner": "ada.lovelace@example.com",
                    "client_type": if i % 3 == 0 { "admin" } else { "standard" },
                    "date_created": "Wed, 03 Jan 2024 09:45:41 GMT",
                    "locked": false,
                    "name": format!("Billing portal {i}"),
                });
                if extra {
                    client["scopes"] = json!({"products": ["SuperSIM"]});
                    client["last_used"] = json!("Tue, 01 Dec 2026 08:00:00 GMT");
                    client["region"] = json!("eu-1");
                }
                client
            })
            .collect();
        serde_json::to_vec(&json!({
            "clients": clients,
            "meta": {"count": PAGE_SIZE, "page_number": 1, "page_size": PAGE_SIZE,
                     "next_page_url": "url", "previous_page_url": null}
        }))
        .expect("a page")
    };
    let (known, drifted) = (page(false), page(true));
    let mut group = criterion.benchmark_group("decode");
    group.bench_function("page_of_100_closed", |b| {
        b.iter(|| {
            black_box(
                serde_json::from_slice::<closed::ClientList>(black_box(&known)).expect("decodes"),
            )
        })
    });
    group.bench_function("page_of_100_open", |b| {
        b.iter(|| {
            black_box(serde_json::from_slice::<ClientList>(black_box(&known)).expect("decodes"))
        })
    });
    group.bench_function("page_of_100_open_unknown_fields", |b| {
        b.iter(|| {
            black_box(serde_json::from_slice::<ClientList>(black_box(&drifted)).expect("decodes"))
        })
    });
    group.finish();
    json!({"clients_per_page": PAGE_SIZE})
}

/// Every client of the mock, [`PAGE_SIZE`] to a page, `concurrency` pages in flight.
fn walk(
    kore: &Kore,
    concurrency: usize,
) -> impl futures::Stream<Item = kore_clients::Result<Client>> + Send + use<> {
    kore.clients()
        .list()
        .page_size(PAGE_SIZE)
        .concurrency(concurrency)
        .stream()
}

async fn all_clients(kore: &Kore, concurrency: usize) -> Vec<Client> {
    walk(kore, concurrency)
        .try_collect()
        .await
        .expect("every page")
}

fn ids(clients: &[Client]) -> Vec<&str> {
    clients
        .iter()
        .map(|client| client.client_id().unwrap_or_default())
        .collect()
}

/// Reads `stream` the way a slow consumer would: after every
/// [`PAGE_SIZE`] items it spends [`READ_TIME_PER_PAGE`] (awaiting, as a
/// write to a database would) before asking for more. Returns how many
/// items it read.
async fn read_slowly<T, E: std::fmt::Debug>(
    stream: impl futures::Stream<Item = Result<T, E>>,
) -> usize {
    stream
        .try_fold(0_usize, |n, item| async move {
            black_box(item);
            let n = n + 1;
            if n % PAGE_SIZE as usize == 0 {
                tokio::time::sleep(READ_TIME_PER_PAGE).await;
            }
            Ok(n)
        })
        .await
        .expect("every item")
}

/// Allocations and allocated bytes per call of `call`, averaged over `calls`
/// calls run back to back on `runtime`. Counts every thread's allocations;
/// the client side has only the runtime's thread, and the mock is in
/// another process.
fn allocations_per_call<F, Fut>(runtime: &Runtime, calls: u64, call: F) -> (f64, f64)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    runtime.block_on(async {
        let region = Region::new(GLOBAL);
        for _ in 0..calls {
            call().await;
        }
        let change = region.change();
        (
            change.allocations as f64 / calls as f64,
            change.bytes_allocated as f64 / calls as f64,
        )
    })
}
