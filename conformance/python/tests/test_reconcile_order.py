"""Reconciliation's order check (spec R-LOG-2 step 4, Section 10.4).

Two records of one identity are out of order when r1.counter < r2.counter and
r1.step > r2.step + D. The expected reports are worked out from that text in
the comments beside them; D = 3 unless a test says otherwise.

    conformance/python/.venv/bin/python -m unittest discover -s conformance/python/tests
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from paycode_py import log as log_module  # noqa: E402
from paycode_py import ops  # noqa: E402

ACCOUNT = 42
SERIAL = 7
X = 60


def record(counter, step, profile="ed25519", subject=SERIAL, terminal=1):
    fields = {
        "profile": profile,
        "key_id": 1 if profile == "ed25519" else 0,
        "subject": subject,
        "counter": counter,
        "step": step,
        "accepted_at": min(step * X, 2**64 - 1),
        "amount": 10 if profile == "ed25519" else 0,
        "terminal_id": terminal,
    }
    return ops.run("log-record-encode", fields)["bytes"]


def flagged(logs, tolerance=3):
    out = ops.run("reconcile", {"logs": ["".join(log) for log in logs], "tolerance": tolerance, "limits": []})
    return [(f["profile"], f["subject"], f["reasons"]) for f in out["flagged"]], out


class ReconcileOrder(unittest.TestCase):
    """R-LOG-2 step 4: r1.counter < r2.counter and r1.step > r2.step + D is out of order."""

    def test_the_edge_of_the_tolerance(self):
        self.assertEqual(flagged([[record(1, 110), record(2, 106)]])[0], [("ed25519", SERIAL, ["order"])])  # 110 > 109
        self.assertEqual(flagged([[record(1, 109), record(2, 106)]])[0], [])  # 109 is not > 109
        self.assertEqual(flagged([[record(1, 109), record(2, 106)]], tolerance=2)[0], [("ed25519", SERIAL, ["order"])])

    def test_the_sum_is_exact_at_the_end_of_u64(self):
        top = 2**64 - 1
        # r2.step + D = 2^64 + 1, above every u64 step: not out of order (a wrapped sum, 1, would be).
        self.assertEqual(flagged([[record(1, top), record(2, top - 1)]])[0], [])
        self.assertEqual(flagged([[record(1, top), record(2, top - 4)]])[0], [("ed25519", SERIAL, ["order"])])
        self.assertEqual(flagged([[record(1, top), record(2, 0)]], tolerance=top)[0], [])

    def test_records_in_different_logs_and_not_adjacent_counters(self):
        logs = [[record(1, 120, terminal=1)], [record(5, 100, terminal=2), record(3, 130, terminal=2)]]
        # (1, 120) against (5, 100): 120 > 103. (3, 130) against (5, 100) too.
        result, out = flagged(logs)
        self.assertEqual(result, [("ed25519", SERIAL, ["order"])])
        self.assertEqual(out["revoke_serials"], [SERIAL])
        self.assertEqual(out["duplicates"], [])

    def test_equal_counters_are_a_double_acceptance_not_an_order(self):
        result, _ = flagged([[record(2, 120)], [record(2, 100)]])
        self.assertEqual(result, [("ed25519", SERIAL, ["double"])])

    def test_both_reasons_and_identities_apart(self):
        logs = [
            [record(1, 200, "hmac", ACCOUNT), record(2, 100, "hmac", ACCOUNT), record(2, 100, "hmac", ACCOUNT)],
            [record(1, 200, "ed25519", ACCOUNT), record(4, 100, "hmac", 43)],
        ]
        # hmac 42: a double (counter 2) and an order (200 > 103). ed25519 42 has one record, and the
        # hmac record of counter 2 is another identity's. hmac 43 has one record.
        result, out = flagged(logs)
        self.assertEqual(result, [("hmac", ACCOUNT, ["double", "order"])])
        self.assertEqual((out["disable_accounts"], out["revoke_serials"]), ([ACCOUNT], []))

    def test_steps_that_rise_with_counters_are_not_flagged(self):
        # The highest step below counter 9 is 104, and 104 is not > 101 + 3.
        self.assertEqual(flagged([[record(c, 100 + c) for c in range(5)], [record(9, 101)]])[0], [])



class ReconcileOverspend(unittest.TestCase):
    """R-LOG-2 step 4: a serial whose amounts add up, exactly, to more than the limit the issuer gives."""

    def report(self, amounts, limits):
        # One ed25519 record per amount, counters 1, 2, ... in one step, serial 1001, key 1.
        log = b"".join(
            bytes([1, 2])
            + (1).to_bytes(2, "big")
            + (1001).to_bytes(8, "big")
            + n.to_bytes(4, "big")
            + (30_000_000).to_bytes(8, "big")
            + (1_800_000_000).to_bytes(8, "big")
            + a.to_bytes(8, "big")
            + (7).to_bytes(4, "big")
            for n, a in enumerate(amounts, start=1)
        )
        return log_module.reconcile([log], 3, limits)

    def test_above_the_limit_only(self):
        self.assertEqual(self.report([600, 400], {1001: 1000}).flagged, [])
        self.assertEqual(self.report([600, 401], {1001: 1000}).flagged, [((2, 1001), ["overspend"])])
        self.assertEqual(self.report([600, 401], {1001: 1000}).revoke_serials, [1001])

    def test_the_sum_is_exact(self):
        # 2^64 - 1 + 1 is above a limit of 2^64 - 1; a u64 sum that saturates would not be.
        self.assertEqual(self.report([2**64 - 1, 1], {1001: 2**64 - 1}).flagged, [((2, 1001), ["overspend"])])

    def test_a_serial_without_a_limit_is_not_checked(self):
        self.assertEqual(self.report([600, 401], {1002: 0}).flagged, [])
        self.assertEqual(self.report([600, 401], {}).flagged, [])


if __name__ == "__main__":
    unittest.main()
