//! The model file (`MODEL.govproof`): what `govproof model import` writes and the prover reads.
//!
//! A JSON document (format `govproof-model/1`), read strictly: unknown keys are refused, and
//! reading re-checks everything a proof relies on (the weights against the circuits' bounds and
//! the family's shape, the stored weights commitment against the weights, the model against its
//! circuit profile, the feature schema). The keys:
//!
//! | key | meaning |
//! | --- | --- |
//! | `format` | `govproof-model/1` |
//! | `model_id`, `version` | suggested registry id and version (the registry entry decides) |
//! | `profile` | the circuit profile that proves the model (e.g. `linear-20-d20-b8-s16-p8-m4`) |
//! | `family` | `{"kind": "linear"}`, `{"kind": "mlp", "hidden": H}` (one hidden layer), `{"kind": "deep_mlp", "hidden": [H1, H2]}` (two or three hidden layers) or `{"kind": "trees", "trees": T, "depth": D}` |
//! | `score` | `log_odds` or `raw` |
//! | `positive_class` | the class whose log-odds the score is (classifiers that name classes) |
//! | `features` | the feature schema: `name`, `min`, `max`, `integer` per input, in order |
//! | `scale_bits` | 16: weights and features are integers at `2^16` |
//! | `weights` | the quantized weights, in the circuits' flat layout for the family |
//! | `weights_commitment` | Poseidon2 commitment to the weights, as the circuits compute it |
//! | `source` | the ONNX file's name and blake3, its producer, the tensor the score is read from, and the readout nodes that do not enter the proof |
//! | `certificate` | the quantization certificate ([`super::certificate`]) |
//!
//! The top-level `model_id`, `version`, `profile` and `features` keys are the ones
//! `govproof policy check --model` reads, so a model file can be checked against a policy as is.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::circuits::fixed::SCALE_BITS;
use crate::circuits::model::{ModelError, QuantizedModel};
use crate::circuits::profile::{HiddenLayers, ModelFamily, Profile, ProfileError};
use crate::circuits::tree_table::{TableError, TableShape};
use crate::circuits::trees::TreeShape;
use crate::field::Field;
use crate::registry::names::{ModelId, ModelVersion, NameError};

use super::certificate::{Certificate, CERTIFICATE_FORMAT};
use super::float::ScoreKind;
use super::schema::{FeatureSchema, FeatureSpec, SchemaError};

/// The model file format this build writes and reads.
pub const MODEL_FORMAT: &str = "govproof-model/1";

/// The most bytes a model file may have.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// The model family and its shape, as the file records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Family {
    /// A linear (or logistic) model.
    Linear,
    /// A perceptron with one hidden ReLU layer.
    Mlp {
        /// Hidden units.
        hidden: usize,
    },
    /// A perceptron with two or three hidden ReLU layers.
    DeepMlp {
        /// The hidden layers' widths, first layer first.
        hidden: HiddenLayers,
    },
    /// A tree ensemble.
    Trees {
        /// Trees.
        trees: usize,
        /// Padded depth.
        depth: usize,
    },
    /// A tree ensemble by its real shape (a node table).
    TreeTable {
        /// Trees.
        trees: usize,
        /// Leaves per tree, at most.
        leaves: usize,
        /// The deepest path.
        depth: usize,
    },
}

impl Family {
    /// The family of a quantized model.
    pub fn of(model: &QuantizedModel) -> Family {
        if let Some(s) = model.table_shape() {
            return Family::TreeTable {
                trees: s.trees(),
                leaves: s.leaves(),
                depth: s.depth(),
            };
        }
        match (model.tree_shape(), model.hidden_layers()) {
            (Some(s), _) => Family::Trees {
                trees: s.trees(),
                depth: s.depth(),
            },
            (None, []) => Family::Linear,
            (None, [hidden]) => Family::Mlp { hidden: *hidden },
            (None, more) => Family::DeepMlp {
                hidden: HiddenLayers::new(more).unwrap_or_else(|_| {
                    unreachable!("QuantizedModel::layered checked the hidden layers")
                }),
            },
        }
    }

    /// The circuits' family.
    pub fn circuit_family(&self) -> ModelFamily {
        match *self {
            Family::Linear => ModelFamily::Linear,
            Family::Mlp { hidden } => ModelFamily::Mlp { hidden },
            Family::DeepMlp { hidden } => ModelFamily::DeepMlp { hidden },
            Family::Trees { trees, depth } => ModelFamily::Trees { trees, depth },
            Family::TreeTable {
                trees,
                leaves,
                depth,
            } => ModelFamily::TreeTable {
                trees,
                leaves,
                depth,
            },
        }
    }

