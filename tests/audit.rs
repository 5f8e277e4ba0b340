//! Audits of German Credit applicants (`govproof audit prove | verify`, `govproof::audit`): ten
//! real applicants (two groups by `personal_status_sex`, one counterfactual pair that changes
//! only that protected attribute) proved with the example scorecard on the development setup;
//! the figures recomputed here from the request's labels and the band indices among the bundles'
//! public inputs, by this file's own arithmetic; then a dropped row, a repeated row, a row proved
//! under another model version, a row's bundle moved to another row, a changed claim, a stated
//! accuracy that is not the proved one, and a counterfactual pair the model splits are each
//! refused with the reason and the rows named; and an audit stopped after a few rows by a failing
//! backend resumes without proving a finished row again (proof calls counted).

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use serde_json::Value;

use crate::bundle_support::govproof;
use crate::registry_support::CliRegistry;

use govproof::audit::{self, AuditCheck, AuditFile, FindingKind, Request};
use govproof::bundle::VerifyOptions;
use govproof::decide::{
    Application, ContextOptions, DecisionContext, DecisionParts, Model, Preparation, ProofBackend,
    TrustedRegistry,
};
use govproof::model::calibration::Calibration;
use govproof::model::{import, FeatureSchema, ImportPolicy, ImportRequest, ModelFile};
use govproof::policy::{check, Policy, SourceFile};
use govproof::prover::pool::{PoolConfig, PoolError, ProofRequest, ProverPool};
use govproof::prover::Proof;
use govproof::registry::{RegistryDir, Timestamp, TrustState};
use govproof::setup::dangerous;
use govproof_cli::registry::read_root_file;
use govproof_cli::Exit;

