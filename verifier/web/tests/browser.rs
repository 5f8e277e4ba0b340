//! The page in a real browser: Debian's `chromium`, headless, driven over its DevTools protocol
//! (one WebSocket, `tungstenite`), loads `page/index.html` from a tiny static server on
//! 127.0.0.1, gets files set on its file inputs as a user picking them would, clicks, and reads
//! the verdict from the DOM.
//!
//! Runs only with `GOVPROOF_BROWSER_TEST=1` (`.ci/run` sets it when chromium and the wasm target
//! are there) after `verifier/web/build.sh` has put the wasm next to the page; otherwise it says
//! it was skipped and passes. `GOVPROOF_CHROMIUM` overrides `/usr/bin/chromium`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::{Message, WebSocket};

fn page_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("page")
}

fn verifier_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/square_small")
}

/// Serves the files of `root` (no listing, no path outside it) until the test ends.
fn serve(root: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let root = root.clone();
            std::thread::spawn(move || answer_request(stream, &root));
        }
    });
    format!("http://{address}")
}

fn answer_request(mut stream: TcpStream, root: &Path) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Drain the headers.
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
        }
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let path = path.split('?').next().unwrap_or("/");
    let name = if path == "/" {
        "index.html"
    } else {
        path.trim_start_matches('/')
    };
    let file = (!name.contains("..") && !name.contains('/'))
        .then(|| std::fs::read(root.join(name)).ok())
        .flatten();
    let (status, body, kind) = match file {
        Some(body) => {
            let kind = match name.rsplit('.').next() {
                Some("html") => "text/html; charset=utf-8",
                Some("js") => "text/javascript; charset=utf-8",
                Some("css") => "text/css; charset=utf-8",
                Some("wasm") => "application/wasm",
                _ => "application/octet-stream",
            };
            ("200 OK", body, kind)
        }
        None => ("404 Not Found", b"not found".to_vec(), "text/plain"),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
}

