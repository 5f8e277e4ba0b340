//! Agreement cases between this crate and bb 5.0.0, shared by the generator
//! (`cargo bench --bench verifier_agreement` in the root crate, which asks bb) and the tests of
//! this crate (which replay bb's recorded verdicts without bb).
//!
//! A case is a valid proof (a *base*: key, proof, public inputs, as bb produced them) and one
//! [`Mutation`] of it, written as one line of text. The CI vectors store a few bases once and the
//! cases as `(base, mutation, verdict)` lines, so a tampered proof is derived here, never stored.
//! This module uses only `std`, so both crates can include it as it is.

#![allow(dead_code)] // each including crate uses part of it

use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// Bytes of one field element.
pub const FIELD: usize = 32;

/// The BN254 scalar field modulus (the field of proof elements and public inputs), big-endian.
pub const MODULUS: [u8; 32] = [
    0x30, 0x64, 0x4e, 0x72, 0xe1, 0x31, 0xa0, 0x29, 0xb8, 0x50, 0x45, 0xb6, 0x81, 0x81, 0x58, 0x5d,
    0x28, 0x33, 0xe8, 0x48, 0x79, 0xb9, 0x70, 0x91, 0x43, 0xe1, 0xf5, 0x93, 0xf0, 0x00, 0x00, 0x01,
];

/// The BN254 base field modulus (the field of point coordinates), big-endian.
pub const BASE_MODULUS: [u8; 32] = [
    0x30, 0x64, 0x4e, 0x72, 0xe1, 0x31, 0xa0, 0x29, 0xb8, 0x50, 0x45, 0xb6, 0x81, 0x81, 0x58, 0x5d,
    0x97, 0x81, 0x6a, 0x91, 0x68, 0x71, 0xca, 0x8d, 0x3c, 0x20, 0x8c, 0x16, 0xd8, 0x7c, 0xfd, 0x47,
];

/// The proof target, as bb names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// Poseidon2 transcript, 458-field proof padded to 25 rounds, points as 4 limbs.
    NoirRecursive,
    /// Keccak transcript, `log n` rounds, points as 2 coordinates.
    Evm,
}

impl Target {
    /// Both targets.
    pub const ALL: [Target; 2] = [Target::NoirRecursive, Target::Evm];

    /// bb's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Target::NoirRecursive => "noir-recursive",
            Target::Evm => "evm",
        }
    }

    /// Fields per G1 point.
    pub fn point_fields(self) -> usize {
        match self {
            Target::NoirRecursive => 4,
            Target::Evm => 2,
        }
    }

    /// Fields of a verification key (3 header fields, then 28 points).
    pub fn vk_fields(self) -> usize {
        3 + 28 * self.point_fields()
    }

    /// Sumcheck rounds of a proof of `fields` fields, when that is a size bb produces.
    pub fn rounds(self, fields: usize) -> Option<usize> {
        let g = self.point_fields();
        let fixed = 56 + 13 * g;
        let rest = fields.checked_sub(fixed)?;
        rest.is_multiple_of(10 + g).then_some(rest / (10 + g))
    }

    /// First field of each G1 point of a proof with `rounds` sumcheck rounds, in proof order
    /// (the layout of `../shared/research/ultrahonk-bb5/NOTES.md`).
    pub fn proof_points(self, rounds: usize) -> Vec<usize> {
        let g = self.point_fields();
        let mut points = Vec::new();
        let mut at = 8; // pairing-point object
        for _ in 0..10 {
            // masking, w1, w2, w3, read counts, read tags, w4, lookup inverses, z_perm, Libra
            points.push(at);
            at += g;
        }
        at += 1 + 9 * rounds + 42 + 1; // libra_sum, univariates, evaluations, Libra evaluation
        for _ in 0..2 + rounds.saturating_sub(1) {
            // Libra grand sum and quotient, then the Gemini folds
            points.push(at);
            at += g;
        }
        at += rounds + 4; // Gemini evaluations, Libra evaluations
        points.push(at); // Shplonk Q
        points.push(at + g); // KZG W
        points
    }

    /// First field of each G1 point of a verification key.
    pub fn vk_points(self) -> Vec<usize> {
        (0..28).map(|j| 3 + j * self.point_fields()).collect()
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Target, String> {
        Target::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| format!("unknown target `{s}`"))
    }
}

