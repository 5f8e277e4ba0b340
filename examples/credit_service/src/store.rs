//! Where the service keeps its decisions: one interface ([`Store`]), two real databases with one
//! schema and one set of migrations ([`MIGRATIONS`]):
//!
//! - SQLite (`sqlite:PATH`, the embedded default): WAL journal, `synchronous=FULL`, each append in a
//!   `BEGIN IMMEDIATE` transaction, which takes the database's one write lock at once;
//! - PostgreSQL (`postgres://...`), which several replicas share: each append updates the one row
//!   of `log_head`, and that row lock is held to the commit, so appends from every replica are
//!   serialised exactly where the log index is assigned.
//!
//! An append writes, in one transaction, the next log index (`log_head.size`), the decision
//! (its id, which is unique, the log entry's bytes and leaf hash, and the bundle's bytes exactly
//! as returned) and, in a table of their own, the applicant's opening. A failure anywhere rolls all
//! of it back, so the log has no gap and no half-written decision; a duplicate id is refused by the
//! database (`UNIQUE`), whichever replica tried first.
//!
//! Issued checkpoints are stored too (`checkpoints`, one per tree size), so that every replica
//! hands out the same signed note for one size and later ones can be proved consistent with it.

use std::path::PathBuf;

use govproof::bundle::DecisionId;

/// One schema, applied in order, recorded in `schema_migrations`. Only portable SQL: both
/// databases run the same text.
pub const MIGRATIONS: &[(i64, &str)] = &[(
    1,
    "CREATE TABLE log_head (
        id BIGINT PRIMARY KEY CHECK (id = 0),
        size BIGINT NOT NULL CHECK (size >= 0)
    );
    INSERT INTO log_head (id, size) VALUES (0, 0);
    CREATE TABLE decisions (
        log_index BIGINT PRIMARY KEY CHECK (log_index >= 0),
        decision_id TEXT NOT NULL UNIQUE,
        logged_at TEXT NOT NULL,
        leaf_hash TEXT NOT NULL,
        log_entry TEXT NOT NULL,
        bundle TEXT NOT NULL
    );
    CREATE TABLE openings (
        decision_id TEXT PRIMARY KEY REFERENCES decisions (decision_id),
        opening TEXT NOT NULL
    );
    CREATE TABLE checkpoints (
        size BIGINT PRIMARY KEY CHECK (size >= 0),
        root TEXT NOT NULL,
        note TEXT NOT NULL
    );",
)];

/// A decision to append.
#[derive(Debug, Clone)]
pub struct NewDecision {
    /// Its id (unique in the log).
    pub decision_id: DecisionId,
    /// When it was logged (RFC 3339).
    pub logged_at: String,
    /// The log entry's canonical bytes, as the transparency log hashes them (hex in the database).
    pub log_entry: Vec<u8>,
    /// The entry's leaf hash.
    pub leaf_hash: [u8; 32],
    /// The bundle, byte for byte as returned.
    pub bundle: String,
    /// The applicant's opening (JSON), kept apart from the log; `None` for decisions imported
    /// from a log that never kept them.
    pub opening: Option<String>,
}

/// A logged decision read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDecision {
    /// Its place in the log (from 0).
    pub log_index: u64,
    /// Its id.
    pub decision_id: String,
    /// When it was logged (RFC 3339).
    pub logged_at: String,
    /// The log entry's canonical bytes.
    pub log_entry: Vec<u8>,
    /// The entry's leaf hash.
    pub leaf_hash: [u8; 32],
    /// The bundle's bytes.
    pub bundle: String,
}

/// Errors from a store. None carries a password: URLs are shown without their credentials.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The id is already logged (by this replica or another).
    #[error("decision `{0}` is already logged")]
    Duplicate(String),
    /// The database URL is not one this service knows.
    #[error("database `{0}`: expected `sqlite:PATH` or `postgres://...`")]
    BadUrl(String),
    /// The database failed or could not be reached; nothing of the failed call was written.
    #[error("database: {0}")]
    Database(String),
    /// A row does not read back as written (the database was changed by hand).
    #[error("database row: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether the failure may pass (a lost connection, a restarting server) so that a retry on a
    /// fresh connection makes sense.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Database(_))
    }
}

