//! The figures an audit claims, computed from each row's proved outcome and the request's labels,
//! groups and pairs: band counts; approve, refer and decline rates; the confusion table at the
//! approve cut (accuracy, precision, recall); per-group approval rates with their ratio to the
//! best group (the four-fifths rule) and true-positive-rate gaps (equal opportunity); and whether
//! each counterfactual pair landed in one band.
//!
//! A rate whose denominator is zero is `null`. Claims are compared with recomputed figures as JSON
//! trees ([`differences`]): counts and names exactly, rates within `1e-9`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::bundle::PolicyOutcome;
use crate::policy::{Decision as PolicyDecision, Policy};

use super::request::{Label, Request};

/// What a row's proof shows: the band index (for a gate policy, the decision bit as 0 or 1) and
/// the policy's outcome for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowOutcome {
    /// The band index, or the gate's decision bit.
    pub band: u32,
    /// The policy's outcome for that band or side.
    pub outcome: PolicyOutcome,
}

impl RowOutcome {
    /// The outcome `policy` gives the public `band` (band index or decision bit), if it has one.
    pub fn from_public(policy: &Policy, band: u32) -> Option<RowOutcome> {
        let outcome = match policy.decision() {
            PolicyDecision::ScoreBand { bands, .. } => bands.get(band as usize)?.outcome.into(),
            PolicyDecision::Gate {
                at_or_above, below, ..
            } => match band {
                1 => (*at_or_above).into(),
                0 => (*below).into(),
                _ => return None,
            },
        };
        Some(RowOutcome { band, outcome })
    }
}

/// How many rows got one band.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BandCount {
    /// The band index (the decision bit for a gate).
    pub index: u32,
    /// The band's name (`at-or-above` / `below` for a gate).
    pub name: String,
    /// Its outcome.
    pub outcome: PolicyOutcome,
    /// Rows in it.
    pub count: usize,
}

/// A count and its share of the rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Share {
    /// How many.
    pub count: usize,
    /// `count / rows`.
    pub rate: Option<f64>,
}

/// The outcomes' shares.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeRates {
    /// Approved rows.
    pub approve: Share,
    /// Referred rows.
    pub refer: Share,
    /// Declined rows.
    pub decline: Share,
}

/// The confusion table against the labels: positive = approved at the cut, true = labelled good.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Confusion {
    /// What counts as approved.
    pub cut: String,
    /// Approved and good.
    pub true_positive: usize,
    /// Approved and bad.
    pub false_positive: usize,
    /// Not approved and bad.
    pub true_negative: usize,
    /// Not approved and good.
    pub false_negative: usize,
    /// `(tp + tn) / rows`.
    pub accuracy: Option<f64>,
    /// `tp / (tp + fp)`.
    pub precision: Option<f64>,
    /// `tp / (tp + fn)` (the true-positive rate).
    pub recall: Option<f64>,
}

/// One group's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupFigures {
    /// The group column's value.
    pub value: String,
    /// Rows in the group.
    pub rows: usize,
    /// Of them approved (at the cut).
    pub approved: usize,
    /// `approved / rows`.
    pub approval_rate: Option<f64>,
    /// The approval rate over the best group's.
    pub ratio_to_best: Option<f64>,
    /// Whether that ratio is below 0.8 (the four-fifths rule).
    pub below_four_fifths: bool,
    /// Rows labelled good (with labels).
    pub labelled_good: Option<usize>,
    /// Of them approved.
    pub true_positive: Option<usize>,
    /// `true_positive / labelled_good`.
    pub true_positive_rate: Option<f64>,
    /// The best group's true-positive rate minus this group's (equal opportunity).
    pub tpr_gap_to_best: Option<f64>,
}

/// The groups of one column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupColumn {
    /// The column.
    pub column: String,
    /// Its groups, by value.
    pub groups: Vec<GroupFigures>,
}

/// A counterfactual pair and the bands its rows landed in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairFigures {
    /// The pair column's value.
    pub pair: String,
    /// Its rows, from 1.
    pub rows: Vec<usize>,
    /// Their bands, in the same order.
    pub bands: Vec<u32>,
    /// Whether every row landed in one band.
    pub same_band: bool,
}

