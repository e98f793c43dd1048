"""Registry pages: the candidate list and record, the returning officer's hand-over, and imports.

Views stay thin: scope, filtering, hand-over and auditing are in ``services``; validation of contact
details is in ``engines.candidates.contact`` and reading CSV files in ``engines.common.tabular``.
"""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ballotguard.accounts.models import Role
from ballotguard.accounts.services import Actor
from ballotguard.core.pages import paginate
from ballotguard.engines.common import tabular
from ballotguard.engines.candidates.contact import validate_contact

from . import services
from .forms import HANDOVER_CSV_MAX_BYTES, CandidateFilterForm, CandidateImportForm, GeographyImportForm, HandoverForm, HandoverUploadForm, SocialHandleForm
from .models import Candidate, Election


def _require_returning_officer(request):
    if request.user.role != Role.RETURNING_OFFICER or not request.user.council_id:
        raise PermissionDenied


# ---------------------------------------------------------------------------------------------------
# Candidates


@require_GET
@login_required
def candidate_list(request):
    user = request.user
    if not services.can_list_candidates(user):
        raise PermissionDenied
    elections = Election.objects.all()
    if user.role == Role.RETURNING_OFFICER:
        elections = elections.filter(ballots__council_id=user.council_id).distinct()
    form = CandidateFilterForm(request.GET or None, elections=elections)
    flt = services.CandidateFilter()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        flt = services.CandidateFilter(
            election=data["election"], area=data["area"], party=data["party"], operation=data["operation"],
            handed_over={"yes": True, "no": False}.get(data["handed_over"]), name=data["name"].strip(),
        )
    sorting = services.CANDIDATE_SORT.from_request(request)
    candidates = services.list_candidates(user, flt) if not form.errors else Candidate.objects.none()
    page_obj, page_links = paginate(request, sorting.apply(candidates))
    filtered = any(v not in ("", None) for v in vars(flt).values())
    return render(request, "registry/candidate_list.html", {"form": form, "page_obj": page_obj, "page_links": page_links, "filtered": filtered,
                                                            "sorting": sorting})


def _candidate(request, pk: int) -> Candidate:
    """A candidate in the user's scope; anything else is 404, so another area's records stay unseen."""
    try:
        return services.get_candidate(request.user, pk)
    except Candidate.DoesNotExist:
        raise Http404("No such candidate in your area") from None


@require_GET
@login_required
def candidate_detail(request, pk: int):
    candidate = _candidate(request, pk)
    links = {link.force_id: link for link in candidate.ballot.area.force_links.all()}
    forces = [{"force": f, "primary": links[f.pk].is_primary if f.pk in links else False} for f in services.forces_for(candidate)]
    contact = None
    if request.user.role != Role.ADMIN:  # administrators never see contact details
        contact = services.read_contact_details(Actor.from_request(request), candidate)
    return _candidate_page(request, candidate, contact=contact, forces=forces)


def _candidate_page(request, candidate: Candidate, *, contact=None, forces=None, handle_form=None, status: int = 200):
    if forces is None:
        links = {link.force_id: link for link in candidate.ballot.area.force_links.all()}
        forces = [{"force": f, "primary": links[f.pk].is_primary if f.pk in links else False} for f in services.forces_for(candidate)]
    return render(request, "registry/candidate_detail.html", {
        "candidate": candidate, "forces": forces, "contact": contact,
        "handles": candidate.handles.all(), "can_edit_handles": services.can_edit_handles(request.user, candidate),
        "handle_form": handle_form or SocialHandleForm(),
        "show_timeline": request.user.role in {Role.CANDIDATE, Role.STAFF, Role.FEOA},
        "can_hand_over": request.user.role == Role.RETURNING_OFFICER and candidate.ballot.council_id == request.user.council_id,
    }, status=status)


