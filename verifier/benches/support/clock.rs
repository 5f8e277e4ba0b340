//! The clock the verifier's benches read: wall time by default (criterion's own), or, with
//! `GOVPROOF_BENCH_CLOCK=cpu`, the CPU time of the benchmarking thread (`clock_gettime` of
//! `CLOCK_THREAD_CPUTIME_ID`), which other processes on a shared machine inflate far less than
//! the wall clock. Only for single-threaded routines: worker threads' CPU time is not counted.

use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::Criterion;

/// Wall time or this thread's CPU time, chosen when the bench starts.
pub struct Clock {
    cpu: bool,
}

impl Clock {
    /// The clock `GOVPROOF_BENCH_CLOCK` asks for.
    pub fn from_env() -> Self {
        let cpu = std::env::var("GOVPROOF_BENCH_CLOCK").is_ok_and(|v| v == "cpu");
        if cpu {
            eprintln!("clock: CPU time of the benchmarking thread");
        }
        Clock { cpu }
    }
}

/// A criterion runner on [`Clock::from_env`].
pub fn criterion() -> Criterion<Clock> {
    Criterion::default()
        .with_measurement(Clock::from_env())
        .configure_from_args()
}

fn thread_cpu_nanos() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    (t.tv_sec as u64) * 1_000_000_000 + t.tv_nsec as u64
}

static WALL: WallTime = WallTime;

impl Measurement for Clock {
    type Intermediate = (std::time::Instant, u64);
    type Value = Duration;

    fn start(&self) -> Self::Intermediate {
        let cpu = if self.cpu { thread_cpu_nanos() } else { 0 };
        (std::time::Instant::now(), cpu)
    }

    fn end(&self, (wall, cpu): Self::Intermediate) -> Duration {
        if self.cpu {
            Duration::from_nanos(thread_cpu_nanos().saturating_sub(cpu))
        } else {
            wall.elapsed()
        }
    }

    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        WALL.formatter()
    }
}
