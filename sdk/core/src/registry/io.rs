//! The error of a file operation, with the file and what was being done to it. Core does no file
//! I/O; the SDK's readers and writers (registry folders, key files, trust state files) report
//! through this type, which the key errors carry.

use std::io;
use std::path::{Path, PathBuf};

/// An I/O failure, with the file and what was being done to it.
#[derive(Debug, thiserror::Error)]
#[error("could not {op} `{path}`: {source}")]
pub struct IoError {
    /// What was being done (`write`, `read`, `rename`, ...).
    pub op: &'static str,
    /// The file or folder.
    pub path: PathBuf,
    /// The operating system's error.
    #[source]
    pub source: io::Error,
}

impl IoError {
    /// The error of `op` on `path`.
    pub fn new(op: &'static str, path: &Path, source: io::Error) -> Self {
        IoError {
            op,
            path: path.to_path_buf(),
            source,
        }
    }
}
