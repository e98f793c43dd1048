"""Navigation links per role, for the GOV.UK service navigation."""

from django.urls import reverse

from .models import Role


def navigation(request):
    user = getattr(request, "user", None)
    items: list[tuple[str, str]] = []
    if user is not None and user.is_authenticated and (not user.needs_mfa or user.is_verified()):
        items.append(("Home", reverse("home")))
        if user.role == Role.FEOA:
            items.append(("Case queue", reverse("incidents:list")))
        if user.role in {Role.CANDIDATE, Role.STAFF}:
            items.append(("Your reports", reverse("incidents:list")))
        if user.role in {Role.FEOA, Role.ANALYST}:
            items.append(("Flagged messages", reverse("monitoring:queue")))
            items.append(("Campaigns", reverse("monitoring:campaigns")))
            items.append(("Insights", reverse("insights:overview")))
        if user.role in {Role.CANDIDATE, Role.STAFF}:
            items.append(("Your safety", reverse("safety:home")))
        if user.role == Role.FEOA:
            items.append(("Outreach", reverse("outreach:worklist")))
            items.append(("Candidates' safety", reverse("safety:overview")))
        if user.role in {Role.CANDIDATE, Role.STAFF}:
            items.append(("Check-ins", reverse("checkins:home")))
            items.append(("Your police adviser", reverse("outreach:adviser")))
        if user.role == Role.FEOA:
            items.append(("Escalated check-ins", reverse("checkins:escalated")))
        items.append(("Guidance", reverse("safety:guidance")))
        if user.role in {Role.FEOA, Role.ADMIN, Role.RETURNING_OFFICER}:
            items.append(("Candidates", reverse("registry:candidate-list")))
        if user.role == Role.RETURNING_OFFICER:
            items.append(("Hand over details", reverse("registry:handover")))
        if user.role == Role.ADMIN:
            items.append(("Imports", reverse("registry:imports")))
            items.append(("Audit log", reverse("accounts:audit-log")))
        items.append(("API tokens", reverse("accounts:tokens")))
    current = request.path if request is not None else ""
    # The longest matching link is the current one, so /monitoring/campaigns/ highlights "Campaigns",
    # not "Flagged messages" (/monitoring/) too.
    matches = [href for _, href in items if current == href or (href != "/" and current.startswith(href))]
    active = max(matches, key=len) if matches else None
    return {"nav_items": [{"text": text, "href": href, "current": href == active} for text, href in items]}
