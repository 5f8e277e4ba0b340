//! Whole portfolios: the reports of many bundles as one table a regulator can read and file.
//!
//! [`PolicySet`] matches each bundle to the policy file its proof commits to (by hash), and
//! reports two files that name one policy id and version with different contents.
//! [`Portfolio`] holds one [`Report`] (or the reason it could not be made) per bundle file and
//! derives what they show together: one [`Row`] per bundle, repeated decision ids, forks
//! between registry snapshots (one version, two Merkle roots) and [`Totals`]. It renders to
//! text (an aligned table), CSV (RFC 4180), Markdown, JSON and a self-contained HTML page
//! ([`Portfolio::render`]); every report but CSV opens with [`About`], a plain-language header
//! that says what a valid bundle proves, what it does not, and who signs the registry.
//!
//! Everything in a row but the file name comes from the bundle, which its sender wrote: every
//! renderer escapes it for its format (HTML entities, CSV quoting, Markdown backslashes) and the
//! text table strips control characters, so a bundle cannot inject markup, formulas or terminal
//! escapes. The columns and the JSON schema are documented in `docs/portfolio.md`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{json, Value};

use super::document::{Bundle, OutcomeClaim};
use super::verify::{outcome_words, proved_outcome, CheckStatus, Report, Verdict};
use crate::field::Field;
use crate::policy::Policy;
use crate::registry::TrustState;

/// The formats [`Portfolio::render`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// An aligned table for a terminal, then each bundle's failure reasons and the totals.
    Text,
    /// RFC 4180: a header line, one line per bundle, every field quoted, CRLF line ends.
    Csv,
    /// A Markdown document: the header, a table, the reasons and the totals.
    Markdown,
    /// One JSON document: `about`, `rows`, `totals` (schema in `docs/portfolio.md`).
    Json,
    /// One self-contained HTML page (no scripts, no external resources).
    Html,
}

/// The version of the portfolio JSON document (`"version"`); raised on any incompatible change.
pub const PORTFOLIO_JSON_VERSION: u32 = 1;

/// A policy file given to the verifier.
#[derive(Debug, Clone)]
pub struct GivenPolicy {
    /// The file, as given.
    pub file: String,
    /// The checked policy.
    pub policy: Policy,
}

/// Two policy files that name the same policy id and version with different contents (so
/// different hashes): one of them is not the policy that id and version stand for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyConflict {
    /// The policy id.
    pub id: String,
    /// The version.
    pub version: String,
    /// Each file and its hash.
    pub files: Vec<(String, Field)>,
}

/// The policy files a run was given, matched to bundles by the hash their proofs commit to.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    policies: Vec<GivenPolicy>,
    conflicts: Vec<PolicyConflict>,
}

impl PolicySet {
    /// The set of `policies`. A file with the hash of one already in the set is the same policy
    /// (kept once); files with one id and version but different hashes are recorded as a
    /// [`PolicyConflict`].
    pub fn new(policies: Vec<GivenPolicy>) -> PolicySet {
        let mut kept: Vec<GivenPolicy> = Vec::new();
        for p in policies {
            if !kept.iter().any(|k| k.policy.hash() == p.policy.hash()) {
                kept.push(p);
            }
        }
        let mut by_name: BTreeMap<(String, String), Vec<(String, Field)>> = BTreeMap::new();
        for k in &kept {
            by_name
                .entry((
                    k.policy.id().as_str().to_string(),
                    k.policy.version().as_str().to_string(),
                ))
                .or_default()
                .push((k.file.clone(), k.policy.hash()));
        }
        let conflicts = by_name
            .into_iter()
            .filter(|(_, files)| files.len() > 1)
            .map(|((id, version), files)| PolicyConflict { id, version, files })
            .collect();
        PolicySet {
            policies: kept,
            conflicts,
        }
    }

    /// The policies, one per distinct hash, in the order given.
    pub fn policies(&self) -> &[GivenPolicy] {
        &self.policies
    }

    /// Files naming one id and version with different hashes.
    pub fn conflicts(&self) -> &[PolicyConflict] {
        &self.conflicts
    }

    /// The policy to compare a bundle with: the one whose hash is the bundle's policy hash; else
    /// one with the id and version the bundle names (the comparison then fails and says why:
    /// the bundle names a policy it was not proved under); else none (the policy is not
    /// checked).
    pub fn for_bundle(&self, bundle: &Bundle) -> Option<&Policy> {
        let claim = &bundle.policy;
        self.policies
            .iter()
            .find(|p| p.policy.hash() == claim.hash)
            .or_else(|| {
                self.policies.iter().find(|p| {
                    p.policy.id().as_str() == claim.id.as_str()
                        && p.policy.version().as_str() == claim.version.as_str()
                })
            })
            .map(|p| &p.policy)
    }

