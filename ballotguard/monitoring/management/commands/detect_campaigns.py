"""``ballotguard detect-campaigns INPUT --window 60 --similarity 0.7 --out DIR``: find coordinated
accounts in any file of actions, no database needed.

Reads CSV (including the QUT coordination-network-toolkit's ``message_id,user_id,username,repost_id,
reply_id,message,timestamp,urls`` format), JSONL or Parquet with
:func:`ballotguard.engines.coordination.readers.read_actions`, detects with
:func:`ballotguard.engines.coordination.detection.detect`, and writes:

- ``DIR/campaigns.json``: the settings, the row counts, every bad row, and the campaigns best first
  (id, kind — ``coordinated``, or ``scheduled`` when most members post on a timer —, accounts, message
  count and ids, time span, score, behaviours, places, why, example evidence);
- ``DIR/edges.csv``: every surviving account pair with its weight, behaviours and time span;
- ``DIR/bad_rows.csv``: every row that was not used, with its line number and why (only when there are any).

The output is deterministic: the same input (in any row order) gives byte-identical files.
"""

from __future__ import annotations

import dataclasses
import pathlib
import time

import polars as pl
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ballotguard.engines.coordination.detection import Behaviour, Detection, Settings, detect, parse_fdr
from ballotguard.engines.coordination.readers import campaigns_document, dumps_json, read_actions, read_link_table, write_graph
from ballotguard.engines.coordination.readers import resolve_links as resolve_links_in

SHOWN_BAD_ROWS = 5


def _behaviours(value: str) -> frozenset[Behaviour]:
    names = [v.strip().lower().replace("-", "_") for v in value.replace(",", " ").split() if v.strip()]
    try:
        return frozenset(Behaviour(n) for n in names)
    except ValueError:
        known = ", ".join(b.value for b in Behaviour)
        raise CommandError(f"Unknown behaviour in {value!r}; choose from {known}") from None


def _fdr(value) -> float | None:
    try:
        return parse_fdr(value)
    except ValueError:
        raise CommandError(f"--fdr {value!r}: give a rate between 0 and 1, e.g. 0.001, or 'off'") from None


