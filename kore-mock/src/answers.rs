//! The mock's error answers, KORE's exact bodies: the API's `Error`, the
//! gateway's 401 and the token endpoint's OAuth errors. Below the routes and
//! the fault injection, which all answer with them.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The spec's `Error` body: `{status, message, code, info}`, `code` mirroring the status.
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
    info: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>, info: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            info: info.into(),
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>, info: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message, info)
    }

    pub(crate) fn invalid_field(field: &str, info: impl Into<String>) -> Self {
        Self::bad_request(format!("Invalid value for field '{field}'"), info)
    }

    pub(crate) fn missing_field(field: &str) -> Self {
        Self::bad_request(
            format!("Missing required field '{field}'"),
            "CreateClient requires name, locked and scopes",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.status.as_u16();
        let body =
            json!({"status": code, "message": self.message, "code": code, "info": self.info});
        (self.status, Json(body)).into_response()
    }
}

/// What KORE's API gateway answers when the bearer token is missing, unknown or expired.
pub(crate) fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"message": "Unauthorized"})),
    )
        .into_response()
}

/// An OAuth 2.0 error response (RFC 6749 §5.2), the shape of KORE's `401Error`.
pub(crate) struct TokenError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl TokenError {
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_request",
            description: description.into(),
        }
    }

    pub fn invalid_client() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: "Invalid client or Invalid client credentials".to_owned(),
        }
    }

    pub(crate) fn missing_client() -> Self {
        Self {
            description: "Client credentials are missing from the request body".to_owned(),
            ..Self::invalid_client()
        }
    }

    pub(crate) fn unsupported_grant_type(grant_type: &str) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error: "unsupported_grant_type",
            description: format!(
                "Unsupported grant_type `{grant_type}`; only client_credentials is supported"
            ),
        }
    }
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.error, "error_description": self.description});
        (
            self.status,
            [(header::CACHE_CONTROL, "no-store")],
            Json(body),
        )
            .into_response()
    }
}
