"""Safety companion operations: the guidance library, read receipts, safety plans, the civility pledge.

Pages and the API call these functions; they own scope, transactions and the audit log.

Who sees what
    * Guidance: anyone signed in can read it; candidates and their staff mark pieces read.
    * Readership (who has read what): a FEOA, for the candidates with an account in their force(s)
      (``registry.services.candidates_visible_to``); each list shown is audited, one event per candidate.
    * Safety plan answers and checklist: the candidate and the staff they delegated to; reads and
      revisions are audited. A FEOA of the force sees only that a plan exists, its revision and date
      (:func:`plan_summary`): the answers are the candidate's to share, and the checklist would reveal
      them. Nobody else sees anything (404).
    * The civility pledge: only the candidate signs or withdraws (not staff: it is a personal
      promise). The public list shows name, party and area (what is on the ballot paper) of the
      signatories who agreed to be listed, with no sign-in.

Outside scope is ``Candidate.DoesNotExist`` (answered 404); a role that may never do something is
``NotPermitted`` (403).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from ballotguard.accounts.models import Role, User
from ballotguard.accounts.services import Actor, audit, audit_reads
from ballotguard.engines.candidates.guidance import GuidanceDocument, parse_document, render_markdown
from ballotguard.engines.candidates.safety_plan import ChecklistItem, PlanAnswers, answers_from_dict, answers_to_dict, checklist
from ballotguard.registry.models import Candidate, Election
from ballotguard.registry.services import NotPermitted, candidates_visible_to

from .models import PledgeSignature, ReadReceipt, SafetyPlan
from .pledge import PLEDGE_VERSION

GUIDANCE_DIR = Path(__file__).resolve().parent / "guidance"

# The order of the library: from the most basic to the most particular.
TOPIC_ORDER = ("reporting-routes", "personal-safety", "home-security", "online-safety", "lone-working",
               "public-events", "the-count", "handling-post")


# ---------------------------------------------------------------------------------------------------
# Guidance library


@lru_cache(maxsize=8)
def _load(directory: str, language: str = "en") -> dict[str, GuidanceDocument]:
    """English pieces are ``slug.md``; their Welsh versions ``slug.cy.md``, with the same slug and the
    version of the English they translate."""
    docs: dict[str, GuidanceDocument] = {}
    for path in sorted(Path(directory).glob("*.md")):
        if path.name.endswith(".cy.md") != (language == "cy"):
            continue
        doc = parse_document(path.read_text(encoding="utf-8"), source=path.name)
        if language != "en":
            doc = dataclasses.replace(doc, language=language)
        if doc.slug in docs:
            raise ValueError(f"{path.name}: slug {doc.slug!r} is used twice")
        docs[doc.slug] = doc
    rank = {slug: i for i, slug in enumerate(TOPIC_ORDER)}
    return dict(sorted(docs.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[1].title)))


def library(language: str | None = None) -> dict[str, GuidanceDocument]:
    """Every piece of guidance by slug, in reading order, in the active language. A piece with no Welsh
    version, or whose Welsh version translates an older version of the English, is given in English
    (pages mark it ``lang="en"``). Files are read once per process."""
    english = _load(str(GUIDANCE_DIR))
    if (language or get_language() or "en").split("-")[0] != "cy":
        return english
    welsh = _load(str(GUIDANCE_DIR), "cy")
    return {
        slug: welsh[slug] if slug in welsh and welsh[slug].version == doc.version else doc
        for slug, doc in english.items()
    }


def get_guidance(slug: str) -> GuidanceDocument:
    try:
        return library()[slug]
    except KeyError:
        raise LookupError(slug) from None


@lru_cache(maxsize=64)
def _rendered(slug: str, version: int, body: str) -> str:
    return render_markdown(body)


def guidance_html(doc: GuidanceDocument) -> str:
    """The body as GOV.UK HTML: escaped raw HTML, safe links only (see ``engines.candidates.guidance``)."""
    return _rendered(doc.slug, doc.version, doc.body)


UNREAD, READ, UPDATED = "unread", "read", "updated"
STATE_LABELS = {UNREAD: _("Not read"), READ: _("Read"), UPDATED: _("Updated since you read it")}


def read_state(doc: GuidanceDocument, read_version: int | None) -> str:
    if read_version is None:
        return UNREAD
    return READ if read_version >= doc.version else UPDATED


@dataclass(frozen=True)
class GuidanceStatus:
    doc: GuidanceDocument
    state: str
    read_version: int | None
    read_at: object | None

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


def guidance_for(user: User) -> list[GuidanceStatus]:
    """The library with the user's read state for each piece."""
    receipts = {r.slug: r for r in ReadReceipt.objects.filter(user=user)} if user.is_authenticated else {}
    out = []
    for doc in library().values():
        receipt = receipts.get(doc.slug)
        version = receipt.version if receipt else None
        out.append(GuidanceStatus(doc=doc, state=read_state(doc, version), read_version=version, read_at=receipt.read_at if receipt else None))
    return out


