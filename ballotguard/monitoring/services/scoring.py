"""Scoring stored messages: abuse, threat and exposure, written back with their reasons.

The candidate's contact details are never decrypted here: only their keyed fingerprints
(``Candidate.exposure_fingerprints``) are read, with ``values_list`` so no encrypted column is
even loaded.

Threat context (:func:`threat_contexts`), read the same way (keys and dates, no personal data):

* the message was sent on the polling day of the candidate's election, or the day after (counts
  run overnight or the next day), or while the candidate had a campaign check-in open (canvassing,
  a hustings: ``checkins.CheckIn``; only its times are read, never where it was): the candidate is
  at a known public place;
* the message's author (by ``author_hash``, the keyed hash of platform and handle) has another
  message already promoted to an incident.

Each raises the threat probability with a reason (:mod:`ballotguard.engines.abuse.scoring`).
``settings.BALLOTGUARD_THREAT_SCORER`` chooses ``learned`` (default: the committed learned model
beside the rules) or ``rules`` (the rules alone).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Collection, Iterable, Sequence

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from ballotguard.core.matching import match_key
from ballotguard.engines.abuse.model import AbuseModel, default_model
from ballotguard.engines.abuse.scoring import NO_CONTEXT, MessageScore, ThreatContext, score_messages
from ballotguard.engines.abuse.threat_model import ThreatModel, default_threat_model
from ballotguard.registry.models import Candidate

from ..models import Message

BATCH = 2_000


@functools.cache
def scorer() -> AbuseModel:
    """The abuse scorer the settings choose: the committed n-gram model (``default``), the optional
    sentence-embedding stack (``embeddings``) or the optional fine-tuned MiniLM (``finetuned``); the
    optional ones need requirements-embeddings.txt and a model built by their train command (see
    docs/model-card-abuse.md). Choosing one is explicit, so a missing runtime fails loudly."""
    choice = getattr(settings, "BALLOTGUARD_ABUSE_SCORER", "default")
    if choice == "embeddings":
        from ballotguard.engines.abuse.embeddings import EmbeddingAbuseModel

        return EmbeddingAbuseModel.load(encoder_dir=settings.BALLOTGUARD_ABUSE_ENCODER_DIR)
    if choice == "finetuned":
        from ballotguard.engines.abuse.finetuned import FinetunedAbuseModel

        return FinetunedAbuseModel.load(model_dir=settings.BALLOTGUARD_ABUSE_FINETUNED_DIR)
    return default_model()


def threat_scorer() -> ThreatModel | None:
    """The learned threat model the settings choose (``learned``, the default) or None (``rules``).
    ``learned`` with no built artefact fails loudly: the rules alone would be a silent downgrade."""
    choice = getattr(settings, "BALLOTGUARD_THREAT_SCORER", "learned")
    if choice == "rules":
        return None
    model = default_threat_model()
    if model is None:
        ThreatModel.load()  # raises ArtifactError saying how to rebuild it
    return model


def threat_version() -> str:
    """The version of the threat scoring in use, stored on each message beside the abuse model's: a
    threat score is only comparable with scores of the same model, and an adviser asking why a
    message was (not) flagged a month ago needs to know which one it was."""
    model = threat_scorer()
    return model.version if model is not None else "rules"


def _local_date(when: dt.datetime) -> dt.date:
    return timezone.localtime(when).date() if timezone.is_aware(when) else when.date()


def threat_contexts(messages: Sequence[Message]) -> list[ThreatContext]:
    """What is known about each message beyond its words: three queries per batch, on keys and times
    (no encrypted column is read)."""
    candidate_ids = {m.candidate_id for m in messages if m.candidate_id}
    elections: dict[int, tuple[dt.date, str]] = {}
    if candidate_ids:
        rows = Candidate.objects.filter(pk__in=candidate_ids).values_list("pk", "ballot__election__date", "ballot__post_label")
        elections = {pk: (date, label) for pk, date, label in rows if date}
    outings: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    sent_times = [m.sent_at for m in messages if m.candidate_id and m.sent_at]
    if candidate_ids and sent_times:
        from ballotguard.checkins.models import CheckIn

        rows = (CheckIn.objects.filter(candidacy_id__in=candidate_ids, started_at__lte=max(sent_times))
                .exclude(status=CheckIn.Status.CANCELLED)
                .filter(models.Q(finished_at__isnull=True) | models.Q(finished_at__gte=min(sent_times)))
                .values_list("candidacy_id", "started_at", "expected_end", "finished_at"))
        for candidacy_id, started, expected_end, finished in rows:
            # An outing lasts until it was checked out, or, while still open, its expected end.
            outings.setdefault(candidacy_id, []).append((started, finished or expected_end))
    hashes = {m.author_hash for m in messages if m.author_hash}
    linked: Collection[str] = ()
    if hashes:
        linked = set(Message.objects.filter(author_hash__in=hashes, incident__isnull=False).values_list("author_hash", flat=True).distinct())
    out = []
    for m in messages:
        event_day = ""
        election = elections.get(m.candidate_id) if m.candidate_id else None
        if election and m.sent_at:
            day, label = election
            sent = _local_date(m.sent_at)
            if sent == day:
                event_day = f"on the polling day of {label} ({day:%-d %B %Y})"
            elif sent == day + dt.timedelta(days=1):
                event_day = f"on the count day of {label} ({day:%-d %B %Y} election)"
        if not event_day and m.candidate_id and m.sent_at and any(start <= m.sent_at <= end for start, end in outings.get(m.candidate_id, ())):
            event_day = "while the candidate was out campaigning (a check-in was open)"
        sender_linked = bool(m.author_hash) and m.author_hash in linked
        out.append(ThreatContext(event_day, sender_linked) if (event_day or sender_linked) else NO_CONTEXT)
    return out


def fingerprints_for(candidate_ids: Iterable[int | None]) -> dict[int, frozenset[str]]:
    ids = {c for c in candidate_ids if c}
    if not ids:
        return {}
    return {pk: frozenset(fps) for pk, fps in Candidate.objects.filter(pk__in=ids).values_list("pk", "exposure_fingerprints")}


def candidates_fingerprints(candidate_ids: Sequence[int | None], cache: dict[int, frozenset[str]]) -> list[frozenset[str]]:
    """Each message's candidate's exposure fingerprints (empty where unknown), read once per candidate."""
    missing = {c for c in candidate_ids if c and c not in cache}
    if missing:
        cache.update(fingerprints_for(missing))
    return [cache.get(c, frozenset()) if c else frozenset() for c in candidate_ids]


def score_texts(texts: Sequence[str], candidate_ids: Sequence[int | None], cache: dict[int, frozenset[str]] | None = None,
                model: AbuseModel | None = None, contexts: Sequence[ThreatContext] | None = None) -> list[MessageScore]:
    """Scores for texts sent to the given candidates (``None`` where the candidate is unknown);
    ``contexts`` as :func:`threat_contexts` gives them (none when absent)."""
    prints = candidates_fingerprints(candidate_ids, cache if cache is not None else {})
    return score_messages(texts, model or scorer(), key=match_key(), fingerprints=prints, contexts=contexts, threat_model=threat_scorer())


def score_stored(messages: Sequence[Message], cache: dict[int, frozenset[str]], model: AbuseModel) -> list[MessageScore]:
    """Score messages (saved or about to be) with their threat context."""
    return score_texts([m.text for m in messages], [m.candidate_id for m in messages], cache, model, threat_contexts(messages))


def apply_score(message: Message, score: MessageScore, version: str, now, threat: str) -> None:
    """Write a score onto the message; ``version`` is the abuse model's, ``threat`` the threat model's."""
    message.scored_at = now
    message.model_version = version
    message.threat_version = threat
    message.abuse_score = score.abuse_score
    message.threat_score = score.threat_score
    message.is_threat = score.is_threat
    message.exposes_contact = score.exposed
    message.reasons = json.dumps(list(score.reasons)) if score.reasons else ""
    if message.review in (Message.Review.NOT_FLAGGED, Message.Review.WAITING):
        message.review = Message.Review.WAITING if score.flagged else Message.Review.NOT_FLAGGED


SCORE_FIELDS = ["scored_at", "model_version", "threat_version", "abuse_score", "threat_score", "is_threat", "exposes_contact", "reasons", "review"]


def score_pending(limit: int | None = None, rescore: bool = False) -> int:
    """Score messages not yet scored (or, with ``rescore``, all of them), in batches. Returns the count."""
    model = scorer()
    cache: dict[int, frozenset[str]] = {}
    done = 0
    last_pk = 0
    while limit is None or done < limit:
        qs = Message.objects.filter(pk__gt=last_pk).order_by("pk").only("pk", "text", "candidate_id", "review", "sent_at", "author_hash")
        if not rescore:
            qs = qs.filter(scored_at__isnull=True)
        batch = list(qs[: min(BATCH, limit - done) if limit else BATCH])
        if not batch:
            break
        scores = score_stored(batch, cache, model)
        now, threat = timezone.now(), threat_version()
        for message, score in zip(batch, scores):
            apply_score(message, score, model.version, now, threat)
        with transaction.atomic():
            Message.objects.bulk_update(batch, SCORE_FIELDS)
        done += len(batch)
        last_pk = batch[-1].pk
    return done
