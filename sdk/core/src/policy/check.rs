//! Reading and validating a policy file: every problem found in one run, each pointing at the text
//! that causes it. See `docs/policies.md` for the schema.

use std::ops::Range;
use std::str::FromStr;

use crate::circuits::fixed::quantize_feature;
use crate::circuits::{DecisionKind, Profile, ProfileError};

use super::diagnostic::{near_miss, Code, Diagnostic, Diagnostics, SourceFile};
use super::encoding::encode;
use super::model::{
    AllowedModel, Band, Decision, Explanation, Feature, Outcome, Parts, Policy, ReasonText, Scope,
    ScoreScale,
};
use super::model_schema::ModelSchema;
use super::names::{check_note, ModelId, ModelVersion, Name, NameError, Note, ScopePart};
use super::read::{Document, Reader, Spanned, Table};
use crate::registry::Timestamp;

/// What checking a policy needs besides the file.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// The current time: a policy whose window ended at or before it is refused, one that starts
    /// after it is flagged. `None` skips both (e.g. to hash or explain an old policy).
    pub now: Option<Timestamp>,
    /// A model whose feature schema, profile and identity must match the policy.
    pub model: Option<ModelSchema>,
}

/// The result of checking a file: the policy when there are no errors, and every diagnostic
/// (warnings included), sorted by position.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The validated policy, present exactly when there are no errors.
    pub policy: Option<Policy>,
    /// Everything found, errors and warnings, in file order.
    pub diagnostics: Diagnostics,
}

const ROOT_KEYS: &[&str] = &[
    "policy",
    "scopes",
    "models",
    "score_scale",
    "decision",
    "features",
    "explanation",
];
const POLICY_KEYS: &[&str] = &[
    "id",
    "version",
    "title",
    "owner",
    "profile",
    "valid_from",
    "valid_until",
];
const SCOPE_KEYS: &[&str] = &["purposes", "jurisdictions", "products"];
const MODEL_KEYS: &[&str] = &["id", "versions"];
const SCALE_KINDS: &[&str] = &["points", "log_odds", "probability"];
const DECISION_KINDS: &[&str] = &["score_band", "gate"];
const BAND_KEYS: &[&str] = &["name", "lower", "upper", "outcome"];
const GATE_KEYS: &[&str] = &["kind", "threshold", "at_or_above", "below"];
const FEATURES_KEYS: &[&str] = &["schema", "protected"];
const FEATURE_KEYS: &[&str] = &["name", "min", "max"];
const EXPLANATION_KEYS: &[&str] = &["reasons", "features"];
const REASON_KEYS: &[&str] = &["name", "baseline", "code", "text"];

/// Checks a policy file.
pub fn check(file: &SourceFile, options: &CheckOptions) -> Checked {
    let mut diagnostics = Diagnostics::new();
    let policy = {
        let mut r = Reader::new(&mut diagnostics);
        read_policy(&mut r, file.text(), options)
    };
    diagnostics.sort();
    let policy = if diagnostics.has_errors() {
        None
    } else {
        policy
    };
    Checked {
        policy,
        diagnostics,
    }
}

/// Formats a number as a reader would write it: integers without a fraction.
pub fn fmt_num(v: f64) -> String {
    if v == f64::INFINITY {
        "inf".into()
    } else if v == f64::NEG_INFINITY {
        "-inf".into()
    } else if v != 0.0 && !(1e-6..1e15).contains(&v.abs()) {
        crate::float::exponential(v)
    } else if v.fract() == 0.0 {
        crate::float::fixed(v, 0)
    } else {
        crate::float::display(v)
    }
}

/// Reads a name (a policy [`Name`] or one of the registry's name types), reporting an invalid one.
pub(crate) fn name<T: FromStr<Err = NameError>>(
    r: &mut Reader<'_>,
    s: Spanned<String>,
    what: &str,
) -> Option<Spanned<T>> {
    match s.value.parse::<T>() {
        Ok(n) => Some(Spanned::new(n, s.span)),
        Err(e) => {
            r.report(Diagnostic::error(
                Code::InvalidValue,
                s.span,
                format!("`{}` is not a valid {what}: {}", s.value, e.problem),
            ));
            None
        }
    }
}

fn note(r: &mut Reader<'_>, s: Spanned<String>, what: &str) -> Option<Note> {
    match check_note(&s.value) {
        Ok(n) => Some(n),
        Err(why) => {
            r.report(Diagnostic::error(
                Code::InvalidValue,
                s.span,
                format!("the {what} is not valid: {why}"),
            ));
            None
        }
    }
}

/// Reports every later occurrence of a name already seen; returns whether all were distinct.
fn unique<'a, T: Eq + std::fmt::Display + 'a>(
    r: &mut Reader<'_>,
    items: impl IntoIterator<Item = (&'a T, &'a Range<usize>)>,
    what: &str,
) -> bool {
    // A policy's lists are short (at most a few hundred names): a linear search, rather than
    // one hash map instance per name type in the browser verifier.
    let mut seen: Vec<(&T, Range<usize>)> = Vec::new();
    let mut ok = true;
    for (item, span) in items {
        if let Some((_, first)) = seen.iter().find(|(s, _)| *s == item) {
            ok = false;
            r.report(
                Diagnostic::error(
                    Code::Duplicate,
                    span.clone(),
                    format!("{what} `{item}` is listed twice"),
                )
                .with_label("listed again here")
                .with_related(first.clone(), "first listed here"),
            );
        } else {
            seen.push((item, span.clone()));
        }
    }
    ok
}

/// A list of names, each checked, none repeated; an empty list is reported.
fn name_list<T>(
    r: &mut Reader<'_>,
    t: &Table<'_>,
    key: &str,
    what: &str,
) -> Option<Spanned<Vec<Spanned<T>>>>
where
    T: FromStr<Err = NameError> + std::hash::Hash + Eq + std::fmt::Display,
{
    let list = t.strings(r, key, true)?;
    if list.value.is_empty() {
        r.report(
            Diagnostic::error(
                Code::EmptyList,
                list.span.clone(),
                format!("`{key}` is empty: list at least one {what}"),
            )
            .with_label("empty list"),
        );
        return None;
    }
    let total = list.value.len();
    let names: Vec<Spanned<T>> = list
        .value
        .into_iter()
        .filter_map(|s| name(r, s, what))
        .collect();
    let distinct = unique(r, names.iter().map(|n| (&n.value, &n.span)), what);
    (names.len() == total && distinct).then(|| Spanned::new(names, list.span))
}

struct Header {
    id: Name,
    version: Name,
    title: Note,
    owner: Note,
    valid_from: Timestamp,
    valid_until: Timestamp,
}

/// Reads `[policy]`; the profile comes back on its own so that the rest of the file is checked
/// against it even when other header fields have problems.
fn read_header(
    r: &mut Reader<'_>,
    root: &Table<'_>,
    options: &CheckOptions,
) -> (Option<Header>, Option<Spanned<Profile>>) {
    let Some(t) = root.table(r, "policy", "`[policy]`", true) else {
        return (None, None);
    };
    t.deny_unknown(r, POLICY_KEYS);
    let header = read_header_fields(r, &t, options);
    (header, read_profile(r, &t))
}

