"""``ballotguard score-messages INPUT.csv --out OUT.csv``: score any CSV of texts, no database needed."""

from __future__ import annotations

import csv
import json
import pathlib
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

from ballotguard.engines.abuse.model import AbuseModel
from ballotguard.engines.abuse.scoring import score_messages
from ballotguard.engines.abuse.threat_model import ArtifactError, ThreatModel

BATCH = 5_000


class Command(BaseCommand):
    help = (
        "Score every row of a CSV with Ballotguard's abuse model and threat scorer (the learned threat model beside "
        "the threat rules, or the rules alone with --threat-scorer rules), so anyone can evaluate the scorer on their "
        "own data. Writes id,abuse_score,threat_score,is_threat,reasons (threat_score a calibrated probability with "
        "the learned model; is_threat 1 where flagged as a threat; reasons as a JSON list). "
        "Reads and writes as a stream; nothing is stored. Address exposure needs a candidate's details, "
        "so it is not part of this command."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("input", metavar="INPUT.csv", type=pathlib.Path)
        parser.add_argument("--id-column", default="id", help="Column with each row's identifier (default: id).")
        parser.add_argument("--text-column", default="text", help="Column with the text to score (default: text).")
        parser.add_argument("--out", required=True, type=pathlib.Path, help="Where to write the scores ('-' for standard output).")
        parser.add_argument("--model", type=pathlib.Path, default=None, help="Another model artifact (.npz with its .json); default: the committed one.")
        parser.add_argument("--delimiter", default=",", help="The input's delimiter (default ','; use '\\t' for TSV).")
        parser.add_argument("--threat-scorer", choices=("learned", "rules"), default="learned",
                            help="learned (default): the learned threat model beside the rules, which stay a floor; rules: the rules alone.")

    def handle(self, *args, input: pathlib.Path, id_column: str, text_column: str, out: pathlib.Path, model, delimiter: str,
               threat_scorer: str = "learned", **options):
        if not input.is_file():
            raise CommandError(f"{input} is not a file")
        delimiter = "\t" if delimiter in ("\\t", "tab") else delimiter
        scorer = AbuseModel.load(model)
        try:
            threats = ThreatModel.load() if threat_scorer == "learned" else None
        except ArtifactError as exc:
            raise CommandError(str(exc)) from None
        console = Console(stderr=True)
        started = time.perf_counter()
        count = 0
        with input.open("r", encoding="utf-8-sig", errors="replace", newline="") as source:
            reader = csv.DictReader(source, delimiter=delimiter)
            header = reader.fieldnames or []
            for column in (id_column, text_column):
                if column not in header:
                    raise CommandError(f"{input.name} has no column {column!r} (it has {', '.join(header[:12]) or 'no header'})")
            sink = sys.stdout if str(out) == "-" else out.open("w", encoding="utf-8", newline="")
            try:
                writer = csv.writer(sink)
                writer.writerow(["id", "abuse_score", "threat_score", "is_threat", "reasons"])
                with Progress(TextColumn("[bold]Scoring"), BarColumn(), DownloadColumn(), TimeElapsedColumn(), console=console,
                              transient=True, disable=options.get("verbosity", 1) == 0) as bar:
                    task = bar.add_task("score", total=max(input.stat().st_size, 1))
                    batch: list[tuple[str, str]] = []
                    for row in reader:
                        batch.append((row.get(id_column) or "", row.get(text_column) or ""))
                        if len(batch) >= BATCH:
                            count += _write(writer, scorer, threats, batch)
                            batch = []
                            bar.update(task, completed=source.buffer.tell() if hasattr(source, "buffer") else 0)
                    count += _write(writer, scorer, threats, batch)
            except csv.Error as exc:
                raise CommandError(f"{input.name} line {reader.line_num}: cannot be read as CSV ({exc})") from None
            finally:
                if sink is not sys.stdout:
                    sink.close()
        seconds = time.perf_counter() - started
        console.print(f"Scored {count:,} rows in {seconds:.1f} s ({count / max(seconds, 1e-9):,.0f} rows/s) with model {scorer.version}; "
                      f"flagged as abusive at ≥ {scorer.review_threshold:.2f} (macro-F1 threshold {scorer.threshold:.2f}); threats by "
                      + (f"{threats.version} (flagged at ≥ {threats.threshold:.3f}) beside the rules." if threats else "the rules alone."), highlight=False)


def _write(writer, scorer: AbuseModel, threats: ThreatModel | None, batch: list[tuple[str, str]]) -> int:
    if not batch:
        return 0
    scores = score_messages([text for _, text in batch], scorer, threat_model=threats)
    for (row_id, _), score in zip(batch, scores):
        writer.writerow([row_id, f"{score.abuse_score:.4f}", f"{score.threat_score:.4f}", int(score.is_threat), json.dumps(list(score.reasons))])
    return len(batch)
