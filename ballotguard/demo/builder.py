"""Builds the demo: real places, fake people (Faker en_GB), one user per role.

Everything is labelled as demo data. Contact details use addresses at example.org and Ofcom's drama
telephone ranges, so no demo record can ever reach a real person.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import random
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from faker import Faker
from uk_election_ids.election_ids import IdBuilder

from ballotguard.accounts.models import Role, User
from ballotguard.engines.common.names import slugify
from ballotguard.engines.candidates.operations import election_type_of, operation_for
from ballotguard.registry.models import Area, AreaForce, Ballot, Candidate, Delegation, Election, Party, PoliceForce

from . import places

GENERAL_ELECTION = dt.date(2024, 7, 4)
LOCAL_ELECTION = dt.date(2026, 5, 7)
LOGINS_FILE = "demo-logins.json"


@dataclass
class DemoLogin:
    role: str
    username: str
    password: str
    totp_secret: str = ""  # base32, for an authenticator app
    note: str = ""


def logins_path() -> Path:
    return Path(settings.VAR_DIR) / LOGINS_FILE


def load_logins() -> list[DemoLogin]:
    path = logins_path()
    if not path.exists():
        return []
    return [DemoLogin(**row) for row in json.loads(path.read_text())]


def _save_logins(logins: list[DemoLogin]) -> None:
    path = logins_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([login.__dict__ for login in logins], indent=2))
    os.chmod(path, 0o600)


def demo_exists() -> bool:
    return User.objects.filter(username__startswith="demo-").exists()


# ---------------------------------------------------------------------------------------------------
# Places and candidates


def build_places() -> None:
    forces = {code: PoliceForce.objects.update_or_create(code=code, defaults={"name": name, "nation": nation,
              "feoa_email": f"feoa@{slugify(name)}.police.example", "feoa_phone": "+442079460" + f"{i:03d}"})[0]
              for i, (code, name, nation) in enumerate(places.FORCES)}
    regions = {code: Area.objects.update_or_create(code=code, defaults={"name": name, "slug": slugify(name), "area_type": "region"})[0]
               for code, name in places.REGIONS}
    councils = {}
    for code, name, region, force in places.COUNCILS:
        council, _ = Area.objects.update_or_create(code=code, defaults={"name": name, "slug": slugify(name), "area_type": "council", "region": regions[region]})
        AreaForce.objects.update_or_create(area=council, force=forces[force], defaults={"population_share": 1.0, "is_primary": True})
        councils[code] = council
    for code, name, region, _council, shares in places.CONSTITUENCIES:
        area, _ = Area.objects.update_or_create(code=code, defaults={"name": name, "slug": slugify(name), "area_type": "constituency", "region": regions[region]})
        for i, (force, share) in enumerate(shares):
            AreaForce.objects.update_or_create(area=area, force=forces[force], defaults={"population_share": share, "is_primary": i == 0})
    for code, name, council in places.WARDS:
        ward, _ = Area.objects.update_or_create(code=code, defaults={"name": name, "slug": slugify(name), "area_type": "ward",
                                                                     "parent": councils[council], "region": councils[council].region})
        for link in councils[council].force_links.all():
            AreaForce.objects.update_or_create(area=ward, force=link.force, defaults={"population_share": 1.0, "is_primary": True})


def _election(election_id: str, date: dt.date, name: str, organisation: Area | None = None) -> Election:
    decision = operation_for(election_type_of(election_id), organisation.name if organisation else "")
    election, _ = Election.objects.update_or_create(
        election_id=election_id,
        defaults={"election_type": election_type_of(election_id), "date": date, "name": name,
                  "organisation": organisation, "operation": decision.operation.value,
                  # Nominations close 19 working days before polling day: about four weeks.
                  "nominations_close": date - dt.timedelta(days=26)},
    )
    return election


def build_candidates(fake: Faker, rng: random.Random) -> None:
    parties = {pid: Party.objects.update_or_create(party_id=pid, defaults={"name": name})[0] for pid, name, _ in places.PARTIES}
    nations = {code: nation for code, _, nation in places.FORCES}
    ge = _election("parl.2024-07-04", GENERAL_ELECTION, "UK Parliament general election 2024 (demo data)")
    for code, name, _region, council_code, shares in places.CONSTITUENCIES:
        nation = nations[shares[0][0]]
        ballot, _ = Ballot.objects.update_or_create(
            ballot_paper_id=IdBuilder("parl", GENERAL_ELECTION).with_division(name).ballot_id,
            defaults={"election": ge, "area": Area.objects.get(code=code), "council": Area.objects.get(code=council_code), "post_label": name},
        )
        standing = [parties[pid] for pid, _, only in places.PARTIES if only in (None, nation) and pid != "ynmp-party:2"]
        if rng.random() < 0.5:  # an independent stands in about half the seats
            standing.append(parties["ynmp-party:2"])
        _stand(fake, rng, ballot, standing)

    birmingham = Area.objects.get(code="E08000025")
    local = _election(f"local.birmingham.{LOCAL_ELECTION.isoformat()}", LOCAL_ELECTION, "Birmingham City Council elections 2026 (demo data)", birmingham)
    for code, name, _council in places.WARDS:
        ballot, _ = Ballot.objects.update_or_create(
            ballot_paper_id=IdBuilder("local", LOCAL_ELECTION).with_organisation("birmingham").with_division(name).ballot_id,
            defaults={"election": local, "area": Area.objects.get(code=code), "council": birmingham, "post_label": name, "seats_contested": 2},
        )
        standing = [parties[pid] for pid in ("PP53", "PP52", "PP90", "PP63", "PP7931")]
        _stand(fake, rng, ballot, standing + standing[:3])  # two candidates each for the main parties in 2-seat wards


def _stand(fake: Faker, rng: random.Random, ballot: Ballot, parties: list[Party]) -> None:
    for i, party in enumerate(parties):
        female = rng.random() < 0.31  # GE2024: 1,386 of 4,515 candidates were women
        name = f"{fake.first_name_female() if female else fake.first_name_male()} {fake.last_name()}"
        person_id = f"demo-{ballot.pk}-{i}"
        handed = rng.random() < 0.7
        consent = handed and rng.random() < 0.9
        local_part = slugify(name).replace("-", ".")
        Candidate.objects.update_or_create(
            ballot=ballot, person_id=person_id,
            defaults={
                "name": name, "party": party, "gender": "female" if female else "male",
                "email": f"{local_part}@example.org" if consent else "",
                "phone": f"+447700900{rng.randrange(1000):03d}" if consent else "",
                "address": f"{fake.building_number()} {fake.street_name()}\n{ballot.area.parent.name if ballot.area.parent else ballot.post_label}" if consent else "",
                "postcode": fake.postcode() if consent else "",
                "consent_to_share": consent,
                "handed_over_at": _handed_over_at(rng, ballot) if handed else None,
            },
        )


def _handed_over_at(rng: random.Random, ballot: Ballot) -> dt.datetime:
    """Returning officers hand over once nominations close: within four days of the close, and never
    later than now (an election still ahead has had no hand-over yet, so it gets the close itself)."""
    close = ballot.election.nominations_close or ballot.election.date - dt.timedelta(days=26)
    at = dt.datetime.combine(close, dt.time(9), tzinfo=dt.timezone.utc) + dt.timedelta(days=rng.randrange(0, 4), hours=rng.randrange(0, 9))
    return min(at, timezone.now())


# ---------------------------------------------------------------------------------------------------
# Users


def _user(username: str, role: str, first: str, last: str, *, forces=(), council=None, phone: str = "",
          is_force_lead: bool = False) -> tuple[User, str, str]:
    # ``ballotguard demo`` is a trusted bootstrap command run on the server, not a web route: it makes
    # users directly, where the web needs an access change approved by a second person (docs/security.md).
    password = secrets.token_urlsafe(12)
    user, _ = User.objects.update_or_create(
        username=username,
        defaults={"role": role, "first_name": first, "last_name": last, "email": f"{username}@example.org",
                  "council": council, "phone": phone, "is_staff": role == Role.ADMIN, "is_superuser": role == Role.ADMIN,
                  "is_force_lead": is_force_lead},
    )
    user.set_password(password)
    user.save()
    user.police_forces.set(forces)
    secret = ""
    if user.needs_mfa:
        TOTPDevice.objects.filter(user=user).delete()
        key = secrets.token_bytes(20)
        TOTPDevice.objects.create(user=user, name="Demo authenticator", key=key.hex(), confirmed=True)
        secret = base64.b32encode(key).decode("ascii")
    return user, password, secret


def build_users(feoa_force: str = "E23000014", second_force: str = "E23000001", council_code: str = "E08000025") -> list[DemoLogin]:
    forces = {f.code: f for f in PoliceForce.objects.all()}
    council = Area.objects.get(code=council_code)
    logins: list[DemoLogin] = []

    def add(role, username, first, last, note="", **kw):
        user, password, secret = _user(username, role, first, last, **kw)
        logins.append(DemoLogin(role=role, username=username, password=password, totp_secret=secret, note=note))
        return user

    add(Role.ADMIN, "demo-admin", "Ada", "Admin", note="imports, audit log, proposes access changes")
    add(Role.ADMIN, "demo-admin-2", "Ben", "Admin", note="second administrator: approves access changes")
    add(Role.FEOA, "demo-feoa", "Priya", "Shah", note=f"lead FEOA for {forces[feoa_force].name} (approves access changes there)",
        forces=[forces[feoa_force]], phone="+442079460100", is_force_lead=True)
    add(Role.FEOA, "demo-feoa-2", "Tom", "Okafor", note=f"FEOA for {forces[second_force].name}", forces=[forces[second_force]], phone="+442079460101")
    add(Role.ANALYST, "demo-analyst", "Morgan", "Reid", note="Defending Democracy Taskforce")
    add(Role.RETURNING_OFFICER, "demo-ro", "Sam", "Patel", note=f"returning officer, {council.name}", council=council)
    candidate_user = add(Role.CANDIDATE, "demo-candidate", "Jo", "Candidate", note="linked to a candidate below")
    staff_user = add(Role.STAFF, "demo-staff", "Lee", "Agent", note="agent for the demo candidate")

    candidacy = (Candidate.objects.filter(ballot__council=council, ballot__election__operation="bridger").order_by("id").first()
                 or Candidate.objects.filter(ballot__council=council).order_by("id").first())
    if candidacy is not None:
        candidacy.user = candidate_user
        candidacy.save(update_fields=["user"])
        # The account is the candidate's own: signed in under the name they stand under.
        first, _, last = candidacy.name.partition(" ")
        User.objects.filter(pk=candidate_user.pk).update(first_name=first, last_name=last)
        Delegation.objects.get_or_create(candidate=candidacy, staff=staff_user)
        logins[-2].note = f"candidate record: {candidacy.name}, {candidacy.ballot.post_label}"
    _save_logins(logins)
    return logins


@transaction.atomic
def build_demo(seed: int = 2024) -> list[DemoLogin]:
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    build_places()
    build_candidates(fake, rng)
    logins = build_users()
    from .incidents import build_incidents
    from .messages import build_messages

    build_incidents(fake, rng)
    build_messages(rng, Candidate.objects.filter(user__username="demo-candidate").first())
    from .companion import build_companion

    build_companion(rng)
    from .sharing import build_sharing

    build_sharing()
    return logins
