//! A binary spawned by a test: its stdout read line by line on a thread, so a
//! silent process fails the test by a deadline instead of hanging it; a signal;
//! a bounded wait for its exit. Killed on drop if still running.

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a test waits for the next line on stdout.
pub const LINE_BOUND: Duration = Duration::from_secs(30);

/// A running child process with piped stdout and stderr.
pub struct Spawned {
    child: Child,
    lines: Receiver<String>,
    reader: Option<JoinHandle<()>>,
}

impl Spawned {
    /// Starts `command` with no stdin and `RUST_LOG` unset (a developer's filter
    /// would change what it logs).
    pub fn start(command: &mut Command) -> Spawned {
        Spawned::start_reading(command, usize::MAX)
    }

    /// [`Spawned::start`], with stdout closed as soon as its first `count`
    /// lines are read, whatever the process writes after them: a consumer
    /// that leaves early (`… | head -n 1`).
    pub fn start_reading(command: &mut Command, count: usize) -> Spawned {
        let mut child = spawn(command);
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, lines) = mpsc::channel();
        // The pipe is dropped with the thread's reader, after `count` lines.
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .take(count)
            {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Spawned {
            child,
            lines,
            reader: Some(reader),
        }
    }

    /// [`Spawned::start`], with the reading end of stdout closed before the
    /// process writes anything: a consumer that left early (`… | head -c 0`).
    pub fn start_with_stdout_closed(command: &mut Command) -> Spawned {
        let mut child = spawn(command);
        drop(child.stdout.take());
        Spawned {
            child,
            lines: mpsc::channel().1,
            reader: None,
        }
    }

    /// The next line on stdout, within [`LINE_BOUND`].
    pub fn line(&self) -> String {
        self.lines
            .recv_timeout(LINE_BOUND)
            .expect("a line on stdout within 30 s")
    }

    /// Lines up to and including the first that starts with `last`.
    pub fn lines_through(&self, last: &str) -> Vec<String> {
        let mut lines = Vec::new();
        while !lines.iter().any(|line: &String| line.starts_with(last)) {
            lines.push(self.line());
        }
        lines
    }

    /// Sends `signal` (`"INT"`, `"TERM"`) to the process.
    pub fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -{signal} failed");
    }

    /// Waits for the exit, failing the test after `limit`; the exit with how long it took.
    pub fn exit_within(&mut self, limit: Duration) -> (ExitStatus, Duration) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("the child's state") {
                return (status, started.elapsed());
            }
            assert!(
                started.elapsed() < limit,
                "the process is still running after {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// After exit: the stdout lines not read yet, and all of stderr.
    pub fn rest(&mut self) -> (Vec<String>, String) {
        if let Some(reader) = self.reader.take() {
            reader.join().expect("the stdout reader ends");
        }
        let lines = self.lines.try_iter().collect();
        let mut stderr = String::new();
        self.child
            .stderr
            .take()
            .expect("piped stderr")
            .read_to_string(&mut stderr)
            .expect("stderr is text");
        (lines, stderr)
    }
}

/// `command` started with no stdin, piped stdout and stderr, and `RUST_LOG` unset.
fn spawn(command: &mut Command) -> Child {
    command
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Whether the process `pid` ends within `limit`: is gone, or a zombie its
/// parent has yet to reap (Linux's `/proc`; a signal takes a moment to land).
pub fn ends_within(pid: &str, limit: Duration) -> bool {
    let ended = || match std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())) {
        // "pid (name) state …": the name may hold anything but the last ')'.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => true,
    };
    let deadline = Instant::now() + limit;
    while !ended() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}
