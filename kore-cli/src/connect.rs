//! From the global flags and the environment to a ready [`Kore`]: which
//! endpoints, which credentials, which timeout — or an in-process mock.
//!
//! Precedence: a flag, then its `KORE_*` variable, then the SDK's default
//! (KORE's production endpoints). The secret is only ever read from
//! `KORE_CLIENT_SECRET` or stdin, never from a flag, and goes straight into a
//! `SecretString`.

use std::io::{BufRead, IsTerminal};
use std::time::Duration;

use std::path::PathBuf;

use kore_clients::{Kore, KoreBuilder, SecretString};
use kore_mock::MockKore;

use crate::exit::Failure;
use crate::global::Global;
use crate::profile::{self, Profile, Secret};
use crate::token_cache::{self, CacheUse};

/// The connect timeout never exceeds this, so an unreachable host fails
/// in reasonable time even with a long `--timeout`.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long reading a cached token may take once the cache's lock is won.
const STORE_READ_TIME: Duration = Duration::from_secs(2);

/// A configured client, plus the in-process mock it talks to under `--mock`
/// (kept here so the mock lives exactly as long as the command).
pub struct Connection {
    /// The SDK client.
    pub kore: Kore,
    /// The `--mock` server, if any.
    _mock: Option<MockKore>,
    /// Whether tokens are cached across commands, and where.
    pub token_cache: CacheUse,
}

/// Builds the client the global flags describe; starts the mock for `--mock`.
pub async fn connect(global: &Global) -> Result<Connection, Failure> {
    let mut builder = Kore::builder().user_agent(concat!("kore-cli/", env!("CARGO_PKG_VERSION")));
    if let Some(timeout) = global.timeout {
        // The whole call's deadline is the SDK's, derived from this.
        builder = builder
            .timeout(timeout)
            .connect_timeout(timeout.min(MAX_CONNECT_TIMEOUT));
    }

    if global.mock {
        let mock = MockKore::builder()
            .clients(global.mock_clients)
            .try_start()
            .await
            .map_err(|source| Failure::MockStart {
                addr: "127.0.0.1:0".into(),
                source,
            })?;
        tracing::info!(base_url = %mock.base_url(), clients = global.mock_clients, "started an in-process kore-mock");
        // The mock is in this process: no proxy of the environment's is on the way.
        let kore = builder
            .no_proxy()
            .base_url(mock.base_url())
            .token_url(mock.token_url())
            .client_id(mock.client_id())
            .client_secret(SecretString::from(mock.client_secret().to_owned()))
            .build()?;
        return Ok(Connection {
            kore,
            _mock: Some(mock),
            token_cache: CacheUse::Off("--mock".into()),
        });
    }

    // Flags, then KORE_* variables, then the profile, then the SDK's defaults.
    let requested = match &global.profile {
        Some(name) => Some(name.clone()),
        None => env("KORE_PROFILE")?,
    };
    let loaded = profile::load(requested.as_deref())?;
    // The id and the secret are a pair: both from flags and the environment,
    // or both from the profile. Mixing them could send one account's secret
    // with another's id, to another's token URL.
    let given_id = flag_or_env(global.client_id.as_deref(), "KORE_CLIENT_ID")?;
    let given_secret = if global.client_secret_stdin {
        let stdin = std::io::stdin();
        Some(read_secret(stdin.lock(), stdin.is_terminal())?)
    } else {
        env("KORE_CLIENT_SECRET")?.map(SecretString::from)
    };
    let given_secret = given_secret.map(Secret::Given);
    let (client_id, secret) = match (given_id, given_secret, &loaded) {
        (Some(id), Some(secret), _) => (id, secret),
        (None, None, Some(loaded)) => {
            let id = loaded.profile.client_id.clone();
            let secret = loaded.profile.secret(&loaded.name)?;
            match (id, secret) {
                (Some(id), Some(secret)) => (id, secret),
                (id, _) => {
                    return Err(Failure::usage(
                        format!(
                            "profile {:?} in {} has no {}",
                            loaded.name,
                            loaded.path.display(),
                            if id.is_none() {
                                "client_id"
                            } else {
                                "client_secret (or client_secret_file / client_secret_command)"
                            }
                        ),
                        format!(
                            "complete it with `kore configure --profile {}`",
                            loaded.name
                        ),
                    ));
                }
            }
        }
        (None, None, None) => {
            return Err(Failure::usage(
                "no credentials: KORE_CLIENT_ID is not set, --client-id was not given, and there is no profile",
                "export KORE_CLIENT_ID and KORE_CLIENT_SECRET, write a profile with `kore configure`, or try it out with --mock",
            ));
        }
        (Some(_), None, _) => {
            return Err(Failure::usage(
                "no credentials: the client id is given but KORE_CLIENT_SECRET is not set (a profile's secret is only used with its own client id)",
                "export KORE_CLIENT_SECRET, or pipe the secret in with --client-secret-stdin",
            ));
        }
        (None, Some(_), _) => {
            return Err(Failure::usage(
                "no credentials: a secret is given but no client id (a profile's client id is only used with its own secret)",
                "export KORE_CLIENT_ID or pass --client-id",
            ));
        }
    };
    // A profile named on the command line (or in KORE_PROFILE) lends its
    // endpoints even to credentials from the environment; the implicit
    // `default` profile does not, so exported credentials never go to an
    // endpoint their owner did not choose.
    let profile_credentials = global.client_id.is_none()
        && !global.client_secret_stdin
        && env("KORE_CLIENT_ID")?.is_none();
    let from_profile = loaded
        .as_ref()
        .filter(|_| profile_credentials || requested.is_some())
        .map(|l| &l.profile);
    let setting = |flag: Option<&str>, name: &str, field: fn(&Profile) -> Option<&String>| {
        flag_or_env(flag, name).map(|value| value.or_else(|| from_profile.and_then(field).cloned()))
    };
    if let Some(url) = setting(global.base_url.as_deref(), "KORE_BASE_URL", |p| {
        p.base_url.as_ref()
    })? {
        builder = builder.base_url(url);
    }
    if let Some(url) = setting(global.token_url.as_deref(), "KORE_TOKEN_URL", |p| {
        p.token_url.as_ref()
    })? {
        builder = builder.token_url(url);
    }
    builder = trust_and_proxy(builder, global, from_profile.zip(loaded.as_ref()))?;
    if let Some(loaded) = &loaded {
        tracing::debug!(profile = loaded.name, file = %loaded.path.display(), "using a profile");
    }
    // The mock branch returned above: `--mock` never reads or writes the cache.
    let token_cache = token_cache::choose(global.no_token_cache, from_profile)?;
    if let CacheUse::On(store) = &token_cache {
        // A process waiting for another's grant waits as long as the lock
        // allows, and has a moment left to read the token once it has it.
        builder = builder
            .token_store(store.clone())
            .token_store_timeout(store.lock_wait().saturating_add(STORE_READ_TIME));
    }
    builder = match secret {
        Secret::Given(secret) => builder.client_secret(secret),
        Secret::Command(command) => builder.client_secret_source(command),
    };
    let kore = builder.client_id(client_id).build()?;
    tracing::debug!(
        base_url = kore.base_url(),
        token_url = kore.token_url(),
        client_id = kore.client_id(),
        "configured"
    );
    Ok(Connection {
        kore,
        _mock: None,
        token_cache,
    })
}

