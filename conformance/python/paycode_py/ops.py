"""The vector ops: JSON input in, JSON output out, one function per op.

This is the one dispatch both adapter.py and run_vectors.py use. A case's
`input` goes in unchanged; the result has the shape of the case's `expected`
(vectors/README.md). Inputs that the format forbids raise BadInput, which the
adapter turns into an `error` response.
"""


from . import base45, challenge, code, credential, ed25519, handle, keys, log, revocation, trust, wallet
from .errors import BAD_CREDENTIAL, Rejected
from .params import Params
from .verifier import Entry, Mark, Verifier

PROFILE_NAMES = {code.HMAC: "hmac", code.ED25519: "ed25519"}
PROFILE_IDS = {v: k for k, v in PROFILE_NAMES.items()}
MODE_IDS = {v: k for k, v in code.MODE_NAMES.items()}


class BadInput(Exception):
    """A request this implementation cannot take (not a verdict)."""


# ---------------------------------------------------------------- helpers


def _hex(value, size=None, name="bytes"):
    if not isinstance(value, str):
        raise BadInput(f"{name}: expected a hex string")
    try:
        out = bytes.fromhex(value)
    except ValueError:
        raise BadInput(f"{name}: not hex") from None
    if size is not None and len(out) != size:
        raise BadInput(f"{name}: expected {size} bytes, got {len(out)}")
    return out


def _int(value, bits, name):
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**bits:
        raise BadInput(f"{name}: expected a u{bits}")
    return value


def _u64(d, k):
    return _int(d[k], 64, k)


def _u32(d, k):
    return _int(d[k], 32, k)


def _u16(d, k):
    return _int(d[k], 16, k)


def _u8(d, k):
    return _int(d[k], 8, k)


def _text(d, key="text"):
    t = d[key]
    if not isinstance(t, str):
        raise BadInput(f"{key}: expected a string")
    return t.encode("utf-8", "surrogatepass")


def _challenge_text(d):
    """The optional `challenge` of a verify call or step: its QR text, or None."""
    if d.get("challenge") is None:
        return None
    return _text(d, "challenge")


def _mode(d):
    """The `mode` of an encode or generate case (absent: one-way) and its `cap` (capped only)."""
    name = d.get("mode", "one-way")
    if not isinstance(name, str) or name not in MODE_IDS:
        raise BadInput(f"unknown mode {name!r}")
    mode = MODE_IDS[name]
    if mode == code.CAPPED:
        return mode, _u32(d, "cap")
    if d.get("cap") is not None:
        raise BadInput(f"a {name} code has no cap")
    return mode, None


def _valid(**fields):
    return {"result": "valid", **fields}


def _invalid(error=None):
    return {"result": "invalid", "error": error} if error else {"result": "invalid"}


def _params(d) -> Params:
    """Section 2.1's parameters; C and A_num take their defaults when left out."""
    return Params(
        _u64(d, "t0"),
        _u64(d, "step"),
        _u64(d, "back"),
        _u64(d, "forward"),
        _u64(d, "challenge_lifetime") if "challenge_lifetime" in d else Params.challenge_lifetime,
        _u64(d, "numeric_ceiling") if "numeric_ceiling" in d else Params.numeric_ceiling,
    )


def _checked_params(d) -> Params:
    p = _params(d)
    if p.problems():
        raise BadInput("parameters out of range: " + ", ".join(p.problems()))
    return p


def _credential_json(c: credential.Credential):
    return {
        "key_id": c.key_id,
        "serial": c.serial,
        "device_key": c.device_pk.hex(),
        "not_before": c.not_before,
        "lifetime": c.lifetime,
        "per_payment_limit": c.limit_payment,
        "cumulative_limit": c.limit_total,
        "issuer_signature": c.issuer_sig.hex(),
    }


def _record_json(r: log.Record, resolved=False):
    """A record's fields; `subject` and `counter` the evidence's, or, `resolved`, the account and
    real counter reconciliation found for an hmac record (Section 10.4)."""
    subject, counter = (r.subject, r.counter) if resolved else r.named()
    return {
        "kind": r.kind,
        "profile": PROFILE_NAMES[r.profile],
        "subject": subject,
        "counter": counter,
        "step": r.step,
        "accepted_at": r.accepted_at,
        "amount": r.amount,
        "terminal_id": r.terminal_id,
        "evidence": r.evidence.hex(),
        "challenge": r.chal.hex() if r.chal else None,
    }


