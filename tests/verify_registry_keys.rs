//! Bundles of circuits no build pins verify through the registry's key digests: the German Credit
//! scorecard (`linear-20-...`), perceptron (`mlp-20x16-...`) and tree ensemble (`trees-20-...`)
//! are imported, added with `govproof registry add --model` (which names their circuits' digests),
//! proved through `DecisionContext` on the development setup, and verified by the bundled
//! verifier. Each bundle is then rejected by the `circuit` check, naming both values, when its key
//! bytes change, when its entry names another digest (re-signed by the registry's keys), when its
//! profile or circuit changes, and when it carries the key of another target or claims another
//! setup; a changed proof fails the proof check. `govproof registry reproduce` confirms the
//! digests of an honest entry and reports a mismatch for a forged one.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::bundle_support::govproof;
use crate::registry_support::{key, CliRegistry};

use govproof::bundle::{
    Bundle, BundleVerifier, CheckName, CheckStatus, KeyBytes, Report, Verdict, VerifyOptions,
};
use govproof::circuits::generate::profile_artifact;
use govproof::decide::{
    Application, ContextOptions, Decided, DecisionContext, DecisionParts, Model, TrustedRegistry,
};
use govproof::model::calibration::Calibration;
use govproof::model::certificate::quantize_row;
use govproof::model::{import, FeatureSchema, ImportPolicy, ImportRequest};
use govproof::policy::{check, Policy, SourceFile};
use govproof::prover::{CircuitBytecode, ProofTarget, Prover};
use govproof::registry::entry::Digest;
use govproof::registry::names::ModelId;
use govproof::registry::SecretKeyFile;
use govproof::registry::{
    Entry, EntrySet, RegistryDir, Signed, Snapshot, Timestamp, TrustState, Version,
};
use govproof::setup::{dangerous, SetupId};
use govproof::toolchain::InstallPolicy;
use govproof_cli::registry::read_root_file;
use govproof_cli::Exit;

/// When the registry is published, and when the decisions are made.
const REGISTRY_NOW: &str = "2026-06-01T00:00:00Z";
const DECISION_TIME: &str = "2026-06-01T09:00:00Z";
/// The example's models: (ONNX name, policy, profile).
const MODELS: [(&str, &str, &str); 3] = [
    (
        "scorecard",
        "german-credit-scorecard",
        "linear-20-d20-b8-s16-p8-m4",
    ),
    ("mlp", "german-credit-mlp", "mlp-20x16-d20-b8-s16-p8-m4"),
    ("gbt", "german-credit-gbt", "trees-20-30x3-d20-b8-s16-p8-m4"),
];

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/german_credit")
}

