"""Registry operations: who may see which candidates, filtering, hand-over of contact details, counts.

Views, API endpoints and commands stay thin and call these functions; every read or change of a
candidate's personal data is audited here, not left to callers.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from ballotguard.accounts.models import Role, User
from ballotguard.accounts.services import Actor, audit, audit_reads
from ballotguard.core.sorting import Column, SortSpec
from ballotguard.engines.candidates.contact import ContactDetails

from .models import Area, AreaForce, Ballot, Candidate, Election, Party, PoliceForce, SocialHandle
from .tasks import notify_advisers_of_handover


class HandleTaken(ValueError):
    """The social media account is already recorded for a different person."""


class NotPermitted(Exception):
    """The actor may not do this. Callers answer 403 (or 404 where existence itself must stay hidden)."""


# ---------------------------------------------------------------------------------------------------
# Scope: which candidates and ballots a user can see at all


def _candidate_base() -> QuerySet[Candidate]:
    return Candidate.objects.select_related("ballot__election", "ballot__area", "party")


def candidates_visible_to(user: User) -> QuerySet[Candidate]:
    """Every candidate the user may open. Anything outside this set is answered with 404."""
    qs = _candidate_base()
    if not user.is_authenticated:
        return qs.none()
    if user.role == Role.FEOA:
        in_force = AreaForce.objects.filter(area_id=OuterRef("ballot__area_id"), force__in=user.police_forces.all())
        return qs.filter(Exists(in_force))
    if user.role == Role.ADMIN:
        return qs
    if user.role == Role.RETURNING_OFFICER:
        return qs.filter(ballot__council_id=user.council_id) if user.council_id else qs.none()
    if user.role == Role.CANDIDATE:
        return qs.filter(user=user)
    if user.role == Role.STAFF:
        return qs.filter(delegations__staff=user)
    return qs.none()


def can_list_candidates(user: User) -> bool:
    return user.is_authenticated and user.role in {Role.FEOA, Role.ADMIN, Role.RETURNING_OFFICER}


def can_see_contact_details(user: User, candidate: Candidate) -> bool:
    """Contact details are for the people who need them: never administrators or analysts."""
    if user.role == Role.FEOA:
        return candidate.consent_to_share and candidate.handed_over
    if user.role == Role.RETURNING_OFFICER:
        return candidate.ballot.council_id == user.council_id
    return user.role in {Role.CANDIDATE, Role.STAFF}  # scope already limits them to their own records


def ballots_visible_to(user: User) -> QuerySet[Ballot]:
    qs = Ballot.objects.select_related("election", "area", "council")
    if user.role == Role.ADMIN:
        return qs
    if user.role == Role.RETURNING_OFFICER and user.council_id:
        return qs.filter(council_id=user.council_id)
    if user.role == Role.FEOA:
        return qs.filter(Exists(AreaForce.objects.filter(area_id=OuterRef("area_id"), force__in=user.police_forces.all())))
    return qs.none()


# ---------------------------------------------------------------------------------------------------
# Filtering and reading


@dataclass(frozen=True)
class CandidateFilter:
    election: str = ""  # election_id
    area: str = ""  # area code
    party: str = ""  # party_id
    operation: str = ""  # bridger / ford / none
    handed_over: bool | None = None
    name: str = ""

    def apply(self, qs: QuerySet[Candidate]) -> QuerySet[Candidate]:
        if self.election:
            qs = qs.filter(ballot__election__election_id=self.election)
        if self.area:
            qs = qs.filter(Q(ballot__area__code=self.area) | Q(ballot__area__parent__code=self.area))
        if self.party:
            qs = qs.filter(party__party_id=self.party)
        if self.operation:
            qs = qs.filter(ballot__election__operation=self.operation)
        if self.handed_over is not None:
            qs = qs.filter(handed_over_at__isnull=not self.handed_over)
        if self.name:
            qs = qs.filter(name__icontains=self.name)
        return qs


#: The candidate list's sortable columns (page and API): public fields only. Contact details are
#: encrypted and never listed, let alone sorted on.
CANDIDATE_SORT = SortSpec(
    Column("name", Lower("name")),
    Column("party", Lower("party__name")),
    Column("ballot", Lower("ballot__post_label")),
    Column("election", "ballot__election__date", Lower("ballot__election__name"), first="desc"),
    Column("operation", "ballot__election__operation"),
    Column("handed_over", "handed_over_at", first="desc"),
    default=("name", "asc"),
)


def _handover_state(c: Candidate) -> int:
    """Handed over with consent, then refused, then not yet handed over."""
    if c.handed_over_at:
        return 0 if c.consent_to_share else 1
    return 2


#: The hand-over page's columns: each ballot's table sorted in Python (a council's ballots are small).
HANDOVER_SORT = SortSpec(
    Column("name", value=lambda c: c.name),
    Column("party", value=lambda c: c.party.name if c.party else ""),
    Column("person_id", value=lambda c: c.person_id),
    Column("status", value=_handover_state),
    default=("name", "asc"),
)


def list_candidates(user: User, flt: CandidateFilter) -> QuerySet[Candidate]:
    if not can_list_candidates(user):
        raise NotPermitted("This role cannot list candidates.")
    return flt.apply(candidates_visible_to(user)).order_by("name", "id")


def get_candidate(user: User, candidate_id: int) -> Candidate:
    """The candidate, or ``Candidate.DoesNotExist`` if it does not exist *or* is outside the user's scope."""
    return candidates_visible_to(user).get(pk=candidate_id)


