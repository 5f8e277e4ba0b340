//! The bundle fixtures under `tests/data/bundles/` are what this file says they are.
//!
//! Two bundles are real proofs, made once with the development setup from fixed governance keys,
//! fixed times and the example policies: `valid/band/bundle.json` (score bands, `mlp-24x16-...`)
//! and `valid/gate-with-policy/bundle.json` (a yes/no gate, `linear-24-...-gate`), with the
//! registry's root in `trust/root.json`. Every other fixture is derived from those by one named
//! change (the attack), deterministically: this test re-derives them all and fails if a
//! checked-in file differs, so a fixture cannot drift from the attack its folder names.
//!
//! `GOVPROOF_REGENERATE_FIXTURES=1 cargo test --test integration bundle_fixtures::` proves the two bundles
//! again and rewrites everything (needed after the circuits, the pinned keys or the policy
//! encoding change; then accept the report snapshots with `cargo insta review`);
//! `GOVPROOF_REGENERATE_FIXTURES=derived` keeps the two proofs and rewrites only what is derived
//! from them (after a derivation is added or changed).
//!
//! A third source, `valid/registry-vouched-key/bundle.json`, is a real proof of the German Credit
//! scorecard (profile `linear-20-...`, pinned by no build) against snapshot 3 of the same
//! registry, whose entry names its circuit's digests; `GOVPROOF_REGENERATE_FIXTURES=vouched`
//! proves it alone again (`=1` proves it too) and rewrites the derived files.

#![allow(clippy::unwrap_used)]

use crate::bundle_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bundle_support::*;
use govproof::bundle::{Bundle, DecisionId, OutcomeClaim, ProofBytes, PublicOutcome};
use govproof::decide::{
    quantize_features, reference, Application, ContextOptions, DecisionContext, DecisionParts,
    TrustedRegistry,
};
use govproof::demo::{demo_model, model_file, publish_registry, Approval};
use govproof::field::Field;
use govproof::registry::entry::Digest;
use govproof::registry::names::ModelVersion;
use govproof::registry::{Scope, Signed, Snapshot, TrustState, Version};
use govproof::setup::{dangerous, SetupId};

fn write(rel: &str, bytes: &[u8]) {
    let path = fixtures().join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn expect(why: &str, args: &[&str], failing: &[&str]) -> Vec<u8> {
    expect_verdict(why, args, failing, None)
}

fn expect_verdict(why: &str, args: &[&str], failing: &[&str], verdict: Option<&str>) -> Vec<u8> {
    let e = Expect {
        why: why.to_string(),
        args: args.iter().map(|s| s.to_string()).collect(),
        failing: failing.iter().map(|s| s.to_string()).collect(),
        verdict: verdict.map(str::to_string),
        exit: None,
    };
    let mut text = serde_json::to_string_pretty(&e).unwrap();
    text.push('\n');
    text.into_bytes()
}

/// Proves the two source bundles and writes them, the policy copies and the trust root.
fn prove_sources() {
    let now = time(REGISTRY_NOW);
    let at = time(DECISION_TIME);
    for name in [BAND_POLICY, GATE_POLICY] {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("policies/{name}.toml")),
        )
        .unwrap();
        write(&format!("policies/{name}.toml"), text.as_bytes());
    }
    let band_policy = policy_from("band", &fixture_policy_text(BAND_POLICY));
    let gate_policy = policy_from("gate", &fixture_policy_text(GATE_POLICY));
    let band_model = demo_model(&band_policy).unwrap();
    let gate_model = demo_model(&gate_policy).unwrap();
    let digest = |p, m| Digest::from_bytes(*blake3::hash(&model_file(p, m)).as_bytes());
    let scratch = tempfile::tempdir().unwrap();
    let keys = keys();
    let (registry, root) = publish_registry(
        &scratch.path().join("registry"),
        &keys,
        2,
        &[
            Approval {
                model: &band_model,
                model_digest: digest(&band_policy, &band_model),
                policy: &band_policy,
            },
            Approval {
                model: &gate_model,
                model_digest: digest(&gate_policy, &gate_model),
                policy: &gate_policy,
            },
        ],
        now,
    )
    .unwrap();
    let mut root_text = serde_json::to_string_pretty(&root).unwrap();
    root_text.push('\n');
    write("trust/root.json", root_text.as_bytes());
    let trust = TrustState::bootstrap(root).unwrap();
    let dev = Path::new(env!("CARGO_TARGET_TMPDIR")).join("govproof-circuits-tests");
    let setup = govproof_testkit::development_setup();
    for (policy, model, id, scope, dest) in [
        (
            band_policy,
            band_model,
            "APP-2026-000042",
            "consumer-credit/EU-DE/personal-loan",
            "valid/band/bundle.json",
        ),
        (
            gate_policy,
            gate_model,
            "TXN-2026-778899",
            "fraud-screening/EU-FR/card-payment",
            "valid/gate-with-policy/bundle.json",
        ),
    ] {
        let trusted = TrustedRegistry::open(&registry, &trust, at).unwrap();
        let features = quantize_features(&reference::reference_applicant(&policy)).unwrap();
        let context = DecisionContext::with_options(
            DecisionParts {
                registry: trusted,
                policy,
                model,
                setup: setup.clone(),
            },
            ContextOptions {
                bb: Some(bb()),
                cache_dir: Some(dev.join("vk")),
                ..ContextOptions::default()
            },
        )
        .unwrap();
        let application = Application {
            decision_id: DecisionId::new(id).unwrap(),
            time: at,
            scope: scope.parse::<Scope>().unwrap(),
            features,
        };
        let proved = context
            .decide(&application, &mut context.prover().unwrap())
            .unwrap()
            .proved()
            .unwrap();
        write(dest, proved.bundle.to_json_pretty().as_bytes());
    }
}

