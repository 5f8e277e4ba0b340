//! The `govproof registry ...` and `govproof keygen` commands, callable in-process.
//!
//! [`run_registry`] and [`run_keygen`] write their report to the given writer and return an
//! [`Exit`] (`Success`, or `Rejected` when a registry is checked and found invalid) or a
//! [`CliError`] (exit code 1). The binary only parses arguments and calls them.

use std::io::Write;
use std::path::{Path, PathBuf};

pub use crate::Exit;
use govproof::field::Field;
use govproof::registry::detached::{self, DetachedSignatures};
use govproof::registry::document::{DocumentError, DocumentProblem, FromInputError};
use govproof::registry::document::{Signed, SignedContent, Version};
use govproof::registry::durable;
use govproof::registry::durable::IoError;
use govproof::registry::entry::EntryError;
use govproof::registry::entry::{
    Digest, Entry, EntryDraft, QuantizationCertificate, Scope, Status,
};
use govproof::registry::keys::{keygen, KeyError, KeyId, PublicKeyFile, SecretKey, SecretKeyFile};
use govproof::registry::names::{ModelId, ModelVersion, NameError, Note, ProfileName};
use govproof::registry::root::{Root, RootKey};
use govproof::registry::store::{Proposal, Published, RegistryDir, SignReport, Staged, StoreError};
use govproof::registry::threshold::{Subject, Tally};
use govproof::registry::time::{TimeSpan, Timestamp};
use govproof::registry::trust::{TrustState, TrustStateError, TrustStateFile, MAX_ROOT_BYTES};

/// How long a new root stays valid unless told otherwise.
pub const DEFAULT_ROOT_LIFETIME: &str = "365d";
/// How long a new snapshot stays valid unless told otherwise.
pub const DEFAULT_SNAPSHOT_LIFETIME: &str = "30d";

/// `govproof registry <command>`.
#[derive(Debug, Clone, clap::Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process: variant sizes do not matter
pub enum RegistryCommand {
    /// Create a registry: stage root 1 and an empty snapshot 1 for the key holders to sign.
    Init(InitArgs),
    /// Stage a snapshot with a newly approved model version.
    Add(AddArgs),
    /// Regenerate an entry's circuit with the pinned toolchain, derive its keys with bb, and
    /// confirm the digests the entry names (exit 2 on a mismatch).
    Reproduce(ReproduceArgs),
    /// Stage a snapshot in which a model version is revoked.
    Revoke(RevokeArgs),
    /// Stage a new root with other governance keys or threshold (signed by the old and new keys).
    Rotate(RotateArgs),
    /// Sign what is staged with one governance key; publish once every threshold is met. With
    /// `--proposal` and `--out`, sign a copy of the proposal away from the folder instead.
    Sign(SignArgs),
    /// Attach signature files made with `sign --proposal`; publish once every threshold is met.
    Attach(AttachArgs),
    /// Discard what is staged, with its signatures; the published registry is untouched.
    Discard(DiscardArgs),
    /// Verify the published registry against a trust state, and advance the trust state.
    Verify(VerifyArgs),
    /// Show the published registry and what is staged.
    Show(ShowArgs),
}

/// Arguments of `govproof registry init`.
#[derive(Debug, Clone, clap::Args)]
pub struct InitArgs {
    /// The registry folder (new or empty).
    #[arg(long)]
    pub dir: PathBuf,
    /// A governance public key file (`.pub` from `govproof keygen`); repeat for each key.
    #[arg(long = "key", required = true)]
    pub keys: Vec<PathBuf>,
    /// How many distinct keys must sign.
    #[arg(long)]
    pub threshold: u32,
    /// How long root 1 stays valid (e.g. `365d`).
    #[arg(long, default_value = DEFAULT_ROOT_LIFETIME)]
    pub root_expires_in: TimeSpan,
    /// How long snapshot 1 stays valid (e.g. `30d`).
    #[arg(long, default_value = DEFAULT_SNAPSHOT_LIFETIME)]
    pub snapshot_expires_in: TimeSpan,
    /// The time to record (RFC 3339) instead of the system clock, for reproducible registries.
    #[arg(long)]
    pub now: Option<Timestamp>,
}

/// Arguments of `govproof registry add`.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("digest").required(true).args(["model", "model_file", "model_digest"])))]
pub struct AddArgs {
    /// The registry folder.
    #[arg(long)]
    pub dir: PathBuf,
    /// The `.govproof` model file (from `govproof model import`): the id, version, profile,
    /// weights commitment, digest and quantization certificate come from it, and any flag that
    /// contradicts it is refused.
    #[arg(long, value_name = "FILE", conflicts_with = "model_file")]
    pub model: Option<PathBuf>,
    /// The model's id (with `--model`: must be the file's).
    #[arg(long)]
    pub model_id: Option<ModelId>,
    /// The model's version (with `--model`: must be the file's).
    #[arg(long)]
    pub model_version: Option<ModelVersion>,
    /// The Poseidon2 commitment to the quantized weights (0x-hex field element).
    #[arg(long)]
    pub weights_commitment: Option<Field>,
    /// A model file of another format, whose blake3 digest is recorded.
    #[arg(long)]
    pub model_file: Option<PathBuf>,
    /// The model file's blake3 digest (64 hex digits), instead of `--model-file`.
    #[arg(long)]
    pub model_digest: Option<Digest>,
    /// The circuit profile the model is proved with.
    #[arg(long)]
    pub profile: Option<ProfileName>,
    /// The profile's scope capacity (default: the profile's).
    #[arg(long)]
    pub scope_capacity: Option<u32>,
    /// The fixed-point scale of the quantized model (default: the circuits' 65536).
    #[arg(long)]
    pub fixed_point_scale: Option<u64>,
    /// An approved scope, `purpose/jurisdiction/product`; repeat for each.
    #[arg(long = "scope", required = true)]
    pub scopes: Vec<Scope>,
    /// Start of validity (RFC 3339).
    #[arg(long)]
    pub valid_from: Timestamp,
    /// End of validity, exclusive (RFC 3339).
    #[arg(long)]
    pub valid_until: Timestamp,
    /// Who approved it (e.g. the committee and its minute).
    #[arg(long)]
    pub approved_by: Note,
    /// When it was approved (RFC 3339).
    #[arg(long)]
    pub approved_at: Timestamp,
    /// The quantization certificate (a JSON object), when the model was imported with one.
    #[arg(long)]
    pub certificate: Option<PathBuf>,
    /// How long the staged snapshot stays valid once published.
    #[arg(long, default_value = DEFAULT_SNAPSHOT_LIFETIME)]
    pub snapshot_expires_in: TimeSpan,
    /// The time to record (RFC 3339) instead of the system clock.
    #[arg(long)]
    pub now: Option<Timestamp>,
    /// The bb that derives the circuit's verification keys (with `--model`; default: the
    /// installed pinned toolchain's).
    #[arg(long, value_name = "FILE")]
    pub bb: Option<PathBuf>,
    /// A folder of Ignition points for the Ignition keys (default: the points `govproof setup
    /// --import-crs` imported); without enough points only the development keys are named.
    #[arg(long, value_name = "DIR")]
    pub ignition_crs: Option<PathBuf>,
}

