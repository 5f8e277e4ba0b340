//! The native mirror of the circuit's policy checks: given a model, a scope, a decision time, a
//! score and optionally the features, what would the circuit accept, and which band or decision
//! would it prove?
//!
//! The checks run in the circuit's order (model, scope, validity window, feature ranges, then the
//! band or the gate), compare exactly what the circuit compares (labels, Unix seconds, features
//! and scores in fixed point) and stop at the first failure, which is the [`Rejection`]. Each
//! check is recorded in the evaluation's log, so a reviewer can see why a decision came out as it
//! did.

use std::fmt;

use crate::circuits::fixed::quantize_feature;

use super::model::{Decision, Outcome, Policy, Scope};
use super::names::{ModelId, ModelVersion};
use crate::registry::Timestamp;

/// Why the circuit would refuse a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rejection {
    /// The policy does not allow this model id and version.
    ModelNotAllowed,
    /// The policy does not allow this scope.
    ScopeNotAllowed,
    /// The decision time is outside the policy's validity window.
    OutsideValidityWindow,
    /// A feature lies outside its declared range (or outside the fixed-point bound).
    FeatureOutOfRange,
    /// No band holds the score.
    ScoreOutsideBands,
}

impl Rejection {
    /// Every rejection, in the order the checks run.
    pub const ALL: [Rejection; 5] = [
        Rejection::ModelNotAllowed,
        Rejection::ScopeNotAllowed,
        Rejection::OutsideValidityWindow,
        Rejection::FeatureOutOfRange,
        Rejection::ScoreOutsideBands,
    ];

    /// The stable name used in test files, e.g. `model-not-allowed`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Rejection::ModelNotAllowed => "model-not-allowed",
            Rejection::ScopeNotAllowed => "scope-not-allowed",
            Rejection::OutsideValidityWindow => "outside-validity-window",
            Rejection::FeatureOutOfRange => "feature-out-of-range",
            Rejection::ScoreOutsideBands => "score-outside-bands",
        }
    }

    /// Reads a name produced by [`Rejection::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One decision to evaluate. Names are compared as the circuit compares their labels (byte for
/// byte).
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionInput {
    /// Model id.
    pub model_id: ModelId,
    /// Model version.
    pub model_version: ModelVersion,
    /// The decision's scope.
    pub scope: Scope,
    /// When the decision is made.
    pub time: Timestamp,
    /// The score on the policy's scale.
    pub score: f64,
    /// Feature values in input order (real values, quantized as the circuit's inputs are), if
    /// the case checks them.
    pub features: Option<Vec<f64>>,
}

/// What the circuit would prove, or why it would refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyVerdict {
    /// The score lies in this band (index in score order, from 0).
    Band {
        /// Band index: the public outcome of the proof.
        index: usize,
        /// Band name.
        name: String,
        /// The band's outcome.
        outcome: Outcome,
    },
    /// The gate's yes/no decision.
    Gate {
        /// Whether the score reaches the threshold: the public outcome of the proof.
        decision: bool,
        /// The outcome the policy gives it.
        outcome: Outcome,
    },
    /// The circuit would refuse the decision.
    Rejected(Rejection),
}

impl fmt::Display for PolicyVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyVerdict::Band { name, outcome, .. } => write!(f, "band `{name}` ({outcome})"),
            PolicyVerdict::Gate { decision, outcome } => {
                write!(f, "decision `{decision}` ({outcome})")
            }
            PolicyVerdict::Rejected(r) => write!(f, "rejection `{r}`"),
        }
    }
}

/// One check of an evaluation and how it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What was checked, e.g. `model allowed`.
    pub check: &'static str,
    /// Whether it held.
    pub passed: bool,
    /// The values involved.
    pub detail: String,
}

/// The verdict and the log of checks that led to it (the decision log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// The result.
    pub verdict: PolicyVerdict,
    /// Every check run, in order; the last one failed when the verdict is a rejection.
    pub log: Vec<Step>,
}

