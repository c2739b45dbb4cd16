"""HKDF-SHA256 and the key derivations of spec Section 3 (R-KEY-2, R-KEY-3)."""

import hashlib
import hmac
import struct

SALT = b"paycode v3"

INFO_QR = b"paycode/v3/hmac/qr-key\x00"
INFO_NUM = b"paycode/v3/hmac/numeric-key\x00"
INFO_DEVICE = b"paycode/v3/ed25519/device-key\x00"
INFO_ISSUER = b"paycode/v3/ed25519/issuer-key\x00"
INFO_ROOT = b"paycode/v3/ed25519/root-key\x00"

DS_QR = b"paycode/v3/hmac/qr-code\x00"
DS_NUM = b"paycode/v3/hmac/numeric-code\x00"
DS_CRED = b"paycode/v3/ed25519/credential\x00"
DS_CODE = b"paycode/v3/ed25519/code\x00"
DS_REV = b"paycode/v3/ed25519/revocation\x00"
DS_TRUST = b"paycode/v3/ed25519/trust-list\x00"
DS_CHAL = b"paycode/v3/challenge\x00"


def hmac_sha256(key: bytes, msg: bytes) -> bytes:
    return hmac.new(key, msg, hashlib.sha256).digest()


def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    """RFC 5869 Extract; an empty salt is HashLen zero bytes, which HMAC pads to the same key."""
    return hmac_sha256(salt if salt else bytes(32), ikm)


def hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 Expand."""
    if not 0 <= length <= 255 * 32:
        raise ValueError("HKDF output length above 255 * 32")
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac_sha256(prk, block + info + bytes((i,)))
        out += block
        i += 1
    return out[:length]


def derive(seed: bytes, info: bytes) -> bytes:
    """HKDF(ikm = seed, info) with the paycode salt and 32 bytes of output (R-KEY-2)."""
    if len(seed) != 32:
        raise ValueError("a seed is 32 bytes")
    return hkdf_expand(hkdf_extract(SALT, seed), info, 32)


def info_qr(account_id: int) -> bytes:
    return INFO_QR + struct.pack(">Q", account_id)


def info_num(account_id: int) -> bytes:
    return INFO_NUM + struct.pack(">Q", account_id)


def info_issuer(key_id: int) -> bytes:
    return INFO_ISSUER + struct.pack(">H", key_id)


def k_qr(seed: bytes, account_id: int) -> bytes:
    return derive(seed, info_qr(account_id))


def k_num(seed: bytes, account_id: int) -> bytes:
    return derive(seed, info_num(account_id))


def device_secret(wallet_seed: bytes) -> bytes:
    return derive(wallet_seed, INFO_DEVICE)


def issuer_secret(issuer_seed: bytes, key_id: int) -> bytes:
    return derive(issuer_seed, info_issuer(key_id))


def root_secret(issuer_seed: bytes) -> bytes:
    """The root key, which signs trust lists only (Section 3.2, R-TRUST-3)."""
    return derive(issuer_seed, INFO_ROOT)
