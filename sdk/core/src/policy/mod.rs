//! Policies as TOML: what an automated decision is allowed to be (which models, for which scopes,
//! during which period, with which score bands or threshold, under which constraints on the
//! features), checked strictly with diagnostics that point at the text, hashed to the value the
//! composite circuit commits to, tested with `*.test.toml` cases, and explained in plain language.
//!
//! - [`check`] reads and validates a file into a [`Policy`], reporting every problem at once;
//! - [`Policy::hash`] is the circuit's policy hash (see [`encoding`]);
//! - [`cases`] and [`evaluate`] run test cases through the native mirror of the circuit's checks;
//! - [`explain()`] writes the reviewer's summary;
//! - [`cli`] is `govproof policy ...`.
//!
//! The schema, the canonical encoding and the rounding rules are documented in
//! `docs/policies.md`.

pub mod cases;
pub mod check;
pub mod diagnostic;
pub mod encoding;
pub mod evaluate;
pub mod explain;
pub mod model;
pub mod model_schema;
pub mod names;
mod read;
pub mod similar;

pub use crate::registry::Timestamp;

/// Largest policy (or `*.test.toml` case) file read: 1 MiB, far above any real policy (the
/// example policies are a few KiB) and small enough that a padded file cannot exhaust memory.
pub const MAX_POLICY_BYTES: u64 = 1 << 20;
pub use check::{check, CheckOptions, Checked};
pub use diagnostic::{Code, Diagnostic, Diagnostics, Severity, SourceFile};
pub use explain::explain;
pub use model::{
    AllowedModel, Band, Decision, Explanation, Feature, Outcome, Policy, ReasonText, Scope,
    ScoreScale,
};
