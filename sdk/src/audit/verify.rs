//! `audit verify`: every check an auditor runs on an audit file against their own request, and
//! the report (text, JSON, HTML).
//!
//! In order: the audit file answers this request (its digest); every row of the request has
//! exactly one decision and no other rows appear; no row was refused; every bundle passes every
//! check of the bundled verifier against the trusted root and the policy (their proofs checked
//! together, [`crate::bundle::BundleVerifier::verify_many`], 256 at a time); all bundles name one
//! model id and version, the policy given, and one registry snapshot (version and Merkle root);
//! each bundle's decision id is its row's derived id, its time and scope the request's, and its
//! input commitment the commitment of its row's features under the row's derived salt. Then the
//! figures are recomputed from the outcomes the proofs carry (the band index among the public
//! inputs, named by the policy file) and the request's labels, groups and pairs, and compared
//! with the claims; every counterfactual pair must land in one band. Every refusal names its
//! reason and the rows concerned.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{json, Value};

use crate::bundle::portfolio::{html, DOES_NOT_PROVE, PROVES};
use crate::bundle::{Bundle, BundleVerifier, CheckStatus, Verdict, VerifyOptions};
use crate::circuits::Features;
use crate::field::Field;
use crate::policy::Policy;

use super::figures::{compute, differences, Figures, RowOutcome};
use super::file::AuditFile;
use super::prove::band_of;
use super::request::{shorten, Request};

/// What an audit's figures do not show, beside what each bundle does not prove.
const AUDIT_DOES_NOT_PROVE: &str = "that the model behaves on the lender's real applicants as on \
     the auditor's rows: the figures are the model's outcomes on this request's rows only";

/// How many bundles are verified with one batch pairing.
const CHUNK: usize = 256;
/// Most rows one finding lists.
const MAX_ROWS_SHOWN: usize = 50;

/// What kind of problem a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// The audit file answers another request.
    Request,
    /// A row of the request has no decision.
    MissingRow,
    /// A row has more than one decision.
    RepeatedRow,
    /// A decision names a row the request does not have.
    UnknownRow,
    /// The lender's policy or registry refused a row.
    RefusedRow,
    /// A bundle fails a check of the bundled verifier.
    Bundle,
    /// A bundle's checks could not all be run.
    CouldNotCheck,
    /// Bundles name another model, or different models.
    Model,
    /// A bundle was proved under another policy than the one given.
    Policy,
    /// Bundles carry different registry snapshots.
    Snapshot,
    /// A bundle's decision id is not its row's.
    DecisionId,
    /// A bundle's decision time or scope is not the request's.
    TimeOrScope,
    /// A bundle's input commitment does not open to its row's features.
    Input,
    /// A claimed figure differs from the recomputed one.
    Claims,
    /// A counterfactual pair landed in different bands.
    Counterfactual,
    /// A stated benchmark figure is not the proved one.
    Benchmark,
}

impl FindingKind {
    /// The kind's name in reports.
    pub fn as_str(&self) -> &'static str {
        match self {
            FindingKind::Request => "request",
            FindingKind::MissingRow => "missing-row",
            FindingKind::RepeatedRow => "repeated-row",
            FindingKind::UnknownRow => "unknown-row",
            FindingKind::RefusedRow => "refused-row",
            FindingKind::Bundle => "bundle",
            FindingKind::CouldNotCheck => "could-not-check",
            FindingKind::Model => "model",
            FindingKind::Policy => "policy",
            FindingKind::Snapshot => "snapshot",
            FindingKind::DecisionId => "decision-id",
            FindingKind::TimeOrScope => "time-or-scope",
            FindingKind::Input => "input",
            FindingKind::Claims => "claims",
            FindingKind::Counterfactual => "counterfactual",
            FindingKind::Benchmark => "benchmark",
        }
    }
}

/// One reason an audit is refused, with the rows concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What kind.
    pub kind: FindingKind,
    /// The rows concerned (from 1; empty when it concerns the whole file).
    pub rows: Vec<usize>,
    /// What is wrong, in one line.
    pub detail: String,
}

impl Finding {
    /// `kind (rows 1, 2): detail`.
    pub fn line(&self) -> String {
        if self.rows.is_empty() {
            format!("{}: {}", self.kind.as_str(), self.detail)
        } else {
            format!(
                "{} ({}): {}",
                self.kind.as_str(),
                rows_text(&self.rows),
                self.detail
            )
        }
    }
}

