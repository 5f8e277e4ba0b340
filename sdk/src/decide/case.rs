//! Proving one policy test case end to end (for `govproof policy test --prove`).
//!
//! A test case gives a model name, a scope, a time, a score on the policy's scale and optionally
//! the features. [`prove_case`] turns it into a real decision: a model that scores exactly the
//! case's score (every weight zero except the final bias, so it also honours every protected
//! feature), an in-memory registry signed by a throwaway key that approves that model for the
//! case's scope around the case's time, and the features (the case's, or the reference
//! applicant's). Then it proves with the prover API and verifies the bundle with the bundled
//! verifier against the policy. A case the policy rejects is refused natively and then run
//! through the circuit's witness solver, so the circuit's own refusal is reported too.
//!
//! The score is represented at the model's resolution (`2^-16` in log-odds): the model's score is
//! the case score's circuit edge rounded up to that grid. When two band edges are closer than that
//! to the case's score, the case cannot be proved faithfully and [`prove_case`] says so instead of
//! proving another band.

use std::path::PathBuf;

use crate::bundle::OutcomeClaim;
use crate::bundle::{BundleVerifier, DecisionId, VerifyOptions};
use crate::circuits::trees::TreeShape;
use crate::circuits::{Constraint, ModelFamily, QuantizedModel, Score};
use crate::policy::cases::CaseResult;
use crate::policy::evaluate::{DecisionInput, PolicyVerdict, Rejection};
use crate::policy::Policy;
use crate::registry::entry::{Digest, EntryDraft};
use crate::registry::keys::SecretKeyFile;
use crate::registry::names::{ModelId, ModelVersion, Note, ProfileName};
use crate::registry::{
    Entry, EntrySet, Root, RootKey, Scope, SecretKey, Signed, Snapshot, Status, Timestamp,
    TrustState, Version,
};
use crate::setup::{dangerous, Setup};

use super::{
    policy_encoding, quantize_features, reference, Application, ContextOptions, DecideError,
    DecisionContext, DecisionParts, Model, Preparation, Proved, Reason, TrustedRegistry,
};

/// What proving cases needs: a setup, bb, and folders for the key cache and the verifier.
#[derive(Debug, Clone)]
pub struct CaseKit {
    /// The setup to prove with (the development setup for policy tests).
    pub setup: Setup,
    /// The bb binary (`None`: the installed toolchain's).
    pub bb: Option<PathBuf>,
    /// The verification-key cache.
    pub cache_dir: PathBuf,
    /// The verifier's work folder.
    pub work_dir: PathBuf,
}

impl CaseKit {
    /// The development setup and folders under the govproof home `home`.
    pub fn development(home: &std::path::Path) -> Result<CaseKit, DecideError> {
        Ok(CaseKit {
            setup: dangerous::development_setup(&home.join("setups").join("development"))
                .map_err(|e| DecideError::Prover(e.into()))?,
            bb: None,
            cache_dir: home.join("cache"),
            work_dir: home.join("verifier"),
        })
    }
}

/// What happened to a case.
#[derive(Debug)]
pub enum CaseProof {
    /// The decision was proved and its proof checked: by the bundled verifier against the policy
    /// when the circuit is pinned, otherwise by bb with the prover's own key.
    Proved {
        /// The proved decision.
        proved: Box<Proved>,
        /// Whether the proof was accepted.
        verified: bool,
        /// By whom, and what failed if it was not.
        detail: String,
    },
    /// The decision was refused: natively, and by the circuit's witness solver.
    Refused {
        /// The native reasons, in the circuit's order.
        reasons: Vec<Reason>,
        /// The constraint the circuit failed on, when the solver named one of govproof's.
        circuit: Option<Constraint>,
        /// The solver's message.
        circuit_message: String,
    },
}

fn bad(what: &str, e: impl std::fmt::Display) -> DecideError {
    DecideError::PolicyEncoding(format!("the case's {what} cannot be used: {e}"))
}

