//! The HTTP service: routes, the decision pipeline, backpressure and graceful shutdown.
//!
//! `POST /decisions` runs, for one application:
//! 1. checks the request and reserves its decision id (409 if logged or in progress);
//! 2. refuses at once with 429 and `Retry-After` when the prover pool has no room;
//! 3. prepares the decision (model, policy, native constraint checks, witness), 422 if refused;
//! 4. proves it through the pool (429 if the pool filled up meanwhile; 503 on a timeout or a
//!    prover crash, with the reason);
//! 5. seals the bundle and writes it, its opening and its transparency-log entry to the database
//!    in one transaction, which also assigns the entry's log index (decisions sealed while the
//!    database was busy share one transaction: group commit; a lost database connection is
//!    retried; the decision id is unique in the database, whichever replica wrote it);
//! 6. only then answers 201 with the decision, its bundle, the commitment's opening (for the
//!    applicant) and the log receipt (index, leaf hash, entry).
//!
//! Steps 3 to 6 run in a task the service tracks, not in the connection's future: a client that
//! hangs up does not abandon a decision half way, and shutdown waits for every such task, so an
//! accepted decision is always finished and logged (and can be fetched with `GET`).

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use govproof::prover::pool::{PoolConfig, PoolError, PoolStats, ProverPool};
use govproof::setup::{Setup, SetupKind};
use govproof::translog::LogEntry;
use serde::{Deserialize, Serialize};
use serde_json::json;
use serde_json::value::RawValue;
use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;

use govproof::bundle::{DecisionId, OutcomeClaim};
use govproof::decide::Application;
use govproof::registry::{Scope, Timestamp};

use crate::deployment::Deployment;
use crate::engine::{decision_id, ApplicationInput, Engine, EngineError};
use crate::ops::{event, Gauges, Metrics};
use crate::store::{DatabaseUrl, NewDecision, Store, StoreError};
use crate::transparency::{LogKey, TransparencyError, TransparencyLog};

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How to start the service.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The lender's deployment folder (see [`crate::deployment`]).
    pub deployment: PathBuf,
    /// A `.govproof` model file to decide with instead of the deployment's model file.
    pub model: Option<PathBuf>,
    /// The bb binary.
    pub bb: PathBuf,
    /// The setup proofs are made with.
    pub setup: Setup,
    /// Where verification keys are cached.
    pub keys_dir: PathBuf,
    /// The database decisions are stored in.
    pub database: DatabaseUrl,
    /// The key that signs the log's checkpoints (and its name, the log's origin).
    pub log_key: Arc<LogKey>,
    /// The prover pool's size, queue and timeout.
    pub pool: PoolConfig,
}

/// Counters the service keeps (what `GET /health` and the shutdown summary show).
#[derive(Debug, Default)]
struct Counters {
    received: AtomicU64,
    completed: AtomicU64,
    busy: AtomicU64,
    refused: AtomicU64,
    failed: AtomicU64,
}

/// A snapshot of the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ServiceStats {
    /// `POST /decisions` requests received.
    pub received: u64,
    /// Decisions proved, logged and returned (201).
    pub completed: u64,
    /// Refused with 429 (no room in the prover queue).
    pub busy: u64,
    /// Refused as invalid or forbidden (400, 409, 422).
    pub refused: u64,
    /// Failed after acceptance, or refused while shutting down (5xx).
    pub failed: u64,
}

/// A sealed decision waiting to be appended, and where its log index (or failure) goes.
type QueuedAppend = (
    NewDecision,
    tokio::sync::oneshot::Sender<Result<u64, Failure>>,
);

/// Most decisions written in one transaction.
const MAX_GROUP_COMMIT: usize = 64;

/// What [`Service::start`] found in the database.
#[derive(Debug, Clone)]
pub struct OpenReport {
    /// The database (without credentials).
    pub database: String,
    /// Decisions already logged.
    pub entries: u64,
}

/// A logged decision's place in the transparency log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The entry's index (from 0).
    pub index: u64,
    /// Its leaf hash (64 hex digits).
    pub leaf_hash: String,
    /// The entry whose canonical bytes the leaf hashes.
    pub entry: LogEntry,
}

