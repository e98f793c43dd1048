"""One score per message from three independent layers, each with its reasons.

- **abuse**: the probability from the project's own trained model (:mod:`.abuse_model`), with the
  message's strongest features as reasons;
- **threat**: rules (:mod:`.threats`), because no labelled threat data exists; their hits are the
  reasons, and counter-speech or figurative language lowers the score;
- **exposure**: the candidate's own postcode, address or phone number in the message, found by
  comparing keyed hashes (:mod:`.exposure`); the candidate's details are never decrypted here.

A message is *flagged* for human review when any layer fires (abuse: at the model's
``review_threshold``, chosen for precision, not at its macro-F1 ``threshold``). Exposure is treated as a threat for
ordering (publishing where someone lives is how harassment turns into a visit), so the review queue,
which orders by threat then abuse, puts it at the top.

Pure Python: no Django.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from .abuse_model import AbuseModel
from .exposure import Exposure, find_exposures
from .threats import ThreatAssessment, assess_threat

EXPOSURE_THREAT_SCORE = 0.9
"""Where a message exposing a home address ranks among threats: above most rule hits, below a
threat to kill that also names the home."""


@dataclass(frozen=True)
class MessageScore:
    abuse_score: float
    threat_score: float
    is_abusive: bool
    is_threat: bool
    exposures: tuple[Exposure, ...]
    reasons: tuple[str, ...]

    @property
    def flagged(self) -> bool:
        return self.is_abusive or self.is_threat or bool(self.exposures)

    @property
    def exposed(self) -> bool:
        return bool(self.exposures)


def _threat_reasons(threat: ThreatAssessment) -> list[str]:
    reasons = [f"threat rule {hit.rule}: {hit.reason}" for hit in threat.hits]
    reasons += [f"lowered: {m}" for m in threat.mitigations]
    return reasons


def score_messages(
    texts: Sequence[str],
    model: AbuseModel,
    *,
    key: bytes | None = None,
    fingerprints: Sequence[Collection[str]] | None = None,
    explain: bool = True,
) -> list[MessageScore]:
    """Score a batch. ``fingerprints[i]`` holds the keyed hashes of the contact details of the
    candidate that message ``i`` was sent to (empty when unknown); ``key`` is the matching key."""
    abuse = model.score(texts) if texts else []
    out: list[MessageScore] = []
    for i, text in enumerate(texts):
        probability = float(abuse[i])
        threat = assess_threat(text)
        exposures: tuple[Exposure, ...] = ()
        if key is not None and fingerprints is not None and fingerprints[i]:
            exposures = tuple(find_exposures(key, text, fingerprints[i]))
        # The review operating point, not the benchmark's macro-F1 one: a queue where half of all
        # ordinary political replies are flagged would be ignored (see docs/model-card-abuse.md).
        is_abusive = probability >= model.review_threshold
        reasons = [e.reason for e in exposures] + _threat_reasons(threat)
        if explain and is_abusive:
            features = [f"{name} ({weight:+.2f})" for name, weight in model.explain(text, top=3) if weight > 0]
            if features:
                reasons.append(f"abuse model {probability:.2f}: " + ", ".join(features))
        threat_score = max(threat.score, EXPOSURE_THREAT_SCORE if exposures else 0.0)
        out.append(MessageScore(
            abuse_score=round(probability, 4), threat_score=round(threat_score, 4), is_abusive=is_abusive,
            is_threat=threat.is_threat or bool(exposures), exposures=exposures, reasons=tuple(reasons),
        ))
    return out
