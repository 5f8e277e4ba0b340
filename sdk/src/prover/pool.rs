//! A pool of warm provers for services that prove in their request path: `N` worker threads, each
//! owning one [`Prover`] (one long-lived bb process), behind one bounded queue.
//!
//! What the pool promises:
//! - **Exactly one answer per accepted request.** [`ProverPool::submit`] either refuses the
//!   request at once ([`PoolError::QueueFull`], [`PoolError::ShuttingDown`]) or accepts it, and an
//!   accepted request is answered exactly once: with its proof, or with an error that says why
//!   ([`PoolError::Timeout`], [`PoolError::WorkerDied`], [`PoolError::Prover`]). The answer is owned
//!   by the request itself, so even a worker that panics answers it
//!   ([`PoolError::WorkerStopped`]).
//! - **Backpressure.** At most `workers + queue_capacity` requests are held at once; beyond that,
//!   submission fails with a `retry_after` estimated from recent proving times.
//! - **Deadlines.** Each request has a deadline (the pool's timeout from submission). A request
//!   still queued at its deadline is answered with a timeout without being proved; a proof still
//!   running at its deadline is stopped by killing its bb process, which the worker then restarts.
//! - **Crash recovery.** When a worker's bb dies mid-proof, the worker restarts it and retries the
//!   request (once by default, [`PoolConfig::retries`]); if that fails too, the request is answered
//!   with [`PoolError::WorkerDied`] and bb's exit status and stderr.
//! - **Graceful shutdown.** [`ProverPool::shutdown`] (and dropping the pool) stops accepting,
//!   finishes every accepted request, then stops the workers and their bb processes.
//!
//! Warmth: each worker starts its bb process when the pool starts and, with
//! [`PoolConfig::warm_up`], proves one request before the pool reports ready, which loads the CRS
//! and computes (or reads) the verification key. bb 5.0.0's msgpack API has no request that keeps
//! an UltraHonk proving key between proofs, so each proof still builds its proving key; that cost is
//! part of bb's own prove time and is the same for the `bb prove` command.

use std::collections::VecDeque;
use std::fmt;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{
    BbError, CircuitBytecode, KillSwitch, Proof, ProofTarget, Prover, ProverError, WitnessStack,
};
use crate::setup::Setup;

/// Default time a request may take from submission to answer.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Default queue slots per worker (requests waiting beyond those being proved).
pub const DEFAULT_QUEUE_PER_WORKER: usize = 4;
/// Longest timeout a request can have (longer settings are cut to it).
pub const MAX_REQUEST_TIMEOUT: Duration = Duration::from_secs(24 * 3600);
/// Default retries of a request whose bb process died under it.
pub const DEFAULT_RETRIES: u32 = 1;
/// What `retry_after` assumes a proof takes before the pool has measured one.
const INITIAL_SERVICE_ESTIMATE: Duration = Duration::from_secs(1);

/// One proof to make: a circuit (shared between requests), a solved witness, and a target.
#[derive(Debug, Clone)]
pub struct ProofRequest {
    circuit: Arc<CircuitBytecode>,
    witness: WitnessStack,
    target: ProofTarget,
}

impl ProofRequest {
    /// A request to prove that `witness` satisfies `circuit`, for `target`.
    pub fn new(
        circuit: Arc<CircuitBytecode>,
        witness: WitnessStack,
        target: ProofTarget,
    ) -> ProofRequest {
        ProofRequest {
            circuit,
            witness,
            target,
        }
    }

    /// The circuit.
    pub fn circuit(&self) -> &CircuitBytecode {
        &self.circuit
    }

    /// The target.
    pub fn target(&self) -> ProofTarget {
        self.target
    }

    /// The solved witness.
    pub fn witness(&self) -> &WitnessStack {
        &self.witness
    }
}

/// The pool's number for an accepted request, unique for the life of the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(u64);

impl RequestId {
    /// The number.
    pub fn get(&self) -> u64 {
        self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Where a request was when its deadline passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// Waiting in the queue: it was never proved.
    Queued,
    /// Being proved: its bb process was killed and restarted.
    Proving,
}

impl fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutPhase::Queued => "waiting in the queue",
            TimeoutPhase::Proving => "being proved",
        })
    }
}