/// The service's storage. Every method is one short transaction (or one read).
pub trait Store: Send {
    /// Appends a decision in one transaction and returns its log index.
    fn append(&mut self, decision: &NewDecision) -> Result<u64, StoreError> {
        self.append_batch(std::slice::from_ref(decision))
    }
    /// Appends decisions in one transaction (group commit: one index update, one commit) and
    /// returns the first one's log index; the others follow in order. All or nothing: one
    /// duplicate id refuses the whole batch.
    fn append_batch(&mut self, decisions: &[NewDecision]) -> Result<u64, StoreError>;
    /// The decision logged under `id`.
    fn get(&mut self, id: &str) -> Result<Option<StoredDecision>, StoreError>;
    /// The opening kept for `id`.
    fn opening(&mut self, id: &str) -> Result<Option<String>, StoreError>;
    /// The number of logged decisions (the log's size).
    fn size(&mut self) -> Result<u64, StoreError>;
    /// The leaf hashes of log indexes `from..`, in order (how a replica catches up).
    fn leaves_from(&mut self, from: u64) -> Result<Vec<[u8; 32]>, StoreError>;
    /// The log entries' canonical bytes of indexes `start..end`, in order.
    fn entries(&mut self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError>;
    /// Every logged decision in log order (audits and exports).
    fn all(&mut self) -> Result<Vec<StoredDecision>, StoreError>;
    /// Stores the signed checkpoint for `size` unless one is stored already, and returns the
    /// stored one (so every replica hands out the same note for one size).
    fn checkpoint(&mut self, size: u64, root: &[u8; 32], note: &str) -> Result<String, StoreError>;
    /// The stored checkpoint note for `size`.
    fn stored_checkpoint(&mut self, size: u64) -> Result<Option<String>, StoreError>;
    /// The stored checkpoint note of the largest size.
    fn latest_checkpoint(&mut self) -> Result<Option<String>, StoreError>;
    /// A description without credentials, for logs.
    fn describe(&self) -> String;
}

/// Where the database is: `sqlite:PATH` or `postgres://user@host:port/db`.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection string.
    Postgres(String),
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl DatabaseUrl {
    /// Reads `sqlite:PATH` or `postgres://...` (also `postgresql://`).
    pub fn parse(text: &str) -> Result<DatabaseUrl, StoreError> {
        if let Some(path) = text.strip_prefix("sqlite:") {
            if path.is_empty() {
                return Err(StoreError::BadUrl(text.to_string()));
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(text.to_string()));
        }
        Err(StoreError::BadUrl(redact(text)))
    }

    /// The URL without a password.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(p) => format!("sqlite:{}", p.display()),
            DatabaseUrl::Postgres(u) => redact(u),
        }
    }

    /// Opens the database and brings its schema up to date.
    pub fn open(&self) -> Result<Box<dyn Store>, StoreError> {
        Ok(match self {
            DatabaseUrl::Sqlite(path) => Box::new(sqlite::SqliteStore::open(path)?),
            DatabaseUrl::Postgres(url) => Box::new(pg::PostgresStore::open(url)?),
        })
    }
}

/// `scheme://user:password@host` -> `scheme://user@host`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    let user = userinfo.split(':').next().unwrap_or("");
    format!("{scheme}://{user}@{host}")
}

fn hash_from_hex(text: &str) -> Result<[u8; 32], StoreError> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out)
        .map_err(|_| StoreError::Corrupt(format!("`{text}` is not a 32-byte hex hash")))?;
    Ok(out)
}

fn index(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("negative log index `{value}`")))
}

fn stored(
    log_index: i64,
    decision_id: String,
    logged_at: String,
    leaf: String,
    entry: String,
    bundle: String,
) -> Result<StoredDecision, StoreError> {
    Ok(StoredDecision {
        log_index: index(log_index)?,
        decision_id,
        logged_at,
        log_entry: hex::decode(&entry)
            .map_err(|_| StoreError::Corrupt("a log entry is not hex".to_string()))?,
        leaf_hash: hash_from_hex(&leaf)?,
        bundle,
    })
}