fn rows_text(rows: &[usize]) -> String {
    let shown: Vec<String> = rows
        .iter()
        .take(MAX_ROWS_SHOWN)
        .map(ToString::to_string)
        .collect();
    let word = if rows.len() == 1 { "row" } else { "rows" };
    if rows.len() > MAX_ROWS_SHOWN {
        format!(
            "{word} {} and {} more",
            shown.join(", "),
            rows.len() - MAX_ROWS_SHOWN
        )
    } else {
        format!("{word} {}", shown.join(", "))
    }
}

/// What the auditor passes besides the files.
#[derive(Debug, Clone)]
pub struct AuditCheck {
    /// The bundled verifier's options (trust root, accepted setups; the policy is set from the
    /// policy given).
    pub verify: VerifyOptions,
    /// A stated accuracy to hold the proved one to (`0.75`: accepted when the proved accuracy
    /// rounds to it at the decimals given).
    pub stated_accuracy: Option<String>,
}

/// The report of `audit verify`.
#[derive(Debug, Clone)]
pub struct AuditReport {
    /// The request's digest.
    pub request_digest: String,
    /// The data file's digest.
    pub data_digest: String,
    /// The request's rows.
    pub rows: usize,
    /// `id@version` of the model the file names.
    pub model: String,
    /// `id@version (hash)` of the policy given.
    pub policy: String,
    /// The snapshot the bundles carry (`version N, root 0x...`), when they agree.
    pub snapshot: Option<String>,
    /// Bundles that passed every check.
    pub bundles_valid: usize,
    /// Batch proofs that verified against the audit's head bundle.
    pub batches_valid: usize,
    /// Rows those batch proofs prove.
    pub batch_rows_valid: usize,
    /// Whether any bundle was made with the development setup.
    pub development_setup: bool,
    /// The recomputed figures, when every row has a proved outcome.
    pub figures: Option<Figures>,
    /// The stated accuracy and whether it was confirmed.
    pub benchmark: Option<(String, bool)>,
    /// Every reason the audit is refused.
    pub findings: Vec<Finding>,
}

