"""The coordination engine on Apache Spark: the stages of :mod:`ballotguard.engines.coordination.detection`
on Spark DataFrames, for inputs larger than one machine. Same settings, same :class:`Detection`
(same campaigns in the same order, same edges, same counts) as the local engine.

What runs where:

- **Executors** (all the per-action and per-pair work, which grows with the input): canonical
  actions → shares (text normalised with Spark's Java regexes in Unicode mode, ``(?U)``, which match
  the local engine's Rust regexes); noise control; the sliding window; near-identical text by the
  local engine's exact method (prefix filtering on word-token hashes, then the exact Jaccard check),
  with the token hashes of each *distinct* normalised text computed by a Python function per
  partition that calls the local engine's own ``_tokens`` (same hash, same seed, so the same
  similarities); directed weights, participation, thresholds; connected components by min-label
  propagation; and the per-campaign aggregates (members, messages, places, time span, the first
  few co-actions as evidence).
- **The driver** only assembles what survives, which is small (campaigns × a handful of fields
  and ``evidence_per_campaign`` co-actions each), with the local engine's own code: each piece of
  evidence is worded by ``_evidence_of`` and the campaigns are built, scored, ordered and numbered
  by ``_assemble_campaigns``, and each campaign's kind is decided by ``automation.classify`` from its
  members' posting times (collected: members are few), so the two engines cannot drift apart there.

**The sliding window is exact.** Pairs are found with an equi-join on time buckets of width ``W``:
share ``s`` lives in bucket ``b(t) = floor(t / W)`` and probes every bucket from ``b(t_s)`` to
``b(t_s + W)`` (``t_s + W`` rounded as a double, as the local engine rounds it); candidates are then
kept exactly when ``t_s ≤ t_o ≤ t_s + W`` (ties on time broken by row, so each unordered pair is
found once). This never misses a pair: if ``t_s ≤ t_o ≤ t_s + W`` then, because division by a
positive ``W`` and ``floor`` are both monotone (IEEE division is correctly rounded, hence monotone),
``b(t_s) ≤ b(t_o) ≤ b(t_s + W)``, and every bucket in that range is probed. In real numbers the
range is one or two buckets (``t/W`` grows by exactly 1); computing the upper end from ``t_s + W``
instead of assuming ``b(t_s) + 1`` keeps the argument true in floating point too, where ``t/W``
near a bucket edge can round either way. ``W = 0`` pairs equal times only, with the time itself as
the bucket. The condition ``t_o ≤ t_s + W`` is the local engine's own (``|Δt| ≤ W``, with
``t_s + W`` rounded once), so the two engines agree even on pairs exactly ``W`` apart.

Executors need Python 3.11+, numpy and polars (the token function uses them; the same polars
version as the driver, since polars' string hash is stable only within a version) and this package
(``--py-files``); see ``docs/coordination-spark.md``. pyspark is imported lazily, so importing this
module never needs it. No Django.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pathlib
import sys
import time as _time
from collections.abc import Iterable, Iterator
from dataclasses import asdict

import numpy as np
import polars as pl

from ballotguard.engines.coordination import automation
from ballotguard.engines.coordination import detection as local
from ballotguard.engines.coordination.detection import (
    COLUMNS,
    Behaviour,
    Campaign,
    Detection,
    Edge,
    Evidence,
    Settings,
    action_frame,
    parse_fdr,
)

_CODE = {b: i for i, b in enumerate(Behaviour)}
_BEHAVIOURS = list(Behaviour)
_LIST_COLUMNS = tuple(name for name, dtype in COLUMNS.items() if isinstance(dtype, pl.List))
# The local engine's regexes (Rust, Unicode-aware) in Java syntax: (?U) makes \w, \s and \S Unicode-aware too.
_URL_RE = r"(?U)https?://\S+|www\.\S+"
_MENTION_RE = r"(?U)@\w+"
_NON_WORD_RE = r"(?U)[^\w#]+"
_SPACES_RE = r"(?U)\s+"
_HASHTAG_RE = r"(?U)#\w+"
_EDGE_SPACES_RE = r"(?U)^\s+|\s+$"
_DOMAIN_RE = r"^(?:[a-z][a-z0-9+.\-]*://)?(?:[^@/?#]*@)?(?:www\.)?([^/:?#]+)"

DEFAULT_MASTER = "local[2]"


# --------------------------------------------------------------------------- the session


def session(master: str = DEFAULT_MASTER, *, app_name: str = "ballotguard-coordination", shuffle_partitions: int | None = None,
            config: dict[str, str] | None = None):
    """A SparkSession for ``master`` (``local[2]``, ``spark://host:7077``, ``yarn``, ``k8s://…``), or the
    active one when already started (as under ``spark-submit``, where the master comes from the command line).

    Local masters get few shuffle partitions (the default 200 makes small jobs slow) and no web UI.
    """
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.appName(app_name).config("spark.ui.showConsoleProgress", "false")
    if master:
        builder = builder.master(master)
    if master.startswith("local"):
        # Python workers run this interpreter (with numpy and polars), not whatever "python3" is on PATH.
        # (pyspark reads PYSPARK_PYTHON when it creates the context).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        cores = master[len("local["):-1] if master.startswith("local[") else "1"
        default = 2 * (os.cpu_count() or 1) if cores in ("*", "") else 2 * int(cores.split(",")[0]) if cores.split(",")[0].isdigit() else 2
        builder = builder.config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", str(shuffle_partitions or default))
    elif shuffle_partitions:
        builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    for key, value in (config or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _schema():
    from pyspark.sql import types as T

    spark_type = {pl.String(): T.StringType(), pl.Float64(): T.DoubleType(), pl.List(pl.String()): T.ArrayType(T.StringType())}
    return T.StructType([T.StructField("row", T.LongType(), False)] + [
        T.StructField(name, spark_type[dtype], True) for name, dtype in COLUMNS.items()
    ])


def to_spark(frame: pl.DataFrame, spark):
    """A canonical action frame (from :func:`coordination.action_frame`) as a Spark DataFrame.
    Goes through the driver: right for what fits in the driver's memory; read larger inputs with
    :func:`read_actions` instead."""
    columns = ["row", *COLUMNS]
    rows = frame.select(columns).iter_rows()
    return spark.createDataFrame(list(rows), schema=_schema(), verifySchema=False)


# --------------------------------------------------------------------------- the whole run


def detect(actions, settings: Settings | None = None, *, spark=None, master: str = DEFAULT_MASTER) -> Detection:
    """Find coordinated campaigns with Spark. ``actions`` is what :func:`coordination.detect` accepts
    (a Polars frame or an iterable of :class:`Action`), or a Spark DataFrame already in canonical form
    (:func:`canonical`). Returns what the local engine returns for the same input."""
    s = settings or Settings()
    if spark is None:
        spark = session(master)
    if _is_spark_frame(actions):
        frame = actions
    else:
        frame = to_spark(action_frame(actions if isinstance(actions, pl.DataFrame) else list(actions)), spark)
    return detect_frame(frame, s)


def _is_spark_frame(value) -> bool:
    return type(value).__module__.startswith("pyspark.")


def detect_frame(actions, s: Settings) -> Detection:
    """The stages on a canonical Spark action frame (``row`` plus every column of :data:`COLUMNS`)."""
    from pyspark.sql import functions as F

    kept_frames = []

    def keep(df):
        # Materialise and cut the lineage: the stages reuse frames many times over, and without this
        # Spark re-plans (and describes) an ever-deeper tree at every step.
        df = df.localCheckpoint(eager=True)
        kept_frames.append(df)
        return df

    try:
        actions = keep(actions)
        stats = {"actions": actions.count()}
        pairs, stats["shares"], shares = _pairs(actions, s, keep)
        by_kind = dict(pairs.groupBy("kind").count().collect())
        stats["co_actions"] = sum(by_kind.values())
        for code, behaviour in enumerate(_BEHAVIOURS):
            stats[f"co_actions_{behaviour.value}"] = int(by_kind.get(code, 0))

        who = actions.select("row", "account", "time", "message_id")
        pr = (
            pairs.join(who.select(F.col("row").alias("ri"), F.col("account").alias("ai"), F.col("time").alias("ti"), F.col("message_id").alias("mi")), "ri")
            .join(who.select(F.col("row").alias("rj"), F.col("account").alias("aj"), F.col("time").alias("tj"), F.col("message_id").alias("mj")), "rj")
        )
        tested = kinds = None
        if s.fdr is not None:
            tested, kinds = _significance(pairs, shares, keep(pr), s)
            stats["pairs_tested"] = tested.height
            stats["pairs_significant"] = int(tested["keep"].sum())
        all_pr = pr
        if not s.loops:
            pr = pr.filter(F.col("ai") != F.col("aj"))
        if tested is not None:
            # Stage 4b: co-actions of pairs that chance explains are dropped (loops are never tested: kept).
            kept_pairs = tested.filter(pl.col("keep")).select("a", "b")
            significant = actions.sparkSession.createDataFrame(kept_pairs.rows(), "a string, b string") if kept_pairs.height else None
            loops = all_pr.filter(F.col("ai") == F.col("aj"))
            pr = pr.filter(F.col("ai") != F.col("aj"))
            pr = (pr.join(significant, (F.least("ai", "aj") == F.col("a")) & (F.greatest("ai", "aj") == F.col("b")), "left_semi")
                  if significant is not None else pr.limit(0))
            if s.loops:
                pr = pr.unionByName(loops)
        pr = keep(pr)

        directed = pr.select(F.col("ai").alias("src"), F.col("aj").alias("dst"), F.col("ri").alias("msg")).unionByName(
            pr.select(F.col("aj").alias("src"), F.col("ai").alias("dst"), F.col("rj").alias("msg"))
        ).distinct()
        # CooRTweet's participation: coordinated messages per account.
        active = directed.groupBy("src").agg(F.countDistinct("msg").alias("n")).filter(F.col("n") >= s.min_account_actions).select("src")
        directed = directed.join(active, "src", "left_semi").join(active.select(F.col("src").alias("dst")), "dst", "left_semi")
        weights = keep(directed.groupBy("src", "dst").agg(F.count(F.lit(1)).alias("w")))
        stats["directed_edges_before_threshold"] = weights.count()
        directed_edges = weights.filter(F.col("w") >= s.min_edge_weight).count()

        a, b = F.least("src", "dst"), F.greatest("src", "dst")
        und = (
            weights.select(a.alias("a"), b.alias("b"), F.when(F.col("src") == a, F.col("w")).alias("ab"), F.when(F.col("src") != a, F.col("w")).alias("ba"))
            .groupBy("a", "b")
            .agg(F.coalesce(F.sum("ab"), F.lit(0)).alias("w_ab"), F.coalesce(F.sum("ba"), F.lit(0)).alias("w_ba"))
            .withColumn("weight", F.greatest("w_ab", "w_ba"))
            .withColumn("w_ba", F.when(F.col("a") == F.col("b"), F.col("w_ab")).otherwise(F.col("w_ba")))
            .filter(F.col("weight") >= s.min_edge_weight)
        )
        kept = keep(pr.withColumn("a", F.least("ai", "aj")).withColumn("b", F.greatest("ai", "aj")).join(und.select("a", "b"), ["a", "b"], "left_semi"))
        per_edge = kept.groupBy("a", "b").agg(
            F.array_sort(F.collect_set("kind")).alias("kinds"),
            F.min(F.least("ti", "tj")).alias("first"),
            F.max(F.greatest("ti", "tj")).alias("last"),
            F.count(F.lit(1)).alias("co_actions"),
        )
        und = keep(und.join(per_edge, ["a", "b"]))
        edge_rows = sorted(und.collect(), key=lambda r: (r["a"], r["b"]))
        stats["edges"] = len(edge_rows)
        chance = {(a, b): (e, p) for a, b, e, p in tested.select("a", "b", "expected", "p").iter_rows()} if tested is not None else {}
        edges = tuple(
            Edge(r["a"], r["b"], int(r["weight"]), int(r["w_ab"]), int(r["w_ba"]), tuple(_BEHAVIOURS[k].value for k in r["kinds"]),
                 float(r["first"]), float(r["last"]), int(r["co_actions"]),
                 *((local_float(chance[(r["a"], r["b"])][0]), local_float(chance[(r["a"], r["b"])][1])) if (r["a"], r["b"]) in chance else (None, None)))
            for r in edge_rows
        )
        campaigns = _campaigns(actions, kept, und, s, keep, chance, stats) if edge_rows else ()
        if kinds is not None:
            pairs_kept = pl.DataFrame([(e.account_a, e.account_b) for e in edges], schema={"a": pl.String, "b": pl.String}, orient="row")
            kinds = kinds.join(pairs_kept, on=["a", "b"], how="semi") if edges else None
        campaigns = local.explain(campaigns, edges, kinds, s)
        campaigns = automation.classify(campaigns, _member_times(actions, campaigns))
        stats["campaigns"] = len(campaigns)
        return Detection(campaigns=campaigns, edges=edges, directed_edges=directed_edges, stats=stats)
    finally:
        for df in kept_frames:
            df.unpersist()


def local_float(value):
    return None if value is None or value != value else float(value)


def _significance(pairs, shares, pr, s: Settings):
    """Stage 4b on Spark: the null model's inputs are aggregated on the executors (shares per account,
    behaviour, time and crowd degree; co-actions per pair, behaviour, crowd and block), collected, and
    the test itself is :func:`coordination.significance` on the driver, so both engines decide alike."""
    from pyspark.sql import functions as F

    size = float(local.null_block(s))
    wanted = [_CODE[b] for b in s.behaviours if b is not Behaviour.NEAR_TEXT]
    null_shares = shares.filter(F.col("kind").isin(wanted)).select("row", "account", "t", "kind", "key")
    if Behaviour.NEAR_TEXT in s.behaviours:  # a near copy is drawn from the same texts
        null_shares = null_shares.unionByName(
            shares.filter(F.col("kind") == _CODE[Behaviour.TEXT]).select("row", "account", "t", F.lit(_CODE[Behaviour.NEAR_TEXT]).alias("kind"), "key"))
    # coordination.usual_copies: runs of the same thing (each share within the window of the previous
    # one); a share is usual when the shares in its block of the other runs no larger than its own
    # outnumber its run.
    from pyspark.sql import Window

    by_thing = Window.partitionBy("kind", "key").orderBy("t", "row")
    content = (
        null_shares.filter(F.col("kind").isin([_CODE[b] for b in local.CONTENT]))
        .withColumn("block", F.floor(F.col("t") / F.lit(size)).cast("long"))
        .withColumn("prev", F.lag("t").over(by_thing))
        .withColumn("starts", (F.col("prev").isNull() | (F.col("t") > F.col("prev") + F.lit(float(s.window)))).cast("long"))
        .withColumn("run", F.sum("starts").over(by_thing.rowsBetween(Window.unboundedPreceding, 0)))
    )
    bursts = content.groupBy("kind", "key", "run").agg(F.count(F.lit(1)).alias("burst"))
    runs = content.groupBy("kind", "key", "block", "run").agg(F.count(F.lit(1)).alias("here")).join(bursts, ["kind", "key", "run"])
    upto = (
        runs.groupBy("kind", "key", "block", "burst").agg(F.sum("here").alias("at"))
        .withColumn("upto", F.sum("at").over(Window.partitionBy("kind", "key", "block").orderBy("burst")
                                             .rowsBetween(Window.unboundedPreceding, 0)))
        .drop("at")
    )
    usual = (
        content.select("row", "kind", "key", "block", "run").join(runs, ["kind", "key", "block", "run"]).join(upto, ["kind", "key", "block", "burst"])
        .select(F.col("row").alias("r"), "kind", ((F.col("upto") - F.col("here")) > F.col("burst")).cast("int").alias("usual"))
        .groupBy("r", "kind").agg(F.min("usual").alias("usual"))  # a message with two links: usual when both are
    )
    degree = (
        pairs.select(F.col("ri").alias("r"), "kind").unionByName(pairs.select(F.col("rj").alias("r"), "kind"))
        .groupBy("r", "kind").agg(F.count(F.lit(1)).alias("d"))
    )
    null_shares = null_shares.join(usual.withColumnRenamed("r", "row"), ["row", "kind"], "left")
    share_rows = (
        null_shares.join(degree.withColumnRenamed("r", "row"), ["row", "kind"], "left")
        .select("account", "kind", F.col("t").alias("time"), F.coalesce(F.col("d"), F.lit(0)).cast("long").alias("degree"),
                F.coalesce(F.col("usual"), F.lit(0)).cast("long").alias("usual"))
        .groupBy("account", "kind", "time", "degree", "usual").agg(F.count(F.lit(1)).alias("n"))
        .collect()
    )
    shares_pl = pl.DataFrame(share_rows, schema={"account": pl.String, "kind": pl.Int8, "time": pl.Float64, "degree": pl.Int64, "usual": pl.Int64, "n": pl.Int64},
                             orient="row")
    context_kinds = [_CODE[b] for b in Behaviour if b not in local.CONTENT]

    def cls(d, u):
        # coordination.share_class, written in Spark's integer arithmetic.
        crowd = d + 1
        coarse = (crowd >= local.CROWD_CLASSES[0]).cast("int") + (crowd >= local.CROWD_CLASSES[1]).cast("int") + 3 * F.coalesce(u, F.lit(0))
        doublings = sum((crowd >= (1 << k)).cast("int") for k in range(1, local.CONTEXT_CLASS_BITS + 1))
        return (F.when(~F.col("kind").isin(context_kinds), coarse).when(d == 0, F.lit(local.ALONE))
                .otherwise(doublings + F.lit(local.CONTEXT_CLASS_BASE)))

    with_usual = degree.join(usual, ["r", "kind"], "left")
    di = with_usual.select(F.col("r").alias("ri"), "kind", F.col("d").alias("di"), F.col("usual").alias("ui"))
    dj = with_usual.select(F.col("r").alias("rj"), "kind", F.col("d").alias("dj"), F.col("usual").alias("uj"))
    co_rows = (
        pr.join(di, ["ri", "kind"], "left").join(dj, ["rj", "kind"], "left")
        .select(F.least("ai", "aj").alias("a"), F.greatest("ai", "aj").alias("b"), "kind", F.greatest("di", "dj").alias("dm"),
                F.least(cls(F.col("di"), F.col("ui")), cls(F.col("dj"), F.col("uj"))).alias("glo"),
                F.greatest(cls(F.col("di"), F.col("ui")), cls(F.col("dj"), F.col("uj"))).alias("ghi"),
                F.floor(F.least("ti", "tj") / F.lit(size)).cast("long").alias("block"),
                F.when(F.col("ai") <= F.col("aj"), F.col("ri")).otherwise(F.col("rj")).alias("ra"),
                F.when(F.col("ai") <= F.col("aj"), F.col("rj")).otherwise(F.col("ri")).alias("rb"))
        .groupBy("a", "b", "kind", "dm", "glo", "ghi", "block")
        .agg(F.count(F.lit(1)).alias("n"), F.least(F.countDistinct("ra"), F.countDistinct("rb")).alias("x"))
        .collect()
    )
    co_pl = pl.DataFrame(co_rows, schema={"a": pl.String, "b": pl.String, "kind": pl.Int8, "dm": pl.Int64, "glo": pl.Int8, "ghi": pl.Int8,
                                          "block": pl.Int64, "n": pl.Int64, "x": pl.Int64}, orient="row")
    shares_in, co_in = local.null_inputs(shares_pl, co_pl, s)
    return local.significance(shares_in, co_in, s)


# --------------------------------------------------------------------------- shares and co-actions


def normalise_text(column):
    """The local engine's :func:`coordination.normalise_text` as a Spark column expression."""
    from pyspark.sql import functions as F

    value = F.lower(column)
    for pattern in (_URL_RE, _MENTION_RE, _NON_WORD_RE, _SPACES_RE):
        value = F.regexp_replace(value, pattern, " ")
    return F.trim(value)


