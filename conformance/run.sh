#!/usr/bin/env bash
# Builds the simulator example and runs the huggingface_hub conformance suite against it.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET="${CARGO_TARGET_DIR:-target}"
cargo build --quiet --example sim --bin lora-space-bot
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet -r conformance/requirements.txt
LSB_BIN="$TARGET/debug/lora-space-bot" SIM_ARGS="--tree-page-size 2" SIM_BIN="$TARGET/debug/examples/sim" .venv/bin/python -m pytest -q conformance "$@"
