//! One long-lived `bb -c <crs> msgpack run` child, spoken to through barretenberg-rs's generated
//! API over our own [`Backend`]: each message is a 4-byte little-endian length then msgpack.
//!
//! barretenberg-rs's `PipeBackend` lets bb inherit stderr, which loses what bb said when it fails.
//! Here a thread drains bb's stderr into a bounded tail ([`STDERR_TAIL_BYTES`]), so every error
//! carries the request kind, the exit status if bb died, and what bb printed during the request.
//! When bb dies, the failing call says so and the next call starts a fresh process.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Read, Write};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use barretenberg_rs::{Backend, BarretenbergApi, BarretenbergError};

/// How much of bb's stderr is kept for error messages.
pub const STDERR_TAIL_BYTES: usize = 8 * 1024;

/// Largest response accepted from bb (a guard against a corrupt length prefix).
const MAX_RESPONSE_BYTES: usize = 1 << 30;

/// How long a dying bb gets to exit on its own before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// The bb version this build's msgpack schema (barretenberg-rs 5.0.0) matches: govproof-core's,
/// whose verifier checks proofs of this version only.
pub use govproof_core::proof::SUPPORTED_BB_VERSION;

/// What was asked of bb when something went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestKind {
    /// Gate counts (`CircuitStats`).
    Stats,
    /// Verification key (`CircuitComputeVk`).
    ComputeVk,
    /// Proof (`CircuitProve`).
    Prove,
    /// Verification (`CircuitVerify`).
    Verify,
}

impl fmt::Display for RequestKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RequestKind::Stats => "stats",
            RequestKind::ComputeVk => "compute_vk",
            RequestKind::Prove => "prove",
            RequestKind::Verify => "verify",
        })
    }
}

/// The end of what bb wrote on stderr during one request (at most [`STDERR_TAIL_BYTES`]),
/// shown on one line with ` | ` between bb's lines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StderrTail(String);

impl StderrTail {
    /// The raw text, with bb's line breaks.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StderrTail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = one_line(&self.0);
        if line.is_empty() {
            f.write_str("(nothing)")
        } else {
            f.write_str(&line)
        }
    }
}

/// Joins the non-empty lines of `text` with ` | ` so an error message stays on one line.
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" | ")
}

/// How a bb process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitDescription(Option<ExitStatus>);

impl ExitDescription {
    /// The exit status, when it could be collected.
    pub fn status(&self) -> Option<ExitStatus> {
        self.0
    }
}

impl fmt::Display for ExitDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(status) => write!(f, "{status}"),
            None => f.write_str("exit status unknown"),
        }
    }
}

/// Errors from driving bb.
#[derive(Debug, thiserror::Error)]
pub enum BbError {
    /// bb could not be started.
    #[error("cannot start `{command}`: {source}")]
    Spawn {
        /// The command line.
        command: String,
        /// Why.
        source: io::Error,
    },
    /// `bb --version` failed or printed nothing usable.
    #[error("cannot read the version of `{command}`: {detail}")]
    Version {
        /// The command line.
        command: String,
        /// What went wrong.
        detail: String,
    },
    /// The binary is not the bb version whose msgpack schema this build speaks.
    #[error("`{command}` is bb `{found}`, but this build drives bb {SUPPORTED_BB_VERSION} only")]
    UnsupportedVersion {
        /// The command line.
        command: String,
        /// The version it printed.
        found: String,
    },
    /// bb exited (crashed, was killed, or closed its pipes) while handling a request.
    #[error("`{command}` died during {request} ({status}); stderr: {stderr}")]
    Died {
        /// The command line.
        command: String,
        /// The request in flight.
        request: RequestKind,
        /// How it ended.
        status: ExitDescription,
        /// What it printed during the request.
        stderr: StderrTail,
    },
    /// bb answered the request with an error message (its lines joined with ` | `).
    #[error("`{command}` refused the {request} request: {message}; stderr: {stderr}")]
    Refused {
        /// The command line.
        command: String,
        /// The request.
        request: RequestKind,
        /// bb's error message.
        message: String,
        /// What it printed during the request.
        stderr: StderrTail,
    },
    /// bb's answer could not be decoded or was not the expected response.
    #[error("`{command}` sent an unreadable {request} response: {detail}")]
    Protocol {
        /// The command line.
        command: String,
        /// The request.
        request: RequestKind,
        /// What was wrong.
        detail: String,
    },
}