def domains_of(urls):
    """The local engine's ``domain_of``: each URL's host, lower case, without scheme, user, port, path
    or a leading ``www.``; values whose host has no dot are left out."""
    from pyspark.sql import functions as F

    hosts = F.transform(urls, lambda u: F.regexp_extract(F.lower(F.regexp_replace(u, _EDGE_SPACES_RE, "")), _DOMAIN_RE, 1))
    return F.filter(hosts, lambda h: F.instr(h, ".") > 0)


def _objects(s: Settings):
    """The array of ``(kind, key)`` objects each action shares, for every behaviour except text."""
    from pyspark.sql import functions as F

    def one(kind: Behaviour, value):
        return F.array(F.struct(F.lit(_CODE[kind]).alias("kind"), value.cast("string").alias("key")))

    def many(kind: Behaviour, values):
        return F.transform(F.array_distinct(values), lambda v: F.struct(F.lit(_CODE[kind]).alias("kind"), v.alias("key")))

    wanted = s.behaviours
    objects = []
    if Behaviour.REPOST in wanted:
        objects.append(one(Behaviour.REPOST, F.col("repost_of")))
    if Behaviour.REPLY in wanted:
        objects.append(one(Behaviour.REPLY, F.col("reply_to")))
    for kind, column in ((Behaviour.URL, "urls"), (Behaviour.OBSERVABLE, "observables"), (Behaviour.IMAGE, "images")):
        if kind in wanted:
            objects.append(many(kind, F.col(column)))
    if Behaviour.DOMAIN in wanted:
        objects.append(many(Behaviour.DOMAIN, F.concat(domains_of(F.col("urls")), F.transform(F.col("domains"), lambda d: F.lower(d)))))
    if Behaviour.HASHTAG in wanted:
        tags = F.transform(
            F.concat(F.col("hashtags"), F.regexp_extract_all(F.col("text"), F.lit(_HASHTAG_RE), 0)),
            lambda tag: F.regexp_replace(F.lower(tag), "^#+", ""),
        )
        objects.append(many(Behaviour.HASHTAG, tags))
    return F.concat(*objects) if objects else F.array().cast("array<struct<kind:int,key:string>>")