/// Every figure of an audit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    /// Rows.
    pub rows: usize,
    /// Rows per band (every band of the policy, in index order).
    pub bands: Vec<BandCount>,
    /// The outcomes' shares.
    pub outcomes: OutcomeRates,
    /// The confusion table (with labels).
    pub confusion: Option<Confusion>,
    /// Per-group figures, per group column.
    pub groups: Vec<GroupColumn>,
    /// The counterfactual pairs.
    pub pairs: Vec<PairFigures>,
}

fn ratio(n: usize, d: usize) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

/// The figures of `outcomes` (one per row of `request`, in order) under `policy`.
pub fn compute(policy: &Policy, request: &Request, outcomes: &[RowOutcome]) -> Figures {
    let rows = outcomes.len();
    let cut = request.settings().approve_cut;
    let approved = |o: &RowOutcome| match cut {
        Some(c) => o.band >= c,
        None => o.outcome == PolicyOutcome::Approve,
    };
    let bands: Vec<(u32, String, PolicyOutcome)> = match policy.decision() {
        PolicyDecision::ScoreBand { bands, .. } => bands
            .iter()
            .enumerate()
            .map(|(i, b)| (i as u32, b.name.as_str().to_string(), b.outcome.into()))
            .collect(),
        PolicyDecision::Gate {
            at_or_above, below, ..
        } => vec![
            (0, "below".to_string(), (*below).into()),
            (1, "at-or-above".to_string(), (*at_or_above).into()),
        ],
    };
    let bands = bands
        .into_iter()
        .map(|(index, name, outcome)| BandCount {
            index,
            name,
            outcome,
            count: outcomes.iter().filter(|o| o.band == index).count(),
        })
        .collect();
    let share = |what: PolicyOutcome| {
        let count = outcomes.iter().filter(|o| o.outcome == what).count();
        Share {
            count,
            rate: ratio(count, rows),
        }
    };
    let outcome_rates = OutcomeRates {
        approve: share(PolicyOutcome::Approve),
        refer: share(PolicyOutcome::Refer),
        decline: share(PolicyOutcome::Decline),
    };
    let labels: Option<Vec<Label>> = request.labels();
    let confusion = labels.as_ref().map(|labels| {
        let (mut tp, mut fp, mut tn, mut fn_) = (0, 0, 0, 0);
        for (o, &good) in outcomes.iter().zip(labels) {
            match (approved(o), good) {
                (true, true) => tp += 1,
                (true, false) => fp += 1,
                (false, false) => tn += 1,
                (false, true) => fn_ += 1,
            }
        }
        Confusion {
            cut: match cut {
                Some(c) => format!("band index >= {c}"),
                None => "outcome approve".to_string(),
            },
            true_positive: tp,
            false_positive: fp,
            true_negative: tn,
            false_negative: fn_,
            accuracy: ratio(tp + tn, rows),
            precision: ratio(tp, tp + fp),
            recall: ratio(tp, tp + fn_),
        }
    });
    let groups = request
        .groups()
        .into_iter()
        .map(|(column, values)| {
            // value -> (rows, approved, good, approved and good)
            let mut by: BTreeMap<String, (usize, usize, usize, usize)> = BTreeMap::new();
            for (i, (value, o)) in values.iter().zip(outcomes).enumerate() {
                let e = by.entry(value.clone()).or_default();
                let good = labels.as_ref().is_some_and(|l| l[i]);
                e.0 += 1;
                e.1 += usize::from(approved(o));
                e.2 += usize::from(good);
                e.3 += usize::from(good && approved(o));
            }
            let best_rate = by
                .values()
                .filter_map(|&(n, a, _, _)| ratio(a, n))
                .fold(None, |m: Option<f64>, r| Some(m.map_or(r, |m| m.max(r))));
            let best_tpr = by
                .values()
                .filter_map(|&(_, _, g, tp)| ratio(tp, g))
                .fold(None, |m: Option<f64>, r| Some(m.map_or(r, |m| m.max(r))));
            let groups = by
                .into_iter()
                .map(|(value, (n, a, g, tp))| {
                    let rate = ratio(a, n);
                    let ratio_to_best = match (rate, best_rate) {
                        (Some(r), Some(b)) if b > 0.0 => Some(r / b),
                        _ => None,
                    };
                    let tpr = labels.as_ref().and_then(|_| ratio(tp, g));
                    GroupFigures {
                        value,
                        rows: n,
                        approved: a,
                        approval_rate: rate,
                        ratio_to_best,
                        below_four_fifths: ratio_to_best.is_some_and(|r| r < 0.8),
                        labelled_good: labels.as_ref().map(|_| g),
                        true_positive: labels.as_ref().map(|_| tp),
                        true_positive_rate: tpr,
                        tpr_gap_to_best: match (tpr, best_tpr) {
                            (Some(t), Some(b)) => Some(b - t),
                            _ => None,
                        },
                    }
                })
                .collect();
            GroupColumn { column, groups }
        })
        .collect();
    let pairs = request
        .pairs()
        .into_iter()
        .map(|(pair, members)| {
            let bands: Vec<u32> = members
                .iter()
                .filter_map(|&r| outcomes.get(r - 1).map(|o| o.band))
                .collect();
            PairFigures {
                same_band: bands.windows(2).all(|w| w[0] == w[1]),
                pair,
                rows: members,
                bands,
            }
        })
        .collect();
    Figures {
        rows,
        bands,
        outcomes: outcome_rates,
        confusion,
        groups,
        pairs,
    }
}

