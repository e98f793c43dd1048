"""Report Fraud replaced Action Fraud on 4 December 2025. Nothing Ballotguard shows or ships may send
people to the old service: the old name may appear only in a sentence that explains the change."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("ballotguard", "docs", "README.md", "scripts")
SUFFIXES = {".py", ".md", ".html", ".txt", ".sh", ".json"}
# A sentence (or Markdown line) that mentions the old service must say it was replaced.
SENTENCE = re.compile(r"[^.\n]*Action Fraud[^.\n]*")


def _texts():
    for name in SHIPPED:
        path = ROOT / name
        files = [path] if path.is_file() else (p for p in path.rglob("*") if p.suffix in SUFFIXES)
        for file in files:
            if "tests" in file.relative_to(ROOT).parts:
                continue  # tests may name the old service to check that it is gone
            yield file, file.read_text(encoding="utf-8", errors="replace")


def test_action_fraud_is_named_only_to_explain_that_report_fraud_replaced_it():
    offenders = []
    for file, text in _texts():
        assert "actionfraud.police.uk" not in text, f"{file} links to the retired Action Fraud site"
        for sentence in SENTENCE.findall(text):
            # "(d)disodlodd": "replaced" in the Welsh guidance (reporting-routes.cy.md)
            if not any(words in sentence for words in ("replaced", "until 4 December 2025", "isodlodd")):
                offenders.append(f"{file.relative_to(ROOT)}: {sentence.strip()}")
    assert not offenders, "Action Fraud named without saying Report Fraud replaced it:\n" + "\n".join(offenders)


def test_the_routing_engine_sends_fraud_to_report_fraud():
    from ballotguard.engines.incidents.facts import Behaviour, IncidentFacts
    from ballotguard.engines.incidents.routing import Route, route

    advice = {a.route: a for a in route(IncidentFacts(behaviours=frozenset({Behaviour.BRIBERY_OR_ELECTORAL_FRAUD})))}
    fraud = advice[Route.REPORT_FRAUD]
    assert Route.REPORT_FRAUD.value == "report_fraud"
    assert "reportfraud.police.uk" in fraud.how and "0300 123 2040" in fraud.how
