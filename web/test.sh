#!/usr/bin/env bash
# The browser page's tests, from a fresh clone: installs what it needs (Debian's chromium,
# playwright-core, binaryen and typescript from web/package-lock.json, the wasm target and the
# wasm-bindgen CLI via web/build.sh), type-checks the page's JavaScript against the generated
# TypeScript definitions (tsc), then runs with node's test runner:
#   (a) every shared vector through core's vector runner in a wasm build (target/wasm-vectors);
#   (b) a guard that the .wasm files import nothing but wasm-bindgen's glue (no `env`);
#   the page build's bindings in Node;
#   (c) the page end to end in headless Chromium, replaying a trace of a real upload made
#       with the native `seam` binary (SEAM_BIN; or give one in SEAM_TRACE_FILE), with
#       screenshots in target/e2e/;
#   (d) prints the decode throughput of a 10 MB stream in wasm, its ratio to native on the
#       same bytes, and the .wasm size raw and gzipped.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

if [ ! -x /usr/bin/chromium ]; then
  step "apt-get install chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y chromium
fi

step "npm ci (web/: playwright-core, binaryen, typescript)"
(cd web && npm ci --no-audit --no-fund)

step "the page's wasm (web/build.sh)"
bash web/build.sh

# The page's JavaScript, type-checked (JSDoc) against the .d.ts wasm-bindgen and tsify wrote
# from the Rust types into web/pkg (web/tsconfig.json); any type error fails the tests.
step "tsc -p web (the page's JavaScript against web/pkg/seam_wasm.d.ts)"
web/node_modules/.bin/tsc -p web

# A second build with core's vector runner (the page does not ship it). Its artifact has
# the same path as the page's, so it is built after the page's output was written.
step "the vectors build of seam-wasm -> target/wasm-vectors"
cargo build -p seam-wasm --features vectors --target wasm32-unknown-unknown --profile wasm-release
target_dir=${CARGO_TARGET_DIR:-target}
rm -rf "$target_dir/wasm-vectors"
wasm-bindgen --target web --out-dir "$target_dir/wasm-vectors" \
  "$target_dir/wasm32-unknown-unknown/wasm-release/seam_wasm.wasm"
export SEAM_VECTORS_PKG="$PWD/$target_dir/wasm-vectors"
case "$target_dir" in /*) export SEAM_VECTORS_PKG="$target_dir/wasm-vectors" ;; esac

if [ -z "${SEAM_BIN:-}" ]; then
  step "cargo build -p seam-native (a real trace, and the page served by seam serve --web)"
  cargo build -p seam-native
  export SEAM_BIN="$PWD/$target_dir/debug/seam"
  case "$target_dir" in /*) export SEAM_BIN="$target_dir/debug/seam" ;; esac
fi

step "native decode throughput on the page's sample stream"
native=$(cargo run --quiet --release -p seam-page-model --example native_throughput)
echo "$native"
SEAM_NATIVE_MBPS=$(sed -E 's/.*"mb_per_s":([0-9.]+).*/\1/' <<<"$native")
export SEAM_NATIVE_MBPS

step "node --test web/tests/"
node --test --test-concurrency=1 web/tests/
