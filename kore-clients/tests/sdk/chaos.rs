//! A seeded chaos run: many concurrent callers against kore-mock while a
//! driver injects token latency spikes, 5xx/429 bursts and early token
//! expiry, and callers are dropped at random points. It runs in tokio's
//! paused clock, so a run takes well under a second of real time.
//!
//! Invariants checked:
//! - every call ends by itself within the operation timeout;
//! - a listing that completes holds each client once, in the server's order,
//!   seeded clients all there;
//! - no create is sent twice: each name exists at most once at the end;
//! - tokens the SDK received stay within 1 + 2 × (early expiries) (each
//!   expiry may also catch a token issued just before it).
//!
//! `cargo test -p kore-clients --test sdk chaos::` runs one seed (random, printed).
//! `KORE_CHAOS_SEED=N` replays a seed; `KORE_CHAOS_RUNS=20` runs 20 seeds
//! from it.

use crate::common;
use crate::common::CollectAll as _;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::StreamExt as _;
use kore_clients::NewClient;
use kore_mock::{Fault, MockKore, Route};
use kore_testkit::deadline;
use tokio::time::{Instant, sleep, timeout};

const SEEDED: usize = 60;
const WORKERS: u64 = 12;
const CALLS_PER_WORKER: u64 = 15;
const OPERATION_TIMEOUT: Duration = Duration::from_secs(5);
/// Real time one seed's run may take; it takes well under a second.
const RUN_BOUND: Duration = common::PAUSED_RUN_BOUND;

