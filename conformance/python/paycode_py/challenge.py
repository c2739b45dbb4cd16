"""The challenge a terminal shows for one payment (spec Section 4.9, R-CHAL-1, R-CHAL-2)."""

import hashlib
import struct
from dataclasses import dataclass

from . import base45, mutants
from .errors import MALFORMED, Rejected
from .keys import DS_CHAL, VERSION

PREFIX = f"PT{VERSION}:".encode()
SIZE = 37
NONCE_SIZE = 16


@dataclass(frozen=True)
class Challenge:
    terminal_id: int
    amount: int
    issued_at: int
    nonce: bytes

    def encode(self) -> bytes:
        """The 37 bytes of Section 4.9."""
        return struct.pack(">BIQQ", VERSION, self.terminal_id, self.amount, self.issued_at) + self.nonce

    def text(self) -> str:
        """"PT3:" || Base45(challenge) (R-CHAL-1)."""
        return PREFIX.decode() + base45.encode(self.encode())

    def digest(self) -> bytes:
        """D = SHA-256(DS_chal || challenge) (R-CHAL-2)."""
        label = b"" if mutants.on("challenge-digest-unlabelled") else DS_CHAL
        return hashlib.sha256(label + self.encode()).digest()


def decode(x: bytes) -> Challenge:
    """R-CHAL-1: the challenge of a QR text, or Rejected(malformed)."""
    if not x.startswith(PREFIX):
        raise Rejected(MALFORMED)
    b = base45.decode(x[len(PREFIX):])  # R-ENC-2
    if len(b) != SIZE:
        raise Rejected(MALFORMED)
    if b[0] != VERSION and not mutants.on("challenge-version-unchecked"):
        raise Rejected(MALFORMED)
    _, terminal_id, amount, issued_at = struct.unpack(">BIQQ", b[:21])
    return Challenge(terminal_id, amount, issued_at, b[21:])
