//! BLAKE3, as core uses it: the `blake3` crate natively, and core's own compact implementation
//! ([`compact`]) in the wasm32 build.
//!
//! Why two: the crate's portable implementation was about 16 KB of the browser verifier
//! (`docs/browser.md`), where the compact one is about 2 KB; natively the crate is ten times
//! faster (SIMD), which bulk verification keeps. Both have the same API (`hash`, `Hasher::new`,
//! `Hasher::new_derive_key`, `update`, `finalize`, `Hash::as_bytes`, `io::Write`), and the tests
//! hold them to the same digests.

pub mod compact;

#[cfg(target_arch = "wasm32")]
pub use compact::{hash, Hash, Hasher};

#[cfg(not(target_arch = "wasm32"))]
pub use ::blake3::{hash, Hash, Hasher};
