#!/usr/bin/env bash
# Builds the browser verifier (crate govproof-web) for wasm32-unknown-unknown with the size
# profile `wasm` of the root Cargo.toml, and puts it next to the page as page/govproof_web.wasm.
# Prints its size raw and gzipped; fails if it is over the 500 KB (512,000 bytes) budget.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build -q -p govproof-web --target wasm32-unknown-unknown --profile wasm
target_dir="${CARGO_TARGET_DIR:-target}"
cp "$target_dir/wasm32-unknown-unknown/wasm/govproof_web.wasm" verifier/web/page/govproof_web.wasm
raw=$(wc -c < verifier/web/page/govproof_web.wasm)
gz=$(gzip -9 -c verifier/web/page/govproof_web.wasm | wc -c)
echo "verifier/web/page/govproof_web.wasm: $raw bytes, $gz bytes gzipped (gzip -9)"
if [ "$raw" -gt 512000 ]; then
  echo "error: the wasm verifier is $raw bytes, over the 500 KB (512000 bytes) budget" >&2
  exit 1
fi
