"""The "Download the briefing pack (PDF)" button on the insights overview.

The same election and scope as the page it is on (``?election=&force=``), under the same rules:
analysts national or any force, FEOAs their own force(s), other roles 403, a force outside the
user's scope 404. The PDF is made from the stored snapshot only (:mod:`ballotguard.insights.briefing`)
and every download is audited as an export of the table ``briefing-pack``.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from ballotguard.accounts.services import Actor

from . import services
from .briefing import briefing_filename, briefing_for
from .views import _snapshot


@require_GET
@login_required
def briefing_pdf(request):
    snapshot, context = _snapshot(request)
    if snapshot is None:
        raise Http404("No figures yet: refresh the figures before downloading the briefing pack")
    user = request.user
    who = user.get_full_name() or user.get_username()
    role = user.get_role_display() if hasattr(user, "get_role_display") else ""
    now = timezone.now()
    pdf = briefing_for(snapshot, generated_by=f"{who} ({role})" if role else who, generated_at=now, scope_name=context["scope_name"])
    services.record_export(Actor.from_request(request), snapshot, "briefing-pack")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{briefing_filename(snapshot.payload, now)}"'
    response["Cache-Control"] = "no-store"  # OFFICIAL-SENSITIVE: no copy left in a shared cache
    return response
