//! A profile's `client_secret_command`: the SDK's [`SecretSource`] for a
//! secret that a command prints (a password manager, a vault's CLI).
//!
//! Rules (the failure each one prevents in brackets):
//! - The SDK runs it only when a token request needs the secret, on a
//!   thread of its own: a fresh cached token is used without it [a
//!   password manager would otherwise prompt on every run].
//! - Cached tokens are bound to the token URL, the client id and the
//!   command's text (not the secret, which is not known without running the
//!   command): a secret rotated behind the same command finds the token the
//!   old one obtained until it expires, is rejected, or `kore auth logout`
//!   removes it.
//! - It runs through `sh -c` with stdin and stderr left to the user (a
//!   prompt), within `client_secret_command_timeout` (the SDK's
//!   [`DEFAULT_SECRET_TIME_LIMIT`] unless the profile says otherwise). Past
//!   it the command and everything it started are killed [a hung command
//!   would otherwise hang `kore`, silently].
//! - After [`NOTE_AFTER`] a note on stderr says what `kore` waits for.
//! - Its first line of output is the secret; at most [`MAX_OUTPUT`] bytes
//!   are read.

use std::fmt;
use std::io::Read as _;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use kore_clients::{DEFAULT_SECRET_TIME_LIMIT, SecretSource, SecretString};

/// How long the command runs before a note says what `kore` waits for.
pub const NOTE_AFTER: Duration = Duration::from_secs(2);
/// The most of the command's output read: a secret is a line.
const MAX_OUTPUT: u64 = 64 * 1024;
/// The profile key that sets the time limit.
pub const TIMEOUT_KEY: &str = "client_secret_command_timeout";

/// A profile's secret command.
#[derive(Debug, Clone)]
pub struct SecretCommand {
    profile: String,
    command: String,
    limit: Duration,
    binding: String,
}

impl SecretCommand {
    /// The command `command` of profile `profile`, with its time limit if the profile sets one.
    pub fn new(profile: &str, command: &str, limit: Option<Duration>) -> Self {
        Self {
            profile: profile.to_owned(),
            command: command.to_owned(),
            limit: limit.unwrap_or(DEFAULT_SECRET_TIME_LIMIT),
            binding: format!("client_secret_command: {command}"),
        }
    }

    fn failed(&self, why: Why) -> CommandFailed {
        CommandFailed {
            profile: self.profile.clone(),
            why,
        }
    }

    /// Runs the command to its end or its limit; its first line.
    fn run(&self) -> Result<SecretString, CommandFailed> {
        let mut child = Command::new("sh")
            .args(["-c", &self.command])
            .stdin(Stdio::inherit())
            .stderr(Stdio::inherit())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| self.failed(Why::Start(e)))?;
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let (output, read) = mpsc::channel();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let result = (&mut stdout)
                .take(MAX_OUTPUT + 1)
                .read_to_end(&mut bytes)
                .map(|_| bytes);
            let _ = output.send(result);
        });
        // A limit too large to add is no limit at all.
        let started = Instant::now();
        let deadline = started
            .checked_add(self.limit)
            .unwrap_or(started + Duration::from_secs(365 * 24 * 3600));
        let status = self.wait(&mut child, deadline)?;
        // A command that left a process behind holding its stdout has had
        // its time all the same. (That process is no longer the child's:
        // the child is reaped, and its id may be another process's now.)
        let remaining = deadline.saturating_duration_since(Instant::now());
        let bytes = match read.recv_timeout(remaining) {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(error)) => return Err(self.failed(Why::Start(error))),
            Err(_) => return Err(self.failed(Why::LeftRunning(self.limit))),
        };
        // First: a command cut off at the limit dies of the closed pipe.
        if bytes.len() as u64 > MAX_OUTPUT {
            return Err(self.failed(Why::TooLong));
        }
        if !status.success() {
            return Err(self.failed(Why::Exit(status)));
        }
        let text = String::from_utf8(bytes).map_err(|_| self.failed(Why::NotUtf8))?;
        match text.lines().next().map(str::trim) {
            Some(line) if !line.is_empty() => Ok(SecretString::from(line.to_owned())),
            _ => Err(self.failed(Why::Empty)),
        }
    }

    /// Waits for `child` until `deadline`, noting on stderr when it is slow;
    /// kills it (and what it started) at the deadline.
    fn wait(&self, child: &mut Child, deadline: Instant) -> Result<ExitStatus, CommandFailed> {
        let started = Instant::now();
        let mut noted = false;
        let mut pause = Duration::from_millis(2);
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Ok(status),
                Ok(None) => {}
                Err(error) => return Err(self.failed(Why::Start(error))),
            }
            let now = Instant::now();
            if now >= deadline {
                kill_tree(child);
                return Err(self.failed(Why::TimedOut(self.limit)));
            }
            if !noted && now - started >= NOTE_AFTER {
                noted = true;
                eprintln!(
                    "note: waiting for client_secret_command of profile {:?} (`{}`), for up to {:?} ({TIMEOUT_KEY})",
                    self.profile, self.command, self.limit
                );
            }
            std::thread::sleep(pause.min(deadline - now));
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }
}