/// Arguments of `govproof registry reproduce`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReproduceArgs {
    /// The registry folder (or a mirror of it).
    #[arg(long, alias = "registry")]
    pub dir: PathBuf,
    /// The trusted root document (obtained out of band), as `govproof verify --trust` takes it.
    #[arg(long, value_name = "ROOT")]
    pub trust: PathBuf,
    /// The entry: `MODEL_ID@VERSION`.
    #[arg(value_name = "MODEL_ID@VERSION")]
    pub entry: String,
    /// The bb that derives the keys (default: the installed pinned toolchain's).
    #[arg(long, value_name = "FILE")]
    pub bb: Option<PathBuf>,
    /// A folder of Ignition points, for the Ignition keys the entry names (default: the points
    /// `govproof setup --import-crs` imported).
    #[arg(long, value_name = "DIR")]
    pub ignition_crs: Option<PathBuf>,
    /// The time to judge the registry's expiry at (RFC 3339) instead of the system clock.
    #[arg(long)]
    pub now: Option<Timestamp>,
}

/// Arguments of `govproof registry revoke`.
#[derive(Debug, Clone, clap::Args)]
pub struct RevokeArgs {
    /// The registry folder.
    #[arg(long)]
    pub dir: PathBuf,
    /// The model's id.
    #[arg(long)]
    pub model_id: ModelId,
    /// The model's version.
    #[arg(long)]
    pub model_version: ModelVersion,
    /// Why it is revoked.
    #[arg(long)]
    pub reason: Note,
    /// How long the staged snapshot stays valid once published.
    #[arg(long, default_value = DEFAULT_SNAPSHOT_LIFETIME)]
    pub snapshot_expires_in: TimeSpan,
    /// The revocation time to record (RFC 3339) instead of the system clock.
    #[arg(long)]
    pub now: Option<Timestamp>,
}

/// Arguments of `govproof registry rotate`.
#[derive(Debug, Clone, clap::Args)]
pub struct RotateArgs {
    /// The registry folder.
    #[arg(long)]
    pub dir: PathBuf,
    /// A public key file of the new root; repeat for each key (list every key, kept or new).
    #[arg(long = "key", required = true)]
    pub keys: Vec<PathBuf>,
    /// How many distinct keys of the new root must sign.
    #[arg(long)]
    pub threshold: u32,
    /// How long the new root stays valid.
    #[arg(long, default_value = DEFAULT_ROOT_LIFETIME)]
    pub root_expires_in: TimeSpan,
    /// How long the re-issued snapshot stays valid.
    #[arg(long, default_value = DEFAULT_SNAPSHOT_LIFETIME)]
    pub snapshot_expires_in: TimeSpan,
    /// The time to record (RFC 3339) instead of the system clock.
    #[arg(long)]
    pub now: Option<Timestamp>,
}

/// Arguments of `govproof registry sign`.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["dir", "proposal"])))]
pub struct SignArgs {
    /// The registry folder: sign what it stages, in place.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// A copy of a registry's `staged/proposal.json`: sign it away from the folder, writing the
    /// signatures to `--out` for `govproof registry attach`.
    #[arg(long, requires = "out")]
    pub proposal: Option<PathBuf>,
    /// Where to write the signature file (with `--proposal`); an existing file is not replaced.
    #[arg(long, short, requires = "proposal")]
    pub out: Option<PathBuf>,
    /// The signer's secret key file (mode 0600).
    #[arg(long)]
    pub key: PathBuf,
}

/// Arguments of `govproof registry discard`.
#[derive(Debug, Clone, clap::Args)]
pub struct DiscardArgs {
    /// The registry folder.
    #[arg(long)]
    pub dir: PathBuf,
}

/// Arguments of `govproof registry attach`.
#[derive(Debug, Clone, clap::Args)]
pub struct AttachArgs {
    /// The registry folder.
    #[arg(long)]
    pub dir: PathBuf,
    /// Signature files from `govproof registry sign --proposal`, attached in this order.
    #[arg(required = true)]
    pub signatures: Vec<PathBuf>,
}

/// Arguments of `govproof registry verify`.
#[derive(Debug, Clone, clap::Args)]
pub struct VerifyArgs {
    /// The registry folder (or a mirror of it).
    #[arg(long)]
    pub dir: PathBuf,
    /// The client's trust state file: read, and replaced when the registry verifies.
    #[arg(long, value_name = "FILE")]
    pub state: PathBuf,
    /// The trusted root file: a root document obtained out of band (as `--trust` is in every
    /// command). It starts a new trust state when `--state` does not exist yet, and otherwise
    /// checks that the trust state was reached from this root through signed rotations.
    #[arg(long, value_name = "ROOT")]
    pub trust: Option<PathBuf>,
    /// The time to judge expiry at (RFC 3339) instead of the system clock.
    #[arg(long)]
    pub now: Option<Timestamp>,
}

