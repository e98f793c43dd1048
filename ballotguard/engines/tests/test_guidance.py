"""Guidance documents: front matter is checked, and the Markdown renders as safe GOV.UK HTML."""

from __future__ import annotations

import datetime as dt

import pytest

from ballotguard.engines.candidates.guidance import GuidanceError, parse_document, render_markdown

DOC = """---
title: Handling post
slug: handling-post
version: 2
topic: Handling post
summary: What to do with a suspicious package.
updated: 2025-03-01
---
# Signs

Do **not** open it. Call [999](tel:999).
"""


def test_parse_document_reads_front_matter_and_body():
    doc = parse_document(DOC)
    assert (doc.slug, doc.title, doc.version, doc.topic, doc.updated) == ("handling-post", "Handling post", 2, "Handling post", dt.date(2025, 3, 1))
    assert doc.body.startswith("# Signs") and "---" not in doc.body
    assert doc.words == 9


@pytest.mark.parametrize("text,message", [
    ("no front matter", "must start"),
    ("---\ntitle: x\n", "not closed"),
    (DOC.replace("version: 2", "version: two"), "whole number"),
    (DOC.replace("version: 2", "version: 0"), "1 or more"),
    (DOC.replace("slug: handling-post", "slug: Handling Post"), "slug"),
    (DOC.replace("updated: 2025-03-01", "updated: March"), "date"),
    (DOC.replace("summary: What to do with a suspicious package.\n", ""), "lacks summary"),
    (DOC.replace("topic: Handling post", "topic Handling post"), "line 5"),
])
def test_bad_front_matter_is_refused_with_the_reason(text, message):
    with pytest.raises(GuidanceError, match=message):
        parse_document(text, source="x.md")


def test_render_uses_govuk_classes_and_shifts_headings_below_the_title():
    html = render_markdown("# One\n\n## Two\n\n### Three\n\nText [link](https://www.police.uk).\n\n- a\n- b\n\n1. x\n\n> inset\n\n---\n")
    assert '<h2 class="govuk-heading-m">One</h2>' in html and '<h2 class="govuk-heading-m">Two</h2>' in html
    assert '<h3 class="govuk-heading-s">Three</h3>' in html and "<h1" not in html
    assert '<p class="govuk-body">' in html
    assert '<a href="https://www.police.uk" class="govuk-link" rel="noopener noreferrer">link</a>' in html
    assert '<ul class="govuk-list govuk-list--bullet">' in html and '<ol class="govuk-list govuk-list--number">' in html
    assert '<blockquote class="govuk-inset-text">' in html and "govuk-section-break" in html


def test_render_escapes_raw_html_and_drops_unsafe_links():
    html = render_markdown('<script>alert(1)</script>\n\nHi <img src=x onerror=alert(1)> [x](javascript:alert(1)) [d](data:text/html,hi) ![i](https://e.org/i.png) [t](tel:101) [m](mailto:feoa@example.org)\n')
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "&lt;img" in html
    assert 'href="javascript' not in html and 'href="data' not in html
    assert '<a href="tel:101" class="govuk-link">t</a>' in html and 'href="mailto:feoa@example.org"' in html