fn read_profile(r: &mut Reader<'_>, t: &Table<'_>) -> Option<Spanned<Profile>> {
    let s = t.string(r, "profile", true)?;
    let name = &s.value;
    let d = match Profile::from_name(name) {
        Ok(p) => return Some(Spanned::new(p, s.span)),
        Err(ProfileError::Capacity {
            what,
            value,
            min,
            max,
        }) => {
            let d = Diagnostic::error(
                Code::InvalidValue,
                s.span,
                format!(
                    "`{name}` is not a circuit profile: its {what} must be between {min} and \
                     {max}, got {value}"
                ),
            );
            if what == "protected feature count" && value == 0 {
                d.with_help(
                    "a policy that protects no feature still uses a profile with at least one \
                     protected slot (`-p1`): the slot stays empty",
                )
            } else {
                d
            }
        }
        Err(
            e @ (ProfileError::HiddenLayers { .. }
            | ProfileError::TreeTable { .. }
            | ProfileError::Reasons { .. }),
        ) => Diagnostic::error(
            Code::InvalidValue,
            s.span,
            format!("`{name}` is not a circuit profile: {e}"),
        ),
        Err(ProfileError::Name(_)) => {
            let d = Diagnostic::error(
                Code::InvalidValue,
                s.span,
                format!("`{name}` is not a circuit profile name"),
            );
            match profile_repair(name) {
                Some((fixed, why)) => d.with_help(format!("{why}: did you mean `{fixed}`?")),
                None => d.with_help(
                    "profile names read \
                     `FAMILY-FEATURES[xHIDDEN]-dDEPTH[-bBANDS]-sSCOPES-pPROTECTED-mMODELS[-gate]`, \
                     e.g. `mlp-24x16-d20-b8-s16-p8-m4` (score bands) or \
                     `linear-24-d20-s16-p8-m4-gate` (gate)",
                ),
            }
        }
    };
    r.report(d);
    None
}

/// A valid profile name close to `name` and what was wrong, for the common slips: a band count
/// on a gate profile, a gate profile without `-gate`, capital letters.
fn profile_repair(name: &str) -> Option<(String, &'static str)> {
    let valid = |n: &str| Profile::from_name(n).is_ok();
    let parts: Vec<&str> = name.split('-').collect();
    let is_bands = |p: &&str| {
        p.strip_prefix('b')
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
    };
    if parts.last() == Some(&"gate") && parts.iter().any(is_bands) {
        let fixed: Vec<&str> = parts.iter().copied().filter(|p| !is_bands(p)).collect();
        let fixed = fixed.join("-");
        if valid(&fixed) {
            return Some((fixed, "a gate profile has no band count"));
        }
    }
    if parts.last() != Some(&"gate") && !parts.iter().any(is_bands) {
        let fixed = format!("{name}-gate");
        if valid(&fixed) {
            return Some((
                fixed,
                "a profile without a band count (`-bN`) proves a gate, and ends in `-gate`",
            ));
        }
    }
    let lower = name.to_ascii_lowercase();
    if lower != name && valid(&lower) {
        return Some((lower, "profile names are lowercase"));
    }
    None
}

fn read_header_fields(r: &mut Reader<'_>, t: &Table<'_>, options: &CheckOptions) -> Option<Header> {
    let id = t
        .string(r, "id", true)
        .and_then(|s| name(r, s, "policy id"));
    let version = t
        .string(r, "version", true)
        .and_then(|s| name(r, s, "policy version"));
    let title = t.string(r, "title", true).and_then(|s| note(r, s, "title"));
    let owner = t.string(r, "owner", true).and_then(|s| note(r, s, "owner"));
    let from = t.timestamp(r, "valid_from", true);
    let until = t.timestamp(r, "valid_until", true);
    let (from, until) = (from?, until?);
    if until.value <= from.value {
        let how = if until.value == from.value {
            "when"
        } else {
            "before"
        };
        r.report(
            Diagnostic::error(
                Code::WindowInverted,
                until.span.clone(),
                format!(
                    "the validity window ends at {} {how} it starts at {}",
                    until.value, from.value
                ),
            )
            .with_label("ends here")
            .with_related(from.span.clone(), "starts here"),
        );
        return None;
    }
    if let Some(now) = options.now {
        if until.value <= now {
            r.report(
                Diagnostic::error(
                    Code::WindowEnded,
                    until.span.clone(),
                    format!(
                        "the validity window has already ended: it ended at {}, it is now {now}",
                        until.value
                    ),
                )
                .with_label("ended")
                .with_help("publish a new version of the policy with a current validity window"),
            );
        } else if now < from.value {
            r.report(
                Diagnostic::warning(
                    Code::WindowNotStarted,
                    from.span.clone(),
                    format!(
                        "the policy is not valid yet: it starts at {}, it is now {now}",
                        from.value
                    ),
                )
                .with_label("starts in the future"),
            );
        }
    }
    Some(Header {
        id: id?.value,
        version: version?.value,
        title: title?,
        owner: owner?,
        valid_from: from.value,
        valid_until: until.value,
    })
}

fn capacity_error(
    span: Range<usize>,
    label: String,
    given: usize,
    what: &str,
    profile: &Profile,
    max: usize,
    exact: bool,
) -> Diagnostic {
    let msg = if exact {
        format!(
            "the policy declares {given} {what}, profile `{}` takes exactly {max}",
            profile.name()
        )
    } else {
        format!(
            "the policy has {given} {what}, profile `{}` holds at most {max}",
            profile.name()
        )
    };
    Diagnostic::error(Code::Capacity, span, msg).with_label(label)
}

fn read_scopes(
    r: &mut Reader<'_>,
    root: &Table<'_>,
    profile: Option<&Profile>,
) -> Option<Vec<Scope>> {
    let tables = root.tables(r, "scopes", "`[[scopes]]`", true)?;
    if tables.value.is_empty() {
        r.report(Diagnostic::error(
            Code::EmptyList,
            tables.span.clone(),
            "`scopes` is empty: list at least one scope",
        ));
        return None;
    }
    let mut all: Vec<(Scope, Range<usize>)> = Vec::new();
    let mut ok = true;
    for t in &tables.value {
        t.deny_unknown(r, SCOPE_KEYS);
        let purposes = name_list::<ScopePart>(r, t, "purposes", "purpose");
        let jurisdictions = name_list::<ScopePart>(r, t, "jurisdictions", "jurisdiction");
        let products = name_list::<ScopePart>(r, t, "products", "product");
        let (Some(p), Some(j), Some(x)) = (purposes, jurisdictions, products) else {
            ok = false;
            continue;
        };
        for p in &p.value {
            for j in &j.value {
                for x in &x.value {
                    all.push((
                        Scope {
                            purpose: p.value.clone(),
                            jurisdiction: j.value.clone(),
                            product: x.value.clone(),
                        },
                        t.span(),
                    ));
                }
            }
        }
    }
    if !ok {
        return None;
    }
    if !unique(r, all.iter().map(|(s, span)| (s, span)), "scope") {
        return None;
    }
    if let Some(p) = profile {
        if all.len() > p.scopes() {
            // Point at the scope table that goes past the capacity.
            let (_, span) = &all[p.scopes()];
            r.report(
                capacity_error(
                    span.clone(),
                    format!("this entry goes beyond the profile's {}", p.scopes()),
                    all.len(),
                    "scopes",
                    p,
                    p.scopes(),
                    false,
                )
                .with_help(
                    "each `[[scopes]]` entry allows every combination of its purposes, \
                         jurisdictions and products; split the policy or choose a profile with \
                         more scope slots",
                ),
            );
            return None;
        }
    }
    let mut scopes: Vec<Scope> = all.into_iter().map(|(s, _)| s).collect();
    crate::sort::sort(&mut scopes);
    Some(scopes)
}

