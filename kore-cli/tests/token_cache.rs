//! The token cache across `kore` processes: one grant for many commands,
//! private files written atomically, untrusted paths refused, corrupt files
//! a miss, parallel runs sharing one grant, the opt-outs, and `kore auth`.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use common::{Mock, exits, json, stderr, stdout};
use kore_mock::{MockKore, Route};
use kore_testkit::text::{assert_contains, assert_lacks};

/// The one token file of `mock`'s cache, parsed.
fn entry(mock: &Mock) -> serde_json::Value {
    let files = mock.token_files();
    assert_eq!(files.len(), 1, "{files:?}");
    serde_json::from_slice(&fs::read(&files[0]).unwrap()).expect("the cache file is JSON")
}

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().permissions().mode() & 0o777
}

/// `kore auth status -o json`.
fn status(mock: &Mock) -> serde_json::Value {
    json(
        &mock
            .kore()
            .args(["auth", "status", "-o", "json"])
            .output()
            .unwrap(),
    )
}

fn ping_ok(mock: &Mock) -> std::process::Output {
    exits(0, mock.kore().arg("ping"))
}

#[test]
fn twenty_sequential_commands_make_one_grant() {
    let mock = Mock::start();
    for i in 0..20 {
        let args: &[&str] = match i % 3 {
            0 => &["ping"],
            1 => &["clients", "list", "--page-size", "5", "-o", "name"],
            _ => &["auth", "token"],
        };
        let output = mock.kore().args(args).output().unwrap();
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        assert_eq!(stderr(&output), "", "{args:?}");
    }
    assert_eq!(mock.mock.token_grants(), 1);
    let entry = entry(&mock);
    assert_eq!(entry["schema"], "kore-token-cache/1");
    assert_eq!(entry["token_type"], "Bearer");
    assert_eq!(
        entry["access_token"].as_str(),
        Some(common::last_bearer(&mock.mock, Route::Ping).as_str())
    );
}

#[test]
fn sixteen_concurrent_commands_on_a_cold_cache_make_one_grant() {
    // A slow token endpoint: every process is well inside its window.
    let mock = Mock::with(MockKore::builder().latency(Route::Token, Duration::from_millis(300)));
    let commands: Vec<_> = (0..16)
        .map(|_| {
            let mut command = mock.kore();
            command.arg("ping");
            command
        })
        .collect();
    let outputs: Vec<_> = std::thread::scope(|scope| {
        let running: Vec<_> = commands
            .into_iter()
            .map(|mut command| scope.spawn(move || command.output().unwrap()))
            .collect();
        running.into_iter().map(|t| t.join().unwrap()).collect()
    });
    for output in &outputs {
        assert!(output.status.success(), "{}", stderr(output));
        assert_eq!(stderr(output), "");
    }
    assert_eq!(mock.mock.token_grants(), 1);
    assert_eq!(mock.mock.requests(Route::Ping), 16);
    assert_eq!(
        entry(&mock)["schema"],
        "kore-token-cache/1",
        "valid afterwards"
    );
}

