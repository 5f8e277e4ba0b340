//! Circuit profiles: the capacities a composite circuit is compiled for.
//!
//! A profile fixes the model family and its size, the registry tree depth, the decision kind (and
//! for score bands, the band-table capacity), and how many scopes, protected features and allowed
//! models a policy may hold. Its [`Profile::name`] is stable and parses back with
//! [`Profile::from_name`]; the registry binds each entry to a profile through
//! `label(profile name)`, so a proof can only use an entry built for the circuit that proves it.

use std::fmt;
use std::str::FromStr;

use crate::commit::label;
use crate::field::Field;

use super::fixed::MAX_WIDTH;
use super::tree_table::TableShape;
use super::trees::{TreeShape, MAX_TREES, MAX_TREE_DEPTH};

/// The most bands a band table may hold.
pub const MAX_BANDS: usize = 64;
/// The most scopes a policy or registry entry may hold.
pub const MAX_SCOPES: usize = 256;
/// The most models a policy may allow.
pub const MAX_MODELS: usize = 64;
/// The deepest registry tree a profile may use.
pub const MAX_DEPTH: usize = 32;
/// The most hidden ReLU layers a perceptron may have.
pub const MAX_HIDDEN_LAYERS: usize = 3;
/// The most reasons a profile with proven reasons may name (see [`Profile::with_reasons`]).
pub const MAX_REASONS: usize = 8;

/// The widths of a deep perceptron's hidden layers: 2 to [`MAX_HIDDEN_LAYERS`] layers of 1 to
/// [`MAX_WIDTH`] units each, checked in [`HiddenLayers::new`]. (A perceptron with one hidden layer
/// is [`ModelFamily::Mlp`], whose encoding predates deeper ones.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "Vec<usize>", into = "Vec<usize>")]
pub struct HiddenLayers {
    widths: [usize; MAX_HIDDEN_LAYERS],
    len: usize,
}

impl HiddenLayers {
    /// The layers of the given widths, first hidden layer first: 2 to [`MAX_HIDDEN_LAYERS`]
    /// layers, each 1 to [`MAX_WIDTH`] units.
    pub fn new(widths: &[usize]) -> Result<Self, ProfileError> {
        if widths.len() < 2 || widths.len() > MAX_HIDDEN_LAYERS {
            return Err(ProfileError::HiddenLayers {
                layers: widths.len(),
            });
        }
        let mut out = [0; MAX_HIDDEN_LAYERS];
        for (slot, &w) in out.iter_mut().zip(widths) {
            check("hidden size", w, 1, MAX_WIDTH)?;
            *slot = w;
        }
        Ok(HiddenLayers {
            widths: out,
            len: widths.len(),
        })
    }

    /// The widths, first hidden layer first.
    pub fn widths(&self) -> &[usize] {
        &self.widths[..self.len]
    }
}

/// The model families the circuits implement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelFamily {
    /// Linear or logistic scoring: one weight per feature and a bias.
    Linear,
    /// A perceptron with one hidden ReLU layer of `hidden` units.
    Mlp {
        /// Hidden units.
        hidden: usize,
    },
    /// A perceptron with 2 to [`MAX_HIDDEN_LAYERS`] hidden ReLU layers, whose activations are
    /// rescaled to the feature scale between layers (see `docs/circuits.md`).
    DeepMlp {
        /// The hidden layers' widths.
        hidden: HiddenLayers,
    },
    /// A tree ensemble of `trees` trees, each padded to depth `depth` (see
    /// [`super::trees`]).
    Trees {
        /// Number of trees.
        trees: usize,
        /// Depth of every tree.
        depth: usize,
    },
    /// A tree ensemble by its real shape: `trees` trees of at most `leaves` leaves, walked
    /// `depth` steps (see [`super::tree_table`]).
    TreeTable {
        /// Number of trees.
        trees: usize,
        /// Leaves per tree, at most.
        leaves: usize,
        /// The deepest path.
        depth: usize,
    },
}

/// What the public outcome of a decision is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecisionKind {
    /// The index of the band (of a table of at most `bands`) the score lies in.
    ScoreBand {
        /// Band-table capacity.
        bands: usize,
    },
    /// A yes/no decision: whether the score reaches the policy's threshold.
    Gate,
}