/// Errors from the pool. The first two refuse a request at submission; every other one is the
/// answer to an accepted request, or a failure to start the pool.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// Every worker is busy and the queue is full: try again after `retry_after`.
    #[error("the prover queue is full ({held} requests held); retry after {} ms", retry_after.as_millis())]
    QueueFull {
        /// An estimate of when a slot frees up.
        retry_after: Duration,
        /// Requests held (being proved or queued) when this one was refused.
        held: usize,
    },
    /// The pool is shutting down and accepts nothing new.
    #[error("the prover pool is shutting down")]
    ShuttingDown,
    /// The request's deadline passed.
    #[error("request {request} timed out after {} ms while {phase}", after.as_millis())]
    Timeout {
        /// The request.
        request: RequestId,
        /// Time from submission to the timeout.
        after: Duration,
        /// Where it was.
        phase: TimeoutPhase,
    },
    /// The request's bb process died, and kept dying through the retries.
    #[error("bb of worker {worker} died proving request {request} ({}): {reason}", retried_text(*retried))]
    WorkerDied {
        /// The request.
        request: RequestId,
        /// The worker that held it.
        worker: usize,
        /// Whether it had been retried on a restarted bb.
        retried: bool,
        /// The last death: command, exit status, stderr tail.
        reason: Box<BbError>,
    },
    /// The prover refused the request (bb rejected the witness, the setup lacks points, ...).
    /// Not retried: the same request would fail the same way.
    #[error("request {request} failed: {source}")]
    Prover {
        /// The request.
        request: RequestId,
        /// Why.
        source: Box<ProverError>,
    },
    /// The worker holding the request stopped unexpectedly (a bug); the request was not proved.
    #[error("request {request} was abandoned: its prover worker stopped unexpectedly")]
    WorkerStopped {
        /// The request.
        request: RequestId,
    },
    /// A worker could not start its prover or prove the warm-up request.
    #[error("prover pool worker {worker} could not start: {source}")]
    Start {
        /// The worker.
        worker: usize,
        /// Why.
        source: Box<ProverError>,
    },
    /// The operating system refused a thread.
    #[error("cannot start a prover pool thread: {0}")]
    Thread(std::io::Error),
}

fn retried_text(retried: bool) -> &'static str {
    if retried {
        "after a retry on a restarted bb"
    } else {
        "not retried"
    }
}

impl PoolError {
    /// Whether the request was refused at submission for lack of room (answer 429, say).
    pub fn is_queue_full(&self) -> bool {
        matches!(self, PoolError::QueueFull { .. })
    }
}

/// A proof with how the pool made it.
#[derive(Debug, Clone)]
pub struct PooledProof {
    /// The proof.
    pub proof: Proof,
    /// The request's number.
    pub request: RequestId,
    /// The worker that proved it.
    pub worker: usize,
    /// Time in the queue.
    pub queued: Duration,
    /// Time from the worker taking it to the proof (all attempts).
    pub proving: Duration,
    /// Attempts made (1, or more after a bb death).
    pub attempts: u32,
}

/// The answer to an accepted request.
pub type PoolResult = Result<PooledProof, PoolError>;

/// How the pool is sized and how long requests may take.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    workers: NonZeroUsize,
    queue_capacity: usize,
    request_timeout: Duration,
    retries: u32,
    bb_threads: Option<NonZeroUsize>,
    warm_up: Option<ProofRequest>,
}

/// The machine's core count (1 when unknown).
pub fn available_cores() -> NonZeroUsize {
    std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)
}

impl Default for PoolConfig {
    fn default() -> PoolConfig {
        PoolConfig::new()
    }
}