impl SecretSource for SecretCommand {
    fn binding(&self) -> &str {
        &self.binding
    }

    fn time_limit(&self) -> Duration {
        self.limit
    }

    fn fetch(&self) -> Result<SecretString, Box<dyn std::error::Error + Send + Sync>> {
        Ok(self.run()?)
    }
}

/// Why the secret command gave no secret.
#[derive(Debug)]
pub struct CommandFailed {
    profile: String,
    why: Why,
}

#[derive(Debug)]
enum Why {
    /// It could not be started (or its output read).
    Start(std::io::Error),
    /// It was still running at its limit, and was killed.
    TimedOut(Duration),
    /// It exited, but what it left running still held its output at the limit.
    LeftRunning(Duration),
    /// It exited unsuccessfully.
    Exit(ExitStatus),
    /// It printed more than a secret.
    TooLong,
    /// Its output is not UTF-8.
    NotUtf8,
    /// Its first line is empty.
    Empty,
}

impl CommandFailed {
    /// What to do about it.
    pub fn hint(&self) -> String {
        match &self.why {
            Why::Start(_) => "check that `sh` and the command exist".to_owned(),
            Why::TimedOut(_) => format!(
                "run the command by hand to see why it hangs, or give it longer with {TIMEOUT_KEY} = \"2m\" in the profile"
            ),
            Why::LeftRunning(_) => {
                "the command must not leave a process behind that holds its output".to_owned()
            }
            Why::Exit(_) => "run the command by hand to see why".to_owned(),
            Why::TooLong | Why::NotUtf8 | Why::Empty => {
                "the command must print the secret as text, on its first line".to_owned()
            }
        }
    }
}

impl fmt::Display for CommandFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "profile {:?}: client_secret_command ", self.profile)?;
        match &self.why {
            Why::Start(error) => write!(f, "cannot be run: {error}"),
            Why::TimedOut(limit) => write!(
                f,
                "did not finish within {limit:?} ({TIMEOUT_KEY}) and was stopped"
            ),
            Why::LeftRunning(limit) => write!(
                f,
                "exited, but a process it started still held its output after {limit:?} ({TIMEOUT_KEY})"
            ),
            Why::Exit(status) => write!(f, "failed ({status})"),
            Why::TooLong => write!(f, "printed more than {MAX_OUTPUT} bytes"),
            Why::NotUtf8 => f.write_str("printed invalid UTF-8"),
            Why::Empty => f.write_str("gave an empty secret"),
        }
    }
}

impl std::error::Error for CommandFailed {}