impl ModelFamily {
    /// The perceptron family with hidden layers of `widths` (first layer first): [`Mlp`] for one
    /// layer, [`DeepMlp`] for two or three; refuses no layer or more than
    /// [`MAX_HIDDEN_LAYERS`].
    ///
    /// [`Mlp`]: ModelFamily::Mlp
    /// [`DeepMlp`]: ModelFamily::DeepMlp
    pub fn perceptron(widths: &[usize]) -> Result<Self, ProfileError> {
        match widths {
            [] => Err(ProfileError::HiddenLayers { layers: 0 }),
            [hidden] => {
                check("hidden size", *hidden, 1, MAX_WIDTH)?;
                Ok(ModelFamily::Mlp { hidden: *hidden })
            }
            more => Ok(ModelFamily::DeepMlp {
                hidden: HiddenLayers::new(more)?,
            }),
        }
    }

    /// The hidden layers' widths, first layer first (empty for a linear model and a tree
    /// ensemble).
    pub fn hidden_layers(&self) -> Vec<usize> {
        match self {
            ModelFamily::Linear | ModelFamily::Trees { .. } | ModelFamily::TreeTable { .. } => {
                Vec::new()
            }
            ModelFamily::Mlp { hidden } => vec![*hidden],
            ModelFamily::DeepMlp { hidden } => hidden.widths().to_vec(),
        }
    }
}

impl TryFrom<Vec<usize>> for HiddenLayers {
    type Error = ProfileError;
    fn try_from(widths: Vec<usize>) -> Result<Self, Self::Error> {
        HiddenLayers::new(&widths)
    }
}

impl From<HiddenLayers> for Vec<usize> {
    fn from(layers: HiddenLayers) -> Self {
        layers.widths().to_vec()
    }
}

/// Number of weights (biases included) of a perceptron on `features` inputs with hidden layers of
/// `widths`: per hidden layer its matrix and biases, then the output layer's weights and bias.
pub fn perceptron_weight_count(features: usize, widths: &[usize]) -> usize {
    let mut inputs = features;
    let mut count = 0;
    for &w in widths {
        count += w * inputs + w;
        inputs = w;
    }
    count + inputs + 1
}

impl DecisionKind {
    /// The code the circuits hash into a policy (`KIND_SCORE_BAND = 1`, `KIND_GATE = 2`).
    pub fn code(&self) -> u64 {
        match self {
            DecisionKind::ScoreBand { .. } => 1,
            DecisionKind::Gate => 2,
        }
    }
}

/// Why a profile is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// A capacity is outside its allowed range.
    #[error("profile {what} must be between {min} and {max}, got {value}")]
    Capacity {
        /// Which capacity.
        what: &'static str,
        /// The value given.
        value: usize,
        /// Smallest allowed.
        min: usize,
        /// Largest allowed.
        max: usize,
    },
    /// A perceptron with no hidden layer or more than the circuits prove.
    #[error("a perceptron profile has 1 to {MAX_HIDDEN_LAYERS} hidden layers, got {layers}")]
    HiddenLayers {
        /// The layers given.
        layers: usize,
    },
    /// Proven reasons asked of a model family without an exact additive attribution.
    #[error("profile `{profile}` cannot prove reasons: {why}")]
    Reasons {
        /// The profile without reasons.
        profile: String,
        /// Why its family has no proven reasons.
        why: &'static str,
    },
    /// A profile name that does not parse.
    #[error("`{0}` is not a profile name (expected e.g. `mlp-24x16-d20-b8-s16-p8-m4`, `mlp-24x16x8-d20-b8-s16-p8-m4`, `linear-24-d20-s16-p8-m4-gate` or `trees-20-500l31h12-d20-b8-s16-p8-m4`)")]
    Name(String),
    /// A tree-table shape the circuits do not prove.
    #[error("a tree table has 1 to {max_trees} trees of 2 to {max_leaves} leaves and depth 1 to {max_depth} (below the leaves) on 1 to {max_features} features, got {trees} trees of {leaves} leaves and depth {depth} on {features} features", max_trees = super::tree_table::MAX_TABLE_TREES, max_leaves = super::tree_table::MAX_TABLE_LEAVES, max_depth = super::tree_table::MAX_TABLE_DEPTH, max_features = super::tree_table::MAX_TABLE_FEATURES)]
    TreeTable {
        /// Trees.
        trees: usize,
        /// Leaves per tree.
        leaves: usize,
        /// Depth.
        depth: usize,
        /// Features.
        features: usize,
    },
}

