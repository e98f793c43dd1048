"""``translated``: an engine's English label or sentence in the active language.

Engines stay free of Django, so the labels they hand to pages (what a candidate ticked, routing
advice) are English strings that the engine marked for the catalogue
(:mod:`ballotguard.engines.common.i18n`); this filter looks each up when the page is drawn. A string
the catalogue does not have is shown as it is.
"""

from __future__ import annotations

from django import template
from django.utils.translation import gettext

register = template.Library()


@register.filter
def translated(value):
    if not value:
        return value  # gettext("") would return the catalogue's header
    if isinstance(value, (list, tuple)):
        return [gettext(item) if item else item for item in value]
    return gettext(str(value))
