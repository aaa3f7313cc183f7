//! `kore mock`: the embedded kore-mock as a local server, with the flags, banner
//! and signal handling of the `kore-mock` binary itself (`kore_mock::cli`).

use std::io::Write;

use kore_mock::cli::{self, Args};

use crate::exit::Failure;

/// Serves until Ctrl-C (or SIGTERM), after printing the banner or `--json` line.
pub async fn run(args: &Args, out: &mut impl Write) -> Result<(), Failure> {
    let mock = args
        .builder()
        .try_start()
        .await
        .map_err(|source| Failure::MockStart {
            addr: args.listen_addr().to_string(),
            source,
        })?;
    // The banner is the command's output (stdout): it is what a user copies, and
    // the mock's test credentials are meant to be shown.
    // Listening for signals before announcing readiness (see `shutdown_signal`).
    let stop = cli::shutdown_signal();
    cli::announce(&mock, args, out).map_err(Failure::io("stdout"))?;
    mock.run_until(stop)
        .await
        .map_err(Failure::io("the mock server"))?;
    eprintln!("kore-mock stopped");
    Ok(())
}
