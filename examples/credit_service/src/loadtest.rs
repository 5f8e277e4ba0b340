//! A bounded load test on loopback: starts the service as one or more child processes (replicas
//! sharing one database), sends decisions round robin at a steady rate with bursts above
//! capacity, optionally injects faults (a replica SIGKILLed, the database restarted, a bb process
//! killed), takes a checkpoint half way and one at the end, stops the replicas with SIGTERM (so
//! graceful shutdown is part of the test), then audits the database and the transparency log
//! against every answer the client received.
//!
//! The client is bounded three ways: at most `max_in_flight` open requests (beyond that, a planned
//! request is skipped and counted), a fixed duration, and a per-request timeout. It talks to
//! `127.0.0.1` only and stops by itself.
//!
//! The audit passes when: the log's indexes run 0, 1, 2... without a gap; every decision answered
//! 201 is in the log exactly once, with the receipt the client was given; nothing is in the log
//! that was not answered 201, except requests that got no answer at all (a killed replica's: they
//! may be logged whole, or absent); every logged entry is the entry of its stored bundle; every
//! logged bundle verifies; both checkpoints verify under the log key, the final one's root is the
//! root of the stored leaves, every decision's inclusion proof (fetched round robin) checks against
//! it, and the consistency proof from the half-way checkpoint checks; every deliberately repeated
//! decision id was refused with 409; and every replica not killed on purpose exited cleanly.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use govproof::bundle::Verdict;
use govproof::registry::Timestamp;
use govproof::setup::Setup;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use govproof::translog::{verify_consistency, verify_inclusion, LogEntry, SignedCheckpoint, Tree};

use crate::deployment::Deployment;
use crate::engine::Engine;
use crate::service::Receipt;
use crate::store::DatabaseUrl;
use crate::transparency::LogKey;

/// How long the service may take to start (key, warm-up proofs).
const START_TIMEOUT: Duration = Duration::from_secs(300);
/// How long the service may take to finish accepted work and exit after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(300);
/// One request's client-side limit (well above the service's own proving timeout).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// Every this many completed decisions, the client re-sends one id (it must get 409).
const DUPLICATE_EVERY: u64 = 10;
/// Decisions used to measure capacity when no rate is given.
const CALIBRATION_DECISIONS: usize = 8;

/// What load to apply.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// How long to send.
    pub duration: Duration,
    /// Steady requests per second; `None`: 90% of a capacity measured first.
    pub rate: Option<f64>,
    /// Time between bursts.
    pub burst_every: Duration,
    /// Requests fired at once per burst.
    pub burst_size: usize,
    /// Most requests open at once.
    pub max_in_flight: usize,
    /// Faults to inject during the load.
    pub faults: Faults,
}

/// Faults injected during the load, each at a time from its start.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// SIGKILL the last replica (it leaves the rotation at once, as a load balancer's health
    /// check would take it out).
    pub kill_replica_after: Option<Duration>,
    /// Run this shell command (which restarts the database).
    pub restart_database: Option<(Duration, String)>,
    /// SIGKILL one bb process of the first replica.
    pub kill_bb_after: Option<Duration>,
}

/// How long after a fault its cost is counted.
const FAULT_WINDOW: Duration = Duration::from_secs(15);

/// How to start the service and where it keeps its state.
#[derive(Debug, Clone)]
pub struct ServerSpec {
    /// The `credit-service` binary.
    pub exe: PathBuf,
    /// Its arguments (`serve ...` with `--listen 127.0.0.1:0`).
    pub args: Vec<String>,
    /// How many replicas to start with those arguments.
    pub replicas: usize,
    /// The database they share.
    pub database: DatabaseUrl,
    /// The file of the key that signs their checkpoints.
    pub log_key: PathBuf,
    /// Its verification-key cache.
    pub keys_dir: PathBuf,
    /// Its deployment folder (for the registry root and the policy a regulator would use).
    pub deployment: PathBuf,
    /// The bb binary (for verifying bundles).
    pub bb: PathBuf,
    /// Its setup (for the verification key and which proofs to accept).
    pub setup: Setup,
}

