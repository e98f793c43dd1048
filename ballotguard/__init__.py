"""Ballotguard: safety of UK election candidates and elected officials."""

__version__ = "0.1.0"
