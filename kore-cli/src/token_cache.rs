//! The token cache of `kore`: bearer tokens in private files under
//! `$XDG_CACHE_HOME/kore/` (else `~/.cache/kore/`), shared by every `kore`
//! process of one user, as the SDK's [`TokenStore`].
//!
//! Rules (the failure each one prevents in brackets):
//! - One file per identity, `<fingerprint>.json`, where the fingerprint is
//!   the SDK's SHA-256 of token URL, client id and secret: the file holds
//!   the bearer, its request time and expiry, and the fingerprint, never the
//!   secret [a cache that leaks a client secret outlives every token].
//! - The directory is created 0700 and each file 0600, set explicitly
//!   after creation so no umask can widen them; files are written to a
//!   fresh temporary file in the same directory, fsynced and renamed over
//!   the old one [a reader, or a crash, would otherwise see half a file].
//! - A directory or file that group or others can use, or a symlink in
//!   its place, is not trusted: a warning, and the command goes on without
//!   it [another user could plant a token or read ours].
//! - A file that does not parse (truncated, empty, garbage after the
//!   JSON, another schema, another fingerprint) is a miss, and the next
//!   grant replaces it [one corrupt file would otherwise fail every run].
//! - "Read, grant if needed, write" runs under an advisory lock on
//!   `<fingerprint>.lock` (never renamed, so every process locks the same
//!   inode), taken with std's `File::try_lock` and retried for a bounded
//!   time; the operating system drops it with its holder, so a killed
//!   `kore` blocks nobody, and a process that waits too long goes on
//!   without the cache [N parallel runs would otherwise make N grants, or
//!   fail the way a "database is locked" cache does].
//! - No cache directory (no `HOME`), or one that cannot be created or
//!   written (a read-only `HOME`), silently means no cache.
//! - `kore auth logout --all` checks the directory as reading does (a
//!   missing one holds nothing; an untrusted one is refused, with the
//!   warning, and nothing in it is touched) and removes only what the cache
//!   writes: regular files named `<fingerprint>.json` (64 lowercase hex
//!   digits) and `.<fingerprint>.json.<pid>.<nanos>.tmp` (left by a crash
//!   between write and rename, a token in it; a `kore` writing one at that
//!   moment just does not cache its token). Everything else stays: other
//!   names, symlinks (never followed; the cache makes none, so one is the
//!   user's own, and reading refuses it with a warning that names it), and
//!   the `.lock` files (a running `kore` may hold one; they hold nothing)
//!   [a cache path pointed at the wrong directory would otherwise lose
//!   someone's files, or a planted symlink one of theirs].

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use kore_clients::chrono::{DateTime, SecondsFormat, Utc};
use kore_clients::token_store::{StoreLock, StoredToken, TokenKey, TokenStore};
use kore_clients::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};

use crate::exit::Failure;
use crate::profile::Profile;

/// The `schema` of a cache file this version writes and reads.
pub const SCHEMA: &str = "kore-token-cache/1";
/// How long a process waits for another's grant before it goes on alone.
const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(15);
/// The largest cache file read; a token file is a few KiB at most.
const MAX_FILE: u64 = 256 * 1024;
/// The first pause between two tries of a held lock; each pause doubles,
/// up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(2);
const MAX_PAUSE: Duration = Duration::from_millis(50);

/// Whether this command uses the cache, and if not, why.
#[derive(Debug, Clone)]
pub enum CacheUse {
    /// Tokens are read from and written to this store.
    On(FileStore),
    /// No cache, for this reason (shown by `kore auth status`).
    Off(String),
}

