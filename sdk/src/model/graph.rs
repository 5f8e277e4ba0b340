//! Recognising a supported model family in an ONNX graph.
//!
//! The graph must have one input, a `float32` tensor of shape `[N]` or `[batch, N]`. From it, one
//! chain of operators computes the score:
//!
//! - optionally an ONNX-ML `Scaler` (folded into the first layer), and any `Cast` to float or
//!   `Identity`;
//! - then one of:
//!   - dense layers, each `Gemm` or `MatMul` (+ `Add` of a constant bias), with `Relu` between
//!     consecutive layers, the last with one output, optionally followed by `Sigmoid` (the score
//!     is then the log-odds the sigmoid takes): linear and logistic models, perceptrons;
//!   - an ONNX-ML `LinearClassifier` (binary) or `LinearRegressor` (one target);
//!   - an ONNX-ML `TreeEnsembleClassifier` (binary) or `TreeEnsembleRegressor` (one target, sum
//!     or average), as scikit-learn, XGBoost and LightGBM exports write them.
//!
//! Nodes after the score that only format it (probabilities as `[1 - p, p]`, the label, a
//! `ZipMap`) are allowed from a fixed list and do not enter the proof: govproof proves the score.
//! Every other operator, anywhere in the graph, is refused with its name and node; nothing is
//! approximated.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::circuits::fixed::MAX_WIDTH;

use super::float::{
    Architecture, Dense, Ensemble, FloatModel, Node, Rule, Scaler, ScoreKind, Tree,
};
use super::onnx::{self, data_type, GraphProto, ModelProto, NodeProto, TensorProto};

/// Operators allowed after a raw score: they only reshape it.
pub const SHAPE_OPERATORS: [&str; 6] = [
    "Identity",
    "Cast",
    "Reshape",
    "Squeeze",
    "Unsqueeze",
    "Flatten",
];

/// Operators allowed after a logistic or an ONNX-ML model, because they only format its
/// probabilities and label.
pub const READOUT_OPERATORS: [&str; 12] = [
    "Identity",
    "Cast",
    "ZipMap",
    "Sub",
    "Mul",
    "Concat",
    "ArgMax",
    "ArrayFeatureExtractor",
    "Reshape",
    "Squeeze",
    "Unsqueeze",
    "Flatten",
];

/// The most nodes a tree ensemble may have in total.
pub const MAX_TREE_NODES: usize = 1 << 20;

/// Why a graph is not a supported model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// The file itself is not readable ONNX.
    #[error(transparent)]
    Onnx(#[from] onnx::OnnxError),
    /// Not exactly one input.
    #[error("the graph must take exactly one input tensor, it takes {}: {}", .0.len(), .0.join(", "))]
    Inputs(Vec<String>),
    /// The input is not a float tensor of a usable shape.
    #[error("input `{name}` {reason}")]
    Input {
        /// The input.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// The input's width differs from the feature schema.
    #[error(
        "the model's input `{input}` takes {model} features, the feature schema lists {schema}"
    )]
    FeatureCount {
        /// The input.
        input: String,
        /// Features the model takes.
        model: usize,
        /// Features the schema lists.
        schema: usize,
    },
    /// An operator govproof cannot prove.
    #[error("operator `{op}` (node `{node}`) is not supported: {reason}")]
    Unsupported {
        /// The operator, with its domain when not standard.
        op: String,
        /// The node.
        node: String,
        /// Why, and what is supported.
        reason: String,
    },
    /// A supported operator used in a way govproof cannot prove.
    #[error("node `{node}` (`{op}`): {reason}")]
    Node {
        /// The operator.
        op: String,
        /// The node.
        node: String,
        /// What is wrong.
        reason: String,
    },
    /// A tensor inside the model feeds several nodes.
    #[error("tensor `{tensor}` feeds several nodes ({nodes}); govproof proves one chain from the input to the score")]
    Branches {
        /// The tensor.
        tensor: String,
        /// The nodes reading it.
        nodes: String,
    },
    /// The chain ends without a single score.
    #[error("the model ends at `{tensor}` with {reason}; a score is the single output of the last dense layer")]
    End {
        /// The last tensor.
        tensor: String,
        /// What it holds.
        reason: String,
    },
    /// The graph computes no score.
    #[error("the graph computes no score from its input `{0}`")]
    NoScore(String),
}

fn op_name(node: &NodeProto) -> String {
    if node.is_standard() {
        node.op_type.clone()
    } else {
        format!("{}.{}", node.domain, node.op_type)
    }
}

fn unsupported(node: &NodeProto, reason: impl Into<String>) -> GraphError {
    GraphError::Unsupported {
        op: op_name(node),
        node: node.label(),
        reason: reason.into(),
    }
}

fn bad(node: &NodeProto, reason: impl Into<String>) -> GraphError {
    GraphError::Node {
        op: op_name(node),
        node: node.label(),
        reason: reason.into(),
    }
}

