"""Which national police operation protects a candidate, decided by the election they stand in.

Operation Bridger covers MPs and parliamentary candidates. Operation Ford covers mayors, councillors,
police and crime commissioners and their candidates, but not parish or town councils. Elections to
the devolved legislatures have their own arrangements and are out of both.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ballotguard.engines.common.i18n import gettext_noop


class Operation(str, enum.Enum):
    BRIDGER = "bridger"
    FORD = "ford"
    NONE = "none"

    @property
    def label(self) -> str:
        return {
            "bridger": gettext_noop("Operation Bridger"),
            "ford": gettext_noop("Operation Ford"),
            "none": gettext_noop("Not covered"),
        }[self.value]


@dataclass(frozen=True)
class OperationDecision:
    operation: Operation
    reason: str


_FORD_TYPES = {"local": "local council", "mayor": "mayoral", "pcc": "police and crime commissioner", "gla": "Greater London Authority"}
_DEVOLVED = {"sp": "Scottish Parliament", "senedd": "Senedd", "naw": "National Assembly for Wales", "nia": "Northern Ireland Assembly"}
_PARISH_WORDS = ("parish", "town council", "community council")


def election_type_of(election_id: str) -> str:
    """``local.birmingham.2025-05-01`` → ``local``."""
    return election_id.split(".", 1)[0].lower()


def operation_for(election_type: str, organisation_name: str = "") -> OperationDecision:
    """Decide the operation for an election type (a Democracy Club slug) and, for local elections,
    the organisation's name (parish and town councils are out of scope)."""
    kind = election_type.lower()
    if kind == "parl":
        return OperationDecision(Operation.BRIDGER, "Parliamentary election: Operation Bridger covers MPs and parliamentary candidates.")
    if kind in _FORD_TYPES:
        org = organisation_name.lower()
        if any(word in org for word in _PARISH_WORDS):
            return OperationDecision(
                Operation.NONE,
                f"{organisation_name} is a parish, town or community council: these are out of scope of Operation Ford and of Ballotguard.",
            )
        return OperationDecision(Operation.FORD, f"{_FORD_TYPES[kind].capitalize()} election: Operation Ford covers mayors, councillors, PCCs and their candidates.")
    if kind in _DEVOLVED:
        return OperationDecision(Operation.NONE, f"{_DEVOLVED[kind]} elections are not covered by Operation Bridger or Operation Ford.")
    return OperationDecision(Operation.NONE, f"Elections of type {election_type!r} are not covered by Operation Bridger or Operation Ford.")
