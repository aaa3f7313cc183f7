//! One module per subcommand; this one dispatches.

mod auth;
mod configure;
mod create;
pub(crate) mod doctor;
mod get;
mod list;
mod mock;
mod ping;

use std::io::Write;

use crate::cli::{self, Cli, ClientsCommand, Command};
use crate::connect::connect;
use crate::exit::Failure;

/// Runs the parsed command, writing its results to `out` (stdout).
pub async fn run(cli: Cli, out: &mut impl Write) -> Result<(), Failure> {
    match cli.command {
        // `kore mock` serves; it needs neither credentials nor a client.
        Command::Mock(args) => mock::run(&args, out).await,
        Command::Configure => configure::run(&cli.global),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut cli::command(), "kore", out);
            Ok(())
        }
        Command::Man => clap_mangen::Man::new(cli::command())
            .render(out)
            .map_err(Failure::io("stdout")),
        Command::Ping => {
            let connection = connect(&cli.global).await?;
            ping::run(&connection.kore, out).await
        }
        Command::Doctor(args) => {
            let connection = connect(&cli.global).await?;
            doctor::run(&connection.kore, &args, &cli.global, out).await
        }
        Command::Auth(command) => auth::run(&cli.global, &command, out).await,
        Command::Clients(command) => {
            // Held until the command ends: under `--mock` it owns the server.
            let connection = connect(&cli.global).await?;
            let kore = &connection.kore;
            match command {
                ClientsCommand::List(args) => list::run(kore, &args, cli.global.verbose, out).await,
                ClientsCommand::Get(args) => get::run(kore, &args, out).await,
                ClientsCommand::Create(args) => create::run(kore, &args, out).await,
            }
        }
    }
}