/// A model recognised in a graph, with what the importer needs to describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct Recognised {
    /// The float model.
    pub model: FloatModel,
    /// The graph input's name.
    pub input: String,
    /// The tensor the score is read from (before the final logistic, if any).
    pub score_tensor: String,
    /// The positive class's label, for classifiers that name their classes.
    pub positive_class: Option<String>,
    /// The producer recorded in the file (`name version`).
    pub producer: String,
    /// Nodes after the score that only format it, by operator and node name.
    pub readout: Vec<String>,
}

struct Graph<'a> {
    graph: &'a GraphProto,
    constants: HashMap<String, &'a TensorProto>,
}

impl<'a> Graph<'a> {
    fn consumers(&self, tensor: &str) -> Vec<usize> {
        self.graph
            .node
            .iter()
            .enumerate()
            .filter(|(_, n)| n.op_type != "Constant" && n.input.iter().any(|i| i == tensor))
            .map(|(k, _)| k)
            .collect()
    }

    fn constant(&self, node: &NodeProto, position: usize) -> Result<onnx::Values, GraphError> {
        let name = node
            .input
            .get(position)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| bad(node, format!("input {position} is missing")))?;
        let t = self.constants.get(name).ok_or_else(|| {
            bad(
                node,
                format!(
                    "operand `{name}` is computed in the graph; govproof needs it to be a constant"
                ),
            )
        })?;
        Ok(t.values()?)
    }
}

/// Recognises the model in a decoded ONNX file.
pub fn recognise(model: &ModelProto) -> Result<Recognised, GraphError> {
    let graph = model.graph.as_ref().ok_or(onnx::OnnxError::NoGraph)?;
    let g = Graph {
        graph,
        constants: onnx::constants(graph),
    };
    let inputs: Vec<&onnx::ValueInfoProto> = graph
        .input
        .iter()
        .filter(|i| !g.constants.contains_key(&i.name))
        .collect();
    let [input] = inputs.as_slice() else {
        return Err(GraphError::Inputs(
            inputs.iter().map(|i| format!("`{}`", i.name)).collect(),
        ));
    };
    let features = input_width(input)?;

    let mut chain = Chain::new(features);
    let mut cur = input.name.clone();
    let mut on_chain: HashSet<usize> = HashSet::new();
    let mut terminal_node = None;
    while terminal_node.is_none() {
        let consumers = g.consumers(&cur);
        let k = match consumers.as_slice() {
            [] => break,
            [k] => *k,
            many => {
                // A finished dense stack may feed several nodes that reshape its output.
                if chain.can_end() {
                    break;
                }
                let names: Vec<String> = many
                    .iter()
                    .map(|&k| format!("`{}`", graph.node[k].label()))
                    .collect();
                return Err(GraphError::Branches {
                    tensor: cur.clone(),
                    nodes: names.join(", "),
                });
            }
        };
        let node = &graph.node[k];
        if chain.can_end() && node.is_standard() && SHAPE_OPERATORS.contains(&node.op_type.as_str())
        {
            break;
        }
        chain.step(&g, node, &cur)?;
        on_chain.insert(k);
        if chain.terminal {
            terminal_node = Some(k);
        }
        cur = node
            .output
            .iter()
            .find(|o| !o.is_empty())
            .cloned()
            .ok_or_else(|| bad(node, "has no output"))?;
    }
    let (architecture, score_kind) = chain.finish(&cur, &input.name)?;

    // Everything else must only format the score: after a logistic or an ONNX-ML model, the
    // probabilities and the label; after a raw dense output, its shape.
    let allowed: &[&str] = if terminal_node.is_some() {
        &READOUT_OPERATORS
    } else {
        &SHAPE_OPERATORS
    };
    let mut derived: HashSet<String> = HashSet::new();
    match terminal_node {
        Some(k) => derived.extend(graph.node[k].output.iter().cloned()),
        None => {
            derived.insert(cur.clone());
        }
    }
    let mut readout = Vec::new();
    for (k, node) in graph.node.iter().enumerate() {
        if on_chain.contains(&k) || (node.op_type == "Constant" && node.is_standard()) {
            continue;
        }
        let known = allowed.contains(&node.op_type.as_str())
            && (node.is_standard()
                || (node.is_ml()
                    && matches!(node.op_type.as_str(), "ZipMap" | "ArrayFeatureExtractor")));
        if !known {
            return Err(unsupported(
                node,
                "govproof proves dense layers with ReLU (Gemm, MatMul, Add, Relu, Sigmoid), ONNX-ML linear models and tree ensembles; after the score only nodes that format it are allowed",
            ));
        }
        for i in node.input.iter().filter(|i| !i.is_empty()) {
            if !(derived.contains(i) || g.constants.contains_key(i)) {
                return Err(bad(
                    node,
                    format!("reads `{i}`, which is not the score or its readout; only the score's readout may follow the model"),
                ));
            }
        }
        derived.extend(node.output.iter().cloned());
        readout.push(format!("{} `{}`", op_name(node), node.label()));
    }
    let score_tensor = chain.score_tensor.take().unwrap_or(cur);
    Ok(Recognised {
        model: FloatModel {
            features,
            scaler: chain.scaler.take(),
            architecture,
            score_kind,
        },
        input: input.name.clone(),
        score_tensor,
        positive_class: chain.positive_class.take(),
        producer: format!("{} {}", model.producer_name, model.producer_version)
            .trim()
            .to_string(),
        readout,
    })
}

