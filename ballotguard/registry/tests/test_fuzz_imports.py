"""Hypothesis fuzz of the hand-over and candidate CSV imports (issue 14): any bytes end in rows, row
errors by line or a whole-file error, never another exception; a dry run writes nothing."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ballotguard.engines.common.tabular import TableError
from ballotguard.registry.importers import ImportValidationError, import_candidates
from ballotguard.registry.models import Candidate
from ballotguard.registry.views import HANDOVER_COLUMNS, parse_handover_csv

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
_HEADER = (",".join(HANDOVER_COLUMNS) + "\n").encode()
_PIECES = st.sampled_from([b",", b'"', b"\n", b"\r\n", b"\x00", b"\xff", b"yes", b"no", b"parl.birmingham-yardley.2024-07-04",
                           b"2001", b"carol@example.org", b"+447700900123", b"B25 8AA", b"\x01"])
_body = st.lists(st.one_of(_PIECES, st.binary(max_size=6)), max_size=120).map(b"".join)


@FUZZ
@given(st.one_of(_body, _body.map(lambda b: _HEADER + b)))
@example(_HEADER + b"parl.birmingham-yardley.2024-07-04,2001,carol@example.org,+447700900123,1 Road\x00,B25 8AA,yes\n")
def test_a_handover_csv_gives_rows_or_errors_by_line(world, data):
    try:
        rows, errors, warnings = parse_handover_csv(world.users.ro_birmingham, data, "h.csv")
    except TableError as err:
        assert err.messages
        return
    assert all(e["line"] >= 2 and e["message"] for e in errors)
    for row in rows:
        assert "\x00" not in str(row)


_DC_HEADER = b"election_id,ballot_paper_id,person_id,person_name,party_id,party_name\n"


@FUZZ
@given(st.one_of(_body, _body.map(lambda b: _DC_HEADER + b)))
def test_a_candidate_import_dry_run_reports_or_refuses_and_writes_nothing(world, data):
    before = Candidate.objects.count()
    try:
        report = import_candidates(data, filename="c.csv", dry_run=True)
    except ImportValidationError as err:
        assert err.messages
    else:
        assert all(e.line >= 2 for e in report.rejected)
    assert Candidate.objects.count() == before
