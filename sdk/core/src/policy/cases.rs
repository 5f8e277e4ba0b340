//! Policy tests: `*.test.toml` files of decisions and the outcome each must have (a band, an
//! outcome, a gate decision, or a named rejection), evaluated by the native mirror
//! ([`super::evaluate`]). The schema is in `docs/policies.md`.

use std::collections::BTreeMap;
use std::ops::Range;

use super::check::{fmt_num, name};
use super::diagnostic::{near_miss, Code, Diagnostic, Diagnostics, SourceFile};
use super::evaluate::{
    evaluate, DecisionInput, EvaluateError, Evaluation, PolicyVerdict, Rejection,
};
use super::model::{Decision, Outcome, Policy, Scope};
use super::names::{ModelId, ModelVersion, ScopePart};
use super::read::{read_number, Reader, Spanned, Table};
use crate::registry::Timestamp;

/// What a case expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// The score lies in the band of this name.
    Band(String),
    /// The decision has this outcome (from a band or a gate).
    Outcome(Outcome),
    /// The gate decides this.
    Decision(bool),
    /// The circuit refuses the decision for this reason.
    Rejected(Rejection),
}

impl std::fmt::Display for Expect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expect::Band(b) => write!(f, "band `{b}`"),
            Expect::Outcome(o) => write!(f, "outcome `{o}`"),
            Expect::Decision(d) => write!(f, "decision `{d}`"),
            Expect::Rejected(r) => write!(f, "rejection `{r}`"),
        }
    }
}

impl Expect {
    /// Whether `verdict` is what this expects.
    pub fn matches(&self, verdict: &PolicyVerdict) -> bool {
        match (self, verdict) {
            (Expect::Band(b), PolicyVerdict::Band { name, .. }) => b == name,
            (Expect::Outcome(o), PolicyVerdict::Band { outcome, .. })
            | (Expect::Outcome(o), PolicyVerdict::Gate { outcome, .. }) => o == outcome,
            (Expect::Decision(d), PolicyVerdict::Gate { decision, .. }) => d == decision,
            (Expect::Rejected(r), PolicyVerdict::Rejected(got)) => r == got,
            _ => false,
        }
    }
}

/// One test case.
#[derive(Debug, Clone, PartialEq)]
pub struct TestCase {
    /// Its name.
    pub name: String,
    /// Where it is written (the case table).
    pub span: Range<usize>,
    /// The decision to evaluate.
    pub input: DecisionInput,
    /// What it must give.
    pub expect: Expect,
}

/// How a case went.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseResult {
    /// The case.
    pub case: TestCase,
    /// The evaluation (or why the input could not be evaluated).
    pub evaluation: Result<Evaluation, EvaluateError>,
}

impl CaseResult {
    /// Whether the evaluation gave what the case expects.
    pub fn passed(&self) -> bool {
        self.evaluation
            .as_ref()
            .is_ok_and(|e| self.case.expect.matches(&e.verdict))
    }
}

const ROOT_KEYS: &[&str] = &["defaults", "case"];
const DEFAULT_KEYS: &[&str] = &["model", "scope", "time", "features"];
const CASE_KEYS: &[&str] = &[
    "name", "model", "scope", "time", "score", "features", "expect",
];
const EXPECT_KEYS: &[&str] = &["band", "outcome", "decision", "rejected"];

/// What a case or `[defaults]` gives; a key that is present but invalid has been reported, is
/// absent from the values, and makes `ok` false.
#[derive(Clone)]
struct Common {
    model: Option<(ModelId, ModelVersion)>,
    scope: Option<Scope>,
    time: Option<Timestamp>,
    features: BTreeMap<String, (f64, Range<usize>)>,
    given: Vec<&'static str>,
    ok: bool,
}

impl Default for Common {
    fn default() -> Self {
        Common {
            model: None,
            scope: None,
            time: None,
            features: BTreeMap::new(),
            given: Vec::new(),
            ok: true,
        }
    }
}

