//! Trust: [`govproof_core::registry::trust`] (every check), re-exported, and the trust state's
//! file, which the SDK reads and writes.

use std::path::Path;

pub use govproof_core::registry::trust::*;

use super::document::{DocumentError, FromInputError, Signed};
use super::durable::{self, IoError, Replace, DOCUMENT_MODE};
use super::root::Root;

/// Reading and writing a trust state file.
pub trait TrustStateFile: Sized {
    /// Reads a trust state file, re-walking its chain of roots from its first root (see
    /// [`TrustState::from_json`]); `anchor` is the root the caller trusts out of band, if any.
    fn read(path: &Path, anchor: Option<&Signed<Root>>) -> Result<Self, TrustStateError>;
    /// Writes the state atomically (temporary file, flush, rename).
    fn write(&self, path: &Path) -> Result<(), IoError>;
}

impl TrustStateFile for TrustState {
    fn read(path: &Path, anchor: Option<&Signed<Root>>) -> Result<Self, TrustStateError> {
        let shown = path.display().to_string();
        let bytes = crate::input_file::read_input(path, "trust state", MAX_TRUST_STATE_BYTES)
            .map_err(|e| DocumentError::from_input(shown.clone(), e))?;
        Self::from_json(&bytes, &shown, anchor)
    }

    fn write(&self, path: &Path) -> Result<(), IoError> {
        durable::write_atomic(
            path,
            "trust",
            self.to_json_pretty().as_bytes(),
            DOCUMENT_MODE,
            Replace::Allow,
        )
    }
}