/// The statements both databases run (SQLite reads `?1`, PostgreSQL `$1`: [`pg`] swaps them).
mod sql {
    pub const NEXT_INDEX: &str =
        "UPDATE log_head SET size = size + ?1 WHERE id = 0 RETURNING size - ?1";
    pub const INSERT_DECISION: &str = "INSERT INTO decisions \
        (log_index, decision_id, logged_at, leaf_hash, log_entry, bundle) \
        VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    pub const INSERT_OPENING: &str = "INSERT INTO openings (decision_id, opening) VALUES (?1, ?2)";
    pub const GET: &str = "SELECT log_index, decision_id, logged_at, leaf_hash, log_entry, bundle \
        FROM decisions WHERE decision_id = ?1";
    pub const ALL: &str = "SELECT log_index, decision_id, logged_at, leaf_hash, log_entry, bundle \
        FROM decisions ORDER BY log_index";
    pub const ENTRIES: &str = "SELECT log_index, log_entry FROM decisions \
        WHERE log_index >= ?1 AND log_index < ?2 ORDER BY log_index";
    pub const OPENING: &str = "SELECT opening FROM openings WHERE decision_id = ?1";
    pub const SIZE: &str = "SELECT size FROM log_head WHERE id = 0";
    pub const LEAVES: &str =
        "SELECT log_index, leaf_hash FROM decisions WHERE log_index >= ?1 ORDER BY log_index";
    pub const INSERT_CHECKPOINT: &str = "INSERT INTO checkpoints (size, root, note) \
        VALUES (?1, ?2, ?3) ON CONFLICT (size) DO NOTHING";
    pub const CHECKPOINT: &str = "SELECT note FROM checkpoints WHERE size = ?1";
    pub const LATEST_CHECKPOINT: &str = "SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1";
    pub const MIGRATIONS_TABLE: &str =
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY)";
    pub const APPLIED: &str = "SELECT version FROM schema_migrations";
    pub const RECORD: &str = "INSERT INTO schema_migrations (version) VALUES (?1)";
}

/// Checks that the leaves read are exactly indexes `from, from + 1, ...` (no gap).
fn contiguous(from: u64, rows: Vec<(i64, String)>) -> Result<Vec<[u8; 32]>, StoreError> {
    let mut out = Vec::with_capacity(rows.len());
    for (k, (i, leaf)) in rows.into_iter().enumerate() {
        if index(i)? != from + k as u64 {
            return Err(StoreError::Corrupt(format!(
                "the log has a gap before index {i}"
            )));
        }
        out.push(hash_from_hex(&leaf)?);
    }
    Ok(out)
}

/// Checks that the rows are exactly indexes `from, from + 1, ...` and decodes their hex entries.
fn contiguous_entries(from: u64, rows: Vec<(i64, String)>) -> Result<Vec<Vec<u8>>, StoreError> {
    let mut out = Vec::with_capacity(rows.len());
    for (k, (i, entry)) in rows.into_iter().enumerate() {
        if index(i)? != from + k as u64 {
            return Err(StoreError::Corrupt(format!(
                "the log has a gap before index {i}"
            )));
        }
        out.push(
            hex::decode(&entry)
                .map_err(|_| StoreError::Corrupt("a log entry is not hex".to_string()))?,
        );
    }
    Ok(out)
}

fn range(start: u64, end: u64) -> Result<(i64, i64), StoreError> {
    let conv = |v: u64| i64::try_from(v).map_err(|_| StoreError::Corrupt("index".into()));
    Ok((conv(start)?, conv(end)?))
}

mod sqlite {
    use super::{
        contiguous, contiguous_entries, index, range, sql, stored, NewDecision, StoreError,
        StoredDecision,
    };
    use rusqlite::{params, Connection, ErrorCode, OptionalExtension, TransactionBehavior};
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    /// The embedded store.
    pub struct SqliteStore {
        path: PathBuf,
        conn: Connection,
    }

    fn db(e: rusqlite::Error) -> StoreError {
        StoreError::Database(e.to_string())
    }

    /// How long a connection waits for another one's lock.
    const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

    fn is_busy(e: &rusqlite::Error) -> bool {
        matches!(e, rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
    }

    impl SqliteStore {
        /// Opens (and creates or migrates) the database at `path`. Connections that open a new
        /// database at the same moment race to switch it to WAL and to create its tables, and
        /// SQLite answers the loser `database is locked` at once instead of waiting (waiting
        /// could deadlock): such an opening starts again, until the busy timeout.
        pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
            let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
            loop {
                let conn = Connection::open(path).map_err(|e| {
                    StoreError::Database(format!("cannot open `{}`: {e}", path.display()))
                })?;
                match Self::prepare(path, conn) {
                    Ok(store) => return Ok(store),
                    Err(e) if is_busy(&e) && std::time::Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    Err(e) => return Err(db(e)),
                }
            }
        }

        fn prepare(path: &Path, conn: Connection) -> rusqlite::Result<SqliteStore> {
            conn.busy_timeout(BUSY_TIMEOUT)?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "FULL")?;
            conn.pragma_update(None, "foreign_keys", "ON")?;
            let mut store = SqliteStore {
                path: path.to_path_buf(),
                conn,
            };
            store.migrate()?;
            Ok(store)
        }