impl Figures {
    /// The figures as the JSON an audit file claims.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_else(|e| unreachable!("figures serialize: {e}"))
    }
}

/// Where the claimed figures differ from the recomputed ones, one phrase each (at most `limit`).
pub fn differences(claimed: &Value, proved: &Value, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    walk("", claimed, proved, &mut out, limit);
    out
}

fn walk(path: &str, claimed: &Value, proved: &Value, out: &mut Vec<String>, limit: usize) {
    if out.len() >= limit {
        return;
    }
    let name = if path.is_empty() { "figures" } else { path };
    match (claimed, proved) {
        (Value::Number(c), Value::Number(p)) => {
            let same = match (c.as_u64(), p.as_u64()) {
                (Some(c), Some(p)) => c == p,
                _ => match (c.as_f64(), p.as_f64()) {
                    (Some(c), Some(p)) => (c - p).abs() <= 1e-9,
                    _ => false,
                },
            };
            if !same {
                out.push(format!(
                    "claimed `{name}` is {c}, the proofs give {}",
                    show(proved)
                ));
            }
        }
        (Value::Object(c), Value::Object(p)) => {
            for (k, pv) in p {
                let sub = join(path, k);
                match c.get(k) {
                    Some(cv) => walk(&sub, cv, pv, out, limit),
                    None => out.push(format!("the claims leave out `{sub}`")),
                }
            }
            for k in c.keys().filter(|k| !p.contains_key(*k)) {
                out.push(format!("claimed `{}` is not a figure", join(path, k)));
            }
        }
        (Value::Array(c), Value::Array(p)) if c.len() == p.len() => {
            for (i, (cv, pv)) in c.iter().zip(p).enumerate() {
                walk(&format!("{path}[{i}]"), cv, pv, out, limit);
            }
        }
        (Value::Array(c), Value::Array(p)) => out.push(format!(
            "claimed `{name}` has {} entries, the proofs give {}",
            c.len(),
            p.len()
        )),
        (c, p) if c == p => {}
        (c, p) => out.push(format!(
            "claimed `{name}` is {}, the proofs give {}",
            show(c),
            show(p)
        )),
    }
    out.truncate(limit);
}

fn join(path: &str, key: &str) -> String {
    let key = super::request::shorten(key);
    if path.is_empty() {
        key
    } else {
        format!("{path}.{key}")
    }
}

fn show(v: &Value) -> String {
    let text = v.to_string();
    super::request::shorten(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_name_the_figure_and_both_values() {
        let proved = serde_json::json!({"rows": 3, "confusion": {"accuracy": 0.5, "cut": "x"}, "pairs": [1, 2]});
        assert!(differences(&proved, &proved, 10).is_empty());
        let mut claimed = proved.clone();
        claimed["confusion"]["accuracy"] = serde_json::json!(0.5 + 1e-12);
        assert!(differences(&claimed, &proved, 10).is_empty());
        claimed["confusion"]["accuracy"] = serde_json::json!(0.75);
        claimed["extra"] = serde_json::json!(1);
        claimed["pairs"] = serde_json::json!([1]);
        let d = differences(&claimed, &proved, 10).join("; ");
        assert!(
            d.contains("claimed `confusion.accuracy` is 0.75, the proofs give 0.5"),
            "{d}"
        );
        assert!(d.contains("claimed `extra` is not a figure"), "{d}");
        assert!(
            d.contains("claimed `pairs` has 1 entries, the proofs give 2"),
            "{d}"
        );
    }
}
