//! The xtask's one error type, [`Error`], and the [`Result`] every step returns.

/// An xtask failure: a message meant for the person at the terminal, naming
/// the file (and where useful the line or JSON pointer) that caused it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Error(pub String);

/// Shorthand used throughout the xtask.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Builds an [`Error`] from anything displayable.
pub(crate) fn err(message: impl Into<String>) -> Error {
    Error(message.into())
}