        fn migrate(&mut self) -> rusqlite::Result<()> {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(sql::MIGRATIONS_TABLE, [])?;
            let applied: Vec<i64> = {
                let mut stmt = tx.prepare(sql::APPLIED)?;
                let rows = stmt.query_map([], |r| r.get(0))?;
                rows.collect::<Result<_, _>>()?
            };
            for (version, text) in super::MIGRATIONS {
                if !applied.contains(version) {
                    tx.execute_batch(text)?;
                    tx.execute(sql::RECORD, params![version])?;
                }
            }
            tx.commit()
        }
    }

    type Row = (i64, String, String, String, String, String);
    fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        ))
    }

    impl super::Store for SqliteStore {
        fn append_batch(&mut self, batch: &[NewDecision]) -> Result<u64, StoreError> {
            let n = i64::try_from(batch.len()).map_err(|_| StoreError::Corrupt("batch".into()))?;
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            let first: i64 = tx
                .query_row(sql::NEXT_INDEX, params![n], |r| r.get(0))
                .map_err(db)?;
            for (k, d) in batch.iter().enumerate() {
                let inserted = tx.execute(
                    sql::INSERT_DECISION,
                    params![
                        first + k as i64,
                        d.decision_id.as_str(),
                        d.logged_at,
                        hex::encode(d.leaf_hash),
                        hex::encode(&d.log_entry),
                        d.bundle
                    ],
                );
                match inserted {
                    Err(rusqlite::Error::SqliteFailure(e, _))
                        if e.code == ErrorCode::ConstraintViolation =>
                    {
                        // Dropping `tx` rolls back, index increment included.
                        return Err(StoreError::Duplicate(d.decision_id.to_string()));
                    }
                    other => {
                        other.map_err(db)?;
                    }
                }
                if let Some(opening) = &d.opening {
                    tx.execute(
                        sql::INSERT_OPENING,
                        params![d.decision_id.as_str(), opening],
                    )
                    .map_err(db)?;
                }
            }
            tx.commit().map_err(db)?;
            index(first)
        }

        fn get(&mut self, id: &str) -> Result<Option<StoredDecision>, StoreError> {
            let r = self
                .conn
                .query_row(sql::GET, params![id], row)
                .optional()
                .map_err(db)?;
            r.map(|(a, b, c, d, e, f)| stored(a, b, c, d, e, f))
                .transpose()
        }

        fn opening(&mut self, id: &str) -> Result<Option<String>, StoreError> {
            self.conn
                .query_row(sql::OPENING, params![id], |r| r.get(0))
                .optional()
                .map_err(db)
        }

        fn size(&mut self) -> Result<u64, StoreError> {
            let s: i64 = self
                .conn
                .query_row(sql::SIZE, [], |r| r.get(0))
                .map_err(db)?;
            index(s)
        }

        fn leaves_from(&mut self, from: u64) -> Result<Vec<[u8; 32]>, StoreError> {
            let start = i64::try_from(from).map_err(|_| StoreError::Corrupt("index".into()))?;
            let mut stmt = self.conn.prepare_cached(sql::LEAVES).map_err(db)?;
            let rows = stmt
                .query_map(params![start], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(db)?
                .collect::<Result<Vec<(i64, String)>, _>>()
                .map_err(db)?;
            contiguous(from, rows)
        }

        fn entries(&mut self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError> {
            let (s, e) = range(start, end)?;
            let mut stmt = self.conn.prepare_cached(sql::ENTRIES).map_err(db)?;
            let rows = stmt
                .query_map(params![s, e], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(db)?
                .collect::<Result<Vec<(i64, String)>, _>>()
                .map_err(db)?;
            contiguous_entries(start, rows)
        }

        fn all(&mut self) -> Result<Vec<StoredDecision>, StoreError> {
            let mut stmt = self.conn.prepare(sql::ALL).map_err(db)?;
            let rows = stmt
                .query_map([], row)
                .map_err(db)?
                .collect::<Result<Vec<Row>, _>>()
                .map_err(db)?;
            rows.into_iter()
                .map(|(a, b, c, d, e, f)| stored(a, b, c, d, e, f))
                .collect()
        }

        fn checkpoint(
            &mut self,
            size: u64,
            root: &[u8; 32],
            note: &str,
        ) -> Result<String, StoreError> {
            let s = i64::try_from(size).map_err(|_| StoreError::Corrupt("size".into()))?;
            self.conn
                .execute(sql::INSERT_CHECKPOINT, params![s, hex::encode(root), note])
                .map_err(db)?;
            self.stored_checkpoint(size)?
                .ok_or_else(|| StoreError::Corrupt("a stored checkpoint vanished".into()))
        }

        fn stored_checkpoint(&mut self, size: u64) -> Result<Option<String>, StoreError> {
            let s = i64::try_from(size).map_err(|_| StoreError::Corrupt("size".into()))?;
            self.conn
                .query_row(sql::CHECKPOINT, params![s], |r| r.get(0))
                .optional()
                .map_err(db)
        }

        fn latest_checkpoint(&mut self) -> Result<Option<String>, StoreError> {
            self.conn
                .query_row(sql::LATEST_CHECKPOINT, [], |r| r.get(0))
                .optional()
                .map_err(db)
        }

        fn describe(&self) -> String {
            format!("sqlite:{}", self.path.display())
        }
    }
}

mod pg {
    use super::{
        contiguous, contiguous_entries, index, range, redact, sql, stored, NewDecision, StoreError,
        StoredDecision,
    };
    use postgres::error::SqlState;
    use postgres::{Client, NoTls};

    /// A key for `pg_advisory_xact_lock` that serialises replicas migrating at the same time.
    const MIGRATION_LOCK: i64 = 0x676f_7670_726f_6f66; // "govproof"

    /// The shared store. One connection; reconnects after the server went away.
    pub struct PostgresStore {
        url: String,
        client: Option<Client>,
    }

    fn q(text: &str) -> String {
        text.replace('?', "$")
    }

    fn db(e: postgres::Error) -> StoreError {
        StoreError::Database(e.to_string())
    }

    impl PostgresStore {
        pub fn open(url: &str) -> Result<PostgresStore, StoreError> {
            let mut store = PostgresStore {
                url: url.to_string(),
                client: None,
            };
            store.migrate()?;
            Ok(store)
        }

        /// The connection, opened again if the last one broke (a restarted server).
        fn client(&mut self) -> Result<&mut Client, StoreError> {
            if self.client.as_ref().is_none_or(Client::is_closed) {
                let client = Client::connect(&self.url, NoTls).map_err(|e| {
                    StoreError::Database(format!("cannot connect to `{}`: {e}", redact(&self.url)))
                })?;
                self.client = Some(client);
            }
            self.client
                .as_mut()
                .ok_or_else(|| StoreError::Database("no connection".to_string()))
        }

        /// Runs `f`; a failed call drops the connection so the next one starts afresh.
        fn with<T>(
            &mut self,
            f: impl FnOnce(&mut Client) -> Result<T, StoreError>,
        ) -> Result<T, StoreError> {
            let client = self.client()?;
            let out = f(client);
            if matches!(out, Err(StoreError::Database(_))) {
                self.client = None;
            }
            out
        }

        fn migrate(&mut self) -> Result<(), StoreError> {
            self.with(|c| {
                let mut tx = c.transaction().map_err(db)?;
                tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
                    .map_err(db)?;
                tx.batch_execute(sql::MIGRATIONS_TABLE).map_err(db)?;
                let applied: Vec<i64> = tx
                    .query(sql::APPLIED, &[])
                    .map_err(db)?
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                for (version, text) in super::MIGRATIONS {
                    if !applied.contains(version) {
                        tx.batch_execute(text).map_err(db)?;
                        tx.execute(&q(sql::RECORD), &[version]).map_err(db)?;
                    }
                }
                tx.commit().map_err(db)
            })
        }
    }

    impl Drop for PostgresStore {
        /// The blocking client runs a small runtime of its own, which must not be dropped on an
        /// async thread (as when the service ends): it is closed on a thread of its own.
        fn drop(&mut self) {
            if let Some(client) = self.client.take() {
                let _ = std::thread::spawn(move || drop(client)).join();
            }
        }
    }

    fn row(r: &postgres::Row) -> Result<StoredDecision, StoreError> {
        stored(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5))
    }

    impl super::Store for PostgresStore {
        fn append_batch(&mut self, batch: &[NewDecision]) -> Result<u64, StoreError> {
            let n = i64::try_from(batch.len()).map_err(|_| StoreError::Corrupt("batch".into()))?;
            self.with(|c| {
                let mut tx = c.transaction().map_err(db)?;
                // Locks the head row until commit: replicas take turns here, and only here.
                let first: i64 = tx.query_one(&q(sql::NEXT_INDEX), &[&n]).map_err(db)?.get(0);
                for (k, d) in batch.iter().enumerate() {
                    let at = first + k as i64;
                    let inserted = tx.execute(
                        &q(sql::INSERT_DECISION),
                        &[
                            &at,
                            &d.decision_id.as_str(),
                            &d.logged_at,
                            &hex::encode(d.leaf_hash),
                            &hex::encode(&d.log_entry),
                            &d.bundle,
                        ],
                    );
                    if let Err(e) = &inserted {
                        if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
                            // Dropping `tx` rolls back, index increment included.
                            return Err(StoreError::Duplicate(d.decision_id.to_string()));
                        }
                    }
                    inserted.map_err(db)?;
                    if let Some(opening) = &d.opening {
                        tx.execute(&q(sql::INSERT_OPENING), &[&d.decision_id.as_str(), opening])
                            .map_err(db)?;
                    }
                }
                tx.commit().map_err(db)?;
                index(first)
            })
        }

        fn get(&mut self, id: &str) -> Result<Option<StoredDecision>, StoreError> {
            self.with(|c| {
                c.query_opt(&q(sql::GET), &[&id])
                    .map_err(db)?
                    .map(|r| row(&r))
                    .transpose()
            })
        }

        fn opening(&mut self, id: &str) -> Result<Option<String>, StoreError> {
            self.with(|c| {
                Ok(c.query_opt(&q(sql::OPENING), &[&id])
                    .map_err(db)?
                    .map(|r| r.get(0)))
            })
        }

        fn size(&mut self) -> Result<u64, StoreError> {
            self.with(|c| index(c.query_one(sql::SIZE, &[]).map_err(db)?.get(0)))
        }

        fn leaves_from(&mut self, from: u64) -> Result<Vec<[u8; 32]>, StoreError> {
            let start = i64::try_from(from).map_err(|_| StoreError::Corrupt("index".into()))?;
            self.with(|c| {
                let rows = c
                    .query(&q(sql::LEAVES), &[&start])
                    .map_err(db)?
                    .iter()
                    .map(|r| (r.get(0), r.get(1)))
                    .collect();
                contiguous(from, rows)
            })
        }

        fn entries(&mut self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError> {
            let (s, e) = range(start, end)?;
            self.with(|c| {
                let rows = c
                    .query(&q(sql::ENTRIES), &[&s, &e])
                    .map_err(db)?
                    .iter()
                    .map(|r| (r.get(0), r.get(1)))
                    .collect();
                contiguous_entries(start, rows)
            })
        }

        fn all(&mut self) -> Result<Vec<StoredDecision>, StoreError> {
            self.with(|c| {
                c.query(sql::ALL, &[])
                    .map_err(db)?
                    .iter()
                    .map(row)
                    .collect()
            })
        }

        fn checkpoint(
            &mut self,
            size: u64,
            root: &[u8; 32],
            note: &str,
        ) -> Result<String, StoreError> {
            let s = i64::try_from(size).map_err(|_| StoreError::Corrupt("size".into()))?;
            self.with(|c| {
                c.execute(&q(sql::INSERT_CHECKPOINT), &[&s, &hex::encode(root), &note])
                    .map_err(db)?;
                c.query_opt(&q(sql::CHECKPOINT), &[&s])
                    .map_err(db)?
                    .map(|r| r.get(0))
                    .ok_or_else(|| StoreError::Corrupt("a stored checkpoint vanished".into()))
            })
        }

        fn stored_checkpoint(&mut self, size: u64) -> Result<Option<String>, StoreError> {
            let s = i64::try_from(size).map_err(|_| StoreError::Corrupt("size".into()))?;
            self.with(|c| {
                Ok(c.query_opt(&q(sql::CHECKPOINT), &[&s])
                    .map_err(db)?
                    .map(|r| r.get(0)))
            })
        }

        fn latest_checkpoint(&mut self) -> Result<Option<String>, StoreError> {
            self.with(|c| {
                Ok(c.query_opt(sql::LATEST_CHECKPOINT, &[])
                    .map_err(db)?
                    .map(|r| r.get(0)))
            })
        }

        fn describe(&self) -> String {
            redact(&self.url)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn decision(id: &str) -> NewDecision {
        NewDecision {
            decision_id: govproof::bundle::DecisionId::new(id).unwrap(),
            logged_at: "2026-12-07T00:00:00Z".to_string(),
            log_entry: id.as_bytes().to_vec(),
            leaf_hash: *blake3::hash(id.as_bytes()).as_bytes(),
            bundle: format!("{{\"id\":\"{id}\"}}"),
            opening: Some("{}".to_string()),
        }
    }

    /// Appends from `threads` connections at once: indexes 0..n, no gap, duplicates refused.
    pub(crate) fn concurrent_appends(url: &DatabaseUrl) {
        let threads = 4;
        let per = 25;
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let url = url.clone();
                std::thread::spawn(move || {
                    let mut s = url.open().unwrap();
                    for k in 0..per {
                        // Every thread also tries an id another thread owns: whichever comes
                        // second is refused.
                        let other = format!("d-{}-{k}", (t + 1) % threads);
                        for id in [format!("d-{t}-{k}"), other] {
                            match s.append(&decision(&id)) {
                                Err(StoreError::Duplicate(_)) | Ok(_) => {}
                                Err(e) => panic!("{e}"),
                            }
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let mut s = url.open().unwrap();
        let all = s.all().unwrap();
        assert_eq!(all.len(), threads * per);
        assert_eq!(s.size().unwrap(), (threads * per) as u64);
        for (k, d) in all.iter().enumerate() {
            assert_eq!(d.log_index, k as u64);
        }
        assert_eq!(s.leaves_from(0).unwrap().len(), threads * per);
        let again = s.append(&decision("d-0-0"));
        assert!(matches!(again, Err(StoreError::Duplicate(_))), "{again:?}");
        assert_eq!(
            s.size().unwrap(),
            (threads * per) as u64,
            "a refused append left a gap"
        );
        assert_eq!(s.opening("d-0-0").unwrap().as_deref(), Some("{}"));
        // A batch is one transaction: contiguous indexes, or nothing at all.
        let n = (threads * per) as u64;
        let batch = [decision("b-1"), decision("b-2")];
        assert_eq!(s.append_batch(&batch).unwrap(), n);
        let bad = [decision("b-3"), decision("b-1")];
        assert!(matches!(
            s.append_batch(&bad),
            Err(StoreError::Duplicate(_))
        ));
        assert!(
            s.get("b-3").unwrap().is_none(),
            "a refused batch left a row"
        );
        assert_eq!(s.size().unwrap(), n + 2);
        let first = s.checkpoint(3, &[1; 32], "note a").unwrap();
        let second = s.checkpoint(3, &[2; 32], "note b").unwrap();
        assert_eq!((first.as_str(), second.as_str()), ("note a", "note a"));
        s.checkpoint(7, &[3; 32], "note c").unwrap();
        s.checkpoint(5, &[4; 32], "note d").unwrap();
        assert_eq!(s.latest_checkpoint().unwrap().as_deref(), Some("note c"));
    }

    #[test]
    fn sqlite_appends_from_many_connections_get_contiguous_unique_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let url =
            DatabaseUrl::parse(&format!("sqlite:{}", dir.path().join("s.db").display())).unwrap();
        concurrent_appends(&url);
    }

    #[test]
    fn postgres_appends_from_many_connections_get_contiguous_unique_indexes() {
        let Some(url) = crate::testdb::fresh_postgres("store_concurrent") else {
            return;
        };
        concurrent_appends(&url);
    }

    #[test]
    fn urls_are_read_and_redacted() {
        assert!(matches!(
            DatabaseUrl::parse("mysql://x"),
            Err(StoreError::BadUrl(_))
        ));
        let u = DatabaseUrl::parse("postgres://u:secret@127.0.0.1:5/db").unwrap();
        assert_eq!(u.redacted(), "postgres://u@127.0.0.1:5/db");
    }
}
