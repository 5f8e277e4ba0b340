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

use crate::bundle::{BundleVerifier, DecisionId, VerifyOptions};
use crate::decide::{
    reference, Application, Decided, DecisionContext, DecisionParts, Model, TrustedRegistry,
};
use crate::policy::{check, CheckOptions, Policy, SourceFile};
use crate::registry::durable::{write_atomic, Replace, DOCUMENT_MODE, SECRET_MODE};
use crate::registry::entry::{Digest, EntryDraft};
use crate::registry::keys::{keygen, PublicKeyFile};
use crate::registry::names::{Note, ProfileName};
use crate::registry::{
    Entry, RegistryDir, Root, RootKey, Scope, SecretKey, Signed, Status, TimeSpan, Timestamp,
    TrustState, Version,
};
use crate::setup::{dangerous, AcceptancePolicy, CrsDownloads, Setup, SetupKind};
use crate::toolchain::{self, InstallPolicy};

use super::Exit;

/// The policy the demo decides under: the project's example `policies/eu-consumer-credit.toml`.
pub const DEMO_POLICY: &str = include_str!("../../../policies/eu-consumer-credit.toml");
/// The file name of the demo's policy copy.
pub const POLICY_FILE: &str = "policy.toml";
/// The file name of the demo's model file (the reference model, a `.govproof` file).
pub const MODEL_FILE: &str = "model.govproof";
/// The file name of the demo's application (features by name; private to the lender, 0600).
pub const APPLICATION_FILE: &str = "application.json";
/// Governance keys the demo creates, and how many must sign.
pub const DEMO_KEYS: usize = 3;
/// Signatures a demo snapshot needs.
pub const DEMO_THRESHOLD: u32 = 2;

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

/// Reads and checks the demo policy text at `now`.
pub fn demo_policy(now: Timestamp) -> anyhow::Result<Policy> {
    let source = SourceFile::new(POLICY_FILE, DEMO_POLICY);
    let checked = check(
        &source,
        &CheckOptions {
            now: Some(now),
            model: None,
        },
    );
    checked.policy.ok_or_else(|| {
        anyhow::anyhow!(
            "the demo policy does not check at {now}:\n{}",
            checked.diagnostics.render(&source)
        )
    })
}

/// The reference model for `policy`: the highest allowed version of its first allowed model id,
/// with [`reference::reference_weights`].
pub fn demo_model(policy: &Policy) -> anyhow::Result<Model> {
    let first = policy
        .models()
        .first()
        .context("the policy allows no model")?;
    let allowed = policy
        .models()
        .iter()
        .rfind(|m| m.id == first.id)
        .unwrap_or(first);
    let weights = reference::reference_weights(policy, reference::REFERENCE_SEED)?;
    Ok(Model::new(
        allowed.id.clone(),
        allowed.version.clone(),
        weights,
    ))
}

/// The model file the demo writes (the reference weights in fixed point, with the feature names),
/// whose blake3 the registry entry records.
pub fn model_file(policy: &Policy, model: &Model) -> Vec<u8> {
    let doc = serde_json::json!({
        "model_id": model.id(),
        "version": model.version(),
        "profile": policy.profile().name(),
        "description": "govproof reference model (deterministic demonstration weights, not a credit model)",
        "features": policy.features().iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        "hidden_units": model.weights().hidden(),
        "fixed_point_scale": 1u64 << 16,
        "weights": model.weights().weights(),
    });
    let mut text = serde_json::to_string_pretty(&doc)
        .unwrap_or_else(|e| unreachable!("a model file always serializes: {e}"));
    text.push('\n');
    text.into_bytes()
}

fn registry_scope(s: &Scope) -> anyhow::Result<Scope> {
    Ok(s.clone())
}

/// Creates `keys_dir` and the demonstration's [`DEMO_KEYS`] governance key pairs in it
/// (`governance-<i>.key`, 0600, and `.pub`), and reads each back.
pub fn governance_keys(keys_dir: &Path) -> anyhow::Result<Vec<SecretKey>> {
    std::fs::create_dir_all(keys_dir)
        .with_context(|| format!("cannot create `{}`", keys_dir.display()))?;
    (1..=DEMO_KEYS)
        .map(|i| {
            let made = keygen(
                &keys_dir.join(format!("governance-{i}")),
                Some(Note::new(&format!("governance key {i}"))?),
            )?;
            PublicKeyFile::read(&made.public_path)?;
            Ok(SecretKey::read(&made.secret_path)?)
        })
        .collect()
}

