//! `govproof verify` (the bundled verifier regulators run) and `govproof export-verifier`.
//!
//! `verify` reads a bundle, the registry's trusted root document, optionally a trust state file
//! (rollback protection) and a policy file, runs every check of [`govproof::bundle::verify`], and
//! prints the report (`--format text`, or `--format json`). Exit codes: 0 valid, 2 invalid, 1 could
//! not check (usage, unreadable inputs, a missing bb, a trust state that could not be written),
//! 3 valid but the policy not checked (no `--policy`: the policy's id and version and the
//! outcome's names are the lender's words). It needs bb and nothing else.
//!
//! Every input file is read with [`read_input`]: only regular files, at most their limit.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::policy::Format;
use govproof::bundle::{BundleVerifier, Report, Verdict, VerifyOptions, MAX_BUNDLE_BYTES};
use govproof::decide::{InputOpening, MAX_OPENING_BYTES};
use govproof::input_file::{read_input, read_input_text, InputFileError};
use govproof::policy::{check, CheckOptions, Policy, SourceFile, MAX_POLICY_BYTES};
use govproof::registry::durable::{write_atomic, Replace, DOCUMENT_MODE};
use govproof::registry::TrustState;
use govproof::setup::{dangerous, AcceptancePolicy};

use crate::Exit;

/// Arguments of `govproof verify`.
#[derive(Debug, Clone, clap::Args)]
pub struct VerifyArgs {
    /// The bundle file (JSON); several are checked with one warm bb, each reported, then a
    /// summary.
    #[arg(required = true, value_name = "BUNDLE")]
    pub bundles: Vec<PathBuf>,
    /// The registry's root document (`root/<v>.json`), obtained out of band: the keys whose
    /// threshold must have signed the bundle's registry snapshot.
    #[arg(long, value_name = "ROOT")]
    pub trust: PathBuf,
    /// A trust state file (as `govproof registry verify` keeps): a bundle whose snapshot is older
    /// than the newest one it records is a rollback. Replaced atomically after a valid bundle;
    /// created if absent.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// The policy file (TOML) to compare with the policy the proof commits to.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// The applicant's opening (`opening.json`: features and salt, from the lender) to check
    /// against the bundle's input commitment.
    #[arg(long, value_name = "FILE")]
    pub opening: Option<PathBuf>,
    /// Output format: `text` for people, `json` for tools.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Accept proofs made with the development setup (its secret is public: they prove nothing).
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
    if args.bundles.len() > 1 && args.opening.is_some() {
        anyhow::bail!("`--opening` belongs to one bundle: give a single bundle with it");
    }
    let json = args.format == Format::Json;
    // A single bundle that cannot be read is an error (exit 1); in a batch it is one bundle that
    // could not be checked, and the others are still checked.
    let single = args.bundles.len() == 1;
    let first = if single {
        Some(read_bundle(&args.bundles[0])?)
    } else {
        None
    };
    let trust = trust(&args)?;
    let policy = args.policy.as_deref().map(|p| policy(p, err)).transpose()?;
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
        policy,
        acceptance,
        bb: args.bb.clone(),
        work_dir: verifier_work_dir(&home),
        ignition_crs: Some(crate::example::ignition_dir(&home)),
    });
    if args.cross_check_bb {
        verifier = verifier.cross_check_with_bb();
    }

    if let Some(file) = first {
        let mut report = match file {
            BundleFile::Bytes(bytes) => verifier.verify_opened(&bytes, opening.as_ref()),
            BundleFile::NotABundle(report) => *report,
        };
        if let Some(next) = report.next_trust().cloned() {
            if let Err(e) = advance_state(&args, &next, err) {
                report.set_state_error(format!("{e:#}"));
            }
        }
        print_report(&report, &args.bundles[0], json, out)?;
        return Ok(exit_of(report.verdict()));
    }

    let mut batch = Batch::default();
    for path in &args.bundles {
        match read_bundle(path) {
            Ok(BundleFile::Bytes(bytes)) => batch.add(path, Ok(verifier.verify(&bytes))),
            Ok(BundleFile::NotABundle(report)) => batch.add(path, Ok(*report)),
            Err(e) => batch.add(path, Err(e.to_string())),
        }
    }
    if let Some(next) = batch.newest_trust().cloned() {
        if let Err(e) = advance_state(&args, &next, err) {
            batch.set_state_error(&format!("{e:#}"));
        }
    }
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&batch.to_json())?)?;
    } else {
        for (path, r) in &batch.results {
            match r {
                Ok(report) => print_report(report, path, false, out)?,
                Err(e) => {
                    writeln!(out, "bundle     {}", path.display())?;
                    writeln!(out, "COULD NOT CHECK: {e}")?;
                }
            }
            writeln!(out)?;
        }
        out.write_all(batch.summary_text().as_bytes())?;
    }
    Ok(batch.exit())
}

/// Replaces the trust state file (when one was given) with `next`, atomically.
fn advance_state(args: &VerifyArgs, next: &TrustState, err: &mut dyn Write) -> anyhow::Result<()> {
    let Some(path) = &args.state else {
        return Ok(());
    };
    let mut text = serde_json::to_string_pretty(next)?;
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
}

/// The reports of a batch, and what they say together.
#[derive(Default)]
struct Batch {
    results: Vec<(PathBuf, Result<Report, String>)>,
    /// The Merkle roots bundles whose proof holds show for each snapshot version.
    roots: std::collections::BTreeMap<u64, Vec<govproof::field::Field>>,
    /// Why the trust state could not be written, if it could not.
    state_error: Option<String>,
}

