"""The CSV reader refuses what it cannot use, says what it guessed, and round-trips what it can."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballotguard.engines.common.tabular import Row, RowError, TableError, decode, open_table

REQUIRED = ("code", "name")


def rows_of(table) -> tuple[list[Row], list[RowError]]:
    return table.read_rows()


def test_reads_rows_with_physical_line_numbers():
    data = b'code,name\nA1,Alpha\n\n"B2","Beta\nwith a second line"\nC3,Gamma\n'
    table = open_table(data, "t.csv", required=REQUIRED)
    rows, errors = rows_of(table)
    assert errors == []
    assert [(r.line, r["code"]) for r in rows] == [(2, "A1"), (4, "B2"), (6, "C3")]
    assert rows[1]["name"] == "Beta\nwith a second line"
    assert table.encoding == "utf-8" and table.warnings == []


def test_accepts_a_stream_and_normalises_crlf():
    table = open_table(io.BytesIO(b"code,name\r\nA1,Alpha\r\nB2,\"two\r\nlines\"\r\n"), "t.csv", required=REQUIRED)
    rows, _ = rows_of(table)
    assert [r.values for r in rows] == [{"code": "A1", "name": "Alpha"}, {"code": "B2", "name": "two\nlines"}]


def test_empty_file_is_refused():
    for data in (b"", b"   \n\r\n", b"\xef\xbb\xbf"):
        with pytest.raises(TableError) as err:
            open_table(data, "t.csv", required=REQUIRED)
        assert err.value.messages == ["The file is empty"]


def test_byte_order_mark_is_stripped():
    table = open_table("\ufeffcode,name\nA1,Ynys Môn\n".encode("utf-8"), "t.csv", required=REQUIRED)
    rows, _ = rows_of(table)
    assert table.header == ["code", "name"]
    assert rows[0]["name"] == "Ynys Môn"
    assert table.warnings == []


def test_cp1252_is_read_with_a_warning():
    data = "code,name\nW1,Ynys Môn\nW2,£5 deposit – refunded\n".encode("cp1252")
    table = open_table(data, "t.csv", required=REQUIRED)
    rows, _ = rows_of(table)
    assert [r["name"] for r in rows] == ["Ynys Môn", "£5 deposit – refunded"]
    assert table.encoding == "cp1252"
    assert len(table.warnings) == 1 and "Windows-1252" in table.warnings[0] and "not UTF-8" in table.warnings[0]


def test_latin1_is_the_last_resort_with_a_warning():
    # 0x81 is undefined in CP1252, so only Latin-1 can read this file.
    data = b"code,name\nX1,caf\xe9 \x81\n"
    table = open_table(data, "t.csv", required=REQUIRED)
    rows, _ = rows_of(table)
    assert table.encoding == "latin-1"
    assert rows[0]["name"] == "café \x81"
    assert "Latin-1" in table.warnings[0]


def test_utf16_with_bom_is_read_with_a_warning():
    table = open_table("code,name\nA1,Ynys Môn\n".encode("utf-16"), "t.csv", required=REQUIRED)
    assert rows_of(table)[0][0]["name"] == "Ynys Môn"
    assert "UTF-16" in table.warnings[0]


def test_missing_columns_are_named():
    with pytest.raises(TableError) as err:
        open_table(b"code,other\nA1,x\n", "t.csv", required=("code", "name", "party"))
    assert err.value.messages == ["Missing required columns: name, party"]


def test_unknown_columns_are_an_error_unless_allowed():
    data = b"code,name,favourite_colour,shoe_size\nA1,Alpha,red,9\n"
    with pytest.raises(TableError) as err:
        open_table(data, "t.csv", required=REQUIRED, known=REQUIRED)
    assert "Unknown columns: favourite_colour, shoe_size" in err.value.messages[0]
    table = open_table(data, "t.csv", required=REQUIRED, known=REQUIRED, allow_unknown=True)
    assert any("favourite_colour" in w for w in table.warnings)
    assert rows_of(table)[0][0]["shoe_size"] == "9"


def test_blank_and_duplicate_header_names_are_errors():
    with pytest.raises(TableError) as err:
        open_table(b"code,,name,code,name\n1,2,3,4,5\n", "t.csv", required=REQUIRED)
    messages = err.value.messages
    assert "The header has blank column names (column 2)" in messages
    assert "The header repeats column names: code, name" in messages


def test_every_file_problem_is_listed_at_once():
    with pytest.raises(TableError) as err:
        open_table(b"code,code,extra\n", "t.csv", required=REQUIRED, known=REQUIRED)
    assert len(err.value.messages) == 3  # repeated, missing, unknown


def test_ragged_rows_are_row_errors_naming_the_line():
    data = b"code,name\nA1,Alpha\nB2\nC3,Gamma,extra\nD4,Delta\n"
    rows, errors = rows_of(open_table(data, "t.csv", required=REQUIRED))
    assert [r["code"] for r in rows] == ["A1", "D4"]
    assert [(e.line, e.message) for e in errors] == [
        (3, "has 1 cells but the header has 2 columns"),
        (4, "has 3 cells but the header has 2 columns"),
    ]
    assert str(errors[0]) == "t.csv line 3: has 1 cells but the header has 2 columns"


def test_binary_content_is_refused():
    for data, words in (
        (b"PK\x03\x04\x14\x00\x06\x00", "spreadsheet"),
        (b"%PDF-1.7\n", "PDF"),
        (b"code,name\nA1,\x00\x01\x02\x03\n", "binary"),
        (bytes(range(1, 32)) * 20, "binary"),
    ):
        with pytest.raises(TableError) as err:
            open_table(data, "upload.csv", required=REQUIRED)
        assert words in err.value.messages[0]


def test_oversize_files_are_refused_without_reading_everything():
    data = b"code,name\n" + b"A1,Alpha\n" * 200
    with pytest.raises(TableError) as err:
        open_table(data, "t.csv", required=REQUIRED, max_bytes=1000)
    assert "larger than the limit" in err.value.messages[0]

    class Endless(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, buffer):
            buffer[: len(buffer)] = b"x" * len(buffer)
            return len(buffer)

    with pytest.raises(TableError):
        open_table(io.BufferedReader(Endless()), "t.csv", required=REQUIRED, max_bytes=10_000)


def test_huge_fields_are_row_errors():
    data = b"code,name\nA1," + b"x" * 500 + b"\nB2,Beta\n"
    rows, errors = rows_of(open_table(data, "t.csv", required=REQUIRED, max_field_chars=100))
    assert [r["code"] for r in rows] == ["B2"]
    assert errors[0].line == 2 and errors[0].column == "name"


def test_fields_beyond_the_csv_module_limit_fail_the_file():
    data = b"code,name\nA1,\"" + b"x" * (csv.field_size_limit() + 10) + b"\"\n"
    table = open_table(data, "t.csv", required=REQUIRED, max_field_chars=10**9)
    with pytest.raises(TableError) as err:
        rows_of(table)
    assert "line" in err.value.messages[0]


def test_unclosed_quote_fails_the_file():
    table = open_table(b'code,name\nA1,"never closed\n', "t.csv", required=REQUIRED)
    with pytest.raises(TableError):
        rows_of(table)


def test_decode_reports_encoding():
    assert decode("a,b\n".encode(), "x.csv") == ("a,b\n", "utf-8", [])


# --- round trips ---------------------------------------------------------------------------------

# Any text a spreadsheet cell can hold, except control characters (binary) and lone carriage returns
# (the reader normalises CRLF inside cells to LF, on purpose).
cell_text = st.text(
    alphabet=st.one_of(st.characters(blacklist_categories=("Cs", "Cc")), st.sampled_from(["\n", "\t", ",", '"', " "])),
    max_size=30,
)
header_name = st.text(alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Nd")), min_size=1, max_size=12)


@st.composite
def tables(draw):
    header = draw(st.lists(header_name, min_size=1, max_size=6, unique=True))
    rows = draw(st.lists(st.lists(cell_text, min_size=len(header), max_size=len(header)), max_size=15))
    return header, rows


@settings(max_examples=150, deadline=None)
@given(tables(), st.sampled_from(["utf-8", "utf-8-sig"]), st.sampled_from(["\r\n", "\n"]))
def test_round_trip(table, encoding, terminator):
    header, rows = table
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=terminator)
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    read = open_table(data, "t.csv", required=header, known=header)
    got, errors = read.read_rows()
    assert errors == []
    assert read.header == header
    assert read.warnings == []
    assert [[r[name] for name in header] for r in got] == rows
    assert all(a.line < b.line for a, b in zip(got, got[1:]))