/// The CA to trust (`--ca-cert`, `KORE_CA_CERT`, the profile's `ca_cert`,
/// relative to the config file's directory) and the proxy (`--no-proxy`,
/// `--proxy`, the profile's `proxy`; else the SDK honours `HTTPS_PROXY` and
/// friends).
fn trust_and_proxy(
    mut builder: KoreBuilder,
    global: &Global,
    profile: Option<(&Profile, &profile::Loaded)>,
) -> Result<KoreBuilder, Failure> {
    let ca_cert = match flag_or_env(global.ca_cert.as_deref(), "KORE_CA_CERT")? {
        Some(path) => Some(PathBuf::from(path)),
        None => profile.and_then(|(profile, loaded)| {
            let path = profile.ca_cert.as_ref()?;
            Some(match loaded.path.parent() {
                Some(dir) => dir.join(path),
                None => path.clone(),
            })
        }),
    };
    if let Some(path) = ca_cert {
        tracing::debug!(ca_cert = %path.display(), "trusting an extra CA");
        builder = builder.ca_cert_file(path);
    }
    if global.no_proxy {
        builder = builder.no_proxy();
    } else if let Some(url) = global
        .proxy
        .clone()
        .or_else(|| profile.and_then(|(profile, _)| profile.proxy.clone()))
    {
        builder = builder.proxy(url);
    }
    Ok(builder)
}

/// The flag if given, else the environment variable if set and not blank.
fn flag_or_env(flag: Option<&str>, name: &str) -> Result<Option<String>, Failure> {
    match flag {
        Some(value) => Ok(Some(value.to_owned())),
        None => env(name),
    }
}

fn env(name: &str) -> Result<Option<String>, Failure> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(Some(value)),
        Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(Failure::usage(
            format!("{name} is not valid UTF-8"),
            format!("set {name} to a UTF-8 value"),
        )),
    }
}

/// The first line of `input`, without its line ending. An `interactive`
/// stdin is refused: typing a secret at an echoing prompt would show it on
/// screen.
fn read_secret(mut input: impl BufRead, interactive: bool) -> Result<SecretString, Failure> {
    if interactive {
        return Err(Failure::usage(
            "--client-secret-stdin reads the secret from a pipe, but stdin is a terminal",
            "pipe it in, e.g. `pass show kore | kore --client-id ID --client-secret-stdin ping`",
        ));
    }
    let mut line = String::new();
    input.read_line(&mut line).map_err(|e| {
        Failure::usage(
            format!("cannot read the client secret from stdin: {e}"),
            "pipe the secret into stdin",
        )
    })?;
    let secret = line.trim_end_matches(['\r', '\n']);
    if secret.is_empty() {
        return Err(Failure::usage(
            "--client-secret-stdin: stdin held no secret",
            "pipe the secret into stdin, on its first line",
        ));
    }
    Ok(SecretString::from(secret.to_owned()))
}

#[cfg(test)]
mod tests {
    use kore_clients::ExposeSecret as _;

    use super::*;

    #[test]
    fn the_secret_is_the_first_line_without_its_ending() {
        let secret = read_secret(&b"s3cr3t\r\nsecond line\n"[..], false).unwrap();
        assert_eq!(secret.expose_secret(), "s3cr3t");
        assert!(read_secret(&b"\n"[..], false).is_err());
        assert!(read_secret(&b""[..], false).is_err());
        let refused = read_secret(&b"s3cr3t\n"[..], true).unwrap_err();
        assert!(refused.report().message.contains("terminal"));
    }

    #[test]
    fn a_flag_wins_over_the_environment() {
        assert_eq!(
            flag_or_env(Some("https://flag.example"), "KORE_CLI_TEST_UNSET_VARIABLE").unwrap(),
            Some("https://flag.example".to_owned())
        );
        assert_eq!(
            flag_or_env(None, "KORE_CLI_TEST_UNSET_VARIABLE").unwrap(),
            None
        );
    }
}