/// How long an append keeps retrying a database that went away (a restart) before the decision
/// fails with 503.
const STORE_RETRY_FOR: Duration = Duration::from_secs(20);

/// The running service: engine, prover pool, database, transparency log, and the work in
/// progress.
pub struct Service {
    engine: Engine,
    pool: ProverPool,
    store: Mutex<Box<dyn Store>>,
    database: DatabaseUrl,
    tlog: TransparencyLog,
    setup: SetupKind,
    metrics: Metrics,
    pending: Mutex<HashSet<DecisionId>>,
    /// Sealed decisions waiting for the database: whoever holds the store next writes all of
    /// them in one transaction (group commit).
    to_append: Mutex<Vec<QueuedAppend>>,
    tasks: TaskTracker,
    prepare_slots: Semaphore,
    draining: AtomicBool,
    counters: Counters,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Service({:?}, {:?})", self.engine, self.pool)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// An error answer: status and `{"error": ...}`, plus `Retry-After` for 429.
struct Failure {
    status: StatusCode,
    message: String,
    retry_after: Option<Duration>,
    reasons: Vec<String>,
}

impl Failure {
    fn new(status: StatusCode, message: impl Into<String>) -> Failure {
        Failure {
            status,
            message: message.into(),
            retry_after: None,
            reasons: Vec::new(),
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.message });
        if !self.reasons.is_empty() {
            body["reasons"] = json!(self.reasons);
        }
        let mut response = (self.status, Json(body)).into_response();
        if let Some(after) = self.retry_after {
            // Whole seconds, rounded up, at least one.
            let secs = after.as_secs() + u64::from(after.subsec_nanos() > 0);
            if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

impl From<EngineError> for Failure {
    fn from(e: EngineError) -> Failure {
        match e {
            EngineError::BadInput(m) => Failure::new(StatusCode::BAD_REQUEST, m),
            EngineError::Refused { reasons } => Failure {
                reasons,
                ..Failure::new(StatusCode::UNPROCESSABLE_ENTITY, "the decision is refused")
            },
            EngineError::Internal(m) => Failure::new(StatusCode::INTERNAL_SERVER_ERROR, m),
        }
    }
}

fn pool_failure(e: PoolError) -> Failure {
    match e {
        PoolError::QueueFull { retry_after, .. } => Failure {
            retry_after: Some(retry_after),
            ..Failure::new(StatusCode::TOO_MANY_REQUESTS, "the prover queue is full")
        },
        PoolError::ShuttingDown => Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the service is shutting down",
        ),
        e @ (PoolError::Timeout { .. } | PoolError::WorkerDied { .. }) => {
            Failure::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
        }
        e => Failure::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// Removes a decision id from the in-progress set when the decision ends, however it ends.
struct Reservation {
    service: Arc<Service>,
    id: DecisionId,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        lock(&self.service.pending).remove(&self.id);
    }
}

/// What `POST /decisions` answers on success.
#[derive(Debug, Serialize)]
struct Created {
    decision_id: DecisionId,
    decision_time: Timestamp,
    scope: Scope,
    outcome: OutcomeClaim,
    receipt: Receipt,
    opening: govproof::decide::InputOpening,
    timings_ms: Timings,
    /// The bundle, byte for byte as stored (its blake3 is the log entry's `bundle_digest`).
    bundle: Box<RawValue>,
}

#[derive(Debug, Serialize)]
struct Timings {
    prepare: f64,
    queue: f64,
    prove: f64,
    log: f64,
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

impl Service {
    /// Opens the database (bringing its schema up to date) and loads the log's leaves, loads and
    /// checks the deployment, builds the decision pipeline (which checks the circuit's
    /// verification key against the pinned one), and starts the prover pool warmed up on a
    /// sample decision. Blocking.
    pub fn start(config: ServiceConfig) -> anyhow::Result<(Arc<Service>, OpenReport)> {
        let mut store = config.database.open()?;
        let key = LogKey {
            name: config.log_key.name.clone(),
            key: config.log_key.key.clone(),
        };
        let tlog = TransparencyLog::open(key, store.as_mut())?;
        let report = OpenReport {
            database: store.describe(),
            entries: tlog.size(),
        };
        let now = Timestamp::now();
        let deployment =
            Deployment::load_with_model(&config.deployment, config.model.as_deref(), now)?;
        let engine = Engine::new(deployment, &config.bb, &config.setup, &config.keys_dir)?;
        let sample = engine.application(&engine.sample_application("warm-up"), now)?;
        let warm_up = engine.prepare(&sample)?;
        let workers = config.pool.worker_count().get();
        let pool = ProverPool::start(
            &config.bb,
            &config.setup,
            &config.keys_dir,
            config.pool.clone().warm_up(warm_up.request().clone()),
        )?;
        if pool.bb_version() != engine.context().bb_version() {
            anyhow::bail!(
                "the prover pool runs bb `{}`, the decision context's key was computed by bb `{}`",
                pool.bb_version(),
                engine.context().bb_version()
            );
        }
        let service = Service {
            engine,
            pool,
            store: Mutex::new(store),
            database: config.database.clone(),
            tlog,
            setup: config.setup.kind(),
            metrics: Metrics::default(),
            pending: Mutex::new(HashSet::new()),
            to_append: Mutex::new(Vec::new()),
            tasks: TaskTracker::new(),
            prepare_slots: Semaphore::new(workers),
            draining: AtomicBool::new(false),
            counters: Counters::default(),
        };
        Ok((Arc::new(service), report))
    }

    /// The routes: `POST /decisions`, `GET /decisions/{id}`, `GET /decisions/{id}/inclusion`,
    /// `GET /log/checkpoint`, `GET /log/consistency`, `GET /policy`, `GET /health`, `GET /ready`,
    /// `GET /metrics`.
    pub fn router(self: &Arc<Service>) -> Router {
        Router::new()
            .route("/decisions", post(create))
            .route("/decisions/{id}", get(fetch))
            .route("/decisions/{id}/inclusion", get(inclusion))
            .route("/log/checkpoint", get(checkpoint))
            .route("/log/consistency", get(consistency))
            .route("/log/entries", get(entries))
            .route("/policy", get(policy))
            .route("/health", get(health))
            .route("/ready", get(ready))
            .route("/metrics", get(metrics))
            .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
            .with_state(Arc::clone(self))
    }

    /// The engine (for checking bundles).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The prover pool (for operators' diagnostics and tests).
    pub fn pool(&self) -> &ProverPool {
        &self.pool
    }

    /// The service's counters.
    pub fn stats(&self) -> ServiceStats {
        let c = &self.counters;
        ServiceStats {
            received: c.received.load(Ordering::Relaxed),
            completed: c.completed.load(Ordering::Relaxed),
            busy: c.busy.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
        }
    }

    /// The pool's counters.
    pub fn pool_stats(&self) -> PoolStats {
        self.pool.stats()
    }

    /// From now on, new decisions are answered 503; those already accepted continue. Call it
    /// when a shutdown signal arrives, before the HTTP server stops.
    pub fn begin_shutdown(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Stops accepting decisions (new ones get 503), waits for every accepted decision to be
    /// proved and logged, then stops the prover pool. Call after the HTTP server has stopped.
    pub async fn drain(self: &Arc<Service>) -> PoolStats {
        self.begin_shutdown();
        self.tasks.close();
        self.tasks.wait().await;
        let service = Arc::clone(self);
        tokio::task::spawn_blocking(move || service.pool.shutdown())
            .await
            .unwrap_or_default()
    }

    /// The setup proofs are made with, by name (`development` proves nothing).
    pub fn setup_name(&self) -> &'static str {
        match self.setup {
            SetupKind::Development => "development",
            _ => "ignition",
        }
    }

    /// The transparency log.
    pub fn transparency_log(&self) -> &TransparencyLog {
        &self.tlog
    }

    /// Runs `f` on the database on a blocking thread.
    async fn with_store<T: Send + 'static>(
        self: &Arc<Service>,
        f: impl FnOnce(&Service, &mut dyn Store) -> T + Send + 'static,
    ) -> Result<T, Failure> {
        let service = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let mut store = lock(&service.store);
            f(&service, store.as_mut())
        })
        .await
        .map_err(|e| Failure::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
    }

    /// Reserves `id` in this replica, then checks the database (off the async threads) that no
    /// replica logged it already. The database's unique id is the final word at append time.
    async fn reserve(self: &Arc<Service>, id: &DecisionId) -> Result<Reservation, Failure> {
        if !lock(&self.pending).insert(id.clone()) {
            return Err(Failure::new(
                StatusCode::CONFLICT,
                format!("decision `{id}` is being made by another request"),
            ));
        }
        let reservation = Reservation {
            service: Arc::clone(self),
            id: id.clone(),
        };
        let key = id.to_string();
        let logged = self
            .with_store(move |_, store| store.get(&key).map(|d| d.is_some()))
            .await?
            .map_err(|e| Failure::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
        if logged {
            return Err(Failure::new(
                StatusCode::CONFLICT,
                format!("decision `{id}` was already made; fetch it with GET /decisions/{id}"),
            ));
        }
        Ok(reservation)
    }

    /// Steps 3 to 6 of the pipeline (see the module documentation).
    async fn decide(
        self: Arc<Service>,
        application: Application,
        reservation: Reservation,
    ) -> Result<Created, Failure> {
        let started = Instant::now();
        let prepared = {
            let _slot = self.prepare_slots.acquire().await.map_err(|_| {
                Failure::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the service is shutting down",
                )
            })?;
            let service = Arc::clone(&self);
            tokio::task::spawn_blocking(move || service.engine.prepare(&application))
                .await
                .map_err(|e| Failure::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))??
        };
        let prepare = started.elapsed();

        let (tx, rx) = tokio::sync::oneshot::channel();
        self.pool
            .submit_with(prepared.request().clone(), move |result| {
                let _ = tx.send(result);
            })
            .map_err(pool_failure)?;
        let proved = rx
            .await
            .map_err(|_| {
                Failure::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the prover pool dropped a request",
                )
            })?
            .map_err(pool_failure)?;

