//! The German Credit example: three real models trained on the UCI German Credit data (a logistic
//! scorecard, a perceptron and a gradient-boosted ensemble), imported from ONNX with their
//! quantization certificates, registered, and used to prove real applicants' decisions under the
//! example policies; then a scorecard that uses a protected feature is refused.
//!
//! ```sh
//! cargo run --release --example german_credit                  # development setup, 3 applicants
//! cargo run --release --example german_credit -- --applicants 10
//! cargo run --release --example german_credit -- --ignition    # Ignition points (bb downloads them)
//! ```
//!
//! The development setup has a publicly known trapdoor: its proofs demonstrate the pipeline and
//! prove nothing. The Ignition setup makes real proofs; bb fetches the points it lacks.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use govproof::artifact::Artifact;
use govproof::circuits::generate::profile_artifact;
use govproof::circuits::policy::PolicyEncoding;
use govproof::circuits::{
    CircuitDecision, CircuitOutcome, DecisionWitness, Features, Profile, PublicStatement,
};
use govproof::commit::{label, ScopeLabels};
use govproof::field::Field;
use govproof::model::calibration::Calibration;
use govproof::model::certificate::quantize_row;
use govproof::model::{import, FeatureSchema, ImportPolicy, ImportRequest, ModelFile};
use govproof::prover::{CircuitBytecode, ProofTarget, Prover, Verifier, WitnessStack};
use govproof::registry::entry::{Digest, QuantizationCertificate};
use govproof::registry::names::{ModelId, ModelVersion, Note, ProfileName, ScopePart};
use govproof::registry::{Entry, EntryDraft, EntrySet, Scope, Status, Timestamp};
use govproof::setup::{dangerous, AcceptancePolicy, CrsDownloads, Setup};
use govproof::toolchain::InstallPolicy;

/// One model of the example: its ONNX file, registry identity and policy.
struct Spec {
    onnx: &'static str,
    id: &'static str,
    version: &'static str,
    policy: &'static str,
}

const MODELS: [Spec; 4] = [
    Spec {
        onnx: "scorecard",
        id: "german-credit-scorecard",
        version: "1.0.0",
        policy: "german-credit-scorecard",
    },
    Spec {
        onnx: "mlp",
        id: "german-credit-mlp",
        version: "1.0.0",
        policy: "german-credit-mlp",
    },
    Spec {
        onnx: "gbt",
        id: "german-credit-gbt",
        version: "1.0.0",
        policy: "german-credit-gbt",
    },
    // Retrained on every feature, protected ones included: the policy lists it, and refuses it.
    Spec {
        onnx: "scorecard_unrestricted",
        id: "german-credit-scorecard",
        version: "2.0.0",
        policy: "german-credit-scorecard",
    },
];

const PURPOSE: &str = "consumer-credit";
const JURISDICTION: &str = "EU-DE";
const PRODUCT: &str = "instalment-loan";
/// 2026-06-01T09:00:00Z: inside every window below.
const DECISION_TIME: u64 = 1_780_304_400;

fn here() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/german_credit")
}

struct Imported {
    spec: &'static Spec,
    file: ModelFile,
    policy: govproof::policy::Policy,
    encoding: PolicyEncoding,
    bands: Vec<String>,
}

/// Reads and checks a policy file.
fn read_policy(name: &str) -> anyhow::Result<govproof::policy::Policy> {
    let path = here().join("policies").join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path)?;
    let file = govproof::policy::SourceFile::new(path.display().to_string(), text);
    let checked = govproof::policy::check(&file, &Default::default());
    match checked.policy {
        Some(p) => Ok(p),
        None => bail!(
            "policy {name} is not valid:\n{}",
            checked.diagnostics.render(&file)
        ),
    }
}

