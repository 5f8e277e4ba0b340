//! `govproof model import`: from an ONNX file, a feature schema and calibration data to a checked
//! model file with its quantization certificate.
//!
//! The steps: decode the ONNX file ([`super::onnx`]), recognise the family ([`super::graph`]),
//! check the input width against the schema, quantize ([`super::quantize`]), choose the circuit
//! profile, measure and bound the error ([`super::certificate`]), and assemble the
//! [`ModelFile`]. Nothing is written unless every step succeeds.

use std::path::Path;

use crate::circuits::model::QuantizedModel;
use crate::circuits::policy::DecisionRule;
use crate::circuits::profile::{DecisionKind, Profile, ProfileError};
use crate::registry::names::{ModelId, ModelVersion, NameError};

use super::calibration::{Calibration, CalibrationError};
use super::certificate::{certify, quantize_row, CertificateError, PolicyRule};
use super::file::{Family, ModelFile, ModelFileCheck, Source};
use super::graph::{recognise, GraphError, Recognised};
use super::onnx::{self, OnnxError};
use super::quantize::{quantize_for, QuantizeError};
use super::schema::{FeatureSchema, SchemaError};

/// Registry depth of the profiles import chooses by default (the registry's tree depth).
pub const DEFAULT_DEPTH: usize = 20;
/// Band capacity of the default profile.
pub const DEFAULT_BANDS: usize = 8;
/// Scope capacity of the default profile.
pub const DEFAULT_SCOPES: usize = 16;
/// Protected-feature capacity of the default profile (at most the feature count).
pub const DEFAULT_PROTECTED: usize = 8;
/// Allowed-model capacity of the default profile.
pub const DEFAULT_MODELS: usize = 4;

