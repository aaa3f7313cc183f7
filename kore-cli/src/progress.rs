//! The `--all` progress line on stderr: shown only when stderr is a
//! terminal, so pipes, files and tests see nothing.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Redraws at most this often, so a fast stream is not slowed by the terminal.
const REDRAW_EVERY: Duration = Duration::from_millis(100);

/// Counts clients as they arrive and shows the count in place.
pub struct Progress {
    enabled: bool,
    count: usize,
    last_draw: Option<Instant>,
}

impl Progress {
    /// Enabled when stderr is a terminal.
    pub fn for_stderr() -> Self {
        Self::new(std::io::stderr().is_terminal())
    }

    fn new(enabled: bool) -> Self {
        Self {
            enabled,
            count: 0,
            last_draw: None,
        }
    }

    /// One more client arrived.
    pub fn tick(&mut self) {
        self.count += 1;
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if self
            .last_draw
            .is_none_or(|last| now.duration_since(last) >= REDRAW_EVERY)
        {
            self.last_draw = Some(now);
            // `\r` + "erase line": the count overwrites itself.
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[2Kfetching clients… {}", self.count);
            let _ = stderr.flush();
        }
    }

    /// Clients counted so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Erases the line, so the output or an error starts on a clean one.
    pub fn finish(&mut self) {
        if self.enabled && self.last_draw.is_some() {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[2K");
            let _ = stderr.flush();
            self.last_draw = None;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disabled_indicator_still_counts() {
        let mut progress = Progress::new(false);
        progress.tick();
        progress.tick();
        assert_eq!(progress.count(), 2);
        assert!(progress.last_draw.is_none(), "nothing was drawn");
    }
}