fn time(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn read_policy(name: &str) -> (PathBuf, Policy) {
    let path = example().join("policies").join(format!("{name}.toml"));
    let file = SourceFile::new(s(&path), std::fs::read_to_string(&path).unwrap());
    (path, check(&file, &Default::default()).policy.unwrap())
}

/// One registered model, proved once: what every attack starts from.
struct Proved {
    profile: &'static str,
    policy: Policy,
    bundle: Bundle,
    trust: TrustState,
}

/// The registry folder (the three models added through `govproof registry add --model`), its
/// key files, and one proved bundle per model; made once per test binary.
struct World {
    _dir: tempfile::TempDir,
    registry: PathBuf,
    root: PathBuf,
    keys: Vec<PathBuf>,
    proved: Vec<Proved>,
}

fn cli(args: &[&str]) -> String {
    let (exit, out, err) = govproof(args);
    assert_eq!(exit, Exit::Success, "{args:?}: {out}\n{err}");
    out
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let bb = crate::bundle_support::bb();
        let dir = tempfile::tempdir().unwrap();
        let made = CliRegistry::init(dir.path(), REGISTRY_NOW);
        let registry = made.dir.clone();

        let schema = FeatureSchema::read(&example().join("features.toml")).unwrap();
        let data = Calibration::read(&example().join("data/german_credit.csv"), &schema).unwrap();
        let mut files = Vec::new();
        for (onnx_name, policy_name, profile) in MODELS {
            let onnx =
                std::fs::read(example().join("models").join(format!("{onnx_name}.onnx"))).unwrap();
            let bands = ImportPolicy::read(
                &example()
                    .join("policies")
                    .join(format!("{policy_name}.toml")),
            )
            .unwrap();
            let (file, _) = import(&ImportRequest {
                onnx_name,
                onnx: &onnx,
                schema: &schema,
                calibration: &data,
                policy: Some(&bands),
                profile: None,
                model_id: policy_name,
                version: "1.0.0",
                max_bound: None,
            })
            .unwrap();
            assert_eq!(file.profile.name(), profile);
            let path = dir.path().join(format!("{onnx_name}.govproof"));
            file.write(&path).unwrap();
            let out = made.add_model(&path, &bb, REGISTRY_NOW);
            // The entry names the circuit: its bytecode and its development keys, both targets.
            assert!(
                out.contains(&format!("circuit `{profile}`: bytecode digest")),
                "{out}"
            );
            assert!(
                out.contains("for the development setup and target `noir-recursive`"),
                "{out}"
            );
            assert!(
                out.contains("for the development setup and target `evm`"),
                "{out}"
            );
            files.push(file);
        }

        // `registry show` lists the digests a signer vouches for.
        let shown = cli(&["registry", "show", "--dir", &s(&registry)]);
        assert!(shown.contains("circuit bytecode blake3"), "{shown}");
        assert!(
            shown.contains("(development setup, target `evm`)"),
            "{shown}"
        );

        let root = registry.join("root/1.json");
        let trust = TrustState::bootstrap(read_root_file(&root).unwrap()).unwrap();
        let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("govproof-circuits-tests");
        let setup = dangerous::development_setup(&cache).unwrap();
        let mut proved = Vec::new();
        for ((_, policy_name, profile), file) in MODELS.iter().zip(&files) {
            let (_, policy) = read_policy(policy_name);
            let trusted =
                TrustedRegistry::open(&RegistryDir::at(&registry), &trust, time(DECISION_TIME))
                    .unwrap();
            let context = DecisionContext::with_options(
                DecisionParts {
                    registry: trusted,
                    policy: policy.clone(),
                    model: Model::new(
                        file.model_id.clone(),
                        file.version.clone(),
                        file.model.clone(),
                    ),
                    setup: setup.clone(),
                },
                ContextOptions {
                    bb: Some(bb.clone()),
                    cache_dir: Some(cache.join("vk")),
                    ..ContextOptions::default()
                },
            )
            .unwrap();
            assert!(!context.key_is_pinned(), "{profile} is pinned");
            let mut prover = context.prover().unwrap();
            let bundle = (0..data.rows().len())
                .find_map(|row| {
                    let application = Application {
                        decision_id: govproof::bundle::DecisionId::new(&format!("gc-{row}"))
                            .unwrap(),
                        time: time(DECISION_TIME),
                        scope: "consumer-credit/EU-DE/instalment-loan".parse().unwrap(),
                        features: quantize_row(&data.rows()[row]).unwrap(),
                    };
                    match context.decide(&application, &mut prover).unwrap() {
                        Decided::Proved(p) => Some(p.bundle),
                        Decided::Refused(_) => None,
                    }
                })
                .unwrap();
            proved.push(Proved {
                profile,
                policy,
                bundle,
                trust: trust.clone(),
            });
        }
        World {
            _dir: dir,
            registry,
            root,
            keys: made.signers.clone(),
            proved,
        }
    })
}

fn verify(p: &Proved, bundle: &Bundle) -> Report {
    let work = tempfile::tempdir().unwrap();
    let mut verifier = BundleVerifier::new(VerifyOptions {
        trust: p.trust.clone(),
        policy: Some(p.policy.clone()),
        acceptance: dangerous::accept_development_proofs(),
        bb: None,
        work_dir: work.path().to_path_buf(),
        ignition_crs: None,
    });
    verifier.verify(bundle.to_json_pretty().as_bytes())
}