fn read_models(
    r: &mut Reader<'_>,
    root: &Table<'_>,
    profile: Option<&Profile>,
) -> Option<Spanned<Vec<AllowedModel>>> {
    let tables = root.tables(r, "models", "`[[models]]`", true)?;
    if tables.value.is_empty() {
        r.report(Diagnostic::error(
            Code::EmptyList,
            tables.span.clone(),
            "`models` is empty: allow at least one model",
        ));
        return None;
    }
    let mut all: Vec<(AllowedModel, Range<usize>)> = Vec::new();
    let mut ok = true;
    for t in &tables.value {
        t.deny_unknown(r, MODEL_KEYS);
        let id = t
            .string(r, "id", true)
            .and_then(|s| name::<ModelId>(r, s, "model id"));
        let versions = name_list::<ModelVersion>(r, t, "versions", "model version");
        let (Some(id), Some(versions)) = (id, versions) else {
            ok = false;
            continue;
        };
        for v in versions.value {
            all.push((
                AllowedModel {
                    id: id.value.clone(),
                    version: v.value,
                },
                v.span,
            ));
        }
    }
    if !ok || !unique(r, all.iter().map(|(m, s)| (m, s)), "model") {
        return None;
    }
    if let Some(p) = profile {
        if all.len() > p.models() {
            let (_, span) = &all[p.models()];
            r.report(capacity_error(
                span.clone(),
                format!(
                    "version {}, beyond the profile's {}",
                    p.models() + 1,
                    p.models()
                ),
                all.len(),
                "allowed model versions",
                p,
                p.models(),
                false,
            ));
            return None;
        }
    }
    let mut models: Vec<AllowedModel> = all.into_iter().map(|(m, _)| m).collect();
    crate::sort::sort(&mut models);
    Some(Spanned::new(models, tables.span))
}

fn read_scale(r: &mut Reader<'_>, root: &Table<'_>) -> Option<ScoreScale> {
    let t = root.table(r, "score_scale", "`[score_scale]`", true)?;
    let kind = t.string(r, "kind", true);
    let Some(kind) = kind else {
        t.deny_unknown(r, &["kind", "offset", "factor", "pdo"]);
        return None;
    };
    match kind.value.as_str() {
        "points" => {
            t.deny_unknown(r, &["kind", "offset", "factor", "pdo"]);
            let offset = t.number(r, "offset", true, false);
            let factor = t.number(r, "factor", false, false);
            let pdo = t.number(r, "pdo", false, false);
            let factor = match (factor, pdo) {
                (Some(f), None) => Some(f),
                (None, Some(p)) => Some(Spanned::new(p.value / std::f64::consts::LN_2, p.span)),
                (None, None) => {
                    r.report(
                        Diagnostic::error(
                            Code::MissingKey,
                            t.span(),
                            "a points scale needs `factor` or `pdo`",
                        )
                        .with_help(
                            "`factor` is points per unit of log-odds; `pdo` is the points that \
                             double the odds (factor = pdo / ln 2)",
                        ),
                    );
                    None
                }
                (Some(f), Some(p)) => {
                    r.report(
                        Diagnostic::error(
                            Code::InvalidValue,
                            p.span,
                            "give either `factor` or `pdo`, not both",
                        )
                        .with_related(f.span, "`factor` given here"),
                    );
                    None
                }
            };
            let factor = factor?;
            if factor.value <= 0.0 {
                r.report(Diagnostic::error(
                    Code::InvalidValue,
                    factor.span,
                    "points must grow with the log-odds: the factor must be positive",
                ));
                return None;
            }
            Some(ScoreScale::Points {
                offset: offset?.value,
                factor: factor.value,
            })
        }
        "log_odds" => {
            t.deny_unknown(r, &["kind"]);
            Some(ScoreScale::LogOdds)
        }
        "probability" => {
            t.deny_unknown(r, &["kind"]);
            Some(ScoreScale::Probability)
        }
        other => {
            let mut d = Diagnostic::error(
                Code::InvalidValue,
                kind.span,
                format!("`{other}` is not a score scale kind"),
            );
            d = match near_miss(other, SCALE_KINDS) {
                Some(k) => d.with_help(format!("did you mean `{k}`?")),
                None => d.with_help("the kinds are `points`, `log_odds` and `probability`"),
            };
            r.report(d);
            None
        }
    }
}

fn outcome(r: &mut Reader<'_>, t: &Table<'_>, key: &str) -> Option<Outcome> {
    let s = t.string(r, key, true)?;
    match Outcome::parse(&s.value) {
        Some(o) => Some(o),
        None => {
            let mut d = Diagnostic::error(
                Code::InvalidValue,
                s.span,
                format!("`{}` is not an outcome", s.value),
            );
            d = match near_miss(&s.value, &Outcome::ALL) {
                Some(k) => d.with_help(format!("did you mean `{k}`?")),
                None => d.with_help("the outcomes are `approve`, `refer` and `decline`"),
            };
            r.report(d);
            None
        }
    }
}

/// A value on the score scale, checked for the scale's domain.
fn scale_value(
    r: &mut Reader<'_>,
    t: &Table<'_>,
    key: &str,
    scale: Option<&ScoreScale>,
    open_ok: bool,
) -> Option<Spanned<f64>> {
    let v = t.number(r, key, true, true)?;
    // Without a valid scale only the scale-independent checks (order, overlaps) can run.
    let Some(scale) = scale else {
        return Some(v);
    };
    let open = scale.is_open_low(v.value) || scale.is_open_high(v.value);
    if let ScoreScale::Probability = scale {
        if v.value.is_infinite() || !(0.0..=1.0).contains(&v.value) {
            r.report(Diagnostic::error(
                Code::InvalidValue,
                v.span,
                format!(
                    "`{key}` is `{}`, but a probability lies between 0 and 1",
                    fmt_num(v.value)
                ),
            ));
            return None;
        }
    }
    if open && !open_ok {
        r.report(Diagnostic::error(
            Code::InvalidValue,
            v.span,
            format!(
                "`{key}` must be a score, not the open end `{}`",
                fmt_num(v.value)
            ),
        ));
        return None;
    }
    if let Err(e) = scale.edge(v.value) {
        r.report(Diagnostic::error(
            Code::InvalidValue,
            v.span,
            format!(
                "`{key}` is `{}`, which the circuit cannot compare: {e}",
                fmt_num(v.value)
            ),
        ));
        return None;
    }
    Some(v)
}

