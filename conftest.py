"""Fixtures shared by every test: a small registry world with one user per role.

The world has three police forces, a constituency that spans two of them (Cities of London and
Westminster: Metropolitan Police primary, City of London Police secondary), a single-force
constituency, a local election with wards, and candidates in each.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ballotguard.accounts.models import User
from ballotguard.registry.models import Area, AreaForce, Ballot, Candidate, Delegation, Election, Party, PoliceForce

PASSWORD = "correct-horse-battery-staple"


def make_user(username: str, role: str, *, forces=(), council=None, mfa: bool = True) -> User:
    user = User.objects.create_user(
        username=username, password=PASSWORD, role=role, first_name=username.title(), last_name="Tester",
        email=f"{username}@example.org", is_staff=role == "admin", is_superuser=role == "admin",
    )
    if forces:
        user.police_forces.set(forces)
    if council is not None:
        user.council = council
        user.save(update_fields=["council"])
    if mfa and user.needs_mfa:
        TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return user


def signed_in_client(user: User, client: Client | None = None) -> Client:
    """A test client signed in as the user, past the second factor where their role needs one."""
    client = client or Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def world(db):
    met = PoliceForce.objects.create(code="E23000001", name="Metropolitan Police", nation="England")
    city = PoliceForce.objects.create(code="E23000034", name="London, City of", nation="England")
    wmp = PoliceForce.objects.create(code="E23000014", name="West Midlands", nation="England")

    london = Area.objects.create(code="E12000007", name="London", slug="london", area_type="region")
    wm_region = Area.objects.create(code="E12000005", name="West Midlands", slug="west-midlands", area_type="region")
    westminster = Area.objects.create(code="E09000033", name="Westminster", slug="westminster", area_type="council", region=london)
    birmingham = Area.objects.create(code="E08000025", name="Birmingham", slug="birmingham", area_type="council", region=wm_region)
    clw = Area.objects.create(code="E14001172", name="Cities of London and Westminster", slug="cities-of-london-and-westminster", area_type="constituency", region=london)
    yardley = Area.objects.create(code="E14001100", name="Birmingham Yardley", slug="birmingham-yardley", area_type="constituency", region=wm_region)
    ward = Area.objects.create(code="E05011185", name="Yardley East", slug="yardley-east", area_type="ward", parent=birmingham, region=wm_region)
    AreaForce.objects.create(area=clw, force=met, population_share=0.94, is_primary=True)
    AreaForce.objects.create(area=clw, force=city, population_share=0.06, is_primary=False)
    for area in (yardley, ward, birmingham):
        AreaForce.objects.create(area=area, force=wmp, population_share=1.0, is_primary=True)
    AreaForce.objects.create(area=westminster, force=met, population_share=1.0, is_primary=True)

    ge = Election.objects.create(election_id="parl.2024-07-04", election_type="parl", date=dt.date(2024, 7, 4), name="UK Parliament general election 2024", operation="bridger")
    local = Election.objects.create(election_id="local.birmingham.2026-05-07", election_type="local", date=dt.date(2026, 5, 7), name="Birmingham City Council elections 2026", organisation=birmingham, operation="ford")
    b_clw = Ballot.objects.create(ballot_paper_id="parl.cities-of-london-and-westminster.2024-07-04", election=ge, area=clw, council=westminster, post_label=clw.name)
    b_yardley = Ballot.objects.create(ballot_paper_id="parl.birmingham-yardley.2024-07-04", election=ge, area=yardley, council=birmingham, post_label=yardley.name)
    b_ward = Ballot.objects.create(ballot_paper_id="local.birmingham.yardley-east.2026-05-07", election=local, area=ward, council=birmingham, post_label=ward.name, seats_contested=2)

    lab = Party.objects.create(party_id="PP53", name="Labour Party")
    con = Party.objects.create(party_id="PP52", name="Conservative and Unionist Party")
    grn = Party.objects.create(party_id="PP63", name="Green Party")

    c_clw_1 = Candidate.objects.create(ballot=b_clw, person_id="1001", name="Alice Archer", party=lab, gender="female")
    c_clw_2 = Candidate.objects.create(ballot=b_clw, person_id="1002", name="Bob Baker", party=con, gender="male")
    c_yardley_1 = Candidate.objects.create(ballot=b_yardley, person_id="2001", name="Carol Cooper", party=lab, gender="female",
                                           email="carol@example.org", phone="+447700900123", address="1 Test Street\nBirmingham", postcode="B25 8AA",
                                           consent_to_share=True, handed_over_at=timezone.now())
    c_yardley_2 = Candidate.objects.create(ballot=b_yardley, person_id="2002", name="Dan Davies", party=grn, gender="male")
    c_ward_1 = Candidate.objects.create(ballot=b_ward, person_id="3001", name="Erin Evans", party=grn, gender="female")

    feoa_met = make_user("feoa-met", "feoa", forces=[met])
    feoa_city = make_user("feoa-city", "feoa", forces=[city])
    feoa_wmp = make_user("feoa-wmp", "feoa", forces=[wmp])
    ro_westminster = make_user("ro-westminster", "returning_officer", council=westminster)
    ro_birmingham = make_user("ro-birmingham", "returning_officer", council=birmingham)
    candidate_user = make_user("candidate-carol", "candidate")
    c_yardley_1.user = candidate_user
    c_yardley_1.save(update_fields=["user"])
    staff_user = make_user("staff-sam", "staff")
    Delegation.objects.create(candidate=c_yardley_1, staff=staff_user)
    analyst = make_user("analyst", "analyst")
    admin = make_user("admin", "admin")

    return SimpleNamespace(
        forces=SimpleNamespace(met=met, city=city, wmp=wmp),
        areas=SimpleNamespace(clw=clw, yardley=yardley, ward=ward, westminster=westminster, birmingham=birmingham, london=london),
        elections=SimpleNamespace(ge=ge, local=local),
        ballots=SimpleNamespace(clw=b_clw, yardley=b_yardley, ward=b_ward),
        parties=SimpleNamespace(lab=lab, con=con, grn=grn),
        candidates=SimpleNamespace(clw_1=c_clw_1, clw_2=c_clw_2, yardley_1=c_yardley_1, yardley_2=c_yardley_2, ward_1=c_ward_1),
        users=SimpleNamespace(
            feoa_met=feoa_met, feoa_city=feoa_city, feoa_wmp=feoa_wmp, ro_westminster=ro_westminster,
            ro_birmingham=ro_birmingham, candidate=candidate_user, staff=staff_user, analyst=analyst, admin=admin,
        ),
    )


@pytest.fixture
def client_as():
    """``client_as(user)`` → a Django test client signed in (with second factor) as that user."""
    return signed_in_client


@pytest.fixture(autouse=True)
def _evidence_root(settings, tmp_path):
    """Each test keeps its sealed evidence files, and its data keys, in its own folders."""
    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    settings.BALLOTGUARD_KEYSTORE_DIR = tmp_path / "keystore"
    (tmp_path / "keystore").mkdir(mode=0o700)


@pytest.fixture(autouse=True)
def _sms_outbox():
    """Text messages sent by a test (the test settings use LocmemSMS), emptied around each test like
    Django's mail outbox."""
    from ballotguard.checkins.notify import LocmemSMS

    LocmemSMS.outbox.clear()
    yield
    LocmemSMS.outbox.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """A Welsh page a test requests leaves Welsh active in this thread (LocaleMiddleware activates the
    request's language and nothing resets it); without this, a later test that starts a check-in through
    the service, not a request, would record it as started in Welsh."""
    from django.utils import translation

    yield
    translation.deactivate()
