//! The subset of the ONNX protobuf schema (`onnx.proto`, IR version 3 and later) that model import
//! reads, decoded with `prost`, and typed access to tensors and attributes.
//!
//! Only the messages and fields below are declared; protobuf decoding skips every other field, so
//! files written by any exporter decode. What the importer does not understand is refused later,
//! by operator and node name ([`super::graph`]), never ignored.
//!
//! Why not `tract-onnx`: import needs the raw weights and the ONNX-ML tree attributes to quantize
//! them, not an inference engine, and tract's dependency tree (its linear-algebra kernels and
//! operator library) would cost minutes of compile time on every build for a few hundred lines of
//! schema. The field numbers here are those of the published `onnx.proto`.

use std::collections::HashMap;

use prost::Message;

/// `ModelProto`: the file's top-level message.
#[derive(Clone, PartialEq, Message)]
pub struct ModelProto {
    /// The IR version the file was written with.
    #[prost(int64, tag = "1")]
    pub ir_version: i64,
    /// The tool that wrote the file.
    #[prost(string, tag = "2")]
    pub producer_name: String,
    /// That tool's version.
    #[prost(string, tag = "3")]
    pub producer_version: String,
    /// The graph.
    #[prost(message, optional, tag = "7")]
    pub graph: Option<GraphProto>,
    /// Operator sets the graph uses, by domain.
    #[prost(message, repeated, tag = "8")]
    pub opset_import: Vec<OperatorSetIdProto>,
}

/// `OperatorSetIdProto`: one operator set a model imports.
#[derive(Clone, PartialEq, Message)]
pub struct OperatorSetIdProto {
    /// The domain (`""` or `ai.onnx` for the standard operators, `ai.onnx.ml` for ONNX-ML).
    #[prost(string, tag = "1")]
    pub domain: String,
    /// The operator set version.
    #[prost(int64, tag = "2")]
    pub version: i64,
}

/// `GraphProto`: nodes in topological order, constants, inputs and outputs.
#[derive(Clone, PartialEq, Message)]
pub struct GraphProto {
    /// The nodes.
    #[prost(message, repeated, tag = "1")]
    pub node: Vec<NodeProto>,
    /// The graph's name.
    #[prost(string, tag = "2")]
    pub name: String,
    /// Constant tensors (weights).
    #[prost(message, repeated, tag = "5")]
    pub initializer: Vec<TensorProto>,
    /// Graph inputs (may also list initializers, in old IR versions).
    #[prost(message, repeated, tag = "11")]
    pub input: Vec<ValueInfoProto>,
    /// Graph outputs.
    #[prost(message, repeated, tag = "12")]
    pub output: Vec<ValueInfoProto>,
}

/// `NodeProto`: one operator application.
#[derive(Clone, PartialEq, Message)]
pub struct NodeProto {
    /// Input tensor names (`""` for an omitted optional input).
    #[prost(string, repeated, tag = "1")]
    pub input: Vec<String>,
    /// Output tensor names.
    #[prost(string, repeated, tag = "2")]
    pub output: Vec<String>,
    /// The node's name (may be empty).
    #[prost(string, tag = "3")]
    pub name: String,
    /// The operator.
    #[prost(string, tag = "4")]
    pub op_type: String,
    /// Attributes.
    #[prost(message, repeated, tag = "5")]
    pub attribute: Vec<AttributeProto>,
    /// The operator's domain.
    #[prost(string, tag = "7")]
    pub domain: String,
}