def _pairs(actions, s: Settings, keep):
    """Co-actions ``(ri, rj, kind)`` with ``ri < rj`` (rows), as the local engine finds them, and the
    number of shares (the local engine's ``shares`` count).

    Objects: an object shared by more than ``max_object_accounts`` accounts is dropped (for text, a
    stock phrase is then not compared with anything either); without ``loops`` an object shared by one
    account only is dropped too (it can only give loops). Near-identical text: every pair of eligible
    rows with different texts, word-set Jaccard ≥ ``similarity`` and ``|Δt| ≤ W``, found exactly by
    prefix filtering (see :func:`_near_pairs`)."""
    from pyspark.sql import functions as F

    text_wanted = bool({Behaviour.TEXT, Behaviour.NEAR_TEXT} & s.behaviours)
    columns = [F.col("row"), F.col("account"), F.col("time").alias("t"), _objects(s).alias("objects")]
    if text_wanted:
        norm = normalise_text(F.col("text"))
        # A repost's text is the original's, not the reposter's words (as in the local engine's _text_pairs).
        eligible = ((norm != "") & (F.size(F.split(norm, " ")) >= max(s.min_text_words, 1))
                    & (F.coalesce(F.col("repost_of"), F.lit("")) == ""))
        columns.append(F.when(eligible, norm).otherwise(F.lit("")).alias("norm"))
    base = keep(actions.select(columns))
    simple = (
        base.select("row", "account", "t", F.explode("objects").alias("o"))
        .select("row", "account", "t", F.col("o.kind").cast("int").alias("kind"), F.col("o.key").alias("key"))
        .filter(F.col("key").isNotNull() & (F.col("key") != ""))
    )
    texts = None
    shares = simple
    if text_wanted:
        texts = base.select("row", "account", "t", "norm").filter(F.col("norm") != "")
        shares = shares.unionByName(texts.select("row", "account", "t", F.lit(_CODE[Behaviour.TEXT]).alias("kind"), F.col("norm").alias("key")))
    shares = keep(shares)
    n_shares = shares.count()

    stats = shares.groupBy("kind", "key").agg(F.count(F.lit(1)).alias("rows"), F.countDistinct("account").alias("n")).filter(F.col("rows") >= 2)
    usable = F.lit(True) if s.loops else F.col("n") >= 2
    if s.max_object_accounts is not None:
        usable = usable & (F.col("n") <= s.max_object_accounts)
    stats = keep(stats.withColumn("usable", usable))
    object_kinds = [_CODE[b] for b in s.behaviours if b is not Behaviour.NEAR_TEXT]
    objects = shares.filter(F.col("kind").isin(object_kinds)).join(stats.filter("usable").select("kind", "key"), ["kind", "key"], "left_semi")
    if s.max_crowd is not None and s.window > 0:
        # Stage 2b, the crowd guard: an object shared more than max_crowd times in some bucket
        # floor(t / W) and the two next to it is not paired at all (coordination.crowd_totals).
        bucketed = objects.withColumn("b", F.floor(F.col("t") / F.lit(float(s.window))).cast("long"))
        counts = bucketed.groupBy("kind", "key", "b").agg(F.count(F.lit(1)).alias("c"))
        crowd = (
            counts.unionByName(counts.withColumn("b", F.col("b") + 1)).unionByName(counts.withColumn("b", F.col("b") - 1))
            .groupBy("kind", "key", "b").agg(F.sum("c").alias("crowd"))
        )
        objects = bucketed.join(crowd.filter(F.col("crowd") > s.max_crowd).select("kind", "key").distinct(), ["kind", "key"], "left_anti").drop("b")
    pairs = _window(objects, s.window).select("ri", "rj", "kind")
    if Behaviour.NEAR_TEXT in s.behaviours:
        if s.max_object_accounts is not None:  # a stock phrase is not compared with anything
            popular = stats.filter((F.col("kind") == _CODE[Behaviour.TEXT]) & (F.col("n") > s.max_object_accounts)).select(F.col("key").alias("norm"))
            texts = texts.join(popular, "norm", "left_anti")
        pairs = pairs.unionByName(_near_pairs(texts, s, keep))
    pairs = pairs.select(F.least("ri", "rj").alias("ri"), F.greatest("ri", "rj").alias("rj"), "kind").filter(F.col("ri") != F.col("rj")).distinct()
    return keep(pairs), n_shares, shares