fn input_width(input: &onnx::ValueInfoProto) -> Result<usize, GraphError> {
    let fail = |reason: &str| GraphError::Input {
        name: input.name.clone(),
        reason: reason.to_string(),
    };
    let tensor = input
        .r#type
        .as_ref()
        .and_then(|t| t.tensor_type.as_ref())
        .ok_or_else(|| fail("is not a tensor"))?;
    if tensor.elem_type != data_type::FLOAT {
        return Err(GraphError::Input {
            name: input.name.clone(),
            reason: format!(
                "holds {} values; govproof imports models whose input is float",
                data_type::name(tensor.elem_type)
            ),
        });
    }
    let dims = &tensor
        .shape
        .as_ref()
        .ok_or_else(|| fail("declares no shape"))?
        .dim;
    let width = match dims.as_slice() {
        [d] | [_, d] => d.dim_value,
        _ => {
            return Err(GraphError::Input {
                name: input.name.clone(),
                reason: format!(
                    "has rank {}; expected [batch, features] or [features]",
                    dims.len()
                ),
            })
        }
    };
    match width {
        Some(n) if n > 0 && n as usize <= MAX_WIDTH => Ok(n as usize),
        Some(n) if n > 0 => Err(GraphError::Input {
            name: input.name.clone(),
            reason: format!("has {n} features; the circuits take at most {MAX_WIDTH}"),
        }),
        _ => Err(fail("has no fixed feature dimension")),
    }
}

/// The state of the walk along the chain.
struct Chain {
    features: usize,
    width: usize,
    scaler: Option<Scaler>,
    layers: Vec<Dense>,
    /// A `MatMul` waiting for its bias.
    open_matmul: bool,
    /// `Relu` seen after the last layer.
    activated: bool,
    terminal: bool,
    result: Option<(Architecture, ScoreKind)>,
    score_kind: ScoreKind,
    score_tensor: Option<String>,
    positive_class: Option<String>,
}

impl Chain {
    fn new(features: usize) -> Self {
        Chain {
            features,
            width: features,
            scaler: None,
            layers: Vec::new(),
            open_matmul: false,
            activated: false,
            terminal: false,
            result: None,
            score_kind: ScoreKind::Raw,
            score_tensor: None,
            positive_class: None,
        }
    }

    /// Whether the walk has a complete dense stack that may end here.
    fn can_end(&self) -> bool {
        !self.layers.is_empty() && !self.activated && self.width == 1
    }

