//! Reading files of outside input (bundles, policies, trust roots and states, openings, registry
//! documents, model files) with a limit that the file cannot talk its way past.
//!
//! A size check on the file's metadata is not enough: `/dev/zero`, a FIFO, or a symlink to either
//! reports a length of 0 and then reads forever or blocks forever. [`read_input`] therefore
//! opens the path without blocking, refuses anything that is not a regular file (checked on the
//! opened file, so a swap after a check cannot slip in), and reads through a reader bounded to
//! `limit + 1` bytes, so a file that grows while it is read is refused too.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why a file of outside input was not read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputFileError {
    /// The path names a directory, a device, a FIFO, a socket, or a symlink to one.
    #[error("the {what} `{}` is not a regular file ({kind})", path.display())]
    NotRegular {
        what: String,
        path: PathBuf,
        kind: FileKind,
    },
    /// The file holds more than the limit allows.
    #[error("the {what} `{}` is larger than the limit of {limit} bytes", path.display())]
    TooLarge {
        what: String,
        path: PathBuf,
        limit: u64,
    },
    /// The file is not UTF-8 text (only from [`read_input_text`]).
    #[error("the {what} `{}` is not UTF-8 text", path.display())]
    NotText { what: String, path: PathBuf },
    /// Opening or reading failed.
    #[error("cannot read the {what} `{}`: {source}", path.display())]
    Io {
        what: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl InputFileError {
    /// The path the error is about.
    pub fn path(&self) -> &Path {
        match self {
            InputFileError::NotRegular { path, .. }
            | InputFileError::TooLarge { path, .. }
            | InputFileError::NotText { path, .. }
            | InputFileError::Io { path, .. } => path,
        }
    }

    /// Why, without naming the file (for a caller whose own message already names it):
    /// `not a regular file (a FIFO)`, `larger than the limit of N bytes`, ...
    pub fn reason(&self) -> String {
        match self {
            InputFileError::NotRegular { kind, .. } => format!("not a regular file ({kind})"),
            InputFileError::TooLarge { limit, .. } => {
                format!("larger than the limit of {limit} bytes")
            }
            InputFileError::NotText { .. } => "not UTF-8 text".to_string(),
            InputFileError::Io { source, .. } => source.to_string(),
        }
    }

    /// Whether the file did not exist (so a caller may treat an absent optional file as such).
    pub fn is_not_found(&self) -> bool {
        matches!(self, InputFileError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

/// What kind of file a refused path named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Directory,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
    Other,
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Directory => "a directory",
            FileKind::Fifo => "a FIFO",
            FileKind::CharacterDevice => "a character device",
            FileKind::BlockDevice => "a block device",
            FileKind::Socket => "a socket",
            FileKind::Other => "not a plain file",
        })
    }
}

fn kind_of(file_type: std::fs::FileType) -> FileKind {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return FileKind::Fifo;
        }
        if file_type.is_char_device() {
            return FileKind::CharacterDevice;
        }
        if file_type.is_block_device() {
            return FileKind::BlockDevice;
        }
        if file_type.is_socket() {
            return FileKind::Socket;
        }
    }
    if file_type.is_dir() {
        FileKind::Directory
    } else {
        FileKind::Other
    }
}

/// Opens `path` for reading without blocking on a FIFO that has no writer (for readers that
/// need the open file itself, such as the secret key reader, which wipes its buffer).
pub(crate) fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// Reads the regular file at `path` (symlinks followed) if it holds at most `limit` bytes.
///
/// `what` names the file for the error message (`"bundle"`, `"trust state"`). Anything that is not
/// a regular file is refused before a byte is read; a file larger than `limit` is refused after
/// reading at most `limit + 1` bytes.
pub fn read_input(path: &Path, what: &str, limit: u64) -> Result<Vec<u8>, InputFileError> {
    let io = |source| InputFileError::Io {
        what: what.to_string(),
        path: path.to_path_buf(),
        source,
    };
    let file = open_nonblocking(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(InputFileError::NotRegular {
            what: what.to_string(),
            path: path.to_path_buf(),
            kind: kind_of(meta.file_type()),
        });
    }
    let too_large = || InputFileError::TooLarge {
        what: what.to_string(),
        path: path.to_path_buf(),
        limit,
    };
    if meta.len() > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// [`read_input`], then UTF-8.
pub fn read_input_text(path: &Path, what: &str, limit: u64) -> Result<String, InputFileError> {
    let bytes = read_input(path, what, limit)?;
    String::from_utf8(bytes).map_err(|_| InputFileError::NotText {
        what: what.to_string(),
        path: path.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_file_within_the_limit_and_refuses_one_above_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"12345").unwrap();
        assert_eq!(read_input(&path, "file", 5).unwrap(), b"12345");
        let err = read_input(&path, "file", 4).unwrap_err();
        assert!(
            matches!(err, InputFileError::TooLarge { limit: 4, .. }),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "the file `{}` is larger than the limit of 4 bytes",
                path.display()
            )
        );
    }

    #[cfg(unix)]
    #[test]
    fn refuses_dev_zero_and_a_symlink_to_it() {
        let err = read_input(Path::new("/dev/zero"), "bundle", 1 << 20).unwrap_err();
        assert!(
            matches!(
                err,
                InputFileError::NotRegular {
                    kind: FileKind::CharacterDevice,
                    ..
                }
            ),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("bundle.json");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        let err = read_input(&link, "bundle", 1 << 20).unwrap_err();
        assert!(
            err.to_string()
                .contains("is not a regular file (a character device)"),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_fifo_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("state.json");
        // The command line tool, since `unsafe_code` is forbidden here.
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let err = read_input(&fifo, "trust state", 1 << 20).unwrap_err();
        assert!(
            matches!(
                err,
                InputFileError::NotRegular {
                    kind: FileKind::Fifo,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn refuses_a_directory_and_names_a_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_input(dir.path(), "policy", 10).unwrap_err();
        assert!(err.to_string().contains("(a directory)"), "{err}");
        let err = read_input(&dir.path().join("absent"), "policy", 10).unwrap_err();
        assert!(err.is_not_found(), "{err}");
    }

    #[test]
    fn text_must_be_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        let err = read_input_text(&path, "policy", 10).unwrap_err();
        assert!(matches!(err, InputFileError::NotText { .. }), "{err}");
    }
}
