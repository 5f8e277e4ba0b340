//! Proven reasons (`-rK` profiles): a German Credit scorecard decline proves its four reasons,
//! which match a computation in this test; the same proof claiming the reasons swapped, reordered,
//! or with one replaced by a feature of smaller contribution is rejected; the witness solver
//! refuses such claims too; and the Rust mirror and the circuit agree on random cases (ties,
//! zero weights, fewer negative contributions than reason slots).

#![allow(clippy::unwrap_used)]

use crate::circuits_support::{self, Rng, Scenario};

use std::fs;
use std::path::{Path, PathBuf};

use govproof::abi::InputValue;
use govproof::artifact::Artifact;
use govproof::circuits::generate::compile_cached;
use govproof::circuits::reasons::{reason_codes, Baselines};
use govproof::circuits::{CircuitDecision, Profile, QuantizedModel};
use govproof::field::Field;
use govproof::model::calibration::Calibration;
use govproof::model::certificate::quantize_row;
use govproof::model::{import, FeatureSchema, ImportPolicy, ImportRequest, ModelFile};
use govproof::policy::Decision as PolicyDecision;
use govproof::policy::{check, Outcome as PolicyOutcome, Policy, SourceFile};
use govproof::registry::entry::Digest;
use govproof::registry::EntrySet;
use govproof::toolchain::InstallPolicy;
use govproof::witness::{execute, WitnessError};

fn here() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/german_credit")
}

fn cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("govproof-reasons-tests")
}

fn artifact(profile: &Profile) -> Artifact {
    let json = compile_cached(
        profile,
        &cache(),
        InstallPolicy::InstallIfMissing,
        &mut |m| eprintln!("{m}"),
    )
    .unwrap();
    Artifact::from_json_bytes(&profile.name(), &json).unwrap()
}

fn read_policy(path: &Path) -> Policy {
    let text = fs::read_to_string(path).unwrap();
    let file = SourceFile::new(path.display().to_string(), text);
    let checked = check(&file, &Default::default());
    checked
        .policy
        .unwrap_or_else(|| panic!("{}", checked.diagnostics.render(&file)))
}

