"""Template filters every page may use without ``{% load %}`` (registered as builtins in settings).

``when`` writes a moment so that it can be read at a glance at 11pm in a list of cases: "Today 21:30",
"Yesterday 08:10", and otherwise the date with its year ("23 May 2025, 14:00"), so a report from an
earlier year can never pass for one from this week.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext

register = template.Library()


@register.filter
def when(value: dt.datetime | None, now: dt.datetime | None = None) -> str:
    if value is None:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    today = timezone.localdate(now) if now is not None else timezone.localdate()
    clock = date_format(local, "H:i")
    if local.date() == today:
        return gettext("Today %(time)s") % {"time": clock}
    if local.date() == today - dt.timedelta(days=1):
        return gettext("Yesterday %(time)s") % {"time": clock}
    return date_format(local, "j M Y, H:i")


@register.filter
def tel_href(number: str | None) -> str:
    """A phone number as a ``tel:`` link target, so it can be tapped on a phone: "+44 7700 900123" →
    "tel:+447700900123" (spaces, brackets, dots and dashes dropped; a leading + kept). Empty for nothing."""
    if not number:
        return ""
    text = str(number).strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    return "tel:" + ("+" if text.startswith("+") else "") + digits if digits else ""
