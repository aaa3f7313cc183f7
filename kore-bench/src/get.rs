//! The four ways the benchmarks read one client (`GET /v1/clients/{id}`),
//! from a hand-written reqwest call to the SDK, so that the criterion
//! benchmark and the instruction counter measure exactly the same code.
//!
//! Each path has its own warm connection pool, the same timeouts and user
//! agent, and decodes the same `ClientEnvelope`. The raw paths carry the
//! SDK's token as a fixed header built once: they never consult a cache.

use std::hint::black_box;
use std::time::{Duration, Instant};

use kore_clients::Kore;
use kore_clients::raw::types::ClientEnvelope;
use reqwest::header::{AUTHORIZATION, HeaderValue};

use crate::MockProcess;

/// One way of sending the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetPath {
    /// reqwest + serde, written by hand: the baseline.
    Raw,
    /// `kore.clients().get(id)`.
    Sdk,
    /// `kore.raw().get_client()`: the generated client with the SDK's hooks
    /// (token, retries, spans) but without the per-call wrapper (operation
    /// span, outcome slot, deadline, error mapping).
    Generated,
    /// The generated client alone, without hooks, the bearer a default
    /// header of its own reqwest client: progenitor's share (extra headers,
    /// response header copy). The floor the SDK can get to.
    GeneratedNoHooks,
}

impl GetPath {
    /// Every path, baseline first.
    pub const ALL: [GetPath; 4] = [
        GetPath::Raw,
        GetPath::Sdk,
        GetPath::Generated,
        GetPath::GeneratedNoHooks,
    ];

    /// The criterion function name (`get_client/<name>`), also the name
    /// the instruction counter takes on its command line.
    pub fn name(self) -> &'static str {
        match self {
            GetPath::Raw => "raw_reqwest",
            GetPath::Sdk => "sdk",
            GetPath::Generated => "generated",
            GetPath::GeneratedNoHooks => "generated_no_hooks",
        }
    }

    /// The path called `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|path| path.name() == name)
    }
}

/// Everything the four paths need, set up against one mock.
pub struct GetPaths {
    kore: Kore,
    raw: reqwest::Client,
    bare: kore_clients::raw::Client,
    url_base: String,
    bearer: HeaderValue,
    id: String,
}

/// The user agent the SDK sends, so the raw paths send as many bytes.
const USER_AGENT: &str = concat!("kore-clients/", env!("CARGO_PKG_VERSION"));

impl GetPaths {
    /// Sets up every path against `mock`: fetches the token and the id of
    /// the first seeded client (the mock must hold at least one).
    pub async fn new(mock: &MockProcess) -> Self {
        let kore = mock.kore();
        let page = kore
            .clients()
            .list()
            .page_size(1)
            .send()
            .await
            .expect("the first page");
        let id = page.clients()[0]
            .client_id()
            .expect("seeded clients have ids")
            .to_owned();
        let bearer = kore
            .tokens()
            .bearer()
            .await
            .expect("a token")
            .header()
            .clone();
        let raw = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .expect("a reqwest client");
        let bare = kore_clients::raw::Client::new_with_client(
            mock.base_url(),
            reqwest::Client::builder()
                .user_agent(USER_AGENT)
                .timeout(Duration::from_secs(30))
                .connect_timeout(Duration::from_secs(10))
                .default_headers([(AUTHORIZATION, bearer.clone())].into_iter().collect())
                .build()
                .expect("a reqwest client"),
            kore_clients::raw::hooks::Hooks::none(),
        );
        Self {
            kore,
            raw,
            bare,
            url_base: mock.base_url().to_owned(),
            bearer,
            id,
        }
    }

    /// The SDK client the paths share (its token is already cached).
    pub fn kore(&self) -> &Kore {
        &self.kore
    }

    /// Reads the client once along `path`; panics on any failure.
    pub async fn get(&self, path: GetPath) {
        match path {
            GetPath::Raw => {
                let response = self
                    .raw
                    .get(format!("{}/v1/clients/{}", self.url_base, self.id))
                    .header(AUTHORIZATION, self.bearer.clone())
                    .send()
                    .await
                    .expect("raw GET");
                assert!(response.status().is_success(), "{}", response.status());
                let body = response.bytes().await.expect("raw body");
                let envelope: ClientEnvelope = serde_json::from_slice(&body).expect("a client");
                black_box(envelope.client.expect("a client object"));
            }
            GetPath::Sdk => {
                black_box(self.kore.clients().get(&self.id).await.expect("SDK get"));
            }
            GetPath::Generated | GetPath::GeneratedNoHooks => {
                // One call, two clients: the SDK's, with its hooks, and the bare one.
                let client = if path == GetPath::Generated {
                    self.kore.raw()
                } else {
                    &self.bare
                };
                let response = client
                    .get_client()
                    .client_id(self.id.as_str())
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{path:?} get: {e}"));
                black_box(response.into_inner());
            }
        }
    }

