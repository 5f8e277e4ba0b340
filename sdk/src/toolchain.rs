//! The pinned Noir compiler and `bb` prover, installed and checked (see the `govproof-toolchain`
//! crate, re-exported here), plus the environment report behind `govproof doctor`.

pub use govproof_toolchain::{
    atomic, compile, ensure, find_installed, home, install, pins, sources, InstallOutcome,
    InstallPolicy, Installed, ToolchainError, BB_VERSION, NOIR_VERSION, PINNED,
};

use std::path::PathBuf;

/// One line of `govproof doctor`: what was looked for, what was found, and whether it is usable.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// What was checked.
    pub item: String,
    /// What was found, or why not.
    pub detail: String,
    /// Whether govproof needs this to prove.
    pub required: bool,
    /// Whether it is present and usable.
    pub ok: bool,
}

/// What `govproof doctor` found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DoctorReport {
    /// The govproof home folder.
    pub home: PathBuf,
    /// Each check.
    pub findings: Vec<Finding>,
}

impl DoctorReport {
    /// True when everything required is present.
    pub fn healthy(&self) -> bool {
        self.findings.iter().all(|f| f.ok || !f.required)
    }
}

fn finding(item: &str, required: bool, result: Result<String, String>) -> Finding {
    let (ok, detail) = match result {
        Ok(d) => (true, d),
        Err(d) => (false, d),
    };
    Finding {
        item: item.into(),
        detail,
        required,
        ok,
    }
}

/// Looks at the machine without changing anything: node, npm, the install, bb, the compiler.
pub fn doctor() -> Result<DoctorReport, ToolchainError> {
    let home = home()?;
    let mut findings = vec![
        finding(
            "node",
            true,
            install::tool_version("node").map_err(|e| e.to_string()),
        ),
        finding(
            "npm",
            false,
            install::tool_version("npm")
                .map(|v| format!("{v} (needed only to install)"))
                .map_err(|e| e.to_string()),
        ),
    ];
    let installed = find_installed(&home, PINNED);
    let installed = match installed {
        Ok(Some(i)) => {
            findings.push(finding(
                "toolchain",
                true,
                Ok(format!("installed at `{}`", i.dir().display())),
            ));
            Some(i)
        }
        Ok(None) => {
            findings.push(finding(
                "toolchain",
                true,
                Err(format!(
                    "not installed in `{}`: run `govproof setup`",
                    home.display()
                )),
            ));
            None
        }
        Err(e) => {
            findings.push(finding("toolchain", true, Err(e.to_string())));
            None
        }
    };
    if let Some(i) = &installed {
        findings.push(finding(
            "bb",
            true,
            install::tool_version(&i.bb().to_string_lossy())
                .map_err(|e| e.to_string())
                .and_then(|v| {
                    if v.starts_with(BB_VERSION) {
                        Ok(format!("{v} at `{}`", i.bb().display()))
                    } else {
                        Err(format!("found `{v}`, need {BB_VERSION}"))
                    }
                }),
        ));
        findings.push(finding(
            "noir compiler",
            true,
            Ok(compile::Compiler::choose(i).describe()),
        ));
    }
    findings.push(finding(
        "native nargo",
        false,
        compile::nargo_on_path()
            .map(|p| {
                format!(
                    "`{}` {NOIR_VERSION} (used instead of noir_wasm)",
                    p.display()
                )
            })
            .ok_or_else(|| format!("none of version {NOIR_VERSION} on PATH (not needed)")),
    ));
    Ok(DoctorReport { home, findings })
}
