//! `kore clients get`: one client by its id, as a table or JSON.

use std::io::Write;

use kore_clients::Kore;

use crate::cli::{Format, GetArgs};
use crate::exit::Failure;
use crate::output;

/// Fetches one client and prints it.
pub async fn run(kore: &Kore, args: &GetArgs, out: &mut impl Write) -> Result<(), Failure> {
    let client = kore.clients().get(&args.id).await?;
    match args.output {
        Format::Table => output::clients_table([&client], args.time_format, out),
        Format::Json => output::json(&client, out),
        Format::Name => output::name(client.client_id(), out),
    }
    .map_err(Failure::io("stdout"))
}