    /// A short description, e.g. `mlp 20x16` or `trees 30x3` (trees x depth).
    pub fn describe(&self, features: usize) -> String {
        match self {
            Family::Linear => format!("linear, {features} features"),
            Family::Mlp { hidden } => {
                format!("perceptron {features} x {hidden} (one hidden ReLU layer)")
            }
            Family::DeepMlp { hidden } => {
                let widths: Vec<String> = hidden.widths().iter().map(usize::to_string).collect();
                format!(
                    "perceptron {features} x {} ({} hidden ReLU layers)",
                    widths.join(" x "),
                    widths.len()
                )
            }
            Family::Trees { trees, depth } => {
                format!("tree ensemble, {features} features, {trees} trees x depth {depth}")
            }
            Family::TreeTable {
                trees,
                leaves,
                depth,
            } => format!(
                "tree ensemble, {features} features, {trees} trees of at most {leaves} leaves, depth {depth}"
            ),
        }
    }
}

/// Where the model came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The ONNX file's name (without folders).
    pub file: String,
    /// blake3 of the ONNX file, 64 hex digits.
    pub blake3: String,
    /// The producer the file names (`name version`).
    pub producer: String,
    /// The tensor the score is read from.
    pub score_tensor: String,
    /// Nodes after the score that only format it and do not enter the proof.
    pub readout: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    format: String,
    model_id: ModelId,
    version: ModelVersion,
    profile: String,
    family: Family,
    score: ScoreKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    positive_class: Option<String>,
    features: Vec<FeatureSpec>,
    scale_bits: u32,
    weights: Vec<i64>,
    weights_commitment: Field,
    source: Source,
    certificate: Certificate,
}

/// Why a model file is refused.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    /// The file cannot be read or written.
    #[error("cannot {action} model file `{path}`: {source}")]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is too large.
    #[error("model file `{path}` is larger than the limit of {MAX_FILE_BYTES} bytes")]
    TooLarge {
        /// The file.
        path: String,
        /// Its size.
        size: u64,
    },
    /// Not the expected JSON.
    #[error("model file `{path}` is not valid: {reason}")]
    Syntax {
        /// The file.
        path: String,
        /// The parser's reason (with line and column).
        reason: String,
    },
    /// Another format version.
    #[error("model file `{path}` has format `{found}`; this build reads `{MODEL_FORMAT}`")]
    Format {
        /// The file.
        path: String,
        /// The format found.
        found: String,
    },
    /// A part that fails its checks.
    #[error("model file `{path}`: {reason}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The stored commitment does not match the weights.
    #[error("model file `{path}`: the weights commitment does not match the weights (stored {stored}, computed {computed})")]
    Commitment {
        /// The file.
        path: String,
        /// Stored.
        stored: Field,
        /// Computed from the weights.
        computed: Field,
    },
}

/// A checked model file: the quantized model, its profile and schema, and its certificate.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFile {
    /// Suggested registry model id.
    pub model_id: ModelId,
    /// Suggested registry version.
    pub version: ModelVersion,
    /// The circuit profile.
    pub profile: Profile,
    /// The quantized model (checked against the profile).
    pub model: QuantizedModel,
    /// The feature schema.
    pub schema: FeatureSchema,
    /// What the score is.
    pub score: ScoreKind,
    /// The positive class, when the classifier names its classes.
    pub positive_class: Option<String>,
    /// Where the model came from.
    pub source: Source,
    /// The quantization certificate.
    pub certificate: Certificate,
}

/// Why the parts of a model file do not fit together.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelFileCheck {
    /// The profile name does not parse.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// The weights break a bound or the family's shape, or do not fit the profile.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The feature schema is invalid.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// A name is invalid.
    #[error(transparent)]
    Name(#[from] NameError),
    /// The schema and the model disagree on the feature count.
    #[error("the schema lists {schema} features, the model takes {model}")]
    Features {
        /// The schema's count.
        schema: usize,
        /// The model's.
        model: usize,
    },
    /// Another certificate format, or another scale.
    #[error("{0}")]
    Version(String),
}

fn model_from(
    family: Family,
    features: usize,
    weights: Vec<i64>,
) -> Result<QuantizedModel, ModelError> {
    match family {
        Family::Linear => QuantizedModel::new(features, 0, weights),
        Family::Mlp { hidden } => QuantizedModel::new(features, hidden.max(1), weights),
        Family::DeepMlp { hidden } => QuantizedModel::layered(features, hidden.widths(), weights),
        Family::Trees { trees, depth } => {
            let shape = TreeShape::new(trees, depth).ok_or(ModelError::Trees(
                crate::circuits::trees::TreeError::Shape {
                    trees,
                    depth,
                    features,
                },
            ))?;
            QuantizedModel::trees(features, shape, weights)
        }
        Family::TreeTable {
            trees,
            leaves,
            depth,
        } => {
            let shape = TableShape::new(trees, leaves, depth).ok_or(ModelError::TreeTable(
                TableError::Shape {
                    trees,
                    leaves,
                    depth,
                    features,
                },
            ))?;
            // Node values (for proven reasons) follow the plain layout: the length tells.
            if weights.len() == shape.explained_weight_count(features) {
                QuantizedModel::tree_table_explained(features, shape, weights)
            } else {
                QuantizedModel::tree_table(features, shape, weights)
            }
        }
    }
}

