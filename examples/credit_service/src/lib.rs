//! An example credit-decision service built on govproof: every decision is proved through a
//! pool of warm provers, stored with its transparency-log entry in one database transaction, and
//! only then returned.
//!
//! - [`config`]: settings from a TOML file, the environment and the command line;
//! - [`deployment`]: the lender's registry root, registry, policy and model, checked;
//! - [`engine`]: application in, prepared decision and witness out; proof in, bundle out;
//! - [`store`]: the database (SQLite or PostgreSQL) behind one interface, one schema;
//! - [`transparency`]: the RFC 9162 log over the stored decisions, signed checkpoints, proofs;
//! - [`log`]: the former hash-chained JSON Lines log, read only to import it;
//! - [`ops`]: structured logs and Prometheus metrics;
//! - [`service`]: the HTTP routes, backpressure and graceful shutdown;
//! - [`loadtest`]: a bounded loopback client that loads the service and audits its log.
//!
//! The binary (`src/main.rs`) only parses arguments and calls these.

pub mod bench;
pub mod config;
pub mod deployment;
pub mod engine;
pub mod import;
pub mod loadtest;
pub mod log;
pub mod ops;
pub mod service;
pub mod store;
pub mod testdb;
pub mod transparency;
