"""The presence subcommands: ``graphmatch checkin | checkout | nearby | event | top-pairs``.

Against Neo4j (``--store neo4j``, or ``NEO4J_URI`` set) presence lives in the database. In
memory, the graph comes from an edge list (``--graph FILE``) and presence from a small
append-only JSON-lines file (``--presence FILE``, else ``$GRAPHMATCH_PRESENCE``, else
``presence.jsonl`` in the current folder) that each command replays and appends to, so
``checkin`` in one process is seen by ``nearby`` in the next. A command that starts a new log
says where on stderr, so no file appears unannounced.

Examples
--------
::

    graphmatch event conf --name "PyCon" --lat 52.52 --lon 13.40 --graph g.txt
    graphmatch checkin alice --event conf --graph g.txt
    graphmatch checkin bob --lat 52.5201 --lon 13.4001 --ttl 3600 --graph g.txt
    graphmatch nearby alice --radius 200 --graph g.txt --json
    graphmatch top-pairs conf --graph g.txt
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from graphmatch.errors import GraphMatchError, InvalidInput
from graphmatch.presence import DEFAULT_RADIUS_M, DEFAULT_TTL_S, Presence
from graphmatch.presence.file import FilePresenceIndex
from graphmatch.rule import DEFAULT_SCORE, SCORES
from graphmatch.stores._open import STORE_KINDS, open_store

__all__ = ["register"]

DEFAULT_PRESENCE_FILE = "presence.jsonl"
#: Where the presence log is when --presence is not given (else DEFAULT_PRESENCE_FILE).
PRESENCE_ENV = "GRAPHMATCH_PRESENCE"


def _presence(args: argparse.Namespace) -> Presence:
    """Open the graph and presence the arguments name."""
    kind = args.store
    if kind is None:
        kind = "memory" if args.graph is not None else ("neo4j" if _neo4j_configured() else None)
    if kind == "neo4j":
        # open_store refuses --graph with Neo4j (edge lists load with `graphmatch load`).
        return Presence(open_store("neo4j", graph=args.graph))
    if args.graph is None:
        raise GraphMatchError("give an edge list with --graph FILE, or --store neo4j")
    path = _presence_path(args.presence)
    store = open_store("memory", graph=args.graph)
    try:
        return Presence(store, index=FilePresenceIndex(path))
    except BaseException:
        store.close()
        raise


def _presence_path(given: str) -> Path:
    """Return the presence log's path, refusing a folder or a file in a missing folder."""
    path = Path(given)
    if path.is_dir():
        raise InvalidInput(f"--presence {given}: is a folder; give a file such as {given}/p.jsonl")
    parent = path.parent
    if not parent.is_dir():
        raise InvalidInput(f"--presence {given}: folder {parent} does not exist")
    return path


def _noting_new_log(
    cmd: Callable[[argparse.Namespace], int],
) -> Callable[[argparse.Namespace], int]:
    """Wrap a command that writes presence: say on stderr when it starts a new presence log."""

    def run(args: argparse.Namespace) -> int:
        path = Path(args.presence)
        fresh = args.store != "neo4j" and args.graph is not None and not path.exists()
        code = cmd(args)
        if fresh and path.exists():
            print(
                f"graphmatch: presence kept in {path.resolve()} (a new file; "
                "choose another with --presence FILE or GRAPHMATCH_PRESENCE)",
                file=sys.stderr,
            )
        return code

    return run


def _neo4j_configured() -> bool:
    return bool(os.environ.get("NEO4J_URI"))


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=2) if args.json else text)


def _cmd_checkin(args: argparse.Namespace) -> int:
    p = _presence(args)
    try:
        rec = p.check_in(
            args.person,
            lat=args.lat,
            lon=args.lon,
            event_id=args.event,
            ttl_s=args.ttl,
            visible=not args.see_only,
        )
    finally:
        p.store.close()
    where = [f"{rec.lat:.6f},{rec.lon:.6f}"] if rec.lat is not None else []
    where += [f"event {rec.event}"] if rec.event is not None else []
    mode = "see-only" if not rec.visible else "visible"
    text = f"{rec.person} checked in at {' / '.join(where)} ({mode}) for {args.ttl:g} s"
    _emit(args, rec.as_dict(rec.checked_in_at), text)
    return 0


def _cmd_checkout(args: argparse.Namespace) -> int:
    p = _presence(args)
    try:
        was = p.check_out(args.person)
    finally:
        p.store.close()
    text = f"{args.person} checked out" if was else f"{args.person} was not checked in"
    _emit(args, {"id": args.person, "was_present": was}, text)
    return 0


