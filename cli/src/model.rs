//! `govproof model ...`: import an ONNX model, inspect a model file, extract its certificate.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::{Exit, Format};
use govproof::toolchain::InstallPolicy;

use govproof::model::file::ModelFile;
use govproof::model::import::{import_files, ImportError};

/// `govproof model ...`
#[derive(Debug, clap::Subcommand)]
pub enum ModelCommand {
    /// Import an ONNX model: recognise its family, quantize it for the circuits, certify the
    /// quantization error on calibration data, and write a model file.
    Import(ImportArgs),
    /// Print a model file: identity, profile, family, features, commitment and certificate.
    Inspect {
        /// The model file.
        model: PathBuf,
        /// `json`: print the certificate as JSON instead of the summary.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Write a model file's quantization certificate as a JSON object (for `registry add
    /// --certificate`).
    Certificate {
        /// The model file.
        model: PathBuf,
        /// Where to write the certificate.
        #[arg(long, short)]
        out: PathBuf,
    },
}

/// Arguments of `govproof model import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The ONNX file.
    pub onnx: PathBuf,
    /// The feature schema (TOML, one `[[features]]` table per input, in order).
    #[arg(long = "features", value_name = "SCHEMA")]
    pub features: PathBuf,
    /// Calibration data (CSV with a header naming the features).
    #[arg(long, value_name = "DATA")]
    pub calibration: PathBuf,
    /// Where to write the model file.
    #[arg(long, short)]
    pub out: PathBuf,
    /// A policy: the model gets its circuit profile and the certificate its band agreement.
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// A circuit profile to use instead of the policy's or the default.
    #[arg(long)]
    pub profile: Option<String>,
    /// The suggested registry model id (default: the output file's stem).
    #[arg(long)]
    pub id: Option<String>,
    /// The suggested registry version.
    #[arg(long, default_value = "1")]
    pub version: String,
    /// Refuse the model if its provable error bound exceeds this (in score units).
    #[arg(long)]
    pub max_bound: Option<f64>,
    /// Do not compile the profile's circuit now (it is compiled on first use otherwise).
    #[arg(long)]
    pub no_compile: bool,
}

/// Runs one `govproof model` command.
pub fn run_model(
    cmd: ModelCommand,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Exit> {
    match cmd {
        ModelCommand::Import(a) => import(a, out, err),
        ModelCommand::Inspect { model, format } => {
            let file = ModelFile::read(&model)?;
            if format == Format::Json {
                serde_json::to_writer_pretty(&mut *out, &file.certificate)?;
                writeln!(out)?;
            } else {
                write!(out, "{}", inspect(&file))?;
            }
            Ok(Exit::Success)
        }
        ModelCommand::Certificate { model, out: dest } => {
            let file = ModelFile::read(&model)?;
            let mut bytes = serde_json::to_vec_pretty(&file.certificate)?;
            bytes.push(b'\n');
            govproof::toolchain::atomic::write_atomic(&dest, &bytes, Some(0o644))?;
            writeln!(out, "wrote {}", dest.display())?;
            Ok(Exit::Success)
        }
    }
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn import(a: ImportArgs, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<Exit> {
    let id = a.id.clone().unwrap_or_else(|| stem(&a.out));
    let result = import_files(
        &a.onnx,
        &a.features,
        &a.calibration,
        a.policy.as_deref(),
        a.profile.as_deref(),
        &id,
        &a.version,
        a.max_bound,
        &a.out,
    );
    let (file, recognised) = match result {
        Ok(done) => done,
        Err(e @ (ImportError::Graph { .. } | ImportError::Onnx { .. })) => {
            writeln!(err, "error: {e}")?;
            return Ok(Exit::Rejected);
        }
        Err(e) => return Err(e.into()),
    };
    writeln!(
        out,
        "recognised: {} ({})",
        recognised.model.describe(),
        file.source.producer
    )?;
    writeln!(out, "wrote {}", a.out.display())?;
    write!(out, "{}", inspect(&file))?;
    if !a.no_compile {
        let started = Instant::now();
        if govproof::noir::embedded(&file.profile.name()).is_none() {
            writeln!(
                err,
                "profile `{}` has no prebuilt circuit: generating and compiling it with the pinned toolchain (once; cached)",
                file.profile.name()
            )?;
        }
        let mut progress = |m: &str| {
            let _ = writeln!(err, "{m}");
        };
        govproof::circuits::generate::profile_artifact(
            &file.profile,
            InstallPolicy::InstallIfMissing,
            &mut progress,
        )?;
        writeln!(
            out,
            "circuit for profile `{}` ready ({:.1} s)",
            file.profile.name(),
            started.elapsed().as_secs_f64()
        )?;
    }
    Ok(Exit::Success)
}

/// The text `govproof model inspect` prints.
pub fn inspect(file: &ModelFile) -> String {
    let mut s = String::new();
    let n = file.model.features();
    s += &format!("model: {} version {}\n", file.model_id, file.version);
    s += &format!("family: {}\n", file.family().describe(n));
    s += &format!("profile: {}\n", file.profile.name());
    let class = file
        .positive_class
        .as_ref()
        .map(|c| format!(" of class `{c}`"))
        .unwrap_or_default();
    s += &match file.score {
        govproof::model::float::ScoreKind::LogOdds => format!("score: log-odds{class}\n"),
        govproof::model::float::ScoreKind::Raw => format!(
            "score: raw output{class} (policies should use the `log_odds` scale with values of this output)\n"
        ),
    };
    s += &format!(
        "weights: {} values, commitment {}\n",
        file.model.weights().len(),
        file.weights_commitment().to_hex()
    );
    s += &format!(
        "source: {} (blake3 {}), {}, score read from {}\n",
        file.source.file,
        &file.source.blake3[..16.min(file.source.blake3.len())],
        if file.source.producer.is_empty() {
            "producer not named"
        } else {
            &file.source.producer
        },
        file.source.score_tensor
    );
    if !file.source.readout.is_empty() {
        s += &format!(
            "not proved (formatting after the score): {}\n",
            file.source.readout.join(", ")
        );
    }
    s += "features:\n";
    for (i, f) in file.schema.features().iter().enumerate() {
        let used = if file.model.uses_feature(i) {
            ""
        } else {
            "  (unused by the model)"
        };
        s += &format!(
            "  {i:>3} {:<32} [{}, {}]{}{used}\n",
            f.name,
            f.min,
            f.max,
            if f.integer { " integer" } else { "" }
        );
    }
    s += "quantization certificate:\n";
    for line in file.certificate.summary().lines() {
        s += &format!("  {line}\n");
    }
    s
}
