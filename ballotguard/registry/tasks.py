"""Background work of the registry, run by the task worker (``ballotguard db_worker``)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task

from ballotguard.accounts.models import Role, User

from .models import Candidate, PoliceForce


@task()
def notify_advisers_of_handover(candidate_ids: list[int]) -> int:
    """Tell each force's FEOAs that contact details were handed over for candidates in their area.

    The e-mail carries counts and a link only: personal data stays behind the sign-in.
    """
    per_force: dict[int, int] = {}
    candidates = Candidate.objects.filter(pk__in=candidate_ids, consent_to_share=True).select_related("ballot")
    for candidate in candidates:
        for force_id in candidate.ballot.area.force_links.values_list("force_id", flat=True):
            per_force[force_id] = per_force.get(force_id, 0) + 1
    sent = 0
    for force in PoliceForce.objects.filter(pk__in=per_force):
        recipients = list(
            User.objects.filter(role=Role.FEOA, is_active=True, police_forces=force).exclude(email="").values_list("email", flat=True)
        )
        if not recipients:
            continue
        count = per_force[force.pk]
        send_mail(
            subject=f"Ballotguard: {count} candidate{'s' if count != 1 else ''} handed over in {force.name}",
            message=(
                f"A returning officer has handed over the contact details of {count} candidate"
                f"{'s' if count != 1 else ''} in {force.name}, with their consent.\n\n"
                f"Sign in to see who has not been contacted yet: {settings.BALLOTGUARD_BASE_URL}/candidates/?handed_over=yes\n"
            ),
            from_email=None,
            recipient_list=recipients,
        )
        sent += 1
    return sent
