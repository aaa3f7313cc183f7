//! A tokio runtime owned by a synchronous test, serving in the background
//! while the test thread runs a binary or blocks.

/// A multi-threaded runtime with one worker and every driver on.
pub fn background() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}
