//! `kore auth token|status|logout`: the access token for other tools, and the token cache.

use std::io::{self, Write};
use std::time::SystemTime;

use serde_json::json;

use crate::cli::{AuthCommand, AuthFormat};
use crate::connect::connect;
use crate::exit::Failure;
use crate::global::Global;
use crate::output;
use crate::token_cache::{self, CacheUse, FileStore, rfc3339};

/// Runs one `kore auth` subcommand.
pub async fn run(
    global: &Global,
    command: &AuthCommand,
    out: &mut impl Write,
) -> Result<(), Failure> {
    match command {
        AuthCommand::Token { output } => token(global, *output, out).await,
        AuthCommand::Status { output } => status(global, *output, out).await,
        AuthCommand::Logout { all: true } => logout_all(),
        AuthCommand::Logout { all: false } => logout(global).await,
    }
}

/// The bearer alone on stdout (or as JSON): cached if the cache has a fresh one.
async fn token(global: &Global, format: AuthFormat, out: &mut impl Write) -> Result<(), Failure> {
    let connection = connect(global).await?;
    let token = connection
        .kore
        .tokens()
        .bearer()
        .await
        .map_err(Failure::Token)?;
    match format {
        AuthFormat::Text => writeln!(out, "{}", token.access_token()),
        AuthFormat::Json => output::json(
            &json!({
                "access_token": token.access_token(),
                "token_type": "Bearer",
                "expires_at": rfc3339(token.expires_at_wall()),
            }),
            out,
        ),
    }
    .map_err(Failure::io("stdout"))
}

/// Which identity, and what the cache holds for it; sends nothing to KORE.
async fn status(global: &Global, format: AuthFormat, out: &mut impl Write) -> Result<(), Failure> {
    let connection = connect(global).await?;
    let kore = &connection.kore;
    let key = kore.tokens().store_key();
    let (file, off, cached) = match &connection.token_cache {
        CacheUse::On(store) => {
            let cached = store.read(key).unwrap_or_else(|error| {
                tracing::debug!(%error, "token cache: unreadable");
                None
            });
            (Some(store.token_path(key)), None, cached)
        }
        CacheUse::Off(reason) => (None, Some(reason.as_str()), None),
    };
    let now = SystemTime::now();
    let valid_until = cached
        .map(|t| t.expires_at())
        .filter(|expires_at| *expires_at > now);
    match format {
        AuthFormat::Json => output::json(
            &json!({
                "client_id": kore.client_id(),
                "token_url": kore.token_url(),
                "cache_file": file.as_ref().map(|f| f.display().to_string()),
                "cache_off": off,
                "cached": valid_until.is_some(),
                "expires_at": valid_until.map(rfc3339),
            }),
            out,
        ),
        AuthFormat::Text => {
            let cache = match (&file, off) {
                (Some(file), _) => file.display().to_string(),
                (None, reason) => format!("off ({})", reason.unwrap_or("not configured")),
            };
            let cached = match valid_until {
                Some(at) => format!(
                    "a token, valid until {} ({} min left)",
                    rfc3339(at),
                    at.duration_since(now).map_or(0, |d| d.as_secs() / 60)
                ),
                None => "no valid token".to_owned(),
            };
            writeln!(
                out,
                "client id:    {}\ntoken URL:    {}\ntoken cache:  {cache}\ncached:       {cached}",
                kore.client_id(),
                kore.token_url()
            )
        }
    }
    .map_err(Failure::io("stdout"))
}

/// Removes this identity's cached token, whether or not this command would use the cache.
async fn logout(global: &Global) -> Result<(), Failure> {
    let connection = connect(global).await?;
    let store = match connection.token_cache {
        CacheUse::On(store) => store,
        CacheUse::Off(reason) if global.mock => {
            eprintln!("note: nothing is cached ({reason})");
            return Ok(());
        }
        CacheUse::Off(_) => match token_cache::cache_dir() {
            Some(dir) => FileStore::at(dir),
            None => {
                eprintln!("note: nothing is cached (neither XDG_CACHE_HOME nor HOME is set)");
                return Ok(());
            }
        },
    };
    let kore = &connection.kore;
    let removed = store
        .remove(kore.tokens().store_key())
        .map_err(|source| Failure::Io {
            context: format!(
                "{} (to remove it)",
                store.token_path(kore.tokens().store_key()).display()
            ),
            source,
        })?;
    if removed {
        eprintln!("note: removed the cached token of {}", kore.client_id());
    } else {
        eprintln!("note: no token was cached for {}", kore.client_id());
    }
    Ok(())
}

/// Removes every cached token; needs no credentials. An untrusted cache
/// directory is refused (exit 2, as an untrusted config file is): nothing
/// in it is removed, since the cache cannot know what it holds.
fn logout_all() -> Result<(), Failure> {
    let Some(dir) = token_cache::cache_dir() else {
        eprintln!("note: nothing is cached (neither XDG_CACHE_HOME nor HOME is set)");
        return Ok(());
    };
    let store = FileStore::at(dir);
    let dir = store.dir().display();
    let removed = store.remove_all().map_err(|source| {
        if source.kind() == io::ErrorKind::PermissionDenied {
            Failure::usage(
                format!("cannot remove the cached tokens in {dir}: {source}"),
                format!(
                    "look at what {dir} holds, then make it a private directory (chmod 700, \
                     not a symlink) and run `kore auth logout --all` again, or remove it yourself"
                ),
            )
        } else {
            Failure::Io {
                context: format!("{dir} (to remove the cached tokens in it)"),
                source,
            }
        }
    })?;
    eprintln!("note: removed {removed} cached token(s) from {dir}");
    Ok(())
}