def _trust_entry_json(e: trust.Entry):
    return {"key_id": e.key_id, "not_before": e.not_before, "not_after": e.not_after, "public_key": e.public_key.hex()}


# ---------------------------------------------------------------- primitives


def op_hmac_sha256(i):
    return _valid(mac=keys.hmac_sha256(_hex(i["key"]), _hex(i["message"])).hex())


def op_hkdf_sha256(i):
    length = _int(i["length"], 16, "length")
    if length > 255 * 32:
        raise BadInput("length above 255 * 32")
    prk = keys.hkdf_extract(_hex(i["salt"]), _hex(i["ikm"]))
    return _valid(prk=prk.hex(), okm=keys.hkdf_expand(prk, _hex(i["info"]), length).hex())


def op_ed25519_sign(i):
    secret = _hex(i["secret"], 32, "secret")
    return _valid(public_key=ed25519.public_key(secret).hex(), signature=ed25519.sign(secret, _hex(i["message"])).hex())


def op_ed25519_verify(i):
    ok = ed25519.verify(_hex(i["public_key"]), _hex(i["message"]), _hex(i["signature"]))
    return _valid() if ok else _invalid()


def op_ed25519_point(i):
    return _valid() if ed25519.valid_point(_hex(i["point"]), key=True) is not None else _invalid()


def op_base45_encode(i):
    return _valid(text=base45.encode(_hex(i["bytes"])))


def op_base45_decode(i):
    try:
        return _valid(bytes=base45.decode(_text(i)).hex())
    except Rejected as r:
        return _invalid(r.code)


def op_params_check(i):
    return _invalid() if _params(i).problems() else _valid()


HMAC_KEYS = {"hmac-qr": keys.k_qr, "hmac-numeric": keys.k_num, "hmac-handle": keys.k_h}


def _key_index(d):
    """The batch index of a device key (a u32); absent: 0."""
    return _u32(d, "key_index") if d.get("key_index") is not None else 0


def op_derive_key(i):
    seed = _hex(i["seed"], 32, "seed")
    purpose = i["purpose"]
    if purpose in HMAC_KEYS:
        return _valid(key=HMAC_KEYS[purpose](seed, _u64(i, "account_id")).hex())
    if purpose == "ed25519-device":
        secret = keys.device_secret(seed, _key_index(i))
    elif purpose == "ed25519-issuer":
        secret = keys.issuer_secret(seed, _u16(i, "key_id"))
    elif purpose == "ed25519-root":
        secret = keys.root_secret(seed)
    else:
        raise BadInput(f"unknown purpose {purpose!r}")
    return _valid(key=secret.hex(), public_key=ed25519.public_key(secret).hex())


def op_hmac_handle(i):
    """An account's handle and pads at one step."""
    k_h = keys.k_h(_hex(i["seed"], 32, "seed"), _u64(i, "account_id"))
    h = handle.derive(k_h, _u64(i, "step"))
    return _valid(handle=h.handle.hex(), handle30=h.handle30, pad=h.pad, pad16=h.pad16)


# ---------------------------------------------------------------- encodings


def op_hmac_code_encode(i):
    mode, cap = _mode(i)
    payload = code.hmac_payload(
        _hex(i["handle"], 8, "handle"), _u64(i, "step"), _u32(i, "masked_counter"), _hex(i["tag"], 16, "tag"), mode, cap
    )
    return _valid(payload=payload.hex(), text=code.qr_text(payload))


def op_numeric_encode(i):
    h30, step, masked16 = _int(i["handle30"], 30, "handle30"), _u64(i, "step"), _u16(i, "masked16")
    t29 = _int(i["tag29"], 29, "tag29")
    return _valid(digits=code.numeric_digits(h30, step, masked16, t29))


