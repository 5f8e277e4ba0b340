//! The float model recognised in an ONNX graph, and its reference inference.
//!
//! The reference follows the ONNX semantics of the recognised operators: the input is cast to
//! `float32` (the graph's input type), the constants are the file's values, and the arithmetic is
//! done in `f64`, so it stands for the exact real-number model (ONNX runtimes compute in `float32`
//! and differ from it by about `1e-6` relative). Tree comparisons are between `float32` values,
//! exactly as a runtime makes them.

/// What a model's score means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreKind {
    /// The log-odds of the positive class: the model ends in a logistic function (or a two-class
    /// softmax), which the score stops before. Policies' probability and points scales apply.
    LogOdds,
    /// The raw output (a regression value, or a random forest's averaged vote). Policies should
    /// use the `log_odds` scale and read its numbers as values of this output.
    Raw,
}

impl ScoreKind {
    /// How the kind is written in files and reports.
    pub fn as_str(&self) -> &'static str {
        match self {
            ScoreKind::LogOdds => "log_odds",
            ScoreKind::Raw => "raw",
        }
    }
}

/// `(x - offset) * scale`, per feature (ONNX-ML `Scaler`).
#[derive(Debug, Clone, PartialEq)]
pub struct Scaler {
    /// Subtracted first.
    pub offset: Vec<f64>,
    /// Then multiplied.
    pub scale: Vec<f64>,
}

/// A dense layer `y = W x + b`, `W` row-major with one row per output.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    /// Input width.
    pub inputs: usize,
    /// Output width.
    pub outputs: usize,
    /// `outputs x inputs`, row-major.
    pub weights: Vec<f64>,
    /// `outputs` biases.
    pub bias: Vec<f64>,
}

impl Dense {
    /// `W[row][col]`.
    pub fn w(&self, row: usize, col: usize) -> f64 {
        self.weights[row * self.inputs + col]
    }

    /// Applies the layer.
    pub fn apply(&self, x: &[f64]) -> Vec<f64> {
        (0..self.outputs)
            .map(|j| self.bias[j] + (0..self.inputs).map(|i| self.w(j, i) * x[i]).sum::<f64>())
            .collect()
    }
}

/// A branch's comparison, as ONNX's `nodes_modes` names it: the node goes to its `true` child
/// when `x <op> threshold` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// `BRANCH_LEQ`: `x <= t`.
    Leq,
    /// `BRANCH_LT`: `x < t`.
    Lt,
    /// `BRANCH_GTE`: `x >= t`.
    Gte,
    /// `BRANCH_GT`: `x > t`.
    Gt,
}

impl Rule {
    /// Whether `x` goes to the true child.
    pub fn holds(&self, x: f32, threshold: f32) -> bool {
        match self {
            Rule::Leq => x <= threshold,
            Rule::Lt => x < threshold,
            Rule::Gte => x >= threshold,
            Rule::Gt => x > threshold,
        }
    }
}

/// One node of a tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Compare a feature with a threshold.
    Branch {
        /// The feature's index.
        feature: usize,
        /// The threshold (a `float32` value).
        threshold: f32,
        /// The comparison.
        rule: Rule,
        /// Index of the child taken when the comparison holds.
        yes: usize,
        /// Index of the child taken otherwise.
        no: usize,
    },
    /// A leaf: its contribution to the score.
    Leaf {
        /// The value.
        value: f64,
    },
}

/// A tree: nodes by index, the root at 0. Checked at import to be a tree (every child index
/// valid, no node reached twice), so walking it terminates.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    /// The nodes.
    pub nodes: Vec<Node>,
}

impl Tree {
    /// The leaf `x` reaches: its index.
    pub fn leaf_index(&self, x: &[f32]) -> usize {
        let mut k = 0;
        // Import checked that no node is reached twice, so this walk is at most `nodes` steps.
        for _ in 0..self.nodes.len() {
            match &self.nodes[k] {
                Node::Leaf { .. } => return k,
                Node::Branch {
                    feature,
                    threshold,
                    rule,
                    yes,
                    no,
                } => {
                    k = if rule.holds(x[*feature], *threshold) {
                        *yes
                    } else {
                        *no
                    }
                }
            }
        }
        k
    }

    /// The value of the leaf `x` reaches.
    pub fn eval(&self, x: &[f32]) -> f64 {
        match &self.nodes[self.leaf_index(x)] {
            Node::Leaf { value } => *value,
            Node::Branch { .. } => 0.0,
        }
    }

    /// The number of branch levels on the longest root-to-leaf path (iterative: a degenerate tree
    /// of a million nodes must not exhaust the stack).
    pub fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut stack = vec![(0usize, 0usize)];
        // Import checked that no node is reached twice, so this visits each node once.
        while let Some((k, d)) = stack.pop() {
            match &self.nodes[k] {
                Node::Leaf { .. } => deepest = deepest.max(d),
                Node::Branch { yes, no, .. } => {
                    stack.push((*yes, d + 1));
                    stack.push((*no, d + 1));
                }
            }
        }
        deepest
    }
}

