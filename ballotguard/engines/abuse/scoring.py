"""One score per message from three independent layers, each with its reasons.

- **abuse**: the probability from the project's own trained model (:mod:`.model`), with the
  message's strongest features as reasons;
- **threat**: the learned threat scorer (:mod:`.threat_model`: harm × target × intent, trained on
  HateCheck and tweets nobody here wrote, calibrated) beside the rules (:mod:`.threats`), whose hits
  stay as explanations and as a floor: a message the rules flag is flagged whatever the model says.
  Context the product has and the text lacks raises the threat probability, each with a reason
  (:class:`ThreatContext`: sent on the day of the candidate's election or its count, or while the
  candidate is out campaigning with a check-in open; a sender already linked to an incident);
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

from ballotguard.engines.abuse.model import AbuseModel
from ballotguard.engines.abuse.exposure import Exposure, find_exposures
from ballotguard.engines.abuse.threat_model import ThreatModel, default_threat_model
from ballotguard.engines.abuse.threats import ThreatAssessment, assess_threat

EXPOSURE_THREAT_SCORE = 0.9
"""Where a message exposing a home address ranks among threats: above most rule hits, below a
threat to kill that also names the home."""

EVENT_DAY_ODDS = 2.0
"""How much a message sent when the candidate is at a known public place (polling day or the count
of their election, or an outing they checked in for) multiplies the odds of a threat. A judgement, not a fitted figure: no labelled data says
how much; it is there so that, of two equally worded messages, the one that arrives when the
candidate is in a known public place comes first."""

LINKED_SENDER_ODDS = 3.0
"""How much a sender already linked to an incident multiplies the odds of a threat (a judgement, as
above: someone who has been reported before is likelier to mean it)."""

_DEFAULT = object()


@dataclass(frozen=True)
class ThreatContext:
    """What the product knows about a message beyond its words (see the monitoring app's scoring)."""

    # When the candidate is at a known public place, as a phrase that follows "sent": e.g. "on the
    # polling day of Leeds Central (7 May 2026)", "while the candidate was out campaigning (a
    # check-in was open)"; empty when not.
    event_day: str = ""
    sender_linked: bool = False  # the sender's other messages are linked to an incident


NO_CONTEXT = ThreatContext()


def _with_context(probability: float, context: ThreatContext) -> tuple[float, list[str]]:
    odds = probability / max(1e-9, 1.0 - probability)
    reasons = []
    if context.event_day:
        odds *= EVENT_DAY_ODDS
        reasons.append(f"raised: sent {context.event_day}, when the candidate is at a known public place")
    if context.sender_linked:
        odds *= LINKED_SENDER_ODDS
        reasons.append("raised: the sender is already linked to an incident")
    return odds / (1.0 + odds), reasons


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
    contexts: Sequence[ThreatContext] | None = None,
    threat_model: ThreatModel | None | object = _DEFAULT,
) -> list[MessageScore]:
    """Score a batch. ``fingerprints[i]`` holds the keyed hashes of the contact details of the
    candidate that message ``i`` was sent to (empty when unknown); ``key`` is the matching key;
    ``contexts[i]`` what else is known about message ``i``. ``threat_model`` defaults to the
    committed learned scorer; ``None`` leaves the rules to work alone (their score is then the
    threat score, as before the learned scorer existed)."""
    learned = default_threat_model() if threat_model is _DEFAULT else threat_model
    abuse = model.score(texts) if texts else []
    out: list[MessageScore] = []
    for i, text in enumerate(texts):
        probability = float(abuse[i])
        threat = assess_threat(text)
        context = contexts[i] if contexts is not None else NO_CONTEXT
        exposures: tuple[Exposure, ...] = ()
        if key is not None and fingerprints is not None and fingerprints[i]:
            exposures = tuple(find_exposures(key, text, fingerprints[i]))
        # The review operating point, not the benchmark's macro-F1 one: a queue where half of all
        # ordinary political replies are flagged would be ignored (see docs/model-card-abuse.md).
        is_abusive = probability >= model.review_threshold
        if isinstance(learned, ThreatModel):
            scored = learned.score(text, threat)
            model_flags = _with_context(scored.probability, context)[0] >= learned.threshold
            # The rules are a floor: what they flag is flagged, and ranks by their measured precision.
            # Context then raises whichever is higher.
            threat_probability, context_reasons = _with_context(max(scored.probability, learned.rule_floor(threat)), context)
            is_threat = threat.is_threat or model_flags
            model_reasons = []
            if model_flags:  # the model (with the context) flags it, not only the rules
                model_reasons.append(scored.explanation)
            if is_threat:
                model_reasons += context_reasons
        else:
            threat_probability, is_threat, model_reasons = threat.score, threat.is_threat, []
        reasons = [e.reason for e in exposures] + _threat_reasons(threat) + model_reasons
        if explain and is_abusive:
            features = [f"{name} ({weight:+.2f})" for name, weight in model.explain(text, top=3) if weight > 0]
            if features:
                reasons.append(f"abuse model {probability:.2f}: " + ", ".join(features))
        threat_score = max(threat_probability, EXPOSURE_THREAT_SCORE if exposures else 0.0)
        out.append(MessageScore(
            abuse_score=round(probability, 4), threat_score=round(threat_score, 4), is_abusive=is_abusive,
            is_threat=is_threat or bool(exposures), exposures=exposures, reasons=tuple(reasons),
        ))
    return out
