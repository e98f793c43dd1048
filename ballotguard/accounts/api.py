"""Accounts in the JSON API: how callers authenticate, who they are, their tokens, and the audit log.

The authentication classes live here (accounts owns users, sessions and tokens); ``ballotguard/api.py``
puts them on the API as a whole. ``POST /tokens`` takes the session only: a token cannot mint tokens.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.errors import HttpError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from ballotguard.core.api_schemas import MAX_OFFSET

from . import access
from .models import ApiToken, AuditEvent, Role
from .services import Actor, audit, authenticate_token, search_audit

# ---------------------------------------------------------------------------------------------------
# Authentication


class BearerToken(HttpBearer):
    """``Authorization: Bearer bg_...`` → the token's user, or None (the next method is tried)."""

    def authenticate(self, request: HttpRequest, token: str):
        user = authenticate_token(token.strip())
        if user is None:
            return None
        # Services and the audit log read ``request.user`` (through ``Actor.from_request``).
        request.user = user
        request.auth_method = "token"
        return user


class VerifiedSession(APIKeyCookie):
    """The Django session, past the second factor for roles that need one; CSRF on unsafe methods.

    Unlike ninja's ``SessionAuth``, the CSRF check only runs when there is a signed-in session, so a
    request with a bad bearer token and no session is answered 401, not 403 "CSRF check failed".
    """

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or getattr(request, "auth_method", "") == "token":
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(403, "CSRF check failed: send the X-CSRFToken header with the value of the csrftoken cookie.")
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key):
        user = getattr(request, "user", None)
        if key is None or user is None or not user.is_authenticated:
            return None
        if user.needs_mfa and not user.is_verified():
            return None
        request.auth_method = "session"
        return user


bearer_auth = BearerToken()
session_auth = VerifiedSession(csrf=True)


class _RoleCheck:
    """Mixed into an auth class: after authenticating, refuse (403) roles not allowed on the endpoint.

    It runs in the authentication step, before ninja parses any input, so a role that may never call
    an endpoint gets 403 whatever it sends, never a 422 that describes the endpoint's inputs.
    """

    allowed_roles: frozenset[str] = frozenset()
    also_needs = None  # a further test of the user where the role alone does not decide (a lead FEOA)

    def authenticate(self, request: HttpRequest, credential):
        user = super().authenticate(request, credential)
        if user is not None and (user.role not in self.allowed_roles or (self.also_needs is not None and not self.also_needs(user))):
            raise HttpError(403, "Your role cannot use this endpoint.")
        return user


def restricted_to(*roles: str, also_needs=None) -> list:
    """Bearer token or verified session, for the given roles only (and, given ``also_needs``, users it
    accepts). The subclasses keep their parents' names so the OpenAPI schema still shows the two
    security schemes, not one per role set."""
    attrs = {"allowed_roles": frozenset(roles), "also_needs": staticmethod(also_needs) if also_needs else None}
    bearer = type("BearerToken", (_RoleCheck, BearerToken), attrs)()
    session = type("VerifiedSession", (_RoleCheck, VerifiedSession), attrs)(csrf=True)
    return [bearer, session]

router = Router(tags=["accounts"])


def actor_of(request: HttpRequest) -> Actor:
    return Actor.from_request(request, channel="api")



# ---------------------------------------------------------------------------------------------------
# Schemas


class ForceOut(Schema):
    code: str
    name: str
    nation: str


class AreaRef(Schema):
    code: str
    name: str


class MeOut(Schema):
    username: str
    name: str
    role: str
    role_label: str
    forces: list[ForceOut]
    council: AreaRef | None
    auth_method: str = Field(description="How this request was authenticated: token or session.")


class TokenIn(Schema):
    name: str = Field(min_length=1, max_length=100, description="What the token is for, e.g. 'nightly export'.")
    expires_in_days: int = Field(settings.BALLOTGUARD_TOKEN_DEFAULT_DAYS, ge=1, le=settings.BALLOTGUARD_TOKEN_MAX_DAYS,
                                 description="Every token expires; the default and the maximum are settings.")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="The first characters of the secret, to recognise it.")
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    active: bool


class TokenCreatedOut(TokenOut):
    secret: str = Field(description="Shown once; only a digest is stored.")