impl PoolConfig {
    /// One worker per core, [`DEFAULT_QUEUE_PER_WORKER`] queue slots per worker,
    /// [`DEFAULT_REQUEST_TIMEOUT`], [`DEFAULT_RETRIES`], bb threads = cores / workers, no warm-up.
    pub fn new() -> PoolConfig {
        let workers = available_cores();
        PoolConfig {
            workers,
            queue_capacity: workers.get() * DEFAULT_QUEUE_PER_WORKER,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            retries: DEFAULT_RETRIES,
            bb_threads: None,
            warm_up: None,
        }
    }

    /// Runs `workers` bb processes (the queue keeps its current capacity).
    pub fn workers(mut self, workers: NonZeroUsize) -> PoolConfig {
        self.workers = workers;
        self
    }

    /// Lets `capacity` requests wait beyond those being proved (0: accept only when a worker is
    /// free).
    pub fn queue_capacity(mut self, capacity: usize) -> PoolConfig {
        self.queue_capacity = capacity;
        self
    }

    /// Answers a request that is not done `timeout` after submission (at most
    /// [`MAX_REQUEST_TIMEOUT`]) with a timeout.
    pub fn request_timeout(mut self, timeout: Duration) -> PoolConfig {
        self.request_timeout = timeout.min(MAX_REQUEST_TIMEOUT);
        self
    }

    /// Retries a request this many times when its bb process dies under it.
    pub fn retries(mut self, retries: u32) -> PoolConfig {
        self.retries = retries;
        self
    }

    /// Limits each bb process to `threads` threads (default: cores / workers, at least 1).
    pub fn bb_threads(mut self, threads: NonZeroUsize) -> PoolConfig {
        self.bb_threads = Some(threads);
        self
    }

    /// Proves `request` on every worker before the pool reports ready (its proof is discarded).
    pub fn warm_up(mut self, request: ProofRequest) -> PoolConfig {
        self.warm_up = Some(request);
        self
    }

    /// The number of workers.
    pub fn worker_count(&self) -> NonZeroUsize {
        self.workers
    }

    /// Queue slots beyond the workers.
    pub fn capacity(&self) -> usize {
        self.queue_capacity
    }

    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        self.request_timeout
    }

    /// Threads per bb process this configuration gives.
    pub fn threads_per_bb(&self) -> NonZeroUsize {
        self.bb_threads.unwrap_or_else(|| {
            NonZeroUsize::new(available_cores().get() / self.workers.get())
                .unwrap_or(NonZeroUsize::MIN)
        })
    }
}

/// Counters since the pool started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Requests accepted.
    pub accepted: u64,
    /// Requests refused because the queue was full.
    pub rejected_full: u64,
    /// Requests refused because the pool was shutting down.
    pub rejected_shutdown: u64,
    /// Requests answered with a proof.
    pub completed: u64,
    /// Requests answered with an error (timeouts included).
    pub failed: u64,
    /// Of those, timeouts.
    pub timed_out: u64,
    /// Attempts repeated after a bb death.
    pub retries: u64,
    /// bb processes started beyond the first of each worker (restarts after deaths and timeouts).
    pub bb_restarts: u64,
    /// Requests waiting now.
    pub queued: usize,
    /// Requests being proved now.
    pub in_flight: usize,
}

type Callback = Box<dyn FnOnce(PoolResult) + Send + 'static>;

/// The one answer a request gets: sent once by [`Reply::send`], or, if the request is dropped
/// unanswered (a worker panicked), a [`PoolError::WorkerStopped`] from `Drop`.
struct Reply {
    request: RequestId,
    callback: Option<Callback>,
}

impl Reply {
    fn send(mut self, result: PoolResult) {
        if let Some(callback) = self.callback.take() {
            callback(result);
        }
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        if let Some(callback) = self.callback.take() {
            callback(Err(PoolError::WorkerStopped {
                request: self.request,
            }));
        }
    }
}

struct Job {
    id: RequestId,
    request: ProofRequest,
    submitted: Instant,
    deadline: Instant,
    reply: Reply,
}

/// What a worker is proving, as the watchdog sees it.
struct InFlight {
    deadline: Instant,
    timed_out: bool,
}

struct Slot {
    in_flight: Option<InFlight>,
    kill: Option<KillSwitch>,
    bb_pid: Option<u32>,
    bb_starts: u64,
}