fn detail(report: &Report, name: CheckName) -> (CheckStatus, String) {
    let c = report.checks().iter().find(|c| c.name == name).unwrap();
    (c.status, c.detail.clone())
}

/// The report fails the circuit check with a detail holding every one of `words`.
fn assert_circuit_fails(report: &Report, what: &str, words: &[&str]) {
    assert_eq!(
        report.verdict(),
        Verdict::Invalid,
        "{what}: {}",
        report.render_text()
    );
    let (status, detail) = detail(report, CheckName::Circuit);
    assert_eq!(status, CheckStatus::Fail, "{what}: {detail}");
    for w in words {
        assert!(detail.contains(w), "{what}: `{w}` not in: {detail}");
    }
    // A key the registry did not vouch for is never used.
    assert_ne!(
        detail_status(report, CheckName::Proof),
        CheckStatus::Pass,
        "{what}"
    );
}

fn detail_status(report: &Report, name: CheckName) -> CheckStatus {
    detail(report, name).0
}

#[test]
fn non_reference_bundles_verify_through_the_registry_entry_and_a_changed_proof_does_not() {
    for p in &world().proved {
        let report = verify(p, &p.bundle);
        assert_eq!(
            report.verdict(),
            Verdict::ValidDevelopmentSetup,
            "{}: {}",
            p.profile,
            report.render_text()
        );
        let (_, circuit) = detail(&report, CheckName::Circuit);
        assert!(
            circuit.contains(&format!("circuit `{}`", p.profile)),
            "{circuit}"
        );
        assert!(
            circuit.contains("registry-vouched verification key"),
            "{circuit}"
        );
        assert!(
            circuit.contains("as the signed registry entry of"),
            "{circuit}"
        );
        // The report keeps its order although the registry is checked first.
        let names: Vec<CheckName> = report.checks().iter().map(|c| c.name).collect();
        assert_eq!(names, CheckName::ALL);
        // The bundle carries the key, the entry and its path, and stays within the size limit.
        let text = p.bundle.to_json_pretty();
        assert!(
            text.len() < govproof::bundle::MAX_BUNDLE_BYTES,
            "{}",
            text.len()
        );
        eprintln!("{}: bundle {} bytes", p.profile, text.len());
        assert!(p.bundle.circuit.verification_key.is_some());
        assert!(p.bundle.registry.entry.is_some());

        let mut forged = p.bundle.clone();
        let mut proof = forged.proof.as_bytes().to_vec();
        proof[100] ^= 1;
        forged.proof = govproof::bundle::ProofBytes::new(proof).unwrap();
        let report = verify(p, &forged);
        assert_eq!(
            report.failed(),
            [CheckName::Proof],
            "{}",
            report.render_text()
        );
    }
}

#[test]
fn a_changed_key_is_rejected_naming_both_digests() {
    for p in &world().proved {
        let mut forged = p.bundle.clone();
        let mut key = forged
            .circuit
            .verification_key
            .clone()
            .unwrap()
            .as_bytes()
            .to_vec();
        key[200] ^= 1;
        let key = KeyBytes::new(key).unwrap();
        let named = p.bundle.circuit.verification_key.as_ref().unwrap().digest();
        forged.circuit.verification_key = Some(key.clone());
        let report = verify(p, &forged);
        assert_circuit_fails(
            &report,
            p.profile,
            &[&key.digest().to_string(), &named.to_string()],
        );
        // The same with the bundle's `vk_hash` moved along: still the entry's digest decides.
        forged.circuit.vk_hash = key.digest();
        assert_circuit_fails(
            &verify(p, &forged),
            p.profile,
            &[&key.digest().to_string(), &named.to_string()],
        );
        // No key at all.
        forged.circuit.verification_key = None;
        assert_circuit_fails(
            &verify(p, &forged),
            p.profile,
            &["carries no verification key"],
        );
    }
}

