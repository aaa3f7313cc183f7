//! `kore ping`: the token grant and KORE's ping, in one line.

use std::io::Write;

use kore_clients::Kore;

use crate::exit::Failure;

/// Pings KORE (which needs a token, so the credentials are checked too).
pub async fn run(kore: &Kore, out: &mut impl Write) -> Result<(), Failure> {
    let status = kore.ping().await?;
    writeln!(
        out,
        "KORE is up at {}: status {}, authenticated as {}",
        kore.base_url(),
        status.status().unwrap_or("unknown"),
        kore.client_id()
    )
    .map_err(Failure::io("stdout"))
}
