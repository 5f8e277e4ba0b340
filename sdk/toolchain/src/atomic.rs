//! The one atomic-write helper of govproof (the SDK's setup files, model files, certificates,
//! compiled artifacts and bundles all go through it): a reader sees either the old file or the
//! complete new one, never a torn write.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Why a file could not be written; names the file.
#[derive(Debug, thiserror::Error)]
#[error("cannot write `{}`: {source}", path.display())]
pub struct WriteError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    #[source]
    pub source: io::Error,
}

/// The folder `path` lives in: its parent, or `.` for a bare file name (whose parent is empty).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Writes `bytes` to `path` atomically and durably: a temporary file in the same folder, fsync,
/// rename, fsync of the folder. Creates the folder if needed. `mode` sets Unix permissions (e.g.
/// 0o600 for a secret, 0o644 for a document); `None` keeps the temporary file's (owner only).
pub fn write_atomic(path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<(), WriteError> {
    write_inner(path, bytes, mode).map_err(|source| WriteError {
        path: path.to_path_buf(),
        source,
    })
}

fn write_inner(path: &Path, bytes: &[u8], mode: Option<u32>) -> io::Result<()> {
    let dir = parent_dir(path);
    fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".govproof-tmp-")
        .tempfile_in(dir)?;
    #[cfg(unix)]
    if let Some(mode) = mode {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

/// Flushes a folder's entries to disk so a completed rename survives a crash.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_file_name_lives_in_the_current_folder() {
        assert_eq!(parent_dir(Path::new("h.json")), Path::new("."));
        assert_eq!(parent_dir(Path::new("out/h.json")), Path::new("out"));
        assert_eq!(parent_dir(Path::new("/h.json")), Path::new("/"));
    }

    #[test]
    fn write_replaces_the_whole_file_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("f.json");
        write_atomic(&path, b"first", Some(0o644)).unwrap();
        write_atomic(&path, b"second", Some(0o600)).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let e = write_atomic(&path.join("under-a-file"), b"x", None).unwrap_err();
        assert!(e.to_string().starts_with("cannot write `"), "{e}");
    }
}