/// The third source bundle: the German Credit scorecard (profile `linear-20-...`, pinned by no
/// build) proved against snapshot 3 of the source registry, whose entry names the circuit's
/// bytecode and development-key digests; the bundle carries its key and that entry.
const VOUCHED: &str = "valid/registry-vouched-key";

fn german_credit() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/german_credit")
}

fn vouched_policy_text() -> String {
    std::fs::read_to_string(german_credit().join("policies/german-credit-scorecard.toml")).unwrap()
}

/// Proves the third source bundle (see [`VOUCHED`]) and writes it.
fn prove_vouched_source() {
    use govproof::model::calibration::Calibration;
    use govproof::model::certificate::quantize_row;
    use govproof::model::{import, FeatureSchema, ImportPolicy, ImportRequest};
    use govproof::registry::entry::QuantizationCertificate;
    use govproof::registry::names::{Note, ProfileName};
    use govproof::registry::{Entry, EntryDraft, Status, TimeSpan};

    let scratch = tempfile::tempdir().unwrap();
    let registry = source_registry(&scratch.path().join("registry"));
    let policy = policy_from("vouched", &vouched_policy_text());
    let gc = german_credit();
    let schema = FeatureSchema::read(&gc.join("features.toml")).unwrap();
    let data = Calibration::read(&gc.join("data/german_credit.csv"), &schema).unwrap();
    let bands = ImportPolicy::read(&gc.join("policies/german-credit-scorecard.toml")).unwrap();
    let onnx = std::fs::read(gc.join("models/scorecard.onnx")).unwrap();
    let (file, _) = import(&ImportRequest {
        onnx_name: "scorecard",
        onnx: &onnx,
        schema: &schema,
        calibration: &data,
        policy: Some(&bands),
        profile: None,
        model_id: "german-credit-scorecard",
        version: "1.0.0",
        max_bound: None,
    })
    .unwrap();
    let dev = Path::new(env!("CARGO_TARGET_TMPDIR")).join("govproof-circuits-tests");
    let setup = dangerous::development_setup(&dev).unwrap();
    let json = govproof::circuits::generate::profile_artifact(
        &file.profile,
        govproof::toolchain::InstallPolicy::InstallIfMissing,
        &mut |_| {},
    )
    .unwrap();
    let derived = govproof::circuits::digests::derive(
        &file.profile.name(),
        &json,
        &bb(),
        std::slice::from_ref(&setup),
        &dev.join("vk"),
    )
    .unwrap();
    let entry = Entry::new(EntryDraft {
        model_id: file.model_id.clone(),
        version: file.version.clone(),
        weights_commitment: file.weights_commitment(),
        model_digest: Digest::from_bytes(*blake3::hash(&file.to_bytes()).as_bytes()),
        profile: ProfileName::new(&file.profile.name()).unwrap(),
        scope_capacity: file.profile.scopes() as u32,
        fixed_point_scale: 1 << 16,
        scopes: vec!["consumer-credit/EU-DE/instalment-loan".parse().unwrap()],
        valid_from: time(REGISTRY_NOW),
        valid_until: time("2027-04-10T00:00:00Z"),
        status: Status::Approved,
        approved_by: Note::new("Credit Risk Committee (example)").unwrap(),
        approved_at: time(REGISTRY_NOW),
        quantization_certificate: Some(QuantizationCertificate(file.certificate.to_json_object())),
        circuit: Some(derived.digests),
    })
    .unwrap();
    registry
        .add(
            entry,
            TimeSpan::days(30).unwrap(),
            time("2026-04-10T01:00:00Z"),
        )
        .unwrap();
    for k in keys().iter().take(2) {
        registry.sign(k).unwrap();
    }
    let root: Signed<govproof::registry::Root> =
        serde_json::from_slice(&std::fs::read(fixtures().join("trust/root.json")).unwrap())
            .unwrap();
    let trust = TrustState::bootstrap(root).unwrap();
    let at = time(DECISION_TIME);
    let context = DecisionContext::with_options(
        DecisionParts {
            registry: TrustedRegistry::open(&registry, &trust, at).unwrap(),
            policy,
            model: govproof::decide::Model::new(
                file.model_id.clone(),
                file.version.clone(),
                file.model.clone(),
            ),
            setup,
        },
        ContextOptions {
            bb: Some(bb()),
            cache_dir: Some(dev.join("vk")),
            ..ContextOptions::default()
        },
    )
    .unwrap();
    let mut prover = context.prover().unwrap();
    let bundle = (0..data.rows().len())
        .find_map(|row| {
            let application = Application {
                decision_id: DecisionId::new(&format!("GC-2026-{row:06}")).unwrap(),
                time: at,
                scope: "consumer-credit/EU-DE/instalment-loan".parse().unwrap(),
                features: quantize_row(&data.rows()[row]).unwrap(),
            };
            context
                .decide(&application, &mut prover)
                .unwrap()
                .proved()
                .ok()
        })
        .unwrap()
        .bundle;
    write(
        &format!("{VOUCHED}/bundle.json"),
        bundle.to_json_pretty().as_bytes(),
    );
}