def read_contact_details(actor: Actor, candidate: Candidate) -> ContactDetails | None:
    """Decrypt and return a candidate's contact details if the actor may see them, auditing the read."""
    if actor.user is None or not can_see_contact_details(actor.user, candidate):
        return None
    details = ContactDetails(email=candidate.email, phone=candidate.phone, address=candidate.address, postcode=candidate.postcode)
    if details.is_empty():
        return details
    audit(actor, "read", "candidate", candidate.pk, fields=details.present_fields())
    return details


def audit_list_read(actor: Actor, candidates: list[Candidate], fields: list[str]) -> None:
    audit_reads(actor, "candidate", [c.pk for c in candidates], fields)


def forces_for(candidate: Candidate) -> list[PoliceForce]:
    links = AreaForce.objects.filter(area_id=candidate.ballot.area_id).select_related("force")
    return [link.force for link in links]


def advisers_for(candidate: Candidate) -> list[User]:
    """The FEOAs of every force covering the candidate's area, primary force first."""
    forces = forces_for(candidate)
    advisers: list[User] = []
    for force in forces:
        advisers.extend(force.advisers.filter(role=Role.FEOA, is_active=True).order_by("last_name"))
    return advisers


# ---------------------------------------------------------------------------------------------------
# Hand-over of contact details by the returning officer


def handover(actor: Actor, candidate: Candidate, details: ContactDetails, consent: bool) -> Candidate:
    """Record the returning officer's hand-over of one candidate's contact details (see ``handover_many``)."""
    handover_many(actor, [(candidate, details, consent)])
    return candidate


def _record_handover(actor: Actor, candidate: Candidate, details: ContactDetails, consent: bool) -> Candidate:
    """Record the returning officer's hand-over of one candidate's contact details.

    Without the candidate's consent nothing personal is kept: the hand-over is recorded as refused
    and any details stored earlier are erased.
    """
    user = actor.user
    if user is None or user.role != Role.RETURNING_OFFICER or candidate.ballot.council_id != user.council_id:
        raise NotPermitted("Only the returning officer of this candidate's council can hand over their details.")
    details = details if consent else ContactDetails()
    changed = [f for f in Candidate.PERSONAL_FIELDS if getattr(candidate, f) != getattr(details, f)]
    for field in Candidate.PERSONAL_FIELDS:
        setattr(candidate, field, getattr(details, field))
    candidate.consent_to_share = consent
    candidate.handed_over_at = timezone.now()
    candidate.handed_over_by = user
    with transaction.atomic():
        candidate.save()
        audit(
            actor, "update", "candidate", candidate.pk, fields=changed,
            detail="handover with consent" if consent else "handover refused: no consent, details erased",
        )
    return candidate


def handover_many(actor: Actor, rows: list[tuple[Candidate, ContactDetails, bool]]) -> int:
    """Hand over many candidates in one transaction: all are recorded or none."""
    with transaction.atomic():
        for candidate, details, consent in rows:
            _record_handover(actor, candidate, details, consent)
        ids = [candidate.pk for candidate, _, consent in rows if consent]
        if ids:
            transaction.on_commit(lambda: notify_advisers_of_handover.enqueue(ids))
    return len(rows)


# ---------------------------------------------------------------------------------------------------
# Social media accounts, which route monitored messages to the candidate


def can_edit_handles(user: User, candidate: Candidate) -> bool:
    """The candidate and their staff keep their own accounts up to date; nobody else needs to."""
    return user.is_authenticated and user.role in {Role.CANDIDATE, Role.STAFF} and candidates_visible_to(user).filter(pk=candidate.pk).exists()


