//! Model descriptions read from files: the schema itself is `govproof_core::policy::model_schema`;
//! the SDK reads the file and, when it is a model file (`govproof model import`), its quantized
//! weights.

use std::path::Path;

pub use govproof_core::policy::model_schema::*;

/// Reads a [`ModelSchema`] from a file or text, with the weights of a model file.
pub trait ModelSchemaFile: Sized {
    /// Reads a model description file.
    fn from_file(path: &Path) -> Result<Self, ModelSchemaError>;
    /// Reads a model description from text; `source` names it in messages.
    fn from_text(source: &str, text: &str) -> Result<Self, ModelSchemaError>;
}

impl ModelSchemaFile for ModelSchema {
    fn from_file(path: &Path) -> Result<Self, ModelSchemaError> {
        let shown = path.display().to_string();
        let text = crate::input_file::read_input_text(
            path,
            "model description",
            crate::model::file::MAX_FILE_BYTES,
        )
        .map_err(|e| ModelSchemaError::Io {
            path: shown.clone(),
            reason: std::io::Error::other(e.reason()),
        })?;
        Self::from_text(&shown, &text)
    }

    fn from_text(source: &str, text: &str) -> Result<Self, ModelSchemaError> {
        ModelSchema::from_text_with(source, text, |source, text| {
            crate::model::file::ModelFile::from_bytes(source, text.as_bytes())
                .ok()
                .map(|m| m.model)
        })
    }
}
