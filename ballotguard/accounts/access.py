"""Separation of duties for access to police data: propose, then a second person approves.

Who may see incidents, messages and contact details follows from a user's role, their police forces,
their council, the candidate records linked to them and the delegations they hold, and from whether
they may sign in at all. Changing any of these (deactivating or reactivating a user included) is an
``AccessChange``: an administrator proposes it, and it is applied only when approved by

- the lead FEOA of every affected force that has one (a change to a police role or force), or
- another administrator: for staff roles, candidate links, delegations, and forces with no lead yet.

Nobody approves their own proposal or a change about themselves. The one exception runs the other way:
an administrator, or a force's lead FEOA for that force's advisers, may **suspend** a user alone and at
once (``suspend``), because removing access must be fast and opens nothing; bringing them back is a
reactivation, proposed and approved as above. The affected forces are told by
e-mail (through the task worker) and on their FEOAs' home page, and proposing, each approval,
applying and rejecting are audit events. Django admin is read-only for all of it (``accounts.admin``),
so this module is the only web route to police data. ``ballotguard demo`` and ``createsuperuser`` are
trusted bootstrap commands run on the server, not web routes (docs/security.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import AccessApproval, AccessChange, AuditEvent, Role, User
from .services import Actor, audit


class AccessChangeError(Exception):
    """A proposal or decision that cannot be made; ``field`` names the input at fault, if one is."""

    def __init__(self, message: str, field: str = "", *, conflict: bool = False):
        super().__init__(message)
        self.message = message
        self.field = field
        self.conflict = conflict  # the change was decided already (the API answers 409, not 403)


@dataclass(frozen=True)
class Grant:
    """A user's role and scope as proposed: for a new user (``username`` not yet taken) or an existing one."""

    username: str
    role: str
    forces: tuple = ()  # PoliceForce objects
    council: object | None = None  # registry Area of type council
    is_force_lead: bool = False
    email: str = ""
    first_name: str = ""
    last_name: str = ""


def _forces_of(user: User | None) -> set:
    if user is None or user.role != Role.FEOA:
        return set()
    return set(user.police_forces.all())


def _candidate_forces(candidate) -> set:
    from ballotguard.registry.models import PoliceForce

    return set(PoliceForce.objects.filter(area_links__area_id=candidate.ballot.area_id))


# ---------------------------------------------------------------------------------------------------
# Proposing


def _require_admin(actor: Actor) -> User:
    user = actor.user
    if user is None or not user.is_active or user.role != Role.ADMIN:
        raise AccessChangeError("Only an administrator can propose a change to who may see police data.")
    return user


@transaction.atomic
def propose_grant(actor: Actor, grant: Grant, reason: str) -> AccessChange:
    """Propose creating a user, or changing an existing user's role and scope."""
    proposer = _require_admin(actor)
    reason = reason.strip()
    if not reason:
        raise AccessChangeError("Enter why the change is needed", "reason")
    if grant.role not in Role.values:
        raise AccessChangeError("Select a role", "role")
    existing = User.objects.filter(username=grant.username).first()
    if existing is None and not grant.email:
        raise AccessChangeError("Enter the new user's e-mail address: their invitation to set a password goes there", "email")
    if existing is not None and existing.pk == proposer.pk:
        raise AccessChangeError("You cannot propose a change to your own access", "username")
    forces = set(grant.forces)
    if grant.role == Role.FEOA and not forces:
        raise AccessChangeError("Select the police force or forces of the FEOA", "forces")
    if grant.role != Role.FEOA and forces:
        raise AccessChangeError("Only FEOAs have police forces: clear the forces or choose the FEOA role", "forces")
    if grant.is_force_lead and grant.role != Role.FEOA:
        raise AccessChangeError("Only an FEOA can be a force lead", "is_force_lead")
    if grant.role == Role.RETURNING_OFFICER and grant.council is None:
        raise AccessChangeError("Select the council of the returning officer", "council")
    if grant.role != Role.RETURNING_OFFICER and grant.council is not None:
        raise AccessChangeError("Only returning officers have a council: clear it or choose the returning officer role", "council")
    if existing is not None and existing.role == grant.role and _forces_of(existing) == forces and existing.council_id == getattr(grant.council, "pk", None) and existing.is_force_lead == grant.is_force_lead:
        raise AccessChangeError("This user already has this role and scope", "role")
    change = AccessChange.objects.create(
        kind=AccessChange.Kind.GRANT, target_user=existing, username=grant.username,
        email=grant.email if existing is None else "", first_name=grant.first_name if existing is None else "",
        last_name=grant.last_name if existing is None else "", role=grant.role, council=grant.council,
        is_force_lead=grant.is_force_lead, reason=reason[:300], proposed_by=proposer,
    )
    change.forces.set(forces)
    change.affected_forces.set(forces | _forces_of(existing))
    _proposed(actor, change)
    return change