/// The capacities of one composite circuit; constructed only through [`Profile::new`], which
/// checks every capacity against the bounds the fixed-point analysis assumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Profile {
    family: ModelFamily,
    features: usize,
    depth: usize,
    kind: DecisionKind,
    scopes: usize,
    protected: usize,
    models: usize,
    reasons: usize,
}

fn check(what: &'static str, value: usize, min: usize, max: usize) -> Result<(), ProfileError> {
    if value < min || value > max {
        return Err(ProfileError::Capacity {
            what,
            value,
            min,
            max,
        });
    }
    Ok(())
}

impl Profile {
    /// A profile with the given capacities: `features` in `1..=256`; for a perceptron every hidden
    /// layer's width in `1..=256` (a [`HiddenLayers`] is checked when made); `depth` in `1..=32`;
    /// for bands `bands` in `1..=64`; `scopes` in `1..=256`; `protected` in `1..=features`;
    /// `models` in `1..=64`.
    pub fn new(
        family: ModelFamily,
        features: usize,
        depth: usize,
        kind: DecisionKind,
        scopes: usize,
        protected: usize,
        models: usize,
    ) -> Result<Self, ProfileError> {
        check("feature count", features, 1, MAX_WIDTH)?;
        if let ModelFamily::Mlp { hidden } = family {
            check("hidden size", hidden, 1, MAX_WIDTH)?;
        }
        if let ModelFamily::Trees { trees, depth } = family {
            check("tree count", trees, 1, MAX_TREES)?;
            check("tree depth", depth, 1, MAX_TREE_DEPTH)?;
        }
        if let ModelFamily::TreeTable {
            trees,
            leaves,
            depth,
        } = family
        {
            if TableShape::new(trees, leaves, depth).is_none()
                || features > super::tree_table::MAX_TABLE_FEATURES
            {
                return Err(ProfileError::TreeTable {
                    trees,
                    leaves,
                    depth,
                    features,
                });
            }
        }
        check("tree depth", depth, 1, MAX_DEPTH)?;
        if let DecisionKind::ScoreBand { bands } = kind {
            check("band count", bands, 1, MAX_BANDS)?;
        }
        check("scope count", scopes, 1, MAX_SCOPES)?;
        // At least one slot: a zero-length array cannot be a circuit input (an empty protected list
        // is padded).
        check("protected feature count", protected, 1, features)?;
        check("allowed model count", models, 1, MAX_MODELS)?;
        Ok(Profile {
            family,
            features,
            depth,
            kind,
            scopes,
            protected,
            models,
            reasons: 0,
        })
    }

    /// This profile with `count` proven reasons (`1..=8`, the `-rK` part of its name): the
    /// composite also asserts that the `count` public reason codes are the features with the most
    /// negative contributions (see `docs/reasons.md`). Linear models (contributions against the
    /// policy's baselines) and node-table tree ensembles (path contributions through node values
    /// committed with the trees) have the exact additive attribution this needs; a perceptron's
    /// contributions do not add up to its score, and the complete-tree circuits do not commit to
    /// node values.
    pub fn with_reasons(self, count: usize) -> Result<Self, ProfileError> {
        let why = match self.family {
            ModelFamily::Linear | ModelFamily::TreeTable { .. } => None,
            ModelFamily::Mlp { .. } | ModelFamily::DeepMlp { .. } => {
                Some("a perceptron has no exact additive attribution of its score to its features")
            }
            ModelFamily::Trees { .. } => Some(
                "complete-tree circuits do not commit to the node values path contributions need; \
                 name the ensemble by its node table (`trees-N-TlLhD-...`)",
            ),
        };
        if let Some(why) = why {
            return Err(ProfileError::Reasons {
                profile: self.name(),
                why,
            });
        }
        check("reason count", count, 1, MAX_REASONS)?;
        Ok(Profile {
            reasons: count,
            ..self
        })
    }

