#!/usr/bin/env bash
# Builds the browser verifier (crate govproof-web) for wasm32-unknown-unknown with the size
# profile `wasm` of the root Cargo.toml, shrinks it with binaryen's `wasm-opt -Oz` when that is
# installed, and puts it next to the page as page/govproof_web.wasm. Prints its size raw and
# gzipped, and fails when the module grows past the ceiling below.
set -euo pipefail
cd "$(dirname "$0")/../.."
# Panic locations name source files by path. The module is handed to regulators, so the paths of
# the machine that built it (cargo's registry folder, the toolchain's source) are cut down to the
# crate's own path (`blake3-1.8.7/src/lib.rs`, `library/core/...`): nothing about the build
# machine in the file, and a few kilobytes less.
remap=""
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
for src in "$cargo_home"/registry/src/*/ "$cargo_home"/git/checkouts/; do
  [ -d "$src" ] && remap="$remap --remap-path-prefix=$src="
done
commit=$(rustc -vV | sed -n 's/^commit-hash: //p')
[ -n "$commit" ] && remap="$remap --remap-path-prefix=/rustc/$commit/="
remap="$remap --remap-path-prefix=$PWD/="
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS:-}$remap"
cargo build -q -p govproof-web --target wasm32-unknown-unknown --profile wasm
target_dir="${CARGO_TARGET_DIR:-target}"
built="$target_dir/wasm32-unknown-unknown/wasm/govproof_web.wasm"
out=verifier/web/page/govproof_web.wasm
budget=512000
# The 500 KB budget is not met yet (docs/browser.md, "The 500 KB budget"): the build warns over
# it, and fails over a ceiling just above the measured size, so that nothing grows the module
# unnoticed. Measured:
# 591,265 bytes after Debian's wasm-opt 108 -Oz (257,888 gzipped); 712,946 from cargo alone.
ceiling=600000
ceiling_unoptimized=725000
if command -v wasm-opt > /dev/null 2>&1; then
  # The features rustc enables by default for wasm32-unknown-unknown (its `target_features`
  # section, which `strip` removes): wasm-opt may keep using them, and adds none.
  wasm-opt -Oz \
    --enable-bulk-memory --enable-mutable-globals --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-reference-types --enable-multivalue \
    "$built" -o "$out"
  optimized=yes
else
  cp "$built" "$out"
  optimized=""
  ceiling=$ceiling_unoptimized
  echo "warning: wasm-opt (binaryen) is not installed, so the module is not optimized:" \
    "install Debian's \`binaryen\` (or npm's \`binaryen\` package, which puts \`wasm-opt\` on the" \
    "PATH); only the $ceiling-byte ceiling of an unoptimized build is enforced" >&2
fi
raw=$(wc -c < "$out")
gz=$(gzip -9 -c "$out" | wc -c)
echo "$out: $raw bytes, $gz bytes gzipped (gzip -9)${optimized:+, after wasm-opt -Oz}"
if [ "$raw" -gt "$ceiling" ]; then
  echo "error: the wasm verifier is $raw bytes, over the $ceiling-byte ceiling; see docs/browser.md" >&2
  exit 1
fi
if [ "$raw" -gt "$budget" ]; then
  echo "warning: the wasm verifier is $raw bytes, over the 500 KB ($budget bytes) budget, not met yet (docs/browser.md)" >&2
fi
