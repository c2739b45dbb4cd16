"""Rotating handles of the hmac profile, and device keys with a batch index.

Every expected value is computed here from the design's definitions with hashlib and hmac
(HKDF written out), not with paycode_py's own derivations:

    K_h      = HKDF(seed, "paycode/v3/hmac/handle-key" 0x00 || u64(account_id))
    h        = HMAC-SHA256(K_h, "paycode/v3/hmac/handle" 0x00 || u64(step))
    handle   = h[0..8]          handle30 = u32(h[0..4]) >> 2
    pad      = u32(h[8..12])    pad16    = u32(h[8..12]) >> 16
    device_i = HKDF(wallet seed, "paycode/v3/ed25519/device-key" 0x00 || u32(i))

A QR code carries handle and counter XOR pad; the numeric form handle30 and counter XOR pad16,
with its tag over the real account id and counter.

    conformance/python/.venv/bin/python -m unittest discover -s conformance/python/tests
"""

import hashlib
import hmac
import os
import struct
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from paycode_py import base45, handle, keys, mutants, ops  # noqa: E402

PARAMS = {"t0": 0, "step": 60, "back": 2, "forward": 1}
X = 60
SEED = bytes.fromhex("11" * 32)
ACCOUNT = 42
STEP = 30_000_000  # 1 800 000 000 s
COLLISION_STEP = 1000


def mac(key, msg):
    return hmac.new(key, msg, hashlib.sha256).digest()


def hkdf(seed, info):
    """RFC 5869 with the salt "paycode v3" and 32 bytes of output: one block."""
    prk = mac(b"paycode v3", seed)
    return mac(prk, info + b"\x01")


def k_h(seed, account_id):
    return hkdf(seed, b"paycode/v3/hmac/handle-key\x00" + struct.pack(">Q", account_id))


def h_of(seed, account_id, step):
    return mac(k_h(seed, account_id), b"paycode/v3/hmac/handle\x00" + struct.pack(">Q", step))


def expected_handle(seed, account_id, step):
    h = h_of(seed, account_id, step)
    pad = struct.unpack(">I", h[8:12])[0]
    return {
        "handle": h[:8].hex(),
        "handle30": struct.unpack(">I", h[:4])[0] >> 2,
        "pad": pad,
        "pad16": struct.unpack(">H", h[8:10])[0],
    }


def qr_tag(seed, account_id, payload_head):
    k_qr = hkdf(seed, b"paycode/v3/hmac/qr-key\x00" + struct.pack(">Q", account_id))
    return mac(k_qr, b"paycode/v3/hmac/qr-code\x00" + payload_head)[:16]


def tag29(seed, account_id, step, counter):
    k_num = hkdf(seed, b"paycode/v3/hmac/numeric-key\x00" + struct.pack(">Q", account_id))
    head = struct.pack(">BBQQI", 3, 1, account_id, step, counter)
    return struct.unpack(">I", mac(k_num, b"paycode/v3/hmac/numeric-code\x00" + head)[:4])[0] >> 3


def generate(account_id, counter, step=STEP, seed=SEED):
    return ops.run(
        "hmac-generate",
        {"params": PARAMS, "seed": seed.hex(), "account_id": account_id, "time": step * X, "counter": counter},
    )


def verifier(accounts, seed=SEED, t_hw=STEP, budgets=None):
    return {
        "verifier": {
            "params": PARAMS,
            "terminal_id": 1,
            "hmac_accounts": [{"account_id": a, "seed": seed.hex()} for a in accounts],
            "root_key": None,
            "trust_list": None,
        },
        "state": {
            "t_hw": t_hw,
            "q": 0,
            "entries": [],
            "spent": [],
            "revocation_list": None,
            "budgets": budgets or [],
        },
    }


def verify(accounts, text, step=STEP, **kw):
    return ops.run("verify", {**verifier(accounts, **kw), "time": step * X, "text": text, "amount": 0})


def log_subject(out):
    """The hmac account a verify output's state_after names (the account H2 matched), or None."""
    return out["state_after"]["entries"][0]["subject"] if out["state_after"]["entries"] else None


class Mutant:
    def __init__(self, name):
        self.name = name

    def __enter__(self):
        mutants.enable(self.name)

    def __exit__(self, *exc):
        mutants._active.discard(self.name)


def colliding_pair(step=COLLISION_STEP, seed=SEED, span=2**16):
    """The first two account ids below `span`, in ascending order of the larger, whose handle30
    at `step` is the same (about 2^31 / 2^30 = 2 pairs expected in 2^16 accounts; the search is
    deterministic, and the computation independent of paycode_py)."""
    seen = {}
    for a in range(span):
        h30 = struct.unpack(">I", h_of(seed, a, step)[:4])[0] >> 2
        if h30 in seen:
            return seen[h30], a
        seen[h30] = a
    raise AssertionError("no handle30 collision in the span")


