//! Generating the composite circuit's Noir package for a profile.
//!
//! The libraries under `circuits/lib/` are embedded in the SDK, so a profile's package can be
//! written and compiled anywhere: [`write_project`] lays out `lib/<name>/` and
//! `profiles/<profile>/` (the same layout as the repository's `circuits/` folder, so the checked-in
//! reference packages are byte-identical to generated ones), [`source_hash`] names the exact
//! sources an artifact is compiled from, and [`profile_artifact`] returns a profile's compiled
//! circuit: the embedded one for a reference profile, else a cached compile keyed by that hash.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::toolchain::sources::{self, SourcesError};
use crate::toolchain::InstallPolicy;

use super::profile::{DecisionKind, ModelFamily, Profile};

/// One embedded Noir library: its package name, `Nargo.toml` and `src/lib.nr`.
#[derive(Debug, Clone, Copy)]
pub struct Library {
    /// Package name (also its folder under `lib/`).
    pub name: &'static str,
    /// The `Nargo.toml` text.
    pub manifest: &'static str,
    /// The `src/lib.nr` text.
    pub source: &'static str,
}

macro_rules! library {
    ($name:literal) => {
        Library {
            name: $name,
            manifest: include_str!(concat!("../../../circuits/lib/", $name, "/Nargo.toml")),
            source: include_str!(concat!("../../../circuits/lib/", $name, "/src/lib.nr")),
        }
    };
}

/// The circuit libraries, dependencies before dependents.
pub const LIBRARIES: [Library; 12] = [
    library!("poseidon2_sponge"),
    library!("fixed_point"),
    library!("inference"),
    library!("inference_gate"),
    library!("score_infer"),
    library!("registry_membership"),
    library!("policy_scope"),
    library!("tree_ensemble"),
    library!("perceptron"),
    library!("tree_table"),
    library!("tree_reasons"),
    library!("reasons"),
];

/// Whether a profile's composite depends on `library`: only tree profiles use `tree_ensemble`,
/// only perceptrons with two or more hidden layers use `perceptron` (so the packages of every
/// other profile, and their source hashes, are what they were before those libraries existed).
fn uses_library(profile: &Profile, library: &str) -> bool {
    match library {
        "tree_ensemble" => matches!(profile.family(), ModelFamily::Trees { .. }),
        "perceptron" => matches!(profile.family(), ModelFamily::DeepMlp { .. }),
        "tree_table" => matches!(profile.family(), ModelFamily::TreeTable { .. }),
        "tree_reasons" => {
            matches!(profile.family(), ModelFamily::TreeTable { .. }) && profile.reasons() > 0
        }
        "reasons" => profile.reasons() > 0,
        _ => true,
    }
}

