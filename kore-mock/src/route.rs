//! The mock's endpoints: the [`Route`] each request is counted, faulted and recorded under.

use std::fmt;
use std::str::FromStr;

/// One endpoint of the mock; faults, counters and recorded requests are kept per route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Route {
    /// `POST /api-services/v1/auth/token`
    Token,
    /// `GET /v1/ping`
    Ping,
    /// `GET /v1/clients`
    ListClients,
    /// `POST /v1/clients`
    CreateClient,
    /// `GET /v1/clients/{client_id}`
    GetClient,
}

impl Route {
    /// Every route, in a fixed order.
    pub const ALL: [Route; 5] = [
        Route::Token,
        Route::Ping,
        Route::ListClients,
        Route::CreateClient,
        Route::GetClient,
    ];

    /// Kebab-case name, as accepted by [`FromStr`] and the binary's `--fault` flag.
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Token => "token",
            Route::Ping => "ping",
            Route::ListClients => "list-clients",
            Route::CreateClient => "create-client",
            Route::GetClient => "get-client",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Serialized as its name (`list-clients`), as the admin API and the journal show it.
impl serde::Serialize for Route {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl FromStr for Route {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Route::ALL
            .into_iter()
            .find(|route| route.as_str() == s)
            .ok_or_else(|| {
                format!("unknown route `{s}` (expected token, ping, list-clients, create-client or get-client)")
            })
    }
}