_PAIR = None


def pair():
    global _PAIR
    if _PAIR is None:
        _PAIR = colliding_pair()
    return _PAIR


class Derivation(unittest.TestCase):
    def test_handle_key_and_handles_match_the_definitions(self):
        for account_id, step in [(0, 0), (ACCOUNT, STEP), (2**64 - 1, 2**64 - 1), (7, 1)]:
            with self.subTest(account_id=account_id, step=step):
                self.assertEqual(keys.k_h(SEED, account_id), k_h(SEED, account_id))
                out = ops.run("hmac-handle", {"seed": SEED.hex(), "account_id": account_id, "step": step})
                self.assertEqual(out, {"result": "valid", **expected_handle(SEED, account_id, step)})

    def test_the_handle_changes_every_step(self):
        handles = {expected_handle(SEED, ACCOUNT, STEP + d)["handle"] for d in range(16)}
        self.assertEqual(len(handles), 16)
        self.assertEqual(handle.derive(keys.k_h(SEED, ACCOUNT), STEP + 3).handle.hex(),
                         expected_handle(SEED, ACCOUNT, STEP + 3)["handle"])

    def test_derive_key_hmac_handle(self):
        out = ops.run("derive-key", {"seed": SEED.hex(), "purpose": "hmac-handle", "account_id": ACCOUNT})
        self.assertEqual(out["key"], k_h(SEED, ACCOUNT).hex())

    def test_device_keys_take_a_u32_index(self):
        wallet = bytes.fromhex("33" * 32)
        seen = set()
        for index in (0, 1, 2, 2**32 - 1):
            with self.subTest(index=index):
                secret = hkdf(wallet, b"paycode/v3/ed25519/device-key\x00" + struct.pack(">I", index))
                self.assertEqual(keys.device_secret(wallet, index), secret)
                out = ops.run("derive-key", {"seed": wallet.hex(), "purpose": "ed25519-device", "key_index": index})
                self.assertEqual(out["key"], secret.hex())
                seen.add(secret)
        self.assertEqual(len(seen), 4)
        with self.assertRaises(ops.BadInput):
            ops.run("derive-key", {"seed": wallet.hex(), "purpose": "ed25519-device", "key_index": 2**32})


class Generation(unittest.TestCase):
    def test_qr_payload_carries_the_handle_and_the_masked_counter(self):
        counter = 7
        g = generate(ACCOUNT, counter)
        e = expected_handle(SEED, ACCOUNT, STEP)
        head = struct.pack(">BB", 3, 1) + bytes.fromhex(e["handle"]) + struct.pack(">QI", STEP, counter ^ e["pad"])
        payload = head + qr_tag(SEED, ACCOUNT, head)
        self.assertEqual(g["payload"], payload.hex())
        self.assertEqual(g["text"], "PC3:" + base45.encode(payload))
        self.assertNotIn(struct.pack(">Q", ACCOUNT), payload)

    def test_numeric_form_carries_handle30_and_masked16_under_a_tag_of_the_real_values(self):
        for account_id, counter in [(ACCOUNT, 7), (2**40 + 5, 65535)]:  # no account id bound any more
            with self.subTest(account_id=account_id, counter=counter):
                g = generate(account_id, counter)
                e = expected_handle(SEED, account_id, STEP)
                n = (e["handle30"] << 49 | (STEP % 16) << 45 | (counter ^ e["pad16"]) << 29
                     | tag29(SEED, account_id, STEP, counter))
                self.assertEqual(g["digits"], f"{n:024d}")

    def test_no_numeric_form_from_counter_2_16(self):
        g = generate(ACCOUNT, 2**16)
        self.assertEqual(g["numeric_error"], "numeric-unavailable")
        self.assertNotIn("digits", g)