/// What the client saw, and what the audit found.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Seconds of load.
    pub duration_secs: f64,
    /// The steady rate used.
    pub rate: f64,
    /// Capacity measured before the load (decisions per second), if measured.
    pub measured_capacity: Option<f64>,
    /// Decisions completed while measuring capacity (counted in the totals, not in the
    /// throughput).
    pub calibration_completed: u64,
    /// Requests sent (first sends of an id; repeats counted apart).
    pub sent: u64,
    /// Planned requests not sent because `max_in_flight` were open.
    pub skipped: u64,
    /// Answered 201: proved, logged, returned.
    pub completed: u64,
    /// Answered 429.
    pub rejected_busy: u64,
    /// 429 answers without a `Retry-After` header.
    pub missing_retry_after: u64,
    /// Answered 5xx after being accepted.
    pub failed: u64,
    /// Requests with no HTTP answer (connection error, client timeout).
    pub transport_errors: u64,
    /// Other 4xx answers to first sends.
    pub other_4xx: u64,
    /// Repeated ids sent.
    pub duplicates_sent: u64,
    /// Repeats answered 409.
    pub duplicates_refused: u64,
    /// 201 latency, p50 and p95 (ms).
    pub latency_ms: (f64, f64),
    /// Entries in the log after the service stopped.
    pub logged: u64,
    /// Answered 201 but not in the log (lost).
    pub lost: Vec<String>,
    /// In the log but never answered 201.
    pub unacknowledged: Vec<String>,
    /// Logged entries whose receipt differs from the one returned.
    pub receipt_mismatches: u64,
    /// Logged bundles that verified.
    pub bundles_verified: u64,
    /// Logged bundles that did not verify, with why.
    pub bundles_failed: Vec<(String, String)>,
    /// The log's chain problem, if any.
    pub log_error: Option<String>,
    /// Peak resident memory of the service process (MiB).
    pub peak_service_mib: Option<f64>,
    /// Sum of the peak resident memory of its bb processes (MiB).
    pub peak_bb_mib: Option<f64>,
    /// How the service exited.
    pub server_exit: String,
    /// Whether that was a clean exit.
    pub server_clean: bool,
    /// The end of what the service printed.
    pub server_said: String,
    /// Load average before and after.
    pub load: (String, String),
    /// Replicas started.
    pub replicas: usize,
    /// Logged decisions whose request got no answer (a killed replica's): allowed, if whole.
    pub logged_unanswered: u64,
    /// Inclusion proofs checked against the final checkpoint.
    pub inclusion_checked: u64,
    /// Decisions whose inclusion proof did not check (id and why).
    pub inclusion_failed: Vec<(String, String)>,
    /// The half-way and final checkpoints' sizes.
    pub checkpoint_sizes: (u64, u64),
    /// What went wrong with the checkpoints or the consistency proof, if anything.
    pub checkpoint_error: Option<String>,
    /// What each injected fault cost.
    pub fault_costs: Vec<String>,
}

impl LoadReport {
    /// Whether the audit found nothing lost, duplicated, unverifiable or broken.
    pub fn passed(&self) -> bool {
        self.lost.is_empty()
            && self.unacknowledged.is_empty()
            && self.receipt_mismatches == 0
            && self.bundles_failed.is_empty()
            && self.log_error.is_none()
            && self.inclusion_failed.is_empty()
            && self.checkpoint_error.is_none()
            && self.duplicates_refused == self.duplicates_sent
            && self.missing_retry_after == 0
            && self.server_clean
    }