def status_of(user: User, doc: GuidanceDocument) -> GuidanceStatus:
    receipt = ReadReceipt.objects.filter(user=user, slug=doc.slug).first() if user.is_authenticated else None
    version = receipt.version if receipt else None
    return GuidanceStatus(doc=doc, state=read_state(doc, version), read_version=version, read_at=receipt.read_at if receipt else None)


def can_mark_read(user: User) -> bool:
    return user.is_authenticated and user.role in {Role.CANDIDATE, Role.STAFF}


def mark_read(actor: Actor, slug: str) -> ReadReceipt:
    """Record that the actor read the current version of a piece (``LookupError`` if there is none)."""
    user = actor.user
    if user is None or not can_mark_read(user):
        raise NotPermitted("Only candidates and their staff record what they have read.")
    doc = get_guidance(slug)
    receipt, _created = ReadReceipt.objects.update_or_create(
        user=user, slug=doc.slug, defaults={"version": doc.version, "read_at": timezone.now()},
    )
    return receipt


# ---------------------------------------------------------------------------------------------------
# What the FEOA sees about the candidates in their force


def can_see_readership(user: User) -> bool:
    return user.is_authenticated and user.role == Role.FEOA


@dataclass(frozen=True)
class CandidateOverview:
    candidate: Candidate
    read: list[str]  # slugs read at the current version
    updated: list[str]  # read, but at an older version
    unread: list[str]
    plan_revision: int | None
    plan_updated_at: object | None
    pledge_signed: bool

    @property
    def read_count(self) -> int:
        return len(self.read)


def readership_candidates(user: User) -> QuerySet[Candidate]:
    """Candidates in the FEOA's force(s) who have an account (only they can read anything)."""
    if not can_see_readership(user):
        raise NotPermitted("Only police advisers see who has read the guidance.")
    return candidates_visible_to(user).filter(user__isnull=False).order_by("name", "id")


def overview(actor: Actor, candidates: list[Candidate]) -> list[CandidateOverview]:
    """Read state, plan date and pledge for a page of candidates, auditing the read of each row."""
    user_ids = {c.user_id for c in candidates}
    receipts: dict[int, dict[str, int]] = {}
    for r in ReadReceipt.objects.filter(user_id__in=user_ids):
        receipts.setdefault(r.user_id, {})[r.slug] = r.version
    plans = {
        row["candidate_id"]: row
        for row in SafetyPlan.objects.filter(candidate__in=candidates).values("candidate_id").annotate(revision=Max("revision"), at=Max("created_at"))
    }
    signed = set(PledgeSignature.objects.filter(candidate__in=candidates, withdrawn_at__isnull=True).values_list("candidate_id", flat=True))
    rows = []
    for c in candidates:
        theirs = receipts.get(c.user_id, {})
        states = {slug: read_state(doc, theirs.get(slug)) for slug, doc in library().items()}
        plan = plans.get(c.pk)
        rows.append(CandidateOverview(
            candidate=c,
            read=[s for s, st in states.items() if st == READ],
            updated=[s for s, st in states.items() if st == UPDATED],
            unread=[s for s, st in states.items() if st == UNREAD],
            plan_revision=plan["revision"] if plan else None,
            plan_updated_at=plan["at"] if plan else None,
            pledge_signed=c.pk in signed,
        ))
    audit_reads(actor, "candidate", [c.pk for c in candidates], ["guidance_read", "safety_plan_date"])
    return rows