/// Arguments of `govproof registry show`.
#[derive(Debug, Clone, clap::Args)]
pub struct ShowArgs {
    /// The registry folder.
    #[arg(long)]
    pub dir: PathBuf,
}

/// Arguments of `govproof keygen`.
#[derive(Debug, Clone, clap::Args)]
pub struct KeygenArgs {
    /// Where to write the key pair: `<out>.key` (secret, mode 0600) and `<out>.pub`.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Who holds the key (recorded in the public key file and the root).
    #[arg(long)]
    pub holder: Option<Note>,
}

/// Why a command failed (exit code 1).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A registry operation failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A key could not be made or read.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] IoError),
    /// A document given on the command line is malformed.
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// The trust state cannot be used.
    #[error(transparent)]
    TrustState(#[from] TrustStateError),
    /// An entry given on the command line breaks a rule.
    #[error(transparent)]
    Entry(#[from] EntryError),
    /// A name given on the command line breaks a rule.
    #[error(transparent)]
    Name(#[from] NameError),
    /// Arguments that do not fit together.
    #[error("{0}")]
    Usage(String),
    /// The circuit's digests could not be derived (a missing toolchain, a failed compile or bb).
    #[error("cannot derive the circuit's digests: {0}")]
    Circuit(String),
    /// The report could not be written.
    #[error("could not write the report: {0}")]
    Output(#[from] std::io::Error),
}

impl CliError {
    /// The process exit code: 1.
    pub fn exit_code(&self) -> u8 {
        1
    }
}

/// Runs `govproof registry <command>`, writing its report to `out`.
pub fn run_registry(cmd: RegistryCommand, out: &mut dyn Write) -> Result<Exit, CliError> {
    match cmd {
        RegistryCommand::Init(a) => init(a, out),
        RegistryCommand::Add(a) => add(a, out),
        RegistryCommand::Reproduce(a) => reproduce(a, out),
        RegistryCommand::Revoke(a) => revoke(a, out),
        RegistryCommand::Rotate(a) => rotate(a, out),
        RegistryCommand::Sign(a) => sign(a, out),
        RegistryCommand::Attach(a) => attach(a, out),
        RegistryCommand::Discard(a) => discard(a, out),
        RegistryCommand::Verify(a) => verify(a, out),
        RegistryCommand::Show(a) => show(a, out),
    }
}

/// Runs `govproof keygen`: writes a key pair and reports the key id and files, never the secret.
pub fn run_keygen(args: KeygenArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let g = keygen(&args.out, args.holder)?;
    writeln!(out, "generated key {}", g.key_id)?;
    writeln!(
        out,
        "secret key: {} (readable by you only; never share it)",
        g.secret_path.display()
    )?;
    writeln!(out, "public key: {}", g.public_path.display())?;
    Ok(Exit::Success)
}

fn read_root_keys(paths: &[PathBuf]) -> Result<Vec<RootKey>, CliError> {
    paths
        .iter()
        .map(|p| {
            let f = PublicKeyFile::read(p)?;
            Ok(RootKey::new(f.public_key, f.holder))
        })
        .collect()
}

fn init(a: InitArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let keys = read_root_keys(&a.keys)?;
    let n = keys.len();
    let now = a.now.unwrap_or_else(Timestamp::now);
    RegistryDir::init(
        &a.dir,
        keys,
        a.threshold,
        a.root_expires_in,
        a.snapshot_expires_in,
        now,
    )?;
    writeln!(
        out,
        "created a registry: root 1 ({} of {n} keys must sign) and an empty snapshot 1 are staged",
        a.threshold
    )?;
    writeln!(
        out,
        "next: each key holder runs `govproof registry sign --dir <registry> --key <their .key file>`"
    )?;
    writeln!(
        out,
        "      (away from the folder: `sign --proposal <copy of staged/proposal.json> --key <.key> --out <file>`, then `attach`)"
    )?;
    Ok(Exit::Success)
}

fn report_staged(s: &Staged, out: &mut dyn Write) -> Result<(), CliError> {
    write!(
        out,
        "staged snapshot {}: {}, merkle root {}",
        s.snapshot_version,
        plural(s.entry_count, "entry", "entries"),
        s.merkle_root
    )?;
    if let Some(r) = s.root_version {
        write!(out, " (with root {r})")?;
    }
    writeln!(out)?;
    if s.dropped_signatures > 0 {
        writeln!(
            out,
            "the {} signature(s) on the previously staged snapshot no longer apply: it must be signed again",
            s.dropped_signatures
        )?;
    }
    writeln!(
        out,
        "next: key holders run `govproof registry sign --dir <registry> --key <their .key file>`"
    )?;
    writeln!(
        out,
        "      (away from the folder: `sign --proposal <copy of staged/proposal.json> --key <.key> --out <file>`, then `attach`)"
    )?;
    Ok(())
}

/// The entry fields a model file fixes, and what the flags say about each.
struct FromModel {
    model_id: ModelId,
    version: ModelVersion,
    weights_commitment: Field,
    model_digest: Digest,
    profile: ProfileName,
    certificate: QuantizationCertificate,
}

/// `flag` given with `--model`: its value when it agrees with the model file's, otherwise the
/// refusal naming both values.
fn agree<T: PartialEq + std::fmt::Display>(
    flag: &str,
    given: Option<T>,
    file_value: T,
    file: &Path,
) -> Result<T, CliError> {
    match given {
        Some(v) if v != file_value => Err(CliError::Usage(format!(
            "`--{flag}` is `{v}` but the model file `{}` says `{file_value}`",
            file.display()
        ))),
        _ => Ok(file_value),
    }
}

fn read_model(path: &Path) -> Result<FromModel, CliError> {
    let bytes =
        govproof::input_file::read_input(path, "model file", govproof::model::file::MAX_FILE_BYTES)
            .map_err(|e| CliError::Usage(e.to_string()))?;
    let file = govproof::model::ModelFile::from_bytes(&path.display().to_string(), &bytes)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    Ok(FromModel {
        model_id: file.model_id.clone(),
        version: file.version.clone(),
        weights_commitment: file.weights_commitment(),
        model_digest: Digest::from_bytes(*blake3::hash(&bytes).as_bytes()),
        profile: ProfileName::new(&file.profile.name())?,
        certificate: QuantizationCertificate(file.certificate.to_json_object()),
    })
}

/// A flag needed when no `--model` file is given.
fn required<T>(flag: &str, value: Option<T>) -> Result<T, CliError> {
    value.ok_or_else(|| {
        CliError::Usage(format!(
            "give `--{flag}`, or `--model FILE` to read it from a model file"
        ))
    })
}

fn add(a: AddArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let certificate = a.certificate.as_deref().map(read_certificate).transpose()?;
    let (model_id, version, weights_commitment, model_digest, profile, certificate) = match &a.model
    {
        Some(path) => {
            let m = read_model(path)?;
            if let Some(given) = &certificate {
                if given != &m.certificate {
                    return Err(CliError::Usage(format!(
                        "the certificate `{}` is not the one in the model file `{}`",
                        a.certificate.as_deref().unwrap_or(Path::new("")).display(),
                        path.display()
                    )));
                }
            }
            (
                agree("model-id", a.model_id, m.model_id, path)?,
                agree("model-version", a.model_version, m.version, path)?,
                agree(
                    "weights-commitment",
                    a.weights_commitment,
                    m.weights_commitment,
                    path,
                )?,
                agree("model-digest", a.model_digest, m.model_digest, path)?,
                agree("profile", a.profile, m.profile, path)?,
                Some(m.certificate),
            )
        }
        None => {
            let model_digest = match (&a.model_file, a.model_digest) {
                (Some(path), None) => {
                    let mut f =
                        std::fs::File::open(path).map_err(|e| IoError::new("open", path, e))?;
                    Digest::of_reader(&mut f).map_err(|e| IoError::new("read", path, e))?
                }
                (None, Some(d)) => d,
                _ => {
                    return Err(CliError::Usage(
                        "give exactly one of `--model`, `--model-file` and `--model-digest`".into(),
                    ))
                }
            };
            (
                required("model-id", a.model_id)?,
                required("model-version", a.model_version)?,
                required("weights-commitment", a.weights_commitment)?,
                model_digest,
                required("profile", a.profile)?,
                certificate,
            )
        }
    };
    let (scope_capacity, fixed_point_scale) =
        profile_values(&profile, a.scope_capacity, a.fixed_point_scale)?;
    // A model file names a circuit profile: the entry names that circuit's digests, so bundles
    // of a circuit no verifier pins can still be checked.
    let circuit = match &a.model {
        Some(_) => Some(entry_circuit(
            &profile,
            a.bb.as_deref(),
            a.ignition_crs.as_deref(),
            out,
        )?),
        None => None,
    };
    let entry = Entry::new(EntryDraft {
        model_id,
        version,
        weights_commitment,
        model_digest,
        profile,
        scope_capacity,
        fixed_point_scale,
        scopes: a.scopes,
        valid_from: a.valid_from,
        valid_until: a.valid_until,
        status: Status::Approved,
        approved_by: a.approved_by,
        approved_at: a.approved_at,
        quantization_certificate: certificate,
        circuit,
    })?;
    let now = a.now.unwrap_or_else(Timestamp::now);
    let staged = RegistryDir::at(&a.dir).add(entry, a.snapshot_expires_in, now)?;
    report_staged(&staged, out)?;
    Ok(Exit::Success)
}

/// Where the machine keeps what deriving keys needs: bb (given, or the installed toolchain's), the
/// development setup, and the Ignition points (given, or those `govproof setup --import-crs`
/// imported), each opened without downloading anything.
struct KeyMaker {
    bb: PathBuf,
    development: govproof::setup::Setup,
    ignition: Result<govproof::setup::Setup, String>,
}

impl KeyMaker {
    fn open(bb: Option<&Path>, ignition: Option<&Path>) -> Result<KeyMaker, CliError> {
        let circuit = |e: &dyn std::fmt::Display| CliError::Circuit(e.to_string());
        let home = govproof::toolchain::home().map_err(|e| circuit(&e))?;
        let bb = match bb {
            Some(p) => p.to_path_buf(),
            None => govproof::toolchain::ensure(
                &home,
                govproof::toolchain::InstallPolicy::InstallIfMissing,
                &mut |_| {},
            )
            .map_err(|e| circuit(&e))?
            .bb(),
        };
        let development =
            govproof::setup::dangerous::development_setup(&home.join("setups").join("development"))
                .map_err(|e| circuit(&e))?;
        // The folder `govproof setup --import-crs` fills.
        let dir = ignition.map_or_else(|| home.join("crs").join("ignition"), Path::to_path_buf);
        let ignition =
            govproof::setup::Setup::ignition(&dir, govproof::setup::CrsDownloads::Forbidden)
                .map_err(|e| e.to_string());
        Ok(KeyMaker {
            bb,
            development,
            ignition,
        })
    }

    /// The setup a key digest names, if this machine has it.
    fn setup(&self, id: govproof::setup::SetupId) -> Result<&govproof::setup::Setup, String> {
        if id == self.development.id() {
            return Ok(&self.development);
        }
        match id {
            govproof::setup::SetupId::Ignition => self.ignition.as_ref().map_err(Clone::clone),
            _ => Err(format!(
                "the {id} setup is not this build's development setup"
            )),
        }
    }
}

/// The digests of `profile`'s circuit (compiled once and cached, as the SDK does at import):
/// its bytecode, and its keys for the development setup and, when the Ignition points are on the
/// machine, for Ignition, each for both targets.
fn entry_circuit(
    profile: &ProfileName,
    bb: Option<&Path>,
    ignition: Option<&Path>,
    out: &mut dyn Write,
) -> Result<govproof::registry::entry::CircuitDigests, CliError> {
    use govproof::circuits::digests;
    let circuit = govproof::circuits::Profile::from_name(profile.as_str())
        .map_err(|e| CliError::Circuit(e.to_string()))?;
    let maker = KeyMaker::open(bb, ignition)?;
    let json = govproof::circuits::generate::profile_artifact(
        &circuit,
        govproof::toolchain::InstallPolicy::InstallIfMissing,
        &mut |_| {},
    )
    .map_err(|e| CliError::Circuit(e.to_string()))?;
    let cache = govproof::toolchain::home()
        .map_err(|e| CliError::Circuit(e.to_string()))?
        .join("cache");
    let mut derived = digests::derive(
        profile.as_str(),
        &json,
        &maker.bb,
        std::slice::from_ref(&maker.development),
        &cache,
    )
    .map_err(|e| CliError::Circuit(e.to_string()))?;
    let ignition_note = match &maker.ignition {
        Ok(setup) => match digests::derive(
            profile.as_str(),
            &json,
            &maker.bb,
            std::slice::from_ref(setup),
            &cache,
        ) {
            Ok(more) => {
                derived
                    .digests
                    .verification_keys
                    .extend(more.digests.verification_keys);
                None
            }
            Err(e) => Some(e.to_string()),
        },
        Err(e) => Some(e.clone()),
    };
    writeln!(
        out,
        "circuit `{profile}`: bytecode digest {}",
        derived.digests.bytecode_digest
    )?;
    for k in &derived.digests.verification_keys {
        writeln!(
            out,
            "  verification key {} for the {} setup and target `{}`",
            k.vk_hash,
            k.setup.kind(),
            k.target
        )?;
    }
    if let Some(why) = ignition_note {
        writeln!(
            out,
            "  no Ignition keys named (Ignition bundles of this model will not verify): {why}"
        )?;
    }
    Ok(derived.digests)
}

/// `govproof registry reproduce`: rebuilds an entry's circuit from the generator, derives its
/// keys with bb, and reports each digest the entry names as a match or a mismatch.
fn reproduce(a: ReproduceArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    use govproof::circuits::digests;
    let Some((id, version)) = a.entry.split_once('@') else {
        return Err(CliError::Usage(format!(
            "`{}` is not an entry: expected `MODEL_ID@VERSION`",
            a.entry.chars().take(80).collect::<String>()
        )));
    };
    let (model_id, version) = (ModelId::new(id)?, ModelVersion::new(version)?);
    let trust = match TrustState::bootstrap(read_root_file(&a.trust)?) {
        Ok(t) => t,
        Err(e) => {
            writeln!(out, "rejected: the trusted root: {e}")?;
            return Ok(Exit::Rejected);
        }
    };
    let now = a.now.unwrap_or_else(Timestamp::now);
    let registry = match RegistryDir::at(&a.dir).verify(&trust, now) {
        Ok((registry, _)) => registry,
        Err(e) => {
            writeln!(out, "rejected: {e}")?;
            return Ok(Exit::Rejected);
        }
    };
    let Some(membership) = registry.membership(&model_id, &version) else {
        return Err(CliError::Usage(format!(
            "the registry's snapshot {} has no entry for `{model_id}` version `{version}`",
            registry.snapshot().snapshot().version()
        )));
    };
    let entry = membership.entry.fields();
    let Some(named) = &entry.circuit else {
        writeln!(
            out,
            "`{model_id}` version `{version}` names no circuit digests (an entry written before \
             entries named them): nothing to reproduce"
        )?;
        return Ok(Exit::Rejected);
    };
    let profile = govproof::circuits::Profile::from_name(entry.profile.as_str())
        .map_err(|e| CliError::Circuit(e.to_string()))?;
    let maker = KeyMaker::open(a.bb.as_deref(), a.ignition_crs.as_deref())?;
    // A fresh folder: the circuit is generated and compiled again, and every key computed again.
    let scratch =
        tempfile::tempdir().map_err(|e| IoError::new("create", &std::env::temp_dir(), e))?;
    writeln!(
        out,
        "reproducing `{model_id}` version `{version}` (snapshot {}): profile `{}`",
        registry.snapshot().snapshot().version(),
        entry.profile
    )?;
    let json = govproof::circuits::generate::compile_cached(
        &profile,
        &scratch.path().join("circuits"),
        govproof::toolchain::InstallPolicy::InstallIfMissing,
        &mut |_| {},
    )
    .map_err(|e| CliError::Circuit(e.to_string()))?;
    let (bytecode_digest, circuit) = digests::bytecode(entry.profile.as_str(), &json)
        .map_err(|e| CliError::Circuit(e.to_string()))?;
    let (mut mismatches, mut unchecked) = (0usize, 0usize);
    let mut line =
        |out: &mut dyn Write, what: String, named: Digest, rebuilt: Result<Digest, String>| {
            match rebuilt {
                Ok(d) if d == named => writeln!(out, "  MATCH     {what}: {named}"),
                Ok(d) => {
                    mismatches += 1;
                    writeln!(
                        out,
                        "  MISMATCH  {what}: the entry names {named}, the rebuild gives {d}"
                    )
                }
                Err(why) => {
                    unchecked += 1;
                    writeln!(
                        out,
                        "  UNCHECKED {what}: the entry names {named}, not derived here: {why}"
                    )
                }
            }
        };
    line(
        out,
        "bytecode".to_string(),
        named.bytecode_digest,
        Ok(bytecode_digest),
    )?;
    for k in &named.verification_keys {
        let rebuilt = maker.setup(k.setup).and_then(|setup| {
            digests::key(
                entry.profile.as_str(),
                &circuit,
                &maker.bb,
                setup,
                k.target,
                &scratch.path().join("vk"),
            )
            .map(|vk| Digest::from_bytes(vk.hash()))
            .map_err(|e| e.to_string())
        });
        line(
            out,
            format!(
                "verification key for the {} setup and target `{}`",
                k.setup.kind(),
                k.target
            ),
            k.vk_hash,
            rebuilt,
        )?;
    }
    if mismatches > 0 {
        writeln!(
            out,
            "MISMATCH: {mismatches} digest(s) the entry names are not what the project's generator, \
             the pinned compiler and bb give"
        )?;
        return Ok(Exit::Rejected);
    }
    if unchecked > 0 {
        writeln!(
            out,
            "INCOMPLETE: every digest derived here matches, {unchecked} could not be derived on \
             this machine"
        )?;
        return Ok(Exit::Error);
    }
    writeln!(
        out,
        "REPRODUCED: every digest the entry names matches the rebuild"
    )?;
    Ok(Exit::Success)
}

/// The scope capacity and fixed-point scale of an entry for `profile`: a circuit profile fixes
/// both, so a value that contradicts it (an entry that could never be proved) is refused, naming
/// the profile's value. A name that is not a circuit profile fixes neither, and both must be given.
fn profile_values(
    profile: &ProfileName,
    scope_capacity: Option<u32>,
    fixed_point_scale: Option<u64>,
) -> Result<(u32, u64), CliError> {
    let Ok(circuit) = govproof::circuits::Profile::from_name(profile.as_str()) else {
        return Ok((
            required("scope-capacity", scope_capacity)?,
            required("fixed-point-scale", fixed_point_scale)?,
        ));
    };
    let capacity = u32::try_from(circuit.scopes())
        .map_err(|_| CliError::Usage(format!("profile `{profile}` has too many scopes")))?;
    let scale = 1u64 << govproof::circuits::fixed::SCALE_BITS;
    match scope_capacity {
        Some(c) if c != capacity => {
            return Err(CliError::Usage(format!(
                "`--scope-capacity` is `{c}` but profile `{profile}` holds {capacity} scopes"
            )))
        }
        _ => {}
    }
    match fixed_point_scale {
        Some(s) if s != scale => {
            return Err(CliError::Usage(format!(
                "`--fixed-point-scale` is `{s}` but profile `{profile}` proves at scale {scale}"
            )))
        }
        _ => {}
    }
    Ok((capacity, scale))
}

fn read_certificate(path: &Path) -> Result<QuantizationCertificate, CliError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| IoError::new("read", path, e))?;
    let malformed = |detail: String| DocumentError {
        path: shown.clone(),
        problem: govproof::registry::document::DocumentProblem::Malformed {
            what: "quantization certificate",
            detail,
        },
    };
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(map)) => Ok(QuantizationCertificate(map)),
        Ok(_) => Err(malformed("expected a JSON object".into()).into()),
        Err(e) => Err(malformed(e.to_string()).into()),
    }
}

