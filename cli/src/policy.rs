//! `govproof policy ...`: check, hash, test and explain policy files, callable in-process.
//!
//! Exit codes follow [`Exit`]: 0 when the policy is valid (and every test passes), 2 when it is
//! refused (diagnostics with errors, a failing test), 1 when the command could not run (a file
//! that cannot be read, a model description that cannot be parsed). `check` keeps checking the
//! other files after one it cannot read.
//!
//! Text diagnostics go to the error stream, results to the output stream; with `--format json`
//! everything a tool needs is one JSON document on the output stream, refusals included.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::Exit;

use govproof::policy::cases::{read_cases, run_cases, CaseResult};
use govproof::policy::check::{check, CheckOptions, Checked};
use govproof::policy::diagnostic::{Diagnostics, SourceFile};
use govproof::policy::evaluate::PolicyVerdict;
use govproof::policy::explain::explain;
use govproof::policy::model::Policy;
use govproof::policy::model_schema::{ModelSchema, ModelSchemaError, ModelSchemaFile};
use govproof::registry::Timestamp;

/// Output format: the command line's one `--format text|json`.
pub use crate::Format;

/// `govproof policy ...`
#[derive(Debug, Clone, clap::Subcommand)]
pub enum PolicyCommand {
    /// Check policy files: strict parsing, then validation; every problem is reported with its
    /// file, line and column.
    Check {
        /// The policy files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// A model description (registry entry or model file) whose feature schema, profile and
        /// identity must match the policy.
        #[arg(long, value_name = "ENTRY")]
        model: Option<PathBuf>,
        /// The current time (RFC 3339), for reproducible runs; default: the system clock.
        #[arg(long, value_name = "RFC3339")]
        now: Option<Timestamp>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Print the hash the circuit commits to.
    Hash {
        /// The policy file.
        file: PathBuf,
        /// Output format (`json` adds the document digest and the field encoding).
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Run the policy's test cases (`NAME.test.toml` next to `NAME.toml`).
    Test {
        /// The policy file.
        file: PathBuf,
        /// The test file (default: next to the policy, `.toml` replaced by `.test.toml`).
        #[arg(long, value_name = "FILE")]
        cases: Option<PathBuf>,
        /// Also prove and verify each case with the development setup.
        #[arg(long)]
        prove: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Summarize a policy in plain language for reviewers.
    Explain {
        /// The policy file.
        file: PathBuf,
    },
}

/// Why a policy command could not run (as opposed to finding the policy invalid).
#[derive(Debug, thiserror::Error)]
pub enum PolicyCliError {
    /// A file cannot be read.
    #[error("cannot read `{path}`: {reason}")]
    Read {
        /// The file.
        path: String,
        /// Why (in the message, so not repeated as a source).
        reason: std::io::Error,
    },
    /// The model description cannot be used.
    #[error(transparent)]
    Model(#[from] ModelSchemaError),
    /// Writing the output failed.
    #[error("cannot write the output: {0}")]
    Write(std::io::Error),
    /// `--prove` could not set up proving (the toolchain, the development setup).
    #[error("`--prove` cannot prove: {0}")]
    Prove(String),
}

impl From<std::io::Error> for PolicyCliError {
    /// Output streams are the only I/O that `?` converts: reading files names the file.
    fn from(e: std::io::Error) -> Self {
        PolicyCliError::Write(e)
    }
}

fn read_source(path: &Path) -> Result<SourceFile, PolicyCliError> {
    let shown = path.display().to_string();
    let text =
        govproof::input_file::read_input_text(path, "policy", govproof::policy::MAX_POLICY_BYTES)
            .map_err(|e| PolicyCliError::Read {
            path: shown.clone(),
            reason: std::io::Error::other(e.reason()),
        })?;
    Ok(SourceFile::new(shown, text))
}

/// Runs one policy command, writing results to `out` and text diagnostics to `err`.
pub fn run_policy(
    cmd: PolicyCommand,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Exit, PolicyCliError> {
    match cmd {
        PolicyCommand::Check {
            files,
            model,
            now,
            format,
        } => {
            let model = model.as_deref().map(ModelSchema::from_file).transpose()?;
            let options = CheckOptions {
                now: Some(now.unwrap_or_else(Timestamp::now)),
                model,
            };
            run_check(&files, &options, format, out, err)
        }
        PolicyCommand::Hash { file, format } => {
            let source = read_source(&file)?;
            let Some(policy) = load(&source, format, out, err)? else {
                return Ok(Exit::Rejected);
            };
            match format {
                Format::Text => writeln!(out, "{}", policy.hash().to_hex())?,
                Format::Json => {
                    let doc = json!({
                        "file": source.name(),
                        "ok": true,
                        "policy_hash": policy.hash().to_hex(),
                        "document_digest": hex::encode(policy.document_digest()),
                        "profile": policy.profile().name(),
                        "encoding": policy.encoding_fields().iter().map(|f| f.to_hex()).collect::<Vec<_>>(),
                    });
                    writeln!(out, "{doc:#}")?;
                }
            }
            Ok(Exit::Success)
        }
        PolicyCommand::Test {
            file,
            cases,
            prove,
            format,
        } => {
            let source = read_source(&file)?;
            let Some(policy) = load(&source, format, out, err)? else {
                return Ok(Exit::Rejected);
            };
            let cases_path = cases.unwrap_or_else(|| default_cases_path(&file));
            let cases_source = read_source(&cases_path)?;
            let (cases, diags) = read_cases(&cases_source, &policy);
            let Some(cases) = cases else {
                refused(&cases_source, &diags, format, out, err)?;
                return Ok(Exit::Rejected);
            };
            if format == Format::Text && !diags.is_empty() {
                err.write_all(diags.render(&cases_source).as_bytes())?;
            }
            let results = run_cases(&policy, cases);
            let proofs = if prove {
                let home = govproof::toolchain::home()
                    .map_err(|e| PolicyCliError::Prove(e.to_string()))?;
                let kit = govproof::decide::case::CaseKit::development(&home)
                    .map_err(|e| PolicyCliError::Prove(e.to_string()))?;
                govproof::decide::case::check_cases(&policy, &results, &kit)
            } else {
                Vec::new()
            };
            report_tests(&cases_source, &results, &proofs, format, out)?;
            Ok(
                if results.iter().all(CaseResult::passed) && proofs.iter().all(|p| p.agrees) {
                    Exit::Success
                } else {
                    Exit::Rejected
                },
            )
        }
        PolicyCommand::Explain { file } => {
            let source = read_source(&file)?;
            let Some(policy) = load(&source, Format::Text, out, err)? else {
                return Ok(Exit::Rejected);
            };
            out.write_all(explain(&policy).as_bytes())?;
            Ok(Exit::Success)
        }
    }
}

/// `NAME.test.toml` next to `NAME.toml` (or `FILE.test.toml` for a file without `.toml`).
pub fn default_cases_path(policy: &Path) -> PathBuf {
    let name = policy
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let stem = name.strip_suffix(".toml").unwrap_or(&name);
    policy.with_file_name(format!("{stem}.test.toml"))
}

/// Checks without a clock or a model (for hash, test and explain). A refused file is reported
/// (see [`refused`]); with text output, the warnings of an accepted one go to `err`.
fn load(
    source: &SourceFile,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Option<Policy>, PolicyCliError> {
    let Checked {
        policy,
        diagnostics,
    } = check(source, &CheckOptions::default());
    match &policy {
        None => refused(source, &diagnostics, format, out, err)?,
        Some(_) if format == Format::Text && !diagnostics.is_empty() => {
            err.write_all(diagnostics.render(source).as_bytes())?
        }
        Some(_) => {}
    }
    Ok(policy)
}

/// Reports a refused file: rendered diagnostics and a summary line on `err`, or with
/// `--format json` one document `{file, ok: false, errors, warnings, diagnostics}` on `out`.
fn refused(
    source: &SourceFile,
    diagnostics: &Diagnostics,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), PolicyCliError> {
    match format {
        Format::Text => {
            err.write_all(diagnostics.render(source).as_bytes())?;
            writeln!(err, "{}: {}", source.name(), diagnostics.summary())?;
        }
        Format::Json => {
            let doc = json!({
                "file": source.name(),
                "ok": false,
                "errors": diagnostics.errors(),
                "warnings": diagnostics.warnings(),
                "diagnostics": diagnostics.to_json(source),
            });
            writeln!(out, "{doc:#}")?;
        }
    }
    Ok(())
}

fn run_check(
    files: &[PathBuf],
    options: &CheckOptions,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Exit, PolicyCliError> {
    let mut all_ok = true;
    let mut unreadable = false;
    let mut reports = Vec::new();
    for path in files {
        // So that `policy check policies/*.toml` works: test files are checked by `policy test`.
        if path.to_string_lossy().ends_with(".test.toml") {
            match format {
                Format::Text => writeln!(
                    out,
                    "{}: skipped (a test file: run `govproof policy test` on its policy)",
                    path.display()
                )?,
                Format::Json => reports.push(json!({
                    "file": path.display().to_string(),
                    "skipped": "test file",
                })),
            }
            continue;
        }
        // A file that cannot be read does not stop the others from being checked.
        let source = match read_source(path) {
            Ok(source) => source,
            Err(e) => {
                unreadable = true;
                all_ok = false;
                match format {
                    Format::Text => writeln!(err, "error: {e}")?,
                    Format::Json => reports.push(json!({
                        "file": path.display().to_string(),
                        "ok": false,
                        "error": e.to_string(),
                    })),
                }
                continue;
            }
        };
        let checked = check(&source, options);
        let ok = checked.policy.is_some();
        all_ok &= ok;
        match format {
            Format::Text => {
                err.write_all(checked.diagnostics.render(&source).as_bytes())?;
                let verdict = if ok { "ok" } else { "refused" };
                writeln!(
                    out,
                    "{}: {verdict} ({})",
                    source.name(),
                    checked.diagnostics.summary()
                )?;
            }
            Format::Json => reports.push(json!({
                "file": source.name(),
                "ok": ok,
                "errors": checked.diagnostics.errors(),
                "warnings": checked.diagnostics.warnings(),
                "policy_hash": checked.policy.as_ref().map(|p| p.hash().to_hex()),
                "diagnostics": checked.diagnostics.to_json(&source),
            })),
        }
    }
    if format == Format::Json {
        writeln!(out, "{:#}", json!({ "ok": all_ok, "files": reports }))?;
    }
    Ok(if unreadable {
        Exit::Error
    } else if all_ok {
        Exit::Success
    } else {
        Exit::Rejected
    })
}

fn report_tests(
    source: &SourceFile,
    results: &[CaseResult],
    proofs: &[govproof::decide::case::CaseCheck],
    format: Format,
    out: &mut dyn Write,
) -> Result<(), PolicyCliError> {
    let passed = results.iter().filter(|r| r.passed()).count();
    let failed = results.len() - passed;
    match format {
        Format::Text => {
            for r in results {
                let pos = source.position(r.case.span.start);
                let place = format!("{}:{}", source.name(), pos.line);
                if r.passed() {
                    writeln!(out, "ok    {}", r.case.name)?;
                } else {
                    let got = match &r.evaluation {
                        Ok(e) => format!("got {}", e.verdict),
                        Err(e) => format!("cannot evaluate: {e}"),
                    };
                    writeln!(
                        out,
                        "FAIL  {} ({place}): expected {}, {got}",
                        r.case.name, r.case.expect
                    )?;
                    if let Ok(e) = &r.evaluation {
                        for s in &e.log {
                            let mark = if s.passed { "pass" } else { "fail" };
                            writeln!(out, "        {mark}  {}: {}", s.check, s.detail)?;
                        }
                    }
                }
            }
            writeln!(out, "{passed} passed, {failed} failed")?;
            if !proofs.is_empty() {
                writeln!(out, "proved with the development setup (proves nothing; checks the circuit agrees):")?;
                for p in proofs {
                    let mark = if p.agrees { "ok   " } else { "FAIL " };
                    writeln!(out, "{mark} {}: {}", p.name, p.detail)?;
                }
                let agree = proofs.iter().filter(|p| p.agrees).count();
                writeln!(out, "{agree} agree, {} disagree", proofs.len() - agree)?;
            }
        }
        Format::Json => {
            let cases: Vec<_> = results
                .iter()
                .map(|r| {
                    let pos = source.position(r.case.span.start);
                    let (actual, log) = match &r.evaluation {
                        Ok(e) => (
                            verdict_json(&e.verdict),
                            e.log
                                .iter()
                                .map(|s| json!({"check": s.check, "passed": s.passed, "detail": s.detail}))
                                .collect::<Vec<_>>(),
                        ),
                        Err(e) => (json!({"error": e.to_string()}), Vec::new()),
                    };
                    json!({
                        "name": r.case.name,
                        "line": pos.line,
                        "passed": r.passed(),
                        "expected": r.case.expect.to_string(),
                        "actual": actual,
                        "log": log,
                    })
                })
                .collect();
            let mut doc =
                json!({"file": source.name(), "passed": passed, "failed": failed, "cases": cases});
            if !proofs.is_empty() {
                doc["proofs"] = proofs
                    .iter()
                    .map(|p| json!({"name": p.name, "agrees": p.agrees, "detail": p.detail}))
                    .collect();
            }
            writeln!(out, "{doc:#}")?;
        }
    }
    Ok(())
}

fn verdict_json(v: &PolicyVerdict) -> serde_json::Value {
    match v {
        PolicyVerdict::Band {
            index,
            name,
            outcome,
        } => json!({"band": name, "band_index": index, "outcome": outcome.as_str()}),
        PolicyVerdict::Gate { decision, outcome } => {
            json!({"decision": decision, "outcome": outcome.as_str()})
        }
        PolicyVerdict::Rejected(r) => json!({"rejected": r.as_str()}),
    }
}