def _window(shares, window: float, carry: tuple[str, ...] = ()):
    """``(ri, rj, kind, key, *carry_i, *carry_j)``: every pair of rows sharing an object (``kind``, ``key``)
    with ``t_i ≤ t_j ≤ t_i + W`` (each unordered pair once: equal times are ordered by row). An
    equi-join on time buckets; exact, as the module docstring explains."""
    from pyspark.sql import functions as F

    if window == 0:
        bucket = last = F.col("t")
    else:
        bucket, last = F.floor(F.col("t") / F.lit(window)), F.floor((F.col("t") + F.lit(window)) / F.lit(window))
    timed = shares.select("row", "kind", "key", "t", *carry, bucket.alias("bucket"), last.alias("last"))
    probe_bucket = F.col("bucket") if window == 0 else F.explode(F.sequence("bucket", "last")).alias("bucket")
    probes = timed.select(F.col("row").alias("ri"), "kind", "key", F.col("t").alias("ti"), *[F.col(c).alias(c + "_i") for c in carry], probe_bucket)
    others = timed.select(F.col("row").alias("rj"), "kind", "key", F.col("t").alias("tj"), *[F.col(c).alias(c + "_j") for c in carry], "bucket")
    earlier = (F.col("ti") < F.col("tj")) | ((F.col("ti") == F.col("tj")) & (F.col("ri") < F.col("rj")))
    return (
        probes.join(others, ["kind", "key", "bucket"])
        .filter(earlier & (F.col("tj") <= F.col("ti") + F.lit(window)))
        .select("ri", "rj", "kind", "key", *[c + "_i" for c in carry], *[c + "_j" for c in carry])
    )


