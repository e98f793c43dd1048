"""Outreach operations: the FEOA's worklist, contact attempts, briefings, invitations and attendance,
the candidate's side (their adviser, their invitations), and the coverage figures.

Pages and the API call these functions; they own scope, transactions and the audit log.

Who does what
    * Advisers (FEOAs) work on the candidates of their force(s)
      (``registry.services.candidates_visible_to``): a constituency policed by two forces is on both
      forces' worklists. Outside scope is ``DoesNotExist`` (answered 404); any other role is
      ``NotPermitted`` (403).
    * The worklist is the candidates whose contact details were handed over with consent and who
      have not yet been *reached* (a contact attempt with outcome ``reached``, by any adviser: one
      first contact is what the candidate needs, so when the Met reaches a candidate in Cities of
      London and Westminster the City of London Police's list drops them too), oldest hand-over first.
    * Briefings belong to a force; the advisers of that force see and run them. Only candidates in
      the force's areas can be invited. Inviting is idempotent: a candidate already invited is not
      invited twice and their answer is kept.
    * Candidates (and the staff they delegated to) see their own invitations and accept or decline
      them until the briefing starts.

Audit
    Recording an attempt, a briefing, invitations, attendance and answers is audited (ids and counts
    only). Reading a candidate's contact details goes through ``registry.services.read_contact_details``,
    which audits; reading the encrypted notes of contact attempts is audited here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import BooleanField, Case, Count, Exists, IntegerField, Max, Min, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Lower
from django.utils import timezone

from ballotguard.accounts.models import Role, User
from ballotguard.accounts.services import Actor, audit, audit_reads
from ballotguard.core.sorting import Column, SortSpec
from ballotguard.engines.insights.outreach import CandidateOutreach, Coverage, coverage_by
from ballotguard.incidents.services.clocks import record_first_contact
from ballotguard.registry.models import Area, AreaForce, Candidate, Election, PoliceForce
from ballotguard.registry.services import NotPermitted, advisers_for, candidates_visible_to, forces_for

from .matching import Invitee, ListUnreadable, match_attendance, split_lines
from .models import Briefing, ContactAttempt, Invitation, Topic



class InvalidInput(ValueError):
    """A value the caller sent cannot be used. ``field`` names it, for the form or the API's 422."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


# ---------------------------------------------------------------------------------------------------
# Who may do what


def is_adviser(user: User) -> bool:
    return user.is_authenticated and user.role == Role.FEOA


def is_candidate_side(user: User) -> bool:
    return user.is_authenticated and user.role in {Role.CANDIDATE, Role.STAFF}


def _require_adviser(actor_or_user) -> User:
    user = actor_or_user.user if isinstance(actor_or_user, Actor) else actor_or_user
    if user is None or not is_adviser(user):
        raise NotPermitted("Only police advisers (FEOAs) do outreach.")
    return user


def outreach_candidates(user: User) -> QuerySet[Candidate]:
    """Candidates an adviser can open an outreach record for: those of their force(s)."""
    _require_adviser(user)
    return candidates_visible_to(user)


def get_candidate(user: User, candidate_id: int) -> Candidate:
    """The candidate, or ``Candidate.DoesNotExist`` outside the adviser's force(s)."""
    return outreach_candidates(user).get(pk=candidate_id)


# ---------------------------------------------------------------------------------------------------
# The worklist


def _reached():
    return ContactAttempt.objects.filter(candidate_id=OuterRef("pk"), outcome=ContactAttempt.Outcome.REACHED)


def _last_attempt():
    return ContactAttempt.objects.filter(candidate_id=OuterRef("pk")).order_by("-at", "-id")


def handed_over(qs: QuerySet[Candidate]) -> QuerySet[Candidate]:
    """Candidates whose contact details reached the police: handed over, with consent."""
    return qs.filter(handed_over_at__isnull=False, consent_to_share=True)


