//! The module's C ABI, called by `page/verify.js` (no wasm-bindgen: these few exports are the
//! whole interface).
//!
//! - `alloc(len) -> ptr` reserves `len` bytes in linear memory (zeroed); the page copies a file
//!   into them. `dealloc(ptr, len)` frees what `alloc` or an answer returned.
//! - Each check export takes `(ptr, len)` pairs (a null `ptr` is a file not given) and returns a
//!   pointer to an answer: a 4-byte little-endian length `n`, then `n` bytes of UTF-8 JSON
//!   ([`Answer::to_json`]). The page frees it with `dealloc(ptr, 4 + n)`.
//!
//! The page owns every buffer it allocated and frees it after the call; the exports only read.

#![allow(unsafe_code)]

use crate::answer::Answer;

/// Reserves `len` zeroed bytes and returns their address (freed with [`dealloc`]).
#[no_mangle]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    Box::into_raw(vec![0u8; len].into_boxed_slice()).cast::<u8>()
}

/// Frees `len` bytes at `ptr` that [`alloc`] or an answer returned.
///
/// # Safety
/// `ptr` and `len` must be exactly what `alloc` returned (or an answer's address and `4 + n`),
/// and the buffer not freed before.
#[no_mangle]
pub unsafe extern "C" fn dealloc(ptr: *mut u8, len: usize) {
    if ptr.is_null() {
        return;
    }
    // SAFETY: the caller passes back a boxed slice of exactly `len` bytes made by this module.
    drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)) });
}

/// A bare bb proof, key and public inputs (bb's three files) checked against the Ignition setup:
/// [`crate::check_raw_proof`].
///
/// # Safety
/// Each `(ptr, len)` pair must be a buffer from [`alloc`] of at least `len` bytes, or a null
/// `ptr` (a file not given).
#[no_mangle]
pub unsafe extern "C" fn check_proof(
    proof_ptr: *const u8,
    proof_len: usize,
    vk_ptr: *const u8,
    vk_len: usize,
    inputs_ptr: *const u8,
    inputs_len: usize,
) -> *mut u8 {
    // SAFETY: the caller's promise above.
    let (proof, vk, inputs) = unsafe {
        (
            file(proof_ptr, proof_len),
            file(vk_ptr, vk_len),
            file(inputs_ptr, inputs_len),
        )
    };
    answer(&match (proof, vk, inputs) {
        (Some(proof), Some(vk), Some(inputs)) => crate::check_raw_proof(proof, vk, inputs),
        (None, _, _) => Answer::error("no proof file given".to_string()),
        (_, None, _) => Answer::error("no verification key file given".to_string()),
        (_, _, None) => Answer::error("no public inputs file given".to_string()),
    })
}

/// A decision bundle checked as `govproof verify` checks it: [`crate::check_bundle`]. A null
/// `policy_ptr` or `opening_ptr` is a file not given; `dev_setup` is 1 for `--dev-setup`.
///
/// # Safety
/// Each `(ptr, len)` pair must be a buffer from [`alloc`] of at least `len` bytes, or a null
/// `ptr` (a file not given).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn check(
    bundle_ptr: *const u8,
    bundle_len: usize,
    root_ptr: *const u8,
    root_len: usize,
    policy_ptr: *const u8,
    policy_len: usize,
    opening_ptr: *const u8,
    opening_len: usize,
    now_unix_seconds: i64,
    dev_setup: u32,
) -> *mut u8 {
    // SAFETY: the caller's promise above.
    let (bundle, root, policy, opening) = unsafe {
        (
            file(bundle_ptr, bundle_len),
            file(root_ptr, root_len),
            file(policy_ptr, policy_len),
            file(opening_ptr, opening_len),
        )
    };
    answer(&match (bundle, root) {
        (Some(bundle), Some(root)) => crate::check_bundle(
            bundle,
            root,
            policy,
            opening,
            now_unix_seconds,
            dev_setup != 0,
        ),
        (None, _) => Answer::error("no bundle file given".to_string()),
        (_, None) => Answer::error(
            "no trusted root file given (the root.json obtained out of band)".to_string(),
        ),
    })
}

/// The bytes of one file the page copied in, `None` for a null pointer (a file not given).
///
/// # Safety
/// A non-null `ptr` must point to `len` readable bytes that outlive the call.
unsafe fn file<'a>(ptr: *const u8, len: usize) -> Option<&'a [u8]> {
    if ptr.is_null() {
        None
    } else {
        // SAFETY: the caller's promise above.
        Some(unsafe { std::slice::from_raw_parts(ptr, len) })
    }
}

/// The answer as a length-prefixed buffer the page reads and frees.
fn answer(answer: &Answer) -> *mut u8 {
    let json = answer.to_json();
    let mut bytes = Vec::with_capacity(4 + json.len());
    // An answer is far below 4 GiB: the module's whole memory is.
    bytes.extend_from_slice(&(json.len() as u32).to_le_bytes());
    bytes.extend_from_slice(json.as_bytes());
    Box::into_raw(bytes.into_boxed_slice()).cast::<u8>()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Copies `bytes` in as the page does.
    fn copy_in(bytes: &[u8]) -> (*mut u8, usize) {
        let ptr = alloc(bytes.len());
        // SAFETY: `alloc` just reserved `bytes.len()` bytes at `ptr`.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), ptr, bytes.len()) };
        (ptr, bytes.len())
    }

    /// Reads and frees an answer as the page does.
    fn take(ptr: *mut u8) -> serde_json::Value {
        // SAFETY: an answer is a 4-byte length and that many bytes, freed once here.
        unsafe {
            let len = u32::from_le_bytes(std::slice::from_raw_parts(ptr, 4).try_into().unwrap());
            let json = std::slice::from_raw_parts(ptr.add(4), len as usize).to_vec();
            dealloc(ptr, 4 + len as usize);
            serde_json::from_slice(&json).unwrap()
        }
    }

    #[test]
    fn a_proof_copied_in_is_answered_in_a_length_prefixed_buffer() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/data/square_small/evm"
        );
        let files: Vec<(*mut u8, usize)> = ["proof", "vk", "public_inputs"]
            .iter()
            .map(|f| copy_in(&std::fs::read(format!("{dir}/{f}")).unwrap()))
            .collect();
        let [(p, pl), (k, kl), (i, il)] = files[..] else {
            unreachable!()
        };
        // SAFETY: each pair is a buffer from `alloc`.
        let answer = take(unsafe { check_proof(p, pl, k, kl, i, il) });
        assert_eq!(answer["verdict"], "VALID");
        assert_eq!(answer["exit_code"], 0);
        assert_eq!(answer["report"]["checks"][0]["status"], "pass");
        // SAFETY: a null key pointer is a file not given.
        let answer = take(unsafe { check_proof(p, pl, std::ptr::null(), 0, i, il) });
        assert_eq!(answer["exit_code"], 1);
        assert_eq!(answer["text"], "error: no verification key file given\n");
        for (ptr, len) in files {
            // SAFETY: freed once, with the length `alloc` was given.
            unsafe { dealloc(ptr, len) };
        }
    }
}