class RoundTrip(unittest.TestCase):
    def test_generate_then_verify_in_both_forms(self):
        for form in ("text", "digits"):
            with self.subTest(form=form):
                g = generate(ACCOUNT, 9)
                out = verify([1, ACCOUNT, 99], g[form])
                self.assertEqual(out["result"], "valid", out)
                self.assertEqual(log_subject(out), ACCOUNT)
                self.assertEqual(out["state_after"]["entries"][0]["window"]["high"], 9)

    def test_the_record_names_the_real_account_and_counter(self):
        g = generate(ACCOUNT, 9)
        out = verify([ACCOUNT], g["text"])
        record = ops.run("log-decode", {"bytes": out["log_record"]})["records"][0]
        self.assertEqual(record["evidence"], g["payload"])  # the code as scanned
        from paycode_py import log

        r, why = log.resolve(log.decode(bytes.fromhex(out["log_record"]))[0],
                             {ACCOUNT: (keys.k_qr(SEED, ACCOUNT), keys.k_num(SEED, ACCOUNT), keys.k_h(SEED, ACCOUNT))})
        self.assertIsNone(why)
        self.assertEqual((r.subject, r.counter), (ACCOUNT, 9))

    def test_replay_is_per_real_account(self):
        config = verifier([ACCOUNT])
        s = ops.Session(config["verifier"], config["state"])
        g = generate(ACCOUNT, 3)
        first = s.step({"action": "verify", "time": STEP * X, "text": g["text"], "amount": 0})
        self.assertEqual(first["result"], "valid")
        again = s.step({"action": "verify", "time": STEP * X, "text": g["digits"], "amount": 0})
        self.assertEqual(again, {**again, "result": "invalid", "error": "replayed"})

    def test_a_code_of_another_step_does_not_verify(self):
        g = generate(ACCOUNT, 3)
        payload = bytearray(bytes.fromhex(g["payload"]))
        payload[10:18] = struct.pack(">Q", STEP - 1)  # the handle is that of STEP, the step not
        out = verify([ACCOUNT], "PC3:" + base45.encode(bytes(payload)))
        self.assertEqual((out["result"], out.get("error")), ("invalid", "invalid-code"))

    def test_unknown_handle_is_invalid_code(self):
        g = generate(ACCOUNT, 3)
        out = verify([1, 2], g["text"])
        self.assertEqual((out["result"], out.get("error")), ("invalid", "invalid-code"))
        self.assertEqual(out["state_after"]["entries"], [])


class Collisions(unittest.TestCase):
    """Two accounts a < b whose handle30 collide at COLLISION_STEP: both are candidates of a
    numeric code of either, tried in ascending id; the first whose MAC matches is the account."""

    def test_the_pair_collides_in_paycode_py_too(self):
        a, b = pair()
        ha = handle.derive(keys.k_h(SEED, a), COLLISION_STEP)
        hb = handle.derive(keys.k_h(SEED, b), COLLISION_STEP)
        self.assertEqual(ha.handle30, hb.handle30)
        self.assertNotEqual(ha.handle, hb.handle)  # the QR form still tells them apart

    def test_either_account_of_a_colliding_pair_verifies(self):
        a, b = pair()
        for account_id in (a, b):
            with self.subTest(account_id=account_id):
                g = generate(account_id, 5, step=COLLISION_STEP)
                out = verify([a, b], g["digits"], step=COLLISION_STEP, t_hw=COLLISION_STEP)
                self.assertEqual(out["result"], "valid", out)
                self.assertEqual(log_subject(out), account_id)

    def test_first_candidate_only_rejects_the_second_account(self):
        a, b = pair()
        g = generate(b, 5, step=COLLISION_STEP)
        with Mutant("first-candidate-only"):
            out = verify([a, b], g["digits"], step=COLLISION_STEP, t_hw=COLLISION_STEP)
        self.assertEqual((out["result"], out.get("error")), ("invalid", "invalid-code"))

    def test_a_failure_is_charged_to_the_first_candidate(self):
        a, b = pair()
        g = generate(b, 5, step=COLLISION_STEP)
        bad = g["digits"][:-1] + str((int(g["digits"][-1]) + 1) % 10)  # another tag29
        s = ops.Session(*self._config([a, b]))
        out = s.step({"action": "verify", "time": COLLISION_STEP * X, "text": bad, "amount": 0})
        self.assertEqual(out["error"], "invalid-code")
        self.assertIn(a, s.verifier.budgets)  # the first candidate, in ascending id
        self.assertNotIn(b, s.verifier.budgets)
        with Mutant("budget-on-matched-only"):
            s = ops.Session(*self._config([a, b]))
            s.step({"action": "verify", "time": COLLISION_STEP * X, "text": bad, "amount": 0})
            self.assertEqual(s.verifier.budgets, {})

    def test_a_throttled_first_candidate_throttles_a_bad_code_and_not_the_other_account(self):
        a, b = pair()
        p_acct = 86400 // X
        exhausted = [{"account_id": a, "u": COLLISION_STEP + 3 * p_acct + 1}]  # u - T' > (N - 1) P
        g = generate(b, 5, step=COLLISION_STEP)
        bad = g["digits"][:-1] + str((int(g["digits"][-1]) + 1) % 10)
        kw = {"step": COLLISION_STEP, "t_hw": COLLISION_STEP, "budgets": exhausted}
        self.assertEqual(verify([a, b], bad, **kw).get("error"), "throttled")
        self.assertEqual(verify([a, b], g["digits"], **kw)["result"], "valid")  # b's own budget is fine
        with Mutant("budget-on-matched-only"):
            self.assertEqual(verify([a, b], bad, **kw).get("error"), "invalid-code")
        ga = generate(a, 5, step=COLLISION_STEP)
        self.assertEqual(verify([a, b], ga["digits"], **kw).get("error"), "throttled")

    def test_at_most_four_candidates(self):
        # Five enrolments of one seed under one handle is impossible to find by search; the bound
        # is checked on the index directly, with five accounts given the same handle.
        index = handle.Index()
        same = keys.k_h(SEED, ACCOUNT)
        for account_id in (9, 3, 7, 1, 5):
            index.add(account_id, same)
        h = handle.derive(same, STEP)
        self.assertEqual([a for a, _ in index.candidates_qr(STEP, h.handle)], [1, 3, 5, 7])
        self.assertEqual([a for a, _ in index.candidates_numeric(STEP, h.handle30)], [1, 3, 5, 7])

    def test_re_enrolment_updates_built_steps(self):
        index = handle.Index()
        index.add(1, keys.k_h(SEED, 1))
        old = handle.derive(keys.k_h(SEED, 1), STEP)
        index.build(STEP)
        other = bytes.fromhex("44" * 32)
        index.add(1, keys.k_h(other, 1))
        new = handle.derive(keys.k_h(other, 1), STEP)
        self.assertEqual(index.candidates_qr(STEP, old.handle), [])
        self.assertEqual([a for a, _ in index.candidates_qr(STEP, new.handle)], [1])

    @staticmethod
    def _config(accounts):
        c = verifier(accounts, t_hw=COLLISION_STEP)
        return c["verifier"], c["state"]


