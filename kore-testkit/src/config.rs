//! A private directory for a test's config files, removed when the test ends.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

/// A temporary directory that holds the files one test writes.
pub struct ConfigDir {
    dir: tempfile::TempDir,
}

impl ConfigDir {
    /// A new, empty directory.
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `text` to `name` in this directory with permissions `mode`; the file's path.
    pub fn file(&self, name: &str, text: &str, mode: u32) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("the file is written");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .expect("the file's mode is set");
        path
    }

    /// Writes `text` as `config.toml`, private to its owner (mode 600).
    pub fn config(&self, text: &str) -> PathBuf {
        self.file("config.toml", text, 0o600)
    }
}

impl Default for ConfigDir {
    fn default() -> Self {
        Self::new()
    }
}
