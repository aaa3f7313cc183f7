//! Named profiles in a config file: credentials and endpoints per KORE account.
//!
//! The file is `$KORE_CONFIG`, else `$XDG_CONFIG_HOME/kore/config.toml`, else
//! `~/.config/kore/config.toml`:
//!
//! ```toml
//! [profiles.default]
//! client_id = "apiclient_…"
//! client_secret = "…"            # or client_secret_file = "/path", or
//! #                                 client_secret_command = "pass show kore/prod"
//! #                                 client_secret_command_timeout = "2m"  # default 60 s
//! base_url = "https://…"         # optional
//! token_url = "https://…"        # optional
//! token_cache = false            # optional: no token cache for this profile
//! ca_cert = "corporate-ca.pem"   # optional: a CA (PEM) to trust besides the
//! #                                 system's; relative to this file's directory
//! proxy = "http://proxy:3128"    # optional: instead of HTTPS_PROXY and friends
//! ```
//!
//! `--profile NAME` or `KORE_PROFILE` picks a profile; without either,
//! `default` is used if the file has it. A profile only fills in what flags
//! and `KORE_*` variables leave open. Like ssh with its keys, a file that
//! holds a secret (or a secret file) that group or others can read is
//! refused.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use kore_clients::SecretString;
use serde::Deserialize;

use crate::exit::Failure;
use crate::secret_command::{SecretCommand, TIMEOUT_KEY};

/// The profile used when none is named.
pub const DEFAULT_PROFILE: &str = "default";

/// The config file's shape.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// One account's settings.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub client_id: Option<String>,
    client_secret: Option<String>,
    client_secret_file: Option<PathBuf>,
    client_secret_command: Option<String>,
    client_secret_command_timeout: Option<String>,
    pub base_url: Option<String>,
    pub token_url: Option<String>,
    /// `false` turns the token cache off for this profile.
    pub token_cache: Option<bool>,
    pub ca_cert: Option<PathBuf>,
    pub proxy: Option<String>,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("client_secret_file", &self.client_secret_file)
            .field("client_secret_command", &self.client_secret_command)
            .field(
                "client_secret_command_timeout",
                &self.client_secret_command_timeout,
            )
            .field("base_url", &self.base_url)
            .field("token_url", &self.token_url)
            .field("token_cache", &self.token_cache)
            .field("ca_cert", &self.ca_cert)
            // A proxy URL may hold the proxy's password.
            .field("proxy", &self.proxy.as_ref().map(|_| "[set]"))
            .finish()
    }
}

/// A profile read from the config file, and where it came from.
#[derive(Debug)]
pub struct Loaded {
    /// The profile's name.
    pub name: String,
    /// The file it is in.
    pub path: PathBuf,
    /// Its settings.
    pub profile: Profile,
}

/// Where the config file is (whether or not it exists).
pub fn config_path() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(path) = var("KORE_CONFIG") {
        return Some(PathBuf::from(path));
    }
    let base = var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(base.join("kore").join("config.toml"))
}

/// The profile to use: `requested` (from `--profile` or `KORE_PROFILE`),
/// else `default` if the file has one, else none.
pub fn load(requested: Option<&str>) -> Result<Option<Loaded>, Failure> {
    let Some(path) = config_path() else {
        return match requested {
            Some(name) => Err(Failure::usage(
                format!(
                    "profile {name:?} was asked for, but there is no config file (HOME is not set)"
                ),
                "set KORE_CONFIG to the config file's path",
            )),
            None => Ok(None),
        };
    };
    // Whoever can write the file can make `kore` run a command as this user
    // (client_secret_command) or send the secret elsewhere (token_url).
    check_not_writable_by_others(&path)?;
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return match requested {
                Some(name) => Err(Failure::usage(
                    format!(
                        "profile {name:?} was asked for, but {} does not exist",
                        path.display()
                    ),
                    format!("create it with `kore configure --profile {name}`"),
                )),
                None => Ok(None),
            };
        }
        Err(source) => {
            return Err(Failure::usage(
                format!("cannot read the config file {}: {source}", path.display()),
                "check its permissions, or point KORE_CONFIG elsewhere",
            ));
        }
    };
    let mut file: ConfigFile = toml::from_str(&text).map_err(|error| {
        Failure::usage(
            format!(
                "the config file {} is not valid: {}",
                path.display(),
                error.message()
            ),
            "see `kore configure --help` for its format, or rewrite the profile with `kore configure`",
        )
    })?;
    let name = match requested {
        Some(name) => name.to_owned(),
        None if file.profiles.contains_key(DEFAULT_PROFILE) => DEFAULT_PROFILE.to_owned(),
        None => return Ok(None),
    };
    let Some(profile) = file.profiles.remove(&name) else {
        let known: Vec<&str> = file.profiles.keys().map(String::as_str).collect();
        return Err(Failure::usage(
            format!("{} has no profile {name:?}", path.display()),
            if known.is_empty() {
                format!("add it with `kore configure --profile {name}`")
            } else {
                format!("profiles there: {}", known.join(", "))
            },
        ));
    };
    // Any profile's inline secret (or proxy password) makes the whole file a secret.
    if file
        .profiles
        .values()
        .chain([&profile])
        .any(|p| p.client_secret.is_some() || p.proxy.as_ref().is_some_and(|u| u.contains('@')))
    {
        check_private(&path)?;
    }
    Ok(Some(Loaded {
        name,
        path,
        profile,
    }))
}