/// Checks `audit` against `request` under `policy` (see the module documentation).
pub fn verify(
    request: &Request,
    policy: &Policy,
    audit: &AuditFile,
    check: &AuditCheck,
) -> AuditReport {
    let mut findings = Vec::new();
    let mut report = AuditReport {
        request_digest: request.digest().to_hex(),
        data_digest: request.data_digest(),
        rows: request.rows().len(),
        model: format!(
            "{}@{}",
            shorten(&audit.model.id),
            shorten(&audit.model.version)
        ),
        policy: format!(
            "{}@{} ({})",
            policy.id().as_str(),
            policy.version().as_str(),
            policy.hash()
        ),
        snapshot: None,
        bundles_valid: 0,
        batches_valid: 0,
        batch_rows_valid: 0,
        development_setup: false,
        figures: None,
        benchmark: None,
        findings: Vec::new(),
    };
    if audit.request_digest != request.digest() {
        findings.push(Finding {
            kind: FindingKind::Request,
            rows: Vec::new(),
            detail: format!(
                "the audit file answers request {}, not this request ({})",
                audit.request_digest,
                request.digest()
            ),
        });
        report.findings = findings;
        return report;
    }
    let features = match request.features(policy) {
        Ok(f) => f,
        Err(e) => {
            findings.push(Finding {
                kind: FindingKind::Request,
                rows: Vec::new(),
                detail: e.to_string(),
            });
            report.findings = findings;
            return report;
        }
    };
    let total = features.len();

    // Rows: each exactly once, none unknown, none refused.
    let mut by_row: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, d) in audit.decisions.iter().enumerate() {
        by_row.entry(d.row).or_default().push(i);
    }
    let missing: Vec<usize> = (1..=total).filter(|r| !by_row.contains_key(r)).collect();
    push(&mut findings, FindingKind::MissingRow, missing, |n| {
        format!("{n} of the request's {total} rows have no decision in the audit file")
    });
    let repeated: Vec<usize> = by_row
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(&r, _)| r)
        .collect();
    push(&mut findings, FindingKind::RepeatedRow, repeated, |_| {
        "the audit file holds more than one decision for these rows".to_string()
    });
    let unknown: Vec<usize> = by_row
        .keys()
        .copied()
        .filter(|&r| r < 1 || r > total)
        .collect();
    push(&mut findings, FindingKind::UnknownRow, unknown, |_| {
        format!("the request has rows 1 to {total} only")
    });
    for d in &audit.decisions {
        if let (None, Some(reasons)) = (&d.bundle, &d.refused) {
            findings.push(Finding {
                kind: FindingKind::RefusedRow,
                rows: vec![d.row],
                detail: format!(
                    "not proved; the lender says it was refused: {}",
                    shorten_all(&reasons.join("; "))
                ),
            });
        } else if d.bundle.is_none() && d.batch.is_none() {
            findings.push(Finding {
                kind: FindingKind::RefusedRow,
                rows: vec![d.row],
                detail: "not proved: the decision carries no bundle and no batch".to_string(),
            });
        }
    }

    // Every bundle through the bundled verifier, proofs in batches.
    let mut verifier = BundleVerifier::new(VerifyOptions {
        policy: Some(policy.clone()),
        ..check.verify.clone()
    });
    let with_bundle: Vec<(usize, Vec<u8>)> = audit
        .decisions
        .iter()
        .filter_map(|d| {
            let bundle = d.bundle.as_ref()?;
            Some((d.row, serde_json::to_vec(bundle).unwrap_or_default()))
        })
        .collect();
    let mut outcomes: BTreeMap<usize, RowOutcome> = BTreeMap::new();
    let (mut bad_bundle, mut unchecked): (
        BTreeMap<String, Vec<usize>>,
        BTreeMap<String, Vec<usize>>,
    ) = (BTreeMap::new(), BTreeMap::new());
    let mut models: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut snapshots: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let (mut wrong_policy, mut wrong_id, mut wrong_time, mut wrong_input) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let settings = request.settings();
    let digest = request.digest();
    // The first bundle that passes every check: the batch proofs are checked against its
    // registry root, policy hash, model, scope and time.
    let mut head: Option<Bundle> = None;
    for chunk in with_bundle.chunks(CHUNK) {
        let bytes: Vec<&[u8]> = chunk.iter().map(|(_, b)| b.as_slice()).collect();
        let reports = verifier.verify_many(&bytes, None);
        for ((row, _), rep) in chunk.iter().zip(reports) {
            let row = *row;
            let verdict = rep.verdict();
            let failing = |want: CheckStatus| {
                rep.checks()
                    .iter()
                    .filter(|c| c.status == want)
                    .map(|c| format!("{}: {}", c.name.as_str(), c.detail))
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            match verdict {
                Verdict::Invalid => {
                    bad_bundle
                        .entry(failing(CheckStatus::Fail))
                        .or_default()
                        .push(row);
                    continue;
                }
                Verdict::CouldNotCheck => {
                    unchecked
                        .entry(failing(CheckStatus::Error))
                        .or_default()
                        .push(row);
                    continue;
                }
                Verdict::ValidPolicyNotChecked => {
                    // With the policy given this cannot happen; refuse rather than trust words.
                    wrong_policy.push(row);
                    continue;
                }
                Verdict::ValidDevelopmentSetup => report.development_setup = true,
                Verdict::Valid => {}
            }
            let Some(b) = rep.bundle() else { continue };
            report.bundles_valid += 1;
            if head.is_none()
                && b.policy.hash == policy.hash()
                && b.decision.time == settings.time
                && b.decision.scope == settings.scope
            {
                head = Some(b.clone());
            }
            models.entry(model_key(b)).or_default().push(row);
            snapshots.entry(snapshot_key(b)).or_default().push(row);
            if b.policy.hash != policy.hash() {
                wrong_policy.push(row);
            }
            if b.decision.id != digest.decision_id(row) {
                wrong_id.push(row);
            }
            if b.decision.time != settings.time || b.decision.scope != settings.scope {
                wrong_time.push(row);
            }
            if let Some(f) = features.get(row.wrapping_sub(1)) {
                if !opens(b, f, digest.salt(row)) {
                    wrong_input.push(row);
                }
            }
            if let Some(o) = band_of(b).and_then(|band| RowOutcome::from_public(policy, band)) {
                outcomes.entry(row).or_insert(o);
            }
        }
    }
    check_batches(
        audit,
        request,
        policy,
        &features,
        head.as_ref(),
        &mut report,
        &mut outcomes,
        &mut bad_bundle,
        &mut unchecked,
        &mut models,
        &mut snapshots,
    );
    for (detail, rows) in bad_bundle {
        findings.push(Finding {
            kind: FindingKind::Bundle,
            rows,
            detail: format!("INVALID: {detail}"),
        });
    }
    for (detail, rows) in unchecked {
        findings.push(Finding {
            kind: FindingKind::CouldNotCheck,
            rows,
            detail: format!("COULD NOT CHECK: {detail}"),
        });
    }
    let claimed_model = format!("{}@{}", audit.model.id, audit.model.version);
    if models.len() > 1 {
        // The majority model is the audit's; every other row is named.
        let main = models
            .iter()
            .max_by_key(|(_, rows)| rows.len())
            .map(|(m, _)| m.clone())
            .unwrap_or_default();
        for (m, rows) in &models {
            if *m != main {
                findings.push(Finding {
                    kind: FindingKind::Model,
                    rows: rows.clone(),
                    detail: format!(
                        "proved with model `{}`, the other rows with `{}`",
                        shorten(m),
                        shorten(&main)
                    ),
                });
            }
        }
    }
    if let Some((m, rows)) = models.iter().find(|(m, _)| **m != claimed_model) {
        if models.len() == 1 {
            findings.push(Finding {
                kind: FindingKind::Model,
                rows: rows.clone(),
                detail: format!(
                    "proved with model `{}`, the audit file names `{}`",
                    shorten(m),
                    shorten(&claimed_model)
                ),
            });
        }
    }
    if snapshots.len() > 1 {
        for (s, rows) in &snapshots {
            findings.push(Finding {
                kind: FindingKind::Snapshot,
                rows: rows.clone(),
                detail: format!(
                    "carry registry snapshot {s}; the audit's bundles carry {} different snapshots",
                    snapshots.len()
                ),
            });
        }
    } else {
        report.snapshot = snapshots.keys().next().cloned();
    }
    push(&mut findings, FindingKind::Policy, wrong_policy, |_| {
        format!("not proved under the policy given ({})", report.policy)
    });
    push(&mut findings, FindingKind::DecisionId, wrong_id, |_| {
        format!(
            "the decision id is not the row's derived id `audit-{}-<row>`",
            digest
        )
    });
    push(&mut findings, FindingKind::TimeOrScope, wrong_time, |_| {
        format!(
            "decided at another time or scope than the request's {} and `{}`",
            settings.time, settings.scope
        )
    });
    push(&mut findings, FindingKind::Input, wrong_input, |_| {
        "the input commitment does not open to the row's features with the row's derived salt: \
         the decision was not made on the request's row"
            .to_string()
    });

    // Figures from the proved outcomes, when every row has one.
    if outcomes.len() == total && (1..=total).all(|r| outcomes.contains_key(&r)) {
        let ordered: Vec<RowOutcome> = (1..=total)
            .filter_map(|r| outcomes.get(&r).copied())
            .collect();
        let figures = compute(policy, request, &ordered);
        let proved = figures.to_json();
        let diffs = differences(&audit.claims, &proved, 20);
        if !diffs.is_empty() {
            findings.push(Finding {
                kind: FindingKind::Claims,
                rows: Vec::new(),
                detail: diffs.join("; "),
            });
        }
        for p in figures.pairs.iter().filter(|p| !p.same_band) {
            let bands: Vec<String> = p.bands.iter().map(ToString::to_string).collect();
            findings.push(Finding {
                kind: FindingKind::Counterfactual,
                rows: p.rows.clone(),
                detail: format!(
                    "counterfactual pair `{}` lands in bands {}: the outcome changes with what \
                     the pair varies",
                    shorten(&p.pair),
                    bands.join(", ")
                ),
            });
        }
        if let Some(stated) = &check.stated_accuracy {
            let proved_acc = figures.confusion.as_ref().and_then(|c| c.accuracy);
            let ok = match (stated_value(stated), proved_acc) {
                (Some((value, half_unit)), Some(p)) => (p - value).abs() <= half_unit + 1e-12,
                _ => false,
            };
            if !ok {
                findings.push(Finding {
                    kind: FindingKind::Benchmark,
                    rows: Vec::new(),
                    detail: match proved_acc {
                        Some(p) => format!(
                            "the stated accuracy `{}` is not the proved accuracy {p:.6} on data set {}",
                            shorten(stated),
                            request.data_digest()
                        ),
                        None => "no accuracy is proved: the request has no label column".into(),
                    },
                });
            }
            report.benchmark = Some((stated.clone(), ok));
        }
        report.figures = Some(figures);
    }
    findings.sort_by_key(|f| f.kind);
    report.findings = findings;
    report
}

