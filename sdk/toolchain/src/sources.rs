//! The project's own circuits: which packages are compiled, the hash of their sources, and the
//! checked-in artifacts that `build.rs` embeds.
//!
//! `circuits/artifacts/manifest.json` lists each embedded circuit: its name, its package folder
//! (relative to `circuits/`), the hash of its sources and the hash of its artifact file. The source
//! hash covers the package and every `path = ...` dependency it reaches, so editing a library
//! invalidates every circuit that uses it.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::compile::{compile_package, CompileError, Compiler};
use crate::ToolchainError;

/// The manifest's place below `circuits/`.
pub const MANIFEST_PATH: &str = "artifacts/manifest.json";

/// The list of embedded circuits.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CircuitManifest {
    /// The Noir version that compiled every artifact.
    pub noir_version: String,
    /// One entry per circuit, sorted by name.
    pub circuits: Vec<CircuitEntry>,
}

/// One embedded circuit.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CircuitEntry {
    /// The circuit's name (stable id used by the SDK).
    pub name: String,
    /// The package folder, relative to `circuits/`, `/`-separated.
    pub package: String,
    /// blake3 of the package's sources and their dependencies.
    pub source_hash: String,
    /// The artifact file, relative to `circuits/artifacts/`.
    pub artifact: String,
    /// blake3 of the artifact file.
    pub artifact_hash: String,
}