    /// Warms every pool (and the SDK's token) with `calls` calls per path.
    pub async fn warm_up(&self, calls: usize) {
        for _ in 0..calls {
            for path in GetPath::ALL {
                self.get(path).await;
            }
        }
    }
}

/// Time ratios (`other` over `raw`, sorted) from `rounds` interleaved
/// rounds: each round times `calls_per_block` raw calls and as many of the
/// other side's calls, one block after the other (alternating which goes
/// first), so that a slow spell on a shared machine hits both sides of a
/// round alike. Criterion's separate runs lack that protection.
///
/// A round's ratio is that of the two sides' median call times, each call
/// timed on its own: a call during which the scheduler ran something else
/// on the CPU (milliseconds, on a loaded machine, against tens of
/// microseconds for a call) is an outlier the median ignores, where a
/// block's total would carry it whole.
pub async fn paired_ratios<R, RF, S, SF>(
    rounds: usize,
    calls_per_block: usize,
    raw: R,
    other: S,
) -> Vec<f64>
where
    R: Fn() -> RF,
    RF: Future<Output = ()>,
    S: Fn() -> SF,
    SF: Future<Output = ()>,
{
    let mut ratios = Vec::with_capacity(rounds);
    let mut raw_times = Vec::with_capacity(calls_per_block);
    let mut other_times = Vec::with_capacity(calls_per_block);
    for round in 0..rounds {
        raw_times.clear();
        other_times.clear();
        for other_turn in [round % 2 == 0, round % 2 == 1] {
            for _ in 0..calls_per_block {
                let started = Instant::now();
                if other_turn {
                    other().await;
                    other_times.push(started.elapsed().as_secs_f64());
                } else {
                    raw().await;
                    raw_times.push(started.elapsed().as_secs_f64());
                }
            }
        }
        raw_times.sort_by(f64::total_cmp);
        other_times.sort_by(f64::total_cmp);
        ratios.push(percentile(&other_times, 0.5) / percentile(&raw_times, 0.5));
    }
    ratios.sort_by(f64::total_cmp);
    ratios
}

/// The `q` quantile (0 to 1) of sorted `values`, by nearest rank; NaN if
/// there are none.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Pins the calling thread to the first CPU it may run on; returns that
/// CPU, or `None` (and the caller runs unpinned) where that fails.
///
/// Benchmarks call this first, so that the mock process they start later
/// inherits the pin: client and server then share one CPU, and a round trip
/// is two context switches on it. Unpinned, on a 2-vCPU VM, each round trip
/// wakes the other, idle vCPU twice, which adds tens of microseconds that
/// vary with whatever else the machine does and would dilute the client's
/// own cost in the ratios.
pub fn pin_to_one_cpu() -> Option<usize> {
    let cpu = *core_affinity::get_core_ids()?.first()?;
    core_affinity::set_for_current(cpu).then_some(cpu.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_is_found_by_its_name() {
        for path in GetPath::ALL {
            assert_eq!(GetPath::from_name(path.name()), Some(path));
        }
        assert_eq!(GetPath::from_name("sdk2"), None);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<f64> = (1..=11).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.0), 1.0);
        assert_eq!(percentile(&values, 0.1), 2.0);
        assert_eq!(percentile(&values, 0.5), 6.0);
        assert_eq!(percentile(&values, 1.0), 11.0);
        assert!(percentile(&[], 0.5).is_nan());
    }

    #[tokio::test]
    async fn paired_ratios_compare_each_round_and_come_sorted() {
        // Only the shape of the result is checked: how long the sides take
        // depends on the machine, and is the benchmark's business.
        let work = |units: usize| async move {
            for _ in 0..units * 200 {
                tokio::task::yield_now().await;
            }
        };
        let ratios = paired_ratios(4, 5, || work(1), || work(2)).await;
        assert_eq!(ratios.len(), 4);
        assert!(ratios.windows(2).all(|w| w[0] <= w[1]), "{ratios:?}");
        assert!(
            ratios.iter().all(|r| r.is_finite() && *r > 0.0),
            "{ratios:?}"
        );
    }
}
