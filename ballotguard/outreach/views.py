"""Outreach pages: the FEOA's worklist, a candidate's outreach record, briefings with their bulk
actions, and the candidate's "Your police adviser" page with their invitations.

Views stay thin: scope, transactions and audit are in ``services``. Outside scope is 404; a role that
may never use a page is 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.utils.translation import gettext as _

from ballotguard.accounts.services import Actor
from ballotguard.core.pages import paginate
from ballotguard.registry.models import Candidate
from ballotguard.registry.services import read_contact_details

from . import services
from .forms import AttendanceForm, BriefingForm, ContactAttemptForm, InviteCouncilForm, InviteOneForm, WorklistFilterForm
from .models import Briefing, ContactAttempt, Invitation


def _require_adviser(request):
    if not services.is_adviser(request.user):
        raise PermissionDenied


def _candidate(request, candidate_id: int) -> Candidate:
    try:
        return services.get_candidate(request.user, candidate_id)
    except Candidate.DoesNotExist:
        raise Http404("No such candidate in your force area") from None


def _briefing(request, briefing_id: int) -> Briefing:
    try:
        return services.get_briefing(request.user, briefing_id)
    except Briefing.DoesNotExist:
        raise Http404("No such briefing") from None


def _add_error(form, exc: services.InvalidInput) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


# ---------------------------------------------------------------------------------------------------
# The worklist


@require_GET
@login_required
def worklist(request):
    if services.is_candidate_side(request.user):
        return redirect("outreach:adviser")
    _require_adviser(request)
    councils, elections = services.worklist_choices(request.user)
    form = WorklistFilterForm(request.GET or None, councils=councils, elections=elections)
    flt = services.WorklistFilter()
    if form.is_bound and form.is_valid():
        flt = services.WorklistFilter(council=form.cleaned_data["council"], election=form.cleaned_data["election"])
    sorting = services.WORKLIST_SORT.from_request(request)
    qs = services.worklist(request.user, flt) if not form.errors else Candidate.objects.none()
    page_obj, page_links = paginate(request, sorting.apply(qs))
    outcomes = dict(ContactAttempt.Outcome.choices)
    rows = [{"c": c, "last_outcome": outcomes.get(c.last_outcome, "")} for c in page_obj.object_list]
    return render(request, "outreach/worklist.html", {
        "form": form, "rows": rows, "page_obj": page_obj, "page_links": page_links,
        "filtered": bool(flt.council or flt.election), "sorting": sorting,
    })


# ---------------------------------------------------------------------------------------------------
# One candidate's outreach record


def _candidate_page(request, candidate: Candidate, form=None, invite_form=None, status: int = 200):
    actor = Actor.from_request(request)
    upcoming = services.briefings_for(request.user).filter(starts_at__gt=timezone.now(), force__in=[f.pk for f in services.forces_for(candidate)]).exclude(invitations__candidate=candidate).order_by("starts_at")
    return render(request, "outreach/candidate.html", {
        "candidate": candidate,
        "contact": read_contact_details(actor, candidate),  # audited by the registry
        "history": services.contact_history(actor, candidate),
        "first_contact": services.first_contact(candidate),
        # Only this adviser's forces' briefings: another force's briefing titles are that force's business.
        "invitations": candidate.briefing_invitations.filter(briefing__force__in=request.user.police_forces.all())
        .select_related("briefing").order_by("-briefing__starts_at"),
        "form": form or ContactAttemptForm(),
        "invite_form": invite_form or InviteOneForm(briefings=upcoming),
        "can_invite": upcoming.exists() or invite_form is not None,
    }, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def candidate(request, candidate_id: int):
    _require_adviser(request)
    candidate = _candidate(request, candidate_id)
    if request.method == "GET":
        return _candidate_page(request, candidate)
    form = ContactAttemptForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            attempt = services.record_contact_attempt(
                Actor.from_request(request), candidate, method=data["method"], outcome=data["outcome"], at=data["at"],
                next_step=data["next_step"], notes=data["notes"],
            )
        except services.InvalidInput as exc:
            _add_error(form, exc)
        else:
            if attempt.outcome == ContactAttempt.Outcome.REACHED:
                messages.success(request, f"Contact with {candidate.name} recorded. They are off your worklist.")
            else:
                messages.success(request, f"Attempt recorded ({attempt.get_outcome_display().lower()}). {candidate.name} stays on your worklist.")
            return redirect("outreach:candidate", candidate_id=candidate.pk)
    return _candidate_page(request, candidate, form=form, status=400)


@require_POST
@login_required
def invite_one(request, candidate_id: int):
    _require_adviser(request)
    candidate = _candidate(request, candidate_id)
    briefings = services.briefings_for(request.user).filter(starts_at__gt=timezone.now())
    form = InviteOneForm(request.POST, briefings=briefings)
    if form.is_valid():
        briefing = form.cleaned_data["briefing"]
        try:
            report = services.invite(Actor.from_request(request), briefing, [candidate])
        except Candidate.DoesNotExist:
            form.add_error("briefing", f"{candidate.name} is not in the {briefing.force.name} police force area")
        except services.InvalidInput as exc:
            form.add_error("briefing", exc.message)
        else:
            messages.success(request, f"{candidate.name} invited to “{briefing.title}”." if report.invited else f"{candidate.name} was already invited to “{briefing.title}”.")
            return redirect("outreach:candidate", candidate_id=candidate.pk)
    return _candidate_page(request, candidate, invite_form=form, status=400)


# ---------------------------------------------------------------------------------------------------
# Briefings


@require_GET
@login_required
def briefing_list(request):
    _require_adviser(request)
    page_obj, page_links = paginate(request, services.upcoming_first(services.briefings_for(request.user)))
    return render(request, "outreach/briefing_list.html", {"page_obj": page_obj, "page_links": page_links, "now": timezone.now()})


@require_http_methods(["GET", "POST"])
@login_required
def briefing_create(request):
    _require_adviser(request)
    forces = services.adviser_forces(request.user)
    if request.method == "POST":
        form = BriefingForm(request.POST, forces=forces)
        if form.is_valid():
            data = form.cleaned_data
            try:
                briefing = services.create_briefing(
                    Actor.from_request(request), force=data["force"], title=data["title"], kind=data["kind"],
                    format=data["format"], starts_at=data["starts_at"], location=data["location"], topics=data["topics"],
                )
            except services.InvalidInput as exc:
                _add_error(form, exc)
            else:
                messages.success(request, f"Briefing “{briefing.title}” created. Now invite candidates.")
                return redirect("outreach:briefing", briefing_id=briefing.pk)
        status = 400
    else:
        form = BriefingForm(forces=forces, initial={"kind": Briefing.Kind.GROUP, "format": Briefing.Format.IN_PERSON})
        status = 200
    return render(request, "outreach/briefing_form.html", {"form": form, "single_force": forces.count() == 1}, status=status)


def _briefing_page(request, briefing: Briefing, invite_form=None, status: int = 200):
    invitations = list(services.briefing_invitations(briefing))
    groups = [
        (label, [i for i in invitations if i.status == value])
        for value, label in ((Invitation.Status.ACCEPTED, "Accepted"), (Invitation.Status.INVITED, "No reply"), (Invitation.Status.DECLINED, "Declined"))
    ]
    councils, elections = services.council_choices(request.user, briefing)
    return render(request, "outreach/briefing.html", {
        "briefing": briefing, "location": services.read_location(briefing), "groups": groups,
        "total": len(invitations), "attended": sum(1 for i in invitations if i.attended),
        "invite_form": invite_form or InviteCouncilForm(councils=councils, elections=elections),
    }, status=status)


@require_GET
@login_required
def briefing_detail(request, briefing_id: int):
    _require_adviser(request)
    return _briefing_page(request, _briefing(request, briefing_id))


@require_POST
@login_required
def invite_council(request, briefing_id: int):
    """Invite every candidate of a council at an election (in the briefing's force area): one transaction, idempotent."""
    _require_adviser(request)
    briefing = _briefing(request, briefing_id)
    councils, elections = services.council_choices(request.user, briefing)
    form = InviteCouncilForm(request.POST, councils=councils, elections=elections)
    if form.is_valid():
        try:
            report = services.invite_council(Actor.from_request(request), briefing, form.cleaned_data["council"], form.cleaned_data["election"])
        except services.InvalidInput as exc:
            _add_error(form, exc)
        else:
            council = dict(councils)[form.cleaned_data["council"]]
            text = f"{report.invited} candidate{'s' if report.invited != 1 else ''} of {council} invited."
            if report.already:
                text += f" {report.already} had already been invited and were left as they were."
            if report.invited:
                text += f" {report.with_account} of those invited have a Ballotguard account and will see the invitation there; contact the others directly."
            messages.success(request, text)
            return redirect("outreach:briefing", briefing_id=briefing.pk)
    return _briefing_page(request, briefing, invite_form=form, status=400)


@require_http_methods(["GET", "POST"])
@login_required
def attendance(request, briefing_id: int):
    """Record attendance from a pasted or uploaded list; matched lines are saved, unmatched ones listed."""
    _require_adviser(request)
    briefing = _briefing(request, briefing_id)
    report = None
    status = 200
    if request.method == "POST":
        form = AttendanceForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                report = services.record_attendance(Actor.from_request(request), briefing, form.text())
            except services.InvalidInput as exc:
                _add_error(form, exc)
        if form.errors:
            status = 400
        elif report is not None and report.unmatched:
            form = AttendanceForm()  # the matched lines are saved: start the next list afresh
    else:
        form = AttendanceForm()
    unmatched_errors = [{"href": f"#unmatched-{n}", "text": f"Line {n}: “{text}”: {reason}"} for n, text, reason in (report.unmatched if report else [])]
    return render(request, "outreach/attendance.html", {
        "briefing": briefing, "form": form, "report": report, "unmatched_errors": unmatched_errors,
    }, status=status)


# ---------------------------------------------------------------------------------------------------
# The candidate's side


@require_GET
@login_required
def adviser(request):
    if not services.is_candidate_side(request.user):
        if services.is_adviser(request.user):
            return redirect("outreach:worklist")
        raise PermissionDenied
    now = timezone.now()
    invitations = list(services.invitations_for(request.user))
    return render(request, "outreach/adviser.html", {
        "cards": services.advisers_page(request.user),
        "upcoming": [i for i in invitations if i.briefing.starts_at > now],
        "past": [i for i in invitations if i.briefing.starts_at <= now][::-1],
    })


@require_POST
@login_required
def respond(request, invitation_id: int):
    if not services.is_candidate_side(request.user):
        raise PermissionDenied
    invitation = services.invitations_for(request.user).filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404("No such invitation")
    answer = request.POST.get("response")
    if answer not in {"accept", "decline"}:
        messages.error(request, _("Choose whether to accept or decline the invitation."))
        return redirect("outreach:adviser")
    try:
        services.respond(Actor.from_request(request), invitation, accept=answer == "accept")
    except services.InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        verb = "accepted" if answer == "accept" else "declined"
        messages.success(request, (_("You have accepted the invitation to “%(title)s”. Your police adviser can see your answer.") if verb == "accepted" else _("You have declined the invitation to “%(title)s”. Your police adviser can see your answer.")) % {"title": invitation.briefing.title})
    return redirect("outreach:adviser")
