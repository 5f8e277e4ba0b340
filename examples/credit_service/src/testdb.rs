//! Real PostgreSQL databases for tests: each test gets a new, empty database on the server that
//! `GOVPROOF_TEST_POSTGRES_URL` names (`.ci/run` starts one and sets it). Without the variable,
//! [`fresh_postgres`] prints why and returns `None`, and the test is skipped.

use crate::store::DatabaseUrl;

/// The variable naming the test server.
pub const TEST_POSTGRES_URL: &str = "GOVPROOF_TEST_POSTGRES_URL";

/// A new database named after `purpose` (plus the process id and a random suffix) on the test
/// server, or `None` (with a printed reason) when no server is configured.
///
/// # Panics
/// When the server is configured but cannot create a database: a test must then fail, not skip.
#[allow(clippy::expect_used, clippy::panic)]
pub fn fresh_postgres(purpose: &str) -> Option<DatabaseUrl> {
    let Ok(base) = std::env::var(TEST_POSTGRES_URL) else {
        eprintln!(
            "skipped: {TEST_POSTGRES_URL} is not set (.ci/run starts a PostgreSQL and sets it)"
        );
        return None;
    };
    let mut suffix = [0u8; 4];
    getrandom::getrandom(&mut suffix).expect("random bytes");
    let name = format!(
        "t_{}_{}_{}",
        purpose.replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
        std::process::id(),
        hex::encode(suffix)
    );
    let mut admin = postgres::Client::connect(&base, postgres::NoTls)
        .unwrap_or_else(|e| panic!("{TEST_POSTGRES_URL} is set but the server refuses: {e}"));
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap_or_else(|e| panic!("cannot create database `{name}`: {e}"));
    let (head, query) = match base.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (base.as_str(), None),
    };
    let prefix = head.rsplit_once('/').map_or(head, |(p, _)| p);
    let url = match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    };
    Some(DatabaseUrl::Postgres(url))
}