struct SpannedBand {
    /// The band's name, or `#k` when it has none, for messages.
    label: String,
    lower: f64,
    upper: f64,
    /// Name and outcome, when both read.
    parsed: Option<(Name, Outcome)>,
    table: Range<usize>,
    lower_span: Range<usize>,
    upper_span: Range<usize>,
}

fn read_bands(
    r: &mut Reader<'_>,
    t: &Table<'_>,
    scale: Option<&ScoreScale>,
    profile: Option<&Profile>,
) -> Option<Decision> {
    let tables = t.tables(r, "bands", "`[[decision.bands]]`", true)?;
    if tables.value.is_empty() {
        r.report(Diagnostic::error(
            Code::EmptyList,
            tables.span.clone(),
            "`bands` is empty: a band table needs at least one band",
        ));
        return None;
    }
    let mut bands: Vec<SpannedBand> = Vec::new();
    let mut names: Vec<Spanned<Name>> = Vec::new();
    let mut ok = true;
    // Whether every band's bounds read and are in order: gaps and overlaps are only meaningful
    // then (a band refused here would otherwise show up as a gap).
    let mut bounds_ok = true;
    for (i, b) in tables.value.iter().enumerate() {
        b.deny_unknown(r, BAND_KEYS);
        let n = b
            .string(r, "name", true)
            .and_then(|s| name(r, s, "band name"));
        let lower = scale_value(r, b, "lower", scale, true);
        let upper = scale_value(r, b, "upper", scale, true);
        let out = outcome(r, b, "outcome");
        if let Some(n) = &n {
            names.push(n.clone());
        }
        let label = n
            .as_ref()
            .map_or_else(|| format!("#{}", i + 1), |n| n.value.to_string());
        let (Some(lower), Some(upper)) = (lower, upper) else {
            ok = false;
            bounds_ok = false;
            continue;
        };
        if lower.value >= upper.value {
            let how = if lower.value == upper.value {
                "equals"
            } else {
                "is above"
            };
            r.report(
                Diagnostic::error(
                    Code::BandInverted,
                    lower.span.clone(),
                    format!(
                        "band `{label}` is empty: its lower bound `{}` {how} its upper bound `{}`",
                        fmt_num(lower.value),
                        fmt_num(upper.value)
                    ),
                )
                .with_label("lower bound")
                .with_related(upper.span.clone(), "upper bound"),
            );
            ok = false;
            bounds_ok = false;
            continue;
        }
        let parsed = match (n, out) {
            (Some(n), Some(o)) => Some((n.value, o)),
            _ => {
                ok = false;
                None
            }
        };
        bands.push(SpannedBand {
            label,
            lower: lower.value,
            upper: upper.value,
            parsed,
            table: b.span(),
            lower_span: lower.span,
            upper_span: upper.span,
        });
    }
    if !unique(r, names.iter().map(|n| (&n.value, &n.span)), "band") {
        ok = false;
    }
    if let Some(p) = profile {
        if let DecisionKind::ScoreBand { bands: cap } = p.kind() {
            if let Some(extra) = tables.value.get(cap) {
                r.report(capacity_error(
                    extra.span(),
                    format!("band {}, beyond the profile's {cap}", cap + 1),
                    tables.value.len(),
                    "bands",
                    p,
                    cap,
                    false,
                ));
                ok = false;
            }
        }
    }
    if !bounds_ok {
        return None;
    }
    crate::sort::sort_by(&mut bands, |a, b| {
        a.lower
            .total_cmp(&b.lower)
            .then(a.upper.total_cmp(&b.upper))
    });
    for w in bands.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        if a.upper > b.lower {
            ok = false;
            r.report(
                Diagnostic::error(
                    Code::BandOverlap,
                    b.lower_span.clone(),
                    format!(
                        "bands `{}` and `{}` overlap: `{}` ends at `{}` but `{}` starts at `{}`",
                        a.label,
                        b.label,
                        a.label,
                        fmt_num(a.upper),
                        b.label,
                        fmt_num(b.lower)
                    ),
                )
                .with_label(format!("`{}` starts here", b.label))
                .with_related(a.upper_span.clone(), format!("`{}` ends here", a.label)),
            );
        } else if a.upper < b.lower {
            ok = false;
            r.report(
                Diagnostic::error(
                    Code::BandGap,
                    b.lower_span.clone(),
                    format!(
                        "no band holds scores from `{}` up to `{}`, between bands `{}` and `{}`",
                        fmt_num(a.upper),
                        fmt_num(b.lower),
                        a.label,
                        b.label
                    ),
                )
                .with_label(format!("`{}` starts here", b.label))
                .with_related(a.upper_span.clone(), format!("`{}` ends here", a.label)),
            );
        }
    }
    let scale = scale?;
    if let (Some(first), Some(last)) = (bands.first(), bands.last()) {
        if !scale.is_open_low(first.lower) {
            r.report(
                Diagnostic::warning(
                    Code::BandUncovered,
                    first.lower_span.clone(),
                    format!(
                        "no band holds scores below `{}`: such decisions cannot be proved",
                        fmt_num(first.lower)
                    ),
                )
                .with_help(format!(
                    "to cover them, make the lowest band start at `{}`",
                    fmt_num(open_low(scale))
                )),
            );
        }
        if !scale.is_open_high(last.upper) {
            r.report(
                Diagnostic::warning(
                    Code::BandUncovered,
                    last.upper_span.clone(),
                    format!(
                        "no band holds scores at or above `{}`: such decisions cannot be proved",
                        fmt_num(last.upper)
                    ),
                )
                .with_help(format!(
                    "to cover them, make the highest band end at `{}`",
                    fmt_num(open_high(scale))
                )),
            );
        }
    }
    if !ok {
        return None;
    }
    // Edges: the lowest band's lower bound, then every band's upper bound (contiguous by now).
    let first = bands.first()?;
    let mut edges = vec![scale.edge(first.lower).ok()?];
    let mut prev: Option<&SpannedBand> = None;
    for b in &bands {
        let e = scale.edge(b.upper).ok()?;
        if edges.last().is_some_and(|&last| e <= last) {
            let mut d = Diagnostic::error(
                Code::BandResolution,
                b.table.clone(),
                format!(
                    "band `{}` is narrower than the circuit's score resolution (2^-48 log-odds)",
                    b.label
                ),
            )
            .with_label("too narrow");
            if let Some(p) = prev {
                d = d.with_related(p.upper_span.clone(), "previous band ends here");
            }
            r.report(d);
            return None;
        }
        edges.push(e);
        prev = Some(b);
    }
    let bands = bands
        .into_iter()
        .map(|b| {
            b.parsed.map(|(name, outcome)| Band {
                name,
                lower: b.lower,
                upper: b.upper,
                outcome,
            })
        })
        .collect::<Option<Vec<Band>>>()?;
    Some(Decision::ScoreBand { bands, edges })
}

fn open_low(scale: &ScoreScale) -> f64 {
    match scale {
        ScoreScale::Probability => 0.0,
        _ => f64::NEG_INFINITY,
    }
}