/// A headless chromium with its DevTools endpoint, ended (by its own handle) when dropped.
struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    socket: WebSocket<TcpStream>,
    next_id: u64,
    session: Option<String>,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    fn launch() -> Browser {
        let binary =
            std::env::var("GOVPROOF_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(&binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{binary}`: {e}"));
        // Chromium prints `DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID`.
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut seen = String::new();
        let endpoint = loop {
            let mut line = String::new();
            if stderr.read_line(&mut line).unwrap_or(0) == 0 {
                let _ = child.kill();
                panic!("chromium ended before its DevTools endpoint was up:\n{seen}");
            }
            if let Some(at) = line.find("ws://") {
                break line[at..].trim().to_string();
            }
            seen.push_str(&line);
        };
        // Keep reading chromium's stderr so that it never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = stderr.read_to_end(&mut sink);
        });
        let host = endpoint
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .unwrap()
            .to_string();
        let stream = TcpStream::connect(&host).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let (socket, _) = tungstenite::client::client(endpoint.as_str(), stream).unwrap();
        Browser {
            child,
            _profile: profile,
            socket,
            next_id: 0,
            session: None,
        }
    }

    /// Sends one command (to the attached page once there is one) and waits for its result.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = &self.session {
            message["sessionId"] = json!(session);
        }
        self.socket
            .send(Message::Text(message.to_string()))
            .unwrap();
        loop {
            let reply = match self.socket.read().unwrap() {
                Message::Text(text) => serde_json::from_str::<Value>(&text).unwrap(),
                _ => continue,
            };
            if reply["id"] == id {
                if let Some(error) = reply.get("error") {
                    panic!("{method}: {error}");
                }
                return reply["result"].clone();
            }
        }
    }

    /// Opens `url` in a new tab and attaches to it.
    fn open(&mut self, url: &str) {
        let target = self.call("Target.createTarget", json!({ "url": url }));
        let attached = self.call(
            "Target.attachToTarget",
            json!({ "targetId": target["targetId"], "flatten": true }),
        );
        self.session = Some(attached["sessionId"].as_str().unwrap().to_string());
    }

    fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
        );
        if let Some(exception) = result.get("exceptionDetails") {
            panic!("`{expression}` threw: {exception}");
        }
        result["result"]["value"].clone()
    }

    /// Waits until the page's `data-state` is `want` (the page sets it as it works).
    fn wait_for_state(&mut self, want: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let state = self.eval("document.body ? document.body.dataset.state : 'loading'");
            if state == want {
                return;
            }
            assert!(
                state != "failed",
                "the page failed: {}",
                self.eval("document.getElementById('module').textContent")
            );
            assert!(
                Instant::now() < deadline,
                "the page stayed `{state}`, waiting for `{want}`"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the page's `expression` is true.
    fn wait_until(&mut self, expression: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.eval(expression) != json!(true) {
            assert!(Instant::now() < deadline, "`{expression}` stayed false");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sets one file input's file as a user picking it would (the page gets its `change` event).
    fn pick(&mut self, input: &str, file: &Path) {
        // Chromium reads the file later, by a path without `..` in it.
        let file = file.canonicalize().unwrap();
        let document = self.call("DOM.getDocument", json!({}));
        let node = self.call(
            "DOM.querySelector",
            json!({ "nodeId": document["root"]["nodeId"], "selector": format!("#{input}") }),
        );
        self.call(
            "DOM.setFileInputFiles",
            json!({ "nodeId": node["nodeId"], "files": [file.display().to_string()] }),
        );
    }

    /// Drops `files` on the element `#target` as a user dragging them from a file manager would.
    fn drop_files(&mut self, target: &str, files: &[&Path]) {
        let at = self.eval(&format!(
            "(() => {{ const r = document.getElementById('{target}').getBoundingClientRect();
               return [r.x + r.width / 2, r.y + r.height / 2]; }})()"
        ));
        let files: Vec<String> = files
            .iter()
            .map(|f| f.canonicalize().unwrap().display().to_string())
            .collect();
        for kind in ["dragEnter", "dragOver", "drop"] {
            self.call(
                "Input.dispatchDragEvent",
                json!({ "type": kind, "x": at[0], "y": at[1],
                        "data": { "items": [], "files": files, "dragOperationsMask": 1 } }),
            );
        }
    }

    /// Clicks `button`, waits for the answer and returns what the page shows.
    fn verify(&mut self, button: &str) -> Shown {
        self.eval(&format!("document.getElementById('{button}').click()"));
        self.wait_for_state("done");
        let shown = self.eval(
            "JSON.stringify({ verdict: document.getElementById('verdict').textContent,
               exit: document.getElementById('verdict').dataset.exitCode,
               exitLine: document.getElementById('exit').textContent,
               text: document.getElementById('text').textContent,
               ms: document.getElementById('timing').dataset.ms,
               checks: [...document.querySelectorAll('#checks tbody tr')]
                 .map(row => [row.cells[0].textContent, row.cells[1].textContent]) })",
        );
        let shown: Value = serde_json::from_str(shown.as_str().unwrap()).unwrap();
        Shown {
            verdict: shown["verdict"].as_str().unwrap().to_string(),
            exit: shown["exit"].as_str().unwrap().parse().unwrap(),
            exit_line: shown["exitLine"].as_str().unwrap().to_string(),
            text: shown["text"].as_str().unwrap().to_string(),
            ms: shown["ms"].as_str().unwrap().parse().unwrap(),
            checks: serde_json::from_value(shown["checks"].clone()).unwrap(),
        }
    }
}

#[derive(Debug)]
struct Shown {
    verdict: String,
    exit: u8,
    exit_line: String,
    text: String,
    ms: f64,
    checks: Vec<(String, String)>,
}

fn enabled() -> bool {
    if std::env::var("GOVPROOF_BROWSER_TEST").as_deref() != Ok("1") {
        eprintln!("browser test skipped: set GOVPROOF_BROWSER_TEST=1 (after verifier/web/build.sh) to run it");
        return false;
    }
    assert!(
        page_dir().join("govproof_web.wasm").exists(),
        "no page/govproof_web.wasm: run verifier/web/build.sh first"
    );
    true
}