fn revoke(a: RevokeArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let now = a.now.unwrap_or_else(Timestamp::now);
    let staged = RegistryDir::at(&a.dir).revoke(
        &a.model_id,
        &a.model_version,
        a.reason,
        a.snapshot_expires_in,
        now,
    )?;
    report_staged(&staged, out)?;
    Ok(Exit::Success)
}

fn rotate(a: RotateArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let keys = read_root_keys(&a.keys)?;
    let now = a.now.unwrap_or_else(Timestamp::now);
    let staged = RegistryDir::at(&a.dir).rotate(
        keys,
        a.threshold,
        a.root_expires_in,
        a.snapshot_expires_in,
        now,
    )?;
    report_staged(&staged, out)?;
    writeln!(
        out,
        "the new root needs the threshold of the current root's keys and of its own keys"
    )?;
    Ok(Exit::Success)
}

/// A key id with its holder's name when one of `roots` names it.
fn key_name(id: &KeyId, roots: &[&Root]) -> String {
    match roots
        .iter()
        .find_map(|r| r.key(id))
        .and_then(|k| k.holder.as_ref())
    {
        Some(h) => format!("{id} ({h})"),
        None => id.to_string(),
    }
}

/// `2 of 2 signatures by the keys of root 1: <id> (alice), <id> (bob)`, and what was ignored.
fn tally_line(t: &Tally, roots: &[&Root]) -> String {
    let mut s = format!(
        "{} of {} signatures by the keys of root {}",
        t.counted.len(),
        t.threshold,
        t.root_version
    );
    if !t.counted.is_empty() {
        let names: Vec<String> = t.counted.iter().map(|k| key_name(k, roots)).collect();
        s.push_str(&format!(": {}", names.join(", ")));
    }
    if !t.ignored.is_empty() {
        let ignored: Vec<String> = t
            .ignored
            .iter()
            .map(|(k, why)| format!("{}: {why}", key_name(k, roots)))
            .collect();
        s.push_str(&format!("; ignored {}", ignored.join(", ")));
    }
    s
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn sign(a: SignArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let key = SecretKey::read(&a.key)?;
    let dir = match (a.dir, a.proposal, a.out) {
        (Some(dir), None, None) => RegistryDir::at(dir),
        (None, Some(proposal), Some(to)) => return sign_detached(&proposal, &to, &key, out),
        _ => {
            return Err(CliError::Usage(
                "give either `--dir`, or `--proposal` with `--out`".into(),
            ))
        }
    };
    let r: SignReport = dir.sign(&key)?;
    sign_report(&dir, &r, out)
}

/// Largest proposal copy read (as for the proposal in a registry folder).
const MAX_PROPOSAL_BYTES: u64 = 128 << 20;
/// Largest signature file read.
const MAX_SIGNATURE_FILE_BYTES: u64 = 64 << 10;

/// Reads a JSON document given on the command line, refusing files over `limit` bytes.
fn read_json_file<T: serde::de::DeserializeOwned>(
    path: &Path,
    what: &'static str,
    limit: u64,
) -> Result<T, CliError> {
    let shown = path.display().to_string();
    let bytes = govproof::input_file::read_input(path, what, limit)
        .map_err(|e| DocumentError::from_input(shown.clone(), e))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        DocumentError {
            path: shown,
            problem: DocumentProblem::Malformed {
                what,
                detail: e.to_string(),
            },
        }
        .into()
    })
}

