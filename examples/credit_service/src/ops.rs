//! Operations: structured logs (one JSON object per line on stderr) and Prometheus metrics in the
//! text exposition format, written by hand (a handful of counters, gauges and one histogram do not
//! need the `prometheus-client` crate's registry and its dependencies).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Value};

/// Writes one event as one JSON line on stderr: `{"ts":...,"level":...,"event":...,...fields}`.
pub fn event(level: &str, name: &str, fields: Value) {
    let mut line = json!({
        "ts": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "level": level,
        "event": name,
    });
    if let (Some(line), Value::Object(fields)) = (line.as_object_mut(), fields) {
        line.extend(fields);
    }
    eprintln!("{line}");
}

/// Upper bounds (seconds) of the decision latency histogram's buckets.
pub const LATENCY_BUCKETS: &[f64] = &[0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0];

/// The service's metrics beyond the counters it already keeps.
#[derive(Debug, Default)]
pub struct Metrics {
    outcomes: Mutex<BTreeMap<String, u64>>,
    statuses: Mutex<BTreeMap<u16, u64>>,
    latency_buckets: [AtomicU64; 9],
    latency_count: AtomicU64,
    latency_micros: AtomicU64,
    store_retries: AtomicU64,
}

/// The gauges read at scrape time.
#[derive(Debug, Clone, Copy, Default)]
pub struct Gauges {
    /// Decisions waiting for a prover.
    pub queued: usize,
    /// Decisions being proved.
    pub in_flight: usize,
    /// bb processes restarted since start.
    pub bb_restarts: u64,
    /// Entries in the transparency log.
    pub log_size: u64,
    /// 1 while draining.
    pub draining: bool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Metrics {
    /// Counts one answer to `POST /decisions`.
    pub fn answered(&self, status: u16) {
        *lock(&self.statuses).entry(status).or_default() += 1;
    }

    /// Counts one decision made (201) with its outcome and its latency.
    pub fn decided(&self, outcome: &str, latency: Duration) {
        *lock(&self.outcomes).entry(outcome.to_string()).or_default() += 1;
        let secs = latency.as_secs_f64();
        for (bucket, bound) in self.latency_buckets.iter().zip(LATENCY_BUCKETS) {
            if secs <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_micros.fetch_add(
            u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// Counts one database append retried after a transient failure.
    pub fn store_retried(&self) {
        self.store_retries.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text format.
    pub fn render(&self, g: Gauges) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP credit_service_decisions_total Decisions proved, logged and returned, by outcome.");
        let _ = writeln!(out, "# TYPE credit_service_decisions_total counter");
        for (outcome, n) in lock(&self.outcomes).iter() {
            let _ = writeln!(
                out,
                "credit_service_decisions_total{{outcome=\"{outcome}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP credit_service_requests_total Answers to POST /decisions, by HTTP status."
        );
        let _ = writeln!(out, "# TYPE credit_service_requests_total counter");
        for (status, n) in lock(&self.statuses).iter() {
            let _ = writeln!(
                out,
                "credit_service_requests_total{{status=\"{status}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP credit_service_decision_seconds Time from acceptance to a logged decision."
        );
        let _ = writeln!(out, "# TYPE credit_service_decision_seconds histogram");
        for (bucket, bound) in self.latency_buckets.iter().zip(LATENCY_BUCKETS) {
            let _ = writeln!(
                out,
                "credit_service_decision_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "credit_service_decision_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "credit_service_decision_seconds_sum {}",
            self.latency_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "credit_service_decision_seconds_count {count}");
        let gauges: [(&str, &str, &str, f64); 6] = [
            (
                "credit_service_queue_depth",
                "gauge",
                "Decisions waiting for a prover.",
                g.queued as f64,
            ),
            (
                "credit_service_proofs_in_flight",
                "gauge",
                "Decisions being proved.",
                g.in_flight as f64,
            ),
            (
                "credit_service_bb_restarts_total",
                "counter",
                "bb processes restarted by the prover pool.",
                g.bb_restarts as f64,
            ),
            (
                "credit_service_log_size",
                "gauge",
                "Entries in the transparency log.",
                g.log_size as f64,
            ),
            (
                "credit_service_store_retries_total",
                "counter",
                "Database appends retried after a lost connection.",
                self.store_retries.load(Ordering::Relaxed) as f64,
            ),
            (
                "credit_service_draining",
                "gauge",
                "1 while the service shuts down.",
                f64::from(u8::from(g.draining)),
            ),
        ];
        for (name, kind, help, value) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            let _ = writeln!(out, "{name} {value}");
        }
        out
    }
}
