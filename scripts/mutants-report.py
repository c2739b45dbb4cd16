#!/usr/bin/env python3
"""Writes conformance/mutants.md from a cargo-mutants run (its `mutants.out` folder) and the
reasons recorded in conformance/mutants-reasons.json for the mutants the vectors do not kill.

Usage: python3 scripts/mutants-report.py OUT_DIR[@COMMIT]... [--check]

With several folders, a mutant's outcome in a later one replaces its outcome in an earlier one
(a rerun of some mutants after a change to the vectors). A folder written by a run on an earlier
commit is given as OUT_DIR@COMMIT: its mutants' lines are carried to the working tree's through
the diff of each file, and a mutant on a line that changed since is dropped (the working tree's
mutant there was not run). The mutants made are those cargo-mutants lists for the working tree.

A reason is keyed by the mutant's name without its line and column ("src/time.rs: replace
Params::t0 -> u64 with 0"), so that it survives edits above it. Its kind is one of

- "equivalent": no input gives a different result (the mutant computes the same function);
- "unreachable": no operation of the protocol reaches the code (an accessor that only the
  command or the tests use), so no vector can observe it.

Both count as equivalent for the score: killed / (mutants tested - equivalent). A survivor
with no reason is a vector owed, and the report lists it as such. --check fails when the
score is under the target or a survivor has no reason.
"""

import collections
import difflib
import json
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REASONS = ROOT / "conformance" / "mutants-reasons.json"
REPORT = ROOT / "conformance" / "mutants.md"
TARGET = 0.97
KINDS = {"equivalent", "unreachable"}


def key(name: str) -> str:
    """The mutant's name without its line and column."""
    return re.sub(r"^([^:]+):\d+:\d+:", r"\1:", name)


def line_map(commit: str, path: str) -> dict:
    """Line numbers of `path` at `commit` (1-based) to its lines in the working tree, for the
    lines the diff leaves unchanged."""
    old = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    new = (ROOT / path).read_text().splitlines()
    out = {}
    for tag, i1, i2, j1, _ in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            out.update({i1 + k + 1: j1 + k + 1 for k in range(i2 - i1)})
    return out


def carried(name: str, commit, maps: dict):
    """`name` as the working tree's mutant, or None if its line changed since `commit`."""
    if commit is None:
        return name
    m = re.match(r"^([^:]+):(\d+):(\d+):(.*)$", name)
    if m is None:
        return None
    path, line, col, rest = m.group(1), int(m.group(2)), m.group(3), m.group(4)
    if (commit, path) not in maps:
        maps[(commit, path)] = line_map(commit, path)
    new = maps[(commit, path)].get(line)
    return None if new is None else f"{path}:{new}:{col}:{rest}"


