"""Scoring stored messages: abuse, threat and exposure, written back with their reasons.

The candidate's contact details are never decrypted here: only their keyed fingerprints
(``Candidate.exposure_fingerprints``) are read, with ``values_list`` so no encrypted column is
even loaded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.utils import timezone

from ballotguard.core.matching import match_key
import functools

from django.conf import settings

from ballotguard.engines.abuse_model import AbuseModel, default_model
from ballotguard.engines.message_scoring import MessageScore, score_messages
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
        from ballotguard.engines.abuse_embeddings import EmbeddingAbuseModel

        return EmbeddingAbuseModel.load(encoder_dir=settings.BALLOTGUARD_ABUSE_ENCODER_DIR)
    if choice == "finetuned":
        from ballotguard.engines.abuse_finetuned import FinetunedAbuseModel

        return FinetunedAbuseModel.load(model_dir=settings.BALLOTGUARD_ABUSE_FINETUNED_DIR)
    return default_model()


def fingerprints_for(candidate_ids: Iterable[int | None]) -> dict[int, frozenset[str]]:
    ids = {c for c in candidate_ids if c}
    if not ids:
        return {}
    return {pk: frozenset(fps) for pk, fps in Candidate.objects.filter(pk__in=ids).values_list("pk", "exposure_fingerprints")}


def score_texts(texts: Sequence[str], candidate_ids: Sequence[int | None], cache: dict[int, frozenset[str]] | None = None,
                model: AbuseModel | None = None) -> list[MessageScore]:
    """Scores for texts sent to the given candidates (``None`` where the candidate is unknown)."""
    cache = cache if cache is not None else {}
    missing = {c for c in candidate_ids if c and c not in cache}
    if missing:
        cache.update(fingerprints_for(missing))
    prints = [cache.get(c, frozenset()) if c else frozenset() for c in candidate_ids]
    return score_messages(texts, model or scorer(), key=match_key(), fingerprints=prints)


def apply_score(message: Message, score: MessageScore, version: str, now) -> None:
    message.scored_at = now
    message.model_version = version
    message.abuse_score = score.abuse_score
    message.threat_score = score.threat_score
    message.is_threat = score.is_threat
    message.exposes_contact = score.exposed
    message.reasons = json.dumps(list(score.reasons)) if score.reasons else ""
    if message.review in (Message.Review.NOT_FLAGGED, Message.Review.WAITING):
        message.review = Message.Review.WAITING if score.flagged else Message.Review.NOT_FLAGGED


SCORE_FIELDS = ["scored_at", "model_version", "abuse_score", "threat_score", "is_threat", "exposes_contact", "reasons", "review"]


def score_pending(limit: int | None = None, rescore: bool = False) -> int:
    """Score messages not yet scored (or, with ``rescore``, all of them), in batches. Returns the count."""
    model = scorer()
    cache: dict[int, frozenset[str]] = {}
    done = 0
    last_pk = 0
    while limit is None or done < limit:
        qs = Message.objects.filter(pk__gt=last_pk).order_by("pk").only("pk", "text", "candidate_id", "review")
        if not rescore:
            qs = qs.filter(scored_at__isnull=True)
        batch = list(qs[: min(BATCH, limit - done) if limit else BATCH])
        if not batch:
            break
        scores = score_texts([m.text for m in batch], [m.candidate_id for m in batch], cache, model)
        now = timezone.now()
        for message, score in zip(batch, scores):
            apply_score(message, score, model.version, now)
        with transaction.atomic():
            Message.objects.bulk_update(batch, SCORE_FIELDS)
        done += len(batch)
        last_pk = batch[-1].pk
    return done