    /// How many reasons the composite proves (0: a profile without the `-rK` part).
    pub fn reasons(&self) -> usize {
        self.reasons
    }

    /// The same profile without proven reasons.
    pub fn without_reasons(&self) -> Profile {
        Profile {
            reasons: 0,
            ..*self
        }
    }

    /// The reference perceptron profile with score bands: `mlp-24x16-d20-b8-s16-p8-m4`.
    pub fn reference_mlp_band() -> Self {
        Self::reference(
            ModelFamily::Mlp { hidden: 16 },
            DecisionKind::ScoreBand { bands: 8 },
        )
    }

    /// The reference perceptron profile with a yes/no gate: `mlp-24x16-d20-s16-p8-m4-gate`.
    pub fn reference_mlp_gate() -> Self {
        Self::reference(ModelFamily::Mlp { hidden: 16 }, DecisionKind::Gate)
    }

    /// The reference linear profile with score bands: `linear-24-d20-b8-s16-p8-m4`.
    pub fn reference_linear_band() -> Self {
        Self::reference(ModelFamily::Linear, DecisionKind::ScoreBand { bands: 8 })
    }

    /// The reference linear profile with a yes/no gate: `linear-24-d20-s16-p8-m4-gate`.
    pub fn reference_linear_gate() -> Self {
        Self::reference(ModelFamily::Linear, DecisionKind::Gate)
    }

    /// The four reference profiles whose compiled circuits ship with govproof.
    pub fn references() -> [Profile; 4] {
        [
            Self::reference_mlp_band(),
            Self::reference_mlp_gate(),
            Self::reference_linear_band(),
            Self::reference_linear_gate(),
        ]
    }

    fn reference(family: ModelFamily, kind: DecisionKind) -> Self {
        Profile {
            family,
            features: 24,
            depth: 20,
            kind,
            scopes: 16,
            protected: 8,
            models: 4,
            reasons: 0,
        }
    }

    /// The model family.
    pub fn family(&self) -> ModelFamily {
        self.family
    }

    /// Number of input features.
    pub fn features(&self) -> usize {
        self.features
    }

    /// Hidden units of the first hidden layer (0 for a linear model and a tree ensemble); see
    /// [`Profile::hidden_layers`] for every layer.
    pub fn hidden(&self) -> usize {
        match self.family {
            ModelFamily::Linear | ModelFamily::Trees { .. } | ModelFamily::TreeTable { .. } => 0,
            ModelFamily::Mlp { hidden } => hidden,
            ModelFamily::DeepMlp { hidden } => hidden.widths()[0],
        }
    }

    /// The hidden layers' widths, first layer first (empty for a linear model and a tree
    /// ensemble).
    pub fn hidden_layers(&self) -> Vec<usize> {
        self.family.hidden_layers()
    }

    /// The ensemble's shape, for a tree profile.
    pub fn tree_shape(&self) -> Option<TreeShape> {
        match self.family {
            ModelFamily::Trees { trees, depth } => TreeShape::new(trees, depth),
            _ => None,
        }
    }

    /// The ensemble's shape, for a tree-table profile.
    pub fn table_shape(&self) -> Option<TableShape> {
        match self.family {
            ModelFamily::TreeTable {
                trees,
                leaves,
                depth,
            } => TableShape::new(trees, leaves, depth),
            _ => None,
        }
    }

    /// Registry tree depth.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Decision kind.
    pub fn kind(&self) -> DecisionKind {
        self.kind
    }

    /// Scope capacity of policies and registry entries.
    pub fn scopes(&self) -> usize {
        self.scopes
    }

    /// Protected-feature capacity of a policy.
    pub fn protected(&self) -> usize {
        self.protected
    }

    /// Allowed-model capacity of a policy.
    pub fn models(&self) -> usize {
        self.models
    }

    /// Number of weights (biases included) of a model of this profile.
    pub fn weight_count(&self) -> usize {
        let n = self.features;
        match self.family {
            ModelFamily::Linear => n + 1,
            ModelFamily::Mlp { hidden } => hidden * n + 2 * hidden + 1,
            ModelFamily::DeepMlp { hidden } => perceptron_weight_count(n, hidden.widths()),
            ModelFamily::Trees { trees, depth } => {
                2 * trees * ((1 << depth) - 1) + trees * (1 << depth) + 1 + n
            }
            // With proven reasons, one node value per internal slot follows the flags.
            ModelFamily::TreeTable { trees, leaves, .. } => {
                let nodes = trees * (leaves - 1);
                nodes + trees * leaves + 1 + n + if self.reasons > 0 { nodes } else { 0 }
            }
        }
    }