/// Decides from `--no-token-cache`, `KORE_TOKEN_CACHE` and the profile's
/// `token_cache` (first found wins) whether to cache, and where.
pub fn choose(no_token_cache: bool, profile: Option<&Profile>) -> Result<CacheUse, Failure> {
    if no_token_cache {
        return Ok(CacheUse::Off("--no-token-cache".into()));
    }
    let from_env = match std::env::var("KORE_TOKEN_CACHE") {
        Ok(value) if !value.trim().is_empty() => Some(parse_switch(&value).ok_or_else(|| {
            Failure::usage(
                format!("KORE_TOKEN_CACHE={value:?} is neither on nor off"),
                "set KORE_TOKEN_CACHE to on or off (also 1/0, true/false, yes/no)",
            )
        })?),
        _ => None,
    };
    match from_env.or(profile.and_then(|p| p.token_cache)) {
        Some(false) if from_env.is_some() => {
            return Ok(CacheUse::Off("KORE_TOKEN_CACHE=off".into()));
        }
        Some(false) => return Ok(CacheUse::Off("the profile sets token_cache = false".into())),
        _ => {}
    }
    let lock_wait = match std::env::var("KORE_TOKEN_CACHE_WAIT") {
        Ok(value) if !value.trim().is_empty() => crate::global::parse_timeout(&value)
            .map_err(|e| Failure::usage(format!("KORE_TOKEN_CACHE_WAIT: {e}"), "e.g. 15s"))?,
        _ => DEFAULT_LOCK_WAIT,
    };
    Ok(match cache_dir() {
        Some(dir) => CacheUse::On(FileStore {
            lock_wait,
            ..FileStore::at(dir)
        }),
        None => CacheUse::Off("no cache directory (neither XDG_CACHE_HOME nor HOME is set)".into()),
    })
}

fn parse_switch(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "on" | "1" | "true" | "yes" => Some(true),
        "off" | "0" | "false" | "no" => Some(false),
        _ => None,
    }
}

/// `$XDG_CACHE_HOME/kore`, else `$HOME/.cache/kore` (a relative
/// `XDG_CACHE_HOME` is ignored, as the XDG spec says).
pub fn cache_dir() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let base = var("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| var("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(base.join("kore"))
}

/// One cache file's contents.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    schema: String,
    fingerprint: String,
    token_type: String,
    access_token: String,
    obtained_at: String,
    expires_at: String,
}

/// The cache directory, as a [`TokenStore`].
#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
    lock_wait: Duration,
}

impl FileStore {
    /// A store in `dir` (for `kore auth logout`, which works whatever the opt-outs say).
    pub fn at(dir: PathBuf) -> Self {
        Self {
            dir,
            lock_wait: DEFAULT_LOCK_WAIT,
        }
    }

    /// How long [`TokenStore::lock`] waits for another process's grant
    /// before it gives up and the command goes on without the cache.
    pub fn lock_wait(&self) -> Duration {
        self.lock_wait
    }

    /// The directory the token files are in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the token of `key` is kept.
    pub fn token_path(&self, key: &TokenKey) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    fn lock_path(&self, key: &TokenKey) -> PathBuf {
        self.dir.join(format!("{key}.lock"))
    }

    /// Checks the directory (creating it 0700 if `create` and it is
    /// missing): an error if it is missing, a symlink, not a directory, or
    /// open to group or others (with a warning for the last three).
    fn trusted_dir(&self, create: bool) -> io::Result<()> {
        let metadata = match fs::symlink_metadata(&self.dir) {
            Err(error) if error.kind() == io::ErrorKind::NotFound && create => {
                if let Some(parent) = self.dir.parent() {
                    fs::create_dir_all(parent)?;
                }
                private_dir(&self.dir)?;
                fs::symlink_metadata(&self.dir)?
            }
            other => other?,
        };
        if metadata.file_type().is_symlink() || !metadata.is_dir() {
            return Err(untrusted(
                &self.dir,
                "is a symlink or not a directory",
                None,
            ));
        }
        check_mode(&self.dir, &metadata)
    }

    /// The entry stored for `key`, if one is there and readable; `Ok(None)`
    /// for a missing, untrusted or unparsable file (a miss), an error if the
    /// directory is missing or untrusted or the file cannot be read.
    pub fn read(&self, key: &TokenKey) -> io::Result<Option<StoredToken>> {
        self.trusted_dir(false)?;
        let path = self.token_path(key);
        let Some(metadata) = if_present(fs::symlink_metadata(&path))? else {
            return Ok(None);
        };
        if metadata.file_type().is_symlink() || !metadata.is_file() {
            warn_untrusted(&path, "is a symlink or not a regular file", None);
            return Ok(None);
        }
        if check_mode(&path, &metadata).is_err() {
            return Ok(None);
        }
        let mut file = File::open(&path)?;
        // The file opened must be the one checked, not a symlink swapped in since.
        if !same_file(&metadata, &file.metadata()?) {
            warn_untrusted(&path, "changed while it was opened", None);
            return Ok(None);
        }
        let mut bytes = Vec::new();
        (&mut file).take(MAX_FILE).read_to_end(&mut bytes)?;
        match parse(&bytes, key) {
            Ok(token) => Ok(Some(token)),
            Err(why) => {
                tracing::debug!(file = %path.display(), why, "token cache: a miss (the file is replaced by the next grant)");
                Ok(None)
            }
        }
    }