    fn step(&mut self, g: &Graph<'_>, node: &NodeProto, cur: &str) -> Result<(), GraphError> {
        let at_start = self.layers.is_empty() && self.result.is_none();
        let reads_first = node.input.first().map(String::as_str) == Some(cur);
        match (node.is_standard(), node.is_ml(), node.op_type.as_str()) {
            (true, _, "Identity") => Ok(()),
            (true, _, "Cast") => {
                let to = node.attr("to").map(|a| a.i as i32);
                if to == Some(data_type::FLOAT) || to == Some(data_type::DOUBLE) {
                    Ok(())
                } else {
                    Err(bad(node, "casts to a non-float type inside the model"))
                }
            }
            (_, true, "Scaler") => {
                if !at_start || self.scaler.is_some() {
                    return Err(bad(node, "a Scaler is supported only on the input"));
                }
                let n = self.features;
                let spread = |name: &str, default: f64| -> Result<Vec<f64>, GraphError> {
                    let v: Vec<f64> = node
                        .attr(name)
                        .map(|a| a.floats.iter().map(|&f| f64::from(f)).collect())
                        .unwrap_or_default();
                    match v.len() {
                        0 => Ok(vec![default; n]),
                        1 => Ok(vec![v[0]; n]),
                        k if k == n => Ok(v),
                        k => Err(bad(
                            node,
                            format!("`{name}` has {k} values for {n} features"),
                        )),
                    }
                };
                self.scaler = Some(Scaler {
                    offset: spread("offset", 0.0)?,
                    scale: spread("scale", 1.0)?,
                });
                Ok(())
            }
            (true, _, "Gemm") => {
                self.before_layer(node)?;
                if !reads_first {
                    return Err(bad(node, "the model's tensor must be the first operand"));
                }
                let attr_f = |name: &str| node.attr(name).map(|a| f64::from(a.f));
                let attr_i = |name: &str| node.attr(name).map(|a| a.i).unwrap_or(0);
                if attr_i("transA") != 0 {
                    return Err(bad(node, "`transA = 1` transposes the input; govproof reads the input as rows of features"));
                }
                let alpha = attr_f("alpha").unwrap_or(1.0);
                let beta = attr_f("beta").unwrap_or(1.0);
                let b = g.constant(node, 1)?;
                let [r, c] = b.dims[..] else {
                    return Err(bad(node, format!("weight operand has shape {:?}; expected a matrix", b.dims)));
                };
                // B is [outputs, inputs] when transposed, else [inputs, outputs]; B[r][c] is at
                // r * c_count + c.
                let transposed = attr_i("transB") != 0;
                let (outputs, inputs) = if transposed { (r, c) } else { (c, r) };
                self.check_width(node, inputs)?;
                let weights = (0..outputs)
                    .flat_map(|j| (0..inputs).map(move |i| (j, i)))
                    .map(|(j, i)| {
                        let at = if transposed { j * c + i } else { i * c + j };
                        alpha * b.data[at]
                    })
                    .collect();
                let bias = if node.input.get(2).is_some_and(|s| !s.is_empty()) {
                    let c = g.constant(node, 2)?;
                    broadcast_bias(node, &c, outputs)?.iter().map(|v| beta * v).collect()
                } else {
                    vec![0.0; outputs]
                };
                self.push_layer(Dense {
                    inputs,
                    outputs,
                    weights,
                    bias,
                });
                Ok(())
            }
            (true, _, "MatMul") => {
                self.before_layer(node)?;
                if !reads_first {
                    return Err(bad(node, "the model's tensor must be the left operand"));
                }
                let b = g.constant(node, 1)?;
                let [inputs, outputs] = b.dims[..] else {
                    return Err(bad(node, format!("weight operand has shape {:?}; expected a matrix", b.dims)));
                };
                self.check_width(node, inputs)?;
                let weights = (0..outputs)
                    .flat_map(|j| (0..inputs).map(move |i| (j, i)))
                    .map(|(j, i)| b.data[i * outputs + j])
                    .collect();
                self.push_layer(Dense {
                    inputs,
                    outputs,
                    weights,
                    bias: vec![0.0; outputs],
                });
                self.open_matmul = true;
                Ok(())
            }
            (true, _, "Add") => {
                if !self.open_matmul {
                    return Err(bad(node, "an Add is supported only as the bias of a MatMul"));
                }
                self.open_matmul = false;
                let other = match node.input.iter().position(|i| i == cur) {
                    Some(0) if node.input.len() == 2 => 1,
                    Some(1) if node.input.len() == 2 => 0,
                    _ => return Err(bad(node, "expected the layer's output and a bias")),
                };
                let c = g.constant(node, other)?;
                let layer = self
                    .layers
                    .last_mut()
                    .ok_or_else(|| bad(node, "no layer to add a bias to"))?;
                let bias = broadcast_bias(node, &c, layer.outputs)?;
                for (b, v) in layer.bias.iter_mut().zip(bias) {
                    *b += v;
                }
                Ok(())
            }
            (true, _, "Relu") => {
                if self.layers.is_empty() || self.activated {
                    return Err(bad(node, "a Relu is supported only after a dense layer"));
                }
                self.open_matmul = false;
                self.activated = true;
                Ok(())
            }
            (true, _, "Sigmoid") => {
                if !self.can_end() {
                    return Err(bad(
                        node,
                        "a Sigmoid is supported only on the single output of the last layer",
                    ));
                }
                self.open_matmul = false;
                self.score_kind = ScoreKind::LogOdds;
                self.score_tensor = Some(format!("`{cur}` (the Sigmoid's input)"));
                self.terminal = true;
                Ok(())
            }
            (_, true, "LinearClassifier" | "LinearRegressor") => {
                self.score_tensor = Some(format!(
                    "`{}` before its post_transform",
                    node.output.get(1).or(node.output.first()).cloned().unwrap_or_default()
                ));
                if !at_start {
                    return Err(bad(node, "supported only directly on the input"));
                }
                let (layer, kind, positive) = linear_ml(node, self.features)?;
                self.positive_class = positive;
                self.result = Some((Architecture::Layers(vec![layer]), kind));
                self.terminal = true;
                Ok(())
            }
            (_, true, "TreeEnsembleClassifier" | "TreeEnsembleRegressor") => {
                self.score_tensor = Some(format!(
                    "`{}` before its post_transform",
                    node.output.get(1).or(node.output.first()).cloned().unwrap_or_default()
                ));
                if !at_start || self.scaler.is_some() {
                    return Err(bad(
                        node,
                        "a tree ensemble is supported only directly on the input (not after a Scaler)",
                    ));
                }
                let (ensemble, kind, positive) = tree_ensemble(node, self.features)?;
                self.positive_class = positive;
                self.result = Some((Architecture::Trees(ensemble), kind));
                self.terminal = true;
                Ok(())
            }
            (_, true, "TreeEnsemble") => Err(unsupported(
                node,
                "the opset-5 TreeEnsemble operator is not read yet; export with ai.onnx.ml opset 3 (TreeEnsembleClassifier or TreeEnsembleRegressor)",
            )),
            _ => Err(unsupported(
                node,
                "govproof proves dense layers with ReLU (Gemm, MatMul, Add, Relu, Sigmoid), ONNX-ML linear models and tree ensembles",
            )),
        }
    }

