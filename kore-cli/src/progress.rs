//! The `--all` progress line on stderr (indicatif): drawn only when stderr
//! is a terminal, so pipes, files and tests see nothing, and cleared around
//! every write to stdout when stdout is that terminal too, so data and
//! progress never share a line.

use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Counts clients (and the pages they came in) as they arrive.
pub struct Progress {
    bar: Option<ProgressBar>,
    /// Whether stdout writes must clear the bar first.
    shares_terminal: bool,
    count: usize,
    page_size: usize,
}

impl Progress {
    /// Drawn when stderr is a terminal and no log lines (`-v`) go there;
    /// `page_size` turns counts into pages.
    pub fn for_stderr(page_size: u32, verbose: u8) -> Self {
        let bar = (std::io::stderr().is_terminal() && verbose == 0).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} fetching clients: {msg}")
                    .expect("a valid template"),
            );
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        Self {
            shares_terminal: bar.is_some() && std::io::stdout().is_terminal(),
            bar,
            count: 0,
            page_size: page_size.max(1) as usize,
        }
    }

    /// One more client arrived.
    pub fn tick(&mut self) {
        self.count += 1;
        if let Some(bar) = &self.bar {
            let pages = self.count.div_ceil(self.page_size);
            bar.set_message(format!(
                "{} client{}, {pages} page{}",
                self.count,
                if self.count == 1 { "" } else { "s" },
                if pages == 1 { "" } else { "s" }
            ));
        }
    }

    /// Clients counted so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Runs `write` (which writes and flushes stdout) with the bar cleared
    /// when both share a terminal, and redraws it after.
    pub fn around<T>(&self, write: impl FnOnce() -> T) -> T {
        match &self.bar {
            Some(bar) if self.shares_terminal => bar.suspend(write),
            _ => write(),
        }
    }

    /// Erases the line, so the output or an error starts on a clean one.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
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
    fn without_a_terminal_nothing_is_drawn_but_clients_are_counted() {
        // Tests run with stderr captured: not a terminal.
        let mut progress = Progress::for_stderr(10, 0);
        progress.tick();
        progress.tick();
        assert_eq!(progress.count(), 2);
        assert!(progress.bar.is_none());
        assert_eq!(progress.around(|| 7), 7);
    }
}