const REGISTRY_NOW: &str = "2026-06-01T00:00:00Z";
const DECISION_TIME: &str = "2026-06-01T09:00:00Z";
const SCOPE: &str = "consumer-credit/EU-DE/instalment-loan";
/// The German Credit applicants the audit asks about (1-based lines of the data set).
const APPLICANTS: [usize; 8] = [1, 2, 3, 4, 5, 6, 7, 8];

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/german_credit")
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn time(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn policy_path() -> PathBuf {
    example().join("policies/german-credit-scorecard.toml")
}

fn read_policy() -> Policy {
    let path = policy_path();
    let file = SourceFile::new(s(&path), std::fs::read_to_string(&path).unwrap());
    check(&file, &Default::default()).policy.unwrap()
}

/// The registry (scorecard 1.0.0 and 2.0.0, same weights), the model files, and one audit of the
/// base request proved through the command line: made once per test binary.
struct World {
    dir: tempfile::TempDir,
    registry: PathBuf,
    root: PathBuf,
    models: Vec<PathBuf>,
    request: PathBuf,
    audit: PathBuf,
}

/// The data set's header and its applicants' lines.
fn data_lines() -> (String, Vec<String>) {
    let text = std::fs::read_to_string(example().join("data/german_credit.csv")).unwrap();
    let mut lines = text.lines().map(String::from);
    let header = lines.next().unwrap();
    (header, lines.collect())
}

/// Writes a request in `dir`: the applicants, then a copy of applicant 1 with
/// `personal_status_sex` changed, paired with it (or the pair `pair` as given), and a nonce.
fn write_request(dir: &Path, name: &str, pairs: &[(usize, &str)]) -> PathBuf {
    let (header, lines) = data_lines();
    let columns: Vec<&str> = header.split(',').collect();
    let sex = columns
        .iter()
        .position(|c| *c == "personal_status_sex")
        .unwrap();
    let mut rows: Vec<Vec<String>> = APPLICANTS
        .iter()
        .map(|&a| lines[a - 1].split(',').map(String::from).collect())
        .collect();
    // Rows 9 and 10: applicant 1 and 2 with another `personal_status_sex`.
    for a in [0usize, 1] {
        let mut twin = rows[a].clone();
        twin[sex] = if twin[sex] == "2" {
            "0".into()
        } else {
            "2".into()
        };
        rows.push(twin);
    }
    let mut csv = format!("{header},pair\n");
    for (i, r) in rows.iter().enumerate() {
        let pair = pairs
            .iter()
            .find(|(row, _)| *row == i + 1)
            .map_or("", |(_, p)| *p);
        csv.push_str(&format!("{},{pair}\n", r.join(",")));
    }
    std::fs::write(dir.join(format!("{name}.csv")), csv).unwrap();
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "data = \"{name}.csv\"\nnonce = \"{}\"\ntime = \"{DECISION_TIME}\"\nscope = \"{SCOPE}\"\n\
             label = \"good\"\ngroups = [\"personal_status_sex\"]\npair = \"pair\"\n\
             ignore = [\"applicant\"]\n",
            hex::encode(blake3::hash(name.as_bytes()).as_bytes())
        ),
    )
    .unwrap();
    path
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let bb = crate::bundle_support::bb();
        let dir = tempfile::tempdir().unwrap();
        let made = CliRegistry::init(dir.path(), REGISTRY_NOW);
        let schema = FeatureSchema::read(&example().join("features.toml")).unwrap();
        let data = Calibration::read(&example().join("data/german_credit.csv"), &schema).unwrap();
        let onnx = std::fs::read(example().join("models/scorecard.onnx")).unwrap();
        let bands = ImportPolicy::read(&policy_path()).unwrap();
        let mut models = Vec::new();
        for version in ["1.0.0", "2.0.0"] {
            let (file, _) = import(&ImportRequest {
                onnx_name: "scorecard",
                onnx: &onnx,
                schema: &schema,
                calibration: &data,
                policy: Some(&bands),
                profile: None,
                model_id: "german-credit-scorecard",
                version,
                max_bound: None,
            })
            .unwrap();
            let path = dir.path().join(format!("scorecard-{version}.govproof"));
            file.write(&path).unwrap();
            made.add_model(&path, &bb, REGISTRY_NOW);
            models.push(path);
        }
        let registry = made.dir.clone();
        let root = registry.join("root/1.json");
        // Rows 1 and 9 are one applicant with `personal_status_sex` changed.
        let request = write_request(dir.path(), "request", &[(1, "p1"), (9, "p1")]);
        let audit = dir.path().join("audit.json");
        let (exit, out, err) =
            govproof(&prove_args(&registry, &root, &models[0], &request, &audit));
        assert_eq!(exit, Exit::Success, "{out}\n{err}");
        assert!(
            out.contains("10 rows, 10 proved now, 0 from the work file, 0 refused"),
            "{out}"
        );
        assert!(err.contains("proving: 10/10 rows done"), "{err}");
        assert!(!audit::file::work_path(&audit).exists());
        World {
            dir,
            registry,
            root,
            models,
            request,
            audit,
        }
    })
}

fn prove_args(
    registry: &Path,
    root: &Path,
    model: &Path,
    request: &Path,
    out: &Path,
) -> Vec<String> {
    [
        "audit",
        "prove",
        "--request",
        &s(request),
        "--registry",
        &s(registry),
        "--trust",
        &s(root),
        "--policy",
        &s(&policy_path()),
        "--model",
        &s(model),
        "--dev-setup",
        "--now",
        DECISION_TIME,
        "--bb",
        &s(&crate::bundle_support::bb()),
        "-o",
        &s(out),
    ]
    .map(String::from)
    .to_vec()
}

