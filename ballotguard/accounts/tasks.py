"""Background work of accounts, run by the task worker (``ballotguard db_worker``)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django_tasks import task

from .models import AccessChange, Role, User


@task()
def tell_forces_of_access_change(change_id: int, what: str) -> int:
    """Tell the FEOAs of each force an access change touches that it was proposed, applied or rejected.

    The e-mail carries the reference, the kind of change and a link: who it is about stays behind the
    sign-in, where the change's page shows it.
    """
    change = AccessChange.objects.filter(pk=change_id).first()
    if change is None:
        return 0
    sent = 0
    link = settings.BALLOTGUARD_BASE_URL + reverse("accounts:access-change", args=[change.pk])
    # A suspension is applied as it is made: there is nothing left to approve.
    see = "See it, and approve or reject it if you are the force's lead FEOA" if change.status == AccessChange.Status.PENDING else "See it"
    for force in change.affected_forces.all():
        recipients = list(
            User.objects.filter(role=Role.FEOA, is_active=True, police_forces=force).exclude(email="").values_list("email", flat=True)
        )
        if force.feoa_email:
            recipients.append(force.feoa_email)
        if not recipients:
            continue
        send_mail(
            subject=f"Ballotguard: access change {change.reference} in {force.name} {what}",
            message=(
                f"A change to who may see {force.name}'s data in Ballotguard ({change.get_kind_display().lower()}) "
                f"has been {what}.\n\n{see}: {link}\n\n"
                f"If you did not expect this change, tell your force's lead FEOA and the Ballotguard administrators.\n"
            ),
            from_email=None,
            recipient_list=sorted(set(recipients)),
        )
        sent += 1
    return sent