        let sealed = self.engine.seal(prepared, proved.proof)?;
        let logged = Instant::now();
        let internal = |e: String| Failure::new(StatusCode::INTERNAL_SERVER_ERROR, e);
        let bundle_text =
            serde_json::to_string(&sealed.bundle).map_err(|e| internal(e.to_string()))?;
        let opening =
            serde_json::to_string(&sealed.opening).map_err(|e| internal(e.to_string()))?;
        let entry = LogEntry::for_bundle(bundle_text.as_bytes(), Timestamp::now())
            .map_err(|e| internal(e.to_string()))?;
        let record = NewDecision {
            decision_id: sealed.bundle.decision.id.clone(),
            logged_at: entry.logged_at.to_rfc3339(),
            log_entry: entry.canonical_bytes(),
            leaf_hash: entry.leaf_hash(),
            bundle: bundle_text.clone(),
            opening: Some(opening),
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        lock(&self.to_append).push((record, tx));
        Arc::clone(&self)
            .with_store(|service, store| service.append_queued(store))
            .await?;
        let index = rx.await.map_err(|_| {
            Failure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the database writer dropped a decision",
            )
        })??;
        let log_time = logged.elapsed();
        drop(reservation);
        let decision = sealed.bundle.decision.clone();
        self.metrics
            .decided(decision.outcome.outcome().as_str(), started.elapsed());
        let receipt = Receipt {
            index,
            leaf_hash: hex::encode(entry.leaf_hash()),
            entry,
        };
        let bundle = RawValue::from_string(bundle_text).map_err(|e| internal(e.to_string()))?;
        Ok(Created {
            decision_id: decision.id,
            decision_time: decision.time,
            scope: decision.scope,
            outcome: decision.outcome,
            receipt,
            opening: sealed.opening,
            timings_ms: Timings {
                prepare: ms(prepare),
                queue: ms(proved.queued),
                prove: ms(proved.proving),
                log: ms(log_time),
            },
            bundle,
        })
    }

