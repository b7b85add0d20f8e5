"""The ``graphmatch serve`` and ``graphmatch token`` subcommands.

They join the ``graphmatch`` command through the ``graphmatch.commands`` entry points
(``serve = "api.cli:register"``, ``token = "api.cli:register_token"``). Errors end through the
command line's one rule: a refusal to serve beyond loopback without keys carries
``exit_code = 2`` (a usage error).

Every numeric server setting of :mod:`api.settings` is also a ``serve`` option, named after its
environment variable (``GRAPHMATCH_RATE_PER_KEY`` is ``--rate-per-key``); an option given
wins over the variable.
"""

from __future__ import annotations

import argparse
from typing import Any

from api.settings import DEFAULTS, NUMBERS

__all__ = ["register", "register_token", "run_serve", "run_token"]

#: What each numeric setting does, for ``serve --help`` (docs/http.md, "Limits under load").
SETTING_HELP = {
    "MAX_CONTENT_LENGTH": "largest request body, bytes",
    "BULK_MAX_ITEMS": "most pairs in one bulk import",
    "RANK_MAX_CANDIDATES": "most candidates in one rank request",
    "RATE_PER_ADDRESS": "requests/s per client address (loopback exempt unless "
    "--rate-limit-loopback); 0: off",
    "RATE_PER_KEY": "requests/s per valid API key; 0: off",
    "RATE_PER_VIEWER": "requests/s per person acting through viewer tokens; 0: off",
    "RATE_BURST_S": "burst: a bucket holds this many seconds of its rate",
    "AUTH_FAILURES_PER_MIN": "wrong or missing keys per address per minute before 429s",
    "MAX_QUEUE_WAIT_S": "longest wait for a worker before a 503, seconds",
    "MAX_QUEUE": "requests waiting for a worker before a 503",
    "MAX_CONNECTIONS": "open connections before their requests get 503",
    "IDLE_TIMEOUT_S": "close a connection idle this long, seconds",
    "REQUEST_TIMEOUT_S": "close a request whose headers and body are not in after this, seconds",
}


def _option(var: str) -> str:
    """Return the serve option for an environment variable: GRAPHMATCH_MAX_QUEUE -> --max-queue."""
    return "--" + var.removeprefix("GRAPHMATCH_").lower().replace("_", "-")


