"""Survey pages: the candidate's invitations and the questionnaire (English and Welsh), and the
closing dates for analysts and administrators (English only: not candidate-facing)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from ballotguard.accounts.models import Role
from ballotguard.accounts.services import Actor
from ballotguard.engines.insights.survey import AnswersInvalid
from ballotguard.registry.models import Candidate, Election
from ballotguard.registry.services import NotPermitted

from . import services
from .forms import ClosingDateForm, SurveyForm
from .models import SurveyInvitation, SurveyResponse


def _candidate_only(request) -> None:
    if request.user.role != Role.CANDIDATE:
        raise PermissionDenied


@require_GET
@login_required
def home(request):
    _candidate_only(request)
    return render(request, "survey/home.html", {"invitations": services.invitations_for(request.user)})


@require_http_methods(["GET", "POST"])
@login_required
def respond(request, candidate_id: int):
    _candidate_only(request)
    try:
        invitation = services.open_invitation(request.user, candidate_id)
    except Candidate.DoesNotExist:
        raise Http404("No survey for that candidacy") from None
    except services.SurveyClosed as exc:
        messages.info(request, _("You have already answered this survey. Thank you.") if str(exc) == "responded"
                      else _("This survey has closed."))
        return redirect("survey:home")
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.submit(Actor.from_request(request), candidate_id, form.cleaned_data)
        except services.SurveyClosed:
            messages.info(request, _("You have already answered this survey. Thank you."))
            return redirect("survey:home")
        except AnswersInvalid as exc:  # the form checks the same rules: a race with a rule change only
            for name, message in exc.errors.items():
                form.add_error(name, _(message))  # noqa: INT001
        else:
            messages.success(request, _("Thank you. Your answers have been saved anonymously."))
            return redirect("survey:home")
    return render(request, "survey/respond.html", {"invitation": invitation, "form": form})


def _setter_only(request) -> None:
    if not services.can_set_dates(request.user):
        raise PermissionDenied


@require_GET
@login_required
def elections(request):
    _setter_only(request)
    invited = dict(SurveyInvitation.objects.values_list("candidate__ballot__election_id").annotate(n=Count("pk")))
    responded = dict(SurveyResponse.objects.values_list("election_id").annotate(n=Count("pk")))
    rows = [{"election": e, "window": w, "invited": invited.get(e.pk, 0), "responded": responded.get(e.pk, 0)} for e, w in services.windows()]
    return render(request, "survey/elections.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@login_required
def closing_date(request, election_pk: int):
    _setter_only(request)
    election = get_object_or_404(Election, pk=election_pk)
    window = getattr(election, "survey_window", None)
    form = ClosingDateForm(request.POST or None, initial={"closes_on": window.closes_on if window else None})
    if request.method == "POST" and form.is_valid():
        try:
            services.set_closing_date(Actor.from_request(request), election, form.cleaned_data["closes_on"])
        except services.SurveyError as exc:
            for name, message in exc.errors.items():
                form.add_error(name, message)
        except NotPermitted:
            raise PermissionDenied from None
        else:
            from .tasks import survey_sweep

            survey_sweep.enqueue()  # invitations go out now if the survey is already open
            messages.success(request, f"The survey for {election.name} closes on {form.cleaned_data['closes_on']:%-d %B %Y}.")
            return redirect("survey:elections")
    return render(request, "survey/closing_date.html", {"election": election, "window": window, "form": form})