fn open_high(scale: &ScoreScale) -> f64 {
    match scale {
        ScoreScale::Probability => 1.0,
        _ => f64::INFINITY,
    }
}

fn read_decision(
    r: &mut Reader<'_>,
    root: &Table<'_>,
    scale: Option<&ScoreScale>,
    profile: Option<&Spanned<Profile>>,
) -> Option<Decision> {
    let t = root.table(r, "decision", "`[decision]`", true)?;
    let Some(kind) = t.string(r, "kind", true) else {
        t.deny_unknown(r, &["kind", "bands", "threshold", "at_or_above", "below"]);
        return None;
    };
    let wanted = match kind.value.as_str() {
        "score_band" => DecisionKind::ScoreBand { bands: 0 },
        "gate" => DecisionKind::Gate,
        other => {
            t.deny_unknown(r, &["kind", "bands", "threshold", "at_or_above", "below"]);
            let mut d = Diagnostic::error(
                Code::InvalidValue,
                kind.span,
                format!("`{other}` is not a decision kind"),
            );
            d = match near_miss(other, DECISION_KINDS) {
                Some(k) => d.with_help(format!("did you mean `{k}`?")),
                None => d.with_help("the kinds are `score_band` and `gate`"),
            };
            r.report(d);
            return None;
        }
    };
    let mut kind_ok = true;
    if let Some(p) = profile {
        let proves_bands = matches!(p.value.kind(), DecisionKind::ScoreBand { .. });
        let wants_bands = matches!(wanted, DecisionKind::ScoreBand { .. });
        if proves_bands != wants_bands {
            kind_ok = false;
            let proves = if proves_bands { "score_band" } else { "gate" };
            r.report(
                Diagnostic::error(
                    Code::KindMismatch,
                    kind.span.clone(),
                    format!(
                        "profile `{}` proves `{proves}` decisions, but the decision kind is `{}`",
                        p.value.name(),
                        kind.value
                    ),
                )
                .with_related(p.span.clone(), "profile chosen here"),
            );
        }
    }
    let profile = profile.map(|p| &p.value);
    let decision = match wanted {
        DecisionKind::ScoreBand { .. } => {
            t.deny_unknown(r, &["kind", "bands"]);
            read_bands(r, &t, scale, profile.filter(|_| kind_ok))
        }
        DecisionKind::Gate => {
            t.deny_unknown(r, GATE_KEYS);
            let threshold = scale_value(r, &t, "threshold", scale, false);
            let above = outcome(r, &t, "at_or_above");
            let below = outcome(r, &t, "below");
            let threshold = threshold?;
            let edge = scale?.edge(threshold.value).ok()?;
            Some(Decision::Gate {
                threshold: threshold.value,
                edge,
                at_or_above: above?,
                below: below?,
            })
        }
    };
    if kind_ok {
        decision
    } else {
        None
    }
}

struct Features {
    features: Vec<Feature>,
    names: Vec<Range<usize>>,
    /// Where each feature's `min` and `max` are written.
    bounds: Vec<(Range<usize>, Range<usize>)>,
    schema_span: Range<usize>,
    protected: Vec<usize>,
}

fn read_features(
    r: &mut Reader<'_>,
    root: &Table<'_>,
    profile: Option<&Profile>,
) -> Option<Features> {
    let t = root.table(r, "features", "`[features]`", true)?;
    t.deny_unknown(r, FEATURES_KEYS);
    let tables = t.tables(r, "schema", "`[[features.schema]]`", true);
    let protected = t.strings(r, "protected", true);
    let tables = tables?;
    let mut features = Vec::new();
    let mut names: Vec<Spanned<Name>> = Vec::new();
    let mut bounds = Vec::new();
    let mut ok = true;
    for f in &tables.value {
        f.deny_unknown(r, FEATURE_KEYS);
        let n = f
            .string(r, "name", true)
            .and_then(|s| name(r, s, "feature name"));
        let min = f.number(r, "min", true, false);
        let max = f.number(r, "max", true, false);
        if let Some(n) = &n {
            names.push(n.clone());
        }
        let (Some(n), Some(min), Some(max)) = (n, min, max) else {
            ok = false;
            continue;
        };
        let lo = quantize_feature(min.value);
        let hi = quantize_feature(max.value);
        for (v, q) in [(&min, &lo), (&max, &hi)] {
            if let Err(e) = q {
                r.report(Diagnostic::error(
                    Code::InvalidValue,
                    v.span.clone(),
                    format!(
                        "feature `{}` cannot be bounded by `{}`: {e}",
                        n.value,
                        fmt_num(v.value)
                    ),
                ));
            }
        }
        let (Ok(lo), Ok(hi)) = (lo, hi) else {
            ok = false;
            continue;
        };
        if min.value > max.value {
            r.report(
                Diagnostic::error(
                    Code::RangeInverted,
                    min.span.clone(),
                    format!(
                        "feature `{}` has an empty range: its minimum `{}` is above its maximum `{}`",
                        n.value,
                        fmt_num(min.value),
                        fmt_num(max.value)
                    ),
                )
                .with_label("minimum")
                .with_related(max.span, "maximum"),
            );
            ok = false;
            continue;
        }
        bounds.push((min.span.clone(), max.span.clone()));
        features.push(Feature {
            name: n.value,
            min: min.value,
            max: max.value,
            lo,
            hi,
        });
    }
    if !unique(r, names.iter().map(|n| (&n.value, &n.span)), "feature") {
        ok = false;
    }
    if let Some(p) = profile {
        if tables.value.len() != p.features() {
            let (span, label) = match tables.value.get(p.features()) {
                Some(extra) => (
                    extra.span(),
                    format!(
                        "feature {}, beyond the profile's {}",
                        p.features() + 1,
                        p.features()
                    ),
                ),
                None => (
                    t.key_span("schema").unwrap_or(tables.span.clone()),
                    format!("{} features", tables.value.len()),
                ),
            };
            r.report(capacity_error(
                span,
                label,
                tables.value.len(),
                "features",
                p,
                p.features(),
                true,
            ));
            ok = false;
        }
    }
    let known: Vec<&str> = names.iter().map(|n| n.value.as_str()).collect();
    let mut indices: Vec<(usize, Range<usize>)> = Vec::new();
    if let Some(protected) = &protected {
        for s in &protected.value {
            match known.iter().position(|&k| k == s.value) {
                Some(i) => indices.push((i, s.span.clone())),
                None => {
                    ok = false;
                    let mut d = Diagnostic::error(
                        Code::UnknownFeature,
                        s.span.clone(),
                        format!(
                            "protected feature `{}` is not in the feature schema",
                            s.value
                        ),
                    )
                    .with_label("not a declared feature");
                    if let Some(k) = near_miss(&s.value, &known) {
                        d = d.with_help(format!("did you mean `{k}`?"));
                    }
                    r.report(d);
                }
            }
        }
        let named: Vec<(&str, &Range<usize>)> =
            indices.iter().map(|(i, s)| (known[*i], s)).collect();
        if !unique(r, named.iter().map(|(n, s)| (n, *s)), "protected feature") {
            ok = false;
        }
        if let Some(p) = profile {
            if let Some(extra) = protected.value.get(p.protected()) {
                r.report(capacity_error(
                    extra.span.clone(),
                    format!(
                        "protected feature {}, beyond the profile's {}",
                        p.protected() + 1,
                        p.protected()
                    ),
                    protected.value.len(),
                    "protected features",
                    p,
                    p.protected(),
                    false,
                ));
                ok = false;
            }
        }
    }
    protected?;
    if !ok {
        return None;
    }
    let mut protected: Vec<usize> = indices.into_iter().map(|(i, _)| i).collect();
    crate::sort::sort(&mut protected);
    Some(Features {
        features,
        names: names.into_iter().map(|n| n.span).collect(),
        bounds,
        schema_span: t.key_span("schema").unwrap_or(tables.span),
        protected,
    })
}