struct State {
    queue: VecDeque<Job>,
    slots: Vec<Slot>,
    accepting: bool,
    /// Workers still running their loop.
    live_workers: usize,
    stats: PoolStats,
    /// Exponentially weighted mean of recent proving times, for `retry_after`.
    service_estimate: Duration,
}

impl State {
    fn held(&self) -> usize {
        self.queue.len() + self.slots.iter().filter(|s| s.in_flight.is_some()).count()
    }
}

struct Shared {
    state: Mutex<State>,
    /// Signalled when a job is queued or the pool starts shutting down.
    work: Condvar,
    /// Signalled when the watchdog should recompute its next deadline.
    watch: Condvar,
    /// Signalled when a request is answered (for [`ProverPool::shutdown`]).
    idle: Condvar,
    next_id: AtomicU64,
    config: PoolConfig,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock means a worker panicked while holding it; the state stays consistent
        // because every critical section only moves whole jobs, so keep going.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A receipt for an accepted request: wait on it for the answer.
#[derive(Debug)]
pub struct ProofTicket {
    id: RequestId,
    answer: mpsc::Receiver<PoolResult>,
}

impl ProofTicket {
    /// The request's number.
    pub fn id(&self) -> RequestId {
        self.id
    }

    /// Blocks until the request is answered (at the latest shortly after its deadline).
    pub fn wait(self) -> PoolResult {
        self.answer
            .recv()
            .unwrap_or(Err(PoolError::WorkerStopped { request: self.id }))
    }
}

/// `N` warm provers behind a bounded queue. See the module documentation for what it promises.
/// Share it between threads by reference or in an `Arc`; every method takes `&self`.
pub struct ProverPool {
    shared: Arc<Shared>,
    threads: Mutex<Threads>,
    bb_version: String,
}

#[derive(Default)]
struct Threads {
    workers: Vec<JoinHandle<()>>,
    watchdog: Option<JoinHandle<()>>,
}

impl fmt::Debug for ProverPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProverPool({} workers)", self.shared.config.workers)
    }
}

/// What a worker needs to build its prover.
#[derive(Clone)]
struct ProverSpec {
    bb: PathBuf,
    setup: Setup,
    cache_dir: PathBuf,
    threads: NonZeroUsize,
}

