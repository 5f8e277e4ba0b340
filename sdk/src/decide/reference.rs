//! The reference model and application `govproof demo` proves, built deterministically from a
//! policy: no model file, no randomness, the same weights on every machine.
//!
//! The model has the shape of the policy's profile (a 24 x 16 perceptron for
//! `mlp-24x16-d20-b8-s16-p8-m4`, a linear model for the linear profiles), weights drawn from a
//! seeded generator and scaled by each feature's declared range, **zero weight on every protected
//! feature** (the policy's constraint), and a final bias calibrated so that the reference
//! applicant lands in the policy's first approving band (or on the approving side of a gate).
//! It is a demonstration model, not a credit model: its weights mean nothing.

use crate::circuits::{fixed, QuantizedModel};
use crate::policy::{Decision as PolicyDecision, Outcome as PolicyOutcomeName, Policy};

use super::DecideError;

/// The seed of the reference model's weights.
pub const REFERENCE_SEED: u64 = 0x676f_7670_726f_6f66;

/// splitmix64: small and deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[lo, hi)`.
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        let unit = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        lo + (hi - lo) * unit
    }

    fn sign(&mut self) -> f64 {
        if self.next() & 1 == 0 {
            1.0
        } else {
            -1.0
        }
    }
}

/// Values of a typical applicant for features with these names (in the units of the example
/// policy `policies/eu-consumer-credit.toml`); any other feature takes the middle of its range.
const TYPICAL: &[(&str, f64)] = &[
    ("age", 41.0),
    ("sex", 1.0),
    ("marital_status", 2.0),
    ("nationality_code", 276.0),
    ("income_monthly_k", 4.2),
    ("income_stability_months", 96.0),
    ("employment_months", 84.0),
    ("employment_type", 1.0),
    ("housing_status", 2.0),
    ("residence_months", 60.0),
    ("dependants", 2.0),
    ("existing_credit_count", 1.0),
    ("existing_debt_monthly_k", 0.35),
    ("debt_to_income", 0.08),
    ("credit_utilisation", 0.31),
    ("delinquencies_12m", 0.0),
    ("delinquencies_36m", 0.0),
    ("months_since_delinquency", 600.0),
    ("bureau_score", 742.0),
    ("loan_amount_k", 15.0),
    ("loan_term_months", 48.0),
    ("loan_to_income", 0.3),
    ("savings_k", 12.5),
    ("account_age_months", 130.0),
];

/// The reference applicant's feature values (real units, the policy's input order), each inside
/// its declared range.
pub fn reference_applicant(policy: &Policy) -> Vec<f64> {
    policy
        .features()
        .iter()
        .map(|f| {
            let typical = TYPICAL
                .iter()
                .find(|(n, _)| *n == f.name.as_str())
                .map_or((f.min + f.max) / 2.0, |(_, v)| *v);
            typical.clamp(f.min, f.max)
        })
        .collect()
}

/// The log-odds the reference applicant should score: the middle of the policy's first approving
/// band with two finite bounds (or one log-odds inside its open side), or two log-odds on the
/// approving side of a gate.
fn target_logit(policy: &Policy) -> f64 {
    let logit = |e: i128| e as f64 / (1u64 << 48) as f64;
    match policy.decision() {
        PolicyDecision::ScoreBand { bands, edges } => {
            let approving: Vec<usize> = (0..bands.len())
                .filter(|&k| bands[k].outcome == PolicyOutcomeName::Approve)
                .collect();
            let k = approving
                .iter()
                .copied()
                .find(|&k| edges[k] != fixed::EDGE_MIN && edges[k + 1] != fixed::EDGE_MAX)
                .or_else(|| approving.first().copied())
                .unwrap_or(bands.len() - 1);
            let (lo, hi) = (edges[k], edges[k + 1]);
            match (lo == fixed::EDGE_MIN, hi == fixed::EDGE_MAX) {
                (false, false) => (logit(lo) + logit(hi)) / 2.0,
                (false, true) => logit(lo) + 1.0,
                (true, false) => logit(hi) - 1.0,
                (true, true) => 0.0,
            }
        }
        PolicyDecision::Gate {
            edge, at_or_above, ..
        } => {
            if *at_or_above == PolicyOutcomeName::Approve {
                logit(*edge) + 2.0
            } else {
                logit(*edge) - 2.0
            }
        }
    }
}