/// Where a profile's client secret comes from.
pub enum Secret {
    /// The profile or its file holds it.
    Given(SecretString),
    /// Its command prints it, when a token request needs it.
    Command(SecretCommand),
}

impl Profile {
    /// The client secret: from the profile itself or its file (read now), or
    /// its command (run by the SDK if a token request needs it).
    pub fn secret(&self, name: &str) -> Result<Option<Secret>, Failure> {
        let given = [
            self.client_secret.is_some(),
            self.client_secret_file.is_some(),
            self.client_secret_command.is_some(),
        ];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(Failure::usage(
                format!(
                    "profile {name:?} sets more than one of client_secret, client_secret_file and client_secret_command"
                ),
                "keep one of them",
            ));
        }
        if self.client_secret_command.is_none() && self.client_secret_command_timeout.is_some() {
            return Err(Failure::usage(
                format!("profile {name:?} sets {TIMEOUT_KEY} but no client_secret_command"),
                format!("remove {TIMEOUT_KEY}, or add the command it is for"),
            ));
        }
        if let Some(secret) = &self.client_secret {
            return Ok(Some(Secret::Given(SecretString::from(secret.clone()))));
        }
        if let Some(path) = &self.client_secret_file {
            check_private(path)?;
            let text = std::fs::read_to_string(path).map_err(|source| {
                Failure::usage(
                    format!(
                        "profile {name:?}: cannot read client_secret_file {}: {source}",
                        path.display()
                    ),
                    "check the path in the profile",
                )
            })?;
            return non_empty(name, "client_secret_file", text).map(|s| s.map(Secret::Given));
        }
        if let Some(command) = &self.client_secret_command {
            let limit = self
                .client_secret_command_timeout
                .as_deref()
                .map(crate::global::parse_timeout)
                .transpose()
                .map_err(|error| {
                    Failure::usage(
                        format!("profile {name:?}: {TIMEOUT_KEY}: {error}"),
                        format!("e.g. {TIMEOUT_KEY} = \"2m\""),
                    )
                })?;
            return Ok(Some(Secret::Command(SecretCommand::new(
                name, command, limit,
            ))));
        }
        Ok(None)
    }
}

/// The first line of `text`, if it is not empty.
fn non_empty(name: &str, source: &str, text: String) -> Result<Option<SecretString>, Failure> {
    let line = text.lines().next().unwrap_or("").trim().to_owned();
    if line.is_empty() {
        return Err(Failure::usage(
            format!("profile {name:?}: {source} gave an empty secret"),
            "check the profile",
        ));
    }
    Ok(Some(SecretString::from(line)))
}

/// Refuses a file holding a secret that group or others may read.
pub fn check_private(path: &Path) -> Result<(), Failure> {
    refuse_mode(
        path,
        0o077,
        "holds a client secret but is readable by others",
        "",
    )
}

/// Refuses a config file that group or others may write.
fn check_not_writable_by_others(path: &Path) -> Result<(), Failure> {
    refuse_mode(
        path,
        0o022,
        "can be changed by other users",
        ", since it can name commands and endpoints",
    )
}

/// Refuses `path` if its mode has any bit of `forbidden`, saying it `is` so.
#[cfg(unix)]
fn refuse_mode(path: &Path, forbidden: u32, is: &str, because: &str) -> Result<(), Failure> {
    use std::os::unix::fs::PermissionsExt as _;
    let Ok(metadata) = std::fs::metadata(path) else {
        // Reading it will report what is wrong.
        return Ok(());
    };
    let mode = metadata.permissions().mode();
    if mode & forbidden == 0 {
        return Ok(());
    }
    Err(Failure::usage(
        format!(
            "{} {is} (mode {:03o}); refusing to use it{because}",
            path.display(),
            mode & 0o777
        ),
        format!("run: chmod 600 {}", path.display()),
    ))
}

/// Modes are a Unix notion: elsewhere nothing is refused.
#[cfg(not(unix))]
fn refuse_mode(_: &Path, _: u32, _: &str, _: &str) -> Result<(), Failure> {
    Ok(())
}

/// Writes profile `name` into the config file at `path` (created 0600,
/// parent directories 0700), keeping every other profile as it was.
pub fn save(path: &Path, name: &str, values: &[(&str, String)]) -> io::Result<()> {
    let mut document: toml::Table = match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.message().to_owned()))?,
        Err(error) if error.kind() == io::ErrorKind::NotFound => toml::Table::new(),
        Err(error) => return Err(error),
    };
    let profiles = document
        .entry("profiles")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()))
        .as_table_mut()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "`profiles` is not a table"))?;
    let mut profile = toml::Table::new();
    for (key, value) in values {
        profile.insert((*key).to_owned(), toml::Value::String(value.clone()));
    }
    profiles.insert(name.to_owned(), toml::Value::Table(profile));
    let text = toml::to_string(&document)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;

    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            builder.mode(0o700);
        }
        builder.create(dir)?;
    }
    // A new file beside the old one, private from the first byte, then
    // renamed over it: a crash leaves the old file or the new, never half.
    let temporary = path.with_extension("toml.new");
    let _ = std::fs::remove_file(&temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&temporary)?;
    let written = io::Write::write_all(&mut file, text.as_bytes()).and_then(|()| file.sync_all());
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(error);
    }
    std::fs::rename(&temporary, path)
}