/// The circuits' encoding of a checked policy, for the model's profile.
fn encoding(
    policy: &govproof::policy::Policy,
    profile: &Profile,
) -> anyhow::Result<PolicyEncoding> {
    let enc = policy.encoding().clone();
    if enc.profile() != profile {
        bail!(
            "policy `{}` is for profile `{}`, the model for `{}`",
            policy.id(),
            enc.profile().name(),
            profile.name()
        );
    }
    Ok(enc)
}

fn import_all(schema: &FeatureSchema, data: &Calibration) -> anyhow::Result<Vec<Imported>> {
    let mut out = Vec::new();
    for spec in &MODELS {
        let policy = read_policy(spec.policy)?;
        let import_policy = ImportPolicy::read(
            &here()
                .join("policies")
                .join(format!("{}.toml", spec.policy)),
        )?;
        let onnx = std::fs::read(here().join("models").join(format!("{}.onnx", spec.onnx)))?;
        let (file, recognised) = import(&ImportRequest {
            onnx_name: &format!("{}.onnx", spec.onnx),
            onnx: &onnx,
            schema,
            calibration: data,
            policy: Some(&import_policy),
            profile: None,
            model_id: spec.id,
            version: spec.version,
            max_bound: None,
        })?;
        println!(
            "{}@{}: {} from {}.onnx -> profile {}",
            spec.id,
            spec.version,
            recognised.model.describe(),
            spec.onnx,
            file.profile.name()
        );
        for line in file.certificate.summary().lines() {
            println!("    {line}");
        }
        let bands = match policy.decision() {
            govproof::policy::Decision::ScoreBand { bands, .. } => bands
                .iter()
                .map(|b| format!("{} ({})", b.name, b.outcome))
                .collect(),
            govproof::policy::Decision::Gate { .. } => Vec::new(),
        };
        let encoding = encoding(&policy, &file.profile)?;
        out.push(Imported {
            spec,
            file,
            policy,
            encoding,
            bands,
        });
    }
    Ok(out)
}

fn registry_entries(models: &[Imported]) -> anyhow::Result<EntrySet> {
    let t = |s: &str| Timestamp::parse(s).context("timestamp");
    let mut entries = Vec::new();
    for m in models {
        let bytes = m.file.to_bytes();
        entries.push(Entry::new(EntryDraft {
            model_id: ModelId::new(m.spec.id)?,
            version: ModelVersion::new(m.spec.version)?,
            weights_commitment: m.file.weights_commitment(),
            model_digest: Digest::from_bytes(*blake3::hash(&bytes).as_bytes()),
            profile: ProfileName::new(&m.file.profile.name())?,
            scope_capacity: m.file.profile.scopes() as u32,
            fixed_point_scale: 1 << 16,
            scopes: vec![Scope {
                purpose: ScopePart::new(PURPOSE)?,
                jurisdiction: ScopePart::new(JURISDICTION)?,
                product: ScopePart::new(PRODUCT)?,
            }],
            valid_from: t("2026-01-01T00:00:00Z")?,
            valid_until: t("2029-01-01T00:00:00Z")?,
            status: Status::Approved,
            approved_by: Note::new("Credit Risk Committee (example), minute 2026-014")?,
            approved_at: t("2025-12-15T10:00:00Z")?,
            quantization_certificate: Some(QuantizationCertificate(
                m.file.certificate.to_json_object(),
            )),
            circuit: None,
        })?);
    }
    Ok(EntrySet::new(entries)?)
}

fn random_salt() -> anyhow::Result<Field> {
    let mut wide = [0u8; 64];
    getrandom::getrandom(&mut wide).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(Field::from_wide_bytes_reduce(&wide))
}

