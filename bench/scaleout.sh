#!/usr/bin/env bash
# Scale-out benchmark (not part of the tests): jobs/s of 1, 2, 3 worker processes (concurrency 1
# each) draining the same N CPU-bound jobs from the same shard queues on the local RabbitMQ.
# Workers are examples/bench_scaleout.rs in worker mode: the queue layer of `work` (membership,
# shard claims, per-shard consumers) with a handler of SHA-256 rounds instead of the pipeline.
# Env: JOBS (300), SHARDS (8), ITERS (500000 rounds a job), RUNS (3), MAX_PROCS (3),
# AMQP_URL, OUTDIR (/tmp/lsb-bench-scaleout-<ts>).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUTDIR="${OUTDIR:-/tmp/lsb-bench-scaleout-$(date -u +%Y%m%dT%H%M%SZ)}"; mkdir -p "$OUTDIR"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
(cd "$ROOT" && cargo build --release --quiet --example bench_scaleout)
"$CARGO_TARGET_DIR/release/examples/bench_scaleout" --jobs "${JOBS:-300}" --shards "${SHARDS:-8}" \
  --iters "${ITERS:-500000}" --runs "${RUNS:-3}" --max-procs "${MAX_PROCS:-3}" | tee "$OUTDIR/scaleout.md"
echo "results in $OUTDIR"
