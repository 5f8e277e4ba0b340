//! A profile that is not precompiled: the SDK generates its composite, compiles it with the pinned
//! toolchain, caches it by source hash, and the result proves the same statement (valid decisions
//! solve, broken ones are refused). The pinned toolchain is installed on first use.

#![allow(clippy::unwrap_used)]

use crate::circuits_support;

use govproof::artifact::Artifact;
use govproof::circuits::generate::compile_cached;
use govproof::circuits::Profile;
use govproof::toolchain::InstallPolicy;
use govproof::witness::{execute, WitnessError};

use circuits_support::mutated;

#[test]
fn small_profiles_generate_compile_cache_and_decide() {
    // Installs the pinned toolchain on first use.
    circuits_support::bb();
    let cache = tempfile::tempdir().unwrap();
    for name in ["mlp-6x3-d4-b3-s2-p1-m2", "linear-5-d3-s3-p1-m2-gate"] {
        let profile = Profile::from_name(name).unwrap();
        let mut log = Vec::new();
        let json = compile_cached(
            &profile,
            cache.path(),
            InstallPolicy::RequireInstalled,
            &mut |m| log.push(m.to_string()),
        )
        .unwrap();
        assert!(log.iter().any(|m| m.contains("compiling")), "{log:?}");
        // The second request is served from the cache, byte for byte.
        let mut again = Vec::new();
        let cached = compile_cached(
            &profile,
            cache.path(),
            InstallPolicy::RequireInstalled,
            &mut |m| again.push(m.to_string()),
        )
        .unwrap();
        assert_eq!(cached, json);
        assert!(again.is_empty(), "{again:?}");

        let artifact = Artifact::from_json(name, std::str::from_utf8(&json).unwrap()).unwrap();
        let valid = mutated(profile, 3, "none");
        assert_eq!(valid.first_violation(), None);
        let solved = execute(&artifact, &valid.inputs()).unwrap();
        assert_eq!(
            solved.public_inputs(),
            valid.statement().to_fields().as_slice()
        );
        let bad = mutated(profile, 3, "revoke_entry");
        match execute(&artifact, &bad.inputs()) {
            Err(WitnessError::AssertionFailed { message, .. }) => {
                assert_eq!(message, "entry is revoked")
            }
            other => panic!("expected the revoked entry to be refused, got {other:?}"),
        }
    }
}
