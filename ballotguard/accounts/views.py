"""Pages for signing in (password, then a one-time code for roles that need one), the home page of
each role, the audit log and API tokens. Views stay thin: the work is in ``services``."""

from __future__ import annotations

import base64
import datetime as dt

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import PasswordResetConfirmView
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from ballotguard.core import throttling
from ballotguard.core.pages import paginate

from . import access
from .forms import (
    AccessDecisionForm, AccessGrantForm, ActivationForm, AuditSearchForm, CandidateAccessForm, CodeForm, GovukSetPasswordForm, SignInForm,
    SuspensionForm, TokenForm,
)
from .models import AccessChange, ApiToken, AuditEvent, Role
from .services import Actor, audit, search_audit


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


# ---------------------------------------------------------------------------------------------------
# Signing in and out


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request):
    if request.user.is_authenticated and (not request.user.needs_mfa or request.user.is_verified()):
        return redirect("home")
    if request.method == "POST" and (wait := throttling.check(
            ("sign_in_address", throttling.address_of(request)),
            ("sign_in_username", str(request.POST.get("username", ""))[:150].strip().lower()))):
        return throttling.too_many_page(request, wait, "attempts to sign in")
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        # authenticate() with the request lets django-axes count failures and lock out; AxesMiddleware
        # then answers with the lockout page instead of this view's response.
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if user is None:
            audit(Actor(user=None, ip_address=Actor.from_request(request).ip_address), AuditEvent.Action.SIGN_IN_FAILED,
                  "user", "", detail="wrong username or password")
            form.add_error(None, _("Enter a correct username and password"))
        else:
            next_url = _safe_next(request, reverse("home"))
            login(request, user)  # rotates the session key
            audit(Actor.from_request(request), AuditEvent.Action.SIGN_IN, "user", user.pk,
                  detail="password accepted; second factor needed" if user.needs_mfa else "signed in")
            if user.needs_mfa:
                request.session["bg_next"] = next_url
                return redirect("accounts:verify")
            return HttpResponseRedirect(next_url)
    return render(request, "accounts/sign_in.html", {"form": form, "next": request.GET.get("next", "")})


def _qr_svg(device: TOTPDevice) -> str:
    label = _("QR code for your authenticator app")
    svg = segno.make(device.config_url, error="m").svg_inline(scale=5, border=2, title=label)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def verify(request):
    """Second step of sign-in: a one-time code; sets up an authenticator app first if there is none."""
    user = request.user
    if not user.needs_mfa or user.is_verified():
        return redirect("home")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    setting_up = device is None
    if setting_up:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            if setting_up:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            next_url = request.session.pop("bg_next", None) or reverse("home")
            request.session.cycle_key()  # new session id on gaining the second factor
            otp_login(request, device)
            audit(Actor.from_request(request), AuditEvent.Action.MFA, "user", user.pk,
                  detail="authenticator app set up and code accepted" if setting_up else "code accepted")
            return HttpResponseRedirect(next_url)
        audit(Actor.from_request(request), AuditEvent.Action.MFA, "user", user.pk, detail="code rejected")
        form.add_error("code", _("The security code is not correct, or has expired. Enter the latest code from your app"))
    context = {"form": form, "setting_up": setting_up}
    if setting_up:
        context["secret"] = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
        context["qr_svg"] = mark_safe(_qr_svg(device))  # segno's own SVG: no user input in it
    return render(request, "accounts/verify.html", context)


@require_POST
def sign_out(request):
    if request.user.is_authenticated:
        audit(Actor.from_request(request), AuditEvent.Action.SIGN_OUT, "user", request.user.pk)
    logout(request)
    return redirect("accounts:sign-in")


# ---------------------------------------------------------------------------------------------------
# Home pages per role