/// The model that scores exactly `score` (on the policy's scale) at the model's resolution: every
/// weight zero (a tree ensemble's nodes all read the padding feature) but the final bias, which
/// enters the score times `2^32` in every family. An error when the policy's edges are too close
/// to the score to prove the case faithfully.
fn constant_model(policy: &Policy, score: f64) -> Result<QuantizedModel, DecideError> {
    let encoding = policy_encoding(policy)?;
    let profile = encoding.profile();
    let edge = policy.scale().edge(score).map_err(|e| bad("score", e))?;
    // Ceiling division by 2^32: the bias is at scale 2^16 and enters the score times 2^32.
    let unit = 1i128 << 32;
    let bias = edge.div_euclid(unit) + i128::from(edge.rem_euclid(unit) != 0);
    let bias = i64::try_from(bias).map_err(|e| bad("score", e))?;
    let n = profile.features();
    let model = match profile.family() {
        ModelFamily::Trees { trees, depth } => {
            let shape = TreeShape::new(trees, depth)
                .ok_or_else(|| bad("profile", "its tree shape is out of bounds"))?;
            let mut flat = vec![0i64; shape.weight_count(n)];
            let nodes = shape.trees() * shape.internal();
            flat[..nodes].fill(n as i64);
            flat[shape.base_index()] = bias;
            QuantizedModel::trees(n, shape, flat)
        }
        ModelFamily::TreeTable { .. } => {
            let shape = profile
                .table_shape()
                .ok_or_else(|| bad("profile", "its tree table shape is out of bounds"))?;
            // Every tree: the root reads the constant 0 and both sides reach leaf 0 (value 0).
            let leaf = shape.internal();
            let word = crate::circuits::tree_table::Split {
                feature: n,
                threshold: 0,
                left: leaf,
                right: leaf,
            }
            .word(shape.code_bits());
            let mut flat = vec![0i64; shape.weight_count(n)];
            flat[..shape.leaves_index()].fill(word);
            flat[shape.base_index()] = bias;
            QuantizedModel::tree_table(n, shape, flat)
        }
        _ => {
            let mut weights = vec![0i64; profile.weight_count()];
            let last = weights.len() - 1;
            weights[last] = bias;
            QuantizedModel::layered(n, &profile.hidden_layers(), weights)
        }
    }
    .map_err(|e| bad("score", e))?;
    let rule = &encoding.spec().rule;
    let at_edge = Score::new(edge).map(|s| rule.outcome(s));
    let proved = Score::new(bias as i128 * unit).map(|s| rule.outcome(s));
    if at_edge != proved {
        return Err(bad(
            "score",
            format!(
                "`{score}` lies within 2^-16 log-odds of a band edge, finer than the model \
                 resolution"
            ),
        ));
    }
    Ok(model)
}

/// Proves one test case (see the module documentation).
pub fn prove_case(
    policy: &Policy,
    case: &DecisionInput,
    kit: &CaseKit,
) -> Result<CaseProof, DecideError> {
    let weights = constant_model(policy, case.score)?;
    let model_id = case.model_id.clone();
    let version = case.model_version.clone();
    let scope = case.scope.clone();
    let time = case.time;
    let features = match &case.features {
        Some(values) => values.clone(),
        None => reference::reference_applicant(policy),
    };
    let features = quantize_features(&features)?;
    let registry = throwaway_registry(policy, &model_id, &version, &weights, &scope, time)?;
    let trust = TrustState::bootstrap(registry.0.clone())?;
    let trusted = TrustedRegistry::from_parts(registry.1, registry.2, &trust, time)?;

    let context = DecisionContext::with_options(
        DecisionParts {
            registry: trusted,
            policy: policy.clone(),
            model: Model::new(model_id, version, weights),
            setup: kit.setup.clone(),
        },
        ContextOptions {
            bb: kit.bb.clone(),
            cache_dir: Some(kit.cache_dir.clone()),
            allow_unpinned_circuit: true,
            ..ContextOptions::default()
        },
    )?;
    let application = Application {
        decision_id: DecisionId::new("policy-test-case").map_err(|e| bad("decision id", e))?,
        time,
        scope,
        features,
    };
    match context.prepare(&application)? {
        Preparation::Ready(prepared) => {
            let mut prover = context.prover()?;
            let proved = context.prove(prepared, &mut prover)?;
            let acceptance = match kit.setup.kind() {
                crate::setup::SetupKind::Ignition => {
                    crate::setup::AcceptancePolicy::ignition_only()
                }
                crate::setup::SetupKind::Development => dangerous::accept_development_proofs(),
            };
            let (verified, detail) = if context.key_is_pinned() {
                let mut verifier = BundleVerifier::new(VerifyOptions {
                    trust,
                    policy: Some(policy.clone()),
                    acceptance,
                    bb: kit.bb.clone(),
                    work_dir: kit.work_dir.clone(),
                    ignition_crs: None,
                });
                let report = verifier.verify(proved.bundle.to_json_pretty().as_bytes());
                let failed: Vec<&str> = report.failed().iter().map(|c| c.as_str()).collect();
                (
                    matches!(
                        report.verdict(),
                        crate::bundle::Verdict::Valid
                            | crate::bundle::Verdict::ValidDevelopmentSetup
                    ),
                    if failed.is_empty() {
                        format!("the bundled verifier: {}", report.verdict().as_str())
                    } else {
                        format!("the bundled verifier: failed {}", failed.join(", "))
                    },
                )
            } else {
                let outcome = verify_with_key(&proved, context.verification_key(), kit, acceptance);
                (
                    outcome.is_ok(),
                    match outcome {
                        Ok(()) => {
                            "bb with the prover's key (the circuit is not pinned)".to_string()
                        }
                        Err(e) => format!("bb with the prover's key: {e}"),
                    },
                )
            };
            Ok(CaseProof::Proved {
                proved: Box::new(proved),
                verified,
                detail,
            })
        }
        Preparation::Refused(refusal) => {
            let message = context.circuit_refusal(&application)?;
            Ok(CaseProof::Refused {
                reasons: refusal.reasons,
                circuit: Constraint::from_message(&message),
                circuit_message: message,
            })
        }
    }
}

