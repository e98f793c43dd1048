"""The commands: ingest-messages (file, progress, report) and score-messages (any CSV, no database)."""

from __future__ import annotations

import csv
import json

import pytest
from django.core.management import CommandError, call_command

from ballotguard.monitoring.models import Message

from .conftest import ABUSE, ORDINARY, THREAT, jsonl, message


@pytest.mark.django_db
def test_ingest_messages_reports_counts_and_bad_lines(handles, tmp_path, capsys):
    path = tmp_path / "m.jsonl"
    path.write_bytes(jsonl([message(1, THREAT), message(2, "")]))
    call_command("ingest_messages", str(path), json=True)
    report = json.loads(capsys.readouterr().out)
    assert (report["created"], report["rejected"], report["flagged"]) == (1, 1, 1)
    assert report["errors"][0]["line"] == 2 and report["errors"][0]["column"] == "text"
    call_command("ingest_messages", str(path))
    out = capsys.readouterr().out
    assert "Already stored (duplicates)" in out and "m.jsonl line 2" in out
    assert Message.objects.count() == 1


@pytest.mark.django_db
def test_ingest_messages_refuses_what_is_not_a_message_file(handles, tmp_path):
    path = tmp_path / "book.csv"
    path.write_bytes(b"PK\x03\x04....")
    with pytest.raises(CommandError, match="spreadsheet"):
        call_command("ingest_messages", str(path))
    with pytest.raises(CommandError, match="Unknown platform"):
        call_command("ingest_messages", str(path), platform="myspace")


def test_score_messages_writes_scores_for_any_csv(tmp_path):
    source = tmp_path / "in.csv"
    with source.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["ref", "body", "other"])
        writer.writerows([["a", THREAT, "x"], ["b", ORDINARY, "y"], ["c", ABUSE, "z"], ["d", "", ""]])
    out = tmp_path / "out.csv"
    call_command("score_messages", str(source), id_column="ref", text_column="body", out=out, verbosity=0)
    rows = list(csv.DictReader(out.open()))
    assert [r["id"] for r in rows] == ["a", "b", "c", "d"]
    assert list(rows[0]) == ["id", "abuse_score", "threat_score", "reasons"]
    by_id = {r["id"]: r for r in rows}
    assert float(by_id["a"]["threat_score"]) >= 0.5 and json.loads(by_id["a"]["reasons"])
    assert float(by_id["b"]["threat_score"]) < 0.5
    assert float(by_id["c"]["abuse_score"]) > float(by_id["b"]["abuse_score"])


def test_score_messages_names_a_missing_column(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,message\n1,hello\n")
    with pytest.raises(CommandError, match="no column 'text'"):
        call_command("score_messages", str(source), out=tmp_path / "o.csv", verbosity=0)