fn read_model(r: &mut Reader<'_>, s: Spanned<String>) -> Option<(ModelId, ModelVersion)> {
    let Some((id, version)) = s.value.split_once('@') else {
        r.report(
            Diagnostic::error(
                Code::InvalidValue,
                s.span,
                format!("`{}` is not a model reference", s.value),
            )
            .with_help("write `model-id@version`"),
        );
        return None;
    };
    let id = name(r, Spanned::new(id.to_string(), s.span.clone()), "model id");
    let version = name(
        r,
        Spanned::new(version.to_string(), s.span),
        "model version",
    );
    Some((id?.value, version?.value))
}

fn read_scope(r: &mut Reader<'_>, s: Spanned<String>) -> Option<Scope> {
    let parts: Vec<&str> = s.value.split('/').collect();
    let [p, j, x] = parts.as_slice() else {
        r.report(
            Diagnostic::error(
                Code::InvalidValue,
                s.span,
                format!("`{}` is not a scope", s.value),
            )
            .with_help("write `purpose/jurisdiction/product`"),
        );
        return None;
    };
    let mut part =
        |t: &str, what| name::<ScopePart>(r, Spanned::new(t.to_string(), s.span.clone()), what);
    let (p, j, x) = (
        part(p, "purpose"),
        part(j, "jurisdiction"),
        part(x, "product"),
    );
    Some(Scope {
        purpose: p?.value,
        jurisdiction: j?.value,
        product: x?.value,
    })
}

fn read_common(r: &mut Reader<'_>, t: &Table<'_>, policy: &Policy) -> Common {
    let mut c = Common {
        given: ["model", "scope", "time", "features"]
            .into_iter()
            .filter(|k| t.has(k))
            .collect(),
        ..Common::default()
    };
    let mut ok = true;
    if let Some(s) = t.string(r, "model", false) {
        c.model = read_model(r, s);
        ok &= c.model.is_some();
    }
    if let Some(s) = t.string(r, "scope", false) {
        c.scope = read_scope(r, s);
        ok &= c.scope.is_some();
    }
    if t.has("time") {
        c.time = t.timestamp(r, "time", false).map(|t| t.value);
        ok &= c.time.is_some();
    }
    if t.has("features") {
        let known: Vec<&str> = policy.features().iter().map(|f| f.name.as_str()).collect();
        match t.table(r, "features", "`features`", false) {
            Some(ft) => {
                for k in ft.keys() {
                    let Some(e) = ft.get(r, &k, true) else {
                        continue;
                    };
                    if !known.contains(&k.as_str()) {
                        ok = false;
                        let mut d = Diagnostic::error(
                            Code::UnknownFeature,
                            e.key_span.range(),
                            format!("`{k}` is not a feature of the policy"),
                        );
                        if let Some(n) = near_miss(&k, &known) {
                            d = d.with_help(format!("did you mean `{n}`?"));
                        }
                        r.report(d);
                        continue;
                    }
                    let v = if e.is_table() {
                        r.report(Diagnostic::error(
                            Code::WrongType,
                            e.span(),
                            format!("`{k}` must be a number"),
                        ));
                        None
                    } else {
                        read_number(r, e.item, &k, e.span(), false)
                    };
                    match v {
                        Some(v) => {
                            c.features.insert(k.clone(), (v.value, v.span));
                        }
                        None => ok = false,
                    }
                }
            }
            None => ok = false,
        }
    }
    c.ok = ok;
    c
}

