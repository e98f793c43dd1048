"""The national insights demo reproduces the Electoral Commission's 2024 patterns, labelled as demo data.

The plan (pure Python) is checked at full national size, which takes about a second; the database is
checked on an evenly spread subset of constituencies, to keep the tests quick.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest
from django.core.management import call_command

from ballotguard.demo import national
from ballotguard.engines.incidents.facts import Behaviour, IssueTag, Place, ProtectedCharacteristic

DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "uk"
needs_data = pytest.mark.skipif(
    national.skip_reason(DATA) is not None,
    reason=f"the national demo needs the reference data in {DATA} (../shared/data/uk), which is not here",
)


@pytest.fixture(scope="module")
def full_plan() -> national.Plan:
    return national.plan_national(national.load_reference(DATA), seed=2024)


@needs_data
def test_the_national_plan_mirrors_the_real_ge2024_and_ge2019_mix(full_plan):
    now = full_plan.summary(national.GE2024_ID)
    then = full_plan.summary(national.GE2019_ID)
    assert len(full_plan.seats) == 650
    assert now["candidates"] == 4515 and then["candidates"] == 3320
    assert now["by_gender"]["female"][0] == 1386  # the real count of women standing in 2024
    parties = Counter(c.party_name for c in full_plan.candidates if c.election_id == national.GE2024_ID)
    assert parties["Conservative and Unionist Party"] == 635 and parties["Reform UK"] == 609
    assert sum(c.elected for c in full_plan.candidates if c.election_id == national.GE2024_ID) == 650


@needs_data
def test_the_national_plan_shows_the_electoral_commission_patterns(full_plan):
    now = full_plan.summary(national.GE2024_ID)
    assert now["share_reporting"] == pytest.approx(0.55, abs=0.01)  # EC: 55 % reported harassment, abuse or intimidation
    assert now["share_serious"] == pytest.approx(0.13, abs=0.01)  # EC: 13 % serious
    assert now["crime_reference_share"] == pytest.approx(0.21, abs=0.03)  # EC: 21 % reported to the police
    women, men = now["by_gender"]["female"], now["by_gender"]["male"]
    assert women[1] / women[0] > men[1] / men[0] + 0.15  # women targeted disproportionately
    ratio = (women[2] / women[0]) / (men[2] / men[0])
    assert 1.5 <= ratio <= 2.1
    then = full_plan.summary(national.GE2019_ID)
    rise = (now["incidents"] / now["candidates"]) / (then["incidents"] / then["candidates"])
    assert rise > 1.3  # the "alarming rise"


@needs_data
def test_the_national_plan_varies_what_the_insights_break_down(full_plan):
    incidents = [i for i in full_plan.incidents if full_plan.candidates[i.candidate].election_id == national.GE2024_ID]
    assert {i.place for i in incidents} >= {p.value for p in (Place.ONLINE, Place.PHONE, Place.POST, Place.HUSTINGS, Place.HOME)}
    assert len({b for i in incidents for b in i.behaviours}) >= 12
    assert {t for i in incidents for t in i.issue_tags} == {t.value for t in IssueTag}
    assert {c for i in incidents for c in i.characteristics} >= {c.value for c in ProtectedCharacteristic} - {"transgender_identity"}
    assert len({i.platform for i in incidents if i.place == "online"}) >= 6
    assert {i.status for i in incidents} >= {"new", "triaged", "advice_given", "referred", "closed"}
    weeks = Counter(i.occurred_at.isocalendar()[1] for i in incidents)
    assert len(weeks) >= 6 and weeks[27] > weeks[21]  # across the campaign, more as polling day nears
    waiting_high = [i for i in incidents if i.status == "new" and i.risk_level == "high"]
    assert 1 <= len(waiting_high) <= 30  # a few high-risk reports still wait for triage
    # Women are targeted for their sex far more than men.
    by_gender = Counter((full_plan.candidates[i.candidate].gender, "sex" in i.characteristics) for i in incidents)
    assert by_gender[("female", True)] > 5 * by_gender[("male", True)]
    # Only the serious kinds reach HIGH, so "serious" and "high risk" count the same candidates.
    serious = {i.candidate for i in incidents if i.risk_level == "high"}
    assert len(serious) == round(0.13 * 4515)
    assert all(i.risk_level != "high" or Behaviour.ASSAULT.value in i.behaviours or Behaviour.THREAT_TO_KILL_OR_HARM.value in i.behaviours
               or Behaviour.THREAT_OF_SEXUAL_VIOLENCE.value in i.behaviours for i in incidents)


@needs_data
def test_coverage_differs_by_police_force(full_plan):
    seat_force = {s.code: s.force for s in full_plan.seats}
    per_force: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for c in full_plan.candidates:
        if c.election_id == national.GE2024_ID:
            per_force[seat_force[c.seat]][0] += 1
            per_force[seat_force[c.seat]][1] += any(a.outcome == "reached" for a in c.contacts)
    shares = sorted(reached / total for total, reached in per_force.values() if total >= 20)
    assert shares[0] < 0.35 and shares[-1] > 0.7


@needs_data
def test_the_plan_is_deterministic():
    ref = national.load_reference(DATA, constituencies=30)
    a, b = national.plan_national(ref, seed=7), national.plan_national(ref, seed=7)
    assert a.candidates == b.candidates and a.incidents == b.incidents and a.force_quality == b.force_quality
    c = national.plan_national(ref, seed=8)
    assert [x.name for x in c.candidates] != [x.name for x in a.candidates]


@needs_data
def test_a_subset_keeps_every_nation():
    ref = national.load_reference(DATA, constituencies=30)
    assert len(ref.seats) == 30 and {s.code[0] for s in ref.seats} == {"E", "N", "S", "W"}


@needs_data
@pytest.mark.django_db(transaction=False)
def test_build_national_writes_the_plan_labelled_as_demo_data(settings, tmp_path):
    from ballotguard.incidents.models import Incident, IncidentEvent
    from ballotguard.outreach.models import ContactAttempt, Invitation
    from ballotguard.registry.models import Area, Candidate, Election

    settings.VAR_DIR = tmp_path
    result = national.build_national(DATA, constituencies=30)
    plan = result.plan

    assert Area.objects.filter(area_type="constituency").count() == 30
    assert Area.objects.filter(area_type="constituency", hex_q__isnull=False).count() == 30
    for election_id in (national.GE2024_ID, national.GE2019_ID):
        assert "(demo data)" in Election.objects.get(election_id=election_id).name
    candidates = Candidate.objects.filter(ballot__election__election_id__in=[national.GE2024_ID, national.GE2019_ID])
    assert candidates.count() == len(plan.candidates)
    assert not candidates.exclude(person_id__startswith="demo-").exists()
    # Fake people hold contact details only when handed over with consent, and those reach nobody:
    # example.org addresses and Ofcom's drama range; never a home address.
    for c in candidates:
        handed = c.handed_over_at is not None and c.consent_to_share
        assert bool(c.email) == handed and (not c.phone or handed) and not (c.address or c.postcode)
        assert not c.email or c.email.endswith("@example.org")
        assert not c.phone or c.phone.startswith("+447700900")
    assert any(c.phone for c in candidates if c.handed_over_at) or not any(c.handed_over_at for c in candidates)

    incidents = list(Incident.objects.select_related("candidate").prefetch_related("forces"))
    assert len(incidents) == len(plan.incidents)
    assert all(i.description.startswith("DEMO DATA") for i in incidents)
    assert all(i.forces.all() for i in incidents)
    assert all(i.risk_rank == {"low": 1, "medium": 2, "high": 3}[i.risk_level] for i in incidents)
    assert len({i.data_key for i in incidents}) == len(incidents)  # erasing one never erases another
    assert all(e.text for e in IncidentEvent.objects.all()[:50])
    assert not Incident.objects.exclude(reported_by__username__startswith="demo-").exists()

    # The patterns hold in the database, not just in the plan.
    ge = [c for c in candidates if c.ballot.election.election_id == national.GE2024_ID]
    hit = Counter(i.candidate_id for i in incidents)
    share = sum(1 for c in ge if c.pk in hit) / len(ge)
    assert share == pytest.approx(0.55, abs=0.02)
    women = [c for c in ge if c.gender == "female"]
    men = [c for c in ge if c.gender == "male"]
    assert sum(hit[c.pk] for c in women) / len(women) > 1.3 * sum(hit[c.pk] for c in men) / len(men)
    old = [c for c in candidates if c.ballot.election.election_id == national.GE2019_ID]
    assert sum(hit[c.pk] for c in ge) / len(ge) > sum(hit[c.pk] for c in old) / len(old)

    assert ContactAttempt.objects.filter(outcome="reached").exists()
    assert Invitation.objects.filter(attended=True).exists()
    assert national.national_exists()


@needs_data
@pytest.mark.django_db
def test_demo_command_builds_the_national_demo_once(settings, tmp_path, capsys):
    from ballotguard.incidents.models import Incident

    settings.VAR_DIR = tmp_path
    call_command("demo", "--national-constituencies", "12")
    out = capsys.readouterr().out
    assert "National insights demo (DEMO DATA)" in out and "demo-feoa" in out
    count = Incident.objects.count()
    assert count > 8  # the hand-built eight and the national ones

    call_command("demo")  # a second run prints the logins only
    out = capsys.readouterr().out
    assert "already loaded" in out and "National insights demo" not in out
    assert Incident.objects.count() == count


@pytest.mark.django_db
def test_demo_command_says_why_the_national_demo_was_skipped(settings, tmp_path, capsys):
    from ballotguard.registry.models import Election

    settings.VAR_DIR = tmp_path
    call_command("demo", "--data-dir", str(tmp_path / "nowhere"))
    out = " ".join(capsys.readouterr().out.split())
    assert "National insights demo skipped: the reference data is not in" in out
    assert not Election.objects.filter(election_id=national.GE2019_ID).exists()