    /// [`PolicySet::for_bundle`] on a bundle document (none when it does not read as a bundle:
    /// its `format` check fails anyway).
    pub fn for_document(&self, bytes: &[u8]) -> Option<Policy> {
        let bundle = Bundle::from_json(bytes).ok()?;
        self.for_bundle(&bundle).cloned()
    }

    /// Whether `policy` is one of the files of a [`PolicyConflict`].
    fn in_conflict(&self, hash: Field) -> bool {
        self.conflicts
            .iter()
            .any(|c| c.files.iter().any(|(_, h)| *h == hash))
    }
}

/// A governance key of the trusted root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootSigner {
    /// The key's id.
    pub key_id: String,
    /// Its holder, as the root names them.
    pub holder: Option<String>,
}

/// The plain-language header of every report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct About {
    /// The trusted root's version.
    pub root_version: u64,
    /// How many of its keys must sign a snapshot.
    pub threshold: u32,
    /// Its keys, by holder.
    pub keys: Vec<RootSigner>,
    /// The policy files given: file, id, version, hash.
    pub policies: Vec<(String, String, String, Field)>,
}

/// What a valid bundle proves, in plain words (one sentence per item).
pub const PROVES: [&str; 4] = [
    "the decision was made by a model version that the signed model registry approves (a \
     snapshot signed by the trusted root's threshold of governance keys, valid at the decision \
     time)",
    "it ran inside the scope the policy authorises: purpose, jurisdiction, product, time window, \
     allowed models, zero weight on protected features, declared input ranges",
    "the model was applied to the input the bundle commits to (the applicant can check it with \
     their opening)",
    "the score fell in the stated band (or on the stated side of the yes/no threshold)",
];

/// What a valid bundle does not prove.
pub const DOES_NOT_PROVE: [&str; 4] = [
    "that the model is fair, accurate or lawful to use: only that it is the approved one",
    "that the applicant's features were true or complete: only that these features were used",
    "anything at all when the proof was made with the development setup (its secret is public)",
    "the policy's name and the band's name when no policy file with the committed hash was given",
];

impl About {
    /// The header for a run trusting `trust` with `policies`.
    pub fn new(trust: &TrustState, policies: &PolicySet) -> About {
        let root = trust.root();
        About {
            root_version: root.version().get(),
            threshold: root.threshold().get(),
            keys: root
                .keys()
                .iter()
                .map(|k| RootSigner {
                    key_id: k.key_id.to_string(),
                    holder: k.holder.as_ref().map(|h| h.as_str().to_string()),
                })
                .collect(),
            policies: policies
                .policies()
                .iter()
                .map(|p| {
                    (
                        p.file.clone(),
                        p.policy.id().as_str().to_string(),
                        p.policy.version().as_str().to_string(),
                        p.policy.hash(),
                    )
                })
                .collect(),
        }
    }

    /// The registry's signers by name: `governance key 1 (aa76...), ...`.
    pub fn signer_names(&self) -> String {
        self.keys
            .iter()
            .map(|k| match &k.holder {
                Some(h) => format!("{h} ({})", k.key_id),
                None => format!("key {} (no holder named in the root)", k.key_id),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The registry line: root, threshold, signers.
    pub fn registry_line(&self) -> String {
        format!(
            "trusted root {}: {} of its {} governance keys must sign each registry snapshot; the \
             keys: {}",
            self.root_version,
            self.threshold,
            self.keys.len(),
            self.signer_names()
        )
    }

    /// The header as plain text lines (the text and single-bundle reports open with it).
    pub fn render_text(&self) -> String {
        let mut s = String::new();
        s.push_str("what a valid bundle proves:\n");
        for p in PROVES {
            let _ = writeln!(s, "  - {p}");
        }
        s.push_str("what it does not prove:\n");
        for p in DOES_NOT_PROVE {
            let _ = writeln!(s, "  - {p}");
        }
        let _ = writeln!(s, "registry:  {}", clean(&self.registry_line()));
        if self.policies.is_empty() {
            s.push_str("policies:  none given (--policy): every policy's words are unchecked\n");
        } else {
            for (file, id, version, hash) in &self.policies {
                let _ = writeln!(
                    s,
                    "policy:    {} is `{}` version `{}`, hash {hash}",
                    clean(file),
                    clean(id),
                    clean(version)
                );
            }
        }
        s
    }

    /// The header as JSON (the `about` field).
    pub fn to_json(&self) -> Value {
        json!({
            "proves": PROVES,
            "does_not_prove": DOES_NOT_PROVE,
            "registry": {
                "root_version": self.root_version,
                "threshold": self.threshold,
                "keys": self.keys.iter().map(|k| json!({"key_id": k.key_id, "holder": k.holder})).collect::<Vec<_>>(),
            },
            "policies": self.policies.iter().map(|(file, id, version, hash)| json!({"file": file, "id": id, "version": version, "hash": hash})).collect::<Vec<_>>(),
        })
    }
}

/// Marks on a row beyond its verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Flag {
    /// Another bundle of the portfolio carries the same decision id.
    RepeatedDecisionId,
    /// The bundle's snapshot version shows another Merkle root in another valid bundle.
    Fork,
    /// Proved with the development setup: not evidence.
    DevelopmentSetup,
    /// No policy file with the bundle's policy hash was given.
    PolicyNotChecked,
    /// The policy file compared with this bundle shares its id and version with another file
    /// of different contents.
    PolicyVersionConflict,
}

impl Flag {
    /// The stable name used in every format.
    pub fn as_str(&self) -> &'static str {
        match self {
            Flag::RepeatedDecisionId => "repeated-decision-id",
            Flag::Fork => "fork",
            Flag::DevelopmentSetup => "development-setup",
            Flag::PolicyNotChecked => "policy-not-checked",
            Flag::PolicyVersionConflict => "policy-version-conflict",
        }
    }
}

/// One bundle's row. Empty strings where the bundle could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The bundle file, as given.
    pub file: String,
    /// The decision id.
    pub decision_id: String,
    /// The decision time (RFC 3339).
    pub decision_time: String,
    /// `purpose/jurisdiction/product`.
    pub scope: String,
    /// The model id.
    pub model_id: String,
    /// The model version.
    pub model_version: String,
    /// The policy id: the lender's words unless `policy_checked`.
    pub policy_id: String,
    /// The policy version: the lender's words unless `policy_checked`.
    pub policy_version: String,
    /// The policy hash the proof commits to.
    pub policy_hash: String,
    /// Whether a policy file with that hash settled the policy's and the outcome's names.
    pub policy_checked: bool,
    /// The registry snapshot version.
    pub snapshot: String,
    /// The outcome: the proved band index (or gate side), with its names when checked.
    pub outcome: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Flags beyond the verdict, in [`Flag`] order.
    pub flags: Vec<Flag>,
    /// Why it is not plain valid: each failing check (or check that could not run) and its
    /// reason, or why the file could not be read.
    pub reasons: Vec<(String, String)>,
    /// The governance keys that signed its snapshot, by name.
    pub signers: Vec<String>,
}

