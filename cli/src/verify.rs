//! `govproof verify` (the bundled verifier regulators run) and `govproof export-verifier`.
//!
//! `verify` reads one bundle or many (files, folders, glob patterns it expands itself), the
//! registry's trusted root document (`--trust`), optionally a trust state file (`--state`,
//! rollback protection) and policy files (`--policy`, repeatable, files or folders; each bundle is
//! compared with the one its proof's policy hash names), runs every check of
//! [`govproof::bundle::verify`], and prints the report. One bundle gets the check-by-check report
//! (`--format text` or `json`); many get the portfolio table of [`govproof::bundle::portfolio`]
//! (`text`, `csv`, `markdown`, `json`, `html`; `--html FILE` writes the HTML page beside any
//! format), with their proofs checked together by one batch pairing. Exit codes: 0 valid, 2
//! invalid, 1 could not check (usage, unreadable inputs, a trust state that could not be
//! written), 3 valid but the policy not checked (no policy file with the bundle's policy hash: the
//! policy's id and version and the outcome's names are the lender's words), 4 valid but made
//! with the development setup (not evidence: only with `--dev-setup`). For many bundles,
//! the worst of them, and 2 when two valid bundles show a fork.
//!
//! Every input file is read with [`read_input`]: only regular files, at most their limit.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use govproof::bundle::portfolio::{About, Entry, GivenPolicy, PolicySet, Portfolio, ReportFormat};
use govproof::bundle::{BundleVerifier, Report, Verdict, VerifyOptions, MAX_BUNDLE_BYTES};
use govproof::decide::{InputOpening, MAX_OPENING_BYTES};
use govproof::input_file::{read_input, read_input_text, InputFileError};
use govproof::policy::{check, CheckOptions, Policy, SourceFile, MAX_POLICY_BYTES};
use govproof::registry::durable::{write_atomic, Replace, DOCUMENT_MODE};
use govproof::registry::{TrustState, TrustStateFile};
use govproof::setup::{dangerous, AcceptancePolicy};

use crate::Exit;

/// How many bundles are read and batch-verified at a time (bounds memory on large portfolios).
const CHUNK: usize = 256;

/// Output formats of `govproof verify`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum VerifyFormat {
    /// For people: the check-by-check report of one bundle, the table of many.
    #[default]
    Text,
    /// For tools: one JSON document.
    Json,
    /// The table as CSV (RFC 4180).
    Csv,
    /// The table as Markdown.
    Markdown,
    /// The table as one self-contained HTML page.
    Html,
}

impl VerifyFormat {
    fn report_format(self) -> ReportFormat {
        match self {
            VerifyFormat::Text => ReportFormat::Text,
            VerifyFormat::Json => ReportFormat::Json,
            VerifyFormat::Csv => ReportFormat::Csv,
            VerifyFormat::Markdown => ReportFormat::Markdown,
            VerifyFormat::Html => ReportFormat::Html,
        }
    }
}

