//! The quantization certificate: what quantizing did to a model's scores, measured on calibration
//! data and bounded where a bound can be proved.
//!
//! Every number is computed by [`certify`] from the float model (reference inference), the
//! quantized model (the circuits' exact arithmetic, [`crate::circuits::QuantizedModel::score`]) and
//! the calibration rows; nothing is copied from the exporter. Scores are in the model's score
//! units (log-odds, or the raw output): the circuit's score divided by `2^48`.

use serde::{Deserialize, Serialize};

use crate::circuits::fixed::{quantize_feature, SCALE_BITS, SCORE_SCALE_BITS};
use crate::circuits::model::Features;
use crate::circuits::policy::{CircuitOutcome, DecisionRule};
use crate::circuits::{tree_table, trees};
use crate::field::Field;

use super::calibration::Calibration;
use super::float::{Architecture, FloatModel, ScoreKind};
use super::quantize::{Bound, Quantized, RoundingStats};

/// The certificate format this build writes and reads.
pub const CERTIFICATE_FORMAT: &str = "govproof-quantization-certificate/1";

/// How many disagreeing rows a certificate lists by number.
pub const LISTED_ROWS: usize = 20;

/// The calibration data a certificate was measured on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrationInfo {
    /// Rows measured.
    pub rows: usize,
    /// blake3 of the calibration file, 64 hex digits.
    pub blake3: String,
}

/// Measured score error over the calibration rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorStats {
    /// The largest `|quantized - float|`.
    pub max_abs: f64,
    /// The mean `|quantized - float|`.
    pub mean_abs: f64,
    /// The (0-based) calibration row with the largest error.
    pub worst_row: usize,
}

/// For tree ensembles: rows on which some tree's quantized path differs from the float path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathStats {
    /// Rows with at least one tree on another path.
    pub rows_with_a_different_path: usize,
    /// The first such rows (0-based), at most [`LISTED_ROWS`].
    pub rows: Vec<usize>,
}

/// How often the quantized model puts a calibration row in the same band (or on the same side of
/// the threshold) as the float model, under one policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandAgreement {
    /// The policy's id.
    pub policy_id: String,
    /// The policy's version.
    pub policy_version: String,
    /// The policy's hash (the circuit's public input).
    pub policy_hash: Field,
    /// Rows compared.
    pub rows: usize,
    /// Rows with the same outcome.
    pub agreeing: usize,
    /// `agreeing / rows`.
    pub rate: f64,
    /// The first disagreeing rows (0-based), at most [`LISTED_ROWS`].
    pub disagreeing_rows: Vec<usize>,
}

/// A quantization certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    /// [`CERTIFICATE_FORMAT`].
    pub format: String,
    /// What the score is.
    pub score: ScoreKind,
    /// Bits after the binary point of weights and features.
    pub scale_bits: u32,
    /// The calibration data.
    pub calibration: CalibrationInfo,
    /// Measured error of the score.
    pub score_error: ErrorStats,
    /// The provable bound.
    pub bound: Bound,
    /// How the constants rounded.
    pub rounding: RoundingStats,
    /// Tree ensembles only: path agreement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tree_paths: Option<PathStats>,
    /// When a policy was given: band (or gate) agreement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band_agreement: Option<BandAgreement>,
}

/// A policy's decision rule, with the identity a certificate records.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyRule {
    /// The policy id.
    pub id: String,
    /// The policy version.
    pub version: String,
    /// The policy hash.
    pub hash: Field,
    /// The rule (edges or threshold, in circuit score units).
    pub rule: DecisionRule,
}

/// Why a certificate cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CertificateError {
    /// A calibration value the circuits cannot hold.
    #[error("calibration row {row}: {reason}")]
    Row {
        /// 0-based row.
        row: usize,
        /// Why.
        reason: String,
    },
}

/// The outcome a rule gives a float score: the band holding `score * 2^48`, compared with the
/// integer edges as reals (see the module docs of [`crate::circuits::fixed`]).
pub fn float_outcome(rule: &DecisionRule, score: f64) -> Option<CircuitOutcome> {
    let units = score * (1u64 << SCORE_SCALE_BITS) as f64;
    match rule {
        DecisionRule::ScoreBand { edges } => edges
            .windows(2)
            .position(|w| w[0] as f64 <= units && units < w[1] as f64)
            .and_then(|k| u32::try_from(k).ok())
            .map(CircuitOutcome::Band),
        DecisionRule::Gate { threshold } => {
            Some(CircuitOutcome::Decision(units >= *threshold as f64))
        }
    }
}

/// A calibration row as the circuit's input: each value rounded to the nearest `2^-16`.
pub fn quantize_row(row: &[f64]) -> Result<Features, String> {
    let values = row
        .iter()
        .map(|&v| quantize_feature(v).map_err(|e| e.to_string()))
        .collect::<Result<Vec<i64>, String>>()?;
    Features::new(values).map_err(|e| e.to_string())
}

