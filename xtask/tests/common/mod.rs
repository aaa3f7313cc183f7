//! Shared checks for xtask's tests: what an error message must say.

/// Fails the test, showing the whole `message`, unless it says every one of `parts`.
#[track_caller]
pub fn assert_says(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "{part:?} is not in:\n{message}");
    }
}
