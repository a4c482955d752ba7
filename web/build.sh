#!/usr/bin/env bash
# Builds the browser page's WebAssembly into web/pkg/ (never edit web/pkg/ by hand).
# Idempotent: installs what it needs (the wasm32 target, the wasm-bindgen CLI at exactly
# the version in Cargo.lock, and, when npm is there, binaryen's wasm-opt from web/node_modules),
# then builds seam-wasm with the size-tuned `wasm-release` profile, and writes a `.gz` and a
# `.br` beside each file the page loads (`seam serve --web` sends them to browsers that accept
# them; node's zlib makes both, so nothing more is installed).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "wasm32 target"
rustup target add wasm32-unknown-unknown

# The CLI must match the wasm-bindgen crate exactly, or it refuses the module.
version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$version" ]; then
  echo "wasm-bindgen not found in Cargo.lock" >&2
  exit 1
fi
step "wasm-bindgen CLI $version"
if [ "$(wasm-bindgen --version 2>/dev/null || true)" = "wasm-bindgen $version" ]; then
  echo "already installed"
else
  cargo install wasm-bindgen-cli --version "$version" --locked ||
    cargo install wasm-bindgen-cli --version "$version"
fi

step "cargo build -p seam-wasm (wasm32, wasm-release profile)"
cargo build -p seam-wasm --target wasm32-unknown-unknown --profile wasm-release

step "wasm-bindgen --target web --out-dir web/pkg"
target_dir=${CARGO_TARGET_DIR:-target}
rm -rf web/pkg
wasm-bindgen --target web --out-dir web/pkg \
  "$target_dir/wasm32-unknown-unknown/wasm-release/seam_wasm.wasm"

# wasm-opt from npm's binaryen (Debian's binaryen is too old and breaks the module).
if [ -f web/package-lock.json ] && command -v npm >/dev/null; then
  if [ ! -x web/node_modules/.bin/wasm-opt ]; then
    step "npm ci (web/: playwright-core, binaryen, typescript)"
    (cd web && npm ci --no-audit --no-fund)
  fi
  # -Oz rather than -Os or -O3: the smallest, and it decodes as fast. --converge and the
  # stripped custom sections (producers, target features) save about 300 bytes gzipped.
  step "wasm-opt -Oz"
  web/node_modules/.bin/wasm-opt -Oz --converge --strip-producers --strip-target-features \
    --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-multivalue --enable-reference-types \
    web/pkg/seam_wasm_bg.wasm -o web/pkg/seam_wasm_bg.wasm.opt
  mv web/pkg/seam_wasm_bg.wasm.opt web/pkg/seam_wasm_bg.wasm
fi

# Precompressed copies, rewritten on every build so that none is older than its file.
step "precompress (.gz, .br) the page's HTML, JS, CSS and wasm"
rm -f web/*.gz web/*.br
node --input-type=module - web/index.html web/style.css web/*.js web/pkg/*.js web/pkg/*.wasm <<'JS'
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
for (const file of process.argv.slice(2)) {
  const bytes = readFileSync(file);
  writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }));
  writeFileSync(`${file}.br`, brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  }));
}
JS

raw=$(wc -c < web/pkg/seam_wasm_bg.wasm)
gz=$(gzip -9 -c web/pkg/seam_wasm_bg.wasm | wc -c)
br=$(wc -c < web/pkg/seam_wasm_bg.wasm.br)
step "built web/pkg: seam_wasm_bg.wasm $raw bytes, $gz gzipped, $br brotli"