fn sign_detached(
    proposal_path: &Path,
    to: &Path,
    key: &SecretKey,
    out: &mut dyn Write,
) -> Result<Exit, CliError> {
    let proposal: Proposal = read_json_file(proposal_path, "proposal", MAX_PROPOSAL_BYTES)?;
    // What the signer approves is checked and shown before anything is signed.
    let changes = detached::describe_changes(&proposal).map_err(StoreError::StagedInconsistent)?;
    let file = DetachedSignatures::sign(&proposal, key);
    let mut text = serde_json::to_string_pretty(&file)
        .unwrap_or_else(|e| unreachable!("signature files always serialize: {e}"));
    text.push('\n');
    durable::write_atomic(
        to,
        &to.display().to_string(),
        text.as_bytes(),
        durable::DOCUMENT_MODE,
        durable::Replace::Never,
    )?;
    writeln!(out, "signed with key {}:", key.key_id())?;
    for line in detached::describe(&proposal) {
        writeln!(out, "  {line}")?;
    }
    for line in &changes {
        writeln!(out, "  {line}")?;
    }
    writeln!(
        out,
        "wrote {}: attach it with `govproof registry attach --dir <registry> {}`",
        to.display(),
        to.display()
    )?;
    Ok(Exit::Success)
}

fn discard(a: DiscardArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let d = RegistryDir::at(&a.dir).discard()?;
    let what = match d.root_version {
        Some(r) => format!("snapshot {} and root {r}", d.snapshot_version),
        None => format!("snapshot {}", d.snapshot_version),
    };
    writeln!(
        out,
        "discarded the staged {what} and the {} signature(s) it had collected; the published registry is unchanged",
        d.signatures
    )?;
    Ok(Exit::Success)
}

