//! The `kore-mock` binary: command-line flags, the startup banner or `--json`
//! readiness line, the request log on stderr, and shutdown on SIGINT or SIGTERM.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use kore_mock::cli::{self, Args};

/// Stateful mock of KORE Wireless's OAuth token endpoint and Client API, with an admin
/// API under /_mock/ for tests in any language.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(flatten)]
    args: Args,
}

#[tokio::main]
async fn main() -> ExitCode {
    let Cli { args } = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();

    let mock = match args.builder().try_start().await {
        Ok(mock) => mock,
        Err(err) => {
            eprintln!("kore-mock: cannot listen on {}: {err}", args.listen_addr());
            return ExitCode::FAILURE;
        }
    };
    // Listening for signals before saying it is ready: a script that sends
    // SIGTERM as soon as it reads the line must not kill it.
    let stop = cli::shutdown_signal();
    // The banner goes to stdout on purpose: it is what a user copies into their
    // config, and with --json what a script reads.
    if let Err(err) = cli::announce(&mock, &args, &mut std::io::stdout().lock()) {
        eprintln!("kore-mock: cannot write to stdout: {err}");
        return ExitCode::FAILURE;
    }

    match mock.run_until(stop).await {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(err) => {
            tracing::error!("server failed: {err}");
            ExitCode::FAILURE
        }
    }
}