impl Batch {
    fn add(&mut self, path: &Path, result: Result<Report, String>) {
        if let Ok(report) = &result {
            if let (true, Some(b)) = (report.verdict().proof_holds(), report.bundle()) {
                let snap = &b.registry.snapshot.signed;
                let roots = self.roots.entry(snap.version().get()).or_default();
                if !roots.contains(&snap.merkle_root()) {
                    roots.push(snap.merkle_root());
                }
            }
        }
        self.results.push((path.to_path_buf(), result));
    }

    /// The trust state was not written: every bundle that would have advanced it could not be
    /// fully checked (the same rule as for one bundle), and the run's outcome says so.
    fn set_state_error(&mut self, detail: &str) {
        for (_, r) in &mut self.results {
            if let Ok(report) = r {
                if report.next_trust().is_some() {
                    report.set_state_error(detail);
                }
            }
        }
        self.state_error = Some(detail.to_string());
    }

    fn verdict(result: &Result<Report, String>) -> Verdict {
        match result {
            Ok(report) => report.verdict(),
            Err(_) => Verdict::CouldNotCheck,
        }
    }

    fn count(&self, verdict: Verdict) -> usize {
        self.results
            .iter()
            .filter(|(_, r)| Self::verdict(r) == verdict)
            .count()
    }

    /// Snapshot versions that bundles show with different Merkle roots: the governance keys
    /// signed two registries under one version (a fork), which no single bundle reveals.
    fn forks(&self) -> impl Iterator<Item = (&u64, &Vec<govproof::field::Field>)> {
        self.roots.iter().filter(|(_, r)| r.len() > 1)
    }

    /// The trust state after the newest snapshot among the bundles whose proof holds (every
    /// bundle was checked against the state as given, so their order does not matter); none when
    /// a fork was seen.
    fn newest_trust(&self) -> Option<&TrustState> {
        if self.forks().next().is_some() {
            return None;
        }
        self.results
            .iter()
            .filter_map(|(_, r)| r.as_ref().ok()?.next_trust())
            .max_by_key(|t| t.last_snapshot().map_or(0, |s| s.version.get()))
    }

    /// The worst verdict of the batch (a fork makes it invalid).
    fn worst(&self) -> Verdict {
        let worst = self
            .results
            .iter()
            .map(|(_, r)| Self::verdict(r))
            .max_by_key(Verdict::severity)
            .unwrap_or(Verdict::Valid);
        if self.forks().next().is_some() {
            Verdict::Invalid
        } else {
            worst
        }
    }

    fn exit(&self) -> Exit {
        exit_of(self.worst())
    }

    fn summary_text(&self) -> String {
        let mut s = format!(
            "{} bundles: {} valid, {} valid with the policy not checked, {} invalid, {} could not \
             be checked\n",
            self.results.len(),
            self.count(Verdict::Valid),
            self.count(Verdict::ValidPolicyNotChecked),
            self.count(Verdict::Invalid),
            self.count(Verdict::CouldNotCheck)
        );
        for (path, r) in &self.results {
            let verdict = match r {
                Ok(report) => match report.verdict() {
                    Verdict::Valid => continue,
                    Verdict::ValidPolicyNotChecked => "VALID (policy not checked)".to_string(),
                    Verdict::Invalid => {
                        let failed: Vec<&str> =
                            report.failed().iter().map(|c| c.as_str()).collect();
                        format!("INVALID (failed {})", failed.join(", "))
                    }
                    Verdict::CouldNotCheck => "COULD NOT CHECK".to_string(),
                },
                Err(_) => "COULD NOT CHECK (unreadable)".to_string(),
            };
            s.push_str(&format!("  {verdict}  {}\n", path.display()));
        }
        for (version, roots) in self.forks() {
            let roots: Vec<String> = roots.iter().map(|r| r.to_string()).collect();
            s.push_str(&format!(
                "FORK: valid bundles show snapshot {version} with {} different Merkle roots ({}): \
                 the governance keys signed two registries under one version\n",
                roots.len(),
                roots.join(", ")
            ));
        }
        if let Some(e) = &self.state_error {
            s.push_str(&format!(
                "COULD NOT CHECK: the trust state was not written ({e})\n"
            ));
        }
        if self.count(Verdict::ValidPolicyNotChecked) > 0 {
            s.push_str(
                "without the policy file (--policy) the policy's id and version and the \
                 outcome's names are the lender's words, not checked\n",
            );
        }
        s
    }

    fn to_json(&self) -> serde_json::Value {
        let bundles: Vec<serde_json::Value> = self
            .results
            .iter()
            .map(|(path, r)| match r {
                Ok(report) => {
                    let mut doc = report.to_json();
                    doc["bundle"] = serde_json::json!(path.display().to_string());
                    doc
                }
                Err(e) => serde_json::json!({
                    "bundle": path.display().to_string(),
                    "result": Verdict::CouldNotCheck.as_str(),
                    "exit_code": Verdict::CouldNotCheck as u8,
                    "error": e,
                }),
            })
            .collect();
        let forks: Vec<serde_json::Value> = self
            .forks()
            .map(|(version, roots)| serde_json::json!({"snapshot_version": version, "merkle_roots": roots}))
            .collect();
        let mut summary = serde_json::json!({
            "total": self.results.len(),
            "valid": self.count(Verdict::Valid),
            "valid_policy_not_checked": self.count(Verdict::ValidPolicyNotChecked),
            "invalid": self.count(Verdict::Invalid),
            "could_not_check": self.count(Verdict::CouldNotCheck),
            "forks": forks,
            "result": self.worst().as_str(),
            "exit_code": self.exit() as u8,
        });
        if let Some(e) = &self.state_error {
            summary["state_error"] = serde_json::json!(e);
        }
        serde_json::json!({"bundles": bundles, "summary": summary})
    }
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
