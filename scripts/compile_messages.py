#!/usr/bin/env python3
"""Compile the translation catalogues (ballotguard/locale/*/LC_MESSAGES/django.po) into the .mo files
Django reads, with polib instead of GNU gettext's msgfmt.

The compiled .mo files are committed, so a fresh machine serves Welsh with nothing more than the
runtime requirements; this script (and the test that checks each .mo matches its .po,
ballotguard/core/tests/test_welsh.py) needs polib from requirements-dev.txt. Run it after editing a
.po file:

    .venv/bin/python scripts/compile_messages.py          # compile every catalogue
    .venv/bin/python scripts/compile_messages.py --check  # exit 1 if a .mo is out of date

Entries marked fuzzy are left out, as msgfmt does; entries with the translator comment
``needs-native-review`` are compiled (they are used) and counted, so the count can be reported.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent.parent / "ballotguard" / "locale"


def catalogues() -> list[Path]:
    return sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))


def compiled_entries(po: polib.POFile) -> dict[tuple[str, str | None, str | None], object]:
    """What a .mo built from this .po must hold: translated, not fuzzy, not obsolete."""
    out: dict[tuple[str, str | None, str | None], object] = {}
    for entry in po.translated_entries():
        if entry.msgid_plural:
            out[(entry.msgctxt, entry.msgid, entry.msgid_plural)] = tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
        else:
            out[(entry.msgctxt, entry.msgid, None)] = entry.msgstr
    return out


def is_current(po_path: Path) -> bool:
    mo_path = po_path.with_suffix(".mo")
    if not mo_path.exists():
        return False
    return compiled_entries(polib.pofile(str(po_path))) == compiled_entries(polib.mofile(str(mo_path)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if any .mo does not match its .po")
    args = parser.parse_args(argv)
    stale = []
    for po_path in catalogues():
        po = polib.pofile(str(po_path))
        review = sum(1 for e in po.translated_entries() if "needs-native-review" in (e.comment or ""))
        untranslated = len(po.untranslated_entries())
        if args.check:
            if not is_current(po_path):
                stale.append(po_path)
            continue
        po.save_as_mofile(str(po_path.with_suffix(".mo")))
        print(f"{po_path.relative_to(LOCALE_DIR.parent.parent)}: {len(po.translated_entries())} translated, "
              f"{untranslated} untranslated, {review} awaiting a native speaker's review")
    for path in stale:
        print(f"{path.with_suffix('.mo')} is out of date: run scripts/compile_messages.py", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
