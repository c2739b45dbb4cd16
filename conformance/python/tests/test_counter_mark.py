"""The counter mark (spec R-REPLAY-7, Sections 7.4 C3/C5, 8.1-8.5).

Each expected verdict is worked out from the spec text in the comment beside it,
with the parameters T0 = 0, X = 60, B = 2, F = 1: at verifier step s (and
T_hw = s), L = s - 2 and U = s + 1. A code is written (counter, step).

    conformance/python/.venv/bin/python -m unittest discover -s conformance/python/tests
"""

import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from paycode_py import ed25519, keys, mutants, ops  # noqa: E402
from test_paycode_py import SPEC, spec_examples  # noqa: E402

PARAMS = {"t0": 0, "step": 60, "back": 2, "forward": 1}
X = 60
SEED = "11" * 32
ACCOUNT = 42
ISSUER_SEED = "22" * 32
WALLET_SEED = "33" * 32
SERIAL = 7
NOT_AFTER = 86400  # the credential's not_before 0 plus its lifetime; step 1440
PER_PAYMENT = 1000


def standing_list():
    """Revocation list 0 of key 1, issued at 0 and fresh at every time, revoking
    nothing: an ed25519 verifier needs a fresh list (R-REVOKE-4)."""
    from paycode_py import keys, revocation

    return revocation.issue(keys.issuer_secret(bytes.fromhex(ISSUER_SEED), 1), 1, 0, 0, 2**64 - 1, 0, []).hex()


def empty_state(**changes):
    return {"t_hw": 0, "q": 0, "entries": [], "spent": [], "revocation_list": standing_list(), **changes}


def hmac_text(counter, step, form="text"):
    """The hmac code (counter, step) of account 42, made at the start of `step`."""
    g = ops.run(
        "hmac-generate", {"params": PARAMS, "seed": SEED, "account_id": ACCOUNT, "time": step * X, "counter": counter}
    )
    return g[form]


def forged_text(counter, step):
    """An hmac QR code of account 42 with an all-zero tag: invalid-code at H3."""
    h = ops.run("hmac-handle", {"seed": SEED, "account_id": ACCOUNT, "step": step})
    fields = {"handle": h["handle"], "step": step, "masked_counter": counter ^ h["pad"], "tag": "00" * 16}
    return ops.run("hmac-code-encode", fields)["text"]


class Ed25519Fixture:
    """An issuer key, a trust list and one credential (serial 7, valid from 0 to 86400)."""

    def __init__(self):
        issuer = ops.run("derive-key", {"purpose": "ed25519-issuer", "seed": ISSUER_SEED, "key_id": 1})
        device = ops.run("derive-key", {"purpose": "ed25519-device", "seed": WALLET_SEED})
        # The root key (spec Section 3.2) signs trust list 1, issued at 0 (R-TRUST-3).
        root = keys.derive(bytes.fromhex(ISSUER_SEED), b"paycode/v3/ed25519/root-key\x00")
        self.root_key = ed25519.public_key(root).hex()
        self.trust_list = ops.run(
            "trust-list-encode",
            {
                "root_secret": root.hex(),
                "sequence": 1,
                "issued_at": 0,
                "entries": [{"key_id": 1, "not_before": 0, "not_after": 2**64 - 1, "public_key": issuer["public_key"]}],
            },
        )["bytes"]
        self.credential = ops.run(
            "credential-issue",
            {
                "issuer_secret": issuer["key"],
                "key_id": 1,
                "serial": SERIAL,
                "device_key": device["public_key"],
                "not_before": 0,
                "lifetime": NOT_AFTER,
                "per_payment_limit": PER_PAYMENT,
                "cumulative_limit": 5000,
            },
        )["credential"]

    def text(self, counter, step):
        g = ops.run(
            "ed25519-generate",
            {"params": PARAMS, "device_seed": WALLET_SEED, "credential": self.credential, "time": step * X, "counter": counter},
        )
        return g["text"]


ED = Ed25519Fixture()
VERIFIER = {
    "params": PARAMS,
    "terminal_id": 1,
    "hmac_accounts": [{"account_id": ACCOUNT, "seed": SEED}],
    "root_key": ED.root_key,
    "trust_list": ED.trust_list,
}


