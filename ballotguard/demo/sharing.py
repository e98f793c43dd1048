"""Demo: a partner's STIX bundle, imported by the demo FEOA (issue 17's sharing with partners).

A partner force's analysts (in their OpenCTI) put two details in one observation: the phone number
from the overdue canvassing assault and the car outside the demo candidate's house. Importing it links
those two reports, which share nothing themselves, and flags them; its page is under "Partners' bundles".
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ballotguard.accounts.models import User
from ballotguard.accounts.services import Actor
from ballotguard.engines.incidents.observables import normalise_observable
from ballotguard.engines.incidents.sharing import Package, PackageKind, SharedCase, SharedObservable, Tlp, to_stix_json

PARTNER = "Partner force (OpenCTI)"


def _observable(kind: str, raw: str) -> SharedObservable:
    obs = normalise_observable(kind, raw)
    return SharedObservable(obs.kind, value=obs.value, display=obs.display)


def partner_bundle(now: dt.datetime) -> str:
    """What the partner sent: one observation of two details, and a web address of their own."""
    seen = now - dt.timedelta(days=3)
    return to_stix_json(Package(
        PackageKind.INCIDENT, "PARTNER-0001", "Partner force intelligence unit", Tlp.AMBER, now,
        (SharedCase("PARTNER-0001", seen, seen, (_observable("phone", "07700 900 461"), _observable("vehicle", "FD19 KXR"))),
         SharedCase("PARTNER-0002", seen, seen, (_observable("url", "https://example.net/watch-list"),))),
        identified=True,
    ))


def build_sharing(feoa_username: str = "demo-feoa") -> int:
    """Import the partner's bundle as the demo FEOA; returns how many incidents it matched."""
    from ballotguard.sharing.services import import_bundle

    feoa = User.objects.filter(username=feoa_username).first()
    if feoa is None:
        return 0
    record = import_bundle(Actor.cli(feoa), partner_bundle(timezone.now().replace(microsecond=0)).encode(), PARTNER)
    return record.matched_incidents