@require_POST
@login_required
def handle_add(request, pk: int):
    candidate = _candidate(request, pk)
    if not services.can_edit_handles(request.user, candidate):
        raise PermissionDenied
    form = SocialHandleForm(request.POST)
    if not form.is_valid():
        return _candidate_page(request, candidate, handle_form=form, status=400)
    try:
        services.add_handle(Actor.from_request(request), candidate, form.cleaned_data["platform"], form.cleaned_data["handle"])
    except services.HandleTaken as exc:
        form.add_error("handle", str(exc))
        return _candidate_page(request, candidate, handle_form=form, status=400)
    messages.success(request, _("@%(handle)s added: messages to it will be checked.") % {"handle": form.cleaned_data["handle"]})
    return redirect(reverse("registry:candidate-detail", args=[candidate.pk]) + "#social-media")


@require_POST
@login_required
def handle_remove(request, pk: int, handle_id: int):
    candidate = _candidate(request, pk)
    if not services.can_edit_handles(request.user, candidate):
        raise PermissionDenied
    services.remove_handle(Actor.from_request(request), candidate, handle_id)
    messages.success(request, _("Account removed."))
    return redirect(reverse("registry:candidate-detail", args=[candidate.pk]) + "#social-media")


# ---------------------------------------------------------------------------------------------------
# Hand-over by the returning officer


@require_GET
@login_required
def handover_list(request):
    _require_returning_officer(request)
    ballots = list(services.ballots_visible_to(request.user).order_by("-election__date", "post_label"))
    by_ballot: dict[int, list[Candidate]] = {b.pk: [] for b in ballots}
    for c in Candidate.objects.filter(ballot__in=[b.pk for b in ballots]).select_related("party").order_by("name", "id"):
        by_ballot[c.ballot_id].append(c)
    sorting = services.HANDOVER_SORT.from_request(request)
    rows = [{"ballot": b, "candidates": sorting.sort_rows(by_ballot[b.pk])} for b in ballots]
    total = sum(len(r["candidates"]) for r in rows)
    done = sum(1 for r in rows for c in r["candidates"] if c.handed_over)
    return render(request, "registry/handover_list.html", {
        "council": request.user.council, "rows": rows, "total": total, "handed_over": done, "outstanding": total - done,
        "sorting": sorting,
    })


@require_http_methods(["GET", "POST"])
@login_required
def handover_candidate(request, pk: int):
    _require_returning_officer(request)
    candidate = _candidate(request, pk)  # other councils' candidates: 404
    if request.method == "POST":
        form = HandoverForm(request.POST)
        if form.is_valid():
            consent = form.cleaned_data["consent"] == "yes"
            services.handover(Actor.from_request(request), candidate, form.details, consent)
            if consent:
                messages.success(request, _("The contact details of %(name)s have been handed over to their police adviser") % {"name": candidate.name})
            else:
                messages.success(request, _("Recorded that %(name)s did not agree to share their details. No contact details are kept") % {"name": candidate.name})
            return redirect("registry:handover")
    else:
        initial = {}
        if candidate.handed_over:
            # The returning officer may correct what they handed over; showing it is a read, audited.
            details = services.read_contact_details(Actor.from_request(request), candidate)
            if details is not None:
                initial = {"email": details.email, "phone": details.phone, "address": details.address, "postcode": details.postcode}
            initial["consent"] = "yes" if candidate.consent_to_share else "no"
        form = HandoverForm(initial=initial)
    return render(request, "registry/handover_form.html", {"form": form, "candidate": candidate})


HANDOVER_COLUMNS = ["ballot_paper_id", "person_id", "email", "phone", "address", "postcode", "consent"]
# The template CSV adds each candidate's name so the returning officer can see whose row is whose; an
# upload may keep it, and it is ignored (a row is matched by ballot and person id).
HANDOVER_TEMPLATE_COLUMNS = ["ballot_paper_id", "person_id", "name", "email", "phone", "address", "postcode", "consent"]