/// A tree ensemble: `score = base + sum of the trees' leaf values` (leaf values already divided
/// by the tree count for an averaging ensemble).
#[derive(Debug, Clone, PartialEq)]
pub struct Ensemble {
    /// The trees.
    pub trees: Vec<Tree>,
    /// The base value.
    pub base: f64,
}

/// The computation between the input and the score.
#[derive(Debug, Clone, PartialEq)]
pub enum Architecture {
    /// Dense layers with ReLU between them; the last has one output (one layer: a linear model).
    Layers(Vec<Dense>),
    /// A tree ensemble.
    Trees(Ensemble),
}

/// A model recognised in an ONNX graph, before quantization.
#[derive(Debug, Clone, PartialEq)]
pub struct FloatModel {
    /// Number of input features.
    pub features: usize,
    /// A scaler applied to the input first, if the graph has one.
    pub scaler: Option<Scaler>,
    /// The layers or trees.
    pub architecture: Architecture,
    /// What the score means.
    pub score_kind: ScoreKind,
}

impl FloatModel {
    /// The reference score on `x` (one value per feature): see the module docs.
    pub fn score(&self, x: &[f64]) -> f64 {
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        match &self.architecture {
            Architecture::Trees(e) => e.base + e.trees.iter().map(|t| t.eval(&x32)).sum::<f64>(),
            Architecture::Layers(layers) => {
                let mut v: Vec<f64> = x32.iter().map(|&v| f64::from(v)).collect();
                if let Some(s) = &self.scaler {
                    v = v
                        .iter()
                        .zip(s.offset.iter().zip(&s.scale))
                        .map(|(x, (o, k))| (x - o) * k)
                        .collect();
                }
                for (i, layer) in layers.iter().enumerate() {
                    v = layer.apply(&v);
                    if i + 1 < layers.len() {
                        v.iter_mut().for_each(|h| *h = h.max(0.0));
                    }
                }
                v.first().copied().unwrap_or(0.0)
            }
        }
    }

    /// The probability of the positive class, for a log-odds score.
    pub fn probability(&self, x: &[f64]) -> Option<f64> {
        (self.score_kind == ScoreKind::LogOdds).then(|| 1.0 / (1.0 + (-self.score(x)).exp()))
    }

    /// A short description: `linear`, `mlp 20x16`, `trees 30x3` (trees x depth).
    pub fn describe(&self) -> String {
        match &self.architecture {
            Architecture::Layers(l) if l.len() == 1 => {
                format!("linear, {} features", self.features)
            }
            Architecture::Layers(l) => {
                let widths: Vec<String> = l.iter().map(|d| d.outputs.to_string()).collect();
                format!(
                    "perceptron, {} features, layers {}",
                    self.features,
                    widths.join(" x ")
                )
            }
            Architecture::Trees(e) => format!(
                "tree ensemble, {} features, {} trees of depth up to {}",
                self.features,
                e.trees.len(),
                e.trees.iter().map(Tree::depth).max().unwrap_or(0)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_relu_between() {
        let m = FloatModel {
            features: 2,
            scaler: Some(Scaler {
                offset: vec![1.0, 0.0],
                scale: vec![2.0, 1.0],
            }),
            architecture: Architecture::Layers(vec![
                Dense {
                    inputs: 2,
                    outputs: 2,
                    weights: vec![1.0, 0.0, 0.0, -1.0],
                    bias: vec![0.0, 0.0],
                },
                Dense {
                    inputs: 2,
                    outputs: 1,
                    weights: vec![1.0, 1.0],
                    bias: vec![0.5],
                },
            ]),
            score_kind: ScoreKind::LogOdds,
        };
        // h = relu([(3-1)*2, -1]) = [4, 0]; score = 4.5
        assert_eq!(m.score(&[3.0, 1.0]), 4.5);
        assert!(m.probability(&[3.0, 1.0]).unwrap() > 0.98);
    }

    #[test]
    fn a_degenerate_deep_tree_does_not_exhaust_the_stack() {
        let n = 200_000;
        let mut nodes: Vec<Node> = (0..n)
            .map(|k| Node::Branch {
                feature: 0,
                threshold: 0.0,
                rule: Rule::Leq,
                yes: k + 1,
                no: n + 1,
            })
            .collect();
        nodes.push(Node::Leaf { value: 1.0 });
        nodes.push(Node::Leaf { value: 2.0 });
        let t = Tree { nodes };
        assert_eq!(t.depth(), n);
        assert_eq!(t.eval(&[0.0]), 1.0);
    }

    #[test]
    fn trees_compare_in_float32() {
        let t = Tree {
            nodes: vec![
                Node::Branch {
                    feature: 0,
                    threshold: 0.1,
                    rule: Rule::Leq,
                    yes: 1,
                    no: 2,
                },
                Node::Leaf { value: -1.0 },
                Node::Leaf { value: 1.0 },
            ],
        };
        // 0.1f64 rounds to the float32 threshold itself, so it goes left.
        assert_eq!(t.eval(&[0.1f64 as f32]), -1.0);
        assert_eq!(t.eval(&[0.2]), 1.0);
        assert_eq!(t.depth(), 1);
    }
}