impl ProverPool {
    /// Starts `config`'s workers, each with its own bb process on `setup` (binary `bb`, keys
    /// cached under `cache_dir`), proves the warm-up request on each if configured, and returns
    /// once every worker is ready. Fails, stopping whatever started, if any worker cannot start.
    pub fn start(
        bb: &Path,
        setup: &Setup,
        cache_dir: &Path,
        config: PoolConfig,
    ) -> Result<ProverPool, PoolError> {
        let workers = config.workers.get();
        let spec = ProverSpec {
            bb: bb.to_path_buf(),
            setup: setup.clone(),
            cache_dir: cache_dir.to_path_buf(),
            threads: config.threads_per_bb(),
        };
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                slots: (0..workers)
                    .map(|_| Slot {
                        in_flight: None,
                        kill: None,
                        bb_pid: None,
                        bb_starts: 0,
                    })
                    .collect(),
                accepting: true,
                live_workers: workers,
                stats: PoolStats::default(),
                service_estimate: INITIAL_SERVICE_ESTIMATE,
            }),
            work: Condvar::new(),
            watch: Condvar::new(),
            idle: Condvar::new(),
            next_id: AtomicU64::new(1),
            config,
        });
        let mut pool = ProverPool {
            shared: Arc::clone(&shared),
            threads: Mutex::new(Threads::default()),
            bb_version: String::new(),
        };
        let (ready_tx, ready_rx) = mpsc::channel::<Result<String, PoolError>>();
        for index in 0..workers {
            let shared = Arc::clone(&shared);
            let spec = spec.clone();
            let ready = ready_tx.clone();
            let handle = std::thread::Builder::new()
                .name(format!("prover-pool-{index}"))
                .spawn(move || worker_main(index, &shared, &spec, ready));
            match handle {
                Ok(h) => pool.threads().workers.push(h),
                Err(e) => {
                    pool.abort_start();
                    return Err(PoolError::Thread(e));
                }
            }
        }
        drop(ready_tx);
        for _ in 0..workers {
            match ready_rx.recv() {
                Ok(Ok(version)) => pool.bb_version = version,
                Ok(Err(e)) => {
                    pool.abort_start();
                    return Err(e);
                }
                Err(_) => {
                    pool.abort_start();
                    return Err(PoolError::Thread(std::io::Error::other(
                        "a worker stopped before it was ready",
                    )));
                }
            }
        }
        let watch = Arc::clone(&shared);
        match std::thread::Builder::new()
            .name("prover-pool-watchdog".to_string())
            .spawn(move || watchdog_main(&watch))
        {
            Ok(h) => pool.threads().watchdog = Some(h),
            Err(e) => {
                pool.abort_start();
                return Err(PoolError::Thread(e));
            }
        }
        Ok(pool)
    }

    fn abort_start(&self) {
        self.shared.lock().accepting = false;
        self.shared.work.notify_all();
        self.join_all();
    }

    fn threads(&self) -> MutexGuard<'_, Threads> {
        self.threads.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Accepts `request` and calls `on_done` with its answer, exactly once, from a pool thread
    /// (keep it short: hand the answer over, do not work in it). Refuses at once with
    /// [`PoolError::QueueFull`] or [`PoolError::ShuttingDown`], without calling `on_done`.
    pub fn submit_with<F>(&self, request: ProofRequest, on_done: F) -> Result<RequestId, PoolError>
    where
        F: FnOnce(PoolResult) + Send + 'static,
    {
        let config = &self.shared.config;
        let mut state = self.shared.lock();
        if let Some(refusal) = self.refusal(&state) {
            match refusal {
                PoolError::ShuttingDown => state.stats.rejected_shutdown += 1,
                _ => state.stats.rejected_full += 1,
            }
            return Err(refusal);
        }
        let id = RequestId(self.shared.next_id.fetch_add(1, Ordering::Relaxed));
        let now = Instant::now();
        state.queue.push_back(Job {
            id,
            request,
            submitted: now,
            deadline: now + config.request_timeout.min(MAX_REQUEST_TIMEOUT),
            reply: Reply {
                request: id,
                callback: Some(Box::new(on_done)),
            },
        });
        state.stats.accepted += 1;
        drop(state);
        self.shared.work.notify_one();
        self.shared.watch.notify_one();
        Ok(id)
    }

    /// Accepts `request` and returns a ticket to wait on; refuses like [`ProverPool::submit_with`].
    pub fn submit(&self, request: ProofRequest) -> Result<ProofTicket, PoolError> {
        let (tx, rx) = mpsc::channel();
        let id = self.submit_with(request, move |result| {
            let _ = tx.send(result);
        })?;
        Ok(ProofTicket { id, answer: rx })
    }

    /// Submits `request` and waits for its answer.
    pub fn prove(&self, request: ProofRequest) -> PoolResult {
        self.submit(request)?.wait()
    }

    /// `Ok` when a request submitted now would be accepted, otherwise the refusal
    /// [`ProverPool::submit`] would give (not counted in the stats). A hint, since another
    /// submission may take the room first: it lets a caller refuse early, before it spends time
    /// preparing a request.
    pub fn check_room(&self) -> Result<(), PoolError> {
        match self.refusal(&self.shared.lock()) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn refusal(&self, state: &State) -> Option<PoolError> {
        let config = &self.shared.config;
        if !state.accepting {
            return Some(PoolError::ShuttingDown);
        }
        let held = state.held();
        if held >= config.workers.get() + config.queue_capacity {
            let rounds = (held + 1).div_ceil(config.workers.get());
            let retry_after = state
                .service_estimate
                .saturating_mul(u32::try_from(rounds).unwrap_or(u32::MAX));
            return Some(PoolError::QueueFull { retry_after, held });
        }
        None
    }

    /// What `bb --version` printed for the pool's bb (every worker runs the same binary).
    pub fn bb_version(&self) -> &str {
        &self.bb_version
    }

    /// The configuration the pool runs with.
    pub fn config(&self) -> &PoolConfig {
        &self.shared.config
    }

    /// Counters since the pool started, and what it holds now.
    pub fn stats(&self) -> PoolStats {
        let state = self.shared.lock();
        let mut stats = state.stats;
        stats.queued = state.queue.len();
        stats.in_flight = state.held() - state.queue.len();
        stats.bb_restarts = state
            .slots
            .iter()
            .map(|s| s.bb_starts.saturating_sub(1))
            .sum();
        stats
    }

    /// The process id of each worker's bb, as of its last request (for diagnostics and tests).
    pub fn bb_pids(&self) -> Vec<Option<u32>> {
        self.shared.lock().slots.iter().map(|s| s.bb_pid).collect()
    }

    /// Stops accepting requests (from now on [`ProverPool::submit`] answers
    /// [`PoolError::ShuttingDown`]), waits until every accepted request is answered, then stops
    /// the workers and their bb processes. Returns the final counters. Calling it again (or
    /// dropping the pool afterwards) does nothing more.
    pub fn shutdown(&self) -> PoolStats {
        self.stop_and_join();
        self.stats()
    }

    /// Whether [`ProverPool::shutdown`] has begun.
    pub fn is_shutting_down(&self) -> bool {
        !self.shared.lock().accepting
    }

    fn stop_and_join(&self) {
        {
            let mut state = self.shared.lock();
            state.accepting = false;
            while state.held() > 0 && state.live_workers > 0 {
                state = self
                    .shared
                    .idle
                    .wait(state)
                    .unwrap_or_else(|p| p.into_inner());
            }
        }
        self.shared.work.notify_all();
        self.shared.watch.notify_all();
        self.join_all();
    }

    fn join_all(&self) {
        self.shared.work.notify_all();
        let mut threads = self.threads();
        for handle in threads.workers.drain(..) {
            let _ = handle.join();
        }
        // Anything still queued now has no worker (they all stopped abnormally): answer it.
        let orphans: Vec<Job> = self.shared.lock().queue.drain(..).collect();
        drop(orphans);
        self.shared.watch.notify_all();
        if let Some(handle) = threads.watchdog.take() {
            let _ = handle.join();
        }
    }
}