    fn before_layer(&mut self, node: &NodeProto) -> Result<(), GraphError> {
        if self.result.is_some() {
            return Err(bad(node, "follows a model that already computes the score"));
        }
        if !self.layers.is_empty() && !self.activated {
            return Err(bad(
                node,
                "follows a dense layer without an activation between them; govproof supports Relu between layers",
            ));
        }
        Ok(())
    }

    fn check_width(&self, node: &NodeProto, inputs: usize) -> Result<(), GraphError> {
        if inputs != self.width {
            return Err(bad(
                node,
                format!(
                    "its weights take {inputs} inputs but the tensor it reads has {}",
                    self.width
                ),
            ));
        }
        Ok(())
    }

    fn push_layer(&mut self, layer: Dense) {
        self.width = layer.outputs;
        self.layers.push(layer);
        self.activated = false;
    }

    fn finish(&mut self, end: &str, input: &str) -> Result<(Architecture, ScoreKind), GraphError> {
        if let Some((arch, kind)) = self.result.take() {
            return Ok((arch, kind));
        }
        if self.layers.is_empty() {
            return Err(GraphError::NoScore(input.to_string()));
        }
        if self.activated || self.width != 1 {
            return Err(GraphError::End {
                tensor: end.to_string(),
                reason: format!(
                    "{} outputs{}",
                    self.width,
                    if self.activated { " after a Relu" } else { "" }
                ),
            });
        }
        let kind = self.score_kind;
        Ok((Architecture::Layers(std::mem::take(&mut self.layers)), kind))
    }
}

fn broadcast_bias(
    node: &NodeProto,
    c: &onnx::Values,
    outputs: usize,
) -> Result<Vec<f64>, GraphError> {
    let n: usize = c.data.len();
    if n == outputs && c.dims.iter().filter(|&&d| d != 1).count() <= 1 {
        Ok(c.data.clone())
    } else if n == 1 {
        Ok(vec![c.data[0]; outputs])
    } else {
        Err(bad(
            node,
            format!(
                "bias has shape {:?}, which does not broadcast to {outputs} outputs",
                c.dims
            ),
        ))
    }
}

fn class_labels(node: &NodeProto) -> Vec<String> {
    if let Some(a) = node
        .attr("classlabels_ints")
        .or(node.attr("classlabels_int64s"))
    {
        a.ints.iter().map(i64::to_string).collect()
    } else if let Some(a) = node.attr("classlabels_strings") {
        a.texts()
    } else {
        Vec::new()
    }
}

/// A binary classifier's positive class (its second label); refuses any other class count.
fn positive_label(node: &NodeProto) -> Result<String, GraphError> {
    let mut labels = class_labels(node);
    if labels.len() != 2 {
        return Err(bad(
            node,
            format!(
                "has {} classes; govproof proves binary classifiers",
                labels.len()
            ),
        ));
    }
    Ok(labels.swap_remove(1))
}

fn post_transform(node: &NodeProto) -> String {
    node.attr("post_transform")
        .map(|a| a.text())
        .unwrap_or_else(|| "NONE".into())
}

/// How a binary classifier's class scores become one score: which column, or the difference of
/// the two (two-class softmax), and what the result means.
#[derive(Debug, Clone, Copy)]
enum Columns {
    One(usize),
    Difference,
}

fn binary_columns(
    node: &NodeProto,
    columns: &[usize],
    classifier: bool,
) -> Result<(Columns, ScoreKind), GraphError> {
    let transform = post_transform(node);
    let kind = match transform.as_str() {
        "NONE" => ScoreKind::Raw,
        "LOGISTIC" if classifier => ScoreKind::LogOdds,
        "SOFTMAX" if classifier && columns.len() == 2 => ScoreKind::LogOdds,
        other => {
            return Err(bad(
                node,
                format!("post_transform `{other}` is not supported here; expected NONE, LOGISTIC, or SOFTMAX over two classes"),
            ))
        }
    };
    let cols = match (columns, transform.as_str()) {
        ([only], _) => Columns::One(*only),
        ([0, 1], "SOFTMAX") => Columns::Difference,
        ([0, 1], _) => Columns::One(1),
        _ => {
            return Err(bad(
                node,
                format!("scores {} classes; govproof proves binary classifiers and single-target regressors", columns.len()),
            ))
        }
    };
    Ok((cols, kind))
}

