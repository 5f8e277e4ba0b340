//! What the benchmarks share: the demonstration lender of `govproof demo`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use govproof::decide::{Model, TrustedRegistry};
use govproof::demo::{demo_model, demo_policy, publish_registry, Approval};
use govproof::policy::Policy;
use govproof::registry::entry::Digest;
use govproof::registry::{Root, SecretKey, Signed, Timestamp, TrustState};

/// bb from `GOVPROOF_BB`, else the installed pinned toolchain's; `None` (the benchmark measures
/// nothing) when neither is there: benchmarks never install.
pub fn installed_bb() -> Option<PathBuf> {
    std::env::var_os("GOVPROOF_BB")
        .map(PathBuf::from)
        .or_else(|| {
            let home = govproof::toolchain::home().ok()?;
            let found = govproof::toolchain::find_installed(&home, govproof::toolchain::PINNED);
            found.ok().flatten().map(|t| t.bb())
        })
}

/// The demo policy and model, approved in a registry published under `dir` by two of three keys
/// from public seeds (benchmarks only), opened at `now`.
pub struct DemoLender {
    pub policy: Policy,
    pub model: Model,
    pub root: Signed<Root>,
    pub trusted: TrustedRegistry,
}

pub fn demo_lender(dir: &Path, now: Timestamp) -> DemoLender {
    let policy = demo_policy(now).unwrap();
    let model = demo_model(&policy).unwrap();
    let keys: Vec<SecretKey> = (1..=3u8).map(|i| SecretKey::from_seed(&[i; 32])).collect();
    let (registry, root) = publish_registry(
        &dir.join("registry"),
        &keys,
        2,
        &[Approval {
            model: &model,
            model_digest: Digest::from_bytes([0; 32]),
            policy: &policy,
        }],
        now,
    )
    .unwrap();
    let trust = TrustState::bootstrap(root.clone()).unwrap();
    let trusted = TrustedRegistry::open(&registry, &trust, now).unwrap();
    DemoLender {
        policy,
        model,
        root,
        trusted,
    }
}