#[test]
fn cache_files_are_private_whatever_the_umask() {
    let mock = Mock::start();
    exits(0, mock.kore_under_umask("000").arg("ping"));
    let dir = mock.cache.path().join("kore");
    assert_eq!(mode(&dir), 0o700);
    for file in fs::read_dir(&dir).unwrap() {
        let path = file.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    assert_eq!(mock.token_files().len(), 1);
    // No temporary file is left behind.
    assert_eq!(
        fs::read_dir(&dir).unwrap().count(),
        2,
        "the token and its lock"
    );
}

#[test]
fn the_cache_file_and_auth_status_hold_no_secret() {
    let mock = Mock::start();
    ping_ok(&mock);
    let text = fs::read_to_string(&mock.token_files()[0]).unwrap();
    assert_lacks(&text, mock.mock.client_secret());
    let name = mock.token_files()[0]
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert_eq!(entry(&mock)["fingerprint"], name.as_str());
    assert_eq!(name.len(), 64, "a SHA-256 fingerprint");

    let token = entry(&mock)["access_token"].as_str().unwrap().to_owned();
    for format in ["text", "json"] {
        let output = exits(0, mock.kore().args(["auth", "status", "-o", format]));
        let shown = stdout(&output);
        assert!(
            !shown.contains(&token) && !shown.contains(mock.mock.client_secret()),
            "{shown}"
        );
        assert!(
            shown.contains(mock.mock.client_id()) && shown.contains(&mock.mock.token_url()),
            "{shown}"
        );
    }
    let status = status(&mock);
    assert_eq!(status["cached"], true);
    assert_eq!(status["expires_at"], entry(&mock)["expires_at"]);
    assert_eq!(mock.mock.token_grants(), 1, "status sends nothing");
}

#[test]
fn a_corrupt_cache_file_is_a_miss_and_is_rewritten() {
    let mock = Mock::start();
    ping_ok(&mock);
    let path = mock.token_files()[0].clone();
    let good = fs::read_to_string(&path).unwrap();
    let wrong_schema = good.replace("kore-token-cache/1", "kore-token-cache/0");
    for (grants, corrupt) in [
        String::new(),
        good[..good.len() / 2].to_owned(),
        format!("{good}}}garbage"),
        wrong_schema,
        "\0\0\0\0".to_owned(),
    ]
    .into_iter()
    .enumerate()
    {
        fs::write(&path, &corrupt).unwrap();
        let output = ping_ok(&mock);
        assert_eq!(stderr(&output), "", "a miss is not worth a warning");
        assert_eq!(mock.mock.token_grants(), grants as u64 + 2, "{corrupt:?}");
        assert_eq!(entry(&mock)["schema"], "kore-token-cache/1", "rewritten");
        // And the rewritten file serves the next run.
        ping_ok(&mock);
        assert_eq!(mock.mock.token_grants(), grants as u64 + 2);
    }
}

#[test]
fn a_symlinked_cache_path_is_refused_with_a_warning() {
    let mock = Mock::start();
    let elsewhere = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), mock.cache.path().join("kore")).unwrap();
    let output = ping_ok(&mock);
    assert_contains(&stderr(&output), "warning: the token cache");
    assert_contains(&stderr(&output), "symlink");
    assert_eq!(
        fs::read_dir(elsewhere.path()).unwrap().count(),
        0,
        "nothing written through it"
    );

    // A token file that is a symlink is not read, and its target is left alone.
    let mock = Mock::start();
    ping_ok(&mock);
    let path = mock.token_files()[0].clone();
    let target = elsewhere.path().join("planted.json");
    fs::rename(&path, &target).unwrap();
    std::os::unix::fs::symlink(&target, &path).unwrap();
    let planted = fs::read_to_string(&target).unwrap();
    let output = ping_ok(&mock);
    assert_contains(&stderr(&output), "symlink");
    assert_eq!(
        mock.mock.token_grants(),
        2,
        "the planted token was not used"
    );
    assert_eq!(fs::read_to_string(&target).unwrap(), planted);
}

#[test]
fn a_cache_others_can_use_is_ignored_with_a_warning() {
    let mock = Mock::start();
    ping_ok(&mock);
    let dir = mock.cache.path().join("kore");
    let path = mock.token_files()[0].clone();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let output = ping_ok(&mock);
    assert_contains(&stderr(&output), "(mode 644) is open to other users");
    assert_eq!(mock.mock.token_grants(), 2);
    assert_eq!(mode(&path), 0o600, "replaced by a private file");

    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    let output = ping_ok(&mock);
    assert_contains(&stderr(&output), "(mode 755) is open to other users");
    assert_eq!(mock.mock.token_grants(), 3);
}

#[test]
fn a_wrong_secret_with_a_valid_cached_token_exits_3() {
    let mock = Mock::start();
    ping_ok(&mock);
    let before = fs::read_to_string(&mock.token_files()[0]).unwrap();
    let output = exits(
        3,
        mock.kore()
            .env("KORE_CLIENT_SECRET", "not-the-secret")
            .arg("ping"),
    );
    assert!(!stderr(&output).contains("not-the-secret"));
    assert_eq!(
        mock.token_files().len(),
        1,
        "the rejected grant wrote nothing"
    );
    assert_eq!(fs::read_to_string(&mock.token_files()[0]).unwrap(), before);
}

