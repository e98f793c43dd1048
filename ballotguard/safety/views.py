"""Safety companion pages: guidance, the safety plan, the civility pledge and the FEOA's overview.

Views stay thin: scope and audit are decided in ``services``. The public pledge pages need no sign-in.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.utils.translation import gettext as _

from ballotguard.accounts.models import Role
from ballotguard.accounts.services import Actor
from ballotguard.core.pages import paginate
from ballotguard.engines.candidates.safety_plan import PRIORITY_LABELS
from ballotguard.registry.models import Candidate, Election

from . import services
from .forms import PledgeForm, PledgeListingForm, SafetyPlanForm
from .pledge import PLEDGE_INTRO, PLEDGE_POINTS, PLEDGE_TITLE, PLEDGE_VERSION


def _candidate(qs, candidate_id: int) -> Candidate:
    try:
        return qs.get(pk=candidate_id)
    except Candidate.DoesNotExist:
        raise Http404("No such candidate") from None


# ---------------------------------------------------------------------------------------------------
# The candidate's hub


@require_GET
@login_required
def safety_home(request):
    user = request.user
    if user.role == Role.FEOA:
        return redirect("safety:overview")
    if user.role not in {Role.CANDIDATE, Role.STAFF}:
        return redirect("safety:guidance")
    candidacies = list(services.plan_candidates(user).order_by("-ballot__election__date", "name"))
    rows = [
        {"candidate": c, "plan": services.plan_summary(c), "pledge": services.signature_in_force(c), "can_sign": services.can_sign_pledge(user, c)}
        for c in candidacies
    ]
    library = services.guidance_for(user)
    return render(request, "safety/home.html", {
        "rows": rows, "library": library,
        "read_count": sum(1 for g in library if g.state == services.READ), "total": len(library),
    })


# ---------------------------------------------------------------------------------------------------
# Guidance


@require_GET
@login_required
def guidance_list(request):
    return render(request, "safety/guidance_list.html", {
        "library": services.guidance_for(request.user), "can_mark_read": services.can_mark_read(request.user),
    })


@require_GET
@login_required
def guidance_detail(request, slug: str):
    try:
        doc = services.get_guidance(slug)
    except LookupError:
        raise Http404("No such guidance") from None
    return render(request, "safety/guidance_detail.html", {
        "doc": doc, "body": mark_safe(services.guidance_html(doc)),  # escaped and link-checked by the engine
        "status": services.status_of(request.user, doc), "can_mark_read": services.can_mark_read(request.user),
    })


@require_POST
@login_required
def guidance_read(request, slug: str):
    if not services.can_mark_read(request.user):
        raise PermissionDenied
    try:
        receipt = services.mark_read(Actor.from_request(request), slug)
    except LookupError:
        raise Http404("No such guidance") from None
    doc = services.get_guidance(slug)
    messages.success(request, _("“%(title)s” marked as read (version %(version)s).") % {"title": doc.title, "version": receipt.version})
    return redirect("safety:guidance")


# ---------------------------------------------------------------------------------------------------
# The FEOA's overview


@require_GET
@login_required
def overview(request):
    if not services.can_see_readership(request.user):
        raise PermissionDenied
    page_obj, page_links = paginate(request, services.readership_candidates(request.user))
    rows = services.overview(Actor.from_request(request), list(page_obj.object_list))
    titles = {slug: doc.title for slug, doc in services.library().items()}
    items = [
        {"o": row, "updated": [titles[s] for s in row.updated], "unread": [titles[s] for s in row.unread]}
        for row in rows
    ]
    return render(request, "safety/overview.html", {
        "rows": items, "page_obj": page_obj, "page_links": page_links, "total": len(titles),
    })


# ---------------------------------------------------------------------------------------------------
# The safety plan


@require_GET
@login_required
def plan(request, candidate_id: int, revision: int | None = None):
    user = request.user
    candidate = _candidate(services.plan_summary_candidates(user), candidate_id)
    if not services.can_edit_plan(user, candidate):
        # A FEOA of the force: whether a plan exists and when, never the answers.
        return render(request, "safety/plan_summary.html", {"candidate": candidate, "summary": services.plan_summary(candidate)})
    if revision is None:
        current = services.latest_plan(candidate)
        if current is None:
            return redirect("safety:plan-edit", candidate_id=candidate.pk)
    else:
        current = get_object_or_404(candidate.safety_plans, revision=revision)
    view = services.read_plan(Actor.from_request(request), current)
    latest = services.latest_plan(candidate)
    titles = {slug: doc.title for slug, doc in services.library().items()}
    groups = []
    for priority, label in PRIORITY_LABELS.items():
        items = [{"item": i, "guidance_title": titles.get(i.guidance_slug, "")} for i in view.items if i.priority == priority]
        if items:
            groups.append({"priority": priority, "label": _(label), "items": items})
    return render(request, "safety/plan.html", {
        "candidate": candidate, "view": view, "groups": groups,
        "is_latest": latest is not None and latest.pk == current.pk,
        "history": services.plan_history(candidate), "answers": _answer_rows(view.answers),
    })


def _answer_rows(answers) -> list[tuple[str, str]]:
    """The answers as the questionnaire's labels and the chosen option's words, in question order."""
    initial = SafetyPlanForm.initial_from(answers)
    return [(field.label, dict(field.choices)[initial[name]]) for name, field in SafetyPlanForm.base_fields.items()]


@require_http_methods(["GET", "POST"])
@login_required
def plan_edit(request, candidate_id: int):
    user = request.user
    candidate = _candidate(services.plan_candidates(user), candidate_id)
    latest = services.latest_plan(candidate)
    if request.method == "POST":
        form = SafetyPlanForm(request.POST)
        if form.is_valid():
            saved = services.save_plan(Actor.from_request(request), candidate, form.answers())
            messages.success(request, _("Your safety plan has been saved.") if saved.revision == 1 else f"Your safety plan has been updated (revision {saved.revision}).")
            return redirect("safety:plan", candidate_id=candidate.pk)
        status = 400
    else:
        initial = {}
        if latest is not None:
            initial = SafetyPlanForm.initial_from(services.read_plan(Actor.from_request(request), latest).answers)
        form = SafetyPlanForm(initial=initial)
        status = 200
    return render(request, "safety/plan_form.html", {"candidate": candidate, "form": form, "revising": latest is not None}, status=status)


# ---------------------------------------------------------------------------------------------------
# The civility pledge


def _pledge_context(candidate, user, form=None, listing_form=None) -> dict:
    signature = services.signature_in_force(candidate)
    return {
        "candidate": candidate, "signature": signature, "can_sign": services.can_sign_pledge(user, candidate),
        "form": form or PledgeForm(), "listing_form": listing_form or PledgeListingForm(initial={"listed": signature.listed if signature else False}),
        "pledge_title": PLEDGE_TITLE, "pledge_intro": PLEDGE_INTRO, "pledge_points": PLEDGE_POINTS, "pledge_version": PLEDGE_VERSION,
    }


@require_http_methods(["GET", "POST"])
@login_required
def pledge(request, candidate_id: int):
    user = request.user
    candidate = _candidate(services.pledge_candidates(user), candidate_id)
    if request.method == "GET":
        return render(request, "safety/pledge.html", _pledge_context(candidate, user))
    if not services.can_sign_pledge(user, candidate):
        raise PermissionDenied
    signed = services.signature_in_force(candidate) is not None
    form = (PledgeListingForm if signed else PledgeForm)(request.POST)
    if not form.is_valid():
        ctx = _pledge_context(candidate, user, **({"listing_form": form} if signed else {"form": form}))
        return render(request, "safety/pledge.html", ctx, status=400)
    signature, created = services.sign_pledge(Actor.from_request(request), candidate, form.cleaned_data["listed"])
    if created:
        messages.success(request, _("Thank you: you have signed the civility pledge.") + (" Your name is on the public list." if signature.listed else ""))
    else:
        messages.success(request, _("Your name is on the public list.") if signature.listed else "Your name is no longer on the public list.")
    return redirect("safety:pledge", candidate_id=candidate.pk)


@require_POST
@login_required
def pledge_withdraw(request, candidate_id: int):
    user = request.user
    candidate = _candidate(services.pledge_candidates(user), candidate_id)
    if not services.can_sign_pledge(user, candidate):
        raise PermissionDenied
    if services.withdraw_pledge(Actor.from_request(request), candidate):
        messages.success(request, _("You have withdrawn from the civility pledge."))
    return redirect("safety:pledge", candidate_id=candidate.pk)


@require_GET
def pledge_elections(request):
    """Public: the elections with candidates who signed the pledge and agreed to be listed."""
    return render(request, "safety/pledge_elections.html", {
        "elections": list(services.pledge_elections()), "pledge_title": PLEDGE_TITLE,
        "pledge_intro": PLEDGE_INTRO, "pledge_points": PLEDGE_POINTS,
    })


@require_GET
def pledge_signatories(request, election_id: str):
    """Public: the listed signatories of one election (name, party and area, as on the ballot paper)."""
    election = get_object_or_404(Election, election_id=election_id)
    return render(request, "safety/pledge_signatories.html", {
        "election": election, "signatories": services.public_signatories(election), "pledge_title": PLEDGE_TITLE,
    })