/// The name of `profile` with `count` proven reasons, for a repair.
fn with_reasons_name(profile: &Profile, count: usize) -> Option<String> {
    profile.with_reasons(count).ok().map(|p| p.name())
}

/// Reads `[explanation]`: `Some(None)` when the policy has none (and its profile proves no
/// reasons), `None` after reporting a problem.
fn read_explanation(
    r: &mut Reader<'_>,
    root: &Table<'_>,
    profile: Option<&Spanned<Profile>>,
    features: Option<&Features>,
) -> Option<Option<Explanation>> {
    if !root.has("explanation") {
        if let Some(p) = profile.filter(|p| p.value.reasons() > 0) {
            r.report(
                Diagnostic::error(
                    Code::MissingKey,
                    p.span.clone(),
                    format!(
                        "profile `{}` proves reasons, but the policy has no `[explanation]`",
                        p.value.name()
                    ),
                )
                .with_label("proves reasons")
                .with_help(
                    "add `[explanation]` with `reasons` and, per feature, its `baseline` and \
                     reason `text`, or use the profile without `-rK`",
                ),
            );
            return None;
        }
        return Some(None);
    }
    let t = root.table(r, "explanation", "`[explanation]`", true)?;
    t.deny_unknown(r, EXPLANATION_KEYS);
    let mut ok = true;
    if let Some(p) = profile {
        let plain = p.value.without_reasons();
        match plain.with_reasons(1) {
            Err(e) => {
                let why = match &e {
                    ProfileError::Reasons { why, .. } => *why,
                    _ => "its family cannot prove reasons",
                };
                r.report(
                    Diagnostic::error(
                        Code::KindMismatch,
                        t.span(),
                        format!(
                            "profile `{}` cannot prove reasons, so the policy cannot explain its \
                             decisions: {why}",
                            p.value.name()
                        ),
                    )
                    .with_related(p.span.clone(), "the profile")
                    .with_help(
                        "proven reasons need a linear model (`linear-...-rK`) or a node-table \
                         tree ensemble (`trees-N-TlLhD-...-rK`)",
                    ),
                );
                ok = false;
            }
            Ok(_) if p.value.reasons() == 0 => {
                let mut d = Diagnostic::error(
                    Code::KindMismatch,
                    t.span(),
                    format!(
                        "profile `{}` proves no reasons: an explanation needs a profile with \
                         proven reasons (`-rK`)",
                        p.value.name()
                    ),
                )
                .with_related(p.span.clone(), "the profile");
                if let Some(fixed) = with_reasons_name(&p.value, 4) {
                    d = d.with_help(format!("e.g. `{fixed}` proves 4 reasons"));
                }
                r.report(d);
                ok = false;
            }
            Ok(_) => {}
        }
    }
    let count = t.number(r, "reasons", true, false);
    let mut reasons = None;
    if let Some(c) = &count {
        let max = crate::circuits::profile::MAX_REASONS;
        if c.value.fract() != 0.0 || c.value < 1.0 || c.value > max as f64 {
            r.report(Diagnostic::error(
                Code::InvalidValue,
                c.span.clone(),
                format!(
                    "`{}` reasons: a decision names 1 to {max} reasons",
                    fmt_num(c.value)
                ),
            ));
            ok = false;
        } else {
            // A whole number in 1..=MAX_REASONS.
            let k = c.value as usize;
            if let Some(p) = profile.filter(|p| p.value.reasons() > 0 && p.value.reasons() != k) {
                let mut d = Diagnostic::error(
                    Code::Capacity,
                    c.span.clone(),
                    format!(
                        "the explanation names {k} reasons, profile `{}` proves exactly {}",
                        p.value.name(),
                        p.value.reasons()
                    ),
                )
                .with_related(p.span.clone(), "the profile");
                if let Some(fixed) = with_reasons_name(&p.value, k) {
                    d = d.with_help(format!("for {k} reasons use profile `{fixed}`"));
                }
                r.report(d);
                ok = false;
            }
            reasons = Some(k);
        }
    }
    // A node-table tree ensemble's path contributions are measured from its expected value (the
    // trees' node values, committed with the model), so its lines state no baseline.
    let trees = profile.is_some_and(|p| p.value.table_shape().is_some());
    let lines = t.tables(r, "features", "`[[explanation.features]]`", true);
    let (Some(lines), Some(features)) = (lines, features) else {
        return None;
    };
    let known: Vec<&str> = features.features.iter().map(|f| f.name.as_str()).collect();
    let mut slots: Vec<Option<ReasonText>> = vec![None; known.len()];
    let mut first_span: Vec<Option<Range<usize>>> = vec![None; known.len()];
    // Features some line names, valid or not (a broken line is reported once, as itself).
    let mut named = vec![false; known.len()];
    for line in &lines.value {
        line.deny_unknown(r, REASON_KEYS);
        let fname = line.string(r, "name", true);
        let baseline = line.number(r, "baseline", !trees, false);
        let baseline = match (trees, baseline) {
            (true, Some(b)) => {
                r.report(
                    Diagnostic::error(
                        Code::KindMismatch,
                        b.span.clone(),
                        "a tree ensemble's contributions are measured from its expected value \
                         (the node values committed with its trees), not from a baseline",
                    )
                    .with_label("no baseline for trees")
                    .with_help("remove `baseline` from every line of the explanation"),
                );
                ok = false;
                None
            }
            (true, None) => Some(Spanned {
                value: f64::NAN,
                span: 0..0,
            }),
            (false, b) => b,
        };
        let code = line.string(r, "code", false);
        let text = line.string(r, "text", true);
        let index = fname.as_ref().and_then(|n| {
            let i = known.iter().position(|&k| k == n.value);
            if i.is_none() {
                let mut d = Diagnostic::error(
                    Code::UnknownFeature,
                    n.span.clone(),
                    format!(
                        "explained feature `{}` is not in the feature schema",
                        n.value
                    ),
                )
                .with_label("not a declared feature");
                if let Some(k) = near_miss(&n.value, &known) {
                    d = d.with_help(format!("did you mean `{k}`?"));
                }
                r.report(d);
            }
            if let Some(i) = i {
                named[i] = true;
            }
            i
        });
        let text = text.and_then(|s| match check_note(&s.value) {
            Ok(_) => Some(s.value),
            Err(why) => {
                r.report(Diagnostic::error(
                    Code::InvalidValue,
                    s.span,
                    format!("the reason text is not valid: {why}"),
                ));
                None
            }
        });
        let code = match code {
            None => fname.as_ref().map(|n| n.value.clone()),
            Some(c) => name::<Name>(r, c, "reason code").map(|c| c.value.as_str().to_string()),
        };
        let (Some(n), Some(i), Some(b), Some(code), Some(text)) =
            (fname, index, baseline, code, text)
        else {
            ok = false;
            continue;
        };
        if let Some(first) = &first_span[i] {
            r.report(
                Diagnostic::error(
                    Code::Duplicate,
                    n.span.clone(),
                    format!("explained feature `{}` is listed twice", n.value),
                )
                .with_label("listed again here")
                .with_related(first.clone(), "first listed here"),
            );
            ok = false;
            continue;
        }
        first_span[i] = Some(n.span.clone());
        let f = &features.features[i];
        if trees {
            // No baseline: recorded as 0, and neither hashed nor used.
            slots[i] = Some(ReasonText {
                feature: i,
                code,
                text,
                baseline: 0.0,
                fixed: 0,
            });
            continue;
        }
        if b.value < f.min || b.value > f.max {
            r.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    b.span.clone(),
                    format!(
                        "the baseline `{}` of feature `{}` is outside its range [{}, {}]",
                        fmt_num(b.value),
                        f.name,
                        fmt_num(f.min),
                        fmt_num(f.max)
                    ),
                )
                .with_label("outside the feature's range")
                .with_related(features.names[i].clone(), "the feature"),
            );
            ok = false;
            continue;
        }
        match quantize_feature(b.value) {
            Ok(fixed) => {
                slots[i] = Some(ReasonText {
                    feature: i,
                    code,
                    text,
                    baseline: b.value,
                    fixed,
                })
            }
            Err(e) => {
                r.report(Diagnostic::error(
                    Code::InvalidValue,
                    b.span.clone(),
                    format!("the baseline `{}` cannot be used: {e}", fmt_num(b.value)),
                ));
                ok = false;
            }
        }
    }
    // Every feature that can be a reason needs its line; a protected feature carries zero
    // weight, so it never contributes and may be left out (its baseline is then its minimum).
    let mut out = Vec::with_capacity(known.len());
    for (i, slot) in slots.into_iter().enumerate() {
        match slot {
            Some(s) => out.push(s),
            None if named[i] => {}
            None if features.protected.contains(&i) => {
                let f = &features.features[i];
                out.push(ReasonText {
                    feature: i,
                    code: f.name.as_str().to_string(),
                    text: String::new(),
                    baseline: f.min,
                    fixed: f.lo,
                });
            }
            None => {
                r.report(
                    Diagnostic::error(
                        Code::MissingKey,
                        t.key_span("features").unwrap_or(lines.span.clone()),
                        format!(
                            "feature `{}` has no line in the explanation: it needs {}",
                            known[i],
                            if trees {
                                "a reason text"
                            } else {
                                "a baseline and a reason text"
                            }
                        ),
                    )
                    .with_label("every feature that can be a reason needs a line")
                    .with_related(features.names[i].clone(), "the feature"),
                );
                ok = false;
            }
        }
    }
    if !ok {
        return None;
    }
    Some(Some(Explanation {
        reasons: reasons?,
        features: out,
    }))
}