class AuditEventOut(Schema):
    id: int
    at: dt.datetime
    actor_username: str
    action: str
    object_type: str
    object_id: str
    fields: list[str]
    detail: str
    ip_address: str | None
    channel: str


class AuditPage(Schema):
    count: int
    items: list[AuditEventOut]
    next_offset: int | None


class Message(Schema):
    detail: str


def _token_out(token: ApiToken) -> dict:
    return {
        "id": token.pk, "name": token.name, "prefix": token.prefix, "created_at": token.created_at,
        "expires_at": token.expires_at, "last_used_at": token.last_used_at, "revoked_at": token.revoked_at,
        "active": token.is_active,
    }


# ---------------------------------------------------------------------------------------------------
# Endpoints


@router.get("/me", response=MeOut, summary="Who am I")
def me(request):
    """The caller: username, role, the police forces they cover (FEOA) and their council (returning officer)."""
    user = request.user
    council = user.council
    return {
        "username": user.username,
        "name": user.get_full_name(),
        "role": user.role,
        "role_label": user.get_role_display(),
        "forces": list(user.police_forces.order_by("name")),
        "council": {"code": council.code, "name": council.name} if council else None,
        "auth_method": getattr(request, "auth_method", "session"),
    }


@router.post("/tokens", response={201: TokenCreatedOut}, auth=[session_auth], summary="Create an API token")
def create_token(request, payload: TokenIn):
    """Create a bearer token for yourself. Needs a signed-in browser session (and CSRF token); the
    secret is in this response only."""
    expires_at = timezone.now() + dt.timedelta(days=payload.expires_in_days)
    token, secret = ApiToken.issue(request.user, payload.name, expires_at=expires_at)
    audit(actor_of(request), AuditEvent.Action.TOKEN, "api_token", token.pk, detail="created")
    return Status(201, {**_token_out(token), "secret": secret})


@router.get("/tokens", response=list[TokenOut], summary="List your API tokens")
def list_tokens(request):
    return [_token_out(t) for t in ApiToken.objects.filter(user=request.user)]


@router.delete("/tokens/{token_id}", response={204: None, 404: Message}, summary="Revoke one of your API tokens")
def revoke_token(request, token_id: int):
    token = ApiToken.objects.get(pk=token_id, user=request.user)  # DoesNotExist → 404
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit(actor_of(request), AuditEvent.Action.TOKEN, "api_token", token.pk, detail="revoked")
    return Status(204, None)


