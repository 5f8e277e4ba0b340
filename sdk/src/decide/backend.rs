//! What proves a prepared decision: any [`ProofBackend`]. govproof implements it for one warm
//! [`Prover`] (one bb process), for a [`ProverPool`] (one bb per core behind a bounded queue;
//! `&ProverPool` too, so threads share one pool), and for `&mut B` of any backend; a service can
//! implement it for its own (a remote prover, a queue) as long as the proof comes from bb with
//! the context's setup: [`super::DecisionContext::seal`] checks the setup, the target and every
//! public input.

use crate::prover::pool::{PoolError, ProofRequest, ProverPool};
use crate::prover::{Proof, Prover, ProverError};

/// Proves that a request's witness satisfies its circuit, for its target.
pub trait ProofBackend {
    /// Why a proof was not made.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Proves `request`. The proof must record the setup it was made with.
    fn prove(&mut self, request: &ProofRequest) -> Result<Proof, Self::Error>;

    /// What the backend's bb printed as its version (recorded in bundles; must be the bb the
    /// context computed its verification key with).
    fn bb_version(&self) -> &str;
}

impl ProofBackend for Prover {
    type Error = ProverError;

    fn prove(&mut self, request: &ProofRequest) -> Result<Proof, ProverError> {
        Prover::prove(self, request.circuit(), request.witness(), request.target())
    }

    fn bb_version(&self) -> &str {
        Prover::bb_version(self)
    }
}

impl ProofBackend for &ProverPool {
    type Error = PoolError;

    fn prove(&mut self, request: &ProofRequest) -> Result<Proof, PoolError> {
        ProverPool::prove(self, request.clone()).map(|p| p.proof)
    }

    fn bb_version(&self) -> &str {
        ProverPool::bb_version(self)
    }
}

impl ProofBackend for ProverPool {
    type Error = PoolError;

    fn prove(&mut self, request: &ProofRequest) -> Result<Proof, PoolError> {
        ProverPool::prove(self, request.clone()).map(|p| p.proof)
    }

    fn bb_version(&self) -> &str {
        ProverPool::bb_version(self)
    }
}

impl<B: ProofBackend + ?Sized> ProofBackend for &mut B {
    type Error = B::Error;

    fn prove(&mut self, request: &ProofRequest) -> Result<Proof, B::Error> {
        (**self).prove(request)
    }

    fn bb_version(&self) -> &str {
        (**self).bb_version()
    }
}
