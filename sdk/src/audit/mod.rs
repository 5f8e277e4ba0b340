//! Audits without handing over the model: an auditor writes a [`Request`] (applications, labels,
//! groups, counterfactual pairs and a random nonce); the lender proves every row with the
//! registered model ([`prove()`]) into one [`AuditFile`] with the claimed [`Figures`]; the auditor
//! checks every bundle against the request and recomputes the figures from the proofs alone
//! ([`verify()`]), never seeing the weights.
//!
//! The lender cannot choose, drop or swap rows: row `n`'s decision id is
//! `audit-<request digest>-<n>` and its commitment salt is derived from the digest and `n`, so
//! each bundle's public inputs name its row and its input commitment opens to exactly that row's
//! features, which the auditor recomputes from the request. The salt is derived rather than
//! random because the auditor wrote the features (there is nothing to hide from them), and a
//! derived salt needs no opening to travel in the audit file and leaves the lender no salt to
//! choose. See `docs/audit.md`.
//!
//! The same files attest a benchmark: "accuracy A on data set D" is the audit file's claimed
//! accuracy on the data file whose blake3 is [`Request::data_digest`], which [`verify()`] accepts
//! or refuses ([`AuditCheck::stated_accuracy`] holds it to a stated figure too).

pub mod batch;
pub mod figures;
pub mod file;
pub mod prove;
pub mod request;
pub mod verify;

use std::path::PathBuf;

pub use figures::{Figures, RowOutcome};
pub use file::{AuditBatch, AuditDecision, AuditFile};
pub use prove::{prove, Progress, Proved};
pub use request::{Request, RequestDigest};
pub use verify::{verify, AuditCheck, AuditReport, Finding, FindingKind};

/// Why an audit could not be proved or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// A file could not be read.
    #[error(transparent)]
    Read(#[from] crate::input_file::InputFileError),
    /// The request is not usable; every problem is listed.
    #[error("audit request `{}`: {}", path.display(), problems.join("; "))]
    Request {
        /// The request header.
        path: PathBuf,
        /// Each problem.
        problems: Vec<String>,
    },
    /// The audit file is not one.
    #[error("the audit file `{}` {problem}", path.display())]
    AuditFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The work file cannot be used.
    #[error("the work file `{}`: {problem}", path.display())]
    WorkFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A file could not be written.
    #[error("cannot write `{}`: {reason}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Proving a row failed (the rows finished before it are kept in the work file).
    #[error("row {row}: {source}")]
    Row {
        /// The row.
        row: usize,
        /// Why.
        #[source]
        source: Box<crate::decide::DecideError>,
    },
    /// A bug: an invariant of the audit code does not hold.
    #[error("internal error: {0}")]
    Internal(&'static str),
}