/// Checks every batch proof of `audit` against the head bundle (see [`super::batch`]): the rows
/// it names must be the request's and say they are in it, and the proof must hold for the head's
/// shared public inputs and, row by row, the commitment the auditor recomputes from the request,
/// the derived decision id and the outcome the audit file claims. Rows of a batch that holds are
/// counted under the head's model and snapshot, with their claimed outcomes; the others are
/// findings.
#[allow(clippy::too_many_arguments)]
fn check_batches(
    audit: &AuditFile,
    request: &Request,
    policy: &Policy,
    features: &[Features],
    head: Option<&Bundle>,
    report: &mut AuditReport,
    outcomes: &mut BTreeMap<usize, RowOutcome>,
    bad: &mut BTreeMap<String, Vec<usize>>,
    unchecked: &mut BTreeMap<String, Vec<usize>>,
    models: &mut BTreeMap<String, Vec<usize>>,
    snapshots: &mut BTreeMap<String, Vec<usize>>,
) {
    let digest = request.digest();
    let decision_of = |row: usize| audit.decisions.iter().find(|d| d.row == row);
    // A row that names a batch must be listed by it.
    for d in &audit.decisions {
        if let Some(k) = d.batch {
            if !audit
                .batches
                .get(k)
                .is_some_and(|b| b.rows.contains(&d.row))
            {
                bad.entry(format!(
                    "the row names batch proof {k}, which does not prove it"
                ))
                .or_default()
                .push(d.row);
            }
        }
    }
    for (k, batch) in audit.batches.iter().enumerate() {
        let mut rows = batch.rows.clone();
        rows.sort_unstable();
        rows.dedup();
        let mut slots = Vec::new();
        let mut problem = None;
        if rows.len() != batch.rows.len() {
            problem = Some(format!("batch proof {k} lists a row twice"));
        }
        for &row in &batch.rows {
            let d = decision_of(row);
            let f = features.get(row.wrapping_sub(1));
            match (d, f) {
                (Some(d), Some(f)) if d.batch == Some(k) && d.bundle.is_none() => match d.outcome {
                    Some(o) => slots.push((
                        f.commitment(digest.salt(row)),
                        digest.decision_id(row).label(),
                        o,
                    )),
                    None => {
                        problem = Some(format!("row {row} of batch proof {k} claims no outcome"))
                    }
                },
                _ => {
                    problem.get_or_insert(format!(
                        "batch proof {k} lists row {row}, which is not a row of the request proved by it"
                    ));
                }
            }
        }
        let listed: Vec<usize> = batch
            .rows
            .iter()
            .copied()
            .filter(|&r| r >= 1 && r <= features.len())
            .collect();
        if let Some(p) = problem {
            bad.entry(p).or_default().extend(listed);
            continue;
        }
        let Some(head) = head else {
            unchecked
                .entry(
                    "no bundle of the audit passes every check, so nothing vouches for the \
                     registry snapshot, policy and model the batch proofs are checked against"
                        .to_string(),
                )
                .or_default()
                .extend(listed);
            continue;
        };
        match super::batch::verify_batch(batch, head, &slots) {
            Ok(()) => {
                report.batches_valid += 1;
                report.batch_rows_valid += listed.len();
                for &row in &listed {
                    models.entry(model_key(head)).or_default().push(row);
                    snapshots.entry(snapshot_key(head)).or_default().push(row);
                }
                for (&row, slot) in batch.rows.iter().zip(&slots) {
                    if let Some(o) = RowOutcome::from_public(policy, slot.2) {
                        outcomes.entry(row).or_insert(o);
                    }
                }
            }
            Err(e) => bad.entry(e).or_default().extend(listed),
        }
    }
}

