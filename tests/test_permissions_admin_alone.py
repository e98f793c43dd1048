"""One administrator alone reaches no incident, message or contact detail by any route (issue 14).

Every page route, every API operation and every Django admin page is requested as an administrator,
with each path parameter filled with the ids of the records that hold the secrets (and GET and an
empty POST for each), and no response may contain any of them. Then the attack from the issue is
tried: making oneself, or a new account, a police adviser without a second person.
"""

from __future__ import annotations

import io
import re

import pytest
from django.contrib import admin as django_admin
from django.urls import URLPattern, URLResolver, get_resolver

from ballotguard.accounts import access
from ballotguard.accounts.models import AccessChange, User
from ballotguard.accounts.services import Actor
from conftest import signed_in_client

DESCRIPTION = "threatened at the Zanzibar-77 depot"
HANDLE = "@Sentinel_Troll_99"
MESSAGE = "we will find you quokka-31 tonight"
WHERE = "Canvassing Wombat-42 Close"
SURVEY_COMMENT = "the platypus-55 incident at the count"
CONTACT = [WHERE, "buddy.sentinel@example.org", "carol.sentinel@example.org", "+447700900123", "07700 900123", "7700900123", "1 Test Street", "B25 8AA"]
SECRETS = [DESCRIPTION, "Zanzibar-77", HANDLE, "Sentinel_Troll_99", MESSAGE, "quokka-31", "shot-sentinel.png", *CONTACT, "platypus-55"]


@pytest.fixture
def secrets_world(world):
    from ballotguard.incidents import services as incidents
    from ballotguard.incidents.tests.conftest import PNG, report_input
    from ballotguard.monitoring.models import Message
    from ballotguard.monitoring.services import ingest_file
    from ballotguard.registry.models import SocialHandle

    carol = world.candidates.yardley_1
    carol.email = "carol.sentinel@example.org"  # the world's address is also a substring of a username's
    carol.save()
    incident, _ = incidents.report(Actor(user=world.users.candidate),
                                   report_input(carol, description=DESCRIPTION, observables={"handle": HANDLE}))
    evidence = incidents.add_evidence(Actor(user=world.users.candidate), incident, "shot-sentinel.png", [PNG], len(PNG))
    handle = SocialHandle.objects.create(candidate=carol, platform="x", handle="carol_mp")
    line = ('{"platform": "x", "message_id": "1", "text": "%s", "sent_at": "2025-04-01T10:00:00Z", "mentions": ["carol_mp"]}' % MESSAGE).encode()
    ingest_file(Actor.cli(), io.BytesIO(line), "m.jsonl")
    world.incident, world.evidence, world.handle, world.message = incident, evidence, handle, Message.objects.get()
    # A check-in escalated to the force: where the candidate went and their buddy's address.
    import datetime as dt

    from django.utils import timezone

    from ballotguard.checkins import services as checkins

    world.checkin = checkins.start(Actor(user=world.users.candidate), checkins.CheckInInput(
        where=WHERE, expected_end=timezone.now() + dt.timedelta(hours=2), buddy_name="Bud", buddy_email="buddy.sentinel@example.org",
        escalate_to_feoa=True, candidacy_id=carol.pk))
    # A survey response with a comment (issue 17): free text nobody reads through a page or the API.
    from ballotguard.survey import services as survey
    from ballotguard.survey.models import SurveyWindow

    SurveyWindow.objects.create(election=world.elections.ge, closes_on=timezone.localdate() + dt.timedelta(days=10))
    survey.submit(Actor(user=world.users.candidate), carol.pk, {
        "experiences": ["verbal"], "reported": "no", "adviser_view": "helpful", "guidance_view": "helpful", "comment": SURVEY_COMMENT})
    return world


def _int_ids(w) -> list[int]:
    from ballotguard.registry.models import Candidate

    ids = {c.pk for c in Candidate.objects.all()} | {w.incident.pk, w.evidence.pk, w.handle.pk, w.message.pk, w.checkin.pk}
    ids |= set(User.objects.values_list("pk", flat=True))
    ids |= {w.elections.ge.pk, w.elections.local.pk}
    ids |= set(w.incident.tasks.values_list("pk", flat=True))  # the checklist's task pages and API
    return sorted(ids)


def _values(name: str, converter: str, w) -> list[str]:
    if name == "reference":
        return [w.incident.reference]
    if name == "force":  # a police force's code (the case clock targets)
        from ballotguard.registry.models import PoliceForce

        return list(PoliceForce.objects.values_list("code", flat=True))
    if name == "election_id":
        return [w.elections.ge.election_id, w.elections.local.election_id]
    if converter in {"int", "integer"} or name.endswith("id") or name in {"pk", "revision"}:
        return [str(i) for i in _int_ids(w)]
    return ["x"]


def _page_paths(w) -> list[str]:
    paths: list[str] = []

    def walk(patterns, prefix: str):
        for p in patterns:
            if isinstance(p, URLResolver):
                route = str(p.pattern)
                if route.startswith(("django-admin", "api/v1")):
                    continue
                walk(p.url_patterns, prefix + route)
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if route.startswith(("sign-out", "account/set-password")):
                    continue
                expanded = [route]
                for conv, name in re.findall(r"<(?:(\w+):)?(\w+)>", route):
                    token = f"<{conv + ':' if conv else ''}{name}>"
                    expanded = [e.replace(token, v, 1) for e in expanded for v in _values(name, conv, w)]
                paths.extend("/" + e for e in expanded)

    walk(get_resolver().url_patterns, "")
    return sorted(set(paths))


