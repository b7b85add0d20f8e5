"""The ``graphmatch seed`` subcommand, and :func:`seed`, the code it shares with other front ends.

The command joins ``graphmatch`` through the ``graphmatch.commands`` entry point
(``seed = "seed_data.cli:register"``); its errors end through that command line's one rule. A
Flask CLI command can call :func:`seed` with the app's store so both do exactly the same work.
Importing this module is cheap: Faker and numpy load when :func:`seed` runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from os import PathLike
from typing import TYPE_CHECKING, Any

from graphmatch.errors import InvalidInput

if TYPE_CHECKING:
    from graphmatch.stores.protocol import GraphStore

__all__ = ["STORE_KINDS", "format_report", "register", "run_seed", "seed"]

STORE_KINDS = ("memory", "neo4j")


def seed(
    people: int,
    mean_degree: float = 20,
    locales: tuple[str, ...] | list[str] = ("en_US",),
    seed: int = 0,
    *,
    event_size: int | None = None,
    out: str | PathLike[str] | None = None,
    store: GraphStore | None = None,
    store_kind: str | None = None,
    batch_size: int = 10_000,
    progress: bool = False,
) -> dict[str, Any]:
    """Generate a network, optionally export it and write it into a store, and summarise it.

    Parameters
    ----------
    people, mean_degree, locales, seed, event_size
        As for :func:`seed_data.generate`.
    out : str or path-like, optional
        Directory to export ``friendships.txt``, ``people.jsonl`` and ``event.json`` into.
    store : GraphStore, optional
        An open store to write into (left open; a Flask app passes its own).
    store_kind : {"memory", "neo4j"}, optional
        Open a store with ``graphmatch.stores._open.open_store(kind)``, write, close. ``"memory"``
        is skipped when no store is given, since it would vanish with the process.
    batch_size : int, default 10000
        Records per store call.
    progress : bool, default False
        Show progress bars on stderr.

    Returns
    -------
    dict
        ``{"params", "summary", "timings_s", "export"?, "store"?}``, JSON-ready.

    Raises
    ------
    InvalidInput
        For bad parameters or an unknown store kind.
    GraphMatchError
        Whatever the store raises (``StoreUnavailable`` when Neo4j is down).
    OSError
        If the export directory cannot be written.

    Examples
    --------
    >>> report = seed(500, mean_degree=8, seed=2)
    >>> report["summary"]["people"]
    500
    """
    # Imported here, not at the top: registering the command must not load Faker or numpy.
    from seed_data.export import export
    from seed_data.generator import generate
    from seed_data.metrics import summary
    from seed_data.to_store import write_to_store

    if store_kind is not None and store_kind not in STORE_KINDS:
        raise InvalidInput(f"unknown store {store_kind!r} (choose from {', '.join(STORE_KINDS)})")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    network = generate(people, mean_degree, locales, seed, event_size, progress=progress)
    timings["generate"] = round(time.perf_counter() - t0, 3)
    report: dict[str, Any] = {"params": network.params}

    if out is not None:
        t0 = time.perf_counter()
        paths = export(network, out)
        timings["export"] = round(time.perf_counter() - t0, 3)
        report["export"] = {name: str(path) for name, path in paths.items()}

    opened: GraphStore | None = None
    if store is None and store_kind == "neo4j":
        from graphmatch.stores._open import open_store  # lazy: pulls in the neo4j driver

        store = opened = open_store(store_kind)
    if store is not None:
        try:
            stats = write_to_store(network, store, batch_size=batch_size, progress=progress)
        finally:
            if opened is not None:
                opened.close()
        timings["store"] = round(stats.seconds, 3)
        report["store"] = {
            "kind": store_kind or type(store).__name__,
            "people": stats.people,
            "new_friendships": stats.friendships,
            "friendships_per_s": round(stats.friendships_per_second),
        }

    t0 = time.perf_counter()
    report["summary"] = summary(network, seed=seed)
    timings["summary"] = round(time.perf_counter() - t0, 3)
    report["timings_s"] = timings
    return report


def format_report(report: dict[str, Any]) -> str:
    """Render :func:`seed`'s report as an aligned two-column table for humans."""
    params = report["params"]
    lines = [
        f"seeded {params['people']:,} people, mean degree {params['mean_degree']:g}, "
        f"seed {params['seed']}, locales {', '.join(params['locales'])}"
    ]
    rows: list[tuple[str, str]] = []
    for key, value in report["summary"].items():
        if isinstance(value, bool):
            text = "yes" if value else "no"
        elif isinstance(value, int):
            text = f"{value:,}"
        else:
            text = f"{value:g}" if isinstance(value, float) else str(value)
        rows.append((key.replace("_", " "), text))
    if "export" in report:
        rows.append(("exported to", str(report["export"]["friendships"]).rsplit("/", 1)[0]))
    if "store" in report:
        s = report["store"]
        rows.append(("store", f"{s['kind']}: {s['friendships_per_s']:,} friendships/s"))
    rows.append(("seconds", ", ".join(f"{k} {v:g}" for k, v in report["timings_s"].items())))
    width = max(len(k) for k, _ in rows)
    lines += [f"  {k.ljust(width)}  {v}" for k, v in rows]
    return "\n".join(lines)


def run_seed(args: argparse.Namespace) -> int:
    """Handle ``graphmatch seed``; print the closing summary; return the exit code.

    Errors propagate: the ``graphmatch`` command line turns them into one line and an exit code.
    """
    progress = args.progress if args.progress is not None else sys.stderr.isatty()
    report = seed(
        args.people,
        args.mean_degree,
        args.locale or ["en_US"],
        args.seed,
        event_size=args.event_size,
        out=args.out,
        store_kind=args.store,
        batch_size=args.batch_size,
        progress=progress,
    )
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(format_report(report))
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``seed`` subcommand to a graphmatch CLI parser.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        What ``parser.add_subparsers()`` returned; the handler is set as ``func``.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="graphmatch")
    >>> register(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["seed", "--people", "200", "--mean-degree", "6", "--json"])
    >>> args.func is run_seed
    True
    """
    p = subparsers.add_parser(
        "seed",
        help="generate a realistic demo network (Faker profiles, a conference)",
        description=(
            "Generate a fake social network with overlapping communities, hubs, high "
            "clustering and a conference where strangers share many friends; print a summary, "
            "optionally export it (--out) or write it into a store (--store neo4j)."
        ),
    )
    p.add_argument("--people", type=int, default=1000, metavar="N", help="people (default 1000)")
    p.add_argument(
        "--mean-degree", type=float, default=20.0, metavar="D", help="mean friends (default 20)"
    )
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument(
        "--locale",
        action="append",
        metavar="L",
        help="Faker locale, repeatable (default en_US), e.g. --locale de_DE --locale fr_FR",
    )
    p.add_argument("--event-size", type=int, default=None, metavar="N", help="attendees")
    p.add_argument("--out", metavar="DIR", help="export friendships.txt, people.jsonl, event.json")
    p.add_argument(
        "--store",
        choices=STORE_KINDS,
        default="memory",
        help="where to write: memory (summary only) or neo4j (default memory)",
    )
    p.add_argument("--batch-size", type=int, default=10_000, metavar="N", help="per store call")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bars on stderr (default: when stderr is a terminal)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run_seed)
