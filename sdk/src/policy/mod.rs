//! Policies as TOML. Reading, checking, hashing, test cases and explanations are
//! `govproof_core::policy` (docs/core.md), re-exported here under their old paths; the SDK adds
//! the reading of model description files ([`model_schema::ModelSchemaFile`]).

pub mod model_schema;

pub use govproof_core::policy::*;
pub use model_schema::ModelSchemaFile;