fn linear_ml(node: &NodeProto, n: usize) -> Result<(Dense, ScoreKind, Option<String>), GraphError> {
    let classifier = node.op_type == "LinearClassifier";
    let coefficients: Vec<f64> = node
        .attr("coefficients")
        .map(|a| a.floats.iter().map(|&f| f64::from(f)).collect())
        .unwrap_or_default();
    if coefficients.is_empty() || !coefficients.len().is_multiple_of(n) {
        return Err(bad(
            node,
            format!(
                "has {} coefficients, which is not a whole number of rows of {n} features",
                coefficients.len()
            ),
        ));
    }
    let rows = coefficients.len() / n;
    let mut intercepts: Vec<f64> = node
        .attr("intercepts")
        .map(|a| a.floats.iter().map(|&f| f64::from(f)).collect())
        .unwrap_or_default();
    if intercepts.is_empty() {
        intercepts = vec![0.0; rows];
    }
    if intercepts.len() != rows {
        return Err(bad(
            node,
            format!(
                "has {} intercepts for {rows} rows of coefficients",
                intercepts.len()
            ),
        ));
    }
    let mut positive = None;
    if classifier {
        positive = Some(positive_label(node)?);
    } else if node.attr("targets").map_or(1, |a| a.i) != 1 {
        return Err(bad(node, "has several targets; govproof proves one score"));
    }
    let columns: Vec<usize> = (0..rows).collect();
    let (cols, kind) = binary_columns(node, &columns, classifier)?;
    let row = |r: usize| &coefficients[r * n..(r + 1) * n];
    let (weights, bias) = match cols {
        Columns::One(r) => (row(r).to_vec(), intercepts[r]),
        Columns::Difference => (
            row(1).iter().zip(row(0)).map(|(a, b)| a - b).collect(),
            intercepts[1] - intercepts[0],
        ),
    };
    Ok((
        Dense {
            inputs: n,
            outputs: 1,
            weights,
            bias: vec![bias],
        },
        kind,
        positive,
    ))
}

fn ints(node: &NodeProto, name: &str) -> Vec<i64> {
    node.attr(name).map(|a| a.ints.clone()).unwrap_or_default()
}

fn floats(node: &NodeProto, name: &str) -> Result<Vec<f32>, GraphError> {
    if node.attr(&format!("{name}_as_tensor")).is_some() {
        return Err(bad(
            node,
            format!("`{name}_as_tensor` (double precision) is not supported; export with float attributes"),
        ));
    }
    Ok(node
        .attr(name)
        .map(|a| a.floats.clone())
        .unwrap_or_default())
}