fn attach(a: AttachArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    // Every file is read and parsed before anything is attached.
    let files = a
        .signatures
        .iter()
        .map(|p| {
            let f: DetachedSignatures =
                read_json_file(p, "registry signature file", MAX_SIGNATURE_FILE_BYTES)?;
            if f.format != detached::FORMAT {
                return Err(CliError::Document(DocumentError {
                    path: p.display().to_string(),
                    problem: DocumentProblem::Malformed {
                        what: "registry signature file",
                        detail: format!("format `{}` is not `{}`", f.format, detached::FORMAT),
                    },
                }));
            }
            Ok((p, f))
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    let dir = RegistryDir::at(&a.dir);
    let count = files.len();
    for (i, (path, file)) in files.into_iter().enumerate() {
        writeln!(out, "{}:", path.display())?;
        let r = dir.attach(&file)?;
        sign_report(&dir, &r, out)?;
        if r.published && i + 1 < count {
            writeln!(
                out,
                "the remaining {} signature file(s) were not needed and were not attached",
                count - i - 1
            )?;
            break;
        }
    }
    Ok(Exit::Success)
}

fn sign_report(dir: &RegistryDir, r: &SignReport, out: &mut dyn Write) -> Result<Exit, CliError> {
    // Only to put names on key ids: the current and previous roots, and any staged root.
    let mut roots_owned: Vec<Root> = Vec::new();
    if let Ok(Some(p)) = dir.published() {
        let v = p.root.signed.version().get();
        if let Some(prev) = v.checked_sub(1).and_then(|v| Version::new(v).ok()) {
            if let Ok(r) = dir.read_root(prev) {
                roots_owned.push(r.signed);
            }
        }
        roots_owned.push(p.root.signed);
    }
    if let Some(r) = dir.proposal().ok().flatten().and_then(|p| p.root) {
        roots_owned.push(r.signed);
    }
    let roots: Vec<&Root> = roots_owned.iter().collect();
    let signed: Vec<String> = r.signed.iter().map(Subject::to_string).collect();
    writeln!(
        out,
        "signed {} with key {}",
        signed.join(" and "),
        key_name(&r.key_id, &roots)
    )?;
    if let (Some((by_old, by_new)), Some(v)) = (&r.root_tallies, r.root_version) {
        if let Some(old) = by_old {
            writeln!(out, "root {v}: {}", tally_line(old, &roots))?;
        }
        writeln!(out, "root {v}: {}", tally_line(by_new, &roots))?;
    }
    writeln!(
        out,
        "snapshot {}: {}",
        r.snapshot_version,
        tally_line(&r.snapshot_tally, &roots)
    )?;
    if r.published {
        writeln!(out, "every threshold is met: published")?;
    } else {
        writeln!(out, "more signatures are needed before it is published")?;
    }
    Ok(Exit::Success)
}

/// Reads a root document given on the command line (bounded, strictly parsed).
pub fn read_root_file(path: &Path) -> Result<Signed<Root>, DocumentError> {
    let shown = path.display().to_string();
    let bytes = govproof::input_file::read_input(path, "root document", MAX_ROOT_BYTES)
        .map_err(|e| DocumentError::from_input(shown.clone(), e))?;
    serde_json::from_slice(&bytes).map_err(|e| DocumentError {
        path: shown,
        problem: DocumentProblem::Malformed {
            what: "root document",
            detail: e.to_string(),
        },
    })
}

fn verify(a: VerifyArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let anchor = a.trust.as_deref().map(read_root_file).transpose()?;
    let trust = match (anchor, a.state.exists()) {
        // An existing state is checked again: its chain of roots from its first root and, with
        // `--trust`, that this root is in it.
        (anchor, true) => TrustState::read(&a.state, anchor.as_ref())?,
        (Some(root), false) => match TrustState::bootstrap(root) {
            Ok(t) => t,
            Err(e) => {
                writeln!(out, "rejected: {e}")?;
                return Ok(Exit::Rejected);
            }
        },
        (None, false) => {
            return Err(CliError::Usage(format!(
                "no trust state at `{}`: pass `--trust <root.json>`, a root document obtained out of band, to start one",
                a.state.display()
            )))
        }
    };
    let now = a.now.unwrap_or_else(Timestamp::now);
    match RegistryDir::at(&a.dir).verify(&trust, now) {
        Ok((registry, next)) => {
            let s = registry.snapshot().snapshot();
            writeln!(
                out,
                "verified: snapshot {} under root {}, {}, merkle root {}, expires {}",
                s.version(),
                registry.snapshot().root_version(),
                plural(s.entry_count(), "entry", "entries"),
                s.merkle_root(),
                s.expires()
            )?;
            next.write(&a.state)?;
            writeln!(out, "trust state updated")?;
            Ok(Exit::Success)
        }
        Err(e) => {
            writeln!(out, "rejected: {e}")?;
            writeln!(out, "trust state unchanged")?;
            Ok(Exit::Rejected)
        }
    }
}

fn show(a: ShowArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let dir = RegistryDir::at(&a.dir);
    let published = match dir.published() {
        Ok(p) => p,
        Err(e) => {
            writeln!(out, "rejected: {e}")?;
            return Ok(Exit::Rejected);
        }
    };
    let proposal = dir.proposal()?;
    if published.is_none() && proposal.is_none() {
        return Err(StoreError::NotARegistry(a.dir.clone()).into());
    }
    match &published {
        Some(p) => show_published(p, out)?,
        None => writeln!(out, "nothing published yet")?,
    }
    let stale = |p: &Proposal| {
        published
            .as_ref()
            .is_some_and(|c| p.snapshot.signed.version() <= c.snapshot.signed.version())
    };
    match proposal.filter(|p| !stale(p)) {
        Some(p) => show_proposal(&p, published.as_ref().map(|c| &c.root.signed), out)?,
        None => writeln!(out, "nothing staged")?,
    }
    writeln!(
        out,
        "(shown as stored, not verified: run `govproof registry verify` with a trust state)"
    )?;
    Ok(Exit::Success)
}

fn show_root(root: &Root, out: &mut dyn Write) -> Result<(), CliError> {
    writeln!(
        out,
        "root {}: {} of {} keys must sign, created {}, expires {}",
        root.version(),
        root.threshold(),
        root.keys().len(),
        root.created(),
        root.expires()
    )?;
    for k in root.keys() {
        match &k.holder {
            Some(h) => writeln!(out, "  key {}  {h}", k.key_id)?,
            None => writeln!(out, "  key {}", k.key_id)?,
        }
    }
    Ok(())
}

fn show_published(p: &Published, out: &mut dyn Write) -> Result<(), CliError> {
    show_root(&p.root.signed, out)?;
    let s = &p.snapshot.signed;
    writeln!(
        out,
        "snapshot {}: {}, created {}, expires {}",
        s.version(),
        plural(s.entry_count(), "entry", "entries"),
        s.created(),
        s.expires()
    )?;
    writeln!(out, "  merkle root {}", s.merkle_root())?;
    let tally = p
        .root
        .signed
        .authority()
        .tally(&s.signing_bytes(), &p.snapshot.signatures);
    writeln!(out, "  {}", tally_line(&tally, &[&p.root.signed]))?;
    writeln!(out, "entries (tree order):")?;
    for (i, e) in p.entries.entries().iter().enumerate() {
        show_entry(i, e, out)?;
    }
    Ok(())
}

fn show_entry(i: usize, e: &Entry, out: &mut dyn Write) -> Result<(), CliError> {
    let f = e.fields();
    let status = match &f.status {
        Status::Approved => "approved".to_string(),
        Status::Revoked { revoked_at, reason } => format!("revoked at {revoked_at}: {reason}"),
    };
    writeln!(out, "  [{i}] {} {}  {status}", f.model_id, f.version)?;
    writeln!(out, "      valid {} to {}", f.valid_from, f.valid_until)?;
    writeln!(
        out,
        "      profile {} (scope capacity {}), fixed-point scale {}",
        f.profile, f.scope_capacity, f.fixed_point_scale
    )?;
    let scopes: Vec<String> = f.scopes.iter().map(Scope::to_string).collect();
    writeln!(out, "      scopes {}", scopes.join(", "))?;
    writeln!(out, "      weights commitment {}", f.weights_commitment)?;
    writeln!(out, "      model file blake3 {}", f.model_digest)?;
    writeln!(
        out,
        "      approved by {} at {}",
        f.approved_by, f.approved_at
    )?;
    if f.quantization_certificate.is_some() {
        writeln!(out, "      with a quantization certificate")?;
    }
    if let Some(c) = &f.circuit {
        writeln!(out, "      circuit bytecode blake3 {}", c.bytecode_digest)?;
        for k in &c.verification_keys {
            writeln!(
                out,
                "      verification key blake3 {} ({} setup, target `{}`)",
                k.vk_hash,
                k.setup.kind(),
                k.target
            )?;
        }
    }
    writeln!(out, "      entry digest {}", e.digest())?;
    Ok(())
}

fn show_proposal(
    p: &Proposal,
    current_root: Option<&Root>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let s = &p.snapshot.signed;
    writeln!(
        out,
        "staged snapshot {}: {}, merkle root {}, expires {}",
        s.version(),
        plural(s.entry_count(), "entry", "entries"),
        s.merkle_root(),
        s.expires()
    )?;
    let staged_root = p.root.as_ref().map(|r| &r.signed);
    let roots: Vec<&Root> = current_root.into_iter().chain(staged_root).collect();
    if let Some(root) = staged_root.or(current_root) {
        let t = root
            .authority()
            .tally(&s.signing_bytes(), &p.snapshot.signatures);
        writeln!(out, "  {}", tally_line(&t, &roots))?;
    }
    if let Some(r) = &p.root {
        write!(out, "staged ")?;
        show_root(&r.signed, out)?;
        let message = r.signed.signing_bytes();
        if let Some(old) = current_root {
            let t = old.authority().tally(&message, &r.signatures);
            writeln!(out, "  {}", tally_line(&t, &roots))?;
        }
        let t = r.signed.authority().tally(&message, &r.signatures);
        writeln!(out, "  {}", tally_line(&t, &roots))?;
    }
    Ok(())
}
