//! Nargo JSON program artifacts, as the pinned Noir compiler writes them.
//!
//! An artifact is JSON with `noir_version`, `hash`, `abi`, `bytecode`, `debug_symbols` and
//! `file_map`. The `bytecode` is base64 of a gzip stream whose content is one serialization-format
//! byte (`0x03`, msgpack-compact, for the pinned compiler) followed by the ACIR `Program`.
//!
//! [`Artifact`] checks all of that once, when it is built: an artifact from another Noir version,
//! with broken base64 or gzip, or with bytecode that is not an ACIR program is refused with an error
//! that says which step failed. Afterwards it offers the decoded program for witness solving, the
//! un-gzipped bytecode for `bb`'s msgpack API, and a content digest to key caches.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use acir::circuit::Program;
use acir::FieldElement;
use base64::Engine;
use serde::Deserialize;

use crate::abi::Abi;

/// The Noir compiler version whose artifacts this crate reads (`noir_version` up to its `+commit`).
pub const PINNED_NOIR_VERSION: &str = "1.0.0-beta.26";

/// The serialization-format byte that prefixes the pinned compiler's bytecode: msgpack-compact.
pub const MSGPACK_COMPACT_FORMAT: u8 = 0x03;

/// Largest artifact file read (256 MiB; the project's compiled circuits are under 64 KiB).
pub const MAX_ARTIFACT_BYTES: u64 = 256 << 20;

/// Why an artifact could not be read. Every variant names the artifact.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// The artifact file could not be read.
    #[error("cannot read artifact `{path}`: {source}")]
    Read {
        /// The file that was being read.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The name given for the artifact is empty or not a single line.
    #[error("artifact name `{0}` is not usable: it must be one non-empty line")]
    Name(String),
    /// The text is not JSON, or not shaped like a nargo program artifact.
    #[error("artifact `{name}` is not a nargo program artifact: {reason}")]
    Json {
        /// The artifact's name.
        name: String,
        /// What the JSON reader reported.
        reason: String,
    },
    /// The artifact was compiled by a different Noir version than the pinned one.
    #[error(
        "artifact `{name}` was compiled by Noir `{found}`, but only Noir `{expected}` artifacts are supported; recompile it with the pinned compiler"
    )]
    NoirVersion {
        /// The artifact's name.
        name: String,
        /// The version recorded in the artifact.
        found: String,
        /// The version this crate is pinned to.
        expected: &'static str,
    },
    /// The `bytecode` string is not valid base64.
    #[error("artifact `{name}`: bytecode is not valid base64: {reason}")]
    Base64 {
        /// The artifact's name.
        name: String,
        /// What the base64 decoder reported.
        reason: String,
    },
    /// The decoded bytecode is not a valid gzip stream.
    #[error("artifact `{name}`: bytecode is not a valid gzip stream: {reason}")]
    Gzip {
        /// The artifact's name.
        name: String,
        /// What the gzip decoder reported.
        reason: String,
    },
    /// The bytecode uses a serialization format other than msgpack-compact.
    #[error(
        "artifact `{name}`: bytecode serialization format byte is {found}, expected 3 (msgpack-compact)"
    )]
    Format {
        /// The artifact's name.
        name: String,
        /// The format byte found, or `none` for empty bytecode.
        found: String,
    },
    /// The bytecode does not decode as an ACIR program.
    #[error("artifact `{name}`: bytecode is not a valid ACIR program: {reason}")]
    Acir {
        /// The artifact's name.
        name: String,
        /// What the ACIR decoder reported.
        reason: String,
    },
    /// The program has no functions, so there is no `main` to execute.
    #[error("artifact `{name}`: the ACIR program has no functions")]
    EmptyProgram {
        /// The artifact's name.
        name: String,
    },
    /// The ABI does not describe the compiled `main` (parameter witnesses or public values differ).
    #[error("artifact `{name}`: the ABI does not match the compiled `main`: {reason}")]
    AbiMismatch {
        /// The artifact's name.
        name: String,
        /// What differs.
        reason: String,
    },
}