    /// The report as Markdown.
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let mib = |v: Option<f64>| v.map_or("unknown".to_string(), |m| format!("{m:.0} MiB"));
        s.push_str(&format!("## Load test ({} replica(s))\n\n", self.replicas));
        s.push_str(&format!(
            "{:.0} s at {:.2} requests/s{} with bursts; load average before {}, after {}.\n\n",
            self.duration_secs,
            self.rate,
            self.measured_capacity
                .map(|c| format!(" (measured capacity {c:.2}/s)"))
                .unwrap_or_default(),
            self.load.0,
            self.load.1
        ));
        s.push_str("| measure | value |\n| --- | --- |\n");
        let rows: Vec<(&str, String)> = vec![
            ("sent", self.sent.to_string()),
            (
                "accepted (201 or failed after acceptance)",
                (self.completed + self.failed).to_string(),
            ),
            ("completed (201, logged)", self.completed.to_string()),
            ("rejected with 429", self.rejected_busy.to_string()),
            (
                "429 without Retry-After",
                self.missing_retry_after.to_string(),
            ),
            ("failed after acceptance (5xx)", self.failed.to_string()),
            (
                "no answer (transport error)",
                self.transport_errors.to_string(),
            ),
            ("other 4xx", self.other_4xx.to_string()),
            ("skipped by the bounded client", self.skipped.to_string()),
            (
                "repeated ids refused with 409",
                format!("{} of {}", self.duplicates_refused, self.duplicates_sent),
            ),
            (
                "201 latency p50 / p95",
                format!("{:.0} ms / {:.0} ms", self.latency_ms.0, self.latency_ms.1),
            ),
            (
                "throughput under load (201 per second)",
                format!(
                    "{:.2}",
                    (self.completed - self.calibration_completed) as f64
                        / self.duration_secs.max(1e-9)
                ),
            ),
            ("log entries", self.logged.to_string()),
            ("lost (201 but not logged)", self.lost.len().to_string()),
            (
                "logged without a 201",
                self.unacknowledged.len().to_string(),
            ),
            ("receipt mismatches", self.receipt_mismatches.to_string()),
            (
                "bundles verified",
                format!(
                    "{} ({} failed)",
                    self.bundles_verified,
                    self.bundles_failed.len()
                ),
            ),
            (
                "logged without an answer (killed mid-request, whole)",
                self.logged_unanswered.to_string(),
            ),
            (
                "log indexes and entries",
                self.log_error
                    .clone()
                    .unwrap_or_else(|| "contiguous, each the entry of its bundle".to_string()),
            ),
            (
                "checkpoints (half way, final)",
                format!(
                    "{} / {}: {}",
                    self.checkpoint_sizes.0,
                    self.checkpoint_sizes.1,
                    self.checkpoint_error.clone().unwrap_or_else(|| {
                        "signed, final root = stored leaves, consistent".to_string()
                    })
                ),
            ),
            (
                "inclusion proofs checked against the final checkpoint",
                format!(
                    "{} ({} failed)",
                    self.inclusion_checked,
                    self.inclusion_failed.len()
                ),
            ),
            ("peak memory, service process", mib(self.peak_service_mib)),
            ("peak memory, its bb processes (sum)", mib(self.peak_bb_mib)),
            ("service exit", self.server_exit.clone()),
        ];
        for (k, v) in rows {
            s.push_str(&format!("| {k} | {v} |\n"));
        }
        if !self.fault_costs.is_empty() {
            s.push_str("\nFaults:\n\n");
            for f in &self.fault_costs {
                s.push_str(&format!("- {f}\n"));
            }
        }
        s.push_str(&format!(
            "\nResult: **{}**\n",
            if self.passed() { "passed" } else { "FAILED" }
        ));
        s
    }
}

/// What the client recorded for one answered request.
#[derive(Debug, Clone)]
enum Answer {
    Created { receipt: Receipt, latency: Duration },
    Busy { retry_after: bool },
    Failed,
    OtherClientError,
    Conflict,
    Unanswered,
}

/// One request as the client saw it: when it was sent (from the start of the load), how long
/// it took, and whether it failed (5xx or no answer).
#[derive(Debug, Clone, Copy)]
struct Sample {
    sent_at: Duration,
    took: Duration,
    failed: bool,
}

#[derive(Default)]
struct Tally {
    created: HashMap<String, Receipt>,
    unanswered: HashSet<String>,
    latencies: Vec<Duration>,
    samples: Vec<Sample>,
    report: LoadReport,
}

impl Tally {
    fn record(&mut self, id: String, repeat: bool, answer: Answer) {
        let r = &mut self.report;
        if repeat {
            if matches!(answer, Answer::Conflict) {
                r.duplicates_refused += 1;
            }
            return;
        }
        match answer {
            Answer::Created { receipt, latency } => {
                r.completed += 1;
                self.latencies.push(latency);
                self.created.insert(id, receipt);
            }
            Answer::Busy { retry_after } => {
                r.rejected_busy += 1;
                if !retry_after {
                    r.missing_retry_after += 1;
                }
            }
            Answer::Failed => r.failed += 1,
            Answer::OtherClientError | Answer::Conflict => r.other_4xx += 1,
            Answer::Unanswered => {
                r.transport_errors += 1;
                self.unanswered.insert(id);
            }
        }
    }
}

/// Random features inside the declared range of each of the policy's features (`ranges` as
/// `GET /policy` lists them), rounded to whole numbers.
fn features(ranges: &[(f64, f64)], seed: u64) -> Vec<f64> {
    let mut state = seed;
    ranges
        .iter()
        .map(|&(min, max)| {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            let unit = (z ^ (z >> 31)) as f64 / u64::MAX as f64;
            (min + unit * (max - min)).round().clamp(min, max)
        })
        .collect()
}