def verify(at_step, text, amount=0):
    return {"action": "verify", "time": at_step * X, "text": text, "amount": amount}


def restart(mode, at_step):
    return {"action": "restart", "mode": mode, "time": at_step * X}


def verdicts(steps, state=None):
    """The verdict of each step: 'accepted', the error code, or 'restarted'."""
    out = ops.run("scenario", {"verifier": VERIFIER, "state": state or empty_state(), "steps": steps})["steps"]
    return [("accepted" if "log_record" in o else "restarted") if o["result"] == "valid" else o["error"] for o in out]


def mark(counter, step, profile="hmac", subject=ACCOUNT):
    return {"profile": profile, "subject": subject, "counter": counter, "step": step}


# (name, state, steps, expected verdicts). Every one of them holds under the spec text.
SCENARIOS = [
    (
        "a lower counter with a later step is counter-behind; with the same step it is accepted",
        None,
        [
            verify(100, hmac_text(5, 100)),  # accepted; K = (5, 100)
            verify(101, hmac_text(3, 101)),  # live entry, bit of 3 clear; 3 <= 5 and 101 > 100
            verify(101, hmac_text(3, 100)),  # 3 <= 5 but 100 is not > 100: C3 passes
            verify(101, hmac_text(6, 101)),  # 6 > 5; K = (6, 101)
            verify(101, hmac_text(4, 101)),  # 4 <= 6 but 101 is not > 101
        ],
        ["accepted", "counter-behind", "accepted", "accepted", "accepted"],
    ),
    (
        "an acceptance of a lower counter leaves the mark where it was",
        None,
        [
            verify(100, hmac_text(5, 100)),  # K = (5, 100)
            verify(100, hmac_text(3, 100)),  # accepted; 3 is not > 5, so K stays (5, 100)
            verify(101, hmac_text(4, 101)),  # 4 <= 5 and 101 > 100
            verify(101, hmac_text(6, 101)),  # 6 > 5
        ],
        ["accepted", "accepted", "counter-behind", "accepted"],
    ),
    (
        "the mark outlives the replay entry (Section 8.5)",
        None,
        [
            verify(100, hmac_text(5, 100)),  # K = (5, 100)
            verify(104, hmac_text(5, 104)),  # L = 102 > top 100: no live entry; 5 <= 5 and 104 > 100
            verify(104, hmac_text(4, 104)),  # likewise
            verify(104, hmac_text(6, 104)),  # 6 > 5; K = (6, 104)
            verify(10**6, hmac_text(6, 10**6)),  # an hmac mark is never evicted: 6 <= 6, 10^6 > 104
            verify(10**6, hmac_text(7, 10**6)),
        ],
        ["accepted", "counter-behind", "counter-behind", "accepted", "counter-behind", "accepted"],
    ),
    (
        "a rejection changes no mark (R-VERIFY-3)",
        None,
        [
            verify(100, hmac_text(5, 100)),  # K = (5, 100)
            verify(100, forged_text(9, 100)),  # H3 fails
            verify(100, hmac_text(9, 102)),  # U = 101
            verify(101, hmac_text(3, 101)),  # K still (5, 100)
            verify(101, hmac_text(7, 101)),  # 7 > 5 (had 9 been marked, 7 <= 9 and 101 > 100 would reject)
            verify(103, hmac_text(8, 103)),  # 8 > 7 (had (9, 102) been marked, 8 <= 9 and 103 > 102)
        ],
        ["accepted", "invalid-code", "too-new", "counter-behind", "accepted", "accepted"],
    ),
    (
        "restart-lost-state empties K",
        None,
        [
            verify(100, hmac_text(5, 100)),
            restart("lost", 100),  # T_hw = 100, Q = 102, E = K = empty
            verify(102, hmac_text(3, 102)),  # L = 100, U = 103, 102 >= Q, no entry, no mark
        ],
        ["accepted", "restarted", "accepted"],
    ),
    (
        "restart-with-state keeps K",
        None,
        [
            verify(100, hmac_text(5, 100)),
            restart("kept", 100),
            verify(102, hmac_text(3, 102)),  # live entry (top 100 >= L 100), bit clear; 3 <= 5, 102 > 100
        ],
        ["accepted", "restarted", "counter-behind"],
    ),
    (
        "the numeric form is checked with its reconstructed step",
        None,
        [
            verify(100, hmac_text(5, 100)),
            verify(101, hmac_text(3, 101, "digits")),  # step 101 reconstructed; 3 <= 5, 101 > 100
            verify(101, hmac_text(3, 100, "digits")),  # step 100: not later
        ],
        ["accepted", "counter-behind", "accepted"],
    ),
    (
        "ed25519: the mark outlives the window while the ledger entry is kept",
        None,
        [
            verify(100, ED.text(5, 100), 10),  # K((ed25519, 7)) = (5, 100)
            verify(101, ED.text(3, 101), 10),  # 3 <= 5, 101 > 100
            verify(104, ED.text(5, 104), 10),  # no live entry (top 100 < L 102); the ledger entry stays
            verify(104, ED.text(6, 104), 10),
        ],
        ["accepted", "counter-behind", "counter-behind", "accepted"],
    ),
    (
        "C3 (counter-behind) comes before C4 (over-limit)",
        empty_state(t_hw=100, marks=[mark(5, 100, "ed25519", SERIAL)]),
        [verify(101, ED.text(3, 101), PER_PAYMENT + 1)],
        ["counter-behind"],
    ),
    (
        "stale-counter comes before counter-behind",
        empty_state(
            t_hw=100,
            entries=[{"profile": "hmac", "subject": ACCOUNT, "high": 100, "bitmap": "0000000000000001", "top": 100}],
            marks=[mark(100, 100)],
        ),
        [verify(101, hmac_text(36, 101))],  # 36 + 64 <= 100
        ["stale-counter"],
    ),
    (
        "replayed comes before counter-behind",
        empty_state(
            t_hw=100,
            entries=[{"profile": "hmac", "subject": ACCOUNT, "high": 5, "bitmap": "0000000000000005", "top": 100}],
            marks=[mark(5, 100)],
        ),
        [verify(101, hmac_text(3, 101))],  # bit 5 - 3 = 2 of 0b101 is set
        ["replayed"],
    ),
    (
        "C1 comes before C3",
        empty_state(t_hw=100, marks=[mark(5, 90)]),
        [
            verify(100, hmac_text(3, 95)),  # L = 98
            verify(100, hmac_text(3, 102)),  # U = 101
        ],
        ["too-old", "too-new"],
    ),
    (
        "C2 comes before C3",
        empty_state(t_hw=104, q=105, marks=[mark(5, 100)]),
        [verify(104, hmac_text(3, 104))],  # 104 < Q
        ["state-unavailable"],
    ),
    (
        "a mark given in the state input, with no entry",
        empty_state(t_hw=100, marks=[mark(9, 100)]),
        [
            verify(101, hmac_text(2, 100)),  # 2 <= 9 but 100 is not > 100; K stays (9, 100)
            verify(101, hmac_text(9, 101)),  # 9 <= 9 and 101 > 100
            verify(101, hmac_text(10, 101)),
        ],
        ["accepted", "counter-behind", "accepted"],
    ),
    (
        "a wallet whose clock went back: the code shown before is behind, a fresh one is accepted (Section 12.10)",
        None,
        [
            verify(101, hmac_text(2, 101)),  # made after the clock went back from 102 to 101; K = (2, 101)
            verify(101, hmac_text(1, 102)),  # shown before, presented now: 1 <= 2 and 102 > 101
            verify(101, hmac_text(3, 101)),  # the fresh code: 3 > 2
        ],
        ["accepted", "counter-behind", "accepted"],
    ),
    (
        "an absent marks field is an empty K",
        empty_state(t_hw=100),
        [verify(101, hmac_text(9, 101))],
        ["accepted"],
    ),
]

