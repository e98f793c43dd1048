"""`ballotguard demo` builds a world in which every screen has something to show."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from ballotguard.incidents.models import Incident, IncidentLink
from ballotguard.registry.models import Candidate

pytestmark = pytest.mark.django_db


def test_demo_builds_logins_and_incidents_for_the_case_queue(settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    call_command("demo", "--no-national")
    out = capsys.readouterr().out
    assert "demo-feoa" in out and (tmp_path / "demo-logins.json").exists()
    assert Candidate.objects.filter(user__username="demo-candidate").exists()

    incidents = list(Incident.objects.all())
    assert len(incidents) == 8
    assert [i for i in incidents if i.triage_overdue and i.effective_risk == "high"]  # the red clock
    mine = Incident.objects.filter(candidate__user__username="demo-candidate")
    assert mine.count() == 3 and mine.filter(evidence__isnull=False).exists()
    # A phone number links a West Midlands report to one in the Met: a link across forces.
    crossing = [link for link in IncidentLink.objects.all()
                if set(link.first.forces.values_list("code", flat=True)) != set(link.second.forces.values_list("code", flat=True))]
    assert crossing
    # Case clocks: the demo's lead FEOA has a late triage on their breach list.
    from ballotguard.accounts.models import User
    from ballotguard.accounts.services import Actor
    from ballotguard.incidents.services import clocks
    from ballotguard.insights.services import breaches, refresh_snapshots

    lead = User.objects.get(username="demo-feoa")
    assert lead.is_force_lead
    refresh_snapshots(trigger="test")  # `make run` refreshes every 5 minutes
    rows, total, _ = breaches(Actor(user=lead), clocks.lead_forces(lead).first())
    assert total >= 2 and any(m["clock"] == "triage" and m["state"] == "missed" for r in rows for m in r.missed)
    assert Incident.objects.filter(first_contact_at__isnull=False).exists()
    # A partner's STIX bundle (issue 17) names the overdue report's phone and the car at the demo
    # candidate's house in one observation: the two reports are matched and linked by it.
    from ballotguard.sharing.models import PartnerImport

    partner = PartnerImport.objects.get()
    assert partner.matched_incidents >= 2 and partner.links_made >= 1 and partner.tlp == "amber"
    # Every report has its checklist, dated from when it was sent; the doorstep one shows progress.
    assert all(i.tasks.exists() for i in incidents)
    assert all(t.due_at > t.incident.submitted_at for i in incidents for t in i.tasks.select_related("incident"))
    doorstep = next(i for i in mine if "turning_up_at_home" in i.behaviours)
    states = sorted(doorstep.tasks.values_list("state", flat=True))
    assert states.count("done") == 2 and states.count("not_applicable") == 1 and "open" in states
    # Three reports name Facebook's home page, which is on the warning list: it links none of them.
    from ballotguard.core.matching import keyed_hash
    from ballotguard.engines.incidents.observables import normalise_observable
    from ballotguard.incidents.models import Observable

    facebook = keyed_hash("observable", normalise_observable("url", "https://www.facebook.com/").match_key)
    assert Observable.objects.filter(match_hash=facebook).count() == 3
    assert not IncidentLink.objects.filter(match_hash=facebook).exists()
    call_command("demo", "--no-national")  # a second run changes nothing
    assert Incident.objects.count() == 8

    # Dates and names that agree with each other (issue 16, point 8): hand-overs follow the close of
    # nominations of their own election, and the demo candidate signs in under the name they stand as.
    import datetime as dt

    handed = Candidate.objects.filter(handed_over_at__isnull=False).select_related("ballot__election")
    assert handed.exists()
    for c in handed:
        close = c.ballot.election.nominations_close
        assert close <= c.handed_over_at.date() <= close + dt.timedelta(days=4), (c.ballot.election.election_id, c.handed_over_at)
    demo = Candidate.objects.select_related("user").get(user__username="demo-candidate")
    assert demo.user.get_full_name() == demo.name