/// How the audit's rows are grouped by model: `id@version` of the bundle's model.
fn model_key(b: &Bundle) -> String {
    format!("{}@{}", b.model.id, b.model.version)
}

/// How the audit's rows are grouped by registry snapshot: its version and Merkle root.
fn snapshot_key(b: &Bundle) -> String {
    let snap = &b.registry.snapshot.signed;
    format!("version {}, root {}", snap.version(), snap.merkle_root())
}

/// A stated decimal and half a unit of its last digit: `0.75` -> (0.75, 0.005).
fn stated_value(text: &str) -> Option<(f64, f64)> {
    let value: f64 = text.trim().parse().ok().filter(|v: &f64| v.is_finite())?;
    let decimals = text.trim().split_once('.').map_or(0, |(_, d)| d.len());
    Some((value, 0.5 * 10f64.powi(-(decimals as i32))))
}

fn opens(b: &Bundle, features: &Features, salt: Field) -> bool {
    features.commitment(salt) == b.input_commitment
}

fn push(
    findings: &mut Vec<Finding>,
    kind: FindingKind,
    rows: Vec<usize>,
    detail: impl FnOnce(usize) -> String,
) {
    if !rows.is_empty() {
        let d = detail(rows.len());
        findings.push(Finding {
            kind,
            rows,
            detail: d,
        });
    }
}

