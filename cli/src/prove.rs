//! `govproof prove`: one decision (`--application FILE -o bundle.json`) or many (`--applications
//! FILE.jsonl --out-dir DIR`, proved through the prover pool) from a registry folder, its trusted
//! root, a policy, a `.govproof` model file and applications in JSON, through the SDK's public
//! decision path ([`govproof::decide::DecisionContext`]).
//!
//! Each proved decision writes a bundle (mode 0644) and its opening (features and salt, mode
//! 0600), both atomically, and both or neither. Exit 0 when every decision was proved, 2 when
//! one was refused by the policy or the registry (the refusal names each reason), 1 when one
//! could not be done (a bad file, bb failed).

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::Context;

use govproof::decide::{
    load, Application, ContextOptions, Decided, DecisionContext, DecisionParts, Proved,
};
use govproof::prover::pool::PoolConfig;
use govproof::registry::Timestamp;
use govproof::setup::{dangerous, CrsDownloads, Setup};
use govproof::toolchain::{self, InstallPolicy};

use crate::Exit;

/// How a command prints its results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Lines for a person.
    #[default]
    Text,
    /// One JSON document (for tools).
    Json,
}

/// Arguments of `govproof prove`.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["application", "applications"])))]
pub struct ProveArgs {
    #[command(flatten)]
    pub sources: ProofSources,
    /// One application (JSON, features by name); needs `-o`.
    #[arg(
        long,
        value_name = "FILE",
        requires = "out",
        conflicts_with = "out_dir"
    )]
    pub application: Option<PathBuf>,
    /// Many applications, one JSON object per line; needs `--out-dir`.
    #[arg(
        long,
        value_name = "FILE",
        requires = "out_dir",
        conflicts_with = "out"
    )]
    pub applications: Option<PathBuf>,
    /// Where to write the bundle; the opening goes beside it as `<name>.opening.json`.
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Where to write one bundle and one opening per application (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    #[command(flatten)]
    pub proving: ProvingOptions,
}

/// What a proof is made from: the registry, its trusted root, the policy and the model (the
/// flags `govproof prove` and `govproof audit prove` share, in this order).
#[derive(Debug, Clone, clap::Args)]
pub struct ProofSources {
    /// The registry folder the model is approved in.
    #[arg(long, value_name = "DIR")]
    pub registry: PathBuf,
    /// The trusted root file: the registry's root document (`root.json`), obtained out of band
    /// (`--trust` means this in every command).
    #[arg(long, value_name = "ROOT")]
    pub trust: PathBuf,
    /// The policy (TOML).
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,
    /// The model file (`.govproof`, from `govproof model import`).
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
}

