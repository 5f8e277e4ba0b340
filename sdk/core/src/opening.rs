//! What opens a bundle's input commitment ([`InputOpening`]): the features and the salt, as the
//! lender keeps them and the applicant or an auditor hands them to a verifier, strictly read.

use std::fmt;

use crate::circuits::Features;
use crate::field::Field;

/// What opens a bundle's input commitment: the features and the salt. The bundle never holds
/// them; the lender keeps this so the applicant (or an auditor) can check the commitment.
#[derive(Clone, PartialEq, Eq)]
pub struct InputOpening {
    features: Features,
    salt: Field,
}

impl InputOpening {
    /// The opening of `features` committed with `salt` (the prover makes one per decision).
    pub fn new(features: Features, salt: Field) -> InputOpening {
        InputOpening { features, salt }
    }

    /// The features committed to.
    pub fn features(&self) -> &Features {
        &self.features
    }

    /// The commitment's salt.
    pub fn salt(&self) -> Field {
        self.salt
    }

    /// The commitment these open (equal to the bundle's `input_commitment`).
    pub fn commitment(&self) -> Field {
        self.features.commitment(self.salt)
    }

    /// `{"features_fixed_point": [...], "salt": "0x...", "commitment": "0x..."}` with features in
    /// fixed point (scale `2^16`): what [`InputOpening::from_json`] reads.
    pub fn to_json_pretty(&self) -> String {
        let mut text = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| unreachable!("an opening always serializes: {e}"));
        text.push('\n');
        text
    }
}

impl serde::Serialize for InputOpening {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut doc = serializer.serialize_struct("InputOpening", 3)?;
        doc.serialize_field("features_fixed_point", self.features.values())?;
        doc.serialize_field("salt", &self.salt)?;
        doc.serialize_field("commitment", &self.commitment())?;
        doc.end()
    }
}

/// Why an opening file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpeningError {
    /// Not the JSON document [`InputOpening::to_json_pretty`] writes (unknown fields, wrong
    /// types, a salt that is not a canonical field element, ...).
    #[error("not an input opening: {0}")]
    Malformed(String),
    /// A feature value the circuits cannot take.
    #[error("the opening's features are not valid: {0}")]
    Features(String),
}

/// Largest opening file read (features of the largest profile, with room to spare).
pub const MAX_OPENING_BYTES: usize = 64 << 10;

impl InputOpening {
    /// Reads what [`InputOpening::to_json_pretty`] wrote, strictly: no unknown fields, whole
    /// numbers for the features, a canonical field element for the salt and for the stated
    /// commitment.
    ///
    /// The stated commitment is informational and is not compared here: the opening is its
    /// features and salt, and whether they open a bundle's commitment is the verifier's `opening`
    /// check to judge. An applicant who puts their true features into the lender's file (which
    /// then no longer hash to the commitment it states) must hear "this decision was not made on
    /// these features", not "the file is damaged".
    pub fn from_json(bytes: &[u8]) -> Result<InputOpening, OpeningError> {
        if bytes.len() > MAX_OPENING_BYTES {
            return Err(OpeningError::Malformed(format!(
                "it is larger than {MAX_OPENING_BYTES} bytes"
            )));
        }
        let malformed = |e: crate::json::Error| OpeningError::Malformed(e.to_string());
        let node = crate::json::parse(bytes).map_err(malformed)?;
        let o = node
            .object(
                "an opening object",
                &["features_fixed_point", "salt", "commitment"],
            )
            .map_err(malformed)?;
        let features_fixed_point: Vec<i64> =
            o.required("features_fixed_point").map_err(malformed)?;
        let salt: Field = o.required("salt").map_err(malformed)?;
        // Read for strictness (a canonical field element), judged by the `opening` check.
        let _stated: Field = o.required("commitment").map_err(malformed)?;
        let features = Features::new(features_fixed_point)
            .map_err(|e| OpeningError::Features(e.to_string()))?;
        Ok(InputOpening { features, salt })
    }
}

impl fmt::Debug for InputOpening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "InputOpening({} features, salt hidden)",
            self.features.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opening() -> InputOpening {
        InputOpening {
            features: Features::new(vec![65_536, -131_072, 0, 7]).unwrap(),
            salt: Field::from(0x5a17u64),
        }
    }

    #[test]
    fn an_opening_reads_back_what_it_wrote_and_nothing_else() {
        let o = opening();
        let text = o.to_json_pretty();
        assert_eq!(InputOpening::from_json(text.as_bytes()).unwrap(), o);

        let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        doc["extra"] = serde_json::json!(1);
        assert!(matches!(
            InputOpening::from_json(doc.to_string().as_bytes()),
            Err(OpeningError::Malformed(m)) if m.contains("unknown field")
        ));

        let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        doc["features_fixed_point"][0] = serde_json::json!(1.5);
        assert!(matches!(
            InputOpening::from_json(doc.to_string().as_bytes()),
            Err(OpeningError::Malformed(_))
        ));

        // A salt at or above the field's modulus is not canonical.
        let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        doc["salt"] =
            serde_json::json!("0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001");
        assert!(matches!(
            InputOpening::from_json(doc.to_string().as_bytes()),
            Err(OpeningError::Malformed(_))
        ));

        // Features edited after the lender wrote the file read as they are: the verifier's
        // `opening` check, not the reader, says they do not open the commitment.
        let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        doc["features_fixed_point"][3] = serde_json::json!(8);
        let edited = InputOpening::from_json(doc.to_string().as_bytes()).unwrap();
        assert_eq!(edited.features().values()[3], 8);
        assert_ne!(edited.commitment(), o.commitment());

        let big = vec![b' '; MAX_OPENING_BYTES + 1];
        assert!(matches!(
            InputOpening::from_json(&big),
            Err(OpeningError::Malformed(m)) if m.contains("larger than")
        ));
    }
}
