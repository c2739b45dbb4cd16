"""Code modes, caps, the numeric ceiling and challenges (spec R-MODE-1, §4.2, §4.5, §4.9, §7.2-7.5, §8).

Byte values are built here from the spec's layouts and formulas with struct, hashlib and
hmac, using the keys of the spec's worked examples (Section 11), and compared with what
paycode_py computes. Each expected verdict is worked out from the spec text in the comment
beside it, with T0 = 0, X = 60, B = 2, F = 1, C = 120 and A_num = 5000 unless a case says
otherwise: at a time t of step s (T_hw = s), L = s - 2 and U = s + 1.

    conformance/python/.venv/bin/python -m unittest discover -s conformance/python/tests
"""

import hashlib
import hmac
import os
import re
import struct
import sys
import unittest

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from paycode_py import code, ed25519, keys, mutants, ops  # noqa: E402
from test_paycode_py import SPEC, spec_examples  # noqa: E402

EX = spec_examples()
X = 60
C = 120
A_NUM = 5000
PARAMS = {"t0": 0, "step": X, "back": 2, "forward": 1, "challenge_lifetime": C, "numeric_ceiling": A_NUM}
S = 30000000  # the step of T
T = S * X  # 1800000000, the time of the spec's examples
ACCOUNT = int(EX["hmac.account_id"])
TERMINAL = 7
PRICE = 1250
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def ds(name):
    """A domain-separation string, from the hex column of the spec's table in Section 3.3."""
    with open(SPEC, encoding="utf-8") as fh:
        found = re.search(r"^\| [^|]+ \| `" + re.escape(name) + r"` \| \d+ \| `([0-9a-f]+)` \|$", fh.read(), re.M)
    return bytes.fromhex(found.group(1))


DS_QR = ds("paycode/v3/hmac/qr-code")
DS_CODE = ds("paycode/v3/ed25519/code")
DS_CHAL = ds("paycode/v3/challenge")


def handle_material(step, account_id=ACCOUNT):
    """(handle, pad) of an account of the example seed at `step`, from their definitions:
    K_h = HKDF(seed, "paycode/v3/hmac/handle-key" 0x00 || u64(account_id)), one block, and
    hm = HMAC(K_h, "paycode/v3/hmac/handle" 0x00 || u64(step)); handle = hm[0..8], pad = u32(hm[8..12])."""
    prk = hmac.new(b"paycode v3", bytes.fromhex(EX["hmac.seed"]), hashlib.sha256).digest()
    info = b"paycode/v3/hmac/handle-key\x00" + struct.pack(">Q", account_id)
    k_h = hmac.new(prk, info + b"\x01", hashlib.sha256).digest()
    hm = hmac.new(k_h, b"paycode/v3/hmac/handle\x00" + struct.pack(">Q", step), hashlib.sha256).digest()
    return hm[:8], struct.unpack(">I", hm[8:12])[0]