/// `b` with its model's entry changed by `change` and a snapshot over the changed tree (the same
/// Merkle path from the changed leaf), version + 1, signed by two of the three governance keys.
fn resigned_entry(b: &Bundle, change: impl Fn(&mut govproof::registry::EntryDraft)) -> Bundle {
    let mut b = b.clone();
    let claim = b.registry.entry.as_mut().unwrap();
    let mut fields = claim.entry.fields().clone();
    change(&mut fields);
    claim.entry = govproof::registry::Entry::new(fields).unwrap();
    let root = claim.path.root_from(claim.entry.leaf().hash());
    let old = &b.registry.snapshot.signed;
    let snapshot = Snapshot::from_parts(
        Version::new(old.version().get() + 1).unwrap(),
        root,
        old.entry_count(),
        old.created(),
        old.expires(),
    )
    .unwrap();
    let mut signed = Signed::unsigned(snapshot);
    for k in keys().iter().take(2) {
        signed.sign_with(k);
    }
    b.registry.snapshot = signed;
    b
}

/// The registry the source bundles were proved against, built again in `dir` (same keys, times and
/// models, so the same signed documents); for fixtures whose trust state saw a later snapshot.
fn source_registry(dir: &Path) -> govproof::registry::RegistryDir {
    let band_policy = policy_from("band", &fixture_policy_text(BAND_POLICY));
    let gate_policy = policy_from("gate", &fixture_policy_text(GATE_POLICY));
    let band_model = demo_model(&band_policy).unwrap();
    let gate_model = demo_model(&gate_policy).unwrap();
    let digest = |p, m| Digest::from_bytes(*blake3::hash(&model_file(p, m)).as_bytes());
    let (registry, _) = publish_registry(
        dir,
        &keys(),
        2,
        &[
            Approval {
                model: &band_model,
                model_digest: digest(&band_policy, &band_model),
                policy: &band_policy,
            },
            Approval {
                model: &gate_model,
                model_digest: digest(&gate_policy, &gate_model),
                policy: &gate_policy,
            },
        ],
        time(REGISTRY_NOW),
    )
    .unwrap();
    registry
}

/// The trust state of a client that verified the source registry after a snapshot 3 revoking the
/// band bundle's model at `revoked_at` (signed by two of the three keys, verified at that time).
fn state_after_revocation(
    band: &Bundle,
    root: &Signed<govproof::registry::Root>,
    revoked_at: &str,
) -> Vec<u8> {
    let scratch = tempfile::tempdir().unwrap();
    let registry = source_registry(&scratch.path().join("registry"));
    let now = time(revoked_at);
    registry
        .revoke(
            &band.model.id,
            &band.model.version,
            govproof::registry::names::Note::new("drift above tolerance").unwrap(),
            govproof::registry::TimeSpan::days(30).unwrap(),
            now,
        )
        .unwrap();
    for k in keys().iter().take(2) {
        registry.sign(k).unwrap();
    }
    let trust = TrustState::bootstrap(root.clone()).unwrap();
    let (_, state) = registry.verify(&trust, now).unwrap();
    assert_eq!(state.revocations().len(), 1);
    state.to_json_pretty().into_bytes()
}

fn read_bundle(rel: &str) -> Bundle {
    Bundle::from_json(&std::fs::read(fixtures().join(rel)).unwrap()).unwrap()
}

fn json(b: &Bundle) -> Vec<u8> {
    b.to_json_pretty().into_bytes()
}

