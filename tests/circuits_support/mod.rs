//! Builders shared by the circuit tests: a deterministic random source, valid decisions for any
//! profile, and the named mutations the failure fixtures apply to them.

#![allow(dead_code, clippy::unwrap_used)]

pub mod proving;

pub use govproof_testkit::bb;

use std::path::{Path, PathBuf};

use govproof::circuits::fixed::{edge_from_logit, EDGE_MAX, EDGE_MIN};
use govproof::circuits::reasons::Baselines;
use govproof::circuits::{
    CircuitDecision, CircuitOutcome, DecisionKind, DecisionRule, DecisionWitness, FeatureRange,
    Features, ModelRef, PolicyEncoding, PolicySpec, Profile, PublicStatement, QuantizedModel,
};
use govproof::commit::{label, scope_id, scope_set_hash, EntryStatus, RegistryLeaf, ScopeLabels};
use govproof::field::Field;
use govproof::merkle::MerkleTree;

/// The repository's `circuits/` folder.
pub fn circuits_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("circuits")
}

/// splitmix64: small, deterministic, good enough to spread test values.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[lo, hi]`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi as i128 - lo as i128 + 1) as u128;
        (lo as i128 + (self.next_u64() as u128 % span) as i128) as i64
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn field(&mut self) -> Field {
        let mut bytes = [0u8; 64];
        for chunk in bytes.chunks_mut(8) {
            chunk.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        Field::from_wide_bytes_reduce(&bytes)
    }
}

/// A model of the profile's shape with weights of moderate size (about +-2 in real terms) and
/// zero weight on the `unused` features.
pub fn sample_model(profile: &Profile, rng: &mut Rng, unused: &[u32]) -> QuantizedModel {
    let n = profile.features();
    let h = profile.hidden();
    let mut w: Vec<i64> = (0..profile.weight_count())
        .map(|_| rng.range(-(1 << 17), 1 << 17))
        .collect();
    for &i in unused {
        let i = i as usize;
        if h == 0 {
            w[i] = 0;
        } else {
            for j in 0..h {
                w[j * n + i] = 0;
            }
        }
    }
    QuantizedModel::new(n, h, w).unwrap()
}

/// Features of moderate size (about +-8 in real terms).
pub fn sample_features(n: usize, rng: &mut Rng) -> Features {
    Features::new((0..n).map(|_| rng.range(-(1 << 19), 1 << 19)).collect()).unwrap()
}

/// Every part of a decision before it is assembled, so a mutation can change any of them.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub profile: Profile,
    pub model: QuantizedModel,
    pub features: Features,
    pub salt: Field,
    pub model_ref: ModelRef,
    pub scope: ScopeLabels,
    pub entry_scopes: Vec<Field>,
    pub entry_window: (u64, u64),
    pub entry_status: EntryStatus,
    pub entry_profile: Field,
    pub entry_index: usize,
    pub other_leaves: Vec<Field>,
    pub policy: PolicySpec,
    pub decision_time: u64,
    pub decision_id: Field,
    /// `None`: the outcome the rule gives the score.
    pub outcome: Option<CircuitOutcome>,
    /// The explanation's baselines, for a profile with proven reasons.
    pub baselines: Option<Baselines>,
}

pub const DECISION_TIME: u64 = 1_750_000_000;

impl Scenario {
    /// A valid decision for `profile`; `seed` picks the model, input and registry.
    pub fn valid(profile: Profile, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let protected: Vec<u32> = (0..profile.protected().min(2) as u32)
            .map(|k| k * 5 + 1)
            .filter(|&i| (i as usize) < profile.features())
            .collect();
        let model = sample_model(&profile, &mut rng, &protected);
        let features = sample_features(profile.features(), &mut rng);
        let model_ref = ModelRef::new("acme-scorer", "2.1.0");
        let scope = ScopeLabels::new("consumer-credit", "EU-DE", "personal-loan");
        let other_scope = scope_id(&ScopeLabels::new(
            "consumer-credit",
            "EU-FR",
            "personal-loan",
        ));
        let ranges = features
            .values()
            .iter()
            .map(|&x| FeatureRange {
                lo: x - rng.range(0, 1 << 20),
                hi: x + rng.range(0, 1 << 20),
            })
            .collect();
        let rule = match profile.kind() {
            DecisionKind::ScoreBand { bands } => {
                let mut edges = vec![EDGE_MIN];
                let inner = bands.min(6) - 1;
                for k in 0..inner {
                    let logit = -2.0 + 4.0 * k as f64 / inner.max(1) as f64;
                    edges.push(edge_from_logit(logit).unwrap());
                }
                edges.push(EDGE_MAX);
                DecisionRule::ScoreBand { edges }
            }
            DecisionKind::Gate => DecisionRule::Gate {
                threshold: edge_from_logit(0.0).unwrap(),
            },
        };
        let policy = PolicySpec {
            id: label("lending-policy"),
            version: label("2025-06"),
            valid_from: DECISION_TIME - 86_400,
            valid_until: DECISION_TIME + 86_400 * 365,
            models: vec![ModelRef::new("acme-scorer", "1.0.0"), model_ref],
            scopes: vec![other_scope, scope_id(&scope)],
            protected,
            ranges,
            rule,
            meta: label("lending-policy document"),
        };
        let other_leaves = (0..5).map(|_| rng.field()).collect();
        Scenario {
            profile,
            model,
            features,
            salt: rng.field(),
            model_ref,
            scope,
            entry_scopes: vec![scope_id(&scope), other_scope],
            entry_window: (DECISION_TIME - 1000, DECISION_TIME + 1_000_000),
            entry_status: EntryStatus::Approved,
            entry_profile: profile.id(),
            entry_index: 3,
            other_leaves,
            policy,
            decision_time: DECISION_TIME,
            decision_id: label("decision-0001"),
            outcome: None,
            baselines: None,
        }
    }