    /// Number of weight fields the circuit takes (its `weights` input): [`Profile::weight_count`],
    /// except for a tree table with proven reasons, whose circuit takes each internal node's word
    /// and value as one entry (`tree_table::entry_fields`).
    pub fn input_weight_count(&self) -> usize {
        match self.family {
            ModelFamily::TreeTable { trees, leaves, .. } if self.reasons > 0 => {
                self.weight_count() - trees * (leaves - 1)
            }
            _ => self.weight_count(),
        }
    }

    /// Length of the policy's decision rule: `bands + 2` for a band table, `1` for a gate.
    pub fn rule_len(&self) -> usize {
        match self.kind {
            DecisionKind::ScoreBand { bands } => bands + 2,
            DecisionKind::Gate => 1,
        }
    }

    /// The stable name, e.g. `mlp-24x16-d20-b8-s16-p8-m4` or `linear-24-d20-s16-p8-m4-gate`; a
    /// deeper perceptron lists every hidden width, e.g. `mlp-24x16x8-d20-b8-s16-p8-m4`.
    pub fn name(&self) -> String {
        self.to_string()
    }

    /// `label(name)`: the value a registry entry's profile field holds.
    pub fn id(&self) -> Field {
        label(&self.name())
    }

    /// Parses a name produced by [`Profile::name`].
    pub fn from_name(name: &str) -> Result<Self, ProfileError> {
        let bad = || ProfileError::Name(name.to_string());
        let number = |s: &str, prefix: &str| -> Result<usize, ProfileError> {
            let digits = s.strip_prefix(prefix).ok_or_else(bad)?;
            if digits.is_empty()
                || !digits.bytes().all(|b| b.is_ascii_digit())
                || (digits.len() > 1 && digits.starts_with('0'))
            {
                return Err(bad());
            }
            digits.parse().map_err(|_| bad())
        };
        let mut parts: Vec<&str> = name.split('-').collect();
        let gate = parts.last() == Some(&"gate");
        if gate {
            parts.pop();
        }
        // Proven reasons (`-rK`) come last, before `-gate`.
        let reasons = match parts.last() {
            Some(last) if last.starts_with('r') && parts.len() > 1 => {
                let r = number(last, "r")?;
                parts.pop();
                Some(r)
            }
            _ => None,
        };
        // A tree profile names its ensemble (`TREESxDEPTH`) after the feature count.
        let ensemble = if parts.first() == Some(&"trees") && parts.len() > 2 {
            Some(parts.remove(2))
        } else {
            None
        };
        let expected = if gate { 6 } else { 7 };
        if parts.len() != expected {
            return Err(bad());
        }
        let (family, features) = match parts[0] {
            "linear" => (ModelFamily::Linear, number(parts[1], "")?),
            "mlp" => {
                let mut sizes = parts[1].split('x');
                let n = number(sizes.next().ok_or_else(bad)?, "")?;
                let widths = sizes
                    .map(|h| number(h, ""))
                    .collect::<Result<Vec<usize>, _>>()?;
                if widths.is_empty() {
                    return Err(bad());
                }
                (ModelFamily::perceptron(&widths)?, n)
            }
            "trees" => {
                let ensemble = ensemble.ok_or_else(bad)?;
                let family = if let Some((t, rest)) = ensemble.split_once('l') {
                    // `TlLhD`: T trees of at most L leaves, depth D (a tree table).
                    let (l, d) = rest.split_once('h').ok_or_else(bad)?;
                    ModelFamily::TreeTable {
                        trees: number(t, "")?,
                        leaves: number(l, "")?,
                        depth: number(d, "")?,
                    }
                } else {
                    // `TxD`: T complete trees of depth D.
                    let (t, d) = ensemble.split_once('x').ok_or_else(bad)?;
                    ModelFamily::Trees {
                        trees: number(t, "")?,
                        depth: number(d, "")?,
                    }
                };
                (family, number(parts[1], "")?)
            }
            _ => return Err(bad()),
        };
        let depth = number(parts[2], "d")?;
        let mut rest = parts[3..].iter();
        let kind = if gate {
            DecisionKind::Gate
        } else {
            DecisionKind::ScoreBand {
                bands: number(rest.next().ok_or_else(bad)?, "b")?,
            }
        };
        let scopes = number(rest.next().ok_or_else(bad)?, "s")?;
        let protected = number(rest.next().ok_or_else(bad)?, "p")?;
        let models = number(rest.next().ok_or_else(bad)?, "m")?;
        let mut profile = Profile::new(family, features, depth, kind, scopes, protected, models)?;
        if let Some(r) = reasons {
            profile = profile.with_reasons(r)?;
        }
        if profile.name() != name {
            return Err(bad());
        }
        Ok(profile)
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.family {
            ModelFamily::Linear => write!(f, "linear-{}", self.features)?,
            ModelFamily::Mlp { hidden } => write!(f, "mlp-{}x{}", self.features, hidden)?,
            ModelFamily::DeepMlp { hidden } => {
                write!(f, "mlp-{}", self.features)?;
                for w in hidden.widths() {
                    write!(f, "x{w}")?;
                }
            }
            ModelFamily::Trees { trees, depth } => {
                write!(f, "trees-{}-{trees}x{depth}", self.features)?
            }
            ModelFamily::TreeTable {
                trees,
                leaves,
                depth,
            } => write!(f, "trees-{}-{trees}l{leaves}h{depth}", self.features)?,
        }
        write!(f, "-d{}", self.depth)?;
        if let DecisionKind::ScoreBand { bands } = self.kind {
            write!(f, "-b{bands}")?;
        }
        write!(f, "-s{}-p{}-m{}", self.scopes, self.protected, self.models)?;
        if self.reasons > 0 {
            write!(f, "-r{}", self.reasons)?;
        }
        if self.kind == DecisionKind::Gate {
            f.write_str("-gate")?;
        }
        Ok(())
    }
}