    /// Group commit: with the store held, writes every queued decision (this request's, and any
    /// that queued while the store was busy) in one transaction. A batch the database refuses
    /// (a duplicate id from another replica) or that fails is written again one by one, so each
    /// decision gets its own answer.
    fn append_queued(&self, store: &mut dyn Store) {
        loop {
            let batch: Vec<QueuedAppend> = {
                let mut queue = lock(&self.to_append);
                let n = queue.len().min(MAX_GROUP_COMMIT);
                queue.drain(..n).collect()
            };
            if batch.is_empty() {
                // Another request's turn took ours along.
                return;
            }
            let grouped = batch.len() > 1;
            if grouped {
                let records: Vec<NewDecision> = batch.iter().map(|(r, _)| r.clone()).collect();
                if let Ok(first) = store.append_batch(&records) {
                    for (k, (_, tx)) in batch.into_iter().enumerate() {
                        let _ = tx.send(Ok(first + k as u64));
                    }
                    continue;
                }
            }
            for (record, tx) in batch {
                // A failed batch may still have committed before its connection broke.
                let landed = if grouped {
                    store.get(record.decision_id.as_str()).ok().flatten()
                } else {
                    None
                };
                let answer = match landed {
                    Some(found) if found.bundle == record.bundle => Ok(found.log_index),
                    _ => self.append(store, &record),
                };
                let _ = tx.send(answer);
            }
        }
    }

