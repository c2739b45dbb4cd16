#!/usr/bin/env bash
# The runs of paycode.pml that the Rust verifier replays (README.md, "Runs
# replayed against the implementation"): random simulations of the correct
# model, runs Spin finds to a goal (witnesses), and the counterexample of each
# broken variant, each written as the actions the model printed ("ACT" lines).
#
#   trails.sh          writes them to runs.txt
#   trails.sh --check  fails unless runs.txt is exactly what it would write
#
# Everything here is deterministic: simulations and searches take fixed
# seeds, so the same Spin writes the same file. tests/properties.rs
# (r_replay_1_r_time_4_spin_runs_match_the_verifier) replays runs.txt.
#
# Needs spin (Debian package `spin`) and a C compiler; installs nothing.
# Exit status: 0 if done (and, with --check, up to date), 1 if a search
# found no run or runs.txt differs, 2 if a tool is missing or the model does
# not build.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
mode="${1:-write}"
case "$mode" in
write | --check) ;;
*)
    echo "usage: trails.sh [--check]" >&2
    exit 2
    ;;
esac
cc="${CC:-$(command -v gcc || command -v cc || echo gcc)}"
for tool in spin "$cc"; do
    command -v "$tool" >/dev/null || { echo "trails.sh: $tool not found (Debian: apt-get install -y spin gcc)" >&2; exit 2; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/paycode.pml" "$work/"
cd "$work"
out="$work/runs.txt"
failed=0

{
    echo "# Runs of spec/model/paycode.pml, replayed against the verifier by tests/properties.rs."
    echo "# Written by spec/model/trails.sh with $(spin -V | cut -d' ' -f1-3); do not edit."
    echo "# run KIND NAME DEFINES...: one action per line, as the model printed it; end."
} >"$out"

# The ACT lines of a Spin run, verdicts written as the spec writes them.
acts() {
    sed -nE 's/^ *ACT (.*)$/\1/p' | sed -E ':a; s/(verdict=[a-z-]*)_/\1-/; ta'
}

# header KIND NAME DEFINES...: the run line; each -DKEY[=VALUE] as KEY=VALUE.
header() {
    local kind=$1 name=$2 line
    shift 2
    line="run $kind $name"
    for d in "$@"; do
        d=${d#-D}
        [[ $d == *=* ]] || d="$d=1"
        line="$line $d"
    done
    echo "$line"
}

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
    # -O1: these searches are short, so compiling is most of their time.
    "$cc" -O1 -w -DSAFETY $cflags -o pan pan.c || exit 2
}

# simulations NAME KEEP MUST DEFINES...: random simulations with seeds 1, 2,
# ...; the first KEEP that return at least four different verdicts, MUST
# (a verdict, or "-") among them, are kept.
simulations() {
    local name=$1 keep=$2 must=$3 seed=0 kept=0
    shift 3
    while [ "$kept" -lt "$keep" ]; do
        seed=$((seed + 1))
        if [ "$seed" -gt 2000 ]; then
            echo "FAIL simulations $name: $kept of $keep runs in 2000 seeds"
            failed=1
            return
        fi
        spin "$@" -n"$seed" -u2000 paycode.pml | acts >run.txt
        local verdicts
        verdicts=$(grep -o 'verdict=[a-z-]*' run.txt | sort -u || true)
        if [ "$(echo "$verdicts" | grep -c .)" -ge 4 ] && { [ "$must" = - ] || grep -qx "verdict=$must" <<<"$verdicts"; }; then
            { header simulation "$name" "$@" "-Dseed=$seed"; cat run.txt; echo end; } >>"$out"
            kept=$((kept + 1))
        fi
    done
    echo "ok   simulations $name: $keep runs (seeds up to $seed)"
}

# witnesses NAME GOAL AFTER SEEDS DEFINES...: for each seed, a run of the
# correct model that returns every verdict of GOAL after AFTER acceptances
# (with -DWITNESS_FULL, with a full bitmap then), found by Spin with the
# transitions in an order the seed shuffles.
witnesses() {
    local name=$1 goal=$2 after=$3 seeds=$4
    shift 4
    build -DT_RAND "$@" "-DWITNESS=$goal" "-DWITNESS_AFTER=$after"
    for seed in $seeds; do
        rm -f ./*.trail
        ./pan -RS"$seed" -m60 >pan.out 2>&1 || true
        if [ ! -e paycode.pml.trail ]; then
            echo "FAIL witness $name, seed $seed: no run reaches the goal"
            failed=1
            continue
        fi
        spin "$@" "-DWITNESS=$goal" "-DWITNESS_AFTER=$after" -t paycode.pml | acts >run.txt
        { header witness "$name" "$@" "-Dseed=$seed"; cat run.txt; echo end; } >>"$out"
    done
    echo "ok   witnesses $name: seeds $seeds"
}

# counterexample NAME DEFINES...: the broken variant must violate an
# assertion; its shortest counterexample (depth at most 30) is printed and
# kept.
counterexample() {
    local name=$1
    shift
    build -DREACH "$@"
    ./pan -i -m30 >pan.out 2>&1 || true
    if [ ! -e paycode.pml.trail ]; then
        echo "FAIL $name ($*): no counterexample"
        failed=1
        return
    fi
    spin "$@" -t paycode.pml >trail.txt 2>&1
    echo "ok   $name: counterexample found, as expected:"
    acts <trail.txt | sed 's/^/      /'
    grep -m1 'text of failed assertion' trail.txt | sed 's/^ *spin: /      /'
    { header counterexample "$name" "$@"; acts <trail.txt; echo end; } >>"$out"
}

defaults="-DB=2 -DF=1 -DW=2 -DNCODES=3 -DSMAX=5 -DDRIFT=3 -DRESTARTS=2"
w3="-DB=2 -DF=1 -DW=3 -DNCODES=3 -DSMAX=5 -DDRIFT=3 -DRESTARTS=2"
throttle="-DTHROTTLE -DMAXFAIL=2 -DB=2 -DF=1 -DW=2 -DNCODES=2 -DSMAX=4 -DDRIFT=2 -DRESTARTS=2"

echo "== runs of paycode.pml with $(spin -V)"
# shellcheck disable=SC2086
{
    simulations defaults 3 - -DB=2 -DF=1 -DW=2 -DNCODES=4 -DSMAX=4 -DDRIFT=2 -DRESTARTS=2
    simulations no-window 2 - -DB=0 -DF=0 -DW=2 -DNCODES=4 -DSMAX=4 -DDRIFT=1 -DRESTARTS=2
    simulations wide 2 - -DB=1 -DF=2 -DW=3 -DNCODES=4 -DSMAX=4 -DDRIFT=2 -DRESTARTS=2
    simulations three-bit 2 counter-behind -DB=2 -DF=1 -DW=3 -DNCODES=4 -DSMAX=4 -DDRIFT=2 -DRESTARTS=2
    simulations throttle 3 throttled -DTHROTTLE -DMAXFAIL=2 -DB=2 -DF=1 -DW=2 -DNCODES=3 -DSMAX=4 -DDRIFT=2 -DRESTARTS=2
    witnesses stale-counter SEEN_STALE_COUNTER 2 "1 2" -DB=2 -DF=1 -DW=2 -DNCODES=4 -DSMAX=5 -DDRIFT=3 -DRESTARTS=2
    witnesses full-window SEEN_REPLAYED 3 "1 2" -DWITNESS_FULL -DB=1 -DF=2 -DW=3 -DNCODES=3 -DSMAX=5 -DDRIFT=3 -DRESTARTS=2
    witnesses counter-behind SEEN_COUNTER_BEHIND 2 "1 2 3" $w3
    witnesses throttled SEEN_THROTTLED 1 "1 2" $throttle
    # Broken variants: each must fail.
    counterexample evict-early -DEVICT_EARLY $defaults
    counterexample restart-any-time -DRESTART_ANY_TIME $defaults
    counterexample forward-edge -DFORWARD_EDGE $defaults
    counterexample shift-mod-w -DSHIFT_MOD_W $w3
    counterexample throttle-volatile -DTHROTTLE_VOLATILE $throttle
    counterexample mark-unchecked -DMARK_UNCHECKED $w3
    counterexample mark-evicted -DMARK_EVICTED $w3
    # Not a claim of the rule: a code accepted after a higher counter with an
    # earlier step that is not the highest one (README).
    counterexample mark-any-higher -DMARK_ANY_HIGHER $w3
}

if [ "$failed" != 0 ]; then
    echo "trails.sh: FAILED" >&2
    exit 1
fi
if [ "$mode" = --check ]; then
    if ! diff -u "$here/runs.txt" "$out" >runs.diff; then
        head -n 40 runs.diff
        echo "trails.sh: runs.txt is not what spec/model/trails.sh writes; run it and commit the result" >&2
        exit 1
    fi
    echo "ok   runs.txt is up to date ($(grep -c '^run ' "$out") runs)"
else
    cp "$out" "$here/runs.txt"
    echo "wrote runs.txt ($(grep -c '^run ' "$out") runs)"
fi