class WindowFirst(unittest.TestCase):
    """H0 (R-HANDLE-3): an hmac code outside the window is too-old or too-new before any
    candidate is looked for, whatever its tag, and a numeric one charges no budget."""

    CASES = (  # (the verifier's time step, its high-water step, the verdict): L = T_hw - 2, U = T + 1
        (STEP + 3, STEP + 3, "too-old"),  # step = L - 1
        (STEP - 2, STEP - 2, "too-new"),  # step = U + 1
    )

    @staticmethod
    def _forged(form):
        """A code of ACCOUNT at STEP with its real handle and another tag."""
        g = generate(ACCOUNT, 5)
        if form == "digits":
            return g["digits"][:-1] + str((int(g["digits"][-1]) + 1) % 10)
        payload = bytearray(bytes.fromhex(g["payload"]))
        payload[-1] ^= 1
        return "PC3:" + base45.encode(bytes(payload))

    def _run(self, text, now, t_hw):
        c = verifier([ACCOUNT], t_hw=t_hw)
        s = ops.Session(c["verifier"], c["state"])
        out = s.step({"action": "verify", "time": now * X, "text": text, "amount": 0})
        return out.get("error"), s.verifier.budgets, s.verifier.sources

    def test_an_out_of_window_code_is_judged_by_its_step_alone(self):
        for form in ("text", "digits"):
            for now, t_hw, verdict in self.CASES:
                with self.subTest(form=form, verdict=verdict):
                    self.assertEqual(self._run(self._forged(form), now, t_hw), (verdict, {}, {}))

    def test_window_after_mac_charges_the_forged_numeric_code(self):
        for now, t_hw, _ in self.CASES:
            with Mutant("window-after-mac"):
                error, budgets, sources = self._run(self._forged("digits"), now, t_hw)
            self.assertEqual(error, "invalid-code")
            self.assertIn(ACCOUNT, budgets)
            self.assertTrue(sources)


class NewMutants(unittest.TestCase):
    def test_handle_ignores_step(self):
        with Mutant("handle-ignores-step"):
            out = ops.run("hmac-handle", {"seed": SEED.hex(), "account_id": ACCOUNT, "step": STEP})
        self.assertNotEqual(out["handle"], expected_handle(SEED, ACCOUNT, STEP)["handle"])

    def test_counter_unmasked(self):
        with Mutant("counter-unmasked"):
            g = generate(ACCOUNT, 7)
        self.assertEqual(bytes.fromhex(g["payload"])[18:22], struct.pack(">I", 7))
        self.assertNotEqual(bytes.fromhex(generate(ACCOUNT, 7)["payload"])[18:22], struct.pack(">I", 7))


if __name__ == "__main__":
    unittest.main()
