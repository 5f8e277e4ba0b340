//! Errors of the toolchain: each says what was run or read, and what to do.

use std::path::PathBuf;

/// How much of a tool's stderr an error keeps.
const TAIL_BYTES: usize = 2048;

/// The last [`TAIL_BYTES`] of a tool's output, as text.
pub fn tail(bytes: &[u8]) -> String {
    let start = bytes.len().saturating_sub(TAIL_BYTES);
    String::from_utf8_lossy(&bytes[start..]).trim().to_string()
}

/// Something went wrong installing or running the pinned toolchain.
#[derive(Debug, thiserror::Error)]
pub enum ToolchainError {
    /// A program govproof needs is not on PATH.
    #[error(
        "`{tool}` was not found ({source}); install node 18+ and npm, then run `govproof setup`"
    )]
    Missing {
        /// The program.
        tool: String,
        /// Why it could not be started.
        source: std::io::Error,
    },
    /// A program ran and failed.
    #[error("`{command}` failed ({status}): {stderr_tail}")]
    Failed {
        /// The command line.
        command: String,
        /// Its exit status.
        status: String,
        /// The end of what it printed on stderr.
        stderr_tail: String,
    },
    /// npm could not reach its registry.
    #[error("`{command}` could not reach the package registry (offline?): {stderr_tail}")]
    Offline {
        /// The command line.
        command: String,
        /// The end of what npm printed.
        stderr_tail: String,
    },
    /// A downloaded package does not match its pinned hash.
    #[error("`{package}` does not match its pinned hash: expected {expected}, got {actual}; nothing was installed")]
    HashMismatch {
        /// `name@version`.
        package: String,
        /// The pinned integrity.
        expected: String,
        /// What the tarball hashes to.
        actual: String,
    },
    /// A package's tarball has unexpected contents.
    #[error("`{package}` has unexpected contents: {reason}")]
    BadTarball {
        /// `name@version`.
        package: String,
        /// What is wrong.
        reason: String,
    },
    /// A tool reports another version than the pinned one.
    #[error("`{tool}` is version `{found}`, govproof needs {expected}")]
    WrongVersion {
        /// The tool.
        tool: String,
        /// What is needed.
        expected: String,
        /// What it printed.
        found: String,
    },
    /// bb ships no binary for this machine.
    #[error("bb has no build for {arch}-{os}")]
    UnsupportedPlatform {
        /// CPU architecture.
        arch: String,
        /// Operating system.
        os: String,
    },
    /// The toolchain is not installed and installing was not allowed.
    #[error("the pinned toolchain is not installed in `{home}`; run `govproof setup`")]
    NotInstalled {
        /// The govproof home folder.
        home: PathBuf,
    },
    /// An install folder is damaged.
    #[error("the toolchain install at `{path}` is damaged: {reason}")]
    CorruptInstall {
        /// The file or folder.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// No folder to install into.
    #[error("no cache folder: set GOVPROOF_HOME")]
    NoHome,
    /// Reading or writing a file failed.
    #[error("`{path}`: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}