/// Verifies a proved bundle's proof with bb and `key` (for circuits the bundled verifier does not
/// know).
fn verify_with_key(
    proved: &Proved,
    key: &crate::prover::VerificationKey,
    kit: &CaseKit,
    acceptance: crate::setup::AcceptancePolicy,
) -> Result<(), String> {
    let b = &proved.bundle;
    let proof = crate::prover::Proof::from_bytes(
        b.proof.as_bytes(),
        b.public_inputs.to_fields(),
        b.setup,
        b.circuit.proof_target,
    )
    .map_err(|e| e.to_string())?;
    let bb = match &kit.bb {
        Some(p) => p.clone(),
        None => crate::bundle::KeyLookup {
            bb: None,
            work_dir: &kit.work_dir,
            ignition_crs: None,
        }
        .bb_path()
        .map_err(|e| e.to_string())?,
    };
    let mut verifier =
        crate::prover::Verifier::new(&bb, &kit.work_dir, acceptance).map_err(|e| e.to_string())?;
    verifier.verify(key, &proof).map_err(|e| e.to_string())
}

/// A one-key registry approving `model_id@version` with `weights` for `scope` around `time`:
/// the signed root, the signed snapshot and the entries.
fn throwaway_registry(
    policy: &Policy,
    model_id: &ModelId,
    version: &ModelVersion,
    weights: &QuantizedModel,
    scope: &Scope,
    time: Timestamp,
) -> Result<(Signed<Root>, Signed<Snapshot>, EntrySet), DecideError> {
    let key = SecretKey::generate().map_err(|e| bad("registry key", e))?;
    let at = |secs: i64| {
        Timestamp::from_unix(time.unix().saturating_add_signed(secs)).map_err(|e| bad("time", e))
    };
    let day = 86_400;
    let root = Root::new(
        Version::FIRST,
        vec![RootKey::new(key.public_key(), None)],
        1,
        at(-day)?,
        at(day)?,
    )
    .map_err(|e| bad("registry root", e))?;
    let mut signed_root = Signed::unsigned(root);
    signed_root.sign_with(&key);
    let profile = policy.profile().name();
    let digest = blake3::hash(
        &weights
            .weights()
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect::<Vec<u8>>(),
    );
    let encoding = policy_encoding(policy)?;
    let entry = Entry::new(EntryDraft {
        model_id: model_id.clone(),
        version: version.clone(),
        weights_commitment: weights.commitment(),
        model_digest: Digest::from_bytes(*digest.as_bytes()),
        profile: ProfileName::new(&profile).map_err(|e| bad("profile", e))?,
        scope_capacity: encoding.profile().scopes() as u32,
        fixed_point_scale: 1 << 16,
        scopes: vec![scope.clone()],
        valid_from: at(-day)?,
        valid_until: at(day)?,
        status: Status::Approved,
        approved_by: Note::new("govproof policy test --prove (throwaway registry)")
            .map_err(|e| bad("note", e))?,
        approved_at: at(-day)?,
        quantization_certificate: None,
        circuit: None,
    })
    .map_err(|e| bad("registry entry", e))?;
    let entries = EntrySet::new(vec![entry]).map_err(|e| bad("registry", e))?;
    let snapshot = Snapshot::of(Version::FIRST, &entries, at(-3600)?, at(day)?)
        .map_err(|e| bad("snapshot", e))?;
    let mut signed_snapshot = Signed::unsigned(snapshot);
    signed_snapshot.sign_with(&key);
    Ok((signed_root, signed_snapshot, entries))
}

