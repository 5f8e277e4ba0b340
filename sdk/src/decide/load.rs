//! Reading a decision's parts from files: a policy, a `.govproof` model file, a trusted registry
//! (a registry folder and the trusted root document), and applications (JSON, or JSON Lines for
//! many). Every file is read with [`crate::input_file::read_input`] (regular files only, within a
//! limit), and every error names the file and what is wrong with it.
//!
//! An application is a JSON object:
//!
//! ```json
//! {
//!   "decision_id": "APP-2026-000042",
//!   "time": "2026-03-01T10:00:00Z",
//!   "scope": "consumer-credit/EU-DE/personal-loan",
//!   "features": { "age": 41, "income_monthly_k": 4.2 }
//! }
//! ```
//!
//! `features` names every feature of the policy exactly once, in the policy's units; each unknown,
//! missing or out-of-range feature is named in the error. `time` (RFC 3339) defaults to the time
//! the caller gives, and `scope` may be left out when the policy allows exactly one scope.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::bundle::DecisionId;
use crate::input_file::{read_input, InputFileError};
use crate::model::file::{ModelFile, ModelFileError};
use crate::policy::{check, CheckOptions, Policy, SourceFile};
use crate::registry::{RegistryDir, Root, Scope, Signed, Timestamp, TrustState};

use super::{Application, Model, TrustedRegistry};

/// Largest policy file read.
pub const MAX_POLICY_BYTES: u64 = 1 << 20;
/// Largest trusted root document read.
pub const MAX_ROOT_BYTES: u64 = 1 << 20;
/// Largest single application read.
pub const MAX_APPLICATION_BYTES: u64 = 64 << 10;
/// Largest JSON Lines file of applications read.
pub const MAX_APPLICATIONS_BYTES: u64 = 64 << 20;