impl Row {
    /// `id` `version`, with `(not checked)` when the policy's words are the lender's.
    pub fn policy_cell(&self) -> String {
        if self.policy_id.is_empty() {
            return String::new();
        }
        let words = format!("{} {}", self.policy_id, self.policy_version);
        if self.policy_checked {
            words
        } else {
            format!("{words} (not checked)")
        }
    }

    /// `id` `version`.
    pub fn model_cell(&self) -> String {
        if self.model_id.is_empty() {
            String::new()
        } else {
            format!("{} {}", self.model_id, self.model_version)
        }
    }

    /// The flags, comma-separated.
    pub fn flags_cell(&self) -> String {
        self.flags
            .iter()
            .map(Flag::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The cells of the table, in [`COLUMNS`] order.
    pub fn cells(&self) -> [String; 10] {
        [
            self.file.clone(),
            self.decision_id.clone(),
            self.decision_time.clone(),
            self.scope.clone(),
            self.model_cell(),
            self.policy_cell(),
            self.snapshot.clone(),
            self.outcome.clone(),
            self.verdict.label().to_string(),
            self.flags_cell(),
        ]
    }

    fn to_json(&self) -> Value {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        json!({
            "file": self.file,
            "decision_id": opt(&self.decision_id),
            "decision_time": opt(&self.decision_time),
            "scope": opt(&self.scope),
            "model": {"id": opt(&self.model_id), "version": opt(&self.model_version)},
            "policy": {
                "id": opt(&self.policy_id),
                "version": opt(&self.policy_version),
                "hash": opt(&self.policy_hash),
                "checked": self.policy_checked,
            },
            "registry_snapshot": self.snapshot.parse::<u64>().ok(),
            "signers": self.signers,
            "outcome": opt(&self.outcome),
            "verdict": self.verdict.as_str(),
            "verdict_label": self.verdict.label(),
            "exit_code": self.verdict as u8,
            "flags": self.flags.iter().map(Flag::as_str).collect::<Vec<_>>(),
            "reasons": self.reasons.iter().map(|(check, detail)| json!({"check": check, "detail": detail})).collect::<Vec<_>>(),
        })
    }
}

/// The table's column headings.
pub const COLUMNS: [&str; 10] = [
    "file",
    "decision id",
    "decision time",
    "scope",
    "model",
    "policy",
    "snapshot",
    "outcome",
    "verdict",
    "flags",
];

/// One decision id that more than one bundle carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepeatedId {
    /// The decision id.
    pub decision_id: String,
    /// The files that carry it.
    pub files: Vec<String>,
}

/// One snapshot version that valid bundles show with different Merkle roots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fork {
    /// The snapshot version.
    pub snapshot_version: u64,
    /// The roots seen.
    pub merkle_roots: Vec<Field>,
}