/// Runs `bb --version` and checks it is the supported version. Returns what it printed.
pub(crate) fn probe_version(program: &Path) -> Result<String, BbError> {
    let command = format!("{} --version", program.display());
    let out = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|source| BbError::Spawn {
            command: command.clone(),
            source,
        })?;
    if !out.status.success() {
        return Err(BbError::Version {
            command,
            detail: format!(
                "{}; stderr: {}",
                out.status,
                StderrTail(String::from_utf8_lossy(&out.stderr).into_owned())
            ),
        });
    }
    let found = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if found.is_empty() {
        return Err(BbError::Version {
            command,
            detail: "it printed nothing".to_string(),
        });
    }
    let release = found.split('-').next().unwrap_or_default();
    if release != SUPPORTED_BB_VERSION {
        return Err(BbError::UnsupportedVersion { command, found });
    }
    Ok(found)
}

/// Bounded tail of a byte stream plus the count of all bytes seen.
#[derive(Default)]
struct TailBuf {
    bytes: VecDeque<u8>,
    total: u64,
}

impl TailBuf {
    fn push(&mut self, chunk: &[u8]) {
        self.bytes.extend(chunk);
        self.total += chunk.len() as u64;
        let excess = self.bytes.len().saturating_sub(STDERR_TAIL_BYTES);
        self.bytes.drain(..excess);
    }

    /// What arrived after the stream had `mark` bytes, bounded by the tail size.
    fn since(&self, mark: u64) -> StderrTail {
        let new = usize::try_from(self.total.saturating_sub(mark)).unwrap_or(usize::MAX);
        let take = new.min(self.bytes.len());
        let start = self.bytes.len() - take;
        let bytes: Vec<u8> = self.bytes.range(start..).copied().collect();
        StderrTail(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// How to start bb: which binary, which CRS folder, and how many threads it may use.
#[derive(Debug, Clone)]
pub(crate) struct BbLauncher {
    program: PathBuf,
    crs_dir: PathBuf,
    threads: Option<NonZeroUsize>,
}

impl BbLauncher {
    /// bb at `program`, reading (and, if allowed, downloading) points in `crs_dir`.
    pub(crate) fn new(program: &Path, crs_dir: &Path) -> BbLauncher {
        BbLauncher {
            program: program.to_path_buf(),
            crs_dir: crs_dir.to_path_buf(),
            threads: None,
        }
    }

    /// The same launcher with bb limited to `threads` threads (bb reads `HARDWARE_CONCURRENCY`);
    /// `None` lets bb use every core.
    pub(crate) fn with_threads(mut self, threads: Option<NonZeroUsize>) -> BbLauncher {
        self.threads = threads;
        self
    }

    fn command_line(&self) -> String {
        format!(
            "{} -c {} msgpack run",
            self.program.display(),
            self.crs_dir.display()
        )
    }

    fn spawn(&self) -> Result<Live, BbError> {
        // `-c` must come before the subcommand; CRS_PATH says the same for code paths that read it.
        let mut command = Command::new(&self.program);
        command
            .arg("-c")
            .arg(&self.crs_dir)
            .args(["msgpack", "run"])
            .env("CRS_PATH", &self.crs_dir);
        if let Some(threads) = self.threads {
            command.env("HARDWARE_CONCURRENCY", threads.to_string());
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| BbError::Spawn {
                command: self.command_line(),
                source,
            })?;
        let missing = |what: &str| BbError::Spawn {
            command: self.command_line(),
            source: io::Error::other(format!("no {what} pipe")),
        };
        let stdin = child.stdin.take().ok_or_else(|| missing("stdin"))?;
        let stdout = child.stdout.take().ok_or_else(|| missing("stdout"))?;
        let mut stderr = child.stderr.take().ok_or_else(|| missing("stderr"))?;
        let tail = Arc::new(Mutex::new(TailBuf::default()));
        let sink = Arc::clone(&tail);
        let reader = std::thread::Builder::new()
            .name("bb-stderr".to_string())
            .spawn(move || {
                let mut buf = [0u8; 4096];
                loop {
                    match stderr.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if let Ok(mut t) = sink.lock() {
                                t.push(&buf[..n]);
                            }
                        }
                    }
                }
            })
            .map_err(|source| BbError::Spawn {
                command: self.command_line(),
                source,
            });
        let reader = match reader {
            Ok(r) => r,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        Ok(Live {
            pid: child.id(),
            child: Arc::new(Mutex::new(child)),
            stdin: Some(stdin),
            stdout,
            tail,
            reader: Some(reader),
        })
    }
}

/// A running bb child with its pipes. The child is shared with [`KillSwitch`]es, which only
/// ever kill it (never wait for it), so it is reaped here and its pid is never reused under them.
struct Live {
    pid: u32,
    child: Arc<Mutex<Child>>,
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    tail: Arc<Mutex<TailBuf>>,
    reader: Option<JoinHandle<()>>,
}

impl Live {
    fn stderr_mark(&self) -> u64 {
        self.tail.lock().map(|t| t.total).unwrap_or(0)
    }

    fn stderr_since(&self, mark: u64) -> StderrTail {
        self.tail.lock().map(|t| t.since(mark)).unwrap_or_default()
    }

    /// Closes stdin, gives bb [`EXIT_GRACE`] to exit, kills it otherwise, and collects the exit
    /// status and the rest of its stderr.
    fn shut_down(mut self, mark: u64) -> (ExitDescription, StderrTail) {
        drop(self.stdin.take());
        let deadline = Instant::now() + EXIT_GRACE;
        let status = loop {
            let Ok(mut child) = self.child.lock() else {
                break None;
            };
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() < deadline => {
                    drop(child);
                    std::thread::sleep(Duration::from_millis(10))
                }
                Ok(None) | Err(_) => {
                    let _ = child.kill();
                    break child.wait().ok();
                }
            }
        };
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        (ExitDescription(status), self.stderr_since(mark))
    }
}

/// The [`Backend`] handed to barretenberg-rs for one request: frames the message over the
/// child's pipes and records a transport failure (broken pipe, EOF) for the caller to inspect.
pub(crate) struct Pipe<'a> {
    live: &'a mut Live,
    transport: &'a mut Option<io::Error>,
}