class Command(BaseCommand):
    help = (
        "Find accounts acting together: the same text, near-identical text, link, hashtag, reply or repost "
        "target shared by different accounts within --window seconds. Reads CSV (including the QUT "
        "coordination-network-toolkit's format), JSONL or Parquet; writes DIR/campaigns.json and DIR/edges.csv. "
        "Rows without an account or a usable time are counted and reported with their line numbers, never dropped silently."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("input", metavar="INPUT", type=pathlib.Path, help="A .csv, .jsonl/.ndjson or .parquet file of actions.")
        parser.add_argument("--out", required=True, type=pathlib.Path, metavar="DIR", help="Directory for campaigns.json and edges.csv (created if missing).")
        parser.add_argument("--window", type=float, default=Settings.window, help="Seconds within which two shares are co-actions (default 60).")
        parser.add_argument("--similarity", type=float, default=Settings.similarity, help=f"Minimum Jaccard word similarity for near-identical text (default {Settings.similarity:g}).")
        parser.add_argument(
            "--behaviours", default=None,
            help=f"Comma-separated behaviours to look for, from {', '.join(b.value for b in Behaviour)} "
                 f"(default all but domain and reply: {', '.join(sorted(b.value for b in Settings.behaviours))}).",
        )
        parser.add_argument("--min-weight", type=int, default=Settings.min_edge_weight, help="Minimum co-actions for an edge (default 2).")
        parser.add_argument("--min-account-actions", type=int, default=Settings.min_account_actions,
                            help="Minimum coordinated messages per account (default 2; 1 is the QUT toolkit's behaviour).")
        parser.add_argument("--max-object-accounts", type=int, default=0,
                            help="Ignore objects shared by more accounts than this over the whole input (default 0: keep all; "
                                 "noise is controlled by --fdr instead).")
        parser.add_argument("--fdr", default=str(Settings.fdr),
                            help="False-discovery rate of the significance test on each account pair's co-actions against chance "
                                 f"(default {Settings.fdr:g}); campaigns that chance explains as a whole at this level are not reported; "
                                 "'off' keeps every pair over --min-weight (the QUT toolkit's behaviour).")
        parser.add_argument("--null-block", type=float, default=Settings.null_block,
                            help="Seconds per block over which the null model measures activity and popularity (default 3600).")
        parser.add_argument("--graph-format", choices=("graphml", "gexf"), default=None,
                            help="Also write the network of coordinated accounts as DIR/network.graphml or DIR/network.gexf (Gephi).")
        parser.add_argument("--resolve-links", type=pathlib.Path, default=None, metavar="CSV",
                            help="A table of short links and where they lead (columns short,target; e.g. t.co or bit.ly links): "
                                 "links are compared by target. No network call is made.")
        parser.add_argument("--min-text-words", type=int, default=Settings.min_text_words, help="Never compare texts shorter than this (default 3).")
        parser.add_argument("--loops", action="store_true", help="Keep an account's co-actions with itself.")
        parser.add_argument("--column", action="append", default=[], metavar="SOURCE=ENGINE",
                            help="Map another column name to an engine column, e.g. object_id=repost_of (CooRTweet); repeatable.")
        parser.add_argument("--json", action="store_true", help="Print a JSON summary on standard output instead of the table.")
        parser.add_argument("--engine", choices=("local", "spark"), default="local",
                            help="local (default): Polars on this machine; spark: the same stages on Apache Spark (needs pyspark and Java 17+).")
        parser.add_argument("--spark-master", default="local[2]", metavar="URL",
                            help="Spark master for --engine spark: local[N] (default local[2]), spark://HOST:7077, yarn, k8s://...")

    def handle(self, *args, input: pathlib.Path, out: pathlib.Path, window, similarity, behaviours, min_weight,
               min_account_actions, max_object_accounts, min_text_words, loops, column, json: bool, fdr="", null_block=3600.0,
               graph_format=None, resolve_links=None, **options):
        if not input.exists():
            raise CommandError(f"{input} does not exist")
        if not input.is_file():
            raise CommandError(f"{input} is not a file")
        try:
            settings = Settings(
                window=window, similarity=similarity,
                behaviours=_behaviours(behaviours) if behaviours else Settings.behaviours,
                min_edge_weight=min_weight, min_account_actions=min_account_actions,
                max_object_accounts=max_object_accounts or None, min_text_words=min_text_words, loops=loops,
                fdr=_fdr(fdr), null_block=null_block,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        mapping = {}
        for pair in column:
            source, sep, target = pair.partition("=")
            if not sep or not source.strip() or not target.strip():
                raise CommandError(f"--column {pair!r}: write SOURCE=ENGINE, e.g. object_id=repost_of")
            mapping[source.strip()] = target.strip()
        if out.exists() and not out.is_dir():
            raise CommandError(f"--out {out} exists and is not a directory")
        console = Console(stderr=True)
        quiet = options.get("verbosity", 1) == 0 or json
        started = time.perf_counter()
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn(), console=console, transient=True, disable=quiet) as bar:
            task = bar.add_task("Reading", total=3)
            try:
                actions = read_actions(input, columns=mapping)
                if resolve_links is not None:
                    actions = dataclasses.replace(actions, frame=resolve_links_in(actions.frame, read_link_table(resolve_links)))
            except ValueError as exc:  # no account/time column
                raise CommandError(str(exc)) from None
            except (OSError, UnicodeDecodeError, pl.exceptions.PolarsError) as exc:
                raise CommandError(f"{input.name} cannot be read as {input.suffix.lstrip('.') or 'CSV'}: {exc}") from None
            bar.update(task, advance=1, description=f"Detecting in {actions.frame.height:,} actions")
            found = _detect_with(options.get("engine", "local"), options.get("spark_master", "local[2]"), actions.frame, settings)
            bar.update(task, advance=1, description="Writing")
            document = campaigns_document(input, actions, found, settings)
            try:
                out.mkdir(parents=True, exist_ok=True)
                (out / "campaigns.json").write_text(dumps_json(document, indent=2) + "\n", encoding="utf-8")
                found.edge_frame().write_csv(out / "edges.csv")
                if graph_format:
                    write_graph(found, out / f"network.{graph_format}", graph_format)
                bad = out / "bad_rows.csv"
                if actions.problems:
                    pl.DataFrame([p.to_dict() for p in actions.problems],
                                 schema={"line": pl.Int64, "message": pl.String, "column": pl.String, "file": pl.String}).write_csv(bad)
                elif bad.exists():
                    bad.unlink()  # a stale report from an earlier run would mislead
            except OSError as exc:
                raise CommandError(f"cannot write to {out}: {exc}") from None
            bar.update(task, advance=1)
        seconds = time.perf_counter() - started
        summary = {
            "input": str(input), "out": str(out), "rows_read": actions.rows_read, "rows_used": actions.frame.height,
            "bad_rows": len(actions.problems), "first_bad_rows": [p.to_dict() for p in actions.problems[:SHOWN_BAD_ROWS]],
            "campaigns": len(found.campaigns), "accounts_in_campaigns": sum(len(c.accounts) for c in found.campaigns),
            "scheduled_campaigns": sum(c.kind == "scheduled" for c in found.campaigns),
            "accounts_in_scheduled_campaigns": sum(len(c.accounts) for c in found.campaigns if c.kind == "scheduled"),
            "edges": len(found.edges), "directed_edges": found.directed_edges, "seconds": round(seconds, 3),
            "campaigns_chance_explains": found.stats.get("campaigns_chance_explains", 0),
        }
        if json:
            self.stdout.write(dumps_json(summary))
            return
        self.stdout.write(
            f"Read {actions.rows_read:,} rows from {input.name}: {actions.frame.height:,} used, {len(actions.problems):,} bad."
        )
        for problem in actions.problems[:SHOWN_BAD_ROWS]:
            self.stdout.write(f"  {problem}")
        if len(actions.problems) > SHOWN_BAD_ROWS:
            self.stdout.write(f"  … and {len(actions.problems) - SHOWN_BAD_ROWS:,} more in {out / 'bad_rows.csv'}")
        self.stdout.write(
            f"Found {len(found.campaigns):,} campaigns ({summary['accounts_in_campaigns']:,} accounts, {len(found.edges):,} edges; "
            f"{summary['scheduled_campaigns']:,} scheduled: most of their {summary['accounts_in_scheduled_campaigns']:,} accounts post on a timer; "
            f"{found.directed_edges:,} directed, as the QUT toolkit counts them) "
            f"in {seconds:.1f} s; wrote {out / 'campaigns.json'} and {out / 'edges.csv'}."
        )
        if summary["campaigns_chance_explains"]:
            self.stdout.write(f"  {summary['campaigns_chance_explains']:,} more that chance explains as a whole were not reported "
                              f"(their links are in {out / 'edges.csv'}, in no campaign).")
        for c in found.campaigns[:5]:
            self.stdout.write(f"  {c.id} ({c.kind}): {len(c.accounts)} accounts, {len(c.message_ids)} messages, score {c.score:g}, {', '.join(c.behaviours)}")


def _detect_with(engine: str, master: str, frame: pl.DataFrame, settings: Settings) -> Detection:
    if engine != "spark":
        return detect(frame, settings)
    from ballotguard.engines.coordination import spark as coordination_spark

    try:
        return coordination_spark.detect(frame, settings, master=master)
    except ImportError as exc:
        raise CommandError(f"--engine spark needs pyspark (pip install -r requirements-dev.txt) and Java 17+: {exc}") from None
