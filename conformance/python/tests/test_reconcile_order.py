"""Reconciliation over verified records (spec R-LOG-2, R-LOG-4, Section 10.4).

Records are made from real hmac codes of account 42 (the tag computed here from the spec's
formulas) and checked against the account's keys. Two codes of one identity are out of order
when c1.counter < c2.counter and c1.step > c2.step + D; a record whose tag fails proves nothing.
The expected reports are worked out from that text in the comments beside them; D = 3 unless a
test says otherwise.

    conformance/python/.venv/bin/python -m unittest discover -s conformance/python/tests
"""

import os
import struct
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from paycode_py import code, handle, keys, log, ops  # noqa: E402

ACCOUNT = 42
SEED = bytes(range(32))
X = 60


def record(counter, step, terminal=1, amount=10, tag=None):
    """The 68-byte record of account 42's one-way code (counter, step), hex (Section 4.8)."""
    k_qr = keys.k_qr(SEED, ACCOUNT)
    h = handle.derive(keys.k_h(SEED, ACCOUNT), step)  # the payload carries the handle and the masked counter
    if tag is None:
        tag = code.qr_tag(k_qr, h.handle, step, counter ^ h.pad)
    payload = code.hmac_payload(h.handle, step, counter ^ h.pad, tag)
    head = struct.pack(">BBQQIQ", log.VERSION, 0x01, min(step * X, 2**64 - 1), amount, terminal, step)
    return (head + payload).hex()


def reconcile(logs, tolerance=3):
    i = {
        "logs": ["".join(log) for log in logs],
        "tolerance": tolerance,
        "hmac_accounts": [{"account_id": ACCOUNT, "seed": SEED.hex()}],
        "trust_list": None,
    }
    out = ops.run("reconcile", i)
    return [(f["profile"], f["subject"], f["reasons"]) for f in out["flagged"]], out


class ReconcileOrder(unittest.TestCase):
    """R-LOG-2 step 4: c1.counter < c2.counter and c1.step > c2.step + D is out of order."""

    def test_the_edge_of_the_tolerance(self):
        self.assertEqual(reconcile([[record(1, 110), record(2, 106)]])[0], [("hmac", ACCOUNT, ["order"])])  # 110 > 109
        self.assertEqual(reconcile([[record(1, 109), record(2, 106)]])[0], [])  # 109 is not > 109
        self.assertEqual(reconcile([[record(1, 109), record(2, 106)]], tolerance=2)[0], [("hmac", ACCOUNT, ["order"])])

    def test_the_sum_is_exact_at_the_end_of_u64(self):
        top = 2**64 - 1
        # c2.step + D = 2^64 + 1, above every u64 step: not out of order (a wrapped sum, 1, would be).
        self.assertEqual(reconcile([[record(1, top), record(2, top - 1)]])[0], [])
        self.assertEqual(reconcile([[record(1, top), record(2, top - 4)]])[0], [("hmac", ACCOUNT, ["order"])])
        self.assertEqual(reconcile([[record(1, top), record(2, 0)]], tolerance=top)[0], [])

    def test_codes_in_different_logs_and_not_adjacent_counters(self):
        logs = [[record(1, 120, terminal=1)], [record(5, 100, terminal=2), record(3, 130, terminal=2)]]
        # (1, 120) against (5, 100): 120 > 103. (3, 130) against (5, 100) too.
        result, out = reconcile(logs)
        self.assertEqual(result, [("hmac", ACCOUNT, ["order"])])
        self.assertEqual(out["disable_accounts"], [ACCOUNT])
        self.assertEqual((out["doubles"], out["copies"], out["unproven"]), ([], [], []))

    def test_two_codes_of_one_counter_are_a_double_and_one_code_twice_a_copy(self):
        # Counter 2 at steps 100 and 101: two codes (the second also out of order against none).
        result, out = reconcile([[record(2, 100)], [record(2, 101)]])
        self.assertEqual(result, [("hmac", ACCOUNT, ["double"])])
        self.assertEqual(len(out["doubles"][0]["records"]), 2)
        # The same code at two terminals, with other amounts: a copy, which flags no one.
        result, out = reconcile([[record(2, 100, terminal=1, amount=5)], [record(2, 100, terminal=2, amount=900)]])
        self.assertEqual(result, [])
        self.assertEqual([len(c["records"]) for c in out["copies"]], [2])

    def test_a_record_whose_tag_fails_proves_nothing(self):
        # Counter 2 at step 110 with counter 2's tag of step 100: it would make a double, and an
        # order against counter 1 at step 100; its tag fails, so neither.
        forged = record(2, 110, tag=bytes.fromhex(record(2, 100)[-32:]))
        result, out = reconcile([[record(1, 100), record(2, 100)], [forged]])
        self.assertEqual(result, [])
        self.assertEqual(out["unproven"], [{"log": 1, "index": 0, "why": "invalid-code"}])
        # An account the issuer does not hold proves nothing either.
        i = {"logs": [record(1, 100)], "tolerance": 3, "hmac_accounts": [], "trust_list": None}
        self.assertEqual(ops.run("reconcile", i)["unproven"], [{"log": 0, "index": 0, "why": "unknown-account"}])

    def test_steps_that_rise_with_counters_are_not_flagged(self):
        # The highest step below counter 9 is 104, and 104 is not > 101 + 3.
        self.assertEqual(reconcile([[record(c, 100 + c) for c in range(5)], [record(9, 101)]])[0], [])


if __name__ == "__main__":
    unittest.main()
