"""Translating engine text without Django.

Engines are pure Python, yet what they say (routing advice, the labels of what a candidate ticked)
reaches candidates in English or Welsh. The engine keeps English and marks each string so that
``makemessages`` (GNU xgettext, which looks for calls named ``gettext_noop`` and ``gettext``/``_``)
puts it in the catalogue; the page translates it when it shows it:

* fixed labels are marked with :func:`gettext_noop`, which returns the English unchanged, and the
  page translates the value (``gettext(label)``, or the ``translated`` template filter);
* sentences built from several parts take a ``gettext`` callable (English by default), so the
  caller passes Django's ``gettext`` and the engine never imports Django.
"""

from __future__ import annotations

from collections.abc import Callable

Translate = Callable[[str], str]


def gettext_noop(message: str) -> str:
    """Mark ``message`` for the translation catalogue; return it unchanged (English)."""
    return message


def english(message: str) -> str:
    """The default translator: English as written."""
    return message
