//! The service's settings: built-in defaults, then a TOML file (`--config`), then the environment
//! (`GOVPROOF_SERVICE_<NAME>`, the name in capitals: `GOVPROOF_SERVICE_DATABASE`), then the
//! command line; each later source wins over the earlier ones for the settings it names.
//!
//! ```toml
//! listen = "127.0.0.1:8080"
//! data = "credit-service-data"
//! database = "postgres://credit@127.0.0.1:5432/credit"   # default: sqlite:<data>/decisions.db
//! deployment = "credit-service-data/deployment"
//! model = "credit-service-data/deployment/model.govproof" # default: the deployment's model file
//! setup = "ignition"                                      # or "development"
//! workers = 2
//! queue = 8
//! timeout_secs = 30
//! log_origin = "lender.example/credit-decisions"
//! log_key = "credit-service-data/log-key"                 # created (0600) when missing
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use serde::Deserialize;

/// Every setting, each optional until [`Settings::resolve`] fills in the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on.
    pub listen: Option<String>,
    /// Folder for cached keys, a development setup and the default SQLite database.
    pub data: Option<PathBuf>,
    /// `sqlite:PATH` or `postgres://...`.
    pub database: Option<String>,
    /// The deployment folder.
    pub deployment: Option<PathBuf>,
    /// A `.govproof` model file to decide with instead of the deployment's model file.
    pub model: Option<PathBuf>,
    /// `ignition` or `development`.
    pub setup: Option<String>,
    /// The bb binary.
    pub bb: Option<PathBuf>,
    /// bb processes.
    pub workers: Option<usize>,
    /// Decisions that may wait for a prover.
    pub queue: Option<usize>,
    /// Seconds a decision may wait and prove.
    pub timeout_secs: Option<u64>,
    /// The transparency log's origin (and its key's name).
    pub log_origin: Option<String>,
    /// The file of the key that signs checkpoints.
    pub log_key: Option<PathBuf>,
}

/// The prefix of the environment variables.
pub const ENV_PREFIX: &str = "GOVPROOF_SERVICE_";

/// Largest configuration file read.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

impl Settings {
    /// Reads a TOML file; an unknown setting is an error naming the file.
    pub fn from_file(path: &Path) -> anyhow::Result<Settings> {
        let bytes = govproof::input_file::read_input(path, "configuration", MAX_CONFIG_BYTES)?;
        let text = String::from_utf8(bytes)
            .map_err(|_| anyhow!("configuration `{}` is not UTF-8", path.display()))?;
        toml::from_str(&text).map_err(|e| {
            anyhow!(
                "configuration `{}`: {}",
                path.display(),
                e.to_string().lines().collect::<Vec<_>>().join(" ")
            )
        })
    }

    /// Reads `GOVPROOF_SERVICE_*` from `vars`; an unknown `GOVPROOF_SERVICE_` variable is an
    /// error (a typo must not silently fall back to a default).
    pub fn from_env(vars: &BTreeMap<String, String>) -> anyhow::Result<Settings> {
        let mut s = Settings::default();
        for (name, value) in vars {
            let Some(key) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let number = |v: &str| -> anyhow::Result<u64> {
                v.parse()
                    .map_err(|_| anyhow!("`{name}` is `{v}`, expected a whole number"))
            };
            match key {
                "LISTEN" => s.listen = Some(value.clone()),
                "DATA" => s.data = Some(value.into()),
                "DATABASE" => s.database = Some(value.clone()),
                "DEPLOYMENT" => s.deployment = Some(value.into()),
                "MODEL" => s.model = Some(value.into()),
                "SETUP" => s.setup = Some(value.clone()),
                "BB" => s.bb = Some(value.into()),
                "WORKERS" => s.workers = Some(number(value)? as usize),
                "QUEUE" => s.queue = Some(number(value)? as usize),
                "TIMEOUT_SECS" => s.timeout_secs = Some(number(value)?),
                "LOG_ORIGIN" => s.log_origin = Some(value.clone()),
                "LOG_KEY" => s.log_key = Some(value.into()),
                _ => bail!("unknown setting `{name}` (see the service's README for the names)"),
            }
        }
        Ok(s)
    }

