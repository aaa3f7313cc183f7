//! The `--secret-file` of `clients create`: reserved before the request,
//! written after it.
//!
//! KORE shows a client secret exactly once and has no idempotency key, so
//! the file must be known to be writable *before* the client is created;
//! otherwise a refused path would leave an orphan client whose secret is
//! lost. The file is created new (never overwriting, never following a
//! symlink) with mode 0600 from the first instant, so no other user can
//! read it even briefly.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A freshly created, still empty secret file. Dropped without
/// [`write`](Self::write) (the create failed), it is removed again: it is
/// ours, and leaving it would block the retry with "already exists".
#[derive(Debug)]
pub struct SecretFile {
    path: PathBuf,
    file: Option<File>,
}

impl SecretFile {
    /// Creates `path`, failing if anything already exists there.
    pub fn reserve(path: &Path) -> io::Result<Self> {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            // Applied by open(2) itself; the umask can only narrow it.
            options.mode(0o600);
        }
        let file = options.open(path)?;
        Ok(Self {
            path: path.to_owned(),
            file: Some(file),
        })
    }

    /// The path, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `contents` (exactly, no newline added) and syncs it to disk.
    /// On failure the partial file is removed.
    pub fn write(mut self, contents: &[u8]) -> io::Result<PathBuf> {
        let mut file = self.file.take().expect("a reserved file is written once");
        let written = file.write_all(contents).and_then(|()| file.sync_all());
        match written {
            Ok(()) => Ok(std::mem::take(&mut self.path)),
            Err(error) => {
                // Put it back so Drop removes the partial file.
                self.file = Some(file);
                Err(error)
            }
        }
    }
}

impl Drop for SecretFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reserved_file_is_private_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        let reserved = SecretFile::reserve(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = SecretFile::reserve(&path).unwrap_err();
        assert_eq!(again.kind(), io::ErrorKind::AlreadyExists);
        let written = reserved.write(b"s3cr3t").unwrap();
        assert_eq!(written, path);
        assert_eq!(std::fs::read(&path).unwrap(), b"s3cr3t");
    }

    #[test]
    fn an_unused_reservation_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        drop(SecretFile::reserve(&path).unwrap());
        assert!(!path.exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(SecretFile::reserve(&link).is_err());
        assert!(!target.exists());
    }
}
