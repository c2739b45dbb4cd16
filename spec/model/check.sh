#!/usr/bin/env bash
# Model-checks paycode.pml with Spin (see README.md): exhaustively for each
# configuration below, where Spin must report 0 errors over a complete search,
# and the broken variants, where Spin must find a counterexample.
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

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/paycode.pml" "$work/"
cd "$work"
failed=0

# build CFLAGS DEFINES...: the verifier pan for the model with DEFINES.
build() {
    local cflags=$1
    shift
    rm -f pan pan.? pan.?? ./*.trail
    if ! spin "$@" -a paycode.pml >spin.log 2>&1; then
        cat spin.log >&2
        exit 2
    fi
    # shellcheck disable=SC2086
    "$cc" -O2 -w -DSAFETY -DMEMLIM=4096 $cflags -o pan pan.c || exit 2
}

field() { # pattern: the number in pan.out that precedes or follows it
    grep -o "$1" pan.out | grep -o '[0-9][0-9.e+]*' | head -n1 || true
}

# The actions of a counterexample, replayed from the trail.
story() {
    spin "$@" -t paycode.pml 2>&1 |
        grep -E '^ *(wallet|present|verdict|clock|evict|restart)|assertion violated|text of failed' |
        sed 's/^ */      /'
}

# exhaustive NAME DEFINES...: complete search, no errors.
exhaustive() {
    local name=$1
    shift
    build "" "$@"
    local start end
    start=$(date +%s.%N)
    ./pan -m1000000 >pan.out 2>&1 || true
    end=$(date +%s.%N)
    local states depth errors secs
    states=$(field '[0-9]* states, stored')
    depth=$(field 'depth reached [0-9]*')
    errors=$(field 'errors: [0-9]*')
    secs=$(echo "$end - $start" | bc)
    if [ "$errors" != 0 ] || grep -qE 'max search depth too small|Search not completed|out of memory' pan.out; then
        echo "FAIL $name ($*): errors: ${errors:-?}, or the search was not complete"
        grep -E 'assertion violated|depth too small|not completed|out of memory' pan.out | sed 's/^/      /' || true
        [ -e paycode.pml.trail ] && story "$@"
        failed=1
    else
        printf 'ok   %-28s %10s states, depth %s, 0 errors, %.1f s\n' "$name" "$states" "$depth" "$secs"
    fi
}

# counterexample NAME DEFINES...: the broken variant must violate an assertion.
counterexample() {
    local name=$1
    shift
    # -i with -DREACH: look for a short counterexample (depth at most 30).
    build -DREACH "$@"
    ./pan -i -m30 >pan.out 2>&1 || true
    local errors
    errors=$(field 'errors: [0-9]*')
    if [ "${errors:-0}" -ge 1 ] && [ -e paycode.pml.trail ]; then
        echo "ok   $name: counterexample found, as expected:"
        story "$@"
    else
        echo "FAIL $name ($*): no counterexample"
        failed=1
    fi
}

started=$(date +%s)
echo "== paycode.pml with $(spin -V)"
# The good model: spec defaults, the degenerate window, and B < F with a wider bitmap.
exhaustive "B=2 F=1 W=2 (defaults)" -DB=2 -DF=1 -DW=2 -DNCODES=3 -DSMAX=5 -DDRIFT=3 -DRESTARTS=2
exhaustive "B=0 F=0 W=2" -DB=0 -DF=0 -DW=2 -DNCODES=3 -DSMAX=5 -DDRIFT=1 -DRESTARTS=2
exhaustive "B=1 F=2 W=3" -DB=1 -DF=2 -DW=3 -DNCODES=3 -DSMAX=5 -DDRIFT=3 -DRESTARTS=2
# Broken variants: each must fail.
counterexample "evict one step early" -DEVICT_EARLY -DB=2 -DF=1 -DW=2 -DNCODES=3 -DSMAX=5 -DDRIFT=3 -DRESTARTS=2
counterexample "restart with clock set back" -DRESTART_ANY_TIME -DB=2 -DF=1 -DW=2 -DNCODES=3 -DSMAX=5 -DDRIFT=3 -DRESTARTS=2
echo "== $(($(date +%s) - started)) s"

if [ "$failed" != 0 ]; then
    echo "check.sh: FAILED" >&2
    exit 1
fi