/// Arguments of `govproof verify`.
#[derive(Debug, Clone, clap::Args)]
pub struct VerifyArgs {
    /// Bundle files (JSON), folders (every `*.json` under them but openings), or glob patterns
    /// (`'bundles/2026-04-*.json'`, expanded by govproof, so quoting works on every shell).
    /// Several are reported as one table, their proofs checked together.
    #[arg(required = true, value_name = "BUNDLE")]
    pub bundles: Vec<PathBuf>,
    /// The trusted root file: the registry's root document (`root/<v>.json`), obtained out of
    /// band, whose keys' threshold must have signed each bundle's registry snapshot.
    #[arg(long, value_name = "ROOT")]
    pub trust: PathBuf,
    /// A trust state file (as `govproof registry verify --state` keeps): a bundle whose snapshot
    /// is older than the newest one it records is a rollback. Replaced atomically after a valid
    /// bundle; created if absent.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// A policy file (TOML), or a folder of them (`*.toml` but `*.test.toml`); repeatable. Each
    /// bundle is compared with the policy whose hash its proof commits to.
    #[arg(long, value_name = "FILE|DIR")]
    pub policy: Vec<PathBuf>,
    /// The applicant's opening (`opening.json`: features and salt, from the lender) to check
    /// against the bundle's input commitment (one bundle only).
    #[arg(long, value_name = "FILE")]
    pub opening: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: VerifyFormat,
    /// Also write the report as one self-contained HTML page to FILE (replaced atomically).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Accept proofs made with the development setup (its secret is public: they prove nothing,
    /// and their verdict says so: `VALID (development setup: not evidence)`, exit 4).
    #[arg(long = "dev-setup")]
    pub allow_dev_setup: bool,
    /// Also have bb verify every proof and report any disagreement with the in-process
    /// verifier (needs the installed toolchain's bb, or `--bb`).
    #[arg(long)]
    pub cross_check_bb: bool,
    /// The bb binary for `--cross-check-bb` (default: the installed toolchain's; nothing is
    /// installed or downloaded).
    #[arg(long, value_name = "PATH")]
    pub bb: Option<PathBuf>,
}

/// A bundle file, read: its report when it is not a bundle at all (larger than the format
/// allows: the `format` check fails, exit 2), or the reason it could not be read (exit 1).
enum BundleFile {
    Bytes(Vec<u8>),
    NotABundle(Box<Report>),
}

fn read_bundle(path: &Path) -> Result<BundleFile, InputFileError> {
    match read_input(path, "bundle", MAX_BUNDLE_BYTES as u64) {
        Ok(bytes) => Ok(BundleFile::Bytes(bytes)),
        Err(InputFileError::TooLarge { limit, .. }) => {
            Ok(BundleFile::NotABundle(Box::new(Report::format_failure(
                format!("the document is larger than the format's limit of {limit} bytes"),
                None,
            ))))
        }
        Err(e) => Err(e),
    }
}

/// Whether `arg` is a pattern to expand rather than a path (it does not exist as given and
/// holds a glob character).
fn is_pattern(arg: &Path) -> bool {
    !arg.exists() && arg.to_str().is_some_and(|s| s.contains(['*', '?', '[']))
}

/// Whether a file found in a folder or by a pattern is taken for a bundle: `*.json`, but not
/// an applicant's opening (`opening.json`, `*.opening.json`), which is no bundle and secret.
fn looks_like_bundle(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    name.ends_with(".json") && !name.ends_with("opening.json")
}

