#!/usr/bin/env bash
# Seam's main job, from a fresh clone: builds the browser page (seam-core compiled to
# WebAssembly) and the `seam` binary, then starts the file server on 127.0.0.1:8800 and the
# visualiser on http://127.0.0.1:8080/ (both printed). Ctrl-C stops it.
# Extra arguments go to `seam serve` (e.g. --token T, --root DIR, --allow-exec ls).
set -euo pipefail
cd "$(dirname "$0")/.."
bash web/build.sh
exec cargo run --release -q -p seam-native -- serve \
  --listen "${SEAM_LISTEN:-127.0.0.1:8800}" \
  --root "${SEAM_ROOT:-seam-data}" \
  --web "${SEAM_WEB:-127.0.0.1:8080}" --web-dir web "$@"