# ---------------------------------------------------------------------------------------------------
# Safety plans


def plan_candidates(user: User) -> QuerySet[Candidate]:
    """Candidacies whose plan the user may fill in and read: their own, or those delegated to them."""
    if not user.is_authenticated or user.role not in {Role.CANDIDATE, Role.STAFF}:
        return Candidate.objects.none()
    return candidates_visible_to(user)


def plan_summary_candidates(user: User) -> QuerySet[Candidate]:
    """Candidacies for which the user may learn whether a plan exists: the above, and a FEOA's force."""
    if user.is_authenticated and user.role == Role.FEOA:
        return candidates_visible_to(user)
    return plan_candidates(user)


def can_edit_plan(user: User, candidate: Candidate) -> bool:
    return plan_candidates(user).filter(pk=candidate.pk).exists()


def latest_plan(candidate: Candidate) -> SafetyPlan | None:
    return candidate.safety_plans.order_by("-revision").first()


def plan_history(candidate: Candidate) -> list[SafetyPlan]:
    """Every revision, newest first (no answers are decrypted: ``only`` leaves them in the database)."""
    return list(candidate.safety_plans.only("id", "candidate_id", "revision", "created_at", "created_by").select_related("created_by").order_by("-revision"))


@dataclass(frozen=True)
class PlanView:
    plan: SafetyPlan
    answers: PlanAnswers
    items: list[ChecklistItem]


def read_plan(actor: Actor, plan: SafetyPlan) -> PlanView:
    """Decrypt a revision's answers and work out its checklist, auditing the read."""
    if actor.user is None or not can_edit_plan(actor.user, plan.candidate):
        raise NotPermitted("Only the candidate and their staff can read the safety plan.")
    answers = answers_from_dict(_json_loads(plan.answers))
    audit(actor, "read", "safety_plan", plan.pk, fields=["answers"], detail=f"candidate {plan.candidate_id} revision {plan.revision}")
    # In the language of the request: the page, its print-out and the JSON API all say the steps in Welsh
    # on a Welsh request.
    return PlanView(plan=plan, answers=answers, items=checklist(answers, gettext))


def save_plan(actor: Actor, candidate: Candidate, answers: PlanAnswers) -> SafetyPlan:
    """Store the answers as the next revision; earlier revisions are kept as they were."""
    if actor.user is None or not can_edit_plan(actor.user, candidate):
        raise NotPermitted("Only the candidate and their staff can fill in the safety plan.")
    payload = _json_dumps(answers_to_dict(answers))
    for attempt in range(3):
        try:
            with transaction.atomic():
                current = candidate.safety_plans.aggregate(n=Max("revision"))["n"] or 0
                plan = SafetyPlan.objects.create(candidate=candidate, revision=current + 1, answers=payload, created_by=actor.user)
                audit(actor, "create", "safety_plan", plan.pk, fields=["answers"], detail=f"candidate {candidate.pk} revision {plan.revision}")
            return plan
        except IntegrityError:  # two saves at once took the same number: take the next one
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class PlanSummary:
    exists: bool
    revision: int | None
    updated_at: object | None


