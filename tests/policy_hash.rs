//! The policy hash and the document digest: reformatting a policy never changes them, changing
//! what it means always does.
//!
//! Random policies (score bands and gates, on every scale) are generated as plain values,
//! written out as TOML in randomly chosen styles (key order, inline or standard tables, list
//! order, string quoting and escapes, number spellings, date-time offsets, comments and
//! whitespace, `pdo` or the equivalent `factor`), and checked with `policy::check`. Then every
//! field of the schema is changed in turn: each change must move the policy hash the circuit
//! commits to, including fields the circuit does not check (names, outcomes, title, ...), which
//! reach it through the encoding's `meta` element.

// Test code: a panic with its message is how a case reports failure.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::f64::consts::LN_2;
use std::fmt::Write;

use govproof::policy::{check, CheckOptions, Policy, SourceFile};
use proptest::prelude::*;
use proptest::sample::subsequence;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

const FAMILIES: [&str; 2] = ["linear-3", "mlp-3x2"];
const OUTCOMES: [&str; 3] = ["approve", "refer", "decline"];

#[derive(Debug, Clone, PartialEq)]
enum Scale {
    Points { offset: i32, pdo: u8 },
    LogOdds,
    Probability,
}

#[derive(Debug, Clone, PartialEq)]
struct BandDesc {
    name: String,
    lower: f64,
    upper: f64,
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
enum DecisionDesc {
    Bands(Vec<BandDesc>),
    Gate {
        threshold: f64,
        at_or_above: &'static str,
        below: &'static str,
    },
}

#[derive(Debug, Clone, PartialEq)]
struct Desc {
    id: String,
    version: String,
    title: String,
    owner: String,
    family: usize,
    depth: u8,
    band_capacity: u8,
    scope_capacity: u8,
    from: i64,
    until: i64,
    purposes: Vec<String>,
    jurisdictions: Vec<String>,
    products: Vec<String>,
    model: String,
    versions: Vec<String>,
    scale: Scale,
    decision: DecisionDesc,
    features: Vec<(String, f64, f64)>,
    protected: Vec<String>,
}

impl Desc {
    /// The profile name: the family, depth and capacities, and the decision's kind.
    fn profile(&self) -> String {
        let family = FAMILIES[self.family];
        let (depth, scopes) = (self.depth, self.scope_capacity);
        match self.decision {
            DecisionDesc::Bands(_) => {
                format!("{family}-d{depth}-b{}-s{scopes}-p2-m2", self.band_capacity)
            }
            DecisionDesc::Gate { .. } => format!("{family}-d{depth}-s{scopes}-p2-m2-gate"),
        }
    }
}

/// A finite value on a scale for the integer `k` (probabilities strictly between 0 and 1, as
/// multiples of 1/1024).
fn scale_value(scale: &Scale, k: i32) -> f64 {
    match scale {
        Scale::Points { .. } => f64::from(k),
        Scale::LogOdds => f64::from(k) * 0.25,
        Scale::Probability => f64::from(k.rem_euclid(1000) + 10) / 1024.0,
    }
}

fn open_ends(scale: &Scale) -> (f64, f64) {
    match scale {
        Scale::Probability => (0.0, 1.0),
        _ => (f64::NEG_INFINITY, f64::INFINITY),
    }
}

/// Band edges for a scale: `k + 1` strictly increasing values, open ends included or not.
fn edges(scale: &Scale, interior: &[i32], open_low: bool, open_high: bool) -> Vec<f64> {
    let (lo_open, hi_open) = open_ends(scale);
    let unit = if let Scale::LogOdds = scale {
        0.25
    } else {
        1.0
    };
    let mut v: Vec<f64> = interior.iter().map(|&k| scale_value(scale, k)).collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    let first = v[0];
    let last = v[v.len() - 1];
    let mut out = vec![if open_low {
        lo_open
    } else {
        match scale {
            Scale::Probability => first / 2.0,
            _ => first - 50.0 * unit,
        }
    }];
    out.extend(v);
    out.push(if open_high {
        hi_open
    } else {
        match scale {
            Scale::Probability => (last + 1.0) / 2.0,
            _ => last + 50.0 * unit,
        }
    });
    out
}

fn desc() -> impl Strategy<Value = Desc> {
    let header = (
        "[a-z][a-z0-9-]{0,10}",
        "[0-9]{1,2}\\.[0-9]{1,2}",
        "[A-Z][A-Za-z ]{0,20}[a-z]",
        "[A-Z][a-z]{1,8}( [A-Z][a-z]{1,8})?",
        0usize..2,
        946_684_800i64..3_000_000_000,
        1i64..400_000_000,
    );
    let scope = (
        subsequence(vec!["consumer-credit", "mortgage"], 1..=2),
        subsequence(vec!["EU-DE", "EU-FR", "EU-NL"], 1..=2),
        subsequence(vec!["loan", "card"], 1..=1),
    );
    let models = (
        "[a-z][a-z-]{0,8}",
        subsequence(vec!["1.0.0", "1.1.0", "2.0.0+build.7"], 1..=2),
    );
    let scale = prop_oneof![
        (-1000i32..1000, 1u8..=60).prop_map(|(offset, pdo)| Scale::Points { offset, pdo }),
        Just(Scale::LogOdds),
        Just(Scale::Probability),
    ];
    let decision = (
        any::<bool>(),
        proptest::collection::vec(300i32..900, 0..=2),
        any::<bool>(),
        any::<bool>(),
        proptest::collection::vec(0usize..3, 4),
        "[a-z]{1,6}",
    );
    let features = (
        "[a-z]{1,6}",
        proptest::collection::vec((-100i32..100, 0i32..2000, any::<bool>()), 3),
        subsequence(vec![0usize, 1, 2], 0..=2),
    );
    (header, scope, models, scale, decision, features).prop_map(|(h, s, m, scale, d, f)| {
        let (id, version, title, owner, family, from, len) = h;
        let (gate, interior, open_low, open_high, outcomes, band_prefix) = d;
        let mut interior = interior;
        interior.push(600);
        let decision = if gate {
            DecisionDesc::Gate {
                threshold: scale_value(&scale, interior[0]),
                at_or_above: OUTCOMES[outcomes[0]],
                below: OUTCOMES[outcomes[1]],
            }
        } else {
            let e = edges(&scale, &interior, open_low, open_high);
            DecisionDesc::Bands(
                e.windows(2)
                    .enumerate()
                    .map(|(i, w)| BandDesc {
                        name: format!("{band_prefix}{i}"),
                        lower: w[0],
                        upper: w[1],
                        outcome: OUTCOMES[outcomes[i % outcomes.len()]],
                    })
                    .collect(),
            )
        };
        let (fprefix, ranges, protected) = f;
        let features: Vec<(String, f64, f64)> = ranges
            .iter()
            .enumerate()
            .map(|(i, &(min, width, half))| {
                let min = f64::from(min);
                let max = min + f64::from(width) + if half { 0.5 } else { 0.0 };
                (format!("{fprefix}_{i}"), min, max)
            })
            .collect();
        Desc {
            id,
            version,
            title,
            owner,
            family,
            depth: 4,
            band_capacity: 4,
            scope_capacity: 4,
            from,
            until: from + len,
            purposes: s.0.iter().map(|x| x.to_string()).collect(),
            jurisdictions: s.1.iter().map(|x| x.to_string()).collect(),
            products: s.2.iter().map(|x| x.to_string()).collect(),
            model: m.0,
            versions: m.1.iter().map(|x| x.to_string()).collect(),
            scale,
            decision,
            protected: protected.iter().map(|&i| features[i].0.clone()).collect(),
            features,
        }
    })
}

/// A tiny deterministic generator for formatting choices.
struct Style(u64);

impl Style {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn coin(&mut self) -> bool {
        self.pick(2) == 0
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.pick(i + 1);
            v.swap(i, j);
        }
    }
    /// Some of the many TOML spellings of one number.
    fn num(&mut self, v: f64) -> String {
        if v == f64::INFINITY {
            return ["inf", "+inf"][self.pick(2)].into();
        }
        if v == f64::NEG_INFINITY {
            return "-inf".into();
        }
        if v.fract() == 0.0 && v.abs() < 1e15 {
            let i = v as i64;
            match self.pick(5) {
                0 => format!("{i}"),
                1 => format!("{i}.0"),
                2 => format!("{v:e}"),
                3 if i >= 0 => format!("0x{i:x}"),
                4 if i >= 0 => format!("+{i}"),
                _ => format!("{i}"),
            }
        } else {
            match self.pick(3) {
                0 => format!("{v:?}"),
                1 => format!("{v:e}"),
                _ => format!("{v:E}"),
            }
        }
    }
    fn time(&mut self, secs: i64) -> String {
        let t = chrono::DateTime::from_timestamp(secs, 0).unwrap();
        match self.pick(3) {
            0 => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            1 => t.format("%Y-%m-%d %H:%M:%Sz").to_string(),
            _ => {
                let minutes = [60i64, -330, 120, 0][self.pick(4)];
                let local = t + chrono::Duration::minutes(minutes);
                let sign = if minutes < 0 { '-' } else { '+' };
                format!(
                    "{}{sign}{:02}:{:02}",
                    local.format("%Y-%m-%dT%H:%M:%S"),
                    minutes.abs() / 60,
                    minutes.abs() % 60
                )
            }
        }
    }
    fn gap(&mut self) -> &'static str {
        [" ", "  ", "\t", " "][self.pick(4)]
    }
    fn comment(&mut self) -> String {
        if self.pick(3) == 0 {
            "   # a comment, ignored\n".into()
        } else {
            "\n".into()
        }
    }
    fn list(&mut self, items: &[String]) -> String {
        if items.is_empty() {
            return ["[]", "[ ]"][self.pick(2)].into();
        }
        let mut items: Vec<String> = items.iter().map(|s| self.string(s)).collect();
        self.shuffle(&mut items);
        let sep = [", ", ",", ",\n  "][self.pick(3)];
        let trailing = if self.coin() { "" } else { "," };
        format!("[{}{trailing}]", items.join(sep))
    }
    fn string(&mut self, s: &str) -> String {
        // Basic, literal and multi-line strings, and escapes, all read as the same text.
        match self.pick(4) {
            0 => format!("\"{s}\""),
            1 => format!("'{s}'"),
            2 => {
                let mut chars = s.chars();
                let first = chars
                    .next()
                    .map_or(String::new(), |c| format!("\\u{:04X}", u32::from(c)));
                format!("\"{first}{}\"", chars.as_str())
            }
            _ => format!("\"\"\"{s}\"\"\""),
        }
    }
}