    /// `self`, with each setting `over` names replacing ours.
    pub fn overlay(self, over: Settings) -> Settings {
        Settings {
            listen: over.listen.or(self.listen),
            data: over.data.or(self.data),
            database: over.database.or(self.database),
            deployment: over.deployment.or(self.deployment),
            model: over.model.or(self.model),
            setup: over.setup.or(self.setup),
            bb: over.bb.or(self.bb),
            workers: over.workers.or(self.workers),
            queue: over.queue.or(self.queue),
            timeout_secs: over.timeout_secs.or(self.timeout_secs),
            log_origin: over.log_origin.or(self.log_origin),
            log_key: over.log_key.or(self.log_key),
        }
    }

    /// File (if any), then environment, then `flags`.
    pub fn resolve(
        file: Option<&Path>,
        env: &BTreeMap<String, String>,
        flags: Settings,
    ) -> anyhow::Result<Settings> {
        let from_file = match file {
            Some(p) => Settings::from_file(p)?,
            None => Settings::default(),
        };
        Ok(from_file
            .overlay(Settings::from_env(env).context("the environment")?)
            .overlay(flags))
    }

    /// The data folder (default `credit-service-data`).
    pub fn data_dir(&self) -> PathBuf {
        self.data
            .clone()
            .unwrap_or_else(|| PathBuf::from("credit-service-data"))
    }

    /// The database (default: `sqlite:<data>/decisions.db`).
    pub fn database_url(&self) -> String {
        self.database
            .clone()
            .unwrap_or_else(|| format!("sqlite:{}", self.data_dir().join("decisions.db").display()))
    }

    /// The deployment folder (default `<data>/deployment`).
    pub fn deployment_dir(&self) -> PathBuf {
        self.deployment
            .clone()
            .unwrap_or_else(|| self.data_dir().join("deployment"))
    }

    /// The log key file (default `<data>/log-key`).
    pub fn log_key_path(&self) -> PathBuf {
        self.log_key
            .clone()
            .unwrap_or_else(|| self.data_dir().join("log-key"))
    }

    /// The log's origin (default `credit-service/decisions`).
    pub fn origin(&self) -> String {
        self.log_origin
            .clone()
            .unwrap_or_else(|| "credit-service/decisions".to_string())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_environment_wins_over_the_file_and_flags_over_both() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("service.toml");
        std::fs::write(
            &file,
            "database = \"sqlite:a.db\"\nworkers = 3\nqueue = 5\n",
        )
        .unwrap();
        let env: BTreeMap<String, String> = [
            ("GOVPROOF_SERVICE_DATABASE", "postgres://u@127.0.0.1/x"),
            ("GOVPROOF_SERVICE_WORKERS", "2"),
            ("PATH", "/ignored"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let flags = Settings {
            workers: Some(1),
            ..Settings::default()
        };
        let s = Settings::resolve(Some(&file), &env, flags).unwrap();
        assert_eq!(s.database.as_deref(), Some("postgres://u@127.0.0.1/x"));
        assert_eq!(s.workers, Some(1));
        assert_eq!(s.queue, Some(5));
    }

    #[test]
    fn unknown_settings_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("service.toml");
        std::fs::write(&file, "databse = \"sqlite:a.db\"\n").unwrap();
        let e = Settings::from_file(&file).unwrap_err().to_string();
        assert!(e.contains("databse"), "{e}");
        let env = [("GOVPROOF_SERVICE_WORKRS".to_string(), "2".to_string())].into();
        let e = Settings::from_env(&env).unwrap_err().to_string();
        assert!(e.contains("GOVPROOF_SERVICE_WORKRS"), "{e}");
        let env = [("GOVPROOF_SERVICE_WORKERS".to_string(), "two".to_string())].into();
        assert!(Settings::from_env(&env).is_err());
    }
}
