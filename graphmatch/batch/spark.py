"""Everyone's top-k on Apache Spark: the in-process batch's answers, on DataFrames.

The job ranks by the one rule of :mod:`graphmatch.rule`, so its output equals the in-process
batch (:func:`graphmatch.batch.run_batch`) row for row: the same candidates (distance 2,
never the person, a friend, anyone blocked either way, anyone who opted out of discovery,
or anyone the person dismissed), the same scores bit for bit, the same order and the same
named mutual friends.

How each part of the rule is kept on the JVM:

- **Weights.** Java's ``Math.log`` differs from Python's ``math.log`` by one ulp for some
  degrees, so no weight is computed in Spark: the driver computes ``aa_weight`` and
  ``ra_weight`` in Python for each distinct degree (a few hundred values: 227 on
  ego-Facebook) and the job joins that small table in as a broadcast.
- **Canonical sums.** A pair's mutual friends are collected as ``(degree, weight)``, sorted
  ascending and folded left from 0.0 with Spark's ``aggregate``: the same additions, in the
  same order, as :func:`graphmatch.rule.weighted_sum` and the kernels. Products (``cn_ra``)
  and quotients (``jaccard``) are single IEEE operations on both sides.
- **The quantum and the order.** :func:`graphmatch.rule.quantise` with its ``QUANTUM_INV``
  (the JVM does not fuse the multiply and add), then quantised score descending, mutual
  count descending, id ascending
  (Spark compares strings by their UTF-8 bytes, which is code-point order: Python's).
- **Explanations.** The named mutual friends of each kept suggestion are found afterwards
  (the top-k pairs joined with the person's friends and the candidate's), skipping people
  who opted out of being shown and anyone blocked either way with the person (both still
  counted), fewest friends first, then id.
- **Output.** Scores are written by Python (``repr``) in a Python UDF on the executors, since
  Java's ``Double.toString`` is not Python's float repr; the lines are the in-process JSONL.

Hubs. The two-hop join emits one row per pair of friends of each mutual friend w, so
``sum d(w) * (d(w) - 1) / 2`` rows (pairs are formed once, ``u < v``, and mirrored after the
aggregation; 9.3M rows on ego-Facebook, whose largest hub has 1,045 friends). The degree
cap bounds it: mutual friends with more than ``max_degree`` friends are left out of the join
(as the rule leaves them out of the scores), so no row comes from a hub and the join is at
most ``max_degree / 2`` rows per friendship end; on ego-Facebook a cap of 200 leaves 7.1M of
the 9.3M pair rows, a cap of 50 leaves 0.75M. Without a cap, the aggregation after the join is
keyed by the pair, so it spreads a hub's pairs over every task; the join itself spreads them
only while the counted friendships fit a broadcast (Spark's 10 MB threshold): a shuffle join
is keyed by the mutual friend, so all ``d(w)(d(w)-1)/2`` pairs of a hub come out of the one
task that holds it, and the slowest task is at least the biggest hub's. ``salt_above=H``
salts the hubs: a mutual friend of d > H friends becomes ceil(d / H) join keys, its friends
dealt to one key each on one side of the join (by a hash) and copied to every key on the
other, so each pair still meets once, on one of several tasks (the same rows, so the same
answers; the right side grows by d * (ceil(d / H) - 1) rows per hub). On 3,000 people with
three planted hubs of 1,500, the join's largest task went from 1.19M rows (25x the median)
to 0.66M (1.4x); docs/performance.md, "Hubs", has the measurements.

Nothing in the job lives only on the driver: inputs are DataFrames (an edge-list file is
read by the driver and shipped as one; Parquet is read by the executors), the weight table
is a broadcast, and output is written by the executors (``overwrite`` mode, so a rerun
replaces the output rather than adding to it). The executors need graphmatch importable
(the same install, or ``--py-files``) for the UDF that writes JSON lines.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from graphmatch.errors import InvalidInput
from graphmatch.rule import DEFAULT_SCORE, QUANTUM_INV, WEIGHTED, aa_weight, check_score, ra_weight
from graphmatch.stores.protocol import Dismisses

__all__ = [
    "RESULT_COLUMNS",
    "BatchFrames",
    "SparkReport",
    "frames_from_edgelist",
    "frames_from_parquet",
    "frames_from_store",
    "has_active_session",
    "jsonl_line",
    "rank_frame",
    "read_jsonl_parts",
    "run_spark_batch",
    "session",
    "shuffle_bytes",
]

_PEOPLE = T.StructType([T.StructField("id", T.StringType(), False)])
_PAIRS = T.StructType(
    [T.StructField("a", T.StringType(), False), T.StructField("b", T.StringType(), False)]
)
_CONSENT = T.StructType(
    [
        T.StructField("id", T.StringType(), False),
        T.StructField("discoverable", T.BooleanType(), True),
        T.StructField("show_as_mutual", T.BooleanType(), True),
    ]
)
#: What :func:`rank_frame` returns: the Parquet output's columns.
RESULT_COLUMNS = ("id", "rank", "suggested", "score", "mutual_count", "mutual")


@dataclass(frozen=True)
class BatchFrames:
    """The inputs of a Spark batch, as DataFrames.

    Attributes
    ----------
    people : DataFrame
        ``id`` (string): everyone, including people without friends (everyone who appears
        in a friendship is added).
    friendships : DataFrame
        ``a, b`` (strings), undirected; duplicates, either direction and self-loops are fine.
    blocks : DataFrame
        ``a, b``: a blocked b (both are hidden from each other).
    consent : DataFrame
        ``id, discoverable, show_as_mutual`` (booleans; a missing row or null means True).
    dismissals : DataFrame, optional
        ``a, b``: a dismissed b ("not interested"): b is never suggested to a (one way; a
        friend is never suggested anyway, and is still named as a mutual friend).
    """

    people: DataFrame
    friendships: DataFrame
    blocks: DataFrame
    consent: DataFrame
    dismissals: DataFrame | None = None


@dataclass
class SparkReport:
    """What a Spark batch run did.

    Attributes
    ----------
    people : int
        Lines of the JSONL output (everyone), or -1 when only Parquet was written.
    seconds : float
        Wall time of the run, Spark jobs included.
    outputs : list of str
        The paths written.
    params : dict
        Score, k, explain, degree cap.
    """

    people: int
    seconds: float
    outputs: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return asdict(self)


def session(
    master: str = "local[2]", *, shuffle_partitions: int = 8, ui: bool = False, **conf: str
) -> SparkSession:
    """Return a Spark session for the batch (one per process; an existing one is reused).

    Parameters
    ----------
    master : str, default "local[2]"
        ``local[N]`` or a cluster URL such as ``spark://host:7077``.
    shuffle_partitions : int, default 8
        ``spark.sql.shuffle.partitions`` (Spark's 200 is far too many for small graphs:
        each is a task).
    ui : bool, default False
        Start the web UI (and its REST API, which :func:`shuffle_bytes` reads).
    **conf : str
        More Spark settings (dots written as ``__``, e.g. ``spark__driver__memory="4g"``).

    Returns
    -------
    SparkSession

    Examples
    --------
    >>> spark = session("local[2]")  # doctest: +SKIP
    """
    # The Python workers run this interpreter (the same install of graphmatch), not whatever
    # `python3` is first on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(master)
        .appName("graphmatch-batch")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.ui.enabled", "true" if ui else "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.adaptive.enabled", "true")
    )
    for key, value in conf.items():
        builder = builder.config(key.replace("__", "."), value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def has_active_session() -> bool:
    """Return whether this process already runs a Spark session (one to reuse, not stop).

    Returns
    -------
    bool

    Examples
    --------
    >>> has_active_session()  # doctest: +SKIP
    False
    """
    return SparkSession.getActiveSession() is not None


def _consent_frame(spark: SparkSession, rows: list[tuple[str, bool, bool]]) -> DataFrame:
    """Return a consent DataFrame of (id, discoverable, show_as_mutual) rows."""
    return _shipped(spark.createDataFrame(rows, _CONSENT))


def _shipped(df: DataFrame) -> DataFrame:
    """Return driver-made data as partitions cached on the executors."""
    # A DataFrame made on the driver is a LocalRelation inside every plan that reads it: the
    # optimiser then evaluates filters and projections over it on the driver, once per
    # reference (the job refers to the friendships a dozen times: minutes of planning on
    # ego-Facebook before any task ran). Repartitioned and cached, the executors hold it.
    parts = max(2, df.sparkSession.sparkContext.defaultParallelism)
    out = df.repartition(parts).persist()
    out.count()
    return out


def _arrow_or_rows(spark: SparkSession, columns: dict[str, list[str]], schema: Any) -> DataFrame:
    """Return a DataFrame of string columns, shipped as Arrow when pyarrow is installed."""
    try:
        import pyarrow as pa
    except ImportError:  # plain rows: slower (pickled), the same data
        return _shipped(spark.createDataFrame(list(zip(*columns.values(), strict=True)), schema))
    table = pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()})
    return _shipped(spark.createDataFrame(table, schema))


def frames_from_edgelist(
    spark: SparkSession,
    path: str | Path,
    *,
    blocks: Sequence[tuple[str, str]] = (),
    undiscoverable: Sequence[str] = (),
    hidden_as_mutual: Sequence[str] = (),
) -> BatchFrames:
    """Read an edge list with :func:`graphmatch.loaders.read_edgelist` and ship it to Spark.

    Parameters
    ----------
    spark : SparkSession
        The session.
    path : str or Path
        An edge-list file the driver can read (``.txt``, ``.gz``, ``.csv``).
    blocks : sequence of (str, str), optional
        Blocks as (who, whom).
    undiscoverable, hidden_as_mutual : sequence of str, optional
        People who opted out of discovery, or of being shown as a mutual friend.

    Returns
    -------
    BatchFrames

    Raises
    ------
    InvalidInput, ParseError
        As :func:`graphmatch.loaders.read_edgelist`.

    Examples
    --------
    >>> frames = frames_from_edgelist(spark, "facebook_combined.txt.gz")  # doctest: +SKIP
    """
    from graphmatch.loaders import read_edgelist

    edges, _ = read_edgelist(path)
    a = [e[0] for e in edges]
    b = [e[1] for e in edges]
    people = sorted(set(a).union(b))
    hidden = set(hidden_as_mutual)
    off = set(undiscoverable)
    return BatchFrames(
        people=_arrow_or_rows(spark, {"id": people}, _PEOPLE),
        friendships=_arrow_or_rows(spark, {"a": a, "b": b}, _PAIRS),
        blocks=_shipped(spark.createDataFrame(list(blocks), _PAIRS)),
        consent=_consent_frame(
            spark, [(p, p not in off, p not in hidden) for p in sorted(off | hidden)]
        ),
    )


def frames_from_store(spark: SparkSession, store: Any) -> BatchFrames:
    """Ship a store's people, friendships, blocks and consent flags to Spark.

    Parameters
    ----------
    spark : SparkSession
        The session.
    store : MemoryStore or JournaledStore
        A store with ``graph`` (networkx), ``block_pairs``, ``undiscoverable`` and
        ``hidden_as_mutual``.

    Returns
    -------
    BatchFrames

    Examples
    --------
    >>> frames = frames_from_store(spark, gm.MemoryStore(G))  # doctest: +SKIP
    """
    graph = store.graph
    people = sorted(graph.nodes)
    edges = list(graph.edges)
    off = store.undiscoverable(people)
    hidden = store.hidden_as_mutual(people)
    return BatchFrames(
        people=_arrow_or_rows(spark, {"id": people}, _PEOPLE),
        friendships=_arrow_or_rows(
            spark, {"a": [e[0] for e in edges], "b": [e[1] for e in edges]}, _PAIRS
        ),
        blocks=_shipped(spark.createDataFrame(store.block_pairs(), _PAIRS)),
        consent=_consent_frame(
            spark, [(p, p not in off, p not in hidden) for p in sorted(off | hidden)]
        ),
        dismissals=(
            _shipped(spark.createDataFrame(store.dismissals(), _PAIRS))
            if isinstance(store, Dismisses)
            else None
        ),
    )


def frames_from_parquet(spark: SparkSession, folder: str) -> BatchFrames:
    """Read the inputs from Parquet datasets the executors can reach.

    ``FOLDER/friendships`` (columns ``a, b``) is required; ``FOLDER/people`` (``id``),
    ``FOLDER/blocks`` (``a, b``), ``FOLDER/consent`` (``id, discoverable,
    show_as_mutual``) and ``FOLDER/dismissals`` (``a, b``: a dismissed b) are read when
    present.

    Parameters
    ----------
    spark : SparkSession
        The session.
    folder : str
        A path or URL (``hdfs://``, ``s3a://``, a shared file system) holding the datasets.

    Returns
    -------
    BatchFrames

    Raises
    ------
    InvalidInput
        If ``friendships`` cannot be read.

    Examples
    --------
    >>> frames = frames_from_parquet(spark, "hdfs:///graph")  # doctest: +SKIP
    """
    base = folder.rstrip("/")

    def read(name: str, schema: T.StructType, required: bool) -> DataFrame:
        try:
            df = spark.read.parquet(f"{base}/{name}")
        except Exception as exc:  # AnalysisException: path does not exist
            if required:
                raise InvalidInput(f"cannot read {base}/{name} as Parquet: {exc}") from None
            return spark.createDataFrame([], schema)
        return df.select(*[F.col(f.name).cast(f.dataType) for f in schema.fields])

    return BatchFrames(
        people=read("people", _PEOPLE, False),
        friendships=read("friendships", _PAIRS, True),
        blocks=read("blocks", _PAIRS, False),
        consent=read("consent", _CONSENT, False),
        dismissals=read("dismissals", _PAIRS, False),
    )


def _check(
    score: str, k: int, explain: int, max_degree: int | None, salt_above: int | None = None
) -> dict[str, Any]:
    """Validate the parameters as the in-process batch does; return them as a dict."""
    from graphmatch.matcher import MAX_EXPLAIN, MAX_LIMIT

    check_score(score)
    for name, value, low, high in (("k", k, 1, MAX_LIMIT), ("explain", explain, 0, MAX_EXPLAIN)):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidInput(f"{name} must be an integer from {low} to {high}, got {value!r}")
    if max_degree is not None and (
        isinstance(max_degree, bool) or not isinstance(max_degree, int) or max_degree < 1
    ):
        raise InvalidInput(f"max_degree must be a positive integer, got {max_degree!r}")
    if salt_above is not None and (
        isinstance(salt_above, bool) or not isinstance(salt_above, int) or salt_above < 1
    ):
        raise InvalidInput(f"salt_above must be a positive integer, got {salt_above!r}")
    params: dict[str, Any] = {"score": score, "k": k, "explain": explain, "max_degree": max_degree}
    if salt_above is not None:
        params["salt_above"] = salt_above
    return params


def _weights(spark: SparkSession, degrees: DataFrame) -> DataFrame:
    """Return ``(d, wt_aa, wt_ra)`` for each distinct degree >= 2, computed by Python."""
    distinct = [int(r[0]) for r in degrees.select("d").distinct().collect() if r[0] >= 2]
    rows = [(d, aa_weight(d), ra_weight(d)) for d in sorted(distinct)]
    schema = "d long, wt_aa double, wt_ra double"
    return spark.createDataFrame(rows, schema)


def _keep(df: DataFrame, cached: list[DataFrame] | None) -> DataFrame:
    """Persist an intermediate now, record it for the caller to unpersist; return it."""
    df = df.persist()
    # Eagerly: with adaptive execution both sides of the self-join start as soon as planned,
    # and a lazily cached input is then computed twice (seen on ego-Facebook: two identical
    # 12 MB stages).
    df.count()
    if cached is not None:
        cached.append(df)
    return df


def rank_frame(
    frames: BatchFrames,
    score: str = DEFAULT_SCORE,
    k: int = 10,
    *,
    explain: int = 0,
    max_degree: int | None = None,
    cached: list[DataFrame] | None = None,
    salt_above: int | None = None,
) -> DataFrame:
    """Return everyone's top-k suggestions as a DataFrame, one row per suggestion.

    The adjacency, the degrees and the counted friends are cached on the executors now (three
    small jobs); the ranking itself runs when the result is written or collected.

    Parameters
    ----------
    frames : BatchFrames
        The graph and its consent data.
    score : str, default "cn_ra"
        One of :data:`graphmatch.SCORES`.
    k : int, default 10
        Suggestions per person.
    explain : int, default 0
        Named mutual friends per suggestion.
    max_degree : int, optional
        Degree cap on the mutual friends, as in :meth:`Matcher.suggest`.
    cached : list, optional
        Receives the intermediates the job persists (the adjacency, degrees, counted
        friends), to unpersist once the result is written.
    salt_above : int, optional
        Split each mutual friend of more than this many friends into ``ceil(d / salt_above)``
        join keys, so a hub's pairs are made by several tasks (the same rows and answers).

    Returns
    -------
    DataFrame
        ``id, rank (1-based), suggested, score, mutual_count, mutual (array of ids)``; people
        without suggestions have no rows.

    Raises
    ------
    InvalidInput
        For an unknown score or an out-of-range k, explain, max_degree or salt_above.

    Examples
    --------
    >>> rank_frame(frames, "jaccard", 5).orderBy("id", "rank").show()  # doctest: +SKIP
    """
    _check(score, k, explain, max_degree, salt_above)
    spark = frames.friendships.sparkSession
    fr = frames.friendships.select(F.col("a").alias("w"), F.col("b").alias("x"))
    fr = fr.where(F.col("w") != F.col("x"))
    # Both directions, each once: the adjacency. Degrees are the true ones (the cap only
    # decides which mutual friends count, as in the kernels).
    adj = fr.unionByName(fr.select(F.col("x").alias("w"), F.col("w").alias("x"))).distinct()
    adj = _keep(adj, cached)  # read five times below
    deg = _keep(adj.groupBy("w").agg(F.count(F.lit(1)).alias("d")), cached)
    consent = frames.consent
    banned = consent.where(F.col("discoverable") == F.lit(False)).select(F.col("id").alias("v"))
    hidden = (
        consent.where(F.col("show_as_mutual") == F.lit(False))
        .select(F.col("id").alias("w"), F.lit(True).alias("hidden"))
        .distinct()  # a person listed twice must not name a mutual friend twice
    )

    # The mutual friends that count: degree in [2, cap], with their weights.
    mid = adj.join(deg, "w").where(F.col("d") >= 2)
    if max_degree is not None:
        mid = mid.where(F.col("d") <= max_degree)
    weighted = score in WEIGHTED
    if weighted:
        wt = "wt_aa" if score == "adamic_adar" else "wt_ra"
        table = _weights(spark, deg).select("d", F.col(wt).alias("wt"))
        mid = mid.join(F.broadcast(table), "d")
    mid = _keep(mid, cached)

    # One row per (mutual friend, pair of its friends), each pair once (u < v): the two-hop
    # join, sum d(w)(d(w)-1)/2 rows; mirrored after the aggregation, which halves it.
    left = mid.select("w", F.col("x").alias("u"), "d", *(["wt"] if weighted else []))
    right = mid.select("w", F.col("x").alias("v"), "d")
    keys = ["w"]
    if salt_above is not None:
        # Salting: a hub w (degree d > salt_above) is split in ceil(d / salt_above) keys
        # (w, salt). Its friends on the left go to one bucket each (by a hash of the friend),
        # its friends on the right are copied into every bucket, so each pair of w's friends
        # still meets exactly once, but on one of several keys (tasks) rather than one. The
        # pairs are the same rows, so the aggregation (which sorts each pair's weights before
        # the fold) and every score bit are unchanged.
        buckets = F.greatest(F.lit(1), F.ceil(F.col("d") / F.lit(salt_above))).cast("long")
        left = left.withColumn("salt", F.pmod(F.xxhash64("u"), buckets))
        right = right.withColumn("salt", F.explode(F.sequence(F.lit(0).cast("long"), buckets - 1)))
        keys.append("salt")
    paths = left.drop("d").join(right.drop("d"), keys).where(F.col("u") < F.col("v"))
    aggs: list[Column] = [F.count(F.lit(1)).alias("cnt")]
    if weighted:
        # The canonical sum: ascending degree, folded left from 0.0 (rule.weighted_sum). Both
        # weights fall strictly as the degree grows, so ascending degree is descending
        # weight: a sort of plain doubles, where sorting (degree, weight) structs took
        # about twice as long in the two-hop stage.
        items = F.sort_array(F.collect_list("wt"), asc=False)
        aggs.append(
            F.aggregate(items, F.lit(0.0).cast("double"), lambda acc, x: acc + x).alias("ws")
        )
    pairs = paths.groupBy("u", "v").agg(*aggs)
    # Never a friend or anyone blocked either way: both are symmetric, so test u < v once.
    blocks = frames.blocks.select(F.col("a").alias("p"), F.col("b").alias("q"))
    excl = adj.select(F.col("w").alias("p"), F.col("x").alias("q")).unionByName(blocks)
    excl = excl.select(F.least("p", "q").alias("u"), F.greatest("p", "q").alias("v")).where(
        F.col("u") != F.col("v")
    )
    pairs = pairs.join(excl.distinct(), ["u", "v"], "left_anti")
    cols = ["cnt", *(["ws"] if weighted else [])]
    # Both directions from one scan of the pairs. A union of the pairs with their mirror has
    # the two-hop join in both branches, and Spark ran it twice (two identical stages, each
    # the job's heaviest, on ego-Facebook and synth 100k/1M; benchmarks/bench_batch.py).
    flip = F.explode(
        F.array(
            F.struct(F.col("u").alias("a"), F.col("v").alias("b")),
            F.struct(F.col("v").alias("a"), F.col("u").alias("b")),
        )
    ).alias("e")
    both = pairs.select(flip, *cols).select(F.col("e.a").alias("u"), F.col("e.b").alias("v"), *cols)
    # Never anyone who opted out of discovery, nor anyone u dismissed (one way; friends are
    # already gone, so only strangers are dropped and no explanation changes).
    both = both.join(banned, "v", "left_anti")
    if frames.dismissals is not None:
        gone = frames.dismissals.select(F.col("a").alias("u"), F.col("b").alias("v"))
        both = both.join(gone, ["u", "v"], "left_anti")

    cnt = F.col("cnt")
    if score == "common_neighbors":
        value = cnt.cast("double")
    elif score == "jaccard":
        du = deg.select(F.col("w").alias("u"), F.col("d").alias("du"))
        dv = deg.select(F.col("w").alias("v"), F.col("d").alias("dv"))
        both = both.join(du, "u").join(dv, "v")
        value = cnt.cast("double") / (F.col("du") + F.col("dv") - cnt).cast("double")
    elif score == "cn_ra":
        value = cnt.cast("double") * F.col("ws")
    else:
        value = F.col("ws")
    both = both.withColumn("score", value)
    both = both.withColumn("q", F.floor(F.col("score") * F.lit(QUANTUM_INV) + F.lit(0.5)))
    order = Window.partitionBy("u").orderBy(F.col("q").desc(), cnt.desc(), F.col("v").asc())
    top = both.withColumn("rank", F.row_number().over(order)).where(F.col("rank") <= k)
    top = top.select("u", "v", "rank", "score", "cnt")

    if explain > 0:
        # The named mutual friends of the kept pairs only (k per person, not every pair):
        # u's counted friends w that are also v's friends, shown ones, fewest friends first.
        walk = mid.select("w", F.col("x").alias("u"), "d").join(hidden, "w", "left")
        walk = walk.where(F.col("hidden").isNull())
        # Nor anyone blocked either way with u (still counted): a list shown to u never names
        # them (kernels._explain does the same with u's block list).
        unnamed = blocks.select(F.col("p").alias("u"), F.col("q").alias("w")).unionByName(
            blocks.select(F.col("q").alias("u"), F.col("p").alias("w"))
        )
        walk = walk.join(unnamed, ["u", "w"], "left_anti")
        cand = top.select("u", "v").join(walk, "u")
        shared = cand.join(adj.select("w", F.col("x").alias("v")), ["w", "v"])
        named = shared.groupBy("u", "v").agg(
            F.transform(
                F.slice(F.array_sort(F.collect_list(F.struct("d", "w"))), 1, explain),
                lambda x: x["w"],
            ).alias("mutual")
        )
        top = top.join(named, ["u", "v"], "left").withColumn(
            "mutual", F.coalesce("mutual", F.array().cast("array<string>"))
        )
    else:
        top = top.withColumn("mutual", F.array().cast("array<string>"))
    return top.select(
        F.col("u").alias("id"),
        F.col("rank").cast("int").alias("rank"),
        F.col("v").alias("suggested"),
        "score",
        F.col("cnt").cast("long").alias("mutual_count"),
        "mutual",
    )


def _quote(person: str) -> str:
    """Return the JSON string of an id, as the in-process JSONL writes it."""
    return json.dumps(person)


def jsonl_line(person: str, suggestions: list[Any] | None, explain: bool) -> str:
    """Return one person's JSON line (no newline), byte for byte the in-process batch's.

    Parameters
    ----------
    person : str
        The person's id.
    suggestions : list of rows, or None
        ``(suggested, score, mutual_count, mutual)`` rows, best first.
    explain : bool
        Whether each suggestion carries ``"mutual"``.

    Returns
    -------
    str
        ``{"id":...,"suggestions":[...]}``.

    Examples
    --------
    >>> jsonl_line("a", [("b", 0.5, 1, ["w"])], True)
    '{"id":"a","suggestions":[{"id":"b","score":0.5,"mutual_count":1,"mutual":["w"]}]}'
    """
    items = []
    for v, s, c, mutual in suggestions or ():
        # repr(float) is what json.dumps writes for a finite float; Java's toString is not.
        item = f'{{"id":{_quote(v)},"score":{float(s)!r},"mutual_count":{int(c)}'
        if explain:
            item += ',"mutual":[' + ",".join(map(_quote, mutual or ())) + "]"
        items.append(item + "}")
    return f'{{"id":{_quote(person)},"suggestions":[{",".join(items)}]}}'


def _jsonl_frame(frames: BatchFrames, ranked: DataFrame, explain: int) -> DataFrame:
    """Return one ``value`` line per person, everyone, sorted by id."""
    people = (
        frames.people.select("id")
        .unionByName(frames.friendships.select(F.col("a").alias("id")))
        .unionByName(frames.friendships.select(F.col("b").alias("id")))
        .distinct()
    )
    per = ranked.groupBy("id").agg(
        F.array_sort(
            F.collect_list(F.struct("rank", "suggested", "score", "mutual_count", "mutual"))
        ).alias("s")
    )
    per = per.select(
        "id",
        F.transform(
            "s",
            lambda x: F.struct(
                x["suggested"].alias("v"),
                x["score"].alias("score"),
                x["mutual_count"].alias("c"),
                x["mutual"].alias("m"),
            ),
        ).alias("s"),
    )
    # Plain pickled rows (no Arrow): pandas is not a dependency, and lines are few per task.
    line = F.udf(lambda p, s: jsonl_line(p, s, explain > 0), T.StringType(), useArrow=False)
    return people.join(per, "id", "left").orderBy("id").select(line("id", "s").alias("value"))


def run_spark_batch(
    frames: BatchFrames,
    *,
    jsonl: str | None = None,
    parquet: str | None = None,
    score: str = DEFAULT_SCORE,
    k: int = 10,
    explain: int = 0,
    max_degree: int | None = None,
    salt_above: int | None = None,
) -> SparkReport:
    """Rank everyone on Spark and write Parquet and/or JSONL, replacing what was there.

    Parameters
    ----------
    frames : BatchFrames
        The inputs (:func:`frames_from_edgelist`, :func:`frames_from_parquet`, ...).
    jsonl : str, optional
        Output folder of JSON-lines part files (``part-*.txt``); concatenated in name order
        they are exactly the in-process batch's JSONL file.
    parquet : str, optional
        Output Parquet dataset: one row per suggestion, the columns of :data:`RESULT_COLUMNS`.
    score, k, explain, max_degree, salt_above
        As :func:`rank_frame`.

    Returns
    -------
    SparkReport

    Raises
    ------
    InvalidInput
        For bad parameters, or neither output.

    Examples
    --------
    >>> run_spark_batch(frames, jsonl="out.jsonl", k=10)  # doctest: +SKIP
    """
    params = _check(score, k, explain, max_degree, salt_above)
    if jsonl is None and parquet is None:
        raise InvalidInput("give a JSONL or Parquet output path")
    t0 = time.perf_counter()
    cached: list[DataFrame] = []
    ranked = rank_frame(
        frames, score, k, explain=explain, max_degree=max_degree, cached=cached,
        salt_above=salt_above,
    )  # fmt: skip
    outputs = []
    people = -1
    if parquet is not None and jsonl is not None:
        # Computed once for both outputs.
        ranked = ranked.persist()
    if parquet is not None:
        out = ranked if explain > 0 else ranked.drop("mutual")
        out.orderBy("id", "rank").write.mode("overwrite").parquet(parquet)
        outputs.append(parquet)
    if jsonl is not None:
        lines = _jsonl_frame(frames, ranked, explain)
        lines.write.mode("overwrite").text(jsonl)
        outputs.append(jsonl)
        people = frames.people.sparkSession.read.text(jsonl).count()
    for df in (ranked, *cached):
        df.unpersist()
    return SparkReport(
        people=people, seconds=time.perf_counter() - t0, outputs=outputs, params=params
    )


def read_jsonl_parts(folder: str | Path) -> bytes:
    """Return a local JSONL output folder's part files, concatenated in order.

    Parameters
    ----------
    folder : str or Path
        What :func:`run_spark_batch` wrote as ``jsonl`` (on a local file system).

    Returns
    -------
    bytes
        The in-process batch's JSONL file, byte for byte.

    Examples
    --------
    >>> read_jsonl_parts("out.jsonl")[:8]  # doctest: +SKIP
    b'{"id":"0'
    """
    return b"".join(p.read_bytes() for p in sorted(Path(folder).glob("part-*")))


def shuffle_bytes(spark: SparkSession) -> int:
    """Return the shuffle bytes written by every stage of the session so far.

    Reads Spark's own task metrics through the web UI's REST API, so the session needs
    ``ui=True`` (see :func:`session`).

    Parameters
    ----------
    spark : SparkSession
        A session started with its UI.

    Returns
    -------
    int
        The sum of ``shuffleWriteBytes`` over the completed stages.

    Raises
    ------
    InvalidInput
        If the session has no UI.

    Examples
    --------
    >>> shuffle_bytes(spark)  # doctest: +SKIP
    123456
    """
    import urllib.request

    url = spark.sparkContext.uiWebUrl
    if not url:
        raise InvalidInput("shuffle_bytes needs a session with its UI (session(ui=True))")
    app = spark.sparkContext.applicationId
    with urllib.request.urlopen(f"{url}/api/v1/applications/{app}/stages", timeout=30) as r:
        stages = json.load(r)
    return int(sum(s.get("shuffleWriteBytes", 0) for s in stages))