def _near_pairs(texts, s: Settings, keep):
    """``(ri, rj, kind)`` for near-identical text: rows with different normalised texts whose word-token
    sets have Jaccard similarity ≥ ``s.similarity`` and ``|Δt| ≤ W``. Exact, by prefix filtering as the
    local engine does it: order all tokens by (number of texts holding it, hash); if J(x, y) ≥ t then
    |x ∩ y| ≥ ⌈t·|x|⌉, so x and y share a token among the first ``|x| − ⌈t·|x|⌉ + 1`` of x's tokens in
    that order and among y's. Those prefix tokens are objects for the sliding window; every candidate
    pair is then checked with the exact Jaccard similarity of the two token sets. Tokens are the local
    engine's (``_tokens``: 64-bit hashes of words), computed per distinct text in a Python function."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    schema = T.StructType([T.StructField("norm", T.StringType(), False), T.StructField("tokens", T.ArrayType(T.LongType(), False), False)])
    size, seed = s.shingle_size, s.seed
    norms = texts.select("norm").distinct()
    docs = keep(norms.sparkSession.createDataFrame(norms.rdd.mapPartitions(lambda rows: _token_partition(rows, size, seed)), schema))
    exploded = docs.select("norm", F.size("tokens").alias("size"), F.explode("tokens").alias("token"))
    frequency = exploded.groupBy("token").agg(F.count(F.lit(1)).alias("df"))
    overlap = F.greatest(F.ceil(F.lit(s.similarity) * F.col("size") - F.lit(1e-9)), F.lit(1))
    prefix = (
        exploded.join(frequency, "token")
        .groupBy("norm", "size").agg(F.array_sort(F.collect_list(F.struct("df", "token"))).alias("ordered"))
        .select("norm", F.explode(F.slice("ordered", 1, (F.col("size") - overlap + 1).cast("int"))).alias("p"))
        .select("norm", F.col("p.token").cast("string").alias("key"))
    )
    shares = texts.join(prefix, "norm").select("row", "t", F.lit(_CODE[Behaviour.NEAR_TEXT]).alias("kind"), "key", "norm")
    candidates = keep(_window(shares, s.window, ("norm",)).filter(F.col("norm_i") != F.col("norm_j")).select(
        "ri", "rj", F.least("norm_i", "norm_j").alias("na"), F.greatest("norm_i", "norm_j").alias("nb")
    ).distinct())
    inter = F.size(F.array_intersect("sa", "sb"))
    similar = (
        candidates.select("na", "nb").distinct()
        .join(docs.select(F.col("norm").alias("na"), F.col("tokens").alias("sa")), "na")
        .join(docs.select(F.col("norm").alias("nb"), F.col("tokens").alias("sb")), "nb")
        .filter((inter / (F.size("sa") + F.size("sb") - inter)) >= F.lit(s.similarity))
        .select("na", "nb")
    )
    return candidates.join(similar, ["na", "nb"], "left_semi").select("ri", "rj", F.lit(_CODE[Behaviour.NEAR_TEXT]).alias("kind"))


def _token_partition(rows: Iterable, size: int, seed: int) -> Iterator[tuple]:
    """``(norm, sorted distinct token hashes)`` for the texts of one partition, by the local engine's ``_tokens``."""
    norms = [r[0] for r in rows]
    if not norms:
        return
    doc, h = local._tokens(pl.Series(norms, dtype=pl.String), size, seed)
    pairs = pl.DataFrame({"doc": doc, "h": h.view(np.int64)}).unique().sort("doc", "h")
    doc = pairs["doc"].to_numpy()
    h = pairs["h"].to_numpy()
    starts = np.searchsorted(doc, np.arange(len(norms) + 1))
    for d, norm in enumerate(norms):
        yield norm, h[starts[d]: starts[d + 1]].tolist()


