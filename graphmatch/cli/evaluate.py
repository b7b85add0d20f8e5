"""The ``graphmatch evaluate FILE`` subcommand (registered by :mod:`graphmatch.cli._main`)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from graphmatch.errors import InvalidInput

__all__ = ["register"]


def _scores(text: str) -> list[str]:
    """Parse ``--scores a,b,c`` into a list of names."""
    names = [s.strip() for s in text.split(",") if s.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give at least one score name")
    return names


def _default_scores() -> list[str]:
    """Return every score, the learned ranker included when scikit-learn is installed."""
    from importlib.util import find_spec

    from graphmatch.rule import SCORES

    if find_spec("sklearn") is None:
        print("graphmatch: note: no 'learned' score without scikit-learn; install it with: "
              "pip install 'graphmatch[learn]'", file=sys.stderr)  # fmt: skip
        return list(SCORES)
    return [*SCORES, "learned"]


def _cmd_evaluate(args: argparse.Namespace) -> int:
    """Hide friendships, rank with each score, print the table (or JSON)."""
    from graphmatch.evaluation.run import (
        evaluate,  # numpy and the metric code load only when asked for
    )

    if args.sample is not None and args.sample < 1:
        raise InvalidInput("--sample must be a positive integer")
    scores = args.scores
    if scores is None:
        scores = _default_scores()
    result = evaluate(
        args.file,
        holdout=args.holdout,
        k=args.k,
        seed=args.seed,
        scores=scores,
        min_degree=args.min_degree,
        sample_people=args.sample,
        progress=not args.no_progress,
        learn_people=args.learn_people,
    )
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        print(result.summary())
        print("per-person means ± 95% CI half-width; ROC-AUC/PR-AUC over sampled pairs")
        print(result.table())
    sys.stdout.flush()
    return 0


def register(subparsers: Any) -> None:
    """Add the ``evaluate`` subcommand to the ``graphmatch`` command line.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        What ``ArgumentParser.add_subparsers()`` returned.

    Returns
    -------
    None

    Examples
    --------
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="graphmatch")
    >>> register(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["evaluate", "g.txt", "--k", "5", "--scores", "jaccard"])
    >>> args.k, args.scores
    (5, ['jaccard'])
    """
    from graphmatch.rule import SCORES

    p = subparsers.add_parser(
        "evaluate",
        help="hide friendships and measure how well each score finds them again",
        description=(
            "Hide a seeded share of each person's friendships, rank introductions with each "
            "score on the rest, and report precision/recall/MAP/NDCG/hit-rate@k with 95% "
            "CIs, ROC-AUC and PR-AUC, beside a random-candidate baseline, and each score's "
            "paired precision@k difference against the best classic score."
        ),
    )
    p.add_argument("file", help="SNAP edge list (.txt/.gz) or CSV with a header")
    p.add_argument("--holdout", type=float, default=0.1, help="share hidden (default 0.1)")
    p.add_argument("--k", type=int, default=10, help="introductions per person (default 10)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--scores",
        type=_scores,
        default=None,
        help=(
            f"comma-separated, from {', '.join(SCORES)}, learned (default: all; 'learned' is "
            "trained on the training part of the split, and needs the [learn] extra)"
        ),
    )
    p.add_argument(
        "--learn-people", type=int, default=4000, help="people the learned ranker trains on"
    )
    p.add_argument("--min-degree", type=int, default=2, help="fewer friends: none hidden")
    p.add_argument("--sample", type=int, help="evaluate a seeded sample of this many people")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_evaluate)
