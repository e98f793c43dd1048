"""Ingest: from JSONL and CSV files and the API, idempotent, bad rows reported with their line."""

from __future__ import annotations

import io

import pytest
from django.db import connection

from ballotguard.accounts.services import Actor
from ballotguard.engines.messages.records import Platform
from ballotguard.engines.common.tabular import TableError
from ballotguard.monitoring.models import Message
from ballotguard.monitoring.services import ingest_file
from ballotguard.registry.services import NotPermitted

from .conftest import ABUSE, ORDINARY, THREAT, jsonl, message

pytestmark = pytest.mark.django_db


def _ingest(data: bytes, name: str = "messages.jsonl", **kw):
    return ingest_file(Actor.cli(), io.BytesIO(data), name, **kw)


def test_jsonl_is_routed_scored_and_idempotent(handles):
    data = jsonl([message(1, THREAT), message(2, ABUSE), message(3, ORDINARY), message(4, ORDINARY, to="alice_clw"), message(5, ORDINARY, to="nobody")])
    report = _ingest(data)
    assert (report.rows, report.created, report.duplicates, report.rejected, report.unrouted) == (5, 5, 0, 0, 1)
    carol = handles.candidates.yardley_1
    assert Message.objects.filter(candidate=carol).count() == 3
    assert Message.objects.get(message_id="4").candidate.ballot.area == handles.areas.clw
    threat = Message.objects.get(message_id="1")
    assert threat.is_threat and threat.review == Message.Review.WAITING and threat.scored_at is not None
    assert Message.objects.get(message_id="3").review == Message.Review.NOT_FLAGGED
    assert threat.author_handle == "troll_1" and threat.author_hash

    again = _ingest(data)
    assert (again.created, again.duplicates) == (0, 5)
    assert Message.objects.count() == 5


def test_duplicate_within_one_file_is_stored_once(handles):
    report = _ingest(jsonl([message(1, ORDINARY), message(1, ORDINARY)]))
    assert (report.created, report.duplicates) == (1, 1)


def test_bad_rows_are_reported_with_their_line_and_the_rest_go_in(handles):
    rows = [
        message(1, ORDINARY),
        message(2, "   "),                               # line 2: no text
        message(3, ORDINARY, sent_at="last Tuesday"),     # line 3: unparseable time
        message(4, ORDINARY, platform="myspace"),         # line 4: unknown platform
        "{not json",                                      # line 5
        "[1, 2]",                                         # line 6: not an object
        message(7, ORDINARY, sent_at="2999-01-01T00:00:00Z"),  # line 7: in the future
        message(8, ORDINARY, message_id=""),             # line 8: no id
        message(9, ORDINARY),
    ]
    report = _ingest(jsonl(rows))
    assert report.created == 2 and report.rejected == 7
    by_line = {e.line: e for e in report.errors}
    assert by_line[2].column == "text" and "no text" in by_line[2].message
    assert by_line[3].column == "sent_at" and "last Tuesday" in by_line[3].message
    assert by_line[4].column == "platform" and "myspace" in by_line[4].message
    assert "not valid JSON" in by_line[5].message
    assert "JSON object" in by_line[6].message
    assert "future" in by_line[7].message
    assert by_line[8].column == "message_id"
    assert str(by_line[2]).startswith("messages.jsonl line 2:")


def test_csv_with_exporter_column_names_bom_and_a_cp1252_line(handles):
    data = (
        "\ufeffid,username,full_text,created_at,to,hashtags\r\n"
        "10,@a,Hello Carol,2025-04-01T10:00:00Z,@carol_mp,#bins #council\r\n"
        '11,@b,"Line one\r\nline two",1743501600,carol_mp,\r\n'
    ).encode("utf-8") + "12,@c,Caf\xe9 politics,Tue Apr 01 10:00:00 +0000 2025,carol_mp,\r\n".encode("cp1252") + b"13,@d,ragged\r\n"
    report = _ingest(data, "export.csv", default_platform=Platform.X)
    assert report.created == 3, report.errors
    assert report.recoded == 1
    assert [(e.line, "cells" in e.message) for e in report.errors] == [(6, True)]
    multi = Message.objects.get(message_id="11")
    assert multi.text == "Line one\nline two"
    assert Message.objects.get(message_id="12").text == "Café politics"
    assert Message.objects.get(message_id="10").hashtags == ["bins", "council"]