#[test]
fn the_page_verifies_a_real_proof_and_rejects_a_tampered_one_in_chromium() {
    if !enabled() {
        return;
    }
    let origin = serve(page_dir());
    let mut browser = Browser::launch();
    eprintln!(
        "{}",
        browser.call("Browser.getVersion", json!({}))["product"]
    );
    browser.open(&format!("{origin}/"));
    browser.call("DOM.enable", json!({}));
    browser.wait_for_state("ready");

    let data = verifier_data().join("noir-recursive");
    browser.pick("vk", &data.join("vk"));
    browser.pick("public-inputs", &data.join("public_inputs"));
    browser.pick("proof", &data.join("proof"));
    let valid = browser.verify("verify-proof");
    eprintln!(
        "valid proof: {} (exit {}) in {} ms",
        valid.verdict, valid.exit, valid.ms
    );
    assert_eq!(
        (valid.verdict.as_str(), valid.exit),
        ("VALID", 0),
        "{}",
        valid.text
    );
    assert_eq!(valid.checks, [("proof".to_string(), "pass".to_string())]);
    assert!(
        valid.exit_line.starts_with("exit 0: valid"),
        "{}",
        valid.exit_line
    );
    assert!(valid.text.contains("PASS  proof"), "{}", valid.text);

    // The same proof with one bit flipped, picked from a file like any other.
    let scratch = tempfile::tempdir().unwrap();
    let mut proof = std::fs::read(data.join("proof")).unwrap();
    proof[32 * 100 + 31] ^= 1;
    let tampered = scratch.path().join("proof");
    std::fs::write(&tampered, &proof).unwrap();
    browser.pick("proof", &tampered);
    let invalid = browser.verify("verify-proof");
    eprintln!(
        "tampered proof: {} (exit {}) in {} ms",
        invalid.verdict, invalid.exit, invalid.ms
    );
    assert_eq!(
        (invalid.verdict.as_str(), invalid.exit),
        ("INVALID", 2),
        "{}",
        invalid.text
    );
    assert_eq!(invalid.checks, [("proof".to_string(), "fail".to_string())]);
    assert!(invalid.text.contains("FAIL  proof"), "{}", invalid.text);
    // The page says what native code says for the same files.
    let native = govproof_web::check_raw_proof(
        &proof,
        &std::fs::read(data.join("vk")).unwrap(),
        &std::fs::read(data.join("public_inputs")).unwrap(),
    );
    assert_eq!(invalid.text, native.text);
}

fn bundles() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/bundles")
}

#[test]
fn files_dropped_on_the_page_are_sorted_into_bundle_root_policy_and_opening() {
    if !enabled() {
        return;
    }
    let origin = serve(page_dir());
    let mut browser = Browser::launch();
    browser.open(&format!("{origin}/"));
    browser.wait_for_state("ready");
    let opening_dir = bundles().join("rejected/opening-features-edited");
    browser.drop_files(
        "drop",
        &[
            &opening_dir.join("opening.json"),
            &bundles().join("valid/gate-with-policy/policy.toml"),
            &bundles().join("trust/root.json"),
            &opening_dir.join("bundle.json"),
        ],
    );
    browser
        .wait_until("document.getElementById('drop').textContent.split(' as the ').length === 5");
    let slots = browser.eval(
        "['bundle', 'root', 'policy', 'opening']
           .map(id => document.getElementById(id).files[0]?.name ?? '').join(' ')",
    );
    assert_eq!(slots, "bundle.json root.json policy.toml opening.json");
}

/// `govproof verify ARGS` in-process: its exit code and its text report.
fn govproof_verify(args: &[String]) -> (u8, String) {
    use clap::Parser;
    let cli = govproof_cli::Cli::try_parse_from(
        std::iter::once("govproof".to_string()).chain(args.iter().cloned()),
    )
    .unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let exit = govproof_cli::run(cli, &mut out, &mut err) as u8;
    (exit, String::from_utf8(out).unwrap())
}

/// The page's exit status, checks and verdict line are those `govproof verify ARGS` gives.
fn same_as_govproof_verify(shown: &Shown, args: &[String]) {
    let (exit, cli_text) = govproof_verify(args);
    assert_eq!(exit, shown.exit, "{cli_text}");
    assert_eq!(
        checks_and_verdict(&shown.text),
        checks_and_verdict(&cli_text),
        "page:\n{}\ncli:\n{cli_text}",
        shown.text
    );
}

/// The lines both reports share whatever printed them: each check's status and name, and the
/// verdict line.
fn checks_and_verdict(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                [status @ ("PASS" | "FAIL" | "SKIP" | "ERROR"), name, ..]
                    if line.starts_with("  ") =>
                {
                    Some(format!("{status} {name}"))
                }
                _ if line.starts_with("VALID")
                    || line.starts_with("INVALID")
                    || line.starts_with("COULD NOT CHECK") =>
                {
                    Some(line.to_string())
                }
                _ => None,
            }
        })
        .collect()
}