def op_ed25519_code_encode(i):
    mode, cap = _mode(i)
    cred = _hex(i["credential"], credential.SIZE, "credential")
    head = code.ed25519_head(_u64(i, "step"), _u32(i, "counter"), cred, mode, cap)
    payload = head + _hex(i["device_signature"], 64, "device_signature")
    return _valid(payload=payload.hex(), text=code.qr_text(payload))


def op_code_decode(i):
    try:
        c = code.decode(_text(i))
    except Rejected as r:
        return _invalid(r.code)
    if isinstance(c, code.HmacQr):
        form = {
            "form": "hmac-qr",
            "mode": code.MODE_NAMES[c.mode],
            "handle": c.handle.hex(),
            "step": c.step,
            "masked_counter": c.masked,
            "tag": c.tag.hex(),
        }
    elif isinstance(c, code.HmacNumeric):
        form = {
            "form": "hmac-numeric",
            "handle30": c.handle30,
            "step_low": c.step_low,
            "masked16": c.masked16,
            "tag29": c.tag29,
        }
    else:
        form = {
            "form": "ed25519-qr",
            "mode": code.MODE_NAMES[c.mode],
            "step": c.step,
            "counter": c.counter,
            "credential": _credential_json(c.credential),
            "device_signature": c.device_sig.hex(),
        }
    if c.mode == code.CAPPED:
        form["cap"] = c.cap
    return _valid(code=form)


def op_challenge_encode(i):
    chal = challenge.Challenge(
        _u32(i, "terminal_id"), _u64(i, "amount"), _u64(i, "issued_at"), _hex(i["nonce"], challenge.NONCE_SIZE, "nonce")
    )
    return _valid(bytes=chal.encode().hex(), text=chal.text(), digest=chal.digest().hex())


def op_challenge_decode(i):
    try:
        chal = challenge.decode(_text(i))
    except Rejected as r:
        return _invalid(r.code)
    return _valid(
        challenge={
            "terminal_id": chal.terminal_id,
            "amount": chal.amount,
            "issued_at": chal.issued_at,
            "nonce": chal.nonce.hex(),
        }
    )


def op_credential_issue(i):
    try:
        c = _issue_credential(i)
    except Rejected as r:
        return _invalid(r.code)
    return _valid(credential=c.encode().hex())


def _issue_credential(i):
    return credential.issue(
        _hex(i["issuer_secret"], 32, "issuer_secret"),
        _u16(i, "key_id"),
        _u64(i, "serial"),
        _hex(i["device_key"], 32, "device_key"),
        _u64(i, "not_before"),
        _u32(i, "lifetime"),
        _u32(i, "per_payment_limit"),
        _u32(i, "cumulative_limit"),
    )


def op_credential_batch_issue(i):
    """Section 7.1 for one payer's batch: refuse it whole (bad-credential) if its terms break
    R-BATCH-3 or R-BATCH-2, or if any credential would be bad (R-ED-4); else sign each credential
    with the issuer key of key_id, not_before rounded down to the hour."""
    key_id = _u16(i, "key_id")
    secret = keys.issuer_secret(_hex(i["issuer_seed"], 32, "issuer_seed"), key_id)
    not_before, lifetime = _u64(i, "not_before"), _u32(i, "lifetime")
    per_payment, cumulative = _u32(i, "per_payment_limit"), _u32(i, "cumulative_limit")
    payer_limit = _u64(i, "payer_limit")
    device_keys = [_hex(k, 32, "device_key") for k in i["device_keys"]]
    serials = [_int(x, 64, "serials") for x in i["serials"]]
    if len(serials) != len(device_keys):
        raise BadInput("one serial per device key")
    n = len(device_keys)
    if n == 0 or per_payment > cumulative or cumulative * n > payer_limit or len(set(serials)) != n:
        return _invalid(BAD_CREDENTIAL)
    aligned = not_before - not_before % 3600
    try:
        batch = [
            credential.issue(secret, key_id, serial, dk, aligned, lifetime, per_payment, cumulative)
            for dk, serial in zip(device_keys, serials)
        ]
    except Rejected as r:
        return _invalid(r.code)
    return _valid(credentials=[c.encode().hex() for c in batch])


def op_credential_decode(i):
    try:
        return _valid(credential=_credential_json(credential.decode(_hex(i["bytes"]))))
    except Rejected as r:
        return _invalid(r.code)


