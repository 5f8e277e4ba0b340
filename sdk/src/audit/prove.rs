//! `audit prove`: every row of a request through the decision path, each with the decision id and
//! commitment salt derived from the request's digest and its row number, on any proof backend
//! (the warm [`crate::prover::pool::ProverPool`] in the command line), several rows at once,
//! resumable through the work file ([`super::file`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};

use std::path::Path;

use crate::decide::{Application, DecisionContext, Preparation, ProofBackend};

use super::figures::{compute, RowOutcome};
use super::file::{
    work_path, AuditDecision, AuditFile, AuditModel, AuditPolicy, WorkFile, WorkHeader,
    AUDIT_FORMAT, AUDIT_VERSION,
};
use super::request::Request;
use super::AuditError;

/// How far `audit prove` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Rows done (resumed ones included).
    pub done: usize,
    /// Rows found done in the work file at the start.
    pub resumed: usize,
    /// Rows in the request.
    pub total: usize,
}

/// What `audit prove` wrote.
#[derive(Debug, Clone)]
pub struct Proved {
    /// The audit file, as written.
    pub audit: AuditFile,
    /// Rows proved by this run.
    pub proved_now: usize,
    /// Rows taken from the work file of an earlier run.
    pub resumed: usize,
    /// Rows the lender's policy or registry refused (the audit is then incomplete).
    pub refused: Vec<usize>,
}

/// The model and policy an audit by `context` names.
fn identity(context: &DecisionContext) -> (AuditModel, AuditPolicy) {
    let model = AuditModel {
        id: context.model().id().to_string(),
        version: context.model().version().to_string(),
    };
    let policy = context.policy();
    let policy = AuditPolicy {
        id: policy.id().as_str().to_string(),
        version: policy.version().as_str().to_string(),
        hash: policy.hash().to_string(),
    };
    (model, policy)
}

/// Proves every row of `request` with `context` on clones of `backend`, `workers` rows at once,
/// and writes the audit file `out` atomically. Rows already in the work file beside `out` (from a
/// run that stopped) are not proved again; each newly finished row is flushed to the work file
/// before it counts. On an error the rows finished so far stay in the work file and the error
/// is returned; a rerun resumes from them. A row the policy or the registry refuses is recorded
/// as refused (the audit file then claims no figures).
pub fn prove<B>(
    context: &DecisionContext,
    request: &Request,
    backend: B,
    workers: usize,
    out: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<Proved, AuditError>
where
    B: ProofBackend + Clone + Send,
{
    let features = request.features(context.policy())?;
    let digest = request.digest();
    let (model, policy) = identity(context);
    let header = WorkHeader::new(digest, model.clone(), policy.hash.clone());
    let dir = crate::toolchain::atomic::parent_dir(out);
    std::fs::create_dir_all(dir).map_err(|e| AuditError::Write {
        path: dir.to_path_buf(),
        reason: e.to_string(),
    })?;
    let mut work = WorkFile::open(&work_path(out), &header)?;
    let total = features.len();
    let resumed = work
        .done()
        .keys()
        .filter(|&&r| r >= 1 && r <= total)
        .count();
    let todo: Vec<usize> = (1..=total)
        .filter(|r| !work.done().contains_key(r))
        .collect();
    progress(Progress {
        done: resumed,
        resumed,
        total,
    });

    let settings = request.settings();
    let queue = Mutex::new(todo.into_iter());
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<Result<AuditDecision, AuditError>>();
    let mut first_error = None;
    let mut proved_now = 0;
    std::thread::scope(|scope| {
        for _ in 0..in_flight(workers) {
            let tx = tx.clone();
            let mut backend = backend.clone();
            let (queue, stop, features) = (&queue, &stop, &features);
            scope.spawn(move || loop {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let next = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
                let Some(row) = next else { break };
                let application = Application {
                    decision_id: digest.decision_id(row),
                    time: settings.time,
                    scope: settings.scope.clone(),
                    features: features[row - 1].clone(),
                };
                let result = context
                    .prepare_with_salt(&application, digest.salt(row))
                    .and_then(|p| match p {
                        Preparation::Refused(r) => Ok(AuditDecision {
                            row,
                            bundle: None,
                            refused: Some(r.reasons.iter().map(ToString::to_string).collect()),
                        }),
                        Preparation::Ready(p) => {
                            let proved = context.prove(p, &mut backend)?;
                            let bundle: serde_json::Value =
                                serde_json::from_str(&proved.bundle.to_json_pretty())
                                    .unwrap_or_else(|e| unreachable!("a bundle is JSON: {e}"));
                            Ok(AuditDecision {
                                row,
                                bundle: Some(bundle),
                                refused: None,
                            })
                        }
                    })
                    .map_err(|e| AuditError::Row {
                        row,
                        source: Box::new(e),
                    });
                if result.is_err() {
                    stop.store(true, Ordering::SeqCst);
                }
                if tx.send(result).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        for result in rx {
            match result.and_then(|d| work.append(d)) {
                Ok(()) => {
                    proved_now += 1;
                    progress(Progress {
                        done: resumed + proved_now,
                        resumed,
                        total,
                    });
                }
                Err(e) => {
                    stop.store(true, Ordering::SeqCst);
                    first_error.get_or_insert(e);
                }
            }
        }
    });
    if let Some(e) = first_error {
        return Err(e);
    }

    let decisions: Vec<AuditDecision> = (1..=total)
        .filter_map(|r| work.done().get(&r).cloned())
        .collect();
    let refused: Vec<usize> = decisions
        .iter()
        .filter(|d| d.bundle.is_none())
        .map(|d| d.row)
        .collect();
    let claims = if refused.is_empty() {
        let outcomes = decisions
            .iter()
            .map(|d| {
                let band = d
                    .bundle
                    .as_ref()
                    .and_then(proved_band)
                    .ok_or(AuditError::Internal("a proved bundle has no outcome"))?;
                RowOutcome::from_public(context.policy(), band)
                    .ok_or(AuditError::Internal("the policy has no outcome for a band"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        compute(context.policy(), request, &outcomes).to_json()
    } else {
        serde_json::Value::Null
    };
    let audit = AuditFile {
        format: AUDIT_FORMAT.to_string(),
        version: AUDIT_VERSION,
        request_digest: digest,
        data_digest: request.data_digest(),
        model,
        policy,
        rows: total,
        claims,
        decisions,
    };
    audit.write(out)?;
    work.remove()?;
    Ok(Proved {
        audit,
        proved_now,
        resumed,
        refused,
    })
}

/// Rows in preparation or proof at once for `workers` provers: two a prover, so that while
/// one row's proof runs, the next row's checks and witness are solved and its request is queued
/// (a prover never waits for a witness). `ProverPool` queues up to four requests a worker.
fn in_flight(workers: usize) -> usize {
    workers.max(1).saturating_mul(2)
}

/// The band index (or decision bit) among a bundle document's public inputs.
pub(crate) fn proved_band(bundle: &serde_json::Value) -> Option<u32> {
    let bytes = serde_json::to_vec(bundle).ok()?;
    let bundle = crate::bundle::Bundle::from_json(&bytes).ok()?;
    band_of(&bundle)
}

/// The band index (or decision bit) a bundle's proof carries as its outcome public input.
pub(crate) fn band_of(bundle: &crate::bundle::Bundle) -> Option<u32> {
    let value = bundle.public_inputs.outcome.value().to_u128()?;
    u32::try_from(value).ok()
}
