//! The integration tests, in one test binary.
//!
//! One binary rather than one per file: each binary links the whole SDK with acvm, arkworks and
//! the prover, and forty of them filled a CI disk and spent minutes linking. Run one area with a
//! filter, e.g. `cargo test --test integration registry_crash::`.

mod bundle_support;
mod circuits_support;
mod registry_support;

mod audit;
mod audit_batch;
mod audit_batch_keys;
mod bundle_fixtures;
mod bundle_format;
mod bundle_prover;
mod circuits_cases;
mod circuits_generate;
mod circuits_info;
mod circuits_mirror;
mod circuits_programs;
mod circuits_sources;
mod cli_example;
mod demo;
mod model_circuit;
mod model_cli;
mod model_deep;
mod model_german_credit;
mod model_import;
mod model_robustness;
mod model_tree_table;
mod policy_circuit;
mod policy_cli;
mod policy_diagnostics;
mod policy_hash;
mod policy_robustness;
mod pool;
mod prove_cli;
mod prover;
mod reasons;
mod reasons_trees;
mod registry_attacks;
mod registry_cli;
mod registry_crash;
mod registry_encoding;
mod registry_membership;
mod setup;
mod translog;
mod verify_bytes;
mod verify_export;
mod verify_fixtures;
mod verify_keys;
mod verify_portfolio;
mod verify_registry_keys;
mod witness;