def _not_negative(kind: type[int] | type[float]) -> Any:
    """Return an argparse type that parses kind and refuses a negative value."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number ({kind.__name__}): {text!r}") from None
        if value < 0:
            raise argparse.ArgumentTypeError(f"must not be negative: {text}")
        return value

    return parse


def limit_settings(args: argparse.Namespace) -> dict[str, Any]:
    """Return the settings the serve options give (those left out come from the environment)."""
    out: dict[str, Any] = {
        name: getattr(args, name.lower())
        for name, _, _ in NUMBERS
        if getattr(args, name.lower(), None) is not None
    }
    if getattr(args, "rate_limit_loopback", False):
        out["RATE_LIMIT_LOOPBACK"] = True
    if getattr(args, "access_log", None) is not None:
        out["ACCESS_LOG"] = args.access_log
    if getattr(args, "model", None) is not None:
        out["MODEL_PATH"] = args.model
    return out


def run_serve(args: argparse.Namespace) -> int:
    """Handle ``graphmatch serve``; return the exit code (errors propagate to the CLI)."""
    from api.server import RefusedToServe, serve  # lazy: keeps `graphmatch --help` free of Flask

    workers = getattr(args, "workers", 1)
    if workers < 1:
        raise RefusedToServe(f"--workers must be at least 1, not {workers}")
    if workers > 1:
        from api.workers import serve_workers

        return serve_workers(
            workers,
            args.host,
            args.port,
            data_dir=args.data_dir,
            demo=args.demo,
            demo_people=args.demo_people,
            open_access=args.open,
            threads=args.threads,
            store_kind=args.store,
            recover=args.recover,
            settings=limit_settings(args),
        )
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
        settings=limit_settings(args),
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
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="worker processes on one socket (default 1); over --data-dir one writes the "
        "journal and the others follow it, over Neo4j all are alike (docs/http.md, "
        "'Worker processes')",
    )
    p.add_argument(
        "--model",
        metavar="PATH",
        help="a learned-ranker file (graphmatch train) answering score=learned "
        "(also GRAPHMATCH_MODEL; default: none, score=learned is refused)",
    )
    p.add_argument("--store", choices=("memory", "neo4j"), help="store (default: from env)")
    limits = p.add_argument_group(
        "limits under load",
        "Each also reads its environment variable (named in the default); an option given "
        "wins. See docs/http.md, 'Limits under load'.",
    )
    for name, var, kind in NUMBERS:
        limits.add_argument(
            _option(var),
            dest=name.lower(),
            type=_not_negative(kind),
            metavar="N",
            help=f"{SETTING_HELP.get(name, name)} (default: ${var}, else {DEFAULTS[name]:,})",
        )
    limits.add_argument(
        "--rate-limit-loopback",
        action="store_true",
        help="apply --rate-per-address to loopback clients too (also "
        "GRAPHMATCH_RATE_LIMIT_LOOPBACK=1)",
    )
    limits.add_argument(
        "--access-log",
        metavar="PATH",
        help="JSON lines of one request each: '-' stderr, 'off', or a file (default: "
        "$GRAPHMATCH_ACCESS_LOG, else -)",
    )
    p.set_defaults(func=run_serve)


def run_token(args: argparse.Namespace) -> int:
    """Handle ``graphmatch token``: print a viewer token for one person.

    Raises
    ------
    InvalidInput
        Without ``GRAPHMATCH_TOKEN_SECRET`` (or with one under 32 bytes), or for a TTL under
        one second: one line through the command line's rule.
    """
    from api.viewer import TOKEN_SECRET_ENV, mint_token, token_secret
    from graphmatch import InvalidInput

    secret = token_secret()
    if secret is None:
        raise InvalidInput(
            f"set {TOKEN_SECRET_ENV} to the server's token secret (at least 32 bytes) to sign"
        )
    if args.ttl < 1:
        raise InvalidInput(f"--ttl must be at least 1 second, not {args.ttl}")
    try:
        token = mint_token(args.person, secret=secret, ttl_s=args.ttl)
    except ValueError as exc:  # an empty person id
        raise InvalidInput(str(exc)) from None
    print(token)
    return 0


def register_token(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``token`` subcommand (a viewer token for one person) to a graphmatch CLI parser.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        What ``parser.add_subparsers()`` returned; the handler is set as ``func``.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="graphmatch")
    >>> register_token(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["token", "6452", "--ttl", "600"])
    >>> args.func is run_token, args.person, args.ttl
    (True, '6452', 600)
    """
    from api.settings import DEFAULT_TTL_S, TOKEN_SECRET_ENV

    p = subparsers.add_parser(
        "token",
        help="print a viewer token that acts for one person",
        description=(
            f"Print a viewer token (an HS256 JWT with sub and exp) signed with ${TOKEN_SECRET_ENV}"
            " (at least 32 bytes; the server must have the same). Send it as Authorization: "
            "Bearer <token>: it reads and writes that person's own data only (docs/http.md)."
        ),
    )
    p.add_argument("person", help="the person id the token acts for")
    p.add_argument(
        "--ttl",
        type=int,
        default=DEFAULT_TTL_S,
        help=f"seconds it is valid (default {DEFAULT_TTL_S})",
    )
    p.set_defaults(func=run_token)


def main(argv: list[str] | None = None) -> int:
    """Run ``python -m api serve ...``: the ``graphmatch`` command line, with its error rule."""
    from graphmatch.cli import main as graphmatch_main

    return graphmatch_main(argv)
