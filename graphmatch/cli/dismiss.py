"""The dismissal subcommands: ``graphmatch dismiss`` and ``graphmatch dismissed``.

A dismissal ("not interested") must outlive the command, so these work on a durable store
only: a server's data dir (``--data-dir DIR``, the journaled memory store; the server must
not be running, since one process owns the journal: use HTTP then) or Neo4j (``--store
neo4j``, or ``NEO4J_URI`` set). An edge list loaded with ``--graph`` would forget them at
exit, so it is refused.

``graphmatch dismissed`` without a person prints every dismissal: the export of turned-down
suggestions a ranker trains on as negative examples (one ``person<TAB>candidate`` per line, or
``--json``).

Examples
--------
::

    graphmatch dismiss ann eve --data-dir data/
    graphmatch dismiss ann eve --undo --store neo4j
    graphmatch dismissed ann --data-dir data/ --json
    graphmatch dismissed --store neo4j > negatives.tsv
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from graphmatch.errors import InvalidInput
from graphmatch.stores.protocol import Dismisses, GraphStore

__all__ = ["register"]

_STORES = ("memory", "neo4j")


def _open(args: argparse.Namespace) -> GraphStore:
    """Open the durable store the arguments name."""
    kind = args.store
    if kind is None:
        kind = "memory" if args.data_dir is not None or not os.environ.get("NEO4J_URI") else "neo4j"
    if kind == "neo4j":
        if args.data_dir is not None:
            raise InvalidInput("--data-dir is the memory store's; Neo4j keeps its own data")
        from graphmatch.stores._open import open_store

        return open_store("neo4j")
    if args.data_dir is None:
        raise InvalidInput(
            "dismissals need a durable store: give --data-dir DIR (a server's data dir) "
            "or --store neo4j"
        )
    from graphmatch.stores.journal import JOURNAL, MANIFEST, SNAPSHOT, JournaledStore
    from graphmatch.stores.memory import MemoryStore

    data_dir = Path(args.data_dir)
    if not any((data_dir / name).exists() for name in (MANIFEST, SNAPSHOT, JOURNAL)):
        # Opening would set up a new, empty data dir: a typo must not do that.
        raise InvalidInput(f"{data_dir} holds no graphmatch data (see graphmatch serve --data-dir)")
    return JournaledStore(MemoryStore(index="off"), data_dir)


def _dismisses(store: GraphStore) -> Dismisses:
    if not isinstance(store, Dismisses):
        raise InvalidInput(f"{type(store).__name__} keeps no dismissals")
    return store


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=2) if args.json else text)


def _cmd_dismiss(args: argparse.Namespace) -> int:
    store = _open(args)
    try:
        d = _dismisses(store)
        changed = (d.undismiss if args.undo else d.dismiss)(args.person, args.candidate)
    finally:
        store.close()
    if args.undo:
        text = f"{args.person} no longer dismisses {args.candidate}"
        if not changed:
            text = f"{args.person} had not dismissed {args.candidate}"
    else:
        text = f"{args.candidate} will not be suggested to {args.person} again"
        if not changed:
            text = f"{args.person} had already dismissed {args.candidate}"
    data = {"id": args.person, "dismissed": args.candidate, "undo": args.undo, "changed": changed}
    _emit(args, data, text)
    return 0


def _cmd_dismissed(args: argparse.Namespace) -> int:
    store = _open(args)
    try:
        d = _dismisses(store)
        if args.person is not None:
            people = d.dismissed(args.person)
        else:
            pairs = d.dismissals()
    finally:
        store.close()
    if args.person is not None:
        text = "\n".join(people) if people else f"({args.person} dismissed nobody)"
        _emit(args, {"id": args.person, "dismissed": people}, text)
    else:
        _emit(args, {"dismissals": [list(p) for p in pairs]}, "\n".join(map("\t".join, pairs)))
    return 0


def _store_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", metavar="DIR", help="a server's data dir (journaled memory)")
    p.add_argument(
        "--store",
        choices=_STORES,
        help="store to use (default: memory with --data-dir, else neo4j if NEO4J_URI is set)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def register(subparsers: Any) -> None:
    """Add ``dismiss`` and ``dismissed``.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        What ``ArgumentParser.add_subparsers`` returned.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="graphmatch")
    >>> register(parser.add_subparsers(dest="command"))
    >>> parser.parse_args(["dismiss", "ann", "eve", "--undo", "--data-dir", "d"]).undo
    True
    """
    p = subparsers.add_parser(
        "dismiss", help="never suggest a candidate to a person again (--undo to take it back)"
    )
    p.add_argument("person", help="who turns the suggestion down")
    p.add_argument("candidate", help="whom they are not interested in")
    p.add_argument("--undo", action="store_true", help="forget the dismissal instead")
    _store_args(p)
    p.set_defaults(func=_cmd_dismiss)

    p = subparsers.add_parser(
        "dismissed", help="whom a person dismissed; without one, every dismissal (training export)"
    )
    p.add_argument("person", nargs="?", help="whose dismissals (default: everyone's pairs)")
    _store_args(p)
    p.set_defaults(func=_cmd_dismissed)
