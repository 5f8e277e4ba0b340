//! `audit prove`: every row of a request through the decision path, each with the decision id and
//! commitment salt derived from the request's digest and its row number, on any proof backend
//! (the warm [`crate::prover::pool::ProverPool`] in the command line), several rows at once,
//! resumable through the work file ([`super::file`]). Where this build pins an audit batch
//! circuit for the profile ([`super::batch`]), one row is proved as a bundle (the audit's head)
//! and the others several to a proof (six for a perceptron, twenty for a linear model).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};

use std::path::Path;

use crate::decide::{Application, DecisionContext, Preparation, ProofBackend};

use super::batch::{BatchProver, BatchResult, BatchRow};
use super::figures::{compute, RowOutcome};
use super::file::{
    work_path, AuditBatch, AuditDecision, AuditFile, AuditModel, AuditPolicy, WorkBatch, WorkFile,
    WorkHeader, AUDIT_FORMAT, AUDIT_VERSION, AUDIT_VERSION_BATCHES,
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
    let batcher = BatchProver::for_context(context).map_err(|e| AuditError::Row {
        row: 1,
        source: Box::new(e),
    })?;
    let units = units(&todo, work.done(), batcher.as_ref().map(BatchProver::rows));
    let queue = Mutex::new(units.into_iter());
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<Result<WorkBatch, AuditError>>();
    let mut first_error = None;
    let mut proved_now = 0;
    std::thread::scope(|scope| {
        for _ in 0..in_flight(workers) {
            let tx = tx.clone();
            let mut backend = backend.clone();
            let (queue, stop, features, batcher) = (&queue, &stop, &features, &batcher);
            scope.spawn(move || loop {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let next = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
                let Some(unit) = next else { break };
                let application = |row: usize| Application {
                    decision_id: digest.decision_id(row),
                    time: settings.time,
                    scope: settings.scope.clone(),
                    features: features[row - 1].clone(),
                };
                let result = match (batcher, unit.as_slice()) {
                    (Some(b), rows) if rows.len() > 1 => {
                        let rows: Vec<BatchRow> = rows
                            .iter()
                            .map(|&row| BatchRow {
                                row,
                                application: application(row),
                                salt: digest.salt(row),
                            })
                            .collect();
                        b.prove(context, &rows, &mut backend)
                            .map(|done| batch_line(&done))
                            .map_err(|e| AuditError::Row {
                                row: rows[0].row,
                                source: Box::new(e),
                            })
                    }
                    (_, rows) => {
                        let row = rows[0];
                        prove_row(context, &application(row), digest.salt(row), &mut backend)
                            .map(|d| WorkBatch {
                                batch: None,
                                decisions: vec![AuditDecision { row, ..d }],
                            })
                            .map_err(|e| AuditError::Row {
                                row,
                                source: Box::new(e),
                            })
                    }
                };
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
            let rows = result.as_ref().map_or(0, |b| b.decisions.len());
            let appended = result.and_then(|b| match (b.batch.is_some(), b.decisions.len()) {
                (false, 1) => {
                    let d = b.decisions.into_iter().next();
                    d.map_or(Ok(()), |d| work.append(d))
                }
                _ => work.append_batch(b),
            });
            match appended {
                Ok(()) => {
                    proved_now += rows;
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

    // Batches in the order of their first row; each proved row names its batch.
    let mut batches: Vec<AuditBatch> = work.batches().to_vec();
    batches.sort_by_key(|b| b.rows.first().copied());
    let mut decisions: Vec<AuditDecision> = (1..=total)
        .filter_map(|r| work.done().get(&r).cloned())
        .collect();
    for (k, b) in batches.iter().enumerate() {
        for &r in &b.rows {
            if let Some(d) = decisions.get_mut(r.wrapping_sub(1)).filter(|d| d.row == r) {
                d.batch = Some(k);
            }
        }
    }
    let refused: Vec<usize> = decisions
        .iter()
        .filter(|d| d.refused.is_some())
        .map(|d| d.row)
        .collect();
    let claims = if refused.is_empty() {
        let outcomes = decisions
            .iter()
            .map(|d| {
                let band = d
                    .outcome
                    .or_else(|| d.bundle.as_ref().and_then(proved_band))
                    .ok_or(AuditError::Internal("a proved row has no outcome"))?;
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
        version: if batches.is_empty() {
            AUDIT_VERSION
        } else {
            AUDIT_VERSION_BATCHES
        },
        request_digest: digest,
        data_digest: request.data_digest(),
        model,
        policy,
        rows: total,
        claims,
        decisions,
        batches,
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

/// One row through the decision path: its bundle, or its refusal.
fn prove_row<B: ProofBackend>(
    context: &DecisionContext,
    application: &Application,
    salt: crate::field::Field,
    backend: &mut B,
) -> Result<AuditDecision, crate::decide::DecideError> {
    let row = 0;
    match context.prepare_with_salt(application, salt)? {
        Preparation::Refused(r) => Ok(AuditDecision::refused(
            row,
            r.reasons.iter().map(ToString::to_string).collect(),
        )),
        Preparation::Ready(p) => {
            let proved = context.prove(p, backend)?;
            let bundle: serde_json::Value = serde_json::from_str(&proved.bundle.to_json_pretty())
                .unwrap_or_else(|e| unreachable!("a bundle is JSON: {e}"));
            Ok(AuditDecision::proved(row, bundle))
        }
    }
}

/// The work line of a finished batch.
fn batch_line(done: &BatchResult) -> WorkBatch {
    let mut decisions: Vec<AuditDecision> = done
        .refused
        .iter()
        .map(|(row, reasons)| {
            AuditDecision::refused(*row, reasons.iter().map(ToString::to_string).collect())
        })
        .collect();
    if let Some(b) = &done.batch {
        for (&row, &outcome) in b.rows.iter().zip(&done.outcomes) {
            decisions.push(AuditDecision {
                row,
                bundle: None,
                refused: None,
                batch: None,
                outcome: Some(outcome),
            });
        }
    }
    decisions.sort_by_key(|d| d.row);
    WorkBatch {
        batch: done.batch.clone(),
        decisions,
    }
}

/// The work still to do, as units: one row proved by its own bundle, or up to `batch` rows in
/// one batch proof. Without batches every row is a unit. With them, an audit needs one row
/// with its own bundle (its head, which vouches for the registry snapshot, entry and policy the
/// batches share): the first row left is proved alone unless a done row already has its bundle.
fn units(
    todo: &[usize],
    done: &std::collections::BTreeMap<usize, AuditDecision>,
    batch: Option<usize>,
) -> Vec<Vec<usize>> {
    let Some(size) = batch.filter(|&s| s > 1) else {
        return todo.iter().map(|&r| vec![r]).collect();
    };
    let mut units = Vec::new();
    let mut rest = todo;
    let has_head = done.values().any(|d| d.bundle.is_some());
    if !has_head {
        if let Some((&first, others)) = rest.split_first() {
            units.push(vec![first]);
            rest = others;
        }
    }
    units.extend(rest.chunks(size).map(<[usize]>::to_vec));
    units
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
