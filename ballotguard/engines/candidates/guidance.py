"""Security guidance documents: Markdown with a small front-matter block, rendered as GOV.UK HTML.

Pure Python, no Django: the safety app reads the files in ``ballotguard/safety/guidance/`` and calls
:func:`parse_document` and :func:`render_markdown`.

A document starts with front matter between two ``---`` lines, one ``key: value`` per line::

    ---
    title: Personal safety
    slug: personal-safety
    version: 2
    topic: Personal safety
    summary: Everyday habits that make you harder to target.
    updated: 2025-03-01
    ---

``version`` is a whole number, raised when the advice changes in substance (readers who marked an
earlier version read see "updated since you read it"); ``updated`` is the date of the last edit,
however small.

Rendering (markdown-it-py, CommonMark)
    Raw HTML is never passed through: ``html`` is off, so ``<script>`` in a document comes out as
    text. Images are switched off (the service loads nothing from elsewhere). Links may only be
    ``https:``, ``http:``, ``mailto:``, ``tel:`` or relative; anything else (``javascript:``,
    ``data:``) is left as plain text. Elements get GOV.UK Frontend classes: ``#``/``##`` become
    ``h2.govuk-heading-m`` (the page's ``h1`` is the title), ``###`` ``h3.govuk-heading-s``,
    paragraphs ``govuk-body``, lists ``govuk-list govuk-list--bullet``/``--number``, links
    ``govuk-link``, block quotes ``govuk-inset-text``, rules ``govuk-section-break``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from markdown_it import MarkdownIt

REQUIRED = ("title", "slug", "version", "topic", "summary", "updated")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SAFE_LINK = re.compile(r"^(https?:|mailto:|tel:|/|#)", re.IGNORECASE)


class GuidanceError(ValueError):
    """A document whose front matter is missing, incomplete or malformed."""


@dataclass(frozen=True)
class GuidanceDocument:
    slug: str
    title: str
    version: int
    topic: str
    summary: str
    updated: dt.date
    body: str  # Markdown, without the front matter
    language: str = "en"  # "cy" for a Welsh version (slug.cy.md), which keeps the slug and version it translates

    @property
    def words(self) -> int:
        return len(re.findall(r"[A-Za-z0-9'’]+", self.body))


def parse_document(text: str, source: str = "document") -> GuidanceDocument:
    """Split front matter from the body and check every field; ``source`` names the file in errors."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise GuidanceError(f"{source}: must start with a '---' front-matter line")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise GuidanceError(f"{source}: front matter is not closed with '---'") from None
    meta: dict[str, str] = {}
    for number, line in enumerate(lines[1:end], start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise GuidanceError(f"{source} line {number}: expected 'key: value'")
        meta[key.strip().lower()] = value.strip()
    missing = [k for k in REQUIRED if not meta.get(k)]
    if missing:
        raise GuidanceError(f"{source}: front matter lacks {', '.join(missing)}")
    if not _SLUG.match(meta["slug"]):
        raise GuidanceError(f"{source}: slug must be lower-case words joined by hyphens")
    try:
        version = int(meta["version"])
    except ValueError:
        raise GuidanceError(f"{source}: version must be a whole number") from None
    if version < 1:
        raise GuidanceError(f"{source}: version must be 1 or more")
    try:
        updated = dt.date.fromisoformat(meta["updated"])
    except ValueError:
        raise GuidanceError(f"{source}: updated must be a date like 2025-03-01") from None
    body = "\n".join(lines[end + 1:]).strip() + "\n"
    return GuidanceDocument(
        slug=meta["slug"], title=meta["title"], version=version, topic=meta["topic"], summary=meta["summary"],
        updated=updated, body=body,
    )


# ---------------------------------------------------------------------------------------------------
# Rendering

_CLASSES = {
    "paragraph_open": "govuk-body",
    "bullet_list_open": "govuk-list govuk-list--bullet",
    "ordered_list_open": "govuk-list govuk-list--number",
    "link_open": "govuk-link",
    "blockquote_open": "govuk-inset-text",
    "hr": "govuk-section-break govuk-section-break--m govuk-section-break--visible",
}
_HEADINGS = {"h1": ("h2", "govuk-heading-m"), "h2": ("h2", "govuk-heading-m"), "h3": ("h3", "govuk-heading-s"),
             "h4": ("h4", "govuk-heading-s"), "h5": ("h4", "govuk-heading-s"), "h6": ("h4", "govuk-heading-s")}


def _govuk_classes(state) -> None:
    """A core rule: GOV.UK classes on block and link tokens, headings shifted below the page's h1."""
    for token in state.tokens:
        _style(token)
        for child in token.children or ():
            _style(child)


def _style(token) -> None:
    if token.type in ("heading_open", "heading_close"):
        tag, css = _HEADINGS[token.tag]
        token.tag = tag
        if token.type == "heading_open":
            token.attrSet("class", css)
        return
    css = _CLASSES.get(token.type)
    if css:
        token.attrSet("class", css)
    if token.type == "link_open":
        href = str(token.attrGet("href") or "")
        if href.startswith(("http:", "https:")):
            token.attrSet("rel", "noopener noreferrer")


def _validate_link(url: str) -> bool:
    return bool(_SAFE_LINK.match(url.strip()))


def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable(["image", "html_block", "html_inline"])
    md.validateLink = _validate_link
    md.core.ruler.push("govuk_classes", _govuk_classes)
    return md


_MD = _renderer()


def render_markdown(body: str) -> str:
    """HTML for the body, safe to insert in a page: raw HTML is escaped and unsafe links dropped."""
    return _MD.render(body)
