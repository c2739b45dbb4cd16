"""Edwards25519 point arithmetic for the checks OpenSSL does not make (spec Section 6).

Points are tuples (X, Y, Z, T) in extended coordinates over GF(p), with
x = X/Z, y = Y/Z and x*y = T/Z, on -x^2 + y^2 = 1 + d*x^2*y^2. Nothing here
handles secrets: it is only used on public keys and signatures, so plain
Python integers (not constant time) are fine (spec Section 12.4).
"""

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
D2 = 2 * D % P
SQRT_M1 = pow(2, (P - 1) // 4, P)

IDENTITY = (0, 1, 1, 0)


def add(p1, p2):
    """p1 + p2 (unified addition for a = -1, "add-2008-hwcd-3")."""
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = t1 * D2 * t2 % P
    d = z1 * 2 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def double(p1):
    """2 * p1 ("dbl-2008-hwcd" with a = -1)."""
    x1, y1, z1, _ = p1
    a = x1 * x1 % P
    b = y1 * y1 % P
    c = 2 * z1 * z1 % P
    e = ((x1 + y1) * (x1 + y1) - a - b) % P
    g = (b - a) % P
    f = (g - c) % P
    h = (-a - b) % P
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def neg(p1):
    x, y, z, t = p1
    return ((-x) % P, y, z, (-t) % P)


def is_identity(p1):
    x, y, z, _ = p1
    return x % P == 0 and (y - z) % P == 0


def equal(p1, p2):
    x1, y1, z1, _ = p1
    x2, y2, z2, _ = p2
    return (x1 * z2 - x2 * z1) % P == 0 and (y1 * z2 - y2 * z1) % P == 0


def times8(p1):
    return double(double(double(p1)))


def mul(n, p1):
    """[n]p1 for any n >= 0, 4-bit fixed window."""
    table = [IDENTITY, p1]
    for _ in range(14):
        table.append(add(table[-1], p1))
    acc = IDENTITY
    for shift in range((max(n.bit_length(), 1) + 3) // 4 * 4 - 4, -1, -4):
        acc = double(double(double(double(acc))))
        digit = (n >> shift) & 15
        if digit:
            acc = add(acc, table[digit])
    return acc


def encode(p1) -> bytes:
    """The 32-byte RFC 8032 encoding (Section 5.1.2)."""
    x, y, z, _ = p1
    zi = pow(z, P - 2, P)
    x, y = x * zi % P, y * zi % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def decode(s: bytes):
    """RFC 8032 Section 5.1.3 decoding, or None.

    Returns (point, y_below_p, x_zero_with_sign): a non-canonical y is reported
    and refused; x = 0 with the sign bit set is refused as RFC 8032 says.
    """
    if len(s) != 32:
        return None
    n = int.from_bytes(s, "little")
    sign = n >> 255
    y = n & ((1 << 255) - 1)
    if y >= P:
        return None
    x = recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


def recover_x(y, sign):
    """The x with parity `sign` for which (x, y) is on the curve, or None."""
    y2 = y * y % P
    u = (y2 - 1) % P
    v = (D * y2 + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    vx2 = v * x * x % P
    if vx2 == u:
        pass
    elif vx2 == (-u) % P:
        x = x * SQRT_M1 % P
    else:
        return None
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = P - x
    return x


def _base():
    y = 4 * pow(5, P - 2, P) % P
    x = recover_x(y, 0)
    return (x, y, 1, x * y % P)


G = _base()
_G_POWERS = []


def mul_base(n):
    """[n]G from a table of [2^i]G built on first use."""
    if not _G_POWERS:
        q = G
        for _ in range(256):
            _G_POWERS.append(q)
            q = double(q)
    n %= L
    acc = IDENTITY
    i = 0
    while n:
        if n & 1:
            acc = add(acc, _G_POWERS[i])
        n >>= 1
        i += 1
    return acc