def _api_paths(w) -> list[tuple[str, str]]:
    from ballotguard.api import api

    out = []
    for path, operations in api.get_openapi_schema()["paths"].items():
        expanded = [path]
        for name in re.findall(r"{(\w+)}", path):
            expanded = [e.replace("{" + name + "}", v) for e in expanded for v in _values(name, "", w)]
        for method in operations:
            out += [(method.upper(), e) for e in expanded]
    return sorted(set(out))


def _leaks(content: bytes) -> list[str]:
    text = content.decode("utf-8", "replace")
    return [s for s in SECRETS if s in text]


def test_an_administrator_alone_reads_no_incident_message_or_contact_detail(secrets_world):
    w = secrets_world
    client = signed_in_client(w.users.admin)
    leaks: dict[str, list[str]] = {}
    seen = 0
    for path in _page_paths(w):
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            seen += 1
            if found := _leaks(response.content):
                leaks[f"{method.upper()} {path}"] = found
    for method, path in _api_paths(w):
        if method == "DELETE" and "/tokens/" in path:
            continue
        response = client.generic(method, path, "{}", content_type="application/json")
        seen += 1
        if found := _leaks(response.content):
            leaks[f"API {method} {path}"] = found
    for model, model_admin in django_admin.site._registry.items():
        meta = model._meta
        base = f"/django-admin/{meta.app_label}/{meta.model_name}/"
        paths = [base, base + "?q=a", base + "add/"]
        paths += [f"{base}{pk}/change/" for pk in model.objects.values_list("pk", flat=True)[:50]]
        for path in paths:
            response = client.get(path)
            seen += 1
            if found := _leaks(response.content):
                leaks[f"ADMIN {path}"] = found
    assert seen > 500
    assert leaks == {}

    # The same routes as the incident's own force adviser do show the secrets: the probe can fail.
    feoa = signed_in_client(w.users.feoa_wmp)
    assert DESCRIPTION in feoa.get(f"/incidents/{w.incident.reference}/").content.decode()
    assert WHERE in signed_in_client(w.users.candidate).get(f"/checkins/{w.checkin.pk}/").content.decode()


def test_the_attack_from_the_issue_fails_without_a_second_person(secrets_world):
    w = secrets_world
    admin = w.users.admin
    client = signed_in_client(admin)
    # 1. Django admin: create a FEOA, or make oneself one.
    client.post("/django-admin/accounts/user/add/", {"username": "mole", "password1": "Zz-very-long-pass-1", "password2": "Zz-very-long-pass-1", "role": "feoa"})
    client.post(f"/django-admin/accounts/user/{admin.pk}/change/", {"username": "admin", "role": "feoa", "police_forces": [w.forces.wmp.pk]})
    assert not User.objects.filter(username="mole").exists()
    admin.refresh_from_db()
    assert admin.role == "admin" and not admin.police_forces.exists()
    # 2. The access-change pages: propose a FEOA account, then approve it oneself (page and API).
    client.post("/access/propose/user", {"username": "mole", "email": "mole@example.org", "role": "feoa",
                                         "forces": [w.forces.wmp.pk], "reason": "x"})
    change = AccessChange.objects.get(username="mole")
    client.post(f"/access/{change.pk}/", {"decision": "approve"})
    client.post(f"/api/v1/access-changes/{change.pk}/approve", {}, content_type="application/json")
    assert not User.objects.filter(username="mole").exists()
    # 3. A proposal about oneself is refused outright.
    with pytest.raises(access.AccessChangeError):
        access.propose_grant(Actor(user=admin), access.Grant(username="admin", role="feoa", forces=(w.forces.wmp,)), "x")
    assert DESCRIPTION not in client.get(f"/incidents/{w.incident.reference}/").content.decode()


def test_suspending_a_force_lead_does_not_let_one_administrator_open_police_data(secrets_world):
    """Suspending is one person's act (it removes access); it must not become a way round the second
    person: with the force's lead suspended, the FEOA grant still needs someone other than its proposer."""
    from conftest import make_user

    w = secrets_world
    admin = w.users.admin
    lead = make_user("wmp-lead", "feoa", forces=[w.forces.wmp])
    lead.is_force_lead = True
    lead.save(update_fields=["is_force_lead"])
    client = signed_in_client(admin)
    assert client.post("/access/suspend", {"username": "wmp-lead", "reason": "x"}).status_code == 302
    client.post("/access/propose/user", {"username": "mole", "email": "mole@example.org", "role": "feoa",
                                         "forces": [w.forces.wmp.pk], "reason": "x"})
    change = AccessChange.objects.get(username="mole")
    client.post(f"/access/{change.pk}/", {"decision": "approve"})
    client.post(f"/api/v1/access-changes/{change.pk}/approve", {}, content_type="application/json")
    assert not User.objects.filter(username="mole").exists()
    with pytest.raises(access.AccessChangeError):
        access.suspend(Actor(user=admin), "admin", "x")  # nor does anyone suspend themselves
    assert DESCRIPTION not in client.get(f"/incidents/{w.incident.reference}/").content.decode()
