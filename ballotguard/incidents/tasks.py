"""Background work on incidents, run by the task worker (``ballotguard db_worker``)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from ballotguard.accounts.models import Role, User


@task()
def notify_advisers_of_high_risk(incident_id: int) -> int:
    """E-mail every FEOA of the incident's forces that a high-risk report is waiting for triage.

    The e-mail carries the reference, the forces, the deadline and a link: never the candidate's name
    or what happened, which stay behind the sign-in (e-mail is not a secure channel).
    """
    from .models import Incident, IncidentEvent
    from .services import record_event

    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None or incident.status != Incident.Status.NEW:
        return 0
    recipients = list(
        User.objects.filter(role=Role.FEOA, is_active=True, police_forces__in=incident.forces.all())
        .exclude(email="").values_list("email", flat=True).distinct()
    )
    if not recipients:
        record_event(incident, IncidentEvent.Kind.NOTIFIED, "High risk: no FEOA with an e-mail address to notify", internal=True)
        return 0
    due = timezone.localtime(incident.triage_due_at)
    # A force may set its own high-risk triage target (docs/case-clocks.md), a day or more: then the
    # time alone would read as today's.
    by = f"{due:%H:%M}" if due.date() == timezone.localdate() else f"{due:%H:%M on %a %d %b}"
    forces = ", ".join(f.name for f in incident.forces.all())
    send_mail(
        subject=f"Ballotguard: HIGH RISK incident {incident.reference} needs triage by {by}",
        message=(
            f"A high-risk incident has been reported in {forces}.\n\n"
            f"Reference: {incident.reference}\n"
            f"Triage it by: {due:%A %d %B %Y, %H:%M}\n\n"
            f"Open it: {settings.BALLOTGUARD_BASE_URL}{reverse('incidents:detail', args=[incident.reference])}\n\n"
            "If anyone is in immediate danger, call 999.\n"
        ),
        from_email=None,
        recipient_list=recipients,
    )
    record_event(incident, IncidentEvent.Kind.NOTIFIED, f"High risk: {len(recipients)} adviser{'' if len(recipients) == 1 else 's'} e-mailed", internal=True)
    return len(recipients)


@task()
def link_again(incident_id: int) -> int:
    """Match a just-sent incident's observables once more, after it is committed (see ``services.reporting._send``)."""
    from .services import relink

    return relink(incident_id)
