//! A plain-language summary of a policy for reviewers: who owns it, when it applies, which models
//! and scopes it allows, the band table as a table, the features and which are protected.

use std::fmt::Write;

use super::check::fmt_num;
use super::model::{Decision, Policy, ScoreScale};

/// Lays out rows as left-aligned columns separated by two spaces, each line indented by two.
fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::from("  ");
        for (c, cell) in r.iter().enumerate() {
            line.push_str(cell);
            if c + 1 < r.len() {
                let pad = widths[c] - cell.chars().count() + 2;
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn short(v: f64) -> String {
    if v.is_finite() && v.fract() != 0.0 {
        let s = crate::float::fixed(v, 4);
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        fmt_num(v)
    }
}

fn bound(scale: &ScoreScale, v: f64, low: bool) -> String {
    if low && scale.is_open_low(v) {
        "(lowest)".into()
    } else if !low && scale.is_open_high(v) {
        "(highest)".into()
    } else {
        fmt_num(v)
    }
}

/// The summary, as text ending in a newline.
pub fn explain(policy: &Policy) -> String {
    let mut s = String::new();
    let w = &mut s;
    let _ = writeln!(
        w,
        "Policy `{}` version `{}`: {}",
        policy.id(),
        policy.version(),
        policy.title()
    );
    let _ = writeln!(w, "  owner: {}", policy.owner());
    let _ = writeln!(
        w,
        "  in force from {} until {} (decisions at the end time are outside it)",
        policy.valid_from(),
        policy.valid_until()
    );
    let _ = writeln!(
        w,
        "  proved with circuit profile `{}`",
        policy.profile().name()
    );

    let _ = writeln!(w, "\nModels allowed ({} versions):", policy.models().len());
    let mut rows = vec![vec!["model".to_string(), "versions".to_string()]];
    let mut ids: Vec<&str> = policy.models().iter().map(|m| m.id.as_str()).collect();
    ids.dedup();
    for id in ids {
        let versions: Vec<&str> = policy
            .models()
            .iter()
            .filter(|m| m.id.as_str() == id)
            .map(|m| m.version.as_str())
            .collect();
        rows.push(vec![id.to_string(), versions.join(", ")]);
    }
    w.push_str(&table(&rows));

    let _ = writeln!(
        w,
        "\nScopes allowed ({}): decisions for any other purpose, jurisdiction or product are refused",
        policy.scopes().len()
    );
    let mut rows = vec![vec![
        "purpose".to_string(),
        "jurisdiction".to_string(),
        "product".to_string(),
    ]];
    for sc in policy.scopes() {
        rows.push(vec![
            sc.purpose.to_string(),
            sc.jurisdiction.to_string(),
            sc.product.to_string(),
        ]);
    }
    w.push_str(&table(&rows));

    let scale = policy.scale();
    let _ = match scale {
        ScoreScale::Points { offset, factor } => writeln!(
            w,
            "\nScore scale: points = {} + {} x log-odds ({} points double the odds)",
            short(*offset),
            short(*factor),
            short(factor * std::f64::consts::LN_2)
        ),
        ScoreScale::LogOdds => writeln!(w, "\nScore scale: the model's log-odds"),
        ScoreScale::Probability => writeln!(
            w,
            "\nScore scale: probability (the logistic function of the model's log-odds)"
        ),
    };

    match policy.decision() {
        Decision::ScoreBand { bands, .. } => {
            let _ = writeln!(
                w,
                "\nDecision: the band the score falls in; a band holds scores from its lower \
                 bound (included) up to its upper bound (excluded); the proof reveals only the band"
            );
            let mut rows = vec![vec![
                "#".to_string(),
                "band".to_string(),
                "from".to_string(),
                "up to".to_string(),
                "outcome".to_string(),
            ]];
            for (i, b) in bands.iter().enumerate().rev() {
                rows.push(vec![
                    i.to_string(),
                    b.name.to_string(),
                    bound(scale, b.lower, true),
                    bound(scale, b.upper, false),
                    b.outcome.to_string(),
                ]);
            }
            w.push_str(&table(&rows));
            if let (Some(first), Some(last)) = (bands.first(), bands.last()) {
                if !scale.is_open_low(first.lower) {
                    let _ = writeln!(
                        w,
                        "  scores below {} fall in no band: such decisions cannot be proved",
                        fmt_num(first.lower)
                    );
                }
                if !scale.is_open_high(last.upper) {
                    let _ = writeln!(
                        w,
                        "  scores at or above {} fall in no band: such decisions cannot be proved",
                        fmt_num(last.upper)
                    );
                }
            }
        }
        Decision::Gate {
            threshold,
            at_or_above,
            below,
            ..
        } => {
            let _ = writeln!(
                w,
                "\nDecision: a gate at {}; the proof reveals only which side the score is on",
                fmt_num(*threshold)
            );
            let _ = writeln!(
                w,
                "  score at or above {}: {at_or_above}",
                fmt_num(*threshold)
            );
            let _ = writeln!(w, "  score below {}: {below}", fmt_num(*threshold));
        }
    }

    let _ = writeln!(
        w,
        "\nFeatures ({}, in the model's input order); every input must lie in its range:",
        policy.features().len()
    );
    let mut rows = vec![vec![
        "#".to_string(),
        "feature".to_string(),
        "min".to_string(),
        "max".to_string(),
        String::new(),
    ]];
    for (i, f) in policy.features().iter().enumerate() {
        let protected = if policy.protected().contains(&i) {
            "protected"
        } else {
            ""
        };
        rows.push(vec![
            (i + 1).to_string(),
            f.name.to_string(),
            fmt_num(f.min),
            fmt_num(f.max),
            protected.to_string(),
        ]);
    }
    w.push_str(&table(&rows));
    if policy.protected().is_empty() {
        let _ = writeln!(w, "\nProtected features: none");
    } else {
        let names: Vec<&str> = policy
            .protected()
            .iter()
            .map(|&i| policy.features()[i].name.as_str())
            .collect();
        let _ = writeln!(
            w,
            "\nProtected features (the model must give them zero weight): {}",
            names.join(", ")
        );
    }
    if let Some(e) = policy.explanation() {
        // A tree ensemble's contributions are measured from its expected value: no baselines.
        let trees = policy.profile().table_shape().is_some();
        let how = if trees {
            "path contributions (the change of the trees' node values along the applicant's \
             paths, from the ensemble's expected value)"
        } else {
            "contributions (weight x (value - baseline))"
        };
        let _ = writeln!(
            w,
            "\nReasons: every decision proves its {} principal reasons, the features whose \
             {how} lower the score the most:",
            e.reasons
        );
        let mut header = vec!["code".to_string(), "feature".to_string()];
        if !trees {
            header.push("baseline".to_string());
        }
        header.push("reason given".to_string());
        let mut rows = vec![header];
        for line in e.features.iter().filter(|l| !l.text.is_empty()) {
            let mut row = vec![
                line.code.clone(),
                policy.features()[line.feature].name.to_string(),
            ];
            if !trees {
                row.push(fmt_num(line.baseline));
            }
            row.push(line.text.clone());
            rows.push(row);
        }
        w.push_str(&table(&rows));
    }
    let _ = writeln!(w, "\nPolicy hash: {}", policy.hash().to_hex());
    s
}