/// Writes `(key, value)` pairs in a shuffled order.
fn pairs(st: &mut Style, out: &mut String, mut kv: Vec<(&str, String)>) {
    st.shuffle(&mut kv);
    for (k, v) in kv {
        let g1 = st.gap();
        let g2 = st.gap();
        let c = st.comment();
        let _ = write!(out, "{k}{g1}={g2}{v}{c}");
    }
}

fn inline(st: &mut Style, mut kv: Vec<(&str, String)>) -> String {
    st.shuffle(&mut kv);
    let body: Vec<String> = kv.into_iter().map(|(k, v)| format!("{k} = {v}")).collect();
    format!("{{ {} }}", body.join(", "))
}

/// Renders a description as TOML in the style chosen by `seed` (seed 0: a fixed plain style).
fn render(d: &Desc, seed: u64) -> String {
    let mut st = Style(seed.max(1));
    let mut out = String::new();
    out.push_str("# generated policy\n");
    let mut sections: Vec<String> = Vec::new();

    let mut s = String::from("[policy]\n");
    let (from, until) = (st.time(d.from), st.time(d.until));
    let kv = vec![
        ("id", st.string(&d.id)),
        ("version", st.string(&d.version)),
        ("title", st.string(&d.title)),
        ("owner", st.string(&d.owner)),
        ("profile", st.string(&d.profile())),
        ("valid_from", from),
        ("valid_until", until),
    ];
    pairs(&mut st, &mut s, kv);
    sections.push(s);

    // Scopes: one table with every list, or one table per jurisdiction (same cross product).
    let mut s = String::new();
    let jurisdiction_groups: Vec<Vec<String>> = if st.coin() {
        vec![d.jurisdictions.clone()]
    } else {
        d.jurisdictions.iter().map(|j| vec![j.clone()]).collect()
    };
    for js in jurisdiction_groups {
        s.push_str("[[scopes]]\n");
        let kv = vec![
            ("purposes", st.list(&d.purposes)),
            ("jurisdictions", st.list(&js)),
            ("products", st.list(&d.products)),
        ];
        pairs(&mut st, &mut s, kv);
        s.push('\n');
    }
    sections.push(s);

    let mut s = String::new();
    if st.coin() {
        s.push_str("[[models]]\n");
        let kv = vec![
            ("id", st.string(&d.model)),
            ("versions", st.list(&d.versions)),
        ];
        pairs(&mut st, &mut s, kv);
    } else {
        let kv = vec![
            ("id", st.string(&d.model)),
            ("versions", st.list(&d.versions)),
        ];
        let t = inline(&mut st, kv);
        let _ = writeln!(s, "models = [{t}]");
        // A top-level key must come before any table header: put this section first.
        s.insert_str(0, "#models\n");
    }
    sections.push(s);

    let mut s = String::from("[score_scale]\n");
    let kv = match &d.scale {
        Scale::Points { offset, pdo } => {
            let pdo = f64::from(*pdo);
            let spread = if st.coin() {
                ("pdo", st.num(pdo))
            } else {
                // The factor that `pdo` stands for, spelled so that it reads back exactly.
                ("factor", format!("{:?}", pdo / LN_2))
            };
            vec![
                ("kind", st.string("points")),
                ("offset", st.num(f64::from(*offset))),
                spread,
            ]
        }
        Scale::LogOdds => vec![("kind", st.string("log_odds"))],
        Scale::Probability => vec![("kind", st.string("probability"))],
    };
    pairs(&mut st, &mut s, kv);
    sections.push(s);

    let mut s = String::from("[decision]\n");
    match &d.decision {
        DecisionDesc::Bands(bands) => {
            let _ = writeln!(s, "kind = {}", st.string("score_band"));
            let mut bands = bands.clone();
            st.shuffle(&mut bands);
            let as_inline = st.coin();
            let mut inline_bands = Vec::new();
            for b in &bands {
                let kv = vec![
                    ("name", st.string(&b.name)),
                    ("lower", st.num(b.lower)),
                    ("upper", st.num(b.upper)),
                    ("outcome", st.string(b.outcome)),
                ];
                if as_inline {
                    inline_bands.push(inline(&mut st, kv));
                } else {
                    s.push_str("\n[[decision.bands]]\n");
                    pairs(&mut st, &mut s, kv);
                }
            }
            if as_inline {
                let _ = writeln!(s, "bands = [\n  {},\n]", inline_bands.join(",\n  "));
            }
        }
        DecisionDesc::Gate {
            threshold,
            at_or_above,
            below,
        } => {
            let kv = vec![
                ("kind", st.string("gate")),
                ("threshold", st.num(*threshold)),
                ("at_or_above", st.string(at_or_above)),
                ("below", st.string(below)),
            ];
            pairs(&mut st, &mut s, kv);
        }
    }
    sections.push(s);

    let mut s = String::from("[features]\n");
    let mut protected = d.protected.clone();
    st.shuffle(&mut protected);
    let _ = writeln!(s, "protected = {}", st.list(&protected));
    if st.coin() {
        let rows: Vec<String> = d
            .features
            .iter()
            .map(|(n, min, max)| {
                let kv = vec![
                    ("name", st.string(n)),
                    ("min", st.num(*min)),
                    ("max", st.num(*max)),
                ];
                inline(&mut st, kv)
            })
            .collect();
        let _ = writeln!(s, "schema = [\n  {},\n]", rows.join(",\n  "));
    } else {
        for (n, min, max) in &d.features {
            s.push_str("\n[[features.schema]]\n");
            let kv = vec![
                ("name", st.string(n)),
                ("min", st.num(*min)),
                ("max", st.num(*max)),
            ];
            pairs(&mut st, &mut s, kv);
        }
    }
    sections.push(s);

    // Tables in any order, except that a section holding a top-level key goes first.
    let (mut first, mut rest): (Vec<String>, Vec<String>) =
        sections.into_iter().partition(|s| s.starts_with("#models"));
    st.shuffle(&mut rest);
    first.extend(rest);
    for s in first {
        out.push_str(&s);
        out.push_str(["\n", "\n\n", "\n# between tables\n"][st.pick(3)]);
    }
    out
}

