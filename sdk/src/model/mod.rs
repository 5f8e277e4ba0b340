//! Models: importing ONNX files, quantizing them for the circuits with an honest error
//! certificate, and the model file (`MODEL.govproof`) the prover reads.
//!
//! - [`onnx`]: the ONNX protobuf subset, decoded with `prost`;
//! - [`graph`]: recognising a supported family (linear and logistic models, perceptrons with a
//!   one to three ReLU hidden layers, tree ensembles) and refusing everything else by operator
//!   and node;
//! - [`float`]: the float model and its reference inference;
//! - [`schema`], [`calibration`]: the feature schema (TOML) and calibration data (CSV);
//! - [`quantize`]: quantization at the circuits' scale, with the provable error bound;
//! - [`certificate`]: measured error, the bound, and band agreement under a policy;
//! - [`file`]: the model file, read strictly ([`ModelFile::read`]);
//! - [`import`]: the whole import; [`cli`]: `govproof model ...`.
//!
//! The design and the certificate's meaning are documented in `docs/models.md`.

pub mod calibration;
pub mod certificate;
pub mod file;
pub mod float;
pub mod graph;
pub mod import;
pub mod onnx;
pub mod quantize;
pub mod schema;

pub use certificate::Certificate;
pub use file::{Family, ModelFile, ModelFileError};
pub use float::{FloatModel, ScoreKind};
pub use import::{import, import_files, ImportError, ImportPolicy, ImportRequest};
pub use schema::{FeatureSchema, FeatureSpec};