/// How proofs are made and reported (the flags `govproof prove` and `govproof audit prove`
/// share, in this order; `audit prove` states its own help for `--dev-setup`, `--now` and
/// `--workers`, which mean a little less there).
#[derive(Debug, Clone, clap::Args)]
pub struct ProvingOptions {
    /// Prove with the development setup: its secret is public, so the proof proves nothing
    /// (for trying govproof offline; `govproof verify` refuses it without `--dev-setup`).
    #[arg(long)]
    pub dev_setup: bool,
    /// The decision time of applications that name none, and the time the registry is checked
    /// at (RFC 3339; default: now).
    #[arg(long)]
    pub now: Option<Timestamp>,
    /// The bb binary (default: the installed pinned toolchain's).
    #[arg(long, value_name = "PATH")]
    pub bb: Option<PathBuf>,
    /// Provers working at once for `--applications` (default: one per core).
    #[arg(long, value_name = "N")]
    pub workers: Option<std::num::NonZeroUsize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Where a bundle's opening is written: `bundle.json` -> `bundle.opening.json`.
pub fn opening_path(bundle: &Path) -> PathBuf {
    let stem = bundle
        .file_stem()
        .map_or_else(|| "bundle".into(), |s| s.to_string_lossy().into_owned());
    bundle.with_file_name(format!("{stem}.opening.json"))
}

/// Writes the bundle (0644) and the opening (0600) of `proved`, both atomically and both or
/// neither: each is written to a temporary file first, and the bundle is removed again if the
/// opening cannot be put in place.
pub fn write_proved(proved: &Proved, bundle: &Path, opening: &Path) -> anyhow::Result<()> {
    use govproof::toolchain::atomic::{parent_dir, sync_dir};
    let stage = |path: &Path, bytes: &[u8], mode: u32| -> anyhow::Result<tempfile::NamedTempFile> {
        let dir = parent_dir(path);
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".govproof-tmp-")
            .tempfile_in(dir)
            .with_context(|| format!("cannot write in `{}`", dir.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(mode))?;
        }
        #[cfg(not(unix))]
        let _ = mode;
        tmp.write_all(bytes)
            .and_then(|()| tmp.as_file().sync_all())
            .with_context(|| format!("cannot write `{}`", path.display()))?;
        Ok(tmp)
    };
    let bundle_tmp = stage(bundle, proved.bundle.to_json_pretty().as_bytes(), 0o644)?;
    let opening_tmp = stage(opening, proved.opening.to_json_pretty().as_bytes(), 0o600)?;
    bundle_tmp
        .persist(bundle)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write `{}`", bundle.display()))?;
    if let Err(e) = opening_tmp.persist(opening) {
        let _ = std::fs::remove_file(bundle);
        return Err(
            anyhow::Error::new(e.error).context(format!("cannot write `{}`", opening.display()))
        );
    }
    for dir in [parent_dir(bundle), parent_dir(opening)] {
        sync_dir(dir).with_context(|| format!("cannot flush `{}`", dir.display()))?;
    }
    Ok(())
}

/// The decision context `govproof prove` builds from its arguments (also `govproof audit prove`'s).
pub fn context(
    sources: &ProofSources,
    proving: &ProvingOptions,
    now: Timestamp,
    err: &mut dyn Write,
) -> anyhow::Result<DecisionContext> {
    let policy = match load::policy(&sources.policy, Some(now)) {
        Ok(p) => p,
        Err(e) => {
            err.write_all(e.diagnostics().as_bytes())?;
            return Err(e.into());
        }
    };
    let model = load::model(&sources.model)?;
    let registry = load::registry(&sources.registry, &sources.trust, now)?;
    let home = toolchain::home()?;
    let bb = match &proving.bb {
        Some(bb) => bb.clone(),
        None => toolchain::ensure(&home, InstallPolicy::InstallIfMissing, &mut |m| {
            let _ = writeln!(err, "{m}");
        })?
        .bb(),
    };
    let setup = if proving.dev_setup {
        dangerous::development_setup(&home.join("setups").join("development"))?
    } else {
        Setup::ignition(&crate::example::ignition_dir(&home), CrsDownloads::Allowed).context(
            "no usable Ignition points: import them with `govproof setup --import-crs DIR`, let \
             bb download them, or prove with --dev-setup (proves nothing)",
        )?
    };
    Ok(DecisionContext::with_options(
        DecisionParts {
            registry,
            policy,
            model,
            setup,
        },
        ContextOptions {
            bb: Some(bb),
            cache_dir: Some(home.join("cache")),
            ..ContextOptions::default()
        },
    )?)
}

