"""Incidents reported by candidates: the vocabulary of a report (``facts``), which offences may fit
(``offences``), where to report (``routing``), the risk score (``risk``), perpetrator details made
comparable (``observables``) and the values that must never link incidents by themselves
(``warninglists``), what an uploaded file really is (``evidence_types``), the FEOA's checklist per kind
of incident (``checklists``), and sharing observables with partners as STIX or MISP (``sharing``).

May import: ``engines.candidates`` and ``engines.common``.
"""
