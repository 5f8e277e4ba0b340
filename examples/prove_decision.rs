//! A credit service's side of govproof in one file: prove one decision into a bundle with the
//! prover API, then check the bundle as a regulator would.
//!
//! It builds everything it needs in a temporary folder (two governance keys, a registry that
//! approves the reference model, the example policy) and proves with the development setup, so it
//! runs offline; its proof proves nothing. Run: `cargo run --example prove_decision`.

use govproof::bundle::{BundleVerifier, DecisionId, VerifyOptions};
use govproof::cli::demo::{demo_model, demo_policy, model_file, publish_registry, Approval};
use govproof::decide::{
    quantize_features, reference, Application, DecisionProver, TrustedRegistry,
};
use govproof::registry::entry::Digest;
use govproof::registry::{SecretKey, Timestamp, TrustState};
use govproof::setup::dangerous;

fn main() -> anyhow::Result<()> {
    let home = govproof::toolchain::home()?;
    let work = tempfile::tempdir()?;
    let now = Timestamp::now();

    // What the lender has: a checked policy, an approved model, a signed registry, a setup.
    let policy = demo_policy(now)?;
    let model = demo_model(&policy)?;
    let digest = Digest::from_bytes(*blake3::hash(&model_file(&policy, &model)).as_bytes());
    let keys = vec![SecretKey::generate()?, SecretKey::generate()?];
    let approval = Approval {
        model: &model,
        model_digest: digest,
        policy: &policy,
    };
    let (registry, root) =
        publish_registry(&work.path().join("registry"), &keys, 2, &[approval], now)?;
    let trust = TrustState::bootstrap(root)?;
    let setup = dangerous::development_setup(&home.join("setups").join("development"))?;

    // The prover: `build` exists only once registry, policy, model and setup are all given.
    let mut prover = DecisionProver::builder()
        .registry(TrustedRegistry::open(&registry, &trust, now)?)
        .policy(policy.clone())
        .model(model)
        .setup(setup)
        .build()?;

    // One application: features in the policy's order and units.
    let application = Application {
        decision_id: DecisionId::new("APP-2026-000042")?,
        time: now,
        scope: "consumer-credit/EU-DE/personal-loan".parse()?,
        features: quantize_features(&reference::reference_applicant(&policy))?,
    };
    let proved = prover.prove(&application)?;
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
        trust,
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