@require_GET
@login_required
def home(request):
    from ballotguard.registry import services as registry
    from ballotguard.registry.models import AreaForce, Candidate

    user = request.user
    context: dict = {"role": user.role}
    if user.role in {Role.CANDIDATE, Role.STAFF}:
        candidacies = list(registry.candidates_visible_to(user).order_by("-ballot__election__date", "name"))
        context["candidacies"] = [
            {"candidate": c, "advisers": registry.advisers_for(c), "forces": registry.forces_for(c)} for c in candidacies
        ]
        from ballotguard.survey import services as survey  # the candidate's open surveys, asked of their own app

        context["surveys"] = [i for i in survey.invitations_for(user) if i.status == "open"]
        template = "accounts/home_candidate.html"
    elif user.role == Role.RETURNING_OFFICER:
        candidates = registry.candidates_visible_to(user)
        counts = candidates.aggregate(total=Count("id"), handed_over=Count("id", filter=Q(handed_over_at__isnull=False)))
        context.update(
            council=user.council, ballots=registry.ballots_visible_to(user).count(),
            total=counts["total"], handed_over=counts["handed_over"], outstanding=counts["total"] - counts["handed_over"],
        )
        template = "accounts/home_returning_officer.html"
    elif user.role == Role.FEOA:
        forces = []
        for force in user.police_forces.all():
            in_force = AreaForce.objects.filter(area_id=OuterRef("ballot__area_id"), force=force)
            counts = Candidate.objects.filter(Exists(in_force)).aggregate(
                total=Count("id"), handed_over=Count("id", filter=Q(handed_over_at__isnull=False)),
            )
            forces.append({"force": force, **counts})
        context["forces"] = forces
        from ballotguard.incidents import services as incidents  # the queue's counts, asked of its own app

        context["cases"] = incidents.queue_summary(user)
        context["access_notices"] = access.notices_for(user)
        template = "accounts/home_feoa.html"
    elif user.role == Role.ANALYST:
        context["summary"] = registry.registry_summary()
        template = "accounts/home_analyst.html"
    elif user.role == Role.ADMIN or user.is_superuser:
        template = "accounts/home_admin.html"
    else:
        raise PermissionDenied
    return render(request, template, context)


# ---------------------------------------------------------------------------------------------------
# Audit log


@require_GET
@login_required
def audit_log(request):
    if request.user.role != Role.ADMIN:
        raise PermissionDenied
    form = AuditSearchForm(request.GET or None)
    events = AuditEvent.objects.none()
    if not request.GET or form.is_valid():
        data = form.cleaned_data if request.GET else {}
        until = data.get("until")
        events = search_audit(
            actor=data.get("actor", ""), action=data.get("action", ""), object_type=data.get("object_type", ""),
            object_id=data.get("object_id", ""),
            since=_start_of(data.get("since")), until=_start_of(until + dt.timedelta(days=1)) if until else None,
        ).select_related("actor")
    page_obj, page_links = paginate(request, events)
    used = sorted(k for k, v in (form.cleaned_data.items() if form.is_bound and form.is_valid() else []) if v)
    # Reading the audit log is itself audited: which filters were used and which page, never the values.
    audit(Actor.from_request(request), AuditEvent.Action.READ, "audit_log", "", fields=used,
          detail=f"page {page_obj.number} of {page_obj.paginator.num_pages}")
    return render(request, "accounts/audit_log.html", {"form": form, "page_obj": page_obj, "page_links": page_links})


def _start_of(day: dt.date | None):
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# ---------------------------------------------------------------------------------------------------
# API tokens


