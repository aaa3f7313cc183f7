//! `kore-bench-mock`: a kore-mock in its own process for the benchmarks and
//! the memory test, so that their measurements see only the client.
//!
//! Usage: `kore-bench-mock --clients N --list-latency-ms MS --token-latency-ms MS`. It prints one
//! JSON line with `base_url`, `token_url`, `client_id` and `client_secret`,
//! then serves on 127.0.0.1 until its stdin closes (the parent exited or
//! dropped it).

use std::process::ExitCode;

use kore_bench::MockOptions;
use kore_mock::{MockKore, Route};
use tokio::io::AsyncReadExt as _;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match MockOptions::from_args(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("kore-bench-mock: {message}");
            return ExitCode::FAILURE;
        }
    };
    // One thread: on a 2-core machine the measuring process keeps the other
    // core, and a single-threaded server does not compete with it.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("kore-bench-mock: cannot start a runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve(options))
}

async fn serve(options: MockOptions) -> ExitCode {
    let mut builder = MockKore::builder().clients(options.clients);
    if !options.list_latency.is_zero() {
        builder = builder.latency(Route::ListClients, options.list_latency);
    }
    if !options.token_latency.is_zero() {
        builder = builder.latency(Route::Token, options.token_latency);
    }
    let mock = match builder.try_start().await {
        Ok(mock) => mock,
        Err(error) => {
            eprintln!("kore-bench-mock: cannot listen on 127.0.0.1: {error}");
            return ExitCode::FAILURE;
        }
    };
    let handshake = serde_json::json!({
        "base_url": mock.base_url(),
        "token_url": mock.token_url(),
        "client_id": mock.client_id(),
        "client_secret": mock.client_secret(),
    });
    println!("{handshake}");
    let stdin_closed = async {
        let mut sink = Vec::new();
        // EOF or an error both mean the parent is gone.
        let _ = tokio::io::stdin().read_to_end(&mut sink).await;
    };
    match mock.run_until(stdin_closed).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kore-bench-mock: server failed: {error}");
            ExitCode::FAILURE
        }
    }
}
