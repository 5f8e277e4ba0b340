//! Test kit: the repository's real bundles and pinned keys, and the development setup's G2.
#![allow(dead_code)]
// Test code: a failed read or parse of a fixture is a broken test, and says so.
#![allow(clippy::unwrap_used)]

use std::fmt;
use std::path::{Path, PathBuf};

use ark_bn254::{Fr, G2Projective};
use ark_ec::{CurveGroup, PrimeGroup};
use ark_ff::{BigInteger, PrimeField};
use govproof_verify::{G2Point, Target, VerificationKey};
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// The repository root (the crate is one folder below it).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A JSON object's entries in file order (serde_json's `Value` sorts them).
pub struct Ordered(pub Vec<(String, String)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Ordered, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, String>()? {
                    out.push((k, v));
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Deserialize)]
struct BundleJson {
    circuit: CircuitJson,
    setup: serde_json::Value,
    public_inputs: Ordered,
    proof: String,
}

#[derive(Deserialize)]
struct CircuitJson {
    id: String,
    /// Carried only by a bundle of a circuit no build pins (its registry entry names its digest).
    #[serde(default)]
    verification_key: Option<String>,
}

/// A real `noir-recursive` bundle of the repository, with its pinned (or carried) key.
pub struct Bundle {
    pub name: String,
    pub circuit: String,
    pub key_bytes: Vec<u8>,
    pub key_hash: String,
    pub proof: Vec<u8>,
    pub public_inputs: Vec<[u8; 32]>,
}

impl Bundle {
    pub fn key(&self) -> VerificationKey {
        VerificationKey::from_bytes(Target::NoirRecursive, &self.key_bytes).unwrap()
    }
}

pub fn word(hex_str: &str) -> [u8; 32] {
    let h = hex_str.trim_start_matches("0x");
    let padded = format!("{h:0>64}");
    let mut w = [0u8; 32];
    w.copy_from_slice(&hex::decode(padded).unwrap());
    w
}