def b45(data: bytes) -> str:
    """RFC 9285 §4: 3 characters per 2 bytes (least significant first), 2 for a last odd byte."""
    out = ""
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        out += ALPHABET[n % 45] + ALPHABET[n // 45 % 45] + ALPHABET[n // 2025]
    if len(data) % 2:
        out += ALPHABET[data[-1] % 45] + ALPHABET[data[-1] // 45]
    return out


def challenge_bytes(terminal_id=TERMINAL, amount=PRICE, issued_at=T - 30, nonce=b"\x5a" * 16, version=3):
    """The 37 bytes of Section 4.9."""
    return struct.pack(">BIQQ", version, terminal_id, amount, issued_at) + nonce


def challenge(**fields):
    """A challenge's QR text, "PT3:" || Base45(challenge) (R-CHAL-1)."""
    return "PT3:" + b45(challenge_bytes(**fields))


def digest(**fields):
    """D = SHA-256(DS_chal || challenge) (R-CHAL-2)."""
    return hashlib.sha256(DS_CHAL + challenge_bytes(**fields)).digest()


def nonce(i):
    return bytes([i]) * 16


# ---------------------------------------------------------------- fixtures: codes made by the wallet


def hmac_code(counter, step=S, mode="one-way", cap=None, chal=None, form="text"):
    """An hmac code of the spec's example account, made at the start of `step`."""
    i = {"params": PARAMS, "seed": EX["hmac.seed"], "account_id": ACCOUNT, "time": step * X, "counter": counter}
    i["mode"] = mode
    if cap is not None:
        i["cap"] = cap
    if chal is not None:
        i["challenge"] = chal
    return ops.run("hmac-generate", i)[form]


def ed_code(counter, step=S, mode="one-way", cap=None, chal=None):
    """An ed25519 code of the spec's example credential (limits 5000 per payment, 20000 in all)."""
    i = {
        "params": PARAMS,
        "device_seed": EX["ed25519.wallet_seed"],
        "credential": EX["ed25519.credential"],
        "time": step * X,
        "counter": counter,
        "mode": mode,
    }
    if cap is not None:
        i["cap"] = cap
    if chal is not None:
        i["challenge"] = chal
    return ops.run("ed25519-generate", i)["text"]


def with_payload(text, change):
    """The QR text of `text`'s payload after change(bytearray)."""
    p = bytearray(bytes.fromhex(ops.run("base45-decode", {"text": text[4:]})["bytes"]))
    change(p)
    return "PC3:" + b45(bytes(p))


# Trust list 1, issued at 0, signed by the root key of the spec's example (R-TRUST-3).
ROOT = keys.derive(bytes.fromhex(EX["ed25519.issuer_seed"]), b"paycode/v3/ed25519/root-key\x00")
TRUST_LIST = ops.run(
    "trust-list-encode",
    {
        "root_secret": ROOT.hex(),
        "sequence": 1,
        "issued_at": 0,
        "entries": [{"key_id": 1, "not_before": 0, "not_after": 2**64 - 1, "public_key": EX["ed25519.issuer_public"]}],
    },
)["bytes"]
VERIFIER = {
    "params": PARAMS,
    "terminal_id": TERMINAL,
    "hmac_accounts": [{"account_id": ACCOUNT, "seed": EX["hmac.seed"]}],
    "root_key": ed25519.public_key(ROOT).hex(),
    "trust_list": TRUST_LIST,
}


def standing_list():
    """Revocation list 0 of key 1, issued at 0 and fresh at every time, revoking
    nothing: an ed25519 verifier needs a fresh list (R-REVOKE-4)."""
    from paycode_py import keys, revocation

    return revocation.issue(keys.issuer_secret(bytes.fromhex(EX["ed25519.issuer_seed"]), 1), 1, 0, 0, 2**64 - 1, 0, []).hex()


def empty_state(**changes):
    return {"t_hw": 0, "q": 0, "entries": [], "spent": [], "revocation_list": standing_list(), **changes}


def verify(t, text, amount=PRICE, chal=None):
    step = {"action": "verify", "time": t, "text": text, "amount": amount}
    if chal is not None:
        step["challenge"] = chal
    return step


def restart(mode, t):
    return {"action": "restart", "mode": mode, "time": t}


def verdicts(steps, state=None, verifier=None):
    """The verdict of each step: 'accepted', the error code, or 'restarted'."""
    out = ops.run("scenario", {"verifier": verifier or VERIFIER, "state": state or empty_state(), "steps": steps})
    return [("accepted" if "log_record" in o else "restarted") if o["result"] == "valid" else o["error"] for o in out["steps"]]


G1 = challenge()  # terminal 7, 1250, issued at T - 30, open until T + 90
G2 = challenge(nonce=nonce(2))
G_OTHER_TERMINAL = challenge(terminal_id=8, nonce=nonce(3))
G_AMOUNT = challenge(amount=PRICE + 1, nonce=nonce(4))

# (name, state, steps, expected verdicts). Every one holds under the spec text.
SCENARIOS = [
    (
        "a challenge code pays once; C3 answers replayed before challenge-used",
        None,
        [
            verify(T, hmac_code(1, chal=G1, mode="challenge"), PRICE, G1),  # N(nonce of G1) := T - 30 + 120
            verify(T, hmac_code(2, chal=G1, mode="challenge"), PRICE, G1),  # counter 2 is fresh; the nonce is in N
            verify(T, hmac_code(1, chal=G1, mode="challenge"), PRICE, G1),  # bit of counter 1 set: replayed first
            verify(T, hmac_code(3, chal=G2, mode="challenge"), PRICE, G2),  # another challenge
        ],
        ["accepted", "challenge-used", "replayed", "accepted"],
    ),
    (
        "V2.1: a challenge code needs a challenge, and a challenge needs a challenge code",
        None,
        [
            verify(T, hmac_code(1, chal=G1, mode="challenge"), PRICE),  # no-challenge
            verify(T, hmac_code(2), PRICE, G1),  # one-way
            verify(T, hmac_code(3, mode="capped", cap=9999), PRICE, G1),  # capped
            verify(T, hmac_code(4, form="digits"), PRICE, G1),  # numeric (V1.N: one-way)
            verify(T, ed_code(1), PRICE, G1),  # ed25519 one-way
            verify(T, ed_code(2, chal=G1, mode="challenge"), PRICE),
            verify(T, hmac_code(5, chal=G1, mode="challenge"), PRICE, G1),  # no rejection above recorded the nonce
        ],
        ["no-challenge", "challenge-required", "challenge-required", "challenge-required", "challenge-required",
         "no-challenge", "accepted"],
    ),
    (
        "V2.2: the challenge's terminal and amount must be the verifier's and the call's",
        None,
        [
            verify(T, hmac_code(1, chal=G_OTHER_TERMINAL, mode="challenge"), PRICE, G_OTHER_TERMINAL),  # 8 != 7
            verify(T, hmac_code(2, chal=G1, mode="challenge"), PRICE + 1, G1),  # a = 1251 != 1250
            verify(T, hmac_code(3, chal=G_AMOUNT, mode="challenge"), PRICE, G_AMOUNT),  # 1251 != a = 1250
            verify(T, hmac_code(4, chal=G1, mode="challenge"), PRICE, G1),
        ],
        ["challenge-mismatch", "challenge-mismatch", "challenge-mismatch", "accepted"],
    ),
    (
        "V2.3: t may reach issued_at + C, not pass it",
        None,
        [
            # t = T + 59, t_hw = T: issued_at T - 62 closes at T + 58 < t
            verify(T + 59, hmac_code(1, chal=challenge(issued_at=T - 62), mode="challenge"), PRICE,
                   challenge(issued_at=T - 62)),
            # issued_at T - 61 closes at T + 59 = t
            verify(T + 59, hmac_code(2, chal=challenge(issued_at=T - 61), mode="challenge"), PRICE,
                   challenge(issued_at=T - 61)),
        ],
        ["challenge-expired", "accepted"],
    ),
    (
        "R-TIME-8: a challenge closed before T0 + T_hw * X, the start of the high-water step, while t is not past it: the verifier time is that floor, so V2.3 finds it expired",
        empty_state(t_hw=S + 2, challenges=[{"nonce": "07" * 16, "closes": T + 119}]),
        [
            # t = T + 10, T' = S + 2, T0 + T' * X = T + 120 > T - 1 + 120; V2.3 passes (t <= T + 119);
            # the code's step S is in [L, U] = [S, S + 1]
            verify(T + 10, hmac_code(1, chal=challenge(issued_at=T - 1), mode="challenge"), PRICE,
                   challenge(issued_at=T - 1)),
            # the same, with the nonce still in N: C2 before C3
            verify(T + 10, hmac_code(2, chal=challenge(issued_at=T - 1, nonce=nonce(7)), mode="challenge"), PRICE,
                   challenge(issued_at=T - 1, nonce=nonce(7))),
            # C1 before C2: step S - 1 < L
            verify(T + 10, hmac_code(3, step=S - 1, chal=challenge(issued_at=T - 1), mode="challenge"), PRICE,
                   challenge(issued_at=T - 1)),
            # issued_at T closes at T + 120, not before T + 120
            verify(T + 10, hmac_code(4, chal=challenge(issued_at=T), mode="challenge"), PRICE, challenge(issued_at=T)),
        ],
        ["challenge-expired", "challenge-expired", "challenge-expired", "accepted"],
    ),
    (
        "V2.3: a challenge may come from a clock at most X ahead",
        None,
        [
            verify(T, hmac_code(1, chal=challenge(issued_at=T + 61), mode="challenge"), PRICE,
                   challenge(issued_at=T + 61)),  # T + 61 > t + X
            verify(T, hmac_code(2, chal=challenge(issued_at=T + 60), mode="challenge"), PRICE,
                   challenge(issued_at=T + 60)),
        ],
        ["challenge-expired", "accepted"],
    ),
    (
        "H3 covers the challenge digest: a code made for one challenge fails under another",
        None,
        [
            verify(T, hmac_code(1, chal=G1, mode="challenge"), PRICE, G2),  # same terminal and amount, other nonce
            verify(T, hmac_code(2, chal=challenge(issued_at=T - 31), mode="challenge"), PRICE, G1),
            verify(T, hmac_code(3, chal=G1, mode="challenge"), PRICE, G1),
        ],
        ["invalid-code", "invalid-code", "accepted"],
    ),
    (
        "E5 covers the challenge digest; C4 still applies the credential's limits",
        None,
        [
            verify(T, ed_code(1, chal=G1, mode="challenge"), PRICE, G2),
            verify(T, ed_code(2, chal=challenge(amount=5001, nonce=nonce(9)), mode="challenge"), 5001,
                   challenge(amount=5001, nonce=nonce(9))),  # above the per-payment limit 5000
            verify(T, ed_code(3, chal=G1, mode="challenge"), PRICE, G1),
            verify(T, ed_code(4, chal=G1, mode="challenge"), PRICE, G1),
        ],
        ["invalid-code", "over-limit", "accepted", "challenge-used"],
    ),
    (
        "V1.C: a challenge that does not decode is malformed; V1's own verdict comes first",
        None,
        [
            verify(T, hmac_code(1, chal=G1, mode="challenge"), PRICE, "PT3:" + b45(challenge_bytes()[:36])),
            verify(T, hmac_code(2, chal=G1, mode="challenge"), PRICE, "PC3:" + b45(challenge_bytes())),  # prefix
            verify(T, hmac_code(3, chal=G1, mode="challenge"), PRICE, "PT3:" + b45(challenge_bytes(version=1))),
            verify(T, hmac_code(4, chal=G1, mode="challenge"), PRICE, G1.lower()),  # R-ENC-2
            verify(T, with_payload(hmac_code(5), lambda p: p.__setitem__(1, 0x31)), PRICE, "PT3:"),
            verify(T, hmac_code(6, chal=G1, mode="challenge"), PRICE, G1),
        ],
        ["malformed", "malformed", "malformed", "malformed", "unsupported-profile", "accepted"],
    ),
    (
        "V2 comes before H1 to H3; a challenge code is a QR code, never throttled (R-HMAC-6)",
        empty_state(budgets=[{"account_id": ACCOUNT, "u": S + 10 * 1440}]),
        [
            verify(T, hmac_code(1, chal=G1, mode="challenge"), PRICE),  # spent numeric budget: V2.1 first
            verify(T, hmac_code(2, chal=G1, mode="challenge"), PRICE + 1, G1),  # V2.2 first
            verify(T, hmac_code(3, chal=G1, mode="challenge"), PRICE, G1),  # no H2 for a QR code
            verify(T, with_payload(hmac_code(4, chal=G1, mode="challenge"), lambda p: p.__setitem__(9, 43)), PRICE, G_AMOUNT),
        ],
        ["no-challenge", "challenge-mismatch", "accepted", "challenge-mismatch"],
    ),
    (
        "C2: after a lost state, no challenge issued before T0 + (Q + 1) * X (R-CHAL-4)",
        None,
        [
            verify(T, hmac_code(1, chal=G1, mode="challenge"), PRICE, G1),
            restart("lost", T),  # T_hw = S, Q = S + 2, T0 + (Q + 1) * X = T + 180; N emptied
            # t = T + 120 (step S + 2): G1 closed at T + 90
            verify(T + 120, hmac_code(2, step=S + 2, chal=G1, mode="challenge"), PRICE, G1),
            # issued T + 179 < T + 180 (one step ahead of the clock, open), code step S + 2 >= Q
            verify(T + 120, hmac_code(3, step=S + 2, chal=challenge(issued_at=T + 179, nonce=nonce(5)), mode="challenge"),
                   PRICE, challenge(issued_at=T + 179, nonce=nonce(5))),
            verify(T + 120, hmac_code(4, step=S + 2, chal=challenge(issued_at=T + 180, nonce=nonce(6)), mode="challenge"),
                   PRICE, challenge(issued_at=T + 180, nonce=nonce(6))),
        ],
        ["accepted", "restarted", "challenge-expired", "state-unavailable", "accepted"],
    ),
    (
        "C2: a nonce accepted before the loss cannot be used again after it",
        None,
        [
            verify(T, hmac_code(1, chal=challenge(issued_at=T + 60), mode="challenge"), PRICE,
                   challenge(issued_at=T + 60)),  # from a clock one step ahead; N := T + 180
            restart("lost", T),  # Q = S + 2; floor T0 + (Q + 1) * X = T + 180
            verify(T + 120, hmac_code(2, step=S + 2, chal=challenge(issued_at=T + 60), mode="challenge"), PRICE,
                   challenge(issued_at=T + 60)),  # open (T + 120 <= T + 180); N forgot it; C2 refuses it
        ],
        ["accepted", "restarted", "state-unavailable"],
    ),
    (
        "restart-with-state keeps N",
        None,
        [
            verify(T, hmac_code(1, chal=G1, mode="challenge"), PRICE, G1),
            restart("kept", T),
            verify(T + 60, hmac_code(2, step=S + 1, chal=G1, mode="challenge"), PRICE, G1),
        ],
        ["accepted", "restarted", "challenge-used"],
    ),
    (
        "a challenge given in the state: challenge-used",
        empty_state(t_hw=S, challenges=[{"nonce": "5a" * 16, "closes": T + 90}]),
        [
            verify(T, hmac_code(1, chal=G1, mode="challenge"), PRICE, G1),
            verify(T, hmac_code(2, chal=G2, mode="challenge"), PRICE, G2),
        ],
        ["challenge-used", "accepted"],
    ),
    (
        "a rejection records no nonce (R-VERIFY-3)",
        None,
        [
            verify(T, hmac_code(1, step=S + 2, chal=G1, mode="challenge"), PRICE, G1),  # U = S + 1
            verify(T, hmac_code(2, chal=G1, mode="challenge"), PRICE, G1),
        ],
        ["too-new", "accepted"],
    ),
    (
        "C4: a capped code pays up to its cap (R-CAP-2), and the ceiling is the numeric form's alone",
        None,
        [
            verify(T, hmac_code(1, mode="capped", cap=1000), 1001),
            verify(T, hmac_code(2, mode="capped", cap=1000), 1000),
            verify(T, hmac_code(3, mode="capped", cap=2**32 - 1), 2**32),
            verify(T, hmac_code(4, mode="capped", cap=2**32 - 1), 2**32 - 1),  # above A_num: no ceiling on QR
            verify(T, hmac_code(5), 10**12),  # one-way QR: nothing bounds the amount (Section 7.5)
        ],
        ["over-cap", "accepted", "over-cap", "accepted", "accepted"],
    ),
    (
        "C4: the numeric ceiling A_num (R-CAP-3)",
        None,
        [
            verify(T, hmac_code(1, form="digits"), A_NUM + 1),
            verify(T, hmac_code(2, form="digits"), A_NUM),
            verify(T, hmac_code(2, form="digits"), A_NUM + 1),  # C3 before C4
        ],
        ["over-ceiling", "accepted", "replayed"],
    ),
    (
        "C4 for ed25519: the cap before the limits",
        None,
        [
            verify(T, ed_code(1, mode="capped", cap=1000), 6000),  # above the cap and the per-payment limit
            verify(T, ed_code(2, mode="capped", cap=6000), 5500),  # within the cap, above 5000
            verify(T, ed_code(3, mode="capped", cap=1000), 1000),
        ],
        ["over-cap", "over-limit", "accepted"],
    ),
    (
        "the cap is covered by the tag and the signature (R-CAP-1)",
        None,
        [
            verify(T, with_payload(hmac_code(1, mode="capped", cap=1000), lambda p: p.__setitem__(24, 0xFF)), 1000),
            verify(T, with_payload(ed_code(1, mode="capped", cap=1000), lambda p: p.__setitem__(16, 0xFF)), 1000),
            verify(T, hmac_code(2, mode="capped", cap=1000), 1000),
        ],
        ["invalid-code", "invalid-code", "accepted"],
    ),
]

CEILING_ZERO = {**VERIFIER, "params": {**PARAMS, "numeric_ceiling": 0}}
EPOCH_600 = {**VERIFIER, "params": {**PARAMS, "t0": 600}}


class Encoding(unittest.TestCase):
    def test_challenge_encode(self):
        # issued_at 2^64 - 1 and amount 2^64 - 1: every value of the fields encodes (R-CHAL-1)
        for fields in ({}, {"terminal_id": 2**32 - 1, "amount": 2**64 - 1, "issued_at": 2**64 - 1, "nonce": nonce(0)}):
            raw = challenge_bytes(**fields)
            i = {"terminal_id": TERMINAL, "amount": PRICE, "issued_at": T - 30, "nonce": "5a" * 16}
            i.update({k: v.hex() if isinstance(v, bytes) else v for k, v in fields.items()})
            out = ops.run("challenge-encode", i)
            self.assertEqual(out["bytes"], raw.hex())
            self.assertEqual(out["text"], "PT3:" + b45(raw))
            self.assertEqual(len(out["text"]), 60)  # 56 + 4 (R-CHAL-1)
            self.assertEqual(out["digest"], hashlib.sha256(DS_CHAL + raw).hexdigest())
            self.assertEqual(len(DS_CHAL + raw), 58)  # "one SHA-256 of 58 bytes" (R-CHAL-2)

    def test_challenge_decode(self):
        out = ops.run("challenge-decode", {"text": G1})
        self.assertEqual(
            out, {"result": "valid", "challenge": {"terminal_id": 7, "amount": 1250, "issued_at": T - 30, "nonce": "5a" * 16}}
        )
        raw = challenge_bytes()
        bad = [
            b45(raw),  # no prefix
            "PC3:" + b45(raw),  # a code's prefix
            "pt3:" + b45(raw),
            "PT2:" + b45(raw),  # the prefix of another version
            "PT3:" + b45(raw[:36]),
            "PT3:" + b45(raw + b"\x00"),
            "PT3:",
            "PT3:" + b45(challenge_bytes(version=0)),
            "PT3:" + b45(challenge_bytes(version=1)),
            "PT3:" + b45(challenge_bytes(version=2)),
            "PT3:" + b45(raw).lower(),
            "PT3:" + b45(raw) + "\n",
        ]
        for text in bad:
            with self.subTest(text=text):
                self.assertEqual(ops.run("challenge-decode", {"text": text}), {"result": "invalid", "error": "malformed"})

    def test_hmac_layouts(self):
        tag = bytes(range(16))
        for mode, cap, second, extra in (
            ("one-way", None, 0x01, b""),
            ("capped", 0xDEADBEEF, 0x11, bytes.fromhex("deadbeef")),
            ("challenge", None, 0x21, b""),
        ):
            handle = bytes(range(0xA0, 0xA8))
            want = bytes([code.VERSION, second]) + handle + struct.pack(">QI", S, 7) + extra + tag
            i = {"mode": mode, "handle": handle.hex(), "step": S, "masked_counter": 7, "tag": tag.hex()}
            if cap is not None:
                i["cap"] = cap
            out = ops.run("hmac-code-encode", i)
            self.assertEqual(out["payload"], want.hex())
            self.assertEqual(out["text"], "PC3:" + b45(want))
            self.assertEqual(len(out["text"]), 67 if mode == "capped" else 61)  # R-ENC-1
            decoded = ops.run("code-decode", {"text": out["text"]})["code"]
            expect = {"form": "hmac-qr", "mode": mode, "handle": handle.hex(), "step": S, "masked_counter": 7, "tag": tag.hex()}
            if cap is not None:
                expect["cap"] = cap
            self.assertEqual(decoded, expect)

    def test_ed25519_layouts(self):
        cred = bytes.fromhex(EX["ed25519.credential"])
        sig = bytes(range(64))
        for mode, cap, second, extra in (
            ("one-way", None, 0x02, b""),
            ("capped", 1000, 0x12, struct.pack(">I", 1000)),
            ("challenge", None, 0x22, b""),
        ):
            want = bytes([code.VERSION, second]) + struct.pack(">QI", S, 3) + extra + cred + sig
            i = {"mode": mode, "step": S, "counter": 3, "credential": cred.hex(), "device_signature": sig.hex()}
            if cap is not None:
                i["cap"] = cap
            out = ops.run("ed25519-code-encode", i)
            self.assertEqual(out["payload"], want.hex())
            self.assertEqual(len(out["text"]), 316 if mode == "capped" else 310)  # R-ENC-1
            decoded = ops.run("code-decode", {"text": out["text"]})["code"]
            self.assertEqual((decoded["mode"], decoded.get("cap")), (mode, cap))
            self.assertEqual(decoded["credential"]["serial"], int(EX["ed25519.serial"]))
            self.assertEqual(decoded["device_signature"], sig.hex())

    def test_second_byte_and_lengths(self):
        # V1.5: only 0x01, 0x02, 0x11, 0x12, 0x21, 0x22; V1.6: 38, 42, 204, 208 by mode (R-MODE-1).
        def text(second, size):
            return "PC3:" + b45(bytes([code.VERSION, second]) + bytes(size - 2))

        for second in (0x00, 0x03, 0x10, 0x13, 0x23, 0x31, 0x32, 0xF1, 0x41):
            for size in (38, 42, 204, 208):
                self.assertEqual(ops.run("code-decode", {"text": text(second, size)}).get("error"), "unsupported-profile")
        sizes = {0x01: 38, 0x21: 38, 0x11: 42, 0x02: 204, 0x22: 204, 0x12: 208}
        for second, size in sizes.items():
            for other in (38, 42, 204, 208):
                if other != size:
                    self.assertEqual(ops.run("code-decode", {"text": text(second, other)}).get("error"), "malformed")

    def test_params_check_challenge_lifetime(self):
        base = {"t0": 0, "step": 60, "back": 2, "forward": 1}
        for c, result in ((29, "invalid"), (30, "valid"), (120, "valid"), (600, "valid"), (601, "invalid"), (0, "invalid")):
            self.assertEqual(ops.run("params-check", {**base, "challenge_lifetime": c})["result"], result, c)
        self.assertEqual(ops.run("params-check", base)["result"], "valid")  # C absent: its default 120


class Generation(unittest.TestCase):
    K_QR = bytes.fromhex(EX["hmac.k_qr"])
    DEVICE = Ed25519PublicKey.from_public_bytes(bytes.fromhex(EX["ed25519.device_public"]))

    def test_hmac_capped(self):
        handle, pad = handle_material(S)
        head = bytes([code.VERSION, 0x11]) + handle + struct.pack(">QII", S, 7 ^ pad, 1000)
        tag = hmac.new(self.K_QR, DS_QR + head, hashlib.sha256).digest()[:16]
        i = {"params": PARAMS, "seed": EX["hmac.seed"], "account_id": ACCOUNT, "time": T, "counter": 7}
        out = ops.run("hmac-generate", {**i, "mode": "capped", "cap": 1000})
        self.assertEqual(out["payload"], (head + tag).hex())
        self.assertEqual(out["text"], "PC3:" + b45(head + tag))
        self.assertEqual(out["numeric_error"], "numeric-unavailable")  # R-HMAC-4
        self.assertNotIn("digits", out)
        self.assertEqual(out["next_counter"], 8)
        # Without mode it is the one-way code of the spec's example, digits included.
        plain = ops.run("hmac-generate", i)
        self.assertEqual((plain["payload"], plain["digits"]), (EX["hmac.payload"], EX["hmac.digits"]))

    def test_hmac_challenge(self):
        handle, pad = handle_material(S)
        head = bytes([code.VERSION, 0x21]) + handle + struct.pack(">QI", S, 7 ^ pad)
        tag = hmac.new(self.K_QR, DS_QR + head + digest(), hashlib.sha256).digest()[:16]
        i = {"params": PARAMS, "seed": EX["hmac.seed"], "account_id": ACCOUNT, "time": T, "counter": 7}
        out = ops.run("hmac-generate", {**i, "mode": "challenge", "challenge": G1})
        self.assertEqual(out["payload"], (head + tag).hex())
        self.assertEqual(out["numeric_error"], "numeric-unavailable")
        self.assertEqual(len(out["text"]), 61)  # the length of a one-way code (R-CHAL-2)
        # A wallet makes no code for a challenge it cannot decode (R-GEN-5).
        bad = ops.run("hmac-generate", {**i, "mode": "challenge", "challenge": "PT3:" + b45(challenge_bytes(version=1))})
        self.assertEqual(bad, {"result": "invalid", "error": "malformed"})

    def test_ed25519_capped_and_challenge(self):
        cred = bytes.fromhex(EX["ed25519.credential"])
        i = {"params": PARAMS, "device_seed": EX["ed25519.wallet_seed"], "credential": cred.hex(), "time": T, "counter": 3}
        capped = bytes([code.VERSION, 0x12]) + struct.pack(">QII", S, 3, 4321) + cred
        chal = bytes([code.VERSION, 0x22]) + struct.pack(">QI", S, 3) + cred
        for mode, extra_input, message, without in (
            ("capped", {"cap": 4321}, DS_CODE + capped, DS_CODE + capped[:14] + capped[18:]),  # R-CAP-1
            ("challenge", {"challenge": G1}, DS_CODE + chal + digest(), DS_CODE + chal),  # R-CHAL-2
        ):
            with self.subTest(mode):
                out = ops.run("ed25519-generate", {**i, "mode": mode, **extra_input})
                payload = bytes.fromhex(out["payload"])
                self.assertEqual(DS_CODE + payload[:-64], message[: len(DS_CODE) + len(payload) - 64])
                self.DEVICE.verify(payload[-64:], message)  # R-ED-5; raises if wrong
                with self.assertRaises(InvalidSignature):
                    self.DEVICE.verify(payload[-64:], without)
        one_way = ops.run("ed25519-generate", i)
        self.assertEqual(one_way["payload"], EX["ed25519.payload"])


class Verification(unittest.TestCase):
    def tearDown(self):
        mutants._active.clear()

    def test_scenarios(self):
        for name, state, steps, expected in SCENARIOS:
            with self.subTest(name):
                self.assertEqual(verdicts(steps, state), expected)

    def test_numeric_ceiling_is_configured(self):
        steps = [verify(T, hmac_code(1, form="digits"), 1), verify(T, hmac_code(2, form="digits"), 0)]
        self.assertEqual(verdicts(steps, verifier=CEILING_ZERO), ["over-ceiling", "accepted"])

    def test_challenge_before_the_epoch_with_no_quarantine(self):
        # T0 = 600, Q = 0: C2 refuses by issue time only after a loss (Q > 0), so a challenge
        # issued at 599, before T0, is accepted at t = 660 (660 <= 599 + 120, open); the code's
        # step is T(660) = 1.
        def at(issued_at, counter):
            chal = challenge(issued_at=issued_at, nonce=nonce(counter))
            i = {"params": {**PARAMS, "t0": 600}, "seed": EX["hmac.seed"], "account_id": ACCOUNT, "time": 660,
                 "counter": counter, "mode": "challenge", "challenge": chal}
            return verify(660, ops.run("hmac-generate", i)["text"], PRICE, chal)

        self.assertEqual(verdicts([at(599, 1), at(600, 2)], verifier=EPOCH_600), ["accepted", "accepted"])

    def test_log_records_of_challenge_codes(self):
        # Section 4.8: kind 0x22 or 0x21, the amount in both profiles, the code's payload and the
        # challenge's 37 bytes, exactly as verified (R-LOG-1).
        def b45(text):
            return bytes.fromhex(ops.run("base45-decode", {"text": text[4:]})["bytes"])

        for text, t, kind in (
            (ed_code(1, chal=G1, mode="challenge"), T + 5, 0x22),
            (hmac_code(1, chal=G1, mode="challenge"), T, 0x21),
        ):
            want = struct.pack(">BBQQIQ", code.VERSION, kind, t, PRICE, TERMINAL, S) + b45(text) + b45(G1)
            i = {"verifier": VERIFIER, "state": empty_state(), "time": t, "text": text, "amount": PRICE, "challenge": G1}
            self.assertEqual(ops.run("verify", i)["log_record"], want.hex())

    def test_nonces_go_once_closed_before_t_hw(self):
        # R-CHAL-4: a nonce may go once t_hw is above issued_at + C; not before.
        session = ops.Session(VERIFIER, empty_state())
        v = session.verifier
        self.assertEqual(session.step(verify(T, hmac_code(1, chal=G1, mode="challenge"), PRICE, G1))["result"], "valid")
        session.step(verify(T + 90, "PC3:"))  # t_hw = T + 60 <= T + 90
        self.assertIn(nonce(0x5A), v.nonces)
        session.step(verify(T + 120, "PC3:"))  # t_hw = T + 120 > T + 90
        self.assertNotIn(nonce(0x5A), v.nonces)

    def test_state_challenges_are_checked(self):
        for challenges in (
            [{"nonce": "5a" * 15, "closes": T}],
            [{"nonce": "5a" * 16, "closes": 2**64}],
            [{"nonce": "5a" * 16}],
            [{"nonce": "5a" * 16, "closes": T}, {"nonce": "5a" * 16, "closes": T + 1}],
        ):
            with self.subTest(challenges=challenges), self.assertRaises(ops.BadInput):
                ops.Session(VERIFIER, empty_state(challenges=challenges))


class WorkedExample(unittest.TestCase):
    """Section 11.3: the challenge code and the capped code of the hmac account of Section 11.1."""

    def test_codes(self):
        ex = EX
        raw = struct.pack(">BIQQ", code.VERSION, int(ex["challenge.terminal_id"]), int(ex["challenge.amount"]),
                          int(ex["challenge.issued_at"])) + bytes.fromhex(ex["challenge.nonce"])
        out = ops.run("challenge-encode", {"terminal_id": 1, "amount": 250, "issued_at": T, "nonce": ex["challenge.nonce"]})
        self.assertEqual(out["bytes"], ex["challenge.bytes"])
        self.assertEqual(raw.hex(), ex["challenge.bytes"])
        self.assertEqual(out["text"], ex["challenge.text"])
        self.assertEqual(out["digest"], ex["challenge.digest"])
        base = {"params": PARAMS, "seed": ex["hmac.seed"], "account_id": ACCOUNT, "time": T}
        chal = ops.run("hmac-generate", {**base, "counter": 8, "mode": "challenge", "challenge": ex["challenge.text"]})
        self.assertEqual(chal["payload"], ex["challenge.payload"])
        self.assertEqual(chal["text"], ex["challenge.qr_text"])
        capped = ops.run("hmac-generate", {**base, "counter": 9, "mode": "capped", "cap": int(ex["capped.cap"])})
        self.assertEqual(capped["payload"], ex["capped.payload"])
        self.assertEqual(capped["text"], ex["capped.qr_text"])
        self.assertEqual(capped["numeric_error"], "numeric-unavailable")

    def test_verdicts(self):
        ex = EX
        config = {**VERIFIER, "terminal_id": 1}
        first = verify(T, ex["hmac.qr_text"], 0)  # Section 11.1's code: K(0x01, 42) = (7, 30000000)
        chal, code8 = ex["challenge.text"], ex["challenge.qr_text"]
        base = {"params": PARAMS, "seed": ex["hmac.seed"], "account_id": ACCOUNT, "time": T}
        code9 = ops.run("hmac-generate", {**base, "counter": 9, "mode": "challenge", "challenge": chal})["text"]
        other = challenge(terminal_id=1, amount=250, issued_at=T, nonce=nonce(1))
        cases = [
            ([verify(T, code8, 250, chal)], config, "accepted"),
            ([verify(T, code8, 251, chal)], config, "challenge-mismatch"),
            ([verify(T, code8, 250, chal)], {**config, "terminal_id": 2}, "challenge-mismatch"),
            ([verify(T, code8, 250, chal), verify(T, code9, 250, chal)], config, "challenge-used"),
            ([verify(T, code8, 250, other)], config, "invalid-code"),
            ([verify(T, code8, 250)], config, "no-challenge"),
            ([verify(T + 121, code8, 250, chal)], config, "challenge-expired"),
            ([verify(T, ex["capped.qr_text"], 500)], config, "accepted"),
            ([verify(T, ex["capped.qr_text"], 501)], config, "over-cap"),
        ]
        for steps, verifier, want in cases:
            with self.subTest(steps=steps[-1], terminal=verifier["terminal_id"]):
                self.assertEqual(verdicts([first, *steps], verifier=verifier), ["accepted"] * len(steps) + [want])
        session = ops.Session(config, empty_state())
        session.step(first)
        session.step(verify(T, code8, 250, chal))
        self.assertEqual(session.verifier.nonces, {bytes.fromhex(ex["challenge.nonce"]): 1800000120})


# The mutants of these rules; each must change at least one outcome above.
NEW_MUTANTS = [
    "mode-byte-ignored",
    "cap-not-covered",
    "cap-unchecked",
    "cap-edge-inclusive",
    "ceiling-unchecked",
    "numeric-for-any-mode",
    "challenge-lifetime-unchecked",
    "challenge-version-unchecked",
    "challenge-digest-unlabelled",
    "challenge-digest-ignored",
    "no-challenge-accepted",
    "challenge-required-unchecked",
    "challenge-terminal-unchecked",
    "challenge-amount-unchecked",
    "challenge-expiry-off-by-one",
    "challenge-future-unchecked",
    "challenge-after-auth",
    "challenge-reuse",
    "challenge-after-loss",
]


class Mutants(unittest.TestCase):
    def tearDown(self):
        mutants._active.clear()

    def failing_tests(self):
        """The test methods of the classes above that fail under the active mutant."""
        failing = []
        for cls in (Encoding, Generation, Verification, WorkedExample):
            for name in unittest.TestLoader().getTestCaseNames(cls):
                result = unittest.TestResult()
                active = set(mutants._active)
                cls(name).run(result)
                mutants._active.update(active)  # Verification.tearDown clears them
                if result.failures or result.errors:
                    failing.append(f"{cls.__name__}.{name}")
        return failing

    def test_each_new_mutant_changes_an_outcome(self):
        self.assertEqual(set(NEW_MUTANTS) - set(mutants.MUTANTS), set())
        mutants._active.clear()
        self.assertEqual(self.failing_tests(), [])
        for name in NEW_MUTANTS:
            with self.subTest(name):
                mutants._active.clear()
                mutants.enable(name)
                self.assertTrue(self.failing_tests(), f"{name} changes nothing")


if __name__ == "__main__":
    unittest.main()
