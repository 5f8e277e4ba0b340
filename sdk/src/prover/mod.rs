//! The warm prover: one long-lived `bb msgpack run` process per [`Prover`], reused across proofs,
//! with verification keys cached on disk; and the [`Verifier`], which needs only a one-point CRS.
//!
//! Facts this module relies on (bb 5.0.0, measured):
//! - proofs are always zero-knowledge (`disable_zk = false`); the default target
//!   [`ProofTarget::NoirRecursive`] uses the `poseidon2` transcript and gives 458-field proofs
//!   (14,656 bytes) and 3,680-byte keys whatever the circuit size; [`ProofTarget::Evm`] uses
//!   `keccak`, 1,888-byte keys, and proofs of `82 + 12 * log2(circuit size)` fields (8,384 bytes
//!   for a 2^15 circuit);
//! - proving or computing the key of a circuit whose padded ("dyadic") size is `n` reads
//!   `max(n, 512)` G1 points; with fewer in the CRS folder bb downloads, so the prover checks
//!   first ([`CircuitStats::points_needed`]);
//! - bb reads its CRS from the folder given by `-c DIR` before the subcommand (also `CRS_PATH`),
//!   by default `~/.bb-crs`; the prover always passes the setup's folder.

mod bb;
pub mod pool;
mod verifier;
mod vk_cache;

use std::collections::HashMap;
use std::fmt;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use barretenberg_rs::generated_types::{CircuitInput, CircuitInputNoVK, ProofSystemSettings};

pub use bb::{
    BbError, ExitDescription, KillSwitch, RequestKind, StderrTail, STDERR_TAIL_BYTES,
    SUPPORTED_BB_VERSION,
};
pub use verifier::{ProofRejection, ProofVerifyError, Verifier};

use crate::field::{Field, FieldError};
use crate::setup::{Setup, SetupError, SetupId};
use bb::{BbLauncher, BbProcess};
use vk_cache::{Lookup, VkCache};

/// Fewest G1 points bb's zero-knowledge prover reads, however small the circuit.
pub const MIN_PROVER_POINTS: usize = 512;
/// The format byte that starts msgpack-compact ACIR and witness stacks (Noir 1.0.0-beta.26).
const MSGPACK_COMPACT_FORMAT: u8 = 0x03;

// The byte types and the sizes are govproof-core's (docs/core.md); these are their old paths.
pub use govproof_core::proof::{
    Proof, ProofDataError, ProofTarget, VerificationKey, EVM_VK_BYTES, FIELD_BYTES,
    NOIR_RECURSIVE_PROOF_FIELDS, NOIR_RECURSIVE_VK_BYTES,
};

/// bb's msgpack settings for proofs of `target`: always zero-knowledge.
fn settings(target: ProofTarget) -> ProofSystemSettings {
    ProofSystemSettings {
        ipa_accumulation: false,
        oracle_hash_type: target.oracle_hash_type().to_string(),
        disable_zk: false,
        optimized_solidity_verifier: false,
    }
}

/// BLAKE3 of a circuit's (un-gzipped) ACIR bytecode: names the circuit in caches.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CircuitHash([u8; 32]);

impl CircuitHash {
    /// The hash of `bytecode`.
    pub fn of(bytecode: &[u8]) -> CircuitHash {
        CircuitHash(*blake3::hash(bytecode).as_bytes())
    }

    /// The 32 digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for CircuitHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for CircuitHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CircuitHash({self})")
    }
}

fn check_format(what: &'static str, bytes: &[u8]) -> Result<(), ProverError> {
    match bytes.first() {
        Some(&MSGPACK_COMPACT_FORMAT) => Ok(()),
        found => Err(ProverError::Format {
            what,
            found: found.copied(),
        }),
    }
}

/// A circuit's ACIR bytecode as bb takes it: the un-gzipped msgpack-compact program (the
/// artifact's `bytecode` after base64 and gunzip), with its hash.
#[derive(Clone, PartialEq, Eq)]
pub struct CircuitBytecode {
    bytes: Vec<u8>,
    hash: CircuitHash,
}

