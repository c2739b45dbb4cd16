"""HKDF-SHA256 and the key derivations of spec Section 3 (R-KEY-2, R-KEY-3)."""

import hashlib
import hmac
import struct

# The protocol version: every structure's version byte, the QR prefixes, the salt and every
# label name it, and this is the one place that does.
VERSION = 0x03
LABEL_VERSION = f"v{VERSION}"

SALT = f"paycode {LABEL_VERSION}".encode()


def _label(name: str) -> bytes:
    """An HKDF info prefix or DS string: "paycode/<version>/<name>" 0x00 (R-KEY-3)."""
    return f"paycode/{LABEL_VERSION}/{name}".encode() + b"\x00"


INFO_QR = _label("hmac/qr-key")
INFO_NUM = _label("hmac/numeric-key")
INFO_HANDLE = _label("hmac/handle-key")
INFO_DEVICE = _label("ed25519/device-key")
INFO_ISSUER = _label("ed25519/issuer-key")
INFO_ROOT = _label("ed25519/root-key")

DS_QR = _label("hmac/qr-code")
DS_NUM = _label("hmac/numeric-code")
DS_HANDLE = _label("hmac/handle")
DS_CRED = _label("ed25519/credential")
DS_CODE = _label("ed25519/code")
DS_REV = _label("ed25519/revocation")
DS_TRUST = _label("ed25519/trust-list")
DS_CHAL = _label("challenge")


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


def info_handle(account_id: int) -> bytes:
    return INFO_HANDLE + struct.pack(">Q", account_id)


def info_device(index: int) -> bytes:
    """The device key's info: the label and the batch index i as a u32 (design Section 2)."""
    return INFO_DEVICE + struct.pack(">I", index)


def info_issuer(key_id: int) -> bytes:
    return INFO_ISSUER + struct.pack(">H", key_id)


def k_qr(seed: bytes, account_id: int) -> bytes:
    return derive(seed, info_qr(account_id))


def k_num(seed: bytes, account_id: int) -> bytes:
    return derive(seed, info_num(account_id))


def k_h(seed: bytes, account_id: int) -> bytes:
    """K_h, the key of an account's rotating handles."""
    return derive(seed, info_handle(account_id))


def device_secret(wallet_seed: bytes, index: int = 0) -> bytes:
    """The device secret of batch index `index` (a u32); a wallet never uses an index twice."""
    if not 0 <= index < 2**32:
        raise ValueError("a key index is a u32")
    return derive(wallet_seed, info_device(index))


def issuer_secret(issuer_seed: bytes, key_id: int) -> bytes:
    return derive(issuer_seed, info_issuer(key_id))


def root_secret(issuer_seed: bytes) -> bytes:
    """The root key, which signs trust lists only (Section 3.2, R-TRUST-3)."""
    return derive(issuer_seed, INFO_ROOT)