fn shorten_all(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() > 400 {
        format!("{}...", flat.chars().take(400).collect::<String>())
    } else {
        flat
    }
}

impl AuditReport {
    /// The verdict: invalid when a finding refuses the audit, could not check when a bundle's
    /// checks could not all run, valid (development setup: not evidence) when a bundle was made
    /// with the development setup, else valid.
    pub fn verdict(&self) -> Verdict {
        if self
            .findings
            .iter()
            .any(|f| f.kind != FindingKind::CouldNotCheck)
        {
            Verdict::Invalid
        } else if !self.findings.is_empty() {
            Verdict::CouldNotCheck
        } else if self.development_setup {
            Verdict::ValidDevelopmentSetup
        } else {
            Verdict::Valid
        }
    }

    /// The report for a person.
    pub fn render_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "audit of request {}", self.request_digest);
        let _ = writeln!(s, "  data set {} ({} rows)", self.data_digest, self.rows);
        let _ = writeln!(s, "  model    {}", self.model);
        let _ = writeln!(s, "  policy   {}", self.policy);
        if let Some(snap) = &self.snapshot {
            let _ = writeln!(s, "  registry snapshot {snap}");
        }
        let _ = writeln!(
            s,
            "  bundles  {} of {} rows pass every check of the bundled verifier",
            self.bundles_valid, self.rows
        );
        if self.batches_valid > 0 {
            let _ = writeln!(
                s,
                "  batches  {} more rows in {} batch proofs verified against a valid bundle's \
                 registry root, policy, model, scope and time",
                self.batch_rows_valid, self.batches_valid
            );
        }
        if let Some(f) = &self.figures {
            s.push('\n');
            s.push_str(&figures_text(f));
        } else {
            s.push_str("\nfigures not recomputed: not every row has a proved outcome\n");
        }
        if let Some((stated, ok)) = &self.benchmark {
            let acc = self
                .figures
                .as_ref()
                .and_then(|f| f.confusion.as_ref())
                .and_then(|c| c.accuracy);
            let _ = writeln!(
                s,
                "\nbenchmark: stated accuracy {stated} on data set {}: {} (proved {})",
                self.data_digest,
                if *ok { "CONFIRMED" } else { "REFUSED" },
                acc.map_or("none".into(), |a| format!("{a:.6}"))
            );
        }
        if !self.findings.is_empty() {
            s.push_str("\nrefused because\n");
            for f in &self.findings {
                let _ = writeln!(s, "  {}", f.line());
            }
        }
        let verdict = self.verdict();
        let _ = writeln!(s, "\n{} (exit {})", verdict_line(verdict), verdict as u8);
        s
    }

    /// The report for tools.
    pub fn to_json(&self) -> Value {
        let verdict = self.verdict();
        json!({
            "format": "govproof-audit-report",
            "version": 1,
            "verdict": verdict.as_str(),
            "exit": verdict as u8,
            "request_digest": self.request_digest,
            "data_digest": self.data_digest,
            "rows": self.rows,
            "model": self.model,
            "policy": self.policy,
            "snapshot": self.snapshot,
            "bundles_valid": self.bundles_valid,
            "batches_valid": self.batches_valid,
            "batch_rows_valid": self.batch_rows_valid,
            "development_setup": self.development_setup,
            "figures": self.figures.as_ref().map(Figures::to_json),
            "benchmark": self.benchmark.as_ref().map(|(stated, ok)| json!({
                "stated_accuracy": stated, "confirmed": ok
            })),
            "findings": self.findings,
        })
    }

    /// One self-contained HTML page in the portfolio report's style (inline CSS, no script, no
    /// outside resource; every value escaped).
    pub fn render_html(&self) -> String {
        let verdict = self.verdict();
        let mut s = String::from(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
             style-src 'unsafe-inline'\">\n<title>govproof audit report</title>\n<style>\n\
             body{font-family:sans-serif;margin:2em;color:#111}\
             table{border-collapse:collapse;font-size:0.9em;margin-bottom:1em}\
             th,td{border:1px solid #999;padding:0.3em 0.5em;text-align:left;vertical-align:top}\
             th{background:#eee}.invalid,.could-not-check{background:#fdd}\
             .valid-development-setup,.valid-policy-not-checked{background:#ffd}\
             .valid{background:#dfd}code{word-break:break-all}\n</style>\n</head>\n<body>\n\
             <h1>govproof audit report</h1>\n",
        );
        let _ = writeln!(
            s,
            "<p class=\"{}\"><strong>{}</strong></p>",
            verdict.as_str(),
            html(&verdict_line(verdict))
        );
        s.push_str("<table>\n");
        let mut row = |k: &str, v: &str| {
            let _ = writeln!(
                s,
                "<tr><th>{}</th><td><code>{}</code></td></tr>",
                html(k),
                html(v)
            );
        };
        row("request", &self.request_digest);
        row(
            "data set",
            &format!("{} ({} rows)", self.data_digest, self.rows),
        );
        row("model", &self.model);
        row("policy", &self.policy);
        row(
            "registry snapshot",
            self.snapshot.as_deref().unwrap_or("(not one)"),
        );
        row(
            "bundles valid",
            &format!("{} of {}", self.bundles_valid, self.rows),
        );
        if self.batches_valid > 0 {
            row(
                "rows in valid batch proofs",
                &format!("{} in {} proofs", self.batch_rows_valid, self.batches_valid),
            );
        }
        s.push_str("</table>\n");
        s.push_str("<h2>What each valid bundle proves</h2>\n<ul>\n");
        for p in PROVES {
            let _ = writeln!(s, "<li>{}</li>", html(p));
        }
        s.push_str("</ul>\n<h2>What it does not prove</h2>\n<ul>\n");
        for p in DOES_NOT_PROVE.iter().chain([&AUDIT_DOES_NOT_PROVE]) {
            let _ = writeln!(s, "<li>{}</li>", html(p));
        }
        s.push_str("</ul>\n");
        if let Some(f) = &self.figures {
            s.push_str(&figures_html(f));
        }
        if !self.findings.is_empty() {
            s.push_str("<h2>Refused because</h2>\n<table>\n<tr><th>reason</th><th>rows</th><th>detail</th></tr>\n");
            for f in &self.findings {
                let rows = if f.rows.is_empty() {
                    String::new()
                } else {
                    rows_text(&f.rows)
                };
                let _ = writeln!(
                    s,
                    "<tr class=\"invalid\"><td>{}</td><td>{}</td><td>{}</td></tr>",
                    html(f.kind.as_str()),
                    html(&rows),
                    html(&f.detail)
                );
            }
            s.push_str("</table>\n");
        }
        s.push_str("</body>\n</html>\n");
        s
    }
}