/// Every `*.json` file under `dir` (recursively, sorted), openings left out.
fn bundles_in(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the folder `{}`", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot read the folder `{}`", dir.display()))?;
    entries.sort();
    for path in entries {
        // `symlink_metadata`: a link is not followed into another folder (no loops).
        let meta = std::fs::symlink_metadata(&path)
            .with_context(|| format!("cannot read `{}`", path.display()))?;
        if meta.is_dir() {
            bundles_in(&path, out)?;
        } else if looks_like_bundle(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// The bundle files the arguments name: files as given, folders and patterns expanded (each
/// sorted). A folder or pattern that yields no bundle is an error; a file that does not exist
/// stays, to be reported as unreadable.
pub fn expand_bundles(args: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for arg in args {
        let before = out.len();
        if is_pattern(arg) {
            let pattern = arg.to_string_lossy();
            let paths = glob::glob(&pattern)
                .map_err(|e| anyhow::anyhow!("the pattern `{pattern}` is not valid: {}", e.msg))?;
            let mut found = Vec::new();
            for p in paths {
                let p = p.map_err(|e| {
                    anyhow::anyhow!("cannot read `{}`: {}", e.path().display(), e.error())
                })?;
                if p.is_dir() {
                    bundles_in(&p, &mut found)?;
                } else if looks_like_bundle(&p) {
                    found.push(p);
                }
            }
            found.sort();
            out.extend(found);
            if out.len() == before {
                anyhow::bail!("no bundle matches the pattern `{pattern}`");
            }
        } else if arg.is_dir() {
            bundles_in(arg, &mut out)?;
            if out.len() == before {
                anyhow::bail!("the folder `{}` holds no bundle (`*.json`)", arg.display());
            }
        } else {
            out.push(arg.clone());
        }
    }
    Ok(out)
}

/// Reads and bootstraps the trust root, and reads the trust state file when there is one. The
/// state is checked again as it is read: its chain of roots must be properly signed and contain
/// the `--trust` root, so it can hold no root that this one did not reach through signed
/// rotations; a state that does not is an error (could not check), never a silent replacement.
fn trust(args: &VerifyArgs) -> anyhow::Result<TrustState> {
    let root = crate::registry::read_root_file(&args.trust)?;
    let anchored = TrustState::bootstrap(root.clone()).with_context(|| {
        format!(
            "`{}` is not signed by its own threshold",
            args.trust.display()
        )
    })?;
    let Some(path) = &args.state else {
        return Ok(anchored);
    };
    if !path.exists() {
        return Ok(anchored);
    }
    Ok(TrustState::read(path, Some(&root))?)
}

fn policy(path: &Path, err: &mut dyn Write) -> anyhow::Result<Policy> {
    let text = read_input_text(path, "policy", MAX_POLICY_BYTES)?;
    let source = SourceFile::new(path.display().to_string(), text);
    let checked = check(&source, &CheckOptions::default());
    match checked.policy {
        Some(p) => Ok(p),
        None => {
            err.write_all(checked.diagnostics.render(&source).as_bytes())?;
            anyhow::bail!(
                "the policy `{}` has errors: {}",
                path.display(),
                checked.diagnostics.summary()
            )
        }
    }
}

/// The policy files of `--policy`: each file, and each folder's `*.toml` (not `*.test.toml`,
/// which are test cases), sorted. Any file with errors stops the run.
fn policies(args: &VerifyArgs, err: &mut dyn Write) -> anyhow::Result<PolicySet> {
    let mut files = Vec::new();
    for arg in &args.policy {
        if arg.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(arg)
                .with_context(|| format!("cannot read the folder `{}`", arg.display()))?
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<_, _>>()
                .with_context(|| format!("cannot read the folder `{}`", arg.display()))?;
            found.retain(|p| {
                p.is_file()
                    && p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.ends_with(".toml") && !n.ends_with(".test.toml"))
            });
            found.sort();
            if found.is_empty() {
                anyhow::bail!(
                    "the folder `{}` holds no policy file (`*.toml`)",
                    arg.display()
                );
            }
            files.extend(found);
        } else {
            files.push(arg.clone());
        }
    }
    let mut given = Vec::new();
    for f in files {
        given.push(GivenPolicy {
            policy: policy(&f, err)?,
            file: f.display().to_string(),
        });
    }
    Ok(PolicySet::new(given))
}

/// Where the verifier keeps its one-point CRS folders and its development bb.
pub fn verifier_work_dir(home: &Path) -> PathBuf {
    home.join("verifier")
}