/// The pinned key of `circuit` for `target` and `setup` (a JSON object such as
/// `{"development": "<digest>"}`), with bb's key hash.
pub fn pinned_key(circuit: &str, target: &str, setup: &serde_json::Value) -> (Vec<u8>, String) {
    let keys: serde_json::Value = serde_json::from_slice(
        &std::fs::read(repo().join("sdk/core/src/bundle/verification_keys.json")).unwrap(),
    )
    .unwrap();
    let c = keys["circuits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == circuit)
        .unwrap();
    let k = c["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["target"] == target && &k["setup"] == setup)
        .unwrap();
    (
        hex::decode(k["vk"].as_str().unwrap()).unwrap(),
        k["vk_hash"].as_str().unwrap().to_string(),
    )
}

/// Every bundle under `tests/data/bundles/valid/`.
pub fn valid_bundles() -> Vec<Bundle> {
    let dir = repo().join("tests/data/bundles/valid");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert!(!names.is_empty());
    names
        .into_iter()
        .map(|name| {
            let b: BundleJson = serde_json::from_slice(
                &std::fs::read(dir.join(&name).join("bundle.json")).unwrap(),
            )
            .unwrap();
            let (key_bytes, key_hash) = match &b.circuit.verification_key {
                Some(carried) => {
                    let bytes = hex::decode(carried).unwrap();
                    let hash = blake3::hash(&bytes).to_hex().to_string();
                    (bytes, hash)
                }
                None => pinned_key(&b.circuit.id, "noir-recursive", &b.setup),
            };
            Bundle {
                name,
                circuit: b.circuit.id,
                key_bytes,
                key_hash,
                proof: hex::decode(b.proof.trim_start_matches("0x")).unwrap(),
                public_inputs: b.public_inputs.0.iter().map(|(_, v)| word(v)).collect(),
            }
        })
        .collect()
}

/// The development setup's tau exactly as the SDK derives it (`sdk/src/setup/development.rs`):
/// the first 64 bytes of BLAKE3's XOF in `derive_key` mode with this context, little-endian,
/// reduced modulo the scalar field.
pub fn development_tau() -> Fr {
    const CONTEXT: &str =
        "govproof development setup v1: this tau is public and proofs made with it prove nothing";
    let mut xof = blake3::Hasher::new_derive_key(CONTEXT).finalize_xof();
    let mut wide = [0u8; 64];
    xof.fill(&mut wide);
    Fr::from_le_bytes_mod_order(&wide)
}

/// The published development tau (`../shared/research/ultrahonk-bb5/development_tau.hex`).
pub const DEVELOPMENT_TAU_HEX: &str =
    "0c90a63bec20e9fdd1494df5298be4e4817144f13cc48e607f71d50ac3a3285e";

/// The development setup's `[tau]_2`.
pub fn development_g2() -> G2Point {
    let tau = development_tau();
    assert_eq!(
        hex::encode(tau.into_bigint().to_bytes_be()),
        DEVELOPMENT_TAU_HEX
    );
    let p = (G2Projective::generator() * tau).into_affine();
    let mut bytes = [0u8; 128];
    for (i, c) in [p.x.c0, p.x.c1, p.y.c0, p.y.c1].iter().enumerate() {
        bytes[32 * i..32 * (i + 1)].copy_from_slice(&c.into_bigint().to_bytes_be());
    }
    G2Point::from_bytes(&bytes).unwrap()
}

/// A proof made with the real Ignition setup, checked in under `tests/data/square_small/<target>/`
/// (see `tests/data/README.md` for how it was made).
pub struct Fixture {
    pub target: Target,
    pub key_bytes: Vec<u8>,
    pub key_hash: [u8; 32],
    pub proof: Vec<u8>,
    pub public_inputs: Vec<[u8; 32]>,
}

impl Fixture {
    pub fn load(target: Target) -> Self {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/square_small")
            .join(target.name());
        let read = |f: &str| std::fs::read(dir.join(f)).unwrap();
        let mut key_hash = [0u8; 32];
        key_hash.copy_from_slice(&read("vk_hash"));
        Fixture {
            target,
            key_bytes: read("vk"),
            key_hash,
            proof: read("proof"),
            public_inputs: read("public_inputs")
                .chunks(32)
                .map(|c| c.try_into().unwrap())
                .collect(),
        }
    }

    pub fn key(&self) -> VerificationKey {
        VerificationKey::from_bytes(self.target, &self.key_bytes).unwrap()
    }
}

/// Field `i` of a proof incremented by one (as a 256-bit integer; may reach the modulus).
pub fn incremented(proof: &[u8], i: usize) -> Vec<u8> {
    let mut p = proof.to_vec();
    for b in p[32 * i..32 * (i + 1)].iter_mut().rev() {
        let (v, carry) = b.overflowing_add(1);
        *b = v;
        if !carry {
            break;
        }
    }
    p
}

/// Field `i` of a proof with its lowest bit flipped.
pub fn flipped(proof: &[u8], i: usize) -> Vec<u8> {
    let mut p = proof.to_vec();
    p[32 * i + 31] ^= 1;
    p
}

/// Field `i` of a proof replaced by `w`.
pub fn replaced(proof: &[u8], i: usize, w: [u8; 32]) -> Vec<u8> {
    let mut p = proof.to_vec();
    p[32 * i..32 * (i + 1)].copy_from_slice(&w);
    p
}

/// The scalar-field modulus as a word.
pub fn fr_modulus() -> [u8; 32] {
    let mut w = [0u8; 32];
    w.copy_from_slice(&Fr::MODULUS.to_bytes_be());
    w
}

/// The base-field modulus as a word.
pub fn fq_modulus() -> [u8; 32] {
    let mut w = [0u8; 32];
    w.copy_from_slice(&ark_bn254::Fq::MODULUS.to_bytes_be());
    w
}
