"""The ``graphmatch train GRAPH --out MODEL`` subcommand (registered by ``cli._main``)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from graphmatch.errors import InvalidInput

__all__ = ["register"]


def _cmd_train(args: argparse.Namespace) -> int:
    """Train a learned ranker on a graph, write the model file, print its summary."""
    from graphmatch.learn.training import train  # numpy, numba and scikit-learn load only here

    if not args.out:
        raise InvalidInput("give the model file to write with --out MODEL")
    model = train(
        args.graph,
        holdout=args.holdout,
        seed=args.seed,
        people=args.people,
        learner=args.learner,
        progress=not args.no_progress,
        **{k: v for k in ("candidates", "trees", "depth") if (v := getattr(args, k)) is not None},
    )
    model.save(args.out)
    t = model.training
    if args.json:
        print(json.dumps({"out": args.out, "learner": model.learner, "training": t}, indent=2))
    else:
        val = ", ".join(f"{k} {v:.4f}" for k, v in t["validation_precision_at_10"].items())
        print(
            f"trained {model.learner} on {t['people_sampled']:,} people "
            f"({t['rows']:,} candidate pairs, {t['positives']:,} hidden friendships found) "
            f"in {t['seconds']:.1f} s; validation P@10: {val}; wrote {args.out}"
        )
    sys.stdout.flush()
    return 0


def register(subparsers: Any) -> None:
    """Add the ``train`` subcommand to the ``graphmatch`` command line.

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
    >>> args = parser.parse_args(["train", "g.txt", "--out", "m.json", "--seed", "3"])
    >>> args.out, args.seed, args.learner
    ('m.json', 3, 'auto')
    """
    p = subparsers.add_parser(
        "train",
        help="train the learned ranker (score 'learned') on a graph",
        description=(
            "Hide a seeded share of the graph's friendships, compute the stage-1 candidates "
            "and their pair features in compiled code, fit histogram gradient boosting and "
            "logistic regression, keep the better on validation precision@10, and write the "
            "model (arrays, features, version, training summary) as JSON. Needs the [learn] "
            "extra (scikit-learn)."
        ),
    )
    p.add_argument("graph", help="SNAP edge list (.txt/.gz) or CSV with a header")
    p.add_argument("--out", required=True, metavar="MODEL", help="model file to write (JSON)")
    p.add_argument("--holdout", type=float, default=0.1, help="share hidden (default 0.1)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--people", type=int, default=4000, help="people sampled (default 4000)")
    p.add_argument(
        "--candidates", type=int, help="stage-1 candidates per person (default: train's)"
    )
    # No numbers of the library's here: importing graphmatch.learn.training loads scikit-learn.
    p.add_argument("--trees", type=int, help="gradient boosting's trees (default: train's)")
    p.add_argument("--depth", type=int, help="their depth, 1 to 12 (default: train's)")
    p.add_argument(
        "--learner",
        choices=("auto", "hist_gradient_boosting", "logistic_regression"),
        default="auto",
        help="auto: fit both, keep the better on validation (default)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_train)