/// Runs `govproof verify`.
///
/// The verdict, the printed report and the exit code come from one outcome: the trust state
/// (with `--state`) is written before anything is printed, and a failure to write it is that
/// outcome ("could not check", exit 1), never a "valid" report followed by an error.
pub fn run_verify(
    args: VerifyArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Exit> {
    let files = expand_bundles(&args.bundles)?;
    if files.len() > 1 && args.opening.is_some() {
        anyhow::bail!("`--opening` belongs to one bundle: give a single bundle with it");
    }
    // A single bundle that cannot be read is an error (exit 1); in a batch it is one bundle that
    // could not be checked, and the others are still checked.
    let single = files.len() == 1;
    let first = if single {
        Some(read_bundle(&files[0])?)
    } else {
        None
    };
    let trust = trust(&args)?;
    let policies = policies(&args, err)?;
    let about = About::new(&trust, &policies);
    let opening = args
        .opening
        .as_deref()
        .map(|p| {
            let bytes = read_input(p, "opening", MAX_OPENING_BYTES as u64)?;
            InputOpening::from_json(&bytes)
                .with_context(|| format!("cannot use the opening `{}`", p.display()))
        })
        .transpose()?;
    let home = govproof::toolchain::home()?;
    let acceptance = if args.allow_dev_setup {
        dangerous::accept_development_proofs()
    } else {
        AcceptancePolicy::ignition_only()
    };
    let mut verifier = BundleVerifier::new(VerifyOptions {
        trust,
        policy: None,
        acceptance,
        bb: args.bb.clone(),
        work_dir: verifier_work_dir(&home),
        ignition_crs: Some(crate::example::ignition_dir(&home)),
    });
    if args.cross_check_bb {
        verifier = verifier.cross_check_with_bb();
    }

    let mut entries: Vec<Entry> = Vec::with_capacity(files.len());
    if let Some(file) = first {
        let report = match file {
            BundleFile::Bytes(bytes) => {
                verifier.set_policy(policies.for_document(&bytes));
                verifier.verify_opened(&bytes, opening.as_ref())
            }
            BundleFile::NotABundle(report) => *report,
        };
        entries.push((files[0].display().to_string(), Ok(report)));
    } else {
        for chunk in files.chunks(CHUNK) {
            let mut read: Vec<(usize, Vec<u8>)> = Vec::new();
            let base = entries.len();
            for (i, path) in chunk.iter().enumerate() {
                let shown = path.display().to_string();
                match read_bundle(path) {
                    Ok(BundleFile::Bytes(bytes)) => {
                        read.push((base + i, bytes));
                        entries.push((shown, Err(String::new())));
                    }
                    Ok(BundleFile::NotABundle(report)) => entries.push((shown, Ok(*report))),
                    Err(e) => entries.push((shown, Err(e.to_string()))),
                }
            }
            let docs: Vec<&[u8]> = read.iter().map(|(_, b)| b.as_slice()).collect();
            let mut pick = |bytes: &[u8]| policies.for_document(bytes);
            let reports = verifier.verify_many(&docs, Some(&mut pick));
            for ((index, _), report) in read.iter().zip(reports) {
                entries[*index].1 = Ok(report);
            }
        }
    }

    let state_error = advance_state(&args, &mut entries, err);
    let portfolio = Portfolio::new(about, &policies, &entries, state_error);
    if let Some(path) = &args.html {
        write_atomic(
            path,
            "report",
            portfolio.render(ReportFormat::Html).as_bytes(),
            DOCUMENT_MODE,
            Replace::Allow,
        )
        .with_context(|| format!("cannot write the HTML report `{}`", path.display()))?;
    }
    match (single, args.format) {
        (true, VerifyFormat::Text) => {
            if let (_, Ok(report)) = &entries[0] {
                out.write_all(portfolio.about().render_text().as_bytes())?;
                writeln!(out)?;
                print_report(report, &files[0], false, out)?;
            }
        }
        (true, VerifyFormat::Json) => {
            if let (_, Ok(report)) = &entries[0] {
                let mut doc = report.to_json();
                doc["bundle"] = serde_json::json!(files[0].display().to_string());
                doc["about"] = portfolio.about().to_json();
                writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
            }
        }
        (_, format) => out.write_all(portfolio.render(format.report_format()).as_bytes())?,
    }
    Ok(exit_of(portfolio.totals().result))
}

/// Advances the trust state file (when one was given) to the newest snapshot among the bundles
/// whose proof holds (each was checked against the state as given, so their order does not
/// matter); not at all when valid bundles show a fork. When it cannot be written, every bundle
/// that would have advanced it could not be fully checked, and the reason is returned.
fn advance_state(args: &VerifyArgs, entries: &mut [Entry], err: &mut dyn Write) -> Option<String> {
    let path = args.state.as_ref()?;
    if !govproof::bundle::portfolio::forks(entries).is_empty() {
        return None;
    }
    let next = entries
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok()?.next_trust())
        .max_by_key(|t| t.last_snapshot().map_or(0, |s| s.version.get()))?
        .clone();
    let written = (|| -> anyhow::Result<()> {
        let mut text = serde_json::to_string_pretty(&next)?;
        text.push('\n');
        write_atomic(
            path,
            "trust",
            text.as_bytes(),
            DOCUMENT_MODE,
            Replace::Allow,
        )
        .with_context(|| format!("cannot write the trust state `{}`", path.display()))?;
        writeln!(
            err,
            "trust state `{}` updated: newest accepted snapshot {}",
            path.display(),
            next.last_snapshot().map_or(0, |s| s.version.get())
        )?;
        Ok(())
    })();
    let e = written.err()?;
    let detail = format!("{e:#}");
    for (_, r) in entries.iter_mut() {
        if let Ok(report) = r {
            if report.next_trust().is_some() {
                report.set_state_error(detail.clone());
            }
        }
    }
    Some(detail)
}