@router.get("/audit", response=AuditPage, auth=restricted_to(Role.ADMIN), summary="Search the audit log (administrators)")
def audit_log(
    request,
    actor: str = Query("", max_length=150, description="Username of whoever acted."),
    action: str = Query("", max_length=20),
    object_type: str = Query("", max_length=50),
    object_id: str = Query("", max_length=64),
    since: dt.datetime | None = Query(None),
    until: dt.datetime | None = Query(None),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    """Newest first. Reading the audit log is itself audited (the filters used are named, not their values)."""
    if action and action not in AuditEvent.Action.values:
        _bad_filter("action", "Choose one of: " + ", ".join(AuditEvent.Action.values))
    events = search_audit(
        actor=actor, action=action, object_type=object_type, object_id=object_id, since=since, until=until
    )
    count = events.count()
    items = list(events[offset:offset + limit])
    used = [name for name, value in (("actor", actor), ("action", action), ("object_type", object_type),
                                     ("object_id", object_id), ("since", since), ("until", until)) if value]
    audit(actor_of(request), AuditEvent.Action.READ, "audit_log", "",
          detail=f"audit search, filters: {', '.join(used) or 'none'}; {len(items)} of {count} events")
    return {"count": count, "items": items, "next_offset": offset + limit if offset + limit < count else None}


def _bad_filter(field: str, message: str):
    """A query value outside its choices is a 422 like any other validation error."""
    raise ValidationError([{"loc": ("query", field), "msg": message}])


# ---------------------------------------------------------------------------------------------------
# Access changes: an administrator proposes, a second person approves (accounts.access)


class AccessGrantIn(Schema):
    username: str = Field(min_length=1, max_length=150, description="An existing user's username, or a new user's.")
    role: str = Field(description="The role after the change: " + ", ".join(Role.values))
    forces: list[str] = Field([], max_length=45, description="Police force codes (FEOAs only), e.g. E23000014.")
    council: str = Field("", max_length=12, description="Council area code (returning officers only).")
    is_force_lead: bool = False
    email: str = Field("", max_length=254, description="New users only: where the invitation to set a password goes.")
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    reason: str = Field(min_length=1, max_length=300)


class CandidateAccessIn(Schema):
    kind: str = Field(description="link_candidate, unlink_candidate, delegate or end_delegation")
    candidate_id: int = Field(ge=1, le=2**31 - 1)
    username: str = Field(min_length=1, max_length=150)
    reason: str = Field(min_length=1, max_length=300)


class ActivationIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    active: bool = Field(description="false: deactivate (no sign-in, API tokens stop working); true: reactivate.")
    reason: str = Field(min_length=1, max_length=300)


class SuspensionIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    reason: str = Field(min_length=1, max_length=300, description="Why: the user's forces see it.")


class AccessDecisionIn(Schema):
    note: str = Field("", max_length=300, description="Needed to reject.")


class AccessChangeOut(Schema):
    id: int
    reference: str
    kind: str
    status: str
    username: str
    role: str
    forces: list[str]
    affected_forces: list[str]
    is_force_lead: bool
    council: str | None
    candidate_id: int | None
    reason: str
    proposed_by: str | None
    proposed_at: dt.datetime
    approvals: list[str] = Field(description="Who approved, as 'username (admin)' or 'username (lead FEOA of CODE)'.")
    outstanding: list[str] = Field(description="Approvals still needed: 'administrator' or a force code.")
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str


def _change_out(change) -> dict:
    pending = change.status == change.Status.PENDING
    return {
        "id": change.pk, "reference": change.reference, "kind": change.kind, "status": change.status,
        "username": change.username, "role": change.role,
        "forces": sorted(change.forces.values_list("code", flat=True)),
        "affected_forces": sorted(change.affected_forces.values_list("code", flat=True)),
        "is_force_lead": change.is_force_lead, "council": change.council.code if change.council_id else None,
        "candidate_id": change.candidate_id, "reason": change.reason,
        "proposed_by": change.proposed_by.username if change.proposed_by_id else None, "proposed_at": change.proposed_at,
        "approvals": [f"{a.approved_by.username if a.approved_by_id else '?'} ({'lead FEOA of ' + a.force.code if a.force_id else 'admin'})"
                      for a in change.approvals.select_related("approved_by", "force")],
        "outstanding": ["administrator" if s is None else s.code for s in access.outstanding_approvals(change)] if pending else [],
        "decided_by": change.decided_by.username if change.decided_by_id else None, "decided_at": change.decided_at,
        "decision_note": change.decision_note,
    }


def _access_error(exc) -> None:
    """A refusal naming a field is a 422 on that field; a refusal of who you are, a 403."""
    if exc.field:
        raise ValidationError([{"loc": ("body", "payload", exc.field), "msg": exc.message}])
    raise HttpError(403, exc.message)


@router.get("/access-changes", response=list[AccessChangeOut], auth=restricted_to(Role.ADMIN, Role.FEOA),
            summary="Access changes (administrators; lead FEOAs for their forces)")
def list_access_changes(request, status: str = Query("", max_length=10, description="pending, approved or rejected")):
    from .models import AccessChange

    if status and status not in AccessChange.Status.values:
        _bad_filter("status", "Choose one of: " + ", ".join(AccessChange.Status.values))
    changes = access.changes_visible_to(request.user)
    if status:
        changes = changes.filter(status=status)
    return [_change_out(c) for c in changes[:500]]


@router.post("/access-changes/grants", response={201: AccessChangeOut}, auth=restricted_to(Role.ADMIN),
             summary="Propose a new user, or a change of role, police forces or council")
def propose_grant(request, payload: AccessGrantIn):
    from ballotguard.registry.models import Area, PoliceForce

    if payload.role not in Role.values:
        _access_error(access.AccessChangeError("Choose one of: " + ", ".join(Role.values), "role"))
    forces = list(PoliceForce.objects.filter(code__in=payload.forces))
    unknown = sorted(set(payload.forces) - {f.code for f in forces})
    if unknown:
        _access_error(access.AccessChangeError(f"Unknown police force code(s): {', '.join(unknown)[:200]}", "forces"))
    council = None
    if payload.council:
        council = Area.objects.filter(code=payload.council.upper(), area_type=Area.Type.COUNCIL).first()
        if council is None:
            _access_error(access.AccessChangeError("There is no council with this code", "council"))
    grant = access.Grant(username=payload.username.strip(), role=payload.role, forces=tuple(forces), council=council,
                         is_force_lead=payload.is_force_lead, email=payload.email.strip(),
                         first_name=payload.first_name, last_name=payload.last_name)
    if grant.email:
        try:
            validate_email(grant.email)
        except DjangoValidationError:
            _access_error(access.AccessChangeError("Enter an e-mail address like name@example.org", "email"))
    try:
        change = access.propose_grant(actor_of(request), grant, payload.reason)
    except access.AccessChangeError as exc:
        _access_error(exc)
    return Status(201, _change_out(change))


@router.post("/access-changes/candidate-access", response={201: AccessChangeOut}, auth=restricted_to(Role.ADMIN),
             summary="Propose linking a candidate record to a user, or a delegation")
def propose_candidate_access(request, payload: CandidateAccessIn):
    from ballotguard.registry.models import Candidate

    candidate = Candidate.objects.select_related("ballot").filter(pk=payload.candidate_id).first()
    if candidate is None:
        _access_error(access.AccessChangeError("There is no candidate record with this id", "candidate_id"))
    try:
        change = access.propose_candidate_access(actor_of(request), payload.kind, candidate, payload.username.strip(), payload.reason)
    except access.AccessChangeError as exc:
        _access_error(exc)
    return Status(201, _change_out(change))


@router.post("/access-changes/activation", response={201: AccessChangeOut}, auth=restricted_to(Role.ADMIN),
             summary="Propose deactivating or reactivating a user")
def propose_activation(request, payload: ActivationIn):
    """Applied only once a second person approves: the FEOA's force lead for an adviser, else another
    administrator, as for any access change."""
    try:
        change = access.propose_activation(actor_of(request), payload.username.strip(), active=payload.active, reason=payload.reason)
    except access.AccessChangeError as exc:
        _access_error(exc)
    return Status(201, _change_out(change))


@router.post("/access-changes/suspension", response={201: AccessChangeOut},
             auth=restricted_to(Role.ADMIN, Role.FEOA, also_needs=access.may_suspend),
             summary="Suspend a user at once (administrators; a lead FEOA for their force's advisers)")
def suspend(request, payload: SuspensionIn):
    """For an account that may be in the wrong hands: applied at once, no second person (it opens
    nothing). The user is signed out and their API tokens are revoked; the change is recorded as kind
    ``suspend``, already approved. Bringing them back is a reactivation (``/access-changes/activation``),
    which a second person approves. A lead FEOA naming a user outside their force gets 403."""
    try:
        change = access.suspend(actor_of(request), payload.username.strip(), payload.reason)
    except access.AccessChangeError as exc:
        _access_error(exc)
    return Status(201, _change_out(change))


def _decide(request, change_id: int, payload: AccessDecisionIn, decide) -> dict:
    change = access.changes_visible_to(request.user).get(pk=change_id)  # DoesNotExist → 404
    try:
        change = decide(actor_of(request), change, payload.note)
    except access.AccessChangeError as exc:
        if exc.field == "note":
            raise ValidationError([{"loc": ("body", "payload", "note"), "msg": exc.message}]) from None
        raise HttpError(409 if exc.conflict else 403, exc.message) from None
    change.refresh_from_db()
    return _change_out(change)


@router.post("/access-changes/{change_id}/approve", response=AccessChangeOut, auth=restricted_to(Role.ADMIN, Role.FEOA),
             summary="Approve an access change (a second administrator, or the force's lead FEOA)")
def approve_access_change(request, change_id: int = Path(..., ge=1, le=2**31 - 1), *, payload: AccessDecisionIn):
    return _decide(request, change_id, payload, access.approve)


@router.post("/access-changes/{change_id}/reject", response=AccessChangeOut, auth=restricted_to(Role.ADMIN, Role.FEOA),
             summary="Reject (or, as its proposer, withdraw) an access change")
def reject_access_change(request, change_id: int = Path(..., ge=1, le=2**31 - 1), *, payload: AccessDecisionIn):
    return _decide(request, change_id, payload, access.reject)
