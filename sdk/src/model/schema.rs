//! A model's feature schema: the inputs in order, with the range each is declared to lie in.
//!
//! Written as TOML, one `[[features]]` table per input, in the model's input order:
//!
//! ```toml
//! [[features]]
//! name = "duration_months"   # a name: 1 to 64 of A-Z a-z 0-9 - _ . +, starting alphanumeric
//! min = 4                     # smallest value the model is meant to see, included
//! max = 72                    # largest, included
//! integer = true              # optional (default false): every value is a whole number
//! ```
//!
//! The ranges bound the quantization error the certificate proves, and must lie inside the
//! circuits' feature range `[-32768, 32768)`. `integer = true` says the values are whole numbers,
//! which the fixed point (and `float32`) hold exactly, so such a feature adds no input rounding.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::circuits::fixed::{FEATURE_MAX, FEATURE_MIN, SCALE_BITS};
use crate::policy::names::Name;

/// One input feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureSpec {
    /// The feature's name.
    pub name: String,
    /// Smallest declared value, included.
    pub min: f64,
    /// Largest declared value, included.
    pub max: f64,
    /// Whether every value is a whole number.
    #[serde(default)]
    pub integer: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemaDocument {
    features: Vec<FeatureSpec>,
}

/// Largest feature schema file read (1 MiB: a schema names at most a few hundred features).
pub const MAX_SCHEMA_BYTES: u64 = 1 << 20;

/// Why a feature schema is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemaError {
    /// The file cannot be read.
    #[error("cannot read feature schema `{path}`: {reason}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// Not the expected TOML.
    #[error("feature schema `{path}` is not valid: {reason}")]
    Syntax {
        /// The file.
        path: String,
        /// The parser's reason.
        reason: String,
    },
    /// No features.
    #[error("the feature schema lists no features")]
    Empty,
    /// A name that breaks the naming rules.
    #[error("feature name `{name}` is not valid: {reason}")]
    Name {
        /// The name.
        name: String,
        /// Why.
        reason: String,
    },
    /// The same name twice.
    #[error("feature `{0}` is listed twice")]
    Duplicate(String),
    /// A range that is empty, not finite, or outside the circuits' feature range.
    #[error("feature `{name}` has range [{min}, {max}]: it must be finite, non-empty and inside [-32768, 32768)")]
    Range {
        /// The feature.
        name: String,
        /// Its minimum.
        min: f64,
        /// Its maximum.
        max: f64,
    },
    /// An integer feature with fractional bounds.
    #[error("feature `{0}` is declared integer but its range bounds are not whole numbers")]
    IntegerBounds(String),
}

/// A checked feature schema: at least one feature, unique valid names, finite non-empty ranges
/// inside the circuits' feature range.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureSchema {
    features: Vec<FeatureSpec>,
}

impl FeatureSchema {
    /// Checks a list of features.
    pub fn new(features: Vec<FeatureSpec>) -> Result<Self, SchemaError> {
        if features.is_empty() {
            return Err(SchemaError::Empty);
        }
        let scale = f64::from(1u32 << SCALE_BITS);
        let lowest = FEATURE_MIN as f64 / scale;
        let highest = FEATURE_MAX as f64 / scale;
        for (i, f) in features.iter().enumerate() {
            Name::new(&f.name).map_err(|e| SchemaError::Name {
                name: f.name.clone(),
                reason: e.to_string(),
            })?;
            if features[..i].iter().any(|g| g.name == f.name) {
                return Err(SchemaError::Duplicate(f.name.clone()));
            }
            let ok = f.min.is_finite()
                && f.max.is_finite()
                && f.min <= f.max
                && f.min >= lowest
                && f.max <= highest;
            if !ok {
                return Err(SchemaError::Range {
                    name: f.name.clone(),
                    min: f.min,
                    max: f.max,
                });
            }
            if f.integer && (f.min.fract() != 0.0 || f.max.fract() != 0.0) {
                return Err(SchemaError::IntegerBounds(f.name.clone()));
            }
        }
        Ok(FeatureSchema { features })
    }

    /// Reads a schema from TOML text; `source` names it in messages.
    pub fn from_toml(source: &str, text: &str) -> Result<Self, SchemaError> {
        let doc: SchemaDocument = toml::from_str(text).map_err(|e| SchemaError::Syntax {
            path: source.to_string(),
            reason: e.message().to_string(),
        })?;
        Self::new(doc.features)
    }

    /// Reads a schema file.
    pub fn read(path: &Path) -> Result<Self, SchemaError> {
        let shown = path.display().to_string();
        let text = crate::input_file::read_input_text(path, "feature schema", MAX_SCHEMA_BYTES)
            .map_err(|e| SchemaError::Io {
                path: shown.clone(),
                reason: e.reason(),
            })?;
        Self::from_toml(&shown, &text)
    }

    /// The features, in input order.
    pub fn features(&self) -> &[FeatureSpec] {
        &self.features
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// Always false: a schema has at least one feature.
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// The feature names, in input order.
    pub fn names(&self) -> Vec<&str> {
        self.features.iter().map(|f| f.name.as_str()).collect()
    }

    /// Largest magnitude feature `i` may take.
    pub fn magnitude(&self, i: usize) -> f64 {
        let f = &self.features[i];
        f.min.abs().max(f.max.abs())
    }

    /// The largest gap between a value of feature `i` and what the model computes with: the
    /// distance to the nearest multiple of `2^-16` (the circuit's input) plus the distance to the
    /// nearest `float32` (the ONNX model's input). Zero for an integer feature (both exact).
    pub fn input_rounding(&self, i: usize) -> f64 {
        if self.features[i].integer {
            0.0
        } else {
            // Half a fixed-point quantum, plus half a float32 ulp at the largest magnitude.
            0.5 / f64::from(1u32 << SCALE_BITS) + self.magnitude(i) * f64::from(f32::EPSILON)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_are_checked() {
        let ok = "[[features]]\nname = \"a\"\nmin = 0\nmax = 3\ninteger = true\n\n[[features]]\nname = \"b\"\nmin = -1.5\nmax = 2.25\n";
        let s = FeatureSchema::from_toml("s.toml", ok).unwrap();
        assert_eq!(s.names(), ["a", "b"]);
        assert_eq!(s.input_rounding(0), 0.0);
        assert!(s.input_rounding(1) > 0.0);
        for bad in [
            "",
            "features = []",
            "[[features]]\nname = \"a\"\nmin = 1\nmax = 0\n",
            "[[features]]\nname = \"a\"\nmin = 0\nmax = 40000\n",
            "[[features]]\nname = \"a b\"\nmin = 0\nmax = 1\n",
            "[[features]]\nname = \"a\"\nmin = 0\nmax = 1\nunit = \"x\"\n",
            "[[features]]\nname = \"a\"\nmin = 0\nmax = 1.5\ninteger = true\n",
            "[[features]]\nname = \"a\"\nmin = 0\nmax = 1\n[[features]]\nname = \"a\"\nmin = 0\nmax = 1\n",
            "[[features]]\nname = \"a\"\nmin = nan\nmax = 1\n",
        ] {
            assert!(FeatureSchema::from_toml("s.toml", bad).is_err(), "{bad}");
        }
    }
}
