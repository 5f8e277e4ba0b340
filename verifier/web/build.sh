#!/usr/bin/env bash
# Builds the browser verifier (crate govproof-web) for wasm32-unknown-unknown with the size
# profile `wasm` of the root Cargo.toml, and puts it next to the page as page/govproof_web.wasm.
# Prints its size raw and gzipped. The issue's budget is 500 KB (512,000 bytes) and the module with
# the bundle check is not within it yet (docs/browser.md, "Not done yet"): the build says so, and
# fails only when the module grows past the ceiling below, which holds the measured size so that
# nothing grows it unnoticed while the work to shrink it is pending.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build -q -p govproof-web --target wasm32-unknown-unknown --profile wasm
target_dir="${CARGO_TARGET_DIR:-target}"
cp "$target_dir/wasm32-unknown-unknown/wasm/govproof_web.wasm" verifier/web/page/govproof_web.wasm
raw=$(wc -c < verifier/web/page/govproof_web.wasm)
gz=$(gzip -9 -c verifier/web/page/govproof_web.wasm | wc -c)
echo "verifier/web/page/govproof_web.wasm: $raw bytes, $gz bytes gzipped (gzip -9)"
budget=512000
ceiling=1400000
if [ "$raw" -gt "$ceiling" ]; then
  echo "error: the wasm verifier is $raw bytes, over the $ceiling-byte ceiling (it was 1326852); see docs/browser.md" >&2
  exit 1
fi
if [ "$raw" -gt "$budget" ]; then
  echo "warning: the wasm verifier is $raw bytes, over the 500 KB ($budget bytes) budget, not met yet (docs/browser.md)" >&2
fi
