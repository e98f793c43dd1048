"""A candidate's abuse timeline: messages received, flagged and threatening, per week."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ballotguard.accounts.models import Role, User
from ballotguard.engines.insights.charts import weekly_series
from ballotguard.registry.models import Candidate
from ballotguard.registry.services import candidates_visible_to

from ..models import Message

SERIES = (
    ("received", gettext_lazy("Messages received")), ("flagged", gettext_lazy("Flagged as abusive or threatening")),
    ("threats", gettext_lazy("Threats")),
)


def timeline_candidates(user: User) -> QuerySet[Candidate]:
    """Whose timeline the user may see: their own (and delegated) candidacies, their force's
    candidates for a FEOA, and any candidate for an analyst (shown by pseudonym, not name)."""
    if user.is_authenticated and user.role == Role.ANALYST:
        return Candidate.objects.select_related("ballot__area", "ballot__election")
    if user.is_authenticated and user.role in {Role.CANDIDATE, Role.STAFF, Role.FEOA}:
        return candidates_visible_to(user)
    return Candidate.objects.none()


def weekly_counts(candidate: Candidate) -> list[dict]:
    """One row per week from the first message to the last, weeks with none included as zeros (a gap
    in a line chart would hide a quiet week, which is news too)."""
    rows = (
        Message.objects.filter(candidate=candidate).annotate(week=TruncWeek("sent_at")).values("week")
        .annotate(received=Count("id"), flagged=Count("id", filter=~Q(review=Message.Review.NOT_FLAGGED) & Q(scored_at__isnull=False)),
                  threats=Count("id", filter=Q(is_threat=True)))
        .order_by("week")
    )
    by_week = {_as_date(r["week"]): r for r in rows}
    if not by_week:
        return []
    out = []
    week, last = min(by_week), max(by_week)
    while week <= last:
        r = by_week.get(week, {})
        out.append({"week": week.isoformat(), "received": r.get("received", 0), "flagged": r.get("flagged", 0), "threats": r.get("threats", 0)})
        week += timedelta(days=7)
    return out


def _as_date(value) -> date:
    return value.date() if hasattr(value, "date") else value


def timeline_chart(candidate_label: str, rows: list[dict]) -> dict:
    total = sum(r["received"] for r in rows)
    flagged = sum(r["flagged"] for r in rows)
    return weekly_series(
        rows, x="week", series=[(key, str(label)) for key, label in SERIES],
        title=_("Messages to %(label)s, per week") % {"label": candidate_label},
        description=_("Line chart of messages received, flagged and threatening per week: %(total)s received, %(flagged)s flagged in %(weeks)s weeks.")
        % {"total": total, "flagged": flagged, "weeks": len(rows)},
    )
