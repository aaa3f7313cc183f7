//! `kore`: a command-line client for the KORE Wireless Client API, built on
//! the `kore-clients` SDK, with the `kore-mock` server embedded for
//! experiments (`--mock`, `kore mock`). See `kore --help` and the README.

mod cli;
mod commands;
mod connect;
mod enum_value;
mod exit;
mod global;
mod logging;
mod output;
mod profile;
mod progress;
mod secret_command;
mod secret_file;
mod style;
mod table;
mod token_cache;

use std::io::{BufWriter, Write as _};
use std::process::ExitCode;

use crate::cli::{ClientsCommand, Command};
use crate::exit::{Exit, Failure};

fn main() -> ExitCode {
    // clap prints its own usage errors and exits with 2.
    let cli = cli::parse();
    let verbose = cli.global.verbose;
    style::init(cli.global.color);
    logging::init(verbose, matches!(cli.command, Command::Mock(_)));

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(source) => {
            return fail(
                &Failure::Io {
                    context: "the async runtime".into(),
                    source,
                },
                verbose,
            );
        }
    };
    // Only a listing may stop quietly when its reader leaves: anything else
    // (a create's secret above all) must say it was not delivered.
    let listing = matches!(cli.command, Command::Clients(ClientsCommand::List(_)));
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = runtime
        .block_on(commands::run(cli, &mut out))
        .and_then(|()| out.flush().map_err(Failure::io("stdout")));
    // Whatever was written before a failure (a partial listing) still goes out.
    let _ = out.flush();
    match result {
        Ok(()) => Exit::Success.into(),
        // The reader left (`kore clients list --all | head`): stop quietly.
        Err(failure) if listing && failure.is_broken_pipe() => Exit::Success.into(),
        Err(failure) => fail(&failure, verbose),
    }
}

/// Prints the failure on stderr and returns its exit code.
fn fail(failure: &Failure, verbose: u8) -> ExitCode {
    eprintln!("{}", failure.report().painted(style::stderr()));
    if verbose > 0
        && let Some(error) = failure.source_error()
    {
        let mut cause = error.source();
        while let Some(error) = cause {
            eprintln!("caused by: {error}");
            cause = error.source();
        }
        eprintln!("details: {error:#?}");
    }
    failure.exit().into()
}
