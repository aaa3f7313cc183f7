//! Assertions on text a test has read (a command's stderr, an error's
//! message) that show the whole text when they fail.

/// Fails the test unless `text` contains `part`.
#[track_caller]
pub fn assert_contains(text: &str, part: &str) {
    assert!(text.contains(part), "{part:?} is not in:\n{text}");
}

/// Fails the test if `text` contains `part`.
#[track_caller]
pub fn assert_lacks(text: &str, part: &str) {
    assert!(!text.contains(part), "{part:?} is in:\n{text}");
}

/// Fails the test unless `part` stands in `text` exactly once.
#[track_caller]
pub fn assert_once(text: &str, part: &str) {
    let count = text.matches(part).count();
    assert_eq!(count, 1, "{part:?} is in {count} times, not once:\n{text}");
}
