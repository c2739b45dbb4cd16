"""Base45 (RFC 9285) with the canonical decoding rules of spec Section 5.2 (R-ENC-2)."""

from . import mutants
from .errors import MALFORMED, Rejected

ALPHABET = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


def encode(data: bytes) -> str:
    """Base45 text of `data`: 3 characters per 2 bytes, 2 for a final odd byte."""
    out = bytearray()
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        out += bytes((ALPHABET[n % 45], ALPHABET[n // 45 % 45], ALPHABET[n // 2025]))
    if len(data) % 2:
        n = data[-1]
        out += bytes((ALPHABET[n % 45], ALPHABET[n // 45]))
    return out.decode("ascii")


def decode(text: bytes) -> bytes:
    """The bytes of a canonical Base45 text; Rejected(malformed) otherwise.

    `text` is the raw bytes after the prefix: nothing is trimmed or case-folded.
    The empty text is the empty byte string (R-ENC-2); the code decoder rejects
    an empty payload itself (V1.3).
    """
    if mutants.on("base45-lowercase-folded"):
        text = text.upper()
    values = []
    for c in text:  # rule 1
        v = _VALUE.get(c)
        if v is None:
            raise Rejected(MALFORMED)
        values.append(v)
    if len(values) % 3 == 1:  # rule 2
        if not mutants.on("base45-trailing-char-dropped"):
            raise Rejected(MALFORMED)
        values.pop()
    lax = mutants.on("base45-no-overflow-check")
    out = bytearray()
    full = len(values) - len(values) % 3
    for i in range(0, full, 3):  # rule 3
        n = values[i] + 45 * values[i + 1] + 2025 * values[i + 2]
        if n > 0xFFFF:
            if not lax:
                raise Rejected(MALFORMED)
            n &= 0xFFFF
        out += bytes((n >> 8, n & 0xFF))
    if full < len(values):  # rule 4
        n = values[full] + 45 * values[full + 1]
        if n > 0xFF:
            if not lax:
                raise Rejected(MALFORMED)
            n &= 0xFF
        out.append(n)
    return bytes(out)
