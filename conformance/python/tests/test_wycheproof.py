"""Project Wycheproof's Ed25519 vectors through paycode_py's signature check (R-ED-1, R-ED-2).

Source: Project Wycheproof (Apache-2.0), `ed25519_test.json`, read where cargo
unpacked the `wycheproof` crate that the Rust tests use (the version pinned in
the repository's Cargo.lock; `cargo metadata` says where). Nothing of it is
copied into this repository. PAYCODE_WYCHEPROOF_DATA may name the crate's
`src/data` folder instead. Without either the test fails: it is never skipped.

The expected set of disagreements is the Rust test's (tests/wycheproof.rs):
empty for the pinned version, as Wycheproof's Ed25519 file has no small-order
or mixed-order point, where the spec is stricter than RFC 8032.

    conformance/python/.venv/bin/python -m unittest discover -s conformance/python/tests
"""

import json
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
REPO = os.path.normpath(os.path.join(ROOT, "..", ".."))
sys.path.insert(0, ROOT)

from paycode_py import ed25519  # noqa: E402

# tcId -> the spec rule that makes paycode's verdict differ from Wycheproof's.
EXPLAINED = {}


def wycheproof_data():
    """The `src/data` folder of the pinned wycheproof crate."""
    given = os.environ.get("PAYCODE_WYCHEPROOF_DATA")
    if given:
        return given
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked", "--manifest-path", os.path.join(REPO, "Cargo.toml")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    packages = [p for p in json.loads(out)["packages"] if p["name"] == "wycheproof"]
    if len(packages) != 1:
        raise AssertionError(f"expected one wycheproof package in cargo metadata, found {len(packages)}")
    return os.path.join(os.path.dirname(packages[0]["manifest_path"]), "src", "data")


class Ed25519(unittest.TestCase):
    def test_every_case_agrees_or_is_explained(self):
        with open(os.path.join(wycheproof_data(), "ed25519_test.json"), encoding="utf-8") as fh:
            doc = json.load(fh)
        groups = cases = agreements = acceptable = 0
        disagreements = {}
        for group in doc["testGroups"]:
            groups += 1
            self.assertEqual(group["publicKey"]["curve"], "edwards25519")
            pk = bytes.fromhex(group["publicKey"]["pk"])
            for test in group["tests"]:
                cases += 1
                msg, sig = bytes.fromhex(test["msg"]), bytes.fromhex(test["sig"])
                accepted = ed25519.verify(pk, msg, sig)
                expected = test["result"]
                if expected == "acceptable":
                    acceptable += 1
                    agreements += 1
                elif accepted == (expected == "valid"):
                    agreements += 1
                else:
                    disagreements[test["tcId"]] = (expected, test["flags"], test["comment"])
                if accepted:
                    # A valid signature on a message one bit away must fail.
                    other = bytes([msg[0] ^ 1]) + msg[1:] if msg else b"\x00"
                    self.assertFalse(ed25519.verify(pk, other, sig), f"tcId {test['tcId']}: altered message accepted")
        self.assertGreater(cases, 0)
        self.assertEqual(cases, doc["numberOfTests"])
        unexplained = {k: v for k, v in disagreements.items() if k not in EXPLAINED}
        vanished = sorted(k for k in EXPLAINED if k not in disagreements)
        self.assertEqual(unexplained, {}, "disagreements with Wycheproof not explained")
        self.assertEqual(vanished, [], "explained disagreements that no longer occur")
        print(
            f"\nwycheproof Ed25519 (paycode_py): {groups} groups, {cases} cases, {agreements} agreements "
            f"({acceptable} acceptable), {len(disagreements)} explained disagreements",
            file=sys.stderr,
        )


if __name__ == "__main__":
    unittest.main()