async fn post(
    client: &reqwest::Client,
    base: &str,
    id: &str,
    ranges: &[(f64, f64)],
    seed: u64,
) -> Answer {
    let started = Instant::now();
    let body = json!({ "decision_id": id, "features": features(ranges, seed) });
    let response = match client
        .post(format!("{base}/decisions"))
        .json(&body)
        .send()
        .await
    {
        Ok(r) => r,
        Err(_) => return Answer::Unanswered,
    };
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .contains_key(reqwest::header::RETRY_AFTER);
    let value: Option<Value> = response.json().await.ok();
    match status {
        201 => match value
            .as_ref()
            .and_then(|v| serde_json::from_value::<Receipt>(v["receipt"].clone()).ok())
        {
            Some(receipt) if value.as_ref().is_some_and(|v| v["bundle"].is_object()) => {
                Answer::Created {
                    receipt,
                    latency: started.elapsed(),
                }
            }
            _ => Answer::Failed,
        },
        429 => Answer::Busy { retry_after },
        409 => Answer::Conflict,
        400..=499 => Answer::OtherClientError,
        _ => Answer::Failed,
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_string())
}

/// Peak resident memory (`VmHWM`) of `pid` in MiB (Linux).
fn peak_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<f64>().ok()? / 1024.0)
}

/// The process ids whose parent is `parent` (Linux).
fn children(parent: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| {
                    let rest = s.rsplit_once(')')?.1.to_string();
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(parent)
        })
        .collect()
}

fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

/// One started replica.
struct Replica {
    child: tokio::process::Child,
    pid: u32,
    base: String,
    said: tokio::task::JoinHandle<String>,
}

async fn start_replica(server: &ServerSpec) -> anyhow::Result<Replica> {
    let mut child = tokio::process::Command::new(&server.exe)
        .args(&server.args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start `{}`", server.exe.display()))?;
    let pid = child
        .id()
        .ok_or_else(|| anyhow!("the service exited at once"))?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
    let mut stderr = child.stderr.take().ok_or_else(|| anyhow!("no stderr"))?;
    let said = tokio::spawn(async move {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text).await;
        text
    });
    let mut lines = BufReader::new(stdout).lines();
    let addr = tokio::time::timeout(START_TIMEOUT, async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(addr) = line.strip_prefix("listening on ") {
                return Some(addr.trim().to_string());
            }
        }
        None
    })
    .await
    .ok()
    .flatten();
    let Some(addr) = addr else {
        let _ = child.kill().await;
        let said = said.await.unwrap_or_default();
        return Err(anyhow!("the service did not start: {}", tail(&said)));
    };
    if !addr.starts_with("127.0.0.1:") {
        let _ = child.kill().await;
        return Err(anyhow!("the service listens on `{addr}`, not on loopback"));
    }
    // Keep draining stdout so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(Replica {
        child,
        pid,
        base: format!("http://{addr}"),
        said,
    })
}

fn signal(pid: u32, sig: &str) {
    let _ = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status();
}

/// The name of process `pid` (Linux).
fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

async fn fetch_checkpoint(
    client: &reqwest::Client,
    base: &str,
    key: &ed25519_dalek::VerifyingKey,
) -> Result<SignedCheckpoint, String> {
    let text = client
        .get(format!("{base}/log/checkpoint"))
        .send()
        .await
        .map_err(|e| format!("GET /log/checkpoint: {e}"))?
        .text()
        .await
        .map_err(|e| format!("GET /log/checkpoint: {e}"))?;
    let note = SignedCheckpoint::parse(&text).map_err(|e| format!("the checkpoint: {e}"))?;
    note.verify(key)
        .map_err(|e| format!("the checkpoint of size {}: {e}", note.checkpoint.size))?;
    Ok(note)
}