#[test]
fn a_token_expired_at_the_server_costs_one_401_and_one_grant() {
    let mock = Mock::start();
    ping_ok(&mock);
    let old = entry(&mock)["access_token"].clone();
    mock.mock.expire_tokens();
    ping_ok(&mock);
    assert_eq!(mock.mock.token_grants(), 2);
    assert_eq!(
        mock.mock.requests(Route::Ping),
        3,
        "the first, its 401, the retry"
    );
    assert_ne!(
        entry(&mock)["access_token"],
        old,
        "the new token replaced it"
    );
    ping_ok(&mock);
    assert_eq!(mock.mock.token_grants(), 2);
}

#[test]
fn a_cached_token_within_the_refresh_margin_is_not_used() {
    let mock = Mock::start();
    ping_ok(&mock);
    let path = mock.token_files()[0].clone();
    let mut stale = entry(&mock);
    let at = |offset: i64| {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        chrono::DateTime::from_timestamp(now + offset, 0)
            .unwrap()
            .to_rfc3339()
    };
    // An hour's token with 30 s left: inside the SDK's 6-minute margin.
    stale["obtained_at"] = at(30 - 3600).into();
    stale["expires_at"] = at(30).into();
    fs::write(&path, stale.to_string()).unwrap();
    ping_ok(&mock);
    assert_eq!(mock.mock.token_grants(), 2);
}