fn load(text: &str) -> Policy {
    let file = SourceFile::new("generated.toml", text);
    let checked = check(&file, &CheckOptions::default());
    match checked.policy {
        Some(p) => p,
        None => panic!(
            "generated policy refused:\n{}\n{text}",
            checked.diagnostics.render(&file)
        ),
    }
}

/// One change of meaning per field of the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Mutation {
    Id,
    Version,
    Title,
    Owner,
    ProfileFamily,
    ProfileDepth,
    ProfileBandCapacity,
    ProfileScopeCapacity,
    ValidFrom,
    ValidUntil,
    RenamePurpose,
    DropJurisdiction,
    AddProduct,
    ModelId,
    ModelVersion,
    AddModelVersion,
    ScaleKind,
    ScaleOffset,
    ScaleFactor,
    DecisionKind,
    MoveEdge,
    BandName,
    BandOutcome,
    Threshold,
    GateOutcomeAtOrAbove,
    GateOutcomeBelow,
    FeatureName,
    FeatureMin,
    FeatureMax,
    FeatureOrder,
    Protect,
}

const MUTATIONS: [Mutation; 31] = [
    Mutation::Id,
    Mutation::Version,
    Mutation::Title,
    Mutation::Owner,
    Mutation::ProfileFamily,
    Mutation::ProfileDepth,
    Mutation::ProfileBandCapacity,
    Mutation::ProfileScopeCapacity,
    Mutation::ValidFrom,
    Mutation::ValidUntil,
    Mutation::RenamePurpose,
    Mutation::DropJurisdiction,
    Mutation::AddProduct,
    Mutation::ModelId,
    Mutation::ModelVersion,
    Mutation::AddModelVersion,
    Mutation::ScaleKind,
    Mutation::ScaleOffset,
    Mutation::ScaleFactor,
    Mutation::DecisionKind,
    Mutation::MoveEdge,
    Mutation::BandName,
    Mutation::BandOutcome,
    Mutation::Threshold,
    Mutation::GateOutcomeAtOrAbove,
    Mutation::GateOutcomeBelow,
    Mutation::FeatureName,
    Mutation::FeatureMin,
    Mutation::FeatureMax,
    Mutation::FeatureOrder,
    Mutation::Protect,
];

