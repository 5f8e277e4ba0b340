//! `credit-service serve | load-test | check-log`: parses arguments and calls the library.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use credit_service::config::Settings;
use credit_service::loadtest::{self, Faults, LoadPlan, ServerSpec};
use credit_service::ops::event;
use credit_service::service::{Service, ServiceConfig};
use credit_service::store::DatabaseUrl;
use credit_service::transparency::LogKey;
use govproof::prover::pool::PoolConfig;
use govproof::registry::Timestamp;
use govproof::setup::{dangerous, CrsDownloads, Setup};
use govproof::toolchain::{self, InstallPolicy};
use serde_json::json;

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

/// How the service runs. Every setting can also come from `--config FILE` (TOML) or from
/// `GOVPROOF_SERVICE_<NAME>` in the environment; flags win over the environment, the environment
/// over the file.
#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// A TOML file of settings (the names of these flags, with `_` for `-`).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Address to listen on (default 127.0.0.1:8080; port 0 picks a free one; the chosen
    /// address is printed).
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Folder for cached keys, a development setup, the log key and the default SQLite database
    /// (default `credit-service-data`).
    #[arg(long)]
    data: Option<PathBuf>,
    /// The database: `sqlite:PATH` (default `sqlite:<data>/decisions.db`) or
    /// `postgres://user@host:port/db` (replicas share one).
    #[arg(long)]
    database: Option<String>,
    /// The lender's deployment: registry root, registry, policy and model (default:
    /// `deployment` in the data folder; `credit-service init-demo` makes one).
    #[arg(long)]
    deployment: Option<PathBuf>,
    /// A `.govproof` model file to decide with (default: the deployment's model file); the
    /// registry must approve it byte for byte.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Trusted setup (default ignition).
    #[arg(long, value_enum)]
    setup: Option<SetupChoice>,
    /// The bb binary (default: `GOVPROOF_BB`, else the installed pinned toolchain).
    #[arg(long)]
    bb: Option<PathBuf>,
    /// bb processes (default: one per core).
    #[arg(long)]
    workers: Option<NonZeroUsize>,
    /// Decisions that may wait for a prover beyond those being proved (default: 4 per worker).
    #[arg(long)]
    queue: Option<usize>,
    /// Seconds a decision may wait and prove before it fails with 503 (default 30).
    #[arg(long)]
    timeout_secs: Option<u64>,
    /// The transparency log's origin, the first line of its checkpoints (default
    /// `credit-service/decisions`).
    #[arg(long)]
    log_origin: Option<String>,
    /// The file of the ed25519 key that signs checkpoints (default `<data>/log-key`; created,
    /// mode 0600, when missing). Replicas of one log share it.
    #[arg(long)]
    log_key: Option<PathBuf>,
}

impl ServeArgs {
    fn settings(&self) -> anyhow::Result<Settings> {
        let flags = Settings {
            listen: self.listen.map(|a| a.to_string()),
            data: self.data.clone(),
            database: self.database.clone(),
            deployment: self.deployment.clone(),
            model: self.model.clone(),
            setup: self.setup.map(|s| setup_name(s).to_string()),
            bb: self.bb.clone(),
            workers: self.workers.map(NonZeroUsize::get),
            queue: self.queue,
            timeout_secs: self.timeout_secs,
            log_origin: self.log_origin.clone(),
            log_key: self.log_key.clone(),
        };
        let env: BTreeMap<String, String> = std::env::vars().collect();
        Settings::resolve(self.config.as_deref(), &env, flags)
    }
}

fn setup_name(s: SetupChoice) -> &'static str {
    match s {
        SetupChoice::Ignition => "ignition",
        SetupChoice::Development => "development",
    }
}

