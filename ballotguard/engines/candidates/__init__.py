"""Candidates and what keeps them safe: validating and normalising contact details (``contact``), which
national police operation protects them (``operations``), the personal safety plan (``safety_plan``) and
the security guidance documents (``guidance``).

May import: ``engines.common``.
"""
