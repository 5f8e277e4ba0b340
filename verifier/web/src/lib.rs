//! The govproof verifier for the browser: a WebAssembly module with a small hand-written C ABI
//! (see [`abi`]) that the static page in `verifier/web/page/` loads. Nothing leaves the machine:
//! the page copies the files the user picked into the module's memory, calls one export with the
//! browser's clock, and renders the answer.
//!
//! Every export answers with one [`Answer`]: the verdict, the exit status `govproof verify` would
//! end with, the text report and the JSON report, encoded as JSON after a 4-byte little-endian
//! length.

pub mod abi;
mod answer;
mod bundle_check;
mod raw_proof;

pub use answer::Answer;
pub use bundle_check::check_bundle;
pub use raw_proof::check_raw_proof;