/// Prints a report as `govproof verify` does.
pub fn print_report(
    report: &Report,
    bundle: &Path,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if json {
        let mut doc = report.to_json();
        doc["bundle"] = serde_json::json!(bundle.display().to_string());
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        writeln!(out, "bundle     {}", bundle.display())?;
        out.write_all(report.render_text().as_bytes())?;
    }
    Ok(())
}

/// The exit code of a verdict.
pub fn exit_of(verdict: Verdict) -> Exit {
    match verdict {
        Verdict::Valid => Exit::Success,
        Verdict::Invalid => Exit::Rejected,
        Verdict::CouldNotCheck => Exit::Error,
        Verdict::ValidPolicyNotChecked => Exit::PolicyNotChecked,
        Verdict::ValidDevelopmentSetup => Exit::DevelopmentSetup,
    }
}

/// Arguments of `govproof export-verifier`.
#[derive(Debug, Clone, clap::Args)]
pub struct ExportArgs {
    /// Write the Solidity verifier contract (verifies `evm`-target proofs on chain).
    #[arg(long, required = true)]
    pub solidity: bool,
    /// The circuit whose verifier to write.
    #[arg(long, default_value = "mlp-24x16-d20-b8-s16-p8-m4")]
    pub circuit: String,
    /// Where to write the contract (refuses to replace an existing file).
    #[arg(long, short, value_name = "FILE")]
    pub out: PathBuf,
    /// A contract for the development setup: it accepts forged proofs (local test chains only).
    #[arg(long)]
    pub dev_setup: bool,
    /// The bb binary (default: the installed toolchain's).
    #[arg(long, value_name = "PATH")]
    pub bb: Option<PathBuf>,
}

/// Runs `govproof export-verifier`.
pub fn run_export(args: ExportArgs, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let home = govproof::toolchain::home()?;
    let (setup, g2) = if args.dev_setup {
        let dev = dangerous::development_setup(&home.join("setups").join("development"))?;
        (dev.id(), dev.g2_bytes())
    } else {
        (
            govproof::setup::SetupId::Ignition,
            govproof::setup::CANONICAL_IGNITION_G2,
        )
    };
    let work = verifier_work_dir(&home);
    let crs = crate::example::ignition_dir(&home);
    let lookup = govproof::bundle::KeyLookup {
        bb: args.bb.as_deref(),
        work_dir: &work,
        ignition_crs: Some(&crs),
    };
    let contract =
        govproof::bundle::solidity::solidity_verifier(&args.circuit, setup, &g2, &lookup)?;
    write_atomic(
        &args.out,
        "verifier",
        contract.as_bytes(),
        DOCUMENT_MODE,
        Replace::Never,
    )?;
    writeln!(
        out,
        "wrote the Solidity verifier of `{}` for the {} setup to `{}` ({} bytes); it verifies \
         bundles proved with target `evm`",
        args.circuit,
        setup.kind(),
        args.out.display(),
        contract.len()
    )?;
    Ok(Exit::Success)
}
