#!/usr/bin/env bash
# Model-checks paycode.pml with Spin (see README.md):
#   - each configuration below exhaustively: Spin must report 0 errors over a
#     complete search (no depth or memory truncation);
#   - four codes at the full bounds, too large for that here, with a swarm of
#     bitstate searches (a sample of the state space; README gives the
#     figures and the exhaustive command);
#   - trails.sh --check: each broken variant must yield a counterexample, and
#     runs.txt (the runs tests/properties.rs replays) must be up to date.
# Two searches run at a time (MODEL_JOBS=n to change that).
#
# Needs spin (Debian package `spin`) and a C compiler; installs nothing.
# Exit status: 0 if every check came out as expected, 1 if not, 2 if a tool
# is missing or the model does not build.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cc="${CC:-$(command -v gcc || command -v cc || echo gcc)}"
for tool in spin "$cc"; do
    command -v "$tool" >/dev/null || { echo "check.sh: $tool not found (Debian: apt-get install -y spin gcc)" >&2; exit 2; }
done
slots="${MODEL_JOBS:-2}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
TIMEFORMAT='%U'

# build CFLAGS DEFINES...: the verifier pan, in the current folder, for the model with DEFINES.
build() {
    local cflags=$1
    shift
    cp "$here/paycode.pml" .
    if ! spin "$@" -a paycode.pml >spin.log 2>&1; then
        cat spin.log
        exit 2
    fi
    # shellcheck disable=SC2086
    "$cc" -O2 -w -DSAFETY -DMEMLIM=4096 $cflags -o pan pan.c || exit 2
}

field() { # pattern: the number in pan.out that precedes or follows it
    grep -o "$1" pan.out | grep -o '[0-9][0-9.e+]*' | head -n1 || true
}

# search NAME ARGS: runs ./pan ARGS, timing it; checks for errors and truncation.
search() {
    local name=$1
    shift
    { time ./pan "$@" >pan.out 2>&1 || true; } 2>cpu.txt
    local states depth errors
    states=$(field '[0-9.e+]* states, stored')
    depth=$(field 'depth reached [0-9]*')
    errors=$(field 'errors: [0-9]*')
    if [ "$errors" != 0 ] || grep -qE 'max search depth too small|Search not completed|out of memory' pan.out; then
        echo "FAIL $name: errors: ${errors:-?}, or the search was not complete"
        grep -E 'assertion violated|depth too small|not completed|out of memory' pan.out | sed 's/^/      /' || true
        return 1
    fi
    local extra=""
    grep -q 'hash factor' pan.out && extra=", hash factor $(field 'hash factor: [0-9.e+]*')"
    printf 'ok   %-40s %11s states, depth %s, 0 errors%s, %.1f s cpu\n' "$name" "$states" "$depth" "$extra" "$(cat cpu.txt)"
}

# exhaustive NAME DEFINES...: complete search, no errors.
exhaustive() {
    local name=$1
    shift
    build "" "$@"
    search "$name" -m1000000
}

# swarm NAME DEFINES...: bitstate searches of 2^23 bits, each with its own
# hash function and order of search (fixed, so that a failure can be
# repeated); none may find an error.
swarm() {
    local name=$1
    shift
    build "-DBITSTATE -DPERMUTED" "$@"
    local failed=0
    search "$name, bitstate run 1" -m1000000 -w23 || failed=1
    search "$name, bitstate run 2" -m1000000 -w23 -h7 -t_reverse || failed=1
    return "$failed"
}

# job FUNCTION ARGS...: runs it in a folder of its own, at most $slots at a time.
n=0
job() {
    while [ "$(jobs -rp | wc -l)" -ge "$slots" ]; do
        wait -n || true
    done
    mkdir "$work/$n"
    (cd "$work/$n" && if "$@" >out 2>&1; then echo 0 >status; else echo $? >status; fi) &
    n=$((n + 1))
}

started=$(date +%s)
echo "== paycode.pml with $(spin -V)"
# shellcheck disable=SC2086
{
    # The broken variants and the runs the Rust verifier replays: many short
    # searches, one after another, so they start first.
    job bash "$here/trails.sh" --check
    # The spec's defaults, the degenerate window, and B < F with a wider
    # bitmap; every configuration has the counter mark (R-REPLAY-7).
    job exhaustive "defaults, B=2 F=1 W=2, 3 codes" -DB=2 -DF=1 -DW=2 -DNCODES=3 -DSMAX=5 -DDRIFT=3 -DRESTARTS=2
    job exhaustive "no window, B=0 F=0 W=2, 3 codes" -DB=0 -DF=0 -DW=2 -DNCODES=3 -DSMAX=5 -DDRIFT=1 -DRESTARTS=2
    job exhaustive "B < F, B=1 F=2 W=3, 3 codes" -DB=1 -DF=2 -DW=3 -DNCODES=3 -DSMAX=5 -DDRIFT=3 -DRESTARTS=2
    job exhaustive "B=2 F=1 W=2, 4 codes, smaller clock" -DB=2 -DF=1 -DW=2 -DNCODES=4 -DSMAX=3 -DDRIFT=2 -DRESTARTS=1
    # The hmac throttle.
    job exhaustive "throttle, B=2 F=1 W=2, 2 codes" -DTHROTTLE -DMAXFAIL=2 -DB=2 -DF=1 -DW=2 -DNCODES=2 -DSMAX=4 -DDRIFT=2 -DRESTARTS=2
    # Four codes at the full bounds: a sample.
    job swarm "B=2 F=1 W=2, 4 codes" -DB=2 -DF=1 -DW=2 -DNCODES=4 -DSMAX=5 -DDRIFT=3 -DRESTARTS=2
}
wait

failed=0
for i in $(seq 0 $((n - 1))); do
    cat "$work/$i/out"
    status=$(cat "$work/$i/status" 2>/dev/null || echo 1)
    if [ "$status" = 2 ]; then
        failed=2
    elif [ "$status" != 0 ] && [ "$failed" = 0 ]; then
        failed=1
    fi
done
echo "== $(($(date +%s) - started)) s"

if [ "$failed" != 0 ]; then
    echo "check.sh: FAILED" >&2
    exit "$failed"
fi