/// Runs the whole test: start, (calibrate,) load with faults, checkpoints, stop, audit.
/// `progress` gets one line per phase.
pub async fn run(
    server: &ServerSpec,
    plan: LoadPlan,
    progress: &mut (dyn FnMut(&str) + Send),
) -> anyhow::Result<LoadReport> {
    let load_before = load_average();
    let mut replicas = Vec::new();
    for k in 0..server.replicas.max(1) {
        let r = start_replica(server).await?;
        progress(&format!(
            "replica {k} (pid {}) listening on {}",
            r.pid, r.base
        ));
        replicas.push(r);
    }
    let log_key = LogKey::load_or_create(&server.log_key, "audit")?
        .key
        .verifying_key();
    let live: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(
        replicas.iter().map(|r| r.base.clone()).collect(),
    ));
    let turn = Arc::new(AtomicUsize::new(0));
    let pick = {
        let live = Arc::clone(&live);
        let turn = Arc::clone(&turn);
        move || {
            let live = live.lock().unwrap_or_else(|p| p.into_inner());
            let k = turn.fetch_add(1, Ordering::Relaxed);
            live[k % live.len().max(1)].clone()
        }
    };
    let base = replicas[0].base.clone();

    let client = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .context("cannot build the HTTP client")?;
    let schema: Value = client
        .get(format!("{base}/policy"))
        .send()
        .await
        .context("GET /policy")?
        .json()
        .await
        .context("GET /policy")?;
    let ranges: Arc<Vec<(f64, f64)>> = Arc::new(
        schema["features"]
            .as_array()
            .ok_or_else(|| anyhow!("GET /policy lists no features"))?
            .iter()
            .map(|f| {
                (
                    f["min"].as_f64().unwrap_or(0.0),
                    f["max"].as_f64().unwrap_or(0.0),
                )
            })
            .collect(),
    );
    let tally = Arc::new(Mutex::new(Tally::default()));
    let run_tag = std::process::id();
    let started = Instant::now();

    // Capacity, unless a rate was given: closed-loop decisions, two at a time.
    let (rate, measured) = match plan.rate {
        Some(r) => (r, None),
        None => {
            let cal_started = Instant::now();
            let mut set = JoinSet::new();
            for k in 0..CALIBRATION_DECISIONS * server.replicas.max(1) {
                let (client, tally) = (client.clone(), Arc::clone(&tally));
                let ranges = Arc::clone(&ranges);
                let base = pick();
                set.spawn(async move {
                    let id = format!("cal-{run_tag}-{k}");
                    let answer = post(&client, &base, &id, &ranges, k as u64).await;
                    let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
                    t.report.sent += 1;
                    t.record(id, false, answer);
                });
                if set.len() >= 2 * server.replicas.max(1) {
                    set.join_next().await;
                }
            }
            while set.join_next().await.is_some() {}
            let completed = tally
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .report
                .completed;
            let capacity = completed as f64 / cal_started.elapsed().as_secs_f64();
            progress(&format!("measured capacity: {capacity:.2} decisions/s"));
            ((capacity * 0.9).max(0.1), Some(capacity))
        }
    };
    let calibration_completed = tally
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .report
        .completed;

    // The load: a steady tick plus bursts, never more than `max_in_flight` open.
    progress(&format!(
        "loading at {rate:.2}/s for {} s, bursts of {} every {} s",
        plan.duration.as_secs(),
        plan.burst_size,
        plan.burst_every.as_secs()
    ));
    let open = Arc::new(Semaphore::new(plan.max_in_flight.max(1)));
    let mut set = JoinSet::new();
    let started = {
        let _ = started;
        Instant::now()
    };
    let mut next_tick = started;
    let period = Duration::from_secs_f64(1.0 / rate.max(0.01));
    let mut next_burst = started + plan.burst_every;
    let mut seq = 0u64;
    let mut dup_marks = 0u64;
    let spawn_one = |set: &mut JoinSet<()>, seq: u64, repeat_of: Option<String>| {
        let Ok(permit) = Arc::clone(&open).try_acquire_owned() else {
            return false;
        };
        let (client, tally) = (client.clone(), Arc::clone(&tally));
        let ranges = Arc::clone(&ranges);
        let base = pick();
        set.spawn(async move {
            let repeat = repeat_of.is_some();
            let id = repeat_of.unwrap_or_else(|| format!("lt-{run_tag}-{seq}"));
            let sent_at = started.elapsed();
            let answer = post(&client, &base, &id, &ranges, seq).await;
            let took = started.elapsed() - sent_at;
            drop(permit);
            let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
            if repeat {
                t.report.duplicates_sent += 1;
            } else {
                t.report.sent += 1;
                let failed = matches!(answer, Answer::Failed | Answer::Unanswered);
                t.samples.push(Sample {
                    sent_at,
                    took,
                    failed,
                });
            }
            t.record(id, repeat, answer);
        });
        true
    };
    let mut early: Option<Result<SignedCheckpoint, String>> = None;
    let mut faults_at: Vec<(String, Duration)> = Vec::new();
    let mut killed: Option<usize> = None;
    let mut restart = plan.faults.restart_database.clone();
    let mut kill_replica = plan.faults.kill_replica_after;
    let mut kill_bb = plan.faults.kill_bb_after;
    while started.elapsed() < plan.duration {
        let now = Instant::now();
        if now >= next_tick {
            seq += 1;
            if !spawn_one(&mut set, seq, None) {
                tally
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .report
                    .skipped += 1;
            }
            next_tick += period;
        }
        if plan.burst_size > 0 && now >= next_burst {
            for _ in 0..plan.burst_size {
                seq += 1;
                if !spawn_one(&mut set, seq, None) {
                    tally
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .report
                        .skipped += 1;
                }
            }
            next_burst += plan.burst_every;
        }
        // Re-send one completed id every DUPLICATE_EVERY completions.
        let repeat = {
            let t = tally.lock().unwrap_or_else(|p| p.into_inner());
            if t.report.completed / DUPLICATE_EVERY > dup_marks {
                t.created.keys().next().cloned()
            } else {
                None
            }
        };
        if let Some(id) = repeat {
            dup_marks += 1;
            spawn_one(&mut set, 0, Some(id));
        }
        let elapsed = started.elapsed();
        if early.is_none() && elapsed >= plan.duration / 2 {
            early = Some(fetch_checkpoint(&client, &pick(), &log_key).await);
            progress("took the half-way checkpoint");
        }
        if kill_replica.is_some_and(|at| elapsed >= at) && replicas.len() > 1 {
            kill_replica = None;
            let k = replicas.len() - 1;
            live.lock()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|b| *b != replicas[k].base);
            signal(replicas[k].pid, "-KILL");
            killed = Some(k);
            faults_at.push((format!("replica {k} SIGKILLed mid-load"), elapsed));
            progress(&format!(
                "fault: SIGKILL replica {k} (pid {})",
                replicas[k].pid
            ));
        }
        if kill_bb.is_some_and(|at| elapsed >= at) {
            kill_bb = None;
            let bbs: Vec<u32> = children(replicas[0].pid)
                .into_iter()
                .filter(|p| comm(*p) == "bb")
                .collect();
            if let Some(bb) = bbs.first() {
                signal(*bb, "-KILL");
                faults_at.push((format!("bb process {bb} of replica 0 SIGKILLed"), elapsed));
                progress(&format!("fault: SIGKILL bb {bb}"));
            }
        }
        if restart.as_ref().is_some_and(|(at, _)| elapsed >= *at) {
            if let Some((_, command)) = restart.take() {
                let t0 = Instant::now();
                let status = tokio::process::Command::new("sh")
                    .args(["-c", &command])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .status()
                    .await;
                faults_at.push((
                    format!(
                        "database restarted ({} s, {})",
                        format_args!("{:.1}", t0.elapsed().as_secs_f64()),
                        status.map_or_else(|e| e.to_string(), |s| s.to_string())
                    ),
                    elapsed,
                ));
                progress("fault: database restarted");
            }
        }
        while set.try_join_next().is_some() {}
        let wake = next_tick.min(next_burst).min(started + plan.duration);
        tokio::time::sleep_until(tokio::time::Instant::from_std(
            wake.max(Instant::now())
                .min(Instant::now() + Duration::from_millis(200)),
        ))
        .await;
    }
    progress("load done; waiting for open requests");
    while set.join_next().await.is_some() {}
    let duration_secs = started.elapsed().as_secs_f64();

    // The final checkpoint, and the proofs, round robin over the live replicas.
    let final_cp = fetch_checkpoint(&client, &pick(), &log_key).await;
    let early = early.unwrap_or_else(|| Err("no half-way checkpoint was taken".to_string()));
    let mut checkpoint_error = None;
    let mut inclusion_failed = Vec::new();
    let mut inclusion_checked = 0u64;
    let mut sizes = (0, 0);
    match (&early, &final_cp) {
        (Ok(e), Ok(f)) => {
            sizes = (e.checkpoint.size, f.checkpoint.size);
            let answer: Result<Value, String> = async {
                client
                    .get(format!(
                        "{}/log/consistency?from={}&to={}",
                        pick(),
                        e.checkpoint.size,
                        f.checkpoint.size
                    ))
                    .send()
                    .await
                    .map_err(|e| e.to_string())?
                    .json()
                    .await
                    .map_err(|e| e.to_string())
            }
            .await;
            let proof = answer.and_then(|v| hashes(&v["proof"]));
            if let Err(why) = proof.and_then(|p| {
                verify_consistency(
                    e.checkpoint.size,
                    f.checkpoint.size,
                    &e.checkpoint.root,
                    &f.checkpoint.root,
                    &p,
                )
                .map_err(|e| e.to_string())
            }) {
                checkpoint_error = Some(format!("consistency: {why}"));
            }
            let ids: Vec<String> = tally
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .created
                .keys()
                .cloned()
                .collect();
            for id in ids {
                let size = f.checkpoint.size;
                let got: Result<Value, String> = async {
                    client
                        .get(format!("{}/decisions/{id}/inclusion?size={size}", pick()))
                        .send()
                        .await
                        .map_err(|e| e.to_string())?
                        .json()
                        .await
                        .map_err(|e| e.to_string())
                }
                .await;
                let checked = got.and_then(|v| {
                    let proof = hashes(&v["proof"])?;
                    let leaf =
                        govproof::translog::hex_hash::parse(v["leaf_hash"].as_str().unwrap_or(""))?;
                    let index = v["index"].as_u64().ok_or("no index")?;
                    verify_inclusion(&leaf, index, size, &proof, &f.checkpoint.root)
                        .map_err(|e| e.to_string())
                });
                match checked {
                    Ok(()) => inclusion_checked += 1,
                    Err(why) => inclusion_failed.push((id, why)),
                }
            }
        }
        (Err(why), _) | (_, Err(why)) => checkpoint_error = Some(why.clone()),
    }

    // Memory, then a graceful stop of every replica not killed.
    let peak_service_mib = peak_mib(replicas[0].pid);
    let bb_peaks: Vec<f64> = children(replicas[0].pid)
        .into_iter()
        .filter_map(peak_mib)
        .collect();
    let peak_bb_mib = (!bb_peaks.is_empty()).then(|| bb_peaks.iter().sum());
    progress("stopping the replicas (SIGTERM)");
    for (k, r) in replicas.iter().enumerate() {
        if killed != Some(k) {
            signal(r.pid, "-TERM");
        }
    }
    let mut exits = Vec::new();
    let mut server_clean = true;
    let mut said_all = String::new();
    for (k, mut r) in replicas.into_iter().enumerate() {
        let exit = tokio::time::timeout(STOP_TIMEOUT, r.child.wait()).await;
        let (text, clean) = match exit {
            Ok(Ok(status)) => (status.to_string(), status.success()),
            Ok(Err(e)) => (format!("unknown ({e})"), false),
            Err(_) => {
                let _ = r.child.kill().await;
                ("did not stop in time; killed".to_string(), false)
            }
        };
        if killed == Some(k) {
            exits.push(format!("replica {k}: killed on purpose ({text})"));
        } else {
            server_clean &= clean;
            exits.push(format!("replica {k}: {text}"));
        }
        let said = r.said.await.unwrap_or_default();
        said_all.push_str(&format!("[replica {k}] {} ", tail(&said)));
    }

    // The audit.
    progress("auditing the database and the log");
    let mut tally = Arc::try_unwrap(tally)
        .map_err(|_| anyhow!("a request task outlived the load"))?
        .into_inner()
        .unwrap_or_else(|p| p.into_inner());
    let mut report = std::mem::take(&mut tally.report);
    report.replicas = server.replicas.max(1);
    report.duration_secs = duration_secs;
    report.rate = rate;
    report.measured_capacity = measured;
    report.calibration_completed = calibration_completed;
    tally.latencies.sort();
    report.latency_ms = (
        percentile_ms(&tally.latencies, 50.0),
        percentile_ms(&tally.latencies, 95.0),
    );
    report.peak_service_mib = peak_service_mib;
    report.peak_bb_mib = peak_bb_mib;
    report.server_exit = exits.join("; ");
    report.server_clean = server_clean;
    report.server_said = said_all;
    report.inclusion_checked = inclusion_checked;
    report.inclusion_failed = inclusion_failed;
    report.checkpoint_sizes = sizes;
    report.checkpoint_error = checkpoint_error;
    report.fault_costs = fault_costs(&faults_at, &tally.samples);
    let final_root = final_cp
        .ok()
        .map(|c| (c.checkpoint.size, c.checkpoint.root));
    audit(server, &tally, final_root, &mut report).await?;
    report.load = (load_before, load_average());
    Ok(report)
}