fn verdict_line(verdict: Verdict) -> String {
    match verdict {
        Verdict::Valid => "VALID: every row proved by the named model; the figures are the proofs'".into(),
        Verdict::ValidDevelopmentSetup => "VALID (development setup: not evidence): every check passed, but the proofs were made with the development setup, whose secret is public".into(),
        Verdict::Invalid => "INVALID: the audit is refused".into(),
        Verdict::CouldNotCheck => "COULD NOT CHECK: some bundle's checks could not be run".into(),
        Verdict::ValidPolicyNotChecked => "VALID (policy not checked)".into(),
    }
}

fn pct(r: Option<f64>) -> String {
    r.map_or("-".into(), |r| format!("{:.1} %", r * 100.0))
}

fn num(r: Option<f64>) -> String {
    r.map_or("-".into(), |r| format!("{r:.3}"))
}

/// The figures as lines of text.
pub fn figures_text(f: &Figures) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "figures (recomputed from the proofs)");
    let _ = writeln!(s, "  bands");
    for b in &f.bands {
        let _ = writeln!(
            s,
            "    {} `{}` ({}): {}",
            b.index,
            shorten(&b.name),
            b.outcome,
            b.count
        );
    }
    let o = &f.outcomes;
    let _ = writeln!(
        s,
        "  approve {} ({}), refer {} ({}), decline {} ({})",
        o.approve.count,
        pct(o.approve.rate),
        o.refer.count,
        pct(o.refer.rate),
        o.decline.count,
        pct(o.decline.rate)
    );
    if let Some(c) = &f.confusion {
        let _ = writeln!(
            s,
            "  confusion at {}: TP {} FP {} TN {} FN {}; accuracy {}, precision {}, recall {}",
            c.cut,
            c.true_positive,
            c.false_positive,
            c.true_negative,
            c.false_negative,
            num(c.accuracy),
            num(c.precision),
            num(c.recall)
        );
    }
    for g in &f.groups {
        let _ = writeln!(s, "  groups by `{}`", shorten(&g.column));
        for v in &g.groups {
            let _ = writeln!(
                s,
                "    `{}`: {} rows, approved {} ({}), ratio to best {}{}{}",
                shorten(&v.value),
                v.rows,
                v.approved,
                pct(v.approval_rate),
                num(v.ratio_to_best),
                if v.below_four_fifths {
                    " BELOW FOUR-FIFTHS"
                } else {
                    ""
                },
                match (v.true_positive_rate, v.tpr_gap_to_best) {
                    (Some(t), Some(g)) => format!(", TPR {t:.3} (gap to best {g:.3})"),
                    _ => String::new(),
                }
            );
        }
    }
    for p in &f.pairs {
        let bands: Vec<String> = p.bands.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            s,
            "  counterfactual `{}` ({}): bands {}{}",
            shorten(&p.pair),
            rows_text(&p.rows),
            bands.join(", "),
            if p.same_band { "" } else { " SPLIT" }
        );
    }
    s
}

