"""The ``graphmatch serve`` subcommand.

It joins the ``graphmatch`` command through the ``graphmatch.commands`` entry point
(``serve = "api.cli:register"``). Errors end through the command line's one rule: a refusal to
serve beyond loopback without keys carries ``exit_code = 2`` (a usage error).
"""

from __future__ import annotations

import argparse

__all__ = ["register", "run_serve"]


def run_serve(args: argparse.Namespace) -> int:
    """Handle ``graphmatch serve``; return the exit code (errors propagate to the CLI)."""
    from api.server import serve  # lazy: keeps `graphmatch --help` free of Flask

    return serve(
        args.host,
        args.port,
        data_dir=args.data_dir,
        demo=args.demo,
        demo_people=args.demo_people,
        open_access=args.open,
        threads=args.threads,
        store_kind=args.store,
        recover=args.recover,
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``serve`` subcommand to a graphmatch CLI parser.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        What ``parser.add_subparsers()`` returned; the handler is set as ``func``.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="graphmatch")
    >>> register(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["serve", "--port", "0", "--demo"])
    >>> args.func is run_serve, args.port, args.host
    (True, 0, '127.0.0.1')
    """
    p = subparsers.add_parser(
        "serve",
        help="run the HTTP API under waitress",
        description=(
            "Serve the graphmatch JSON API (OpenAPI at /openapi.json, docs at /docs). "
            "API keys come from GRAPHMATCH_API_KEYS='key:read,key:write' (or "
            "GRAPHMATCH_READ_KEYS / GRAPHMATCH_WRITE_KEYS). Without keys the server only "
            "binds to loopback unless --open is given."
        ),
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (0 picks a free one)")
    p.add_argument("--data-dir", help="keep the memory store durable here (journal+snapshot)")
    p.add_argument(
        "--recover",
        action="store_true",
        help="start on a damaged --data-dir, on what can be read, and report what was lost",
    )
    p.add_argument("--demo", action="store_true", help="seed a demo network if the store is empty")
    p.add_argument("--demo-people", type=int, default=10_000, help="people in the demo network")
    p.add_argument(
        "--open",
        action="store_true",
        help="serve without API keys on a non-loopback address (also GRAPHMATCH_OPEN=1)",
    )
    p.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")
    p.add_argument("--store", choices=("memory", "neo4j"), help="store (default: from env)")
    p.set_defaults(func=run_serve)


def main(argv: list[str] | None = None) -> int:
    """Run ``python -m api serve ...``: the ``graphmatch`` command line, with its error rule."""
    from graphmatch.cli import main as graphmatch_main

    return graphmatch_main(argv)