fn hashes(v: &Value) -> Result<Vec<govproof::translog::Hash>, String> {
    v.as_array()
        .ok_or("no proof")?
        .iter()
        .map(|h| govproof::translog::hex_hash::parse(h.as_str().unwrap_or("")))
        .collect()
}

/// For each fault: the requests sent in the window after it that failed (5xx or no answer), and
/// their p95 latency against the p95 of the requests sent before any fault.
fn fault_costs(faults: &[(String, Duration)], samples: &[Sample]) -> Vec<String> {
    let first = faults.iter().map(|f| f.1).min();
    let mut before: Vec<Duration> = samples
        .iter()
        .filter(|s| first.is_none_or(|f| s.sent_at < f) && !s.failed)
        .map(|s| s.took)
        .collect();
    before.sort();
    let base = percentile_ms(&before, 95.0);
    faults
        .iter()
        .map(|(what, at)| {
            let window: Vec<&Sample> = samples
                .iter()
                .filter(|s| {
                    s.sent_at + Duration::from_secs(2) >= *at && s.sent_at < *at + FAULT_WINDOW
                })
                .collect();
            let failed = window.iter().filter(|s| s.failed).count();
            let mut took: Vec<Duration> = window
                .iter()
                .filter(|s| !s.failed)
                .map(|s| s.took)
                .collect();
            took.sort();
            format!(
                "{what} at {:.1} s: of {} requests sent from 2 s before to {} s after, {failed} \
                 failed (5xx or no answer); p95 latency of the others {:.0} ms (before any fault \
                 {base:.0} ms)",
                at.as_secs_f64(),
                window.len(),
                FAULT_WINDOW.as_secs(),
                percentile_ms(&took, 95.0)
            )
        })
        .collect()
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().rev().take(5).collect();
    lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
}

