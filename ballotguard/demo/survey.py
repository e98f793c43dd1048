"""The candidates' survey in the demo (issue 17): the 2024 general election's survey, with responses
from the fake national candidates, so the insights survey page, the briefing pack's survey page and
the demo candidate's home-page invitation all have something to show. All of it DEMO DATA.

How the responses are made
    About 45% of GE2024's candidates respond (the demo candidate never does: their invitation stays
    open so the home page shows it). A respondent with an incident in Ballotguard says they experienced
    harassment, abuse or intimidation; one without says so with a probability that differs by police
    force (25% to 60%), which is the under-reporting the survey exists to measure. Because the national
    demo's incidents already reproduce the Electoral Commission's 55% of candidates, the survey shows
    more than that (about 75%): the ratio by force is the point of the demo, not the level. Of those
    who experienced something, 21% told the police (the Commission's figure); 56% of women and 19% of
    men avoided campaigning alone (the Commission's May 2024 local elections figures).

Why the window is open now
    A real closing date is at most 120 days after polling day (``survey.services``); the demo sets
    GE2024's directly to three weeks from today, so the demo candidate can be shown the invitation.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

EXPERIENCES_ONLINE = ["online_abuse", "online_threats", "online_false", "online_exposure"]
EXPERIENCES_OFFLINE = ["verbal", "at_home", "followed", "physical", "damage", "sexual"]


def build_survey(seed: int = 2024, today: dt.date | None = None) -> int:
    """Build the GE2024 demo survey once (nothing when it exists or there is no GE2024); returns the
    number of responses made."""
    from django.db import transaction
    from django.utils import timezone

    from ballotguard.engines.insights import survey as engine
    from ballotguard.incidents.models import Incident
    from ballotguard.registry.models import Candidate, Election
    from ballotguard.survey.models import SurveyInvitation, SurveyResponse, SurveyWindow
    from ballotguard.survey.services import attributes_of, k_anonymity

    from .national import GE2024_ID

    election = Election.objects.filter(election_id=GE2024_ID).first()
    if election is None or SurveyWindow.objects.filter(election=election).exists():
        return 0
    today = today or timezone.localdate()
    rng = random.Random(seed + 17)
    population = attributes_of(election)
    k = k_anonymity()
    parties = Counter(a["party"] for a in population.values())
    coarsen = engine.Population(population.values(), k=k, parties_kept=[p for p, n in parties.items() if n >= k])
    reported = set(Incident.objects.filter(candidate__ballot__election=election).exclude(status=Incident.Status.DRAFT)
                   .values_list("candidate_id", flat=True).distinct())
    demo_candidate = set(Candidate.objects.filter(ballot__election=election, user__username="demo-candidate").values_list("pk", flat=True))
    force_rate = {f: 0.25 + 0.35 * rng.random() for f in sorted({a["force"] for a in population.values()})}
    responses, responded = [], []
    for pk in sorted(population):
        attrs = population[pk]
        if pk in demo_candidate or rng.random() >= 0.45:
            continue
        female = attrs["gender"] == "female"
        experienced = pk in reported or rng.random() < force_rate[attrs["force"]]
        experiences: list[str] = []
        if experienced:
            experiences = rng.sample(EXPERIENCES_ONLINE, rng.randint(1, 2)) if rng.random() < 0.85 else []
            if rng.random() < (0.6 if female else 0.45) or not experiences:
                experiences += rng.sample(EXPERIENCES_OFFLINE, rng.randint(1, 2))
        told = experienced and rng.random() < 0.55
        reported_to = []
        if told:
            reported_to = rng.sample(["feoa", "platform", "party", "returning_officer", "ballotguard", "other"], rng.randint(1, 2))
        if experienced and rng.random() < 0.21:
            told = True
            reported_to = ["police", *reported_to]
        changes = []
        if rng.random() < (0.56 if female else 0.19):
            changes.append("avoided_alone")
        if experienced and rng.random() < 0.3:
            changes.append(rng.choice(["less_canvassing", "fewer_events", "less_online", "hid_address", "security", "thought_of_stopping"]))
        answers = engine.check_answers({
            "experiences": experiences, "none_experienced": not experiences, "reported": "yes" if told else "no", "reported_to": reported_to,
            "changes": changes, "adviser_view": rng.choice(["very_helpful", "helpful", "helpful", "not_helpful", "not_used", "not_used"]),
            "guidance_view": rng.choice(["very_helpful", "helpful", "not_helpful", "not_used"]),
        }).as_dict()
        answers.pop("comment")
        day = election.date + dt.timedelta(days=rng.randint(1, 28))
        responses.append(SurveyResponse(election=election, week=engine.survey_week(day), answers=answers, comment="", **coarsen.generalise(attrs)))
        responded.append(pk)
    rng.shuffle(responses)  # no order to match with the invitations
    with transaction.atomic():
        SurveyWindow.objects.create(election=election, closes_on=today + dt.timedelta(days=21))
        done = set(responded)
        SurveyInvitation.objects.bulk_create(
            [SurveyInvitation(candidate_id=pk, responded=pk in done, emailed=False) for pk in sorted(population)], batch_size=2000)
        SurveyResponse.objects.bulk_create(responses, batch_size=2000)
    return len(responses)
