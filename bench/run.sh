#!/usr/bin/env bash
# Benchmarks (not part of the tests): prints tables and writes them to $OUTDIR.
#  1. the receiver under wrk with real RabbitMQ confirms, side by side in the same run with the
#     Python peers (huggingface_hub WebhooksServer; FastAPI + aio-pika), via ../shared/bench;
#  2. the broker's own confirm ceiling on this machine (../shared/bench/run-ceiling.sh);
#  3. worker throughput, Hub calls per job and peak RSS of `work` against the simulator.
# Env: RUNS (3), DUR (10s), CONNS (32), JOBS (200), OUTDIR (/tmp/lsb-bench-<ts>), SKIP_PEERS=1,
# SKIP_CEILING=1.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SHARED="$ROOT/../shared/bench"
OUTDIR="${OUTDIR:-/tmp/lsb-bench-$(date -u +%Y%m%dT%H%M%SZ)}"; mkdir -p "$OUTDIR"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
(cd "$ROOT" && cargo build --release --quiet --bin lora-space-bot --example bench_worker)
BIN="$CARGO_TARGET_DIR/release/lora-space-bot"

# The shared harness writes a venv and results next to itself: run a private copy.
WORK="$(mktemp -d)"; cp -r "$SHARED"/. "$WORK/"; trap 'rm -rf "$WORK"' EXIT
# Quorum queues report their depth a few seconds late (the stats emission interval); the
# harness reads it right after wrk, which would count still-unreported messages as "lost".
sed -i 's/^depth() { /depth() { sleep "${DEPTH_SETTLE:-0}"; /' "$WORK/run-peers.sh"
bash "$WORK/setup.sh" >"$OUTDIR/setup.log" 2>&1

export WEBHOOK_SECRET="bench-secret-0123456789" LSB_SIGNING_KEY="bench-signing-key"
export AMQP_URL="amqp://guest:guest@127.0.0.1:5672/%2f"
OURS="lsb-bench.jobs.0 lsb-bench.jobs.1 lsb-bench.jobs.2 lsb-bench.jobs.3"
# Declare the topology once so the harness can purge and count the shard queues.
timeout 20 env LSB__RECEIVER__LISTEN=127.0.0.1:8004 "$BIN" --config "$ROOT/bench/receiver.toml" serve >/dev/null 2>&1 & P=$!
for _ in $(seq 1 40); do curl -sf -o /dev/null http://127.0.0.1:8004/readyz && break; sleep 0.25; done; kill $P; wait $P 2>/dev/null || true

if [[ "${SKIP_PEERS:-0}" != 1 ]]; then
echo "== receivers under wrk (RUNS=${RUNS:-3}, DUR=${DUR:-10s}, CONNS=${CONNS:-32})"
# Same run, same OUTDIR: the Python peers publish to one queue (lora-jobs), ours to the shard
# queues; the second invocation's table covers every peer.
OUTDIR="$OUTDIR/peers" bash "$WORK/run-peers.sh" A A2 >/dev/null
BENCH_QUEUE="$OURS" DEPTH_SETTLE=8 \
CUSTOM_NAME="R: lora-space-bot serve (Rust)" \
CUSTOM_CMD="$BIN --config $ROOT/bench/receiver.toml serve" \
CUSTOM_URL="http://127.0.0.1:8004/webhooks/hub" \
OUTDIR="$OUTDIR/peers" bash "$WORK/run-peers.sh" custom | tee "$OUTDIR/receivers.md"
fi

if [[ "${SKIP_CEILING:-0}" != 1 ]]; then
  echo "== broker confirm ceiling"
  OUTDIR="$OUTDIR/ceiling" CARGO_TARGET_DIR=/tmp/ceiling-target bash "$WORK/run-ceiling.sh" | tee "$OUTDIR/ceiling.md"
fi

echo "== worker against the simulator"
"$CARGO_TARGET_DIR/release/examples/bench_worker" --bin "$BIN" --jobs "${JOBS:-200}" | tee "$OUTDIR/worker.md"
echo "results in $OUTDIR"