/// Kills `child`, which must not have been reaped yet (so that its id is
/// still its own), and every process it started (a shell's pipeline or
/// background job would otherwise live on).
///
/// On Linux the tree is stopped from the top down before anything is
/// killed: a stopped process can neither start another nor reap one, so
/// every id found below it still names the process it was found for
/// (nothing is reaped and reused in between).
fn kill_tree(child: &mut Child) {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{Pid, Signal, kill_process};
        let signal = |pid: u32, signal: Signal| {
            if let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
                let _ = kill_process(pid, signal);
            }
        };
        let mut stopped = vec![child.id()];
        signal(child.id(), Signal::STOP);
        // Each round stops the children of what is stopped; a tree deeper
        // than this is killed as far down as it was stopped.
        for _ in 0..MAX_DEPTH {
            let found: Vec<u32> = children_of(&stopped)
                .into_iter()
                .filter(|pid| !stopped.contains(pid))
                .collect();
            if found.is_empty() {
                break;
            }
            for &pid in &found {
                signal(pid, Signal::STOP);
            }
            stopped.extend(found);
        }
        for &pid in stopped.iter().rev() {
            signal(pid, Signal::KILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// How many generations below the command [`kill_tree`] looks.
#[cfg(target_os = "linux")]
const MAX_DEPTH: usize = 32;

/// The processes whose parent is one of `parents`, from `/proc`.
#[cfg(target_os = "linux")]
fn children_of(parents: &[u32]) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // "pid (name) state ppid …": the name may hold anything but the last ')'.
            let ppid: u32 = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            parents.contains(&ppid).then_some(pid)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use kore_clients::ExposeSecret as _;

    use super::*;

    fn command(text: &str, limit: Duration) -> SecretCommand {
        SecretCommand::new("p", text, Some(limit))
    }

    #[test]
    fn the_secret_is_the_first_line_trimmed() {
        let secret = command("printf ' s3cret \\nsecond\\n'", Duration::from_secs(10))
            .run()
            .unwrap();
        assert_eq!(secret.expose_secret(), "s3cret");
    }

    #[test]
    fn every_failure_names_the_profile_and_says_what_happened() {
        let limit = Duration::from_secs(10);
        for (text, said) in [
            ("exit 3", "failed (exit status: 3)"),
            ("printf '\\n'", "gave an empty secret"),
            ("printf '\\377'", "printed invalid UTF-8"),
            (
                "head -c 70000 /dev/zero | tr '\\0' x",
                "printed more than 65536 bytes",
            ),
        ] {
            let error = command(text, limit).run().unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("profile \"p\": client_secret_command {said}"),
                "{text}"
            );
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_command_past_its_limit_is_stopped_with_what_it_started() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let text = format!("sleep 1000 & echo $! > {}; wait", pid_file.display());
        let started = Instant::now();
        let error = command(&text, Duration::from_secs(2)).run().unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(
            error.to_string(),
            "profile \"p\": client_secret_command did not finish within 2s (client_secret_command_timeout) and was stopped"
        );
        assert!(
            error
                .hint()
                .contains("client_secret_command_timeout = \"2m\"")
        );
        let sleeper = std::fs::read_to_string(&pid_file).unwrap();
        assert!(
            kore_testkit::process::ends_within(&sleeper, Duration::from_secs(5)),
            "{sleeper}"
        );
    }

    #[test]
    fn a_process_left_holding_the_output_is_not_waited_for_past_the_limit() {
        let started = Instant::now();
        let error = command("sleep 3 & echo s", Duration::from_secs(1))
            .run()
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(3));
        assert_eq!(
            error.to_string(),
            "profile \"p\": client_secret_command exited, but a process it started still held its output after 1s (client_secret_command_timeout)"
        );
    }

    #[test]
    fn the_binding_is_the_command_and_the_limit_defaults_to_the_sdks() {
        let source = SecretCommand::new("p", "pass show kore", None);
        assert_eq!(source.binding(), "client_secret_command: pass show kore");
        assert_eq!(source.time_limit(), DEFAULT_SECRET_TIME_LIMIT);
    }
}