    /// Appends in one transaction; after a lost connection (a restarting database), looks
    /// whether the commit happened before the connection broke and otherwise tries again, for
    /// [`STORE_RETRY_FOR`] at most.
    fn append(&self, store: &mut dyn Store, record: &NewDecision) -> Result<u64, Failure> {
        let unavailable = |e: StoreError| {
            Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the decision could not be stored, nothing was logged: {e}"),
            )
        };
        let deadline = Instant::now() + STORE_RETRY_FOR;
        loop {
            match store.append(record) {
                Ok(index) => return Ok(index),
                Err(StoreError::Duplicate(id)) => {
                    return Err(Failure::new(
                        StatusCode::CONFLICT,
                        format!(
                            "decision `{id}` was already made; fetch it with GET /decisions/{id}"
                        ),
                    ))
                }
                Err(e) if e.is_transient() && Instant::now() < deadline => {
                    self.metrics.store_retried();
                    event(
                        "warn",
                        "store_retry",
                        json!({ "decision_id": record.decision_id.as_str(), "error": e.to_string() }),
                    );
                    std::thread::sleep(Duration::from_millis(250));
                    // The commit may have landed before the connection broke.
                    if let Ok(Some(found)) = store.get(record.decision_id.as_str()) {
                        if found.bundle == record.bundle {
                            return Ok(found.log_index);
                        }
                        return Err(Failure::new(
                            StatusCode::CONFLICT,
                            format!("decision `{}` was already made", record.decision_id),
                        ));
                    }
                }
                Err(e) => return Err(unavailable(e)),
            }
        }
    }

    fn count(&self, status: StatusCode) {
        self.metrics.answered(status.as_u16());
        let c = &self.counters;
        let counter = match status.as_u16() {
            201 => &c.completed,
            429 => &c.busy,
            400..=499 => &c.refused,
            _ => &c.failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

async fn create(
    State(service): State<Arc<Service>>,
    body: Result<Json<ApplicationInput>, JsonRejection>,
) -> Response {
    service.counters.received.fetch_add(1, Ordering::Relaxed);
    let result = create_inner(&service, body).await;
    let response = match result {
        Ok(created) => (StatusCode::CREATED, Json(created)).into_response(),
        Err(f) => f.into_response(),
    };
    service.count(response.status());
    response
}

async fn create_inner(
    service: &Arc<Service>,
    body: Result<Json<ApplicationInput>, JsonRejection>,
) -> Result<Created, Failure> {
    let Json(input) = body.map_err(|e| Failure::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    if service.draining.load(Ordering::SeqCst) || service.pool.is_shutting_down() {
        return Err(Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the service is shutting down",
        ));
    }
    let application = service.engine.application(&input, Timestamp::now())?;
    let reservation = service.reserve(&application.decision_id).await?;
    service.pool.check_room().map_err(pool_failure)?;
    let task = service
        .tasks
        .spawn(Arc::clone(service).decide(application, reservation));
    task.await
        .map_err(|e| Failure::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
}

/// What `GET /decisions/{id}` answers.
#[derive(Debug, Serialize)]
struct Fetched {
    decision_id: String,
    logged_at: String,
    receipt: Receipt,
    /// Whether the applicant's opening is kept (in its own table; never served here).
    opening_kept: bool,
    /// The bundle, byte for byte as stored and first returned.
    bundle: Box<RawValue>,
}

fn unavailable(e: impl ToString) -> Response {
    Failure::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response()
}

async fn fetch(State(service): State<Arc<Service>>, Path(id): Path<String>) -> Response {
    let id = match decision_id(&id) {
        Ok(id) => id,
        Err(e) => return Failure::from(e).into_response(),
    };
    let key = id.to_string();
    let lookup = service
        .with_store(move |_, store| {
            let found = store.get(&key)?;
            let opening = match &found {
                Some(_) => store.opening(&key)?,
                None => None,
            };
            Ok::<_, StoreError>(found.map(|d| (d, opening)))
        })
        .await;
    match lookup {
        Ok(Ok(Some((d, opening)))) => {
            let entry: Result<LogEntry, _> = LogEntry::from_json(&d.log_entry);
            let bundle = RawValue::from_string(d.bundle);
            match (entry, bundle) {
                (Ok(entry), Ok(bundle)) => Json(Fetched {
                    decision_id: d.decision_id,
                    logged_at: d.logged_at,
                    receipt: Receipt {
                        index: d.log_index,
                        leaf_hash: hex::encode(d.leaf_hash),
                        entry,
                    },
                    opening_kept: opening.is_some(),
                    bundle,
                })
                .into_response(),
                _ => Failure::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("the stored decision `{id}` does not read"),
                )
                .into_response(),
            }
        }
        Ok(Ok(None)) => Failure::new(
            StatusCode::NOT_FOUND,
            format!("no decision `{id}` in the log"),
        )
        .into_response(),
        Ok(Err(e)) => unavailable(e),
        Err(f) => f.into_response(),
    }
}

fn log_failure(e: TransparencyError) -> Response {
    match e {
        TransparencyError::Range(e) => {
            Failure::new(StatusCode::BAD_REQUEST, e.to_string()).into_response()
        }
        TransparencyError::Store(e) => unavailable(e),
        e => Failure::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn checkpoint(State(service): State<Arc<Service>>) -> Response {
    match service
        .with_store(|s, store| s.tlog.checkpoint(store))
        .await
    {
        Ok(Ok(note)) => {
            ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note).into_response()
        }
        Ok(Err(e)) => log_failure(e),
        Err(f) => f.into_response(),
    }
}

/// `?size=N` of `GET /decisions/{id}/inclusion`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SizeQuery {
    size: Option<u64>,
}

async fn inclusion(
    State(service): State<Arc<Service>>,
    Path(id): Path<String>,
    query: Result<axum::extract::Query<SizeQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let id = match decision_id(&id) {
        Ok(id) => id,
        Err(e) => return Failure::from(e).into_response(),
    };
    let size = match query {
        Ok(q) => q.0.size,
        Err(e) => return Failure::new(StatusCode::BAD_REQUEST, e.body_text()).into_response(),
    };
    let key = id.to_string();
    match service
        .with_store(move |s, store| s.tlog.inclusion(store, &key, size))
        .await
    {
        Ok(Ok(Some(answer))) => Json(answer).into_response(),
        Ok(Ok(None)) => Failure::new(
            StatusCode::NOT_FOUND,
            format!("no decision `{id}` in the log"),
        )
        .into_response(),
        Ok(Err(e)) => log_failure(e),
        Err(f) => f.into_response(),
    }
}

/// `?start=&end=` of `GET /log/entries`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntriesQuery {
    start: u64,
    end: u64,
}

/// Most entries one `GET /log/entries` returns (a client pages through a longer log).
const MAX_ENTRIES_PAGE: u64 = 10_000;

async fn entries(
    State(service): State<Arc<Service>>,
    query: Result<axum::extract::Query<EntriesQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = match query {
        Ok(q) => q.0,
        Err(e) => return Failure::new(StatusCode::BAD_REQUEST, e.body_text()).into_response(),
    };
    if q.end.saturating_sub(q.start) > MAX_ENTRIES_PAGE {
        return Failure::new(
            StatusCode::BAD_REQUEST,
            format!("at most {MAX_ENTRIES_PAGE} entries per request"),
        )
        .into_response();
    }
    match service
        .with_store(move |s, store| s.tlog.entries(store, q.start, q.end))
        .await
    {
        Ok(Ok(text)) => (
            [(header::CONTENT_TYPE, "application/jsonl; charset=utf-8")],
            text,
        )
            .into_response(),
        Ok(Err(e)) => log_failure(e),
        Err(f) => f.into_response(),
    }
}

/// `?from=&to=` of `GET /log/consistency`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsistencyQuery {
    from: u64,
    to: u64,
}

