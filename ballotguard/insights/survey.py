"""The candidates' survey figures for the Taskforce (issue 17): gathered here, computed by
:mod:`ballotguard.engines.insights.survey`, stored as :class:`~ballotguard.insights.models.SurveyFigures` so the
page reads one row, however many incidents there are (``bench/insights.py``).

Analysts only: the survey asks candidates about their police adviser, and a force's FEOAs know their
candidates well enough that their force's few responses would not be anonymous to them.
"""

from __future__ import annotations

from collections import Counter

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Subquery
from django.utils import timezone

from ballotguard.accounts.models import Role, User
from ballotguard.engines.insights import survey as engine
from ballotguard.incidents.models import Incident
from ballotguard.registry.models import AreaForce, Candidate, Election, PoliceForce
from ballotguard.registry.services import NotPermitted
from ballotguard.survey.models import SurveyInvitation, SurveyResponse, SurveyWindow

from .models import SurveyFigures


def threshold() -> int:
    return int(getattr(settings, "BALLOTGUARD_SUPPRESSION_THRESHOLD", 5))


def min_respondents() -> int:
    return int(getattr(settings, "BALLOTGUARD_SURVEY_MIN_RESPONDENTS", 10))


def check_reader(user: User) -> None:
    if getattr(user, "role", None) != Role.ANALYST:
        raise NotPermitted("The candidates' survey figures are for Taskforce analysts.")


def _responses(election_ids: list[int]) -> tuple[list[engine.Response], dict[str, Counter]]:
    out, views = [], {"adviser_view": Counter(), "guidance_view": Counter()}
    for gender, party, region, force, election_type, answers in SurveyResponse.objects.filter(election_id__in=election_ids).values_list(
            "gender", "party", "region", "force", "election_type", "answers").iterator(chunk_size=2000):
        experiences = answers.get("experiences") or []
        reported_to = answers.get("reported_to") or []
        out.append(engine.Response(
            gender=gender, party=party, region=region, force=force, election_type=election_type, experienced=bool(experiences),
            online=any(e in engine.ONLINE for e in experiences), offline=any(e in engine.OFFLINE for e in experiences),
            reported_to_police="police" in reported_to, reported_anyone=bool(answers.get("reported")),
            avoided_alone="avoided_alone" in (answers.get("changes") or [])))
        for question in views:
            if answers.get(question):
                views[question][answers[question]] += 1
    return out, views


def _baselines(election_ids: list[int]) -> list[engine.ForceBaseline]:
    """Per police force (the primary force of the ballot's area, as a response keeps it): the
    surveyed elections' candidates and how many had at least one incident submitted in Ballotguard."""
    primary = AreaForce.objects.filter(area_id=OuterRef("ballot__area_id")).order_by("-is_primary", "force__code").values("force_id")[:1]
    reported = Incident.objects.filter(candidate_id=OuterRef("pk")).exclude(status=Incident.Status.DRAFT)
    rows = (Candidate.objects.filter(ballot__election_id__in=election_ids).annotate(force_id=Subquery(primary), has=Exists(reported))
            .values("force_id", "has").annotate(n=Count("pk")))
    by_force: dict[int, list[int]] = {}
    for row in rows:
        if row["force_id"] is None:
            continue
        tally = by_force.setdefault(row["force_id"], [0, 0])
        tally[0] += row["n"]
        if row["has"]:
            tally[1] += row["n"]
    forces = {f.pk: f for f in PoliceForce.objects.filter(pk__in=by_force)}
    return [engine.ForceBaseline(code=forces[pk].code, name=forces[pk].name, candidates=n, with_incident=x) for pk, (n, x) in by_force.items()]


def compute(election_ids: list[int]) -> dict:
    responses, views = _responses(election_ids)
    invited = SurveyInvitation.objects.filter(candidate__ballot__election_id__in=election_ids).count()
    return engine.figures(responses, invited=invited, baselines=_baselines(election_ids), views=views,
                          threshold=threshold(), min_respondents=min_respondents())


def refresh_survey_figures() -> int:
    """Recompute every surveyed election's figures and the pooled ones; returns how many rows."""
    surveyed = list(SurveyWindow.objects.order_by("election__date").values_list("election_id", "election__election_id"))
    now = timezone.now()
    rows = [SurveyFigures(key=election_id, payload={**compute([pk]), "elections": [election_id]}, computed_at=now) for pk, election_id in surveyed]
    if surveyed:
        rows.append(SurveyFigures(key=SurveyFigures.ALL, payload={**compute([pk for pk, _ in surveyed]), "elections": [e for _, e in surveyed]},
                                  computed_at=now))
    with transaction.atomic():
        SurveyFigures.objects.all().delete()
        SurveyFigures.objects.bulk_create(rows)
    return len(rows)


def figures_for(user: User, key: str | None) -> SurveyFigures:
    """The stored figures for one election (``key``: its id) or all (``None`` or "all"). Raises
    NotPermitted for anyone but an analyst and SurveyFigures.DoesNotExist when there are none."""
    check_reader(user)
    return SurveyFigures.objects.get(key=key or SurveyFigures.ALL)


def choices() -> list[tuple[str, str]]:
    """(key, label) of every stored survey, "all" first."""
    keys = set(SurveyFigures.objects.values_list("key", flat=True))
    out = [(SurveyFigures.ALL, "Every surveyed election")] if SurveyFigures.ALL in keys else []
    out += [(e.election_id, e.name) for e in Election.objects.filter(election_id__in=keys).order_by("-date", "name")]
    return out


def find_table(payload: dict, name: str) -> dict | None:
    return next((t for t in engine.tables_of(payload) if t["name"] == name), None)


def table_csv(stored: SurveyFigures, table: dict) -> str:
    """The table as CSV, exactly as displayed, with a provenance line (the same shape as the snapshots')."""
    from .services import csv_of

    scope = "every surveyed election" if stored.key == SurveyFigures.ALL else stored.key
    return csv_of(table, f"# {table['title']}. Candidates' survey, {scope}; figures as of {timezone.localtime(stored.computed_at):%Y-%m-%d %H:%M}; "
                         f"{engine.MARKER} = fewer than {stored.payload['threshold']}, or suppressed so a total cannot reveal one. OFFICIAL-SENSITIVE")


def record_export(actor, stored: SurveyFigures, table_name: str) -> None:
    from ballotguard.accounts.models import AuditEvent
    from ballotguard.accounts.services import audit

    audit(actor, AuditEvent.Action.EXPORT, "insights.survey", stored.key[:64], detail=f"table={table_name}")