/// The registry's snapshot re-signed by its own keys (2 of 3) over entries in which `change`
/// altered the bundle's model's entry; the bundle then carries that snapshot and entry.
fn resigned(p: &Proved, change: impl Fn(&mut govproof::registry::EntryDraft)) -> Bundle {
    let w = world();
    let trusted =
        TrustedRegistry::open(&RegistryDir::at(&w.registry), &p.trust, time(DECISION_TIME))
            .unwrap();
    let entries: Vec<Entry> = trusted
        .registry()
        .entries()
        .entries()
        .iter()
        .map(|e| {
            if e.is(&p.bundle.model.id, &p.bundle.model.version) {
                let mut fields = e.fields().clone();
                change(&mut fields);
                Entry::new(fields).unwrap()
            } else {
                e.clone()
            }
        })
        .collect();
    let set = EntrySet::new(entries).unwrap();
    let old = &p.bundle.registry.snapshot.signed;
    let snapshot = Snapshot::of(
        Version::new(old.version().get() + 1).unwrap(),
        &set,
        old.created(),
        old.expires(),
    )
    .unwrap();
    let mut signed = Signed::unsigned(snapshot);
    signed.sign_with(&key(1));
    signed.sign_with(&key(2));
    let slot = set
        .position(&p.bundle.model.id, &p.bundle.model.version)
        .unwrap();
    let mut forged = p.bundle.clone();
    forged.registry.snapshot = signed;
    forged.registry.entry = Some(govproof::bundle::EntryClaim {
        entry: set.entries()[slot].clone(),
        path: set.tree().path(slot as u64).unwrap(),
    });
    forged
}

#[test]
fn an_entry_naming_another_digest_is_rejected_though_the_registry_signed_it() {
    for p in &world().proved {
        let carried = p.bundle.circuit.verification_key.as_ref().unwrap().digest();
        let other = Digest::from_bytes([7; 32]);
        let forged = resigned(p, |d| {
            let c = d.circuit.as_mut().unwrap();
            for k in &mut c.verification_keys {
                if k.target == ProofTarget::NoirRecursive {
                    k.vk_hash = other;
                }
            }
        });
        let report = verify(p, &forged);
        // The registry check passes: the keys signed it. The key is not the one it names.
        assert_eq!(
            detail_status(&report, CheckName::Registry),
            CheckStatus::Pass
        );
        assert_circuit_fails(
            &report,
            p.profile,
            &[&carried.to_string(), &other.to_string()],
        );

        // An entry written before entries named keys cannot vouch for one.
        let forged = resigned(p, |d| d.circuit = None);
        let report = verify(p, &forged);
        assert_eq!(
            detail_status(&report, CheckName::Registry),
            CheckStatus::Pass
        );
        assert_circuit_fails(&report, p.profile, &["names no circuit digests"]);

        // Another model's entry (here: the same entry under the bundle's snapshot, edited
        // without re-signing) is not in the signed tree.
        let mut forged = p.bundle.clone();
        let claim = forged.registry.entry.as_mut().unwrap();
        let mut fields = claim.entry.fields().clone();
        fields.circuit.as_mut().unwrap().verification_keys[0].vk_hash = other;
        claim.entry = Entry::new(fields).unwrap();
        assert_circuit_fails(
            &verify(p, &forged),
            p.profile,
            &["is not in the tree of snapshot"],
        );
    }
}

#[test]
fn a_changed_profile_or_circuit_is_rejected_naming_both() {
    let w = world();
    for (i, p) in w.proved.iter().enumerate() {
        let other = w.proved[(i + 1) % w.proved.len()].profile;
        let mut forged = p.bundle.clone();
        forged.circuit.profile = govproof::registry::names::ProfileName::new(other).unwrap();
        assert_circuit_fails(&verify(p, &forged), p.profile, &[p.profile, other]);

        let mut forged = p.bundle.clone();
        forged.circuit.id = govproof::registry::names::ProfileName::new(other).unwrap();
        assert_circuit_fails(&verify(p, &forged), p.profile, &[p.profile, other]);

        // A pinned circuit's name sends the bundle to the pins, whose circuit is another.
        let mut forged = p.bundle.clone();
        let pinned = "linear-24-d20-b8-s16-p8-m4";
        forged.circuit.id = govproof::registry::names::ProfileName::new(pinned).unwrap();
        forged.circuit.profile = forged.circuit.id.clone();
        assert_circuit_fails(&verify(p, &forged), p.profile, &[pinned]);
    }
}