def add_handle(actor: Actor, candidate: Candidate, platform: str, handle: str) -> SocialHandle:
    if actor.user is None or not can_edit_handles(actor.user, candidate):
        raise NotPermitted("Only the candidate or their staff can change their social media accounts.")
    # One account, one person: otherwise anyone could claim another candidate's handle and have the
    # threats sent to that candidate routed to themselves, away from the victim's police force.
    if SocialHandle.objects.filter(platform=platform, handle=handle).exclude(candidate__person_id=candidate.person_id).exists():
        raise HandleTaken("This account is already recorded for another candidate. If it is yours, contact your police adviser.")
    item, created = SocialHandle.objects.get_or_create(candidate=candidate, platform=platform, handle=handle)
    if created:
        audit(actor, "create", "social_handle", item.pk, detail=f"candidate {candidate.pk}")
    return item


def remove_handle(actor: Actor, candidate: Candidate, handle_id: int) -> None:
    if actor.user is None or not can_edit_handles(actor.user, candidate):
        raise NotPermitted("Only the candidate or their staff can change their social media accounts.")
    deleted, _ = SocialHandle.objects.filter(candidate=candidate, pk=handle_id).delete()
    if deleted:
        audit(actor, "delete", "social_handle", handle_id, detail=f"candidate {candidate.pk}")


# ---------------------------------------------------------------------------------------------------
# Counts


def registry_summary() -> dict:
    areas_by_type = dict(Area.objects.values_list("area_type").annotate(n=Count("id")).order_by("area_type"))
    multi_force = (
        AreaForce.objects.values("area_id").annotate(n=Count("force_id", distinct=True)).filter(n__gt=1)
    )
    multi_force_constituencies = multi_force.filter(area__area_type=Area.Type.CONSTITUENCY)
    return {
        "elections": Election.objects.count(),
        "ballots": Ballot.objects.count(),
        "areas": {t: areas_by_type.get(t, 0) for t, _ in Area.Type.choices},
        "police_forces": PoliceForce.objects.count(),
        "parties": Party.objects.count(),
        "candidates": Candidate.objects.count(),
        "candidates_handed_over": Candidate.objects.filter(handed_over_at__isnull=False).count(),
        "areas_covered_by_more_than_one_force": multi_force.count(),
        "constituencies_covered_by_more_than_one_force": multi_force_constituencies.count(),
    }


def fail_dead_import_jobs(now=None) -> int:
    """Mark failed the imports left "running" by a worker that died (``core.jobs``): the page and the
    API call this before they show jobs, and the worker before it starts one. The upload is dropped
    as at any other end; the import ran in one transaction, so what was there before is untouched and
    the file can be uploaded again. Returns how many."""
    from django.db import connection, transaction
    from django.db.models.functions import Coalesce
    from django.utils import timezone

    from ballotguard.core import jobs

    from .models import ImportJob

    dead = (ImportJob.objects.filter(status=ImportJob.Status.RUNNING)
            .alias(last_heard=Coalesce("heartbeat_at", "started_at", "created_at"))
            .filter(last_heard__lt=jobs.stale_before(now)))
    # Read first, and write only when there is something to fail: on SQLite any write waits for a
    # running import's write lock. A row another transaction holds locked belongs to a job that is
    # alive, so it is skipped rather than waited for (PostgreSQL; SQLite has no row locks).
    if not dead.exists():
        return 0
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            dead = dead.select_for_update(skip_locked=True)
        pks = list(dead.values_list("pk", flat=True))
        return ImportJob.objects.filter(pk__in=pks).update(status=ImportJob.Status.FAILED, errors=[jobs.died_reason()], data=b"",
                                                           gender_data=None, finished_at=now or timezone.now())


def queue_candidate_import(actor, data: bytes, filename: str, *, gender: bytes | None = None, dry_run: bool = False,
                           allow_unknown_columns: bool = False):
    """Store an upload as an ``ImportJob`` and hand it to the task worker (``tasks.run_import_job``).

    Used for files over ``BALLOTGUARD_IMPORT_INLINE_BYTES``: an import of 100,000 rows takes longer
    than a web worker may hold a request. The job is enqueued once the row is committed."""
    from django.db import transaction

    from ballotguard.accounts.services import audit

    from .models import ImportJob
    from .tasks import run_import_job

    job = ImportJob.objects.create(filename=filename[:255] or "candidates.csv", data=data, gender_data=gender, dry_run=dry_run,
                                   allow_unknown_columns=allow_unknown_columns, created_by=actor.user)
    audit(actor, "import", "import_job", job.pk, detail=f"candidate import queued ({len(data):,} bytes{', dry run' if dry_run else ''})")
    transaction.on_commit(lambda: run_import_job.enqueue(job.pk))
    return job
