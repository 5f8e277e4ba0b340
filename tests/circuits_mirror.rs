//! Cross-tests: the Rust mirrors and the circuits compute the same values.
//!
//! The `mirror_outputs` test program returns, as public outputs, every circuit computation that has
//! a native mirror (sponge at lengths 0 to 7 under any domain, Merkle root, registry leaf, scope id
//! and scope-set hash, both weights commitments, the input commitment, both model scores and
//! weight masses, a band policy hash and a gate policy hash); it also asserts the band the mirror
//! found for the perceptron's score and the gate decision the mirror found for the linear score.
//! Random cases include the extreme weights and features the bounds allow.

#![allow(clippy::unwrap_used)]

use crate::circuits_support;

use std::collections::BTreeMap;

use govproof::abi::{InputValue, Inputs};
use govproof::artifact::Artifact;
use govproof::circuits::decision::{entry_input, policy_input};
use govproof::circuits::fixed::{
    EDGE_MAX, EDGE_MIN, FEATURE_MAX, FEATURE_MIN, WEIGHT_MAX, WEIGHT_MIN,
};
use govproof::circuits::{
    CircuitOutcome, DecisionRule, FeatureRange, Features, ModelRef, PolicyEncoding, PolicySpec,
    Profile, QuantizedModel,
};
use govproof::commit::{scope_id, scope_set_hash, EntryStatus, RegistryLeaf, ScopeLabels};
use govproof::field::Field;
use govproof::hash::{hash, Domain};
use govproof::merkle::MerklePath;
use proptest::prelude::*;

use circuits_support::Rng;

fn artifact() -> Artifact {
    let json = govproof::noir::embedded("mirror_outputs").expect("mirror_outputs is embedded");
    Artifact::from_json("mirror_outputs", std::str::from_utf8(json).unwrap()).unwrap()
}

fn f(v: Field) -> InputValue {
    InputValue::Field(v)
}

fn fs(vs: &[Field]) -> InputValue {
    InputValue::array(vs.iter().copied())
}

fn weight(rng: &mut Rng) -> i64 {
    match rng.next_u64() % 10 {
        0 => WEIGHT_MIN,
        1 => WEIGHT_MAX,
        2 => 0,
        _ => rng.range(WEIGHT_MIN, WEIGHT_MAX),
    }
}

fn feature(rng: &mut Rng) -> i64 {
    match rng.next_u64() % 10 {
        0 => FEATURE_MIN,
        1 => FEATURE_MAX,
        2 => 0,
        _ => rng.range(FEATURE_MIN, FEATURE_MAX),
    }
}