/// The example's scorecard, imported as the example does, for the profile with 4 reasons.
fn scorecard() -> (ModelFile, Calibration) {
    let schema = FeatureSchema::read(&here().join("features.toml")).unwrap();
    let data = Calibration::read(&here().join("data/german_credit.csv"), &schema).unwrap();
    let bands = ImportPolicy::read(&here().join("policies/german-credit-scorecard.toml")).unwrap();
    let onnx = fs::read(here().join("models/scorecard.onnx")).unwrap();
    let (mut file, _) = import(&ImportRequest {
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
    file.profile = file.profile.with_reasons(4).unwrap();
    file.model_id = govproof::registry::names::ModelId::new("german-credit-scorecard").unwrap();
    file.version = govproof::registry::names::ModelVersion::new("1.0.0").unwrap();
    (file, data)
}

/// Applicant `row`'s decision, as the German Credit tests make it.
fn decision(
    file: &ModelFile,
    policy: &Policy,
    set: &EntrySet,
    data: &Calibration,
    row: usize,
) -> CircuitDecision {
    crate::model_german_credit::decision(file, policy, set, data, row, Field::from(row as u64 + 77))
}

/// This test's own reading of the reasons: contributions `w_i * (x_i - b_i)` sorted ascending,
/// ties by index, negative ones only, at most four.
fn native_reasons(model: &QuantizedModel, x: &[i64], baselines: &[i64]) -> Vec<(usize, i128)> {
    let mut c: Vec<(i128, usize)> = (0..x.len())
        .map(|i| {
            let w = i128::from(model.weights()[i]);
            (w * (i128::from(x[i]) - i128::from(baselines[i])), i)
        })
        .filter(|(c, _)| *c < 0)
        .collect();
    c.sort();
    c.into_iter().take(4).map(|(c, i)| (i, c)).collect()
}

fn with_reasons(d: &CircuitDecision, codes: &[u32]) -> Vec<Field> {
    let mut inputs = d.statement().to_fields();
    inputs.extend(codes.iter().map(|&c| Field::from(u64::from(c))));
    inputs
}

fn refused(artifact: &Artifact, d: &CircuitDecision, codes: &[u32]) -> String {
    let inputs = d.inputs().with(
        "reasons",
        InputValue::array(codes.iter().map(|&c| Field::from(u64::from(c)))),
    );
    match execute(artifact, &inputs) {
        Err(WitnessError::AssertionFailed { message, .. }) => message,
        other => panic!("reasons {codes:?}: expected a failed assertion, got {other:?}"),
    }
}

#[test]
fn a_german_credit_decline_proves_its_reasons_and_forged_reasons_are_rejected() {
    circuits_support::bb();
    let (file, data) = scorecard();
    let policy = read_policy(&here().join("policies/german-credit-scorecard-reasons.toml"));
    assert_eq!(policy.profile(), &file.profile);
    let explanation = policy.explanation().unwrap();
    let baselines: Vec<i64> = explanation.features.iter().map(|f| f.fixed).collect();
    let set = crate::model_german_credit::registry(&[&file]);
    let PolicyDecision::ScoreBand { bands, .. } = policy.decision() else {
        panic!("the scorecard policy has bands")
    };
    // The first applicant the scorecard declines with four negative contributions.
    let (row, d) = (0..data.rows().len())
        .map(|row| (row, decision(&file, &policy, &set, &data, row)))
        .find(|(_, d)| {
            let govproof::circuits::CircuitOutcome::Band(k) = d.statement().outcome else {
                return false;
            };
            bands[k as usize].outcome == PolicyOutcome::Decline
                && native_reasons(&file.model, d.witness().features.values(), &baselines).len() == 4
        })
        .unwrap();
    assert_eq!(d.first_violation(), None);
    let native = native_reasons(&file.model, d.witness().features.values(), &baselines);
    let codes: Vec<u32> = native.iter().map(|&(i, _)| i as u32).collect();
    assert_eq!(d.reasons(), codes, "applicant {row}");
    let words: Vec<&str> = codes
        .iter()
        .map(|&c| explanation.reason(c).unwrap().text.as_str())
        .collect();
    eprintln!("applicant {row} declined; reasons {codes:?}: {words:?}");

    let artifact = artifact(&file.profile);
    let solved = execute(&artifact, &d.inputs()).unwrap();
    assert_eq!(solved.public_inputs(), d.public_inputs().as_slice());
    assert_eq!(solved.public_inputs(), with_reasons(&d, &codes).as_slice());

    // A feature whose contribution is larger (less negative) than the fourth reason's.
    let all: Vec<i128> = (0..20)
        .map(|i| {
            let w = i128::from(file.model.weights()[i]);
            w * (i128::from(d.witness().features.values()[i]) - i128::from(baselines[i]))
        })
        .collect();
    let smaller = (0..20u32)
        .find(|&i| !codes.contains(&i) && all[i as usize] > native[3].1)
        .unwrap();
    let swapped = vec![codes[1], codes[0], codes[2], codes[3]];
    let reordered = vec![codes[3], codes[2], codes[1], codes[0]];
    let mut replaced = codes.clone();
    replaced[3] = smaller;
    let mut dropped = codes.clone();
    dropped[3] = 20;
    // The witness solver refuses each claim, naming the broken constraint.
    assert_eq!(
        refused(&artifact, &d, &swapped),
        "reasons are not in order of contribution"
    );
    assert_eq!(
        refused(&artifact, &d, &reordered),
        "reasons are not in order of contribution"
    );
    // Named last, the smaller contribution either is not negative or leaves the fourth reason out.
    let message = refused(&artifact, &d, &replaced);
    assert!(
        [
            "reasons omit a more negative contribution",
            "a reason's contribution is not negative"
        ]
        .contains(&message.as_str()),
        "{message}"
    );
    assert_eq!(
        refused(&artifact, &d, &dropped),
        "reasons omit a more negative contribution"
    );
    // And the honest proof does not verify for any of them as public inputs.
    let forgeries: Vec<Vec<Field>> = [swapped, reordered, replaced, dropped]
        .iter()
        .map(|c| with_reasons(&d, c))
        .collect();
    circuits_support::proving::prove_and_reject_forgeries(&artifact, &solved, &forgeries);
}

/// A random linear decision on a small `-r3` profile, with baselines chosen to make ties, zero
/// contributions and fewer negative contributions than slots common.
fn random_case(profile: Profile, seed: u64) -> CircuitDecision {
    let plain = profile.without_reasons();
    let mut s = Scenario::valid(plain, seed);
    let mut rng = Rng::new(seed ^ 0x5eed);
    let n = profile.features();
    let x = s.features.values().to_vec();
    // Few distinct weights, so equal contributions happen; some exactly zero.
    let weights: Vec<i64> = (0..=n)
        .map(|i| {
            let w = [0, 1, -1, 2, -3][rng.range(0, 4) as usize] * (1 << rng.range(0, 7));
            if s.policy.protected.contains(&(i as u32)) {
                0
            } else {
                w
            }
        })
        .collect();
    s.model = QuantizedModel::new(n, 0, weights).unwrap();
    let baselines: Vec<i64> = x
        .iter()
        .map(|&v| match rng.range(0, 3) {
            0 => v,
            1 => v + rng.range(-3, 4),
            _ => rng.range(-(1 << 19), 1 << 19),
        })
        .collect();
    s.profile = profile;
    s.entry_profile = profile.id();
    s.baselines = Some(Baselines::new(baselines).unwrap());
    s.build()
}

#[test]
fn mirror_and_circuit_agree_on_reasons_and_refuse_any_other_codes() {
    let profile = Profile::from_name("linear-6-d4-b4-s2-p2-m2-r3").unwrap();
    let artifact = artifact(&profile);
    let mut fewer = 0;
    for seed in 0..24u64 {
        let d = random_case(profile, seed);
        assert_eq!(d.first_violation(), None, "seed {seed}");
        let codes = d.reasons();
        if codes.contains(&6) {
            fewer += 1;
        }
        let solved = execute(&artifact, &d.inputs()).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert_eq!(
            solved.public_inputs(),
            d.public_inputs().as_slice(),
            "seed {seed}"
        );
        // Every other assignment of codes to the three slots is refused.
        let mut rng = Rng::new(seed);
        for _ in 0..6 {
            let other: Vec<u32> = (0..3).map(|_| rng.range(0, 6) as u32).collect();
            if other == codes {
                continue;
            }
            let inputs = d.inputs().with(
                "reasons",
                InputValue::array(other.iter().map(|&c| Field::from(u64::from(c)))),
            );
            assert!(
                execute(&artifact, &inputs).is_err(),
                "seed {seed}: codes {other:?} accepted, the reasons are {codes:?}"
            );
        }
    }
    assert!(
        fewer > 0,
        "no case had fewer negative contributions than slots"
    );
    // The mirror's rule on a hand-made case: ties by feature order, padded with the none code.
    assert_eq!(reason_codes(&[-2, 0, -2, 5, -9, 0], 3), vec![4, 0, 2]);
    assert_eq!(reason_codes(&[1, 0, -1, 0, 0, 0], 3), vec![2, 6, 6]);
}

/// Gates of `profile`'s composite, as `bb gates` counts them.
fn gates(bb: &Path, profile: &Profile) -> u64 {
    // Reference profiles are embedded; the others compile into this test's cache.
    let json = match govproof::noir::embedded(&profile.name()) {
        Some(j) => j.to_vec(),
        None => compile_cached(
            profile,
            &cache(),
            InstallPolicy::InstallIfMissing,
            &mut |m| eprintln!("{m}"),
        )
        .unwrap(),
    };
    govproof::circuits::info::measure(bb, &profile.name(), &json)
        .unwrap()
        .gates
}

#[test]
fn four_proven_reasons_cost_at_most_15_percent_of_the_composite() {
    let Some(bb) = circuits_support::bb() else {
        eprintln!("skipped: no bb");
        return;
    };
    for (plain, k) in [
        (Profile::reference_linear_band(), 4),
        (Profile::reference_linear_gate(), 4),
        (Profile::from_name("linear-20-d20-b8-s16-p8-m4").unwrap(), 4),
        (Profile::reference_linear_band(), 1),
    ] {
        let explained = plain.with_reasons(k).unwrap();
        let (without, with) = (gates(&bb, &plain), gates(&bb, &explained));
        circuits_support::assert_reasons_cost_within_bound(&plain, &explained, without, with);
    }
}

#[test]
fn the_policy_hash_covers_the_explanation() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/policies/valid/explained.toml");
    let text = fs::read_to_string(&path).unwrap();
    let load = |t: &str| {
        let file = SourceFile::new("explained.toml", t);
        check(&file, &Default::default()).policy.unwrap()
    };
    let base = load(&text);
    let e = base.explanation().unwrap();
    assert_eq!(e.reasons, 2);
    // The protected `age` gets no line of its own: its minimum is its baseline, it is never a reason.
    assert_eq!(e.features[0].text, "");
    assert_eq!(e.features[1].code, "R1");
    assert_eq!(e.features[2].code, "debt_to_income");
    assert_eq!(e.features[2].fixed, (0.4f64 * 65536.0).round() as i64);
    for (from, to) in [
        ("Income too low for the amount", "Income too low"),
        ("code = \"R1\", ", ""),
        ("baseline = 0.4", "baseline = 0.5"),
        ("baseline = 40", "baseline = 40.00002"),
    ] {
        assert!(text.contains(from), "{from}");
        let other = load(&text.replacen(from, to, 1));
        assert_ne!(base.hash(), other.hash(), "{from} -> {to}");
    }
    let summary = govproof::policy::explain(&base);
    assert!(
        summary.contains("Reasons: every decision proves its 2 principal reasons"),
        "{summary}"
    );
    assert!(summary.contains("R1              income_k        40        Income too low"));
    // The public hash is the explained hash over the policy's own hash and the baselines.
    let enc = base.encoding();
    assert_ne!(enc.hash(), enc.core_hash());
    assert_eq!(
        enc.hash(),
        govproof::circuits::reasons::explained_policy_hash(
            enc.core_hash(),
            enc.baselines().unwrap()
        )
    );
}

mod bundles {
    //! A decision of the `-r4` scorecard through the SDK: prepare, prove, seal; the bundle carries
    //! the reasons as codes and words; the bundle verifier's public-inputs check accepts them and
    //! names each problem of a bundle whose reasons were swapped, reordered, replaced or reworded;
    //! the proof verifies in-process with the key computed from the compiled circuit and rejects
    //! forged reason codes; and through the command line, with the registry entry vouching for the
    //! `-r4` circuit's key (no build pins it), `govproof verify` checks a reasons bundle whole.

    use super::*;
    use crate::bundle_support::{bb, keys, time, REGISTRY_NOW};

    use govproof::bundle::DecisionId;
    use govproof::bundle::{Bundle, BundleVerifier, CheckName, CheckStatus, VerifyOptions};
    use govproof::decide::{
        Application, ContextOptions, DecisionContext, DecisionParts, Model, TrustedRegistry,
    };
    use govproof::demo::{publish_registry, Approval};
    use govproof::registry::TrustState;
    use govproof::setup::dangerous;

    const DECISION_TIME: &str = "2026-05-04T10:00:00Z";

    fn proof_verifies(vk: &[u8], bundle: &Bundle, inputs: &[Field]) -> bool {
        let key = govproof_verify::VerificationKey::from_bytes(
            govproof_verify::Target::NoirRecursive,
            vk,
        )
        .unwrap();
        let g2 =
            govproof_verify::G2Point::from_bytes(&govproof::setup::development_g2_bytes()).unwrap();
        let inputs: Vec<[u8; 32]> = inputs.iter().map(Field::to_be_bytes).collect();
        govproof_verify::verify(&key, bundle.proof.as_bytes(), &inputs, &g2).is_ok()
    }

    fn public_inputs_check(
        verifier: &mut BundleVerifier,
        bundle: &Bundle,
    ) -> (CheckStatus, String) {
        let report = verifier.verify(bundle.to_json_pretty().as_bytes());
        let c = report
            .checks()
            .iter()
            .find(|c| c.name == CheckName::PublicInputs)
            .unwrap()
            .clone();
        (c.status, c.detail)
    }

    #[test]
    fn a_bundle_carries_its_reasons_and_the_verifier_checks_them() {
        let bb = bb();
        let (file, data) = scorecard();
        let policy = read_policy(&here().join("policies/german-credit-scorecard-reasons.toml"));
        let model = Model::new(
            file.model_id.clone(),
            file.version.clone(),
            file.model.clone(),
        );
        let dir = tempfile::tempdir().unwrap();
        let (registry, root) = publish_registry(
            &dir.path().join("registry"),
            &keys(),
            2,
            &[Approval {
                model: &model,
                model_digest: Digest::from_bytes([7; 32]),
                policy: &policy,
            }],
            time(REGISTRY_NOW),
        )
        .unwrap();
        let trust = TrustState::bootstrap(root).unwrap();
        let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("govproof-circuits-tests");
        let context = DecisionContext::with_options(
            DecisionParts {
                registry: TrustedRegistry::open(&registry, &trust, time(DECISION_TIME)).unwrap(),
                policy: policy.clone(),
                model,
                setup: dangerous::development_setup(&cache).unwrap(),
            },
            ContextOptions {
                bb: Some(bb.clone()),
                cache_dir: Some(cache.join("vk")),
                allow_unpinned_circuit: true,
                ..ContextOptions::default()
            },
        )
        .unwrap();
        assert!(!context.key_is_pinned());
        // Applicant 2 of the example data (the first the scorecard declines with four reasons).
        let features = quantize_row(&data.rows()[1]).unwrap();
        let app = Application {
            decision_id: DecisionId::new("GC-0002").unwrap(),
            time: time(DECISION_TIME),
            scope: "consumer-credit/EU-DE/instalment-loan".parse().unwrap(),
            features: features.clone(),
        };
        let mut prover = context.prover().unwrap();
        let proved = context.decide(&app, &mut prover).unwrap().proved().unwrap();
        let bundle = proved.bundle.clone();
        let explanation = policy.explanation().unwrap();
        let baselines: Vec<i64> = explanation.features.iter().map(|f| f.fixed).collect();
        let native = native_reasons(&file.model, features.values(), &baselines);
        let codes: Vec<u32> = bundle.reasons.iter().map(|c| c.index).collect();
        assert_eq!(
            codes,
            native.iter().map(|&(i, _)| i as u32).collect::<Vec<_>>()
        );
        assert_eq!(bundle.reasons[0].code.as_str(), "R02");
        assert_eq!(bundle.reasons[0].feature.as_str(), "duration_months");
        assert_eq!(bundle.reasons[0].text.as_str(), "Duration of the loan");
        let back = Bundle::from_json(bundle.to_json_pretty().as_bytes()).unwrap();
        assert_eq!(back, bundle);
        assert_eq!(bundle.public_inputs.reasons.len(), 4);

        let vk = context.verification_key().as_bytes().to_vec();
        let honest = bundle.public_inputs.to_fields();
        assert_eq!(honest.len(), 15);
        assert!(proof_verifies(&vk, &bundle, &honest));

        let mut verifier = BundleVerifier::new(VerifyOptions {
            trust: trust.clone(),
            policy: Some(policy.clone()),
            acceptance: dangerous::accept_development_proofs(),
            bb: Some(bb.clone()),
            work_dir: dir.path().join("verifier"),
            ignition_crs: None,
        });
        let (status, detail) = public_inputs_check(&mut verifier, &bundle);
        assert_eq!(status, CheckStatus::Pass, "{detail}");
        assert!(
            detail.contains("its 4 reasons (`R02`, `R05`, `R12`, `R10`) included"),
            "{detail}"
        );
        let report = verifier.verify(bundle.to_json_pretty().as_bytes());
        let text = report.render_text();
        assert!(
            text.contains("reasons    R02 `duration_months` (Duration of the loan); R05"),
            "{text}"
        );
        let opened =
            verifier.verify_opened(bundle.to_json_pretty().as_bytes(), Some(&proved.opening));
        let opening = opened
            .checks()
            .iter()
            .find(|c| c.name == CheckName::Opening)
            .unwrap();
        assert_eq!(opening.status, CheckStatus::Pass, "{}", opening.detail);
        assert!(
            opening
                .detail
                .contains("R02 `duration_months` = 48 (Duration of the loan)"),
            "{}",
            opening.detail
        );

        // The lender's words changed after the fact: the policy's texts catch it.
        let mut reworded = bundle.clone();
        reworded.reasons[1].text = govproof::bundle::ReasonWords::new("Income").unwrap();
        let (status, detail) = public_inputs_check(&mut verifier, &reworded);
        assert_eq!(status, CheckStatus::Fail);
        assert!(detail.contains("reason 2 is `R05`"), "{detail}");

        // Swapped, reordered, or replaced by a smaller contribution (the fourth reason by the
        // largest contribution of all): claims that differ from the public inputs fail the
        // public-inputs check; the same forgery made in the public inputs too fails the proof.
        let all: Vec<i128> = (0..20)
            .map(|i| {
                let w = i128::from(file.model.weights()[i]);
                w * (i128::from(features.values()[i]) - i128::from(baselines[i]))
            })
            .collect();
        let smaller = (0..20u32).max_by_key(|&i| all[i as usize]).unwrap();
        assert!(!codes.contains(&smaller));
        let line = |i: u32| {
            let l = explanation.reason(i).unwrap();
            govproof::bundle::ReasonClaim {
                index: i,
                code: govproof::bundle::ReasonWords::new(&l.code).unwrap(),
                feature: govproof::bundle::ReasonWords::new(
                    policy.features()[i as usize].name.as_str(),
                )
                .unwrap(),
                text: govproof::bundle::ReasonWords::new(&l.text).unwrap(),
            }
        };
        for forged in [
            vec![codes[1], codes[0], codes[2], codes[3]],
            vec![codes[3], codes[2], codes[1], codes[0]],
            vec![codes[0], codes[1], codes[2], smaller],
        ] {
            let mut claims_only = bundle.clone();
            claims_only.reasons = forged.iter().map(|&i| line(i)).collect();
            let (status, detail) = public_inputs_check(&mut verifier, &claims_only);
            assert_eq!(status, CheckStatus::Fail, "{forged:?}");
            assert!(detail.contains("but `reasons["), "{detail}");

            let mut both = claims_only.clone();
            both.public_inputs.reasons =
                forged.iter().map(|&i| Field::from(u64::from(i))).collect();
            let (status, detail) = public_inputs_check(&mut verifier, &both);
            assert_eq!(status, CheckStatus::Pass, "{detail}");
            assert!(
                !proof_verifies(&vk, &both, &both.public_inputs.to_fields()),
                "{forged:?} verified"
            );
        }
        // A reason dropped from the claims while its code stays in the public inputs.
        let mut dropped = bundle.clone();
        dropped.reasons.pop();
        let (status, detail) = public_inputs_check(&mut verifier, &dropped);
        assert_eq!(status, CheckStatus::Fail);
        assert!(
            detail.contains("the bundle states only 3 reasons"),
            "{detail}"
        );
        assert!(proof_verifies(&vk, &bundle, &honest));
    }

    /// The lender's own path end to end: `registry add --model` names the `-r4` circuit's key
    /// digests, `govproof prove` writes a bundle that carries the key and its reasons, and
    /// `govproof verify` checks it with no pinned key (the registry vouches for it) and prints the
    /// reasons; the same bundle with two reasons swapped (words and codes) is rejected by the proof.
    #[test]
    fn govproof_verify_checks_a_reasons_bundle_through_its_registry_entry() {
        use crate::bundle_support::govproof;
        use crate::registry_support::CliRegistry;
        use govproof_cli::Exit;

        const NOW: &str = "2026-06-01T00:00:00Z";
        const AT: &str = "2026-06-01T09:00:00Z";
        let s = |p: &Path| p.display().to_string();
        let bb = bb();
        let dir = tempfile::tempdir().unwrap();
        let made = CliRegistry::init(dir.path(), NOW);
        let registry = made.dir.clone();
        let (file, data) = scorecard();
        let model = dir.path().join("scorecard-r4.govproof");
        file.write(&model).unwrap();
        let out = made.add_model(&model, &bb, NOW);
        assert!(
            out.contains("circuit `linear-20-d20-b8-s16-p8-m4-r4`: bytecode digest"),
            "{out}"
        );

        let policy_path = here().join("policies/german-credit-scorecard-reasons.toml");
        let policy = read_policy(&policy_path);
        // Applicant 2 of the example data, declined with four reasons.
        let root = registry.join("root/1.json");
        let bundle = crate::model_german_credit::CliProve {
            dir: dir.path(),
            registry: &registry,
            policy: &policy_path,
            model: &model,
            bb: &bb,
            at: AT,
        }
        .applicant(&policy, &data, 1, "GC-0002");
        let verify = |bundle: &Path| {
            govproof(&[
                "verify",
                &s(bundle),
                "--trust",
                &s(&root),
                "--policy",
                &s(&policy_path),
                "--dev-setup",
            ])
        };
        let (exit, out, err) = verify(&bundle);
        assert_eq!(exit, Exit::DevelopmentSetup, "{out}\n{err}");
        assert!(out.contains("registry-vouched verification key"), "{out}");
        assert!(out.contains("Duration of the loan"), "{out}");

        // Two reasons swapped, in the stated words and in the public inputs alike: the words
        // agree with the codes, so only the proof can tell, and it does.
        let mut doc: serde_json::Value =
            serde_json::from_slice(&fs::read(&bundle).unwrap()).unwrap();
        doc["reasons"].as_array_mut().unwrap().swap(0, 1);
        doc["public_inputs"]["reasons"]
            .as_array_mut()
            .unwrap()
            .swap(0, 1);
        let forged = dir.path().join("swapped.json");
        fs::write(&forged, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
        let (exit, out, _) = verify(&forged);
        assert_eq!(exit, Exit::Rejected, "{out}");
        assert!(out.contains("FAIL  proof"), "{out}");
    }
}
