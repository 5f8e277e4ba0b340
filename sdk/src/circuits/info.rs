//! `govproof circuits info`: every embedded circuit with its gate count (measured by `bb gates`)
//! and, for composites, its profile.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::profile::{DecisionKind, ModelFamily, Profile};

/// Why the report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum InfoError {
    /// A scratch file could not be written.
    #[error("cannot write `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// `bb gates` could not run or failed.
    #[error("`{command}` failed ({status}): {stderr_tail}")]
    Bb {
        /// The command line.
        command: String,
        /// Exit status, or why it did not start.
        status: String,
        /// The end of its standard error.
        stderr_tail: String,
    },
    /// `bb gates` printed something unexpected.
    #[error("`{command}` printed no circuit size: `{output}`")]
    Output {
        /// The command line.
        command: String,
        /// What it printed (truncated).
        output: String,
    },
}

/// One circuit's numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CircuitInfo {
    /// The circuit's name (a profile name for composites).
    pub name: String,
    /// The profile, for composites.
    pub profile: Option<Profile>,
    /// Gates in the UltraHonk circuit (`circuit_size` from `bb gates`).
    pub gates: u64,
    /// ACIR opcodes.
    pub acir_opcodes: u64,
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().rev().take(5).collect();
    lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
}

fn number_after(text: &str, key: &str) -> Option<u64> {
    let rest = &text[text.find(key)? + key.len()..];
    let digits: String = rest
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Measures one artifact (JSON bytes) with `bb gates`.
pub fn measure(bb: &Path, name: &str, artifact_json: &[u8]) -> Result<CircuitInfo, InfoError> {
    let dir = tempfile::tempdir().map_err(|source| InfoError::Io {
        path: std::env::temp_dir(),
        source,
    })?;
    let file = dir.path().join(format!("{name}.json"));
    std::fs::write(&file, artifact_json).map_err(|source| InfoError::Io {
        path: file.clone(),
        source,
    })?;
    let command = format!("{} gates -b {}", bb.display(), file.display());
    let out = Command::new(bb)
        .arg("gates")
        .arg("-b")
        .arg(&file)
        .output()
        .map_err(|e| InfoError::Bb {
            command: command.clone(),
            status: "did not start".into(),
            stderr_tail: e.to_string(),
        })?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(InfoError::Bb {
            command,
            status: out.status.to_string(),
            stderr_tail: tail(&String::from_utf8_lossy(&out.stderr)),
        });
    }
    let gates = number_after(&stdout, "\"circuit_size\"");
    let opcodes = number_after(&stdout, "\"acir_opcodes\"");
    match (gates, opcodes) {
        (Some(gates), Some(acir_opcodes)) => Ok(CircuitInfo {
            name: name.to_string(),
            profile: Profile::from_name(name).ok(),
            gates,
            acir_opcodes,
        }),
        _ => Err(InfoError::Output {
            command,
            output: stdout.chars().take(200).collect(),
        }),
    }
}

/// Measures every circuit embedded in the SDK, in manifest order.
pub fn embedded_infos(bb: &Path) -> Result<Vec<CircuitInfo>, InfoError> {
    crate::noir::embedded_names()
        .filter_map(|name| crate::noir::embedded(name).map(|bytes| (name, bytes)))
        .map(|(name, bytes)| measure(bb, name, bytes))
        .collect()
}

/// A one-line description of a profile's capacities.
pub fn describe_profile(p: &Profile) -> String {
    let family = match p.family() {
        ModelFamily::Linear => format!("linear, {} features", p.features()),
        ModelFamily::Mlp { hidden } => format!(
            "perceptron {} x {hidden} (one hidden ReLU layer)",
            p.features()
        ),
        ModelFamily::DeepMlp { hidden } => {
            let widths: Vec<String> = hidden.widths().iter().map(usize::to_string).collect();
            format!(
                "perceptron {} x {} ({} hidden ReLU layers)",
                p.features(),
                widths.join(" x "),
                widths.len()
            )
        }
        ModelFamily::Trees { trees, depth } => format!(
            "tree ensemble, {} features, {trees} trees x depth {depth}",
            p.features()
        ),
        ModelFamily::TreeTable {
            trees,
            leaves,
            depth,
        } => format!(
            "tree ensemble (node table), {} features, {trees} trees of at most {leaves} leaves, depth {depth}",
            p.features()
        ),
    };
    let kind = match p.kind() {
        DecisionKind::ScoreBand { bands } => format!("score band (up to {bands} bands)"),
        DecisionKind::Gate => "yes/no gate".to_string(),
    };
    format!(
        "{family}, {} weights; {kind}; registry depth {}; up to {} scopes, {} protected features, {} allowed models",
        p.weight_count(),
        p.depth(),
        p.scopes(),
        p.protected(),
        p.models()
    )
}

/// The text `govproof circuits info` prints: one line per embedded circuit (gates, ACIR opcodes,
/// name) and, under each composite, its profile.
pub fn circuits_info(bb: &Path) -> Result<String, InfoError> {
    Ok(render(&embedded_infos(bb)?))
}

/// Formats measured circuits as `circuits_info` prints them.
pub fn render(infos: &[CircuitInfo]) -> String {
    let mut s = format!("{:>8}  {:>6}  circuit\n", "gates", "acir");
    for info in infos {
        let _ = writeln!(
            s,
            "{:>8}  {:>6}  {}",
            info.gates, info.acir_opcodes, info.name
        );
        if let Some(p) = &info.profile {
            let _ = writeln!(s, "{:>18}profile: {}", "", describe_profile(p));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bb_gates_output() {
        let out = "{\"functions\": [\n  {\n        \"acir_opcodes\": 231,\n        \"circuit_size\": 3629\n  }\n]}";
        assert_eq!(number_after(out, "\"circuit_size\""), Some(3629));
        assert_eq!(number_after(out, "\"acir_opcodes\""), Some(231));
        assert_eq!(number_after("{}", "\"circuit_size\""), None);
    }

    #[test]
    fn renders_profiles_under_composites() {
        let p = Profile::reference_mlp_band();
        let text = render(&[CircuitInfo {
            name: p.name(),
            profile: Some(p),
            gates: 11384,
            acir_opcodes: 2844,
        }]);
        assert!(text.contains("11384"));
        assert!(text.contains("perceptron 24 x 16"));
        assert!(text.contains("417 weights"));
    }
}