def parse_handover_csv(user, data: bytes, filename: str):
    """Validate every row of a hand-over CSV. Returns ``(rows, errors, warnings)``; rows are only usable if
    there are no errors. Each error names the line and, where one is to blame, the column."""
    table = tabular.open_table(data, filename, required=HANDOVER_COLUMNS, known=HANDOVER_TEMPLATE_COLUMNS, max_bytes=HANDOVER_CSV_MAX_BYTES)
    rows, row_errors = table.read_rows()
    errors = [{"line": e.line, "column": e.column or "", "message": e.localized(_)} for e in row_errors]
    candidates = {
        (c.ballot.ballot_paper_id, c.person_id): c
        for c in services.candidates_visible_to(user).select_related("ballot")
    }
    seen: dict[int, int] = {}
    parsed = []
    for row in rows:
        key = (row["ballot_paper_id"].strip(), row["person_id"].strip())
        candidate = candidates.get(key)
        if candidate is None:
            column = "ballot_paper_id" if not any(k[0] == key[0] for k in candidates) else "person_id"
            errors.append({"line": row.line, "column": column, "message": _("no candidate with person_id %(person_id)s on ballot %(ballot)s in your council") % {
                "person_id": key[1] or _("(blank)"), "ballot": key[0] or _("(blank)")}})
            continue
        if candidate.pk in seen:
            errors.append({"line": row.line, "column": "person_id", "message": _("the same candidate is already on line %(line)s") % {"line": seen[candidate.pk]}})
            continue
        seen[candidate.pk] = row.line
        consent_text = row["consent"].strip().lower()
        consent = {"yes": True, "y": True, "no": False, "n": False}.get(consent_text)
        if consent is None:
            errors.append({"line": row.line, "column": "consent", "message": _("enter yes or no")})
        details, contact_errors = validate_contact(email=row["email"], phone=row["phone"], address=row["address"], postcode=row["postcode"])
        for err in contact_errors:
            message = _(err.message)  # mid-sentence after "Line 3, column phone:", so lower-case its first letter
            errors.append({"line": row.line, "column": err.field, "message": message[0].lower() + message[1:]})
        if consent is not None and not contact_errors:
            parsed.append((candidate, details, consent))
    errors.sort(key=lambda e: e["line"])
    return parsed, errors, table.warnings


@require_http_methods(["GET", "POST"])
@login_required
def handover_upload(request):
    _require_returning_officer(request)
    form = HandoverUploadForm(request.POST or None, request.FILES or None)
    errors: list[dict] = []
    warnings: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows, row_errors, warnings = parse_handover_csv(request.user, upload.read(HANDOVER_CSV_MAX_BYTES + 1), upload.name)
        except tabular.TableError as err:  # the file as a whole: not CSV text, missing columns, too big
            rows, row_errors = None, []
            for message in err.localized(_):
                form.add_error("file", message)
        if rows is None:
            pass
        elif row_errors:
            errors = [
                {"href": "#id_file", "text": (_("Line %(line)s, column %(column)s: %(message)s") if e["column"] else _("Line %(line)s: %(message)s")) % e}
                for e in row_errors
            ]
            form.add_error("file", ngettext("The selected file has %(count)d problem", "The selected file has %(count)d problems", len(row_errors)) % {"count": len(row_errors)})
        elif not rows:
            form.add_error("file", _("The selected file has no rows of candidates"))
        else:
            services.handover_many(Actor.from_request(request), rows)
            agreed = sum(1 for _, _, consent in rows if consent)
            messages.success(request, _("Candidates handed over: %(count)s. Agreed to share their details: %(agreed)s. Did not agree: %(refused)s.") % {"count": len(rows), "agreed": agreed, "refused": len(rows) - agreed})
            return redirect("registry:handover")
    shown = errors[:100]
    return render(request, "registry/handover_upload.html", {
        "form": form, "errors": shown, "more_errors": len(errors) - len(shown), "warnings": warnings, "columns": HANDOVER_COLUMNS,
    })