/// `AttributeProto`: a named constant parameter of a node.
#[derive(Clone, PartialEq, Message)]
pub struct AttributeProto {
    /// Its name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// A float.
    #[prost(float, tag = "2")]
    pub f: f32,
    /// An integer.
    #[prost(int64, tag = "3")]
    pub i: i64,
    /// A byte string.
    #[prost(bytes = "vec", tag = "4")]
    pub s: Vec<u8>,
    /// A tensor.
    #[prost(message, optional, tag = "5")]
    pub t: Option<TensorProto>,
    /// Floats.
    #[prost(float, repeated, tag = "7")]
    pub floats: Vec<f32>,
    /// Integers.
    #[prost(int64, repeated, tag = "8")]
    pub ints: Vec<i64>,
    /// Byte strings.
    #[prost(bytes = "vec", repeated, tag = "9")]
    pub strings: Vec<Vec<u8>>,
    /// The attribute's type (`AttributeType`).
    #[prost(int32, tag = "20")]
    pub r#type: i32,
}

/// `ValueInfoProto`: a named, typed value (graph input or output).
#[derive(Clone, PartialEq, Message)]
pub struct ValueInfoProto {
    /// Its name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Its type.
    #[prost(message, optional, tag = "2")]
    pub r#type: Option<TypeProto>,
}

/// `TypeProto`, reduced to tensors (sequences and maps decode as "not a tensor").
#[derive(Clone, PartialEq, Message)]
pub struct TypeProto {
    /// The tensor type, when the value is a tensor.
    #[prost(message, optional, tag = "1")]
    pub tensor_type: Option<TensorTypeProto>,
}

/// `TypeProto.Tensor`: element type and shape.
#[derive(Clone, PartialEq, Message)]
pub struct TensorTypeProto {
    /// The element type (`TensorProto.DataType`).
    #[prost(int32, tag = "1")]
    pub elem_type: i32,
    /// The shape, when declared.
    #[prost(message, optional, tag = "2")]
    pub shape: Option<TensorShapeProto>,
}

/// `TensorShapeProto`.
#[derive(Clone, PartialEq, Message)]
pub struct TensorShapeProto {
    /// The dimensions.
    #[prost(message, repeated, tag = "1")]
    pub dim: Vec<Dimension>,
}

/// `TensorShapeProto.Dimension`: a fixed size, a symbolic name, or unknown.
#[derive(Clone, PartialEq, Message)]
pub struct Dimension {
    /// A fixed size.
    #[prost(int64, optional, tag = "1")]
    pub dim_value: Option<i64>,
    /// A symbolic size (e.g. the batch dimension).
    #[prost(string, optional, tag = "2")]
    pub dim_param: Option<String>,
}

/// `TensorProto`: a constant tensor.
#[derive(Clone, PartialEq, Message)]
pub struct TensorProto {
    /// The shape.
    #[prost(int64, repeated, tag = "1")]
    pub dims: Vec<i64>,
    /// The element type (`DataType`).
    #[prost(int32, tag = "2")]
    pub data_type: i32,
    /// Float elements.
    #[prost(float, repeated, tag = "4")]
    pub float_data: Vec<f32>,
    /// 32-bit (and narrower) integer elements.
    #[prost(int32, repeated, tag = "5")]
    pub int32_data: Vec<i32>,
    /// 64-bit integer elements.
    #[prost(int64, repeated, tag = "7")]
    pub int64_data: Vec<i64>,
    /// The tensor's name.
    #[prost(string, tag = "8")]
    pub name: String,
    /// Elements as little-endian bytes.
    #[prost(bytes = "vec", tag = "9")]
    pub raw_data: Vec<u8>,
    /// Double elements.
    #[prost(double, repeated, tag = "10")]
    pub double_data: Vec<f64>,
    /// Where the data lives (1 = an external file).
    #[prost(int32, tag = "14")]
    pub data_location: i32,
}

/// `TensorProto.DataType` codes the importer reads.
pub mod data_type {
    /// 32-bit float.
    pub const FLOAT: i32 = 1;
    /// 32-bit signed integer.
    pub const INT32: i32 = 6;
    /// 64-bit signed integer.
    pub const INT64: i32 = 7;
    /// 64-bit float.
    pub const DOUBLE: i32 = 11;