    /// Removes the token files the cache wrote, and its leftover temporary
    /// files (`kore auth logout --all`); how many token files it removed.
    /// A missing directory holds none; an untrusted one is refused
    /// (`PermissionDenied`, with the warning) and nothing in it is touched.
    pub fn remove_all(&self) -> io::Result<usize> {
        if if_present(self.trusted_dir(false))?.is_none() {
            return Ok(0);
        }
        let mut removed = 0;
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            // The entry's own type: a symlink is not followed, nor removed.
            if !entry.file_type()?.is_file() {
                continue;
            }
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if is_token_file(name) {
                if remove_if_present(&entry.path())? {
                    removed += 1;
                }
            } else if is_temp_file(name) {
                remove_if_present(&entry.path())?;
            }
        }
        Ok(removed)
    }

    /// Removes the token of `key`; whether there was one.
    pub fn remove(&self, key: &TokenKey) -> io::Result<bool> {
        remove_if_present(&self.token_path(key))
    }
}

impl TokenStore for FileStore {
    fn load(&self, key: &TokenKey) -> io::Result<Option<StoredToken>> {
        self.read(key)
    }

    fn save(&self, key: &TokenKey, token: &StoredToken) -> io::Result<()> {
        self.trusted_dir(true)?;
        let entry = Entry {
            schema: SCHEMA.to_owned(),
            fingerprint: key.to_string(),
            token_type: "Bearer".to_owned(),
            access_token: token.access_token().expose_secret().to_owned(),
            obtained_at: rfc3339(token.obtained_at()),
            expires_at: rfc3339(token.expires_at()),
        };
        let mut bytes = serde_json::to_vec_pretty(&entry).map_err(io::Error::other)?;
        bytes.push(b'\n');
        write_atomically(&self.dir, &self.token_path(key), &bytes)
    }

    fn forget(&self, key: &TokenKey) -> io::Result<()> {
        self.remove(key).map(|_| ())
    }

    fn lock(&self, key: &TokenKey) -> io::Result<StoreLock> {
        self.trusted_dir(true)?;
        let path = self.lock_path(key);
        if fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(untrusted(&path, "is a symlink", None));
        }
        let file = private_file(
            OpenOptions::new().read(true).write(true).create(true),
            &path,
        )?;
        let deadline = Instant::now() + self.lock_wait();
        let mut pause = FIRST_PAUSE;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(StoreLock::new(file)),
                Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(pause);
                    pause = next_pause(pause);
                }
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!(
                            "another kore held {} for over {:?}",
                            path.display(),
                            self.lock_wait()
                        ),
                    ));
                }
                Err(fs::TryLockError::Error(error)) => return Err(error),
            }
        }
    }
}

/// A cache file's token, if `bytes` are exactly one entry of this schema
/// for `key`; else why not (for the debug log, without the contents).
fn parse(bytes: &[u8], key: &TokenKey) -> Result<StoredToken, &'static str> {
    let entry: Entry = serde_json::from_slice(bytes).map_err(|_| "not a cache entry")?;
    if entry.schema != SCHEMA {
        return Err("another schema");
    }
    if entry.fingerprint != key.as_str() {
        return Err("another identity's fingerprint");
    }
    if !entry.token_type.eq_ignore_ascii_case("bearer") || entry.access_token.is_empty() {
        return Err("not a bearer token");
    }
    let time = |text: &str| {
        DateTime::parse_from_rfc3339(text)
            .map(|t| SystemTime::from(t.with_timezone(&Utc)))
            .map_err(|_| "a time is not RFC 3339")
    };
    Ok(StoredToken::new(
        SecretString::from(entry.access_token),
        time(&entry.obtained_at)?,
        time(&entry.expires_at)?,
    ))
}

