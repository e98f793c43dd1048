"""The shared PDF furniture: every page marked and numbered, any text drawable, UK times, no Django.

No database. Pages are read back with pypdfium2, as a reader would copy the text.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pypdfium2 as pdfium

from ballotguard.core import pdf
from ballotguard.core.pdf import (
    MARKING,
    MarkedDocument,
    clean_text,
    fit_text,
    has_latin1,
    uk_time,
)

HAVE_DEJAVU = (pdf.FONT_DIR / pdf.FONT_REGULAR).is_file()


def pages_text(data: bytes) -> list[str]:
    document = pdfium.PdfDocument(data)
    return [document[i].get_textpage().get_text_range().replace("\r\n", "\n") for i in range(len(document))]


def test_every_page_is_marked_and_numbered_and_a_long_table_repeats_its_header(tmp_path):
    doc = MarkedDocument("footer note {nb}", font_dir=tmp_path)  # no fonts there: Helvetica
    doc.add_page()
    doc.heading("A heading")
    doc.fields((("Label", "value"), ("Empty", "")))
    doc.grid(("Column one", "Column two"), (1, 3), [(f"row {n}", "text " * 20) for n in range(120)])
    doc.bullets([])
    pages = pages_text(bytes(doc.output()))
    assert len(pages) > 2
    for number, text in enumerate(pages, start=1):
        assert text.count(MARKING) == 2
        assert f"Page {number} of {len(pages)}" in text
        assert "footer note {nb}" in text  # a "{nb}" in the text is not the page count
        assert "Column one" in text  # the header is repeated on each page the table reaches
    assert "none recorded" in pages[0]  # the empty field
    assert doc.family == "helvetica" and doc.bullet == "-"


def test_dejavu_is_used_when_there():
    doc = MarkedDocument("note")
    assert doc.family == ("dejavusans" if HAVE_DEJAVU else "helvetica")
    assert doc.has_glyph("ŵ") is HAVE_DEJAVU


def test_text_is_cleaned_and_fitted_to_the_font():
    assert clean_text(None) == ""
    assert clean_text("a\r\nb\x00c\u200bd\u2028e\tf") == "a\nbcd\ne\tf"
    assert fit_text("Siân Ŵyn ap Llŷr, Łódź \U0001F600", has_latin1) == ("Siân Wyn ap Llyr, Lódz [grinning face]", True)
    assert fit_text("plain ASCII\tand a tab", has_latin1) == ("plain ASCII    and a tab", False)


def test_uk_time_is_gmt_or_bst_and_naive_times_are_utc():
    assert uk_time(datetime(2024, 1, 15, 9, 5))[1] == "GMT"
    local, zone = uk_time(datetime(2024, 7, 15, 9, 5, tzinfo=UTC))
    assert (local.hour, zone) == (10, "BST")


def test_importing_it_loads_no_django():
    code = "import sys, ballotguard.core.pdf; sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