def op_trust_list_encode(i):
    entries = [
        trust.Entry(_u16(e, "key_id"), _u64(e, "not_before"), _u64(e, "not_after"), _hex(e["public_key"], 32, "public_key"))
        for e in i["entries"]
    ]
    if len(entries) >= 2**16:
        raise BadInput("more than 65535 entries")
    root = _hex(i["root_secret"], 32, "root_secret")
    return _valid(bytes=trust.issue(root, _u64(i, "sequence"), _u64(i, "issued_at"), entries).hex())


def op_trust_list_decode(i):
    try:
        tl = trust.decode(_hex(i["bytes"]))
    except Rejected as r:
        return _invalid(r.code)
    return _valid(
        sequence=tl.sequence,
        issued_at=tl.issued_at,
        entries=[_trust_entry_json(e) for e in tl.entries.values()],
    )


def op_revocation_list_issue(i):
    serials = [_int(s, 64, "serial") for s in i["serials"]]
    if len(serials) >= 2**32:
        raise BadInput("too many serials")
    try:
        data = revocation.issue(
            _hex(i["issuer_secret"], 32, "issuer_secret"),
            _u16(i, "key_id"),
            _u64(i, "number"),
            _u64(i, "issued_at"),
            _u64(i, "next_update"),
            _u32(i, "grace"),
            serials,
        )
    except Rejected as r:
        return _invalid(r.code)
    return _valid(bytes=data.hex())


def op_revocation_list_decode(i):
    try:
        rl = revocation.decode(_hex(i["bytes"]))
    except Rejected as r:
        return _invalid(r.code)
    return _valid(
        list={
            "key_id": rl.key_id,
            "number": rl.number,
            "issued_at": rl.issued_at,
            "next_update": rl.next_update,
            "grace": rl.grace,
            "serials": list(rl.serials),
            "signature": rl.signature.hex(),
        }
    )


def _profile_id(name):
    if not isinstance(name, str) or name not in PROFILE_IDS:
        raise BadInput(f"unknown profile {name!r}")
    return PROFILE_IDS[name]


def _record_from_json(d) -> log.Record:
    """A record from its fields, checked as the decoder checks its bytes (Section 4.8)."""
    chal = b"" if d["challenge"] is None else _hex(d["challenge"], 37, "challenge")
    r = log.Record(
        _u8(d, "kind"),
        _u64(d, "accepted_at"),
        _u64(d, "amount"),
        _u32(d, "terminal_id"),
        _u64(d, "step"),
        _hex(d["evidence"], name="evidence"),
        chal,
    )
    try:
        r = log.decode_one(r.encode())
    except Rejected:
        raise BadInput("not a well-formed log record") from None
    if r.profile != _profile_id(d["profile"]):
        raise BadInput("profile is not the evidence's")
    if r.named() != (_u64(d, "subject"), _u32(d, "counter")):
        raise BadInput("subject and counter are not the evidence's")
    return r


def op_log_record_encode(i):
    return _valid(bytes=_record_from_json(i).encode().hex())


def op_log_decode(i):
    try:
        records = log.decode(_hex(i["bytes"]))
    except Rejected as r:
        return _invalid(r.code)
    return _valid(records=[_record_json(r) for r in records])


# ---------------------------------------------------------------- generation


def _wallet_mode(i):
    """(mode, cap, challenge) of a generate case. A challenge the wallet cannot decode is
    Rejected(malformed): it makes no code for it (R-GEN-5, R-CHAL-1)."""
    mode, cap = _mode(i)
    if mode != code.CHALLENGE:
        if i.get("challenge") is not None:
            raise BadInput("only a challenge code takes a challenge")
        return mode, cap, None
    return mode, cap, challenge.decode(_text(i, "challenge"))


def op_hmac_generate(i):
    try:
        mode, cap, chal = _wallet_mode(i)
        g = wallet.generate_hmac(
            _checked_params(i["params"]),
            _hex(i["seed"], 32, "seed"),
            _u64(i, "account_id"),
            _u64(i, "time"),
            _u32(i, "counter"),
            mode,
            cap,
            chal,
        )
    except Rejected as r:
        return _invalid(r.code)
    out = _valid(step=g.step, payload=g.payload.hex(), text=g.text, next_counter=g.next_counter)
    if g.digits is not None:
        out["digits"] = g.digits
    else:
        out["numeric_error"] = g.numeric_error
    return out


