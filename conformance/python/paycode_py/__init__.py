"""paycode v2 in Python: an implementation written from spec/paycode-v2.md."""

__version__ = "1.0.0"