#[test]
fn an_unusable_home_silently_means_no_cache() {
    let mock = Mock::start();
    let dir = tempfile::tempdir().unwrap();
    let read_only = dir.path().join("read-only-home");
    fs::create_dir(&read_only).unwrap();
    fs::set_permissions(&read_only, fs::Permissions::from_mode(0o500)).unwrap();
    // A HOME below a regular file cannot be written even by root.
    let file = dir.path().join("a-file");
    fs::write(&file, "").unwrap();
    for home in [read_only.clone(), file.join("home")] {
        let output = exits(
            0,
            mock.kore()
                .env_remove("XDG_CACHE_HOME")
                .env("HOME", &home)
                .arg("ping"),
        );
        assert_eq!(stderr(&output), "");
    }
    exits(
        0,
        mock.kore()
            .env_remove("XDG_CACHE_HOME")
            .env_remove("HOME")
            .args(["auth", "token"]),
    );
    let status = mock
        .kore()
        .env_remove("XDG_CACHE_HOME")
        .env_remove("HOME")
        .args(["auth", "status", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(
        json(&status)["cache_off"],
        "no cache directory (neither XDG_CACHE_HOME nor HOME is set)"
    );
    fs::set_permissions(&read_only, fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(
        mock.mock.token_grants(),
        3,
        "each run granted its own (status sends nothing)"
    );
}

#[test]
fn mock_and_the_opt_outs_write_nothing() {
    let mock = Mock::start();
    exits(0, mock.kore().args(["--no-token-cache", "ping"]));
    exits(0, mock.kore().env("KORE_TOKEN_CACHE", "off").arg("ping"));

    let config = kore_testkit::config::ConfigDir::new();
    let path = config.config(&format!(
        "[profiles.default]\n{}token_cache = false\n",
        common::profile(&mock, mock.mock.client_secret())
    ));
    let mut from_profile = common::kore();
    from_profile
        .env_remove("KORE_TOKEN_CACHE")
        .env("XDG_CACHE_HOME", mock.cache.path())
        .env("KORE_CONFIG", &path)
        .arg("ping");
    exits(0, &mut from_profile);

    let mut with_mock = common::kore();
    with_mock
        .env_remove("KORE_TOKEN_CACHE")
        .env("XDG_CACHE_HOME", mock.cache.path())
        .args(["--mock", "ping"]);
    exits(0, &mut with_mock);

    assert_eq!(mock.mock.token_grants(), 3, "each run granted its own");
    assert!(
        !mock.cache.path().join("kore").exists(),
        "nothing was written"
    );

    let output = exits(2, mock.kore().env("KORE_TOKEN_CACHE", "maybe").arg("ping"));
    assert_contains(&stderr(&output), "KORE_TOKEN_CACHE");
}

/// `flock`s `path` from a `sleep` process until it is killed.
fn hold_lock(path: &Path) -> std::process::Child {
    let child = std::process::Command::new("sh")
        .args(["-c", "exec 9>>\"$0\" && flock 9 && exec sleep 60"])
        .arg(path)
        .spawn()
        .expect("sh and flock");
    let file = fs::File::open(path)
        .or_else(|_| fs::File::create(path))
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match file.try_lock() {
            Err(fs::TryLockError::WouldBlock) => return child,
            Ok(()) => file.unlock().unwrap(),
            Err(fs::TryLockError::Error(error)) => panic!("{error}"),
        }
        assert!(Instant::now() < deadline, "the child never took the lock");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_held_lock_is_waited_for_a_bounded_time_and_a_killed_holder_blocks_nobody() {
    let mock = Mock::start();
    ping_ok(&mock);
    let lock = mock.token_files()[0].with_extension("lock");
    mock.kore().args(["auth", "logout"]).assert().success();

    // Held by a live process: after the bound, the command goes on without the cache.
    // Were it to wait on, it would be killed at 20 s, long before the holder's 60 s end.
    let mut holder = hold_lock(&lock);
    let output = exits(
        0,
        mock.kore()
            .env("KORE_TOKEN_CACHE_WAIT", "300ms")
            .timeout(Duration::from_secs(20))
            .args(["-v", "ping"]),
    );
    assert_contains(&stderr(&output), "for over 300ms");
    assert!(
        mock.token_files().is_empty(),
        "not written without the lock"
    );

    // Killed while holding it: the next command gets the lock and caches.
    holder.kill().unwrap();
    holder.wait().unwrap();
    exits(
        0,
        mock.kore().env("KORE_TOKEN_CACHE_WAIT", "20s").arg("ping"),
    );
    assert_eq!(mock.token_files().len(), 1);
    assert_eq!(mock.mock.token_grants(), 3);
}

#[test]
fn auth_token_prints_the_bearer_alone_and_json_with_its_expiry() {
    let mock = Mock::start();
    let output = exits(0, mock.kore().args(["auth", "token"]));
    assert_eq!(stderr(&output), "");
    let token = stdout(&output);
    assert_eq!(token.lines().count(), 1);
    let token = token.trim_end().to_owned();
    assert_eq!(entry(&mock)["access_token"], token.as_str());

    let output = mock
        .kore()
        .args(["auth", "token", "-o", "json"])
        .output()
        .unwrap();
    let shown = json(&output);
    assert_eq!(
        common::keys(&shown),
        ["access_token", "expires_at", "token_type"]
    );
    assert_eq!(shown["access_token"], token.as_str());
    assert_eq!(shown["token_type"], "Bearer");
    let expires_at =
        chrono::DateTime::parse_from_rfc3339(shown["expires_at"].as_str().unwrap()).unwrap();
    let left = expires_at.timestamp() - chrono::Utc::now().timestamp();
    assert!((3000..=3600).contains(&left), "{left}");
    assert_eq!(mock.mock.token_grants(), 1);

    // The token works for a request of the caller's own.
    ping_ok(&mock);
    assert_eq!(common::last_bearer(&mock.mock, Route::Ping), token);

    let output = exits(
        3,
        mock.kore()
            .env("KORE_CLIENT_SECRET", "wrong")
            .args(["auth", "token"]),
    );
    assert_eq!(stdout(&output), "");
}

#[test]
fn auth_logout_removes_this_identity_s_token_and_all_removes_every_one() {
    let mock = Mock::start();
    ping_ok(&mock);
    let other = Mock::with(MockKore::builder().credentials("other-client", "other-secret"));
    let mut command = other.kore();
    command.env("XDG_CACHE_HOME", mock.cache.path()).arg("ping");
    command.assert().success();
    assert_eq!(mock.token_files().len(), 2);

    let output = exits(0, mock.kore().args(["auth", "logout"]));
    assert_eq!(stdout(&output), "");
    assert_contains(&stderr(&output), "removed the cached token");
    assert_eq!(mock.token_files().len(), 1);
    let status = status(&mock);
    assert_eq!(status["cached"], false);
    let output = exits(0, mock.kore().args(["auth", "logout"]));
    assert_contains(&stderr(&output), "no token was cached");

    let output = exits(0, &mut logout_all(&mock));
    assert_eq!(stdout(&output), "");
    assert_eq!(
        stderr(&output),
        format!(
            "note: removed 1 cached token(s) from {}\n",
            mock.cache.path().join("kore").display()
        )
    );
    assert!(mock.token_files().is_empty());
}

/// `kore auth logout --all` with `mock`'s cache, and no credentials.
fn logout_all(mock: &Mock) -> assert_cmd::Command {
    let mut command = common::kore();
    command
        .env("XDG_CACHE_HOME", mock.cache.path())
        .args(["auth", "logout", "--all"]);
    command
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

#[test]
fn auth_logout_all_removes_only_what_the_cache_wrote_and_counts_it() {
    let mock = Mock::start();
    ping_ok(&mock);
    let other = Mock::with(MockKore::builder().credentials("other-client", "other-secret"));
    other
        .kore()
        .env("XDG_CACHE_HOME", mock.cache.path())
        .arg("ping")
        .assert()
        .success();
    let dir = mock.cache.path().join("kore");
    let tokens = mock.token_files();
    assert_eq!(tokens.len(), 2);
    let fingerprint = tokens[0].file_stem().unwrap().to_str().unwrap().to_owned();

    // A crash between write and rename leaves the cache's temporary file.
    let stale = format!(".{fingerprint}.json.4242.123456789.tmp");
    // Files the cache never writes, one of them a symlink named like a token.
    let foreign = ["notes.json", "ABC.json", ".notes.json.tmp"];
    for name in foreign.iter().chain([&stale.as_str()]) {
        fs::write(dir.join(name), "{}").unwrap();
        fs::set_permissions(dir.join(name), fs::Permissions::from_mode(0o600)).unwrap();
    }
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("theirs.json");
    fs::write(&target, "theirs").unwrap();
    let link = format!("{}.json", "e".repeat(64));
    std::os::unix::fs::symlink(&target, dir.join(&link)).unwrap();

    let output = exits(0, &mut logout_all(&mock));
    assert_eq!(stdout(&output), "");
    assert_contains(&stderr(&output), "note: removed 2 cached token(s)");
    let mut kept: Vec<String> = foreign.iter().map(|n| n.to_string()).collect();
    kept.push(link);
    for token in &tokens {
        let lock = token.with_extension("lock");
        kept.push(lock.file_name().unwrap().to_str().unwrap().to_owned());
    }
    kept.sort();
    assert_eq!(
        names(&dir),
        kept,
        "locks, foreign files and the symlink stay"
    );
    assert_eq!(fs::read_to_string(&target).unwrap(), "theirs");

    let output = exits(0, &mut logout_all(&mock));
    assert_contains(&stderr(&output), "note: removed 0 cached token(s)");
    assert_eq!(names(&dir), kept);
}

#[test]
fn auth_logout_all_refuses_an_untrusted_cache_and_removes_nothing() {
    let mock = Mock::start();
    ping_ok(&mock);
    let dir = mock.cache.path().join("kore");
    let before = names(&dir);

    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    let output = exits(2, &mut logout_all(&mock));
    assert_eq!(stdout(&output), "");
    let shown = stderr(&output);
    assert_contains(&shown, "(mode 755) is open to other users");
    assert_contains(
        &shown,
        &format!(
            "error: cannot remove the cached tokens in {}",
            dir.display()
        ),
    );
    assert_contains(&shown, "hint: look at what");
    assert_eq!(names(&dir), before, "nothing removed");

    // A symlink in its place: not followed.
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let moved = elsewhere.path().join("kore");
    fs::rename(&dir, &moved).unwrap();
    std::os::unix::fs::symlink(&moved, &dir).unwrap();
    let output = exits(2, &mut logout_all(&mock));
    assert_contains(&stderr(&output), "is a symlink or not a directory");
    assert_eq!(names(&moved), before, "nothing removed through it");

    // A file in its place.
    fs::remove_file(&dir).unwrap();
    fs::write(&dir, "").unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o600)).unwrap();
    let output = exits(2, &mut logout_all(&mock));
    assert_contains(&stderr(&output), "is a symlink or not a directory");
    assert!(dir.is_file());
}

#[test]
fn auth_logout_all_without_a_cache_removes_nothing_and_creates_nothing() {
    let mock = Mock::start();
    let output = exits(0, &mut logout_all(&mock));
    assert_contains(&stderr(&output), "note: removed 0 cached token(s)");
    assert!(!mock.cache.path().join("kore").exists());

    let output = exits(
        0,
        common::kore()
            .env_remove("HOME")
            .args(["auth", "logout", "--all"]),
    );
    assert_contains(&stderr(&output), "nothing is cached");
}

#[test]
fn auth_status_names_the_cache_file_or_why_there_is_none() {
    let mock = Mock::start();
    let cache_off = |command: &mut assert_cmd::Command| {
        let output = command
            .args(["auth", "status", "-o", "json"])
            .output()
            .unwrap();
        json(&output)["cache_off"].clone()
    };
    assert_eq!(cache_off(&mut mock.kore()), serde_json::Value::Null);
    assert!(
        !mock.cache.path().join("kore").exists(),
        "status writes nothing"
    );
    assert_eq!(
        cache_off(mock.kore().arg("--no-token-cache")),
        "--no-token-cache"
    );
    assert_eq!(
        cache_off(mock.kore().env("KORE_TOKEN_CACHE", "off")),
        "KORE_TOKEN_CACHE=off"
    );
    // Blank variables are unset ones.
    let blank = cache_off(
        mock.kore()
            .env("KORE_TOKEN_CACHE", " ")
            .env("KORE_TOKEN_CACHE_WAIT", " "),
    );
    assert_eq!(blank, serde_json::Value::Null);

    let config = kore_testkit::config::ConfigDir::new();
    let path = config.config(&format!(
        "[profiles.default]\n{}token_cache = false\n",
        common::profile(&mock, mock.mock.client_secret())
    ));
    let from_profile = |cache: Option<&str>| {
        let mut command = common::kore();
        command
            .env_remove("KORE_TOKEN_CACHE")
            .env("XDG_CACHE_HOME", mock.cache.path())
            .env("KORE_CONFIG", &path);
        if let Some(cache) = cache {
            command.env("KORE_TOKEN_CACHE", cache);
        }
        cache_off(&mut command)
    };
    assert_eq!(from_profile(None), "the profile sets token_cache = false");
    assert_eq!(
        from_profile(Some("")),
        "the profile sets token_cache = false"
    );
    assert_eq!(from_profile(Some("on")), serde_json::Value::Null, "on wins");

    let output = exits(
        2,
        mock.kore()
            .env("KORE_TOKEN_CACHE_WAIT", "a while")
            .args(["auth", "status"]),
    );
    assert_contains(&stderr(&output), "KORE_TOKEN_CACHE_WAIT");
}

#[test]
fn the_cache_is_under_xdg_cache_home_if_absolute_else_under_home() {
    let mock = Mock::start();
    let home = tempfile::tempdir().unwrap();
    let file = |xdg: &str| {
        let output = mock
            .kore()
            .env("XDG_CACHE_HOME", xdg)
            .env("HOME", home.path())
            .args(["auth", "status", "-o", "json"])
            .output()
            .unwrap();
        let file = json(&output)["cache_file"].as_str().unwrap().to_owned();
        Path::new(&file).parent().unwrap().to_owned()
    };
    let under_home = home.path().join(".cache").join("kore");
    assert_eq!(file(""), under_home);
    assert_eq!(file("relative/cache"), under_home);
    assert_eq!(
        file(&mock.cache.path().display().to_string()),
        mock.cache.path().join("kore")
    );
}

#[test]
fn a_second_401_after_the_new_grant_is_an_error_not_a_loop() {
    let mock = Mock::start();
    ping_ok(&mock);
    mock.mock.faults().push_statuses(Route::Ping, [401, 401]);
    exits(3, mock.kore().arg("ping"));
    assert_eq!(mock.mock.token_grants(), 2, "one new grant, no more");
    assert_eq!(mock.mock.requests(Route::Ping), 3);
}

#[test]
fn completions_and_the_man_page_cover_kore_auth() {
    let completions = common::kore()
        .args(["completions", "bash"])
        .output()
        .unwrap();
    let script = stdout(&completions);
    for word in ["auth", "token", "status", "logout", "--no-token-cache"] {
        assert!(script.contains(word), "{word}");
    }
    let man = stdout(&common::kore().arg("man").output().unwrap());
    assert!(
        man.contains("auth") && man.contains("no\\-token\\-cache"),
        "{man}"
    );
    let help = stdout(
        &common::kore()
            .args(["auth", "token", "--help"])
            .output()
            .unwrap(),
    );
    assert_contains(&help, "Authorization: Bearer $(kore auth token)");
}
