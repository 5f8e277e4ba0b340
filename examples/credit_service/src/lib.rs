//! An example credit-decision service built on govproof: every decision is proved through a
//! pool of warm provers, appended to a hash-chained decision log, and only then returned.
//!
//! - [`deployment`]: the lender's registry root, registry, policy and model, checked;
//! - [`engine`]: application in, prepared decision and witness out; proof in, bundle out;
//! - [`log`]: the hash-chained decision log;
//! - [`service`]: the HTTP routes, backpressure and graceful shutdown;
//! - [`loadtest`]: a bounded loopback client that loads the service and audits its log.
//!
//! The binary (`src/main.rs`) only parses arguments and calls these.

pub mod deployment;
pub mod engine;
pub mod loadtest;
pub mod log;
pub mod service;
pub mod store;
pub mod testdb;
