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
//! encoding change; then accept the report snapshots with `cargo insta review`).

#![allow(clippy::unwrap_used)]

use crate::bundle_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bundle_support::*;
use govproof::bundle::{Bundle, DecisionId, OutcomeClaim, ProofBytes, PublicOutcome};
use govproof::cli::demo::{demo_model, model_file, publish_registry, Approval};
use govproof::decide::{
    quantize_features, reference, Application, ContextOptions, DecisionContext, DecisionParts,
    TrustedRegistry,
};
use govproof::field::Field;
use govproof::registry::entry::Digest;
use govproof::registry::names::ModelVersion;
use govproof::registry::trust::SeenSnapshot;
use govproof::registry::{Scope, Signed, Snapshot, TrustState, Version};
use govproof::setup::dangerous;

fn write(rel: &str, bytes: &[u8]) {
    let path = fixtures().join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn expect(why: &str, args: &[&str], failing: &[&str]) -> Vec<u8> {
    let e = Expect {
        why: why.to_string(),
        args: args.iter().map(|s| s.to_string()).collect(),
        failing: failing.iter().map(|s| s.to_string()).collect(),
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
    let setup = dangerous::development_setup(&dev).unwrap();
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
    let dev = ["--allow-dev-setup"];
    let mut f = Files(BTreeMap::new());

    // Valid.
    f.put(
        "valid/band",
        "expect.json",
        expect("the band bundle as proved", &dev, &[]),
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
    b.decision.outcome =
        govproof::decide::outcome_claim(&band_policy, govproof::circuits::Outcome::Band(other))
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
        govproof::circuits::Outcome::Decision(!decision),
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

    let d = "rejected/registry-rolled-back";
    f.put(d, "bundle.json", json(&band));
    let rolled = serde_json::json!({
        "root": root,
        "last_snapshot": SeenSnapshot {
            version: Version::new(band.registry.snapshot.signed.version().get() + 1).unwrap(),
            merkle_root: Field::from(7u64),
        },
    });
    let mut rolled = serde_json::to_string_pretty(&rolled).unwrap();
    rolled.push('\n');
    f.put(d, "state.json", rolled.into_bytes());
    f.put(
        d,
        "expect.json",
        expect(
            "the trust state already accepted a newer snapshot than the bundle's",
            &dev,
            &["registry"],
        ),
    );

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
        "a development-setup proof checked without --allow-dev-setup",
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
    let regenerate = std::env::var("GOVPROOF_REGENERATE_FIXTURES").is_ok_and(|v| v == "1");
    if regenerate {
        let _ = std::fs::remove_dir_all(fixtures().join("rejected"));
        let _ = std::fs::remove_dir_all(fixtures().join("valid/band-with-policy-and-state"));
        prove_sources();
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