/// A valid proof as bb produced it, with its key and public inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    /// `<circuit>.<target>.<n>`: unique among the bases.
    pub name: String,
    /// The circuit's name.
    pub circuit: String,
    /// Its target.
    pub target: Target,
    /// The verification key's bytes.
    pub vk: Vec<u8>,
    /// The proof's bytes (fields concatenated).
    pub proof: Vec<u8>,
    /// The public inputs, 32 bytes big-endian each.
    pub public_inputs: Vec<[u8; FIELD]>,
}

impl Base {
    /// The base's name for a circuit, target and index.
    pub fn name_for(circuit: &str, target: Target, index: usize) -> String {
        format!("{circuit}.{target}.{index}")
    }

    /// Fields of the proof.
    pub fn proof_fields(&self) -> usize {
        self.proof.len() / FIELD
    }

    /// Sumcheck rounds of the proof.
    pub fn rounds(&self) -> usize {
        self.target.rounds(self.proof_fields()).unwrap_or(0)
    }

    /// Writes `<dir>/<name>.vk`, `.proof` and `.pi` (the public inputs concatenated).
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join(format!("{}.vk", self.name)), &self.vk)?;
        std::fs::write(dir.join(format!("{}.proof", self.name)), &self.proof)?;
        std::fs::write(
            dir.join(format!("{}.pi", self.name)),
            self.public_inputs.concat(),
        )?;
        Ok(())
    }

    /// Reads what [`Base::write`] wrote.
    pub fn read(dir: &Path, name: &str) -> Result<Base, String> {
        let mut parts = name.split('.');
        let (Some(circuit), Some(target), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(format!(
                "base name `{name}` is not `<circuit>.<target>.<n>`"
            ));
        };
        let read = |ext: &str| {
            let path = dir.join(format!("{name}.{ext}"));
            std::fs::read(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))
        };
        let pi = read("pi")?;
        if !pi.len().is_multiple_of(FIELD) {
            return Err(format!("public inputs of `{name}` are not whole fields"));
        }
        Ok(Base {
            name: name.to_string(),
            circuit: circuit.to_string(),
            target: target.parse()?,
            vk: read("vk")?,
            proof: read("proof")?,
            public_inputs: pi.chunks_exact(FIELD).map(field_of).collect(),
        })
    }
}

fn field_of(bytes: &[u8]) -> [u8; FIELD] {
    let mut f = [0u8; FIELD];
    f.copy_from_slice(bytes);
    f
}

/// A value written over a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Value {
    /// 0.
    Zero,
    /// The scalar field's modulus r (not canonical).
    Modulus,
    /// r + 1 (not canonical).
    ModulusPlusOne,
    /// The base field's modulus q (not canonical as a coordinate; above r too).
    BaseModulus,
    /// 2^256 - 1.
    Max,
}

impl Value {
    const ALL: [Value; 5] = [
        Value::Zero,
        Value::Modulus,
        Value::ModulusPlusOne,
        Value::BaseModulus,
        Value::Max,
    ];

    fn name(self) -> &'static str {
        match self {
            Value::Zero => "zero",
            Value::Modulus => "modulus",
            Value::ModulusPlusOne => "modulus-plus-one",
            Value::BaseModulus => "base-modulus",
            Value::Max => "max",
        }
    }

    /// The value's 32 bytes.
    pub fn bytes(self) -> [u8; FIELD] {
        match self {
            Value::Zero => [0; FIELD],
            Value::Modulus => MODULUS,
            Value::ModulusPlusOne => increment(MODULUS),
            Value::BaseModulus => BASE_MODULUS,
            Value::Max => [0xff; FIELD],
        }
    }
}