fn tree_ensemble(
    node: &NodeProto,
    n: usize,
) -> Result<(Ensemble, ScoreKind, Option<String>), GraphError> {
    let classifier = node.op_type == "TreeEnsembleClassifier";
    let tree_ids = ints(node, "nodes_treeids");
    let node_ids = ints(node, "nodes_nodeids");
    let feature_ids = ints(node, "nodes_featureids");
    let values = floats(node, "nodes_values")?;
    let modes = node
        .attr("nodes_modes")
        .map(|a| a.texts())
        .unwrap_or_default();
    let yes_ids = ints(node, "nodes_truenodeids");
    let no_ids = ints(node, "nodes_falsenodeids");
    let count = tree_ids.len();
    if count == 0 || count > MAX_TREE_NODES {
        return Err(bad(
            node,
            format!("has {count} nodes; expected 1 to {MAX_TREE_NODES}"),
        ));
    }
    for (name, len) in [
        ("nodes_nodeids", node_ids.len()),
        ("nodes_featureids", feature_ids.len()),
        ("nodes_values", values.len()),
        ("nodes_modes", modes.len()),
        ("nodes_truenodeids", yes_ids.len()),
        ("nodes_falsenodeids", no_ids.len()),
    ] {
        if len != count {
            return Err(bad(
                node,
                format!("`{name}` has {len} entries, `nodes_treeids` {count}"),
            ));
        }
    }
    let prefix = if classifier { "class" } else { "target" };
    let w_tree = ints(node, &format!("{prefix}_treeids"));
    let w_node = ints(node, &format!("{prefix}_nodeids"));
    let w_col = ints(node, &format!("{prefix}_ids"));
    let w_val = floats(node, &format!("{prefix}_weights"))?;
    if w_node.len() != w_tree.len() || w_col.len() != w_tree.len() || w_val.len() != w_tree.len() {
        return Err(bad(
            node,
            format!("the `{prefix}_*` leaf weight lists differ in length"),
        ));
    }
    let mut positive = None;
    let mut columns: Vec<usize> = Vec::new();
    for &c in &w_col {
        let c = usize::try_from(c).map_err(|_| bad(node, "negative class or target id"))?;
        if !columns.contains(&c) {
            columns.push(c);
        }
    }
    columns.sort_unstable();
    if classifier {
        positive = Some(positive_label(node)?);
        if columns.iter().any(|&c| c > 1) {
            return Err(bad(node, "has a class id beyond the two classes"));
        }
    } else {
        if node.attr("n_targets").map_or(1, |a| a.i) != 1 || columns.iter().any(|&c| c != 0) {
            return Err(bad(node, "has several targets; govproof proves one score"));
        }
        if columns.is_empty() {
            columns.push(0);
        }
    }
    if columns.is_empty() {
        columns.push(0);
    }
    let (cols, kind) = binary_columns(node, &columns, classifier)?;
    let average = if classifier {
        false
    } else {
        match node
            .attr("aggregate_function")
            .map(|a| a.text())
            .unwrap_or_else(|| "SUM".into())
            .as_str()
        {
            "SUM" => false,
            "AVERAGE" => true,
            other => {
                return Err(bad(
                    node,
                    format!(
                        "aggregate_function `{other}` is not supported; expected SUM or AVERAGE"
                    ),
                ))
            }
        }
    };
    let pick = |per_column: &[f64]| -> f64 {
        let at = |c: usize| per_column.get(c).copied().unwrap_or(0.0);
        match cols {
            Columns::One(c) => at(c),
            Columns::Difference => at(1) - at(0),
        }
    };

    // Group nodes by tree, in tree-id order.
    let mut trees: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (k, &t) in tree_ids.iter().enumerate() {
        trees.entry(t).or_default().push(k);
    }
    let mut leaf_weights: HashMap<(i64, i64), Vec<f64>> = HashMap::new();
    for k in 0..w_tree.len() {
        let v = leaf_weights
            .entry((w_tree[k], w_node[k]))
            .or_insert_with(|| vec![0.0; 2]);
        let c = w_col[k] as usize;
        if c >= v.len() {
            v.resize(c + 1, 0.0);
        }
        v[c] += f64::from(w_val[k]);
    }
    let tree_count = trees.len();
    let mut out = Vec::with_capacity(tree_count);
    for (&t, members) in &trees {
        let index: HashMap<i64, usize> = members
            .iter()
            .enumerate()
            .map(|(local, &k)| (node_ids[k], local))
            .collect();
        if index.len() != members.len() {
            return Err(bad(node, format!("tree {t} lists a node id twice")));
        }
        let mut nodes = Vec::with_capacity(members.len());
        for &k in members {
            let mode = modes[k].as_str();
            let rule = match mode {
                "LEAF" => None,
                "BRANCH_LEQ" => Some(Rule::Leq),
                "BRANCH_LT" => Some(Rule::Lt),
                "BRANCH_GTE" => Some(Rule::Gte),
                "BRANCH_GT" => Some(Rule::Gt),
                other => {
                    return Err(bad(
                        node,
                        format!("tree {t} node {}: mode `{other}` is not supported; expected LEAF or BRANCH_LEQ, BRANCH_LT, BRANCH_GTE, BRANCH_GT", node_ids[k]),
                    ))
                }
            };
            nodes.push(match rule {
                None => {
                    let v = leaf_weights
                        .get(&(t, node_ids[k]))
                        .map(|w| pick(w))
                        .unwrap_or(0.0);
                    Node::Leaf {
                        value: if average { v / tree_count as f64 } else { v },
                    }
                }
                Some(rule) => {
                    let feature = usize::try_from(feature_ids[k])
                        .ok()
                        .filter(|&f| f < n)
                        .ok_or_else(|| {
                            bad(node, format!("tree {t} node {} reads feature {}, but the model has {n}", node_ids[k], feature_ids[k]))
                        })?;
                    let child = |id: i64| {
                        index.get(&id).copied().ok_or_else(|| {
                            bad(node, format!("tree {t} node {} points to node {id}, which the tree does not have", node_ids[k]))
                        })
                    };
                    Node::Branch {
                        feature,
                        threshold: values[k],
                        rule,
                        yes: child(yes_ids[k])?,
                        no: child(no_ids[k])?,
                    }
                }
            });
        }
        let root = *index
            .get(&0)
            .ok_or_else(|| bad(node, format!("tree {t} has no node 0 (its root)")))?;
        // Re-root at local index 0 and check that the structure is a tree.
        let tree = reroot(nodes, root).ok_or_else(|| {
            bad(
                node,
                format!("tree {t} is not a tree: a node is reached twice"),
            )
        })?;
        out.push(tree);
    }
    let bases: Vec<f64> = floats(node, "base_values")?
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    let base = if bases.is_empty() {
        0.0
    } else if bases.len() == 1 {
        match cols {
            Columns::Difference => -bases[0],
            Columns::One(_) => bases[0],
        }
    } else {
        pick(&bases)
    };
    Ok((Ensemble { trees: out, base }, kind, positive))
}