# --------------------------------------------------------------------------- components and campaigns


def components(edges, keep=lambda df: df, max_rounds: int = 10_000):
    """``(account, c)``: the connected-component label of every account on an edge (the smallest
    account name in its component), by min-label propagation with pointer jumping. ``edges`` has
    columns ``a`` and ``b``. Each round takes every account's smallest neighbouring label, then
    jumps once (a label's own label); it stops when a round changes nothing."""
    from pyspark.sql import functions as F

    arcs = edges.select("a", "b").unionByName(edges.select(F.col("b").alias("a"), F.col("a").alias("b")))
    arcs = keep(arcs.filter(F.col("a") != F.col("b")).distinct())
    labels = edges.select(F.col("a").alias("v")).unionByName(edges.select(F.col("b").alias("v"))).distinct().withColumn("c", F.col("v"))
    labels = labels.localCheckpoint()
    for _ in range(max_rounds):
        lowest = arcs.join(labels.select(F.col("v").alias("b"), F.col("c").alias("cb")), "b").groupBy("a").agg(F.min("cb").alias("low"))
        relaxed = labels.join(lowest.withColumnRenamed("a", "v"), "v", "left").select("v", F.least("c", F.coalesce("low", "c")).alias("c"))
        jumped = relaxed.join(relaxed.select(F.col("v").alias("c"), F.col("c").alias("cc")), "c", "left").select(
            "v", F.least("c", F.coalesce("cc", "c")).alias("c")
        ).localCheckpoint()
        changed = jumped.join(labels.withColumnRenamed("c", "before"), "v").filter(F.col("c") != F.col("before")).limit(1).count()
        labels = jumped
        if not changed:
            return labels.withColumnRenamed("v", "account")
    raise RuntimeError("connected components did not converge")


def _member_times(actions, campaigns: tuple[Campaign, ...]) -> dict:
    """Every posting time of every campaign member, collected on the driver (members are few; a timer
    bot posts a few thousand times a month), for :func:`automation.classify`, which both engines call."""
    members = sorted({a for c in campaigns for a in c.accounts})
    if not members:
        return {}
    wanted = actions.sparkSession.createDataFrame([(a,) for a in members], "account string")
    rows = actions.select("account", "time").join(wanted, "account", "left_semi").collect()
    frame = pl.DataFrame([(r["account"], r["time"]) for r in rows], schema={"account": pl.String, "time": pl.Float64}, orient="row")
    return automation.member_times(frame, set(members))