    pub fn entry(&self) -> RegistryLeaf {
        RegistryLeaf {
            model_id: self.model_ref.id,
            model_version: self.model_ref.version,
            weights_commitment: self.model.commitment(),
            profile_id: self.entry_profile,
            scopes_hash: scope_set_hash(&self.entry_scopes, self.profile.scopes()).unwrap(),
            valid_from: self.entry_window.0,
            valid_until: self.entry_window.1,
            status: self.entry_status,
            meta_digest: label("entry-document"),
        }
    }

    pub fn policy_encoding(&self) -> PolicyEncoding {
        match &self.baselines {
            Some(b) => PolicyEncoding::explained(&self.profile, self.policy.clone(), b.clone()),
            None => PolicyEncoding::new(&self.profile, self.policy.clone()),
        }
        .unwrap()
    }

    /// Assembles the decision: the registry tree holds the entry at `entry_index` among the other
    /// leaves, and the outcome is the rule's unless overridden.
    pub fn build(&self) -> CircuitDecision {
        let (statement, witness) = self.parts();
        CircuitDecision::new(self.profile, statement, witness).unwrap()
    }

    /// The public statement and witness [`Scenario::build`] assembles.
    pub fn parts(&self) -> (PublicStatement, DecisionWitness) {
        let entry = self.entry();
        let mut leaves = self.other_leaves.clone();
        leaves.insert(self.entry_index, entry.hash());
        let tree = MerkleTree::new(self.profile.depth(), leaves).unwrap();
        let path = tree.path(self.entry_index as u64).unwrap();
        let policy = self.policy_encoding();
        let score = self.model.score(&self.features).unwrap();
        let outcome = self
            .outcome
            .unwrap_or_else(|| policy.spec().rule.outcome(score).unwrap());
        let statement = PublicStatement {
            registry_root: tree.root(),
            policy_hash: policy.hash(),
            model_id: self.model_ref.id,
            model_version: self.model_ref.version,
            scope: self.scope,
            decision_time: self.decision_time,
            input_commitment: self.features.commitment(self.salt),
            decision_id: self.decision_id,
            outcome,
        };
        let witness = DecisionWitness {
            model: self.model.clone(),
            features: self.features.clone(),
            salt: self.salt,
            entry,
            entry_path: path,
            entry_scopes: self.entry_scopes.clone(),
            policy,
        };
        (statement, witness)
    }
}

/// Rebuilds a decision with a changed witness or statement (the parts stay consistent in shape).
pub fn rebuild(
    d: &CircuitDecision,
    change: impl FnOnce(&mut PublicStatement, &mut DecisionWitness),
) -> CircuitDecision {
    let mut s = d.statement().clone();
    let mut w = d.witness().clone();
    change(&mut s, &mut w);
    CircuitDecision::new(*d.profile(), s, w).unwrap()
}

fn other_band(d: &CircuitDecision) -> CircuitOutcome {
    match d.statement().outcome {
        CircuitOutcome::Band(k) => CircuitOutcome::Band(if k == 0 { 1 } else { k - 1 }),
        CircuitOutcome::Decision(b) => CircuitOutcome::Decision(!b),
    }
}