/// What the portfolio shows together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    /// The number of bundles.
    pub total: usize,
    /// How many have each verdict, in [`Verdict::ALL`] order.
    pub by_verdict: Vec<(Verdict, usize)>,
    /// Decision ids carried by more than one bundle.
    pub repeated_decision_ids: Vec<RepeatedId>,
    /// Forks between registry snapshots.
    pub forks: Vec<Fork>,
    /// Policy files with one id and version and different hashes.
    pub policy_conflicts: Vec<PolicyConflict>,
    /// Why the trust state was not written, if it was not.
    pub state_error: Option<String>,
    /// The run's verdict: the worst bundle's, and invalid when a fork was seen.
    pub result: Verdict,
}

impl Totals {
    /// How many bundles have `verdict`.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.by_verdict
            .iter()
            .find(|(v, _)| *v == verdict)
            .map_or(0, |(_, n)| *n)
    }

    /// One line: `5 bundles: 1 valid, ...`.
    pub fn line(&self) -> String {
        let parts: Vec<String> = self
            .by_verdict
            .iter()
            .map(|(v, n)| format!("{n} {}", v.label().to_lowercase()))
            .collect();
        format!(
            "{} bundle{}: {}; {} repeated decision id{}, {} fork{}; result {} (exit {})",
            self.total,
            if self.total == 1 { "" } else { "s" },
            parts.join(", "),
            self.repeated_decision_ids.len(),
            if self.repeated_decision_ids.len() == 1 {
                ""
            } else {
                "s"
            },
            self.forks.len(),
            if self.forks.len() == 1 { "" } else { "s" },
            self.result.label(),
            self.result as u8
        )
    }

    /// Each finding beyond the verdicts, one line each.
    pub fn findings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for r in &self.repeated_decision_ids {
            out.push(format!(
                "REPEATED DECISION ID: `{}` is carried by {} bundles ({}): one decision proved \
                 more than once, or a copy",
                r.decision_id,
                r.files.len(),
                r.files.join(", ")
            ));
        }
        for f in &self.forks {
            let roots: Vec<String> = f.merkle_roots.iter().map(|r| r.to_string()).collect();
            out.push(format!(
                "FORK: valid bundles show snapshot {} with {} different Merkle roots ({}): the \
                 governance keys signed two registries under one version",
                f.snapshot_version,
                roots.len(),
                roots.join(", ")
            ));
        }
        for c in &self.policy_conflicts {
            let files: Vec<String> = c
                .files
                .iter()
                .map(|(file, hash)| format!("{file} (hash {hash})"))
                .collect();
            out.push(format!(
                "POLICY CONFLICT: policy `{}` version `{}` is given with {} different contents: \
                 {}; bundles were matched by hash, and one of these files is not the policy \
                 that id and version stand for",
                c.id,
                c.version,
                c.files.len(),
                files.join(", ")
            ));
        }
        if let Some(e) = &self.state_error {
            out.push(format!(
                "COULD NOT CHECK: the trust state was not written ({e})"
            ));
        }
        out
    }
}

/// The reports of many bundles, and what they show together.
#[derive(Debug, Clone)]
pub struct Portfolio {
    about: About,
    rows: Vec<Row>,
    totals: Totals,
}

/// One bundle file's result: its report, or why the file could not be read.
pub type Entry = (String, Result<Report, String>);

impl Portfolio {
    /// The portfolio of `entries` (in the order given), checked against the trust root of
    /// `about` with `policies`; `state_error` when the trust state could not be written.
    pub fn new(
        about: About,
        policies: &PolicySet,
        entries: &[Entry],
        state_error: Option<String>,
    ) -> Portfolio {
        let forks = forks(entries);
        let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (file, r) in entries {
            if let Some(b) = r.as_ref().ok().and_then(Report::bundle) {
                ids.entry(b.decision.id.to_string())
                    .or_default()
                    .push(file.clone());
            }
        }
        let repeated: Vec<RepeatedId> = ids
            .into_iter()
            .filter(|(_, files)| files.len() > 1)
            .map(|(decision_id, files)| RepeatedId { decision_id, files })
            .collect();
        let rows: Vec<Row> = entries
            .iter()
            .map(|(file, r)| row(file, r, policies, &repeated, &forks))
            .collect();
        let by_verdict: Vec<(Verdict, usize)> = Verdict::ALL
            .iter()
            .map(|v| (*v, rows.iter().filter(|r| r.verdict == *v).count()))
            .collect();
        let worst = rows
            .iter()
            .map(|r| r.verdict)
            .max_by_key(Verdict::severity)
            .unwrap_or(Verdict::Valid);
        let result = if forks.is_empty() {
            worst
        } else {
            Verdict::Invalid
        };
        Portfolio {
            about,
            totals: Totals {
                total: rows.len(),
                by_verdict,
                repeated_decision_ids: repeated,
                forks,
                policy_conflicts: policies.conflicts().to_vec(),
                state_error,
                result,
            },
            rows,
        }
    }

    /// The header.
    pub fn about(&self) -> &About {
        &self.about
    }

