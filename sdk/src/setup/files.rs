//! Atomic file installation shared by the setup and prover modules: a reader either sees the old
//! file or the complete new one, never a torn write.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::Path;

/// Writes `bytes` to `path` atomically (the one helper, [`crate::toolchain::atomic::write_atomic`]):
/// a temporary file in the same folder, fsync, rename, then fsync of the folder. Creates the folder
/// if needed. `mode` sets Unix permissions (e.g. 0o755 for an executable); `None` keeps the
/// default.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], mode: Option<u32>) -> io::Result<()> {
    crate::toolchain::atomic::write_atomic(path, bytes, mode).map_err(|e| e.source)
}

/// Holds an exclusive advisory lock on `<path>` (created if missing) until dropped, so processes
/// and threads that grow the same cached setup take turns.
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    /// Blocks until the lock file at `path` is held exclusively.
    pub(crate) fn acquire(path: &Path) -> io::Result<DirLock> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        file.lock()?;
        Ok(DirLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_replaces_whole_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("f.bin");
        write_atomic(&path, b"first", None).unwrap();
        write_atomic(&path, b"second", None).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("f.bin")]);
    }
}
