//! Calibration data: rows of feature values (CSV) on which the float and quantized models are
//! compared.
//!
//! The file is comma-separated text with a header row. The columns named by the feature schema are
//! read (in the schema's order, wherever they appear); other columns (an id, the label) are
//! ignored. Every value must be a finite decimal number inside its feature's declared range, and
//! a whole number for an integer feature. No quoting: calibration files hold numbers only.

use std::path::Path;

use super::schema::FeatureSchema;

/// The most bytes a calibration file may have.
pub const MAX_FILE_BYTES: usize = 256 << 20;

/// Why calibration data is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CalibrationError {
    /// The file cannot be read.
    #[error("cannot read calibration data `{path}`: {reason}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// No header row.
    #[error("calibration data is empty: expected a header row naming the features")]
    NoHeader,
    /// A feature the schema names has no column.
    #[error("calibration data has no column `{0}`")]
    MissingColumn(String),
    /// A column named twice.
    #[error("calibration data names column `{0}` twice")]
    DuplicateColumn(String),
    /// A row with the wrong number of cells.
    #[error("line {line}: {found} cells, the header has {expected}")]
    Cells {
        /// 1-based line number.
        line: usize,
        /// Cells in the header.
        expected: usize,
        /// Cells found.
        found: usize,
    },
    /// A cell that is not a finite number.
    #[error("line {line}: `{feature}` is `{text}`, not a finite number")]
    Number {
        /// 1-based line number.
        line: usize,
        /// The feature.
        feature: String,
        /// The cell.
        text: String,
    },
    /// A value outside its declared range, or a fraction for an integer feature.
    #[error(
        "line {line}: `{feature}` is {value}, outside its declared range [{min}, {max}]{integer}"
    )]
    Range {
        /// 1-based line number.
        line: usize,
        /// The feature.
        feature: String,
        /// The value.
        value: f64,
        /// The declared minimum.
        min: f64,
        /// The declared maximum.
        max: f64,
        /// `" or not a whole number"` for integer features.
        integer: &'static str,
    },
    /// No data rows.
    #[error("calibration data has a header but no rows")]
    NoRows,
}

/// Calibration rows, each with one value per schema feature (in schema order), all checked
/// against the schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    rows: Vec<Vec<f64>>,
    digest: [u8; 32],
}

impl Calibration {
    /// Reads calibration CSV text against `schema`.
    pub fn from_csv(text: &str, schema: &FeatureSchema) -> Result<Self, CalibrationError> {
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
            .filter(|(_, l)| !l.trim().is_empty());
        let (_, header) = lines.next().ok_or(CalibrationError::NoHeader)?;
        let columns: Vec<&str> = header.split(',').map(str::trim).collect();
        for (i, c) in columns.iter().enumerate() {
            if columns[..i].contains(c) {
                return Err(CalibrationError::DuplicateColumn(c.to_string()));
            }
        }
        let picks: Vec<usize> = schema
            .names()
            .iter()
            .map(|n| {
                columns
                    .iter()
                    .position(|c| c == n)
                    .ok_or_else(|| CalibrationError::MissingColumn(n.to_string()))
            })
            .collect::<Result<_, _>>()?;
        let mut rows = Vec::new();
        for (line, text) in lines {
            let cells: Vec<&str> = text.split(',').map(str::trim).collect();
            if cells.len() != columns.len() {
                return Err(CalibrationError::Cells {
                    line,
                    expected: columns.len(),
                    found: cells.len(),
                });
            }
            let mut row = Vec::with_capacity(picks.len());
            for (f, &col) in schema.features().iter().zip(&picks) {
                let cell = cells[col];
                let value: f64 = cell
                    .parse()
                    .ok()
                    .filter(|v: &f64| v.is_finite())
                    .ok_or_else(|| CalibrationError::Number {
                        line,
                        feature: f.name.clone(),
                        text: cell.to_string(),
                    })?;
                if value < f.min || value > f.max || (f.integer && value.fract() != 0.0) {
                    return Err(CalibrationError::Range {
                        line,
                        feature: f.name.clone(),
                        value,
                        min: f.min,
                        max: f.max,
                        integer: if f.integer {
                            " or not a whole number"
                        } else {
                            ""
                        },
                    });
                }
                row.push(value);
            }
            rows.push(row);
        }
        if rows.is_empty() {
            return Err(CalibrationError::NoRows);
        }
        Ok(Calibration {
            rows,
            digest: *blake3::hash(text.as_bytes()).as_bytes(),
        })
    }

    /// Reads a calibration file.
    pub fn read(path: &Path, schema: &FeatureSchema) -> Result<Self, CalibrationError> {
        let io = |reason: String| CalibrationError::Io {
            path: path.display().to_string(),
            reason,
        };
        let text =
            crate::input_file::read_input_text(path, "calibration data", MAX_FILE_BYTES as u64)
                .map_err(|e| io(e.reason()))?;
        Self::from_csv(&text, schema)
    }

    /// The rows, each in schema order.
    pub fn rows(&self) -> &[Vec<f64>] {
        &self.rows
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Always false: calibration data has at least one row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// blake3 of the file's text, as 64 hex digits.
    pub fn digest_hex(&self) -> String {
        hex::encode(self.digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::schema::FeatureSpec;

    fn schema() -> FeatureSchema {
        FeatureSchema::new(vec![
            FeatureSpec {
                name: "a".into(),
                min: 0.0,
                max: 10.0,
                integer: true,
            },
            FeatureSpec {
                name: "b".into(),
                min: -1.0,
                max: 1.0,
                integer: false,
            },
        ])
        .unwrap()
    }

    #[test]
    fn columns_are_picked_by_name() {
        let c = Calibration::from_csv("id,b,a,label\n1,0.5,3,1\n\n2,-1,10,0\n", &schema()).unwrap();
        assert_eq!(c.rows(), &[vec![3.0, 0.5], vec![10.0, -1.0]]);
    }

    #[test]
    fn bad_rows_name_their_line() {
        let s = schema();
        let e = Calibration::from_csv("a,b\n1,0\n2,x\n", &s).unwrap_err();
        assert!(e.to_string().starts_with("line 3: `b` is `x`"), "{e}");
        let e = Calibration::from_csv("a,b\n1.5,0\n", &s).unwrap_err();
        assert!(matches!(e, CalibrationError::Range { line: 2, .. }), "{e}");
        assert!(Calibration::from_csv("a,b\n1,2\n", &s).is_err());
        assert!(Calibration::from_csv("a\n1\n", &s).is_err());
        assert!(Calibration::from_csv("a,b\n1\n", &s).is_err());
        assert!(Calibration::from_csv("a,b\n", &s).is_err());
        assert!(Calibration::from_csv("a,b,a\n1,2,3\n", &s).is_err());
        assert!(Calibration::from_csv("a,b\n1,inf\n", &s).is_err());
    }
}
