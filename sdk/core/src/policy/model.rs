//! A policy after parsing and validation: every value checked, lists in canonical order, band
//! edges and feature ranges already in the circuits' fixed point.
//!
//! A [`Policy`] is only made by [`super::check`], so holding one means the whole file was valid.

use std::fmt;

use crate::circuits::fixed::{
    edge_from_logit, edge_from_points, edge_from_probability, FixedError, EDGE_MAX, EDGE_MIN,
};
use crate::circuits::{PolicyEncoding, Profile};
use crate::field::Field;

use super::names::{ModelId, ModelVersion, Name, Note};
use crate::registry::Timestamp;

pub use crate::registry::Scope;

/// A model version the policy allows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AllowedModel {
    /// Model id, as in the registry.
    pub id: ModelId,
    /// Model version, as in the registry.
    pub version: ModelVersion,
}

impl fmt::Display for AllowedModel {
    /// `id@version`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.id, self.version)
    }
}

/// How the numbers a policy author writes (band bounds, thresholds, test scores) map to the
/// model's log-odds, which is what the circuit compares (in units of `2^-48`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ScoreScale {
    /// Credit-score points: `points = offset + factor * log_odds`, `factor > 0`.
    Points {
        /// Points at even odds (log-odds 0).
        offset: f64,
        /// Points per unit of log-odds (`pdo / ln 2` when written as points to double the odds).
        factor: f64,
    },
    /// The model's log-odds themselves.
    LogOdds,
    /// Probabilities: `p = 1 / (1 + e^-log_odds)`; `0` and `1` are the open ends.
    Probability,
}

/// What an evaluation produces for a decision, as written in the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// Approve the application.
    Approve,
    /// Refer it to a person.
    Refer,
    /// Decline it.
    Decline,
}

impl Outcome {
    /// The outcomes a policy may name.
    pub const ALL: [&'static str; 3] = ["approve", "refer", "decline"];

    /// Reads `approve`, `refer` or `decline`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "approve" => Some(Outcome::Approve),
            "refer" => Some(Outcome::Refer),
            "decline" => Some(Outcome::Decline),
            _ => None,
        }
    }

    /// The name as written in policies.
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Approve => "approve",
            Outcome::Refer => "refer",
            Outcome::Decline => "decline",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a value on a score scale cannot be a circuit edge.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScaleError {
    /// A probability outside `[0, 1]`.
    #[error("it is not a probability between 0 and 1")]
    Probability(f64),
    /// The value's log-odds are not finite (e.g. an extreme offset or factor).
    #[error("its log-odds on this scale are not a finite number")]
    NotFinite,
    /// The value's log-odds are beyond what the circuit compares.
    #[error("its log-odds on this scale are beyond the circuit's range of ±2^52")]
    OutOfRange,
    /// A points scale whose factor is not positive.
    #[error("the scale's factor is not a positive number")]
    Factor,
}

impl From<FixedError> for ScaleError {
    fn from(e: FixedError) -> Self {
        match e {
            FixedError::NotFinite(_) => ScaleError::NotFinite,
            FixedError::OutOfRange { .. } => ScaleError::OutOfRange,
            FixedError::Probability(p) => ScaleError::Probability(p),
            FixedError::Factor(_) => ScaleError::Factor,
        }
    }
}

impl ScoreScale {
    /// Whether `value` is this scale's open lower end.
    pub fn is_open_low(&self, value: f64) -> bool {
        match self {
            ScoreScale::Probability => value == 0.0,
            _ => value == f64::NEG_INFINITY,
        }
    }

    /// Whether `value` is this scale's open upper end.
    pub fn is_open_high(&self, value: f64) -> bool {
        match self {
            ScoreScale::Probability => value == 1.0,
            _ => value == f64::INFINITY,
        }
    }

