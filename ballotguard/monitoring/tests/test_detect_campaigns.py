"""``detect-campaigns``: the toolkit's own fixture, small files with planted copies and bad rows,
JSONL and Parquet, determinism, and clear errors. No database."""

from __future__ import annotations

import csv
import json
import pathlib

import polars as pl
import pytest
from django.core.management import CommandError, call_command

SHARED = pathlib.Path(__file__).resolve().parents[3].parent / "shared" / "data" / "coordination"
QUT = SHARED / "qut_toolkit_coretweet_test_input.csv"
HEADER = ["message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp", "urls"]
COPY = "Resign now you are a disgrace to this constituency and everyone knows it"


def run(path: pathlib.Path, out: pathlib.Path, capsys, **options) -> dict:
    # These files are a few dozen rows: too few for the significance test, which the engine's own
    # tests cover; the command's mechanics are tested with the count thresholds alone.
    options.setdefault("fdr", "off")
    call_command("detect_campaigns", str(path), out=out, json=True, **options)
    return json.loads(capsys.readouterr().out)


def toolkit_csv(path: pathlib.Path, rows: list[list], *, extra: str = "") -> pathlib.Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
        f.write(extra)
    return path


def planted_rows() -> list[list]:
    """Three accounts copy-paste the same long reply twice within seconds; a fourth edits a word;
    an ordinary account posts something else at the same time."""
    rows = []
    n = 0
    for burst, start in enumerate((1_000, 5_000)):
        for k, account in enumerate(("a1", "a2", "a3")):
            rows.append([n, account, account, "", f"cand{k}", COPY, start + 7 * k, ""])
            n += 1
        rows.append([n, "a4", "a4", "", "cand9", COPY.replace("disgrace", "disgraces"), start + 30, ""])
        n += 1
        rows.append([n, "bystander", "bystander", "", "other-thread", f"What is your plan for the buses in ward {burst}?", start + 5, ""])
        n += 1
    return rows


@pytest.mark.skipif(not QUT.is_file(), reason=f"QUT toolkit fixture not found at {QUT} (shared data not mounted)")
@pytest.mark.parametrize(("window", "min_weight", "loops", "nodes"), [(1, 1, False, 2), (1, 1, True, 3), (1, 2, False, 0), (1, 2, True, 1), (60, 1, False, 6), (60, 1, True, 7)])
def test_qut_fixture_gives_the_toolkits_node_counts(tmp_path, capsys, window, min_weight, loops, nodes):
    summary = run(QUT, tmp_path, capsys, window=window, min_weight=min_weight, loops=loops, behaviours="repost", min_account_actions=1)
    assert summary["rows_read"] == 15 and summary["bad_rows"] == 0
    edges = pl.read_csv(tmp_path / "edges.csv")
    assert len(set(edges["account_a"].to_list()) | set(edges["account_b"].to_list())) == nodes
    document = json.loads((tmp_path / "campaigns.json").read_text())
    assert sum(c["account_count"] for c in document["campaigns"]) == nodes


def test_copies_and_near_copies_make_one_campaign_with_evidence(tmp_path, capsys):
    path = toolkit_csv(tmp_path / "replies.csv", planted_rows())
    summary = run(path, tmp_path / "out", capsys)
    assert summary["campaigns"] == 1 and summary["bad_rows"] == 0
    document = json.loads((tmp_path / "out" / "campaigns.json").read_text())
    campaign = document["campaigns"][0]
    assert campaign["id"] == "C1"
    assert campaign["accounts"] == ["a1", "a2", "a3", "a4"]
    assert campaign["messages"] == 8
    assert campaign["first_time"] == 1_000 and campaign["last_time"] == 5_030 and campaign["span_seconds"] == 4_030
    assert campaign["first_at"] == "1970-01-01T00:16:40Z"
    assert set(campaign["behaviours"]) == {"text", "near_text"}
    assert campaign["score"] > 0 and campaign["evidence"] and "disgrace" in campaign["evidence"][0]["shared"]
    edges = pl.read_csv(tmp_path / "out" / "edges.csv")
    assert edges.columns[:3] == ["account_a", "account_b", "weight"] and edges.height == 6
    assert "bystander" not in set(edges["account_a"]) | set(edges["account_b"])