/// Why a profile's package or circuit could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// A file could not be written or read.
    #[error("cannot access `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The generated sources could not be hashed.
    #[error(transparent)]
    Sources(#[from] SourcesError),
    /// The toolchain is missing or failed.
    #[error(transparent)]
    Toolchain(#[from] crate::toolchain::ToolchainError),
    /// The generated package did not compile.
    #[error(transparent)]
    Compile(#[from] crate::noir::CompileError),
}

/// The package name of a profile's composite (`composite_` + the name with `-` as `_`).
pub fn package_name(profile: &Profile) -> String {
    format!("composite_{}", profile.name().replace('-', "_"))
}

/// The folder of a profile's package, relative to the circuits root.
pub fn project_path(profile: &Profile) -> PathBuf {
    Path::new("profiles").join(profile.name())
}

/// The composite's `Nargo.toml`.
pub fn composite_manifest(profile: &Profile) -> String {
    let mut s = format!(
        "[package]\nname = \"{}\"\ntype = \"bin\"\nauthors = [\"govproof\"]\n\n[dependencies]\n",
        package_name(profile)
    );
    for lib in LIBRARIES.iter().filter(|l| uses_library(profile, l.name)) {
        s.push_str(&format!(
            "{} = {{ path = \"../../lib/{}\" }}\n",
            lib.name, lib.name
        ));
    }
    s
}

/// The public parameters every composite and batch circuit starts with, in this order (the first
/// eight public inputs of `docs/circuits.md`).
const SHARED_PUBLIC_PARAMS: &str = concat!(
    "    registry_root: pub Field,\n",
    "    policy_hash: pub Field,\n",
    "    model_id: pub Field,\n",
    "    model_version: pub Field,\n",
    "    purpose: pub Field,\n",
    "    jurisdiction: pub Field,\n",
    "    product: pub Field,\n",
    "    decision_time: pub u64,\n",
);

/// The registry membership check of every composite and batch circuit.
const MEMBERSHIP_CHECK: &str = concat!(
    "    registry_membership::assert_model_registered(\n",
    "        entry,\n",
    "        entry_index,\n",
    "        entry_path,\n",
    "        entry_scopes,\n",
    "        registry_root,\n",
    "        model_id,\n",
    "        model_version,\n",
    "        weights_commitment,\n",
    "        PROFILE_ID,\n",
    "        scope,\n",
    "        decision_time,\n",
    "    );\n",
);

/// The generated parts of a linear or perceptron profile: its description, its shape globals and
/// its weights-commitment, weight-mass and score calls (`None` for tree profiles).
fn neural_parts(profile: &Profile) -> Option<(String, String, [&'static str; 3])> {
    let neural = [
        "inference::weights_commitment(weights)",
        "inference::feature_weight_mass::<N, H, W>(weights)",
        "inference::score::<N, H, W>(weights, features)",
    ];
    Some(match profile.family() {
        ModelFamily::Linear => (
            format!("a linear model on {} features", profile.features()),
            String::new(),
            neural,
        ),
        ModelFamily::Mlp { hidden } => (
            format!(
                "a {} x {} perceptron with one hidden ReLU layer",
                profile.features(),
                hidden
            ),
            String::new(),
            neural,
        ),
        ModelFamily::DeepMlp { hidden } => {
            let widths = hidden.widths();
            let mut globals = String::new();
            for (k, w) in widths.iter().enumerate().skip(1) {
                globals.push_str(&format!("global H{}: u32 = {w};\n", k + 1));
            }
            let score = if widths.len() == 2 {
                "perceptron::score2::<N, H, H2, W>(weights, features)"
            } else {
                "perceptron::score3::<N, H, H2, H3, W>(weights, features)"
            };
            let sizes: Vec<String> = std::iter::once(profile.features())
                .chain(widths.iter().copied())
                .map(|v| v.to_string())
                .collect();
            (
                format!(
                    "a {} perceptron with {} hidden ReLU layers",
                    sizes.join(" x "),
                    widths.len()
                ),
                globals,
                [
                    "inference::weights_commitment(weights)",
                    "perceptron::feature_weight_mass::<N, H, W>(weights)",
                    score,
                ],
            )
        }
        ModelFamily::Trees { .. } | ModelFamily::TreeTable { .. } => return None,
    })
}

/// The composite's `src/main.nr`: the whole decision statement for `profile`.
pub fn composite_main(profile: &Profile) -> String {
    let (kind_const, outcome_param, outcome_check) = match profile.kind() {
        DecisionKind::ScoreBand { .. } => (
            "KIND_SCORE_BAND",
            "    band_index: pub u32,\n",
            "    score_infer::assert_band(score, policy.rule, band_index);\n",
        ),
        DecisionKind::Gate => (
            "KIND_GATE",
            "    decision: pub bool,\n",
            "    inference_gate::assert_gate(score, policy.rule[0], decision);\n",
        ),
    };
    let (family, shape_globals, [commit_call, mass_call, score_call]) = match neural_parts(profile)
    {
        Some(parts) => parts,
        None => match profile.family() {
            ModelFamily::Trees { trees, depth } => {
                let shape = profile
                    .tree_shape()
                    .unwrap_or_else(|| unreachable!("Profile::new checked the tree shape"));
                let (globals, calls) = super::trees::composite_parts(shape);
                (
                    format!(
                        "an ensemble of {trees} trees of depth {depth} on {} features",
                        profile.features()
                    ),
                    globals,
                    calls,
                )
            }
            ModelFamily::TreeTable {
                trees,
                leaves,
                depth,
            } => {
                let shape = profile
                    .table_shape()
                    .unwrap_or_else(|| unreachable!("Profile::new checked the table shape"));
                let (globals, mut calls) = super::tree_table::composite_parts(shape);
                if profile.reasons() > 0 {
                    calls = super::tree_table::explained_calls();
                }
                (
                    format!(
                        "an ensemble of {trees} trees of at most {leaves} leaves and depth {depth} on {} features",
                        profile.features()
                    ),
                    globals,
                    calls,
                )
            }
            ModelFamily::Linear | ModelFamily::Mlp { .. } | ModelFamily::DeepMlp { .. } => {
                unreachable!("neural_parts covers the perceptron families")
            }
        },
    };

    let mut outcome = match profile.kind() {
        DecisionKind::ScoreBand { bands } => {
            format!("the band (of at most {bands}) that holds the score")
        }
        DecisionKind::Gate => "whether the score reaches the policy's threshold".to_string(),
    };
    // Proven reasons add their globals, parameters and checks; without them the package is
    // exactly what it was before reasons existed.
    let explained = profile.reasons() > 0;
    // A tree ensemble's contributions come from its own node values (committed with the trees)
    // and the walk that scores it: no baselines, and the policy hash is the policy's own.
    let tree_reasons = explained && matches!(profile.family(), ModelFamily::TreeTable { .. });
    let score_stmt = if tree_reasons {
        format!("    let (score, contributions) = {score_call};\n")
    } else {
        format!("    let score = {score_call};\n")
    };
    let (
        reasons_global,
        reasons_param,
        explained_params,
        core_hash,
        explained_check,
        reasons_check,
    ) = if tree_reasons {
        outcome.push_str(&format!(
            ",\n// and the {} reason codes naming the features with the most negative path contributions",
            profile.reasons()
        ));
        (
            format!("global R: u32 = {};\n", profile.reasons()),
            "    reasons: pub [u32; R],\n",
            "",
            "policy_hash",
            "",
            "    reasons::assert_reasons::<N, R>(contributions, reasons);\n",
        )
    } else if explained {
        outcome.push_str(&format!(
                ",\n// and the {} reason codes naming the features with the most negative contributions",
                profile.reasons()
            ));
        (
                format!("global R: u32 = {};\n", profile.reasons()),
                "    reasons: pub [u32; R],\n",
                "    baselines: [Field; N],\n    policy_core_hash: Field,\n",
                "policy_core_hash",
                concat!(
                    "    assert(\n",
                    "        reasons::explained_policy_hash(policy_core_hash, baselines) == policy_hash,\n",
                    "        \"policy does not match the policy hash\",\n",
                    "    );\n",
                ),
                concat!(
                    "    reasons::assert_reasons::<N, R>(\n",
                    "        reasons::linear_contributions::<N, W>(weights, features, baselines),\n",
                    "        reasons,\n",
                    "    );\n",
                ),
            )
    } else {
        (String::new(), "", "", "policy_hash", "", "")
    };
    format!(
        r#"// Generated by govproof for circuit profile `{name}`; do not edit.
//
// One proof that a credit decision came from {family} registered (approved, valid) under the
// public registry root, inside a scope and time the policy with the public hash allows, on the
// committed input, with the public outcome: {outcome}.
// Weights, features, salt, registry entry and path, policy fields and the score stay private.

use policy_scope::{{{kind_const}, Policy}};
use registry_membership::RegistryEntry;

global N: u32 = {n};
global H: u32 = {h};
{shape_globals}global W: u32 = {w};
global D: u32 = {d};
global S: u32 = {s};
global P: u32 = {p};
global M: u32 = {m};
global K: u32 = {k};
{reasons_global}// label("{name}")
global PROFILE_ID: Field = {profile_id};

fn main(
{shared_params}    input_commitment: pub Field,
    decision_id: pub Field,
{outcome_param}{reasons_param}    weights: [Field; W],
    features: [Field; N],
    salt: Field,
    entry: RegistryEntry,
    entry_index: Field,
    entry_path: [Field; D],
    entry_scopes: [Field; S],
    policy: Policy<M, S, P, N, K>,
{explained_params}) {{
    // The decision id is bound to the proof as a public input; nothing else constrains it.
    let _ = decision_id;
    let weights_commitment = {commit_call};
    assert(
        inference::input_commitment(features, salt) == input_commitment,
        "input commitment does not match the features and salt",
    );
    let scope = poseidon2_sponge::scope_id(purpose, jurisdiction, product);
{membership}{explained_check}    policy_scope::assert_policy_allows(
        policy,
        {core_hash},
        {kind_const},
        model_id,
        model_version,
        scope,
        decision_time,
        {mass_call},
        features,
    );
{score_stmt}{outcome_check}{reasons_check}}}
"#,
        name = profile.name(),
        n = profile.features(),
        h = profile.hidden(),
        w = profile.input_weight_count(),
        d = profile.depth(),
        s = profile.scopes(),
        p = profile.protected(),
        m = profile.models(),
        k = profile.rule_len(),
        profile_id = profile.id().to_hex(),
        shared_params = SHARED_PUBLIC_PARAMS,
        membership = MEMBERSHIP_CHECK,
    )
}

/// Rows one audit batch proof of `profile` decides ([`audit_batch_main`]), chosen so that the
/// batch fits 2^14 rows, the size one decision of the reference perceptron pads to, and costs
/// about one proof: six rows of a one-hidden-layer perceptron (15,643 gates for the reference
/// one, against 10,902 for one decision), twenty of a linear model (about 400 gates a row above
/// 7,900 shared).
pub fn audit_batch_rows(profile: &Profile) -> u32 {
    match profile.family() {
        ModelFamily::Linear => 20,
        _ => 6,
    }
}

/// The circuit id of `profile`'s audit batch circuit: `<profile>-audit<rows>`.
pub fn audit_batch_id(profile: &Profile) -> String {
    format!("{}-audit{}", profile.name(), audit_batch_rows(profile))
}

/// The folder of `profile`'s audit batch package, relative to the circuits root.
pub fn audit_batch_path(profile: &Profile) -> PathBuf {
    Path::new("profiles").join(audit_batch_id(profile))
}

/// The audit batch package's `Nargo.toml` (the composite's dependencies), when the profile has
/// one (see [`audit_batch_main`]).
pub fn audit_batch_manifest(profile: &Profile) -> Option<String> {
    audit_batch_main(profile)?;
    let single = composite_manifest(profile);
    Some(single.replacen(
        &format!("name = \"{}\"", package_name(profile)),
        &format!(
            "name = \"audit_{}\"",
            audit_batch_id(profile).replace('-', "_")
        ),
        1,
    ))
}

/// The audit batch circuit of `profile`: the composite's statement for [`audit_batch_rows`]
/// decisions at once, with one registry entry, one policy, one set of weights, one scope and one
/// decision time, and per row its own input commitment, decision id and outcome. Everything a
/// single decision asserts is asserted for every row: the registry membership, the policy's model,
/// scope, validity window and protected features once (they do not depend on the row), and for
/// each row the input commitment, every feature range and the outcome. Perceptron and linear
/// profiles without proven reasons have one; tree profiles and profiles with reasons (whose rows
/// carry more than an outcome) do not, and their audits prove row by row.
pub fn audit_batch_main(profile: &Profile) -> Option<String> {
    if profile.reasons() > 0 {
        return None;
    }
    let (family, shape_globals, [commit_call, mass_call, score_call]) = neural_parts(profile)?;
    let (kind_const, outcome_param, outcome_check) = match profile.kind() {
        DecisionKind::ScoreBand { .. } => (
            "KIND_SCORE_BAND",
            "    band_index: pub [u32; B],\n",
            "        score_infer::assert_band(score, policy.rule, band_index[b]);\n",
        ),
        DecisionKind::Gate => (
            "KIND_GATE",
            "    decision: pub [bool; B],\n",
            "        inference_gate::assert_gate(score, policy.rule[0], decision[b]);\n",
        ),
    };
    Some(format!(
        r#"// Generated by govproof for the audits of circuit profile `{name}`; do not edit.
//
// One proof that {rows} credit decisions came from {family} registered (approved, valid) under
// the public registry root, inside a scope and time the policy with the public hash allows, each
// on its committed input, with its public outcome. The registry entry, the policy and the
// weights are shared by every row; the statement on each row is the single decision's.
// Weights, features, salts, registry entry and path, policy fields and the scores stay private.

use policy_scope::{{{kind_const}, Policy}};
use registry_membership::RegistryEntry;

global B: u32 = {rows};
global N: u32 = {n};
global H: u32 = {h};
{shape_globals}global W: u32 = {w};
global D: u32 = {d};
global S: u32 = {s};
global P: u32 = {p};
global M: u32 = {m};
global K: u32 = {k};
// label("{name}")
global PROFILE_ID: Field = {profile_id};

fn main(
{shared_params}    input_commitment: pub [Field; B],
    decision_id: pub [Field; B],
{outcome_param}    weights: [Field; W],
    features: [[Field; N]; B],
    salt: [Field; B],
    entry: RegistryEntry,
    entry_index: Field,
    entry_path: [Field; D],
    entry_scopes: [Field; S],
    policy: Policy<M, S, P, N, K>,
) {{
    // The decision ids are bound to the proof as public inputs; nothing else constrains them.
    let _ = decision_id;
    let weights_commitment = {commit_call};
    let scope = poseidon2_sponge::scope_id(purpose, jurisdiction, product);
{membership}    // The first row's feature ranges are checked here, the other rows' in the loop.
    policy_scope::assert_policy_allows(
        policy,
        policy_hash,
        {kind_const},
        model_id,
        model_version,
        scope,
        decision_time,
        {mass_call},
        features[0],
    );
    let rows = features;
    let salts = salt;
    for b in 0..B {{
        let features = rows[b];
        assert(
            inference::input_commitment(features, salts[b]) == input_commitment[b],
            "input commitment does not match the features and salt",
        );
        if b > 0 {{
            for i in 0..N {{
                let range = policy.ranges[i];
                fixed_point::assert_le::<fixed_point::FEATURE_BITS, _>(
                    range.lo,
                    features[i],
                    "feature is outside its declared range",
                );
                fixed_point::assert_le::<fixed_point::FEATURE_BITS, _>(
                    features[i],
                    range.hi,
                    "feature is outside its declared range",
                );
            }}
        }}
        let score = {score_call};
{outcome_check}    }}
}}
"#,
        name = profile.name(),
        rows = audit_batch_rows(profile),
        n = profile.features(),
        h = profile.hidden(),
        w = profile.input_weight_count(),
        d = profile.depth(),
        s = profile.scopes(),
        p = profile.protected(),
        m = profile.models(),
        k = profile.rule_len(),
        profile_id = profile.id().to_hex(),
        shared_params = SHARED_PUBLIC_PARAMS,
        membership = MEMBERSHIP_CHECK,
    ))
}

/// The files of a profile's project, relative to the circuits root: every library and the
/// composite package, in a fixed order.
pub fn project_files(profile: &Profile) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    for lib in LIBRARIES {
        let dir = Path::new("lib").join(lib.name);
        files.push((dir.join("Nargo.toml"), lib.manifest.to_string()));
        files.push((dir.join("src").join("lib.nr"), lib.source.to_string()));
    }
    let dir = project_path(profile);
    files.push((dir.join("Nargo.toml"), composite_manifest(profile)));
    files.push((dir.join("src").join("main.nr"), composite_main(profile)));
    files
}

/// Writes a profile's project under `root` (libraries and the composite package) and returns the
/// composite package's folder, ready for the compiler.
pub fn write_project(profile: &Profile, root: &Path) -> Result<PathBuf, GenerateError> {
    for (rel, text) in project_files(profile) {
        let path = root.join(&rel);
        let write = || -> std::io::Result<()> {
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            let mut f = fs::File::create(&path)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()
        };
        write().map_err(|source| GenerateError::Io {
            path: path.clone(),
            source,
        })?;
    }
    Ok(root.join(project_path(profile)))
}

fn scratch() -> Result<tempfile::TempDir, GenerateError> {
    tempfile::tempdir().map_err(|source| GenerateError::Io {
        path: std::env::temp_dir(),
        source,
    })
}

/// The source hash (as `govproof circuits build` records it) of a profile's composite package:
/// the blake3 of the package and every library it depends on.
pub fn source_hash(profile: &Profile) -> Result<String, GenerateError> {
    let dir = scratch()?;
    let package = write_project(profile, dir.path())?;
    Ok(sources::source_hash(&package)?)
}

/// The compiled composite circuit (artifact JSON) of `profile`.
///
/// Reference profiles come embedded (checked against their sources at build time). Any other
/// profile is generated and compiled with the pinned toolchain once, then read from
/// `<govproof home>/circuits/<profile>/<source hash>.json` (see [`compile_cached`]).
pub fn profile_artifact(
    profile: &Profile,
    policy: InstallPolicy,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<u8>, GenerateError> {
    if let Some(bytes) = crate::noir::embedded(&profile.name()) {
        return Ok(bytes.to_vec());
    }
    let cache = crate::toolchain::home()?.join("circuits");
    compile_cached(profile, &cache, policy, progress)
}

/// Generates and compiles the composite of `profile`, keeping the artifact at
/// `<cache>/<profile>/<source hash>.json` (written atomically) and reusing it when present. The key
/// is the hash of every source compiled, so a change to the libraries or the generator never serves
/// a stale circuit.
pub fn compile_cached(
    profile: &Profile,
    cache: &Path,
    policy: InstallPolicy,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<u8>, GenerateError> {
    let dir = scratch()?;
    let package = write_project(profile, dir.path())?;
    let hash = sources::source_hash(&package)?;
    let cached = cache.join(profile.name()).join(format!("{hash}.json"));
    if let Ok(bytes) = fs::read(&cached) {
        return Ok(bytes);
    }
    progress(&format!(
        "compiling the circuit for profile `{}`",
        profile.name()
    ));
    let json = crate::noir::compile(&package, policy, progress)?;
    sources::write_atomic(&cached, &json)?;
    Ok(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_main_names_the_profile_and_its_sizes() {
        let p = Profile::reference_mlp_band();
        let main = composite_main(&p);
        assert!(main.contains("global W: u32 = 417;"));
        assert!(main.contains("band_index: pub u32"));
        assert!(main.contains(&p.id().to_hex()));
        let g = composite_main(&Profile::reference_linear_gate());
        assert!(g.contains("global H: u32 = 0;"));
        assert!(g.contains("decision: pub bool"));
    }

    #[test]
    fn deep_perceptrons_chain_their_layers_and_depend_on_the_perceptron_library() {
        let p = Profile::from_name("mlp-24x16x8-d20-b8-s16-p8-m4").unwrap();
        let main = composite_main(&p);
        assert!(main.contains("global H: u32 = 16;\nglobal H2: u32 = 8;\n"));
        assert!(main.contains("perceptron::score2::<N, H, H2, W>(weights, features)"));
        assert!(main.contains(&format!("global W: u32 = {};", p.weight_count())));
        assert!(composite_manifest(&p).contains("perceptron = { path"));
        let p3 = Profile::from_name("mlp-4x3x3x2-d4-s2-p1-m1-gate").unwrap();
        assert!(composite_main(&p3).contains("perceptron::score3::<N, H, H2, H3, W>"));
        for reference in Profile::references() {
            assert!(!composite_manifest(&reference).contains("perceptron"));
        }
    }

    #[test]
    fn reasons_profiles_add_their_inputs_and_checks_and_nothing_else_changes() {
        let plain = Profile::reference_linear_band();
        let p = plain.with_reasons(4).unwrap();
        let main = composite_main(&p);
        assert!(main.contains("global R: u32 = 4;"));
        assert!(main.contains("    band_index: pub u32,\n    reasons: pub [u32; R],\n"));
        assert!(main.contains("    baselines: [Field; N],\n    policy_core_hash: Field,\n"));
        assert!(main.contains("reasons::explained_policy_hash(policy_core_hash, baselines)"));
        assert!(main.contains("reasons::assert_reasons::<N, R>("));
        assert!(composite_manifest(&p).contains("reasons = { path"));
        for reference in Profile::references() {
            assert!(!composite_manifest(&reference).contains("reasons"));
            assert!(!composite_main(&reference).contains("reasons"));
        }
    }

    #[test]
    fn tree_reasons_profiles_walk_once_for_score_and_contributions_and_take_no_baselines() {
        let plain = Profile::from_name("trees-20-30l8h3-d20-b8-s16-p8-m4").unwrap();
        let p = plain.with_reasons(4).unwrap();
        let main = composite_main(&p);
        assert!(main.contains(
            "    let (score, contributions) = tree_reasons::score_and_contributions::<N, T, L, TD, CB, W>(weights, features, weights_commitment, input_commitment);\n"
        ));
        // The circuit takes one entry per internal node in place of its word and its value.
        assert!(main.contains(&format!("global W: u32 = {};", p.input_weight_count())));
        assert_eq!(p.input_weight_count(), plain.weight_count());
        assert!(main.contains("tree_reasons::commitment::<N, T, L, TD, CB, W>(weights)"));
        assert!(main.contains("    reasons::assert_reasons::<N, R>(contributions, reasons);\n"));
        assert!(main.contains("    band_index: pub u32,\n    reasons: pub [u32; R],\n"));
        assert!(!main.contains("baselines"));
        assert!(!main.contains("policy_core_hash"));
        assert!(!main.contains("tree_table::score"));
        let manifest = composite_manifest(&p);
        assert!(manifest.contains("tree_reasons = { path"));
        assert!(manifest.contains("reasons = { path"));
        // Without `-rK` the tree package is what it was: no reasons libraries, the plain calls.
        let plain_main = composite_main(&plain);
        assert!(!composite_manifest(&plain).contains("reasons"));
        assert!(!plain_main.contains("reasons"));
        assert!(plain_main.contains(
            "    let score = tree_table::score::<N, T, L, TD, CB, W>(weights, features);\n"
        ));
    }

    #[test]
    fn project_is_written_in_the_repository_layout() {
        let dir = tempfile::tempdir().unwrap();
        let p = Profile::reference_linear_band();
        let pkg = write_project(&p, dir.path()).unwrap();
        assert!(pkg.join("src/main.nr").is_file());
        assert!(dir.path().join("lib/policy_scope/src/lib.nr").is_file());
    }
}