@dataclass(frozen=True)
class WorklistFilter:
    council: str = ""  # council area code
    election: str = ""  # election_id

    def apply(self, qs: QuerySet[Candidate]) -> QuerySet[Candidate]:
        if self.council:
            qs = qs.filter(Q(ballot__council__code=self.council) | Q(ballot__area__parent__code=self.council))
        if self.election:
            qs = qs.filter(ballot__election__election_id=self.election)
        return qs


def worklist(user: User, flt: WorklistFilter = WorklistFilter()) -> QuerySet[Candidate]:
    """Candidates of the adviser's force(s) handed over with consent and not yet reached, oldest
    hand-over first (those with neither a phone number nor an e-mail address last), with how many
    attempts were made, the last one's outcome and next step, and which ways to reach them exist."""
    _require_adviser(user)
    # Details erased under retention cannot be used to make contact: such candidates leave the list.
    qs = handed_over(candidates_visible_to(user)).filter(ballot__cancelled=False, contact_erased_at__isnull=True).exclude(Exists(_reached()))
    qs = flt.apply(qs).select_related("ballot__council")
    # Whether there is a phone number or an e-mail address to use, without opening either (that is
    # an audited read, on the candidate's page): an empty field is stored empty, not encrypted.
    return qs.annotate(
        attempts=Count("contact_attempts"),
        last_attempt_at=Max("contact_attempts__at"),
        last_outcome=Subquery(_last_attempt().values("outcome")[:1]),
        last_next_step=Subquery(_last_attempt().values("next_step")[:1]),
        has_phone=Case(When(phone="", then=Value(False)), default=Value(True), output_field=BooleanField()),
        has_email=Case(When(email="", then=Value(False)), default=Value(True), output_field=BooleanField()),
        # Those who can be reached first: a hand-over with neither is a task for the returning officer.
        unreachable=Case(When(phone="", email="", then=Value(1)), default=Value(0), output_field=IntegerField()),
    ).order_by("unreachable", "handed_over_at", "id")


#: The worklist's sortable columns (page and API). The phone number and e-mail address are
#: encrypted, so they are never sorted on; "How to reach" sorts on whether each is there at all (an
#: empty field is stored empty), best first: both, phone only, e-mail only, neither.
WORKLIST_SORT = SortSpec(
    Column("name", Lower("name")),
    Column("ballot", Lower("ballot__post_label"), Lower("ballot__election__name")),
    Column("reach", Case(When(phone="", email="", then=Value(3)), When(phone="", then=Value(2)), When(email="", then=Value(1)),
                         default=Value(0), output_field=IntegerField())),
    Column("handed_over", "handed_over_at"),
    Column("attempts", "attempts", first="desc"),
    Column("last_attempt", "last_attempt_at", first="desc"),
    Column("next_step", Lower("last_next_step")),
    default=("handed_over", "asc"),
)


def worklist_choices(user: User) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Councils and elections that have candidates on the adviser's worklist, for the filter form."""
    base = worklist(user)
    councils = Area.objects.filter(pk__in=base.values("ballot__council_id")).order_by("name")
    elections = Election.objects.filter(pk__in=base.values("ballot__election_id")).order_by("-date", "name")
    return [(a.code, a.name) for a in councils], [(e.election_id, e.name) for e in elections]


# ---------------------------------------------------------------------------------------------------
# Contact attempts


MAX_NEXT_STEP = 300
MAX_NOTES = 5000