fn decision(
    m: &Imported,
    set: &EntrySet,
    features: Features,
    applicant: usize,
) -> anyhow::Result<CircuitDecision> {
    let id = ModelId::new(m.spec.id)?;
    let version = ModelVersion::new(m.spec.version)?;
    let slot = set
        .position(&id, &version)
        .context("entry in the registry")?;
    let entry = &set.entries()[slot];
    let tree = set.tree();
    let salt = random_salt()?;
    let score = m.file.model.score(&features)?;
    let outcome = m
        .encoding
        .spec()
        .rule
        .outcome(score)
        .context("the score falls in no band")?;
    let statement = PublicStatement {
        registry_root: tree.root(),
        policy_hash: m.encoding.hash(),
        model_id: id.label(),
        model_version: version.label(),
        scope: ScopeLabels::new(PURPOSE, JURISDICTION, PRODUCT),
        decision_time: DECISION_TIME,
        input_commitment: features.commitment(salt),
        decision_id: label(&format!("german-credit-{applicant:04}")),
        outcome,
    };
    let witness = DecisionWitness {
        model: m.file.model.clone(),
        features,
        salt,
        entry: entry.leaf(),
        entry_path: tree.path(slot as u64)?,
        entry_scopes: entry.fields().scopes.iter().map(Scope::id).collect(),
        policy: m.encoding.clone(),
    };
    Ok(CircuitDecision::new(m.file.profile, statement, witness)?)
}

struct Timing {
    profile: String,
    gates: u32,
    rows: u32,
    compile: Duration,
    witness: Duration,
    prove: Duration,
    verify: Duration,
    proofs: u32,
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let ignition = args.iter().any(|a| a == "--ignition");
    let applicants: usize = match args.iter().position(|a| a == "--applicants") {
        Some(i) => args.get(i + 1).context("--applicants N")?.parse()?,
        None => 3,
    };

    println!("== 1. import: ONNX -> quantized models with certificates (all 1,000 applicants as calibration)");
    let schema = FeatureSchema::read(&here().join("features.toml"))?;
    let data = Calibration::read(&here().join("data/german_credit.csv"), &schema)?;
    let models = import_all(&schema, &data)?;

    println!("\n== 2. registry: the four model versions, approved with their certificates");
    let set = registry_entries(&models)?;
    println!(
        "{} entries, Merkle root {}",
        set.len(),
        set.tree().root().to_hex()
    );

    println!("\n== 3. circuits and setup");
    let home = govproof::toolchain::home()?;
    let installed =
        govproof::toolchain::ensure(&home, InstallPolicy::InstallIfMissing, &mut |m| {
            eprintln!("{m}")
        })?;
    let (setup, acceptance) = if ignition {
        let dir = home.join("crs").join("ignition");
        (
            Setup::ignition(&dir, CrsDownloads::Allowed)?,
            AcceptancePolicy::ignition_only(),
        )
    } else {
        println!("setup: DEVELOPMENT (publicly known trapdoor: these proofs demonstrate the pipeline and prove nothing)");
        (
            dangerous::development_setup(&home.join("setups").join("development"))?,
            dangerous::accept_development_proofs(),
        )
    };
    let mut prover = Prover::new(&installed.bb(), &setup, &home.join("cache"))?;
    let work = tempfile::tempdir()?;
    let mut verifier = Verifier::new(&installed.bb(), work.path(), acceptance)?;

