"""Navigation links per role, for the GOV.UK service navigation."""

from django.urls import reverse
from django.utils.translation import gettext as _

from .models import Role


def navigation(request):
    user = getattr(request, "user", None)
    items: list[tuple[str, str]] = []
    if user is not None and user.is_authenticated and (not user.needs_mfa or user.is_verified()):
        items.append((_("Home"), reverse("home")))
        if user.role == Role.FEOA:
            items.append((_("Case queue"), reverse("incidents:list")))
        if user.role in {Role.CANDIDATE, Role.STAFF}:
            items.append((_("Your reports"), reverse("incidents:list")))
        if user.role in {Role.FEOA, Role.ANALYST}:
            items.append((_("Flagged messages"), reverse("monitoring:queue")))
            items.append((_("Campaigns"), reverse("monitoring:campaigns")))
            items.append((_("Insights"), reverse("insights:overview")))
        if user.role in {Role.CANDIDATE, Role.STAFF}:
            items.append((_("Your safety"), reverse("safety:home")))
        if user.role == Role.FEOA:
            items.append((_("Outreach"), reverse("outreach:worklist")))
            items.append((_("Candidates' safety"), reverse("safety:overview")))
        if user.role in {Role.CANDIDATE, Role.STAFF}:
            items.append((_("Check-ins"), reverse("checkins:home")))
            items.append((_("Your police adviser"), reverse("outreach:adviser")))
        if user.role == Role.FEOA:
            items.append((_("Escalated check-ins"), reverse("checkins:escalated")))
            items.append((_("Partners' bundles"), reverse("sharing:imports")))
        items.append((_("Guidance"), reverse("safety:guidance")))
        if user.role in {Role.FEOA, Role.ADMIN, Role.RETURNING_OFFICER}:
            items.append((_("Candidates"), reverse("registry:candidate-list")))
        if user.role == Role.RETURNING_OFFICER:
            items.append((_("Hand over details"), reverse("registry:handover")))
        if user.role == Role.ADMIN:
            items.append((_("Imports"), reverse("registry:imports")))
            items.append((_("Audit log"), reverse("accounts:audit-log")))
            items.append((_("Warning list"), reverse("incidents:warning-list")))
            items.append((_("Checklists"), reverse("incidents:checklists")))
        # Candidates and their staff report through pages; the API is for the people and systems that
        # integrate (police, analysts, returning officers' imports), so the link would only confuse.
        if user.role not in {Role.CANDIDATE, Role.STAFF}:
            items.append((_("API tokens"), reverse("accounts:tokens")))
    current = request.path if request is not None else ""
    # The longest matching link is the current one, so /monitoring/campaigns/ highlights "Campaigns",
    # not "Flagged messages" (/monitoring/) too.
    matches = [href for _, href in items if current == href or (href != "/" and current.startswith(href))]
    active = max(matches, key=len) if matches else None
    return {"nav_items": [{"text": text, "href": href, "current": href == active} for text, href in items]}
