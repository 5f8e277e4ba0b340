//! `govproof audit prove` and `govproof audit verify`: a thin layer over [`govproof::audit`].
//!
//! `prove` runs every row of an auditor's request through the registered model on the warm
//! prover pool (one worker per core), shows progress on stderr, keeps each finished row in the
//! work file beside the output (so a rerun after a crash proves only the rest), and writes one
//! audit file atomically. Exit 0 when every row was proved, 2 when the lender's policy or
//! registry refused a row (the audit file records why and claims no figures), 1 on an error.
//!
//! `verify` checks the audit file against the auditor's own request, the trusted root and the
//! policy, recomputes the figures from the proofs and compares them with the claims. Exit codes
//! as `govproof verify`: 0 valid, 2 invalid (every reason named with its rows), 1 could not
//! check, 4 valid but made with the development setup (not evidence: only with `--dev-setup`).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use govproof::audit::{self, AuditCheck, AuditFile, Request};
use govproof::bundle::{Verdict, VerifyOptions};
use govproof::decide::load;
use govproof::prover::pool::PoolConfig;
use govproof::registry::Timestamp;
use govproof::setup::{dangerous, AcceptancePolicy};

use crate::prove::{Format, ProofSources, ProvingOptions};
use crate::Exit;

/// `govproof audit ...`
#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Prove every row of an audit request with the registered model into one audit file
    /// (resumable: a rerun proves only the rows not done).
    Prove(AuditProveArgs),
    /// Check an audit file against the request: every bundle, every row, the figures recomputed
    /// from the proofs (exit 0 valid, 2 invalid, 1 could not check, 4 development setup).
    Verify(AuditVerifyArgs),
}

/// Arguments of `govproof audit prove`: `govproof prove`'s source and proving flags, with this
/// command's own help where a flag means less here (`--now` decides no rows, there are no
/// `--applications`).
#[derive(Debug, Clone, clap::Args)]
#[command(mut_args(audit_prove_help))]
pub struct AuditProveArgs {
    /// The audit request (TOML header naming the data file).
    #[arg(long, value_name = "FILE")]
    pub request: PathBuf,
    #[command(flatten)]
    pub sources: ProofSources,
    /// Where to write the audit file (its work file is `<FILE>.work` while proving).
    #[arg(long, short, value_name = "FILE")]
    pub out: PathBuf,
    #[command(flatten)]
    pub proving: ProvingOptions,
}

/// This command's help for the shared flags whose `govproof prove` help says more than holds here
/// (changed in place, so the order of the usage line stays the declared one).
fn audit_prove_help(arg: clap::Arg) -> clap::Arg {
    let help = match arg.get_id().as_str() {
        "trust" => "The trusted root file (`root.json`)",
        "model" => "The model file (`.govproof`)",
        "dev_setup" => {
            "Prove with the development setup: its secret is public, so the proofs prove nothing"
        }
        "now" => {
            "The time the registry is checked at (RFC 3339; default: now). Rows are decided at \
             the request's time"
        }
        "workers" => "Provers working at once (default: one per core)",
        _ => return arg,
    };
    arg.help(help)
}

