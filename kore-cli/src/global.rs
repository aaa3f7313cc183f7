//! The flags every command takes (where to send requests, with which
//! credentials, how to log and colour): below the command line and the
//! commands, which all read them.

use std::time::Duration;

use clap::{Args, ValueEnum};

/// Help heading of the global flags about connecting to KORE, which `kore mock` refuses.
const CONNECTION: &str = "Connecting to KORE (not for `kore mock`)";

/// Where to send requests, with which credentials, and how to log.
#[derive(Debug, Args)]
pub struct Global {
    /// Run the command against an in-process kore-mock instead of KORE.
    ///
    /// The mock lives only as long as the command: a client created with
    /// `--mock` is gone afterwards (use `kore mock` for a server that stays up).
    #[arg(long, global = true, conflicts_with_all = ["base_url", "token_url", "client_id", "client_secret_stdin"], help_heading = CONNECTION)]
    pub mock: bool,

    /// Clients seeded into the `--mock` account.
    #[arg(long, global = true, value_name = "N", requires = "mock", default_value_t = kore_mock::DEFAULT_CLIENTS, help_heading = CONNECTION)]
    pub mock_clients: usize,

    /// Client API base URL [env: KORE_BASE_URL] [default: KORE's production API].
    #[arg(long, global = true, value_name = "URL", help_heading = CONNECTION)]
    pub base_url: Option<String>,

    /// OAuth token endpoint [env: KORE_TOKEN_URL] [default: KORE's production endpoint].
    #[arg(long, global = true, value_name = "URL", help_heading = CONNECTION)]
    pub token_url: Option<String>,

    /// OAuth client id [env: KORE_CLIENT_ID]; the secret comes from
    /// KORE_CLIENT_SECRET or --client-secret-stdin.
    #[arg(long, global = true, value_name = "ID", help_heading = CONNECTION)]
    pub client_id: Option<String>,

    /// Read the client secret from the first line of stdin instead of KORE_CLIENT_SECRET.
    #[arg(long, global = true, help_heading = CONNECTION)]
    pub client_secret_stdin: bool,

    /// The config-file profile to use [env: KORE_PROFILE] [default: `default`, if the
    /// file has it]. Flags and KORE_* variables override its values.
    #[arg(long, global = true, value_name = "NAME", help_heading = CONNECTION)]
    pub profile: Option<String>,

    /// Also trust the CA certificate(s) in this PEM file, for KORE's API and token
    /// endpoint (a private CA, or a TLS-inspecting proxy's) [env: KORE_CA_CERT]
    /// [profile: ca_cert].
    #[arg(long, global = true, value_name = "FILE", conflicts_with = "mock", help_heading = CONNECTION)]
    pub ca_cert: Option<String>,

    /// Send every request through this proxy, e.g. `http://proxy.corp:3128` or
    /// `http://user:password@proxy.corp:3128` [profile: proxy] [default: HTTPS_PROXY,
    /// HTTP_PROXY, ALL_PROXY; NO_PROXY exempts hosts].
    #[arg(long, global = true, value_name = "URL", conflicts_with_all = ["mock", "no_proxy"], help_heading = CONNECTION)]
    pub proxy: Option<String>,

    /// Connect directly, ignoring the profile's proxy and HTTPS_PROXY, HTTP_PROXY, ALL_PROXY.
    #[arg(long, global = true, conflicts_with = "mock", help_heading = CONNECTION)]
    pub no_proxy: bool,

    /// Timeout of each HTTP attempt: seconds (`30`) or with a unit (`500ms`, `30s`, `2m`).
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_timeout, help_heading = CONNECTION)]
    pub timeout: Option<Duration>,

    /// Log to stderr: -v for the SDK's operations and error details, -vv for every
    /// attempt. RUST_LOG, when set, overrides the level.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Neither read nor write the token cache ($XDG_CACHE_HOME/kore, else
    /// ~/.cache/kore): request a token for this command alone. Also
    /// KORE_TOKEN_CACHE=off, or `token_cache = false` in the profile.
    #[arg(long, global = true, help_heading = CONNECTION)]
    pub no_token_cache: bool,

    /// Colour on stderr (errors, hints, logs) and in tables: auto colours a terminal
    /// unless NO_COLOR is set; CLICOLOR_FORCE colours anything.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// `--color`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour a terminal, unless NO_COLOR is set (CLICOLOR_FORCE colours anything).
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// Whether to colour a stream that is (`terminal`) or is not a terminal.
    pub fn colors(self, terminal: bool) -> bool {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto if set("NO_COLOR") => false,
            ColorChoice::Auto
                if set("CLICOLOR_FORCE")
                    && std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| v != "0") =>
            {
                true
            }
            ColorChoice::Auto => terminal,
        }
    }
}

/// Parses `--timeout`: a whole number of seconds, or a whole number with
/// `ms`, `s` or `m`. Zero is refused: the HTTP client would then time out
/// every request at once.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let usage = || format!("`{text}` is not a timeout; use seconds (`30`) or `500ms`, `30s`, `2m`");
    let value: u64 = number.parse().map_err(|_| usage())?;
    let duration = match unit.trim() {
        "" | "s" => Duration::from_secs(value),
        "ms" => Duration::from_millis(value),
        "m" => Duration::from_secs(value.checked_mul(60).ok_or_else(usage)?),
        _ => return Err(usage()),
    };
    if duration.is_zero() {
        return Err("the timeout must be longer than zero".into());
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_take_seconds_or_a_unit() {
        assert_eq!(parse_timeout("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_timeout("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_timeout("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_timeout("2m"), Ok(Duration::from_secs(120)));
        for bad in ["", "s", "0", "0ms", "1h", "-1", "1.5s", "ten"] {
            assert!(parse_timeout(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
