#!/usr/bin/env bash
# The servers `make run` and `make test` need on this machine — RabbitMQ (with its management and
# Prometheus plugins), PostgreSQL and Redis — installed from the distribution's packages where
# missing and started where not running. Debian/Ubuntu; needs root; idempotent: a server already
# answering on its port is left as it is (a container, a managed one, another install).
set -euo pipefail

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

missing=()
answers 5672 || command -v rabbitmq-server >/dev/null 2>&1 || missing+=(rabbitmq-server)
answers 5432 || command -v pg_ctlcluster >/dev/null 2>&1 || missing+=(postgresql)
answers 6379 || command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# PgBouncer: not run by the stack; the tests put it in front of PostgreSQL as production does.
[ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  # Installed, not started by the package (no init system in containers): started below.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! answers 5432; then
  cluster="$(ls /etc/postgresql | sort -V | tail -n 1)"
  hba="/etc/postgresql/$cluster/main/pg_hba.conf"
  # The development stack connects as the superuser `postgres` from 127.0.0.1 without a password
  # (POSTGRES_URL); a development machine's choice, stated in the README.
  grep -q "gradeflow: development" "$hba" || sed -i "1i host all postgres 127.0.0.1/32 trust  # gradeflow: development" "$hba"
  echo "starting PostgreSQL $cluster"
  pg_ctlcluster --skip-systemctl-redirect "$cluster" main start
  for _ in $(seq 1 30); do answers 5432 && break; sleep 1; done
fi

if ! answers 5672; then
  echo "starting RabbitMQ"
  # Every quorum queue keeps files open (about 3), and each scratch vhost of the tests and
  # benchmarks declares the whole topology (85 queues): the usual 1,024 runs out at 3 vhosts.
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  rabbitmq-server -detached
  rabbitmqctl -q await_startup --timeout 120
fi
rabbitmq-plugins -q enable rabbitmq_management rabbitmq_prometheus >/dev/null 2>&1 || true

if ! answers 6379; then
  echo "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 30); do answers 6379 && break; sleep 1; done
fi