def record_contact_attempt(
    actor: Actor, candidate: Candidate, *, method: str, outcome: str, at: dt.datetime | None = None,
    next_step: str = "", notes: str = "",
) -> ContactAttempt:
    """Record one attempt to reach the candidate. ``DoesNotExist`` if they are outside the adviser's force."""
    user = _require_adviser(actor)
    if not outreach_candidates(user).filter(pk=candidate.pk).exists():
        raise Candidate.DoesNotExist
    if method not in ContactAttempt.Method.values:
        raise InvalidInput("method", "Select how you tried to contact the candidate")
    if outcome not in ContactAttempt.Outcome.values:
        raise InvalidInput("outcome", "Select what happened")
    now = timezone.now()
    at = at or now
    if at > now + dt.timedelta(minutes=5):
        raise InvalidInput("at", "The time of the attempt must be now or in the past")
    if at.year < 2000:  # a typing error ("1926") would distort the coverage figures
        raise InvalidInput("at", "Enter the date of the attempt, like 3 May 2026")
    next_step, notes = next_step.strip(), notes.strip()
    if len(next_step) > MAX_NEXT_STEP:
        raise InvalidInput("next_step", f"Next step must be {MAX_NEXT_STEP} characters or fewer")
    if len(notes) > MAX_NOTES:
        raise InvalidInput("notes", f"Notes must be {MAX_NOTES} characters or fewer")
    with transaction.atomic():
        attempt = ContactAttempt.objects.create(
            candidate=candidate, adviser=user, at=at, method=method, outcome=outcome, next_step=next_step, notes=notes,
        )
        audit(actor, "create", "contact_attempt", attempt.pk, fields=["notes"] if notes else [],
              detail=f"candidate {candidate.pk} {method} {outcome}")
        if outcome == ContactAttempt.Outcome.REACHED:
            # Reaching the candidate stops the first-contact clock of every incident they had sent by then.
            record_first_contact(actor, candidate, at, f"({attempt.get_method_display().lower()}, outreach)")
    return attempt


def contact_history(actor: Actor, candidate: Candidate) -> list[ContactAttempt]:
    """Every attempt, newest first, notes decrypted; reading the notes is audited."""
    _require_adviser(actor)
    attempts = list(candidate.contact_attempts.select_related("adviser").order_by("-at", "-id"))
    with_notes = [a.pk for a in attempts if a.notes]
    if with_notes:
        audit_reads(actor, "contact_attempt", with_notes, ["notes"])
    return attempts


def first_contact(candidate: Candidate) -> ContactAttempt | None:
    return candidate.contact_attempts.filter(outcome=ContactAttempt.Outcome.REACHED).order_by("at", "id").first()


# ---------------------------------------------------------------------------------------------------
# Briefings


def adviser_forces(user: User) -> QuerySet[PoliceForce]:
    _require_adviser(user)
    return user.police_forces.order_by("name")


def briefings_for(user: User) -> QuerySet[Briefing]:
    """The briefings of the adviser's force(s), soonest upcoming first, then past ones newest first."""
    _require_adviser(user)
    return (
        Briefing.objects.filter(force__in=user.police_forces.all()).select_related("force", "created_by")
        .annotate(
            invited=Count("invitations"),
            accepted=Count("invitations", filter=Q(invitations__status=Invitation.Status.ACCEPTED)),
            declined=Count("invitations", filter=Q(invitations__status=Invitation.Status.DECLINED)),
            attended_count=Count("invitations", filter=Q(invitations__attended=True)),
        )
    )


def upcoming_first(qs: QuerySet[Briefing]) -> list[Briefing]:
    now = timezone.now()
    items = list(qs)
    upcoming = sorted((b for b in items if b.starts_at >= now), key=lambda b: (b.starts_at, b.pk))
    past = sorted((b for b in items if b.starts_at < now), key=lambda b: (b.starts_at, b.pk), reverse=True)
    return upcoming + past


def get_briefing(user: User, briefing_id: int) -> Briefing:
    """The briefing, or ``Briefing.DoesNotExist`` if it belongs to another force."""
    return briefings_for(user).get(pk=briefing_id)


