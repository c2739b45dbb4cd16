"""Checks of paycode_py against the spec's own worked examples (Sections 6.6, 11).

The expected values are read from the `example` blocks of spec/paycode-v3.md,
so these tests compare this implementation with the spec text, not with itself.

    conformance/python/.venv/bin/python -m unittest discover -s conformance/python/tests
"""

import json
import os
import re
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from paycode_py import base45, code, edwards, ed25519, mutants, ops  # noqa: E402
from paycode_py.errors import Rejected  # noqa: E402

SPEC = os.path.join(ROOT, "..", "..", "spec", "paycode-v3.md")
PARAMS = {"t0": 0, "step": 60, "back": 2, "forward": 1}
EMPTY_STATE = {"t_hw": 0, "q": 0, "entries": [], "spent": [], "revocation_list": None}


def readme_classes():
    """The class names of conformance/README.md's class table (section 4), in order."""
    with open(os.path.join(ROOT, "..", "README.md"), encoding="utf-8") as fh:
        text = fh.read()
    section = text[text.index("## 4. Conformance classes") : text.index("## 5.")]
    names = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) == 6 and cells[1].startswith("`") and cells[1].endswith("`"):
            names.append(cells[1].strip("`"))
    return names


def spec_examples():
    """key -> value from every ```example block of the spec."""
    with open(SPEC, encoding="utf-8") as fh:
        text = fh.read()
    out = {}
    for block in re.findall(r"```example\n(.*?)```", text, re.S):
        for line in block.splitlines():
            key, _, value = line.partition(": ")
            out[key] = value
    return out