    /// One row per bundle, in the order given.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The totals.
    pub fn totals(&self) -> &Totals {
        &self.totals
    }

    /// The report in `format`.
    pub fn render(&self, format: ReportFormat) -> String {
        match format {
            ReportFormat::Text => self.render_text(),
            ReportFormat::Csv => self.render_csv(),
            ReportFormat::Markdown => self.render_markdown(),
            ReportFormat::Json => {
                let mut s = serde_json::to_string_pretty(&self.to_json())
                    .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
                s.push('\n');
                s
            }
            ReportFormat::Html => self.render_html(),
        }
    }

    /// The JSON document: `format`, `version`, `about`, `rows`, `totals`.
    pub fn to_json(&self) -> Value {
        let t = &self.totals;
        let mut totals = json!({
            "bundles": t.total,
            "repeated_decision_ids": t.repeated_decision_ids.iter().map(|r| json!({"decision_id": r.decision_id, "files": r.files})).collect::<Vec<_>>(),
            "forks": t.forks.iter().map(|f| json!({"snapshot_version": f.snapshot_version, "merkle_roots": f.merkle_roots})).collect::<Vec<_>>(),
            "policy_conflicts": t.policy_conflicts.iter().map(|c| json!({"id": c.id, "version": c.version, "files": c.files.iter().map(|(file, hash)| json!({"file": file, "hash": hash})).collect::<Vec<_>>()})).collect::<Vec<_>>(),
            "state_error": t.state_error,
            "result": t.result.as_str(),
            "exit_code": t.result as u8,
        });
        for (v, n) in &t.by_verdict {
            totals[v.as_str().replace('-', "_")] = json!(n);
        }
        json!({
            "format": "govproof-portfolio",
            "version": PORTFOLIO_JSON_VERSION,
            "about": self.about.to_json(),
            "rows": self.rows.iter().map(Row::to_json).collect::<Vec<_>>(),
            "totals": totals,
        })
    }

