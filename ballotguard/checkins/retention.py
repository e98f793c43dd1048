"""Check-ins' retention rule (declared here, registered in ``apps.py``; see ``ballotguard.core.retention``).

Check-in locations (``checkin_locations_days``, from check-out or cancellation)
    ``services.purge_locations``: the check-in's data key is destroyed and where they went and the
    buddy's e-mail and phone blanked, in batches of ``core.BATCH``, one transaction each. Check-ins still open are never touched (and
    are counted).
"""

from __future__ import annotations

import datetime as dt

from ballotguard.core import retention as core

from .models import CheckIn
from .services import locations_to_purge, purge_locations

LOCATIONS = "checkin_locations"


def checkins_to_purge(now: dt.datetime, days: int):
    return locations_to_purge(now - dt.timedelta(days=days))


def _erase_locations(run: core.Run, days: int) -> None:
    run.report.add("checkins_still_open", CheckIn.objects.filter(status__in=CheckIn.OPEN).count())
    checkins = checkins_to_purge(run.now, days)
    with_key = checkins.exclude(data_key="").count()
    if run.dry_run:
        run.report.add("checkin_locations_erased", checkins.count())
        run.report.add(core.DATA_KEYS.name, with_key)
        return
    # The whole run writes one audit event: the purge does not write its own.
    run.report.add("checkin_locations_erased",
                   purge_locations(run.now - dt.timedelta(days=days), run.now, audited=False, progress=run.progress))
    run.report.add(core.DATA_KEYS.name, with_key)


RULES = (
    core.Rule(
        name=LOCATIONS,
        covers="where people went on a check-in, and their buddy's e-mail and phone",
        action=core.ERASE,
        apply=_erase_locations,
        period="checkin_locations_days", default_days=7,
        period_text="check-in locations {days} after check-out",
        counts=(
            core.Count("checkin_locations_erased", "checkins", "Check-in locations and buddy contacts erased"),
            core.Count("checkins_still_open", "k_open_ci", "Check-ins still open (never touched)"),
        ),
        audit_fields=("checkin_locations",),
    ),
)
HOLDS = ()
