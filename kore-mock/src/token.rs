//! The OAuth token endpoint: the client-credentials grant with credentials in the
//! form body, JWT-shaped access tokens, and OAuth error bodies.

use std::collections::HashMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use crate::answers::TokenError;
use crate::state::{Shared, Store};

/// Path of the OAuth token endpoint, as KORE serves it under `https://api.korewireless.com`.
pub const TOKEN_PATH: &str = "/api-services/v1/auth/token";

/// Scope KORE reports for client-credentials tokens.
const SCOPE: &str = "email";

/// `POST /api-services/v1/auth/token`.
///
/// Checks run in the order of KORE's identity provider: body format, presence of
/// `grant_type`, client authentication, then the grant type itself. Credentials in an
/// `Authorization: Basic` header are ignored because KORE documents form-body
/// credentials only.
pub(crate) async fn issue(
    State(shared): State<Shared>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, TokenError> {
    let Form(form) = form.map_err(|rejection| match rejection {
        FormRejection::InvalidFormContentType(_) => {
            TokenError::invalid_request("Content-Type must be application/x-www-form-urlencoded")
        }
        other => TokenError::invalid_request(format!("Malformed form body: {}", other.body_text())),
    })?;
    let grant_type = form
        .get("grant_type")
        .ok_or_else(|| TokenError::invalid_request("Missing form parameter: grant_type"))?;
    let (Some(client_id), Some(client_secret)) = (form.get("client_id"), form.get("client_secret"))
    else {
        return Err(TokenError::missing_client());
    };

    let config = &shared.config;
    let mut store = shared.store();
    let accepted = (*client_id == config.client_id && *client_secret == config.client_secret)
        || store.created_client_accepts(client_id, client_secret);
    if !accepted {
        return Err(TokenError::invalid_client());
    }
    if grant_type != "client_credentials" {
        return Err(TokenError::unsupported_grant_type(grant_type));
    }

    let lifetime = config.token_lifetime;
    let valid_for = shared
        .faults
        .tokens_expire_after()
        .map_or(lifetime, |early| early.min(lifetime));
    let issued_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let access_token = mint_jwt(
        &mut store,
        client_id,
        issued_at,
        issued_at + lifetime.as_secs(),
    );
    store.remember_token(access_token.clone(), Instant::now() + valid_for);
    drop(store);
    shared.recorder.count_token_grant();

    let expires_in = if shared.faults.expires_in_as_string() {
        json!(lifetime.as_secs().to_string())
    } else {
        json!(lifetime.as_secs())
    };
    let body = json!({
        "access_token": access_token,
        "expires_in": expires_in,
        "token_type": "Bearer",
        "scope": SCOPE,
    });
    Ok((
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(body),
    )
        .into_response())
}

/// A JWT-shaped token: real header and claims, random bytes where the RS256 signature
/// would be. Clients must treat tokens as opaque; the mock recognises its own by lookup.
fn mint_jwt(store: &mut Store, subject: &str, issued_at: u64, expires_at: u64) -> String {
    let jti: String = store
        .random_bytes(16)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": "kore-mock"});
    let claims = json!({
        "iss": "kore-mock",
        "sub": subject,
        "azp": subject,
        "iat": issued_at,
        "exp": expires_at,
        "jti": jti,
        "typ": "Bearer",
        "scope": SCOPE,
    });
    let signature = store.random_bytes(256);
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}