impl Drop for ProverPool {
    /// Same as [`ProverPool::shutdown`]: accepted requests are finished, not dropped.
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Counts a worker out when its loop ends, however it ends (a panic included: the request it
/// held is answered by its [`Reply`] and unmarked here), so shutdown never waits for it.
struct WorkerExit<'a> {
    index: usize,
    shared: &'a Shared,
}

impl Drop for WorkerExit<'_> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        if state.slots[self.index].in_flight.take().is_some() {
            state.stats.failed += 1;
        }
        state.slots[self.index].kill = None;
        state.live_workers = state.live_workers.saturating_sub(1);
        if state.live_workers == 0 {
            // No one is left to prove what is queued: answer it (the replies say why).
            let orphans: Vec<Job> = state.queue.drain(..).collect();
            drop(state);
            drop(orphans);
        } else {
            drop(state);
        }
        self.shared.idle.notify_all();
        self.shared.watch.notify_all();
    }
}

fn worker_main(
    index: usize,
    shared: &Shared,
    spec: &ProverSpec,
    ready: mpsc::Sender<Result<String, PoolError>>,
) {
    let _exit = WorkerExit { index, shared };
    let start_error = |source: ProverError| PoolError::Start {
        worker: index,
        source: Box::new(source),
    };
    let mut prover =
        match Prover::with_bb_threads(&spec.bb, &spec.setup, &spec.cache_dir, Some(spec.threads)) {
            Ok(p) => p,
            Err(e) => {
                let _ = ready.send(Err(start_error(e)));
                return;
            }
        };
    if let Some(warm) = &shared.config.warm_up {
        if let Err(e) = prover.prove(&warm.circuit, &warm.witness, warm.target) {
            let _ = ready.send(Err(start_error(e)));
            return;
        }
    }
    {
        let mut state = shared.lock();
        let slot = &mut state.slots[index];
        slot.kill = Some(prover.kill_switch());
        slot.bb_pid = prover.bb_pid();
        slot.bb_starts = prover.stats().bb_starts;
    }
    if ready.send(Ok(prover.bb_version().to_string())).is_err() {
        return;
    }
    drop(ready);
    while let Some(job) = next_job(index, shared) {
        let (result, reply) = run_job(index, shared, &mut prover, job);
        reply.send(result);
        shared.idle.notify_all();
    }
}

