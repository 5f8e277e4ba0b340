//! Compiling a Noir package to a program artifact with the pinned compiler.
//!
//! The default compiler is `@noir-lang/noir_wasm` under node. A native `nargo` on PATH is used
//! instead only when it reports exactly the pinned Noir version. The artifact keeps only what
//! proving and witness solving need (`noir_version`, `hash`, `abi`, `bytecode`): the debug
//! sections carry machine paths and are not reproducible across machines.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use crate::error::{tail, ToolchainError};
use crate::install::Installed;
use crate::pins::NOIR_VERSION;

/// The sections of an artifact that are kept.
pub const KEPT_SECTIONS: &[&str] = &["noir_version", "hash", "abi", "bytecode"];

/// Which compiler runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compiler {
    /// noir_wasm under node, from an install.
    NoirWasm {
        /// The node_modules folder holding noir_wasm.
        node_modules: PathBuf,
        /// The driver script.
        script: PathBuf,
    },
    /// A native nargo of the pinned version.
    Nargo {
        /// The nargo binary.
        path: PathBuf,
    },
}

impl Compiler {
    /// nargo from PATH if its version is exactly the pinned one, else noir_wasm from `installed`.
    pub fn choose(installed: &Installed) -> Compiler {
        match nargo_on_path() {
            Some(path) => Compiler::Nargo { path },
            None => Compiler::NoirWasm {
                node_modules: installed.node_modules(),
                script: installed.compile_script(),
            },
        }
    }

    /// A one-line description for `govproof doctor`.
    pub fn describe(&self) -> String {
        match self {
            Compiler::NoirWasm { .. } => format!("noir_wasm {NOIR_VERSION} under node"),
            Compiler::Nargo { path } => format!("nargo {NOIR_VERSION} at `{}`", path.display()),
        }
    }
}

/// A nargo on PATH whose `--version` names the pinned Noir version.
pub fn nargo_on_path() -> Option<PathBuf> {
    let out = Command::new("nargo").arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("nargo version = "))?;
    (out.status.success() && version.trim() == NOIR_VERSION).then(|| PathBuf::from("nargo"))
}

/// One compiler diagnostic, placed in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The source file, relative to the package folder when it is inside it.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// What the compiler said.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

/// Compiling failed.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// The Noir sources have errors.
    #[error("`{package}` does not compile:\n{}", render(.diagnostics, .message))]
    Source {
        /// The package folder.
        package: PathBuf,
        /// The compiler's summary.
        message: String,
        /// Each error, placed.
        diagnostics: Vec<Diagnostic>,
    },
    /// The compiler could not run or produced something unreadable.
    #[error(transparent)]
    Toolchain(#[from] ToolchainError),
}

