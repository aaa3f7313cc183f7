//! The token cache under load, with real API calls against kore-mock: a
//! cold-cache stampede, tokens revoked or expiring mid-run, and refresh-ahead.
//!
//! Each test counts grants at the mock (what KORE would see) as well as in
//! the SDK, and every request must succeed. Everything is bounded: a fixed
//! number of calls or waves, and a time budget after which the test fails
//! instead of hanging. No test asserts on timing; timing only sets up when a
//! token dies relative to the waves of requests.

use crate::common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use kore_clients::{Error, Kore};
use kore_mock::{MockKore, MockKoreBuilder, Route};

/// Clients seeded into every mock here.
const CLIENTS: usize = 50;
/// The most any test here may take before it fails.
const BUDGET: Duration = Duration::from_secs(30);
/// Requests per wave in the wave-based tests.
const WAVE: usize = 100;
/// Pause between waves, so a bounded number of waves spans the token's death.
const WAVE_PAUSE: Duration = Duration::from_millis(40);
/// Upper bound on waves, whatever the clock says.
const MAX_WAVES: usize = 150;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_gets_on_a_cold_cache_make_exactly_one_grant() {
    within_budget(async {
        // The mock seeds deterministically, so a throwaway mock with the same
        // seed and size tells the ids without a token from the mock under test.
        let ids = seeded_ids().await;
        let mock = MockKore::builder().clients(CLIENTS).start().await;
        let kore = loaded_kore(&mock);

        let requested: Vec<String> = (0..1000).map(|i| ids[i % ids.len()].clone()).collect();
        let outcomes = get_all(&kore, &requested).await;

        assert_none_failed(&failures_of(&outcomes), outcomes.len());
        for (id, outcome) in requested.iter().zip(&outcomes) {
            let client = outcome.as_ref().unwrap();
            assert_eq!(client.client_id(), Some(id.as_str()));
        }
        assert_eq!(mock.token_grants(), 1, "one grant for 1000 cold callers");
        assert_eq!(mock.requests(Route::Token), 1, "and one token request");
        assert_eq!(kore.tokens().grants(), 1);
        assert_eq!(
            mock.requests(Route::GetClient),
            1000,
            "no request was rejected and retried"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_revoked_while_hundreds_of_requests_are_in_flight_cause_one_refresh() {
    within_budget(async {
        // The mock checks the bearer after its latency, so requests already
        // received when the tokens are revoked are still rejected with 401.
        let (mock, kore, ids) =
            loaded(MockKore::builder().latency(Route::GetClient, Duration::from_millis(150))).await;
        assert_eq!(mock.token_grants(), 1);

        const CALLS: usize = 400;
        let requested: Vec<String> = (0..CALLS).map(|i| ids[i % ids.len()].clone()).collect();
        let running = tokio::spawn({
            let kore = kore.clone();
            async move { get_all(&kore, &requested).await }
        });
        // Revoke once at least half of them are waiting inside the mock.
        while mock.requests(Route::GetClient) < (CALLS / 2) as u64 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        mock.expire_tokens();
        let outcomes = running.await.unwrap();

        assert_none_failed(&failures_of(&outcomes), CALLS);
        assert_eq!(mock.token_grants(), 2, "exactly one refresh");
        assert_eq!(kore.tokens().grants(), 2);
        let received = mock.requests(Route::GetClient);
        assert!(
            received > CALLS as u64,
            "some requests met the revocation and were retried ({received} received)"
        );
        assert!(
            received <= 2 * CALLS as u64,
            "a request is retried at most once after a 401 ({received} received)"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_dying_early_under_waves_of_requests_cause_one_refresh() {
    within_budget(async {
        // The mock advertises an hour but rejects tokens after 2 s, so the
        // SDK learns of the death from a 401. The waves run for 3 s: past the
        // first token's death, and over before the second one (issued at
        // about 2 s) dies at about 4 s.
        let dies_after = Duration::from_secs(2);
        let (mock, kore, ids) = loaded(
            MockKore::builder()
                .token_lifetime(Duration::from_secs(3600))
                .tokens_expire_after(dies_after),
        )
        .await;

        let run = run_waves(&kore, &ids, dies_after + dies_after / 2).await;

        assert_none_failed(&run.failures, run.calls);
        assert_eq!(mock.token_grants(), 2, "exactly one refresh");
        assert_eq!(kore.tokens().grants(), 2);
        assert!(
            mock.requests(Route::GetClient) > run.calls as u64,
            "the first token died mid-run: some requests got a 401 and were retried"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_ahead_under_waves_of_requests_makes_one_grant_and_no_401() {
    within_budget(async {
        // A 4 s token is refreshed 2 s before it expires (half its lifetime
        // at most), by one caller while the others keep using it. The waves
        // run for 3 s: past the refresh at 2 s, and over before the second
        // token's refresh at about 4 s.
        let (mock, kore, ids) =
            loaded(MockKore::builder().token_lifetime(Duration::from_secs(4))).await;

        let run = run_waves(&kore, &ids, Duration::from_secs(3)).await;

        assert_none_failed(&run.failures, run.calls);
        assert_eq!(
            mock.token_grants(),
            2,
            "exactly one refresh ahead of expiry"
        );
        assert_eq!(
            mock.requests(Route::GetClient),
            run.calls as u64,
            "no request ever met an expired token"
        );
        assert!(run.waves >= 2, "the run spanned the refresh ({run:?})");
    })
    .await;
}

/// A `Kore` for `mock` whose calls are bounded by the test's [`BUDGET`]
/// rather than by [`common::CALL_BOUND`]: on a busy machine a call among
/// hundreds may queue for longer than one call ever should, and these tests
/// are about tokens, not latency.
fn loaded_kore(mock: &MockKore) -> kore_clients::Kore {
    common::builder_for(mock)
        .operation_timeout(BUDGET)
        .build()
        .unwrap()
}

/// Starts `mock` with [`CLIENTS`] clients, a [`loaded_kore`] for it, and
/// the ids of its clients (listing them takes the first grant).
async fn loaded(mock: MockKoreBuilder) -> (MockKore, Kore, Vec<String>) {
    let mock = mock.clients(CLIENTS).start().await;
    let kore = loaded_kore(&mock);
    let ids = list_ids(&kore).await;
    (mock, kore, ids)
}

/// The errors among `outcomes`, as text.
fn failures_of(outcomes: &[kore_clients::Result<kore_clients::Client>]) -> Vec<String> {
    outcomes
        .iter()
        .filter_map(|r| r.as_ref().err().map(Error::to_string))
        .collect()
}

/// Every one of `calls` calls succeeded: `failures` is empty.
fn assert_none_failed(failures: &[String], calls: usize) {
    assert!(
        failures.is_empty(),
        "{} of {calls} failed, first: {}",
        failures.len(),
        failures[0]
    );
}

/// Fails the test (instead of hanging it) if `test` overruns [`BUDGET`].
async fn within_budget(test: impl Future<Output = ()>) {
    kore_testkit::deadline::within(BUDGET, "the test", test).await;
}

/// The ids of a mock seeded with [`CLIENTS`] clients and the default seed,
/// learnt from a throwaway mock so no token of the mock under test is used.
async fn seeded_ids() -> Vec<String> {
    let (_mock, kore) = common::start(MockKore::builder().clients(CLIENTS)).await;
    list_ids(&kore).await
}

async fn list_ids(kore: &Kore) -> Vec<String> {
    let page = kore
        .clients()
        .list()
        .page_size(CLIENTS as u32)
        .send()
        .await
        .unwrap();
    let ids: Vec<String> = page
        .clients()
        .iter()
        .map(|c| c.client_id().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), CLIENTS);
    ids
}

/// Gets every id in `ids` at once, each on its own task; results in order.
async fn get_all(kore: &Kore, ids: &[String]) -> Vec<kore_clients::Result<kore_clients::Client>> {
    let tasks = ids.iter().map(|id| {
        let (kore, id) = (kore.clone(), id.clone());
        tokio::spawn(async move { kore.clients().get(&id).await })
    });
    common::join_all(tasks).await
}

#[derive(Debug)]
struct WaveRun {
    waves: usize,
    calls: usize,
    failures: Vec<String>,
}

/// Sends waves of [`WAVE`] concurrent gets until `duration` has passed (or
/// [`MAX_WAVES`] were sent), checking each answer is the client asked for.
async fn run_waves(kore: &Kore, ids: &[String], duration: Duration) -> WaveRun {
    let started = Instant::now();
    let mut run = WaveRun {
        waves: 0,
        calls: 0,
        failures: Vec::new(),
    };
    let mut errors_by_kind: HashMap<String, usize> = HashMap::new();
    while started.elapsed() < duration && run.waves < MAX_WAVES {
        let requested: Vec<String> = (0..WAVE)
            .map(|i| ids[(run.waves * WAVE + i) % ids.len()].clone())
            .collect();
        for (id, outcome) in requested.iter().zip(get_all(kore, &requested).await) {
            match outcome {
                Ok(client) if client.client_id() == Some(id.as_str()) => {}
                Ok(client) => run
                    .failures
                    .push(format!("asked for {id}, got {:?}", client.client_id())),
                Err(error) => {
                    *errors_by_kind.entry(format!("{error}")).or_default() += 1;
                    run.failures.push(error.to_string());
                }
            }
        }
        run.calls += WAVE;
        run.waves += 1;
        tokio::time::sleep(WAVE_PAUSE).await;
    }
    if !errors_by_kind.is_empty() {
        eprintln!("errors by message: {errors_by_kind:#?}");
    }
    run
}