async fn consistency(
    State(service): State<Arc<Service>>,
    query: Result<axum::extract::Query<ConsistencyQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = match query {
        Ok(q) => q.0,
        Err(e) => return Failure::new(StatusCode::BAD_REQUEST, e.body_text()).into_response(),
    };
    match service
        .with_store(move |s, store| s.tlog.consistency(store, q.from, q.to))
        .await
    {
        Ok(Ok(answer)) => Json(answer).into_response(),
        Ok(Err(e)) => log_failure(e),
        Err(f) => f.into_response(),
    }
}

async fn policy(State(service): State<Arc<Service>>) -> Response {
    Json(service.engine.schema()).into_response()
}

async fn ready(State(service): State<Arc<Service>>) -> Response {
    if service.draining.load(Ordering::SeqCst) || service.pool.is_shutting_down() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "ready": false, "why": "draining" })),
        )
            .into_response();
    }
    match service.with_store(|s, store| s.tlog.catch_up(store)).await {
        Ok(Ok(size)) => {
            Json(json!({ "ready": true, "setup": service.setup_name(), "log_size": size }))
                .into_response()
        }
        Ok(Err(e)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "ready": false, "why": format!("database: {e}") })),
        )
            .into_response(),
        Err(f) => f.into_response(),
    }
}

