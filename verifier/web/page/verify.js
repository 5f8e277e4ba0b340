// Loads govproof_web.wasm, copies the picked files into its memory, calls one export and renders
// the answer. No framework, no build step: the module's C ABI is described in src/abi.rs.
"use strict";

const EXIT_MEANING = {
  0: "valid: every check passed",
  1: "could not check: a check could not be run (an input that cannot be used, a missing file) and none failed",
  2: "rejected: the bundle is invalid",
  3: "valid, but the policy was not checked: its id, version and the outcome's names are the lender's unchecked words",
  4: "valid with the development setup: not evidence (its secret is public)",
};

const state = { module: null, wasm: null, files: {} };
const $ = (id) => document.getElementById(id);

async function loadModule() {
  const started = performance.now();
  const url = "govproof_web.wasm";
  let instance;
  try {
    ({ module: state.module, instance } = await WebAssembly.instantiateStreaming(fetch(url), {}));
  } catch (streamingError) {
    // A server that does not send `application/wasm`: compile from the bytes instead.
    const response = await fetch(url);
    if (!response.ok) throw new Error(`cannot load ${url}: HTTP ${response.status}`);
    ({ module: state.module, instance } = await WebAssembly.instantiate(await response.arrayBuffer(), {}));
  }
  state.wasm = instance.exports;
  const ms = (performance.now() - started).toFixed(1);
  $("module").textContent = `verifier loaded in ${ms} ms (WebAssembly, runs in this tab)`;
  $("verify-proof").disabled = false;
  if (typeof state.wasm.check === "function") {
    $("verify-bundle").disabled = false;
  } else {
    const note = $("bundle-unavailable");
    note.hidden = false;
    note.textContent = "this build of the verifier has no bundle check yet; bare proofs can be checked below";
  }
  document.body.dataset.state = "ready";
}

// Copies bytes into the module's memory; a missing file is the null pointer.
function copyIn(bytes) {
  if (bytes === null) return [0, 0];
  const ptr = state.wasm.alloc(bytes.length);
  new Uint8Array(state.wasm.memory.buffer, ptr, bytes.length).set(bytes);
  return [ptr, bytes.length];
}

// Reads the length-prefixed JSON answer at `ptr` and frees it.
function takeAnswer(ptr) {
  const view = new DataView(state.wasm.memory.buffer);
  const len = view.getUint32(ptr, true);
  const bytes = new Uint8Array(state.wasm.memory.buffer, ptr + 4, len).slice();
  state.wasm.dealloc(ptr, 4 + len);
  return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
}

async function bytesOf(file) {
  return file ? new Uint8Array(await file.arrayBuffer()) : null;
}

// Calls `exportName` with the files' bytes (plus `extra` arguments) and renders its answer.
async function run(exportName, files, extra) {
  document.body.dataset.state = "verifying";
  const started = performance.now();
  const buffers = [];
  try {
    const contents = await Promise.all(files.map(bytesOf));
    const args = [];
    for (const bytes of contents) {
      const [ptr, len] = copyIn(bytes);
      if (ptr) buffers.push([ptr, len]);
      args.push(ptr, len);
    }
    const answer = takeAnswer(state.wasm[exportName](...args, ...extra));
    render(answer, performance.now() - started);
  } catch (e) {
    // A trap leaves the instance's memory in an unknown state: start a fresh one.
    if (e instanceof WebAssembly.RuntimeError) {
      state.wasm = (await WebAssembly.instantiate(state.module, {})).exports;
      buffers.length = 0;
    }
    render({ verdict: "ERROR", exit_code: 1, text: `error: ${e.message}\n`, report: { checks: [] } },
      performance.now() - started);
  } finally {
    for (const [ptr, len] of buffers) state.wasm.dealloc(ptr, len);
    document.body.dataset.state = "done";
  }
}

function render(answer, ms) {
  $("result").hidden = false;
  const verdict = $("verdict");
  verdict.textContent = answer.verdict;
  verdict.className = { 0: "valid", 1: "error", 2: "invalid", 3: "warning", 4: "warning" }[answer.exit_code] || "error";
  verdict.dataset.exitCode = String(answer.exit_code);
  $("exit").textContent = `exit ${answer.exit_code}: ${EXIT_MEANING[answer.exit_code] || "unknown"}`;
  const body = $("checks").tBodies[0];
  body.replaceChildren();
  for (const check of (answer.report && answer.report.checks) || []) {
    const row = body.insertRow();
    row.dataset.check = check.name;
    row.insertCell().textContent = check.name;
    const status = row.insertCell();
    status.textContent = check.status;
    status.className = check.status;
    row.insertCell().textContent = check.detail || check.message || "";
  }
  const timing = $("timing");
  timing.dataset.ms = ms.toFixed(1);
  timing.textContent = `verified in ${ms.toFixed(1)} ms in this tab (performance.now(), from reading the files to this report)`;
  $("text").textContent = answer.text;
}

// Sorts dropped files by what they hold: a policy is TOML, the other three are JSON.
async function classify(file) {
  if (/\.toml$/i.test(file.name)) return "policy";
  try {
    const doc = JSON.parse(await file.text());
    if (doc && doc.format === "govproof-bundle") return "bundle";
    if (doc && doc.signed && Array.isArray(doc.signed.keys)) return "root";
    return "opening";
  } catch (_) {
    return null;
  }
}

function choose(slot, file) {
  state.files[slot] = file;
  const input = $(slot);
  const list = new DataTransfer();
  list.items.add(file);
  input.files = list.files;
}

function wire() {
  for (const slot of ["bundle", "root", "policy", "opening", "proof", "vk", "public-inputs"]) {
    $(slot).addEventListener("change", (event) => {
      state.files[slot] = event.target.files[0] || null;
    });
  }
  const drop = $("drop");
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", async (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    const names = [];
    for (const file of event.dataTransfer.files) {
      const slot = await classify(file);
      if (slot) { choose(slot, file); names.push(`${file.name} as the ${slot}`); }
      else names.push(`${file.name} not recognised`);
    }
    drop.textContent = names.join("; ");
  });
  $("verify-bundle").addEventListener("click", () => {
    const f = state.files;
    const now = BigInt(Math.floor(Date.now() / 1000));
    const dev = $("dev-setup").checked ? 1 : 0;
    run("check", [f.bundle || null, f.root || null, f.policy || null, f.opening || null], [now, dev]);
  });
  $("verify-proof").addEventListener("click", () => {
    const f = state.files;
    run("check_proof", [f.proof || null, f.vk || null, f["public-inputs"] || null], []);
  });
}

wire();
loadModule().catch((e) => {
  $("module").textContent = `the verifier could not be loaded: ${e.message}`;
  document.body.dataset.state = "failed";
});