class WorkedExamples(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ex = spec_examples()

    def test_hmac_example(self):
        ex = self.ex
        g = ops.run(
            "hmac-generate",
            {
                "params": PARAMS,
                "seed": ex["hmac.seed"],
                "account_id": int(ex["hmac.account_id"]),
                "time": int(ex["hmac.t"]),
                "counter": int(ex["hmac.counter"]),
            },
        )
        self.assertEqual(g["step"], int(ex["hmac.step"]))
        self.assertEqual(g["payload"], ex["hmac.payload"])
        self.assertEqual(g["text"], ex["hmac.qr_text"])
        self.assertEqual(g["digits"], ex["hmac.digits"])
        k = ops.run("derive-key", {"purpose": "hmac-qr", "seed": ex["hmac.seed"], "account_id": 42})
        self.assertEqual(k["key"], ex["hmac.k_qr"])
        for purpose, name in (("hmac-numeric", "hmac.k_num"), ("hmac-handle", "hmac.k_h")):
            k = ops.run("derive-key", {"purpose": purpose, "seed": ex["hmac.seed"], "account_id": 42})
            self.assertEqual(k["key"], ex[name])
        h = ops.run("hmac-handle", {"seed": ex["hmac.seed"], "account_id": 42, "step": 30000000})
        self.assertEqual(h["handle"], ex["hmac.handle"])
        self.assertEqual(h["handle30"], int(ex["hmac.handle30"]))
        self.assertEqual(h["pad"], int(ex["hmac.pad"]))
        self.assertEqual(h["pad16"], int(ex["hmac.pad16"]))
        self.assertEqual(7 ^ h["pad"], int(ex["hmac.masked"]))
        self.assertEqual(7 ^ h["pad16"], int(ex["hmac.masked16"]))
        handle = bytes.fromhex(ex["hmac.handle"])
        self.assertEqual(code.qr_mac_input(handle, 30000000, int(ex["hmac.masked"])).hex(), ex["hmac.mac_input"])
        self.assertEqual(code.numeric_mac_input(42, 30000000, 7).hex(), ex["hmac.numeric_mac_input"])
        following = ops.run("hmac-handle", {"seed": ex["hmac.seed"], "account_id": 42, "step": 30000001})
        self.assertEqual(following["handle"], ex["hmac.next_handle"])

    def test_hmac_example_verifies_once_in_either_form(self):
        ex = self.ex
        verifier = {
            "params": PARAMS,
            "terminal_id": 1,
            "hmac_accounts": [{"account_id": 42, "seed": ex["hmac.seed"]}],
            "root_key": None,
            "trust_list": None,
        }
        t = int(ex["hmac.t"])
        steps = [{"action": "verify", "time": t, "text": ex[k], "amount": 0} for k in ("hmac.qr_text", "hmac.digits")]
        out = ops.run("scenario", {"verifier": verifier, "state": EMPTY_STATE, "steps": steps})["steps"]
        self.assertEqual(out[0]["result"], "valid")
        self.assertEqual(out[1], {**out[1], "result": "invalid", "error": "replayed"})

    def test_ed25519_example(self):
        ex = self.ex
        issuer = ops.run("derive-key", {"purpose": "ed25519-issuer", "seed": ex["ed25519.issuer_seed"], "key_id": 1})
        self.assertEqual(issuer["public_key"], ex["ed25519.issuer_public"])
        device = ops.run("derive-key", {"purpose": "ed25519-device", "seed": ex["ed25519.wallet_seed"]})
        self.assertEqual(device["public_key"], ex["ed25519.device_public"])
        cred = ops.run(
            "credential-issue",
            {
                "issuer_secret": issuer["key"],
                "key_id": 1,
                "serial": int(ex["ed25519.serial"]),
                "device_key": device["public_key"],
                "not_before": int(ex["ed25519.not_before"]),
                "lifetime": int(ex["ed25519.lifetime"]),
                "per_payment_limit": int(ex["ed25519.per_payment_limit"]),
                "cumulative_limit": int(ex["ed25519.cumulative_limit"]),
            },
        )
        self.assertEqual(cred["credential"], ex["ed25519.credential"])
        g = ops.run(
            "ed25519-generate",
            {
                "params": PARAMS,
                "device_seed": ex["ed25519.wallet_seed"],
                "credential": cred["credential"],
                "time": int(ex["ed25519.t"]),
                "counter": int(ex["ed25519.counter"]),
            },
        )
        self.assertEqual(g["payload"], ex["ed25519.payload"])
        self.assertEqual(g["text"], ex["ed25519.qr_text"])

    def test_torsion_signature_of_section_6_6(self):
        pk = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        sig = bytes.fromhex(
            "030ebbcd7da06a0d1188bbe47275208b96c9d32e6e750955a7609d8010ba9222"
            "e25b9bae75c348d1d42d150e72d918eab1d68c3d0b9e7fa86c9ae98bb6b5fd0a"
        )
        self.assertTrue(ed25519.verify(pk, b"", sig))
        self.assertFalse(ed25519.verify(pk, b"\x00", sig))
        mutants.enable("cofactorless-only")
        try:
            self.assertFalse(ed25519.verify(pk, b"", sig))
        finally:
            mutants._active.clear()


class Points(unittest.TestCase):
    TORSION = [
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    ]

    def test_group_order_and_base_point(self):
        self.assertEqual(edwards.encode(edwards.G).hex(), "58" + "66" * 31)
        self.assertTrue(edwards.is_identity(edwards.mul(edwards.L, edwards.G)))
        self.assertTrue(edwards.equal(edwards.mul(987654321, edwards.G), edwards.mul_base(987654321)))

    def test_the_eight_small_order_points_are_rejected(self):
        for h in self.TORSION:
            pt = edwards.decode(bytes.fromhex(h))
            self.assertIsNotNone(pt, h)
            self.assertTrue(edwards.is_identity(edwards.times8(pt)), h)
            self.assertIsNone(ed25519.valid_point(bytes.fromhex(h)), h)

    def test_non_canonical_y_is_rejected(self):
        p = 2**255 - 19
        for y in (p, p + 1, 2**255 - 1):
            for sign in (0, 1):
                s = (y | sign << 255).to_bytes(32, "little")
                self.assertIsNone(ed25519.valid_point(s), s.hex())

    def test_scalar_multiplication_agrees_with_openssl(self):
        import hashlib

        for i in range(8):
            secret = hashlib.sha256(bytes([i])).digest()
            h = bytearray(hashlib.sha512(secret).digest()[:32])
            h[0] &= 248
            h[31] &= 127
            h[31] |= 64
            a = int.from_bytes(h, "little")  # RFC 8032 Section 5.1.5
            self.assertEqual(edwards.encode(edwards.mul(a, edwards.G)), ed25519.public_key(secret))
            self.assertEqual(edwards.encode(edwards.mul_base(a)), ed25519.public_key(secret))

    def test_public_keys_round_trip(self):
        for i in range(4):
            pk = ed25519.public_key(bytes([i]) * 32)
            pt = ed25519.valid_point(pk)
            self.assertIsNotNone(pt)
            self.assertEqual(edwards.encode(pt), pk)


class Base45(unittest.TestCase):
    def test_rfc9285_examples(self):
        for raw, text in ((b"AB", "BB8"), (b"Hello!!", "%69 VD92EX0"), (b"base-45", "UJCLQE7W581"), (b"ietf!", "QED8WEX0")):
            self.assertEqual(base45.encode(raw), text)
            self.assertEqual(base45.decode(text.encode()), raw)

    def test_non_canonical_and_bad_texts(self):
        for text in (b"GGW", b"A", b"ABCD", b"bb8", b"BB8\n", b":::", b"::"):
            with self.assertRaises(Rejected, msg=text):
                base45.decode(text)
        self.assertEqual(base45.decode(b""), b"")
        with self.assertRaises(Rejected) as r:
            code.decode(b"PC3:")  # an empty payload is not a code (R-ENC-2 rule 1, V1.3)
        self.assertEqual(r.exception.code, "malformed")
        self.assertEqual(base45.decode(b"FGW"), b"\xff\xff")
        self.assertEqual(base45.decode(b"U5"), b"\xff")


class AdapterProtocol(unittest.TestCase):
    def talk(self, lines, *args):
        proc = subprocess.run(
            [sys.executable, os.path.join(ROOT, "adapter.py"), *args],
            input="".join(line + "\n" for line in lines),
            capture_output=True,
            text=True,
            timeout=30,
        )
        return proc.returncode, [json.loads(x) for x in proc.stdout.splitlines()]

    def test_hello_case_and_stop(self):
        rc, out = self.talk(
            [
                json.dumps({"type": "hello", "seq": 1, "contract": "paycode-adapter/1", "spec": "paycode v3"}),
                json.dumps({"type": "case", "seq": 2, "id": "x", "op": "base45-decode", "input": {"text": "QED8WEX0"}}),
                json.dumps({"type": "stop"}),
                json.dumps({"type": "case", "seq": 3, "id": "y", "op": "base45-decode", "input": {"text": "QED8WEX0"}}),
            ]
        )
        self.assertEqual(rc, 0)
        self.assertEqual(len(out), 2)
        self.assertEqual(out[0]["seq"], 1)
        self.assertEqual(sorted(out[0]["profiles"]), ["ed25519", "hmac"])
        self.assertEqual(set(out[0]["ops"]), set(ops.OPS))
        self.assertEqual(out[0]["classes"], readme_classes())
        self.assertEqual(out[1], {"seq": 2, "output": {"result": "valid", "bytes": "6965746621"}})

    def test_bad_requests_get_errors_not_a_crash(self):
        rc, out = self.talk(
            [
                "not json",
                json.dumps({"type": "case", "seq": 1, "op": "verify", "input": {"text": 5}}),
                json.dumps({"type": "step", "seq": 2, "step": {"action": "verify"}}),
                json.dumps({"type": "reset", "seq": 3, "verifier": {}, "state": {}}),
                json.dumps({"type": "case", "seq": 4, "op": "base45-encode", "input": {"bytes": "zz"}}),
            ]
        )
        self.assertEqual(rc, 0)
        self.assertEqual([r.get("seq") for r in out], [0, 1, 2, 3, 4])
        self.assertTrue(all("error" in r and "output" not in r for r in out))

    def test_list_mutants(self):
        proc = subprocess.run(
            [sys.executable, os.path.join(ROOT, "adapter.py"), "--list-mutants"], capture_output=True, text=True, timeout=30
        )
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(proc.stdout.split(), list(mutants.MUTANTS))
        self.assertGreaterEqual(len(mutants.MUTANTS), 13)


class Docs(unittest.TestCase):
    def test_readme_lists_every_mutant(self):
        with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
            rows = re.findall(r"^\| `([a-z0-9-]+)` \| (.*) \|$", fh.read(), re.M)
        self.assertEqual(dict(rows), mutants.MUTANTS)


if __name__ == "__main__":
    unittest.main()