def op_ed25519_generate(i):
    try:
        mode, cap, chal = _wallet_mode(i)
        g = wallet.generate_ed25519(
            _checked_params(i["params"]),
            _hex(i["device_seed"], 32, "device_seed"),
            _hex(i["credential"], credential.SIZE, "credential"),
            _u64(i, "time"),
            _u32(i, "counter"),
            mode,
            cap,
            chal,
            _key_index(i),
        )
    except Rejected as r:
        return _invalid(r.code)
    return _valid(step=g.step, payload=g.payload.hex(), text=g.text, next_counter=g.next_counter)


def op_ed25519_batch_generate(i):
    """One one-way code per time from a batch wallet: each takes the credential in turn, the one
    with the fewest codes (lowest next counter), the lowest key index among those (R-BATCH-4)."""
    params = _checked_params(i["params"])
    seed = _hex(i["device_seed"], 32, "device_seed")
    slots = [
        [_u32(b, "key_index"), _hex(b["credential"], credential.SIZE, "credential"), _u32(b, "next_counter")]
        for b in i["batch"]
    ]
    if not slots:
        raise BadInput("a batch wallet holds at least one credential")
    codes = []
    try:
        for t in i["times"]:
            slot = min(slots, key=lambda s: (s[2], s[0]))
            g = wallet.generate_ed25519(params, seed, slot[1], _int(t, 64, "times"), slot[2], key_index=slot[0])
            codes.append({"key_index": slot[0], "counter": slot[2], "text": g.text})
            slot[2] = g.next_counter
    except Rejected as r:
        return _invalid(r.code)
    return _valid(codes=codes)


# ---------------------------------------------------------------- verification


def new_verifier(config, state) -> Verifier:
    """A verifier from the vector's `verifier` configuration and `state` (spec Section 8.1).

    `marks` (the counter marks K) and `challenges` (the nonce set N) are
    optional in `state`: absent means none.
    """
    v = Verifier(_checked_params(config["params"]), _u32(config, "terminal_id"))
    if config["hmac_accounts"] is not None:
        v.accounts = {}
        for a in config["hmac_accounts"]:
            v.add_account(_u64(a, "account_id"), _hex(a["seed"], 32, "seed"))
    if config["root_key"] is not None:
        v.root = _hex(config["root_key"], 32, "root_key")
    if config["trust_list"] is not None:
        # Configuration has no time: nothing is dated after the end of time (R-TRUST-3, R-TRUST-4).
        if not v.install_trust_list(_hex(config["trust_list"]), 2**64 - 1):
            raise BadInput("the configured trust list does not install under the root key")
    v.t_hw, v.q = _u64(state, "t_hw"), _u64(state, "q")
    for e in state["entries"]:
        bitmap = _hex(e["bitmap"], 8, "bitmap")
        v.entries[(_profile_id(e["profile"]), _u64(e, "subject"))] = Entry(
            _u32(e, "high"), int.from_bytes(bitmap, "big"), _u64(e, "top")
        )
    for m in state.get("marks", []):
        identity = (_profile_id(m["profile"]), _u64(m, "subject"))
        if identity in v.marks:
            raise BadInput(f"two marks for {m['profile']} {identity[1]}")
        v.marks[identity] = Mark(_u32(m, "counter"), _u64(m, "step"))
    for s in state["spent"]:
        v.ledger[_u64(s, "serial")] = [_u64(s, "total"), _u64(s, "not_after")]
    for n in state.get("challenges", []):
        nonce = _hex(n["nonce"], challenge.NONCE_SIZE, "nonce")
        if nonce in v.nonces:
            raise BadInput(f"nonce {n['nonce']} listed twice")
        v.nonces[nonce] = _u64(n, "closes")
    for b in state.get("budgets", []):
        account = _u64(b, "account_id")
        if account in v.budgets:
            raise BadInput(f"two budgets for account {account}")
        v.budgets[account] = _u64(b, "u")
    for b in state.get("source_budgets", []):
        terminal = _u32(b, "terminal_id")
        if terminal in v.sources:
            raise BadInput(f"two budgets for source {terminal}")
        v.sources[terminal] = _u64(b, "u")
    if state["revocation_list"] is not None:
        try:
            v.set_revocation_list(_hex(state["revocation_list"]))
        except Rejected:
            raise BadInput("the installed revocation list is malformed") from None
    return v


