//! A bounded load test on loopback: starts the service as a child process, sends decisions at a
//! steady rate with bursts above capacity, stops the service with SIGTERM (so graceful shutdown is
//! part of the test), then audits the decision log against every answer the client received.
//!
//! The client is bounded three ways: at most `max_in_flight` open requests (beyond that, a planned
//! request is skipped and counted), a fixed duration, and a per-request timeout. It talks to
//! `127.0.0.1` only and stops by itself.
//!
//! The audit passes when: the log's chain is intact; every decision answered 201 is in the log
//! exactly once, with the receipt the client was given; nothing is in the log that was not
//! answered 201; every logged bundle verifies; every deliberately repeated decision id was refused
//! with 409; and the service exited cleanly.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
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

use crate::deployment::Deployment;
use crate::engine::Engine;
use crate::log::{verify_file, Receipt};

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
}

/// How to start the service and where it keeps its state.
#[derive(Debug, Clone)]
pub struct ServerSpec {
    /// The `credit-service` binary.
    pub exe: PathBuf,
    /// Its arguments (`serve ...` with `--listen 127.0.0.1:0`).
    pub args: Vec<String>,
    /// The decision log it writes.
    pub log_path: PathBuf,
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
}

impl LoadReport {
    /// Whether the audit found nothing lost, duplicated, unverifiable or broken.
    pub fn passed(&self) -> bool {
        self.lost.is_empty()
            && self.unacknowledged.is_empty()
            && self.receipt_mismatches == 0
            && self.bundles_failed.is_empty()
            && self.log_error.is_none()
            && self.duplicates_refused == self.duplicates_sent
            && self.missing_retry_after == 0
            && self.server_clean
    }

