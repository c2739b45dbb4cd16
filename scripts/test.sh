#!/usr/bin/env bash
# The full test suite: the README's second command, and what CI runs.
# Needs the Rust toolchain and python3 (venvs are created on first use), and PostgreSQL's server
# binaries (initdb, pg_ctl) for the store and service tests, which start clusters of their own
# (crates/paycode-test-support/src/postgres.rs), and strace for the command's store tests: when
# absent, this installs Debian's postgresql and strace packages with apt-get if it runs as root
# (as CI does), and otherwise stops and says so. The service's fleet tests run
# PAYCODE_FLEET_VERIFICATIONS verifications each (6000 by default; 100000 for the full size).
# The cases that fill or freeze a small file system of their own need root; without it they say
# so on stderr and stand aside, unless PAYCODE_ROOT_CASES=required (as .ci/run sets it), when
# they fail.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s ==\n' "$*"; }
paycode=target/release/paycode

# Installs Debian's package $2 (which provides $1) with apt-get if this runs as root, as CI does;
# otherwise stops and says how to install it.
install_package() {
    if [ "$(id -u)" != 0 ]; then
        echo "$1 is not installed; install it (sudo apt-get install $2) or run this as root" >&2
        exit 1
    fi
    echo "$1 is not installed: installing Debian's $2 package with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null
}

step "PostgreSQL for the store and service tests"
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null && ! command -v initdb >/dev/null; then
    install_package PostgreSQL postgresql
fi

step "strace, which the command's store tests use to make a sync fail"
command -v strace >/dev/null || install_package strace strace

step "cargo test (unit, integration, doctests)"
cargo test --locked --release

step "vectors: regeneration is byte-identical, the reference passes, every requirement is traced"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$paycode" vectors generate --out "$tmp/vectors"
diff -r -x README.md -x schema.json -x traceability.json vectors "$tmp/vectors"
"$paycode" vectors check vectors
"$paycode" vectors trace --spec spec/paycode-v3.md

step "vectors: JSON Schema validation with an independent validator (python jsonschema)"
bash scripts/validate-vectors.sh

step "conformance: the reference, in process and over the stdio adapter"
"$paycode" conformance run --builtin --quiet --out "$tmp/builtin"
"$paycode" conformance run --adapter "$paycode conformance adapter" --quiet --out "$tmp/stdio"

step "conformance: the independent Python implementation"
bash conformance/python/setup.sh
py=conformance/python/.venv/bin/python
(cd conformance/python && .venv/bin/python -m unittest discover -s tests -q)
"$paycode" conformance run --adapter "$py conformance/python/adapter.py" --quiet --out "$tmp/python"

step "conformance: kill matrix (every mutant caught, committed matrix up to date)"
"$paycode" conformance kill-matrix --adapter "$py conformance/python/adapter.py" --out "$tmp/kill"
diff conformance/kill-matrix.md "$tmp/kill/kill-matrix.md"
diff conformance/kill-matrix.json "$tmp/kill/kill-matrix.json"

step "all tests passed"
