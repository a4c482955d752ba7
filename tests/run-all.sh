#!/usr/bin/env bash
# Every check of Seam, from a fresh clone: installs what it needs, then runs formatting,
# lints, all tests (core, shared vectors, property tests, the seam binary end to end, the
# tutorial interop), the wasm build and the browser page's tests (web/test.sh).
# This is the README's test command; CI (.ci/run) calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain: rustfmt, clippy and the wasm32 target"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
rustup target add wasm32-unknown-unknown

step "tcpdump and tshark (real captures: native/tests/capture.rs)"
if ! command -v tcpdump >/dev/null || ! command -v tshark >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  # tshark's package asks whether non-root users may capture; answer no, without a prompt.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get install -y tcpdump tshark
fi

step "moto's S3 server and boto3 (a real S3-compatible store: native/tests/object_store.rs)"
if ! python3 -c "import moto.server, boto3, flask, werkzeug" >/dev/null 2>&1; then
  # Debian's own Python refuses pip installs into it without --break-system-packages.
  python3 -m pip install --quiet 'moto[server]' boto3 \
    || python3 -m pip install --quiet --break-system-packages 'moto[server]' boto3
fi

step "cargo fmt --all --check"
cargo fmt --all --check

step "cargo clippy --all-targets --all-features -- -D warnings"
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "cargo test (workspace, every feature)"
cargo test --workspace --all-features

step "seam-core and seam-capture build for wasm32-unknown-unknown unchanged"
cargo build -p seam-core --target wasm32-unknown-unknown --release
cargo build -p seam-capture --target wasm32-unknown-unknown --release
cargo build -p seam-page-model --target wasm32-unknown-unknown --release

step "the browser page: vectors in wasm, import guard, end to end in Chromium (web/test.sh)"
bash web/test.sh

step "the fuzz targets still build"
if [ -f core/fuzz/Cargo.toml ]; then
  cargo check --manifest-path core/fuzz/Cargo.toml --bins
fi

step "all checks passed"