fn verify_cli(w: &World, request: &Path, audit: &Path, extra: &[&str]) -> (Exit, String, String) {
    let mut args = vec![
        "audit".to_string(),
        "verify".into(),
        "--request".into(),
        s(request),
        "--audit".into(),
        s(audit),
        "--trust".into(),
        s(&w.root),
        "--policy".into(),
        s(&policy_path()),
        "--dev-setup".into(),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    govproof(&args)
}

fn check_options(w: &World) -> AuditCheck {
    AuditCheck {
        verify: VerifyOptions {
            trust: TrustState::bootstrap(read_root_file(&w.root).unwrap()).unwrap(),
            policy: None,
            acceptance: dangerous::accept_development_proofs(),
            bb: None,
            work_dir: w.dir.path().join("verifier"),
            ignition_crs: None,
        },
        stated_accuracy: None,
    }
}

/// Verifies `audit` (a possibly tampered copy) in-process and returns its findings as
/// `(kind, rows, detail)`.
fn findings(
    w: &World,
    request: &Path,
    audit: &AuditFile,
) -> Vec<(FindingKind, Vec<usize>, String)> {
    let request = Request::read(request).unwrap();
    let report = audit::verify(&request, &read_policy(), audit, &check_options(w));
    report
        .findings
        .into_iter()
        .map(|f| (f.kind, f.rows, f.detail))
        .collect()
}

fn read_audit(path: &Path) -> AuditFile {
    AuditFile::read(path).unwrap()
}

/// The context of model file `model` at the decision time.
fn context(w: &World, model: &Path) -> DecisionContext {
    let trust = TrustState::bootstrap(read_root_file(&w.root).unwrap()).unwrap();
    let file = ModelFile::read(model).unwrap();
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("govproof-circuits-tests");
    DecisionContext::with_options(
        DecisionParts {
            registry: TrustedRegistry::open(
                &RegistryDir::at(&w.registry),
                &trust,
                time(DECISION_TIME),
            )
            .unwrap(),
            policy: read_policy(),
            model: Model::new(file.model_id, file.version, file.model),
            setup: dangerous::development_setup(&cache).unwrap(),
        },
        ContextOptions {
            bb: Some(crate::bundle_support::bb()),
            cache_dir: Some(cache.join("vk")),
            ..ContextOptions::default()
        },
    )
    .unwrap()
}

/// The band index among a bundle document's public inputs, read by hand.
fn band_index(bundle: &Value) -> u32 {
    let hex = bundle["public_inputs"]["band_index"].as_str().unwrap();
    u32::from_str_radix(hex.trim_start_matches("0x").trim_start_matches('0'), 16).unwrap_or(0)
}

#[test]
fn an_audit_of_german_credit_applicants_verifies_and_its_figures_recompute() {
    let w = world();
    let html = w.dir.path().join("audit.html");
    let (exit, out, err) = verify_cli(
        w,
        &w.request,
        &w.audit,
        &["--format", "json", "--html", &s(&html)],
    );
    assert_eq!(exit, Exit::DevelopmentSetup, "{out}\n{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["verdict"], "valid-development-setup", "{out}");
    assert_eq!(report["findings"], serde_json::json!([]));
    assert_eq!(report["bundles_valid"], 10);

    // Our own arithmetic: labels from the request's CSV, bands from the public inputs.
    let file: Value = serde_json::from_slice(&std::fs::read(&w.audit).unwrap()).unwrap();
    let bands: Vec<u32> = file["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| band_index(&d["bundle"]))
        .collect();
    assert_eq!(bands.len(), 10);
    let csv = std::fs::read_to_string(w.dir.path().join("request.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|c| *c == name).unwrap();
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    let good: Vec<bool> = rows.iter().map(|r| r[col("good")] == "1").collect();
    let sex: Vec<String> = rows
        .iter()
        .map(|r| r[col("personal_status_sex")].clone())
        .collect();
    // The scorecard policy's bands from the lowest: decline, review (refer), standard, prime.
    let approved: Vec<bool> = bands.iter().map(|&b| b >= 2).collect();
    let figures = &report["figures"];
    for (index, name) in ["decline", "review", "standard", "prime"]
        .iter()
        .enumerate()
    {
        let count = bands.iter().filter(|&&b| b == index as u32).count();
        assert_eq!(figures["bands"][index]["count"], count, "{name}");
        assert_eq!(figures["bands"][index]["name"], *name);
    }
    let n_approved = approved.iter().filter(|&&a| a).count();
    assert_eq!(figures["outcomes"]["approve"]["count"], n_approved);
    assert_eq!(
        figures["outcomes"]["refer"]["count"],
        bands.iter().filter(|&&b| b == 1).count()
    );
    let tp = (0..10).filter(|&i| approved[i] && good[i]).count();
    let fp = (0..10).filter(|&i| approved[i] && !good[i]).count();
    let tn = (0..10).filter(|&i| !approved[i] && !good[i]).count();
    let fn_ = (0..10).filter(|&i| !approved[i] && good[i]).count();
    let c = &figures["confusion"];
    assert_eq!(
        [
            &c["true_positive"],
            &c["false_positive"],
            &c["true_negative"],
            &c["false_negative"]
        ],
        [tp, fp, tn, fn_]
    );
    let close = |v: &Value, want: f64| (v.as_f64().unwrap() - want).abs() < 1e-12;
    assert!(close(&c["accuracy"], (tp + tn) as f64 / 10.0), "{c}");
    if tp + fp > 0 {
        assert!(close(&c["precision"], tp as f64 / (tp + fp) as f64), "{c}");
    }
    if tp + fn_ > 0 {
        assert!(close(&c["recall"], tp as f64 / (tp + fn_) as f64), "{c}");
    }
    let mut values: Vec<String> = sex.clone();
    values.sort();
    values.dedup();
    assert!(values.len() >= 2, "two groups at least: {values:?}");
    let rate = |v: &str| {
        let members: Vec<usize> = (0..10).filter(|&i| sex[i] == v).collect();
        members.iter().filter(|&&i| approved[i]).count() as f64 / members.len() as f64
    };
    let best = values.iter().map(|v| rate(v)).fold(0.0, f64::max);
    let groups = figures["groups"][0]["groups"].as_array().unwrap();
    assert_eq!(figures["groups"][0]["column"], "personal_status_sex");
    assert_eq!(groups.len(), values.len());
    for (g, v) in groups.iter().zip(&values) {
        assert_eq!(g["value"], v.as_str());
        assert!(close(&g["approval_rate"], rate(v)), "{g}");
        if best > 0.0 {
            assert!(close(&g["ratio_to_best"], rate(v) / best), "{g}");
            assert_eq!(g["below_four_fifths"], rate(v) / best < 0.8, "{g}");
        }
    }
    // The pair (rows 1 and 9) differs only in a feature the scorecard gives no weight.
    assert_eq!(bands[0], bands[8]);
    assert_eq!(figures["pairs"][0]["same_band"], true);
    // The claims are these figures.
    assert_eq!(file["claims"], *figures);

    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("<title>govproof audit report</title>"),
        "{page}"
    );
    assert!(page.contains("default-src 'none'"));

    // The text report names the verdict and the figures; a stated accuracy is a benchmark claim.
    let accuracy = format!("{:.2}", (tp + tn) as f64 / 10.0);
    let (exit, out, _) = verify_cli(w, &w.request, &w.audit, &["--accuracy", &accuracy]);
    assert_eq!(exit, Exit::DevelopmentSetup, "{out}");
    assert!(out.contains("CONFIRMED"), "{out}");
    assert!(
        out.contains("VALID (development setup: not evidence)"),
        "{out}"
    );
    let wrong = format!("{:.2}", (tp + tn) as f64 / 10.0 + 0.1);
    let (exit, out, _) = verify_cli(w, &w.request, &w.audit, &["--accuracy", &wrong]);
    assert_eq!(exit, Exit::Rejected, "{out}");
    assert!(out.contains("benchmark: the stated accuracy"), "{out}");
}

#[test]
fn a_dropped_repeated_moved_or_other_version_row_and_a_changed_claim_are_refused() {
    let w = world();
    let base = read_audit(&w.audit);
    assert!(findings(w, &w.request, &base).is_empty());

    let mut dropped = base.clone();
    dropped.decisions.remove(3);
    let f = findings(w, &w.request, &dropped);
    assert!(
        f.iter()
            .any(|(k, rows, _)| *k == FindingKind::MissingRow && rows == &[4]),
        "{f:?}"
    );

    let mut repeated = base.clone();
    let copy = repeated.decisions[2].clone();
    repeated.decisions.push(copy);
    let f = findings(w, &w.request, &repeated);
    assert!(
        f.iter()
            .any(|(k, rows, _)| *k == FindingKind::RepeatedRow && rows == &[3]),
        "{f:?}"
    );

    // Row 2's bundle handed in as row 5: its id and its input are another row's.
    let mut moved = base.clone();
    moved.decisions[4].bundle = moved.decisions[1].bundle.clone();
    let f = findings(w, &w.request, &moved);
    assert!(
        f.iter()
            .any(|(k, rows, _)| *k == FindingKind::DecisionId && rows == &[5]),
        "{f:?}"
    );
    assert!(
        f.iter()
            .any(|(k, rows, _)| *k == FindingKind::Input && rows == &[5]),
        "{f:?}"
    );

    // Row 5 proved, honestly for its row, under version 2.0.0 of the model.
    let request = Request::read(&w.request).unwrap();
    let other = context(w, &w.models[1]);
    let features = request.features(other.policy()).unwrap();
    let digest = request.digest();
    let application = Application {
        decision_id: digest.decision_id(5),
        time: time(DECISION_TIME),
        scope: SCOPE.parse().unwrap(),
        features: features[4].clone(),
    };
    let Preparation::Ready(p) = other
        .prepare_with_salt(&application, digest.salt(5))
        .unwrap()
    else {
        panic!("row 5 is refused under 2.0.0")
    };
    let mut prover = other.prover().unwrap();
    let proved = other.prove(p, &mut prover).unwrap();
    let mut versioned = base.clone();
    versioned.decisions[4].bundle =
        Some(serde_json::from_str(&proved.bundle.to_json_pretty()).unwrap());
    let f = findings(w, &w.request, &versioned);
    assert_eq!(f.len(), 1, "{f:?}");
    let (kind, rows, detail) = &f[0];
    assert_eq!(
        (*kind, rows.as_slice()),
        (FindingKind::Model, &[5][..]),
        "{detail}"
    );
    assert!(detail.contains("german-credit-scorecard@2.0.0"), "{detail}");

    // A changed claim.
    let mut claimed = base.clone();
    let accuracy = claimed.claims["confusion"]["accuracy"].as_f64().unwrap();
    claimed.claims["confusion"]["accuracy"] = serde_json::json!(accuracy + 0.1);
    let f = findings(w, &w.request, &claimed);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, FindingKind::Claims);
    assert!(
        f[0].2.contains("claimed `confusion.accuracy`"),
        "{}",
        f[0].2
    );

    // Through the command line: exit 2 and the reason with its rows.
    let path = w.dir.path().join("dropped.json");
    dropped.write(&path).unwrap();
    let (exit, out, _) = verify_cli(w, &w.request, &path, &[]);
    assert_eq!(exit, Exit::Rejected, "{out}");
    assert!(out.contains("missing-row (row 4)"), "{out}");
    assert!(out.contains("INVALID"), "{out}");

    // Another request (another nonce) is not the one this file answers.
    let other_request = write_request(w.dir.path(), "other", &[(1, "p1"), (9, "p1")]);
    let f = findings(w, &other_request, &base);
    assert_eq!(f[0].0, FindingKind::Request, "{f:?}");
}

#[test]
fn a_counterfactual_pair_the_model_splits_is_refused() {
    let w = world();
    // Two applicants in different bands, marked by the auditor as one applicant.
    let base: Value = serde_json::from_slice(&std::fs::read(&w.audit).unwrap()).unwrap();
    let bands: Vec<u32> = base["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| band_index(&d["bundle"]))
        .collect();
    let other = (1..8).find(|&i| bands[i] != bands[0]).unwrap();
    let request = write_request(w.dir.path(), "split", &[(1, "s"), (other + 1, "s")]);
    let out = w.dir.path().join("split.json");
    let (exit, o, e) = govproof(&prove_args(
        &w.registry,
        &w.root,
        &w.models[0],
        &request,
        &out,
    ));
    assert_eq!(exit, Exit::Success, "{o}\n{e}");
    let (exit, text, _) = verify_cli(w, &request, &out, &[]);
    assert_eq!(exit, Exit::Rejected, "{text}");
    let want = format!("counterfactual (rows 1, {})", other + 1);
    assert!(text.contains(&want), "{want}: {text}");
    assert!(
        text.contains("counterfactual pair `s` lands in bands"),
        "{text}"
    );
}

/// A test double around the real pool: counts proof calls, and fails every call from the
/// `fail_from`-th on (a crash of the prover after some rows).
#[derive(Clone)]
pub(crate) struct CountingPoolFailingAfter<'a> {
    pub(crate) pool: &'a ProverPool,
    pub(crate) calls: &'a AtomicUsize,
    pub(crate) fail_from: Option<usize>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum SimulatedCrash {
    #[error("simulated prover crash")]
    Crash,
    #[error(transparent)]
    Pool(#[from] PoolError),
}

impl ProofBackend for CountingPoolFailingAfter<'_> {
    type Error = SimulatedCrash;

    fn prove(&mut self, request: &ProofRequest) -> Result<Proof, SimulatedCrash> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if self.fail_from.is_some_and(|k| n >= k) {
            return Err(SimulatedCrash::Crash);
        }
        Ok(self.pool.prove(request.clone())?.proof)
    }

    fn bb_version(&self) -> &str {
        self.pool.bb_version()
    }
}

#[test]
fn a_stopped_audit_resumes_without_proving_a_finished_row_again() {
    let w = world();
    let context = context(w, &w.models[0]);
    let request = Request::read(&w.request).unwrap();
    let pool = context.pool(PoolConfig::new()).unwrap();
    let out = w.dir.path().join("resumed.json");
    let calls = AtomicUsize::new(0);
    let crashing = CountingPoolFailingAfter {
        pool: &pool,
        calls: &calls,
        fail_from: Some(4),
    };
    let e = audit::prove(&context, &request, crashing, 2, &out, &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains("simulated prover crash"), "{e}");
    assert!(!out.exists());
    let work = audit::file::work_path(&out);
    let lines = std::fs::read_to_string(&work).unwrap().lines().count();
    let done_first = lines - 1;
    assert_eq!(done_first, 3, "three proofs succeeded before the crash");

    let calls = AtomicUsize::new(0);
    let counting = CountingPoolFailingAfter {
        pool: &pool,
        calls: &calls,
        fail_from: None,
    };
    let proved = audit::prove(&context, &request, counting, 2, &out, &mut |_| {}).unwrap();
    assert_eq!(proved.resumed, done_first);
    assert_eq!(proved.proved_now, 10 - done_first);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        10 - done_first,
        "no row proved twice"
    );
    assert!(!work.exists());
    // The resumed audit verifies like the one made in one go.
    assert!(findings(w, &w.request, &proved.audit).is_empty());
    assert_eq!(proved.audit.claims, read_audit(&w.audit).claims);
}

#[test]
fn a_request_that_does_not_fit_the_policy_is_refused_and_nothing_is_written() {
    let w = world();
    let dir = w.dir.path().join("bad");
    std::fs::create_dir_all(&dir).unwrap();
    let (header, lines) = data_lines();
    let header = header.replace("age_years", "agee");
    std::fs::write(dir.join("bad.csv"), format!("{header}\n{}\n", lines[0])).unwrap();
    let request = dir.join("bad.toml");
    std::fs::write(
        &request,
        format!(
            "data = \"bad.csv\"\nnonce = \"{}\"\ntime = \"{DECISION_TIME}\"\nscope = \"{SCOPE}\"\n\
             label = \"good\"\nignore = [\"applicant\"]\n",
            "0f".repeat(16)
        ),
    )
    .unwrap();
    let out = dir.join("audit.json");
    let (exit, o, e) = govproof(&prove_args(
        &w.registry,
        &w.root,
        &w.models[0],
        &request,
        &out,
    ));
    assert_eq!(exit, Exit::Error, "{o}\n{e}");
    assert!(
        e.contains("column `agee` is not a feature of policy `german-credit-scorecard`"),
        "{e}"
    );
    assert!(e.contains("row 1: feature `age_years` is missing"), "{e}");
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        2,
        "nothing written"
    );

    // A short nonce is named before anything is proved.
    std::fs::write(
        &request,
        format!(
            "data = \"bad.csv\"\nnonce = \"abcd\"\ntime = \"{DECISION_TIME}\"\nscope = \"{SCOPE}\"\n"
        ),
    )
    .unwrap();
    let (exit, _, e) = govproof(&prove_args(
        &w.registry,
        &w.root,
        &w.models[0],
        &request,
        &out,
    ));
    assert_eq!(exit, Exit::Error);
    assert!(
        e.contains("nonce `abcd` is not at least 32 hex digits"),
        "{e}"
    );
}