/// Measures `quantized` against `float` on `calibration` and assembles the certificate.
pub fn certify(
    float: &FloatModel,
    quantized: &Quantized,
    calibration: &Calibration,
    policy: Option<&PolicyRule>,
) -> Result<Certificate, CertificateError> {
    let model = &quantized.model;
    let mut max_abs: f64 = 0.0;
    let mut sum = 0.0;
    let mut worst_row = 0;
    let mut agreeing = 0;
    let mut disagreeing = Vec::new();
    let mut path_rows = Vec::new();
    let mut path_count = 0;
    for (r, row) in calibration.rows().iter().enumerate() {
        let bad = |reason: String| CertificateError::Row { row: r, reason };
        let x = quantize_row(row).map_err(bad)?;
        let q = model.score(&x).map_err(|e| bad(e.to_string()))?;
        let f = float.score(row);
        let err = (q.logit() - f).abs();
        if err > max_abs {
            max_abs = err;
            worst_row = r;
        }
        sum += err;
        if let Some(p) = policy {
            if float_outcome(&p.rule, f) == p.rule.outcome(q) {
                agreeing += 1;
            } else if disagreeing.len() < LISTED_ROWS {
                disagreeing.push(r);
            } else {
                // Counted by `agreeing`; only the first rows are listed.
            }
        }
        let slots = match (model.tree_shape(), model.table_shape()) {
            (Some(shape), _) => Some(trees::leaf_indices(
                model.features(),
                shape,
                model.weights(),
                x.values(),
            )),
            (_, Some(shape)) => Some(tree_table::leaf_indices(
                model.features(),
                shape,
                model.weights(),
                x.values(),
            )),
            _ => None,
        };
        if let (Architecture::Trees(e), Some(slots)) = (&float.architecture, slots) {
            let x32: Vec<f32> = row.iter().map(|&v| v as f32).collect();
            let differs = e
                .trees
                .iter()
                .zip(&slots)
                .zip(&quantized.leaf_origins)
                .any(|((tree, &slot), origins)| origins[slot] != tree.leaf_index(&x32));
            if differs {
                path_count += 1;
                if path_rows.len() < LISTED_ROWS {
                    path_rows.push(r);
                }
            }
        }
    }
    let rows = calibration.len();
    Ok(Certificate {
        format: CERTIFICATE_FORMAT.to_string(),
        score: float.score_kind,
        scale_bits: SCALE_BITS,
        calibration: CalibrationInfo {
            rows,
            blake3: calibration.digest_hex(),
        },
        score_error: ErrorStats {
            max_abs,
            mean_abs: sum / rows as f64,
            worst_row,
        },
        bound: quantized.bound.clone(),
        rounding: quantized.rounding.clone(),
        tree_paths: matches!(float.architecture, Architecture::Trees(_)).then(|| PathStats {
            rows_with_a_different_path: path_count,
            rows: path_rows,
        }),
        band_agreement: policy.map(|p| BandAgreement {
            policy_id: p.id.clone(),
            policy_version: p.version.clone(),
            policy_hash: p.hash,
            rows,
            agreeing,
            rate: agreeing as f64 / rows as f64,
            disagreeing_rows: disagreeing,
        }),
    })
}

impl Certificate {
    /// The certificate as a JSON object (what a registry entry's `quantization_certificate` holds).
    pub fn to_json_object(&self) -> serde_json::Map<String, serde_json::Value> {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(map)) => map,
            // A struct of strings, integers, finite floats and field elements is an object.
            _ => unreachable!("a certificate serializes to a JSON object"),
        }
    }

    /// A human-readable summary, one fact per line.
    pub fn summary(&self) -> String {
        let unit = match self.score {
            ScoreKind::LogOdds => "log-odds",
            ScoreKind::Raw => "score units",
        };
        let mut s = format!(
            "calibration: {} rows (blake3 {})\nscore error on calibration rows: max {:.3e}, mean {:.3e} {unit} (worst row {})\n",
            self.calibration.rows,
            &self.calibration.blake3[..16.min(self.calibration.blake3.len())],
            self.score_error.max_abs,
            self.score_error.mean_abs,
            self.score_error.worst_row
        );
        s += &format!(
            "provable bound: {:.3e} {unit}, for {}\n",
            self.bound.max_abs, self.bound.holds_for
        );
        s += &format!(
            "rounding: {} constants, largest rounding {:.3e}, {} non-zero rounded to zero\n",
            self.rounding.count, self.rounding.max_rounding, self.rounding.rounded_to_zero
        );
        if let Some(p) = &self.tree_paths {
            s += &format!(
                "tree paths: {} of {} rows take another path in some tree{}\n",
                p.rows_with_a_different_path,
                self.calibration.rows,
                listed(&p.rows)
            );
        }
        match &self.band_agreement {
            Some(b) => {
                s += &format!(
                    "band agreement under policy `{}` version `{}`: {}/{} rows ({:.2}%){}\n",
                    b.policy_id,
                    b.policy_version,
                    b.agreeing,
                    b.rows,
                    b.rate * 100.0,
                    listed(&b.disagreeing_rows)
                );
            }
            None => s += "band agreement: not measured (no policy given at import)\n",
        }
        s
    }
}

fn listed(rows: &[usize]) -> String {
    if rows.is_empty() {
        String::new()
    } else {
        let shown: Vec<String> = rows.iter().map(usize::to_string).collect();
        format!(" (rows {})", shown.join(", "))
    }
}