impl FromStr for Profile {
    type Err = ProfileError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::from_name(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reference_names() {
        let names: Vec<String> = Profile::references().iter().map(|p| p.name()).collect();
        assert_eq!(
            names,
            [
                "mlp-24x16-d20-b8-s16-p8-m4",
                "mlp-24x16-d20-s16-p8-m4-gate",
                "linear-24-d20-b8-s16-p8-m4",
                "linear-24-d20-s16-p8-m4-gate",
            ]
        );
        assert_eq!(Profile::reference_mlp_band().weight_count(), 417);
        for p in Profile::references() {
            assert_eq!(Profile::from_name(&p.name()).unwrap(), p);
        }
    }

    #[test]
    fn bad_names_and_capacities_are_refused() {
        for bad in [
            "",
            "mlp-24-d20-b8-s16-p8-m4",
            "linear-24-d20-b8-s16-p8",
            "linear-024-d20-b8-s16-p8-m4",
            "linear-24-d20-b8-s16-p8-m4-gate",
            "rnn-24-d20-b8-s16-p8-m4",
            "linear-24-d0-b8-s16-p8-m4",
            "linear-24-d20-b8-s16-p25-m4",
            "linear-24-d20-b8-s16-p0-m4",
        ] {
            assert!(Profile::from_name(bad).is_err(), "{bad}");
        }
        assert!(Profile::new(
            ModelFamily::Mlp { hidden: 300 },
            4,
            4,
            DecisionKind::Gate,
            1,
            0,
            1
        )
        .is_err());
    }

    #[test]
    fn tree_profiles_name_trees_by_depth() {
        let p = Profile::from_name("trees-20-30x3-d20-b8-s16-p8-m4").unwrap();
        assert_eq!(
            p.family(),
            ModelFamily::Trees {
                trees: 30,
                depth: 3
            }
        );
        assert_eq!(p.features(), 20);
        assert_eq!(p.weight_count(), 2 * 30 * 7 + 30 * 8 + 1 + 20);
        let g = Profile::from_name("trees-5-1x1-d4-s2-p1-m1-gate").unwrap();
        assert_eq!(g.name(), "trees-5-1x1-d4-s2-p1-m1-gate");
        for bad in [
            "trees-20-d20-b8-s16-p8-m4",
            "trees-20-30-d20-b8-s16-p8-m4",
            "trees-20-30x9-d20-b8-s16-p8-m4",
            "trees-20-0x3-d20-b8-s16-p8-m4",
            "trees-20x3-d20-b8-s16-p8-m4",
        ] {
            assert!(Profile::from_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tree_table_profiles_name_trees_leaves_and_depth() {
        let p = Profile::from_name("trees-20-500l31h12-d20-b8-s16-p8-m4").unwrap();
        assert_eq!(
            p.family(),
            ModelFamily::TreeTable {
                trees: 500,
                leaves: 31,
                depth: 12
            }
        );
        assert_eq!(p.weight_count(), 500 * 30 + 500 * 31 + 1 + 20);
        assert_eq!(p.table_shape().unwrap().code_bits(), 6);
        let g = Profile::from_name("trees-3-1l2h1-d4-s2-p1-m1-gate").unwrap();
        assert_eq!(g.name(), "trees-3-1l2h1-d4-s2-p1-m1-gate");
        for bad in [
            "trees-20-500l31-d20-b8-s16-p8-m4",
            "trees-20-500l31h31-d20-b8-s16-p8-m4",
            "trees-20-500l1h1-d20-b8-s16-p8-m4",
            "trees-20-0l31h3-d20-b8-s16-p8-m4",
            "trees-20-5000l31h3-d20-b8-s16-p8-m4",
            "trees-20-50l031h3-d20-b8-s16-p8-m4",
            "trees-256-5l31h3-d20-b8-s16-p8-m4",
        ] {
            assert!(Profile::from_name(bad).is_err(), "{bad}");
        }
        let e = Profile::from_name("trees-20-500l31h40-d20-b8-s16-p8-m4").unwrap_err();
        assert!(e.to_string().contains("depth 40"), "{e}");
    }

    #[test]
    fn deep_perceptron_profiles_name_every_hidden_layer() {
        let p = Profile::from_name("mlp-24x16x8-d20-b8-s16-p8-m4").unwrap();
        let hidden = HiddenLayers::new(&[16, 8]).unwrap();
        assert_eq!(p.family(), ModelFamily::DeepMlp { hidden });
        assert_eq!(p.hidden_layers(), vec![16, 8]);
        assert_eq!(p.hidden(), 16);
        // 16 x 24 + 16, 8 x 16 + 8, 8 + 1.
        assert_eq!(p.weight_count(), 400 + 136 + 9);
        let g = Profile::from_name("mlp-3x4x5x6-d4-s2-p1-m1-gate").unwrap();
        assert_eq!(g.hidden_layers(), vec![4, 5, 6]);
        assert_eq!(g.name(), "mlp-3x4x5x6-d4-s2-p1-m1-gate");
        // One hidden layer keeps its family, name and weight count.
        assert_eq!(
            ModelFamily::perceptron(&[16]).unwrap(),
            ModelFamily::Mlp { hidden: 16 }
        );
        assert_eq!(
            perceptron_weight_count(24, &[16]),
            Profile::reference_mlp_band().weight_count()
        );
        for bad in [
            "mlp-24x16x0-d20-b8-s16-p8-m4",
            "mlp-24x16x257-d20-b8-s16-p8-m4",
            "mlp-24x16x-d20-b8-s16-p8-m4",
            "mlp-24xx16-d20-b8-s16-p8-m4",
        ] {
            assert!(Profile::from_name(bad).is_err(), "{bad}");
        }
        let e = Profile::from_name("mlp-24x16x8x4x2-d20-b8-s16-p8-m4").unwrap_err();
        assert_eq!(e, ProfileError::HiddenLayers { layers: 4 });
        assert!(e.to_string().contains("got 4"), "{e}");
        assert!(HiddenLayers::new(&[4]).is_err());
        assert!(ModelFamily::perceptron(&[]).is_err());
    }

    #[test]
    fn reasons_are_a_linear_option_of_the_name() {
        let p = Profile::from_name("linear-24-d20-b8-s16-p8-m4-r4").unwrap();
        assert_eq!(p.reasons(), 4);
        assert_eq!(p.without_reasons(), Profile::reference_linear_band());
        assert_ne!(p.id(), Profile::reference_linear_band().id());
        let g = Profile::from_name("linear-24-d20-s16-p8-m4-r1-gate").unwrap();
        assert_eq!(g.without_reasons(), Profile::reference_linear_gate());
        assert_eq!(
            Profile::reference_linear_gate()
                .with_reasons(1)
                .unwrap()
                .name(),
            "linear-24-d20-s16-p8-m4-r1-gate"
        );
        for p in Profile::references() {
            assert_eq!(p.reasons(), 0);
            assert!(!p.name().contains("-r"));
        }
        for bad in [
            "linear-24-d20-b8-s16-p8-m4-r0",
            "linear-24-d20-b8-s16-p8-m4-r9",
            "linear-24-d20-b8-s16-p8-m4-r04",
            "linear-24-d20-b8-s16-p8-m4-r",
            "linear-24-d20-s16-p8-m4-gate-r4",
            "linear-24-d20-b8-s16-p8-r4-m4",
        ] {
            assert!(Profile::from_name(bad).is_err(), "{bad}");
        }
        for family in [
            "mlp-24x16-d20-b8-s16-p8-m4-r4",
            "mlp-24x16x8-d20-b8-s16-p8-m4-r4",
            "trees-20-30x3-d20-b8-s16-p8-m4-r4",
        ] {
            let e = Profile::from_name(family).unwrap_err();
            assert!(matches!(e, ProfileError::Reasons { .. }), "{family}: {e}");
        }
    }

    #[test]
    fn node_table_ensembles_prove_reasons_with_node_values_in_their_weights() {
        let plain = Profile::from_name("trees-20-5l8h3-d20-b8-s16-p8-m4").unwrap();
        let p = Profile::from_name("trees-20-5l8h3-d20-b8-s16-p8-m4-r4").unwrap();
        assert_eq!(p.reasons(), 4);
        assert_eq!(p.without_reasons(), plain);
        assert_eq!(p.name(), "trees-20-5l8h3-d20-b8-s16-p8-m4-r4");
        assert_ne!(p.id(), plain.id());
        // 5 trees of 7 internal slots: one node value each after the plain layout.
        assert_eq!(p.weight_count(), plain.weight_count() + 5 * 7);
        // The circuit takes each node's word and value as one entry.
        assert_eq!(p.input_weight_count(), plain.weight_count());
        assert_eq!(plain.input_weight_count(), plain.weight_count());
        let e = Profile::from_name("trees-20-30x3-d20-b8-s16-p8-m4-r4").unwrap_err();
        assert!(e.to_string().contains("node table"), "{e}");
    }

    proptest! {
        #[test]
        fn names_round_trip(
            mlp in any::<bool>(), n in 1usize..=256, h in 1usize..=256, d in 1usize..=32,
            gate in any::<bool>(), b in 1usize..=64, s in 1usize..=256, p in 1usize..=256,
            m in 1usize..=64,
        ) {
            let family = if mlp { ModelFamily::Mlp { hidden: h } } else { ModelFamily::Linear };
            let kind = if gate { DecisionKind::Gate } else { DecisionKind::ScoreBand { bands: b } };
            let p = p.min(n);
            let profile = Profile::new(family, n, d, kind, s, p, m).unwrap();
            prop_assert_eq!(Profile::from_name(&profile.name()).unwrap(), profile);
        }

        #[test]
        fn deep_names_round_trip(
            n in 1usize..=256, widths in proptest::collection::vec(1usize..=256, 2..=3),
            d in 1usize..=32, gate in any::<bool>(), b in 1usize..=64,
        ) {
            let family = ModelFamily::perceptron(&widths).unwrap();
            let kind = if gate { DecisionKind::Gate } else { DecisionKind::ScoreBand { bands: b } };
            let profile = Profile::new(family, n, d, kind, 4, 1, 2).unwrap();
            prop_assert_eq!(Profile::from_name(&profile.name()).unwrap(), profile);
            prop_assert_eq!(profile.hidden_layers(), widths.clone());
            prop_assert_eq!(profile.weight_count(), perceptron_weight_count(n, &widths));
        }
    }
}
