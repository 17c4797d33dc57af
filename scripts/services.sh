#!/usr/bin/env bash
# Make sure PostgreSQL, Redis and RabbitMQ answer on footcast's configured URLs, start the
# ones that are down (installing them from Debian packages when missing, as root), and
# create the footcast databases. Services on non-loopback addresses are only checked.
set -euo pipefail

DATABASE_URL=${FOOTCAST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/footcast}
BROKER_URL=${FOOTCAST_BROKER_URL:-amqp://guest:guest@127.0.0.1:5672/%2F}
RESULTS_URL=${FOOTCAST_RESULTS_URL:-redis://127.0.0.1:6379/0}
DATABASES=${FOOTCAST_DATABASES:-footcast footcast_test}

log() { printf 'services: %s\n' "$*" >&2; }

# host and port of a URL like scheme://user:pass@host:port/path
host_of() { sed -E 's#^[a-z0-9+]+://([^@/]*@)?([^:/?]+).*#\2#' <<<"$1"; }
port_of() { sed -nE 's#^[a-z0-9+]+://([^@/]*@)?[^:/?]+:([0-9]+).*#\2#p' <<<"$1"; }
is_local() { [[ "$1" == 127.* || "$1" == localhost || "$1" == "::1" ]]; }
answers() { timeout 2 bash -c ">/dev/tcp/$1/$2" 2>/dev/null; }

wait_for() { # host port name
  for _ in $(seq 1 60); do answers "$1" "$2" && return 0; sleep 1; done
  log "$3 did not come up on $1:$2"; return 1
}

apt_install() {
  if [[ $(id -u) -ne 0 ]]; then log "$* missing and not root: install it yourself"; exit 1; fi
  log "installing $* from Debian packages"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure() { # name url default_port start_function
  local name=$1 url=$2 port host
  host=$(host_of "$url"); port=$(port_of "$url"); port=${port:-$3}
  if answers "$host" "$port"; then log "$name up on $host:$port"; return 0; fi
  if ! is_local "$host"; then log "$name down on $host:$port (not local: not touching it)"; exit 1; fi
  log "$name down on $host:$port: starting it"
  "$4"
  wait_for "$host" "$port" "$name"
  log "$name up on $host:$port"
}

start_postgres() {
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  local version; version=$(ls /etc/postgresql | sort -V | tail -1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
}
start_redis() {
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
}
start_rabbitmq() {
  command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
  rabbitmq-server -detached
}

ensure PostgreSQL "$DATABASE_URL" 5432 start_postgres
ensure Redis "$RESULTS_URL" 6379 start_redis
ensure RabbitMQ "$BROKER_URL" 5672 start_rabbitmq

# the AMQP port opens before the broker accepts logins: wait until it answers a status query
if is_local "$(host_of "$BROKER_URL")" && command -v rabbitmqctl >/dev/null; then
  for _ in $(seq 1 60); do rabbitmqctl -q await_startup >/dev/null 2>&1 && break; sleep 1; done
fi

admin_url=$(sed -E 's#/[^/?]*(\?.*)?$#/postgres#' <<<"$DATABASE_URL")
for db in $DATABASES; do
  if [[ -z $(psql "$admin_url" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'") ]]; then
    psql "$admin_url" -qc "CREATE DATABASE \"$db\"" && log "created database $db"
  fi
done
