"""Benchmark graphmatch against networkx, scipy, igraph and NetworKit: ``graphmatch bench``.

A thin wrapper kept for muscle memory; the implementation is :mod:`graphmatch_bench.cli`.

Usage: ``python benchmarks/bench_core.py [--quick] [--graphs facebook,synth-100k] [--json]``
"""

from __future__ import annotations

import argparse
import sys

from graphmatch_bench.cli import add_arguments, run_from_args


def main(argv: list[str] | None = None) -> int:
    """Parse the ``graphmatch bench`` options and run it; return the exit code."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