def _campaigns(actions, kept, und, s: Settings, keep, chance: dict, stats: dict) -> tuple[Campaign, ...]:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    # Campaigns are components split into communities (local.campaign_labels), computed on the driver
    # from the collected edges (a few thousand even at millions of messages), so both engines split alike.
    pairs = [(r["a"], r["b"]) for r in und.select("a", "b").collect()]
    names = sorted({x for pair in pairs for x in pair})
    code = {x: k for k, x in enumerate(names)}
    ia, ib = np.array([code[a] for a, _ in pairs], np.int64), np.array([code[b] for _, b in pairs], np.int64)
    labels = local.campaign_labels(ia, ib, len(names))
    dropped = np.zeros(len(names), bool)
    if "pairs_tested" in stats:  # the significance stage ran (fdr set)
        p = np.array([chance[pair][1] if pair in chance else np.nan for pair in pairs], np.float64)
        dropped, stats["campaigns_chance_explains"] = local.campaigns_chance_explains(labels, ia, ib, p, stats["pairs_tested"], s.fdr)
    # Members of a campaign chance explains get no label, so the joins below leave out all their edges (loops too).
    label = und.sparkSession.createDataFrame([(x, names[int(labels[k])]) for k, x in enumerate(names) if not dropped[k]], "account string, c string")
    la = label.select(F.col("account").alias("a"), "c")
    lb = label.select(F.col("account").alias("b"), F.col("c").alias("cb"))
    # Edges between two campaigns (after a split) stay in the edge list but belong to neither campaign.
    und = und.join(la, "a").join(lb, "b").filter(F.col("c") == F.col("cb")).drop("cb")
    kept = kept.join(la, "a").join(lb, "b").filter(F.col("c") == F.col("cb")).drop("cb")

    def values(column: str):
        return F.array_sort(F.collect_set(F.when(F.col(column) != "", F.col(column)))).alias(column)

    by_edges = und.groupBy("c").agg(
        F.count(F.lit(1)).alias("edges"), F.sum("weight").alias("total"), F.array_sort(F.array_distinct(F.flatten(F.collect_list("kinds")))).alias("kinds"),
    )
    by_members = (
        und.select("c", F.col("a").alias("account")).unionByName(und.select("c", F.col("b").alias("account")))
        .groupBy("c").agg(F.array_sort(F.collect_set("account")).alias("accounts"))
    )
    rows = kept.select("c", F.col("ri").alias("row")).unionByName(kept.select("c", F.col("rj").alias("row"))).distinct()
    by_messages = rows.join(actions.select("row", "message_id", "time", "candidate", "constituency", "force"), "row").groupBy("c").agg(
        F.array_sort(F.collect_set("message_id")).alias("message_ids"), values("candidate"), values("constituency"), values("force"),
        F.min("time").alias("first"), F.max("time").alias("last"),
    )
    table = by_edges.join(by_members, "c").join(by_messages, "c").collect()

    # Evidence: the earliest co-actions, each written earlier message first (ties by message id), as the local engine writes them.
    swap = (F.col("tj") < F.col("ti")) | ((F.col("tj") == F.col("ti")) & (F.col("mj") < F.col("mi")))
    oriented = kept.select("c", "kind", *[F.when(swap, F.col(y)).otherwise(F.col(x)).alias(x) for x, y in (
        ("ri", "rj"), ("rj", "ri"), ("ti", "tj"), ("tj", "ti"), ("mi", "mj"), ("mj", "mi"))])
    order = Window.partitionBy("c").orderBy("ti", "tj", "mi", "mj", "kind")
    first = oriented.withColumn("n", F.row_number().over(order)).filter(F.col("n") <= s.evidence_per_campaign)
    detail = actions.select("row", "account", "message_id", "time", "text", *[c for c in _LIST_COLUMNS], "reply_to", "repost_of")
    first = first.select("c", "n", "ri", "rj", "kind").join(detail.select([F.col(c).alias(c + "_i") for c in detail.columns]), F.col("ri") == F.col("row_i")).join(
        detail.select([F.col(c).alias(c + "_j") for c in detail.columns]), F.col("rj") == F.col("row_j")
    )
    evidence: dict[str, list[Evidence]] = {}
    for r in sorted(first.collect(), key=lambda r: (r["c"], r["n"])):
        evidence.setdefault(r["c"], []).append(local._evidence_of(r.asDict()))
    return local._assemble_campaigns(table, evidence)


# --------------------------------------------------------------------------- reading on the cluster


