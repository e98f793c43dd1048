"""Incident pages: reporting (phone-first), evidence, the FEOA's queue and case page, links, packs.

Every reporting screen starts with the 999 warning (``includes/emergency.html``). Views
stay thin: what is valid, who may see what, and what is audited are decided in ``services``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ballotguard.core import throttling
from ballotguard.accounts.models import Role
from ballotguard.accounts.services import Actor, audit_reads
from ballotguard.core.pages import paginate
from ballotguard.engines.incidents.evidence_types import EvidenceRejected
from ballotguard.engines.incidents.facts import Behaviour
from ballotguard.engines.incidents.offences import DISCLAIMER
from ballotguard.registry.services import NotPermitted, advisers_for

from . import downloads, services
from ballotguard.core.uploads import too_large_message
from .forms import (
    AccessRequestForm, AssignForm, EvidenceForm, NoteForm, QueueFilterForm, ReportForm, RetireWarningForm, RiskForm, StatusForm, TaskForm,
    TemplateNoteForm, TemplateTaskFormSet, WarningForm,
)
from .models import AccessRequest, Evidence, Incident, IncidentTask, ObservableWarning
from .services import warnings as warnings_service


def _incident(request, reference: str) -> Incident:
    try:
        return services.get_incident(request.user, reference)
    except Incident.DoesNotExist:
        raise Http404("No such incident") from None


# ---------------------------------------------------------------------------------------------------
# Lists


@require_GET
@login_required
def incident_list(request):
    user = request.user
    if user.role == Role.FEOA:
        form = QueueFilterForm(request.GET or {"status": "open"})
        flt = services.QueueFilter(status="open")
        if form.is_valid():
            d = form.cleaned_data
            flt = services.QueueFilter(status=d["status"], risk=d["risk"], assigned=d["assigned"], overdue=d["overdue"])
        sorting = services.QUEUE_SORT.from_request(request)
        page_obj, page_links = paginate(request, sorting.apply(services.queue(user, flt)).prefetch_related("forces"))
        _with_checklists(page_obj.object_list)
        pending = services.pending_requests_for(user).count()
        # The clock the queue runs to (services.clocks.triage_hours): each force's own triage targets.
        triage_targets = [{"force": force.name, **services.clocks.targets_for(force)[services.clocks.Clock.TRIAGE]}
                          for force in user.police_forces.order_by("name")]
        return render(request, "incidents/queue.html", {"form": form, "page_obj": page_obj, "page_links": page_links, "pending_requests": pending,
                                                        "cases": services.queue_summary(user), "sorting": sorting,
                                                        "triage_targets": triage_targets})
    if services.can_report(user):
        page_obj, page_links = paginate(request, services.my_incidents(user))
        return render(request, "incidents/my_list.html", {"page_obj": page_obj, "page_links": page_links})
    raise PermissionDenied


def _with_checklists(incidents) -> None:
    """Each incident of a queue page gets ``checklist``: its tasks' progress (one query for the page)."""
    progress = services.progress_for(i.pk for i in incidents)
    for incident in incidents:
        incident.checklist = progress.get(incident.pk)


# ---------------------------------------------------------------------------------------------------
# Reporting