/// A blake3 digest of an artifact's un-gzipped bytecode: equal digests mean the same circuit.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArtifactDigest([u8; 32]);

impl ArtifactDigest {
    /// The 32 digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for ArtifactDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for ArtifactDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ArtifactDigest({})", self.to_hex())
    }
}

/// The fields of a nargo artifact that this crate uses. Unknown fields are ignored, so
/// `debug_symbols` and `file_map` may take any shape.
#[derive(Deserialize)]
struct RawArtifact {
    hash: serde_json::Value,
    abi: Abi,
    bytecode: String,
}

/// Only the version, read first so that an artifact from another compiler gets the version error
/// even when the rest of its JSON has a different shape.
#[derive(Deserialize)]
struct RawVersion {
    noir_version: String,
}

/// A checked nargo program artifact from the pinned Noir version, with its bytecode decoded.
///
/// Holding an `Artifact` means: the JSON had every required field, the Noir version is
/// [`PINNED_NOIR_VERSION`], the ABI is well formed, the bytecode decoded to an ACIR program with
/// at least one function (the first is `main`), and `main` declares exactly the parameter and
/// public witnesses the ABI implies.
#[derive(Clone)]
pub struct Artifact {
    name: String,
    noir_version: String,
    hash: String,
    abi: Abi,
    program: Program<FieldElement>,
    bytecode: Vec<u8>,
    digest: ArtifactDigest,
}

impl fmt::Debug for Artifact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Artifact")
            .field("name", &self.name)
            .field("noir_version", &self.noir_version)
            .field("digest", &self.digest)
            .field("functions", &self.program.functions.len())
            .finish_non_exhaustive()
    }
}

impl Artifact {
    /// Reads an artifact file; its name (used in every error and report) is the file stem.
    pub fn load(path: &Path) -> Result<Self, ArtifactError> {
        let text = crate::input_file::read_input_text(path, "artifact", MAX_ARTIFACT_BYTES)
            .map_err(|e| ArtifactError::Read {
                path: path.to_path_buf(),
                source: std::io::Error::other(e.reason()),
            })?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Self::from_json(&name, &text)
    }

    /// Parses artifact JSON bytes (as the compiler writes them, or as embedded at build time).
    pub fn from_json_bytes(name: &str, json: &[u8]) -> Result<Self, ArtifactError> {
        let text = std::str::from_utf8(json).map_err(|e| ArtifactError::Json {
            name: name.to_string(),
            reason: format!("not UTF-8: {e}"),
        })?;
        Self::from_json(name, text)
    }