def plan_summary(candidate: Candidate) -> PlanSummary:
    plan = candidate.safety_plans.only("revision", "created_at").order_by("-revision").first()
    if plan is None:
        return PlanSummary(False, None, None)
    return PlanSummary(True, plan.revision, plan.created_at)


def _json_dumps(data: dict) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def _json_loads(text: str) -> dict:
    return json.loads(text)


# ---------------------------------------------------------------------------------------------------
# The civility pledge


def can_sign_pledge(user: User, candidate: Candidate) -> bool:
    """Only the candidate themself: the pledge is a personal promise, so staff cannot sign it for them."""
    return user.is_authenticated and user.role == Role.CANDIDATE and candidate.user_id == user.pk


def pledge_candidates(user: User) -> QuerySet[Candidate]:
    """Candidacies whose pledge page the user may open: their own and, read-only, delegated ones."""
    return plan_candidates(user)


def signature_in_force(candidate: Candidate) -> PledgeSignature | None:
    return candidate.pledge_signatures.filter(withdrawn_at__isnull=True).first()


def sign_pledge(actor: Actor, candidate: Candidate, listed: bool) -> tuple[PledgeSignature, bool]:
    """Sign (or, if signed already, change whether to be listed). Returns the signature and whether it is new."""
    if actor.user is None or not can_sign_pledge(actor.user, candidate):
        raise NotPermitted("Only the candidate can sign the civility pledge.")
    with transaction.atomic():
        current = candidate.pledge_signatures.select_for_update().filter(withdrawn_at__isnull=True).first()
        if current is not None:
            if current.listed != listed:
                current.listed = listed
                current.save(update_fields=["listed"])
                audit(actor, "update", "pledge_signature", current.pk, detail=f"candidate {candidate.pk} listed={listed}")
            return current, False
        signature = PledgeSignature.objects.create(candidate=candidate, signed_by=actor.user, pledge_version=PLEDGE_VERSION, listed=listed)
        audit(actor, "create", "pledge_signature", signature.pk, detail=f"candidate {candidate.pk} listed={listed}")
    return signature, True


def withdraw_pledge(actor: Actor, candidate: Candidate) -> bool:
    """Withdraw the signature in force; False if there was none."""
    if actor.user is None or not can_sign_pledge(actor.user, candidate):
        raise NotPermitted("Only the candidate can withdraw from the civility pledge.")
    with transaction.atomic():
        current = candidate.pledge_signatures.select_for_update().filter(withdrawn_at__isnull=True).first()
        if current is None:
            return False
        current.withdrawn_at = timezone.now()
        current.save(update_fields=["withdrawn_at"])
        audit(actor, "delete", "pledge_signature", current.pk, detail=f"candidate {candidate.pk} withdrawn")
    return True


def pledge_elections() -> QuerySet[Election]:
    """Elections with at least one listed signatory, newest first, with their count."""
    return (
        Election.objects.annotate(signatories=Count("ballots__candidates__pledge_signatures", filter=Q(
            ballots__candidates__pledge_signatures__withdrawn_at__isnull=True, ballots__candidates__pledge_signatures__listed=True,
        ), distinct=True))
        .filter(signatories__gt=0)
        .order_by("-date", "election_id")
    )


@dataclass(frozen=True)
class Signatory:
    """What the public list shows: only what is on the ballot paper."""

    name: str
    party: str
    area: str
    signed_on: object


def public_signatories(election: Election) -> list[Signatory]:
    signatures = (
        PledgeSignature.objects.filter(candidate__ballot__election=election, withdrawn_at__isnull=True, listed=True)
        .select_related("candidate__party", "candidate__ballot")
        .order_by("candidate__ballot__post_label", "candidate__name", "pk")
    )
    return [
        Signatory(name=s.candidate.name, party=s.candidate.party.name if s.candidate.party else "Independent",
                  area=s.candidate.ballot.post_label, signed_on=s.signed_at.date())
        for s in signatures
    ]
