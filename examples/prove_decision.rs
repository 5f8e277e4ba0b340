//! A credit service's side of govproof in one file, through the public API only: load the parts
//! of a decision from files, prove it into a bundle, and check the bundle as a regulator would.
//!
//! It reads a folder as `govproof demo` leaves it (a registry, its trusted root, the policy, the
//! `.govproof` model file and an application) and proves with the development setup, so it runs
//! offline; its proof proves nothing. Run:
//!
//! ```sh
//! cargo run --release -- demo --dev-setup --dir demo
//! cargo run --release --example prove_decision -- demo
//! ```

use std::path::PathBuf;

use govproof::setup::dangerous;
use govproof::{
    load, BundleVerifier, Decided, DecisionContext, DecisionParts, Timestamp, VerifyOptions,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        return Err("give the folder `govproof demo --dev-setup --dir DIR` made".into());
    };
    let home = govproof::toolchain::home()?;
    let now = Timestamp::now();

    // What the lender has: a checked policy, an approved model, a signed registry, a setup.
    let policy = load::policy(&dir.join("policy.toml"), Some(now))?;
    let application = load::application(&dir.join("application.json"), &policy, now)?;
    let context = DecisionContext::new(DecisionParts {
        registry: load::registry(&dir.join("registry"), &dir.join("root.json"), now)?,
        model: load::model(&dir.join("model.govproof"))?,
        policy: policy.clone(),
        setup: dangerous::development_setup(&home.join("setups").join("development"))?,
    })?;

    // Prepare (native checks, witness), prove on a warm prover, seal into a bundle.
    let mut prover = context.prover()?;
    let proved = match context.decide(&application, &mut prover)? {
        Decided::Proved(p) => p,
        Decided::Refused(refusal) => {
            println!("{refusal}");
            return Ok(());
        }
    };
    println!(
        "proved {}: {} in {:.0} ms; bundle {} bytes",
        application.decision_id,
        proved.bundle.decision.outcome,
        proved.timings.proof.as_secs_f64() * 1000.0,
        proved.bundle.to_json_pretty().len()
    );
    // The salt and features stay with the lender.
    println!("opening kept by the lender: {:?}", proved.opening);

    // The regulator's side: the bundle, the registry's root and the policy file.
    let mut verifier = BundleVerifier::new(VerifyOptions {
        trust: load::trusted_root(&dir.join("root.json"))?,
        policy: Some(policy),
        acceptance: dangerous::accept_development_proofs(),
        bb: None,
        work_dir: home.join("verifier"),
        ignition_crs: None,
    });
    let report = verifier.verify(proved.bundle.to_json_pretty().as_bytes());
    print!("{}", report.render_text());
    Ok(())
}