impl Pipe<'_> {
    fn exchange(&mut self, input: &[u8]) -> io::Result<Vec<u8>> {
        let len = u32::try_from(input.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "request over 4 GiB"))?;
        let stdin = self
            .live
            .stdin
            .as_mut()
            .ok_or_else(|| io::Error::from(io::ErrorKind::BrokenPipe))?;
        stdin.write_all(&len.to_le_bytes())?;
        stdin.write_all(input)?;
        stdin.flush()?;
        let mut prefix = [0u8; 4];
        self.live.stdout.read_exact(&mut prefix)?;
        let n = u32::from_le_bytes(prefix) as usize;
        if n > MAX_RESPONSE_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("response length {n} exceeds {MAX_RESPONSE_BYTES}"),
            ));
        }
        let mut out = vec![0u8; n];
        self.live.stdout.read_exact(&mut out)?;
        Ok(out)
    }
}

impl Backend for Pipe<'_> {
    fn call(&mut self, input: &[u8]) -> barretenberg_rs::Result<Vec<u8>> {
        self.exchange(input).map_err(|e| {
            let text = e.to_string();
            *self.transport = Some(e);
            BarretenbergError::Ipc(text)
        })
    }

    fn destroy(&mut self) -> barretenberg_rs::Result<()> {
        Ok(())
    }
}

/// Kills whichever bb child its [`BbProcess`] is running at the moment [`KillSwitch::kill`] is
/// called, from any thread, while a request may be blocked on that child's pipes. The blocked
/// request then fails as [`BbError::Died`] and the next request starts a fresh child.
#[derive(Clone)]
pub struct KillSwitch(Arc<Mutex<Weak<Mutex<Child>>>>);

impl KillSwitch {
    /// Sends SIGKILL to the current child; `false` when none is running.
    pub fn kill(&self) -> bool {
        let Ok(current) = self.0.lock() else {
            return false;
        };
        let Some(child) = current.upgrade() else {
            return false;
        };
        let killed = child.lock().map(|mut c| c.kill().is_ok());
        killed.unwrap_or(false)
    }
}

impl fmt::Debug for KillSwitch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KillSwitch")
    }
}

/// A bb process that is started on demand and restarted after it dies.
pub(crate) struct BbProcess {
    launcher: BbLauncher,
    live: Option<Live>,
    starts: u64,
    current: Arc<Mutex<Weak<Mutex<Child>>>>,
}

