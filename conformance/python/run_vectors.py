#!/usr/bin/env python3
"""A small driver for the vectors: runs every case through paycode_py and compares.

    python3 run_vectors.py [PATH ...]                 # in process, all vector files
    python3 run_vectors.py --mutant NAME [PATH ...]   # which cases catch one mutant
    python3 run_vectors.py --kill-matrix [PATH ...]   # every mutant, in process
    python3 run_vectors.py --adapter 'CMD' [PATH ...] # the same cases over paycode-adapter/1

PATH is a vector file or a directory of them (default: the repository's vectors/).
A case passes when every field of its `expected` equals the output (for a
scenario, every step's). Exit status: 0 when every case passes (with
--kill-matrix: when every mutant is caught), 1 otherwise.
"""

import argparse
import glob
import json
import os
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
DEFAULT_VECTORS = os.path.normpath(os.path.join(HERE, "..", "..", "vectors"))


def load(paths):
    """[(file name, [case])] for every vector file under `paths`, sorted by name."""
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += sorted(glob.glob(os.path.join(p, "*.json")))
        else:
            files.append(p)
    out = []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            doc = json.load(fh)
        if not isinstance(doc, dict) or "cases" not in doc:
            continue  # not a vector file (for example the traceability map)
        out.append((os.path.basename(f), doc["cases"]))
    return out


def compare(expected, actual):
    """The verdict of one output against one expected object."""
    if not isinstance(actual, dict):
        return "ERROR"
    if all(k in actual and actual[k] == v for k, v in expected.items()):
        return "PASS"
    if (
        expected.get("result") == "invalid"
        and actual.get("result") == "invalid"
        and "error" in expected
        and actual.get("error") != expected["error"]
    ):
        return "WRONG-REASON"
    return "FAIL"


class InProcess:
    """Runs cases by calling paycode_py.ops directly."""

    def __init__(self):
        from paycode_py import ops

        self.ops = ops

    def case(self, case):
        """[(verdict, expected, actual)], one per step for a scenario."""
        ops = self.ops
        if case["op"] != "scenario":
            try:
                actual = ops.run(case["op"], case["input"])
            except ops.BadInput as e:
                actual = {"error": str(e)}
                return [("ERROR", case["expected"], actual)]
            return [(compare(case["expected"], actual), case["expected"], actual)]
        try:
            session = ops.Session(case["input"]["verifier"], case["input"]["state"])
        except ops.BadInput as e:
            return [("ERROR", case["expected"], {"error": str(e)})]
        out = []
        for step, expected in zip(case["input"]["steps"], case["expected"]["steps"]):
            try:
                actual = session.step(step)
            except ops.BadInput as e:
                actual = {"error": str(e)}
            out.append((compare(expected, actual), expected, actual))
        return out