@transaction.atomic
def propose_candidate_access(actor: Actor, kind: str, candidate, username: str, reason: str) -> AccessChange:
    """Propose linking or unlinking a candidate record and a user, or starting or ending a delegation."""
    from ballotguard.registry.models import Delegation

    proposer = _require_admin(actor)
    reason = reason.strip()
    if not reason:
        raise AccessChangeError("Enter why the change is needed", "reason")
    if kind not in {AccessChange.Kind.LINK_CANDIDATE, AccessChange.Kind.UNLINK_CANDIDATE, AccessChange.Kind.DELEGATE, AccessChange.Kind.END_DELEGATION}:
        raise AccessChangeError("Select what to change", "kind")
    user = User.objects.filter(username=username).first()
    if user is None:
        raise AccessChangeError("There is no user with this username: propose creating them first", "username")
    if user.pk == proposer.pk:
        raise AccessChangeError("You cannot propose a change to your own access", "username")
    if kind == AccessChange.Kind.LINK_CANDIDATE:
        if user.role != Role.CANDIDATE:
            raise AccessChangeError("Only a user with the candidate role can be linked to a candidate record", "username")
        if candidate.user_id is not None:
            raise AccessChangeError("This candidate record is already linked to a user: unlink it first", "candidate")
    elif kind == AccessChange.Kind.UNLINK_CANDIDATE:
        if candidate.user_id != user.pk:
            raise AccessChangeError("This candidate record is not linked to this user", "username")
    elif kind == AccessChange.Kind.DELEGATE:
        if user.role != Role.STAFF:
            raise AccessChangeError("Only a user with the staff or agent role can be delegated a candidacy", "username")
        if Delegation.objects.filter(candidate=candidate, staff=user).exists():
            raise AccessChangeError("This user already holds this delegation", "username")
    elif not Delegation.objects.filter(candidate=candidate, staff=user).exists():
        raise AccessChangeError("This user holds no delegation for this candidacy", "username")
    change = AccessChange.objects.create(
        kind=kind, target_user=user, username=user.username, candidate=candidate, reason=reason[:300], proposed_by=proposer,
    )
    change.affected_forces.set(_candidate_forces(candidate))
    _proposed(actor, change)
    return change


ACTIVATION_KINDS = (AccessChange.Kind.DEACTIVATE, AccessChange.Kind.REACTIVATE)


@transaction.atomic
def propose_activation(actor: Actor, username: str, *, active: bool, reason: str) -> AccessChange:
    """Propose deactivating a user (``active=False``: no sign-in, no API token works) or reactivating
    one. Deactivating can lock out an adviser, a lead FEOA or another administrator, and reactivating
    opens police data again, so neither is one person's decision: approved as a grant of the user's
    role would be (a FEOA's force lead, else another administrator)."""
    proposer = _require_admin(actor)
    reason = reason.strip()
    if not reason:
        raise AccessChangeError("Enter why the change is needed", "reason")
    # Locked, so two proposals made at the same moment cannot both find none waiting.
    user = User.objects.select_for_update().filter(username=username).first()
    if user is None:
        raise AccessChangeError("There is no user with this username", "username")
    if user.pk == proposer.pk:
        raise AccessChangeError("You cannot propose a change to your own access", "username")
    if active and user.is_active:
        raise AccessChangeError("This user is already active", "username")
    if not active and not user.is_active:
        raise AccessChangeError("This user is already deactivated", "username")
    if AccessChange.objects.filter(target_user=user, kind__in=ACTIVATION_KINDS, status=AccessChange.Status.PENDING).exists():
        raise AccessChangeError("A change to whether this user is active is already waiting for approval: decide that one first", "username")
    change = AccessChange.objects.create(
        kind=AccessChange.Kind.REACTIVATE if active else AccessChange.Kind.DEACTIVATE, target_user=user, username=user.username,
        reason=reason[:300], proposed_by=proposer,
    )
    change.affected_forces.set(_forces_of(user))
    _proposed(actor, change)
    return change


