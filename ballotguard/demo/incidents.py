"""Demo incidents: enough for every screen of the case queue to mean something on first run.

A course of conduct against the demo candidate (one account, three occasions, escalating from
messages to the doorstep), a high-risk report left waiting past its triage deadline, and a phone
number shared with a report in the second demo force, so the cross-force link and access request
can be tried. Each report carries its checklist (issue 17): the doorstep incident has tasks done,
one ruled out with a reason, and the rest due or overdue. Everything is fiction: handles at example domains, Ofcom drama phone numbers.
"""

from __future__ import annotations

import datetime as dt
import io
import random

from django.db.models import F
from django.utils import timezone
from faker import Faker

from ballotguard.accounts.models import Role, User
from ballotguard.accounts.services import Actor
from ballotguard.incidents import services
from ballotguard.incidents.models import Incident
from ballotguard.registry.models import Candidate


def _screenshot(text: str) -> bytes:
    """A small PNG that looks like a screenshot of a post, drawn here so no file ships with the demo."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 160), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 479, 159), outline="#b1b4b6")
    draw.text((16, 16), "DEMO SCREENSHOT (fiction)", fill="#505a5f")
    draw.text((16, 56), text[:70], fill="#0b0c0c")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _reporter(candidate: Candidate, n: int) -> User:
    """The candidate's own account, or a sign-in-less one made for the demo report."""
    if candidate.user_id:
        return candidate.user
    user, _ = User.objects.get_or_create(
        username=f"demo-reporter-{n}", defaults={"role": Role.CANDIDATE, "first_name": candidate.name.split()[0], "last_name": "(demo)"},
    )
    user.set_unusable_password()
    user.save()
    candidate.user = user
    candidate.save(update_fields=["user"])
    return user


def _report(user: User, candidate: Candidate, when: dt.datetime, **fields) -> Incident:
    data = services.ReportInput(candidate_id=candidate.pk, occurred_at=when, **fields)
    incident, _ = services.report(Actor.cli(user), data)
    # The report is dated as if sent shortly after it happened.
    sent = when + dt.timedelta(minutes=20)
    Incident.objects.filter(pk=incident.pk).update(submitted_at=sent, created_at=sent)
    incident.events.update(at=sent)
    # Its checklist's due times count from the same moment.
    incident.tasks.update(due_at=F("due_at") - (incident.submitted_at - sent), created_at=sent)
    return incident


def _work_the_checklist(feoa: User, incident: Incident) -> None:
    """The adviser has done the first tasks of the doorstep incident and ruled one out, so its
    checklist shows progress (and, a day on, what is overdue) on the case page and in the queue."""
    actor = Actor.cli(feoa)
    done = {"contact_candidate", "crime_report"}
    for task in incident.tasks.order_by("due_at", "position"):
        if task.key in done:
            services.update_task(actor, incident, task.pk, state="done", owner_id=feoa.pk)
        elif task.key == "threat_to_life":
            services.update_task(actor, incident, task.pk, state="not_applicable", owner_id=feoa.pk,
                                 reason="Discussed with the force's threat-to-life lead: no threat-to-life warning; reviewed if he returns.")
        elif task.key == "home_address_check":
            services.update_task(actor, incident, task.pk, owner_id=feoa.pk)