fn sorted_distinct(rng: &mut Rng, count: usize, lo: i128, hi: i128) -> Vec<i128> {
    let mut v: Vec<i128> = (0..count)
        .map(|_| {
            let span = (hi - lo) as u128;
            let r = ((rng.next_u64() as u128) << 64 | rng.next_u64() as u128) % span;
            lo + r as i128
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

fn random_policy(profile: &Profile, rng: &mut Rng) -> PolicyEncoding {
    let n = profile.features();
    let models = (0..rng.range(1, profile.models() as i64))
        .map(|k| ModelRef {
            id: rng.field(),
            version: Field::from(k as u64 + 1),
        })
        .collect();
    let mut scopes: Vec<Field> = (0..rng.range(1, profile.scopes() as i64))
        .map(|_| rng.field())
        .collect();
    scopes.dedup();
    let mut protected: Vec<u32> = (0..rng.range(0, profile.protected() as i64))
        .map(|_| rng.range(0, n as i64 - 1) as u32)
        .collect();
    protected.sort();
    protected.dedup();
    let ranges = (0..n)
        .map(|_| {
            let a = feature(rng);
            let b = feature(rng);
            FeatureRange {
                lo: a.min(b),
                hi: a.max(b),
            }
        })
        .collect();
    let rule = match profile.kind() {
        govproof::circuits::DecisionKind::ScoreBand { bands } => {
            let inner = rng.range(0, bands as i64 - 1) as usize;
            let mut edges = vec![EDGE_MIN];
            edges.extend(sorted_distinct(rng, inner, -(1 << 98), 1 << 98));
            edges.push(EDGE_MAX);
            DecisionRule::ScoreBand { edges }
        }
        govproof::circuits::DecisionKind::Gate => DecisionRule::Gate {
            threshold: sorted_distinct(rng, 1, -(1 << 90), 1 << 90)[0],
        },
    };
    let valid_from = rng.next_u64() >> 2;
    let spec = PolicySpec {
        id: rng.field(),
        version: rng.field(),
        valid_from,
        valid_until: valid_from + 1 + (rng.next_u64() >> 2),
        models,
        scopes,
        protected,
        ranges,
        rule,
        meta: rng.field(),
    };
    PolicyEncoding::new(profile, spec).unwrap()
}

fn output(ret: &InputValue, name: &str) -> Vec<Field> {
    let InputValue::Struct(map) = ret else {
        panic!("the return value is not a struct: {ret:?}")
    };
    fn flat(v: &InputValue, out: &mut Vec<Field>) {
        match v {
            InputValue::Field(x) => out.push(*x),
            InputValue::Array(items) => items.iter().for_each(|i| flat(i, out)),
            other => panic!("unexpected output value {other:?}"),
        }
    }
    let mut out = Vec::new();
    flat(&map[name], &mut out);
    out
}

fn check_case(artifact: &Artifact, seed: u64, extreme: Option<(i64, i64)>) {
    let mut rng = Rng::new(seed);
    let band_profile = Profile::reference_mlp_band();
    let gate_profile = Profile::reference_mlp_gate();
    let n = band_profile.features();

    let domain = Field::from(rng.next_u64() % 8);
    let xs: Vec<Field> = (0..7).map(|_| rng.field()).collect();
    let leaf = rng.field();
    let index = rng.next_u64() & ((1 << 20) - 1);
    let path = MerklePath {
        index,
        siblings: (0..20).map(|_| rng.field()).collect(),
    };
    let entry = RegistryLeaf {
        model_id: rng.field(),
        model_version: rng.field(),
        weights_commitment: rng.field(),
        profile_id: rng.field(),
        scopes_hash: rng.field(),
        valid_from: rng.next_u64(),
        valid_until: rng.next_u64(),
        status: if rng.chance(50) {
            EntryStatus::Approved
        } else {
            EntryStatus::Revoked
        },
        meta_digest: rng.field(),
    };
    let scope = ScopeLabels {
        purpose: rng.field(),
        jurisdiction: rng.field(),
        product: rng.field(),
    };
    let scopes: Vec<Field> = (0..rng.range(0, 16)).map(|_| rng.field()).collect();
    let w = |rng: &mut Rng| extreme.map_or_else(|| weight(rng), |e| e.0);
    let mlp = QuantizedModel::new(n, 16, (0..417).map(|_| w(&mut rng)).collect()).unwrap();
    let linear = QuantizedModel::new(n, 0, (0..25).map(|_| w(&mut rng)).collect()).unwrap();
    let x = |rng: &mut Rng| extreme.map_or_else(|| feature(rng), |e| e.1);
    let features = Features::new((0..n).map(|_| x(&mut rng)).collect()).unwrap();
    let salt = rng.field();
    let band_policy = random_policy(&band_profile, &mut rng);
    let gate_policy = random_policy(&gate_profile, &mut rng);
    let mlp_score = mlp.score(&features).unwrap();
    let linear_score = linear.score(&features).unwrap();
    let Some(CircuitOutcome::Band(band)) = band_policy.spec().rule.outcome(mlp_score) else {
        panic!("the band table is open at both ends")
    };
    let Some(CircuitOutcome::Decision(decision)) = gate_policy.spec().rule.outcome(linear_score)
    else {
        panic!("a gate always decides")
    };

    let mut scopes_padded = scopes.clone();
    scopes_padded.resize(16, Field::zero());
    let inputs = Inputs::new()
        .with("domain", f(domain))
        .with("xs", fs(&xs))
        .with("leaf", f(leaf))
        .with("index", f(Field::from(index)))
        .with("siblings", fs(&path.siblings))
        .with("entry", entry_input(&entry))
        .with("purpose", f(scope.purpose))
        .with("jurisdiction", f(scope.jurisdiction))
        .with("product", f(scope.product))
        .with("scopes", fs(&scopes_padded))
        .with("mlp_weights", fs(&mlp.weight_fields()))
        .with("linear_weights", fs(&linear.weight_fields()))
        .with("features", fs(&features.to_fields()))
        .with("salt", f(salt))
        .with("band_policy", policy_input(&band_policy))
        .with("gate_policy", policy_input(&gate_policy))
        .with("band_index", f(Field::from(u64::from(band))))
        .with("decision", InputValue::Bool(decision));
    let solved = govproof::witness::execute(artifact, &inputs)
        .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    let ret = solved
        .return_value()
        .expect("mirror_outputs returns its outputs");

    let domain_tag = |d: u64| -> Domain {
        [
            Domain::Plain,
            Domain::MerkleNode,
            Domain::RegistryLeaf,
            Domain::Weights,
            Domain::Input,
            Domain::Policy,
            Domain::Scope,
            Domain::ScopeSet,
        ][d as usize]
    };
    let d = domain_tag(domain.to_u128().unwrap() as u64);
    let sponge: Vec<Field> = (0..=7).map(|len| hash(d, &xs[..len])).collect();
    let mut expected: BTreeMap<&str, Vec<Field>> = BTreeMap::new();
    expected.insert("sponge", sponge);
    expected.insert("merkle_root", vec![path.root_from(leaf)]);
    expected.insert("leaf", vec![entry.hash()]);
    expected.insert("scope_id", vec![scope_id(&scope)]);
    expected.insert("scope_set_hash", vec![scope_set_hash(&scopes, 16).unwrap()]);
    expected.insert("mlp_weights_commitment", vec![mlp.commitment()]);
    expected.insert("linear_weights_commitment", vec![linear.commitment()]);
    expected.insert("input_commitment", vec![features.commitment(salt)]);
    expected.insert("mlp_score", vec![mlp_score.to_field()]);
    expected.insert("linear_score", vec![linear_score.to_field()]);
    expected.insert("mlp_weight_mass", mlp.feature_weight_mass());
    expected.insert("linear_weight_mass", linear.feature_weight_mass());
    expected.insert("band_policy_hash", vec![band_policy.hash()]);
    expected.insert("gate_policy_hash", vec![gate_policy.hash()]);
    for (name, want) in expected {
        assert_eq!(output(ret, name), want, "seed {seed}: `{name}` differs");
    }

    // The circuit refuses a neighbouring band and the opposite decision.
    let wrong_band = if band == 0 { 1 } else { band - 1 };
    let edges = match &band_policy.spec().rule {
        DecisionRule::ScoreBand { edges } => edges.len() - 1,
        DecisionRule::Gate { .. } => unreachable!(),
    };
    if edges > 1 {
        let bad = inputs
            .clone()
            .with("band_index", f(Field::from(u64::from(wrong_band))));
        let err = govproof::witness::execute(artifact, &bad).unwrap_err();
        assert!(
            err.to_string()
                .contains("score is outside the claimed band"),
            "seed {seed}: {err}"
        );
    }
    // Values beyond the fixed-point bounds are refused by the circuit itself.
    let mut weights = mlp.weight_fields();
    weights[seed as usize % 417] = Field::from_i128(if seed.is_multiple_of(2) {
        i128::from(WEIGHT_MAX) + 1
    } else {
        i128::from(WEIGHT_MIN) - 1
    });
    let bad = inputs.clone().with("mlp_weights", fs(&weights));
    let err = govproof::witness::execute(artifact, &bad).unwrap_err();
    assert!(
        err.to_string()
            .contains("weight is outside the fixed-point bound"),
        "seed {seed}: {err}"
    );
    let mut xs = features.to_fields();
    xs[seed as usize % n] = Field::from_i128(if seed.is_multiple_of(2) {
        i128::from(FEATURE_MAX) + 1
    } else {
        i128::from(FEATURE_MIN) - 1
    });
    let bad = inputs.clone().with("features", fs(&xs));
    let err = govproof::witness::execute(artifact, &bad).unwrap_err();
    assert!(
        err.to_string()
            .contains("feature is outside the fixed-point bound"),
        "seed {seed}: {err}"
    );
    let bad = inputs.with("decision", InputValue::Bool(!decision));
    let err = govproof::witness::execute(artifact, &bad).unwrap_err();
    assert!(
        err.to_string()
            .contains("decision bit does not match the score and the threshold"),
        "seed {seed}: {err}"
    );
}

#[test]
fn extreme_weights_and_features_agree() {
    let artifact = artifact();
    for (k, extreme) in [
        (WEIGHT_MIN, FEATURE_MIN),
        (WEIGHT_MAX, FEATURE_MIN),
        (WEIGHT_MIN, FEATURE_MAX),
        (WEIGHT_MAX, FEATURE_MAX),
    ]
    .into_iter()
    .enumerate()
    {
        check_case(&artifact, k as u64, Some(extreme));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn circuits_and_mirrors_agree(seed in any::<u64>()) {
        check_case(&artifact(), seed, None);
    }
}
