//! The HTTP service: routes, the decision pipeline, backpressure and graceful shutdown.
//!
//! `POST /decisions` runs, for one application:
//! 1. checks the request and reserves its decision id (409 if logged or in progress);
//! 2. refuses at once with 429 and `Retry-After` when the prover pool has no room;
//! 3. prepares the decision (model, policy, native constraint checks, witness), 422 if refused;
//! 4. proves it through the pool (429 if the pool filled up meanwhile; 503 on a timeout or a
//!    prover crash, with the reason);
//! 5. seals the bundle, appends it to the decision log and flushes the log to disk;
//! 6. only then answers 201 with the decision, its bundle, the commitment's opening (for the
//!    applicant) and the log receipt.
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
use govproof::setup::Setup;
use serde::Serialize;
use serde_json::json;
use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;

use govproof::bundle::{Bundle, DecisionId, OutcomeClaim};
use govproof::decide::Application;
use govproof::registry::{Scope, Timestamp};

use crate::deployment::Deployment;
use crate::engine::{decision_id, ApplicationInput, Engine, EngineError};
use crate::log::{DecisionLog, OpenReport, Receipt};

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How to start the service.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The lender's deployment folder (see [`crate::deployment`]).
    pub deployment: PathBuf,
    /// The bb binary.
    pub bb: PathBuf,
    /// The setup proofs are made with.
    pub setup: Setup,
    /// Where verification keys are cached.
    pub keys_dir: PathBuf,
    /// The decision log file.
    pub log_path: PathBuf,
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

/// The running service: engine, prover pool, decision log, and the work in progress.
pub struct Service {
    engine: Engine,
    pool: ProverPool,
    log: Mutex<DecisionLog>,
    pending: Mutex<HashSet<DecisionId>>,
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
    bundle: Bundle,
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
    /// Opens the decision log (refusing a broken chain), loads and checks the deployment, builds
    /// the decision pipeline (which checks the circuit's verification key against the pinned
    /// one), and starts the prover pool warmed up on a sample decision. Blocking.
    pub fn start(config: ServiceConfig) -> anyhow::Result<(Arc<Service>, OpenReport)> {
        let (log, report) = DecisionLog::open(&config.log_path)?;
        let now = Timestamp::now();
        let deployment = Deployment::load(&config.deployment, now)?;
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
            log: Mutex::new(log),
            pending: Mutex::new(HashSet::new()),
            tasks: TaskTracker::new(),
            prepare_slots: Semaphore::new(workers),
            draining: AtomicBool::new(false),
            counters: Counters::default(),
        };
        Ok((Arc::new(service), report))
    }

    /// The routes: `POST /decisions`, `GET /decisions/{id}`, `GET /log/head`, `GET /health`.
    pub fn router(self: &Arc<Service>) -> Router {
        Router::new()
            .route("/decisions", post(create))
            .route("/decisions/{id}", get(fetch))
            .route("/log/head", get(head))
            .route("/policy", get(policy))
            .route("/health", get(health))
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

    fn reserve(self: &Arc<Service>, id: &DecisionId) -> Result<Reservation, Failure> {
        let mut pending = lock(&self.pending);
        if lock(&self.log).contains(id) {
            return Err(Failure::new(
                StatusCode::CONFLICT,
                format!("decision `{id}` was already made; fetch it with GET /decisions/{id}"),
            ));
        }
        if !pending.insert(id.clone()) {
            return Err(Failure::new(
                StatusCode::CONFLICT,
                format!("decision `{id}` is being made by another request"),
            ));
        }
        Ok(Reservation {
            service: Arc::clone(self),
            id: id.clone(),
        })
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
        let service = Arc::clone(&self);
        let id = sealed.bundle.decision.id.clone();
        let bundle = serde_json::to_value(&sealed.bundle)
            .map_err(|e| Failure::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        let receipt = tokio::task::spawn_blocking(move || {
            let recorded_at =
                chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            lock(&service.log).append(&id, recorded_at, bundle)
        })
        .await
        .map_err(|e| Failure::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(|e| Failure::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        let log_time = logged.elapsed();
        drop(reservation);
        let decision = sealed.bundle.decision.clone();
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
            bundle: sealed.bundle,
        })
    }

    fn count(&self, status: StatusCode) {
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
    let reservation = service.reserve(&application.decision_id)?;
    service.pool.check_room().map_err(pool_failure)?;
    let task = service
        .tasks
        .spawn(Arc::clone(service).decide(application, reservation));
    task.await
        .map_err(|e| Failure::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
}

async fn fetch(State(service): State<Arc<Service>>, Path(id): Path<String>) -> Response {
    let id = match decision_id(&id) {
        Ok(id) => id,
        Err(e) => return Failure::from(e).into_response(),
    };
    let lookup = {
        let service = Arc::clone(&service);
        let id = id.clone();
        tokio::task::spawn_blocking(move || lock(&service.log).get(&id)).await
    };
    match lookup {
        Ok(Ok(Some((entry, receipt)))) => Json(json!({
            "decision_id": entry.decision_id,
            "recorded_at": entry.recorded_at,
            "receipt": receipt,
            "bundle": entry.bundle,
        }))
        .into_response(),
        Ok(Ok(None)) => Failure::new(
            StatusCode::NOT_FOUND,
            format!("no decision `{id}` in the log"),
        )
        .into_response(),
        Ok(Err(e)) => {
            Failure::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
        }
        Err(e) => Failure::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn policy(State(service): State<Arc<Service>>) -> Response {
    Json(service.engine.schema()).into_response()
}

async fn head(State(service): State<Arc<Service>>) -> Response {
    let log = lock(&service.log);
    Json(json!({ "entries": log.len(), "head": log.head() })).into_response()
}

async fn health(State(service): State<Arc<Service>>) -> Response {
    let pool = service.pool.stats();
    let status = if service.draining.load(Ordering::SeqCst) {
        "draining"
    } else {
        "ok"
    };
    Json(json!({
        "status": status,
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
