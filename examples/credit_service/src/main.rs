//! `credit-service serve | load-test | check-log`: parses arguments and calls the library.

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use credit_service::loadtest::{self, LoadPlan, ServerSpec};
use credit_service::service::{Service, ServiceConfig};
use govproof::prover::pool::PoolConfig;
use govproof::registry::Timestamp;
use govproof::setup::{dangerous, CrsDownloads, Setup};
use govproof::toolchain::{self, InstallPolicy};

/// A credit-decision service that proves every decision with govproof.
#[derive(Debug, Parser)]
#[command(name = "credit-service", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Which trusted setup proofs are made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SetupChoice {
    /// Aztec's Ignition points (bb downloads the ones it lacks into the govproof home).
    Ignition,
    /// A publicly known trapdoor: offline, for development only; such proofs prove nothing.
    Development,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free one; the chosen address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Folder for the decision log (`decisions.jsonl`), cached keys and a development setup.
    #[arg(long, default_value = "credit-service-data")]
    data: PathBuf,
    /// The decision log (default: `decisions.jsonl` in the data folder).
    #[arg(long)]
    log: Option<PathBuf>,
    /// The lender's deployment: registry root, registry, policy and model (default:
    /// `deployment` in the data folder; `credit-service init-demo` makes one).
    #[arg(long)]
    deployment: Option<PathBuf>,
    /// Trusted setup.
    #[arg(long, value_enum, default_value = "ignition")]
    setup: SetupChoice,
    /// The bb binary (default: `GOVPROOF_BB`, else the installed pinned toolchain).
    #[arg(long)]
    bb: Option<PathBuf>,
    /// bb processes (default: one per core).
    #[arg(long)]
    workers: Option<NonZeroUsize>,
    /// Decisions that may wait for a prover beyond those being proved (default: 4 per worker).
    #[arg(long)]
    queue: Option<usize>,
    /// Seconds a decision may wait and prove before it fails with 503.
    #[arg(long, default_value_t = 30)]
    timeout_secs: u64,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the service until SIGINT or SIGTERM, then finish accepted decisions and exit.
    Serve(ServeArgs),
    /// Start the service on loopback, load it at a steady rate with bursts, stop it, and audit
    /// its decision log (every decision answered 201 must be logged once, with a verifying
    /// bundle).
    LoadTest {
        /// Seconds of load.
        #[arg(long, default_value_t = 180)]
        duration_secs: u64,
        /// Steady requests per second (default: 90% of a capacity measured first).
        #[arg(long)]
        rate: Option<f64>,
        /// Seconds between bursts.
        #[arg(long, default_value_t = 30)]
        burst_every_secs: u64,
        /// Requests fired at once in each burst.
        #[arg(long, default_value_t = 24)]
        burst_size: usize,
        /// Most requests the client keeps open at once.
        #[arg(long, default_value_t = 64)]
        max_in_flight: usize,
        /// How the service is started.
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Write a demonstration deployment (governance keys, signed registry approving the
    /// reference model, the example policy) into a new folder.
    InitDemo {
        /// The folder to create.
        #[arg(long, default_value = "credit-service-data/deployment")]
        deployment: PathBuf,
    },
    /// Check a decision log's hash chain and print its head.
    CheckLog {
        /// The log file.
        log: PathBuf,
    },
}

fn bb_path(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(p) = given.or_else(|| std::env::var_os("GOVPROOF_BB").map(PathBuf::from)) {
        return Ok(p);
    }
    let installed = toolchain::ensure(
        &toolchain::home()?,
        InstallPolicy::InstallIfMissing,
        &mut |m| eprintln!("{m}"),
    )?;
    Ok(installed.bb())
}

fn setup(choice: SetupChoice, data: &Path) -> anyhow::Result<Setup> {
    Ok(match choice {
        SetupChoice::Ignition => {
            let dir = toolchain::home()?.join("crs").join("ignition");
            Setup::ignition(&dir, CrsDownloads::Allowed)?
        }
        SetupChoice::Development => dangerous::development_setup(&data.join("setup"))?,
    })
}

fn deployment_dir(args: &ServeArgs) -> PathBuf {
    args.deployment
        .clone()
        .unwrap_or_else(|| args.data.join("deployment"))
}

fn log_path(args: &ServeArgs) -> PathBuf {
    args.log
        .clone()
        .unwrap_or_else(|| args.data.join("decisions.jsonl"))
}

fn config(args: &ServeArgs) -> anyhow::Result<ServiceConfig> {
    std::fs::create_dir_all(&args.data)
        .with_context(|| format!("cannot create `{}`", args.data.display()))?;
    let mut pool = PoolConfig::new().request_timeout(Duration::from_secs(args.timeout_secs));
    if let Some(w) = args.workers {
        pool = pool.workers(w).queue_capacity(w.get() * 4);
    }
    if let Some(q) = args.queue {
        pool = pool.queue_capacity(q);
    }
    Ok(ServiceConfig {
        deployment: deployment_dir(args),
        bb: bb_path(args.bb.clone())?,
        setup: setup(args.setup, &args.data)?,
        keys_dir: args.data.join("keys"),
        log_path: log_path(args),
        pool,
    })
}

async fn shutdown_signal(service: Arc<Service>) {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    eprintln!("shutting down: finishing accepted decisions");
    service.begin_shutdown();
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = config(&args)?;
    let log_path = config.log_path.clone();
    let (service, report) = tokio::task::spawn_blocking(move || Service::start(config)).await??;
    if report.torn_bytes > 0 {
        eprintln!(
            "decision log: cut off {} bytes of an interrupted, never acknowledged final write",
            report.torn_bytes
        );
    }
    eprintln!(
        "decision log `{}`: {} entries, chain intact",
        log_path.display(),
        report.entries
    );
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    // The load test reads this line to find the port.
    println!("listening on {}", listener.local_addr()?);
    axum::serve(listener, service.router())
        .with_graceful_shutdown(shutdown_signal(Arc::clone(&service)))
        .await?;
    let pool = service.drain().await;
    let stats = service.stats();
    eprintln!(
        "stopped: {} received, {} completed, {} busy (429), {} refused, {} failed; prover pool: \
         {} proofs, {} failed, {} retries, {} bb restarts",
        stats.received,
        stats.completed,
        stats.busy,
        stats.refused,
        stats.failed,
        pool.completed,
        pool.failed,
        pool.retries,
        pool.bb_restarts
    );
    Ok(())
}

/// The same service as `serve` would run, as a child process on a free loopback port.
fn server_spec(serve: &ServeArgs) -> anyhow::Result<ServerSpec> {
    std::fs::create_dir_all(&serve.data)
        .with_context(|| format!("cannot create `{}`", serve.data.display()))?;
    let bb = bb_path(serve.bb.clone())?;
    let log = log_path(serve);
    let deployment = deployment_dir(serve);
    if !deployment.exists() {
        credit_service::deployment::create_demo(&deployment, Timestamp::now())?;
        eprintln!(
            "created a demonstration deployment in `{}`",
            deployment.display()
        );
    }
    let mut args = vec![
        "serve".to_string(),
        "--deployment".to_string(),
        deployment.display().to_string(),
        "--listen".to_string(),
        "127.0.0.1:0".to_string(),
        "--data".to_string(),
        serve.data.display().to_string(),
        "--log".to_string(),
        log.display().to_string(),
        "--setup".to_string(),
        match serve.setup {
            SetupChoice::Ignition => "ignition".to_string(),
            SetupChoice::Development => "development".to_string(),
        },
        "--timeout-secs".to_string(),
        serve.timeout_secs.to_string(),
        "--bb".to_string(),
        bb.display().to_string(),
    ];
    if let Some(w) = serve.workers {
        args.extend(["--workers".to_string(), w.to_string()]);
    }
    if let Some(q) = serve.queue {
        args.extend(["--queue".to_string(), q.to_string()]);
    }
    Ok(ServerSpec {
        exe: std::env::current_exe()?,
        args,
        log_path: log,
        keys_dir: serve.data.join("keys"),
        deployment,
        setup: setup(serve.setup, &serve.data)?,
        bb,
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve(args).await.map(|()| true),
            Command::LoadTest {
                duration_secs,
                rate,
                burst_every_secs,
                burst_size,
                max_in_flight,
                serve,
            } => {
                let plan = LoadPlan {
                    duration: Duration::from_secs(duration_secs),
                    rate,
                    burst_every: Duration::from_secs(burst_every_secs),
                    burst_size,
                    max_in_flight,
                };
                let server = server_spec(&serve)?;
                let report = loadtest::run(&server, plan, &mut |line| eprintln!("{line}")).await?;
                println!("{}", report.to_markdown());
                Ok(report.passed())
            }
            Command::InitDemo { deployment } => {
                credit_service::deployment::create_demo(&deployment, Timestamp::now())?;
                println!(
                    "wrote a demonstration deployment to `{}` (governance keys in keys/, keep \
                     them secret)",
                    deployment.display()
                );
                Ok(true)
            }
            Command::CheckLog { log } => {
                let (entries, report) = credit_service::log::verify_file(&log)?;
                println!(
                    "`{}`: {} entries, chain intact{}",
                    log.display(),
                    entries.len(),
                    if report.torn_bytes > 0 {
                        format!(", {} bytes of a torn final write", report.torn_bytes)
                    } else {
                        String::new()
                    }
                );
                Ok(true)
            }
        }
    });
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
