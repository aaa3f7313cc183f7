//! Quickstart: ping, create a client, list every client, get one by id.
//!
//! ```sh
//! cargo run -p kore-clients --example quickstart
//! ```
//!
//! Without `KORE_CLIENT_ID` this starts kore-mock, a local stand-in for KORE,
//! on 127.0.0.1 and talks to it. With `KORE_CLIENT_ID` and
//! `KORE_CLIENT_SECRET` set it talks to KORE (or to `KORE_BASE_URL` /
//! `KORE_TOKEN_URL`) and **creates a real API client** in that account.

use futures::TryStreamExt as _;
use kore_clients::{Kore, NewClient, Product, SecretString};
use kore_mock::MockKore;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Keep the mock alive until the end of main; dropping it stops it.
    let (kore, _mock) = if std::env::var_os("KORE_CLIENT_ID").is_some() {
        let kore = Kore::from_env()?;
        println!(
            "Talking to KORE at {} (credentials from the environment).",
            kore.base_url()
        );
        (kore, None)
    } else {
        let mock = MockKore::builder().clients(42).start().await;
        println!(
            "KORE_CLIENT_ID is not set: talking to a LOCAL MOCK of KORE at {} (kore-mock), not to KORE.",
            mock.base_url()
        );
        println!(
            "Set KORE_CLIENT_ID and KORE_CLIENT_SECRET to run this against your KORE account.\n"
        );
        let kore = Kore::builder()
            .client_id(mock.client_id())
            .client_secret(SecretString::from(mock.client_secret().to_owned()))
            .base_url(mock.base_url())
            .token_url(mock.token_url())
            .build()?;
        (kore, Some(mock))
    };

    let ping = kore.ping().await?;
    println!("ping: {}", ping.status().unwrap_or("(no status)"));

    let created = kore
        .clients()
        .create(
            NewClient::new("quickstart-bot")
                .product(Product::SuperSim)
                .locked(false),
        )
        .await?;
    let id = created.client_id();
    println!("created client {id}");
    println!(
        "  its one-time secret is in `created.client_secret()` (a SecretString, {} characters); \
         store it now, KORE will not show it again. This example does not print it.",
        kore_clients::ExposeSecret::expose_secret(created.client_secret()).len()
    );

    let all: Vec<_> = kore
        .clients()
        .list()
        .page_size(20)
        .stream()
        .try_collect()
        .await?;
    println!("listed {} clients (page by page, 20 per page):", all.len());
    for client in all.iter().rev().take(3) {
        println!(
            "  {:<36} {:<10} {:?}",
            client.client_id().unwrap_or("-"),
            client
                .client_type()
                .map(|t| t.to_string())
                .unwrap_or_default(),
            client.name().unwrap_or("-")
        );
    }

    let fetched = kore.clients().get(id).await?;
    println!(
        "got {} back by id: name {:?}, created {}",
        id,
        fetched.name().unwrap_or("-"),
        fetched
            .date_created()
            .map(|d| d.to_rfc3339())
            .unwrap_or_else(|| "unknown".into())
    );
    Ok(())
}
