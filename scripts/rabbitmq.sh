#!/usr/bin/env bash
# Start / stop a loopback-only RabbitMQ node from Debian's rabbitmq-server package.
# No systemd on these machines: `rabbitmq-server -detached`, then `rabbitmqctl wait` on the pid file.
set -euo pipefail
NODE_HOST="$(hostname -s)"
PIDFILE="/var/lib/rabbitmq/mnesia/rabbit@${NODE_HOST}.pid"

configure() {
  mkdir -p /etc/rabbitmq
  cat > /etc/rabbitmq/rabbitmq-env.conf <<'CONF'
NODE_IP_ADDRESS=127.0.0.1
export ERL_EPMD_ADDRESS=127.0.0.1
SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
CONF
  cat > /etc/rabbitmq/rabbitmq.conf <<'CONF'
listeners.tcp.default = 127.0.0.1:5672
loopback_users.guest = true
CONF
}

running() { rabbitmqctl -q status >/dev/null 2>&1; }

case "${1:-}" in
  install)
    if ! command -v rabbitmq-server >/dev/null 2>&1; then
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends rabbitmq-server >/dev/null
    fi
    ;;
  start)
    configure
    if running; then echo "rabbitmq already running"; exit 0; fi
    rabbitmq-server -detached
    for _ in $(seq 1 60); do [[ -f "$PIDFILE" ]] && break; sleep 1; done
    rabbitmqctl -q wait --timeout 120 "$PIDFILE"
    echo "rabbitmq up: $(rabbitmqctl -q version)"
    ;;
  stop)
    if running; then rabbitmqctl -q stop "$PIDFILE"; fi
    for _ in $(seq 1 20); do epmd -kill >/dev/null 2>&1 && break; sleep 0.5; done
    echo "rabbitmq stopped"
    ;;
  *) echo "usage: $0 install|start|stop" >&2; exit 2;;
esac
