//! `govproof prove`, in-process, on the folder `govproof demo` leaves (development setup,
//! offline): one application proved into a bundle and an opening that `govproof verify` accepts,
//! and rejects once a proof bit is flipped; a refused application writes nothing and exits 2; the
//! loaders name each bad feature; many applications (JSON Lines) go through the pool, one bundle
//! each, refusals and bad lines reported per line. Also the bare-file-name writes (`-o h.json`),
//! run as a process in a scratch folder.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use crate::bundle_support;

use bundle_support::*;
use govproof_cli::Exit;

/// A demo folder (made once per test) and the arguments `govproof prove` needs to read it.
struct Demo {
    _scratch: tempfile::TempDir,
    dir: PathBuf,
}

impl Demo {
    fn new() -> Demo {
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path().join("demo");
        let (exit, out, err) = govproof(&["demo", "--dev-setup", "--dir", &s(&dir)]);
        assert_eq!(exit, Exit::Success, "{out}\n{err}");
        Demo {
            _scratch: scratch,
            dir,
        }
    }

    fn path(&self, name: &str) -> String {
        s(&self.dir.join(name))
    }

    fn prove(&self, extra: &[&str]) -> (Exit, String, String) {
        let bb = s(&bb());
        let mut args = vec![
            "prove".to_string(),
            "--registry".into(),
            self.path("registry"),
            "--trust".into(),
            self.path("root.json"),
            "--policy".into(),
            self.path("policy.toml"),
            "--model".into(),
            self.path("model.govproof"),
            "--dev-setup".into(),
            "--bb".into(),
            bb,
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        govproof(&args)
    }

    fn verify(&self, bundle: &Path, opening: Option<&Path>) -> (Exit, String, String) {
        let mut args = vec![
            "verify".to_string(),
            s(bundle),
            "--trust".into(),
            self.path("root.json"),
            "--policy".into(),
            self.path("policy.toml"),
            "--dev-setup".into(),
            "--bb".into(),
            s(&bb()),
        ];
        if let Some(o) = opening {
            args.extend(["--opening".to_string(), s(o)]);
        }
        govproof(&args)
    }

    fn application(&self) -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(self.dir.join("application.json")).unwrap()).unwrap()
    }
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn prove_writes_a_bundle_and_a_private_opening_that_verify_and_a_flipped_bit_is_rejected() {
    let demo = Demo::new();
    let out_dir = tempfile::tempdir().unwrap();
    let bundle = out_dir.path().join("decision.json");
    let (exit, out, err) = demo.prove(&[
        "--application",
        &demo.path("application.json"),
        "-o",
        &s(&bundle),
    ]);
    assert_eq!(exit, Exit::Success, "{out}\n{err}");
    assert!(out.contains("proved decision `demo-0001`"), "{out}");
    assert!(err.contains("prove nothing"), "{err}");
    let opening = out_dir.path().join("decision.opening.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&opening).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the opening must be private");
    }
    let (exit, out, _) = demo.verify(&bundle, Some(&opening));
    assert_eq!(exit, Exit::DevelopmentSetup, "{out}");
    assert!(out.contains("PASS  opening"), "{out}");

    // The negative twin: the same bundle with one proof bit flipped.
    let mut doc = govproof::bundle::Bundle::from_json(&std::fs::read(&bundle).unwrap()).unwrap();
    let mut proof = doc.proof.as_bytes().to_vec();
    proof[200] ^= 0x01;
    doc.proof = govproof::bundle::ProofBytes::new(proof).unwrap();
    let tampered = out_dir.path().join("tampered.json");
    std::fs::write(&tampered, doc.to_json_pretty()).unwrap();
    let (exit, out, _) = demo.verify(&tampered, None);
    assert_eq!(exit, Exit::Rejected, "{out}");
    assert!(out.contains("FAIL  proof"), "{out}");
}

