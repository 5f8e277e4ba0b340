//! Fuzzes the bundle reader, the first thing the bundled verifier runs on outside input: strict
//! parsing (size limit, header, schema, canonical values), and for documents that parse, the
//! writer (a bundle read back from what it writes must be the same bundle) and the registry
//! check against a fixed trust root. Any panic is a bug: bad input must only ever be refused.

#![no_main]

use std::sync::OnceLock;

use govproof::bundle::Bundle;
use govproof::registry::{Root, Signed, TrustState};
use libfuzzer_sys::fuzz_target;

const ROOT: &str = include_str!("../../tests/data/bundles/trust/root.json");

fn trust() -> &'static TrustState {
    static TRUST: OnceLock<TrustState> = OnceLock::new();
    TRUST.get_or_init(|| {
        let root: Signed<Root> = match serde_json::from_str(ROOT) {
            Ok(r) => r,
            Err(e) => panic!("the fixture root must parse: {e}"),
        };
        match TrustState::bootstrap(root) {
            Ok(t) => t,
            Err(e) => panic!("the fixture root must be self-signed: {e}"),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(bundle) = Bundle::from_json(data) else {
        return;
    };
    let text = bundle.to_json_pretty();
    match Bundle::from_json(text.as_bytes()) {
        Ok(again) => assert_eq!(again, bundle, "a written bundle must read back the same"),
        Err(e) => panic!("a written bundle must read back: {e}"),
    }
    let _ = trust().check_snapshot(&bundle.registry.snapshot, bundle.decision.time);
    let _ = bundle.public_inputs.to_fields();
    let _ = bundle.decision.outcome.public_input();
});