#[test]
fn the_key_of_another_target_or_setup_is_rejected() {
    let bb = crate::bundle_support::bb();
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("govproof-circuits-tests");
    let setup = dangerous::development_setup(&cache).unwrap();
    for p in &world().proved {
        let profile = govproof::circuits::Profile::from_name(p.profile).unwrap();
        let json =
            profile_artifact(&profile, InstallPolicy::InstallIfMissing, &mut |_| {}).unwrap();
        let artifact = govproof::artifact::Artifact::from_json_bytes(p.profile, &json).unwrap();
        let circuit = CircuitBytecode::from_msgpack(artifact.bytecode_msgpack().to_vec()).unwrap();
        let mut prover = Prover::new(&bb, &setup, &cache.join("vk")).unwrap();
        let evm = prover.verification_key(&circuit, ProofTarget::Evm).unwrap();
        // The entry names the evm key too, but for target `evm`: the bundle's target decides.
        let mut forged = p.bundle.clone();
        let key = KeyBytes::new(evm.as_bytes().to_vec()).unwrap();
        forged.circuit.verification_key = Some(key.clone());
        forged.circuit.vk_hash = key.digest();
        let named = p.bundle.circuit.verification_key.as_ref().unwrap().digest();
        assert_circuit_fails(
            &verify(p, &forged),
            p.profile,
            &[&key.digest().to_string(), &named.to_string()],
        );

        // The bundle claims Ignition: the entry names no Ignition key.
        let mut forged = p.bundle.clone();
        forged.setup = SetupId::Ignition;
        assert_circuit_fails(
            &verify(p, &forged),
            p.profile,
            &["names no verification key for the ignition setup"],
        );
    }
}

#[test]
fn reproduce_confirms_an_honest_entry_and_reports_a_forged_digest() {
    let w = world();
    let bb = crate::bundle_support::bb();
    let entry = "german-credit-scorecard@1.0.0";
    let (exit, out, err) = govproof(&[
        "registry",
        "reproduce",
        "--dir",
        &s(&w.registry),
        "--trust",
        &s(&w.root),
        entry,
        "--bb",
        &s(&bb),
        "--now",
        DECISION_TIME,
    ]);
    assert_eq!(exit, Exit::Success, "{out}\n{err}");
    assert!(out.contains("MATCH     bytecode"), "{out}");
    assert!(
        out.contains(
            "MATCH     verification key for the development setup and target `noir-recursive`"
        ),
        "{out}"
    );
    assert!(out.contains("REPRODUCED"), "{out}");

    // A copy of the registry whose next snapshot names a forged key digest, signed by 2 of 3.
    let copy = tempfile::tempdir().unwrap();
    crate::registry_support::copy_tree(&w.registry, copy.path());
    let dir = RegistryDir::at(copy.path());
    let model = ModelId::new("german-credit-scorecard").unwrap();
    let trusted = TrustedRegistry::open(
        &dir,
        &TrustState::bootstrap(read_root_file(&w.root).unwrap()).unwrap(),
        time(DECISION_TIME),
    )
    .unwrap();
    let old = trusted
        .registry()
        .entries()
        .entries()
        .iter()
        .find(|e| e.model_id() == &model)
        .unwrap()
        .clone();
    let mut fields = old.fields().clone();
    fields.version = govproof::registry::names::ModelVersion::new("1.0.1").unwrap();
    fields.circuit.as_mut().unwrap().verification_keys[0].vk_hash = Digest::from_bytes([7; 32]);
    dir.add(
        Entry::new(fields).unwrap(),
        govproof::registry::TimeSpan::days(30).unwrap(),
        time("2026-06-01T02:00:00Z"),
    )
    .unwrap();
    for k in &w.keys[..2] {
        let secret = govproof::registry::SecretKey::read(k).unwrap();
        dir.sign(&secret).unwrap();
    }
    let (exit, out, err) = govproof(&[
        "registry",
        "reproduce",
        "--dir",
        &s(copy.path()),
        "--trust",
        &s(&w.root),
        "german-credit-scorecard@1.0.1",
        "--bb",
        &s(&bb),
        "--now",
        DECISION_TIME,
    ]);
    assert_eq!(exit, Exit::Rejected, "{out}\n{err}");
    assert!(out.contains("MATCH     bytecode"), "{out}");
    assert!(
        out.contains(&format!("the entry names {}", Digest::from_bytes([7; 32]))),
        "{out}"
    );
    assert!(out.contains("MISMATCH:"), "{out}");
}