#[test]
fn a_refused_application_writes_nothing_and_a_bad_one_names_each_feature() {
    let demo = Demo::new();
    let out_dir = tempfile::tempdir().unwrap();
    let bundle = out_dir.path().join("b.json");

    // Refused by the policy: the protected-feature model is fine, but the decision is out of the
    // policy's window (a time before it starts).
    let mut app = demo.application();
    app["time"] = "2001-01-01T00:00:00Z".into();
    let refused = out_dir.path().join("refused.json");
    std::fs::write(&refused, app.to_string()).unwrap();
    let (exit, out, err) = demo.prove(&[
        "--application",
        &s(&refused),
        "-o",
        &s(&bundle),
        "--format",
        "json",
    ]);
    assert_eq!(exit, Exit::Rejected, "{out}\n{err}");
    let answer: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(answer["status"], "refused");
    assert!(!answer["reasons"].as_array().unwrap().is_empty(), "{out}");
    assert_eq!(
        std::fs::read_dir(out_dir.path()).unwrap().count(),
        1,
        "only the input is there"
    );

    // Each unknown, missing and out-of-range feature is named, in one line.
    let mut app = demo.application();
    let features = app["features"].as_object_mut().unwrap();
    features.remove("age");
    features.insert("agee".into(), 41.into());
    features.insert("debt_to_income".into(), 99.into());
    let bad = out_dir.path().join("bad.json");
    std::fs::write(&bad, app.to_string()).unwrap();
    let (exit, _, err) = demo.prove(&["--application", &s(&bad), "-o", &s(&bundle)]);
    assert_eq!(exit, Exit::Error);
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{err}"
    );
    for part in [
        "bad.json`",
        "feature `agee` is not in policy",
        "feature `age` is missing",
        "feature `debt_to_income` is `99`, outside its declared range",
    ] {
        assert!(err.contains(part), "{part}: {err}");
    }
    assert!(!bundle.exists());

    // A FIFO or a folder given as the application is refused without blocking.
    let (exit, _, err) = demo.prove(&["--application", &s(out_dir.path()), "-o", &s(&bundle)]);
    assert_eq!(exit, Exit::Error);
    assert!(err.contains("is not a regular file"), "{err}");
}

#[test]
fn many_applications_are_proved_through_the_pool_with_refusals_reported_per_line() {
    let demo = Demo::new();
    let out_dir = tempfile::tempdir().unwrap();
    let base = demo.application();
    let with = |id: &str, change: &dyn Fn(&mut serde_json::Value)| {
        let mut a = base.clone();
        a["decision_id"] = id.into();
        change(&mut a);
        a.to_string()
    };
    let lines = [
        with("batch-1", &|_| {}),
        with("batch-2", &|a| a["time"] = "2001-01-01T00:00:00Z".into()),
        String::new(),
        "{not json".to_string(),
        with("batch-3", &|_| {}),
        with("batch-3", &|_| {}),
    ];
    let jsonl = out_dir.path().join("apps.jsonl");
    std::fs::write(&jsonl, lines.join("\n")).unwrap();
    let bundles = out_dir.path().join("bundles");
    let (exit, out, err) = demo.prove(&[
        "--applications",
        &s(&jsonl),
        "--out-dir",
        &s(&bundles),
        "--workers",
        "2",
    ]);
    assert_eq!(
        exit,
        Exit::Error,
        "a bad line makes the run fail: {out}\n{err}"
    );
    assert!(err.contains("proving: 5/5 done"), "{err}");
    assert!(out.contains("line 1: proved `batch-1`"), "{out}");
    assert!(out.contains("line 2: decision `batch-2` refused"), "{out}");
    assert!(out.contains("error: application `"), "{out}");
    assert!(out.contains("line 4: not an application"), "{out}");
    assert!(
        out.contains("line 6: decision id `batch-3` appears more than once"),
        "{out}"
    );
    assert!(
        out.contains("5 applications: 2 proved, 1 refused, 2 failed"),
        "{out}"
    );
    for id in ["batch-1", "batch-3"] {
        let bundle = bundles.join(format!("{id}.bundle.json"));
        let (exit, out, _) =
            demo.verify(&bundle, Some(&bundles.join(format!("{id}.opening.json"))));
        assert_eq!(exit, Exit::DevelopmentSetup, "{out}");
    }
    assert!(!bundles.join("batch-2.bundle.json").exists());
}

