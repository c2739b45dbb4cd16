#!/usr/bin/env bash
# The service benchmark: pgbench and `paycode serve` on 1 to 4 nodes on one PostgreSQL cluster,
# in one run; writes benches/service.md. Usage: bash scripts/service-bench.sh [REQUESTS per point]
# Needs PostgreSQL and pgbench (installed with apt when absent and run as root). Run it when
# `uptime` is low: the figures are this machine's, and the report states its load average.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v pgbench >/dev/null || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || { echo "install postgresql and postgresql-contrib (pgbench)" >&2; exit 1; }
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql postgresql-contrib >/dev/null
fi
cargo build --release --locked -p paycode-cli
cargo build --release --locked -p paycode-service --example service-bench
target/release/examples/service-bench target/release/paycode "${1:-20000}" > benches/service.md.tmp
mv benches/service.md.tmp benches/service.md
cat benches/service.md