/// Arguments of `govproof audit verify`.
#[derive(Debug, Clone, clap::Args)]
pub struct AuditVerifyArgs {
    /// The audit request the auditor wrote.
    #[arg(long, value_name = "FILE")]
    pub request: PathBuf,
    /// The audit file the lender returned.
    #[arg(long, value_name = "FILE")]
    pub audit: PathBuf,
    /// The trusted root file of the lender's registry, obtained out of band.
    #[arg(long, value_name = "ROOT")]
    pub trust: PathBuf,
    /// The policy every row must be proved under.
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,
    /// Accept proofs made with the development setup (verdict `VALID (development setup: not
    /// evidence)`, exit 4).
    #[arg(long = "dev-setup")]
    pub allow_dev_setup: bool,
    /// A stated accuracy to confirm (`0.75`: confirmed when the proved accuracy rounds to it).
    #[arg(long, value_name = "A")]
    pub accuracy: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also write the report as one self-contained HTML page (replaced atomically).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// Runs `govproof audit ...`.
pub fn run_audit(
    command: AuditCommand,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Exit> {
    match command {
        AuditCommand::Prove(args) => run_prove(args, out, err),
        AuditCommand::Verify(args) => run_verify(args, out),
    }
}

fn run_prove(
    args: AuditProveArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Exit> {
    let now = args.proving.now.unwrap_or_else(Timestamp::now);
    if args.proving.dev_setup {
        writeln!(
            err,
            "warning: the development setup's secret is public: these proofs prove nothing"
        )?;
    }
    let request = Request::read(&args.request)?;
    let context = crate::prove::context(&args.sources, &args.proving, now, err)?;
    let mut config = PoolConfig::new().request_timeout(std::time::Duration::from_secs(600));
    if let Some(w) = args.proving.workers {
        config = config.workers(w);
    }
    let pool = context.pool(config)?;
    let workers = pool.config().worker_count().get();
    let started = std::time::Instant::now();
    let mut shown = false;
    let proved = audit::prove(&context, &request, &pool, workers, &args.out, &mut |p| {
        shown = true;
        let resumed = if p.resumed > 0 {
            format!(" ({} from the work file)", p.resumed)
        } else {
            String::new()
        };
        let _ = write!(err, "\rproving: {}/{} rows done{resumed}", p.done, p.total);
        let _ = err.flush();
    });
    if shown {
        writeln!(err)?;
    }
    let proved = proved?;
    let seconds = started.elapsed().as_secs_f64();
    match args.proving.format {
        Format::Text => {
            writeln!(
                out,
                "audit of request {}: {} rows, {} proved now, {} from the work file, {} refused ({seconds:.1} s, {workers} provers){}",
                proved.audit.request_digest,
                proved.audit.rows,
                proved.proved_now,
                proved.resumed,
                proved.refused.len(),
                match proved.audit.batches.len() {
                    0 => String::new(),
                    n => format!("; {n} batch proofs"),
                }
            )?;
            for d in proved
                .audit
                .decisions
                .iter()
                .filter(|d| d.refused.is_some())
            {
                writeln!(
                    out,
                    "row {}: refused: {}",
                    d.row,
                    d.refused.as_deref().unwrap_or_default().join("; ")
                )?;
            }
            writeln!(out, "wrote {}", args.out.display())?;
        }
        Format::Json => {
            let doc = serde_json::json!({
                "request_digest": proved.audit.request_digest,
                "rows": proved.audit.rows,
                "proved_now": proved.proved_now,
                "resumed": proved.resumed,
                "refused": proved.refused,
                "batch_proofs": proved.audit.batches.len(),
                "seconds": seconds,
                "audit": args.out.display().to_string(),
                "claims": proved.audit.claims,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
    }
    Ok(if proved.refused.is_empty() {
        Exit::Success
    } else {
        Exit::Rejected
    })
}

fn run_verify(args: AuditVerifyArgs, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let request = Request::read(&args.request)?;
    let policy = load::policy(&args.policy, None)?;
    let file = AuditFile::read(&args.audit)?;
    let root = crate::registry::read_root_file(&args.trust)?;
    let trust = govproof::registry::TrustState::bootstrap(root).with_context(|| {
        format!(
            "`{}` is not signed by its own threshold",
            args.trust.display()
        )
    })?;
    let home = govproof::toolchain::home()?;
    let acceptance = if args.allow_dev_setup {
        dangerous::accept_development_proofs()
    } else {
        AcceptancePolicy::ignition_only()
    };
    let check = AuditCheck {
        verify: VerifyOptions {
            trust,
            policy: None,
            acceptance,
            bb: None,
            work_dir: crate::verify::verifier_work_dir(&home),
            ignition_crs: Some(crate::example::ignition_dir(&home)),
        },
        stated_accuracy: args.accuracy.clone(),
    };
    let report = audit::verify(&request, &policy, &file, &check);
    if let Some(path) = &args.html {
        govproof::toolchain::atomic::write_atomic(
            path,
            report.render_html().as_bytes(),
            Some(0o644),
        )
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    match args.format {
        Format::Text => write!(out, "{}", report.render_text())?,
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&report.to_json())?)?,
    }
    Ok(match report.verdict() {
        Verdict::Valid => Exit::Success,
        Verdict::Invalid => Exit::Rejected,
        Verdict::CouldNotCheck => Exit::Error,
        Verdict::ValidPolicyNotChecked => Exit::PolicyNotChecked,
        Verdict::ValidDevelopmentSetup => Exit::DevelopmentSetup,
    })
}