def _cmd_nearby(args: argparse.Namespace) -> int:
    p = _presence(args)
    try:
        found = p.nearby(
            args.person,
            radius_m=args.radius,
            limit=args.limit,
            score=args.score,
            include_friends=args.include_friends,
            max_degree=args.max_degree,
            explain=args.explain,
        )
    finally:
        p.store.close()
    lines = [f"{'#':>3}  {'person':<12} {'dist m':>7} {'score':>10} {'mutual':>6}  named"]
    for i, n in enumerate(found, 1):
        dist = "-" if n.distance_m is None else f"{n.distance_m:.0f}"
        lines.append(
            f"{i:>3}  {n.person:<12} {dist:>7} {n.score:>10.4f} {n.mutual_count:>6}  "
            f"{', '.join(n.mutual)}"
        )
    if not found:
        lines.append("     (nobody near)")
    rows = [
        {**n.as_dict(), "within_radius": n.distance_m is not None and n.distance_m <= args.radius}
        for n in found
    ]  # as over HTTP: false for someone listed only because they are at the same event
    _emit(args, {"nearby": rows}, "\n".join(lines))
    return 0


def _cmd_event(args: argparse.Namespace) -> int:
    p = _presence(args)
    try:
        if args.name is not None or args.lat is not None or args.lon is not None:
            info = p.add_event(args.event, name=args.name or "", lat=args.lat, lon=args.lon)
        else:
            info = p.event(args.event)
        attendees = p.attendees(args.event)
    finally:
        p.store.close()
    data = {**info.as_dict(), "attendees": len(attendees)}
    loc = f" at {info.lat:.6f},{info.lon:.6f}" if info.lat is not None else ""
    _emit(args, data, f"event {info.id} {info.name!r}{loc}: {len(attendees)} checked in")
    return 0


def _cmd_top_pairs(args: argparse.Namespace) -> int:
    p = _presence(args)
    try:
        pairs = p.top_pairs(
            args.event, limit=args.limit, max_degree=args.max_degree, explain=args.explain
        )
    finally:
        p.store.close()
    lines = [f"{'#':>3}  {'a':<12} {'b':<12} {'mutual':>6}  named"]
    for i, t in enumerate(pairs, 1):
        lines.append(f"{i:>3}  {t.a:<12} {t.b:<12} {t.mutual_count:>6}  {', '.join(t.mutual)}")
    if not pairs:
        lines.append("     (no pair shares a friend)")
    _emit(args, {"pairs": [t.as_dict() for t in pairs]}, "\n".join(lines))
    return 0


def _where_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--graph", metavar="FILE", help="edge-list file (memory store)")
    p.add_argument(
        "--presence",
        metavar="FILE",
        default=os.environ.get(PRESENCE_ENV) or DEFAULT_PRESENCE_FILE,
        help=f"presence log for the memory store (default: ${PRESENCE_ENV}, else "
        f"{DEFAULT_PRESENCE_FILE} in the current folder; a new one is announced on stderr)",
    )
    p.add_argument(
        "--store",
        choices=STORE_KINDS,
        help="store to use (default: memory with --graph, else neo4j if NEO4J_URI is set)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def register(subparsers: Any) -> None:
    """Add ``checkin``, ``checkout``, ``nearby``, ``event`` and ``top-pairs``.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        What ``ArgumentParser.add_subparsers`` returned.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="graphmatch")
    >>> register(parser.add_subparsers(dest="command"))
    >>> parser.parse_args(["nearby", "ann", "--radius", "50"]).radius
    50.0
    """
    p = subparsers.add_parser("checkin", help="check a person in at a place and/or event")
    p.add_argument("person")
    p.add_argument("--lat", type=float, help="latitude, -90..90")
    p.add_argument("--lon", type=float, help="longitude, -180..180")
    p.add_argument("--event", help="a known event id (see `graphmatch event`)")
    p.add_argument("--ttl", type=float, default=DEFAULT_TTL_S, help="seconds, 60..86400")
    p.add_argument("--see-only", action="store_true", help="see who is near; stay unseen")
    _where_args(p)
    p.set_defaults(func=_noting_new_log(_cmd_checkin))

    p = subparsers.add_parser("checkout", help="end a person's presence now")
    p.add_argument("person")
    _where_args(p)
    p.set_defaults(func=_noting_new_log(_cmd_checkout))

    p = subparsers.add_parser("nearby", help="people present near someone, ranked")
    p.add_argument("person")
    p.add_argument("--radius", type=float, default=DEFAULT_RADIUS_M, help="metres, 1..50000")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--score", choices=SCORES, default=DEFAULT_SCORE)
    p.add_argument("--include-friends", action="store_true", help="keep existing friends")
    p.add_argument("--max-degree", type=int, help="degree cap on the mutual friends")
    p.add_argument("--explain", type=int, default=3, help="named mutual friends per person")
    _where_args(p)
    p.set_defaults(func=_cmd_nearby)

    p = subparsers.add_parser("event", help="create/update an event, or show it")
    p.add_argument("event")
    p.add_argument("--name", help="display name (creates or updates the event)")
    p.add_argument("--lat", type=float, help="where it is (with --lon)")
    p.add_argument("--lon", type=float)
    _where_args(p)
    p.set_defaults(func=_noting_new_log(_cmd_event))

    p = subparsers.add_parser("top-pairs", help="attendee pairs most worth introducing")
    p.add_argument("event")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--max-degree", type=int, help="ignore mutual friends above this degree")
    p.add_argument("--explain", type=int, default=3, help="named mutual friends per pair")
    _where_args(p)
    p.set_defaults(func=_cmd_top_pairs)