def build_incidents(fake: Faker, rng: random.Random, feoa_force: str = "E23000014", second_force: str = "E23000001") -> int:
    now = timezone.now().replace(second=0, microsecond=0)
    home = Candidate.objects.filter(user__username="demo-candidate").select_related("ballot__area").first()
    in_force = list(Candidate.objects.filter(ballot__area__force_links__force__code=feoa_force).exclude(pk=getattr(home, "pk", None)).order_by("id")[:6])
    elsewhere = list(Candidate.objects.filter(ballot__area__force_links__force__code=second_force).order_by("id")[:2])
    if home is None or len(in_force) < 3 or not elsewhere:
        return 0
    made = []
    stalker = {"handle": "@patriot_watcher_1984", "url": "https://x.com/patriot_watcher_1984"}
    made.append(_report(home.user, home, now - dt.timedelta(days=12), place="online", platform="X",
                        behaviours=["abusive_or_hateful_message"], description="Replies to every post calling me a traitor who should be hanged.",
                        observables=stalker))
    made.append(_report(home.user, home, now - dt.timedelta(days=5), place="online", platform="X",
                        behaviours=["abusive_or_hateful_message", "publishing_home_address"], home_address_known=True,
                        description="Posted a photo of my street and my house number.", observables=stalker))
    pack_incident = _report(home.user, home, now - dt.timedelta(days=1, hours=3), place="home",
                            behaviours=["turning_up_at_home", "threat_to_kill_or_harm"], home_address_known=True, perpetrator_known=False,
                            description="A man stood outside my house for an hour, then shouted that traitors get what's coming.",
                            perpetrator="White man, 40s, grey hoodie; said he was 'patriot watcher'.",
                            observables={**stalker, "vehicle": "FD19 KXR"})
    made.append(pack_incident)
    services.add_evidence(Actor.cli(home.user), made[1], "street-photo-post.png", [png := _screenshot("@patriot_watcher_1984: found where the traitor lives")], len(png))

    # Waiting past its triage deadline: shows the red clock.
    overdue = _report(_reporter(in_force[0], 1), in_force[0], now - dt.timedelta(hours=3), place="street_canvassing",
                      behaviours=["assault", "intimidation_at_event"], description="Pushed over while canvassing; leaflets thrown in my face.",
                      observables={"phone": "07700 900 461"})
    made.append(overdue)
    for n, candidate in enumerate(in_force[1:4], start=2):
        made.append(_report(_reporter(candidate, n), candidate, now - dt.timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 12)),
                            place=rng.choice(["online", "post", "phone"]), platform="Facebook",
                            behaviours=rng.choice([["abusive_or_hateful_message"], ["damage_to_property"], ["repeated_unwanted_contact"],
                                                   ["abusive_or_hateful_message", "protected_characteristic_hostility"]]),
                            characteristics=["religion"], description=fake.sentence(nb_words=14),
                            # Each names the platform's home page: on the warning list, so it links none of them.
                            observables={"url": "https://www.facebook.com/"}))
    # The same phone number in the second force: a link across forces.
    made.append(_report(_reporter(elsewhere[0], 9), elsewhere[0], now - dt.timedelta(days=2), place="phone",
                        behaviours=["threat_to_kill_or_harm", "repeated_unwanted_contact"],
                        description="Four calls in one evening from the same number saying I will be next.",
                        observables={"phone": "+44 7700 900461"}))
    # Everything but the overdue report has been triaged by an adviser of its force.
    for incident in made:
        if incident == overdue:
            continue
        feoa = User.objects.filter(role=Role.FEOA, police_forces__in=incident.forces.all()).order_by("id").first()
        if feoa is None:
            continue
        services.change_status(Actor.cli(feoa), incident, "triaged")
        if incident == made[0]:
            services.change_status(Actor.cli(feoa), incident, "advice_given", advice="Reported the account to X; advised screenshots before blocking.")
            services.update_task(Actor.cli(feoa), incident, incident.tasks.get(key="platform_report").pk, state="done")
        if incident == pack_incident:
            _work_the_checklist(feoa, incident)
    _clock_times(made, overdue, pack_incident, rng)
    return len(made)


def _clock_times(made: list[Incident], overdue: Incident, late: Incident, rng: random.Random) -> None:
    """The case clocks as an adviser's week would leave them (the status changes above happened just
    now): triage within hours, first contact within a day, and one high-risk report triaged two hours
    late, so the Case clocks page and the lead FEOA's breach list have something to show."""
    for incident in Incident.objects.filter(pk__in=[i.pk for i in made]).exclude(pk=overdue.pk):
        sent = incident.submitted_at
        hours = 3.0 if incident.pk == late.pk else (0.4 if incident.effective_risk == "high" else rng.uniform(2, 20))
        triaged = sent + dt.timedelta(hours=hours)
        contacted = triaged + dt.timedelta(hours=rng.uniform(0.5, 8)) if incident.pk != late.pk else None
        Incident.objects.filter(pk=incident.pk).update(triaged_at=triaged, first_contact_at=contacted)
        incident.events.filter(kind__in=["status", "contacted"]).update(at=triaged)