impl FromStr for Value {
    type Err = String;
    fn from_str(s: &str) -> Result<Value, String> {
        Value::ALL
            .into_iter()
            .find(|v| v.name() == s)
            .ok_or_else(|| format!("unknown value `{s}`"))
    }
}

/// Adds one to a 256-bit big-endian integer, wrapping.
pub fn increment(mut f: [u8; FIELD]) -> [u8; FIELD] {
    for byte in f.iter_mut().rev() {
        let (v, carry) = byte.overflowing_add(1);
        *byte = v;
        if !carry {
            break;
        }
    }
    f
}

/// One change to a base. Written as `kind` or `kind:arg[:arg]` (see [`Mutation::kind`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Mutation {
    /// The base itself.
    Valid,
    /// Proof field `i` with its lowest bit flipped.
    ProofFlip(usize),
    /// Proof field `i` plus one (as a 256-bit integer, wrapping).
    ProofIncrement(usize),
    /// Proof field `i` replaced by a value.
    ProofSet(usize, Value),
    /// The proof point starting at field `i` replaced by the identity (all limbs zero).
    PointIdentity(usize),
    /// The proof point starting at field `i` replaced by (1, 3), which is not on the curve.
    PointOffCurve(usize),
    /// Only the first `n` fields of the proof.
    Truncate(usize),
    /// The proof followed by `n` zero fields.
    Extend(usize),
    /// The proof's byte form without its last `n` bytes (not whole fields).
    TruncateBytes(usize),
    /// Public input `k` plus one.
    PublicInputIncrement(usize),
    /// Public input `k` replaced by a value.
    PublicInputSet(usize, Value),
    /// The public inputs without the last one.
    PublicInputDrop,
    /// The public inputs with a zero appended.
    PublicInputExtra,
    /// Key field `i` with its lowest bit flipped.
    KeyFlip(usize),
    /// Key field `i` plus one.
    KeyIncrement(usize),
    /// Key field `i` replaced by a value.
    KeySet(usize, Value),
    /// The key point starting at field `i` replaced by the identity.
    KeyPointIdentity(usize),
    /// The key point starting at field `i` replaced by (1, 3).
    KeyPointOffCurve(usize),
    /// The proof checked against the key of another base (another circuit, same target).
    OtherKey(String),
}