impl CircuitBytecode {
    /// Wraps un-gzipped ACIR; refuses anything not starting with the msgpack-compact format byte.
    pub fn from_msgpack(bytes: Vec<u8>) -> Result<CircuitBytecode, ProverError> {
        check_format("circuit bytecode", &bytes)?;
        let hash = CircuitHash::of(&bytes);
        Ok(CircuitBytecode { bytes, hash })
    }

    /// The bytecode.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Its BLAKE3.
    pub fn hash(&self) -> CircuitHash {
        self.hash
    }
}

impl fmt::Debug for CircuitBytecode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CircuitBytecode({} bytes, {})",
            self.bytes.len(),
            self.hash
        )
    }
}

/// A solved witness as bb takes it: the un-gzipped msgpack-compact witness stack.
#[derive(Clone, PartialEq, Eq)]
pub struct WitnessStack {
    bytes: Vec<u8>,
}

impl WitnessStack {
    /// Wraps an un-gzipped witness stack; refuses anything not starting with the msgpack-compact
    /// format byte.
    pub fn from_msgpack(bytes: Vec<u8>) -> Result<WitnessStack, ProverError> {
        check_format("witness stack", &bytes)?;
        Ok(WitnessStack { bytes })
    }

    /// The serialized stack.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl fmt::Debug for WitnessStack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WitnessStack({} bytes)", self.bytes.len())
    }
}

/// bb's gate counts for a circuit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CircuitStats {
    /// Gates after expanding black-box functions.
    pub gates: u32,
    /// The circuit size bb pads to (a power of two).
    pub dyadic_size: u32,
    /// ACIR opcodes in the program.
    pub acir_opcodes: u32,
}

impl CircuitStats {
    /// G1 points bb reads to prove this circuit or compute its key: `max(dyadic size, 512)`.
    pub fn points_needed(&self) -> usize {
        (self.dyadic_size as usize).max(MIN_PROVER_POINTS)
    }
}

/// Counters a [`Prover`] keeps, for operators and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProverStats {
    /// bb processes started (1 + restarts).
    pub bb_starts: u64,
    /// Verification keys computed by bb.
    pub vk_computed: u64,
    /// Verification keys read from the disk cache.
    pub vk_cache_hits: u64,
    /// Cache files found corrupt (and recomputed).
    pub vk_cache_corrupt: u64,
    /// Proofs made.
    pub proofs: u64,
}

