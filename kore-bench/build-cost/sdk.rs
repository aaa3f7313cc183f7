//! The build-cost app on kore-clients: a token grant, one page of the list
//! and a get by id against `KORE_BASE_URL` (`kore_bench::build_cost` builds it
//! cold next to `raw.rs`, which makes the same calls by hand).

use kore_clients::{Kore, SecretString};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base_url = std::env::var("KORE_BASE_URL")?;
    let kore = Kore::builder()
        .client_id(std::env::var("KORE_CLIENT_ID")?)
        .client_secret(SecretString::from(std::env::var("KORE_CLIENT_SECRET")?))
        .token_url(format!("{base_url}/api-services/v1/auth/token"))
        .base_url(base_url)
        .build()?;
    kore.tokens().bearer().await?;
    let page = kore.clients().list().page_size(100).send().await?;
    println!("listed {} clients", page.clients().len());
    if let Some(id) = page.clients().first().and_then(|c| c.client_id()) {
        let client = kore.clients().get(id).await?;
        println!("got {}", client.name().unwrap_or("-"));
    }
    Ok(())
}
