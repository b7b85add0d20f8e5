"""The graphs the benchmark runs on: named real graphs, and synthetic ones from seed_data.

Real graphs are read from a data folder: ``$GRAPHMATCH_DATA``, else ``../shared/data`` (from
the working directory, or beside a source checkout), and in a source checkout also
``tests/data``; a graph whose file is in none of them is skipped with a note. Nothing else
depends on where this package is installed, so the harness works from a wheel.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from graphmatch import InvalidInput, read_edgelist

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "GRAPHS",
    "QUICK_GRAPHS",
    "SEED",
    "check_graph",
    "data_dirs",
    "load_pairs",
    "shared_data_dir",
    "synthetic_edges",
]

#: Named graphs: a file in the data folder (edge list) or ``synth:PEOPLE:FRIENDSHIPS``.
GRAPHS = {
    "facebook": "facebook_combined.txt.gz",
    "slashdot": "soc-Slashdot0902.txt.gz",
    "github": "git_web_ml/git_edges.csv",
    # Sparse (mean degree 7.3 and 6.6): the fixed cost of a call is most of its latency.
    "lastfm": "lastfm_asia/lastfm_asia_edges.csv",
    "deezer": "deezer_europe/deezer_europe_edges.csv",
    "synth-100k": "synth:100000:1000000",
    "synth-1m": "synth:1000000:10000000",
}
QUICK_GRAPHS = ("facebook", "synth:10000:100000")
#: The seed of the synthetic graphs and of every sample the run draws.
SEED = 1

# A source checkout (tests/data beside this package); after a wheel install there is none.
_CHECKOUT = Path(__file__).resolve().parent.parent
_IS_CHECKOUT = (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "tests").is_dir()


def data_dirs() -> list[Path]:
    """Return the folders a named graph's file is looked for in, first match wins.

    Returns
    -------
    list of Path
        ``$GRAPHMATCH_DATA`` if set, else ``../shared/data`` from the working directory and
        beside a source checkout; a source checkout's ``tests/data`` comes first. Folders
        may not exist.

    Examples
    --------
    >>> all(isinstance(d, Path) for d in data_dirs())
    True
    """
    dirs = [_CHECKOUT / "tests" / "data"] if _IS_CHECKOUT else []
    env = os.environ.get("GRAPHMATCH_DATA")
    if env:
        return [*dirs, Path(env)]
    dirs.append(Path.cwd().parent / "shared" / "data")
    if _IS_CHECKOUT:
        dirs.append(_CHECKOUT.parent / "shared" / "data")
    return list(dict.fromkeys(dirs))


def shared_data_dir() -> Path:
    """Return the folder of the shared graphs: ``$GRAPHMATCH_DATA``, else ``../shared/data``.

    ``../shared/data`` is beside the source checkout (the benchmarks' default ``--data-dir``).

    Examples
    --------
    >>> isinstance(shared_data_dir(), Path)
    True
    """
    env = os.environ.get("GRAPHMATCH_DATA")
    return Path(env) if env else _CHECKOUT.parent / "shared" / "data"


def _synth_size(target: str) -> tuple[int, int]:
    """Parse ``synth:PEOPLE:FRIENDSHIPS``; raise InvalidInput if it is not that."""
    parts = target.split(":")
    try:
        people, friendships = int(parts[1]), int(parts[2])
    except (IndexError, ValueError):
        people = friendships = -1
    if len(parts) != 3 or people < 2 or friendships < 1:
        raise InvalidInput(f"bad synthetic graph {target!r}: write synth:PEOPLE:FRIENDSHIPS")
    return people, friendships


def check_graph(spec: str) -> None:
    """Refuse a graph spec that names nothing the benchmark knows, before anything runs.

    Parameters
    ----------
    spec : str
        A key of :data:`GRAPHS`, ``synth:PEOPLE:FRIENDSHIPS``, or a path to an edge list.

    Raises
    ------
    InvalidInput
        For an unknown name that is not an existing file, or a malformed ``synth:`` spec.

    Examples
    --------
    >>> check_graph("facebook"); check_graph("synth:100:300")
    >>> check_graph("nosuch")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    graphmatch.errors.InvalidInput: unknown graph 'nosuch': choose from facebook, ...
    """
    target = GRAPHS.get(spec, spec)
    if target.startswith("synth:"):
        _synth_size(target)
    elif spec not in GRAPHS and not Path(spec).is_file():
        raise InvalidInput(
            f"unknown graph {spec!r}: choose from {', '.join(GRAPHS)}, "
            "synth:PEOPLE:FRIENDSHIPS, or give an edge-list file"
        )


def _cache_dir() -> Path:
    """Return where generated synthetic edge arrays are kept between runs."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "graphmatch" / "bench"


def synthetic_edges(people: int, friendships: int, cache: bool = True) -> np.ndarray:
    """Return the ``(m, 2)`` edge array of ``seed_data.generate`` for a size, cached on disk.

    Parameters
    ----------
    people, friendships : int
        The size; the mean degree asked of the generator is ``2 * friendships / people``.
    cache : bool, default True
        Keep the array in ``$XDG_CACHE_HOME/graphmatch/bench`` (a 1M-person network takes
        minutes).

    Returns
    -------
    numpy.ndarray
        int32 positions; ids are ``str(position)``.

    Examples
    --------
    >>> synthetic_edges(100, 300, cache=False).shape[1]
    2
    """
    import numpy as np  # here, not at the top: `graphmatch --help` imports this module

    from seed_data import generate

    path = _cache_dir() / f"synth-{people}-{friendships}-seed{SEED}.npy"
    if cache and path.exists():
        cached: np.ndarray = np.load(path)
        return cached
    edges: np.ndarray = generate(people, 2 * friendships / people, seed=SEED).edges
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, edges)
    return edges


def load_pairs(spec: str) -> tuple[list[tuple[str, str]], str]:
    """Return the friendships of a named graph or spec, and a description.

    Parameters
    ----------
    spec : str
        A key of :data:`GRAPHS`, ``synth:PEOPLE:FRIENDSHIPS``, or a path to an edge list.

    Returns
    -------
    pairs : list of (str, str)
        The friendships.
    source : str
        Where they came from (a file name, or the generator call).

    Raises
    ------
    FileNotFoundError
        If the graph's file is in no data folder.
    InvalidInput
        For a malformed ``synth:`` spec, or a malformed file.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "g.txt"
    >>> _ = path.write_text("1 2\\n2 3\\n")
    >>> load_pairs(str(path))
    ([('1', '2'), ('2', '3')], 'g.txt')
    """
    target = GRAPHS.get(spec, spec)
    if target.startswith("synth:"):
        n, m = _synth_size(target)
        edges = synthetic_edges(n, m)
        ids = [str(i) for i in range(n)]
        return [(ids[a], ids[b]) for a, b in edges.tolist()], "seed_data.generate(seed=1)"
    path = Path(target)
    if not path.is_absolute() and not (spec not in GRAPHS and path.is_file()):
        found = [d / target for d in data_dirs() if (d / target).is_file()]
        path = found[0] if found else data_dirs()[-1] / target
    if not path.is_file():
        raise FileNotFoundError(str(path))
    pairs, _ = read_edgelist(path)
    return list(pairs), path.name