/// Applies a named mutation to the valid scenario of `profile` and `seed`.
pub fn mutated(profile: Profile, seed: u64, mutation: &str) -> CircuitDecision {
    let mut sc = Scenario::valid(profile, seed);
    let t = sc.decision_time;
    match mutation {
        "none" => {}
        "revoke_entry" => sc.entry_status = EntryStatus::Revoked,
        "decision_before_entry_window" => sc.entry_window = (t + 1, t + 1000),
        "decision_after_entry_window" => sc.entry_window = (t - 1000, t),
        "decision_after_policy_window" => sc.policy.valid_until = t,
        "decision_before_policy_window" => sc.policy.valid_from = t + 1,
        "model_not_in_policy" => sc.policy.models = vec![ModelRef::new("other-model", "2.1.0")],
        "model_version_not_in_policy" => {
            sc.policy.models = vec![ModelRef::new("acme-scorer", "2.0.9")]
        }
        "scope_not_in_policy" => sc.policy.scopes.retain(|s| *s != scope_id(&sc.scope)),
        "scope_not_approved_by_entry" => sc.entry_scopes.retain(|s| *s != scope_id(&sc.scope)),
        "entry_for_other_profile" => sc.entry_profile = label("mlp-8x4-d20-b8-s16-p8-m4"),
        "protected_feature_weighted" => {
            let used = (0..sc.profile.features() as u32)
                .find(|&i| sc.model.uses_feature(i as usize) && !sc.policy.protected.contains(&i))
                .unwrap();
            sc.policy.protected.push(used);
        }
        "feature_above_range" => {
            let x = sc.features.values()[2];
            sc.policy.ranges[2].hi = x - 1;
            sc.policy.ranges[2].lo = sc.policy.ranges[2].lo.min(x - 1);
        }
        "feature_below_range" => {
            let x = sc.features.values()[5];
            sc.policy.ranges[5].lo = x + 1;
            sc.policy.ranges[5].hi = sc.policy.ranges[5].hi.max(x + 1);
        }
        "gate_threshold_above_score" | "gate_threshold_below_score" => {
            let s = sc.model.score(&sc.features).unwrap().units();
            let threshold = if mutation.ends_with("above_score") {
                s + 1
            } else {
                s
            };
            sc.policy.rule = DecisionRule::Gate { threshold };
        }
        "score_in_lowest_open_band" => {
            let s = sc.model.score(&sc.features).unwrap().units();
            if let DecisionRule::ScoreBand { edges } = &mut sc.policy.rule {
                *edges = vec![EDGE_MIN, s + 1, EDGE_MAX];
            }
        }
        _ => return post_build(sc.build(), mutation),
    }
    sc.build()
}

fn post_build(d: CircuitDecision, mutation: &str) -> CircuitDecision {
    match mutation {
        "tamper_weight" => rebuild(&d, |_, w| {
            let mut weights = w.model.weights().to_vec();
            weights[0] += 1;
            w.model = QuantizedModel::new(w.model.features(), w.model.hidden(), weights).unwrap();
        }),
        "tamper_path" => rebuild(&d, |_, w| {
            w.entry_path.siblings[7] = w.entry_path.siblings[7] + Field::one();
        }),
        "tamper_entry_index" => rebuild(&d, |_, w| w.entry_path.index ^= 1),
        "tamper_salt" => rebuild(&d, |_, w| w.salt = w.salt + Field::one()),
        "tamper_feature" => rebuild(&d, |_, w| {
            let mut x = w.features.values().to_vec();
            x[0] += 1;
            w.features = Features::new(x).unwrap();
        }),
        "tamper_policy" => rebuild(&d, |_, w| {
            let mut spec = w.policy.spec().clone();
            spec.valid_until += 1;
            w.policy = PolicyEncoding::new(w.policy.profile(), spec).unwrap();
        }),
        "tamper_policy_meta" => rebuild(&d, |_, w| {
            // Another document (a renamed band, another outcome, ...) with the same checks.
            let mut spec = w.policy.spec().clone();
            spec.meta = spec.meta + Field::one();
            w.policy = PolicyEncoding::new(w.policy.profile(), spec).unwrap();
        }),
        "wrong_band" | "wrong_decision_bit" => {
            let o = other_band(&d);
            rebuild(&d, |s, _| s.outcome = o)
        }
        "band_beyond_table" => rebuild(&d, |s, w| {
            if let DecisionRule::ScoreBand { edges } = &w.policy.spec().rule {
                s.outcome = CircuitOutcome::Band((edges.len() - 1) as u32);
            }
        }),
        other => panic!("unknown mutation `{other}`"),
    }
}

/// Prints what `explained` (gates `with`) adds to `plain` (gates `without`) and asserts that it
/// is at most 15 % of the plain composite (issue 17's bound for proven reasons).
pub fn assert_reasons_cost_within_bound(
    plain: &Profile,
    explained: &Profile,
    without: u64,
    with: u64,
) {
    eprintln!(
        "{}: {without} gates, {}: {with} gates (+{}, {:.1} %)",
        plain.name(),
        explained.name(),
        with - without,
        100.0 * (with - without) as f64 / without as f64
    );
    assert!(
        (with - without) * 100 <= without * 15,
        "{}: {with} gates against {without}",
        explained.name()
    );
}