    /// Parses artifact JSON text. `name` identifies the circuit in errors and reports.
    pub fn from_json(name: &str, json: &str) -> Result<Self, ArtifactError> {
        if name.is_empty() || name.contains(['\n', '\r']) {
            return Err(ArtifactError::Name(name.to_string()));
        }
        let json_err = |e: serde_json::Error| ArtifactError::Json {
            name: name.to_string(),
            reason: e.to_string(),
        };
        let version: RawVersion = serde_json::from_str(json).map_err(json_err)?;
        check_version(name, &version.noir_version)?;
        let raw: RawArtifact = serde_json::from_str(json).map_err(json_err)?;

        let gzipped = base64::engine::general_purpose::STANDARD
            .decode(raw.bytecode.trim())
            .map_err(|e| ArtifactError::Base64 {
                name: name.to_string(),
                reason: e.to_string(),
            })?;
        let bytecode = gunzip(&gzipped).map_err(|e| ArtifactError::Gzip {
            name: name.to_string(),
            reason: e.to_string(),
        })?;
        match bytecode.first() {
            Some(&MSGPACK_COMPACT_FORMAT) => {}
            other => {
                return Err(ArtifactError::Format {
                    name: name.to_string(),
                    found: other.map_or_else(|| "none".to_string(), |b| b.to_string()),
                })
            }
        }
        // acir's public decoder takes the gzipped form; the gzip layer was checked just above.
        let program = Program::deserialize_program(&gzipped).map_err(|e| ArtifactError::Acir {
            name: name.to_string(),
            reason: e.to_string(),
        })?;
        if program.functions.is_empty() {
            return Err(ArtifactError::EmptyProgram {
                name: name.to_string(),
            });
        }
        check_abi_matches_main(name, &raw.abi, &program)?;
        let digest = ArtifactDigest(*blake3::hash(&bytecode).as_bytes());
        let hash = match raw.hash {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        Ok(Artifact {
            name: name.to_string(),
            noir_version: version.noir_version,
            hash,
            abi: raw.abi,
            program,
            bytecode,
            digest,
        })
    }

    /// The name the caller gave (or the file stem), used to say which circuit failed.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The full `noir_version` string recorded by the compiler, including its `+commit` suffix.
    pub fn noir_version(&self) -> &str {
        &self.noir_version
    }

    /// The compiler's own `hash` of the program, as text.
    pub fn compiler_hash(&self) -> &str {
        &self.hash
    }

    /// The ABI of `main`: parameters, return type and error types.
    pub fn abi(&self) -> &Abi {
        &self.abi
    }

    /// The decoded ACIR program; `functions[0]` is `main`.
    pub fn program(&self) -> &Program<FieldElement> {
        &self.program
    }

    /// The un-gzipped bytecode (format byte `0x03` then msgpack), as `bb`'s msgpack API takes it.
    pub fn bytecode_msgpack(&self) -> &[u8] {
        &self.bytecode
    }

    /// blake3 of [`Self::bytecode_msgpack`], to key caches of verification keys and the like.
    pub fn digest(&self) -> ArtifactDigest {
        self.digest
    }
}

fn check_version(name: &str, recorded: &str) -> Result<(), ArtifactError> {
    let version = recorded.split('+').next().unwrap_or_default();
    if version != PINNED_NOIR_VERSION {
        return Err(ArtifactError::NoirVersion {
            name: name.to_string(),
            found: recorded.to_string(),
            expected: PINNED_NOIR_VERSION,
        });
    }
    Ok(())
}

/// The ABI lays parameters out at witnesses `0..n` and the public values (public parameters, then
/// a public return value) at fixed places; the compiled `main` must declare exactly those, or the
/// encoded inputs and the reported public inputs would not be the circuit's.
fn check_abi_matches_main(
    name: &str,
    abi: &Abi,
    program: &Program<FieldElement>,
) -> Result<(), ArtifactError> {
    let mismatch = |reason: String| ArtifactError::AbiMismatch {
        name: name.to_string(),
        reason,
    };
    let main = &program.functions[0];
    let mut params: Vec<u32> = main
        .private_parameters
        .iter()
        .map(|w| w.witness_index())
        .chain(main.public_parameters.indices())
        .collect();
    params.sort_unstable();
    params.dedup();
    let expected: Vec<u32> = (0..abi.parameter_field_count()).collect();
    if params != expected {
        return Err(mismatch(format!(
            "the ABI's parameters take {} witnesses, `main` declares {} parameter witnesses",
            expected.len(),
            params.len()
        )));
    }
    let mut declared: Vec<u32> = main.public_parameters.indices();
    declared.extend(main.return_values.indices());
    declared.sort_unstable();
    declared.dedup();
    let mut from_abi = abi.public_witness_indices();
    from_abi.sort_unstable();
    if declared != from_abi {
        return Err(mismatch(format!(
            "the ABI's public values sit at witnesses {from_abi:?}, `main` declares {declared:?}"
        )));
    }
    Ok(())
}

fn gunzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCALARS: &str = include_str!("../../tests/data/witness/circuits/scalars/scalars.json");

    fn with_field(json: &str, key: &str, value: serde_json::Value) -> String {
        let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
        v[key] = value;
        v.to_string()
    }