    /// The report as Markdown.
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let mib = |v: Option<f64>| v.map_or("unknown".to_string(), |m| format!("{m:.0} MiB"));
        s.push_str("## Load test\n\n");
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
                "log chain",
                self.log_error
                    .clone()
                    .unwrap_or_else(|| "intact".to_string()),
            ),
            ("peak memory, service process", mib(self.peak_service_mib)),
            ("peak memory, its bb processes (sum)", mib(self.peak_bb_mib)),
            ("service exit", self.server_exit.clone()),
        ];
        for (k, v) in rows {
            s.push_str(&format!("| {k} | {v} |\n"));
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

#[derive(Default)]
struct Tally {
    created: HashMap<String, Receipt>,
    latencies: Vec<Duration>,
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
            Answer::Unanswered => r.transport_errors += 1,
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

/// Runs the whole test: start, (calibrate,) load, stop, audit. `progress` gets one line per
/// phase.
pub async fn run(
    server: &ServerSpec,
    plan: LoadPlan,
    progress: &mut (dyn FnMut(&str) + Send),
) -> anyhow::Result<LoadReport> {
    let load_before = load_average();
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
    let base = format!("http://{addr}");
    progress(&format!("service {pid} listening on {addr}"));

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

    // Capacity, unless a rate was given: closed-loop decisions, two at a time.
    let (rate, measured) = match plan.rate {
        Some(r) => (r, None),
        None => {
            let started = Instant::now();
            let mut set = JoinSet::new();
            for k in 0..CALIBRATION_DECISIONS {
                let (client, base, tally) = (client.clone(), base.clone(), Arc::clone(&tally));
                let ranges = Arc::clone(&ranges);
                set.spawn(async move {
                    let id = format!("cal-{run_tag}-{k}");
                    let answer = post(&client, &base, &id, &ranges, k as u64).await;
                    let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
                    t.report.sent += 1;
                    t.record(id, false, answer);
                });
                if set.len() >= 2 {
                    set.join_next().await;
                }
            }
            while set.join_next().await.is_some() {}
            let completed = tally
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .report
                .completed;
            let capacity = completed as f64 / started.elapsed().as_secs_f64();
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
    let started = Instant::now();
    let mut next_tick = started;
    let period = Duration::from_secs_f64(1.0 / rate.max(0.01));
    let mut next_burst = started + plan.burst_every;
    let mut seq = 0u64;
    let mut dup_marks = 0u64;
    let spawn_one = |set: &mut JoinSet<()>, seq: u64, repeat_of: Option<String>| {
        let Ok(permit) = Arc::clone(&open).try_acquire_owned() else {
            return false;
        };
        let (client, base, tally) = (client.clone(), base.clone(), Arc::clone(&tally));
        let ranges = Arc::clone(&ranges);
        set.spawn(async move {
            let repeat = repeat_of.is_some();
            let id = repeat_of.unwrap_or_else(|| format!("lt-{run_tag}-{seq}"));
            let answer = post(&client, &base, &id, &ranges, seq).await;
            drop(permit);
            let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
            if repeat {
                t.report.duplicates_sent += 1;
            } else {
                t.report.sent += 1;
            }
            t.record(id, repeat, answer);
        });
        true
    };
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
        while set.try_join_next().is_some() {}
        let wake = next_tick.min(next_burst).min(started + plan.duration);
        tokio::time::sleep_until(tokio::time::Instant::from_std(wake.max(Instant::now()))).await;
    }
    progress("load done; waiting for open requests");
    while set.join_next().await.is_some() {}
    let duration_secs = started.elapsed().as_secs_f64();

    // Memory, then a graceful stop.
    let peak_service_mib = peak_mib(pid);
    let bb_peaks: Vec<f64> = children(pid).into_iter().filter_map(peak_mib).collect();
    let peak_bb_mib = (!bb_peaks.is_empty()).then(|| bb_peaks.iter().sum());
    progress("stopping the service (SIGTERM)");
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let exit = tokio::time::timeout(STOP_TIMEOUT, child.wait()).await;
    let (server_exit, server_clean) = match exit {
        Ok(Ok(status)) => (status.to_string(), status.success()),
        Ok(Err(e)) => (format!("unknown ({e})"), false),
        Err(_) => {
            let _ = child.kill().await;
            ("did not stop in time; killed".to_string(), false)
        }
    };
    let said = said.await.unwrap_or_default();

    // The audit.
    progress("auditing the decision log");
    let mut tally = Arc::try_unwrap(tally)
        .map_err(|_| anyhow!("a request task outlived the load"))?
        .into_inner()
        .unwrap_or_else(|p| p.into_inner());
    let mut report = std::mem::take(&mut tally.report);
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
    report.server_exit = server_exit;
    report.server_clean = server_clean;
    report.server_said = tail(&said);
    audit(server, &tally.created, &mut report)?;
    report.load = (load_before, load_average());
    Ok(report)
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().rev().take(5).collect();
    lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
}

/// Compares the log with the 201 answers and verifies every logged bundle.
fn audit(
    server: &ServerSpec,
    created: &HashMap<String, Receipt>,
    report: &mut LoadReport,
) -> anyhow::Result<()> {
    let entries = match verify_file(&server.log_path) {
        Ok((entries, _)) => entries,
        Err(e) => {
            report.log_error = Some(e.to_string());
            return Ok(());
        }
    };
    report.logged = entries.len() as u64;
    let logged: HashMap<&str, Receipt> = entries
        .iter()
        .map(|(e, r)| (e.decision_id.as_str(), *r))
        .collect();
    report.lost = created
        .keys()
        .filter(|id| !logged.contains_key(id.as_str()))
        .cloned()
        .collect();
    report.unacknowledged = entries
        .iter()
        .filter(|(e, _)| !created.contains_key(e.decision_id.as_str()))
        .map(|(e, _)| e.decision_id.to_string())
        .collect();
    report.receipt_mismatches = created
        .iter()
        .filter(|(id, receipt)| logged.get(id.as_str()).is_some_and(|r| r != *receipt))
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
    for (entry, _) in &entries {
        let bytes = serde_json::to_vec(&entry.bundle)?;
        let verdict = verifier.verify(&bytes);
        let names_itself = verdict
            .bundle()
            .is_some_and(|b| b.decision.id == entry.decision_id);
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
            report
                .bundles_failed
                .push((entry.decision_id.to_string(), why));
        }
    }
    Ok(())
}
