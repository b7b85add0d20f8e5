"""The ``graphmatch`` command line: the core's commands, plugin commands, one error rule.

The core registers its own commands (``load``, ``mutual``, ``suggest``, the presence
commands, ``evaluate``, ``train``, ``batch``, ``dismiss``, ``dismissed``). Commands built on top
of the core (``serve`` in ``api``, ``seed`` in ``seed_data``, ``bench`` in ``graphmatch_bench``)
join through the ``graphmatch.commands`` entry-point group, so the core never imports them.
Registering a command must stay cheap: heavy modules load in its handler, when it runs.

Every command ends through :func:`main`'s one rule: a :class:`~graphmatch.GraphMatchError`
(or an ``OSError``) is one line ``graphmatch: error: ...`` on stderr and exit 1 (or the
error's ``exit_code``), a usage error exits 2, Ctrl-C exits 130, and a command whose extra
is not installed says which one to install.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import TYPE_CHECKING, Any

from graphmatch import __version__
from graphmatch.errors import GraphMatchError
from graphmatch.rule import DEFAULT_SCORE, LEARNED, SCORES

if TYPE_CHECKING:
    from graphmatch.matcher import Matcher

__all__ = ["COMMAND_GROUP", "build_parser", "main"]

#: The entry-point group where packages above the core add ``graphmatch`` subcommands. Each
#: entry point names ``register(subparsers)``; its optional ``[extra]`` names what to install.
COMMAND_GROUP = "graphmatch.commands"

#: Kept in step with ``graphmatch.stores._open.STORE_KINDS`` (a test checks): importing that
#: module would load networkx just to print ``--help``.
STORE_KINDS = ("memory", "neo4j")

Handler = Callable[[argparse.Namespace], int]


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """State each option's default in ``--help``, unless its help already names one.

    Options without a meaningful default (None, a flag's False) are left as they are.

    Examples
    --------
    >>> p = argparse.ArgumentParser(prog="x", formatter_class=DefaultsHelpFormatter)
    >>> _ = p.add_argument("--limit", type=int, default=10, help="how many")
    >>> "how many (default: 10)" in p.format_help()
    True
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if (
            not action.option_strings
            or action.default in (None, False, argparse.SUPPRESS)
            or "default" in text.lower()
        ):
            return action.help
        return f"{text} (default: %(default)s)".lstrip()


class CommandParser(argparse.ArgumentParser):
    """The parser of every ``graphmatch`` subcommand, plugins' included: defaults in --help."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", DefaultsHelpFormatter)
        super().__init__(*args, **kwargs)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        """Add an option; one without help still states its default (argparse hides it)."""
        action = super().add_argument(*args, **kwargs)
        quiet = action.help is None and action.option_strings
        if quiet and action.default not in (None, False, argparse.SUPPRESS):
            action.help = "(default: %(default)s)"
        return action


class CommandUnavailable(GraphMatchError):
    """A plugin command whose package cannot be imported (its extra is not installed)."""


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
    from graphmatch.matcher import Matcher
    from graphmatch.stores._open import open_store

    if args.graph is None and args.store != "neo4j":
        raise GraphMatchError("give an edge list with --graph FILE, or --store neo4j")
    return Matcher(open_store(args.store, graph=args.graph), model=getattr(args, "model", None))


def _cmd_load(args: argparse.Namespace) -> int:
    """Load an edge list: into memory (report only) or into Neo4j."""
    if args.store == "neo4j":
        from graphmatch.loaders import read_edgelist
        from graphmatch.stores._open import open_store

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
    data = {
        "count": mutual.count,
        "people": mutual.people,
        "hidden": mutual.hidden,
        "exact": mutual.exact,
    }
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


def _core_registrars() -> list[Callable[[Any], None]]:
    """Return the functions that add the core's commands kept in their own modules."""
    from graphmatch.cli.batch import register as register_batch
    from graphmatch.cli.dismiss import register as register_dismiss
    from graphmatch.cli.evaluate import register as register_evaluate
    from graphmatch.cli.presence import register as register_presence
    from graphmatch.cli.train import register as register_train

    return [register_presence, register_evaluate, register_train, register_batch, register_dismiss]


def _plugins() -> list[metadata.EntryPoint]:
    """Return the installed ``graphmatch.commands`` entry points, one per name, by name."""
    seen: dict[str, metadata.EntryPoint] = {}
    for ep in metadata.entry_points(group=COMMAND_GROUP):
        seen.setdefault(ep.name, ep)  # the first on sys.path wins, as for imports
    return [seen[name] for name in sorted(seen)]


def _install_hint(ep: metadata.EntryPoint) -> str:
    """Return the pip command that brings a plugin command's dependencies."""
    dist = ep.dist.name if ep.dist is not None else "graphmatch"
    extras = f"[{','.join(ep.extras)}]" if ep.extras else ""
    return f"pip install '{dist}{extras}'"


def _add_unavailable(sub: Any, ep: metadata.EntryPoint, exc: BaseException) -> None:
    """Add a stand-in command that explains, in one line, why the real one is missing."""
    why = f"{type(exc).__name__}: {exc}"
    p = sub.add_parser(
        ep.name,
        help=f"(unavailable: {_install_hint(ep)})",
        add_help=False,
        prefix_chars="\0",  # take every argument, --help included, as a plain word
    )
    p.add_argument("ignored", nargs="*")

    def unavailable(args: argparse.Namespace) -> int:
        raise CommandUnavailable(
            f"'{ep.name}' is not installed ({why}); install it with: {_install_hint(ep)}"
        )

    p.set_defaults(func=unavailable)


def _add_plugin(sub: Any, ep: metadata.EntryPoint) -> None:
    """Register one plugin command, or its stand-in if its package fails to import."""
    try:
        register = ep.load()
        register(sub)
    except Exception as exc:  # a broken plugin must not take the whole command line down
        # Forget whatever it registered before failing, so the stand-in can take the name.
        sub.choices.pop(ep.name, None)
        sub._choices_actions[:] = [a for a in sub._choices_actions if a.dest != ep.name]
        _add_unavailable(sub, ep, exc)
        return
    parser = sub.choices.get(ep.name)
    if parser is not None:
        # Lets the error rule name the extra when the command's own lazy imports fail.
        parser.set_defaults(_plugin=ep)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand, the plugins' included.

    Returns
    -------
    argparse.ArgumentParser
        The ``graphmatch`` parser; each subcommand sets ``func``, its handler.

    Examples
    --------
    >>> parser = build_parser()
    >>> parser.parse_args(["suggest", "0", "--graph", "g.txt"]).limit
    10
    """
    parser = argparse.ArgumentParser(
        prog="graphmatch", description="Friends-in-common discovery on networkx or Neo4j."
    )
    parser.add_argument("--version", action="version", version=f"graphmatch {__version__}")
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=CommandParser
    )

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
    p.add_argument("--score", choices=(*SCORES, LEARNED), default=DEFAULT_SCORE)
    p.add_argument("--model", metavar="PATH", help="learned-ranker file for --score learned")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--explain", type=int, default=3, help="named mutual friends per suggestion")
    p.add_argument("--max-degree", type=int, help="degree cap on the mutual friends")
    _store_args(p)
    p.set_defaults(func=_cmd_suggest)

    for register in _core_registrars():
        register(sub)
    for ep in _plugins():
        if ep.name not in sub.choices:  # a plugin cannot replace a core command
            _add_plugin(sub, ep)
    return parser


def _extra_providing(module: str | None) -> str | None:
    """Return the graphmatch extra that installs a top-level module, if one does."""
    if not module:
        return None
    top = module.split(".")[0].lower().replace("_", "-")
    try:
        requires = metadata.requires("graphmatch") or []
    except metadata.PackageNotFoundError:
        return None
    for req in requires:
        name, _, marker = req.partition(";")
        dist = name.strip().split("[")[0]
        for sep in "<>=!~ (":
            dist = dist.split(sep)[0]
        if dist.lower().replace("_", "-") == top and "extra ==" in marker:
            return marker.split("extra ==")[1].strip().strip("'\"")
    return None


def _error_line(args: argparse.Namespace, exc: BaseException) -> tuple[str, int]:
    """Return the one line and the exit code the error rule gives an exception."""
    if isinstance(exc, GraphMatchError):
        code = getattr(exc, "exit_code", 1)
        return str(exc), code if isinstance(code, int) else 1
    if isinstance(exc, ImportError):
        plugin: metadata.EntryPoint | None = getattr(args, "_plugin", None)
        if plugin is not None:
            hint = _install_hint(plugin)
        else:
            extra = _extra_providing(exc.name)
            hint = f"pip install 'graphmatch[{extra}]'" if extra else "install it"
        return f"{exc}; install what '{args.command}' needs with: {hint}", 1
    assert isinstance(exc, OSError)
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{exc.strerror or exc}", 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (defaults to ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success; 1 on a graphmatch error, a file error or a missing extra (one line on
        stderr), or the error's ``exit_code`` where it has one; 2 on a usage error; 130 on
        Ctrl-C.

    Examples
    --------
    >>> main(["mutual", "a", "b"])  # doctest: +SKIP
    graphmatch: error: give an edge list with --graph FILE, or --store neo4j
    1
    """
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error (argparse says 2)
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    func: Handler = args.func
    try:
        return func(args)
    except (GraphMatchError, ImportError, OSError) as exc:
        line, code = _error_line(args, exc)
        print(f"graphmatch: error: {line}", file=sys.stderr)
        return code
    except KeyboardInterrupt:
        print("graphmatch: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