fn setup_choice(settings: &Settings) -> anyhow::Result<SetupChoice> {
    match settings.setup.as_deref() {
        None | Some("ignition") => Ok(SetupChoice::Ignition),
        Some("development") => Ok(SetupChoice::Development),
        Some(other) => anyhow::bail!("setup `{other}`: expected `ignition` or `development`"),
    }
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
        /// Service processes sharing the database, loaded round robin (more than one needs
        /// `--database postgres://...`).
        #[arg(long, default_value_t = 1)]
        replicas: usize,
        /// Fault: SIGKILL the last replica this many seconds into the load.
        #[arg(long)]
        kill_replica_after_secs: Option<u64>,
        /// Fault: `SECS:COMMAND`, run the shell command (which restarts the database) this many
        /// seconds into the load.
        #[arg(long)]
        restart_database: Option<String>,
        /// Fault: SIGKILL one bb process of the first replica this many seconds into the load.
        #[arg(long)]
        kill_bb_after_secs: Option<u64>,
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
    /// Measure what the database and the log cost per decision (appends from several
    /// connections, building the tree, proofs, signing a checkpoint) and print the figures.
    BenchStore {
        /// The database (`sqlite:PATH` or `postgres://...`); use a scratch one.
        #[arg(long)]
        database: String,
        /// Appends in all.
        #[arg(long, default_value_t = 2000)]
        count: u64,
        /// Connections (threads) appending at once.
        #[arg(long, default_value_t = 4)]
        connections: usize,
        /// Decisions per transaction (group commit).
        #[arg(long, default_value_t = 1)]
        batch: usize,
        /// Bytes of each stored bundle.
        #[arg(long, default_value_t = 20_000)]
        bundle_bytes: usize,
        /// Leaves of the tree measured.
        #[arg(long, default_value_t = 1_000_000)]
        tree_leaves: u64,
    },
    /// Check a former JSON Lines decision log's hash chain and print its head.
    CheckLog {
        /// The log file.
        log: PathBuf,
    },
    /// Import a former JSON Lines decision log (`decisions.jsonl`) into the database, once: its
    /// chain is checked first, then every entry is appended in its order, each with its
    /// transparency-log entry (its bundle as logged, logged at its recorded time). Refuses to
    /// import into a database that already holds any of its decisions.
    ImportLog {
        /// The JSON Lines log.
        log: PathBuf,
        /// The database (`sqlite:PATH` or `postgres://...`).
        #[arg(long)]
        database: String,
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

fn config(settings: &Settings) -> anyhow::Result<ServiceConfig> {
    let data = settings.data_dir();
    std::fs::create_dir_all(&data)
        .with_context(|| format!("cannot create `{}`", data.display()))?;
    let timeout = settings.timeout_secs.unwrap_or(30);
    let mut pool = PoolConfig::new().request_timeout(Duration::from_secs(timeout));
    if let Some(w) = settings.workers.and_then(NonZeroUsize::new) {
        pool = pool.workers(w).queue_capacity(w.get() * 4);
    }
    if let Some(q) = settings.queue {
        pool = pool.queue_capacity(q);
    }
    let key = LogKey::load_or_create(&settings.log_key_path(), &settings.origin())?;
    Ok(ServiceConfig {
        deployment: settings.deployment_dir(),
        model: settings.model.clone(),
        bb: bb_path(settings.bb.clone())?,
        setup: setup(setup_choice(settings)?, &data)?,
        keys_dir: data.join("keys"),
        database: DatabaseUrl::parse(&settings.database_url())?,
        log_key: Arc::new(key),
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
    event("info", "shutdown_begin", json!({ "why": "signal" }));
    service.begin_shutdown();
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let settings = args.settings()?;
    let config = config(&settings)?;
    let listen: SocketAddr = settings
        .listen
        .as_deref()
        .unwrap_or("127.0.0.1:8080")
        .parse()
        .context("the listen address")?;
    let (service, report) = tokio::task::spawn_blocking(move || Service::start(config)).await??;
    let setup = service.setup_name();
    if setup == "development" {
        event(
            "warn",
            "development_setup",
            json!({ "message": "proving with the development setup: a publicly known trapdoor, these proofs prove nothing" }),
        );
    }
    event(
        "info",
        "database_open",
        json!({ "database": report.database, "entries": report.entries }),
    );
    let log = service.transparency_log();
    event(
        "info",
        "log_key",
        json!({ "origin": log.name(),
                "verifier_key": govproof::translog::verifier_key(log.name(), &log.public_key()) }),
    );
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    event(
        "info",
        "listening",
        json!({ "address": addr.to_string(), "setup": setup, "pid": std::process::id() }),
    );
    // The load test reads this line to find the port.
    println!("listening on {addr}");
    axum::serve(listener, service.router())
        .with_graceful_shutdown(shutdown_signal(Arc::clone(&service)))
        .await?;
    let pool = service.drain().await;
    event(
        "info",
        "stopped",
        json!({ "service": service.stats(), "proofs": pool.completed, "proofs_failed": pool.failed,
                "retries": pool.retries, "bb_restarts": pool.bb_restarts }),
    );
    Ok(())
}

/// The same service as `serve` would run, as child processes on free loopback ports.
fn server_spec(serve: &ServeArgs, replicas: usize) -> anyhow::Result<ServerSpec> {
    let settings = serve.settings()?;
    let data = settings.data_dir();
    std::fs::create_dir_all(&data)
        .with_context(|| format!("cannot create `{}`", data.display()))?;
    let bb = bb_path(settings.bb.clone())?;
    let deployment = settings.deployment_dir();
    if !deployment.exists() {
        credit_service::deployment::create_demo(&deployment, Timestamp::now())?;
        eprintln!(
            "created a demonstration deployment in `{}`",
            deployment.display()
        );
    }
    let database = DatabaseUrl::parse(&settings.database_url())?;
    let choice = setup_choice(&settings)?;
    let mut args = vec![
        "serve".to_string(),
        "--deployment".to_string(),
        deployment.display().to_string(),
        "--listen".to_string(),
        "127.0.0.1:0".to_string(),
        "--data".to_string(),
        data.display().to_string(),
        "--database".to_string(),
        settings.database_url(),
        "--log-key".to_string(),
        settings.log_key_path().display().to_string(),
        "--setup".to_string(),
        setup_name(choice).to_string(),
        "--timeout-secs".to_string(),
        settings.timeout_secs.unwrap_or(30).to_string(),
        "--bb".to_string(),
        bb.display().to_string(),
    ];
    if let Some(w) = settings.workers {
        args.extend(["--workers".to_string(), w.to_string()]);
    }
    if let Some(q) = settings.queue {
        args.extend(["--queue".to_string(), q.to_string()]);
    }
    Ok(ServerSpec {
        exe: std::env::current_exe()?,
        args,
        replicas,
        database,
        log_key: settings.log_key_path(),
        keys_dir: data.join("keys"),
        deployment,
        setup: setup(choice, &data)?,
        bb,
    })
}

/// `SECS:COMMAND` of `--restart-database`.
fn restart_fault(spec: &str) -> anyhow::Result<(Duration, String)> {
    let (secs, command) = spec
        .split_once(':')
        .ok_or_else(|| anyhow::anyhow!("`--restart-database {spec}`: expected `SECS:COMMAND`"))?;
    let secs: u64 = secs.parse().map_err(|_| {
        anyhow::anyhow!("`--restart-database {spec}`: `{secs}` is not a number of seconds")
    })?;
    Ok((Duration::from_secs(secs), command.to_string()))
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
                replicas,
                kill_replica_after_secs,
                restart_database,
                kill_bb_after_secs,
                serve,
            } => {
                let faults = Faults {
                    kill_replica_after: kill_replica_after_secs.map(Duration::from_secs),
                    restart_database: restart_database.as_deref().map(restart_fault).transpose()?,
                    kill_bb_after: kill_bb_after_secs.map(Duration::from_secs),
                };
                let plan = LoadPlan {
                    faults,
                    duration: Duration::from_secs(duration_secs),
                    rate,
                    burst_every: Duration::from_secs(burst_every_secs),
                    burst_size,
                    max_in_flight,
                };
                let server = server_spec(&serve, replicas)?;
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
            Command::BenchStore {
                database,
                count,
                connections,
                batch,
                bundle_bytes,
                tree_leaves,
            } => {
                let url = DatabaseUrl::parse(&database)?;
                let shown = url.redacted();
                let bench = tokio::task::spawn_blocking(move || {
                    credit_service::bench::run(
                        &url,
                        count,
                        connections,
                        batch,
                        bundle_bytes,
                        tree_leaves,
                    )
                })
                .await??;
                println!("{}", bench.to_markdown(&shown));
                Ok(true)
            }
            Command::ImportLog { log, database } => {
                let url = DatabaseUrl::parse(&database)?;
                let imported = tokio::task::spawn_blocking(move || {
                    credit_service::import::import_jsonl(&log, &url)
                })
                .await??;
                println!("imported {imported} decisions in their order");
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