    /// A readable name for a data type code.
    pub fn name(code: i32) -> &'static str {
        match code {
            1 => "float",
            2 => "uint8",
            3 => "int8",
            4 => "uint16",
            5 => "int16",
            6 => "int32",
            7 => "int64",
            8 => "string",
            9 => "bool",
            10 => "float16",
            11 => "double",
            12 => "uint32",
            13 => "uint64",
            16 => "bfloat16",
            _ => "an unknown type",
        }
    }
}

/// Why an ONNX file cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OnnxError {
    /// Not a protobuf `ModelProto`.
    #[error("not an ONNX model: {0}")]
    Decode(String),
    /// The model has no graph.
    #[error("the ONNX model has no graph")]
    NoGraph,
    /// A tensor whose bytes live in another file.
    #[error("tensor `{0}` keeps its data in an external file, which govproof does not read: re-export the model with its weights inside")]
    ExternalData(String),
    /// A tensor of a type the importer does not read as numbers.
    #[error("tensor `{name}` holds {kind} values; expected float, double or integer values")]
    TensorType {
        /// The tensor.
        name: String,
        /// Its element type.
        kind: &'static str,
    },
    /// A tensor whose element count does not match its shape.
    #[error("tensor `{name}` declares {declared} elements but holds {found}")]
    TensorSize {
        /// The tensor.
        name: String,
        /// Elements the shape declares.
        declared: usize,
        /// Elements present.
        found: usize,
    },
    /// A tensor with a negative or overflowing dimension.
    #[error("tensor `{0}` has an invalid shape")]
    TensorShape(String),
}

/// The most bytes an ONNX file may have (models the circuits can prove are far smaller).
pub const MAX_FILE_BYTES: usize = 64 << 20;

/// Decodes an ONNX file's bytes.
pub fn decode(bytes: &[u8]) -> Result<ModelProto, OnnxError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(OnnxError::Decode(format!(
            "the file has {} bytes, more than the {MAX_FILE_BYTES} a provable model can need",
            bytes.len()
        )));
    }
    let model = ModelProto::decode(bytes).map_err(|e| OnnxError::Decode(e.to_string()))?;
    if model.graph.is_none() {
        return Err(OnnxError::NoGraph);
    }
    Ok(model)
}

/// A constant tensor's values as `f64`, with its shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Values {
    /// The shape (empty for a scalar).
    pub dims: Vec<usize>,
    /// The elements, row-major.
    pub data: Vec<f64>,
}

impl TensorProto {
    /// The tensor's elements as `f64` (exact for float, double and integers up to `2^53`).
    pub fn values(&self) -> Result<Values, OnnxError> {
        if self.data_location == 1 {
            return Err(OnnxError::ExternalData(self.name.clone()));
        }
        let mut dims = Vec::with_capacity(self.dims.len());
        let mut declared: usize = 1;
        for &d in &self.dims {
            let d = usize::try_from(d).map_err(|_| OnnxError::TensorShape(self.name.clone()))?;
            declared = declared
                .checked_mul(d)
                .ok_or_else(|| OnnxError::TensorShape(self.name.clone()))?;
            dims.push(d);
        }
        let raw = &self.raw_data;
        let data: Vec<f64> = match self.data_type {
            data_type::FLOAT if !raw.is_empty() => raw_values(raw, 4, &self.name, |b| {
                f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            })?,
            data_type::FLOAT => self.float_data.iter().map(|&v| f64::from(v)).collect(),
            data_type::DOUBLE if !raw.is_empty() => raw_values(raw, 8, &self.name, |b| {
                f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
            })?,
            data_type::DOUBLE => self.double_data.clone(),
            data_type::INT64 if !raw.is_empty() => raw_values(raw, 8, &self.name, |b| {
                i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f64
            })?,
            data_type::INT64 => self.int64_data.iter().map(|&v| v as f64).collect(),
            data_type::INT32 if !raw.is_empty() => raw_values(raw, 4, &self.name, |b| {
                f64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            })?,
            data_type::INT32 => self.int32_data.iter().map(|&v| f64::from(v)).collect(),
            other => {
                return Err(OnnxError::TensorType {
                    name: self.name.clone(),
                    kind: data_type::name(other),
                })
            }
        };
        if data.len() != declared {
            return Err(OnnxError::TensorSize {
                name: self.name.clone(),
                declared,
                found: data.len(),
            });
        }
        Ok(Values { dims, data })
    }
}