    println!("\n== 4. decisions for applicants 1..={applicants}");
    let mut timings = Vec::new();
    for m in models.iter().filter(|m| m.spec.version == "1.0.0") {
        let profile = m.file.profile;
        let started = Instant::now();
        let json = profile_artifact(&profile, InstallPolicy::InstallIfMissing, &mut |msg| {
            eprintln!("  {msg}")
        })?;
        let compile = started.elapsed();
        let artifact = Artifact::from_json_bytes(&profile.name(), &json)?;
        let circuit = CircuitBytecode::from_msgpack(artifact.bytecode_msgpack().to_vec())?;
        let stats = prover.gate_count(&circuit)?;
        let vk = prover.verification_key(&circuit, ProofTarget::NoirRecursive)?;
        println!(
            "{}@{} under policy {}: circuit {} ({} gates, {} rows)",
            m.spec.id,
            m.spec.version,
            m.policy.id(),
            profile.name(),
            stats.gates,
            stats.dyadic_size
        );
        let mut t = Timing {
            profile: profile.name(),
            gates: stats.gates,
            rows: stats.dyadic_size,
            compile,
            witness: Duration::ZERO,
            prove: Duration::ZERO,
            verify: Duration::ZERO,
            proofs: 0,
        };
        for applicant in 1..=applicants.min(data.len()) {
            let row = &data.rows()[applicant - 1];
            let d = decision(
                m,
                &set,
                quantize_row(row).map_err(anyhow::Error::msg)?,
                applicant,
            )?;
            if let Some(c) = d.first_violation() {
                bail!("applicant {applicant}: {c}");
            }
            let started = Instant::now();
            let solved = govproof::witness::execute(&artifact, &d.inputs())?;
            t.witness += started.elapsed();
            let witness = WitnessStack::from_msgpack(solved.msgpack().to_vec())?;
            let started = Instant::now();
            let proof = prover.prove(&circuit, &witness, ProofTarget::NoirRecursive)?;
            t.prove += started.elapsed();
            let started = Instant::now();
            verifier.verify(&vk, &proof)?;
            t.verify += started.elapsed();
            t.proofs += 1;
            let band = match d.statement().outcome {
                CircuitOutcome::Band(k) => m.bands.get(k as usize).cloned().unwrap_or_default(),
                CircuitOutcome::Decision(b) => b.to_string(),
            };
            let points = 600.0 + 20.0 / std::f64::consts::LN_2 * d.score().logit();
            println!(
                "  applicant {applicant:>4}: {points:.0} points, band {band}; proof {} bytes, verified",
                proof.to_bytes().len()
            );
        }
        timings.push(t);
    }

    println!("\n== 5. a policy protecting a feature rejects a model that uses it");
    let unrestricted = &models[3];
    let d = decision(
        unrestricted,
        &set,
        quantize_row(&data.rows()[0]).map_err(anyhow::Error::msg)?,
        1,
    )?;
    let protected: Vec<String> = unrestricted
        .policy
        .protected()
        .iter()
        .map(|&i| unrestricted.policy.features()[i].name.to_string())
        .collect();
    println!(
        "{}@{} gives weight to {} (protected by {}): native check says `{}`",
        unrestricted.spec.id,
        unrestricted.spec.version,
        protected
            .iter()
            .filter(|n| {
                schema
                    .names()
                    .iter()
                    .position(|s| s == n)
                    .is_some_and(|i| unrestricted.file.model.uses_feature(i))
            })
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(" and "),
        unrestricted.policy.id(),
        d.first_violation()
            .map(|c| c.to_string())
            .unwrap_or_else(|| "nothing".into())
    );
    let profile = unrestricted.file.profile;
    let json = profile_artifact(&profile, InstallPolicy::InstallIfMissing, &mut |_| {})?;
    let artifact = Artifact::from_json_bytes(&profile.name(), &json)?;
    match govproof::witness::execute(&artifact, &d.inputs()) {
        Err(e) => println!("the circuit refuses to make a witness: {e}"),
        Ok(_) => bail!("the circuit accepted a model that weights a protected feature"),
    }

    println!("\n== summary (this machine; no timing is asserted anywhere)");
    println!("| profile | gates | rows | compile or cache | witness / proof | prove / proof | verify / proof |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for t in &timings {
        let per = |d: Duration| d.as_secs_f64() / f64::from(t.proofs.max(1));
        println!(
            "| `{}` | {} | 2^{} | {:.1} s | {:.2} s | {:.2} s | {:.3} s |",
            t.profile,
            t.gates,
            t.rows.trailing_zeros(),
            t.compile.as_secs_f64(),
            per(t.witness),
            per(t.prove),
            per(t.verify)
        );
    }
    Ok(())
}