def state_after(v: Verifier, text=None, latest=None, identity=None):
    """The `state_after` object of a step (vectors/README.md: only what the spec pins).

    `entries` holds the identity of the code: for an ed25519 code the serial whenever the text
    decodes, for an hmac code the account H2 matched (`identity`, none if no account matched),
    whatever the verdict, with its live window or null. `spent` holds the
    ledger total of an ed25519 code's serial while no call later than the
    credential's not_after has been processed (`latest` is the latest call time).
    """
    entries, spent = [], []
    c = None
    if text is not None:
        try:
            c = code.decode(text)
        except Rejected:
            c = None
    if isinstance(c, code.Ed25519Qr):
        identity = (code.ED25519, c.credential.serial)
    if c is not None and identity is not None:
        e = v.live(identity)
        window = None if e is None else {"high": e.high, "bitmap": f"{e.bitmap:016x}", "top": e.top}
        entries.append({"profile": PROFILE_NAMES[identity[0]], "subject": identity[1], "window": window})
        if isinstance(c, code.Ed25519Qr):
            not_after = c.credential.not_after()
            if not_after is not None and latest <= not_after:
                spent.append({"serial": c.credential.serial, "total": v.spent(c.credential.serial)})
    return {"t_hw": v.t_hw, "q": v.q, "entries": entries, "spent": spent}


def _verify_step(v: Verifier, time, text, amount, chal_text, latest):
    outcome = v.verify(text, time, amount, chal_text)
    if outcome.error is None:
        out = _valid(log_record=outcome.record.hex())
    else:
        out = _invalid(outcome.error)
    out["state_after"] = state_after(v, text, latest, outcome.identity)
    return out


def op_verify(i):
    v = new_verifier(i["verifier"], i["state"])
    t = _u64(i, "time")
    return _verify_step(v, t, _text(i), _u64(i, "amount"), _challenge_text(i), t)


class Session:
    """A scenario in progress: `reset` builds it, `step` drives it."""

    def __init__(self, config, state):
        self.verifier = _guard(new_verifier, config, state)
        self.latest = 0  # the latest time of a verify call so far (for state_after.spent)

    def step(self, s):
        return _guard(self._step, s)

    def _step(self, s):
        v = self.verifier
        action = s.get("action")
        if action == "verify":
            t = _u64(s, "time")
            self.latest = max(self.latest, t)
            return _verify_step(v, t, _text(s), _u64(s, "amount"), _challenge_text(s), self.latest)
        if action == "install-revocation-list":
            return _valid() if v.install_revocation_list(_hex(s["list"]), _u64(s, "time")) else _invalid()
        if action == "install-trust-list":
            return _valid() if v.install_trust_list(_hex(s["trust_list"]), _u64(s, "time")) else _invalid()
        if action == "restart":
            mode = s["mode"]
            if mode not in ("kept", "lost"):
                raise BadInput(f"unknown restart mode {mode!r}")
            try:
                v.restart(mode == "lost", _u64(s, "time"))
            except Rejected as r:
                return _invalid(r.code)
            return _valid(state_after=state_after(v))
        if action == "enrol":
            # §7.1: a new account, or all three keys of an enrolled one replaced; its state stays.
            if v.accounts is None:
                v.accounts = {}
            v.add_account(_u64(s, "account_id"), _hex(s["seed"], 32, "seed"))
            return _valid()
        if action == "evict":
            try:
                v.evict_at(_u64(s, "time"))
            except Rejected as r:
                return _invalid(r.code)
            return _valid(state_after=state_after(v))
        raise BadInput(f"unknown action {action!r}")


def op_scenario(i):
    session = Session(i["verifier"], i["state"])
    return {"steps": [session.step(s) for s in i["steps"]]}