# ---------------------------------------------------------------------------------------------------
# Suspending: one person removes access at once


def may_suspend(user: User | None) -> bool:
    """Whether this user may suspend anyone at all: an administrator, or a force's lead FEOA."""
    return bool(user and user.is_authenticated and user.is_active
                and (user.role == Role.ADMIN or (user.role == Role.FEOA and user.is_force_lead)))


@transaction.atomic
def suspend(actor: Actor, username: str, reason: str) -> AccessChange:
    """Deactivate a user now, with no second person: for an account that may be in the wrong hands
    (a laptop stolen at 11pm). Removing access opens no police data to anyone, so one person may do
    it; an administrator may suspend anyone, a lead FEOA only the advisers of their own force(s).

    Recorded as an access change already applied (kind ``suspend``), audited, and the user's forces
    are told. Their signed-in sessions are ended and their API tokens revoked, so reactivating the
    account later (the two-person reactivation) does not bring back credentials that were stolen."""
    suspender = actor.user
    if not may_suspend(suspender):
        raise AccessChangeError("Only an administrator, or a force's lead FEOA for their own force's advisers, can suspend a user.")
    user = User.objects.select_for_update().filter(username=username).first()
    if suspender.role != Role.ADMIN and (user is None or not (_forces_of(user) & _forces_of(suspender))):
        # One answer for "no such user" and "not your force's": a lead FEOA learns nothing about
        # other forces' accounts by trying names.
        raise AccessChangeError("You can suspend only the FEOAs of your own force.")
    if user is None:
        raise AccessChangeError("There is no user with this username", "username")
    if user.pk == suspender.pk:
        raise AccessChangeError("You cannot suspend yourself", "username")
    if not user.is_active:
        raise AccessChangeError("This user is already deactivated", "username")
    reason = reason.strip()
    if not reason:
        raise AccessChangeError("Enter why the user is suspended", "reason")
    now = timezone.now()
    change = AccessChange.objects.create(
        kind=AccessChange.Kind.SUSPEND, status=AccessChange.Status.APPROVED, target_user=user, username=user.username,
        reason=reason[:300], proposed_by=suspender, proposed_at=now, decided_by=suspender, decided_at=now,
        decision_note="Applied at once: suspending needs no second person",
    )
    change.affected_forces.set(_forces_of(user))
    audit(actor, AuditEvent.Action.CREATE, "access_change", change.pk,
          detail=f"suspended at once; forces {','.join(sorted(f.code for f in change.affected_forces.all())) or 'none'}")
    _apply(actor, change)
    # A deactivation waiting for approval is moot now, and would block proposing a reactivation.
    for moot in AccessChange.objects.select_for_update().filter(target_user=user, kind=AccessChange.Kind.DEACTIVATE,
                                                                  status=AccessChange.Status.PENDING):
        moot.status, moot.decided_by, moot.decided_at = AccessChange.Status.REJECTED, suspender, now
        moot.decision_note = f"Overtaken by suspension {change.reference}"
        moot.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit(actor, AuditEvent.Action.UPDATE, "access_change", moot.pk, detail=f"closed: overtaken by {change.reference}")
    _tell_forces(change, "applied at once (suspension)")
    return change