/// The pause after `pause` while a lock is held: twice as long, at most [`MAX_PAUSE`].
fn next_pause(pause: Duration) -> Duration {
    (pause * 2).min(MAX_PAUSE)
}

/// Whether the cache names token files so: `<fingerprint>.json`.
fn is_token_file(name: &str) -> bool {
    name.strip_suffix(".json").is_some_and(is_fingerprint)
}

/// Whether [`write_atomically`] names a token file's temporary file so:
/// `.<fingerprint>.json.<pid>.<nanos>.tmp`.
fn is_temp_file(name: &str) -> bool {
    let Some(middle) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
        return false;
    };
    let mut parts = middle.rsplitn(3, '.');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(nanos), Some(pid), Some(file)) => {
            is_number(nanos) && is_number(pid) && is_token_file(file)
        }
        _ => false,
    }
}

/// A [`TokenKey`] as text: 64 lowercase hex digits.
fn is_fingerprint(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn is_number(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// `time` as RFC 3339 in UTC, whole seconds (rounded down, so a cached
/// expiry is never later than KORE's).
pub fn rfc3339(time: SystemTime) -> String {
    DateTime::<Utc>::from(time).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Writes `bytes` to a fresh 0600 file in `dir`, fsyncs it and renames it
/// to `path`, so readers see the old file or the new one, never a part.
fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("token");
    let temp = dir.join(format!(".{name}.{}.{nanos}.tmp", std::process::id()));
    let written = (|| {
        let mut file = private_file(OpenOptions::new().write(true).create_new(true), &temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written
}

/// Removes the file `path`; whether it was there.
fn remove_if_present(path: &Path) -> io::Result<bool> {
    Ok(if_present(fs::remove_file(path))?.is_some())
}

/// `result`, with "not found" as `None`: what is not there is an answer.
fn if_present<T>(result: io::Result<T>) -> io::Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// Warnings are printed once per process: a command asks the store more than once.
static WARNED: AtomicBool = AtomicBool::new(false);

fn warn_untrusted(path: &Path, what: &str, mode: Option<u32>) {
    if WARNED.swap(true, Ordering::Relaxed) {
        return;
    }
    let mode = mode.map_or(String::new(), |m| format!(" (mode {m:03o})"));
    eprintln!(
        "warning: the token cache {}{mode} {what}; not using it (fix or remove it, or pass --no-token-cache)",
        path.display()
    );
}

fn untrusted(path: &Path, what: &str, mode: Option<u32>) -> io::Error {
    warn_untrusted(path, what, mode);
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!("{} {what}", path.display()),
    )
}

/// Creates the directory `path` with mode 0700, whatever the umask; `Ok`
/// if it is there already (another `kore` made it first), left as it is.
fn private_dir(path: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(path) {
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => return Ok(()),
        created => created?,
    }
    // The umask may have taken bits away; set exactly 0700.
    #[cfg(unix)]
    fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    Ok(())
}

/// Opens `path` with `options` and sets its mode to exactly 0600 (on Unix),
/// whatever the umask gave a new file.
fn private_file(options: &mut OpenOptions, path: &Path) -> io::Result<File> {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(options, 0o600);
    let file = options.open(path)?;
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    Ok(file)
}

/// An error (and a warning) if group or others may use `path` (Unix modes;
/// elsewhere a path is not checked).
fn check_mode(path: &Path, metadata: &fs::Metadata) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(untrusted(path, "is open to other users", Some(mode)));
        }
    }
    #[cfg(not(unix))]
    let _ = (path, metadata);
    Ok(())
}

/// Whether two metadata are of one file (Unix: device and inode; elsewhere
/// always true).
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        a.dev() == b.dev() && a.ino() == b.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> TokenKey {
        TokenKey::new("http://127.0.0.1/token", "id", &SecretString::from("s"))
    }

    #[test]
    fn only_an_exact_entry_for_the_key_parses() {
        let good = serde_json::json!({
            "schema": SCHEMA, "fingerprint": key().as_str(), "token_type": "Bearer",
            "access_token": "t", "obtained_at": "2026-01-01T00:00:00Z",
            "expires_at": "2026-01-01T01:00:00Z",
        });
        let text = good.to_string();
        let token = parse(text.as_bytes(), &key()).unwrap();
        assert_eq!(
            token
                .expires_at()
                .duration_since(token.obtained_at())
                .unwrap(),
            Duration::from_secs(3600)
        );
        let with = |field: &str, value: serde_json::Value| {
            let mut entry = good.clone();
            entry[field] = value;
            entry.to_string()
        };
        for bad in [
            String::new(),
            text[..text.len() / 2].to_owned(),
            format!("{text}garbage"),
            with("schema", "kore-token-cache/0".into()),
            with("fingerprint", "0".repeat(64).into()),
            with("token_type", "MAC".into()),
            with("access_token", "".into()),
            with("expires_at", "tomorrow".into()),
            with("extra", true.into()),
        ] {
            assert!(parse(bad.as_bytes(), &key()).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_switch_reads_on_and_off_words() {
        for on in ["on", "1", "TRUE", " yes "] {
            assert_eq!(parse_switch(on), Some(true), "{on}");
        }
        for off in ["off", "0", "false", "No"] {
            assert_eq!(parse_switch(off), Some(false), "{off}");
        }
        assert_eq!(parse_switch("sometimes"), None);
    }

    #[test]
    fn times_are_kept_in_whole_seconds_rounded_down() {
        let time = SystemTime::UNIX_EPOCH + Duration::from_millis(1_999);
        assert_eq!(rfc3339(time), "1970-01-01T00:00:01Z");
    }

    #[test]
    fn a_held_lock_is_retried_after_doubling_pauses_up_to_a_cap() {
        assert_eq!(next_pause(FIRST_PAUSE), Duration::from_millis(4));
        assert_eq!(next_pause(Duration::from_millis(40)), MAX_PAUSE);
    }

    #[test]
    fn only_the_cache_s_own_names_are_token_or_temporary_files() {
        let fp = key().to_string();
        assert!(is_token_file(&format!("{fp}.json")));
        for name in [
            fp.clone(),
            format!("{fp}.lock"),
            format!("{}.json", fp.to_uppercase()),
            format!("{}.json", &fp[1..]),
            format!("{fp}0.json"),
            format!("{}g.json", &fp[1..]),
            "notes.json".into(),
            "ABC.json".into(),
        ] {
            assert!(!is_token_file(&name), "{name}");
        }

        let temp = |pid: &str, nanos: &str| format!(".{fp}.json.{pid}.{nanos}.tmp");
        assert!(is_temp_file(&temp("123", "456")));
        for name in [
            temp("12x", "456"),
            temp("123", "45x"),
            temp("", "456"),
            temp("123", ""),
            ".notes.json.1.2.tmp".into(),
            format!("{fp}.json.1.2.tmp"),
            format!(".{fp}.json.1.2"),
            format!(".{fp}.json.1.tmp"),
            format!(".{fp}.lock.1.2.tmp"),
        ] {
            assert!(!is_temp_file(&name), "{name}");
        }
    }

    /// The store's files on disk, in a temporary directory.
    #[cfg(unix)]
    mod on_disk {
        use std::fmt;
        use std::os::unix::fs::{PermissionsExt as _, symlink};
        use std::sync::mpsc;

        use kore_testkit::text::assert_contains;
        use tempfile::TempDir;

        use super::*;

        /// A store whose directory (and its parent) does not exist yet.
        fn store_in(temp: &TempDir) -> FileStore {
            FileStore::at(temp.path().join("cache").join("kore"))
        }

        fn other_key() -> TokenKey {
            TokenKey::new("http://127.0.0.1/token", "other", &SecretString::from("s"))
        }

        fn token(text: &str) -> StoredToken {
            let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
            StoredToken::new(SecretString::from(text), at, at + Duration::from_secs(3600))
        }

        fn mode(path: &Path) -> u32 {
            fs::symlink_metadata(path).unwrap().permissions().mode() & 0o777
        }

        fn chmod(path: &Path, mode: u32) {
            fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
        }

        /// The names in `dir`, sorted.
        fn names(dir: &Path) -> Vec<String> {
            let mut names: Vec<_> = fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            names.sort();
            names
        }

        /// Writes a private file.
        fn put(path: &Path, bytes: &[u8]) {
            fs::write(path, bytes).unwrap();
            chmod(path, 0o600);
        }

        fn kind<T: fmt::Debug>(result: io::Result<T>) -> io::ErrorKind {
            result.expect_err("an error").kind()
        }

        #[test]
        fn a_saved_token_is_read_back_from_private_files() {
            let temp = tempfile::tempdir().unwrap();
            let store = store_in(&temp);
            store.save(&key(), &token("t-1")).unwrap();
            assert_eq!(mode(store.dir()), 0o700);
            assert_eq!(mode(&store.token_path(&key())), 0o600);
            assert_eq!(names(store.dir()), [format!("{}.json", key())]);

            let read = store.load(&key()).unwrap().expect("a hit");
            assert_eq!(read.access_token().expose_secret(), "t-1");
            assert_eq!(read.obtained_at(), token("t-1").obtained_at());
            assert_eq!(read.expires_at(), token("t-1").expires_at());
            assert!(
                store.read(&other_key()).unwrap().is_none(),
                "another identity's miss"
            );

            // A second save replaces the first.
            store.save(&key(), &token("t-2")).unwrap();
            let read = store.read(&key()).unwrap().expect("a hit");
            assert_eq!(read.access_token().expose_secret(), "t-2");
        }

        #[test]
        fn reading_and_removing_create_no_directory() {
            let temp = tempfile::tempdir().unwrap();
            let store = store_in(&temp);
            assert_eq!(kind(store.read(&key())), io::ErrorKind::NotFound);
            assert_eq!(store.remove_all().unwrap(), 0);
            assert!(!store.dir().exists());
        }

        #[test]
        fn an_untrusted_directory_is_refused_by_every_call() {
            let temp = tempfile::tempdir().unwrap();
            let elsewhere = tempfile::tempdir().unwrap();
            let store = store_in(&temp);
            store.save(&key(), &token("t")).unwrap();

            let open_to_others = || chmod(store.dir(), 0o750);
            let symlinked = || {
                fs::rename(store.dir(), elsewhere.path().join("kore")).unwrap();
                symlink(elsewhere.path().join("kore"), store.dir()).unwrap();
            };
            let a_file = || {
                fs::remove_dir_all(store.dir()).unwrap();
                put(store.dir(), b"");
            };
            for (what, make) in [
                ("open to others", &open_to_others as &dyn Fn()),
                ("a symlink", &symlinked),
                ("a file", &a_file),
            ] {
                make();
                assert_eq!(
                    kind(store.read(&key())),
                    io::ErrorKind::PermissionDenied,
                    "{what}"
                );
                let saved = store.save(&key(), &token("u"));
                assert_eq!(kind(saved), io::ErrorKind::PermissionDenied, "{what}");
                assert_eq!(
                    kind(store.lock(&key())),
                    io::ErrorKind::PermissionDenied,
                    "{what}"
                );
                assert_eq!(
                    kind(store.remove_all()),
                    io::ErrorKind::PermissionDenied,
                    "{what}"
                );
                if what == "open to others" {
                    assert_eq!(names(store.dir()), [format!("{}.json", key())]);
                    chmod(store.dir(), 0o700);
                    assert!(store.read(&key()).unwrap().is_some());
                }
            }
            // What the symlink pointed at is as it was.
            assert_eq!(
                names(&elsewhere.path().join("kore")),
                [format!("{}.json", key())]
            );
        }

        #[test]
        fn only_a_private_regular_file_is_read() {
            let temp = tempfile::tempdir().unwrap();
            let store = store_in(&temp);
            store.save(&key(), &token("t")).unwrap();
            let path = store.token_path(&key());
            let good = fs::read(&path).unwrap();

            chmod(&path, 0o640);
            assert!(store.read(&key()).unwrap().is_none(), "open to the group");
            chmod(&path, 0o400);
            assert!(
                store.read(&key()).unwrap().is_some(),
                "read-only is private"
            );

            fs::remove_file(&path).unwrap();
            let planted = temp.path().join("planted.json");
            put(&planted, &good);
            symlink(&planted, &path).unwrap();
            assert!(store.read(&key()).unwrap().is_none(), "a symlink");

            fs::remove_file(&path).unwrap();
            fs::create_dir(&path).unwrap();
            chmod(&path, 0o700);
            assert!(store.read(&key()).unwrap().is_none(), "a directory");
        }

        #[test]
        fn a_file_is_read_up_to_its_size_bound() {
            let temp = tempfile::tempdir().unwrap();
            let store = store_in(&temp);
            store.save(&key(), &token("t")).unwrap();
            let path = store.token_path(&key());
            let entry = fs::read(&path).unwrap();
            let padded = |spaces: u64| {
                let mut bytes = vec![b' '; spaces as usize];
                bytes.extend_from_slice(&entry);
                bytes
            };
            put(&path, &padded(8 * 1024));
            assert!(store.read(&key()).unwrap().is_some(), "a large file");
            put(&path, &padded(MAX_FILE));
            assert!(store.read(&key()).unwrap().is_none(), "beyond the bound");
        }

        #[test]
        fn remove_and_forget_drop_one_token_and_say_whether_it_was_there() {
            let temp = tempfile::tempdir().unwrap();
            let store = store_in(&temp);
            store.save(&key(), &token("t")).unwrap();
            store.save(&other_key(), &token("o")).unwrap();
            assert!(store.remove(&key()).unwrap());
            assert!(!store.remove(&key()).unwrap());
            store.save(&key(), &token("t")).unwrap();
            store.forget(&key()).unwrap();
            assert!(store.read(&key()).unwrap().is_none());
            assert!(
                store.read(&other_key()).unwrap().is_some(),
                "the other stays"
            );

            assert!(remove_if_present(&store.token_path(&other_key())).unwrap());
            assert!(!remove_if_present(&store.token_path(&other_key())).unwrap());
            fs::create_dir(store.token_path(&key())).unwrap();
            assert!(
                remove_if_present(&store.token_path(&key())).is_err(),
                "a directory"
            );
        }

        #[test]
        fn remove_all_removes_only_the_cache_s_own_files() {
            let temp = tempfile::tempdir().unwrap();
            let store = store_in(&temp);
            store.save(&key(), &token("t")).unwrap();
            store.save(&other_key(), &token("o")).unwrap();
            drop(store.lock(&key()).unwrap());
            let dir = store.dir();
            let fp = |n: char| n.to_string().repeat(64);
            let stale = format!(".{}.json.{}.17.tmp", key(), std::process::id());
            let target = temp.path().join("target.json");
            put(&target, b"theirs");
            for name in ["notes.json", "ABC.json", ".notes.tmp", stale.as_str()] {
                put(&dir.join(name), b"{}");
            }
            put(&dir.join(format!("{}.json", fp('A'))), b"{}");
            fs::create_dir(dir.join(format!("{}.json", fp('b')))).unwrap();
            symlink(&target, dir.join(format!("{}.json", fp('c')))).unwrap();

            assert_eq!(store.remove_all().unwrap(), 2);
            let mut kept = vec![
                format!("{}.lock", key()),
                format!("{}.json", fp('A')),
                format!("{}.json", fp('b')),
                format!("{}.json", fp('c')),
                ".notes.tmp".to_owned(),
                "ABC.json".to_owned(),
                "notes.json".to_owned(),
            ];
            kept.sort();
            assert_eq!(names(dir), kept);
            assert_eq!(fs::read(&target).unwrap(), b"theirs");
            assert_eq!(store.remove_all().unwrap(), 0, "nothing left to remove");
        }

        #[test]
        fn a_directory_made_meanwhile_is_accepted_as_it_is() {
            let temp = tempfile::tempdir().unwrap();
            let dir = temp.path().join("kore");
            fs::create_dir(&dir).unwrap();
            chmod(&dir, 0o750);
            private_dir(&dir).unwrap();
            assert_eq!(mode(&dir), 0o750, "not widened, nor narrowed");
            put(&temp.path().join("file"), b"");
            assert!(private_dir(&temp.path().join("file").join("kore")).is_err());
        }

        #[test]
        fn only_what_group_and_others_cannot_use_is_trusted() {
            let temp = tempfile::tempdir().unwrap();
            let path = temp.path().join("file");
            put(&path, b"");
            for (mode, trusted) in [
                (0o600, true),
                (0o400, true),
                (0o700, true),
                (0o640, false),
                (0o610, false),
                (0o602, false),
            ] {
                chmod(&path, mode);
                let metadata = fs::metadata(&path).unwrap();
                assert_eq!(check_mode(&path, &metadata).is_ok(), trusted, "{mode:o}");
            }
        }

        #[test]
        fn same_file_means_the_same_inode() {
            let temp = tempfile::tempdir().unwrap();
            let (a, b) = (temp.path().join("a"), temp.path().join("b"));
            put(&a, b"");
            put(&b, b"");
            let meta = |path: &Path| fs::metadata(path).unwrap();
            assert!(same_file(&meta(&a), &meta(&a)));
            assert!(!same_file(&meta(&a), &meta(&b)));
        }

        #[test]
        fn an_atomic_write_replaces_the_file_and_leaves_no_temporary_file() {
            let temp = tempfile::tempdir().unwrap();
            let path = temp.path().join("file");
            write_atomically(temp.path(), &path, b"one").unwrap();
            write_atomically(temp.path(), &path, b"two").unwrap();
            assert_eq!(fs::read(&path).unwrap(), b"two");
            assert_eq!(mode(&path), 0o600);

            // Renaming over a directory that is not empty fails.
            let busy = temp.path().join("busy");
            fs::create_dir(&busy).unwrap();
            put(&busy.join("inside"), b"");
            assert!(write_atomically(temp.path(), &busy, b"three").is_err());
            assert_eq!(names(temp.path()), ["busy", "file"]);
        }

        #[test]
        fn a_lock_let_go_within_the_wait_is_taken() {
            let temp = tempfile::tempdir().unwrap();
            let store = FileStore {
                lock_wait: Duration::from_secs(60),
                ..store_in(&temp)
            };
            let held = store.lock(&key()).unwrap();
            let holder = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                drop(held);
            });
            store.lock(&key()).expect("taken once let go");
            holder.join().unwrap();
            store
                .lock(&other_key())
                .expect("another identity's lock is another file");
        }

        #[test]
        fn a_lock_held_for_longer_than_the_wait_is_given_up() {
            let temp = tempfile::tempdir().unwrap();
            let store = FileStore {
                lock_wait: Duration::from_millis(100),
                ..store_in(&temp)
            };
            assert_eq!(store.lock_wait(), Duration::from_millis(100));
            let held = store.lock(&key()).unwrap();
            let (done, finished) = mpsc::channel();
            let waiter = std::thread::spawn({
                let store = store.clone();
                move || {
                    let started = Instant::now();
                    let locked = store.lock(&key());
                    done.send(()).unwrap();
                    (locked, started.elapsed())
                }
            });
            // Were `lock` never to give up, letting go ends it (and fails the test).
            let _ = finished.recv_timeout(Duration::from_secs(10));
            drop(held);
            let (locked, waited) = waiter.join().unwrap();
            let error = locked.expect_err("the lock was held");
            assert_eq!(error.kind(), io::ErrorKind::TimedOut);
            assert!(waited >= store.lock_wait(), "{waited:?}");
            assert_contains(&error.to_string(), "for over 100ms");
        }

        #[test]
        fn a_symlinked_lock_file_is_refused_and_its_target_left_alone() {
            let temp = tempfile::tempdir().unwrap();
            let store = store_in(&temp);
            store.save(&key(), &token("t")).unwrap();
            let target = temp.path().join("target");
            fs::write(&target, "theirs").unwrap();
            chmod(&target, 0o644);
            symlink(&target, store.lock_path(&key())).unwrap();
            assert_eq!(kind(store.lock(&key())), io::ErrorKind::PermissionDenied);
            assert_eq!(mode(&target), 0o644);
            assert_eq!(fs::read(&target).unwrap(), b"theirs");
        }
    }
}