/// Something is wrong with the circuits' sources or manifest.
#[derive(Debug, thiserror::Error)]
pub enum SourcesError {
    /// A Nargo.toml could not be read.
    #[error("`{path}`: {reason}")]
    Nargo {
        /// The Nargo.toml.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The manifest could not be read.
    #[error("`{path}`: {reason}")]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A checked-in artifact is not what recompiling its sources gives.
    #[error("`{name}`: {reason}")]
    Stale {
        /// The circuit.
        name: String,
        /// What differs.
        reason: String,
    },
    /// A file could not be read or written.
    #[error(transparent)]
    Toolchain(#[from] ToolchainError),
    /// A circuit failed to compile.
    #[error(transparent)]
    Compile(#[from] CompileError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SourcesError + '_ {
    move |source| {
        SourcesError::Toolchain(ToolchainError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// The folders of `path = ...` dependencies named in a package's Nargo.toml.
fn path_dependencies(package: &Path) -> Result<Vec<PathBuf>, SourcesError> {
    let nargo = package.join("Nargo.toml");
    let text = fs::read_to_string(&nargo).map_err(io(&nargo))?;
    let doc: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| SourcesError::Nargo {
            path: nargo.clone(),
            reason: e.message().to_string(),
        })?;
    let mut deps = Vec::new();
    if let Some(table) = doc.get("dependencies").and_then(|d| d.as_table()) {
        for (name, spec) in table {
            let path =
                spec.get("path")
                    .and_then(|p| p.as_str())
                    .ok_or_else(|| SourcesError::Nargo {
                        path: nargo.clone(),
                        reason: format!(
                        "dependency `{name}` has no `path`: only path dependencies work offline"
                    ),
                    })?;
            deps.push(package.join(path));
        }
    }
    Ok(deps)
}

fn collect_files(
    dir: &Path,
    rel: &Path,
    out: &mut Vec<(PathBuf, PathBuf)>,
) -> Result<(), SourcesError> {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .map_err(io(dir))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let name = e.file_name();
        if path.is_dir() {
            if name != "target" {
                collect_files(&path, &rel.join(&name), out)?;
            }
        } else if path.extension().is_some_and(|x| x == "nr") || name == "Nargo.toml" {
            out.push((rel.join(&name), path));
        }
    }
    Ok(())
}

/// blake3 over the package's sources and those of every path dependency it reaches.
///
/// Each package contributes its name (the folder name) and its files (`Nargo.toml`, `*.nr`) in
/// sorted order with their package-relative paths, so the hash does not depend on where the
/// checkout lives.
pub fn source_hash(package: &Path) -> Result<String, SourcesError> {
    let mut seen: BTreeMap<PathBuf, String> = BTreeMap::new();
    let mut todo = vec![package.to_path_buf()];
    while let Some(p) = todo.pop() {
        let canon = p.canonicalize().map_err(io(&p))?;
        if seen.contains_key(&canon) {
            continue;
        }
        let name = canon
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        todo.extend(path_dependencies(&canon)?);
        seen.insert(canon, name);
    }
    let mut packages: Vec<(String, PathBuf)> = seen.into_iter().map(|(p, n)| (n, p)).collect();
    packages.sort();
    let mut h = blake3::Hasher::new();
    for (name, dir) in packages {
        h.update(b"package\0");
        h.update(name.as_bytes());
        h.update(b"\0");
        let mut files = Vec::new();
        collect_files(&dir, Path::new(""), &mut files)?;
        for (rel, path) in files {
            let bytes = fs::read(&path).map_err(io(&path))?;
            h.update(rel.to_string_lossy().replace('\\', "/").as_bytes());
            h.update(b"\0");
            h.update(&(bytes.len() as u64).to_le_bytes());
            h.update(&bytes);
        }
    }
    Ok(h.finalize().to_hex().to_string())
}

/// Reads `circuits/artifacts/manifest.json`.
pub fn read_manifest(circuits: &Path) -> Result<CircuitManifest, SourcesError> {
    let path = circuits.join(MANIFEST_PATH);
    let text = fs::read_to_string(&path).map_err(io(&path))?;
    serde_json::from_str(&text).map_err(|e| SourcesError::Manifest {
        path,
        reason: e.to_string(),
    })
}

/// What [`build_all`] did to one circuit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildReport {
    /// The circuit.
    pub name: String,
    /// Whether its artifact changed.
    pub changed: bool,
}

/// Recompiles every circuit in the manifest. With `check`, nothing is written and any difference
/// between a checked-in artifact (or hash) and the recompiled one is an error; without it, changed
/// artifacts and the manifest are rewritten atomically.
pub fn build_all(
    compiler: &Compiler,
    circuits: &Path,
    check: bool,
) -> Result<Vec<BuildReport>, SourcesError> {
    let mut manifest = read_manifest(circuits)?;
    let mut reports = Vec::new();
    for entry in &mut manifest.circuits {
        let package = circuits.join(&entry.package);
        let fresh = compile_package(compiler, &package)?;
        let fresh_hash = blake3::hash(&fresh).to_hex().to_string();
        let src_hash = source_hash(&package)?;
        let artifact_path = circuits.join("artifacts").join(&entry.artifact);
        let current = fs::read(&artifact_path).ok();
        let changed = current.as_deref() != Some(fresh.as_slice())
            || entry.source_hash != src_hash
            || entry.artifact_hash != fresh_hash;
        if check && changed {
            return Err(SourcesError::Stale {
                name: entry.name.clone(),
                reason: "the checked-in artifact or its recorded hashes differ from recompiling \
                         the sources; run `govproof circuits build`"
                    .into(),
            });
        }
        if changed {
            write_atomic(&artifact_path, &fresh)?;
            entry.source_hash = src_hash;
            entry.artifact_hash = fresh_hash;
        }
        reports.push(BuildReport {
            name: entry.name.clone(),
            changed,
        });
    }
    if !check && reports.iter().any(|r| r.changed) {
        let mut json =
            serde_json::to_vec_pretty(&manifest).map_err(|e| SourcesError::Manifest {
                path: circuits.join(MANIFEST_PATH),
                reason: e.to_string(),
            })?;
        json.push(b'\n');
        write_atomic(&circuits.join(MANIFEST_PATH), &json)?;
    }
    Ok(reports)
}

/// Writes `bytes` to `path` atomically as an ordinary project file (mode 0644), through the one
/// atomic-write helper ([`crate::atomic::write_atomic`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SourcesError> {
    crate::atomic::write_atomic(path, bytes, Some(0o644)).map_err(|e| io(path)(e.source))
}
