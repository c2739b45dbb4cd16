"""paycode v1 in Python: an implementation written from spec/paycode-v1.md."""

__version__ = "1.0.0"