impl Mutation {
    /// The kind, for counts: the text before the first `:`.
    pub fn kind(&self) -> &'static str {
        match self {
            Mutation::Valid => "valid",
            Mutation::ProofFlip(_) => "proof-flip",
            Mutation::ProofIncrement(_) => "proof-increment",
            Mutation::ProofSet(..) => "proof-set",
            Mutation::PointIdentity(_) => "point-identity",
            Mutation::PointOffCurve(_) => "point-off-curve",
            Mutation::Truncate(_) => "truncate",
            Mutation::Extend(_) => "extend",
            Mutation::TruncateBytes(_) => "truncate-bytes",
            Mutation::PublicInputIncrement(_) => "public-input-increment",
            Mutation::PublicInputSet(..) => "public-input-set",
            Mutation::PublicInputDrop => "public-input-drop",
            Mutation::PublicInputExtra => "public-input-extra",
            Mutation::KeyFlip(_) => "key-flip",
            Mutation::KeyIncrement(_) => "key-increment",
            Mutation::KeySet(..) => "key-set",
            Mutation::KeyPointIdentity(_) => "key-point-identity",
            Mutation::KeyPointOffCurve(_) => "key-point-off-curve",
            Mutation::OtherKey(_) => "other-key",
        }
    }

    /// Every mutation of `base` the generator asks bb about; `others` are the bases whose keys
    /// are tried with this proof (other circuits, same target).
    pub fn all_for(base: &Base, others: &[&Base]) -> Vec<Mutation> {
        let fields = base.proof_fields();
        let key_fields = base.vk.len() / FIELD;
        let mut out = vec![Mutation::Valid];
        for i in 0..fields {
            out.push(Mutation::ProofFlip(i));
            out.push(Mutation::ProofIncrement(i));
            out.push(Mutation::ProofSet(i, Value::Modulus));
        }
        // The other out-of-range values on one field of each section is enough: every field goes
        // through the same reader.
        for i in sample_fields(base) {
            for v in [
                Value::Zero,
                Value::ModulusPlusOne,
                Value::BaseModulus,
                Value::Max,
            ] {
                out.push(Mutation::ProofSet(i, v));
            }
        }
        for p in base.target.proof_points(base.rounds()) {
            out.push(Mutation::PointIdentity(p));
            out.push(Mutation::PointOffCurve(p));
        }
        let g = base.target.point_fields();
        for n in [0, 1, fields / 2, fields - g, fields - 1] {
            out.push(Mutation::Truncate(n));
        }
        for n in [1, g, 10 + g, 64] {
            out.push(Mutation::Extend(n));
        }
        out.push(Mutation::TruncateBytes(1));
        out.push(Mutation::TruncateBytes(31));
        for k in 0..base.public_inputs.len() {
            out.push(Mutation::PublicInputIncrement(k));
            out.push(Mutation::PublicInputSet(k, Value::Modulus));
            out.push(Mutation::PublicInputSet(k, Value::Max));
        }
        out.push(Mutation::PublicInputDrop);
        out.push(Mutation::PublicInputExtra);
        for i in 0..key_fields {
            out.push(Mutation::KeyFlip(i));
            out.push(Mutation::KeyIncrement(i));
            out.push(Mutation::KeySet(i, Value::Max));
        }
        for i in 0..3.min(key_fields) {
            out.push(Mutation::KeySet(i, Value::Zero));
        }
        for p in base.target.vk_points() {
            out.push(Mutation::KeyPointIdentity(p));
            out.push(Mutation::KeyPointOffCurve(p));
        }
        // A change that changes nothing (zero written over a zero, the identity over a key's
        // unused selector) is not a tampered case.
        let unchanged = Mutation::Valid.apply(base, &[]);
        out.retain(|m| *m == Mutation::Valid || m.apply(base, &[]) != unchanged);
        for other in others {
            out.push(Mutation::OtherKey(other.name.clone()));
        }
        out
    }

    /// The key, proof and public inputs of this case; `bases` resolves [`Mutation::OtherKey`].
    /// `None` when the mutation does not fit the base (an index past its end, an unknown base).
    pub fn apply(&self, base: &Base, bases: &[Base]) -> Option<Instance> {
        let mut vk = base.vk.clone();
        let mut proof = base.proof.clone();
        let mut public_inputs = base.public_inputs.clone();
        let g = base.target.point_fields();
        match self {
            Mutation::Valid => {}
            Mutation::ProofFlip(i) => *byte_at(&mut proof, *i, FIELD - 1)? ^= 1,
            Mutation::ProofIncrement(i) => {
                let f = increment(field(&proof, *i)?);
                set_field(&mut proof, *i, f)?
            }
            Mutation::ProofSet(i, v) => set_field(&mut proof, *i, v.bytes())?,
            Mutation::PointIdentity(i) => set_point(&mut proof, *i, g, None)?,
            Mutation::PointOffCurve(i) => set_point(&mut proof, *i, g, Some((1, 3)))?,
            Mutation::Truncate(n) => proof.truncate(n.checked_mul(FIELD)?),
            Mutation::Extend(n) => proof.extend(std::iter::repeat_n(0u8, n.checked_mul(FIELD)?)),
            Mutation::TruncateBytes(n) => proof.truncate(proof.len().checked_sub(*n)?),
            Mutation::PublicInputIncrement(k) => {
                let f = public_inputs.get_mut(*k)?;
                *f = increment(*f);
            }
            Mutation::PublicInputSet(k, v) => *public_inputs.get_mut(*k)? = v.bytes(),
            Mutation::PublicInputDrop => {
                public_inputs.pop()?;
            }
            Mutation::PublicInputExtra => public_inputs.push([0; FIELD]),
            Mutation::KeyFlip(i) => *byte_at(&mut vk, *i, FIELD - 1)? ^= 1,
            Mutation::KeyIncrement(i) => {
                let f = increment(field(&vk, *i)?);
                set_field(&mut vk, *i, f)?
            }
            Mutation::KeySet(i, v) => set_field(&mut vk, *i, v.bytes())?,
            Mutation::KeyPointIdentity(i) => set_point(&mut vk, *i, g, None)?,
            Mutation::KeyPointOffCurve(i) => set_point(&mut vk, *i, g, Some((1, 3)))?,
            Mutation::OtherKey(name) => {
                let other = bases.iter().find(|b| &b.name == name)?;
                if other.target != base.target {
                    return None;
                }
                vk = other.vk.clone();
            }
        }
        Some(Instance {
            target: base.target,
            vk,
            proof,
            public_inputs,
        })
    }
}