def op_reconcile(i):
    accounts = {}
    for a in i["hmac_accounts"]:
        account_id = _u64(a, "account_id")
        if account_id in accounts:
            raise BadInput(f"account {account_id} twice")
        seed = _hex(a["seed"], 32, "seed")
        accounts[account_id] = (keys.k_qr(seed, account_id), keys.k_num(seed, account_id), keys.k_h(seed, account_id))
    entries = {}
    if i["trust_list"] is not None:
        try:
            entries = trust.decode(_hex(i["trust_list"])).entries
        except Rejected:
            raise BadInput("the issuer's trust list is malformed") from None
    holders = None
    if i.get("holders") is not None:
        holders = {}
        for h in i["holders"]:
            serial = _u64(h, "serial")
            if serial in holders:
                raise BadInput(f"serial {serial} twice")
            holders[serial] = (_u64(h, "payer"), _u64(h, "batch"), _u64(h, "batch_limit"))
    try:
        report = log.reconcile([_hex(x) for x in i["logs"]], _u64(i, "tolerance"), accounts, entries, holders)
    except Rejected as r:
        return _invalid(r.code)
    mapped = {} if holders is None else {"payers": report.payers, "flagged_payers": report.flagged_payers}

    def groups(items):
        return [
            {"profile": PROFILE_NAMES[p], "subject": s, "counter": c, "records": [_record_json(r, resolved=True) for r in records]}
            for (p, s, c), records in items
        ]

    return _valid(
        unproven=[{"log": n, "index": k, "why": why} for n, k, why in report.unproven],
        doubles=groups(report.doubles),
        copies=groups(report.copies),
        flagged=[
            {"profile": PROFILE_NAMES[p], "subject": s, "reasons": reasons} for (p, s), reasons in report.flagged
        ],
        revoke_serials=report.revoke_serials,
        disable_accounts=report.disable_accounts,
        totals=[{"serial": s, "total": t} for s, t in report.totals],
        **mapped,
    )


OPS = {
    "hmac-sha256": op_hmac_sha256,
    "hkdf-sha256": op_hkdf_sha256,
    "ed25519-sign": op_ed25519_sign,
    "ed25519-verify": op_ed25519_verify,
    "ed25519-point": op_ed25519_point,
    "base45-encode": op_base45_encode,
    "base45-decode": op_base45_decode,
    "params-check": op_params_check,
    "derive-key": op_derive_key,
    "hmac-handle": op_hmac_handle,
    "hmac-code-encode": op_hmac_code_encode,
    "numeric-encode": op_numeric_encode,
    "ed25519-code-encode": op_ed25519_code_encode,
    "code-decode": op_code_decode,
    "challenge-encode": op_challenge_encode,
    "challenge-decode": op_challenge_decode,
    "credential-issue": op_credential_issue,
    "credential-decode": op_credential_decode,
    "credential-batch-issue": op_credential_batch_issue,
    "trust-list-encode": op_trust_list_encode,
    "trust-list-decode": op_trust_list_decode,
    "revocation-list-issue": op_revocation_list_issue,
    "revocation-list-decode": op_revocation_list_decode,
    "log-record-encode": op_log_record_encode,
    "log-decode": op_log_decode,
    "hmac-generate": op_hmac_generate,
    "ed25519-generate": op_ed25519_generate,
    "ed25519-batch-generate": op_ed25519_batch_generate,
    "verify": op_verify,
    "scenario": op_scenario,
    "reconcile": op_reconcile,
}


def run(op, case_input):
    """The output of one stateless case; BadInput for what this implementation cannot take."""
    fn = OPS.get(op)
    if fn is None:
        raise BadInput(f"unknown op {op!r}")
    if not isinstance(case_input, dict):
        raise BadInput("input: expected an object")
    return _guard(fn, case_input)


def _guard(fn, *args):
    """fn(*args), with a wrongly shaped input reported as BadInput."""
    try:
        return fn(*args)
    except KeyError as e:
        raise BadInput(f"missing field {e.args[0]!r}") from None
    except (TypeError, AttributeError) as e:
        raise BadInput(f"bad input shape: {e}") from None