impl BbProcess {
    /// A process handle for `launcher`; nothing runs until [`BbProcess::start`] or a request.
    pub(crate) fn new(launcher: BbLauncher) -> BbProcess {
        BbProcess {
            launcher,
            live: None,
            starts: 0,
            current: Arc::new(Mutex::new(Weak::new())),
        }
    }

    /// Starts bb unless it is running.
    pub(crate) fn start(&mut self) -> Result<(), BbError> {
        if self.live.is_none() {
            let live = self.launcher.spawn()?;
            if let Ok(mut current) = self.current.lock() {
                *current = Arc::downgrade(&live.child);
            }
            self.live = Some(live);
            self.starts += 1;
        }
        Ok(())
    }

    /// A switch that kills the child running when it is used (this one or a later one).
    pub(crate) fn kill_switch(&self) -> KillSwitch {
        KillSwitch(Arc::clone(&self.current))
    }

    /// Whether a bb child is believed to be running (it may have died since the last request).
    pub(crate) fn is_running(&self) -> bool {
        self.live.is_some()
    }

    /// Stops the child, if any; the next request starts a new one.
    pub(crate) fn stop(&mut self) {
        if let Some(live) = self.live.take() {
            let mark = live.stderr_mark();
            let _ = live.shut_down(mark);
        }
    }

    /// The running child's process id.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.live.as_ref().map(|l| l.pid)
    }

    /// How many times a bb child has been started.
    pub(crate) fn starts(&self) -> u64 {
        self.starts
    }

    /// Sends one request through barretenberg-rs's API and classifies any failure.
    pub(crate) fn call<T>(
        &mut self,
        request: RequestKind,
        f: impl FnOnce(&mut BarretenbergApi<Pipe<'_>>) -> barretenberg_rs::Result<T>,
    ) -> Result<T, BbError> {
        self.start()?;
        let command = self.launcher.command_line();
        let Some(live) = self.live.as_mut() else {
            return Err(BbError::Protocol {
                command,
                request,
                detail: "bb is not running".to_string(),
            });
        };
        let mark = live.stderr_mark();
        let mut transport = None;
        let result = {
            let mut api = BarretenbergApi::new(Pipe {
                live,
                transport: &mut transport,
            });
            f(&mut api)
        };
        let err = match result {
            Ok(value) => return Ok(value),
            Err(err) => err,
        };
        if transport.is_some() {
            let (status, stderr) = match self.live.take() {
                Some(live) => live.shut_down(mark),
                None => (ExitDescription(None), StderrTail::default()),
            };
            return Err(BbError::Died {
                command,
                request,
                status,
                stderr,
            });
        }
        match err {
            BarretenbergError::Backend(message) => {
                let stderr = live_tail(&self.live, mark);
                Err(BbError::Refused {
                    command,
                    request,
                    message: one_line(&message),
                    stderr,
                })
            }
            other => {
                // The stream may be out of step now: start afresh next time.
                self.stop();
                Err(BbError::Protocol {
                    command,
                    request,
                    detail: other.to_string(),
                })
            }
        }
    }
}

fn live_tail(live: &Option<Live>, mark: u64) -> StderrTail {
    live.as_ref()
        .map(|l| l.stderr_since(mark))
        .unwrap_or_default()
}

impl Drop for BbProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_only_the_end_and_what_came_after_the_mark() {
        let mut t = TailBuf::default();
        t.push(b"old line\n");
        let mark = t.total;
        t.push(b"new line\n");
        assert_eq!(t.since(mark).as_str(), "new line\n");
        t.push(&vec![b'x'; 3 * STDERR_TAIL_BYTES]);
        assert_eq!(t.since(0).as_str().len(), STDERR_TAIL_BYTES);
        assert_eq!(t.since(t.total).as_str(), "");
    }

    #[test]
    fn tail_displays_on_one_line() {
        let t = StderrTail("a\n\n  b  \nc\n".to_string());
        assert_eq!(t.to_string(), "a | b | c");
        assert_eq!(StderrTail::default().to_string(), "(nothing)");
    }

    #[test]
    fn a_missing_binary_is_a_spawn_error_naming_the_command() {
        let mut p = BbProcess::new(BbLauncher::new(
            Path::new("no-such-folder/bb"),
            Path::new("crs"),
        ));
        let err = p
            .call(RequestKind::Stats, |api| api.blake2s(b"x"))
            .unwrap_err();
        assert!(matches!(err, BbError::Spawn { .. }), "{err}");
        assert!(err.to_string().contains("msgpack run"), "{err}");
    }
}
