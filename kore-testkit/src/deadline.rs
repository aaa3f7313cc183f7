//! Bounded waits: a future, or a whole stream, awaited within a deadline that
//! fails the test with a message naming what did not finish.

use std::time::Duration;

use futures::{Stream, StreamExt as _, TryStream, TryStreamExt as _};

/// `future`'s output, or a test failure naming `what` once `bound` has passed.
///
/// Under a paused clock (`start_paused`) the bound is virtual time: pick one
/// longer than every delay the test itself sets up.
pub async fn within<F: Future>(bound: Duration, what: &str, future: F) -> F::Output {
    tokio::time::timeout(bound, future)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {bound:?}"))
}

/// Every item `stream` yields, errors included, collected within `bound`.
pub async fn collect_within<S: Stream>(bound: Duration, stream: S) -> Vec<S::Item> {
    within(bound, "the listing", stream.collect::<Vec<_>>()).await
}

/// Every value `stream` yields, collected within `bound`; any error fails the test.
pub async fn try_collect_within<S>(bound: Duration, stream: S) -> Vec<S::Ok>
where
    S: TryStream,
    S::Error: std::fmt::Debug,
{
    within(bound, "the listing", stream.try_collect::<Vec<_>>())
        .await
        .expect("the listing yields no error")
}

/// The next item of `stream`, within `bound`.
pub async fn next_within<S: Stream + Unpin>(bound: Duration, stream: &mut S) -> Option<S::Item> {
    within(bound, "the next item of the stream", stream.next()).await
}

/// Runs the future `test` makes on a current-thread runtime whose clock
/// starts paused, as `#[tokio::test(start_paused = true)]` does, and fails
/// the test when it has not ended after `bound` of real time.
///
/// A paused clock only moves while the runtime is idle: a walk that never
/// ends keeps it busy with real I/O, so no virtual bound is ever reached.
#[cfg(feature = "paused")]
pub fn run_paused<F>(bound: Duration, test: impl FnOnce() -> F + Send + 'static)
where
    F: Future<Output = ()>,
{
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("a paused tokio runtime");
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(test());
        }));
        let _ = done.send(outcome);
    });
    match finished.recv_timeout(bound) {
        Ok(Ok(())) => {}
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("the test is still running after {bound:?} of real time"),
    }
}
