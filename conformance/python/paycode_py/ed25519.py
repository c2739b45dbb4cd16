"""Ed25519 under the pinned rules of spec Section 6 (R-ED-1, R-ED-2).

Signing and the first verification pass are OpenSSL's, through pyca/cryptography.
OpenSSL checks the cofactorless equation and has its own view of encodings, so
the encoding checks (canonical S, valid A and R) are made here for every
signature, and a signature OpenSSL rejects is checked again with the
cofactored equation in edwards.py.
"""

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from . import edwards, mutants


def public_key(secret: bytes) -> bytes:
    """The RFC 8032 public key of a 32-byte secret."""
    return Ed25519PrivateKey.from_private_bytes(secret).public_key().public_bytes_raw()


def sign(secret: bytes, message: bytes) -> bytes:
    """Pure Ed25519 (RFC 8032 Section 5.1.6), deterministic."""
    return Ed25519PrivateKey.from_private_bytes(secret).sign(message)


def point_facts(s: bytes):
    """The facts behind R-ED-1 for a 32-byte string: (y_below_p, point or None, small_order or None)."""
    n = int.from_bytes(s, "little")
    y = n & ((1 << 255) - 1)
    if y >= edwards.P:
        return False, None, None
    pt = edwards.decode(s)
    if pt is None:
        return True, None, None
    return True, pt, edwards.is_identity(edwards.times8(pt))


def valid_point(s: bytes, key=False):
    """The decoded point if `s` is a valid point (R-ED-1), else None.

    `key` marks a public key (A, a trust-list key, a device key), where the
    small-order-keys mutant drops condition 3.
    """
    if len(s) != 32:
        return None
    below, pt, small = point_facts(s)
    if not below or pt is None:
        return None
    if small and not (key and mutants.on("small-order-keys")):
        return None
    return pt


def challenge(r: bytes, a: bytes, message: bytes) -> int:
    """k = int_le(SHA-512(R || A || M)) mod l, over the bytes as received."""
    return int.from_bytes(hashlib.sha512(r + a + message).digest(), "little") % edwards.L


def verify(pk: bytes, message: bytes, sig: bytes) -> bool:
    """Signature validity under R-ED-2: canonical S, valid A and R, cofactored equation."""
    if len(pk) != 32 or len(sig) != 64:
        return False
    s = int.from_bytes(sig[32:], "little")
    if s >= edwards.L and not mutants.on("noncanonical-s"):  # condition 1
        return False
    a = valid_point(pk, key=True)  # condition 2
    if a is None:
        return False
    r = valid_point(sig[:32])  # condition 3
    if r is None:
        return False
    try:
        # With S, A and R checked above, OpenSSL's acceptance means [S]G = R + [k]A,
        # which implies the cofactored equation.
        Ed25519PublicKey.from_public_bytes(pk).verify(sig, message)
        return True
    except (InvalidSignature, ValueError):
        pass
    if mutants.on("cofactorless-only"):
        return False
    return cofactored(a, r, s, challenge(sig[:32], pk, message))


def cofactored(a, r, s: int, k: int) -> bool:
    """[8]([S]G - [k]A - R) is the identity (condition 4)."""
    residue = edwards.add(edwards.mul_base(s), edwards.neg(edwards.add(edwards.mul(k, a), r)))
    return edwards.is_identity(edwards.times8(residue))