/// The nodes reachable from `root`, renumbered in depth-first order with the root at 0; `None`
/// when a node is reached twice.
fn reroot(nodes: Vec<Node>, root: usize) -> Option<Tree> {
    let mut order = Vec::new();
    let mut seen = vec![false; nodes.len()];
    let mut stack = vec![root];
    while let Some(k) = stack.pop() {
        if std::mem::replace(&mut seen[k], true) {
            return None;
        }
        order.push(k);
        if let Node::Branch { yes, no, .. } = &nodes[k] {
            stack.push(*no);
            stack.push(*yes);
        }
    }
    let mut new_index = vec![usize::MAX; nodes.len()];
    for (i, &k) in order.iter().enumerate() {
        new_index[k] = i;
    }
    let out = order
        .iter()
        .map(|&k| match &nodes[k] {
            Node::Branch {
                feature,
                threshold,
                rule,
                yes,
                no,
            } => Node::Branch {
                feature: *feature,
                threshold: *threshold,
                rule: *rule,
                yes: new_index[*yes],
                no: new_index[*no],
            },
            leaf => leaf.clone(),
        })
        .collect();
    Some(Tree { nodes: out })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::onnx::{
        Dimension, TensorShapeProto, TensorTypeProto, TypeProto, ValueInfoProto,
    };

    fn input(n: i64) -> ValueInfoProto {
        ValueInfoProto {
            name: "x".into(),
            r#type: Some(TypeProto {
                tensor_type: Some(TensorTypeProto {
                    elem_type: data_type::FLOAT,
                    shape: Some(TensorShapeProto {
                        dim: vec![
                            Dimension {
                                dim_value: None,
                                dim_param: Some("batch".into()),
                            },
                            Dimension {
                                dim_value: Some(n),
                                dim_param: None,
                            },
                        ],
                    }),
                }),
            }),
        }
    }

    fn matrix(name: &str, rows: usize, cols: usize) -> TensorProto {
        TensorProto {
            dims: vec![rows as i64, cols as i64],
            data_type: data_type::FLOAT,
            float_data: (0..rows * cols).map(|k| k as f32 / 10.0).collect(),
            name: name.into(),
            ..Default::default()
        }
    }

    fn node(op: &str, inputs: &[&str], output: &str) -> NodeProto {
        NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.into()],
            name: format!("{op}_{output}"),
            op_type: op.into(),
            ..Default::default()
        }
    }

    fn model(nodes: Vec<NodeProto>, initializer: Vec<TensorProto>) -> ModelProto {
        ModelProto {
            graph: Some(GraphProto {
                node: nodes,
                initializer,
                input: vec![input(3)],
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_matmul_add_chain_is_a_linear_model() {
        let m = model(
            vec![
                node("MatMul", &["x", "W"], "h"),
                node("Add", &["h", "b"], "y"),
            ],
            vec![matrix("W", 3, 1), matrix("b", 1, 1)],
        );
        let r = recognise(&m).unwrap();
        assert_eq!(r.model.score_kind, ScoreKind::Raw);
        // The float32 constants 0.1 and 0.2, summed exactly.
        let want = f64::from(0.1f32) + f64::from(0.2f32);
        assert_eq!(r.model.score(&[1.0, 1.0, 1.0]), want);
    }

    #[test]
    fn branches_and_wide_ends_are_refused() {
        let m = model(
            vec![node("MatMul", &["x", "W"], "h"), node("Relu", &["x"], "r")],
            vec![matrix("W", 3, 1)],
        );
        assert!(matches!(recognise(&m), Err(GraphError::Branches { .. })));
        let m = model(
            vec![node("MatMul", &["x", "W"], "h")],
            vec![matrix("W", 3, 2)],
        );
        let e = recognise(&m).unwrap_err();
        assert!(matches!(e, GraphError::End { .. }), "{e}");
        let m = model(
            vec![
                node("MatMul", &["x", "W"], "h"),
                node("Softmax", &["h"], "p"),
            ],
            vec![matrix("W", 3, 2)],
        );
        assert!(matches!(
            recognise(&m),
            Err(GraphError::Unsupported { op, .. }) if op == "Softmax"
        ));
        // Weights computed in the graph are not constants.
        let m = model(vec![node("MatMul", &["x", "x"], "h")], vec![]);
        assert!(matches!(recognise(&m), Err(GraphError::Node { .. })));
    }
}