#[test]
fn chaos() {
    let first: u64 = std::env::var("KORE_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    let runs: u64 = std::env::var("KORE_CHAOS_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    for seed in first..first.saturating_add(runs) {
        eprintln!("chaos: seed {seed} (replay with KORE_CHAOS_SEED={seed})");
        // The clock is virtual but the mock's I/O is real: a walk that never
        // ends keeps the runtime busy without the clock reaching any bound.
        let outcome = std::panic::catch_unwind(|| {
            deadline::run_paused(RUN_BOUND, move || run(seed));
        });
        if let Err(panic) = outcome {
            eprintln!("chaos: FAILED with seed {seed}; replay with KORE_CHAOS_SEED={seed}");
            std::panic::resume_unwind(panic);
        }
    }
}

/// What the run observed.
#[derive(Default)]
struct Tally {
    calls: AtomicU64,
    succeeded: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    listings: AtomicU64,
}

async fn run(seed: u64) {
    let mock = MockKore::builder()
        .clients(SEEDED)
        .seed(seed)
        .token_lifetime(Duration::from_secs(3600))
        .start()
        .await;
    let kore = common::builder_for(&mock)
        .retry(common::retries(
            3,
            Duration::from_millis(50),
            Duration::from_secs(2),
        ))
        .timeout(Duration::from_secs(2))
        .token_timeout(Duration::from_secs(2))
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
        .unwrap();
    let seeded = ids(&collect(&kore).await);
    assert_eq!(seeded.len(), SEEDED);

    let expiries = AtomicU64::new(0);
    let tally = Arc::new(Tally::default());
    let listings = Arc::new(std::sync::Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..WORKERS)
        .map(|worker| {
            let (kore, seeded, tally, listings) = (
                kore.clone(),
                seeded.clone(),
                tally.clone(),
                listings.clone(),
            );
            tokio::spawn(async move {
                let mut rng = fastrand::Rng::with_seed(seed ^ (worker + 1).wrapping_mul(0x9e37));
                for call in 0..CALLS_PER_WORKER {
                    sleep(Duration::from_millis(rng.u64(0..300))).await;
                    let name = format!("chaos-{worker}-{call}");
                    let op = rng.u8(0..10);
                    // A third of the callers give up at a random point.
                    let patience =
                        (rng.u8(0..3) == 0).then(|| Duration::from_millis(rng.u64(1..3000)));
                    let kore = kore.clone();
                    let listings = listings.clone();
                    let id = seeded[rng.usize(0..seeded.len())].clone();
                    let (concurrency, page_size) = (rng.usize(1..5), rng.u32(7..40));
                    let work = async move {
                        match op {
                            0..=2 => kore.ping().await.map(drop),
                            3..=5 => kore.clients().get(&id).await.map(drop),
                            6 | 7 => {
                                let items: Vec<_> = kore
                                    .clients()
                                    .list()
                                    .page_size(page_size)
                                    .concurrency(concurrency)
                                    .stream()
                                    .collect()
                                    .await;
                                if items.iter().all(Result::is_ok) {
                                    listings.lock().unwrap().push(ids(&items));
                                }
                                Ok(())
                            }
                            _ => kore.clients().create(NewClient::new(name)).await.map(drop),
                        }
                    };
                    // A listing is one call per page, each with its own deadline.
                    let bound = if (6..=7).contains(&op) {
                        let pages = (SEEDED as u32 + (WORKERS * CALLS_PER_WORKER) as u32)
                            / page_size
                            + concurrency as u32
                            + 1;
                        OPERATION_TIMEOUT * pages
                    } else {
                        OPERATION_TIMEOUT + Duration::from_millis(100)
                    };
                    tally.calls.fetch_add(1, Ordering::Relaxed);
                    let started = Instant::now();
                    let result = match patience {
                        Some(patience) => match timeout(patience, work).await {
                            Ok(result) => result,
                            Err(_) => {
                                tally.dropped.fetch_add(1, Ordering::Relaxed);
                                continue;
                            }
                        },
                        // Twice the bound checked below, in virtual time: a call
                        // that never ends fails the run instead of hanging it.
                        None => deadline::within(bound * 2, "a chaos call", work).await,
                    };
                    assert!(
                        started.elapsed() <= bound,
                        "a call took {:?} (bound {bound:?})",
                        started.elapsed()
                    );
                    match result {
                        Ok(()) => {
                            tally.succeeded.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(_) => {
                            tally.failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    // The driver runs in this task, beside the workers, until they are done.
    tokio::select! {
        () = drive_faults(&mock, seed, &expiries) => unreachable!("the driver never stops"),
        results = futures::future::join_all(workers) => {
            for result in results {
                result.expect("a worker panicked");
            }
        }
    }
    mock.faults().clear();

    // The server's final order: seeded clients, then created ones.
    let fresh = common::builder_for(&mock).build().unwrap();
    let all = ids(&collect(&fresh).await);
    assert_eq!(&all[..SEEDED], &seeded[..]);
    let position: HashMap<&str, usize> = all
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();

    let listings = std::mem::take(&mut *listings.lock().unwrap());
    for listing in listings.iter() {
        let unique: HashSet<&String> = listing.iter().collect();
        assert_eq!(unique.len(), listing.len(), "a client was listed twice");
        assert!(
            listing
                .windows(2)
                .all(|w| position[w[0].as_str()] < position[w[1].as_str()]),
            "a listing is out of order"
        );
        assert!(
            listing.starts_with(&seeded),
            "a listing lost a seeded client"
        );
    }
    tally
        .listings
        .store(listings.len() as u64, Ordering::Relaxed);

    let mut names = HashMap::<String, usize>::new();
    for client in collect(&fresh).await {
        let client = client.unwrap();
        if let Some(name) = client.name().filter(|n| n.starts_with("chaos-")) {
            *names.entry(name.to_owned()).or_default() += 1;
        }
    }
    assert!(
        names.values().all(|n| *n == 1),
        "a create was sent twice: {:?}",
        names.iter().filter(|(_, n)| **n > 1).collect::<Vec<_>>()
    );

    let expiries = expiries.load(Ordering::Relaxed);
    // Tokens the SDK received (the mock also finishes token requests whose
    // caller timed out, and counts those grants too).
    let grants = kore.tokens().grants();
    assert!(
        grants <= 1 + 2 * expiries,
        "{grants} grants for {expiries} early expiries"
    );
    eprintln!(
        "chaos: {} calls, {} succeeded, {} failed, {} dropped by their callers, {} complete listings, {} creates, {expiries} expiries, {grants} grants, {} token requests",
        tally.calls.load(Ordering::Relaxed),
        tally.succeeded.load(Ordering::Relaxed),
        tally.failed.load(Ordering::Relaxed),
        tally.dropped.load(Ordering::Relaxed),
        tally.listings.load(Ordering::Relaxed),
        names.len(),
        mock.requests(Route::Token),
    );
}

/// Injects faults until aborted.
async fn drive_faults(mock: &MockKore, seed: u64, expiries: &AtomicU64) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let routes = [
        Route::Token,
        Route::Ping,
        Route::ListClients,
        Route::GetClient,
        Route::CreateClient,
    ];
    loop {
        sleep(Duration::from_millis(rng.u64(50..400))).await;
        match rng.u8(0..10) {
            0 | 1 => {
                let spike = Duration::from_millis(rng.u64(0..2500));
                mock.faults().set_latency(Route::Token, spike);
            }
            2 => {
                mock.expire_tokens();
                expiries.fetch_add(1, Ordering::Relaxed);
            }
            3 => mock
                .faults()
                .set_latency(Route::ListClients, Duration::from_millis(rng.u64(0..800))),
            _ => {
                let route = routes[rng.usize(0..routes.len())];
                let burst: Vec<Fault> = (0..rng.usize(1..4))
                    .map(|_| match rng.u8(0..4) {
                        0 => Fault::Status(503),
                        1 => Fault::Status(502),
                        2 => Fault::TooManyRequests {
                            retry_after_secs: Some(1),
                        },
                        _ => Fault::Delay(Duration::from_millis(rng.u64(100..3000))),
                    })
                    .collect();
                mock.faults().script(route, burst);
            }
        }
    }
}

fn ids(items: &[kore_clients::Result<kore_clients::Client>]) -> Vec<String> {
    items
        .iter()
        .map(|c| {
            c.as_ref()
                .expect("listing without errors")
                .client_id()
                .expect("clients have ids")
                .to_owned()
        })
        .collect()
}

async fn collect(kore: &kore_clients::Kore) -> Vec<kore_clients::Result<kore_clients::Client>> {
    kore.clients().list().page_size(100).results().await
}