/// Waits for a job and marks it in flight on worker `index`; `None` when the pool is shutting
/// down and the queue is empty.
fn next_job(index: usize, shared: &Shared) -> Option<Job> {
    let mut state = shared.lock();
    loop {
        if let Some(job) = state.queue.pop_front() {
            state.slots[index].in_flight = Some(InFlight {
                deadline: job.deadline,
                timed_out: false,
            });
            drop(state);
            shared.watch.notify_one();
            return Some(job);
        }
        if !state.accepting {
            return None;
        }
        state = shared.work.wait(state).unwrap_or_else(|p| p.into_inner());
    }
}

/// Proves `job` on worker `index` (retrying after bb deaths), clears the in-flight mark, updates
/// the counters, and returns the answer with the reply to send it on.
fn run_job(index: usize, shared: &Shared, prover: &mut Prover, job: Job) -> (PoolResult, Reply) {
    let Job {
        id,
        request,
        submitted,
        deadline,
        reply,
    } = job;
    let taken = Instant::now();
    let queued = taken.saturating_duration_since(submitted);
    let retries = shared.config.retries;
    let mut attempts = 0u32;
    let result = loop {
        if Instant::now() >= deadline {
            let phase = if attempts == 0 {
                TimeoutPhase::Queued
            } else {
                TimeoutPhase::Proving
            };
            break Err(PoolError::Timeout {
                request: id,
                after: submitted.elapsed(),
                phase,
            });
        }
        attempts += 1;
        let outcome = prover.prove(&request.circuit, &request.witness, request.target);
        let timed_out = {
            let mut state = shared.lock();
            let slot = &mut state.slots[index];
            slot.bb_pid = prover.bb_pid();
            slot.in_flight.as_ref().is_some_and(|f| f.timed_out)
        };
        if timed_out {
            // The watchdog killed bb (maybe just after it answered): start a fresh one now.
            let _ = prover.restart();
            break Err(PoolError::Timeout {
                request: id,
                after: submitted.elapsed(),
                phase: TimeoutPhase::Proving,
            });
        }
        match outcome {
            Ok(proof) => {
                break Ok(PooledProof {
                    proof,
                    request: id,
                    worker: index,
                    queued,
                    proving: taken.elapsed(),
                    attempts,
                })
            }
            Err(ProverError::Bb(died @ BbError::Died { .. })) => {
                if attempts > retries {
                    break Err(PoolError::WorkerDied {
                        request: id,
                        worker: index,
                        retried: attempts > 1,
                        reason: Box::new(died),
                    });
                }
                shared.lock().stats.retries += 1;
            }
            Err(e) => {
                break Err(PoolError::Prover {
                    request: id,
                    source: Box::new(e),
                })
            }
        }
    };
    let mut state = shared.lock();
    let slot = &mut state.slots[index];
    slot.in_flight = None;
    slot.bb_pid = prover.bb_pid();
    slot.bb_starts = prover.stats().bb_starts;
    match &result {
        Ok(p) => {
            state.stats.completed += 1;
            // Weight 1/8: follows a change of load within a few proofs.
            let mean = state.service_estimate;
            state.service_estimate = (mean * 7 + p.proving / p.attempts.max(1)) / 8;
        }
        Err(e) => {
            state.stats.failed += 1;
            if matches!(e, PoolError::Timeout { .. }) {
                state.stats.timed_out += 1;
            }
        }
    }
    (result, reply)
}