/// Why an input cannot be evaluated at all (as opposed to being rejected by the policy).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvaluateError {
    /// The score cannot be put on the circuit's fixed-point scale.
    #[error("score `{}` cannot be compared in the circuit: {reason}", super::check::fmt_num(*.score))]
    Score {
        /// The score.
        score: f64,
        /// Why.
        reason: String,
    },
    /// Wrong number of features.
    #[error("{given} feature values given, the policy declares {expected}")]
    FeatureCount {
        /// Given.
        given: usize,
        /// Declared.
        expected: usize,
    },
}

fn step(log: &mut Vec<Step>, check: &'static str, passed: bool, detail: String) -> bool {
    log.push(Step {
        check,
        passed,
        detail,
    });
    passed
}

/// Evaluates one decision against the policy.
pub fn evaluate(policy: &Policy, input: &DecisionInput) -> Result<Evaluation, EvaluateError> {
    let scale = policy.scale();
    let open = scale.is_open_low(input.score) || scale.is_open_high(input.score);
    let units = scale
        .edge(input.score)
        .ok()
        .filter(|_| !open)
        .ok_or_else(|| EvaluateError::Score {
            score: input.score,
            reason: format!(
                "it is not a finite {} value inside the scale's range",
                scale.unit()
            ),
        })?;
    if let Some(f) = &input.features {
        if f.len() != policy.features().len() {
            return Err(EvaluateError::FeatureCount {
                given: f.len(),
                expected: policy.features().len(),
            });
        }
    }
    let mut log = Vec::new();
    let reject = |r, log| {
        Ok(Evaluation {
            verdict: PolicyVerdict::Rejected(r),
            log,
        })
    };

    let model_ok = policy
        .models()
        .iter()
        .any(|m| m.id == input.model_id && m.version == input.model_version);
    if !step(
        &mut log,
        "model allowed",
        model_ok,
        format!("`{}@{}`", input.model_id, input.model_version),
    ) {
        return reject(Rejection::ModelNotAllowed, log);
    }
    let scope_ok = policy.scopes().contains(&input.scope);
    if !step(
        &mut log,
        "scope allowed",
        scope_ok,
        format!("`{}`", input.scope),
    ) {
        return reject(Rejection::ScopeNotAllowed, log);
    }
    if !step(
        &mut log,
        "within validity window",
        policy.valid_at(input.time),
        format!(
            "{} in [{}, {})",
            input.time,
            policy.valid_from(),
            policy.valid_until()
        ),
    ) {
        return reject(Rejection::OutsideValidityWindow, log);
    }
    if let Some(values) = &input.features {
        for (f, &x) in policy.features().iter().zip(values) {
            let inside = quantize_feature(x).is_ok_and(|q| f.lo <= q && q <= f.hi);
            if !step(
                &mut log,
                "feature in range",
                inside,
                format!(
                    "`{}` = {} in [{}, {}]",
                    f.name,
                    super::check::fmt_num(x),
                    super::check::fmt_num(f.min),
                    super::check::fmt_num(f.max)
                ),
            ) {
                return reject(Rejection::FeatureOutOfRange, log);
            }
        }
    }
    let shown = super::check::fmt_num(input.score);
    let verdict = match policy.decision() {
        Decision::ScoreBand { bands, edges } => {
            let index = edges.windows(2).position(|w| w[0] <= units && units < w[1]);
            let Some(index) = index else {
                step(
                    &mut log,
                    "score in a band",
                    false,
                    format!("{shown} {}", scale.unit()),
                );
                return reject(Rejection::ScoreOutsideBands, log);
            };
            let band = &bands[index];
            step(
                &mut log,
                "score in a band",
                true,
                format!(
                    "{shown} in `{}` [{}, {})",
                    band.name,
                    super::check::fmt_num(band.lower),
                    super::check::fmt_num(band.upper)
                ),
            );
            PolicyVerdict::Band {
                index,
                name: band.name.to_string(),
                outcome: band.outcome,
            }
        }
        Decision::Gate {
            threshold,
            edge,
            at_or_above,
            below,
        } => {
            let decision = units >= *edge;
            step(
                &mut log,
                "gate",
                true,
                format!(
                    "{shown} {} {}",
                    if decision { ">=" } else { "<" },
                    super::check::fmt_num(*threshold)
                ),
            );
            PolicyVerdict::Gate {
                decision,
                outcome: if decision { *at_or_above } else { *below },
            }
        }
    };
    Ok(Evaluation { verdict, log })
}