def canonical(df):
    """A Spark DataFrame of actions with the engine's column names (any subset of :data:`COLUMNS`,
    lists as arrays or space-separated text, time as seconds or a timestamp) in canonical form: every
    column, nulls as empty values, ``row`` numbered in input order, ``message_id`` defaulting to
    ``row-N`` as the local engine names it. Rows without an account or a time are dropped; the
    returned count says how many."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    present = dict(df.dtypes)
    for required in ("account", "time"):
        if required not in present:
            raise ValueError(f"no column for {required!r} (found {', '.join(df.columns)})")
    exprs = []
    for name, dtype in COLUMNS.items():
        if name not in present:
            value = F.array().cast("array<string>") if name in _LIST_COLUMNS else (F.lit("") if dtype == pl.String() else F.lit(None).cast("double"))
        elif name in _LIST_COLUMNS:
            column = F.col(name)
            if present[name].startswith("array"):
                value = F.coalesce(column.cast("array<string>"), F.array().cast("array<string>"))
            else:
                value = F.filter(F.split(F.coalesce(column.cast("string"), F.lit("")), " "), lambda x: x != "")
        elif name == "time":
            if present[name] in ("timestamp", "timestamp_ntz", "date"):
                value = F.unix_micros(F.col(name).cast("timestamp")) / 1_000_000
            elif present[name] == "string":
                text = F.trim(F.col(name))
                value = F.coalesce(text.cast("double"), F.unix_micros(F.try_to_timestamp(text)) / 1_000_000)
            else:
                value = F.col(name).cast("double")
        else:
            value = F.coalesce(F.col(name).cast("string"), F.lit(""))
            if name == "account":
                value = F.trim(value)
        exprs.append(value.cast("double" if name == "time" else ("array<string>" if name in _LIST_COLUMNS else "string")).alias(name))
    selected = df.select(exprs)
    spark = df.sparkSession
    numbered = spark.createDataFrame(
        selected.rdd.zipWithIndex().map(lambda pair: (pair[1], *pair[0])),
        T.StructType([T.StructField("row", T.LongType(), False), *selected.schema.fields]),
    )
    good = numbered.filter((F.col("account") != "") & F.col("time").isNotNull())
    good = good.withColumn("message_id", F.when(F.col("message_id") == "", F.concat(F.lit("row-"), F.col("row").cast("string"))).otherwise(F.col("message_id")))
    total = numbered.count()
    good = good.cache()
    return good, total - good.count()


def read_actions(spark, path: str, *, fmt: str | None = None, columns: dict[str, str] | None = None):
    """Read actions from any path Spark can read (``hdfs://``, ``s3a://``, ``gs://``, a local file or
    folder): Parquet, JSON Lines or CSV with a header. Other tools' column names are mapped as
    :mod:`coordination_io` maps them. Returns ``(canonical frame, rows dropped)``."""
    from ballotguard.engines.coordination.readers import ALIASES

    fmt = fmt or _format_of(path)
    reader = spark.read
    if fmt == "csv":
        df = reader.option("header", True).option("multiLine", True).option("escape", '"').csv(path)
    elif fmt == "json":
        df = reader.json(path)
    else:
        df = reader.parquet(path)
    mapping = {**ALIASES, **(columns or {})}
    for name in df.columns:
        target = mapping.get(name.strip(), name.strip())
        if target in COLUMNS and target not in df.columns:
            df = df.withColumnRenamed(name, target)
    return canonical(df)


def _format_of(path: str) -> str:
    suffix = pathlib.PurePosixPath(path.rstrip("/")).suffix.lower()
    return {".csv": "csv", ".jsonl": "json", ".ndjson": "json", ".json": "json"}.get(suffix, "parquet")


def write_outputs(found: Detection, out: pathlib.Path, settings: Settings, extra: dict | None = None) -> None:
    """``out/campaigns.json`` (every field of every campaign) and ``out/edges.csv``, on the driver."""
    out.mkdir(parents=True, exist_ok=True)
    document = {
        **(extra or {}),
        "settings": {k: (sorted(b.value for b in v) if k == "behaviours" else v) for k, v in asdict(settings).items()},
        "edges": len(found.edges), "directed_edges": found.directed_edges, "stats": found.stats,
        "campaigns": [asdict(c) for c in found.campaigns],
    }
    (out / "campaigns.json").write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    with (out / "edges.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([f.name for f in fields(Edge)])
        for e in found.edges:
            writer.writerow([" ".join(e.behaviours) if f.name == "behaviours" else getattr(e, f.name) for f in fields(Edge)])


def _fdr_or_exit(parser: argparse.ArgumentParser, text: str) -> float | None:
    try:
        return parse_fdr(text)
    except ValueError as exc:
        parser.error(f"--fdr: {exc}")


def main(argv: list[str] | None = None) -> None:
    """``spark-submit … coordination_spark.py INPUT --out DIR [settings]``: detect on a cluster.
    INPUT is any path Spark reads; DIR is on the driver."""
    parser = argparse.ArgumentParser(description="Find coordinated campaigns with Spark.")
    parser.add_argument("input", help="Parquet, JSON Lines or CSV: a file or folder on any filesystem Spark reads (hdfs://, s3a://, ...).")
    parser.add_argument("--out", required=True, type=pathlib.Path, help="Directory on the driver for campaigns.json and edges.csv.")
    parser.add_argument("--format", choices=("parquet", "json", "csv"), default=None, help="Input format (default: from the suffix; Parquet otherwise).")
    parser.add_argument("--master", default=None, help="Spark master when not started by spark-submit (default local[2]).")
    parser.add_argument("--column", action="append", default=[], metavar="SOURCE=ENGINE", help="Map another column name, e.g. object_id=repost_of.")
    parser.add_argument("--window", type=float, default=Settings.window)
    parser.add_argument("--similarity", type=float, default=Settings.similarity)
    parser.add_argument("--behaviours", default=None,
                        help=f"Comma-separated behaviours (default {','.join(sorted(b.value for b in Settings.behaviours))}: as the local engine, no domain or reply).")
    parser.add_argument("--min-weight", type=int, default=Settings.min_edge_weight)
    parser.add_argument("--min-account-actions", type=int, default=Settings.min_account_actions)
    parser.add_argument("--max-object-accounts", type=int, default=0, help="0 (the default) keeps all.")
    parser.add_argument("--fdr", default=str(Settings.fdr), help=f"False-discovery rate of the significance test (default {Settings.fdr:g}); campaigns that chance explains as a whole at this level are not reported; 'off' skips both.")
    parser.add_argument("--min-text-words", type=int, default=Settings.min_text_words)
    parser.add_argument("--loops", action="store_true")
    args = parser.parse_args(argv)
    behaviours = frozenset(Behaviour(b.strip()) for b in args.behaviours.split(",") if b.strip()) if args.behaviours else Settings.behaviours
    settings = Settings(window=args.window, similarity=args.similarity, behaviours=behaviours, min_edge_weight=args.min_weight,
                        min_account_actions=args.min_account_actions, max_object_accounts=args.max_object_accounts or None,
                        fdr=_fdr_or_exit(parser, args.fdr),
                        min_text_words=args.min_text_words, loops=args.loops)
    mapping = dict(pair.split("=", 1) for pair in args.column)
    started = _time.perf_counter()
    spark = session(args.master or DEFAULT_MASTER)
    frame, dropped = read_actions(spark, args.input, fmt=args.format, columns=mapping)
    found = detect_frame(frame, settings)
    write_outputs(found, args.out, settings, {"input": args.input, "rows_without_account_or_time": dropped})
    print(f"Found {len(found.campaigns):,} campaigns ({len(found.edges):,} edges, {found.directed_edges:,} directed) in "
          f"{found.stats['actions']:,} actions ({dropped:,} rows without an account or time) in {_time.perf_counter() - started:.1f} s; "
          f"wrote {args.out / 'campaigns.json'} and {args.out / 'edges.csv'}.")


__all__ = ["DEFAULT_MASTER", "canonical", "components", "detect", "detect_frame", "main", "normalise_text", "read_actions", "session", "to_spark"]

if __name__ == "__main__":
    main()