/// Compares the database with the answers, checks each entry against its bundle and the final
/// checkpoint's root against the stored leaves, and verifies every logged bundle.
async fn audit(
    server: &ServerSpec,
    tally: &Tally,
    final_root: Option<(u64, govproof::translog::Hash)>,
    report: &mut LoadReport,
) -> anyhow::Result<()> {
    let url = server.database.clone();
    let rows = tokio::task::spawn_blocking(move || url.open().and_then(|mut s| s.all()))
        .await
        .context("the audit's database task")?;
    let rows = match rows {
        Ok(rows) => rows,
        Err(e) => {
            report.log_error = Some(e.to_string());
            return Ok(());
        }
    };
    let created = &tally.created;
    report.logged = rows.len() as u64;
    let mut problems = Vec::new();
    let mut leaves = Vec::with_capacity(rows.len());
    for (k, row) in rows.iter().enumerate() {
        if row.log_index != k as u64 {
            problems.push(format!("index {} stands at place {k}", row.log_index));
        }
        let entry = LogEntry::from_json(&row.log_entry);
        let expected = entry
            .as_ref()
            .ok()
            .and_then(|e| LogEntry::for_bundle(row.bundle.as_bytes(), e.logged_at).ok());
        match (entry, expected) {
            (Ok(e), Some(x)) if e == x && e.leaf_hash() == row.leaf_hash => {}
            _ => problems.push(format!(
                "`{}`: the stored entry is not its bundle's",
                row.decision_id
            )),
        }
        leaves.push(row.leaf_hash);
    }
    if let Some((size, root)) = final_root {
        let tree = Tree::from_leaves(leaves);
        match tree.root_at(size) {
            Ok(r) if r == root => {}
            _ => problems.push(format!(
                "the final checkpoint's root is not the root of the {size} stored leaves"
            )),
        }
    }
    if !problems.is_empty() {
        report.log_error = Some(problems.join("; "));
    }
    let logged: HashMap<&str, &crate::store::StoredDecision> =
        rows.iter().map(|r| (r.decision_id.as_str(), r)).collect();
    report.lost = created
        .keys()
        .filter(|id| !logged.contains_key(id.as_str()))
        .cloned()
        .collect();
    report.logged_unanswered = rows
        .iter()
        .filter(|r| {
            !created.contains_key(&r.decision_id) && tally.unanswered.contains(&r.decision_id)
        })
        .count() as u64;
    report.unacknowledged = rows
        .iter()
        .filter(|r| {
            !created.contains_key(&r.decision_id) && !tally.unanswered.contains(&r.decision_id)
        })
        .map(|r| r.decision_id.clone())
        .collect();
    report.receipt_mismatches = created
        .iter()
        .filter(|(id, receipt)| {
            logged.get(id.as_str()).is_some_and(|r| {
                r.log_index != receipt.index || hex::encode(r.leaf_hash) != receipt.leaf_hash
            })
        })
        .count() as u64;

    // The regulator's view: the SDK's bundle verifier, trusting the deployment's registry root
    // and reading its policy file.
    let deployment = Deployment::load(&server.deployment, Timestamp::now())?;
    let engine = Engine::new(deployment, &server.bb, &server.setup, &server.keys_dir)
        .map_err(|e| anyhow!("cannot rebuild the service's decision pipeline: {e}"))?;
    let work = tempfile::tempdir().context("cannot create a folder for the verifier")?;
    let mut verifier = engine
        .bundle_verifier(&server.bb, work.path())
        .map_err(|e| anyhow!("{e}"))?;
    for row in &rows {
        let verdict = verifier.verify(row.bundle.as_bytes());
        let names_itself = verdict
            .bundle()
            .is_some_and(|b| b.decision.id.as_str() == row.decision_id);
        // A development deployment's bundles are valid as such (not evidence; the report says).
        if matches!(
            verdict.verdict(),
            Verdict::Valid | Verdict::ValidDevelopmentSetup
        ) && names_itself
        {
            report.bundles_verified += 1;
        } else {
            let why = if names_itself {
                format!("{:?} failed", verdict.failed())
            } else {
                "the bundle is for another decision".to_string()
            };
            report.bundles_failed.push((row.decision_id.clone(), why));
        }
    }
    Ok(())
}
