//! The build-cost app on reqwest + serde + tokio alone: the same calls as
//! `sdk.rs` (a token grant, one page of the list, a get by id against
//! `KORE_BASE_URL`), written by hand.

use serde::Deserialize;

#[derive(Deserialize)]
struct Token {
    access_token: String,
}

#[derive(Deserialize)]
struct Client {
    client_id: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct ClientList {
    clients: Vec<Client>,
}

#[derive(Deserialize)]
struct ClientEnvelope {
    client: Client,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base_url = std::env::var("KORE_BASE_URL")?;
    let client_id = std::env::var("KORE_CLIENT_ID")?;
    let client_secret = std::env::var("KORE_CLIENT_SECRET")?;
    let http = reqwest::Client::new();
    let token: Token = http
        .post(format!("{base_url}/api-services/v1/auth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", &client_secret),
        ])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let bearer = &token.access_token;
    let list = http.get(format!("{base_url}/v1/clients"));
    let page: ClientList = json(list.query(&[("page_size", "100")]), bearer).await?;
    println!("listed {} clients", page.clients.len());
    if let Some(id) = page.clients.first().and_then(|c| c.client_id.as_deref()) {
        let get = http.get(format!("{base_url}/v1/clients/{id}"));
        let envelope: ClientEnvelope = json(get, bearer).await?;
        println!("got {}", envelope.client.name.as_deref().unwrap_or("-"));
    }
    Ok(())
}

/// `request` sent with the bearer token, its 2xx body decoded.
async fn json<T: serde::de::DeserializeOwned>(
    request: reqwest::RequestBuilder,
    bearer: &str,
) -> Result<T, reqwest::Error> {
    request
        .bearer_auth(bearer)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await
}
