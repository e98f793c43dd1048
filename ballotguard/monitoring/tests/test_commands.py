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
    assert list(rows[0]) == ["id", "abuse_score", "threat_score", "is_threat", "reasons"]
    by_id = {r["id"]: r for r in rows}
    assert float(by_id["a"]["threat_score"]) >= 0.5 and by_id["a"]["is_threat"] == "1" and json.loads(by_id["a"]["reasons"])
    assert float(by_id["b"]["threat_score"]) < 0.5
    assert float(by_id["c"]["abuse_score"]) > float(by_id["b"]["abuse_score"])


def test_score_messages_names_a_missing_column(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,message\n1,hello\n")
    with pytest.raises(CommandError, match="no column 'text'"):
        call_command("score_messages", str(source), out=tmp_path / "o.csv", verbosity=0)


@pytest.mark.django_db
def test_train_abuse_model_learns_from_reviewers_decisions(handles, tmp_path, monkeypatch, capsys):
    """The reviewers' decisions reach the training rows (training itself is stubbed: the real run,
    ~15 s on the OLID data, is covered by the engine's tests and bench/abuse_quality.py)."""
    import io

    from ballotguard.accounts.services import Actor
    from ballotguard.engines.abuse import training as abuse_training
    from ballotguard.monitoring import services

    services.ingest_file(Actor.cli(), io.BytesIO(jsonl([message(1, ABUSE), message(2, THREAT)])), "m.jsonl")
    services.decide(Actor(user=handles.users.feoa_wmp), Message.objects.get(message_id="1"), "dismiss")
    seen = {}

    class Stop(Exception):
        pass

    def fake_train(data_dir, *, extra, seed, progress):
        seen["extra"] = list(extra)
        raise Stop

    monkeypatch.setattr(abuse_training, "train_default", fake_train)
    data = tmp_path / "abuse"
    (data / abuse_training.OLID_FILE).parent.mkdir(parents=True)
    (data / abuse_training.OLID_FILE).write_text("id\ttweet\tsubtask_a\n")
    with pytest.raises(Stop):
        call_command("train_abuse_model", data_dir=data, out=tmp_path / "m", with_review_feedback=True)
    assert seen["extra"] == [(ABUSE, False)]


def test_the_scorer_setting_chooses_the_optional_embedding_model(settings, monkeypatch):
    from ballotguard.engines.abuse import embeddings as abuse_embeddings
    from ballotguard.engines.abuse.model import default_model
    from ballotguard.monitoring.services import scoring

    scoring.scorer.cache_clear()
    try:
        assert scoring.scorer() is default_model()
        settings.BALLOTGUARD_ABUSE_SCORER = "embeddings"
        scoring.scorer.cache_clear()
        sentinel = object()
        monkeypatch.setattr(abuse_embeddings.EmbeddingAbuseModel, "load", classmethod(lambda cls, **kw: sentinel))
        assert scoring.scorer() is sentinel
        from ballotguard.engines.abuse import finetuned as abuse_finetuned

        settings.BALLOTGUARD_ABUSE_SCORER = "finetuned"
        scoring.scorer.cache_clear()
        other = object()
        monkeypatch.setattr(abuse_finetuned.FinetunedAbuseModel, "load", classmethod(lambda cls, **kw: other))
        assert scoring.scorer() is other
    finally:
        scoring.scorer.cache_clear()


def test_the_scorer_setting_chooses_the_int8_and_cascade_scorers_from_their_network_dir(settings, monkeypatch, tmp_path):
    from ballotguard.engines.abuse import cascade as abuse_cascade
    from ballotguard.engines.abuse import finetuned_int8 as abuse_int8
    from ballotguard.monitoring.services import scoring

    settings.BALLOTGUARD_ABUSE_FINETUNED_INT8_DIR = tmp_path / "int8"
    seen = []
    monkeypatch.setattr(abuse_int8.Int8AbuseModel, "load", classmethod(lambda cls, **kw: seen.append(("int8", kw)) or "int8 model"))
    monkeypatch.setattr(abuse_cascade.CascadeAbuseModel, "load", classmethod(lambda cls, **kw: seen.append(("cascade", kw)) or "cascade model"))
    try:
        for choice, want in (("finetuned-int8", "int8 model"), ("cascade", "cascade model")):
            settings.BALLOTGUARD_ABUSE_SCORER = choice
            scoring.scorer.cache_clear()
            assert scoring.scorer() == want
        assert seen == [("int8", {"model_dir": tmp_path / "int8"}), ("cascade", {"model_dir": tmp_path / "int8"})]
    finally:
        scoring.scorer.cache_clear()


def test_score_messages_chooses_the_threat_scorer(tmp_path):
    """The learned threat scorer by default; the rules alone with --threat-scorer rules."""
    source = tmp_path / "in.csv"
    missed_by_rules = "I'm going to drown those people next week"
    with source.open("w", newline="") as f:
        csv.writer(f).writerows([["id", "text"], ["a", missed_by_rules], ["b", THREAT]])
    learned, rules = tmp_path / "learned.csv", tmp_path / "rules.csv"
    call_command("score_messages", str(source), out=learned, verbosity=0)
    call_command("score_messages", str(source), out=rules, threat_scorer="rules", verbosity=0)
    by_learned = {r["id"]: r for r in csv.DictReader(learned.open())}
    by_rules = {r["id"]: r for r in csv.DictReader(rules.open())}
    assert by_learned["a"]["is_threat"] == "1" and any(r.startswith("threat model") for r in json.loads(by_learned["a"]["reasons"]))
    assert by_rules["a"]["is_threat"] == "0" and float(by_rules["a"]["threat_score"]) == 0.0
    assert by_learned["b"]["is_threat"] == by_rules["b"]["is_threat"] == "1"
