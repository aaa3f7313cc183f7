//! Shared checks and set-ups for xtask's tests: what an error message must
//! say, and a copy of the pipeline's inputs to change.

// Each test binary that declares `mod common` uses only some of it.
#![allow(dead_code)]

/// Fails the test, showing the whole `message`, unless it says every one of `parts`.
#[track_caller]
pub fn assert_says(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "{part:?} is not in:\n{message}");
    }
}

/// A copy of the workspace's fragments and corrections in a temporary root
/// outside any git checkout.
pub fn workspace_copy() -> (tempfile::TempDir, xtask::Layout) {
    let dir = tempfile::tempdir().unwrap();
    let from = xtask::Layout::workspace();
    let fragments = dir.path().join("openapi/fragments");
    std::fs::create_dir_all(&fragments).unwrap();
    for entry in std::fs::read_dir(from.fragments_dir()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), fragments.join(entry.file_name())).unwrap();
    }
    std::fs::copy(
        from.corrections_file(),
        dir.path().join("openapi/corrections.json"),
    )
    .unwrap();
    let layout = xtask::Layout::at(dir.path());
    (dir, layout)
}