    fn render_text(&self) -> String {
        let mut s = self.about.render_text();
        s.push('\n');
        let rows: Vec<[String; 10]> = self
            .rows
            .iter()
            .map(|r| r.cells().map(|c| clean(&c)))
            .collect();
        let mut widths = COLUMNS.map(|c| c.chars().count());
        for r in &rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let line = |s: &mut String, cells: &[String]| {
            let mut l = String::new();
            for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
                if i + 1 == cells.len() {
                    l.push_str(c);
                } else {
                    let pad = w - c.chars().count();
                    l.push_str(c);
                    l.extend(std::iter::repeat_n(' ', pad + 2));
                }
            }
            s.push_str(l.trim_end());
            s.push('\n');
        };
        line(&mut s, &COLUMNS.map(|c| c.to_uppercase()));
        for r in &rows {
            line(&mut s, r);
        }
        let reasons: Vec<_> = self.reasons().collect();
        if !reasons.is_empty() {
            s.push('\n');
            for (file, verdict, list) in reasons {
                let _ = writeln!(s, "{} {}:", clean(verdict), clean(file));
                for (check, detail) in list {
                    let _ = writeln!(s, "  {:<14} {}", clean(check), clean(detail));
                }
            }
        }
        s.push('\n');
        for f in self.totals.findings() {
            let _ = writeln!(s, "{}", clean(&f));
        }
        let _ = writeln!(s, "{}", clean(&self.totals.line()));
        s
    }

    /// The rows that are not plain valid, with their reasons.
    fn reasons(&self) -> impl Iterator<Item = (&str, &str, &[(String, String)])> {
        self.rows
            .iter()
            .filter(|r| !r.reasons.is_empty())
            .map(|r| (r.file.as_str(), r.verdict.label(), r.reasons.as_slice()))
    }

    fn render_csv(&self) -> String {
        let mut s = String::new();
        let mut record = |fields: &[String]| {
            let quoted: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            s.push_str(&quoted.join(","));
            s.push_str("\r\n");
        };
        let mut head: Vec<String> = COLUMNS.iter().map(|c| c.replace(' ', "_")).collect();
        head.push("reasons".into());
        record(&head);
        for r in &self.rows {
            let mut cells: Vec<String> = r.cells().to_vec();
            cells.push(
                r.reasons
                    .iter()
                    .map(|(c, d)| format!("{c}: {d}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            );
            record(&cells);
        }
        s
    }

    fn render_markdown(&self) -> String {
        let mut s = String::from("# govproof portfolio report\n\n");
        s.push_str("**What a valid bundle proves:**\n\n");
        for p in PROVES {
            let _ = writeln!(s, "- {p}");
        }
        s.push_str("\n**What it does not prove:**\n\n");
        for p in DOES_NOT_PROVE {
            let _ = writeln!(s, "- {p}");
        }
        let _ = writeln!(s, "\n**Registry:** {}\n", md(&self.about.registry_line()));
        if self.about.policies.is_empty() {
            s.push_str("**Policies:** none given\n\n");
        } else {
            s.push_str("**Policies:**\n\n");
            for (file, id, version, hash) in &self.about.policies {
                let _ = writeln!(
                    s,
                    "- {}: {} version {}, hash {hash}",
                    md(file),
                    md(id),
                    md(version)
                );
            }
            s.push('\n');
        }
        let _ = writeln!(s, "| {} |", COLUMNS.join(" | "));
        let _ = writeln!(s, "|{}", " --- |".repeat(COLUMNS.len()));
        for r in &self.rows {
            let cells: Vec<String> = r.cells().iter().map(|c| md(c)).collect();
            let _ = writeln!(s, "| {} |", cells.join(" | "));
        }
        let reasons: Vec<_> = self.reasons().collect();
        if !reasons.is_empty() {
            s.push_str("\n## Reasons\n\n");
            for (file, verdict, list) in reasons {
                let _ = writeln!(s, "- **{}** {}", md(verdict), md(file));
                for (check, detail) in list {
                    let _ = writeln!(s, "  - {}: {}", md(check), md(detail));
                }
            }
        }
        s.push_str("\n## Totals\n\n");
        for f in self.totals.findings() {
            let _ = writeln!(s, "- {}", md(&f));
        }
        let _ = writeln!(s, "- {}", md(&self.totals.line()));
        s
    }

    fn render_html(&self) -> String {
        let mut s = String::from(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
             style-src 'unsafe-inline'\">\n<title>govproof portfolio report</title>\n<style>\n\
             body{font-family:sans-serif;margin:2em;color:#111}\
             table{border-collapse:collapse;font-size:0.9em}\
             th,td{border:1px solid #999;padding:0.3em 0.5em;text-align:left;vertical-align:top}\
             th{background:#eee}.invalid,.could-not-check{background:#fdd}\
             .valid-development-setup,.valid-policy-not-checked{background:#ffd}\
             .valid{background:#dfd}code{word-break:break-all}\n</style>\n</head>\n<body>\n\
             <h1>govproof portfolio report</h1>\n",
        );
        s.push_str("<h2>What a valid bundle proves</h2>\n<ul>\n");
        for p in PROVES {
            let _ = writeln!(s, "<li>{}</li>", html(p));
        }
        s.push_str("</ul>\n<h2>What it does not prove</h2>\n<ul>\n");
        for p in DOES_NOT_PROVE {
            let _ = writeln!(s, "<li>{}</li>", html(p));
        }
        s.push_str("</ul>\n");
        let _ = writeln!(
            s,
            "<p><strong>Registry:</strong> {}</p>",
            html(&self.about.registry_line())
        );
        if self.about.policies.is_empty() {
            s.push_str("<p><strong>Policies:</strong> none given</p>\n");
        } else {
            s.push_str("<p><strong>Policies:</strong></p>\n<ul>\n");
            for (file, id, version, hash) in &self.about.policies {
                let _ = writeln!(
                    s,
                    "<li>{}: <code>{}</code> version <code>{}</code>, hash <code>{}</code></li>",
                    html(file),
                    html(id),
                    html(version),
                    html(&hash.to_string())
                );
            }
            s.push_str("</ul>\n");
        }
        s.push_str("<h2>Bundles</h2>\n<table>\n<tr>");
        for c in COLUMNS {
            let _ = write!(s, "<th>{}</th>", html(c));
        }
        s.push_str("</tr>\n");
        for r in &self.rows {
            let _ = write!(s, "<tr class=\"{}\">", r.verdict.as_str());
            for c in r.cells() {
                let _ = write!(s, "<td>{}</td>", html(&c));
            }
            s.push_str("</tr>\n");
        }
        s.push_str("</table>\n");
        let reasons: Vec<_> = self.reasons().collect();
        if !reasons.is_empty() {
            s.push_str("<h2>Reasons</h2>\n<ul>\n");
            for (file, verdict, list) in reasons {
                let _ = writeln!(
                    s,
                    "<li><strong>{}</strong> {}<ul>",
                    html(verdict),
                    html(file)
                );
                for (check, detail) in list {
                    let _ = writeln!(s, "<li>{}: {}</li>", html(check), html(detail));
                }
                s.push_str("</ul></li>\n");
            }
            s.push_str("</ul>\n");
        }
        s.push_str("<h2>Totals</h2>\n<ul>\n");
        for f in self.totals.findings() {
            let _ = writeln!(s, "<li>{}</li>", html(&f));
        }
        let _ = writeln!(s, "<li>{}</li>", html(&self.totals.line()));
        s.push_str("</ul>\n</body>\n</html>\n");
        s
    }
}

/// Snapshot versions that bundles whose proof holds show with different Merkle roots.
pub fn forks(entries: &[Entry]) -> Vec<Fork> {
    let mut roots: BTreeMap<u64, Vec<Field>> = BTreeMap::new();
    for (_, r) in entries {
        let Ok(report) = r else { continue };
        if let (true, Some(b)) = (report.verdict().proof_holds(), report.bundle()) {
            let snap = &b.registry.snapshot.signed;
            let seen = roots.entry(snap.version().get()).or_default();
            if !seen.contains(&snap.merkle_root()) {
                seen.push(snap.merkle_root());
            }
        }
    }
    roots
        .into_iter()
        .filter(|(_, r)| r.len() > 1)
        .map(|(snapshot_version, merkle_roots)| Fork {
            snapshot_version,
            merkle_roots,
        })
        .collect()
}

fn row(
    file: &str,
    result: &Result<Report, String>,
    policies: &PolicySet,
    repeated: &[RepeatedId],
    forks: &[Fork],
) -> Row {
    let mut row = Row {
        file: file.to_string(),
        decision_id: String::new(),
        decision_time: String::new(),
        scope: String::new(),
        model_id: String::new(),
        model_version: String::new(),
        policy_id: String::new(),
        policy_version: String::new(),
        policy_hash: String::new(),
        policy_checked: false,
        snapshot: String::new(),
        outcome: String::new(),
        verdict: Verdict::CouldNotCheck,
        flags: Vec::new(),
        reasons: Vec::new(),
        signers: Vec::new(),
    };
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            row.reasons.push(("file".to_string(), e.clone()));
            return row;
        }
    };
    row.verdict = report.verdict();
    row.policy_checked = report.policy_checked();
    row.signers = report.signers().iter().map(|s| s.name()).collect();
    row.reasons = report
        .checks()
        .iter()
        .filter(|c| matches!(c.status, CheckStatus::Fail | CheckStatus::Error))
        .map(|c| (c.name.as_str().to_string(), c.detail.clone()))
        .collect();
    if let Some(e) = report.state_error() {
        row.reasons
            .push(("trust-state".to_string(), format!("not written: {e}")));
    }
    if let Some(b) = report.bundle() {
        let d = &b.decision;
        let snap = &b.registry.snapshot.signed;
        row.decision_id = d.id.to_string();
        row.decision_time = d.time.to_string();
        row.scope = d.scope.to_string();
        row.model_id = b.model.id.to_string();
        row.model_version = b.model.version.to_string();
        row.policy_id = b.policy.id.to_string();
        row.policy_version = b.policy.version.to_string();
        row.policy_hash = b.policy.hash.to_string();
        row.snapshot = snap.version().get().to_string();
        row.outcome = if row.policy_checked {
            match &d.outcome {
                OutcomeClaim::ScoreBand { band_index, .. } => {
                    format!("band {band_index} {}", outcome_words(&d.outcome))
                }
                OutcomeClaim::Gate { .. } => {
                    format!(
                        "{} {}",
                        proved_outcome(&d.outcome),
                        outcome_words(&d.outcome)
                    )
                }
            }
        } else {
            format!(
                "{} (lender says {}, not checked)",
                proved_outcome(&d.outcome),
                outcome_words(&d.outcome)
            )
        };
        if repeated.iter().any(|r| r.decision_id == row.decision_id) {
            row.flags.push(Flag::RepeatedDecisionId);
        }
        if report.verdict().proof_holds()
            && forks
                .iter()
                .any(|f| f.snapshot_version == snap.version().get())
        {
            row.flags.push(Flag::Fork);
        }
        if report.development_setup() {
            row.flags.push(Flag::DevelopmentSetup);
        }
        if !row.policy_checked {
            row.flags.push(Flag::PolicyNotChecked);
        }
        if policies
            .for_bundle(b)
            .is_some_and(|p| policies.in_conflict(p.hash()))
        {
            row.flags.push(Flag::PolicyVersionConflict);
        }
    }
    row
}