def test_near_copies_need_the_similarity_threshold(tmp_path, capsys):
    path = toolkit_csv(tmp_path / "replies.csv", planted_rows())
    strict = run(path, tmp_path / "out", capsys, similarity=1.0)
    document = json.loads((tmp_path / "out" / "campaigns.json").read_text())
    assert strict["campaigns"] == 1 and document["campaigns"][0]["accounts"] == ["a1", "a2", "a3"]


def test_bad_rows_are_counted_and_reported_with_line_numbers(tmp_path, capsys):
    rows = planted_rows()
    rows.insert(2, [100, "", "", "", "", "no account here", 1_001, ""])  # line 4
    rows.insert(4, [101, "a9", "a9", "", "", "bad time", "yesterday-ish", ""])  # line 6
    rows.append([0, "a1", "a1", "", "", COPY, 9_999, ""])  # repeats message_id 0; line 14
    path = toolkit_csv(tmp_path / "bad.csv", rows, extra="7,short,row\n")  # line 15
    out = tmp_path / "out"
    summary = run(path, out, capsys)
    assert summary["rows_read"] == 14 and summary["rows_used"] == 10 and summary["bad_rows"] == 4
    assert [p["line"] for p in summary["first_bad_rows"]] == [4, 6, 14, 15]
    assert summary["campaigns"] == 1
    report = pl.read_csv(out / "bad_rows.csv")
    assert report["line"].to_list() == [4, 6, 14, 15]
    assert "yesterday-ish" in report["message"][1]
    # The human-readable report names file and line.
    call_command("detect_campaigns", str(path), out=out, fdr="off")
    text = capsys.readouterr().out
    assert "4 bad" in text and "bad.csv line 4: has no account" in text and "bad.csv line 15: has 3 cells" in text
    # A clean rerun into the same directory removes the stale bad-row report.
    run(toolkit_csv(tmp_path / "good.csv", planted_rows()), out, capsys)
    assert not (out / "bad_rows.csv").exists()