/// One field of each part of the proof: the pairing object, a commitment coordinate, the Libra
/// sum, a univariate, an evaluation, a fold, the last field.
fn sample_fields(base: &Base) -> Vec<usize> {
    let l = base.rounds();
    let fields = base.proof_fields();
    let points = base.target.proof_points(l);
    let univariate = points[9] + base.target.point_fields() + 1;
    let mut out = vec![
        0,
        points[1],
        points[1] + 1,
        points[9] + base.target.point_fields(),
        univariate,
        univariate + 9 * l,
        fields - 1,
    ];
    out.retain(|&i| i < fields);
    out.dedup();
    out
}

fn field(bytes: &[u8], i: usize) -> Option<[u8; FIELD]> {
    bytes.get(i * FIELD..(i + 1) * FIELD).map(field_of)
}

fn byte_at(bytes: &mut [u8], i: usize, b: usize) -> Option<&mut u8> {
    bytes.get_mut(i.checked_mul(FIELD)?.checked_add(b)?)
}

fn set_field(bytes: &mut [u8], i: usize, value: [u8; FIELD]) -> Option<()> {
    bytes
        .get_mut(i.checked_mul(FIELD)?..(i + 1).checked_mul(FIELD)?)?
        .copy_from_slice(&value);
    Some(())
}

/// Writes a point of `g` fields at field `i`: the identity (all zero) or small coordinates
/// `(x, y)` (low limbs; high limbs zero).
fn set_point(bytes: &mut [u8], i: usize, g: usize, xy: Option<(u8, u8)>) -> Option<()> {
    for j in 0..g {
        set_field(bytes, i + j, [0; FIELD])?;
    }
    if let Some((x, y)) = xy {
        let small = |v: u8| {
            let mut f = [0u8; FIELD];
            f[FIELD - 1] = v;
            f
        };
        set_field(bytes, i, small(x))?;
        set_field(bytes, i + g / 2, small(y))?;
    }
    Some(())
}

impl fmt::Display for Mutation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind();
        match self {
            Mutation::Valid | Mutation::PublicInputDrop | Mutation::PublicInputExtra => {
                f.write_str(kind)
            }
            Mutation::ProofFlip(i)
            | Mutation::ProofIncrement(i)
            | Mutation::PointIdentity(i)
            | Mutation::PointOffCurve(i)
            | Mutation::Truncate(i)
            | Mutation::Extend(i)
            | Mutation::TruncateBytes(i)
            | Mutation::PublicInputIncrement(i)
            | Mutation::KeyFlip(i)
            | Mutation::KeyIncrement(i)
            | Mutation::KeyPointIdentity(i)
            | Mutation::KeyPointOffCurve(i) => write!(f, "{kind}:{i}"),
            Mutation::ProofSet(i, v) | Mutation::PublicInputSet(i, v) | Mutation::KeySet(i, v) => {
                write!(f, "{kind}:{i}:{}", v.name())
            }
            Mutation::OtherKey(name) => write!(f, "{kind}:{name}"),
        }
    }
}

