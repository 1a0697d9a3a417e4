#!/usr/bin/env bash
# Flood benchmark (not part of the tests; loopback only; about 2 minutes per cap): a release
# `serve` against the local RabbitMQ, normal signed webhooks at RATE req/s before, during and
# after a flood of SLOW slow-header clients and IDLE idle connections (bench/flood.py), once per
# connection cap in CAPS; prints a Markdown table and writes it with the raw JSON to $OUTDIR.
# Env: CAPS ("16384 4096": the default cap, and one below the flood), RATE (20), DUR (30),
# SLOW (1000), IDLE (10000), SLOW_EVERY (2), SETTLE (15), OUTDIR (/tmp/lsb-flood-<ts>).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PAYLOAD="${PAYLOAD:-$ROOT/../shared/bench/payloads/lora-update.json}"
OUTDIR="${OUTDIR:-/tmp/lsb-flood-$(date -u +%Y%m%dT%H%M%SZ)}"; mkdir -p "$OUTDIR"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# BIN=path skips the build (a release binary built from this checkout).
if [[ -z "${BIN:-}" ]]; then
  (cd "$ROOT" && cargo build --release --quiet --bin lora-space-bot)
  BIN="$CARGO_TARGET_DIR/release/lora-space-bot"
fi
# Each flood socket is a descriptor in the client and in the receiver.
ulimit -n "$(ulimit -Hn)"
NEED=$(( ${SLOW:-1000} + ${IDLE:-10000} + 512 ))
if (( $(ulimit -n) < NEED )); then echo "open-file limit $(ulimit -n) < $NEED: raise the hard limit" >&2; exit 1; fi
if curl -s -o /dev/null "http://127.0.0.1:8005/"; then echo "127.0.0.1:8005 is in use (another flood run?)" >&2; exit 1; fi

export WEBHOOK_SECRET="flood-bench-secret-0123456789" LSB_SIGNING_KEY="flood-bench-signing-key"
export AMQP_URL="amqp://guest:guest@127.0.0.1:5672/%2f"
PORT=8005 URL="http://127.0.0.1:8005/webhooks/hub"
cleanup() {
  [[ -n "${P:-}" ]] && kill "$P" 2>/dev/null && wait "$P" 2>/dev/null
  for q in $(rabbitmqctl -q list_queues name 2>/dev/null | grep '^lsb-flood\.' || true); do rabbitmqctl -q delete_queue "$q" >/dev/null || true; done
}
trap cleanup EXIT

for cap in ${CAPS:-16384 4096}; do
  echo "== cap $cap" >&2
  LSB__RECEIVER__MAX_CONNECTIONS=$cap "$BIN" --config "$ROOT/bench/flood.toml" serve >"$OUTDIR/serve-$cap.log" 2>&1 & P=$!
  for _ in $(seq 1 80); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/readyz" && break; sleep 0.25; done
  if ! kill -0 "$P" 2>/dev/null; then echo "serve exited (port $PORT busy?):" >&2; cat "$OUTDIR/serve-$cap.log" >&2; P=; exit 1; fi
  PID=$P URL=$URL SECRET=$WEBHOOK_SECRET PAYLOAD=$PAYLOAD python3 "$ROOT/bench/flood.py" >"$OUTDIR/flood-$cap.json"
  kill "$P"; wait "$P" 2>/dev/null || true; P=
  for q in $(rabbitmqctl -q list_queues name | grep '^lsb-flood\.' || true); do rabbitmqctl -q purge_queue "$q" >/dev/null || true; done
done
python3 "$ROOT/bench/flood_table.py" "$OUTDIR"/flood-*.json | tee "$OUTDIR/flood.md"
echo "results in $OUTDIR" >&2
