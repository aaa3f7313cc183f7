//! `--color`: whether stdout and stderr get ANSI colour, decided once.

use std::io::IsTerminal as _;
use std::sync::OnceLock;

use crate::global::ColorChoice;

static CHOICE: OnceLock<(bool, bool)> = OnceLock::new();

/// Decides colour for stdout and stderr from `--color`, `NO_COLOR`,
/// `CLICOLOR_FORCE` and whether each stream is a terminal.
pub fn init(choice: ColorChoice) {
    let _ = CHOICE.set((
        choice.colors(std::io::stdout().is_terminal()),
        choice.colors(std::io::stderr().is_terminal()),
    ));
}

/// Whether stdout is coloured.
pub fn stdout() -> bool {
    CHOICE.get().is_some_and(|c| c.0)
}

/// Whether stderr is coloured.
pub fn stderr() -> bool {
    CHOICE.get().is_some_and(|c| c.1)
}

/// `text` in bold red, bold, or cyan (`code` is the SGR code), when `on`.
pub fn paint(text: &str, code: &str, on: bool) -> String {
    if on {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}