/// Every derived file: relative path -> bytes.
fn derived() -> BTreeMap<String, Vec<u8>> {
    let band = read_bundle("valid/band/bundle.json");
    let gate = read_bundle("valid/gate-with-policy/bundle.json");
    let band_text = fixture_policy_text(BAND_POLICY);
    let gate_text = fixture_policy_text(GATE_POLICY);
    let band_policy = policy_from("band", &band_text);
    let gate_policy = policy_from("gate", &gate_text);
    let root: Signed<govproof::registry::Root> =
        serde_json::from_slice(&std::fs::read(fixtures().join("trust/root.json")).unwrap())
            .unwrap();
    let keys = keys();
    let dev = ["--dev-setup"];
    let mut f = Files(BTreeMap::new());

    // Valid.
    f.put(
        "valid/band",
        "expect.json",
        expect_verdict(
            "the band bundle as proved, checked without its policy file: the proof holds, the \
             policy's id and version and the band's names are not checked",
            &dev,
            &[],
            Some("valid-policy-not-checked"),
        ),
    );

    // The lender's words relabelled (band name, outcome, policy id and version): the proof binds
    // none of them, so without the policy file the bundle is at most "valid, policy not
    // checked", and the report shows the words as the lender's; with the policy file each is
    // rejected.
    let relabel = |b: &mut Bundle, band: Option<&str>, outcome: Option<&str>| {
        if let OutcomeClaim::ScoreBand {
            band: name,
            outcome: o,
            ..
        } = &mut b.decision.outcome
        {
            if let Some(n) = band {
                *name = govproof::bundle::PolicyName::new(n).unwrap();
            }
            if let Some(x) = outcome {
                *o = serde_json::from_value(serde_json::json!(x)).unwrap();
            }
        }
    };
    let mut b = band.clone();
    relabel(&mut b, Some("prime"), Some("decline"));
    b.policy.id = govproof::bundle::PolicyName::new("lenient-credit").unwrap();
    b.policy.version = govproof::bundle::PolicyName::new("2099.9").unwrap();
    let d = "valid/relabelled-words-without-policy";
    f.put(d, "bundle.json", json(&b));
    f.put(
        d,
        "expect.json",
        expect_verdict(
            "band name, outcome, policy id and version relabelled, checked without the policy \
             file: valid with the policy not checked, the words shown as the lender's",
            &dev,
            &[],
            Some("valid-policy-not-checked"),
        ),
    );
    let d = "rejected/relabelled-outcome";
    let mut b = band.clone();
    relabel(&mut b, None, Some("decline"));
    f.put(d, "bundle.json", json(&b));
    f.put(d, "policy.toml", band_text.clone().into_bytes());
    f.put(
        d,
        "expect.json",
        expect(
            "the proved band's outcome relabelled from approve to decline, checked against the \
             policy file",
            &dev,
            &["policy"],
        ),
    );
    let d = "rejected/relabelled-policy-id-and-version";
    let mut b = band.clone();
    b.policy.id = govproof::bundle::PolicyName::new("lenient-credit").unwrap();
    b.policy.version = govproof::bundle::PolicyName::new("2099.9").unwrap();
    f.put(d, "bundle.json", json(&b));
    f.put(d, "policy.toml", band_text.clone().into_bytes());
    f.put(
        d,
        "expect.json",
        expect(
            "the policy named as another id and version (the hash unchanged), checked against \
             the policy file",
            &dev,
            &["policy"],
        ),
    );

    // The applicant's true features put into the lender's opening file (so they no longer hash
    // to the commitment the file states): the `opening` check fails, "not made on these
    // features", exit 2; never "the file is damaged".
    let d = "rejected/opening-features-edited";
    let mut features = quantize_features(&reference::reference_applicant(&band_policy))
        .unwrap()
        .values()
        .to_vec();
    features[0] += 1 << 16;
    let opening = serde_json::json!({
        "features_fixed_point": features,
        "salt": Field::from(0x5a17u64),
        "commitment": band.input_commitment,
    });
    f.put(d, "bundle.json", json(&band));
    f.put(d, "opening.json", pretty(&opening));
    f.put(
        d,
        "expect.json",
        expect(
            "an opening whose features were edited after the lender wrote it: they do not open \
             the bundle's input commitment",
            &dev,
            &["opening"],
        ),
    );

    // A bb version that only starts like the pinned one.
    let mut v: serde_json::Value = serde_json::from_str(&band.to_json_pretty()).unwrap();
    v["circuit"]["bb_version"] = serde_json::json!("5.0.0.evil");
    f.rejected(
        "bb-version-only-a-prefix",
        "the bundle names bb `5.0.0.evil`, which starts like the pinned 5.0.0 but is not it",
        pretty(&v),
        &dev,
        &["circuit"],
    );
    f.put(
        "valid/gate-with-policy",
        "expect.json",
        expect(
            "the gate bundle as proved, checked against its policy file",
            &dev,
            &[],
        ),
    );
    f.put(
        "valid/gate-with-policy",
        "policy.toml",
        gate_text.clone().into_bytes(),
    );
    let d = "valid/band-with-policy-and-state";
    f.put(d, "bundle.json", json(&band));
    f.put(d, "policy.toml", band_text.clone().into_bytes());
    let seen = TrustState::bootstrap(root.clone()).unwrap();
    let verified = seen
        .check_snapshot(&band.registry.snapshot, band.decision.time)
        .unwrap();
    let mut state = serde_json::to_string_pretty(&seen.after(&verified)).unwrap();
    state.push('\n');
    f.put(d, "state.json", state.into_bytes());
    f.put(
        d,
        "expect.json",
        expect(
            "the band bundle checked against its policy file and a trust state that already \
             accepted its snapshot",
            &dev,
            &[],
        ),
    );

    // Rejected: one change each.

    let mut b = band.clone();
    let mut proof = b.proof.as_bytes().to_vec();
    proof[1000] ^= 0x01;
    b.proof = ProofBytes::new(proof).unwrap();
    f.rejected(
        "flipped-proof-byte",
        "one bit of the proof flipped",
        json(&b),
        &dev,
        &["proof"],
    );

    let mut b = band.clone();
    let proof = b.proof.as_bytes();
    b.proof = ProofBytes::new(proof[..proof.len() - 32].to_vec()).unwrap();
    f.rejected(
        "truncated-proof",
        "the proof's last field cut off",
        json(&b),
        &dev,
        &["proof"],
    );

    let mut b = band.clone();
    let OutcomeClaim::ScoreBand { band_index, .. } = b.decision.outcome.clone() else {
        panic!("the band bundle has a band outcome")
    };
    let other = if band_index > 0 {
        band_index - 1
    } else {
        band_index + 1
    };
    b.decision.outcome = govproof::decide::outcome_claim(
        &band_policy,
        govproof::circuits::CircuitOutcome::Band(other),
    )
    .unwrap();
    b.public_inputs.outcome = PublicOutcome::BandIndex(Field::from(u64::from(other)));
    f.rejected(
        "changed-band",
        "another band claimed, in words and in the public input",
        json(&b),
        &dev,
        &["proof"],
    );

    let mut b = gate.clone();
    let OutcomeClaim::Gate { decision, .. } = b.decision.outcome.clone() else {
        panic!("the gate bundle has a gate outcome")
    };
    b.decision.outcome = govproof::decide::outcome_claim(
        &gate_policy,
        govproof::circuits::CircuitOutcome::Decision(!decision),
    )
    .unwrap();
    b.public_inputs.outcome = PublicOutcome::Decision(Field::from(!decision));
    f.rejected(
        "changed-decision-bit",
        "the gate's decision flipped, in words and in the public input",
        json(&b),
        &dev,
        &["proof"],
    );

    let mut b = band.clone();
    b.policy.hash = b.policy.hash + Field::one();
    b.public_inputs.policy_hash = b.policy.hash;
    f.rejected(
        "changed-policy-hash",
        "another policy hash, in the claim and in the public input",
        json(&b),
        &dev,
        &["proof"],
    );

    let mut b = band.clone();
    b.public_inputs.registry_root = b.public_inputs.registry_root + Field::one();
    f.rejected(
        "changed-registry-root",
        "another registry root in the public inputs (the signed snapshot unchanged)",
        json(&b),
        &dev,
        &["public-inputs", "proof"],
    );

    let mut b = band.clone();
    b.decision.time =
        govproof::registry::Timestamp::from_unix(b.decision.time.unix() + 3600).unwrap();
    b.public_inputs.decision_time = Field::from(b.decision.time.unix());
    f.rejected(
        "changed-decision-time",
        "the decision time moved by an hour, in words and in the public input",
        json(&b),
        &dev,
        &["proof"],
    );

    let mut b = band.clone();
    b.decision.scope = "consumer-credit/EU-DE/credit-card".parse().unwrap();
    b.public_inputs.product = b.decision.scope.product.label();
    f.rejected(
        "changed-scope",
        "another product (one the policy allows), in words and in the public input",
        json(&b),
        &dev,
        &["proof"],
    );

    let mut b = band.clone();
    b.model.version = ModelVersion::new("3.1.0").unwrap();
    b.public_inputs.model_version = b.model.version.label();
    f.rejected(
        "changed-model-version",
        "another model version (one the policy allows), in words and in the public input",
        json(&b),
        &dev,
        &["proof"],
    );

    let mut b = band.clone();
    b.model.version = ModelVersion::new("3.1.0").unwrap();
    f.rejected(
        "claims-disagree-with-public-inputs",
        "the bundle says model version 3.1.0, the proof's public input is 3.2.0",
        json(&b),
        &dev,
        &["public-inputs"],
    );

    let mut b = band.clone();
    b.registry.snapshot.signatures.truncate(1);
    f.rejected(
        "registry-below-threshold",
        "the registry snapshot carries one signature, the root needs two",
        json(&b),
        &dev,
        &["registry"],
    );

    let mut b = band.clone();
    let first = b.registry.snapshot.signatures[0].clone();
    b.registry.snapshot.signatures = vec![first.clone(), first];
    f.rejected(
        "registry-duplicate-signer",
        "the snapshot's two signatures are the same key's",
        json(&b),
        &dev,
        &["registry"],
    );

    let mut b = band.clone();
    let s = &b.registry.snapshot.signed;
    let expired = Snapshot::from_parts(
        s.version(),
        s.merkle_root(),
        s.entry_count(),
        s.created(),
        govproof::registry::Timestamp::from_unix(b.decision.time.unix() - 86_400).unwrap(),
    )
    .unwrap();
    let mut signed = Signed::unsigned(expired);
    signed.sign_with(&keys[0]);
    signed.sign_with(&keys[1]);
    b.registry.snapshot = signed;
    f.rejected(
        "registry-expired-snapshot",
        "a properly signed snapshot that expired the day before the decision",
        json(&b),
        &dev,
        &["registry"],
    );

    // Revocation is judged at the decision time against the newest snapshot the state verified:
    // the bundle's older snapshot is no rollback by itself.
    let d = "valid/decided-before-a-later-revocation";
    f.put(d, "bundle.json", json(&band));
    f.put(d, "policy.toml", band_text.clone().into_bytes());
    f.put(
        d,
        "state.json",
        state_after_revocation(&band, &root, "2026-04-16T09:30:00Z"),
    );
    f.put(
        d,
        "expect.json",
        expect(
            "the trust state verified a snapshot 3 that revokes the model a day after the \
             decision: the decision, made against snapshot 2 before the revocation, stays valid",
            &dev,
            &[],
        ),
    );

    let d = "rejected/registry-model-revoked-before-decision";
    f.put(d, "bundle.json", json(&band));
    f.put(
        d,
        "state.json",
        state_after_revocation(&band, &root, "2026-04-15T08:30:00Z"),
    );
    f.put(
        d,
        "expect.json",
        expect(
            "the trust state verified a snapshot 3 that revoked the model an hour before the \
             decision, which still carries the older snapshot 2",
            &dev,
            &["registry"],
        ),
    );

    // A trust state whose chain ends in an attacker's root, which the trusted root never
    // signed, with the bundle's snapshot re-signed by the attacker's key (the proof still
    // verifies: the Merkle root is unchanged). The state is refused: could not check.
    let d = "rejected/state-replaces-root";
    let attacker = govproof::registry::SecretKey::from_seed(&[7; 32]);
    let mut b = band.clone();
    let mut resigned = Signed::unsigned(b.registry.snapshot.signed.clone());
    resigned.sign_with(&attacker);
    b.registry.snapshot = resigned;
    f.put(d, "bundle.json", json(&b));
    let r = &root.signed;
    let evil = govproof::registry::Root::new(
        Version::new(2).unwrap(),
        vec![govproof::registry::RootKey::new(
            attacker.public_key(),
            None,
        )],
        1,
        r.created(),
        r.expires(),
    )
    .unwrap();
    let mut evil = Signed::unsigned(evil);
    evil.sign_with(&attacker);
    let mut state = serde_json::to_value(TrustState::bootstrap(root.clone()).unwrap()).unwrap();
    state["roots"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::to_value(&evil).unwrap());
    f.put(d, "state.json", pretty(&state));
    let e = Expect {
        why: "the trust state's chain ends in an attacker's root 2, not signed by the trusted \
              root, and the snapshot is signed by the attacker's key only"
            .to_string(),
        args: dev.iter().map(|s| s.to_string()).collect(),
        failing: Vec::new(),
        verdict: None,
        exit: Some(1),
    };
    f.put(d, "expect.json", pretty(&serde_json::to_value(&e).unwrap()));

    // The same attacker root alone, self-signed: it is not the trusted root, nor reached from it.
    let d = "rejected/state-with-only-an-attacker-root";
    f.put(d, "bundle.json", json(&b));
    let state = serde_json::json!({
        "format": "govproof-trust-state/v2",
        "roots": [serde_json::to_value(&evil).unwrap()],
    });
    f.put(d, "state.json", pretty(&state));
    let e = Expect {
        why: "the trust state holds only an attacker's self-signed root 2 with one key, which \
              signed the snapshot; the trusted root is root 1"
            .to_string(),
        args: dev.iter().map(|s| s.to_string()).collect(),
        failing: Vec::new(),
        verdict: None,
        exit: Some(1),
    };
    f.put(d, "expect.json", pretty(&serde_json::to_value(&e).unwrap()));

    let d = "rejected/policy-file-mismatch";
    f.put(d, "bundle.json", json(&band));
    let edited = band_text
        .replacen("lower = 700", "lower = 705", 1)
        .replacen("upper = 700", "upper = 705", 1);
    assert_ne!(edited, band_text);
    f.put(d, "policy.toml", edited.into_bytes());
    f.put(
        d,
        "expect.json",
        expect(
            "the policy file moves the prime band's bound: it is not the policy the proof commits to",
            &dev,
            &["policy"],
        ),
    );

    let d = "rejected/band-name-not-the-policys";
    let mut b = band.clone();
    if let OutcomeClaim::ScoreBand { band, .. } = &mut b.decision.outcome {
        *band = govproof::bundle::PolicyName::new("prime-plus").unwrap();
    }
    f.put(d, "bundle.json", json(&b));
    f.put(d, "policy.toml", band_text.clone().into_bytes());
    f.put(
        d,
        "expect.json",
        expect(
            "the bundle names the proved band differently from the policy file",
            &dev,
            &["policy"],
        ),
    );

    let mut b = band.clone();
    b.circuit.id = "mlp-24x16-d20-b8-s16-p8-m5".parse().unwrap();
    b.circuit.profile = b.circuit.id.clone();
    f.rejected(
        "unknown-circuit",
        "a circuit this verifier has no pinned key for",
        json(&b),
        &dev,
        &["circuit"],
    );

    let mut b = band.clone();
    b.circuit.vk_hash = govproof::registry::entry::Digest::from_bytes([0x11; 32]);
    f.rejected(
        "verification-key-not-pinned",
        "the bundle names a verification key other than the pinned one",
        json(&b),
        &dev,
        &["circuit"],
    );

    f.rejected(
        "development-setup-without-flag",
        "a development-setup proof checked without --dev-setup",
        json(&band),
        &[],
        &["setup"],
    );

    let text = band.to_json_pretty();
    f.rejected(
        "malformed-json",
        "the document cut off in the middle",
        text.as_bytes()[..text.len() / 2].to_vec(),
        &dev,
        &["format"],
    );

    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["decision"]["id"] = serde_json::Value::String("A".repeat(5000));
    f.rejected(
        "oversized-decision-id",
        "a decision id of 5000 characters",
        pretty(&v),
        &dev,
        &["format"],
    );

    let mut padded = text.clone().into_bytes();
    padded.extend(std::iter::repeat_n(b' ', 70_000));
    f.rejected(
        "oversized-document",
        "a bundle padded past the 64 KiB limit",
        padded,
        &dev,
        &["format"],
    );

    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["input_commitment"] = serde_json::Value::String(
        "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001".to_string(),
    );
    f.rejected(
        "non-canonical-field",
        "the input commitment written as the field modulus (a non-canonical zero)",
        pretty(&v),
        &dev,
        &["format"],
    );

    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["public_inputs"]["score"] = serde_json::Value::String(Field::one().to_hex());
    f.rejected(
        "unknown-field",
        "an extra public input the circuit does not have",
        pretty(&v),
        &dev,
        &["format"],
    );

    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["decision"]["outcome"]["band_index"] = serde_json::Value::String("4".to_string());
    f.rejected(
        "wrong-type",
        "the band index written as a string",
        pretty(&v),
        &dev,
        &["format"],
    );

    // A circuit no build pins, its key vouched for by the signed registry entry (see
    // `VOUCHED`); each change below is refused by the circuit check, naming both values.
    let v = read_bundle(&format!("{VOUCHED}/bundle.json"));
    f.put(VOUCHED, "policy.toml", vouched_policy_text().into_bytes());
    f.put(
        VOUCHED,
        "expect.json",
        expect(
            "the German Credit scorecard's bundle (profile `linear-20-...`, pinned by no build): \
             its carried key is the one its signed registry entry names",
            &dev,
            &[],
        ),
    );
    let carried = v.circuit.verification_key.clone().unwrap();
    let mut b = v.clone();
    let mut bytes = carried.as_bytes().to_vec();
    bytes[200] ^= 1;
    b.circuit.verification_key = Some(govproof::bundle::KeyBytes::new(bytes).unwrap());
    f.rejected(
        "registry-vouched-key-byte-changed",
        "one byte of the carried verification key changed: it no longer hashes to the digest the \
         signed entry names",
        json(&b),
        &dev,
        &["circuit"],
    );
    let mut b = v.clone();
    b.circuit.verification_key = None;
    f.rejected(
        "registry-vouched-key-missing",
        "an unpinned circuit's bundle without its verification key",
        json(&b),
        &dev,
        &["circuit"],
    );
    let b = resigned_entry(&v, |d| {
        for k in &mut d.circuit.as_mut().unwrap().verification_keys {
            k.vk_hash = Digest::from_bytes([0x22; 32]);
        }
    });
    f.rejected(
        "registry-entry-digest-changed-and-resigned",
        "the entry's key digests changed and the snapshot re-signed by the registry's own keys: \
         the registry check passes, the carried key is not the one the entry names (and the \
         proof's registry root is not the new snapshot's)",
        json(&b),
        &dev,
        &["circuit", "public-inputs"],
    );
    let b = resigned_entry(&v, |d| d.circuit = None);
    f.rejected(
        "registry-entry-without-circuit-digests",
        "the entry re-signed without circuit digests, as entries were written before they \
         existed: it cannot vouch for a key",
        json(&b),
        &dev,
        &["circuit", "public-inputs"],
    );
    let mut b = v.clone();
    let claim = b.registry.entry.as_mut().unwrap();
    let mut fields = claim.entry.fields().clone();
    fields.circuit.as_mut().unwrap().verification_keys[0].vk_hash = Digest::from_bytes([0x33; 32]);
    claim.entry = govproof::registry::Entry::new(fields).unwrap();
    f.rejected(
        "registry-entry-edited-not-in-signed-tree",
        "the carried entry edited without re-signing: its leaf is not in the signed snapshot's tree",
        json(&b),
        &dev,
        &["circuit"],
    );
    let mut b = v.clone();
    b.circuit.profile =
        govproof::registry::names::ProfileName::new("mlp-20x16-d20-b8-s16-p8-m4").unwrap();
    f.rejected(
        "registry-vouched-profile-changed",
        "the bundle names another profile than its entry's circuit",
        json(&b),
        &dev,
        &["circuit"],
    );
    let mut b = v.clone();
    b.circuit.proof_target = govproof::prover::ProofTarget::Evm;
    f.rejected(
        "registry-vouched-key-of-another-target",
        "the bundle claims target `evm`: the entry's `evm` key digest is not the carried key's",
        json(&b),
        &dev,
        &["circuit"],
    );
    let mut b = v.clone();
    b.setup = SetupId::Ignition;
    f.rejected(
        "registry-vouched-key-of-another-setup",
        "the bundle claims the Ignition setup: the entry names no Ignition key",
        json(&b),
        &dev,
        &["circuit"],
    );

    f.0
}

