//! The parts of a model description that a policy is checked against (`policy check --model`):
//! the feature names in input order, and when present the model's id, version and circuit
//! profile.
//!
//! The description is a JSON or TOML document (JSON when the file name ends in `.json` or the text
//! starts with `{`). govproof reads, at the top level or inside a registry envelope's `signed`
//! object: `model_id` (or `id`), `version`, `profile`, and `features`, an array of names or of
//! tables with a `name` and optionally the `min` and `max` the model accepts. A registry entry
//! keeps the importer's feature list in its `quantization_certificate`, which is read when there
//! is no `features` list outside it. Other keys belong to the document's own schema and are
//! ignored here.

use serde_json::Value;

use crate::circuits::QuantizedModel;

/// Why a model description cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ModelSchemaError {
    /// The file cannot be read.
    #[error("cannot read model description `{path}`: {reason}")]
    Io {
        /// The file.
        path: String,
        /// Why (in the message, so not repeated as a source).
        reason: std::io::Error,
    },
    /// Not JSON or TOML.
    #[error("model description `{path}` is not valid {format}: {reason}")]
    Syntax {
        /// The file.
        path: String,
        /// `JSON` or `TOML`.
        format: &'static str,
        /// The parser's reason.
        reason: String,
    },
    /// No usable feature list.
    #[error("model description `{path}` has no `features` list of names (at the top level, in `signed`, or in its `quantization_certificate`)")]
    NoFeatures {
        /// The file.
        path: String,
    },
}

/// One input of the model: its name and, when the description declares it, the range of values
/// the model accepts (in the model's input units).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFeature {
    /// The feature's name.
    pub name: String,
    /// The smallest value the model accepts, if declared.
    pub min: Option<f64>,
    /// The largest value the model accepts, if declared.
    pub max: Option<f64>,
}

/// A model's feature schema and identity.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSchema {
    /// Where it came from (for messages).
    pub source: String,
    /// The model id, when the description names it.
    pub id: Option<String>,
    /// The model version, when the description names it.
    pub version: Option<String>,
    /// The circuit profile, when the description names it.
    pub profile: Option<String>,
    /// The features in input order.
    pub features: Vec<ModelFeature>,
    /// The quantized weights, when the description is a model file (`govproof model import`):
    /// then `policy check` can tell which bands no input can reach.
    pub weights: Option<QuantizedModel>,
}

/// Reads a `features` array: names, or tables with a `name` and optional numeric `min`/`max`.
fn read_features(value: &Value) -> Option<Vec<ModelFeature>> {
    value
        .as_array()?
        .iter()
        .map(|f| match f {
            Value::String(s) => Some(ModelFeature {
                name: s.clone(),
                min: None,
                max: None,
            }),
            Value::Object(o) => Some(ModelFeature {
                name: o.get("name")?.as_str()?.to_string(),
                min: o.get("min").and_then(Value::as_f64),
                max: o.get("max").and_then(Value::as_f64),
            }),
            _ => None,
        })
        .collect()
}

impl ModelSchema {
    /// Reads a model description from text; `source` names it in messages. `weights` reads the
    /// quantized weights when the text is a model file (`govproof model import`), and gives `None`
    /// for any other description: the SDK's `ModelSchemaFile::from_text` passes its model file
    /// reader, a caller without one passes `|_, _| None`.
    pub fn from_text_with(
        source: &str,
        text: &str,
        weights: impl FnOnce(&str, &str) -> Option<QuantizedModel>,
    ) -> Result<Self, ModelSchemaError> {
        let json = source.ends_with(".json") || text.trim_start().starts_with('{');
        let value: Value = if json {
            serde_json::from_str(text).map_err(|e| ModelSchemaError::Syntax {
                path: source.to_string(),
                format: "JSON",
                reason: e.to_string(),
            })?
        } else {
            // The TOML reader of policies: one TOML parser in the browser's module, not two.
            let doc = crate::toml::parse(text).map_err(|e| ModelSchemaError::Syntax {
                path: source.to_string(),
                format: "TOML",
                reason: e.message,
            })?;
            toml_to_json(&crate::toml::Value::Table(doc.root))
        };
        let body = match value.get("signed") {
            Some(inner) if inner.is_object() => inner,
            _ => &value,
        };
        let text_at = |keys: &[&str]| {
            keys.iter()
                .find_map(|k| body.get(*k).and_then(Value::as_str))
                .map(str::to_string)
        };
        let certificate = body.get("quantization_certificate");
        let features = body
            .get("features")
            .or_else(|| certificate.and_then(|c| c.get("features")))
            .and_then(read_features)
            .ok_or_else(|| ModelSchemaError::NoFeatures {
                path: source.to_string(),
            })?;
        // A model file carries its weights; any other description only its schema.
        let weights = weights(source, text);
        Ok(ModelSchema {
            source: source.to_string(),
            id: text_at(&["model_id", "id"]),
            version: text_at(&["version"]),
            profile: text_at(&["profile"]),
            features,
            weights,
        })
    }

    /// How the model is named in messages: `` `id@version` `` or `` in `file` ``.
    pub fn describe(&self) -> String {
        match (&self.id, &self.version) {
            (Some(id), Some(v)) => format!("`{id}@{v}`"),
            _ => format!("in `{}`", self.source),
        }
    }
}

/// A TOML value as the JSON value a model description in JSON would have: date-times as their
/// text, and the numbers JSON cannot hold (infinities, NaN, integers beyond `i64`) as `null`,
/// which no field of a description accepts.
fn toml_to_json(v: &crate::toml::Value) -> Value {
    use crate::toml::Value as T;
    match v {
        T::String(s) => Value::String(s.clone()),
        T::Integer(i, _) => i.map_or(Value::Null, Value::from),
        T::Float(f, _) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        T::Boolean(b) => Value::Bool(*b),
        T::Datetime(d) => Value::String(d.to_string()),
        T::Array(a) => Value::Array(a.items.iter().map(|i| toml_to_json(&i.value)).collect()),
        T::Table(t) => Value::Object(
            t.iter()
                .map(|(k, i)| (k.name.clone(), toml_to_json(&i.value)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_json_envelopes_and_toml() {
        let j = r#"{"signatures": [], "signed": {"model_id": "m", "version": "1",
                    "features": [{"name": "a"}, {"name": "b"}]}}"#;
        let m = ModelSchema::from_text_with("entry.json", j, |_, _| None).unwrap();
        let names: Vec<&str> = m.features.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(m.describe(), "`m@1`");
        let t = "id = \"m\"\nfeatures = [\"x\"]\nprofile = \"p\"\n";
        let m = ModelSchema::from_text_with("model.toml", t, |_, _| None).unwrap();
        assert_eq!(m.features[0].name, "x");
        assert_eq!(m.profile.as_deref(), Some("p"));
        assert!(ModelSchema::from_text_with("m.json", "{}", |_, _| None).is_err());
        let e = r#"{"model_id": "m", "version": "1", "quantization_certificate":
                    {"features": [{"name": "a", "min": 0, "max": 2.5}]}}"#;
        let m = ModelSchema::from_text_with("entry.json", e, |_, _| None).unwrap();
        assert!(m.weights.is_none());
        assert_eq!(
            m.features,
            [ModelFeature {
                name: "a".into(),
                min: Some(0.0),
                max: Some(2.5)
            }]
        );
        assert!(ModelSchema::from_text_with("m.json", "{", |_, _| None).is_err());
    }
}