/// Why an import fails.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The ONNX file cannot be read.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The ONNX file is malformed.
    #[error("`{path}`: {source}")]
    Onnx {
        /// The file.
        path: String,
        /// Why.
        source: OnnxError,
    },
    /// The graph is not a supported model.
    #[error("`{path}`: {source}")]
    Graph {
        /// The file.
        path: String,
        /// Why.
        source: GraphError,
    },
    /// The feature schema is invalid.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// The calibration data is invalid.
    #[error(transparent)]
    Calibration(#[from] CalibrationError),
    /// The model cannot be quantized.
    #[error(transparent)]
    Quantize(#[from] QuantizeError),
    /// The certificate cannot be computed.
    #[error(transparent)]
    Certificate(#[from] CertificateError),
    /// A profile that does not parse.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// The chosen profile does not fit the model.
    #[error("profile `{profile}` does not fit the model ({model}): {reason}")]
    ProfileFit {
        /// The profile.
        profile: String,
        /// The model's family.
        model: String,
        /// Why.
        reason: String,
    },
    /// The policy does not parse or is invalid.
    #[error("policy `{path}` is not valid:\n{diagnostics}")]
    Policy {
        /// The file.
        path: String,
        /// The rendered diagnostics.
        diagnostics: String,
    },
    /// The policy's features are not the schema's.
    #[error("policy `{policy}` and the feature schema disagree: {difference}")]
    PolicyFeatures {
        /// The policy's id.
        policy: String,
        /// The first difference, in words.
        difference: String,
    },
    /// A suggested id or version breaks the naming rules.
    #[error(transparent)]
    Name(#[from] NameError),
    /// The parts of the model file do not fit.
    #[error(transparent)]
    File(#[from] ModelFileCheck),
    /// The provable bound exceeds the limit the caller set.
    #[error("the provable error bound {bound:.3e} exceeds the limit {limit:.3e} given with `--max-bound`")]
    BoundTooLarge {
        /// The bound.
        bound: f64,
        /// The limit.
        limit: f64,
    },
}

/// A policy read for import: its rule for band agreement, and its profile and features to check.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportPolicy {
    /// The rule and the policy's identity.
    pub rule: PolicyRule,
    /// The policy's profile name.
    pub profile: String,
    /// The policy's feature names, in order.
    pub features: Vec<String>,
}

impl ImportPolicy {
    /// Reads and checks a policy file.
    pub fn read(path: &Path) -> Result<Self, ImportError> {
        let shown = path.display().to_string();
        let text =
            crate::input_file::read_input_text(path, "policy", crate::policy::MAX_POLICY_BYTES)
                .map_err(|e| ImportError::Io {
                    path: shown.clone(),
                    source: std::io::Error::other(e.reason()),
                })?;
        let file = crate::policy::SourceFile::new(shown.clone(), text);
        let checked = crate::policy::check(&file, &crate::policy::CheckOptions::default());
        let Some(policy) = checked.policy else {
            return Err(ImportError::Policy {
                path: shown,
                diagnostics: checked.diagnostics.render(&file),
            });
        };
        let rule = match policy.decision() {
            crate::policy::Decision::ScoreBand { edges, .. } => DecisionRule::ScoreBand {
                edges: edges.clone(),
            },
            crate::policy::Decision::Gate { edge, .. } => DecisionRule::Gate { threshold: *edge },
        };
        Ok(ImportPolicy {
            rule: PolicyRule {
                id: policy.id().to_string(),
                version: policy.version().to_string(),
                hash: policy.hash(),
                rule,
            },
            profile: policy.profile().name(),
            features: policy
                .features()
                .iter()
                .map(|f| f.name.to_string())
                .collect(),
        })
    }
}

/// What to import and how.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRequest<'a> {
    /// The ONNX file's name, for the model file's `source` (folders are dropped).
    pub onnx_name: &'a str,
    /// The ONNX file's bytes.
    pub onnx: &'a [u8],
    /// The feature schema.
    pub schema: &'a FeatureSchema,
    /// The calibration rows.
    pub calibration: &'a Calibration,
    /// A policy: its profile is used and its band agreement measured.
    pub policy: Option<&'a ImportPolicy>,
    /// A profile to use instead of the policy's or the default.
    pub profile: Option<&'a str>,
    /// The suggested registry id.
    pub model_id: &'a str,
    /// The suggested registry version.
    pub version: &'a str,
    /// Refuse the model when its provable bound exceeds this.
    pub max_bound: Option<f64>,
}

/// The profile a model gets when neither a profile nor a policy names one: the model's shape with
/// the default capacities (registry depth 20, 8 bands, 16 scopes, up to 8 protected features, 4
/// models).
pub fn default_profile(family: Family, features: usize) -> Result<Profile, ProfileError> {
    Profile::new(
        family.circuit_family(),
        features,
        DEFAULT_DEPTH,
        DecisionKind::ScoreBand {
            bands: DEFAULT_BANDS,
        },
        DEFAULT_SCOPES,
        DEFAULT_PROTECTED.min(features),
        DEFAULT_MODELS,
    )
}

/// Imports a model from memory (see [`import_files`] for files).
pub fn import(req: &ImportRequest<'_>) -> Result<(ModelFile, Recognised), ImportError> {
    let onnx_err = |source| ImportError::Onnx {
        path: req.onnx_name.to_string(),
        source,
    };
    let proto = onnx::decode(req.onnx).map_err(onnx_err)?;
    let recognised = recognise(&proto).map_err(|source| match source {
        GraphError::Onnx(e) => onnx_err(e),
        source => ImportError::Graph {
            path: req.onnx_name.to_string(),
            source,
        },
    })?;
    if recognised.model.features != req.schema.len() {
        return Err(ImportError::Graph {
            path: req.onnx_name.to_string(),
            source: GraphError::FeatureCount {
                input: recognised.input.clone(),
                model: recognised.model.features,
                schema: req.schema.len(),
            },
        });
    }
    // A tree ensemble is laid out for the profile asked for (complete trees or a node table
    // padded to its shape), when one is.
    let requested = match req.profile.or(req.policy.map(|p| p.profile.as_str())) {
        Some(name) => Some(Profile::from_name(name)?),
        None => None,
    };
    let mut quantized = quantize_for(&recognised.model, req.schema, requested.as_ref())?;
    // Proven reasons for a node-table ensemble need each node's value: ONNX tree ensembles carry
    // only the leaves' (their `nodes_hitrates` are no covers: 1.0 from every converter we read),
    // so each internal node gets its expected value over the calibration rows.
    if let Some(p) = requested
        .as_ref()
        .filter(|p| p.reasons() > 0 && p.table_shape().is_some())
    {
        quantized.model = node_values(quantized.model, req.calibration, p)?;
    }
    if let Some(limit) = req.max_bound {
        if quantized.bound.max_abs > limit {
            return Err(ImportError::BoundTooLarge {
                bound: quantized.bound.max_abs,
                limit,
            });
        }
    }
    let family = Family::of(&quantized.model);
    if let Some(p) = req.policy {
        let schema: Vec<String> = req.schema.names().iter().map(|s| s.to_string()).collect();
        if p.features != schema {
            let difference = match p.features.iter().zip(&schema).position(|(a, b)| a != b) {
                Some(i) => format!(
                    "feature {i} is `{}` in the policy and `{}` in the schema",
                    p.features[i], schema[i]
                ),
                None => format!(
                    "the policy declares {} features, the schema {}",
                    p.features.len(),
                    schema.len()
                ),
            };
            return Err(ImportError::PolicyFeatures {
                policy: p.rule.id.clone(),
                difference,
            });
        }
    }
    let profile = match (req.profile, req.policy) {
        (Some(name), Some(p)) if name != p.profile => {
            return Err(ImportError::ProfileFit {
                profile: name.to_string(),
                model: family.describe(quantized.model.features()),
                reason: format!(
                    "policy `{}` is for profile `{}`, and only a model proved with that profile can be authorised by it",
                    p.rule.id, p.profile
                ),
            })
        }
        (Some(name), _) => Profile::from_name(name)?,
        (None, Some(p)) => Profile::from_name(&p.profile)?,
        (None, None) => default_profile(family, quantized.model.features())?,
    };
    quantized
        .model
        .check_profile(&profile)
        .map_err(|e| ImportError::ProfileFit {
            profile: profile.name(),
            model: family.describe(quantized.model.features()),
            reason: e.to_string(),
        })?;
    let certificate = certify(
        &recognised.model,
        &quantized,
        req.calibration,
        req.policy.map(|p| &p.rule),
    )?;
    let file_name = Path::new(req.onnx_name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let source = Source {
        file: file_name,
        blake3: blake3::hash(req.onnx).to_hex().to_string(),
        producer: recognised.producer.clone(),
        score_tensor: recognised.score_tensor.clone(),
        readout: recognised.readout.clone(),
    };
    let file = ModelFile::new(
        ModelId::new(req.model_id)?,
        ModelVersion::new(req.version)?,
        profile,
        quantized.model,
        req.schema.clone(),
        recognised.model.score_kind,
        recognised.positive_class.clone(),
        source,
        certificate,
    )?;
    Ok((file, recognised))
}

/// The ensemble with its node values, each the expected value over the calibration rows (see
/// [`crate::circuits::tree_table::expected_node_values`]).
fn node_values(
    model: QuantizedModel,
    calibration: &Calibration,
    profile: &Profile,
) -> Result<QuantizedModel, ImportError> {
    let fit = |reason: String| ImportError::ProfileFit {
        profile: profile.name(),
        model: Family::of(&model).describe(model.features()),
        reason,
    };
    if calibration.is_empty() {
        return Err(fit(
            "proven reasons need the trees' node values, which import computes from the calibration rows, and there are none".into(),
        ));
    }
    let rows = calibration
        .rows()
        .iter()
        .enumerate()
        .map(|(k, row)| {
            quantize_row(row).map_err(|e| fit(format!("calibration row {}: {e}", k + 1)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let shown = Family::of(&model).describe(model.features());
    model
        .with_node_values(&rows)
        .map_err(|e| ImportError::ProfileFit {
            profile: profile.name(),
            model: shown,
            reason: e.to_string(),
        })
}

/// Reads the ONNX file, schema, calibration data and optional policy, imports, and writes the
/// model file to `out` atomically. Returns the model file.
#[allow(clippy::too_many_arguments)]
pub fn import_files(
    onnx_path: &Path,
    schema_path: &Path,
    calibration_path: &Path,
    policy_path: Option<&Path>,
    profile: Option<&str>,
    model_id: &str,
    version: &str,
    max_bound: Option<f64>,
    out: &Path,
) -> Result<(ModelFile, Recognised), ImportError> {
    let shown = onnx_path.display().to_string();
    let bytes = crate::input_file::read_input(onnx_path, "ONNX model", onnx::MAX_FILE_BYTES as u64)
        .map_err(|e| ImportError::Io {
            path: shown.clone(),
            source: std::io::Error::other(e.reason()),
        })?;
    let schema = FeatureSchema::read(schema_path)?;
    let calibration = Calibration::read(calibration_path, &schema)?;
    let policy = policy_path.map(ImportPolicy::read).transpose()?;
    let (file, recognised) = import(&ImportRequest {
        onnx_name: &shown,
        onnx: &bytes,
        schema: &schema,
        calibration: &calibration,
        policy: policy.as_ref(),
        profile,
        model_id,
        version,
        max_bound,
    })?;
    file.write(out).map_err(|e| ImportError::Io {
        path: out.display().to_string(),
        source: std::io::Error::other(e.to_string()),
    })?;
    Ok((file, recognised))
}