/// Text for a terminal: control characters (escapes, newlines, bidi overrides) become spaces.
pub fn clean(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || is_bidi_control(c) {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// Unicode's directional formatting characters, which can make a line read in another order.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// One CSV field (RFC 4180): always quoted, quotes doubled. A field a spreadsheet would take
/// for a formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) gets a leading `'`.
pub fn csv_field(text: &str) -> String {
    let text = clean(text);
    let guarded = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text
    };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

/// HTML text or attribute content: `&`, `<`, `>`, `"` and `'` as entities, control characters
/// as spaces.
pub fn html(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in clean(text).chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&#39;"),
            c => s.push(c),
        }
    }
    s
}

/// Markdown inline text: every ASCII punctuation character Markdown gives a meaning to is
/// backslash-escaped (so `|` cannot split a cell and `<` cannot open HTML), control
/// characters become spaces.
pub fn md(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in clean(text).chars() {
        if "\\`*_{}[]()<>#+-.!|~&\"'=:".contains(c) {
            s.push('\\');
        }
        s.push(c);
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_disarmed() {
        assert_eq!(csv_field("plain"), "\"plain\"");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("line\r\nbreak"), "\"line  break\"");
        assert_eq!(
            csv_field("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""
        );
        assert_eq!(csv_field("+1"), "\"'+1\"");
        assert_eq!(csv_field("-1"), "\"'-1\"");
        assert_eq!(csv_field("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(csv_field(""), "\"\"");
    }

    #[test]
    fn csv_fields_read_back_as_one_field_each() {
        // A minimal RFC 4180 reader: every hostile string comes back as exactly one field.
        for hostile in ["a\",\"b", "\"\"\"", ",,,", "x\ny", "\"; DROP", "end\""] {
            let line = format!("{},{}", csv_field(hostile), csv_field("next"));
            let fields = parse_csv_line(&line);
            assert_eq!(fields.len(), 2, "{line}");
            assert_eq!(fields[1], "next");
            assert_eq!(fields[0], clean(hostile), "{line}");
        }
    }

    fn parse_csv_line(line: &str) -> Vec<String> {
        let mut fields = Vec::new();
        let mut chars = line.chars().peekable();
        loop {
            let mut f = String::new();
            assert_eq!(chars.next(), Some('"'));
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        f.push('"');
                    }
                    Some('"') => break,
                    Some(c) => f.push(c),
                    None => panic!("unterminated"),
                }
            }
            fields.push(f);
            match chars.next() {
                Some(',') => continue,
                None => return fields,
                Some(c) => panic!("unexpected {c}"),
            }
        }
    }

    #[test]
    fn html_escapes_every_markup_character() {
        let hostile = "<script>alert('x')</script>&\"<img src=x onerror=y>";
        let escaped = html(hostile);
        assert!(!escaped.contains('<'));
        assert!(!escaped.contains('>'));
        assert!(!escaped.contains('"'));
        assert!(!escaped.contains('\''));
        assert_eq!(
            escaped,
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;&lt;img src=x \
             onerror=y&gt;"
        );
        assert_eq!(html("a\u{1b}[31mb\nc"), "a [31mb c");
        assert_eq!(html("&amp;"), "&amp;amp;");
    }

    #[test]
    fn markdown_cells_cannot_split_or_open_html() {
        let escaped = md("a|b <b>`x`</b> [l](http://e) *e*");
        assert!(!escaped.contains(" |"));
        assert_eq!(
            escaped,
            "a\\|b \\<b\\>\\`x\\`\\</b\\> \\[l\\]\\(http\\://e\\) \\*e\\*"
        );
        assert_eq!(md("line\nbreak"), "line break");
    }

    /// A portfolio whose file names and reasons are hostile (a lender names the files it sends):
    /// no format lets them out of their cell.
    #[test]
    fn hostile_names_stay_inside_their_cells_in_every_format() {
        let hostile = "<script>alert(1)</script>\",=cmd|' /C calc'!A0\n| x | y |\u{1b}[2J";
        let about = About {
            root_version: 1,
            threshold: 1,
            keys: vec![RootSigner {
                key_id: "0011223344556677".into(),
                holder: Some("<b>holder</b>".into()),
            }],
            policies: Vec::new(),
        };
        let entries: Vec<Entry> = vec![
            (hostile.to_string(), Err(hostile.to_string())),
            ("plain.json".to_string(), Err("missing".to_string())),
        ];
        let p = Portfolio::new(about, &PolicySet::default(), &entries, None);
        let page = p.render(ReportFormat::Html);
        assert!(!page.contains("<script"), "{page}");
        assert!(!page.contains("<b>holder"), "{page}");
        assert!(page.contains("&lt;script&gt;"));
        for external in ["://", "src=", "href=", "<script", "<link", "@import"] {
            assert!(!page.contains(external), "no external resource: {page}");
        }
        let csv = p.render(ReportFormat::Csv);
        let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 3, "{csv}");
        for line in &lines {
            assert_eq!(parse_csv_line(line).len(), COLUMNS.len() + 1, "{line}");
        }
        let markdown = p.render(ReportFormat::Markdown);
        let table: Vec<&str> = markdown.lines().filter(|l| l.starts_with("| ")).collect();
        for line in &table {
            // Every cell boundary is an unescaped `|`: exactly one per column, plus the edge.
            let bars = line.len() - line.replace('|', "").len() - line.matches("\\|").count();
            assert_eq!(bars, COLUMNS.len() + 1, "{line}");
        }
        // Every `<` is escaped, so none opens raw HTML.
        assert_eq!(
            markdown.matches('<').count(),
            markdown.matches("\\<").count(),
            "{markdown}"
        );
        let text = p.render(ReportFormat::Text);
        assert!(!text.contains('\u{1b}'), "{text}");
        let json: Value = serde_json::from_str(&p.render(ReportFormat::Json)).unwrap();
        assert_eq!(json["rows"][0]["file"], hostile);
    }

    #[test]
    fn text_cells_lose_terminal_escapes_and_direction_overrides() {
        assert_eq!(clean("ok\u{1b}]0;pwned\u{7}"), "ok ]0;pwned ");
        assert_eq!(clean("abc\u{202E}fed"), "abc fed");
    }
}