    /// The circuit edge for a value on this scale: `ceil(log_odds * 2^48)` (so a score exactly on
    /// the value compares as at-or-above it), or the circuits' open ends `∓2^100`. The conversion
    /// is the circuits' own ([`edge_from_points`], [`edge_from_logit`],
    /// [`edge_from_probability`]).
    pub fn edge(&self, value: f64) -> Result<i128, ScaleError> {
        if self.is_open_low(value) {
            return Ok(EDGE_MIN);
        }
        if self.is_open_high(value) {
            return Ok(EDGE_MAX);
        }
        let edge = match self {
            ScoreScale::Points { offset, factor } => edge_from_points(value, *offset, *factor)?,
            ScoreScale::LogOdds => edge_from_logit(value)?,
            // The open ends 0 and 1 are handled above; anything else outside (0, 1) is refused.
            ScoreScale::Probability => edge_from_probability(value)?,
        };
        Ok(edge)
    }

    /// A log-odds value on this scale (the inverse of the edge conversion, for messages).
    pub fn from_logit(&self, logit: f64) -> f64 {
        match self {
            ScoreScale::Points { offset, factor } => offset + factor * logit,
            ScoreScale::LogOdds => logit,
            ScoreScale::Probability => 1.0 / (1.0 + (-logit).exp()),
        }
    }

    /// Names the scale's unit, for messages and summaries.
    pub fn unit(&self) -> &'static str {
        match self {
            ScoreScale::Points { .. } => "points",
            ScoreScale::LogOdds => "log-odds",
            ScoreScale::Probability => "probability",
        }
    }
}

/// One band of a band table: scores in `[lower, upper)` on the policy's scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// The band's name, e.g. `prime`.
    pub name: Name,
    /// Lowest score in the band (inclusive); the scale's open lower end for the lowest band.
    pub lower: f64,
    /// Lowest score above the band (exclusive); the scale's open upper end for the highest band.
    pub upper: f64,
    /// What a decision in this band is.
    pub outcome: Outcome,
}

/// How a score becomes a decision.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// The public outcome is the band the score lies in; bands are sorted by score, contiguous.
    ScoreBand {
        /// The bands, lowest scores first.
        bands: Vec<Band>,
        /// Their circuit edges: `bands.len() + 1` strictly increasing values.
        edges: Vec<i128>,
    },
    /// The public outcome is whether the score reaches the threshold.
    Gate {
        /// The threshold on the policy's scale.
        threshold: f64,
        /// Its circuit edge.
        edge: i128,
        /// The outcome when the score is at or above the threshold.
        at_or_above: Outcome,
        /// The outcome when the score is below it.
        below: Outcome,
    },
}

/// One input feature and the range the policy allows it in.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// Its name.
    pub name: Name,
    /// Smallest allowed value (inclusive), as written.
    pub min: f64,
    /// Largest allowed value (inclusive), as written.
    pub max: f64,
    /// `min` in the circuits' fixed point (`round(min * 2^16)`).
    pub lo: i64,
    /// `max` in the circuits' fixed point (`round(max * 2^16)`).
    pub hi: i64,
}

/// One feature's line of an explanation: where its contribution is measured from, and what an
/// applicant is told when it is a reason.
#[derive(Debug, Clone, PartialEq)]
pub struct ReasonText {
    /// The feature's index (into [`Policy::features`]): the reason's code in the proof.
    pub feature: usize,
    /// The code the policy states for the reason (the feature's name when it states none).
    pub code: String,
    /// The text an applicant is given.
    pub text: String,
    /// The baseline, as written, in the feature's units.
    pub baseline: f64,
    /// The baseline in the circuits' fixed point (`round(baseline * 2^16)`).
    pub fixed: i64,
}

/// How a decision is explained (`[explanation]`): how many reasons a decision names, and per
/// feature its baseline and reason text. Only for profiles with proven reasons (`-rK`).
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// How many reasons a decision names (the profile's `K`).
    pub reasons: usize,
    /// One line per feature, in input order.
    pub features: Vec<ReasonText>,
}

impl Explanation {
    /// The line for the feature a reason code names (`None` for the none code).
    pub fn reason(&self, code: u32) -> Option<&ReasonText> {
        self.features.get(code as usize)
    }
}