#[test]
fn govproof_prove_and_verify_take_a_lenders_own_model_end_to_end() {
    let w = world();
    let bb = crate::bundle_support::bb();
    let p = &w.proved[0];
    let (policy_path, policy) = read_policy(MODELS[0].1);
    let row: usize = p.bundle.decision.id.as_str()["gc-".len()..]
        .parse()
        .unwrap();
    let schema = FeatureSchema::read(&example().join("features.toml")).unwrap();
    let data = Calibration::read(&example().join("data/german_credit.csv"), &schema).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let application = scratch.path().join("application.json");
    let json = crate::model_german_credit::application_json(
        &policy,
        &data,
        row,
        "gc-cli-1",
        DECISION_TIME,
    );
    std::fs::write(&application, serde_json::to_vec(&json).unwrap()).unwrap();
    let model = scratch.path().join("scorecard.govproof");
    let file = {
        let schema = FeatureSchema::read(&example().join("features.toml")).unwrap();
        let onnx = std::fs::read(example().join("models/scorecard.onnx")).unwrap();
        let bands = ImportPolicy::read(&policy_path).unwrap();
        import(&ImportRequest {
            onnx_name: "scorecard",
            onnx: &onnx,
            schema: &schema,
            calibration: &data,
            policy: Some(&bands),
            profile: None,
            model_id: MODELS[0].1,
            version: "1.0.0",
            max_bound: None,
        })
        .unwrap()
        .0
    };
    file.write(&model).unwrap();
    let bundle = scratch.path().join("bundle.json");
    cli(&[
        "prove",
        "--registry",
        &s(&w.registry),
        "--trust",
        &s(&w.root),
        "--policy",
        &s(&policy_path),
        "--model",
        &s(&model),
        "--application",
        &s(&application),
        "--dev-setup",
        "--now",
        DECISION_TIME,
        "--bb",
        &s(&bb),
        "-o",
        &s(&bundle),
    ]);
    let verify = |bundle: &Path| {
        govproof(&[
            "verify",
            &s(bundle),
            "--trust",
            &s(&w.root),
            "--policy",
            &s(&policy_path),
            "--dev-setup",
        ])
    };
    let (exit, out, err) = verify(&bundle);
    assert_eq!(exit, Exit::DevelopmentSetup, "{out}\n{err}");
    assert!(out.contains("registry-vouched verification key"), "{out}");
    // The same bundle with a key byte changed: exit 2, the circuit check failing.
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    let key = doc["circuit"]["verification_key"]
        .as_str()
        .unwrap()
        .to_string();
    let flipped = if key.starts_with('0') { "1" } else { "0" };
    doc["circuit"]["verification_key"] = serde_json::json!(format!("{flipped}{}", &key[1..]));
    let forged = scratch.path().join("forged.json");
    std::fs::write(&forged, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let (exit, out, _) = verify(&forged);
    assert_eq!(exit, Exit::Rejected, "{out}");
    assert!(out.contains("FAIL  circuit"), "{out}");
}
