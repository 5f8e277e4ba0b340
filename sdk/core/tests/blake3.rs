//! Core's compact BLAKE3 (the wasm32 build's) against the `blake3` crate as the oracle: every input length up to three
//! chunks, lengths around every power of two up to 64 chunks, random splits of the input across
//! `update` calls, and derive-key mode.

use govproof_core::blake3::compact as ours;

fn input(len: usize) -> Vec<u8> {
    // The test vectors' input: the bytes 0..251 repeated.
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[test]
fn every_length_up_to_three_chunks_hashes_as_the_crate_does() {
    let data = input(3 * 1024 + 1);
    for len in 0..=data.len() {
        assert_eq!(
            ours::hash(&data[..len]).as_bytes(),
            blake3::hash(&data[..len]).as_bytes(),
            "length {len}"
        );
    }
}

#[test]
fn lengths_around_powers_of_two_hash_as_the_crate_does() {
    let data = input(64 * 1024 + 1);
    let mut len = 1;
    while len <= 64 * 1024 {
        for l in [len - 1, len, len + 1] {
            assert_eq!(
                ours::hash(&data[..l]).as_bytes(),
                blake3::hash(&data[..l]).as_bytes(),
                "length {l}"
            );
        }
        len *= 2;
    }
    // A tree that is not a power of two: 37 chunks and a bit.
    let l = 37 * 1024 + 100;
    assert_eq!(
        ours::hash(&data[..l]).as_bytes(),
        blake3::hash(&data[..l]).as_bytes()
    );
}

#[test]
fn streaming_in_random_pieces_and_derive_key_agree_with_the_crate() {
    let data = input(20_000);
    let mut x = 0x853c_49e6_748f_ea9bu64;
    for _ in 0..200 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let len = (x % 20_000) as usize;
        let mut h = ours::Hasher::new();
        let mut d = ours::Hasher::new_derive_key("govproof test context");
        let mut at = 0;
        let mut y = x;
        while at < len {
            y = y
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let take = ((y >> 33) as usize % 3000).min(len - at);
            h.update(&data[at..at + take]);
            d.update(&data[at..at + take]);
            at += take;
        }
        assert_eq!(
            h.finalize().as_bytes(),
            blake3::hash(&data[..len]).as_bytes()
        );
        let mut reference = blake3::Hasher::new_derive_key("govproof test context");
        reference.update(&data[..len]);
        assert_eq!(d.finalize().as_bytes(), reference.finalize().as_bytes());
    }
}
