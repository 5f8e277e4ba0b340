// govproof's driver for the pinned Noir compiler (@noir-lang/noir_wasm under node).
// usage: node compile.cjs <project_dir> <out.json>
// On success writes the program artifact JSON to <out.json> and exits 0.
// On a compile error prints one line `GOVPROOF_DIAGNOSTICS <json>` to stderr and exits 2.
'use strict';
const fs = require('fs');
const { compile, createFileManager } = require('@noir-lang/noir_wasm');

async function main() {
  const [dir, out] = process.argv.slice(2);
  if (!dir || !out) {
    process.stderr.write('usage: node compile.cjs <project_dir> <out.json>\n');
    process.exit(64);
  }
  const fm = createFileManager(dir);
  const quiet = () => {};
  let result;
  try {
    result = await compile(fm, undefined, quiet, quiet);
  } catch (e) {
    const diags = (e && e.cause && e.cause.diagnostics) || (e && e.diagnostics) || null;
    const message = String((e && e.message) || e).trim();
    process.stderr.write('GOVPROOF_DIAGNOSTICS ' + JSON.stringify({ message, diagnostics: diags }) + '\n');
    process.exit(2);
  }
  fs.writeFileSync(out, JSON.stringify(result.program));
  if (result.warnings && result.warnings.length) {
    process.stderr.write('GOVPROOF_WARNINGS ' + JSON.stringify(result.warnings) + '\n');
  }
}

main().catch((e) => {
  process.stderr.write(String((e && e.stack) || e) + '\n');
  process.exit(1);
});
