"""Monitoring pages: the review queue, a flagged message with its decisions, a candidate's abuse timeline,
and coordinated campaigns (list, detail with timeline and hex map, decision, run detection now).

Views stay thin: scope, pseudonymisation and audit are decided in ``services``.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ballotguard.accounts.models import Role
from ballotguard.accounts.services import Actor
from ballotguard.core.matching import candidate_pseudonym
from ballotguard.core.pages import paginate
from ballotguard.incidents.services import ReportInvalid
from ballotguard.registry.models import Candidate
from ballotguard.registry.services import NotPermitted

from . import services
from .forms import (
    CampaignDecisionForm,
    CampaignFilterForm,
    DecisionForm,
    QueueFilterForm,
)
from .models import Campaign, DetectionRun, Message, Source

TIMELINE_ROLES = {Role.CANDIDATE, Role.STAFF, Role.FEOA, Role.ANALYST}


def _message(request, pk: int) -> Message:
    try:
        return services.get_message(request.user, pk)
    except Message.DoesNotExist:
        raise Http404("No such message") from None


@require_GET
@login_required
def review_queue(request):
    if not services.can_review(request.user):
        raise PermissionDenied
    form = QueueFilterForm(request.GET or {"review": "waiting"})
    flt = services.QueueFilter()
    if form.is_valid():
        flt = services.QueueFilter(review=form.cleaned_data["review"] or "waiting", threats_only=form.cleaned_data["threats_only"])
    pseudonymised = not services.sees_identities(request.user)
    sorting = services.MESSAGE_SORT.from_request(request)
    if pseudonymised and sorting.key in services.IDENTITY_COLUMNS:
        sorting = services.MESSAGE_SORT.parse(None, None, sorting.params)
    page_obj, page_links = paginate(request, sorting.apply(services.queue(request.user, flt)))
    views = services.read_messages(Actor.from_request(request), list(page_obj.object_list))
    return render(request, "monitoring/queue.html", {
        "form": form, "page_obj": page_obj, "page_links": page_links, "items": views,
        "pseudonymised": pseudonymised, "sorting": sorting,
    })


@require_GET
@login_required
def message_detail(request, pk: int):
    if not services.can_review(request.user):
        raise PermissionDenied
    message = _message(request, pk)
    view = services.read_message(Actor.from_request(request), message)
    return render(request, "monitoring/message.html", {"m": view, "message": message, "form": DecisionForm()})


@require_POST
@login_required
def decide(request, pk: int):
    if not services.can_review(request.user):
        raise PermissionDenied
    message = _message(request, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        view = services.read_message(Actor.from_request(request), message)
        return render(request, "monitoring/message.html", {"m": view, "message": message, "form": form}, status=400)
    actor = Actor.from_request(request)
    decision = form.cleaned_data["decision"]
    expected = form.cleaned_data["expected_review"] or None
    try:
        if decision == "promote":
            incident = services.promote(actor, message, expected=expected)
            if services.sees_identities(request.user):
                messages.success(request, f"Incident {incident.reference} created from the message and sent to the force's advisers.")
            else:
                messages.success(request, "An incident was created from the message and sent to the advisers of the candidate's force.")
        else:
            services.decide(actor, message, decision, expected=expected)
            messages.success(request, "Message dismissed: it will not be flagged again." if decision == "dismiss" else "Message confirmed as abusive.")
    except services.ReviewConflict as exc:
        messages.error(request, str(exc))
        return redirect("monitoring:message", pk=message.pk)
    except ReportInvalid as exc:
        messages.error(request, "The incident could not be created: " + "; ".join(exc.errors.values()))
        return redirect("monitoring:message", pk=message.pk)
    return redirect(reverse("monitoring:queue"))


@require_GET
@login_required
def abuse_timeline(request, candidate_id: int):
    user = request.user
    if user.role not in TIMELINE_ROLES:
        raise PermissionDenied
    try:
        candidate = services.timeline_candidates(user).get(pk=candidate_id)
    except Candidate.DoesNotExist:
        raise Http404("No such candidate") from None
    label = candidate_pseudonym(candidate.pk) if user.role == Role.ANALYST else candidate.name
    rows = services.weekly_counts(candidate)
    chart = services.timeline_chart(label, rows) if rows else None
    totals = {k: sum(r[k] for r in rows) for k in ("received", "flagged", "threats")}
    table_rows = [{"cells": [date.fromisoformat(r["week"]), r["received"], r["flagged"], r["threats"]]} for r in rows]
    columns = [("week", _("Week beginning")), *services.timeline.SERIES]
    return render(request, "monitoring/timeline.html", {
        "candidate": candidate, "label": label, "rows": rows, "chart": chart, "totals": totals,
        "table_rows": table_rows, "columns": columns,
        "can_review": services.can_review(user),
    })


# ---------------------------------------------------------------------------------------------------
# Coordinated campaigns


def _campaign(request, pk: int) -> Campaign:
    if not services.campaigns.can_see_campaigns(request.user):
        raise PermissionDenied
    try:
        return services.campaigns.get_campaign(request.user, pk)
    except Campaign.DoesNotExist:
        raise Http404("No such campaign") from None


@require_GET
@login_required
def campaign_list(request):
    user = request.user
    if not services.campaigns.can_see_campaigns(user):
        raise PermissionDenied
    from ballotguard.registry.models import PoliceForce

    forces = PoliceForce.objects.order_by("name") if user.role == Role.ANALYST else user.police_forces.order_by("name")
    form = CampaignFilterForm(request.GET or None, forces=forces)
    flt = services.campaigns.CampaignFilter()
    if form.is_bound and form.is_valid():
        flt = services.campaigns.CampaignFilter(status=form.cleaned_data["status"], force=form.cleaned_data["force"], kind=form.cleaned_data["kind"])
    sorting = services.campaigns.CAMPAIGN_SORT.from_request(request)
    page_obj, page_links = paginate(request, sorting.apply(services.campaigns.campaign_list(user, flt)))
    services.campaigns.fail_dead_runs()
    return render(request, "monitoring/campaign_list.html", {
        "form": form, "page_obj": page_obj, "page_links": page_links, "campaigns": page_obj.object_list, "sorting": sorting,
        "last_run": DetectionRun.objects.order_by("-created_at", "-id").first(),
        "last_finished": services.campaigns.last_finished(),
        "can_run": services.campaigns.can_run(user),
    })


def _campaign_page(request, campaign: Campaign, form: CampaignDecisionForm, status: int = 200):
    view = services.campaigns.read_campaign(Actor.from_request(request), campaign)
    rows, unit = services.campaigns.timeline_rows(campaign)
    chart = services.campaigns.timeline_chart(campaign, rows, unit) if rows else None
    table_rows = [{"cells": [r["at"].strftime("%d %b %Y %H:%M") if unit == "hour" else r["at"].date(), r["messages"], r["incidents"]]} for r in rows]
    columns = [("when", "Hour (UTC)" if unit == "hour" else "Day"), *services.campaigns.TIMELINE_SERIES]
    svg, map_rows = services.campaigns.hex_map(campaign)
    return render(request, "monitoring/campaign_detail.html", {
        "c": campaign, "v": view, "form": form, "chart": chart, "table_rows": table_rows, "columns": columns,
        "map_svg": svg, "map_rows": map_rows, "can_decide": services.campaigns.can_decide(request.user),
        "timer_sentence": services.campaigns.timer_sentence(campaign),
        "can_run": services.campaigns.can_run(request.user), "pseudonymised": not services.sees_identities(request.user),
    }, status=status)


@require_GET
@login_required
def campaign_detail(request, pk: int):
    campaign = _campaign(request, pk)
    return _campaign_page(request, campaign, CampaignDecisionForm(initial={"expected_status": campaign.status}))


@require_POST
@login_required
def campaign_decide(request, pk: int):
    campaign = _campaign(request, pk)
    if not services.campaigns.can_decide(request.user):
        raise PermissionDenied
    form = CampaignDecisionForm(request.POST)
    if not form.is_valid():
        return _campaign_page(request, campaign, form, status=400)
    decision = form.cleaned_data["decision"]
    try:
        services.campaigns.decide(Actor.from_request(request), campaign, decision, form.cleaned_data["note"],
                                  expected=form.cleaned_data["expected_status"] or None)
    except services.campaigns.DecisionConflict as exc:
        messages.error(request, str(exc))
        return redirect("monitoring:campaign", pk=campaign.pk)
    except services.campaigns.DecisionInvalid as exc:
        for name, message in exc.errors.items():
            form.add_error(name if name in form.fields else None, message)
        return _campaign_page(request, campaign, form, status=400)
    messages.success(request, "Campaign confirmed: the accounts are working together." if decision == "confirm" else "Campaign dismissed.")
    return redirect("monitoring:campaign", pk=campaign.pk)


@require_POST
@login_required
def campaign_detect(request):
    if not services.campaigns.can_run(request.user):
        raise PermissionDenied
    run = services.campaigns.request_run(Actor.from_request(request))
    messages.success(request, f"Detection has started (run {run.pk}): the task worker looks at the last "
                              f"{services.campaigns.lookback_days()} days of messages and incidents. Refresh this page in a minute.")
    return redirect(reverse("monitoring:campaigns"))


# ---------------------------------------------------------------------------------------------------
# Live message sources (administrators)


@require_GET
@login_required
def sources(request):
    from .services import sources as live

    try:
        rows = live.statuses(request.user)
    except NotPermitted:
        raise PermissionDenied from None
    return render(request, "monitoring/sources.html", {"sources": rows})


@require_POST
@login_required
def source_control(request, name: str):
    from .services import sources as live

    action = request.POST.get("action")
    if action not in {"start", "stop"}:
        raise Http404("No such action")
    try:
        live.set_enabled(Actor.from_request(request), name, action == "start")
    except NotPermitted:
        raise PermissionDenied from None
    except Source.DoesNotExist:
        raise Http404("No such source") from None
    messages.success(request, "Started: the connector connects within seconds." if action == "start"
                     else "Stopped: the connector disconnects within seconds and keeps its place in the stream.")
    return redirect("monitoring:sources")


# ---------------------------------------------------------------------------------------------------
# Mastodon accounts (candidates and their staff)


@require_http_methods(["GET", "POST"])
@login_required
def mastodon_accounts(request):
    from .forms import MastodonConnectForm
    from .services import mastodon

    try:
        candidacies = list(mastodon.candidacies_for(request.user).select_related("ballot__election"))
    except NotPermitted:
        raise PermissionDenied from None
    form = MastodonConnectForm(request.POST or None, candidacies=candidacies)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = mastodon.connect(Actor.from_request(request), data["candidate_id"], data["instance_url"], data["access_token"])
        except mastodon.ConnectInvalid as exc:
            for name, message in exc.errors.items():
                form.add_error(name if name in form.fields else None, message)
        else:
            messages.success(request, _("Connected @%(acct)s: mentions of it now reach your police adviser's review queue.") % {"acct": account.acct})
            return redirect("monitoring:mastodon")
    accounts = list(mastodon.accounts_for(request.user))
    return render(request, "monitoring/mastodon.html", {"form": form, "accounts": accounts})


@require_POST
@login_required
def mastodon_disconnect(request, account_id: int):
    from .models import MastodonAccount
    from .services import mastodon

    try:
        mastodon.disconnect(Actor.from_request(request), account_id)
    except NotPermitted:
        raise PermissionDenied from None
    except MastodonAccount.DoesNotExist:
        raise Http404("No such account") from None
    messages.success(request, _("Disconnected: the access token has been erased and monitoring of this account has stopped."))
    return redirect("monitoring:mastodon")