impl FromStr for Mutation {
    type Err = String;
    fn from_str(s: &str) -> Result<Mutation, String> {
        let mut parts = s.split(':');
        let kind = parts.next().unwrap_or_default();
        let args: Vec<&str> = parts.collect();
        let index = |n: usize| -> Result<usize, String> {
            args.get(n)
                .ok_or_else(|| format!("mutation `{s}` lacks an argument"))?
                .parse()
                .map_err(|_| format!("mutation `{s}` has a bad index"))
        };
        let value = || -> Result<Value, String> {
            args.get(1)
                .ok_or_else(|| format!("mutation `{s}` lacks a value"))?
                .parse()
        };
        let m = match kind {
            "valid" => Mutation::Valid,
            "proof-flip" => Mutation::ProofFlip(index(0)?),
            "proof-increment" => Mutation::ProofIncrement(index(0)?),
            "proof-set" => Mutation::ProofSet(index(0)?, value()?),
            "point-identity" => Mutation::PointIdentity(index(0)?),
            "point-off-curve" => Mutation::PointOffCurve(index(0)?),
            "truncate" => Mutation::Truncate(index(0)?),
            "extend" => Mutation::Extend(index(0)?),
            "truncate-bytes" => Mutation::TruncateBytes(index(0)?),
            "public-input-increment" => Mutation::PublicInputIncrement(index(0)?),
            "public-input-set" => Mutation::PublicInputSet(index(0)?, value()?),
            "public-input-drop" => Mutation::PublicInputDrop,
            "public-input-extra" => Mutation::PublicInputExtra,
            "key-flip" => Mutation::KeyFlip(index(0)?),
            "key-increment" => Mutation::KeyIncrement(index(0)?),
            "key-set" => Mutation::KeySet(index(0)?, value()?),
            "key-point-identity" => Mutation::KeyPointIdentity(index(0)?),
            "key-point-off-curve" => Mutation::KeyPointOffCurve(index(0)?),
            "other-key" => Mutation::OtherKey(
                args.first()
                    .ok_or_else(|| format!("mutation `{s}` lacks a base"))?
                    .to_string(),
            ),
            _ => return Err(format!("unknown mutation `{s}`")),
        };
        Ok(m)
    }
}

/// What a verifier is given for one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// The target whose verifier is asked.
    pub target: Target,
    /// Key bytes.
    pub vk: Vec<u8>,
    /// Proof bytes.
    pub proof: Vec<u8>,
    /// Public inputs.
    pub public_inputs: Vec<[u8; FIELD]>,
}

/// bb's answer (and the one the Rust verifier must give).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// The proof verifies.
    Verified,
    /// The input was read and the proof does not verify.
    Rejected,
    /// The input was refused as malformed before checking.
    Refused,
}

impl Verdict {
    /// All three.
    pub const ALL: [Verdict; 3] = [Verdict::Verified, Verdict::Rejected, Verdict::Refused];

    /// The word used in the vectors.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Verified => "verified",
            Verdict::Rejected => "rejected",
            Verdict::Refused => "refused",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Verdict {
    type Err = String;
    fn from_str(s: &str) -> Result<Verdict, String> {
        Verdict::ALL
            .into_iter()
            .find(|v| v.name() == s)
            .ok_or_else(|| format!("unknown verdict `{s}`"))
    }
}

/// One recorded case: a line `<base> <mutation> <verdict>` of `cases.txt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The base's name.
    pub base: String,
    /// The change.
    pub mutation: Mutation,
    /// bb's verdict.
    pub verdict: Verdict,
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.base, self.mutation, self.verdict)
    }
}