fn other_outcome(o: &'static str) -> &'static str {
    if o == "approve" {
        "refer"
    } else {
        "approve"
    }
}

/// A value strictly between `lo` and `hi` (either may be an open end) on the scale, if there is
/// room for a distinct circuit edge.
fn between(scale: &Scale, lo: f64, hi: f64) -> Option<f64> {
    let new = match scale {
        Scale::Probability => (lo + hi) / 2.0,
        _ if lo.is_finite() && hi.is_finite() => (lo + hi) / 2.0,
        _ if lo.is_finite() => lo + 1.0,
        _ => hi - 1.0,
    };
    (new > lo && new < hi && (hi - lo).abs() > 1e-6).then_some(new)
}

/// Applies `m`; `None` when the mutation does not apply to this description.
fn mutate(d: &Desc, m: Mutation) -> Option<Desc> {
    let mut e = d.clone();
    match m {
        Mutation::Id => e.id.push('x'),
        Mutation::Version => e.version.push_str(".1"),
        Mutation::Title => e.title.push_str(" v"),
        Mutation::Owner => e.owner.push_str(" Jr"),
        // Same capacities, other model family: only the document (through `meta`) sees it.
        Mutation::ProfileFamily => e.family = 1 - d.family,
        // The registry depth is not part of the policy's field layout either.
        Mutation::ProfileDepth => e.depth += 1,
        Mutation::ProfileBandCapacity => {
            if !matches!(d.decision, DecisionDesc::Bands(_)) {
                return None;
            }
            e.band_capacity += 1;
        }
        Mutation::ProfileScopeCapacity => e.scope_capacity += 1,
        Mutation::ValidFrom => e.from -= 1,
        Mutation::ValidUntil => e.until += 3600,
        Mutation::RenamePurpose => e.purposes[0] = "leasing".into(),
        Mutation::DropJurisdiction => {
            if e.jurisdictions.len() < 2 {
                return None;
            }
            e.jurisdictions.pop();
        }
        Mutation::AddProduct => {
            if e.purposes.len() * e.jurisdictions.len() * 2 > usize::from(d.scope_capacity) {
                return None;
            }
            e.products.push("overdraft".into());
        }
        Mutation::ModelId => e.model.push_str("-v2"),
        Mutation::ModelVersion => e.versions.last_mut()?.push_str("-rc1"),
        Mutation::AddModelVersion => {
            if e.versions.len() >= 2 {
                return None;
            }
            e.versions.push("9.9.9".into());
        }
        Mutation::ScaleKind => {
            // Every value written on one of these scales is a valid value on the next one.
            e.scale = match d.scale {
                Scale::Points { .. } => Scale::LogOdds,
                Scale::LogOdds => Scale::Points { offset: 0, pdo: 20 },
                Scale::Probability => Scale::LogOdds,
            };
        }
        Mutation::ScaleOffset => {
            let Scale::Points { offset, .. } = &mut e.scale else {
                return None;
            };
            *offset += 1;
        }
        Mutation::ScaleFactor => {
            let Scale::Points { pdo, .. } = &mut e.scale else {
                return None;
            };
            *pdo += 1;
        }
        Mutation::DecisionKind => {
            let (lo, hi) = open_ends(&d.scale);
            e.decision = match &d.decision {
                DecisionDesc::Bands(bands) => DecisionDesc::Gate {
                    // Every band table has at least two bands; the first one's end is finite.
                    threshold: bands[0].upper,
                    at_or_above: "approve",
                    below: "decline",
                },
                DecisionDesc::Gate { threshold, .. } => DecisionDesc::Bands(vec![
                    BandDesc {
                        name: "below".into(),
                        lower: lo,
                        upper: *threshold,
                        outcome: "decline",
                    },
                    BandDesc {
                        name: "above".into(),
                        lower: *threshold,
                        upper: hi,
                        outcome: "approve",
                    },
                ]),
            };
        }
        Mutation::MoveEdge => {
            let DecisionDesc::Bands(bands) = &mut e.decision else {
                return None;
            };
            let new = between(&d.scale, bands[0].upper, bands[1].upper)?;
            bands[0].upper = new;
            bands[1].lower = new;
        }
        Mutation::BandName => {
            let DecisionDesc::Bands(bands) = &mut e.decision else {
                return None;
            };
            bands[0].name.push('z');
        }
        Mutation::BandOutcome => {
            let DecisionDesc::Bands(bands) = &mut e.decision else {
                return None;
            };
            bands[0].outcome = other_outcome(bands[0].outcome);
        }
        Mutation::Threshold => {
            let DecisionDesc::Gate { threshold, .. } = &mut e.decision else {
                return None;
            };
            let (_, hi) = open_ends(&d.scale);
            *threshold = between(&d.scale, *threshold, hi)?;
        }
        Mutation::GateOutcomeAtOrAbove => {
            let DecisionDesc::Gate { at_or_above, .. } = &mut e.decision else {
                return None;
            };
            *at_or_above = other_outcome(at_or_above);
        }
        Mutation::GateOutcomeBelow => {
            let DecisionDesc::Gate { below, .. } = &mut e.decision else {
                return None;
            };
            *below = other_outcome(below);
        }
        Mutation::FeatureName => {
            // Renaming an unprotected feature (a protected one would fail to resolve).
            let i = (0..3).find(|&i| !d.protected.contains(&d.features[i].0))?;
            e.features[i].0.push('x');
        }
        Mutation::FeatureMin => e.features[1].1 -= 1.0,
        Mutation::FeatureMax => e.features[2].2 += 0.25,
        // The model's input order is part of the schema.
        Mutation::FeatureOrder => e.features.swap(0, 1),
        Mutation::Protect => {
            if e.protected.pop().is_none() {
                e.protected.push(e.features[0].0.clone());
            }
        }
    }
    Some(e)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn reformatting_never_changes_the_hash(d in desc(), s1 in any::<u64>(), s2 in any::<u64>()) {
        let a = load(&render(&d, s1));
        let b = load(&render(&d, s2));
        prop_assert_eq!(a.hash(), b.hash());
        prop_assert_eq!(a.document_digest(), b.document_digest());
        prop_assert_eq!(a.canonical_json(), b.canonical_json());
        prop_assert_eq!(a.encoding_fields(), b.encoding_fields());
    }

    #[test]
    fn changing_any_field_changes_the_hash(d in desc(), seed in any::<u64>()) {
        let base = load(&render(&d, seed));
        for m in MUTATIONS {
            let Some(changed) = mutate(&d, m) else { continue };
            let other = load(&render(&changed, seed ^ 0x5555));
            prop_assert_ne!(
                base.document_digest(), other.document_digest(),
                "{:?} left the document digest unchanged", m
            );
            prop_assert_ne!(base.hash(), other.hash(), "{:?} left the policy hash unchanged", m);
        }
    }
}

#[test]
fn every_mutation_applies_to_some_generated_policy() {
    // So that `changing_any_field_changes_the_hash` cannot pass by skipping a field everywhere.
    let mut runner = TestRunner::new(Config {
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = desc();
    let mut applied = BTreeSet::new();
    for _ in 0..200 {
        let d = strategy.new_tree(&mut runner).unwrap().current();
        applied.extend(MUTATIONS.into_iter().filter(|&m| mutate(&d, m).is_some()));
    }
    let missing: Vec<Mutation> = MUTATIONS
        .into_iter()
        .filter(|m| !applied.contains(m))
        .collect();
    assert!(missing.is_empty(), "never applied: {missing:?}");
}

#[test]
fn the_example_policies_hash_to_pinned_values() {
    // Pinned so that an accidental change to the canonical encoding (or to the circuits'
    // encoding it mirrors) is caught; a deliberate change updates these values and the docs.
    let root = env!("CARGO_MANIFEST_DIR");
    let mut lines = String::new();
    for name in ["eu-consumer-credit", "card-fraud-gate"] {
        let path = format!("{root}/policies/{name}.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let p = load(&text);
        let _ = writeln!(
            lines,
            "{name}: policy hash {}, document digest {}",
            p.hash().to_hex(),
            hex::encode(p.document_digest())
        );
    }
    insta::assert_snapshot!("example_policy_hashes", lines);
}

#[test]
fn equivalent_spellings_hash_alike_and_a_one_point_change_does_not() {
    let root = env!("CARGO_MANIFEST_DIR");
    let text =
        std::fs::read_to_string(format!("{root}/tests/data/policies/valid/fixture.toml")).unwrap();
    let base = load(&text);
    for (from, to) in [
        ("lower = 650\n", "lower = 6.5e2\n"),
        ("lower = 650\n", "lower = 0x28a\n"),
        ("lower = 650\n", "lower = 650.000\n"),
        ("pdo = 20\n", "factor = 28.853900817779268\n"),
        (
            "valid_from = 2026-01-01T00:00:00Z",
            "valid_from = 2026-01-01T01:00:00+01:00",
        ),
        (
            "jurisdictions = [\"EU-DE\", \"EU-FR\"]",
            "jurisdictions = [ 'EU-FR' , \"EU-DE\" ] # reordered",
        ),
    ] {
        assert!(text.contains(from));
        let other = load(&text.replacen(from, to, 1));
        assert_eq!(base.hash(), other.hash(), "{from} -> {to}");
        assert_eq!(
            base.document_digest(),
            other.document_digest(),
            "{from} -> {to}"
        );
    }
    let moved = load(
        &text.replacen("lower = 650\n", "lower = 651\n", 1).replacen(
            "upper = 650\n",
            "upper = 651\n",
            1,
        ),
    );
    assert_ne!(base.hash(), moved.hash());
}