/// Errors from proving.
#[derive(Debug, thiserror::Error)]
pub enum ProverError {
    /// Driving bb failed.
    #[error(transparent)]
    Bb(#[from] BbError),
    /// The setup could not supply what bb needs.
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// Bytecode or witness is not in the format bb 5.0.0 reads.
    #[error(
        "the {what} is not msgpack-compact (format byte 0x03), it starts with {}",
        first_byte(*found)
    )]
    Format {
        /// Which input.
        what: &'static str,
        /// Its first byte.
        found: Option<u8>,
    },
    /// A key or proof has a size bb does not produce for its target.
    #[error(transparent)]
    Data(#[from] ProofDataError),
    /// bb returned a public input that is not a canonical field element.
    #[error("bb returned public input {index} that is not a field element: {source}")]
    PublicInput {
        /// Its position.
        index: usize,
        /// Why.
        source: FieldError,
    },
    /// The verification-key cache could not be read or written.
    #[error("cannot use the verification-key cache at `{path}`: {source}")]
    Cache {
        /// The cache file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

fn first_byte(found: Option<u8>) -> String {
    found.map_or_else(|| "nothing".to_string(), |b| format!("0x{b:02x}"))
}

/// A warm prover for one setup: one bb process, restarted if it dies, and a disk cache of
/// verification keys keyed by (circuit hash, setup, bb version, target).
pub struct Prover {
    setup: Setup,
    setup_id: SetupId,
    bb_version: String,
    process: BbProcess,
    cache: VkCache,
    circuit_stats: HashMap<CircuitHash, CircuitStats>,
    /// CRS points on disk when the running bb started (it may keep fewer in memory).
    points_at_start: usize,
    stats: ProverStats,
}

impl Prover {
    /// Checks that `bb_path` is bb 5.0.0, starts it on `setup`'s CRS folder, and caches keys
    /// under `cache_dir`.
    pub fn new(bb_path: &Path, setup: &Setup, cache_dir: &Path) -> Result<Prover, ProverError> {
        Prover::with_bb_threads(bb_path, setup, cache_dir, None)
    }

    /// [`Prover::new`] with bb limited to `threads` threads (`None`: every core), so that several
    /// provers on one machine do not oversubscribe its cores.
    pub fn with_bb_threads(
        bb_path: &Path,
        setup: &Setup,
        cache_dir: &Path,
        threads: Option<NonZeroUsize>,
    ) -> Result<Prover, ProverError> {
        let bb_version = bb::probe_version(bb_path)?;
        let setup_id = setup.id();
        let launcher = BbLauncher::new(bb_path, &setup.crs_dir()).with_threads(threads);
        let mut prover = Prover {
            setup: setup.clone(),
            setup_id,
            cache: VkCache::new(cache_dir, &bb_version, setup_id),
            bb_version,
            process: BbProcess::new(launcher),
            circuit_stats: HashMap::new(),
            points_at_start: 0,
            stats: ProverStats::default(),
        };
        prover.points_at_start = setup.available_points()?;
        prover.process.start()?;
        Ok(prover)
    }

    /// The setup every proof of this prover is made with.
    pub fn setup(&self) -> &Setup {
        &self.setup
    }

    /// What `bb --version` printed.
    pub fn bb_version(&self) -> &str {
        &self.bb_version
    }

    /// The running bb child's process id (for diagnostics).
    pub fn bb_pid(&self) -> Option<u32> {
        self.process.pid()
    }

    /// A switch that kills this prover's bb child from another thread (say, when a proof takes
    /// too long): the request in flight fails as [`BbError::Died`] and the next one starts a
    /// fresh bb. It stays valid across restarts and kills whichever child runs when it is used.
    pub fn kill_switch(&self) -> KillSwitch {
        self.process.kill_switch()
    }

    /// Stops bb (if running) and starts a fresh process.
    pub fn restart(&mut self) -> Result<(), ProverError> {
        self.process.stop();
        self.points_at_start = self.setup.available_points()?;
        self.process.start()?;
        Ok(())
    }

    /// Counters since this prover was made.
    pub fn stats(&self) -> ProverStats {
        ProverStats {
            bb_starts: self.process.starts(),
            ..self.stats
        }
    }

    /// Where the cached verification key of `circuit` for `target` lives.
    pub fn vk_cache_path(&self, circuit: &CircuitBytecode, target: ProofTarget) -> PathBuf {
        self.cache.path(&circuit.hash(), target)
    }

    /// bb's gate counts for `circuit` (remembered per circuit for the life of the prover).
    pub fn gate_count(&mut self, circuit: &CircuitBytecode) -> Result<CircuitStats, ProverError> {
        if let Some(s) = self.circuit_stats.get(&circuit.hash()) {
            return Ok(*s);
        }
        let input = circuit_input(circuit, Vec::new());
        let settings = settings(ProofTarget::default());
        let info = self.process.call(RequestKind::Stats, |api| {
            api.circuit_stats(input, false, settings)
        })?;
        let stats = CircuitStats {
            gates: info.num_gates,
            dyadic_size: info.num_gates_dyadic,
            acir_opcodes: info.num_acir_opcodes,
        };
        self.circuit_stats.insert(circuit.hash(), stats);
        Ok(stats)
    }

    /// The verification key of `circuit` for `target` under this prover's setup: read from the
    /// disk cache when an intact copy is there, otherwise computed by bb and cached.
    pub fn verification_key(
        &mut self,
        circuit: &CircuitBytecode,
        target: ProofTarget,
    ) -> Result<VerificationKey, ProverError> {
        match self.cache.load(&circuit.hash(), target)? {
            Lookup::Hit(bytes) => {
                self.stats.vk_cache_hits += 1;
                return Ok(VerificationKey::from_parts(bytes, self.setup_id, target)?);
            }
            Lookup::Corrupt => self.stats.vk_cache_corrupt += 1,
            Lookup::Miss => {}
        }
        self.prepare_crs(circuit)?;
        let input = CircuitInputNoVK {
            name: "circuit".to_string(),
            bytecode: circuit.as_bytes().to_vec(),
        };
        let settings = settings(target);
        let response = self.process.call(RequestKind::ComputeVk, |api| {
            api.circuit_compute_vk(input, settings)
        })?;
        let vk = VerificationKey::from_parts(response.bytes, self.setup_id, target)?;
        self.cache.store(&circuit.hash(), target, vk.as_bytes())?;
        self.stats.vk_computed += 1;
        Ok(vk)
    }

    /// Proves that `witness` satisfies `circuit`, zero-knowledge, for `target`. The proof
    /// records this prover's setup.
    pub fn prove(
        &mut self,
        circuit: &CircuitBytecode,
        witness: &WitnessStack,
        target: ProofTarget,
    ) -> Result<Proof, ProverError> {
        let vk = self.verification_key(circuit, target)?;
        self.prepare_crs(circuit)?;
        let input = circuit_input(circuit, vk.as_bytes().to_vec());
        let settings = settings(target);
        let response = self.process.call(RequestKind::Prove, |api| {
            api.circuit_prove(input, witness.as_bytes(), settings)
        })?;
        let public_inputs = response
            .public_inputs
            .iter()
            .enumerate()
            .map(|(index, b)| {
                Field::from_be_slice(b).map_err(|source| ProverError::PublicInput { index, source })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let fields = response
            .proof
            .iter()
            .map(|f| <[u8; FIELD_BYTES]>::try_from(f.as_slice()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| ProofDataError::ProofEncoding)?;
        let proof = Proof::from_parts(fields, public_inputs, self.setup_id, target)?;
        self.stats.proofs += 1;
        Ok(proof)
    }

    /// Makes sure the setup's folder holds the points `circuit` needs (growing a development
    /// CRS, refusing a silent download), and restarts bb if the folder grew since it started.
    fn prepare_crs(&mut self, circuit: &CircuitBytecode) -> Result<(), ProverError> {
        let needed = self.gate_count(circuit)?.points_needed();
        let available = self.setup.ensure_points(needed)?;
        if self.process.is_running() && available > self.points_at_start {
            self.process.stop();
        }
        if !self.process.is_running() {
            self.points_at_start = available;
        }
        Ok(())
    }
}

fn circuit_input(circuit: &CircuitBytecode, verification_key: Vec<u8>) -> CircuitInput {
    CircuitInput {
        name: "circuit".to_string(),
        bytecode: circuit.as_bytes().to_vec(),
        verification_key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prover_and_verifier_can_move_between_threads() {
        fn send<T: Send>() {}
        send::<Prover>();
        send::<Verifier>();
        send::<Proof>();
    }

    #[test]
    fn proof_lengths_match_measured_sizes() {
        assert!(ProofTarget::NoirRecursive.is_proof_length(458));
        assert_eq!(458 * FIELD_BYTES, 14_656);
        assert!(!ProofTarget::NoirRecursive.is_proof_length(457));
        // EVM proofs measured: 142 fields at 2^5, 202 at 2^10, 262 (8,384 bytes) at 2^15.
        for (fields, ok) in [
            (142, true),
            (202, true),
            (262, true),
            (263, false),
            (82, false),
        ] {
            assert_eq!(ProofTarget::Evm.is_proof_length(fields), ok, "{fields}");
        }
        assert_eq!(262 * FIELD_BYTES, 8_384);
    }

    #[test]
    fn inputs_must_be_msgpack_compact() {
        assert!(CircuitBytecode::from_msgpack(vec![0x03, 1, 2]).is_ok());
        let err = CircuitBytecode::from_msgpack(vec![0x01, 1]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the circuit bytecode is not msgpack-compact (format byte 0x03), it starts with 0x01"
        );
        assert!(matches!(
            WitnessStack::from_msgpack(Vec::new()),
            Err(ProverError::Format { found: None, .. })
        ));
    }

    #[test]
    fn proof_round_trips_through_json_and_refuses_bad_sizes() {
        let fields = vec![[1u8; FIELD_BYTES]; NOIR_RECURSIVE_PROOF_FIELDS];
        let p = Proof::from_parts(
            fields,
            vec![Field::from(9u64)],
            SetupId::Ignition,
            ProofTarget::NoirRecursive,
        )
        .unwrap();
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<Proof>(&json).unwrap(), p);
        let short = json.replacen("0101", "", 1);
        assert!(serde_json::from_str::<Proof>(&short).is_err());
        assert!(
            VerificationKey::from_parts(vec![0; 10], SetupId::Ignition, ProofTarget::Evm).is_err()
        );
    }
}