/// The reference model for `policy` (see the module documentation), from `seed`.
pub fn reference_weights(policy: &Policy, seed: u64) -> Result<QuantizedModel, DecideError> {
    let encoding = super::policy_encoding(policy)?;
    let profile = encoding.profile();
    match profile.family() {
        crate::circuits::ModelFamily::Trees { .. }
        | crate::circuits::ModelFamily::TreeTable { .. } => {
            return Err(DecideError::Profile {
                profile: profile.name(),
                reason:
                    "the reference model is a linear model or a perceptron, not a tree ensemble"
                        .to_string(),
            })
        }
        crate::circuits::ModelFamily::DeepMlp { .. } => {
            return Err(DecideError::Profile {
                profile: profile.name(),
                reason: "the reference model is a linear model or a perceptron with one hidden layer; import a deeper model with `govproof model import`"
                    .to_string(),
            })
        }
        _ => {}
    }
    let n = profile.features();
    let h = profile.hidden();
    let mut rng = Rng(seed);
    let protected = policy.protected();
    let features = policy.features();
    // Per feature: a direction and the reciprocal of its range, so every input moves the score
    // by a comparable amount across its declared range.
    let scale: Vec<f64> = (0..n)
        .map(|i| {
            let span = features.get(i).map_or(1.0, |f| (f.max - f.min).max(1e-3));
            if protected.contains(&i) {
                0.0
            } else {
                rng.sign() * 2.0 / span
            }
        })
        .collect();
    let q =
        |v: f64| fixed::quantize_weight(v).map_err(|e| DecideError::PolicyEncoding(e.to_string()));
    let mut weights: Vec<i64> = Vec::new();
    if h == 0 {
        for &s in &scale {
            weights.push(q(s * rng.uniform(0.1, 1.0))?);
        }
        weights.push(0);
    } else {
        for _ in 0..h {
            for &s in &scale {
                weights.push(q(s * rng.uniform(0.1, 1.0))?);
            }
        }
        for _ in 0..h {
            weights.push(q(rng.uniform(-0.5, 0.5))?);
        }
        for _ in 0..h {
            weights.push(q(rng.uniform(-0.8, 0.8))?);
        }
        weights.push(0);
    }
    let uncalibrated = QuantizedModel::new(n, h, weights.clone())?;
    let applicant = super::quantize_features(&reference_applicant(policy))?;
    let base = uncalibrated.score(&applicant)?.units();
    let target = (target_logit(policy) * (1u64 << 48) as f64) as i128;
    // The final bias enters the score times 2^32 in both families.
    let bias = (target - base) as f64 / (1u64 << 32) as f64;
    let last = weights.len() - 1;
    weights[last] = fixed::quantize_weight(bias / (1u64 << 16) as f64)
        .map_err(|e| DecideError::PolicyEncoding(e.to_string()))?;
    Ok(QuantizedModel::new(n, h, weights)?)
}

/// The reference model as a `.govproof` model file (what `govproof demo` writes and `govproof
/// prove --model` reads). Its weights are defined in fixed point, so there is no float model to
/// differ from: the certificate records one calibration row (the reference applicant), an error
/// of zero and a bound of zero for every input, and says why.
pub fn reference_model_file(
    policy: &Policy,
    model: &super::Model,
) -> Result<crate::model::ModelFile, DecideError> {
    use crate::model::certificate::{CalibrationInfo, ErrorStats, CERTIFICATE_FORMAT};
    use crate::model::file::Source;
    use crate::model::quantize::{Bound, RoundingStats};
    use crate::model::{Certificate, FeatureSchema, FeatureSpec, ModelFile, ScoreKind};

    let invalid = |e: String| DecideError::PolicyEncoding(format!("the reference model file: {e}"));
    let encoding = super::policy_encoding(policy)?;
    let schema = FeatureSchema::new(
        policy
            .features()
            .iter()
            .map(|f| FeatureSpec {
                name: f.name.as_str().to_string(),
                min: f.min,
                max: f.max,
                integer: false,
            })
            .collect(),
    )
    .map_err(|e| invalid(e.to_string()))?;
    let weight_bytes: Vec<u8> = model
        .weights()
        .weights()
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect();
    let row: Vec<u8> = reference_applicant(policy)
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let certificate = Certificate {
        format: CERTIFICATE_FORMAT.to_string(),
        score: ScoreKind::LogOdds,
        scale_bits: fixed::SCALE_BITS,
        calibration: CalibrationInfo {
            rows: 1,
            blake3: blake3::hash(&row).to_hex().to_string(),
        },
        score_error: ErrorStats {
            max_abs: 0.0,
            mean_abs: 0.0,
            worst_row: 0,
        },
        bound: Bound {
            max_abs: 0.0,
            holds_for: "every input: the reference weights are defined in fixed point, so the \
                        quantized model is the model"
                .to_string(),
            all_inputs: true,
        },
        rounding: RoundingStats {
            count: model.weights().weights().len(),
            rounded_to_zero: 0,
            max_rounding: 0.0,
        },
        tree_paths: None,
        band_agreement: None,
    };
    ModelFile::new(
        model.id().clone(),
        model.version().clone(),
        *encoding.profile(),
        model.weights().clone(),
        schema,
        ScoreKind::LogOdds,
        None,
        Source {
            file: "(none: the govproof reference model, not imported)".to_string(),
            blake3: blake3::hash(&weight_bytes).to_hex().to_string(),
            producer: "govproof reference model (deterministic demonstration weights, not a \
                       credit model)"
                .to_string(),
            score_tensor: "score".to_string(),
            readout: Vec::new(),
        },
        certificate,
    )
    .map_err(|e| invalid(e.to_string()))
}

/// `application` as the JSON document [`super::load::application`] reads: features by name, in
/// the policy's units (the fixed-point values divided by `2^16`).
pub fn application_json(policy: &Policy, application: &super::Application) -> String {
    let features: serde_json::Map<String, serde_json::Value> = policy
        .features()
        .iter()
        .zip(application.features.values())
        .map(|(f, &x)| {
            (
                f.name.as_str().to_string(),
                serde_json::json!(x as f64 / f64::from(1u32 << fixed::SCALE_BITS)),
            )
        })
        .collect();
    let doc = serde_json::json!({
        "decision_id": application.decision_id.as_str(),
        "time": application.time.to_string(),
        "scope": application.scope.to_string(),
        "features": features,
    });
    let mut text = serde_json::to_string_pretty(&doc)
        .unwrap_or_else(|e| unreachable!("an application always serializes: {e}"));
    text.push('\n');
    text
}