fn check_model(
    r: &mut Reader<'_>,
    model: &ModelSchema,
    profile: &Spanned<Profile>,
    models: &Spanned<Vec<AllowedModel>>,
    features: &Features,
) {
    let who = model.describe();
    if let Some(p) = &model.profile {
        if *p != profile.value.name() {
            r.report(
                Diagnostic::error(
                    Code::ModelMismatch,
                    profile.span.clone(),
                    format!(
                        "model {who} is built for profile `{p}`, the policy for `{}`",
                        profile.value.name()
                    ),
                )
                .with_label("policy profile"),
            );
        }
    }
    if let (Some(id), Some(version)) = (&model.id, &model.version) {
        let allowed = models
            .value
            .iter()
            .any(|m| m.id.as_str() == id && m.version.as_str() == version);
        if !allowed {
            r.report(
                Diagnostic::error(
                    Code::ModelMismatch,
                    models.span.clone(),
                    format!("model {who} is not among the models the policy allows"),
                )
                .with_label("allowed models"),
            );
        }
    }
    let ours = &features.features;
    if model.features.len() != ours.len() {
        r.report(
            Diagnostic::error(
                Code::ModelMismatch,
                features.schema_span.clone(),
                format!(
                    "model {who} takes {} features, the policy declares {}",
                    model.features.len(),
                    ours.len()
                ),
            )
            .with_label("policy feature schema"),
        );
    }
    for (i, (f, theirs)) in ours.iter().zip(&model.features).enumerate() {
        if f.name.as_str() != theirs.name {
            let mut d = Diagnostic::error(
                Code::ModelMismatch,
                features.names[i].clone(),
                format!(
                    "feature {} is `{}` in the policy but `{}` in model {who}",
                    i + 1,
                    f.name,
                    theirs.name
                ),
            )
            .with_label(format!("model has `{}` here", theirs.name));
            if let Some(j) = model
                .features
                .iter()
                .position(|m| m.name == f.name.as_str())
            {
                d = d.with_help(format!(
                    "the model takes `{}` as feature {}: the order of the features differs",
                    f.name,
                    j + 1
                ));
            }
            r.report(d);
            continue;
        }
        // The policy must not let an input outside what the model accepts reach it.
        let (min_span, max_span) = &features.bounds[i];
        if let Some(m) = theirs.min.filter(|&m| f.min < m) {
            r.report(
                Diagnostic::error(
                    Code::ModelMismatch,
                    min_span.clone(),
                    format!(
                        "the policy lets `{}` go down to `{}`, below the minimum `{}` that model \
                         {who} accepts",
                        f.name,
                        fmt_num(f.min),
                        fmt_num(m)
                    ),
                )
                .with_label(format!("the model's minimum is `{}`", fmt_num(m))),
            );
        }
        if let Some(m) = theirs.max.filter(|&m| f.max > m) {
            r.report(
                Diagnostic::error(
                    Code::ModelMismatch,
                    max_span.clone(),
                    format!(
                        "the policy lets `{}` go up to `{}`, above the maximum `{}` that model \
                         {who} accepts",
                        f.name,
                        fmt_num(f.max),
                        fmt_num(m)
                    ),
                )
                .with_label(format!("the model's maximum is `{}`", fmt_num(m))),
            );
        }
    }
}

/// Where each band's name is written, by name.
type BandNameSpans = Vec<(String, Range<usize>)>;

/// The spans of the decision's band names, by name, and of the gate's threshold, read straight
/// from the document (the bands in a [`Decision`] are sorted by score, not in file order).
fn decision_spans(doc: &Document) -> (BandNameSpans, Option<Range<usize>>) {
    let decision = doc.root.get("decision").and_then(|d| d.value.as_table());
    let mut names = Vec::new();
    // `[[decision.bands]]` or `bands = [{..}]`: an array of tables either way.
    if let Some(bands) = decision
        .and_then(|d| d.get("bands"))
        .and_then(|b| b.value.as_array())
    {
        for band in &bands.items {
            let name = band.value.as_table().and_then(|t| t.get("name"));
            if let Some(n) = name {
                if let Some(text) = n.value.as_str() {
                    names.push((text.to_string(), n.span.clone()));
                }
            }
        }
    }
    let threshold = decision
        .and_then(|d| d.get("threshold"))
        .map(|t| t.span.clone());
    (names, threshold)
}