/// Runs the govproof binary in `dir`.
fn binary_in(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_govproof"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn commands_that_write_take_a_bare_file_name() {
    let scratch = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = root.join("tests/data/models/accepted/gbt_sklearn");
    let (onnx, schema, calibration) = (
        s(&model.join("model.onnx")),
        s(&model.join("schema.toml")),
        s(&model.join("calibration.csv")),
    );
    let done = binary_in(
        scratch.path(),
        &[
            "model",
            "import",
            &onnx,
            "--features",
            &schema,
            "--calibration",
            &calibration,
            "--out",
            "credit.govproof",
            "--no-compile",
        ],
    );
    let text =
        String::from_utf8_lossy(&done.stdout).to_string() + &String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "{text}");
    assert!(text.contains("wrote credit.govproof"), "{text}");
    assert!(
        text.contains("quantization certificate:"),
        "the summary is printed: {text}"
    );

    let done = binary_in(
        scratch.path(),
        &[
            "model",
            "certificate",
            "credit.govproof",
            "--out",
            "cert.json",
        ],
    );
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let cert: serde_json::Value =
        serde_json::from_slice(&std::fs::read(scratch.path().join("cert.json")).unwrap()).unwrap();
    assert!(cert.is_object());

    let project = root.join("circuits/hello_gate");
    let done = binary_in(scratch.path(), &["compile", &s(&project), "-o", "h.json"]);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(String::from_utf8_lossy(&done.stdout).contains("wrote h.json"));
    let artifact: serde_json::Value =
        serde_json::from_slice(&std::fs::read(scratch.path().join("h.json")).unwrap()).unwrap();
    assert!(artifact["bytecode"].is_string());
    // Nothing but the three files is left behind.
    let mut names: Vec<String> = std::fs::read_dir(scratch.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["cert.json", "credit.govproof", "h.json"]);
}

#[test]
fn registry_add_takes_the_entry_from_the_model_file_and_refuses_what_contradicts_it() {
    let demo = Demo::new();
    let scratch = tempfile::tempdir().unwrap();
    let dir = s(&scratch.path().join("registry"));
    let mut init = vec!["registry", "init", "--dir", &dir, "--threshold", "2"];
    let keys: Vec<String> = (1..=3)
        .map(|i| demo.path(&format!("keys/governance-{i}.pub")))
        .collect();
    for k in &keys {
        init.extend(["--key", k]);
    }
    let (exit, out, err) = govproof(&init);
    assert_eq!(exit, Exit::Success, "{out}\n{err}");
    let model = demo.path("model.govproof");
    let (_, before, _) = govproof(&["registry", "show", "--dir", &dir]);
    let add = |extra: &[&str]| {
        let mut args = vec![
            "registry",
            "add",
            "--dir",
            &dir,
            "--model",
            &model,
            "--scope",
            "consumer-credit/EU-DE/personal-loan",
            "--valid-from",
            "2026-01-01T00:00:00Z",
            "--valid-until",
            "2030-01-01T00:00:00Z",
            "--approved-by",
            "Model Risk Committee",
            "--approved-at",
            "2026-01-01T00:00:00Z",
        ];
        args.extend_from_slice(extra);
        govproof(&args)
    };
    for (extra, expected) in [
        (
            &["--model-id", "other-model"][..],
            "`--model-id` is `other-model` but the model file `",
        ),
        (
            &["--scope-capacity", "4"][..],
            "`--scope-capacity` is `4` but profile `mlp-24x16-d20-b8-s16-p8-m4` holds 16 scopes",
        ),
        (
            &["--fixed-point-scale", "1000"][..],
            "`--fixed-point-scale` is `1000` but profile `mlp-24x16-d20-b8-s16-p8-m4` proves at scale 65536",
        ),
        (
            &["--profile", "linear-24-d20-b8-s16-p8-m4"][..],
            "`--profile` is `linear-24-d20-b8-s16-p8-m4` but the model file",
        ),
    ] {
        let (exit, out, err) = add(extra);
        assert_eq!(exit, Exit::Error, "{extra:?}: {out}");
        assert!(err.contains(expected), "{extra:?}: {err}");
        // Refused before anything is staged.
        let (_, shown, _) = govproof(&["registry", "show", "--dir", &dir]);
        assert_eq!(shown, before);
    }
    // Agreeing flags are accepted, and the file fills in the rest.
    let (exit, out, err) = add(&["--scope-capacity", "16"]);
    assert_eq!(exit, Exit::Success, "{out}\n{err}");
    assert!(out.contains("staged snapshot 1: 1 entry"), "{out}");
    let entries: Vec<_> = std::fs::read_dir(scratch.path().join("registry/entries"))
        .unwrap()
        .collect();
    assert_eq!(entries.len(), 1);
    let proposal = std::fs::read_to_string(entries[0].as_ref().unwrap().path()).unwrap();
    let file = govproof::model::ModelFile::read(Path::new(&model)).unwrap();
    for part in [
        "\"mlp-24x16-d20-b8-s16-p8-m4\"".to_string(),
        format!("\"{}\"", file.weights_commitment().to_hex()),
        "quantization_certificate".to_string(),
        "\"scope_capacity\": 16".to_string(),
    ] {
        assert!(proposal.contains(&part), "{part}: {proposal}");
    }
}
