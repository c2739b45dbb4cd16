#!/usr/bin/env bash
# Runs every fuzz target for SECONDS seconds (default 25), one after the other,
# on one core, from its seed corpus (fuzz/seeds/<target>) plus whatever earlier
# runs left in fuzz/corpus/<target>. Fails if any target finds a crash, a
# timeout or an out-of-memory input; the input is then in fuzz/artifacts/<target>/.
#
#   bash fuzz/smoke.sh                        # CI smoke run, about 25 s per target
#   bash fuzz/smoke.sh 3600                   # an hour per target
#   FUZZ_RUNS=10000000 bash fuzz/smoke.sh 0   # ten million executions per target, no time limit
#   bash fuzz/smoke.sh 60 verify numeric      # only these targets
#
# Installs cargo-fuzz if missing. libFuzzer's AddressSanitizer build needs
# `-Zsanitizer`, which stable rustc takes only with RUSTC_BOOTSTRAP=1.
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-25}"
shift || true
runs_limit="${FUZZ_RUNS:--1}"
export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR=never

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz =="
    cargo install cargo-fuzz --locked
fi

# cargo fuzz has no --locked: check the lockfile first.
cargo fetch --locked --quiet
# -a: debug assertions on, so that integer overflow is a crash too.
cargo fuzz build -a

failed=()
targets=("$@")
if ((${#targets[@]} == 0)); then
    mapfile -t targets < <(cargo fuzz list)
fi

for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    log="$(mktemp)"
    start=$(date +%s)
    # One worker; -timeout: an input that takes 10 s is a hang.
    if cargo fuzz run -a "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -runs="$runs_limit" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
        status=ok
    else
        status=FAILED
        failed+=("$target")
        tail -n 60 "$log"
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    printf '%-16s %-6s %12s executions  %4d s\n' "$target" "$status" "${runs:-?}" "$(($(date +%s) - start))"
    rm -f "$log"
done

if ((${#failed[@]})); then
    echo "fuzz targets with findings: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