def _end_sessions_and_tokens(actor: Actor, user: User) -> None:
    """End every signed-in session of the user and revoke their API tokens.

    Deactivating already stops both (each checks ``is_active``), but only while the user stays
    inactive: a session or token taken with a stolen laptop would work again after reactivation."""
    from importlib import import_module

    from django.conf import settings

    from .models import ApiToken

    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    ended = 0
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if hasattr(store, "get_model_class"):  # database-backed sessions can be listed; others end by is_active alone
        for session in store.get_model_class().objects.filter(expire_date__gt=timezone.now()).iterator():
            if session.get_decoded().get("_auth_user_id") == str(user.pk):
                session.delete()
                ended += 1
    audit(actor, AuditEvent.Action.UPDATE, "user", user.pk, fields=["api_tokens", "sessions"],
          detail=f"{ended} session(s) ended, {revoked} API token(s) revoked")


def _proposed(actor: Actor, change: AccessChange) -> None:
    audit(actor, AuditEvent.Action.CREATE, "access_change", change.pk,
          detail=f"proposed: {change.kind}{' role ' + change.role if change.role else ''}; forces "
                 f"{','.join(sorted(f.code for f in change.affected_forces.all())) or 'none'}")
    _tell_forces(change, "proposed")


# ---------------------------------------------------------------------------------------------------
# Deciding


def forces_needing_lead(change: AccessChange) -> set:
    """The affected forces whose lead FEOA must approve: police changes only (a police role or force,
    or an adviser deactivated or reactivated), forces with an active lead."""
    if change.kind not in (AccessChange.Kind.GRANT, *ACTIVATION_KINDS):
        return set()
    if change.role != Role.FEOA and (change.target_user is None or change.target_user.role != Role.FEOA):
        return set()
    leads = User.objects.filter(role=Role.FEOA, is_active=True, is_force_lead=True)
    if change.target_user_id:
        leads = leads.exclude(pk=change.target_user_id)
    return set(change.affected_forces.filter(advisers__in=leads).distinct())


def outstanding_approvals(change: AccessChange) -> list:
    """What is still needed: force objects (their lead's approval), or ``None`` (an administrator's)."""
    given = {a.force_id for a in change.approvals.all()}
    needed = forces_needing_lead(change)
    if needed:
        return sorted((f for f in needed if f.pk not in given), key=lambda f: f.name)
    return [] if None in given else [None]


def _slots_for(change: AccessChange, user: User) -> list:
    """The outstanding approvals this user may give (empty: they may not approve)."""
    if user is None or not user.is_active:
        return []
    if user.pk == change.proposed_by_id or (change.target_user_id and user.pk == change.target_user_id):
        return []
    if change.target_user is None and user.username == change.username:
        return []
    slots = []
    for slot in outstanding_approvals(change):
        if slot is None and user.role == Role.ADMIN:
            slots.append(None)
        elif slot is not None and user.role == Role.FEOA and user.is_force_lead and user.police_forces.filter(pk=slot.pk).exists():
            slots.append(slot)
    return slots


def may_approve(change: AccessChange, user: User) -> bool:
    return change.status == AccessChange.Status.PENDING and bool(_slots_for(change, user))


def changes_visible_to(user: User) -> QuerySet[AccessChange]:
    """Administrators see every change; lead FEOAs the changes touching their forces; others none."""
    changes = AccessChange.objects.select_related("proposed_by", "decided_by", "target_user", "candidate", "council")
    if user.role == Role.ADMIN:
        return changes
    if user.role == Role.FEOA and user.is_force_lead:
        return changes.filter(affected_forces__in=user.police_forces.all()).distinct()
    return changes.none()


def notices_for(user: User, limit: int = 10) -> QuerySet[AccessChange]:
    """Recent changes touching an FEOA's forces, for their home page: every FEOA of a force is told."""
    if user.role != Role.FEOA:
        return AccessChange.objects.none()
    return (AccessChange.objects.filter(affected_forces__in=user.police_forces.all()).distinct()
            .select_related("proposed_by", "decided_by").order_by("-proposed_at", "-id")[:limit])


