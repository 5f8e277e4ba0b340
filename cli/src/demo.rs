//! `govproof demo`: one credit decision, end to end. It creates governance keys, a signed registry
//! that approves the reference model, a policy, a model file and an application; proves the
//! decision into a bundle; verifies the bundle with the bundled verifier; and shows that a tampered
//! copy is rejected.
//! Everything it creates is written under one folder, so a regulator can rerun `govproof verify`
//! on it. Each phase is timed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;

use govproof::bundle::{BundleVerifier, VerifyOptions};
use govproof::decide::{reference, Decided, DecisionContext, DecisionParts, TrustedRegistry};
use govproof::registry::durable::{write_atomic, Replace, DOCUMENT_MODE, SECRET_MODE};
use govproof::registry::entry::Digest;
use govproof::registry::{Timestamp, TrustState};
use govproof::setup::{dangerous, AcceptancePolicy, CrsDownloads, Setup, SetupKind};
use govproof::toolchain::{self, InstallPolicy};

use govproof::demo::{
    demo_application, demo_model, demo_policy, governance_keys, publish_registry, Approval,
    APPLICATION_FILE, DEMO_KEYS, DEMO_POLICY, DEMO_THRESHOLD, MODEL_FILE, POLICY_FILE,
};

use crate::Exit;

/// Arguments of `govproof demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// The folder to create everything in (must not exist or be empty; default: a new
    /// `govproof-demo-<time>` folder in the current directory).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Prove with the development setup: its secret is public, so the proof demonstrates the
    /// pipeline and proves nothing. Needed offline (no Ignition points beyond 513).
    #[arg(long)]
    pub dev_setup: bool,
    /// Never let bb download Ignition points (fail when the CRS folder lacks them).
    #[arg(long, conflicts_with = "dev_setup")]
    pub offline: bool,
}

fn write(dir: &Path, name: &str, bytes: &[u8], mode: u32) -> anyhow::Result<PathBuf> {
    let path = dir.join(name);
    write_atomic(&path, "demo", bytes, mode, Replace::Never)?;
    Ok(path)
}