#[test]
fn the_page_verifies_a_bundle_and_rejects_a_tampered_one_as_govproof_verify_does() {
    if !enabled() {
        return;
    }
    let origin = serve(page_dir());
    let mut browser = Browser::launch();
    browser.open(&format!("{origin}/"));
    browser.call("DOM.enable", json!({}));
    browser.wait_for_state("ready");
    let root = bundles().join("trust/root.json");
    let valid_dir = bundles().join("valid/gate-with-policy");
    // All three files dropped at once: the page sorts them by what they hold.
    browser.drop_files(
        "drop",
        &[
            &valid_dir.join("policy.toml"),
            &root,
            &valid_dir.join("bundle.json"),
        ],
    );
    browser
        .wait_until("document.getElementById('drop').textContent.split(' as the ').length === 4");
    browser.eval("document.getElementById('dev-setup').click()");
    let valid = browser.verify("verify-bundle");
    eprintln!(
        "valid bundle: {} (exit {}) in {} ms",
        valid.verdict, valid.exit, valid.ms
    );
    assert_eq!(
        valid.verdict, "VALID (development setup: not evidence)",
        "{}",
        valid.text
    );
    assert_eq!(valid.exit, 4, "{}", valid.text);
    assert!(
        valid
            .exit_line
            .starts_with("exit 4: valid with the development setup"),
        "{}",
        valid.exit_line
    );
    assert!(
        valid
            .checks
            .iter()
            .any(|(name, status)| name == "proof" && status == "pass"),
        "{:?}",
        valid.checks
    );
    same_as_govproof_verify(
        &valid,
        &[
            "verify".into(),
            valid_dir.join("bundle.json").display().to_string(),
            "--trust".into(),
            root.display().to_string(),
            "--policy".into(),
            valid_dir.join("policy.toml").display().to_string(),
            "--dev-setup".into(),
        ],
    );

    // A bundle with one proof byte flipped; the policy input is cleared, as a user would.
    let tampered = bundles().join("rejected/flipped-proof-byte/bundle.json");
    browser.eval("(() => { const p = document.getElementById('policy'); p.value = ''; p.dispatchEvent(new Event('change')); })()");
    browser.pick("bundle", &tampered);
    let invalid = browser.verify("verify-bundle");
    eprintln!(
        "tampered bundle: {} (exit {}) in {} ms",
        invalid.verdict, invalid.exit, invalid.ms
    );
    assert_eq!(
        (invalid.verdict.as_str(), invalid.exit),
        ("INVALID", 2),
        "{}",
        invalid.text
    );
    assert!(
        invalid.text.contains("INVALID: failed proof"),
        "{}",
        invalid.text
    );
    assert!(
        invalid
            .checks
            .iter()
            .any(|(name, status)| name == "proof" && status == "fail"),
        "{:?}",
        invalid.checks
    );
    same_as_govproof_verify(
        &invalid,
        &[
            "verify".into(),
            tampered.display().to_string(),
            "--trust".into(),
            root.display().to_string(),
            "--dev-setup".into(),
        ],
    );

    // The valid bundle with one byte of a registry signature changed: the module's ed25519
    // (without the native build's precomputed tables) must refuse it as the command line does.
    let mut doc: Value =
        serde_json::from_slice(&std::fs::read(valid_dir.join("bundle.json")).unwrap()).unwrap();
    let sig = doc["registry"]["snapshot"]["signatures"][0]["signature"]
        .as_str()
        .unwrap()
        .to_string();
    let flipped = if sig.starts_with('0') { "1" } else { "0" };
    doc["registry"]["snapshot"]["signatures"][0]["signature"] =
        json!(format!("{flipped}{}", &sig[1..]));
    let scratch = tempfile::tempdir().unwrap();
    let forged = scratch.path().join("bundle.json");
    std::fs::write(&forged, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    browser.pick("bundle", &forged);
    let refused = browser.verify("verify-bundle");
    eprintln!(
        "bundle with a changed signature: {} (exit {}) in {} ms",
        refused.verdict, refused.exit, refused.ms
    );
    assert_eq!(
        (refused.verdict.as_str(), refused.exit),
        ("INVALID", 2),
        "{}",
        refused.text
    );
    assert!(
        refused
            .checks
            .iter()
            .any(|(name, status)| name == "registry" && status == "fail"),
        "{:?}",
        refused.checks
    );
    same_as_govproof_verify(
        &refused,
        &[
            "verify".into(),
            forged.display().to_string(),
            "--trust".into(),
            root.display().to_string(),
            "--dev-setup".into(),
        ],
    );
}
