"""paycode v3 in Python: an implementation written from spec/paycode-v3.md."""

__version__ = "1.0.0"