@require_http_methods(["GET", "POST"])
@login_required
def tokens(request):
    form = TokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        expires_at = timezone.now() + dt.timedelta(days=form.cleaned_data["expires_in_days"])
        token, secret = ApiToken.issue(request.user, form.cleaned_data["name"], expires_at=expires_at)
        audit(Actor.from_request(request), AuditEvent.Action.TOKEN, "api_token", token.pk, detail="created")
        form = TokenForm()
    context = {
        "form": form, "secret": secret, "default_days": settings.BALLOTGUARD_TOKEN_DEFAULT_DAYS,
        "max_days": settings.BALLOTGUARD_TOKEN_MAX_DAYS,
        "tokens": ApiToken.objects.filter(user=request.user).order_by("-created_at"),
    }
    response = render(request, "accounts/tokens.html", context)
    if secret:
        response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def revoke_token(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit(Actor.from_request(request), AuditEvent.Action.TOKEN, "api_token", token.pk, detail="revoked")
        messages.success(request, f"Token ‘{token.name}’ has been revoked")
    return redirect("accounts:tokens")


# ---------------------------------------------------------------------------------------------------
# Access changes: propose, then a second person approves (accounts.access)


def _may_use_access_pages(user) -> bool:
    return user.role == Role.ADMIN or (user.role == Role.FEOA and user.is_force_lead)


@require_GET
@login_required
def access_changes(request):
    if not _may_use_access_pages(request.user):
        raise PermissionDenied
    changes = access.changes_visible_to(request.user).prefetch_related("affected_forces")
    pending = [c for c in changes.filter(status=AccessChange.Status.PENDING)[:200]]
    page_obj, page_links = paginate(request, changes.exclude(status=AccessChange.Status.PENDING))
    return render(request, "accounts/access_changes.html", {
        "pending": [(c, access.may_approve(c, request.user)) for c in pending],
        "page_obj": page_obj, "page_links": page_links, "may_propose": request.user.role == Role.ADMIN,
        "may_suspend": access.may_suspend(request.user),
    })


def _propose(request, form, propose):
    try:
        change = propose()
    except access.AccessChangeError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return None
    messages.success(request, f"Change {change.reference} proposed: a second person must approve it before it applies")
    return redirect("accounts:access-change", change.pk)


@require_http_methods(["GET", "POST"])
@login_required
def propose_grant(request):
    if request.user.role != Role.ADMIN:
        raise PermissionDenied
    form = AccessGrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        grant = access.Grant(
            username=data["username"].strip(), role=data["role"], forces=tuple(data["forces"]), council=data["council"],
            is_force_lead=data["is_force_lead"], email=data["email"], first_name=data["first_name"], last_name=data["last_name"],
        )
        response = _propose(request, form, lambda: access.propose_grant(Actor.from_request(request), grant, data["reason"]))
        if response is not None:
            return response
    return render(request, "accounts/access_propose.html", {"form": form, "title": "Propose a user, role or force", "action": reverse("accounts:access-propose-grant")})


@require_http_methods(["GET", "POST"])
@login_required
def propose_candidate_access(request):
    if request.user.role != Role.ADMIN:
        raise PermissionDenied
    form = CandidateAccessForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        response = _propose(request, form, lambda: access.propose_candidate_access(
            Actor.from_request(request), data["kind"], data["candidate"], data["username"].strip(), data["reason"]))
        if response is not None:
            return response
    return render(request, "accounts/access_propose.html", {"form": form, "title": "Propose a candidate link or delegation", "action": reverse("accounts:access-propose-candidate")})


@require_http_methods(["GET", "POST"])
@login_required
def propose_activation(request):
    if request.user.role != Role.ADMIN:
        raise PermissionDenied
    form = ActivationForm(request.POST or None, initial={"username": request.GET.get("username", "")[:150]})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        response = _propose(request, form, lambda: access.propose_activation(
            Actor.from_request(request), data["username"].strip(), active=data["change"] == "reactivate", reason=data["reason"]))
        if response is not None:
            return response
    return render(request, "accounts/access_propose.html", {"form": form, "title": "Propose deactivating or reactivating a user",
                                                            "action": reverse("accounts:access-propose-activation")})


@require_http_methods(["GET", "POST"])
@login_required
def suspend(request):
    """Suspend a user now: one person, applied at once (a compromised account cannot wait for a second)."""
    if not access.may_suspend(request.user):
        raise PermissionDenied
    form = SuspensionForm(request.POST or None, initial={"username": request.GET.get("username", "")[:150]})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            change = access.suspend(Actor.from_request(request), data["username"].strip(), data["reason"])
        except access.AccessChangeError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"{change.username} is suspended ({change.reference}): they are signed out and their API tokens no "
                                      f"longer work. Bringing them back needs a reactivation, approved by a second person")
            return redirect("accounts:access-change", change.pk)
    return render(request, "accounts/access_suspend.html", {"form": form})


@require_http_methods(["GET", "POST"])
@login_required
def access_change(request, pk: int):
    if not _may_use_access_pages(request.user):
        raise PermissionDenied
    change = get_object_or_404(access.changes_visible_to(request.user), pk=pk)
    form = AccessDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        decision = request.POST.get("decision")
        try:
            if decision == "approve":
                change = access.approve(Actor.from_request(request), change, form.cleaned_data["note"])
                messages.success(request, f"Change {change.reference}: " + (
                    "approved and applied" if change.status == AccessChange.Status.APPROVED else "your approval is recorded; more are needed"))
            elif decision == "reject":
                change = access.reject(Actor.from_request(request), change, form.cleaned_data["note"])
                messages.success(request, f"Change {change.reference} rejected")
            else:
                form.add_error(None, "Choose approve or reject")
        except access.AccessChangeError as exc:
            form.add_error("note" if exc.field == "note" else None, exc.message)
        if not form.errors:
            return redirect("accounts:access-change", change.pk)
    change.refresh_from_db()
    audit(Actor.from_request(request), AuditEvent.Action.READ, "access_change", change.pk)
    return render(request, "accounts/access_change.html", {
        "change": change, "form": form, "may_approve": access.may_approve(change, request.user),
        "may_reject": change.status == AccessChange.Status.PENDING and (access.may_approve(change, request.user) or change.proposed_by_id == request.user.pk),
        "outstanding": access.outstanding_approvals(change) if change.status == AccessChange.Status.PENDING else [],
        "approvals": change.approvals.select_related("approved_by", "force"),
    })


class SetPasswordView(PasswordResetConfirmView):
    """The link in an invitation: the user sets their own password. Nobody else ever knows it."""

    form_class = GovukSetPasswordForm
    template_name = "accounts/set_password.html"
    success_url = reverse_lazy("accounts:sign-in")
    post_reset_login = False

    def form_valid(self, form):
        response = super().form_valid(form)
        audit(Actor.from_request(self.request), AuditEvent.Action.UPDATE, "user", form.user.pk, fields=["password"],
              detail="password set from an invitation")
        messages.success(self.request, _("Your password has been set: sign in"))
        return response
