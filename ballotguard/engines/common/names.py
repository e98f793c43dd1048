"""Normalising place and person names so files from different publishers join.

ONS writes "Montgomeryshire and Glyndwr", the House of Commons Library "Glyndŵr"; Democracy Club
slugs drop punctuation. Matching compares ``match_key`` values, never raw names.
"""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def slugify(text: str) -> str:
    """Democracy Club style slug: ``Ayr, Carrick and Cumnock`` → ``ayr-carrick-and-cumnock``."""
    folded = ascii_fold(text).lower().replace("&", " and ").replace("'", "")
    return _NON_ALNUM.sub("-", folded).strip("-")


def match_key(text: str) -> str:
    """A key for comparing names loosely: accents, case, punctuation and '&'/'and' do not matter."""
    return slugify(text).replace("-", "")