struct Files(BTreeMap<String, Vec<u8>>);

impl Files {
    fn put(&mut self, dir: &str, name: &str, bytes: Vec<u8>) {
        self.0.insert(format!("{dir}/{name}"), bytes);
    }

    fn rejected(&mut self, name: &str, why: &str, b: Vec<u8>, args: &[&str], failing: &[&str]) {
        let dir = format!("rejected/{name}");
        self.put(&dir, "bundle.json", b);
        self.put(&dir, "expect.json", expect(why, args, failing));
    }
}

fn pretty(v: &serde_json::Value) -> Vec<u8> {
    let mut text = serde_json::to_string_pretty(v).unwrap();
    text.push('\n');
    text.into_bytes()
}

fn listed(dir: &Path, base: &Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p: PathBuf = e.unwrap().path();
        if p.is_dir() {
            listed(&p, base, out);
        } else {
            out.push(p.strip_prefix(base).unwrap().display().to_string());
        }
    }
}

#[test]
fn fixtures_are_the_source_bundles_and_their_named_changes() {
    // `1`: prove the two source bundles again and rewrite everything; `derived`: keep the
    // source bundles and rewrite what is derived from them (after a change to a derivation).
    let mode = std::env::var("GOVPROOF_REGENERATE_FIXTURES").unwrap_or_default();
    let regenerate = mode == "1" || mode == "derived" || mode == "vouched";
    if regenerate {
        let _ = std::fs::remove_dir_all(fixtures().join("rejected"));
        for dir in std::fs::read_dir(fixtures().join("valid")).unwrap() {
            let dir = dir.unwrap().path();
            if !["band", "gate-with-policy", "registry-vouched-key"]
                .contains(&dir.file_name().unwrap().to_str().unwrap())
            {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }
    if mode == "1" {
        prove_sources();
    }
    if mode == "1" || mode == "vouched" {
        prove_vouched_source();
    }
    let files = derived();
    if regenerate {
        for (rel, bytes) in &files {
            write(rel, bytes);
        }
        return;
    }
    for (rel, bytes) in &files {
        let on_disk = std::fs::read(fixtures().join(rel))
            .unwrap_or_else(|e| panic!("`{rel}`: {e}; regenerate the fixtures"));
        assert!(
            on_disk == *bytes,
            "`{rel}` is not what its folder's change makes of the source bundles; run \
             GOVPROOF_REGENERATE_FIXTURES=1 cargo test --test integration bundle_fixtures::"
        );
    }
    // Nothing in valid/ or rejected/ that the derivation does not account for.
    let sources = [
        "valid/band/bundle.json",
        "valid/gate-with-policy/bundle.json",
        "valid/registry-vouched-key/bundle.json",
    ];
    let mut present = Vec::new();
    for kind in ["valid", "rejected"] {
        listed(&fixtures().join(kind), &fixtures(), &mut present);
    }
    for rel in present {
        assert!(
            files.contains_key(&rel) || sources.contains(&rel.as_str()),
            "`{rel}` is not made by the fixture derivation"
        );
    }
}
