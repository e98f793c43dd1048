"""Check-in pages: start one, the active check-in with its big check-out button, history, and the
FEOA's list of escalated check-ins. Views stay thin: scope, audit and timing live in ``services``."""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.utils.translation import gettext as _

from ballotguard.accounts.services import Actor
from ballotguard.core.pages import paginate

from . import services
from .forms import CheckInForm
from .models import AlertDelivery, CheckIn, NotifyDelivery


def _own(request, checkin_id: int) -> CheckIn:
    try:
        return services.get_own(request.user, checkin_id)
    except CheckIn.DoesNotExist:
        raise Http404("No such check-in") from None


def _minutes(delta) -> int:
    return int(delta.total_seconds() // 60)


@require_GET
@login_required
def home(request):
    user = request.user
    if services.can_see_escalated(user):
        return redirect("checkins:escalated")
    if not services.can_check_in(user):
        raise PermissionDenied
    page_obj, page_links = paginate(request, services.own_checkins(user).order_by("-started_at", "-pk"))
    return render(request, "checkins/home.html", {
        "current": services.current_checkin(user), "page_obj": page_obj, "page_links": page_links,
        "grace": _minutes(services.grace()), "again": _minutes(services.buddy_again_after()), "feoa_after": _minutes(services.feoa_after()),
    })


@require_http_methods(["GET", "POST"])
@login_required
def start(request):
    user = request.user
    if not services.can_check_in(user):
        raise PermissionDenied
    candidacies = services.candidacies_for(user)
    if request.method == "POST":
        form = CheckInForm(request.POST, candidacies=candidacies)
        if form.is_valid():
            now = timezone.now()
            try:
                checkin = services.start(Actor.from_request(request), form.to_input(now), now=now)
            except services.CheckInInvalid as exc:
                form.add_service_errors(exc.errors)
            else:
                end = timezone.localtime(checkin.expected_end)
                messages.success(request, _("Check-in started. Check out by %(end)s, or your buddy will be alerted.") % {"end": f"{end:%H:%M}"})
                return redirect("checkins:detail", checkin_id=checkin.pk)
        status = 400
    else:
        form = CheckInForm(initial={"duration": "120", **services.last_buddy(user)}, candidacies=candidacies)
        status = 200
    return render(request, "checkins/start.html", {
        "form": form, "grace": _minutes(services.grace()), "again": _minutes(services.buddy_again_after()),
        "feoa_after": _minutes(services.feoa_after()),
    }, status=status)


@require_GET
@login_required
def detail(request, checkin_id: int):
    checkin = _own(request, checkin_id)
    times = services.stage_times(checkin)
    deliveries = list(checkin.deliveries.all())
    return render(request, "checkins/detail.html", {
        "checkin": checkin, "first_alert_at": times[AlertDelivery.Stage.BUDDY], "times": times,
        "deliveries": deliveries, "buddy_told": any(d.status == AlertDelivery.Status.SENT and d.recipient == "buddy" for d in deliveries),
        "extension": _minutes(services.extension()),
    })


def _action(request, checkin_id: int, operation, success: str):
    checkin = _own(request, checkin_id)
    try:
        operation(Actor.from_request(request), checkin)
    except (services.CheckInClosed, services.CheckInInvalid) as exc:
        text = "; ".join(exc.errors.values()) if isinstance(exc, services.CheckInInvalid) else str(exc)
        messages.error(request, text)
    else:
        checkin.refresh_from_db()
        messages.success(request, success.format(end=timezone.localtime(checkin.expected_end)))
    return redirect("checkins:detail", checkin_id=checkin.pk)


@require_POST
@login_required
def check_out(request, checkin_id: int):
    return _action(request, checkin_id, services.check_out, _("You have checked out. Glad you are safe."))


@require_POST
@login_required
def extend(request, checkin_id: int):
    return _action(request, checkin_id, services.extend, _("Extended: check out by {end:%H:%M}."))


@require_POST
@login_required
def cancel(request, checkin_id: int):
    return _action(request, checkin_id, services.cancel, _("Check-in cancelled. Nobody will be alerted."))


# ---------------------------------------------------------------------------------------------------
# The FEOA


@require_GET
@login_required
def escalated(request):
    if not services.can_see_escalated(request.user):
        raise PermissionDenied
    page_obj, page_links = paginate(request, services.escalated_for(request.user))
    return render(request, "checkins/escalated.html", {"page_obj": page_obj, "page_links": page_links})


@require_GET
@login_required
def escalated_detail(request, checkin_id: int):
    if not services.can_see_escalated(request.user):
        raise PermissionDenied
    try:
        checkin = services.read_escalated(Actor.from_request(request), checkin_id)
    except CheckIn.DoesNotExist:
        raise Http404("No such check-in") from None
    return render(request, "checkins/escalated_detail.html", {"checkin": checkin, "deliveries": list(checkin.deliveries.all())})


@csrf_exempt
@require_POST
def notify_receipt(request):
    """GOV.UK Notify's delivery-receipt callback. Notify sends ``Authorization: Bearer <token>`` with
    the token set in its callback settings (``BALLOTGUARD_NOTIFY_CALLBACK_TOKEN``); nothing else gets in."""
    expected = settings.BALLOTGUARD_NOTIFY_CALLBACK_TOKEN
    given = request.headers.get("Authorization", "")
    if not expected or not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
        return JsonResponse({"detail": "A valid bearer token is required."}, status=401)
    try:
        payload = json.loads(request.body or b"null")
    except ValueError:
        return JsonResponse({"detail": [{"field": "body", "message": "is not JSON"}]}, status=400)
    try:
        services.record_receipt(payload)
    except services.ReceiptInvalid as exc:
        return JsonResponse({"detail": [{"field": k, "message": v} for k, v in exc.errors.items()]}, status=400)
    except NotifyDelivery.DoesNotExist:
        return JsonResponse({"detail": "No message with this id was sent by Ballotguard."}, status=404)
    return JsonResponse({"detail": "recorded"})