class OverStdio:
    """Runs cases through an adapter process, speaking paycode-adapter/1."""

    def __init__(self, command):
        self.proc = subprocess.Popen(
            shlex.split(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        self.seq = 0
        hello = self.request({"type": "hello", "contract": "paycode-adapter/1", "spec": "paycode v3"})
        if hello.get("contract") != "paycode-adapter/1":
            raise SystemExit(f"bad hello: {hello}")

    def request(self, message):
        self.seq += 1
        message = {**message, "seq": self.seq}
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit("adapter exited")
        response = json.loads(line)
        if response.get("seq") != self.seq:
            raise SystemExit(f"wrong seq: {line}")
        return response

    def _output(self, response):
        return response["output"] if "output" in response else {"error": response.get("error")}

    def case(self, case):
        if case["op"] != "scenario":
            r = self.request({"type": "case", "id": case["id"], "op": case["op"], "input": case["input"]})
            if "output" not in r:
                return [("ERROR", case["expected"], r)]
            return [(compare(case["expected"], r["output"]), case["expected"], r["output"])]
        i = case["input"]
        r = self.request({"type": "reset", "id": case["id"], "verifier": i["verifier"], "state": i["state"]})
        if "output" not in r:
            return [("ERROR", case["expected"], r)]
        out = []
        for index, (step, expected) in enumerate(zip(i["steps"], case["expected"]["steps"])):
            r = self.request({"type": "step", "id": case["id"], "index": index, "step": step})
            actual = self._output(r)
            out.append((compare(expected, actual) if "output" in r else "ERROR", expected, actual))
        return out

    def close(self):
        self.proc.stdin.write(json.dumps({"type": "stop"}) + "\n")
        self.proc.stdin.flush()
        self.proc.wait(timeout=10)


def run(files, runner, verbose=False, quiet=False):
    """{case id: verdict} over all files; prints per-file counts unless quiet."""
    verdicts = {}
    for name, cases in files:
        passed, failed = 0, []
        for case in cases:
            steps = runner.case(case)
            bad = [(i, s) for i, s in enumerate(steps) if s[0] != "PASS"]
            if len(steps) != (len(case["expected"]["steps"]) if case["op"] == "scenario" else 1):
                bad = bad or [(len(steps), ("ERROR", {}, {}))]
            verdict = bad[0][1][0] if bad else "PASS"
            verdicts[case["id"]] = verdict
            if bad:
                failed.append(case["id"])
                if verbose:
                    i, (v, exp, act) = bad[0]
                    where = f" step {i}" if case["op"] == "scenario" else ""
                    print(f"  {v} {case['id']}{where}\n    expected {json.dumps(exp)}\n    actual   {json.dumps(act)}")
            else:
                passed += 1
        if not quiet:
            print(f"{name}: {passed} passed, {len(failed)} failed")
            for cid in failed:
                print(f"  {verdicts[cid]} {cid}")
    return verdicts


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=[DEFAULT_VECTORS])
    parser.add_argument("--mutant", metavar="NAME")
    parser.add_argument("--kill-matrix", action="store_true", help="run every mutant and list the cases that catch it")
    parser.add_argument("--adapter", metavar="CMD", help="drive this adapter command over stdio instead")
    parser.add_argument("-v", "--verbose", action="store_true", help="show expected and actual of each failure")
    args = parser.parse_args()

    files = load(args.paths)
    total = sum(len(c) for _, c in files)
    start = time.perf_counter()

    if args.kill_matrix:
        from paycode_py import mutants

        mutants._active.clear()
        baseline = run(files, InProcess(), quiet=True)
        broken = sorted(cid for cid, v in baseline.items() if v != "PASS")
        if broken:
            print(f"not counted (failing without a mutant): {' '.join(broken)}")
        survivors = []
        for name in mutants.MUTANTS:
            mutants._active.clear()
            mutants.enable(name)
            verdicts = run(files, InProcess(), quiet=True)
            caught = sorted(cid for cid, v in verdicts.items() if v != "PASS" and baseline.get(cid) == "PASS")
            print(f"{name}: caught by {len(caught)}: {' '.join(caught) if caught else '-- SURVIVES'}")
            if not caught:
                survivors.append(name)
        mutants._active.clear()
        print(
            f"{len(mutants.MUTANTS) - len(survivors)} of {len(mutants.MUTANTS)} mutants caught"
            f" ({time.perf_counter() - start:.2f} s)"
        )
        return 1 if survivors else 0

    if args.adapter:
        command = args.adapter + (f" --mutant {shlex.quote(args.mutant)}" if args.mutant else "")
        runner = OverStdio(command)
    else:
        if args.mutant:
            from paycode_py import mutants

            mutants.enable(args.mutant)
        runner = InProcess()
    verdicts = run(files, runner, verbose=args.verbose)
    if args.adapter:
        runner.close()
    failed = sum(1 for v in verdicts.values() if v != "PASS")
    print(f"{total - failed} passed, {failed} failed ({time.perf_counter() - start:.2f} s)")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