/// Answers queued requests whose deadline passed and kills the bb of in-flight ones.
fn watchdog_main(shared: &Shared) {
    let mut state = shared.lock();
    loop {
        if !state.accepting && state.live_workers == 0 {
            return;
        }
        let now = Instant::now();
        let mut expired = Vec::new();
        let mut i = 0;
        while i < state.queue.len() {
            if state.queue[i].deadline <= now {
                if let Some(job) = state.queue.remove(i) {
                    expired.push(job);
                }
            } else {
                i += 1;
            }
        }
        for slot in state.slots.iter_mut() {
            if let Some(f) = slot.in_flight.as_mut() {
                if f.deadline <= now && !f.timed_out {
                    f.timed_out = true;
                    // Killed under the lock: the worker cannot have moved on to another job.
                    if let Some(kill) = &slot.kill {
                        kill.kill();
                    }
                }
            }
        }
        let next = state
            .queue
            .iter()
            .map(|j| j.deadline)
            .chain(
                state
                    .slots
                    .iter()
                    .filter_map(|s| s.in_flight.as_ref())
                    .filter(|f| !f.timed_out)
                    .map(|f| f.deadline),
            )
            .min();
        if !expired.is_empty() {
            state.stats.failed += expired.len() as u64;
            state.stats.timed_out += expired.len() as u64;
            drop(state);
            for job in expired {
                let after = job.submitted.elapsed();
                job.reply.send(Err(PoolError::Timeout {
                    request: job.id,
                    after,
                    phase: TimeoutPhase::Queued,
                }));
            }
            shared.idle.notify_all();
            state = shared.lock();
            continue;
        }
        let wait = next
            .map(|d| d.saturating_duration_since(now))
            .unwrap_or(Duration::from_secs(3600));
        state = shared
            .watch
            .wait_timeout(state, wait)
            .map(|(s, _)| s)
            .unwrap_or_else(|p| p.into_inner().0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_dropped_unanswered_says_the_worker_stopped() {
        let (tx, rx) = mpsc::channel();
        let reply = Reply {
            request: RequestId(7),
            callback: Some(Box::new(move |r| {
                let _ = tx.send(r);
            })),
        };
        drop(reply);
        let answers: Vec<PoolResult> = rx.iter().collect();
        assert_eq!(answers.len(), 1);
        assert!(matches!(
            answers[0],
            Err(PoolError::WorkerStopped {
                request: RequestId(7)
            })
        ));
    }

    #[test]
    fn a_reply_sent_is_answered_once() {
        let (tx, rx) = mpsc::channel();
        let reply = Reply {
            request: RequestId(8),
            callback: Some(Box::new(move |r| {
                let _ = tx.send(r);
            })),
        };
        reply.send(Err(PoolError::ShuttingDown));
        let answers: Vec<PoolResult> = rx.iter().collect();
        assert_eq!(answers.len(), 1);
        assert!(matches!(answers[0], Err(PoolError::ShuttingDown)));
    }

    #[test]
    fn default_threads_split_the_cores() {
        let config = PoolConfig::new().workers(NonZeroUsize::MIN);
        assert_eq!(config.threads_per_bb(), available_cores());
        let many = PoolConfig::new().workers(NonZeroUsize::new(4096).unwrap_or(NonZeroUsize::MIN));
        assert_eq!(many.threads_per_bb(), NonZeroUsize::MIN);
    }

    #[test]
    fn errors_read_as_one_line() {
        let e = PoolError::QueueFull {
            retry_after: Duration::from_millis(1500),
            held: 6,
        };
        assert_eq!(
            e.to_string(),
            "the prover queue is full (6 requests held); retry after 1500 ms"
        );
        assert!(e.is_queue_full());
        let t = PoolError::Timeout {
            request: RequestId(3),
            after: Duration::from_millis(250),
            phase: TimeoutPhase::Queued,
        };
        assert_eq!(
            t.to_string(),
            "request #3 timed out after 250 ms while waiting in the queue"
        );
    }
}