fn fresh_dir(dir: Option<PathBuf>, now: Timestamp) -> anyhow::Result<PathBuf> {
    let dir = dir.unwrap_or_else(|| {
        PathBuf::from(format!(
            "govproof-demo-{}",
            now.as_datetime().format("%Y%m%d-%H%M%S")
        ))
    });
    if dir.exists() {
        let mut listing =
            std::fs::read_dir(&dir).with_context(|| format!("cannot list `{}`", dir.display()))?;
        if listing.next().is_some() {
            anyhow::bail!(
                "`{}` is not empty: the demo writes into a new or empty folder",
                dir.display()
            );
        }
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    Ok(dir)
}

fn secs(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{:.0} ms", d.as_secs_f64() * 1000.0)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

/// Runs the demo.
pub fn run(args: DemoArgs, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<Exit> {
    let started = Instant::now();
    let now = Timestamp::now();
    let dir = fresh_dir(args.dir, now)?;
    let step = |out: &mut dyn Write, n: u32, what: &str, detail: String, t: Duration| {
        writeln!(out, "{n:>2}. {what:<10} {detail} [{}]", secs(t))
    };
    writeln!(
        out,
        "govproof demo: one credit decision, proved and verified end to end, in `{}`",
        dir.display()
    )?;
    if args.dev_setup {
        writeln!(out)?;
        writeln!(
            out,
            "!! DEVELOPMENT SETUP: the proving key comes from a publicly known secret, so this proof"
        )?;
        writeln!(
            out,
            "!! demonstrates the pipeline and PROVES NOTHING. Without --dev-setup the demo proves"
        )?;
        writeln!(
            out,
            "!! with the Ignition setup, which needs 16,384 Ignition points (bb downloads them, or"
        )?;
        writeln!(out, "!! `govproof setup --import-crs DIR` imports them).")?;
    }
    writeln!(out)?;

    let t = Instant::now();
    let home = toolchain::home()?;
    let installed = toolchain::ensure(&home, InstallPolicy::InstallIfMissing, &mut |m| {
        let _ = writeln!(err, "{m}");
    })?;
    step(
        out,
        1,
        "toolchain",
        format!("bb at `{}`", installed.bb().display()),
        t.elapsed(),
    )?;

    let t = Instant::now();
    let keys = governance_keys(&dir.join("keys"))?;
    step(
        out,
        2,
        "keys",
        format!("{DEMO_KEYS} ed25519 governance keys, any {DEMO_THRESHOLD} sign (keys/)"),
        t.elapsed(),
    )?;

    let t = Instant::now();
    let policy = demo_policy(now)?;
    write(&dir, POLICY_FILE, DEMO_POLICY.as_bytes(), DOCUMENT_MODE)?;
    step(
        out,
        3,
        "policy",
        format!(
            "`{}` version `{}`, profile `{}`, hash {} ({POLICY_FILE})",
            policy.id().as_str(),
            policy.version().as_str(),
            policy.profile().name(),
            policy.hash()
        ),
        t.elapsed(),
    )?;

    let t = Instant::now();
    let model = demo_model(&policy)?;
    let model_bytes = reference::reference_model_file(&policy, &model)?.to_bytes();
    write(&dir, MODEL_FILE, &model_bytes, DOCUMENT_MODE)?;
    let digest = Digest::from_bytes(*blake3::hash(&model_bytes).as_bytes());
    step(
        out,
        4,
        "model",
        format!(
            "`{}` version `{}`: deterministic {}-input model, zero weight on the {} protected \
             features ({MODEL_FILE})",
            model.id(),
            model.version(),
            model.weights().features(),
            policy.protected().len()
        ),
        t.elapsed(),
    )?;

    let t = Instant::now();
    let (registry, root) = publish_registry(
        &dir.join("registry"),
        &keys,
        DEMO_THRESHOLD,
        &[Approval {
            model: &model,
            model_digest: digest,
            policy: &policy,
        }],
        now,
    )?;
    let mut root_text = serde_json::to_string_pretty(&root)?;
    root_text.push('\n');
    write(&dir, "root.json", root_text.as_bytes(), DOCUMENT_MODE)?;
    let trust = TrustState::bootstrap(root)?;
    let trusted = TrustedRegistry::open(&registry, &trust, now)?;
    step(
        out,
        5,
        "registry",
        format!(
            "snapshot {} approves the model, signed by {DEMO_THRESHOLD} of {DEMO_KEYS} keys \
             (registry/, trusted root: root.json)",
            trusted.snapshot().signed.version()
        ),
        t.elapsed(),
    )?;

    let t = Instant::now();
    let setup = if args.dev_setup {
        dangerous::development_setup(&home.join("setups").join("development"))?
    } else {
        let downloads = if args.offline {
            CrsDownloads::Forbidden
        } else {
            CrsDownloads::Allowed
        };
        Setup::ignition(&crate::example::ignition_dir(&home), downloads).context(
            "no usable Ignition points: import them with `govproof setup --import-crs DIR`, let \
             bb download them (omit --offline), or run with --dev-setup",
        )?
    };
    let context = DecisionContext::with_options(
        DecisionParts {
            registry: trusted,
            policy: policy.clone(),
            model,
            setup: setup.clone(),
        },
        govproof::decide::ContextOptions {
            bb: Some(installed.bb()),
            cache_dir: Some(home.join("cache")),
            ..Default::default()
        },
    )?;
    let mut prover = context.prover()?;
    step(
        out,
        6,
        "prover",
        format!(
            "circuit `{}`, {} setup, verification key {} ({})",
            context.profile().name(),
            setup.kind(),
            hex::encode(context.verification_key().hash()),
            if context.key_is_pinned() {
                "equal to the pinned key"
            } else {
                "not pinned yet"
            }
        ),
        t.elapsed(),
    )?;

    let t = Instant::now();
    let application = demo_application(&policy, now)?;
    write(
        &dir,
        APPLICATION_FILE,
        reference::application_json(&policy, &application).as_bytes(),
        SECRET_MODE,
    )?;
    let proved = match context.decide(&application, &mut prover)? {
        Decided::Proved(p) => p,
        Decided::Refused(r) => anyhow::bail!("the demo's own decision was refused: {r}"),
    };
    let prove_time = t.elapsed();
    step(
        out,
        7,
        "prove",
        format!(
            "decision `{}`: {} (checks {}, witness {}, proof {})",
            application.decision_id,
            proved.bundle.decision.outcome,
            secs(proved.timings.checks),
            secs(proved.timings.witness),
            secs(proved.timings.proof)
        ),
        prove_time,
    )?;

    let t = Instant::now();
    let bundle_text = proved.bundle.to_json_pretty();
    let bundle_path = write(&dir, "bundle.json", bundle_text.as_bytes(), DOCUMENT_MODE)?;
    write(
        &dir,
        "opening.json",
        proved.opening.to_json_pretty().as_bytes(),
        SECRET_MODE,
    )?;
    step(
        out,
        8,
        "bundle",
        format!(
            "bundle.json ({} bytes; no features, no salt); the lender keeps opening.json \
             (features and salt, mode 0600)",
            bundle_text.len()
        ),
        t.elapsed(),
    )?;

    let t = Instant::now();
    let mut verifier = BundleVerifier::new(VerifyOptions {
        trust,
        policy: Some(policy),
        acceptance: match setup.kind() {
            SetupKind::Ignition => AcceptancePolicy::ignition_only(),
            SetupKind::Development => dangerous::accept_development_proofs(),
        },
        bb: Some(installed.bb()),
        work_dir: crate::verify::verifier_work_dir(&home),
        ignition_crs: Some(crate::example::ignition_dir(&home)),
    });
    // The regulator's check, with the applicant's opening: the decision was made on these features.
    let report = verifier.verify_opened(bundle_text.as_bytes(), Some(&proved.opening));
    let verify_time = t.elapsed();
    write(
        &dir,
        "report.txt",
        report.render_text().as_bytes(),
        DOCUMENT_MODE,
    )?;
    let mut report_json = serde_json::to_string_pretty(&report.to_json())?;
    report_json.push('\n');
    write(&dir, "report.json", report_json.as_bytes(), DOCUMENT_MODE)?;
    step(
        out,
        9,
        "verify",
        format!("{} (report.txt, report.json)", report.verdict().label()),
        verify_time,
    )?;

    let t = Instant::now();
    let mut tampered = proved.bundle.clone();
    let mut proof = tampered.proof.as_bytes().to_vec();
    proof[100] ^= 0x01;
    tampered.proof = govproof::bundle::ProofBytes::new(proof)
        .map_err(|e| anyhow::anyhow!("cannot tamper with the proof: {e}"))?;
    let tampered_report = verifier.verify(tampered.to_json_pretty().as_bytes());
    let failed: Vec<&str> = tampered_report
        .failed()
        .iter()
        .map(|c| c.as_str())
        .collect();
    step(
        out,
        10,
        "tamper",
        format!(
            "the same bundle with one proof bit flipped: {} ({})",
            tampered_report.verdict().label(),
            if failed.is_empty() {
                "no check failed: this is a bug".to_string()
            } else {
                format!("failed {}", failed.join(", "))
            }
        ),
        t.elapsed(),
    )?;

    writeln!(out)?;
    crate::verify::print_report(&report, &bundle_path, false, out)?;
    writeln!(out)?;
    writeln!(
        out,
        "total {} (prove {}, verify {}); bundle {} bytes",
        secs(started.elapsed()),
        secs(prove_time),
        secs(verify_time),
        bundle_text.len()
    )?;
    writeln!(out, "verify it again:")?;
    writeln!(
        out,
        "  govproof verify {} --trust {} --policy {} --opening {}{}",
        bundle_path.display(),
        dir.join("root.json").display(),
        dir.join(POLICY_FILE).display(),
        dir.join("opening.json").display(),
        if args.dev_setup { " --dev-setup" } else { "" }
    )?;
    writeln!(out, "prove another decision from these files:")?;
    writeln!(
        out,
        "  govproof prove --registry {} --trust {} --policy {} --model {} --application {}{} -o bundle-2.json",
        dir.join("registry").display(),
        dir.join("root.json").display(),
        dir.join(POLICY_FILE).display(),
        dir.join(MODEL_FILE).display(),
        dir.join(APPLICATION_FILE).display(),
        if args.dev_setup { " --dev-setup" } else { "" }
    )?;
    let rejected = tampered_report.verdict() == govproof::bundle::Verdict::Invalid;
    Ok(match (report.verdict(), rejected) {
        // The demo's own proofs are development ones when it runs with `--dev-setup`; it says
        // so loudly, and the pipeline having worked is its success.
        (
            govproof::bundle::Verdict::Valid | govproof::bundle::Verdict::ValidDevelopmentSetup,
            true,
        ) => Exit::Success,
        (govproof::bundle::Verdict::CouldNotCheck, _) => Exit::Error,
        _ => Exit::Rejected,
    })
}
