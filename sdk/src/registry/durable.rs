//! Atomic, durable file writes, and the crash-test hook.
//!
//! Every file the registry writes goes through `write_atomic`: the bytes go to a temporary file
//! (`.tmp-*`) in the target's folder, the file is flushed to disk (`fsync`), renamed over the target,
//! and the folder itself is flushed so the rename survives a power cut. A reader therefore sees the
//! old file or the new one, never a mix; a crash leaves at most a stray `.tmp-*` file, which readers
//! ignore and the next writer removes.
//!
//! # Test scaffolding: `GOVPROOF_CRASH_AT`
//!
//! The crash test (`tests/registry_crash.rs`) needs to kill a writer between any two steps of an
//! update. Each step calls `crash_point` with a name such as `snapshots/2.json@renamed`. When the
//! environment variable `GOVPROOF_CRASH_AT` equals that name, the process aborts on the spot, as if
//! the power had failed; when `GOVPROOF_CRASH_TRACE` names a file, every step's name is appended to
//! it, so the test can enumerate the steps. Both variables are test scaffolding: they are read once
//! per process, do nothing when unset, and nothing in govproof sets them.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Test scaffolding: abort the process at the crash point of this name (see the module docs).
pub const CRASH_AT_ENV: &str = "GOVPROOF_CRASH_AT";
/// Test scaffolding: append the name of every crash point reached to this file.
pub const CRASH_TRACE_ENV: &str = "GOVPROOF_CRASH_TRACE";

/// Prefix of the temporary files a write goes through.
pub const TEMP_PREFIX: &str = ".tmp-";

/// File mode of published documents: readable by everyone, as they are meant to be published.
pub const DOCUMENT_MODE: u32 = 0o644;
/// File mode of secret keys: readable and writable by their owner only.
pub const SECRET_MODE: u32 = 0o600;

pub use govproof_core::registry::io::IoError;

struct CrashHook {
    at: Option<String>,
    trace: Option<PathBuf>,
}

fn hook() -> &'static CrashHook {
    static HOOK: OnceLock<CrashHook> = OnceLock::new();
    HOOK.get_or_init(|| CrashHook {
        at: std::env::var(CRASH_AT_ENV).ok(),
        trace: std::env::var_os(CRASH_TRACE_ENV).map(PathBuf::from),
    })
}

/// Test scaffolding: a named step of a write. Aborts the process when `GOVPROOF_CRASH_AT` names
/// this step; records the name when `GOVPROOF_CRASH_TRACE` is set; otherwise does nothing.
pub(crate) fn crash_point(name: &str) {
    let hook = hook();
    if let Some(trace) = &hook.trace {
        if let Ok(mut f) = OpenOptions::new().create(true).append(true).open(trace) {
            let _ = writeln!(f, "{name}");
        }
    }
    if hook.at.as_deref() == Some(name) {
        std::process::abort();
    }
}

/// Whether a file name is one of our temporary files.
pub(crate) fn is_temp_name(name: &str) -> bool {
    name.starts_with(TEMP_PREFIX)
}

/// Flushes a folder's entries (the renames and removals in it) to disk.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), IoError> {
    #[cfg(unix)]
    {
        let d = File::open(dir).map_err(|e| IoError::new("open folder", dir, e))?;
        d.sync_all()
            .map_err(|e| IoError::new("flush folder", dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Whether an existing target may be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    /// Replace the target if it exists.
    Allow,
    /// Fail if the target exists (used for secret keys).
    Never,
}

/// Writes `bytes` to `path` atomically and durably, with the given Unix mode. `label` names the
/// write in crash points (`<label>@written`, `@synced`, `@renamed`, `@dir-synced`).
pub fn write_atomic(
    path: &Path,
    label: &str,
    bytes: &[u8],
    mode: u32,
    replace: Replace,
) -> Result<(), IoError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)
        .map_err(|e| IoError::new("create a temporary file in", dir, e))?;
    set_mode(tmp.as_file(), mode).map_err(|e| IoError::new("set permissions of", tmp.path(), e))?;
    tmp.write_all(bytes)
        .map_err(|e| IoError::new("write", tmp.path(), e))?;
    crash_point(&format!("{label}@written"));
    tmp.as_file()
        .sync_all()
        .map_err(|e| IoError::new("flush", tmp.path(), e))?;
    crash_point(&format!("{label}@synced"));
    match replace {
        Replace::Allow => tmp.persist(path).map(drop),
        Replace::Never => tmp.persist_noclobber(path).map(drop),
    }
    .map_err(|e| IoError::new("move into place", path, e.error))?;
    crash_point(&format!("{label}@renamed"));
    sync_dir(dir)?;
    crash_point(&format!("{label}@dir-synced"));
    Ok(())
}

/// Removes a file durably (the removal is flushed); a missing file is not an error.
pub(crate) fn remove_durable(path: &Path, label: &str) -> Result<(), IoError> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(IoError::new("remove", path, e)),
    }
    crash_point(&format!("{label}@removed"));
    if let Some(dir) = path.parent() {
        sync_dir(dir)?;
    }
    Ok(())
}

/// Creates a folder (and its parents) if missing, flushing the parent so it survives a crash.
pub(crate) fn create_dir_durable(dir: &Path) -> Result<(), IoError> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|e| IoError::new("create folder", dir, e))?;
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        sync_dir(parent)?;
    }
    Ok(())
}

/// Removes leftover temporary files (from a writer that crashed) in `dir`. Call only while holding
/// the registry's write lock.
pub(crate) fn remove_stale_temp_files(dir: &Path) -> Result<(), IoError> {
    let read = match std::fs::read_dir(dir) {
        Ok(r) => r,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(IoError::new("list", dir, e)),
    };
    for item in read {
        let item = item.map_err(|e| IoError::new("list", dir, e))?;
        if item.file_name().to_str().is_some_and(is_temp_name) {
            std::fs::remove_file(item.path())
                .map_err(|e| IoError::new("remove", &item.path(), e))?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(file: &File, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &File, _mode: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replace_or_refuse_and_leave_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("doc.json");
        write_atomic(&p, "doc.json", b"one", DOCUMENT_MODE, Replace::Allow).unwrap();
        write_atomic(&p, "doc.json", b"two", DOCUMENT_MODE, Replace::Allow).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert!(write_atomic(&p, "doc.json", b"three", DOCUMENT_MODE, Replace::Never).is_err());
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("doc.json")]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, DOCUMENT_MODE);
        }
    }
}