/// One model version a registry approves, for every scope of a policy.
#[derive(Debug, Clone, Copy)]
pub struct Approval<'a> {
    /// The model.
    pub model: &'a Model,
    /// blake3 of its model file.
    pub model_digest: Digest,
    /// The policy whose scopes and profile the entry gets.
    pub policy: &'a Policy,
}

/// Creates a registry in `dir` whose root holds `keys` (the first `threshold` sign), publishes
/// it, then publishes a snapshot approving each of `approvals` for every scope of its policy from
/// `now` for a year. Returns the registry and its signed root 1.
pub fn publish_registry(
    dir: &Path,
    keys: &[SecretKey],
    threshold: u32,
    approvals: &[Approval<'_>],
    now: Timestamp,
) -> anyhow::Result<(RegistryDir, Signed<Root>)> {
    let root_keys = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            Ok(RootKey::new(
                k.public_key(),
                Some(Note::new(&format!("governance key {}", i + 1))?),
            ))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (registry, _) = RegistryDir::init(
        dir,
        root_keys,
        threshold,
        TimeSpan::days(365)?,
        TimeSpan::days(30)?,
        now,
    )?;
    for k in keys.iter().take(threshold as usize) {
        registry.sign(k)?;
    }
    let entries = approvals
        .iter()
        .map(|a| entry(a, now))
        .collect::<anyhow::Result<Vec<_>>>()?;
    registry.add_many(entries, TimeSpan::days(30)?, now)?;
    for k in keys.iter().take(threshold as usize) {
        registry.sign(k)?;
    }
    let root = registry.read_root(Version::FIRST)?;
    Ok((registry, root))
}

fn entry(a: &Approval<'_>, now: Timestamp) -> anyhow::Result<Entry> {
    let profile = *crate::decide::policy_encoding(a.policy)?.profile();
    Ok(Entry::new(EntryDraft {
        model_id: a.model.id().clone(),
        version: a.model.version().clone(),
        weights_commitment: a.model.weights().commitment(),
        model_digest: a.model_digest,
        profile: ProfileName::new(&profile.name())?,
        scope_capacity: u32::try_from(profile.scopes())?,
        fixed_point_scale: 1 << 16,
        scopes: a
            .policy
            .scopes()
            .iter()
            .map(registry_scope)
            .collect::<anyhow::Result<Vec<_>>>()?,
        valid_from: now,
        valid_until: now.checked_add(TimeSpan::days(365)?)?,
        status: Status::Approved,
        approved_by: Note::new("Model Risk Committee (govproof demo)")?,
        approved_at: now,
        quantization_certificate: None,
    })?)
}

/// The demo's application: the reference applicant, decided now in the policy's first scope.
pub fn demo_application(policy: &Policy, now: Timestamp) -> anyhow::Result<Application> {
    let scope = policy
        .scopes()
        .first()
        .context("the policy allows no scope")?;
    Ok(Application {
        decision_id: DecisionId::new("demo-0001")?,
        time: now,
        scope: registry_scope(scope)?,
        features: crate::decide::quantize_features(&reference::reference_applicant(policy))?,
    })
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
        Setup::ignition(&super::example::ignition_dir(&home), downloads).context(
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
        crate::decide::ContextOptions {
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
        work_dir: super::verify::verifier_work_dir(&home),
        ignition_crs: Some(super::example::ignition_dir(&home)),
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
        format!(
            "{} (report.txt, report.json)",
            report.verdict().as_str().to_uppercase()
        ),
        verify_time,
    )?;

    let t = Instant::now();
    let mut tampered = proved.bundle.clone();
    let mut proof = tampered.proof.as_bytes().to_vec();
    proof[100] ^= 0x01;
    tampered.proof = crate::bundle::ProofBytes::new(proof)
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
            tampered_report.verdict().as_str().to_uppercase(),
            if failed.is_empty() {
                "no check failed: this is a bug".to_string()
            } else {
                format!("failed {}", failed.join(", "))
            }
        ),
        t.elapsed(),
    )?;

    writeln!(out)?;
    super::verify::print_report(&report, &bundle_path, false, out)?;
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
        if args.dev_setup {
            " --allow-dev-setup"
        } else {
            ""
        }
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
    let rejected = tampered_report.verdict() == crate::bundle::Verdict::Invalid;
    Ok(match (report.verdict(), rejected) {
        (crate::bundle::Verdict::Valid, true) => Exit::Success,
        (crate::bundle::Verdict::CouldNotCheck, _) => Exit::Error,
        _ => Exit::Rejected,
    })
}
