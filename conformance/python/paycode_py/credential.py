"""The ed25519 credential (spec Section 4.4, R-ED-3, R-ED-4)."""

import struct
from dataclasses import dataclass

from . import ed25519, mutants
from .errors import BAD_CREDENTIAL, MALFORMED, Rejected
from .keys import DS_CRED
from .params import U64_MAX

SIZE = 126
MAX_LIFETIME = 604800
_BODY = struct.Struct(">HQ32sQIII")


@dataclass(frozen=True)
class Credential:
    key_id: int
    serial: int
    device_pk: bytes
    not_before: int
    lifetime: int
    limit_payment: int
    limit_total: int
    issuer_sig: bytes

    def body(self) -> bytes:
        """credential[0..62], the part the issuer signs."""
        return _BODY.pack(
            self.key_id,
            self.serial,
            self.device_pk,
            self.not_before,
            self.lifetime,
            self.limit_payment,
            self.limit_total,
        )

    def encode(self) -> bytes:
        return self.body() + self.issuer_sig

    def not_after(self):
        """not_before + lifetime computed exactly; None where it exceeds 2^64 - 1."""
        n = self.not_before + self.lifetime
        if mutants.on("not-after-wraps"):
            return n & U64_MAX
        return n if n <= U64_MAX else None

    def problems(self, entry):
        """Why the credential is bad under R-ED-4 against trust entry `entry`; empty if good."""
        out = []
        if not ed25519.verify(entry.public_key, DS_CRED + self.body(), self.issuer_sig):
            out.append("issuer signature invalid")
        if ed25519.valid_point(self.device_pk, key=True) is None:
            out.append("device key not a valid point")
        if self.lifetime > MAX_LIFETIME:
            out.append("lifetime above 7 days")
        not_after = self.not_after()
        if not_after is None:
            out.append("not_before + lifetime above 2^64 - 1")
        elif not mutants.on("key-validity-unchecked") and (
            self.not_before < entry.not_before or not_after > entry.not_after
        ):
            out.append("validity not inside the key's")
        return out


def decode(data: bytes) -> Credential:
    """Every 126-byte string is a credential; any other length is malformed."""
    if len(data) != SIZE:
        raise Rejected(MALFORMED)
    fields = _BODY.unpack(data[:62])
    return Credential(*fields, data[62:])


def issue(secret: bytes, key_id, serial, device_pk, not_before, lifetime, limit_payment, limit_total):
    """Sign DS_cred || credential[0..62] with the issuer secret (R-ED-3).

    Rejected(bad-credential) for a credential that R-ED-4 calls bad on its own
    (device key, lifetime, overflow): the issuer refuses to sign it (Section 7.1).
    """
    if (
        ed25519.valid_point(device_pk, key=True) is None
        or lifetime > MAX_LIFETIME
        or not_before + lifetime > U64_MAX
    ):
        raise Rejected(BAD_CREDENTIAL)
    unsigned = Credential(key_id, serial, device_pk, not_before, lifetime, limit_payment, limit_total, b"")
    return Credential(
        key_id,
        serial,
        device_pk,
        not_before,
        lifetime,
        limit_payment,
        limit_total,
        ed25519.sign(secret, DS_CRED + unsigned.body()),
    )