MARK_MUTANTS = ["mark-unchecked", "mark-evicted-with-window", "mark-any-counter", "mark-equal-step-behind"]


class CounterMark(unittest.TestCase):
    def tearDown(self):
        mutants._active.clear()

    def test_scenarios(self):
        for name, state, steps, expected in SCENARIOS:
            with self.subTest(name):
                self.assertEqual(verdicts(steps, state), expected)

    def test_each_mark_mutant_changes_a_verdict(self):
        for name in MARK_MUTANTS:
            mutants._active.clear()
            mutants.enable(name)
            changed = [s[0] for s in SCENARIOS if verdicts(s[2], s[1]) != s[3]]
            self.assertTrue(changed, f"{name} changes no verdict")

    def test_the_mark_of_the_spec_worked_example(self):
        # Section 11.1: verifying hmac.qr_text at hmac.t sets K(0x01, 42) = (H* = 7, S* = 30000000).
        with open(SPEC, encoding="utf-8") as fh:
            found = re.search(r"`K\(0x01, (\d+)\) = \(H\* = (\d+), S\* = (\d+)\)`", fh.read())
        self.assertIsNotNone(found)
        account, high, step = map(int, found.groups())
        ex = spec_examples()
        config = {**VERIFIER, "hmac_accounts": [{"account_id": int(ex["hmac.account_id"]), "seed": ex["hmac.seed"]}]}
        session = ops.Session(config, empty_state())
        out = session.step({"action": "verify", "time": int(ex["hmac.t"]), "text": ex["hmac.qr_text"], "amount": 0})
        self.assertEqual(out["result"], "valid")
        m = session.verifier.marks[(1, account)]
        self.assertEqual((m.high, m.step), (high, step))

    def test_state_after_does_not_list_marks(self):
        out = ops.run(
            "verify",
            {
                "verifier": VERIFIER,
                "state": empty_state(t_hw=100, marks=[mark(5, 100)]),
                "time": 101 * X,
                "text": hmac_text(3, 101),
                "amount": 0,
            },
        )
        self.assertEqual(out["error"], "counter-behind")
        self.assertEqual(set(out["state_after"]), {"t_hw", "q", "entries", "spent"})

    def test_malformed_marks_are_refused(self):
        bad = [
            [mark(5, 100, profile="rsa")],
            [mark(2**32, 100)],
            [mark(5, 2**64)],
            [{"profile": "hmac", "subject": ACCOUNT, "counter": 5}],
            [mark(5, 100), mark(6, 101)],  # two marks for one identity (R-REPLAY-6)
        ]
        for marks in bad:
            with self.subTest(marks=marks), self.assertRaises(ops.BadInput):
                ops.Session(VERIFIER, empty_state(marks=marks))

    def test_ed25519_mark_goes_with_its_ledger_entry_and_hmac_mark_stays(self):
        # The ledger entry of a credential with not_after 86400 may go once
        # 86400 < T0 + ((T_hw - B) - F) * X, that is from T_hw = 1444 (R-LIMIT-2); the mark with it.
        session = ops.Session(VERIFIER, empty_state())
        v = session.verifier
        ed_identity, hmac_identity = (2, SERIAL), (1, ACCOUNT)
        self.assertEqual(session.step(verify(100, ED.text(5, 100), 10))["result"], "valid")
        self.assertEqual(session.step(verify(100, hmac_text(5, 100)))["result"], "valid")
        session.step(verify(1443, "PC3:"))  # malformed; the call may evict what the spec allows
        self.assertIn(SERIAL, v.ledger)
        self.assertIn(ed_identity, v.marks)
        self.assertNotIn(ed_identity, v.entries)  # the window went long before
        session.step(verify(1444, "PC3:"))
        self.assertNotIn(SERIAL, v.ledger)
        self.assertNotIn(ed_identity, v.marks)
        self.assertEqual((v.marks[hmac_identity].high, v.marks[hmac_identity].step), (5, 100))
        # Past not_after, E3 answers before C3 could (R-REPLAY-7).
        self.assertEqual(session.step(verify(1444, ED.text(5, 1444), 10))["error"], "expired")


if __name__ == "__main__":
    unittest.main()
