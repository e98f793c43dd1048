"""Errors the incident services raise for callers to turn into page errors and API answers."""

from __future__ import annotations


class ReportInvalid(Exception):
    """The report has errors: ``errors`` maps each field to a plain-English message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class IdempotencyConflict(Exception):
    """The idempotency key was used before with a different report."""