/// The contents of a policy, before its encoding is computed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parts {
    pub(crate) id: Name,
    pub(crate) version: Name,
    pub(crate) title: Note,
    pub(crate) owner: Note,
    pub(crate) profile: Profile,
    pub(crate) valid_from: Timestamp,
    pub(crate) valid_until: Timestamp,
    pub(crate) scopes: Vec<Scope>,
    pub(crate) models: Vec<AllowedModel>,
    pub(crate) scale: ScoreScale,
    pub(crate) decision: Decision,
    pub(crate) features: Vec<Feature>,
    pub(crate) protected: Vec<usize>,
    pub(crate) explanation: Option<Explanation>,
}

/// A validated policy, with its circuit encoding.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub(crate) parts: Parts,
    pub(crate) encoding: PolicyEncoding,
    /// `encoding.hash()`, computed once: a verifier compares it for every bundle of a portfolio,
    /// and it takes 19 Poseidon2 permutations.
    pub(crate) hash: Field,
}

impl Policy {
    /// The policy's id.
    pub fn id(&self) -> &Name {
        &self.parts.id
    }

    /// The policy's version.
    pub fn version(&self) -> &Name {
        &self.parts.version
    }

    /// Its title.
    pub fn title(&self) -> &Note {
        &self.parts.title
    }

    /// Who owns it.
    pub fn owner(&self) -> &Note {
        &self.parts.owner
    }

    /// The circuit profile it is written for.
    pub fn profile(&self) -> &Profile {
        &self.parts.profile
    }

    /// Start of validity (inclusive).
    pub fn valid_from(&self) -> Timestamp {
        self.parts.valid_from
    }

    /// End of validity (exclusive).
    pub fn valid_until(&self) -> Timestamp {
        self.parts.valid_until
    }

    /// Whether `t` is in `[valid_from, valid_until)`.
    pub fn valid_at(&self, t: Timestamp) -> bool {
        self.parts.valid_from <= t && t < self.parts.valid_until
    }

    /// Allowed scopes, sorted, without duplicates.
    pub fn scopes(&self) -> &[Scope] {
        &self.parts.scopes
    }

    /// Allowed models, sorted, without duplicates.
    pub fn models(&self) -> &[AllowedModel] {
        &self.parts.models
    }

    /// The score scale.
    pub fn scale(&self) -> &ScoreScale {
        &self.parts.scale
    }

    /// The decision rule.
    pub fn decision(&self) -> &Decision {
        &self.parts.decision
    }

    /// The features, in input order.
    pub fn features(&self) -> &[Feature] {
        &self.parts.features
    }

    /// Indices of the protected features (into [`Policy::features`]), ascending.
    pub fn protected(&self) -> &[usize] {
        &self.parts.protected
    }

    /// How decisions under the policy are explained (for a profile with proven reasons).
    pub fn explanation(&self) -> Option<&Explanation> {
        self.parts.explanation.as_ref()
    }

    /// The position of the feature called `name`.
    pub fn feature_index(&self, name: &str) -> Option<usize> {
        self.parts
            .features
            .iter()
            .position(|f| f.name.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_convert_through_log_odds_and_round_up() {
        let s = ScoreScale::Points {
            offset: 600.0,
            factor: 20.0,
        };
        assert_eq!(s.edge(620.0).unwrap(), 1i128 << 48);
        assert_eq!(s.edge(600.0).unwrap(), 0);
        assert_eq!(s.edge(f64::NEG_INFINITY).unwrap(), EDGE_MIN);
        assert_eq!(s.edge(f64::INFINITY).unwrap(), EDGE_MAX);
        let p = ScoreScale::Probability;
        assert_eq!(p.edge(0.5).unwrap(), 0);
        assert_eq!(p.edge(0.0).unwrap(), EDGE_MIN);
        assert_eq!(p.edge(1.0).unwrap(), EDGE_MAX);
        assert!(p.edge(1.5).is_err());
        assert!(ScoreScale::LogOdds.edge(1e30).is_err());
        // Monotone: a higher value never gets a lower edge.
        let mut last = i128::MIN;
        for k in -50..50 {
            let e = s.edge(600.0 + f64::from(k) * 0.37).unwrap();
            assert!(e >= last);
            last = e;
        }
    }
}