impl ModelFile {
    /// Assembles a model file, checking that the parts fit: the model against the profile, the
    /// schema against the model.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        model_id: ModelId,
        version: ModelVersion,
        profile: Profile,
        model: QuantizedModel,
        schema: FeatureSchema,
        score: ScoreKind,
        positive_class: Option<String>,
        source: Source,
        certificate: Certificate,
    ) -> Result<Self, ModelFileCheck> {
        model.check_profile(&profile)?;
        if schema.len() != model.features() {
            return Err(ModelFileCheck::Features {
                schema: schema.len(),
                model: model.features(),
            });
        }
        if certificate.format != CERTIFICATE_FORMAT || certificate.scale_bits != SCALE_BITS {
            return Err(ModelFileCheck::Version(format!(
                "the certificate has format `{}` at scale 2^{}; this build reads `{CERTIFICATE_FORMAT}` at 2^{SCALE_BITS}",
                certificate.format, certificate.scale_bits
            )));
        }
        Ok(ModelFile {
            model_id,
            version,
            profile,
            model,
            schema,
            score,
            positive_class,
            source,
            certificate,
        })
    }

    fn document(&self) -> Document {
        Document {
            format: MODEL_FORMAT.to_string(),
            model_id: self.model_id.clone(),
            version: self.version.clone(),
            profile: self.profile.name(),
            family: Family::of(&self.model),
            score: self.score,
            positive_class: self.positive_class.clone(),
            features: self.schema.features().to_vec(),
            scale_bits: SCALE_BITS,
            weights: self.model.weights().to_vec(),
            weights_commitment: self.model.commitment(),
            source: self.source.clone(),
            certificate: self.certificate.clone(),
        }
    }

    /// The file's bytes: pretty-printed JSON, ending in a newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        // A document of strings, integers, finite floats and field elements always serializes.
        let mut bytes = serde_json::to_vec_pretty(&self.document())
            .unwrap_or_else(|e| unreachable!("a model document serializes: {e}"));
        bytes.push(b'\n');
        bytes
    }

    /// Reads a model file from its bytes; `path` names it in messages.
    pub fn from_bytes(path: &str, bytes: &[u8]) -> Result<Self, ModelFileError> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| ModelFileError::Syntax {
                path: path.to_string(),
                reason: e.to_string(),
            })?;
        let found = value
            .get("format")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("(none)");
        if found != MODEL_FORMAT {
            return Err(ModelFileError::Format {
                path: path.to_string(),
                found: found.to_string(),
            });
        }
        let doc: Document = serde_json::from_slice(bytes).map_err(|e| ModelFileError::Syntax {
            path: path.to_string(),
            reason: e.to_string(),
        })?;
        let invalid = |e: ModelFileCheck| ModelFileError::Invalid {
            path: path.to_string(),
            reason: e.to_string(),
        };
        if doc.scale_bits != SCALE_BITS {
            return Err(invalid(ModelFileCheck::Version(format!(
                "scale 2^{} is not the circuits' 2^{SCALE_BITS}",
                doc.scale_bits
            ))));
        }
        let schema = FeatureSchema::new(doc.features).map_err(|e| invalid(e.into()))?;
        let model =
            model_from(doc.family, schema.len(), doc.weights).map_err(|e| invalid(e.into()))?;
        let computed = model.commitment();
        if computed != doc.weights_commitment {
            return Err(ModelFileError::Commitment {
                path: path.to_string(),
                stored: doc.weights_commitment,
                computed,
            });
        }
        let profile = Profile::from_name(&doc.profile).map_err(|e| invalid(e.into()))?;
        Self::new(
            doc.model_id,
            doc.version,
            profile,
            model,
            schema,
            doc.score,
            doc.positive_class,
            doc.source,
            doc.certificate,
        )
        .map_err(invalid)
    }

    /// Reads and checks a model file.
    pub fn read(path: &Path) -> Result<Self, ModelFileError> {
        let shown = path.display().to_string();
        let io = |source| ModelFileError::Io {
            action: "read",
            path: shown.clone(),
            source,
        };
        // Regular files only, read through a bounded reader (a FIFO or `/dev/zero` is refused).
        let bytes = crate::input_file::read_input(path, "model file", MAX_FILE_BYTES).map_err(
            |e| match e {
                crate::input_file::InputFileError::TooLarge { .. } => ModelFileError::TooLarge {
                    path: shown.clone(),
                    size: MAX_FILE_BYTES + 1,
                },
                crate::input_file::InputFileError::Io { source, .. } => io(source),
                other => io(std::io::Error::other(other.to_string())),
            },
        )?;
        Self::from_bytes(&shown, &bytes)
    }

    /// Writes the file atomically (temporary file, sync, rename): an existing file is replaced
    /// only by a complete new one.
    pub fn write(&self, path: &Path) -> Result<(), ModelFileError> {
        crate::toolchain::atomic::write_atomic(path, &self.to_bytes(), Some(0o644)).map_err(|e| {
            ModelFileError::Io {
                action: "write",
                path: path.display().to_string(),
                source: e.source,
            }
        })
    }

    /// The weights commitment a registry entry records.
    pub fn weights_commitment(&self) -> Field {
        self.model.commitment()
    }

    /// The model's family.
    pub fn family(&self) -> Family {
        Family::of(&self.model)
    }
}