@pytest.mark.parametrize("data,name,fragment", [
    (b"", "empty.jsonl", "empty"),
    (b"PK\x03\x04rest-of-a-zip", "messages.csv", "spreadsheet"),
    (b"%PDF-1.7\n", "messages.jsonl", "PDF"),
    (b"PAR1\x00\x00", "messages", "Parquet"),
    (b"id,username\n1,@a\n", "messages.csv", "no text"),
])
def test_files_that_are_not_message_files_are_refused_whole(handles, data, name, fragment):
    with pytest.raises(TableError, match=fragment):
        _ingest(data, name)
    assert Message.objects.count() == 0


def test_text_is_encrypted_at_rest(handles):
    _ingest(jsonl([message(1, "a very distinctive sentence about Yardley")]))
    with connection.cursor() as cursor:
        cursor.execute("SELECT text, author_handle FROM monitoring_message")
        text, handle = cursor.fetchone()
    assert "distinctive" not in text and "troll" not in handle.lower()


def test_only_the_integration_account_can_ingest(handles):
    with pytest.raises(NotPermitted):
        ingest_file(Actor(user=handles.users.feoa_wmp), io.BytesIO(jsonl([message(1, ORDINARY)])), "m.jsonl")


def test_memory_does_not_hold_the_file(handles, monkeypatch):
    """Rows are consumed as they are read: the reader is a generator, batches are bounded."""
    from ballotguard.monitoring.services import ingest as ingest_module

    sizes = []
    original = ingest_module._store

    def spy(records, *args, **kwargs):
        sizes.append(len(records))
        return original(records, *args, **kwargs)

    monkeypatch.setattr(ingest_module, "_store", spy)
    data = jsonl([message(i, ORDINARY) for i in range(25)])
    ingest_module.ingest_records(Actor.cli(), ingest_module.iter_messages(io.BytesIO(data), "m.jsonl"), source="file", batch_size=10)
    assert sizes == [10, 10, 5]


def test_a_handle_claimed_by_two_people_routes_nowhere_and_cannot_be_claimed_again(handles):
    from ballotguard.registry.models import SocialHandle
    from ballotguard.registry.services import HandleTaken, add_handle

    # Dan (another person) cannot record Carol's account as his.
    from conftest import make_user

    dan = handles.candidates.yardley_2
    dan.user = make_user("candidate-dan", "candidate")
    dan.save(update_fields=["user"])
    with pytest.raises(HandleTaken):
        add_handle(Actor(user=dan.user), dan, "x", "carol_mp")
    # ...and if two people hold it anyway (an old import), messages to it go to no force.
    SocialHandle.objects.create(candidate=dan, platform="x", handle="carol_mp")
    report = _ingest(jsonl([message(1, THREAT)]))
    assert report.unrouted == 1 and Message.objects.get().candidate is None


def test_handles_written_in_the_text_route_when_no_mentions_are_sent(handles):
    report = _ingest(jsonl([message(1, "@Carol_MP you will regret this", mentions=[])]))
    assert report.unrouted == 0 and Message.objects.get().candidate == handles.candidates.yardley_1


def test_scoring_in_a_forked_process_gives_the_same_scores_and_counts(handles):
    from django.utils import timezone

    from ballotguard.engines.messages.records import iter_messages
    from ballotguard.monitoring.services import ingest_records

    texts = [THREAT, ABUSE, ORDINARY, ORDINARY]
    rows = [message(i, texts[i % 4], to="alice_clw" if i % 3 == 0 else "carol_mp") for i in range(1, 14)]
    data = jsonl([*rows, message(2, ABUSE)])  # the last batch repeats a message the first stored

    def run(processes: int):
        Message.objects.all().delete()
        stream = iter_messages(io.BytesIO(data), "m.jsonl", now=timezone.now())
        report = ingest_records(Actor.cli(), stream, source="file", batch_size=3, score_processes=processes)
        stored = sorted(Message.objects.values_list("message_id", "candidate_id", "abuse_score", "threat_score", "is_threat", "review", "reasons"))
        return report.as_dict(), stored

    serial, forked = run(1), run(2)
    assert forked == serial
    assert serial[0]["created"] == 13 and serial[0]["duplicates"] == 1 and serial[0]["flagged"] >= 2