fn figures_html(f: &Figures) -> String {
    let mut s = String::from("<h2>Figures (recomputed from the proofs)</h2>\n<table>\n<tr><th>band</th><th>name</th><th>outcome</th><th>rows</th></tr>\n");
    for b in &f.bands {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            b.index,
            html(&b.name),
            b.outcome,
            b.count
        );
    }
    s.push_str("</table>\n<table>\n<tr><th>outcome</th><th>rows</th><th>rate</th></tr>\n");
    let o = &f.outcomes;
    for (name, share) in [
        ("approve", &o.approve),
        ("refer", &o.refer),
        ("decline", &o.decline),
    ] {
        let _ = writeln!(
            s,
            "<tr><td>{name}</td><td>{}</td><td>{}</td></tr>",
            share.count,
            pct(share.rate)
        );
    }
    s.push_str("</table>\n");
    if let Some(c) = &f.confusion {
        let _ = writeln!(
            s,
            "<table>\n<tr><th>cut</th><th>TP</th><th>FP</th><th>TN</th><th>FN</th><th>accuracy</th><th>precision</th><th>recall</th></tr>\n\
             <tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n</table>",
            html(&c.cut),
            c.true_positive,
            c.false_positive,
            c.true_negative,
            c.false_negative,
            num(c.accuracy),
            num(c.precision),
            num(c.recall)
        );
    }
    for g in &f.groups {
        let _ = writeln!(
            s,
            "<h3>Groups by <code>{}</code></h3>\n<table>\n<tr><th>value</th><th>rows</th><th>approved</th><th>rate</th><th>ratio to best</th><th>TPR</th><th>TPR gap</th></tr>",
            html(&g.column)
        );
        for v in &g.groups {
            let class = if v.below_four_fifths {
                "invalid"
            } else {
                "valid"
            };
            let _ = writeln!(
                s,
                "<tr class=\"{class}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                html(&v.value),
                v.rows,
                v.approved,
                pct(v.approval_rate),
                num(v.ratio_to_best),
                num(v.true_positive_rate),
                num(v.tpr_gap_to_best)
            );
        }
        s.push_str("</table>\n");
    }
    if !f.pairs.is_empty() {
        s.push_str("<h3>Counterfactual pairs</h3>\n<table>\n<tr><th>pair</th><th>rows</th><th>bands</th></tr>\n");
        for p in &f.pairs {
            let bands: Vec<String> = p.bands.iter().map(ToString::to_string).collect();
            let _ = writeln!(
                s,
                "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td></tr>",
                if p.same_band { "valid" } else { "invalid" },
                html(&p.pair),
                html(&rows_text(&p.rows)),
                html(&bands.join(", "))
            );
        }
        s.push_str("</table>\n");
    }
    s
}