@transaction.atomic
def approve(actor: Actor, change: AccessChange, note: str = "") -> AccessChange:
    """Give this user's approval; apply the change once every approval it needs is in."""
    change = AccessChange.objects.select_for_update().get(pk=change.pk)
    if change.status != AccessChange.Status.PENDING:
        raise AccessChangeError(f"This change is already {change.get_status_display().lower()}", conflict=True)
    slots = _slots_for(change, actor.user)
    if not slots:
        raise AccessChangeError(_why_not(change, actor.user))
    for slot in slots:
        AccessApproval.objects.create(change=change, force=slot, approved_by=actor.user)
        audit(actor, AuditEvent.Action.UPDATE, "access_change", change.pk,
              detail=f"approved {'as administrator' if slot is None else 'as lead FEOA of ' + slot.code}")
    if outstanding_approvals(change):
        return change
    _apply(actor, change)
    change.status = AccessChange.Status.APPROVED
    change.decided_by = actor.user
    change.decided_at = timezone.now()
    change.decision_note = note.strip()[:300]
    change.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "target_user"])
    _tell_forces(change, "approved and applied")
    return change


@transaction.atomic
def reject(actor: Actor, change: AccessChange, note: str) -> AccessChange:
    change = AccessChange.objects.select_for_update().get(pk=change.pk)
    if change.status != AccessChange.Status.PENDING:
        raise AccessChangeError(f"This change is already {change.get_status_display().lower()}", conflict=True)
    user = actor.user
    # The proposer may withdraw; anyone who could approve may reject.
    if user is None or (user.pk != change.proposed_by_id and not _slots_for(change, user)):
        raise AccessChangeError(_why_not(change, user))
    if not note.strip():
        raise AccessChangeError("Enter why the change is rejected", "note")
    change.status = AccessChange.Status.REJECTED
    change.decided_by = user
    change.decided_at = timezone.now()
    change.decision_note = note.strip()[:300]
    change.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit(actor, AuditEvent.Action.UPDATE, "access_change", change.pk, detail="rejected")
    _tell_forces(change, "rejected")
    return change


def _why_not(change: AccessChange, user: User | None) -> str:
    if user is not None and user.pk == change.proposed_by_id:
        return "You proposed this change: a second person must approve it."
    if user is not None and change.target_user_id and user.pk == change.target_user_id:
        return "This change is about you: someone else must approve it."
    needed = outstanding_approvals(change)
    if any(slot is not None for slot in needed):
        return "Only the lead FEOA of " + " and ".join(f.name for f in needed if f is not None) + " can approve this change."
    return "Only another administrator can approve this change."


def _apply(actor: Actor, change: AccessChange) -> None:
    from ballotguard.registry.models import Delegation

    if change.kind == AccessChange.Kind.GRANT:
        user = change.target_user
        created = user is None
        if created:
            if User.objects.filter(username=change.username).exists():
                raise AccessChangeError("The username has been taken since this change was proposed", "username")
            user = User(username=change.username, email=change.email, first_name=change.first_name, last_name=change.last_name)
            user.set_unusable_password()  # the invitation sets it: nobody else ever knows it
        user.role = change.role
        user.council = change.council
        user.is_force_lead = change.is_force_lead
        user.is_staff = user.is_superuser = change.role == Role.ADMIN
        user.save()
        user.police_forces.set(change.forces.all())
        change.target_user = user
        audit(actor, AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE, "user", user.pk,
              fields=["role", "police_forces", "council", "is_force_lead"], detail=f"applied access change {change.reference}")
        if created:
            send_invitation(actor, user)
    elif change.kind == AccessChange.Kind.LINK_CANDIDATE:
        type(change.candidate).objects.filter(pk=change.candidate_id, user__isnull=True).update(user=change.target_user)
        audit(actor, AuditEvent.Action.UPDATE, "candidate", change.candidate_id, fields=["user"], detail=f"linked by {change.reference}")
    elif change.kind == AccessChange.Kind.UNLINK_CANDIDATE:
        type(change.candidate).objects.filter(pk=change.candidate_id, user=change.target_user).update(user=None)
        audit(actor, AuditEvent.Action.UPDATE, "candidate", change.candidate_id, fields=["user"], detail=f"unlinked by {change.reference}")
    elif change.kind == AccessChange.Kind.DELEGATE:
        Delegation.objects.get_or_create(candidate=change.candidate, staff=change.target_user)
        audit(actor, AuditEvent.Action.CREATE, "delegation", change.candidate_id, detail=f"delegated by {change.reference}")
    elif change.kind in (*ACTIVATION_KINDS, AccessChange.Kind.SUSPEND):
        user = change.target_user
        user.is_active = change.kind == AccessChange.Kind.REACTIVATE
        # Signed-in sessions end at their next request and API tokens stop working: both check is_active.
        user.save(update_fields=["is_active"])
        verb = {AccessChange.Kind.REACTIVATE: "reactivated", AccessChange.Kind.SUSPEND: "suspended"}.get(change.kind, "deactivated")
        audit(actor, AuditEvent.Action.UPDATE, "user", user.pk, fields=["is_active"], detail=f"{verb} by {change.reference}")
        if change.kind == AccessChange.Kind.SUSPEND:
            _end_sessions_and_tokens(actor, user)
        if change.kind != AccessChange.Kind.REACTIVATE:
            _withdraw_pending_work_of(actor, user, change)
    elif change.kind == AccessChange.Kind.END_DELEGATION:
        Delegation.objects.filter(candidate=change.candidate, staff=change.target_user).delete()
        audit(actor, AuditEvent.Action.DELETE, "delegation", change.candidate_id, detail=f"ended by {change.reference}")