def test_jsonl_and_parquet_give_the_same_campaigns_as_csv(tmp_path, capsys):
    rows = [dict(zip(HEADER, r)) for r in planted_rows()]
    for r in rows:
        r["timestamp"] = float(r["timestamp"])
    jsonl = tmp_path / "replies.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows) + "{not json\n")
    parquet = tmp_path / "replies.parquet"
    pl.DataFrame([{**r, "message_id": str(r["message_id"]), "urls": []} for r in rows],
                 schema_overrides={"urls": pl.List(pl.String)}).write_parquet(parquet)
    csv_doc = _campaigns(toolkit_csv(tmp_path / "replies.csv", planted_rows()), tmp_path / "c", capsys)
    summary = run(jsonl, tmp_path / "j", capsys)
    assert summary["bad_rows"] == 1 and summary["first_bad_rows"][0]["line"] == len(rows) + 1
    assert json.loads((tmp_path / "j" / "campaigns.json").read_text())["campaigns"] == csv_doc
    assert _campaigns(parquet, tmp_path / "p", capsys) == csv_doc


def test_output_is_deterministic_whatever_the_row_order(tmp_path, capsys):
    rows = planted_rows()
    first = toolkit_csv(tmp_path / "a.csv", rows)
    second = toolkit_csv(tmp_path / "b.csv", rows[::-1])
    run(first, tmp_path / "a", capsys)
    run(second, tmp_path / "b", capsys)
    assert (tmp_path / "a" / "edges.csv").read_bytes() == (tmp_path / "b" / "edges.csv").read_bytes()
    a = json.loads((tmp_path / "a" / "campaigns.json").read_text())
    b = json.loads((tmp_path / "b" / "campaigns.json").read_text())
    assert a["campaigns"] == b["campaigns"]


def test_clear_errors(tmp_path, capsys):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("detect_campaigns", str(tmp_path / "missing.csv"), out=tmp_path / "o")
    with pytest.raises(CommandError, match="is not a file"):
        call_command("detect_campaigns", str(tmp_path), out=tmp_path / "o")
    no_account = tmp_path / "x.csv"
    no_account.write_text("id,body\n1,hello\n")
    with pytest.raises(CommandError, match="no column for 'account'"):
        call_command("detect_campaigns", str(no_account), out=tmp_path / "o")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    with pytest.raises(CommandError, match="cannot be read as parquet"):
        call_command("detect_campaigns", str(broken), out=tmp_path / "o")
    with pytest.raises(CommandError, match="Unknown behaviour"):
        call_command("detect_campaigns", str(no_account), out=tmp_path / "o", behaviours="text,telepathy")
    with pytest.raises(CommandError, match="similarity"):
        call_command("detect_campaigns", str(no_account), out=tmp_path / "o", similarity=1.5)
    with pytest.raises(CommandError, match="SOURCE=ENGINE"):
        call_command("detect_campaigns", str(no_account), out=tmp_path / "o", column=["object_id"])


def test_column_mapping_reads_coortweet_files(tmp_path, capsys):
    path = tmp_path / "coortweet.csv"
    path.write_text("object_id,account_id,content_id,timestamp_share\n" + "".join(
        f"obj{k},acc{a},c{k}{a},{100 * k + a}\n" for k in range(3) for a in range(2)
    ))
    assert run(path, tmp_path / "o", capsys)["campaigns"] == 0  # object_id is not a behaviour by itself
    summary = run(path, tmp_path / "o", capsys, column=["object_id=repost_of"])
    assert summary["campaigns"] == 1 and summary["accounts_in_campaigns"] == 2


def _campaigns(path: pathlib.Path, out: pathlib.Path, capsys) -> list:
    run(path, out, capsys)
    return json.loads((out / "campaigns.json").read_text())["campaigns"]


def test_russian_co_retweets_match_the_toolkits_directed_edge_counts(tmp_path, capsys):
    """SOURCE.md: the toolkit draws 2,184 directed edges at weight 1 and 7 at weight 2 (10 s window),
    with every account and every object kept (its defaults)."""
    import json as json_module
    import pathlib

    from django.core.management import call_command

    source = pathlib.Path(__file__).resolve().parents[3].parent / "shared" / "data" / "coordination" / "russian_coord_tweets.csv"
    if not source.is_file():
        pytest.skip(f"reference data not present: {source}")
    found = {}
    for weight in (1, 2):
        call_command("detect_campaigns", str(source), out=tmp_path / str(weight), window=10, behaviours="repost",
                     column=["object_id=repost_of"], min_weight=weight, min_account_actions=1, max_object_accounts=0, fdr="off", json=True, verbosity=0)
        found[weight] = json_module.loads(capsys.readouterr().out)["directed_edges"]
    assert found == {1: 2184, 2: 7}


def test_graph_files_link_tables_and_the_fdr_option(tmp_path, capsys):
    path = toolkit_csv(tmp_path / "planted.csv", planted_rows())
    summary = run(path, tmp_path / "out", capsys, graph_format="graphml")
    assert summary["campaigns"] == 1
    graph = (tmp_path / "out" / "network.graphml").read_text()
    assert graph.startswith("<?xml") and graph.count("<edge ") == summary["edges"] and 'attr.name="p_value"' in graph
    run(path, tmp_path / "gexf", capsys, graph_format="gexf")
    assert "<gexf" in (tmp_path / "gexf" / "network.gexf").read_text()
    document = json.loads((tmp_path / "out" / "campaigns.json").read_text())
    assert document["settings"]["fdr"] is None and "no significance test was run" in document["campaigns"][0]["why"]
    # A resolution table that lacks its columns, or a bad rate, is a clear error; nothing is written.
    (tmp_path / "links.csv").write_text("from,to\nt.co/x,https://a.example\n")
    with pytest.raises(CommandError, match="needs the columns short and target"):
        call_command("detect_campaigns", str(path), out=tmp_path / "bad", resolve_links=tmp_path / "links.csv")
    with pytest.raises(CommandError, match="--fdr 'often'"):
        call_command("detect_campaigns", str(path), out=tmp_path / "bad", fdr="often")
    with pytest.raises(CommandError, match="give a rate between 0 and 1"):
        call_command("detect_campaigns", str(path), out=tmp_path / "bad", fdr="2")
    assert not (tmp_path / "bad").exists()
    # With the default significance test, a dozen rows are too few to rule chance out.
    call_command("detect_campaigns", str(path), out=tmp_path / "sig", json=True)
    assert json.loads(capsys.readouterr().out)["campaigns"] == 0


def test_file_commands_run_without_the_services_secrets(tmp_path):
    """Issue 18: ``score-messages`` and ``detect-campaigns`` read and write files only, so they run on an
    analyst's machine with none of the service's secrets set (and no database)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("BALLOTGUARD_", "DJANGO_", "DATABASE_URL"))}
    cli = [sys.executable, "-m", "ballotguard.cli"]
    scores = tmp_path / "scores.csv"
    (tmp_path / "m.csv").write_text("id,text\n1,I will find you and kill you\n2,see you at the count\n", encoding="utf-8")
    done = subprocess.run([*cli, "score-messages", str(tmp_path / "m.csv"), "--out", str(scores)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert scores.read_text().splitlines()[1].split(",")[3] == "1"  # is_threat for the first row
    path = toolkit_csv(tmp_path / "replies.csv", planted_rows())
    done = subprocess.run([*cli, "detect-campaigns", str(path), "--out", str(tmp_path / "out"), "--fdr", "off"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "out" / "campaigns.json").read_text())["campaigns"]
    # The service itself refuses that mode.
    refused = subprocess.run([sys.executable, "-c", "import ballotguard.wsgi"], env={**env, "BALLOTGUARD_FILE_ONLY": "1"}, capture_output=True, text=True, timeout=300)
    assert refused.returncode != 0 and "BALLOTGUARD_FILE_ONLY" in refused.stderr


def test_timer_bots_are_reported_as_scheduled_in_the_file_and_the_output(tmp_path, capsys):
    """Five accounts posting #wire on the quarter hour for a day beside the planted copy-paste group:
    campaigns.json gives each campaign's kind (and the timer), the summary counts the scheduled ones
    apart, and the printed list names the kind."""
    rows = planted_rows()
    start = 1_733_011_200  # a quarter hour, in Unix seconds
    for tick in range(96):
        for k in range(5):
            rows.append([f"w{tick}-{k}", f"wire{k}", f"wire{k}", "", "", f"headline {tick} number {k} #wire", start + 900 * tick + k % 2, ""])
    path = toolkit_csv(tmp_path / "replies.csv", rows)
    summary = run(path, tmp_path / "out", capsys)
    assert summary["scheduled_campaigns"] == 1 and summary["accounts_in_scheduled_campaigns"] == 5
    document = json.loads((tmp_path / "out" / "campaigns.json").read_text())
    kinds = {tuple(c["accounts"]): c["kind"] for c in document["campaigns"]}
    assert kinds[tuple(f"wire{k}" for k in range(5))] == "scheduled" and kinds[("a1", "a2", "a3", "a4")] == "coordinated"
    timed = next(c for c in document["campaigns"] if c["kind"] == "scheduled")
    assert timed["timer"]["period_seconds"] == 900 and timed["why"].startswith("5 of 5 accounts post every 15 minutes, on the quarter hour")
    call_command("detect_campaigns", str(path), out=tmp_path / "text", fdr="off")
    printed = capsys.readouterr().out
    assert "1 scheduled: most of their 5 accounts post on a timer" in printed and "(scheduled): 5 accounts" in printed and "(coordinated): 4 accounts" in printed


def test_the_command_counts_the_campaigns_chance_explains(tmp_path, capsys):
    """The held-out generator at 60,000 messages, seed 3 (docs/coordination.md, "Fifth round"): a campaign
    of two chance-linked accounts is not reported; the summary counts it and the text output says so."""
    from ballotguard.engines.tests.test_coordination_significance import chance_pair_corpus

    path = tmp_path / "heldout.csv"
    chance_pair_corpus(path)
    summary = run(path, tmp_path / "out", capsys, fdr="0.001")  # the default; run() turns it off for small files
    assert summary["campaigns_chance_explains"] >= 1
    call_command("detect_campaigns", str(path), out=tmp_path / "text")
    assert "that chance explains as a whole were not reported" in capsys.readouterr().out
    assert run(path, tmp_path / "off", capsys, fdr="off")["campaigns_chance_explains"] == 0
