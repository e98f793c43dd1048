"""Demo messages: eight weeks of replies to a few demo candidates, scored by the real scorer.

Most are ordinary political replies and criticism, some are abusive, a few threaten, one exposes the
demo candidate's (fake) postcode, and a burst after a hustings shows on the abuse timeline. Every
author handle starts ``demo_``: this is fiction, written for the demo, not harvested from anywhere.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from ballotguard.accounts.services import Actor
from ballotguard.engines.messages.records import MessageRecord, Platform
from ballotguard.monitoring.services import ingest_records
from ballotguard.registry.models import Candidate, SocialHandle

ORDINARY = [
    "What's your position on the bus cuts in {place}?",
    "Thanks for coming to our street, good to talk about the potholes",
    "Will you vote against the council tax rise?",
    "Your leaflet says one thing and your party does another. Explain.",
    "Disappointed by your answer on housing at the hustings tonight",
    "Good luck on Thursday, you've got my vote",
    "Where do you stand on the new incinerator?",
    "Your party has run this place into the ground for years. Not voting for you.",
    "The LTN has made our road a nightmare, what will you do about it?",
    "resign. you've done nothing for {place}",
    "well said at the hustings",
    "Absolutely useless answer on the NHS waiting lists, do better",
]
ABUSIVE = [
    "You are a pathetic lying idiot and everyone in {place} knows it",
    "shut up you stupid cow nobody wants you here",
    "what a disgusting excuse for a human being you are",
    "f*** off back to where you came from, you clown",
    "you absolute moron, get out of politics",
]
THREATENING = [
    "we know where you live. watch yourself",
    "you'll end up like Jo Cox if you carry on",
    "someone should put a bullet in you",
    "I'm going to find you after the count and you'll regret it",
    "nice car outside your house. be a shame if something happened to it",
]


def build_messages(rng: random.Random, demo_candidate: Candidate | None) -> int:
    """Give a few candidates handles and ingest their messages. Returns the number of messages."""
    candidates = list(Candidate.objects.filter(consent_to_share=True).select_related("ballot__area").order_by("id")[:6])
    if demo_candidate is not None and demo_candidate not in candidates:
        candidates.insert(0, demo_candidate)
    now = timezone.now()
    start = now - dt.timedelta(weeks=8)
    hustings = now - dt.timedelta(weeks=2, days=3)
    records: list[MessageRecord] = []
    for n, candidate in enumerate(candidates):
        handle = f"demo_cand_{candidate.pk}"
        SocialHandle.objects.get_or_create(candidate=candidate, platform=Platform.X.value, handle=handle)
        # And a Bluesky account, which the demo's live Jetstream (demo-jetstream, make run) posts to.
        SocialHandle.objects.get_or_create(candidate=candidate, platform=Platform.BLUESKY.value, handle=f"demo-cand-{candidate.pk}.bsky.social")
        place = candidate.ballot.area.name
        count = 140 if candidate == demo_candidate else rng.randrange(30, 70)
        for i in range(count):
            # A burst of abuse in the days after the hustings, as the Electoral Commission describes.
            burst = candidate == demo_candidate and i % 3 == 0
            when = hustings + dt.timedelta(hours=rng.uniform(0, 72)) if burst else start + dt.timedelta(seconds=rng.uniform(0, (now - start).total_seconds()))
            roll = rng.random()
            pool = THREATENING if roll < (0.05 if burst else 0.02) else ABUSIVE if roll < (0.35 if burst else 0.12) else ORDINARY
            records.append(MessageRecord(
                platform=Platform.X, message_id=f"demo-{candidate.pk}-{i}", text=rng.choice(pool).format(place=place),
                sent_at=min(when, now), author_handle=f"demo_user_{rng.randrange(400)}", author_name="Demo account",
                mentions=(handle,),
            ))
        if candidate == demo_candidate and candidate.postcode:
            records.append(MessageRecord(
                platform=Platform.X, message_id=f"demo-{candidate.pk}-doxx", sent_at=now - dt.timedelta(days=2),
                text=f"Anyone want to pay our candidate a visit? {candidate.postcode}. Go and tell her what you think",
                author_handle="demo_user_13", author_name="Demo account", mentions=(handle,),
            ))
    records += _planted_campaign(random.Random(20240505), candidates, now)  # its own seed: the rest of the demo is unchanged
    report = ingest_records(Actor.cli(), records, source="demo", score=True)
    # Detect campaigns now, so the campaigns page has something to show before the worker's first run.
    from django.test.utils import override_settings

    from ballotguard.monitoring.services.campaigns import run_now

    # The demo's background is a few thousand messages over weeks: in the planted group's evening hour
    # the group is almost all there is, and the significance test rightly cannot rule chance out on so
    # little traffic. The demo shows the page with the count thresholds (BALLOTGUARD_CAMPAIGN_FDR=off).
    with override_settings(BALLOTGUARD_CAMPAIGN_FDR="off"):
        run_now(Actor.cli(), trigger="command")
    return report.created


BRIGADE_TEXTS = [
    "Traitor. Everyone in {place} knows you lied about the budget. Resign now #TraitorsOut",
    "Traitor! Everyone in {place} knows you lied about the budget. Resign now #TraitorsOut",
    "TRAITOR. Everyone in {place} knows that you lied about the budget. Resign now #TraitorsOut",
    "Traitor. Everybody in {place} knows you lied about the budget. Resign now. #TraitorsOut",
]


def _planted_campaign(rng: random.Random, candidates: list[Candidate], now: dt.datetime) -> list[MessageRecord]:
    """A planted coordinated campaign for the campaigns page: six accounts post the same slogan, with
    small edits, to candidates in two police forces within a minute, on four evenings. One of them is
    the account the demo candidate reported (``demo/incidents.py``), so the campaign leads to those
    incidents too."""
    targets = list(dict.fromkeys(
        Candidate.objects.filter(ballot__area__area_type="constituency", ballot__area__force_links__force__code__in=["E23000014", "E23000001"])
        .select_related("ballot__area").order_by("id")
    ))
    by_force: dict[str, list[Candidate]] = {}
    for candidate in targets:
        code = candidate.ballot.area.force_links.order_by("-is_primary").values_list("force__code", flat=True).first()
        by_force.setdefault(code, []).append(candidate)
    chosen = [c for force in sorted(by_force) for c in by_force[force][:2]]
    chosen = [c for c in dict.fromkeys([*[c for c in candidates if c in chosen], *chosen])][:4]
    if len(chosen) < 2:
        return []
    for candidate in chosen:
        SocialHandle.objects.get_or_create(candidate=candidate, platform=Platform.X.value, handle=f"demo_cand_{candidate.pk}")
    accounts = ["patriot_watcher_1984", *[f"demo_brigade_{n}" for n in range(1, 6)]]
    records = []
    for evening in (9, 6, 4, 2):
        start = (now - dt.timedelta(days=evening)).replace(hour=20, minute=0, second=0, microsecond=0) + dt.timedelta(seconds=rng.randrange(600))
        for n, account in enumerate(accounts):
            candidate = chosen[n % len(chosen)]
            records.append(MessageRecord(
                platform=Platform.X, message_id=f"demo-brigade-{evening}-{n}", sent_at=start + dt.timedelta(seconds=7 * n + rng.randrange(5)),
                text=BRIGADE_TEXTS[n % len(BRIGADE_TEXTS)].format(place=candidate.ballot.area.name), author_handle=account,
                author_name="Demo account", mentions=(f"demo_cand_{candidate.pk}",), hashtags=("TraitorsOut",),
            ))
    return records