def _withdraw_pending_work_of(actor: Actor, user: User, change: AccessChange) -> None:
    """Close what a deactivated or suspended user left waiting: the changes they proposed are
    rejected, and their approvals of changes still waiting for someone else are withdrawn.

    A suspension usually means the account was in the wrong hands: whatever it proposed or approved
    while stolen must not become access once an unsuspecting colleague gives the last approval. A
    proposal that was genuine is simply proposed again by someone who is still trusted."""
    now = timezone.now()
    for pending in AccessChange.objects.select_for_update().filter(proposed_by=user, status=AccessChange.Status.PENDING):
        pending.status, pending.decided_by, pending.decided_at = AccessChange.Status.REJECTED, actor.user, now
        pending.decision_note = f"Closed: the proposer was deactivated by {change.reference}; propose it again if it is still wanted"
        pending.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit(actor, AuditEvent.Action.UPDATE, "access_change", pending.pk, detail=f"closed: proposer deactivated by {change.reference}")
    given = AccessApproval.objects.filter(approved_by=user, change__status=AccessChange.Status.PENDING).select_related("change")
    for approval in list(given):
        audit(actor, AuditEvent.Action.UPDATE, "access_change", approval.change_id,
              detail=f"approval by {user.username} withdrawn: deactivated by {change.reference}")
        approval.delete()


# ---------------------------------------------------------------------------------------------------
# Telling people


def send_invitation(actor: Actor, user: User) -> bool:
    """E-mail the user a link to set their password (Django's one-use reset token). Administrators
    never set passwords: this is what they send instead. False when the user has no e-mail address."""
    from django.conf import settings

    if not user.email:
        return False
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = settings.BALLOTGUARD_BASE_URL + reverse("accounts:set-password", args=[uid, default_token_generator.make_token(user)])
    send_mail(
        subject="Ballotguard: set your password",
        message=(f"An account has been set up for you, or a new password requested for it.\n\n"
                 f"Set your password here (the link works once, for {settings.PASSWORD_RESET_TIMEOUT // 3600} hours): {link}\n\n"
                 f"If you did not expect this, tell your Ballotguard administrator.\n"),
        from_email=None, recipient_list=[user.email],
    )
    audit(actor, AuditEvent.Action.UPDATE, "user", user.pk, fields=["password"], detail="password invitation sent")
    return True


def _tell_forces(change: AccessChange, what: str) -> None:
    """E-mail the FEOAs of the affected forces, after the transaction commits. A reference and a
    link only: the page behind the sign-in says who and what."""
    from .tasks import tell_forces_of_access_change

    force_ids = list(change.affected_forces.values_list("pk", flat=True))
    if force_ids:
        transaction.on_commit(lambda: tell_forces_of_access_change.enqueue(change.pk, what))


__all__ = [
    "AccessChangeError", "Grant", "approve", "changes_visible_to", "may_approve", "may_suspend", "notices_for",
    "outstanding_approvals", "propose_activation", "propose_candidate_access", "propose_grant", "reject", "send_invitation",
    "suspend",
]
