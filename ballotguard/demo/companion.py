"""Demo outreach and safety records, so the FEOA's worklist, briefings and coverage figures and the
candidate's safety pages mean something on first run.

The demo FEOA (West Midlands Police) has reached about half of the candidates whose details were
handed over, at various delays after nominations closed; the rest wait on the worklist, oldest
first. One group briefing for Birmingham's local candidates is next week (invitations sent, some
answered) and one was last month (attendance recorded). The demo candidate has a safety plan and has
signed the civility pledge. Everything is fiction.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from ballotguard.accounts.models import User
from ballotguard.accounts.services import Actor
from ballotguard.engines.candidates.safety_plan import Campaigning, HomeAddress, PlanAnswers, Visibility
from ballotguard.outreach import services as outreach
from ballotguard.outreach.models import ContactAttempt, Invitation, Topic
from ballotguard.registry.models import Candidate, Election, PoliceForce
from ballotguard.safety import services as safety


def build_companion(rng: random.Random, feoa_username: str = "demo-feoa") -> None:
    feoa = User.objects.filter(username=feoa_username).first()
    if feoa is None:
        return
    actor = Actor.cli(feoa)
    now = timezone.now()
    handed = list(outreach.worklist(feoa))
    for candidate in handed:
        if rng.random() < 0.5:
            continue
        close = candidate.ballot.election.nominations_close
        start = timezone.make_aware(dt.datetime.combine(close, dt.time(10))) if close else now - dt.timedelta(days=20)
        reached = min(start + dt.timedelta(days=rng.choice([1, 2, 3, 5, 8, 13]), hours=rng.randrange(8)), now - dt.timedelta(hours=1))
        if rng.random() < 0.3:  # a first try that failed
            outreach.record_contact_attempt(actor, candidate, method=ContactAttempt.Method.PHONE, outcome=ContactAttempt.Outcome.NO_ANSWER,
                                            at=reached - dt.timedelta(days=1), next_step="Try again tomorrow evening")
        outreach.record_contact_attempt(actor, candidate, method=rng.choice([ContactAttempt.Method.PHONE, ContactAttempt.Method.EMAIL]),
                                        outcome=ContactAttempt.Outcome.REACHED, at=reached, next_step="Invite to the next group briefing")

    force = PoliceForce.objects.filter(code="E23000014").first()
    local = Election.objects.filter(election_id__startswith="local.birmingham.").first()
    if force is not None and local is not None:
        upcoming = outreach.create_briefing(actor, force=force, title="Personal safety briefing for Birmingham candidates (demo)",
                                            kind="group", format="in_person", starts_at=now + dt.timedelta(days=7),
                                            location="Demo venue: Council House committee room 2",
                                            topics=[Topic.PERSONAL_SAFETY, Topic.ONLINE_SAFETY, Topic.THE_COUNT, Topic.REPORTING])
        outreach.invite_council(actor, upcoming, "E08000025", local.election_id)
        for invitation in Invitation.objects.filter(briefing=upcoming).select_related("candidate")[:6]:
            invitation.status = rng.choice([Invitation.Status.ACCEPTED, Invitation.Status.ACCEPTED, Invitation.Status.DECLINED])
            invitation.responded_at = now - dt.timedelta(hours=rng.randrange(1, 48))
            invitation.save(update_fields=["status", "responded_at"])

    home = Candidate.objects.filter(user__username="demo-candidate").first()
    if home is not None and home.user is not None:
        me = Actor.cli(home.user)
        safety.save_plan(me, home, PlanAnswers(
            home_address=HomeAddress.WITHHELD, lives_alone=True, children_at_home=False, public_office=True,
            online_visibility=Visibility.HIGH, campaigning=Campaigning.SOMETIMES_ALONE, past_incidents=True,
        ))
        safety.sign_pledge(me, home, listed=True)