async fn metrics(State(service): State<Arc<Service>>) -> Response {
    let pool = service.pool.stats();
    let text = service.metrics.render(Gauges {
        queued: pool.queued,
        in_flight: pool.in_flight,
        bb_restarts: pool.bb_restarts,
        log_size: service.tlog.size(),
        draining: service.draining.load(Ordering::SeqCst),
    });
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

async fn health(State(service): State<Arc<Service>>) -> Response {
    let pool = service.pool.stats();
    let status = if service.draining.load(Ordering::SeqCst) {
        "draining"
    } else {
        "ok"
    };
    let setup = service.setup_name();
    Json(json!({
        "status": status,
        "setup": setup,
        "setup_warning": (setup == "development").then_some(
            "development setup: a publicly known trapdoor, these proofs prove nothing"
        ),
        "database": service.database.redacted(),
        "log": { "origin": service.tlog.name(), "size": service.tlog.size(),
                 "verifier_key": govproof::translog::verifier_key(service.tlog.name(), &service.tlog.public_key()) },
        "service": service.stats(),
        "pool": {
            "accepted": pool.accepted,
            "completed": pool.completed,
            "failed": pool.failed,
            "timed_out": pool.timed_out,
            "rejected_full": pool.rejected_full,
            "retries": pool.retries,
            "bb_restarts": pool.bb_restarts,
            "queued": pool.queued,
            "in_flight": pool.in_flight,
        },
    }))
    .into_response()
}
