"""Shared infrastructure used by every app: field encryption, request helpers."""