def _report_form(request, incident: Incident | None):
    user = request.user
    if not services.can_report(user):
        raise PermissionDenied
    candidates = list(services.reportable_candidates(user))
    if not candidates:
        return render(request, "incidents/no_candidacy.html", status=403)
    if request.method == "POST":
        form = ReportForm(request.POST, candidates=candidates)
        valid = form.is_valid()
        if form.cleaned_data.get("in_danger_now") and request.POST.get("danger_acknowledged") != "1":
            return _danger_interruption(request, form, incident)
        if valid:
            data = form.to_input()
            if not form.errors and incident is None and _nothing_typed(data):
                # A new report with nothing in it is not saved: it would sit in the list as an empty
                # draft called "Not given" (issue 16, point 8).
                form.add_error("behaviours", _("Select what happened, or type something, before you continue or save a draft"))
            if not form.errors:
                action = request.POST.get("action", "continue")
                try:
                    incident = services.save_draft(Actor.from_request(request), data, incident)
                    if action == "continue":
                        services.submit_check(user, incident)
                except services.ReportInvalid as exc:
                    form.add_service_errors(exc.errors)
                except NotPermitted:
                    raise PermissionDenied from None
                else:
                    if action == "draft":
                        messages.success(request, _("Your draft %(reference)s is saved. It has not been sent to anyone yet.") % {"reference": incident.reference})
                        return redirect("incidents:list")
                    return redirect("incidents:evidence", reference=incident.reference)
    else:
        initial = None
        if incident is not None:
            services.read_incident(Actor.from_request(request), incident)
            initial = ReportForm.initial_from(incident, services.observables_as_text(incident))
        form = ReportForm(initial=initial, candidates=candidates)
    return render(request, "incidents/report_form.html", {"form": form, "incident": incident})


def _nothing_typed(data: services.ReportInput) -> bool:
    """Whether a report holds nothing the reporter gave (the candidate is chosen for them when there is one)."""
    return not (
        data.occurred_at or data.place or data.area_code.strip() or data.platform.strip() or data.behaviours
        or data.characteristics or data.issue_tags or data.in_danger_now or data.weapon_mentioned
        or data.home_address_known or data.perpetrator_known or data.description.strip() or data.perpetrator.strip()
        or any(v.strip() for v in data.observables.values())
    )


def _danger_interruption(request, form: ReportForm, incident: Incident | None):
    """Someone who says they are in danger now is stopped at once, before anything else is asked:
    a full-screen "call 999" page with a tap-to-call link. What they typed is kept as a draft when it
    can be (a date typed wrongly must not stand between a person in danger and the 999 page), and the
    page re-posts it, marked as seen, when they say they are safe to go on."""
    saved = incident
    data = form.to_input() if not form.errors else None
    if data is not None and not form.errors:
        try:
            saved = services.save_draft(Actor.from_request(request), data, incident)
        except services.ReportInvalid:
            saved = incident  # shown again with its errors once they go on
        except NotPermitted:
            raise PermissionDenied from None
    resume_url = reverse("incidents:edit", args=[saved.reference]) if saved else reverse("incidents:report")
    carried = [(name, value) for name, values in request.POST.lists() if name not in ("csrfmiddlewaretoken", "danger_acknowledged") for value in values]
    return render(request, "incidents/danger.html", {"incident": saved, "resume_url": resume_url, "carried": carried})


@require_http_methods(["GET", "POST"])
@login_required
def report_new(request):
    return _report_form(request, None)


@require_http_methods(["GET", "POST"])
@login_required
def report_edit(request, reference: str):
    incident = _incident(request, reference)
    if incident.status != Incident.Status.DRAFT or incident.reported_by_id != request.user.pk:
        raise PermissionDenied
    return _report_form(request, incident)