/// Runs `govproof prove`.
pub fn run(args: ProveArgs, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<Exit> {
    let now = args.proving.now.unwrap_or_else(Timestamp::now);
    if args.proving.dev_setup {
        writeln!(
            err,
            "warning: the development setup's secret is public: these proofs prove nothing"
        )?;
    }
    match (
        &args.application,
        &args.out,
        &args.applications,
        &args.out_dir,
    ) {
        (Some(app), Some(dest), None, None) => {
            let context = context(&args.sources, &args.proving, now, err)?;
            let application = load::application(app, context.policy(), now)?;
            let mut prover = context.prover()?;
            let decided = context.decide(&application, &mut prover)?;
            report_one(&args, &application, decided, dest, out)
        }
        (None, None, Some(apps), Some(dir)) => {
            let context = context(&args.sources, &args.proving, now, err)?;
            let loaded = load::applications(apps, context.policy(), now)?;
            prove_many(&args, &context, loaded, dir, out, err)
        }
        _ => anyhow::bail!(
            "give `--application FILE -o BUNDLE` or `--applications FILE --out-dir DIR`"
        ),
    }
}

fn report_one(
    args: &ProveArgs,
    application: &Application,
    decided: Decided,
    dest: &Path,
    out: &mut dyn Write,
) -> anyhow::Result<Exit> {
    match decided {
        Decided::Proved(proved) => {
            let opening = opening_path(dest);
            write_proved(&proved, dest, &opening)?;
            match args.proving.format {
                Format::Text => writeln!(
                    out,
                    "proved decision `{}`: {} (checks {} ms, witness {} ms, proof {} ms)\nwrote {} and {} (mode 0600: keep it for the applicant)",
                    application.decision_id,
                    proved.bundle.decision.outcome,
                    proved.timings.checks.as_millis(),
                    proved.timings.witness.as_millis(),
                    proved.timings.proof.as_millis(),
                    dest.display(),
                    opening.display()
                )?,
                Format::Json => {
                    let doc = proved_json(application, &proved, dest, &opening);
                    writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
                }
            }
            Ok(Exit::Success)
        }
        Decided::Refused(refusal) => {
            match args.proving.format {
                Format::Text => writeln!(out, "{refusal}")?,
                Format::Json => {
                    let doc = refused_json(&refusal);
                    writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
                }
            }
            Ok(Exit::Rejected)
        }
    }
}

fn proved_json(
    application: &Application,
    proved: &Proved,
    bundle: &Path,
    opening: &Path,
) -> serde_json::Value {
    serde_json::json!({
        "decision_id": application.decision_id.as_str(),
        "status": "proved",
        "outcome": proved.bundle.decision.outcome.to_string(),
        "bundle": bundle.display().to_string(),
        "opening": opening.display().to_string(),
        "timings_ms": {
            "checks": proved.timings.checks.as_secs_f64() * 1e3,
            "witness": proved.timings.witness.as_secs_f64() * 1e3,
            "proof": proved.timings.proof.as_secs_f64() * 1e3,
        },
    })
}

fn refused_json(refusal: &govproof::decide::Refusal) -> serde_json::Value {
    serde_json::json!({
        "decision_id": refusal.decision_id.as_str(),
        "status": "refused",
        "reasons": refusal.reasons.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}

/// A file name for a decision's files: the decision id when it is a plain name, otherwise
/// `line-<n>`.
fn file_stem(application: &Application, line: usize) -> String {
    let id = application.decision_id.as_str();
    let plain = !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if plain {
        id.to_string()
    } else {
        format!("line-{line}")
    }
}

enum Answer {
    Proved {
        json: serde_json::Value,
        text: String,
    },
    Refused(govproof::decide::Refusal),
    Failed(String),
}

fn prove_many(
    args: &ProveArgs,
    context: &DecisionContext,
    loaded: Vec<(usize, Result<Application, load::LoadError>)>,
    dir: &Path,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Exit> {
    let started = Instant::now();
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let total = loaded.len();
    let mut answers: Vec<Option<(usize, Answer)>> = (0..total).map(|_| None).collect();
    // What needs proving; bad lines and repeated decision ids are answered at once.
    let mut seen = HashSet::new();
    let mut work = Vec::new();
    for (index, (line, result)) in loaded.into_iter().enumerate() {
        match result {
            Err(e) => answers[index] = Some((line, Answer::Failed(e.to_string()))),
            Ok(app) if !seen.insert(app.decision_id.clone()) => {
                answers[index] = Some((
                    line,
                    Answer::Failed(format!(
                        "line {line}: decision id `{}` appears more than once",
                        app.decision_id
                    )),
                ));
            }
            Ok(app) => work.push((index, line, app)),
        }
    }
    let mut config = PoolConfig::new().request_timeout(std::time::Duration::from_secs(600));
    if let Some(w) = args.proving.workers {
        config = config.workers(w);
    }
    let pool = context.pool(config)?;
    let workers = pool.config().worker_count().get();
    let queue = Mutex::new(work.into_iter());
    let (tx, rx) = mpsc::channel::<(usize, usize, Answer)>();
    let mut done = answers.iter().filter(|a| a.is_some()).count();
    std::thread::scope(|scope| -> anyhow::Result<()> {
        for _ in 0..workers {
            let tx = tx.clone();
            let (queue, pool) = (&queue, &pool);
            scope.spawn(move || loop {
                let next = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
                let Some((index, line, app)) = next else {
                    break;
                };
                let answer = match context.decide(&app, &mut &*pool) {
                    Err(e) => Answer::Failed(format!("line {line}: {e}")),
                    Ok(Decided::Refused(r)) => Answer::Refused(r),
                    Ok(Decided::Proved(proved)) => {
                        let stem = file_stem(&app, line);
                        let bundle = dir.join(format!("{stem}.bundle.json"));
                        let opening = dir.join(format!("{stem}.opening.json"));
                        match write_proved(&proved, &bundle, &opening) {
                            Err(e) => Answer::Failed(format!("line {line}: {e:#}")),
                            Ok(()) => Answer::Proved {
                                json: proved_json(&app, &proved, &bundle, &opening),
                                text: format!(
                                    "line {line}: proved `{}`: {} ({})",
                                    app.decision_id,
                                    proved.bundle.decision.outcome,
                                    bundle.display()
                                ),
                            },
                        }
                    }
                };
                if tx.send((index, line, answer)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        for (index, line, answer) in rx {
            answers[index] = Some((line, answer));
            done += 1;
            write!(err, "\rproving: {done}/{total} done")?;
            err.flush()?;
        }
        Ok(())
    })?;
    if total > 0 {
        writeln!(err)?;
    }

    let (mut proved, mut refused, mut failed) = (0, 0, 0);
    let mut results = Vec::new();
    for (line, answer) in answers.into_iter().flatten() {
        match answer {
            Answer::Proved { json, text, .. } => {
                proved += 1;
                if args.proving.format == Format::Text {
                    writeln!(out, "{text}")?;
                }
                results.push(json);
            }
            Answer::Refused(r) => {
                refused += 1;
                if args.proving.format == Format::Text {
                    writeln!(out, "line {line}: {r}")?;
                }
                let mut json = refused_json(&r);
                json["line"] = line.into();
                results.push(json);
            }
            Answer::Failed(e) => {
                failed += 1;
                if args.proving.format == Format::Text {
                    writeln!(out, "error: {e}")?;
                }
                results.push(serde_json::json!({ "line": line, "status": "failed", "error": e }));
            }
        }
    }
    let elapsed = started.elapsed();
    match args.proving.format {
        Format::Text => writeln!(
            out,
            "{total} applications: {proved} proved, {refused} refused, {failed} failed ({:.1} s, {workers} provers)",
            elapsed.as_secs_f64()
        )?,
        Format::Json => {
            let doc = serde_json::json!({
                "applications": total,
                "proved": proved,
                "refused": refused,
                "failed": failed,
                "seconds": elapsed.as_secs_f64(),
                "results": results,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
    }
    Ok(if failed > 0 {
        Exit::Error
    } else if refused > 0 {
        Exit::Rejected
    } else {
        Exit::Success
    })
}