def listed():
    """The names of every mutant cargo-mutants makes of the working tree, or None without it."""
    try:
        run = subprocess.run(["cargo", "mutants", "--list", "--json"], cwd=ROOT, capture_output=True, text=True,
                             check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return {m["name"] for m in json.loads(run.stdout)}


def load_outcomes(out: Path):
    data = json.loads((out / "outcomes.json").read_text())
    rows = []
    for o in data["outcomes"]:
        scenario = o["scenario"]
        if not isinstance(scenario, dict) or "Mutant" not in scenario:
            continue
        m = scenario["Mutant"]
        rows.append((m["name"], m["file"], o["summary"]))
    return rows


def main() -> int:
    args = sys.argv[1:]
    check = "--check" in args
    args = [a for a in args if a != "--check"]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    runs = [(Path(a.split("@")[0]), a.split("@")[1] if "@" in a else None) for a in args]
    outs = [out for out, _ in runs]
    maps = {}
    merged = {}
    for out, commit in runs:
        for name, f, summary in load_outcomes(out):
            name = carried(name, commit, maps)
            if name is not None:
                merged[name] = (name, f, summary)
    # Every mutant cargo-mutants makes of the working tree, run or not.
    names = listed()
    if names is None:
        names = {m["name"] if "name" in m else json.dumps(m, sort_keys=True)
                 for out in outs if (out / "mutants.json").exists()
                 for m in json.loads((out / "mutants.json").read_text())}
    else:
        merged = {n: r for n, r in merged.items() if n in names}
    rows = list(merged.values())
    made = max(len(names), len(rows))
    finished = max((o / "outcomes.json").stat().st_mtime for o in outs)
    reasons = json.loads(REASONS.read_text()) if REASONS.exists() else {}
    for k, r in reasons.items():
        if r.get("kind") not in KINDS or not r.get("why"):
            print(f"{REASONS.name}: {k}: a reason needs a kind ({', '.join(sorted(KINDS))}) and a why",
                  file=sys.stderr)
            return 1
    summaries = collections.Counter(s for _, _, s in rows)
    caught = summaries["CaughtMutant"] + summaries["Timeout"]
    missed = [(n, f) for n, f, s in rows if s == "MissedMutant"]
    unviable = summaries["Unviable"]
    explained = [(n, f, reasons[key(n)]) for n, f in missed if key(n) in reasons]
    owed = [(n, f) for n, f in missed if key(n) not in reasons]
    tested = caught + len(missed)
    equivalent = len(explained)
    score = caught / (tested - equivalent) if tested > equivalent else 1.0
    strictly = sum(1 for _, _, r in explained if r["kind"] == "equivalent")
    strict_score = caught / (tested - strictly) if tested > strictly else 1.0
    stale = sorted(set(reasons) - {key(n) for n, _ in missed})

    per_file = collections.defaultdict(collections.Counter)
    for _, f, s in rows:
        per_file[f][s] += 1
        per_file[f]["all"] += 1

    lines = [
        "# Mutation testing of the reference against the vectors alone",
        "",
        "Generated by `bash scripts/mutants.sh` (cargo-mutants over the core crate `src/`, the",
        "test being `every_case_gives_its_expected_result` in `crates/paycode-vectors/tests/vectors.rs`,",
        "which runs every vector case through the reference and nothing else; `.cargo/mutants.toml`),",
        "then `python3 scripts/mutants-report.py`; do not edit. The reasons for the survivors are",
        "kept in `conformance/mutants-reasons.json`.",
        "",
        f"Run finished {datetime.fromtimestamp(finished, timezone.utc):%Y-%m-%d %H:%M} UTC"
        + (f", from {len(outs)} runs: a later run's outcome replaces an earlier one's for the same mutant." if len(outs) > 1 else "."),
        "",
        "| | mutants |",
        "|---|---:|",
        f"| made | {made} |",
        f"| run | {len(rows)} |",
        f"| did not build (unviable; not counted) | {unviable} |",
        f"| tested | {tested} |",
        f"| killed by a vector (or made a case hang) | {caught} |",
        f"| survived, equivalent or unreachable (reason below) | {equivalent} |",
        f"| survived, no reason: a vector is owed | {len(owed)} |",
        "",
        *([f"{len(rows)} of the {made} mutants have an outcome: the others were not run (a run stopped early, in "
           "cargo-mutants' shuffled order, or their lines changed after the run that made them), and the figures "
           "below are those of the mutants run.", ""] if len(rows) < made else []),
        *([f"The outcomes come from {len(outs)} runs: " + ", ".join(
            f"`{out.parent.name}`" + (f" on `{commit}`" if commit else " on the working tree") for out, commit in runs)
           + ". The later runs reran the survivors after vectors were added, and the mutants on lines that changed.",
           ""] if len(outs) > 1 else []),
        f"Killed of the non-equivalent: **{caught} / {tested - equivalent} = {100 * score:.1f} %** "
        f"(target ≥ {100 * TARGET:.0f} %). Counting the {equivalent - strictly} unreachable survivors as not killed, "
        f"and only the {strictly} equivalent ones as equivalent: {caught} / {tested - strictly} = {100 * strict_score:.1f} %.",
        "",
        "## By file",
        "",
        "| file | run | unviable | killed | survived |",
        "|---|---:|---:|---:|---:|",
    ]
    for f in sorted(per_file):
        c = per_file[f]
        lines.append(f"| `{f}` | {c['all']} | {c['Unviable']} | {c['CaughtMutant'] + c['Timeout']} | {c['MissedMutant']} |")
    lines += ["", "## Survivors without a reason (vectors owed)", ""]
    lines += [f"- `{n}`" for n, _ in sorted(owed)] or ["None."]
    lines += ["", "## Survivors that no vector can kill", ""]
    if explained:
        lines += ["| mutant | kind | why |", "|---|---|---|"]
        for n, _, r in sorted(explained):
            lines.append(f"| `{n}` | {r['kind']} | {r['why']} |")
    else:
        lines.append("None.")
    if stale:
        lines += ["", "Reasons recorded for mutants this run did not leave alive: " + ", ".join(f"`{s}`" for s in stale) + "."]
    text = "\n".join(lines) + "\n"

    REPORT.write_text(text)
    print(f"{REPORT.relative_to(ROOT)}: {caught} killed, {equivalent} equivalent, {len(owed)} owed, "
          f"{100 * score:.1f} % of the non-equivalent")
    if check and (score < TARGET or owed):
        print(f"below target or with survivors owed a vector", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