fn render(diagnostics: &[Diagnostic], message: &str) -> String {
    if diagnostics.is_empty() {
        return message.to_string();
    }
    diagnostics
        .iter()
        .map(|d| format!("  {d}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[derive(Deserialize)]
struct RawDiagnostics {
    message: String,
    diagnostics: Option<Vec<RawDiagnostic>>,
}

#[derive(Deserialize)]
struct RawDiagnostic {
    message: String,
    file: String,
    #[serde(default)]
    secondaries: Vec<RawSecondary>,
}

#[derive(Deserialize)]
struct RawSecondary {
    #[serde(default)]
    message: String,
    start: usize,
}

/// Turns a byte offset into a 1-based (line, column).
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, column)
}

fn place(package: &Path, raw: RawDiagnostic) -> Diagnostic {
    let file = PathBuf::from(&raw.file);
    let source = std::fs::read_to_string(&file).unwrap_or_default();
    let (line, column, extra) = match raw.secondaries.first() {
        Some(s) => {
            let (l, c) = line_column(&source, s.start);
            (l, c, s.message.clone())
        }
        None => (1, 1, String::new()),
    };
    let shown = file
        .strip_prefix(package)
        .map(Path::to_path_buf)
        .unwrap_or(file);
    let message = if extra.is_empty() {
        raw.message
    } else {
        format!("{} ({extra})", raw.message)
    };
    Diagnostic {
        file: shown,
        line,
        column,
        message,
    }
}

/// Reduces an artifact to its kept sections, serialized with sorted keys (byte-reproducible).
pub fn strip_artifact(raw: &[u8]) -> Result<Vec<u8>, String> {
    let value: serde_json::Value = serde_json::from_slice(raw).map_err(|e| e.to_string())?;
    let obj = value
        .as_object()
        .ok_or_else(|| "artifact is not a JSON object".to_string())?;
    let mut kept = serde_json::Map::new();
    for key in KEPT_SECTIONS {
        let v = obj
            .get(*key)
            .ok_or_else(|| format!("artifact has no `{key}`"))?;
        kept.insert((*key).to_string(), v.clone());
    }
    serde_json::to_vec(&serde_json::Value::Object(kept)).map_err(|e| e.to_string())
}

/// Compiles the Noir package at `package` and returns the stripped artifact JSON.
pub fn compile_package(compiler: &Compiler, package: &Path) -> Result<Vec<u8>, CompileError> {
    let package = package
        .canonicalize()
        .map_err(|source| ToolchainError::Io {
            path: package.to_path_buf(),
            source,
        })?;
    let scratch = tempfile::tempdir().map_err(|source| ToolchainError::Io {
        path: std::env::temp_dir(),
        source,
    })?;
    let out_file = scratch.path().join("program.json");
    let (mut cmd, shown) = match compiler {
        Compiler::NoirWasm {
            node_modules,
            script,
        } => {
            let mut cmd = Command::new("node");
            cmd.arg(script)
                .arg(&package)
                .arg(&out_file)
                .env("NODE_PATH", node_modules);
            (cmd, format!("node compile.cjs {}", package.display()))
        }
        Compiler::Nargo { path } => {
            let mut cmd = Command::new(path);
            cmd.arg("compile")
                .arg("--force")
                .arg("--program-dir")
                .arg(&package)
                .arg("--target-dir")
                .arg(scratch.path());
            (
                cmd,
                format!("nargo compile --program-dir {}", package.display()),
            )
        }
    };
    let out = cmd.output().map_err(|source| ToolchainError::Missing {
        tool: shown.clone(),
        source,
    })?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        if let Some(json) = stderr
            .lines()
            .find_map(|l| l.strip_prefix("GOVPROOF_DIAGNOSTICS "))
        {
            if let Ok(raw) = serde_json::from_str::<RawDiagnostics>(json) {
                return Err(CompileError::Source {
                    package: package.clone(),
                    message: raw.message.lines().next().unwrap_or("").trim().to_string(),
                    diagnostics: raw
                        .diagnostics
                        .unwrap_or_default()
                        .into_iter()
                        .map(|d| place(&package, d))
                        .collect(),
                });
            }
        }
        return Err(ToolchainError::Failed {
            command: shown,
            status: out.status.to_string(),
            stderr_tail: tail(&out.stderr),
        }
        .into());
    }
    let produced = match compiler {
        Compiler::NoirWasm { .. } => out_file,
        Compiler::Nargo { .. } => {
            find_json(scratch.path()).ok_or_else(|| ToolchainError::Failed {
                command: shown.clone(),
                status: "no artifact written".into(),
                stderr_tail: tail(&out.stderr),
            })?
        }
    };
    let raw = std::fs::read(&produced).map_err(|source| ToolchainError::Io {
        path: produced.clone(),
        source,
    })?;
    strip_artifact(&raw).map_err(|reason| {
        ToolchainError::CorruptInstall {
            path: produced,
            reason: format!("the compiler wrote an unreadable artifact: {reason}"),
        }
        .into()
    })
}

fn find_json(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_columns() {
        let src = "fn main() {\n    let y: u8 = x;\n}\n";
        assert_eq!(line_column(src, 0), (1, 1));
        assert_eq!(line_column(src, 16), (2, 5));
        assert_eq!(line_column(src, 10_000), (4, 1));
    }

    #[test]
    fn stripping_keeps_only_reproducible_sections() {
        let raw = br#"{"noir_version":"v","hash":"1","abi":{},"bytecode":"AA==","file_map":{"1":{"path":"/x"}},"debug_symbols":"z"}"#;
        let out = String::from_utf8(strip_artifact(raw).unwrap()).unwrap();
        assert_eq!(
            out,
            r#"{"abi":{},"bytecode":"AA==","hash":"1","noir_version":"v"}"#
        );
        assert!(strip_artifact(br#"{"abi":{}}"#).is_err());
    }
}