def _spreadsheet_safe(text: str) -> str:
    """A name a spreadsheet would run as a formula is written with a leading apostrophe."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@require_http_methods(["GET"])
@login_required
def handover_template(request):
    """A CSV to fill in and upload: the columns the upload reads, one row per candidate on the returning
    officer's ballots, with each candidate's name to say whose row is whose. No contact details are in
    it (the file is for details not yet handed over), so downloading it reads no personal data."""
    _require_returning_officer(request)
    ballots = services.ballots_visible_to(request.user)
    candidates = Candidate.objects.filter(ballot__in=ballots).select_related("ballot").order_by("ballot__ballot_paper_id", "name", "id")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HANDOVER_TEMPLATE_COLUMNS)
    for c in candidates:
        writer.writerow([c.ballot.ballot_paper_id, c.person_id, _spreadsheet_safe(c.name), "", "", "", "", ""])
    response = HttpResponse(out.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="handover-template.csv"'
    return response


# ---------------------------------------------------------------------------------------------------
# Imports (administrators)


@require_http_methods(["GET", "POST"])
@login_required
def imports(request):
    if request.user.role != Role.ADMIN:
        raise PermissionDenied
    kind = request.POST.get("kind") if request.method == "POST" else None
    candidate_form = CandidateImportForm(request.POST if kind == "candidates" else None, request.FILES if kind == "candidates" else None, prefix="cand")
    geography_form = GeographyImportForm(request.POST if kind == "geography" else None, request.FILES if kind == "geography" else None, prefix="geo")
    report = None
    errors: list[dict] = []
    if kind in {"candidates", "geography"}:
        try:
            from ballotguard.registry.importers import ImportValidationError, import_candidates, import_geography
        except ImportError:  # the importers are another module; say so rather than fail with a 500
            errors = [{"href": "", "text": "The import service is not available in this installation"}]
        else:
            actor = Actor.from_request(request)
            try:
                if kind == "candidates" and candidate_form.is_valid() and (
                        candidate_form.cleaned_data["candidates_file"].size > settings.BALLOTGUARD_IMPORT_INLINE_BYTES):
                    # Too big to finish within a web request: the task worker runs it, this page shows progress.
                    data = candidate_form.cleaned_data
                    gender = data["gender_file"].read() if data.get("gender_file") else None
                    job = services.queue_candidate_import(actor, data["candidates_file"].read(), data["candidates_file"].name,
                                                          gender=gender, dry_run=data["dry_run"], allow_unknown_columns=data["allow_unknown_columns"])
                    messages.success(request, f"The file is large: it is being imported in the background (job {job.pk}). Progress is below.")
                    return redirect("registry:imports")
                if kind == "candidates" and candidate_form.is_valid():
                    data = candidate_form.cleaned_data
                    gender = data["gender_file"].read() if data.get("gender_file") else None
                    report = import_candidates(
                        data["candidates_file"].read(), filename=data["candidates_file"].name, gender_from=gender,
                        dry_run=data["dry_run"], allow_unknown_columns=data["allow_unknown_columns"], actor=actor,
                    ).to_dict()
                elif kind == "geography" and geography_form.is_valid():
                    data = geography_form.cleaned_data
                    sources = {f.name: f.read() for f in data["geography_files"]}
                    report = import_geography(sources, dry_run=data["geography_dry_run"], actor=actor).to_dict()
            except ImportValidationError as err:
                anchor = "#id_cand-candidates_file" if kind == "candidates" else "#id_geo-geography_files"
                errors = [{"href": anchor, "text": m} for m in err.messages]
            except tabular.TableError as err:
                anchor = "#id_cand-candidates_file" if kind == "candidates" else "#id_geo-geography_files"
                errors = [{"href": anchor, "text": m} for m in err.messages]
    report_rows = []
    if report:
        outcomes = ("created", "updated", "unchanged", "deleted")
        kinds = dict.fromkeys(k for outcome in outcomes for k in report.get(outcome, {}))
        report_rows = [{"kind": k, **{o: report.get(o, {}).get(k, 0) for o in outcomes}} for k in kinds]
    form_with_errors = candidate_form if candidate_form.errors else geography_form if geography_form.errors else None
    from .models import ImportJob

    services.fail_dead_import_jobs()
    jobs = list(ImportJob.objects.defer("data", "gender_data").select_related("created_by")[:10])
    return render(request, "registry/imports.html", {
        "candidate_form": candidate_form, "geography_form": geography_form, "form": form_with_errors,
        "errors": errors, "report": report, "report_rows": report_rows, "kind": kind, "jobs": jobs,
        "jobs_running": any(j.status in {ImportJob.Status.QUEUED, ImportJob.Status.RUNNING} for j in jobs),
    })