impl FromStr for Case {
    type Err = String;
    fn from_str(line: &str) -> Result<Case, String> {
        let mut parts = line.split_whitespace();
        let (Some(base), Some(mutation), Some(verdict), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(format!(
                "case `{line}` is not `<base> <mutation> <verdict>`"
            ));
        };
        Ok(Case {
            base: base.to_string(),
            mutation: mutation.parse()?,
            verdict: verdict.parse()?,
        })
    }
}

/// The CI vectors: the bases, the setup's `[tau]_2` (128 bytes, as bb's `bn254_g2.dat`), and the
/// recorded cases.
pub struct Vectors {
    /// The bases, in `bases.txt` order.
    pub bases: Vec<Base>,
    /// The `[tau]_2` of the setup that made the bases.
    pub g2: [u8; 128],
    /// The cases.
    pub cases: Vec<Case>,
    /// `<base> <mutation> <verdict>` lines of `disagreements.txt`: the cases where the Rust
    /// verifier gave another verdict than bb when the vectors were written, and that verdict.
    pub disagreements: Vec<String>,
}

impl Vectors {
    /// Reads `dir/bases.txt` (one base name a line), `dir/bases/*`, `dir/g2.bin`, `dir/cases.txt`.
    pub fn read(dir: &Path) -> Result<Vectors, String> {
        let text = |name: &str| {
            std::fs::read_to_string(dir.join(name))
                .map_err(|e| format!("cannot read `{name}`: {e}"))
        };
        let bases = text("bases.txt")?
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|name| Base::read(&dir.join("bases"), name.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        let g2 = std::fs::read(dir.join("g2.bin")).map_err(|e| format!("cannot read g2: {e}"))?;
        let g2: [u8; 128] = g2
            .try_into()
            .map_err(|_| "g2.bin is not 128 bytes".to_string())?;
        let cases = text("cases.txt")?
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(str::parse)
            .collect::<Result<Vec<_>, _>>()?;
        let disagreements = match std::fs::read_to_string(dir.join("disagreements.txt")) {
            Ok(text) => text
                .lines()
                .map(|l| l.split('#').next().unwrap_or_default().trim().to_string())
                .filter(|l| !l.is_empty())
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(format!("cannot read `disagreements.txt`: {e}")),
        };
        Ok(Vectors {
            bases,
            g2,
            cases,
            disagreements,
        })
    }

    /// Writes what [`Vectors::read`] reads.
    pub fn write(&self, dir: &Path, header: &str) -> std::io::Result<()> {
        std::fs::create_dir_all(dir.join("bases"))?;
        let mut names = String::from("# the valid proofs the cases start from\n");
        for base in &self.bases {
            base.write(&dir.join("bases"))?;
            names.push_str(&base.name);
            names.push('\n');
        }
        std::fs::write(dir.join("bases.txt"), names)?;
        std::fs::write(dir.join("g2.bin"), self.g2)?;
        let mut cases = String::new();
        for line in header.lines() {
            cases.push_str("# ");
            cases.push_str(line);
            cases.push('\n');
        }
        for case in &self.cases {
            cases.push_str(&case.to_string());
            cases.push('\n');
        }
        std::fs::write(dir.join("cases.txt"), cases)?;
        let mut known = String::from(
            "# cases where the Rust verifier's verdict differed from bb's when the vectors were\n\
             # written: `<base> <mutation> <Rust verdict>`. Each is a bug to fix (in the verifier, or\n\
             # a bb quirk to document and keep); the agreement test fails when this list and the\n\
             # verifier's behaviour part, so a fix must delete its line.\n",
        );
        for line in &self.disagreements {
            known.push_str(line);
            known.push('\n');
        }
        std::fs::write(dir.join("disagreements.txt"), known)
    }

    /// The base named `name`.
    pub fn base(&self, name: &str) -> Option<&Base> {
        self.bases.iter().find(|b| b.name == name)
    }
}