/// Why a file could not be loaded. Each variant names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read (missing, not a regular file, too large).
    #[error(transparent)]
    Read(#[from] InputFileError),
    /// The policy does not check; [`LoadError::diagnostics`] has every problem at its
    /// `file:line:column`.
    #[error("the policy `{}` has errors: {summary}", path.display())]
    Policy {
        /// The policy file.
        path: PathBuf,
        /// How many errors and warnings.
        summary: String,
        /// Every diagnostic, rendered with the source underlined.
        rendered: String,
    },
    /// The model file is refused.
    #[error(transparent)]
    Model(#[from] ModelFileError),
    /// The trusted root document is not a root, or not signed by its own threshold.
    #[error("the trusted root `{}` {problem}", path.display())]
    Root {
        /// The root file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The registry folder does not verify against the trusted root.
    #[error("the registry `{}` {problem}", dir.display())]
    Registry {
        /// The registry folder.
        dir: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// An application is not usable; every problem is listed.
    #[error("{}: {}", place(path, *line), problems.join("; "))]
    Application {
        /// The file.
        path: PathBuf,
        /// The line, in a JSON Lines file.
        line: Option<usize>,
        /// Each problem, one phrase each.
        problems: Vec<String>,
    },
}

fn place(path: &Path, line: Option<usize>) -> String {
    match line {
        Some(n) => format!("application `{}` line {n}", path.display()),
        None => format!("application `{}`", path.display()),
    }
}

impl LoadError {
    /// The policy's diagnostics, rendered with the source underlined (empty for other errors).
    pub fn diagnostics(&self) -> &str {
        match self {
            LoadError::Policy { rendered, .. } => rendered,
            _ => "",
        }
    }
}

/// Reads and checks the policy at `path`. With `now`, a policy whose window ended at or before it
/// is refused.
pub fn policy(path: &Path, now: Option<Timestamp>) -> Result<Policy, LoadError> {
    let bytes = read_input(path, "policy", MAX_POLICY_BYTES)?;
    let text = String::from_utf8(bytes).map_err(|_| InputFileError::NotText {
        what: "policy".to_string(),
        path: path.to_path_buf(),
    })?;
    let source = SourceFile::new(path.display().to_string(), text);
    let checked = check(&source, &CheckOptions { now, model: None });
    checked.policy.ok_or_else(|| LoadError::Policy {
        path: path.to_path_buf(),
        summary: checked.diagnostics.summary(),
        rendered: checked.diagnostics.render(&source),
    })
}

/// Reads the `.govproof` model file at `path` (checked: format, weights against their
/// commitment, profile) and returns its model: id, version and quantized weights.
pub fn model(path: &Path) -> Result<Model, LoadError> {
    let file = ModelFile::read(path)?;
    Ok(Model::new(file.model_id, file.version, file.model))
}

/// Reads the trusted root document at `root` (a root signed by its own threshold).
pub fn trusted_root(root: &Path) -> Result<TrustState, LoadError> {
    let bytes = read_input(root, "trusted root", MAX_ROOT_BYTES)?;
    let problem = |problem: String| LoadError::Root {
        path: root.to_path_buf(),
        problem,
    };
    let signed: Signed<Root> = govproof_core::json::from_slice(&bytes)
        .map_err(|e| problem(format!("is not a registry root document: {e}")))?;
    TrustState::bootstrap(signed)
        .map_err(|e| problem(format!("is not signed by its own threshold: {e}")))
}

/// Verifies the registry folder `dir` for a client that trusts the root document `root`, judging
/// expiry at `now`, and keeps its signed snapshot.
pub fn registry(dir: &Path, root: &Path, now: Timestamp) -> Result<TrustedRegistry, LoadError> {
    let trust = trusted_root(root)?;
    TrustedRegistry::open(&RegistryDir::at(dir), &trust, now).map_err(|e| {
        let why = match e {
            super::DecideError::Registry(v) => v.to_string(),
            other => other.to_string(),
        };
        LoadError::Registry {
            dir: dir.to_path_buf(),
            problem: format!("does not verify against `{}`: {why}", root.display()),
        }
    })
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ApplicationDoc {
    decision_id: String,
    #[serde(default)]
    time: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    features: BTreeMap<String, serde_json::Value>,
}

/// Reads one application (JSON) from `path` for `policy`; `now` is its time when it names none.
pub fn application(path: &Path, policy: &Policy, now: Timestamp) -> Result<Application, LoadError> {
    let bytes = read_input(path, "application", MAX_APPLICATION_BYTES)?;
    parse_application(&bytes, policy, now).map_err(|problems| LoadError::Application {
        path: path.to_path_buf(),
        line: None,
        problems,
    })
}

/// One line of a JSON Lines file: its number (from 1) and its application, or why not.
pub type Line = (usize, Result<Application, LoadError>);

/// Reads a JSON Lines file of applications (one JSON object per line; blank lines are skipped):
/// the file's own error, or one result per application with its line number, so a bad line does
/// not stop the others.
pub fn applications(path: &Path, policy: &Policy, now: Timestamp) -> Result<Vec<Line>, LoadError> {
    let bytes = read_input(path, "applications file", MAX_APPLICATIONS_BYTES)?;
    Ok(bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
        .map(|(i, line)| {
            let result =
                parse_application(line, policy, now).map_err(|problems| LoadError::Application {
                    path: path.to_path_buf(),
                    line: Some(i + 1),
                    problems,
                });
            (i + 1, result)
        })
        .collect())
}

/// Parses one application against `policy`'s feature schema: every problem, or the application.
pub fn parse_application(
    bytes: &[u8],
    policy: &Policy,
    now: Timestamp,
) -> Result<Application, Vec<String>> {
    let doc: ApplicationDoc =
        serde_json::from_slice(bytes).map_err(|e| vec![format!("not an application: {e}")])?;
    let mut problems = Vec::new();
    let decision_id = DecisionId::new(&doc.decision_id)
        .map_err(|e| problems.push(format!("decision id `{}`: {e}", shorten(&doc.decision_id))))
        .ok();
    let time = match &doc.time {
        None => Some(now),
        Some(text) => Timestamp::parse(text)
            .map_err(|e| problems.push(format!("time `{}`: {e}", shorten(text))))
            .ok(),
    };
    let scope = match &doc.scope {
        Some(text) => text
            .parse::<Scope>()
            .map_err(|e| problems.push(format!("scope `{}`: {e}", shorten(text))))
            .ok(),
        None => match policy.scopes() {
            [only] => Some(only.clone()),
            scopes => {
                problems.push(format!(
                    "no scope given and the policy allows {}: name one of {}",
                    scopes.len(),
                    scopes
                        .iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                None
            }
        },
    };
    for name in doc.features.keys() {
        if policy.feature_index(name).is_none() {
            problems.push(format!(
                "feature `{}` is not in policy `{}`",
                shorten(name),
                policy.id().as_str()
            ));
        }
    }
    // Ranges are compared in the circuits' fixed point, exactly as the circuit compares them.
    let mut values = Vec::with_capacity(policy.features().len());
    for f in policy.features() {
        let name = f.name.as_str();
        let Some(v) = doc.features.get(name) else {
            problems.push(format!("feature `{name}` is missing"));
            continue;
        };
        let Some(x) = v.as_f64().filter(|x| x.is_finite()) else {
            problems.push(format!(
                "feature `{name}` is `{}`, not a number",
                shorten(&v.to_string())
            ));
            continue;
        };
        match crate::circuits::fixed::quantize_feature(x) {
            Err(e) => problems.push(format!("feature `{name}` is `{x}`: {e}")),
            Ok(q) if q < f.lo || q > f.hi => problems.push(format!(
                "feature `{name}` is `{x}`, outside its declared range [{}, {}]",
                f.min, f.max
            )),
            Ok(q) => values.push(q),
        }
    }
    let features = if values.len() == policy.features().len() {
        crate::circuits::Features::new(values)
            .map_err(|e| problems.push(e.to_string()))
            .ok()
    } else {
        None
    };
    match (decision_id, time, scope, features) {
        (Some(decision_id), Some(time), Some(scope), Some(features)) if problems.is_empty() => {
            Ok(Application {
                decision_id,
                time,
                scope,
                features,
            })
        }
        _ => Err(problems),
    }
}

/// At most 64 characters of user input, for messages.
fn shorten(text: &str) -> Shortened<'_> {
    Shortened(text)
}

struct Shortened<'a>(&'a str);

impl fmt::Display for Shortened<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut chars = self.0.chars();
        let head: String = chars.by_ref().take(64).collect();
        f.write_str(&head)?;
        if chars.next().is_some() {
            f.write_str("...")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        crate::demo::demo_policy(Timestamp::now()).unwrap()
    }

    fn reference(policy: &Policy) -> serde_json::Value {
        let features: serde_json::Map<String, serde_json::Value> = policy
            .features()
            .iter()
            .zip(super::super::reference::reference_applicant(policy))
            .map(|(f, v)| (f.name.as_str().to_string(), v.into()))
            .collect();
        serde_json::json!({
            "decision_id": "APP-1",
            "scope": policy.scopes()[0].to_string(),
            "features": features,
        })
    }

    #[test]
    fn an_application_with_named_features_reads_in_the_policys_order() {
        let p = policy();
        let now = Timestamp::now();
        let doc = reference(&p);
        let app = parse_application(doc.to_string().as_bytes(), &p, now).unwrap();
        assert_eq!(app.time, now);
        assert_eq!(app.decision_id.as_str(), "APP-1");
        let expected =
            super::super::quantize_features(&super::super::reference::reference_applicant(&p))
                .unwrap();
        assert_eq!(app.features, expected);
    }

    #[test]
    fn every_problem_of_an_application_is_named() {
        let p = policy();
        let mut doc = reference(&p);
        let features = doc["features"].as_object_mut().unwrap();
        features.remove("age");
        features.insert("agee".into(), 1.into());
        features.insert("debt_to_income".into(), 11.into());
        features.insert("bureau_score".into(), "high".into());
        doc["time"] = "yesterday".into();
        doc["decision_id"] = "has space".into();
        let problems =
            parse_application(doc.to_string().as_bytes(), &p, Timestamp::now()).unwrap_err();
        let all = problems.join("; ");
        for part in [
            "`has space` is not a decision id",
            "time `yesterday`",
            "feature `agee` is not in policy `eu-consumer-credit`",
            "feature `age` is missing",
            "feature `debt_to_income` is `11`, outside its declared range [0, 10]",
            "feature `bureau_score` is `\"high\"`, not a number",
        ] {
            assert!(all.contains(part), "{part}: {all}");
        }
        assert_eq!(problems.len(), 6, "{all}");

        let unknown_field = r#"{"decision_id": "A", "features": {}, "salt": "0x1"}"#;
        let problems =
            parse_application(unknown_field.as_bytes(), &p, Timestamp::now()).unwrap_err();
        assert!(problems[0].contains("unknown field `salt`"), "{problems:?}");
    }
}