/// With a model's weights: warns about bands no input in the declared feature ranges can reach,
/// and a gate decided the same way for all of them. The score bounds are sound (interval
/// arithmetic over the circuit's own integer steps), so a warning is never wrong; a band not
/// warned about may still be unreachable. Node-table tree ensembles are bounded by the leaves a
/// path in the box can reach; complete-tree ensembles and open-ended ranges are not analysed.
fn check_reachable(
    r: &mut Reader<'_>,
    doc: &Document,
    parts: &Parts,
    model: &crate::circuits::QuantizedModel,
    who: &str,
) {
    use crate::circuits::fixed::{FEATURE_MAX, FEATURE_MIN};
    let scale = 65536.0;
    let clamp = |v: f64| v.clamp(FEATURE_MIN as f64, FEATURE_MAX as f64) as i64;
    if parts
        .features
        .iter()
        .any(|f| !f.min.is_finite() || !f.max.is_finite())
    {
        return;
    }
    let lo: Vec<i64> = parts
        .features
        .iter()
        .map(|f| clamp((f.min * scale).floor()))
        .collect();
    let hi: Vec<i64> = parts
        .features
        .iter()
        .map(|f| clamp((f.max * scale).ceil()))
        .collect();
    let Some((min, max)) = model.score_bounds(&lo, &hi) else {
        return;
    };
    let on_scale = |units: i128| {
        let logit = crate::circuits::Score::new(units).map_or(
            if units < 0 {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            },
            |s| s.logit(),
        );
        // Two decimals are plenty for a message; the comparison above is exact.
        fmt_num((parts.scale.from_logit(logit) * 100.0).round() / 100.0)
    };
    let range = format!(
        "model {who} scores every input in the declared feature ranges between `{}` and `{}` {}",
        on_scale(min),
        on_scale(max),
        parts.scale.unit()
    );
    let (names, threshold_span) = decision_spans(doc);
    match &parts.decision {
        Decision::ScoreBand { bands, edges } => {
            for (i, band) in bands.iter().enumerate() {
                let (low, high) = (edges[i], edges[i + 1]);
                if high <= min || low > max {
                    let span = names
                        .iter()
                        .find(|(n, _)| n == band.name.as_str())
                        .map_or(0..0, |(_, s)| s.clone());
                    r.report(
                        Diagnostic::warning(
                            Code::BandUnreachable,
                            span,
                            format!("band `{}` can never be decided: {range}", band.name),
                        )
                        .with_help("check the band table, the feature ranges, or the model"),
                    );
                }
            }
        }
        Decision::Gate {
            edge,
            at_or_above,
            below,
            ..
        } => {
            let always = if max < *edge {
                Some(below)
            } else if min >= *edge {
                Some(at_or_above)
            } else {
                None
            };
            if let Some(outcome) = always {
                r.report(Diagnostic::warning(
                    Code::GateConstant,
                    threshold_span.unwrap_or(0..0),
                    format!("every decision is `{outcome}`: {range}"),
                ));
            }
        }
    }
}

fn read_policy(r: &mut Reader<'_>, text: &str, options: &CheckOptions) -> Option<Policy> {
    let doc = r.parse(text)?;
    let root = Table::root(&doc);
    root.deny_unknown(r, ROOT_KEYS);
    let (header, profile) = read_header(r, &root, options);
    let p = profile.as_ref().map(|p| &p.value);
    let scopes = read_scopes(r, &root, p);
    let models = read_models(r, &root, p);
    let scale = read_scale(r, &root);
    let decision = read_decision(r, &root, scale.as_ref(), profile.as_ref());
    let features = read_features(r, &root, p);
    let explanation = read_explanation(r, &root, profile.as_ref(), features.as_ref());
    if let (Some(m), Some(profile), Some(models), Some(features)) =
        (&options.model, &profile, &models, &features)
    {
        check_model(r, m, profile, models, features);
    }
    let header = header?;
    let features = features?;
    let parts = Parts {
        id: header.id,
        version: header.version,
        title: header.title,
        owner: header.owner,
        profile: profile?.value,
        valid_from: header.valid_from,
        valid_until: header.valid_until,
        scopes: scopes?,
        models: models?.value,
        scale: scale?,
        decision: decision?,
        features: features.features,
        protected: features.protected,
        explanation: explanation?,
    };
    if let Some(m) = &options.model {
        if let Some(weights) = &m.weights {
            check_reachable(r, &doc, &parts, weights, &m.describe());
        }
    }
    match encode(&parts) {
        Ok(encoding) => Some(Policy {
            hash: encoding.hash(),
            parts,
            encoding,
        }),
        Err(e) => {
            // Every condition the encoding checks is checked above with a precise diagnostic;
            // this is the last line of defence should the two ever drift apart.
            r.report(Diagnostic::error(Code::Capacity, 0..0, e.to_string()));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_profile_slips_get_a_repair() {
        let fix = |n: &str| profile_repair(n).map(|(f, _)| f);
        assert_eq!(
            fix("linear-24-d20-b8-s16-p8-m4-gate").as_deref(),
            Some("linear-24-d20-s16-p8-m4-gate")
        );
        assert_eq!(
            fix("mlp-24x16-d20-s16-p8-m4").as_deref(),
            Some("mlp-24x16-d20-s16-p8-m4-gate")
        );
        assert_eq!(
            fix("MLP-24x16-d20-b8-s16-p8-m4").as_deref(),
            Some("mlp-24x16-d20-b8-s16-p8-m4")
        );
        assert_eq!(fix("linear-3-b4"), None);
        assert_eq!(fix("rnn-24-d20-b8-s16-p8-m4"), None);
    }

    #[test]
    fn deep_perceptron_profiles_are_read_and_too_deep_ones_named() {
        let text = include_str!("../../../../policies/eu-consumer-credit.toml");
        let with = |profile: &str| {
            let changed = text.replace(
                "profile = \"mlp-24x16-d20-b8-s16-p8-m4\"",
                &format!("profile = \"{profile}\""),
            );
            let file = SourceFile::new("policy.toml".to_string(), changed);
            let checked = check(&file, &CheckOptions::default());
            (checked.policy, checked.diagnostics.render(&file))
        };
        let (policy, _) = with("mlp-24x16x8-d20-b8-s16-p8-m4");
        let policy = policy.unwrap_or_else(|| panic!("a two-hidden-layer profile is refused"));
        assert_eq!(policy.profile().hidden_layers(), vec![16, 8]);
        let (policy, rendered) = with("mlp-24x16x8x4x2-d20-b8-s16-p8-m4");
        assert!(policy.is_none());
        assert!(
            rendered.contains("a perceptron profile has 1 to 3 hidden layers, got 4"),
            "{rendered}"
        );
    }
}
