//! The `govproof` command line, callable in-process: [`run`] takes parsed arguments and writers and
//! returns a typed [`Exit`], so every command is testable without spawning a process.

pub mod audit;
pub mod demo;
pub mod example;
pub mod log;
pub mod model;
pub mod policy;
pub mod prove;
pub mod registry;
pub mod verify;

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use prove::Format;

use govproof::toolchain::{self, InstallOutcome, InstallPolicy, PINNED};

/// How a command ended; the process exit code is the discriminant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done, or valid.
    Success = 0,
    /// Could not do it: usage, I/O, a missing tool.
    Error = 1,
    /// Checked and found invalid (a proof, a bundle, a policy, a registry).
    Rejected = 2,
    /// `govproof verify` without `--policy`: the proof holds, but the policy's id and version and
    /// the outcome's names are the lender's unchecked words.
    PolicyNotChecked = 3,
    /// `govproof verify --dev-setup` on a development-setup proof: every check passed, but
    /// the setup's secret is public, so the proof is not evidence.
    DevelopmentSetup = 4,
}

/// govproof: zero-knowledge proofs for automated credit decisions.
#[derive(Debug, Parser)]
#[command(name = "govproof", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process: variant sizes do not matter
pub enum Command {
    /// Install the pinned Noir compiler and bb prover (checked against pinned hashes); optionally
    /// import Ignition points for an air-gapped machine.
    Setup {
        /// A folder with Ignition points (`bn254_g1.dat`, `bn254_g2.dat`) to check and import.
        #[arg(long, value_name = "DIR")]
        import_crs: Option<PathBuf>,
    },
    /// Show what govproof found on this machine; exits 1 if something required is missing.
    Doctor {
        /// Output format.
        #[arg(long, value_enum, default_value_t = prove::Format::Text)]
        format: prove::Format,
    },
    /// Compile a Noir project folder (Nargo.toml + src/) to a program artifact.
    Compile {
        /// The project folder.
        project: PathBuf,
        /// Where to write the artifact JSON (default: standard output).
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Prove and verify the small example circuit `circuits/hello_gate` end to end (a check of the
    /// toolchain: in-process witness, warm bb, verification, a tampered commitment rejected).
    Example {
        /// Prove with the development setup (publicly known tau: offline, proves nothing).
        #[arg(long)]
        dev_setup: bool,
        /// Never let bb download Ignition points (fail when the CRS folder lacks them).
        #[arg(long, conflicts_with = "dev_setup")]
        offline: bool,
    },
    /// The whole pipeline once: keys, a signed registry, a policy, a model file and an application;
    /// prove the decision into a bundle, verify it, and print the report (every file is written
    /// under one folder, ready for `govproof prove` and `govproof verify`).
    Demo(demo::DemoArgs),
    /// Prove decisions into bundles: one application, or many (JSON Lines) through a prover pool.
    Prove(prove::ProveArgs),
    /// Verify proof bundles offline, one or a whole portfolio (exit 0 valid, 2 invalid, 1 could
    /// not check, 3 policy not checked, 4 development setup: not evidence).
    Verify(verify::VerifyArgs),
    /// Write a verifier for on-chain verification of `evm`-target bundles.
    ExportVerifier(verify::ExportArgs),
    /// Generate an ed25519 key pair for a registry key holder.
    Keygen(crate::registry::KeygenArgs),
    /// Check, hash, test and explain decision policies (TOML).
    Policy {
        /// What to do with them.
        #[command(subcommand)]
        command: crate::policy::PolicyCommand,
    },
    /// Manage the signed model registry.
    Registry {
        /// What to do with it.
        #[command(subcommand)]
        command: crate::registry::RegistryCommand,
    },
    /// Import ONNX models, inspect model files and their quantization certificates.
    Model {
        /// What to do.
        #[command(subcommand)]
        command: crate::model::ModelCommand,
    },
    /// Audit a model on an auditor's applications without handing over the weights: prove every
    /// row of a request, or check an audit file and recompute its figures from the proofs.
    Audit {
        /// What to do.
        #[command(subcommand)]
        command: crate::audit::AuditCommand,
    },
    /// Check a decision service's transparency log (checkpoints, consistency, inclusion).
    Log {
        /// What to do.
        #[command(subcommand)]
        command: crate::log::LogCommand,
    },
    /// Work with the project's own circuits.
    Circuits {
        /// What to do with them.
        #[command(subcommand)]
        command: CircuitsCommand,
    },
}

/// `govproof circuits ...`
#[derive(Debug, Subcommand)]
pub enum CircuitsCommand {
    /// Print each embedded circuit's gate count (measured by bb) and its profile.
    Info,
    /// Recompile the project's circuits and update their checked-in artifacts.
    Build {
        /// Change nothing; fail if recompiling gives different artifacts.
        #[arg(long)]
        check: bool,
        /// The circuits folder of a govproof checkout.
        #[arg(long, default_value = "circuits")]
        dir: PathBuf,
    },
}

/// Runs one command, writing its output to `out` and its diagnostics to `err`.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    match dispatch(cli.command, out, err) {
        Ok(exit) => exit,
        Err(e) => {
            let _ = writeln!(err, "error: {e:#}");
            Exit::Error
        }
    }
}

