//! Registry documents: [`govproof_core::registry::document`], re-exported, and how a file that
//! could not be read becomes a [`DocumentError`] (the file reading is the SDK's).

pub use govproof_core::registry::document::*;

use crate::input_file::InputFileError;

/// The error for a registry file that [`crate::input_file::read_input`] refused.
pub trait FromInputError {
    /// The error for a file that [`crate::input_file::read_input`] refused (`path` as shown).
    fn from_input(path: String, e: InputFileError) -> Self;
}

impl FromInputError for DocumentError {
    fn from_input(path: String, e: InputFileError) -> Self {
        use InputFileError as E;
        let problem = match e {
            _ if e.is_not_found() => DocumentProblem::Missing,
            E::TooLarge { limit, .. } => DocumentProblem::TooLarge(limit),
            E::NotRegular { kind, .. } => {
                DocumentProblem::Unreadable(format!("it is not a regular file ({kind})"))
            }
            E::Io { source, .. } => DocumentProblem::Unreadable(source.to_string()),
            other => DocumentProblem::Unreadable(other.to_string()),
        };
        DocumentError { path, problem }
    }
}
