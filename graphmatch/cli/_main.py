"""The ``graphmatch`` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from graphmatch import __version__
from graphmatch.errors import GraphMatchError
from graphmatch.matcher import Matcher
from graphmatch.rule import DEFAULT_SCORE, SCORES
from graphmatch.stores._open import STORE_KINDS, open_store

__all__ = ["build_parser", "main"]

Handler = Callable[[argparse.Namespace], int]


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    """Print data as JSON with --json, else the human text."""
    print(json.dumps(data, indent=2) if args.json else text)


def _store_args(p: argparse.ArgumentParser) -> None:
    """Add the options that choose where the graph comes from."""
    p.add_argument("--graph", metavar="FILE", help="edge-list file to load into memory")
    p.add_argument(
        "--store",
        choices=STORE_KINDS,
        help="store to use (default: neo4j if NEO4J_URI is set, else memory)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def _matcher(args: argparse.Namespace) -> Matcher:
    """Open the store the arguments name and wrap it in a matcher."""
    if args.graph is None and args.store != "neo4j":
        raise GraphMatchError("give an edge list with --graph FILE, or --store neo4j")
    return Matcher(open_store(args.store, graph=args.graph))


def _cmd_load(args: argparse.Namespace) -> int:
    """Load an edge list: into memory (report only) or into Neo4j."""
    if args.store == "neo4j":
        from graphmatch.loaders import read_edgelist

        edges, report = read_edgelist(args.file)
        store = open_store("neo4j")
        try:
            store.add_friendships(edges)
        finally:
            store.close()
    else:
        from graphmatch.stores.memory import MemoryStore

        mem = MemoryStore.from_edgelist(args.file)
        assert mem.load_report is not None
        report = mem.load_report
    data = report.as_dict()
    text = "\n".join(f"{k:>20}  {v}" for k, v in data.items())
    _emit(args, data, text)
    return 0


def _cmd_mutual(args: argparse.Namespace) -> int:
    """Print the mutual friends of two people."""
    mutual = _matcher(args).mutual_friends(args.a, args.b, max_degree=args.max_degree)
    data = {"count": mutual.count, "people": mutual.people, "hidden": mutual.hidden}
    text = f"{args.a} and {args.b} have {mutual.count} friends in common"
    if mutual.people:
        text += ":\n  " + "\n  ".join(mutual.people)
    if mutual.hidden:
        text += f"\n  (+{mutual.hidden} not shown by their choice)"
    _emit(args, data, text)
    return 0


def _cmd_suggest(args: argparse.Namespace) -> int:
    """Print introductions for one person."""
    found = _matcher(args).suggest(
        args.person,
        limit=args.limit,
        score=args.score,
        max_degree=args.max_degree,
        explain=args.explain,
    )
    data = {"suggestions": [s.as_dict() for s in found]}
    lines = [f"{'#':>3}  {'person':<12} {'score':>10} {'mutual':>6}  named mutual friends"]
    for i, s in enumerate(found, 1):
        lines.append(
            f"{i:>3}  {s.person:<12} {s.score:>10.4f} {s.mutual_count:>6}  {', '.join(s.mutual)}"
        )
    if not found:
        lines.append("     (nobody to suggest)")
    _emit(args, data, "\n".join(lines))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="graphmatch", description="Friends-in-common discovery on networkx or Neo4j."
    )
    parser.add_argument("--version", action="version", version=f"graphmatch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("load", help="read an edge list and report what it holds")
    p.add_argument("file", help="SNAP edge list (.txt/.gz) or CSV with a header")
    p.add_argument("--store", choices=STORE_KINDS, default="memory", help="where to load it")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_load)

    p = sub.add_parser("mutual", help="mutual friends of two people")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--max-degree", type=int, help="leave out mutual friends above this degree")
    _store_args(p)
    p.set_defaults(func=_cmd_mutual)

    p = sub.add_parser("suggest", help="people someone may know")
    p.add_argument("person")
    p.add_argument("--score", choices=SCORES, default=DEFAULT_SCORE)
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--explain", type=int, default=3, help="named mutual friends per suggestion")
    p.add_argument("--max-degree", type=int, help="degree cap on the mutual friends")
    _store_args(p)
    p.set_defaults(func=_cmd_suggest)

    for register in _subcommand_registrars():
        register(sub)
    return parser


def _subcommand_registrars() -> list[Callable[[Any], None]]:
    """Return the functions that add the subcommands living outside this module."""
    # Imported here, not at the top: `serve` pulls in Flask, `seed` Faker, and a plain
    # `graphmatch suggest` should not pay for either.
    from api.cli import register as register_serve
    from graphmatch.cli.batch import register as register_perf
    from graphmatch.cli.evaluate import register as register_evaluate
    from graphmatch.cli.presence import register as register_presence
    from seed_data.cli import register as register_seed

    return [register_serve, register_seed, register_presence, register_perf, register_evaluate]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (defaults to ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 1 on a graphmatch error (one line on stderr), 2 on a usage error.

    Examples
    --------
    >>> main(["--version"])  # doctest: +SKIP
    graphmatch 0.1.0
    """
    args = build_parser().parse_args(argv)
    func: Handler = args.func
    try:
        return func(args)
    except GraphMatchError as exc:
        print(f"graphmatch: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("graphmatch: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