fn dispatch(command: Command, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<Exit> {
    match command {
        Command::Setup { import_crs } => setup(import_crs, out, err),
        Command::Example { dev_setup, offline } => {
            let choice = if dev_setup {
                example::SetupChoice::Development
            } else {
                example::SetupChoice::Ignition {
                    dir: example::ignition_dir(&toolchain::home()?),
                    downloads: if offline {
                        govproof::setup::CrsDownloads::Forbidden
                    } else {
                        govproof::setup::CrsDownloads::Allowed
                    },
                }
            };
            example::run(choice, out, err)
        }
        Command::Demo(args) => demo::run(args, out, err),
        Command::Prove(args) => prove::run(args, out, err),
        Command::Verify(args) => verify::run_verify(args, out, err),
        Command::ExportVerifier(args) => verify::run_export(args, out),
        Command::Policy { command } => Ok(crate::policy::run_policy(command, out, err)?),
        Command::Keygen(args) => Ok(crate::registry::run_keygen(args, out)?),
        Command::Registry { command } => Ok(crate::registry::run_registry(command, out)?),
        Command::Model { command } => crate::model::run_model(command, out, err),
        Command::Audit { command } => crate::audit::run_audit(command, out, err),
        Command::Log { command } => Ok(crate::log::run_log(command, out, err)),
        Command::Doctor { format } => doctor(format == prove::Format::Json, out),
        Command::Compile { project, out: dest } => {
            let json =
                govproof::noir::compile(&project, InstallPolicy::InstallIfMissing, &mut |m| {
                    let _ = writeln!(err, "{m}");
                })?;
            match dest {
                Some(path) => {
                    toolchain::atomic::write_atomic(&path, &json, Some(0o644))?;
                    writeln!(out, "wrote {}", path.display())?;
                }
                None => {
                    out.write_all(&json)?;
                    writeln!(out)?;
                }
            }
            Ok(Exit::Success)
        }
        Command::Circuits { command } => match command {
            CircuitsCommand::Info => {
                let installed = toolchain::ensure(
                    &toolchain::home()?,
                    InstallPolicy::InstallIfMissing,
                    &mut |m| {
                        let _ = writeln!(err, "{m}");
                    },
                )?;
                write!(
                    out,
                    "{}",
                    govproof::circuits::info::circuits_info(&installed.bb())?
                )?;
                Ok(Exit::Success)
            }
            CircuitsCommand::Build { check, dir } => {
                let installed = toolchain::ensure(
                    &toolchain::home()?,
                    InstallPolicy::InstallIfMissing,
                    &mut |m| {
                        let _ = writeln!(err, "{m}");
                    },
                )?;
                let compiler = toolchain::compile::Compiler::choose(&installed);
                match toolchain::sources::build_all(&compiler, &dir, check) {
                    Ok(reports) => {
                        for r in reports {
                            let what = if r.changed { "rebuilt" } else { "up to date" };
                            writeln!(out, "{}: {what}", r.name)?;
                        }
                        Ok(Exit::Success)
                    }
                    Err(e @ toolchain::sources::SourcesError::Stale { .. }) => {
                        writeln!(err, "error: {e}")?;
                        Ok(Exit::Rejected)
                    }
                    Err(e) => Err(e.into()),
                }
            }
        },
    }
}

fn setup(
    import_crs: Option<PathBuf>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Exit> {
    let home = toolchain::home()?;
    let started = std::time::Instant::now();
    let (installed, outcome) = toolchain::install(&home, PINNED, &mut |m| {
        let _ = writeln!(err, "{m}");
    })?;
    let what = match outcome {
        InstallOutcome::Installed => "installed",
        InstallOutcome::AlreadyPresent => "already installed",
    };
    writeln!(
        out,
        "toolchain {what} at {} ({:.1} s): noir {}, bb {}",
        installed.dir().display(),
        started.elapsed().as_secs_f64(),
        installed.manifest().noir_version,
        installed.manifest().bb_version
    )?;
    if let Some(src) = import_crs {
        let dest = example::ignition_dir(&home);
        let imported = govproof::setup::import_crs(&src, &dest)?;
        writeln!(
            out,
            "imported {} Ignition points into {} (generator, curve, order and G2 checked)",
            imported.points,
            dest.display()
        )?;
    }
    Ok(Exit::Success)
}

fn doctor(json: bool, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let report = toolchain::doctor()?;
    if json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        writeln!(out, "govproof home: {}", report.home.display())?;
        for f in &report.findings {
            let mark = match (f.ok, f.required) {
                (true, _) => "ok     ",
                (false, true) => "MISSING",
                (false, false) => "absent ",
            };
            writeln!(out, "{mark} {:<14} {}", f.item, f.detail)?;
        }
    }
    Ok(if report.healthy() {
        Exit::Success
    } else {
        Exit::Error
    })
}