/// How one test case went through the circuit, compared with its native verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseCheck {
    /// The case's name.
    pub name: String,
    /// Whether the circuit agrees with the native evaluation (and the bundle verifies).
    pub agrees: bool,
    /// What happened, in one line.
    pub detail: String,
}

/// The native rejection a circuit constraint stands for in policy tests.
fn rejection_of(c: Constraint) -> Option<Rejection> {
    match c {
        Constraint::ModelNotAllowed => Some(Rejection::ModelNotAllowed),
        Constraint::ScopeNotAllowed => Some(Rejection::ScopeNotAllowed),
        Constraint::PolicyWindow => Some(Rejection::OutsideValidityWindow),
        Constraint::FeatureRange | Constraint::FeatureBound => Some(Rejection::FeatureOutOfRange),
        Constraint::WrongBand | Constraint::BandIndex => Some(Rejection::ScoreOutsideBands),
        _ => None,
    }
}

/// Proves every case whose native evaluation ran (see [`prove_case`]) and checks that the circuit
/// agrees with it: the same band or decision, proved into a bundle the bundled verifier accepts,
/// or the same rejection from the circuit's witness solver.
pub fn check_cases(policy: &Policy, results: &[CaseResult], kit: &CaseKit) -> Vec<CaseCheck> {
    results
        .iter()
        .map(|r| {
            let name = r.case.name.clone();
            let check = |agrees: bool, detail: String| CaseCheck {
                name: name.clone(),
                agrees,
                detail,
            };
            let Ok(evaluation) = &r.evaluation else {
                return check(
                    false,
                    "not proved: the case cannot be evaluated".to_string(),
                );
            };
            match (prove_case(policy, &r.case.input, kit), &evaluation.verdict) {
                (Err(e), _) => check(false, format!("not proved: {e}")),
                (
                    Ok(CaseProof::Proved {
                        proved,
                        verified,
                        detail,
                    }),
                    verdict,
                ) => {
                    let claim = &proved.bundle.decision.outcome;
                    let same = match (claim, verdict) {
                        (
                            OutcomeClaim::ScoreBand { band_index, .. },
                            PolicyVerdict::Band { index, .. },
                        ) => *band_index as usize == *index,
                        (
                            OutcomeClaim::Gate { decision, .. },
                            PolicyVerdict::Gate { decision: d, .. },
                        ) => decision == d,
                        _ => false,
                    };
                    check(
                        same && verified,
                        format!(
                            "proved {claim} in {} ms, checked by {detail} (native: {verdict})",
                            proved.timings.proof.as_millis(),
                        ),
                    )
                }
                (
                    Ok(CaseProof::Refused {
                        reasons,
                        circuit,
                        circuit_message,
                    }),
                    verdict,
                ) => {
                    let circuit_rejection =
                        if reasons.iter().any(|r| matches!(r, Reason::NoBand { .. })) {
                            circuit
                                .and_then(rejection_of)
                                .filter(|r| *r == Rejection::ScoreOutsideBands)
                        } else {
                            circuit.and_then(rejection_of)
                        };
                    let same =
                        matches!(verdict, PolicyVerdict::Rejected(r) if Some(*r) == circuit_rejection);
                    check(
                        same,
                        format!("the circuit refuses it: `{circuit_message}` (native: {verdict})"),
                    )
                }
            }
        })
        .collect()
}