fn read_expect(r: &mut Reader<'_>, t: &Table<'_>, policy: &Policy) -> Option<Expect> {
    let e = t.table(r, "expect", "`expect`", true)?;
    e.deny_unknown(r, EXPECT_KEYS);
    let present: Vec<&str> = EXPECT_KEYS.iter().copied().filter(|k| e.has(k)).collect();
    if present.len() != 1 {
        r.report(
            Diagnostic::error(
                Code::InvalidValue,
                e.span(),
                "`expect` must hold exactly one of `band`, `outcome`, `decision` and `rejected`",
            )
            .with_label(format!("{} given", present.len())),
        );
        return None;
    }
    let bands: Vec<&str> = match policy.decision() {
        Decision::ScoreBand { bands, .. } => bands.iter().map(|b| b.name.as_str()).collect(),
        Decision::Gate { .. } => Vec::new(),
    };
    let is_gate = matches!(policy.decision(), Decision::Gate { .. });
    match present[0] {
        "band" => {
            let s = e.string(r, "band", true)?;
            if is_gate {
                r.report(Diagnostic::error(
                    Code::InvalidValue,
                    s.span,
                    "the policy is a gate: expect a `decision`, an `outcome` or a rejection, not a band",
                ));
                return None;
            }
            if !bands.contains(&s.value.as_str()) {
                let mut d = Diagnostic::error(
                    Code::InvalidValue,
                    s.span,
                    format!("the policy has no band `{}`", s.value),
                );
                if let Some(n) = near_miss(&s.value, &bands) {
                    d = d.with_help(format!("did you mean `{n}`?"));
                }
                r.report(d);
                return None;
            }
            Some(Expect::Band(s.value))
        }
        "outcome" => {
            let s = e.string(r, "outcome", true)?;
            match Outcome::parse(&s.value) {
                Some(o) => Some(Expect::Outcome(o)),
                None => {
                    let mut d = Diagnostic::error(
                        Code::InvalidValue,
                        s.span,
                        format!("`{}` is not an outcome", s.value),
                    );
                    if let Some(n) = near_miss(&s.value, &Outcome::ALL) {
                        d = d.with_help(format!("did you mean `{n}`?"));
                    }
                    r.report(d);
                    None
                }
            }
        }
        "decision" => {
            let b = e.boolean(r, "decision", true)?;
            if !is_gate {
                r.report(Diagnostic::error(
                    Code::InvalidValue,
                    b.span,
                    "the policy has score bands: expect a `band`, an `outcome` or a rejection, not a decision",
                ));
                return None;
            }
            Some(Expect::Decision(b.value))
        }
        _ => {
            let s = e.string(r, "rejected", true)?;
            match Rejection::parse(&s.value) {
                Some(x) => Some(Expect::Rejected(x)),
                None => {
                    let names: Vec<&str> = Rejection::ALL.iter().map(Rejection::as_str).collect();
                    let mut d = Diagnostic::error(
                        Code::InvalidValue,
                        s.span,
                        format!("`{}` is not a rejection", s.value),
                    );
                    d = match near_miss(&s.value, &names) {
                        Some(n) => d.with_help(format!("did you mean `{n}`?")),
                        None => d.with_help(format!(
                            "the rejections are {}",
                            names
                                .iter()
                                .map(|n| format!("`{n}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    };
                    r.report(d);
                    None
                }
            }
        }
    }
}

fn read_case(
    r: &mut Reader<'_>,
    t: &Table<'_>,
    defaults: &Common,
    policy: &Policy,
) -> Option<TestCase> {
    t.deny_unknown(r, CASE_KEYS);
    let case_name = t.string(r, "name", true);
    let own = read_common(r, t, policy);
    let score = t.number(r, "score", true, false);
    let expect = read_expect(r, t, policy);
    let score = score.and_then(|s| {
        let scale = policy.scale();
        let open = scale.is_open_low(s.value) || scale.is_open_high(s.value);
        match scale.edge(s.value) {
            Ok(_) if !open => Some(s),
            Ok(_) => {
                r.report(Diagnostic::error(
                    Code::InvalidValue,
                    s.span,
                    format!(
                        "`score` is the open end `{}` of the {} scale, not a score",
                        fmt_num(s.value),
                        scale.unit()
                    ),
                ));
                None
            }
            Err(e) => {
                r.report(Diagnostic::error(
                    Code::InvalidValue,
                    s.span,
                    format!(
                        "`score` is `{}`, which the circuit cannot compare: {e}",
                        fmt_num(s.value)
                    ),
                ));
                None
            }
        }
    });
    let (case_name, score, expect) = (case_name?, score?, expect?);
    let mut missing = |what: &str| {
        r.report(
            Diagnostic::error(
                Code::MissingKey,
                t.span(),
                format!(
                    "case `{}` has no `{what}` and there is no default",
                    case_name.value
                ),
            )
            .with_help(format!("set `{what}` in the case or in `[defaults]`")),
        );
    };
    let model = own.model.or_else(|| defaults.model.clone());
    let scope = own.scope.or_else(|| defaults.scope.clone());
    let time = own.time.or(defaults.time);
    for (what, absent) in [
        ("model", model.is_none()),
        ("scope", scope.is_none()),
        ("time", time.is_none()),
    ] {
        if absent && !own.given.contains(&what) && !defaults.given.contains(&what) {
            missing(what);
        }
    }
    if !own.ok || !defaults.ok {
        return None;
    }
    let mut values = defaults.features.clone();
    values.extend(own.features);
    let features = if values.is_empty() {
        None
    } else {
        let absent: Vec<&str> = policy
            .features()
            .iter()
            .map(|f| f.name.as_str())
            .filter(|n| !values.contains_key(*n))
            .collect();
        if !absent.is_empty() {
            r.report(
                Diagnostic::error(
                    Code::MissingKey,
                    t.span(),
                    format!(
                        "case `{}` gives no value for {}",
                        case_name.value,
                        absent
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .with_help("when a case checks features it needs all of them; shared values can go in `[defaults.features]`"),
            );
            return None;
        }
        Some(
            policy
                .features()
                .iter()
                .map(|f| values[f.name.as_str()].0)
                .collect(),
        )
    };
    let ((model_id, model_version), scope, time) = (model?, scope?, time?);
    Some(TestCase {
        name: case_name.value,
        span: t.span(),
        input: DecisionInput {
            model_id,
            model_version,
            scope,
            time,
            score: score.value,
            features,
        },
        expect,
    })
}

/// Reads the test cases of `file` for `policy`; every problem is a diagnostic, and the cases are
/// returned only when there are none.
pub fn read_cases(file: &SourceFile, policy: &Policy) -> (Option<Vec<TestCase>>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let cases = {
        let mut r = Reader::new(&mut diags);
        read_all(&mut r, file.text(), policy)
    };
    diags.sort();
    let cases = if diags.has_errors() { None } else { cases };
    (cases, diags)
}

fn read_all(r: &mut Reader<'_>, text: &str, policy: &Policy) -> Option<Vec<TestCase>> {
    let doc = r.parse(text)?;
    let root = Table::root(&doc);
    root.deny_unknown(r, ROOT_KEYS);
    let defaults = if root.has("defaults") {
        let t = root.table(r, "defaults", "`[defaults]`", false)?;
        t.deny_unknown(r, DEFAULT_KEYS);
        read_common(r, &t, policy)
    } else {
        Common::default()
    };
    let tables = root.tables(r, "case", "`[[case]]`", true)?;
    if tables.value.is_empty() {
        r.report(Diagnostic::error(
            Code::EmptyList,
            tables.span,
            "the file has no test cases",
        ));
        return None;
    }
    let mut cases = Vec::new();
    let mut ok = true;
    for t in &tables.value {
        match read_case(r, t, &defaults, policy) {
            Some(c) => cases.push(c),
            None => ok = false,
        }
    }
    let names: Vec<(String, Range<usize>)> = cases
        .iter()
        .map(|c| (c.name.clone(), c.span.clone()))
        .collect();
    let mut seen: BTreeMap<&str, &Range<usize>> = BTreeMap::new();
    for (n, span) in &names {
        if let Some(first) = seen.get(n.as_str()) {
            ok = false;
            r.report(
                Diagnostic::error(
                    Code::Duplicate,
                    span.clone(),
                    format!("case `{n}` is listed twice"),
                )
                .with_related((*first).clone(), "first listed here"),
            );
        } else {
            seen.insert(n, span);
        }
    }
    ok.then_some(cases)
}

/// Evaluates every case.
pub fn run_cases(policy: &Policy, cases: Vec<TestCase>) -> Vec<CaseResult> {
    cases
        .into_iter()
        .map(|case| CaseResult {
            evaluation: evaluate(policy, &case.input),
            case,
        })
        .collect()
}
