"""Hypothesis fuzz of the CSV reader and evidence type sniffing (issue 14): whatever bytes arrive,
the only way out is a result or the reader's own error, never another exception, and what is read
back holds no control character a database would refuse."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ballotguard.engines.incidents.evidence_types import MAX_BYTES, SNIFF_BYTES, EvidenceRejected, check_evidence, sniff
from ballotguard.engines.common.tabular import Row, RowError, TableError, has_control_characters, open_table

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Bytes biased towards what breaks CSV readers: quotes, separators, line ends, NUL, high bytes, BOMs.
_PIECES = st.sampled_from([b",", b'"', b"\n", b"\r\n", b"\r", b"\x00", b"\xff", b"\xfe", b"\xef\xbb\xbf", b"\x81", b"\xe9", b"name", b"code", b" "])
csv_like = st.one_of(
    st.binary(max_size=2000),
    st.lists(st.one_of(_PIECES, st.binary(max_size=8)), max_size=200).map(b"".join),
    st.lists(st.one_of(_PIECES, st.binary(max_size=8)), max_size=200).map(lambda parts: b"code,name\n" + b"".join(parts)),
)


@FUZZ
@given(csv_like)
@example(b"code,name\n" + b"A,b\n" * 7000 + b"X,\x00\n")  # a NUL past the 64 KiB the decoder samples
@example(b'code,name\n"unclosed,x\n')
@example(b"\xff\xfe" + "code,name\n".encode("utf-16-le"))
def test_the_csv_reader_answers_rows_or_its_own_errors(data):
    try:
        table = open_table(data, "f.csv", required=["code", "name"], allow_unknown=True)
        items = list(table.iter_rows())
    except TableError as err:
        assert err.messages and all(isinstance(m, str) and m for m in err.messages)
        return
    for item in items:
        assert isinstance(item, (Row, RowError))
        if isinstance(item, Row):
            assert set(item.values) == set(table.header) and item.line >= 2
            assert not any(has_control_characters(v) or "\x00" in v for v in item.values.values())
        else:
            assert item.line >= 2 and item.message


_cell = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from([",", '"', "\n", "\t", " "]), max_size=30)


@FUZZ
@given(st.lists(st.tuples(_cell, _cell), min_size=1, max_size=30))
def test_what_a_csv_writer_wrote_reads_back_the_same(cells):
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["code", "name"])
    writer.writerows(cells)
    table = open_table(out.getvalue().encode("utf-8"), "f.csv", required=["code", "name"])
    rows, errors = table.read_rows()
    assert errors == []
    expected = [(c, n) for c, n in cells if not (c == "" and n == "")]  # a row of two empty cells is kept
    got = [(r["code"], r["name"]) for r in rows]
    # A line holding only "" (two empty cells) is written as "," and read back as a row; compare content.
    assert [x for x in got if x != ("", "")] == [x for x in expected if x != ("", "")]


@FUZZ
@given(st.binary(max_size=SNIFF_BYTES + 64), st.integers(min_value=0, max_value=200 * 1024 * 1024), st.text(max_size=300))
@example(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", 100, "a.png")
@example(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, 10**10, "x" * 10_000 + ".png")
@example(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", 20, "\x00.pdf")
def test_evidence_sniffing_accepts_or_refuses_with_a_message(head, size, filename):
    try:
        found = check_evidence(head[:SNIFF_BYTES], size, filename)
    except EvidenceRejected as exc:
        assert str(exc.message) and len(exc.message) < 1000  # a message a person can read, never the whole name
        return
    assert found.extension and found.mime and size <= MAX_BYTES[found.kind]
    assert found.mime not in {"image/svg+xml", "text/html"}  # never active content
    # What was accepted is what sniffing the same bytes (as the whole file, or its start) finds.
    assert found in {sniff(head[:SNIFF_BYTES]), sniff(head[:SNIFF_BYTES], complete=True)}