    #[test]
    fn reads_a_pinned_artifact() {
        let a = Artifact::from_json("scalars", SCALARS).unwrap();
        assert_eq!(a.name(), "scalars");
        assert!(a.noir_version().starts_with("1.0.0-beta.26+"));
        assert_eq!(a.bytecode_msgpack()[0], MSGPACK_COMPACT_FORMAT);
        assert_eq!(a.program().functions[0].function_name, "main");
        assert_eq!(
            a.digest().to_hex(),
            blake3::hash(a.bytecode_msgpack()).to_hex().to_string()
        );
        assert_eq!(a.abi().parameters().len(), 8);
    }

    #[test]
    fn refuses_other_noir_versions_first() {
        let old = with_field(SCALARS, "noir_version", "1.0.0-beta.9+abc".into());
        let old = with_field(&old, "bytecode", "not base64!".into());
        let err = Artifact::from_json("old", &old).unwrap_err();
        assert!(matches!(err, ArtifactError::NoirVersion { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "artifact `old` was compiled by Noir `1.0.0-beta.9+abc`, but only Noir `1.0.0-beta.26` artifacts are supported; recompile it with the pinned compiler"
        );
        let near = with_field(SCALARS, "noir_version", "1.0.0-beta.260".into());
        assert!(matches!(
            Artifact::from_json("x", &near),
            Err(ArtifactError::NoirVersion { .. })
        ));
    }

    #[test]
    fn each_decoding_step_reports_itself() {
        let b64 = with_field(SCALARS, "bytecode", "!!!".into());
        assert!(matches!(
            Artifact::from_json("x", &b64),
            Err(ArtifactError::Base64 { .. })
        ));
        let not_gz = base64::engine::general_purpose::STANDARD.encode(b"plain bytes");
        let gz = with_field(SCALARS, "bytecode", not_gz.into());
        assert!(matches!(
            Artifact::from_json("x", &gz),
            Err(ArtifactError::Gzip { .. })
        ));

        let gzip_of = |bytes: &[u8]| {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(bytes).unwrap();
            base64::engine::general_purpose::STANDARD.encode(e.finish().unwrap())
        };
        let bincode = with_field(SCALARS, "bytecode", gzip_of(&[1, 2, 3]).into());
        let err = Artifact::from_json("x", &bincode).unwrap_err();
        assert!(matches!(err, ArtifactError::Format { .. }), "{err}");
        assert!(err.to_string().contains("format byte is 1"), "{err}");

        let garbage = with_field(SCALARS, "bytecode", gzip_of(&[3, 0xc1, 0xff]).into());
        assert!(matches!(
            Artifact::from_json("x", &garbage),
            Err(ArtifactError::Acir { .. })
        ));
        assert!(matches!(
            Artifact::from_json("x", "{"),
            Err(ArtifactError::Json { .. })
        ));
        assert!(matches!(
            Artifact::from_json_bytes("x", &[0xff, 0xfe]),
            Err(ArtifactError::Json { .. })
        ));
        assert!(Artifact::from_json_bytes("x", SCALARS.as_bytes()).is_ok());
    }

    #[test]
    fn an_abi_that_does_not_describe_main_is_refused() {
        let mut v: serde_json::Value = serde_json::from_str(SCALARS).unwrap();
        v["abi"]["parameters"][0]["visibility"] = "public".into();
        let err = Artifact::from_json("s", &v.to_string()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "artifact `s`: the ABI does not match the compiled `main`: the ABI's public values sit at witnesses [0, 7, 8, 9], `main` declares [7, 8, 9]"
        );
        let mut v: serde_json::Value = serde_json::from_str(SCALARS).unwrap();
        v["abi"]["parameters"][0]["type"] =
            serde_json::json!({"kind": "array", "length": 2, "type": {"kind": "field"}});
        assert!(matches!(
            Artifact::from_json("s", &v.to_string()),
            Err(ArtifactError::AbiMismatch { .. })
        ));
        assert!(matches!(
            Artifact::from_json("", SCALARS),
            Err(ArtifactError::Name(_))
        ));
    }
}