def create_briefing(
    actor: Actor, *, force: PoliceForce, title: str, kind: str, format: str, starts_at: dt.datetime,
    location: str = "", topics: list[str] | None = None,
) -> Briefing:
    user = _require_adviser(actor)
    if not user.police_forces.filter(pk=force.pk).exists():
        raise InvalidInput("force", "Select one of your police forces")
    title, location = title.strip(), location.strip()
    topics = list(dict.fromkeys(topics or []))
    if not title:
        raise InvalidInput("title", "Enter a title for the briefing")
    if len(title) > 200:
        raise InvalidInput("title", "Title must be 200 characters or fewer")
    if kind not in Briefing.Kind.values:
        raise InvalidInput("kind", "Select whether the briefing is for a group or one-to-one")
    if format not in Briefing.Format.values:
        raise InvalidInput("format", "Select whether the briefing is in person or online")
    if len(location) > 1000:
        raise InvalidInput("location", "Venue or link must be 1000 characters or fewer")
    unknown = [t for t in topics if t not in Topic.values]
    if unknown:
        raise InvalidInput("topics", "Select topics from the list")
    with transaction.atomic():
        briefing = Briefing.objects.create(
            force=force, title=title, kind=kind, format=format, starts_at=starts_at, location=location,
            topics=topics, created_by=user,
        )
        audit(actor, "create", "briefing", briefing.pk, fields=["location"] if location else [], detail=f"force {force.code}")
    return briefing


def read_location(briefing: Briefing) -> str:
    """The venue or meeting link, for the advisers of the force and the invitees (decrypted on load)."""
    return briefing.location


def invitable_candidates(user: User, briefing: Briefing) -> QuerySet[Candidate]:
    """Candidates in the briefing's force area that the adviser can see."""
    in_force = AreaForce.objects.filter(area_id=OuterRef("ballot__area_id"), force_id=briefing.force_id)
    return outreach_candidates(user).filter(Exists(in_force), ballot__cancelled=False)


def briefing_invitations(briefing: Briefing) -> QuerySet[Invitation]:
    return briefing.invitations.select_related("candidate__ballot__election", "candidate__party").order_by("candidate__name", "id")


@dataclass(frozen=True)
class InviteReport:
    invited: int  # newly invited
    already: int  # invited before: left as they were
    with_account: int  # of the newly invited, how many have a Ballotguard account and will see it

    @property
    def total(self) -> int:
        return self.invited + self.already


def invite(actor: Actor, briefing: Briefing, candidates: list[Candidate], detail: str = "") -> InviteReport:
    """Invite candidates in one transaction; anyone already invited is left alone (idempotent)."""
    user = _require_adviser(actor)
    if not briefings_for(user).filter(pk=briefing.pk).exists():
        raise Briefing.DoesNotExist
    if briefing.has_started:
        raise InvalidInput("briefing", "This briefing has already started: candidates can no longer be invited")
    ids = {c.pk for c in candidates}
    allowed = set(invitable_candidates(user, briefing).filter(pk__in=ids).values_list("pk", flat=True))
    if ids - allowed:
        raise Candidate.DoesNotExist
    with transaction.atomic():
        Briefing.objects.select_for_update().filter(pk=briefing.pk).first()  # one bulk invitation at a time
        existing = set(briefing.invitations.filter(candidate_id__in=ids).values_list("candidate_id", flat=True))
        new = [c for c in candidates if c.pk not in existing]
        now = timezone.now()
        Invitation.objects.bulk_create(
            [Invitation(briefing=briefing, candidate=c, invited_by=user, invited_at=now) for c in new],
            ignore_conflicts=True,
        )
        if new:
            audit(actor, "create", "invitation", briefing.pk, detail=f"briefing {briefing.pk}: {len(new)} invited{detail}")
    return InviteReport(invited=len(new), already=len(existing), with_account=sum(1 for c in new if c.user_id))