@require_http_methods(["GET", "POST"])
@login_required
def evidence_upload(request, reference: str):
    incident = _incident(request, reference)
    if not services.can_add_evidence(request.user, incident):
        raise PermissionDenied
    form = EvidenceForm()
    if request.method == "POST":
        form = EvidenceForm(request.POST, request.FILES)
        too_large = getattr(request, "upload_too_large", "")
        files = request.FILES.getlist("files")
        if too_large:
            form.is_valid()
            form.add_error("files", too_large_message())
        elif not files and request.POST.get("action") != "continue":
            form.is_valid()
            form.add_error("files", "Select a file to upload")
        else:
            added = 0
            for upload in files:
                try:
                    services.add_evidence(Actor.from_request(request), incident, upload.name, upload.chunks(), upload.size)
                    added += 1
                except EvidenceRejected as exc:
                    form.is_valid()
                    form.add_error("files", f"{upload.name[:80]}: {exc.message}")
            if not form.errors:
                if added:
                    messages.success(request, ngettext("%(count)d file uploaded and sealed.", "%(count)d files uploaded and sealed.", added) % {"count": added})
                if request.POST.get("action") == "continue":
                    return redirect("incidents:check" if incident.status == Incident.Status.DRAFT else "incidents:detail", reference=incident.reference)
                return redirect("incidents:evidence", reference=incident.reference)
    evidence = incident.evidence.all()
    if evidence:
        audit_reads(Actor.from_request(request), "evidence", [e.pk for e in evidence], ["original_name"])
    return render(request, "incidents/evidence_upload.html", {"incident": incident, "form": form, "evidence": evidence},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@login_required
def check_answers(request, reference: str):
    incident = _incident(request, reference)
    if incident.status != Incident.Status.DRAFT or incident.reported_by_id != request.user.pk:
        return redirect("incidents:detail", reference=incident.reference)
    errors = {}
    if request.method == "POST" and (wait := throttling.check(
            ("report_user", str(request.user.pk)), ("report_address", throttling.address_of(request)))):
        return throttling.too_many_page(request, wait, "reports")
    if request.method == "POST":
        try:
            services.submit(Actor.from_request(request), incident)
        except services.ReportInvalid as exc:
            errors = exc.errors
        except NotPermitted:  # already sent (a second click, or another tab)
            return redirect("incidents:detail", reference=incident.reference)
        else:
            messages.success(request, _("Your report has been sent to your Force Elected-Official Adviser."))
            return redirect("incidents:detail", reference=incident.reference)
    guidance = services.guidance_for(incident, request.user)
    services.read_incident(Actor.from_request(request), incident)
    return render(request, "incidents/check.html", {
        "incident": incident, "guidance": guidance, "errors": errors, "observables": incident.observables.all(),
        "evidence": incident.evidence.all(),
    })


# ---------------------------------------------------------------------------------------------------
# One incident


@require_GET
@login_required
def incident_detail(request, reference: str):
    incident = _incident(request, reference)
    return _case_page(request, incident)


def _case_page(request, incident: Incident, failed: tuple[str, object] | None = None):
    """The incident's page; with ``failed`` (a form's name and the bound form), shown again with that
    form's errors (GOV.UK: errors on the page they belong to) and answered 400. Either way, showing the
    content is an audited read."""
    user = request.user
    services.read_incident(Actor.from_request(request), incident)
    adviser = services.can_act_as_adviser(user, incident)
    context = {
        "incident": incident,
        "guidance": services.guidance_for(incident, user),
        "disclaimer": DISCLAIMER,
        "observables": incident.observables.all(),
        "evidence": incident.evidence.all(),
        "timeline": services.timeline(user, incident),
        "links": services.linked_incidents(user, incident),
        "adviser": adviser,
        "can_add_evidence": services.can_add_evidence(user, incident),
        "feoa_contacts": advisers_for(incident.candidate) if not adviser else [],
        "forces": incident.forces.all(),
    }
    if user.role == Role.FEOA:
        context["access_form"] = AccessRequestForm()
        context["warned"] = warnings_service.warned_observable_ids(incident)
    if adviser:
        context.update(
            status_form=StatusForm(incident=incident),
            assign_form=AssignForm(initial={"assigned_to": incident.assigned_to_id}, advisers=services.advisers_for_incident(incident)),
            note_form=NoteForm(),
            risk_form=RiskForm(initial={"level": incident.risk_override_level}),
        )
        tasks = list(services.tasks_of(user, incident))
        context.update(tasks=tasks, checklist=services.progress_of(tasks))
    if failed is not None:
        name, form = failed
        context[name] = form
        context["error_form"] = form
        return render(request, "incidents/detail.html", context, status=400)
    return render(request, "incidents/detail.html", context)


def _adviser_action(request, reference: str, form_name: str, make_form, act):
    """One of the FEOA's forms on the case page: check the form, ``act(incident, cleaned_data)`` (which
    returns the confirmation), and go back to the page; or show the page again with the errors.
    A ``ReportInvalid`` from the service lands on the form's fields."""
    incident = _incident(request, reference)
    if not services.can_act_as_adviser(request.user, incident):
        raise PermissionDenied
    form = make_form(incident)
    if form.is_valid():
        try:
            done = act(incident, form.cleaned_data)
        except services.ReportInvalid as exc:
            for key, message in exc.errors.items():
                form.add_error(key if key in form.fields else None, message)
        else:
            messages.success(request, done)
            return redirect("incidents:detail", reference=incident.reference)
    return _case_page(request, incident, failed=(form_name, form))


@require_POST
@login_required
def change_status(request, reference: str):
    def act(incident, d):
        changed = services.change_status(Actor.from_request(request), incident, d["status"],
                                         crime_reference=d["crime_reference"], advice=d["advice"], reason=d["reason"])
        return f"{changed.reference} is now {changed.get_status_display().lower()}."

    return _adviser_action(request, reference, "status_form", lambda i: StatusForm(request.POST, incident=i), act)


@require_POST
@login_required
def assign(request, reference: str):
    def act(incident, d):
        services.assign(Actor.from_request(request), incident, d["assigned_to"])
        return "Assignment saved."

    return _adviser_action(request, reference, "assign_form",
                           lambda i: AssignForm(request.POST, advisers=services.advisers_for_incident(i)), act)


@require_POST
@login_required
def add_note(request, reference: str):
    def act(incident, d):
        services.add_note(Actor.from_request(request), incident, d["note"])
        return "Note added."

    return _adviser_action(request, reference, "note_form", lambda i: NoteForm(request.POST), act)


@require_POST
@login_required
def override_risk(request, reference: str):
    def act(incident, d):
        services.override_risk(Actor.from_request(request), incident, d["level"], d["reason"])
        return "Risk level saved."

    return _adviser_action(request, reference, "risk_form", lambda i: RiskForm(request.POST), act)


@require_POST
@login_required
def request_access(request, reference: str):
    """A FEOA asks for a linked incident in another force. ``reference`` is the incident asked for."""
    if request.user.role != Role.FEOA:
        raise PermissionDenied
    form = AccessRequestForm(request.POST)
    back = request.POST.get("back", "")
    if form.is_valid():
        try:
            services.request_access(Actor.from_request(request), reference, form.cleaned_data["reason"])
        except Incident.DoesNotExist:
            raise Http404("No such linked incident") from None
        messages.success(request, f"Access to {reference} requested. A FEOA of that force will decide.")
    else:
        messages.error(request, _("Enter why you need to see this incident"))
    if back and Incident.objects.filter(reference=back).exists():
        return redirect("incidents:detail", reference=back)
    return redirect("incidents:list")


@require_http_methods(["GET", "POST"])
@login_required
def access_requests(request):
    if request.user.role != Role.FEOA:
        raise PermissionDenied
    if request.method == "POST":
        try:
            decided = services.decide_access(Actor.from_request(request), int(request.POST.get("request", "0")), request.POST.get("decision") == "grant")
        except (ValueError, AccessRequest.DoesNotExist):
            raise Http404("No such request") from None
        messages.success(request, f"Access to {decided.incident.reference} {decided.status}.")
        return redirect("incidents:access-requests")
    return render(request, "incidents/access_requests.html", {"requests": services.pending_requests_for(request.user)})


@require_GET
@login_required
def course_of_conduct(request, reference: str):
    incident = _incident(request, reference)
    visible, hidden = services.profile(request.user, incident)
    for other in visible:
        services.read_incident(Actor.from_request(request), other)
    events = sorted(
        ((e, i) for i in visible for e in services.timeline(request.user, i)),
        key=lambda pair: (pair[0].at, pair[0].pk),
    )
    return render(request, "incidents/conduct.html", {"incident": incident, "incidents": visible, "hidden": hidden, "events": events})


# ---------------------------------------------------------------------------------------------------
# Evidence and packs


@require_GET
@login_required
def evidence_download(request, reference: str, evidence_id: int):
    incident = _incident(request, reference)
    try:
        evidence = services.evidence_of(incident, evidence_id)
    except Evidence.DoesNotExist:
        raise Http404("No such file") from None
    return downloads.evidence_response(Actor.from_request(request), incident, evidence)


@require_GET
@login_required
def evidence_pack(request, reference: str, scope: str = "incident"):
    incident = _incident(request, reference)
    incidents = [incident] if scope == "incident" else services.profile(request.user, incident)[0]
    return downloads.pack_response(Actor.from_request(request), incidents)


# ---------------------------------------------------------------------------------------------------
# Checklists: an incident's tasks (its force's FEOAs), and the templates (administrators)


@require_http_methods(["GET", "POST"])
@login_required
def incident_task(request, reference: str, task_id: int):
    """One task of the incident's checklist: its status (not applicable needs a reason), owner and due
    time. "Mark as done" on the case page posts here with ``action=done`` alone."""
    incident = _incident(request, reference)
    if not services.can_act_as_adviser(request.user, incident):
        raise PermissionDenied
    try:
        task = services.task_of(request.user, incident, task_id)
    except IncidentTask.DoesNotExist:
        raise Http404("No such task") from None
    advisers = services.advisers_for_incident(incident)
    actor = Actor.from_request(request)
    if request.method == "POST" and request.POST.get("action") == "done":
        try:
            services.update_task(actor, incident, task.pk, state="done")
        except services.ReportInvalid as exc:
            messages.error(request, next(iter(exc.errors.values())))
        else:
            messages.success(request, f"“{task.title}” done.")
        return redirect(reverse("incidents:detail", args=[incident.reference]) + "#checklist")
    if request.method == "POST":
        form = TaskForm(request.POST, advisers=advisers)
        if form.is_valid():
            due_at = form.due_at()
            if not form.errors:
                try:
                    services.update_task(actor, incident, task.pk, state=form.cleaned_data["state"], reason=form.cleaned_data["reason"],
                                         owner_id=form.cleaned_data["owner"], due_at=due_at)
                except services.ReportInvalid as exc:
                    for key, message in exc.errors.items():
                        form.add_error(key if key in form.fields else ("day" if key == "due_at" else None), message)
                else:
                    messages.success(request, f"“{task.title}” saved.")
                    return redirect(reverse("incidents:detail", args=[incident.reference]) + "#checklist")
    else:
        form = TaskForm(initial=TaskForm.initial_from(task), advisers=advisers)
        services.read_checklist(actor, incident)
    return render(request, "incidents/task.html", {"incident": incident, "task": task, "form": form},
                  status=400 if form.errors else 200)


def _template_reader(request) -> None:
    if not services.can_read_templates(request.user):
        raise PermissionDenied


def _behaviour(value: str) -> Behaviour:
    try:
        return Behaviour(value)
    except ValueError:
        raise Http404("No such kind of incident") from None


@require_GET
@login_required
def checklist_templates(request):
    _template_reader(request)
    templates = services.current_templates()
    return render(request, "incidents/checklists.html", {
        "templates": list(templates.values()), "can_edit": services.can_edit_templates(request.user),
    })


@require_GET
@login_required
def checklist_template(request, behaviour: str):
    _template_reader(request)
    kind = _behaviour(behaviour)
    versions = list(services.template_versions(kind))
    template = versions[0]
    wanted = request.GET.get("version", "")
    if wanted:
        if not wanted.isdigit() or not any(v.version == int(wanted) for v in versions):
            raise Http404("No such version")
        template = next(v for v in versions if v.version == int(wanted))
    template = services.template_version(kind, template.version)
    return render(request, "incidents/checklist.html", {
        "template": template, "versions": versions, "current": versions[0], "can_edit": services.can_edit_templates(request.user),
    })


@require_http_methods(["GET", "POST"])
@login_required
def checklist_template_edit(request, behaviour: str):
    if not services.can_edit_templates(request.user):
        raise PermissionDenied
    kind = _behaviour(behaviour)
    current = services.current_templates([kind])[kind]
    if request.method == "POST":
        formset = TemplateTaskFormSet(request.POST, prefix="tasks")
        note_form = TemplateNoteForm(request.POST)
        if formset.is_valid() and note_form.is_valid():
            items = [f.as_input() for f in formset.forms]
            try:
                saved = services.save_template(Actor.from_request(request), kind, items, note_form.cleaned_data["note"])
            except services.ReportInvalid as exc:
                _formset_errors(formset, note_form, exc.errors)
            else:
                messages.success(request, f"Version {saved.version} of the checklist saved. Incidents sent from now on get it.")
                return redirect("incidents:checklist", behaviour=kind.value)
    else:
        formset = TemplateTaskFormSet(prefix="tasks", initial=[
            {"title": t.title, "key": t.key, "guidance": t.guidance, "due_hours": t.due_hours, "due_hours_high": t.due_hours_high or ""}
            for t in current.task_list
        ])
        note_form = TemplateNoteForm()
    errors = _error_links(formset, note_form)
    return render(request, "incidents/checklist_edit.html", {
        "behaviour": kind, "current": current, "formset": formset, "note_form": note_form, "errors": errors,
    }, status=400 if errors else 200)


def _formset_errors(formset, note_form, errors: dict[str, str]) -> None:
    """Service errors (``tasks.N.field``, ``tasks``, ``note``) onto the formset's forms."""
    for key, message in errors.items():
        parts = key.split(".")
        if parts[0] == "note":
            note_form.add_error("note", message)
        elif len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(formset.forms):
            formset.forms[int(parts[1])].add_error(parts[2], message)
        else:
            formset._non_form_errors = formset.error_class([*formset.non_form_errors(), message])


def _error_links(formset, note_form) -> list[dict]:
    links = [{"href": "#tasks", "text": m} for m in formset.non_form_errors()]
    for form in formset.forms:
        links += form.error_links()
    return links + note_form.error_links()


# ---------------------------------------------------------------------------------------------------
# The observables warning list (administrators keep it; advisers and analysts may read it)

_WARNING_READERS = {Role.ADMIN, Role.FEOA, Role.ANALYST}


@require_http_methods(["GET", "POST"])
@login_required
def warning_list(request):
    if request.user.role not in _WARNING_READERS:
        raise PermissionDenied
    can_edit = request.user.role == Role.ADMIN
    form = WarningForm()
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        form = WarningForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                warning, removed = warnings_service.add_warning(Actor.from_request(request), d["kind"], d["value"], d["reason"])
            except warnings_service.WarningListError as err:
                form.add_error(err.field if err.field in form.fields else None, err.message)
            else:
                note = ngettext(" %(n)d link between incidents was removed.", " %(n)d links between incidents were removed.", removed) % {"n": removed} if removed else ""
                messages.success(request, f"{warning.display} is on the warning list and will not link incidents.{note}")
                return redirect("incidents:warning-list")
    retired = ObservableWarning.objects.filter(retired_at__isnull=False).select_related("retired_by")[:50]
    return render(request, "incidents/warning_list.html", {
        "warnings": warnings_service.live_warnings(), "retired": retired, "form": form, "can_edit": can_edit,
    }, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@login_required
def warning_retire(request, warning_id: int):
    if request.user.role != Role.ADMIN:
        raise PermissionDenied
    warning = ObservableWarning.objects.filter(pk=warning_id, retired_at__isnull=True).first()
    if warning is None:
        raise Http404("No such entry on the warning list")
    form = RetireWarningForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            warnings_service.retire_warning(Actor.from_request(request), warning.pk, form.cleaned_data["reason"])
        except warnings_service.WarningListError as err:
            form.add_error("reason", err.message)
        except ObservableWarning.DoesNotExist:
            raise Http404("No such entry on the warning list") from None
        else:
            messages.success(request, f"{warning.display} is off the warning list. Incidents that name it will be matched again.")
            return redirect("incidents:warning-list")
    return render(request, "incidents/warning_retire.html", {"warning": warning, "form": form}, status=400 if form.errors else 200)
