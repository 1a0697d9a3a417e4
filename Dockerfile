# syntax=docker/dockerfile:1
#
# lora-space-bot image: one binary, `serve` (webhook receiver) or `work` (workers).
#
#   docker build -t lora-space-bot .                                # default target: runtime (receiver)
#   docker build --target worker-smoke -t lora-space-bot:worker .   # workers: + the smoke harness
#
# Workers use `worker-smoke` (compose, k8s): their smoke jobs run the local gate (the PR's app
# under the harness) on every bot PR; without the harness that gate is only "skipped".
#
# Stages: chef (toolchain + cargo-chef) -> planner (dependency recipe) -> builder (dependencies
# cached in their own layer, then the crate) -> runtime-base (Debian slim, non-root) ->
# worker-smoke / runtime. The last stage is the default target.

ARG RUST_VERSION=1
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS chef
ARG CARGO_CHEF_VERSION=^0.1
RUN cargo install cargo-chef --locked --version "${CARGO_CHEF_VERSION}"
WORKDIR /src

# The recipe only changes when Cargo.toml / Cargo.lock change, so the `cook` layer below
# (every dependency compiled) is reused across source-only edits.
FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked --bin lora-space-bot

FROM debian:${DEBIAN_RELEASE}-slim AS runtime-base
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# Fixed numeric ids so Kubernetes `runAsNonRoot` / `fsGroup` and volume ownership can name them.
RUN groupadd --system --gid 10001 lsb \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin lsb
COPY --from=builder /src/target/release/lora-space-bot /usr/local/bin/lora-space-bot
# Production settings (JSON logs, 0.0.0.0:8080, secrets read from /run/secrets/*). Site settings
# such as [[links]] go in a second file layered over it (see deploy/README.md):
#   LSB_CONFIG=/etc/lora-space-bot/production.toml,/etc/lora-space-bot/site.toml
COPY config/production.toml /etc/lora-space-bot/production.toml
ENV LSB_CONFIG=/etc/lora-space-bot/production.toml
USER 10001:10001
EXPOSE 8080 9091
# The receiver's liveness, through the binary (the image has no curl). Worker containers
# override it with http://127.0.0.1:9091/healthz (worker.listen), as compose.yaml does.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["lora-space-bot", "healthcheck", "--url", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["lora-space-bot"]
CMD ["serve"]

# The workers' image (the default for `work`): Python 3 and the lsb_harness package in a venv,
# for the local smoke gate.
FROM runtime-base AS worker-smoke
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/*
COPY harness/requirements.txt /opt/lsb-harness/requirements.txt
RUN python3 -m venv /opt/lsb-harness/venv \
 && /opt/lsb-harness/venv/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/lsb-harness/venv/bin/pip install --no-cache-dir -r /opt/lsb-harness/requirements.txt
COPY harness/lsb_harness /opt/lsb-harness/lsb_harness
# `python3 -m lsb_harness ...` resolves to the venv and finds the package. The user has no
# home and the root filesystem may be read-only: caches (Gradio, Python) go to /tmp.
ENV PATH=/opt/lsb-harness/venv/bin:${PATH} \
    PYTHONPATH=/opt/lsb-harness \
    HOME=/tmp \
    LSB__SMOKE__HARNESS_PYTHON=/opt/lsb-harness/venv/bin/python \
    LSB__SMOKE__HARNESS_DIR=/opt/lsb-harness
USER 10001:10001
HEALTHCHECK NONE
CMD ["work"]

FROM runtime-base AS runtime