def council_choices(user: User, briefing: Briefing) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Councils and elections with candidates this briefing can invite."""
    base = invitable_candidates(user, briefing)
    councils = Area.objects.filter(pk__in=base.values("ballot__council_id")).order_by("name")
    elections = Election.objects.filter(pk__in=base.values("ballot__election_id")).order_by("-date", "name")
    return [(a.code, a.name) for a in councils], [(e.election_id, e.name) for e in elections]


def invite_council(actor: Actor, briefing: Briefing, council_code: str, election_id: str) -> InviteReport:
    """Invite every candidate of a council's ballots at one election who is in the briefing's force area."""
    user = _require_adviser(actor)
    if not briefings_for(user).filter(pk=briefing.pk).exists():
        raise Briefing.DoesNotExist
    council = Area.objects.filter(code=council_code, area_type=Area.Type.COUNCIL).first()
    if council is None:
        raise InvalidInput("council", "Select a council")
    election = Election.objects.filter(election_id=election_id).first()
    if election is None:
        raise InvalidInput("election", "Select an election")
    candidates = list(invitable_candidates(user, briefing).filter(ballot__council=council, ballot__election=election).order_by("pk"))
    if not candidates:
        raise InvalidInput("council", f"There are no candidates of {council.name} at this election in the {briefing.force.name} police force area")
    return invite(actor, briefing, candidates, detail=f" from council {council.code}, election {election.election_id}")


@dataclass
class AttendanceReport:
    matched: list[tuple[int, str, Invitation]] = field(default_factory=list)  # line number, line, invitation
    unmatched: list[tuple[int, str, str]] = field(default_factory=list)  # line number, line, reason
    repeated: list[tuple[int, str]] = field(default_factory=list)
    newly_recorded: int = 0


def record_attendance(actor: Actor, briefing: Briefing, text: str) -> AttendanceReport:
    """Mark the invitees named in ``text`` (one name or Democracy Club person id a line) as attended.

    The matched invitees are saved in one transaction and every line that matched nobody is reported;
    recording the same list again changes nothing. An empty or unreadable list saves nothing
    (``InvalidInput`` on ``names``).
    """
    user = _require_adviser(actor)
    if not briefings_for(user).filter(pk=briefing.pk).exists():
        raise Briefing.DoesNotExist
    if not briefing.has_started:
        raise InvalidInput("names", "You can record attendance once the briefing has started")
    try:
        lines = split_lines(text)
    except ListUnreadable as exc:
        raise InvalidInput("names", str(exc)) from None
    invitations = {i.pk: i for i in briefing_invitations(briefing)}
    if not invitations:
        raise InvalidInput("names", "Nobody has been invited to this briefing yet: invite candidates first")
    result = match_attendance(lines, [Invitee(i.pk, i.candidate.name, i.candidate.person_id) for i in invitations.values()])
    report = AttendanceReport(
        matched=[(line.number, line.text, invitations[key]) for key, line in sorted(result.matched.items(), key=lambda kv: kv[1].number)],
        unmatched=[(u.number, u.text, u.reason) for u in result.unmatched],
        repeated=[(line.number, line.text) for line in result.repeated],
    )
    to_mark = [invitations[key].pk for key in result.matched if not invitations[key].attended]
    if to_mark:
        with transaction.atomic():
            report.newly_recorded = Invitation.objects.filter(pk__in=to_mark, attended=False).update(
                attended=True, attendance_recorded_at=timezone.now(),
            )
            audit(actor, "update", "briefing", briefing.pk,
                  detail=f"attendance: {report.newly_recorded} recorded, {len(result.matched)} matched, {len(result.unmatched)} unmatched")
        for pk in to_mark:
            invitations[pk].attended = True
    return report


# ---------------------------------------------------------------------------------------------------
# The candidate's side


def candidacies(user: User) -> list[Candidate]:
    if not is_candidate_side(user):
        raise NotPermitted("Only candidates and their staff have a police adviser page.")
    return list(candidates_visible_to(user).order_by("-ballot__election__date", "name"))


@dataclass(frozen=True)
class AdviserCard:
    candidate: Candidate
    forces: list[PoliceForce]
    advisers: list[User]


def advisers_page(user: User) -> list[AdviserCard]:
    """For each candidacy: the police force(s) covering it and their advisers (primary force first)."""
    return [AdviserCard(candidate=c, forces=forces_for(c), advisers=advisers_for(c)) for c in candidacies(user)]


def invitations_for(user: User) -> QuerySet[Invitation]:
    """Invitations to the user's own candidacies (or those delegated to them), soonest briefing first."""
    if not is_candidate_side(user):
        raise NotPermitted("Only candidates and their staff have briefing invitations.")
    return (
        Invitation.objects.filter(candidate__in=candidates_visible_to(user))
        .select_related("briefing__force", "briefing__created_by", "candidate__ballot")
        .order_by("briefing__starts_at", "id")
    )