fn raw_values(
    raw: &[u8],
    width: usize,
    name: &str,
    read: impl Fn(&[u8]) -> f64,
) -> Result<Vec<f64>, OnnxError> {
    if !raw.len().is_multiple_of(width) {
        return Err(OnnxError::TensorSize {
            name: name.to_string(),
            declared: raw.len() / width + 1,
            found: raw.len() / width,
        });
    }
    Ok(raw.chunks_exact(width).map(read).collect())
}

impl NodeProto {
    /// The attribute called `name`, if present.
    pub fn attr(&self, name: &str) -> Option<&AttributeProto> {
        self.attribute.iter().find(|a| a.name == name)
    }

    /// How the node is named in messages: its name, or its first output when it has none.
    pub fn label(&self) -> String {
        if !self.name.is_empty() {
            self.name.clone()
        } else {
            self.output
                .first()
                .map(|o| format!("-> {o}"))
                .unwrap_or_else(|| "(unnamed)".to_string())
        }
    }

    /// Whether the node is in the ONNX-ML domain.
    pub fn is_ml(&self) -> bool {
        self.domain == "ai.onnx.ml"
    }

    /// Whether the node is a standard ONNX operator.
    pub fn is_standard(&self) -> bool {
        self.domain.is_empty() || self.domain == "ai.onnx"
    }
}

impl AttributeProto {
    /// The string value (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.s).into_owned()
    }

    /// The list of strings (lossy UTF-8).
    pub fn texts(&self) -> Vec<String> {
        self.strings
            .iter()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect()
    }
}

/// The graph's constant tensors by name: initializers and `Constant` nodes' values.
pub fn constants(graph: &GraphProto) -> HashMap<String, &TensorProto> {
    let mut out: HashMap<String, &TensorProto> = graph
        .initializer
        .iter()
        .map(|t| (t.name.clone(), t))
        .collect();
    for node in &graph.node {
        if node.op_type == "Constant" && node.is_standard() {
            if let (Some(name), Some(t)) = (
                node.output.first(),
                node.attr("value").and_then(|a| a.t.as_ref()),
            ) {
                out.insert(name.clone(), t);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensors_read_raw_and_typed_data() {
        let t = TensorProto {
            dims: vec![2],
            data_type: data_type::FLOAT,
            raw_data: [1.5f32.to_le_bytes(), (-2.0f32).to_le_bytes()].concat(),
            name: "w".into(),
            ..Default::default()
        };
        assert_eq!(t.values().unwrap().data, vec![1.5, -2.0]);
        let t = TensorProto {
            dims: vec![1, 3],
            data_type: data_type::INT64,
            int64_data: vec![1, 2, 3],
            ..Default::default()
        };
        assert_eq!(t.values().unwrap().dims, vec![1, 3]);
        let short = TensorProto {
            dims: vec![3],
            data_type: data_type::DOUBLE,
            double_data: vec![1.0],
            ..Default::default()
        };
        assert!(matches!(short.values(), Err(OnnxError::TensorSize { .. })));
        let strings = TensorProto {
            data_type: 8,
            ..Default::default()
        };
        assert!(matches!(
            strings.values(),
            Err(OnnxError::TensorType { .. })
        ));
    }

    #[test]
    fn garbage_is_not_a_model() {
        assert!(matches!(decode(b"\xff\xff\xff"), Err(OnnxError::Decode(_))));
        assert_eq!(decode(&[]), Err(OnnxError::NoGraph));
    }
}