def respond(actor: Actor, invitation: Invitation, accept: bool) -> Invitation:
    """Accept or decline an invitation; answering again changes the answer until the briefing starts."""
    user = actor.user
    if user is None or not is_candidate_side(user):
        raise NotPermitted("Only the candidate or their staff can answer an invitation.")
    if not invitations_for(user).filter(pk=invitation.pk).exists():
        raise Invitation.DoesNotExist
    if invitation.briefing.has_started:
        raise InvalidInput("response", "This briefing has already started, so you can no longer answer the invitation")
    status = Invitation.Status.ACCEPTED if accept else Invitation.Status.DECLINED
    with transaction.atomic():
        invitation.status = status
        invitation.responded_at = timezone.now()
        invitation.responded_by = user
        invitation.save(update_fields=["status", "responded_at", "responded_by"])
        audit(actor, "update", "invitation", invitation.pk, detail=f"briefing {invitation.briefing_id} {status}")
    return invitation


# ---------------------------------------------------------------------------------------------------
# Coverage figures (for the Taskforce's insights)


@dataclass(frozen=True)
class OutreachRecord:
    """One handed-over candidate as the coverage statistics see them; no personal data."""

    candidate_id: int
    force_ids: tuple[int, ...]
    nominations_close: dt.date | None
    handed_over_at: dt.datetime
    first_contact_at: dt.datetime | None
    briefed: bool

    def for_stats(self) -> CandidateOutreach:
        first = timezone.localdate(self.first_contact_at) if self.first_contact_at else None
        return CandidateOutreach(nominations_close=self.nominations_close, first_contact=first, briefed=self.briefed)


def outreach_records(candidates: QuerySet[Candidate] | None = None) -> list[OutreachRecord]:
    """Every candidate handed over with consent, with the forces covering them, the close of
    nominations of their election, their first successful contact and whether they were briefed."""
    qs = handed_over(candidates if candidates is not None else Candidate.objects.all())
    rows = qs.annotate(
        first_contact_at=Min("contact_attempts__at", filter=Q(contact_attempts__outcome=ContactAttempt.Outcome.REACHED)),
        briefed=Exists(Invitation.objects.filter(candidate_id=OuterRef("pk"), attended=True)),
    ).values_list("pk", "ballot__area_id", "ballot__election__nominations_close", "handed_over_at", "first_contact_at", "briefed")
    rows = list(rows)
    forces: dict[int, list[int]] = {}
    for area_id, force_id in AreaForce.objects.filter(area_id__in={r[1] for r in rows}).values_list("area_id", "force_id"):
        forces.setdefault(area_id, []).append(force_id)
    return [
        OutreachRecord(candidate_id=pk, force_ids=tuple(sorted(forces.get(area_id, []))), nominations_close=close,
                       handed_over_at=handed, first_contact_at=first, briefed=briefed)
        for pk, area_id, close, handed, first, briefed in rows
    ]


def coverage_by_force(today: dt.date | None = None) -> list[tuple[PoliceForce, Coverage]]:
    """Per police force (every force, by name): candidates handed over, contacted, briefed, and the
    median days from the close of nominations to first contact. A candidate in a constituency
    policed by two forces counts for both. Figures only: no personal data."""
    forces = list(PoliceForce.objects.order_by("name"))
    records = outreach_records()
    rows = [(force_id, r.for_stats()) for r in records for force_id in r.force_ids]
    by_id = coverage_by(rows, keys=[f.pk for f in forces], today=today or timezone.localdate())
    return [(f, by_id[f.pk]) for f in forces]
