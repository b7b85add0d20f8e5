"""Edge-list loaders: SNAP-style whitespace files and CSV files with a header line.

The folding rule for directed inputs (Slashdot, e-mail graphs): every line ``u v`` becomes the
undirected friendship ``{u, v}``; a reciprocal pair ``u v`` / ``v u`` is one friendship and the
second line is counted as a duplicate. Self-loops are dropped and counted. Ids become strings.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from graphmatch._validation import id_problem
from graphmatch.errors import InvalidInput, ParseError

__all__ = ["LoadReport", "iter_edges", "read_edgelist"]


@dataclass
class LoadReport:
    """What a load read, kept and dropped."""

    path: str
    lines: int = 0
    edges: int = 0
    self_loops: int = 0
    duplicates: int = 0
    people: int = 0
    extra: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """Return the report as plain JSON-ready data."""
        return {
            "path": self.path,
            "lines": self.lines,
            "people": self.people,
            "friendships": self.edges,
            "self_loops_dropped": self.self_loops,
            "duplicates_dropped": self.duplicates,
        }


def _open_text(path: Path) -> IO[str]:
    """Open a plain or gzip file as text, sniffing the gzip magic bytes."""
    with path.open("rb") as raw:
        magic = raw.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline=None)
    return path.open("r", encoding="utf-8", newline=None)


def _is_csv(path: Path) -> bool:
    """Tell CSV files from SNAP files by their name (``.csv`` or ``.csv.gz``)."""
    name = path.name.lower()
    return name.endswith(".csv") or name.endswith(".csv.gz")


def iter_edges(path: str | Path) -> Iterator[tuple[str, str]]:
    """Yield the raw ``(u, v)`` pairs of an edge-list file, in file order.

    SNAP files: whitespace-separated, ``#`` comment lines, optional gzip, any line endings.
    CSV files (``.csv``): one header line, then ``u,v`` per line. Nothing is dropped here;
    see :func:`read_edgelist` for folding.

    Parameters
    ----------
    path : str or Path
        The file to read.

    Yields
    ------
    tuple of str
        One ``(u, v)`` pair per data line.

    Raises
    ------
    InvalidInput
        If the file does not exist or cannot be decoded.
    ParseError
        If a data line does not hold exactly two ids, or an id breaks the id rule
        (:func:`graphmatch._validation.check_id`: no ``/``, control characters, lone
        surrogates, whitespace-only ids, ``.`` or ``..``); names the file and line.

    Examples
    --------
    >>> import os, pathlib, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "g.txt")
    >>> _ = pathlib.Path(p).write_text("# demo\\n1 2\\r\\n2 3\\n")
    >>> list(iter_edges(p))
    [('1', '2'), ('2', '3')]
    """
    p = Path(path)
    if p.is_dir():
        raise InvalidInput(f"{p}: is a folder; give an edge-list file (.txt, .gz or .csv)")
    if not p.is_file():
        raise InvalidInput(f"{p}: no such file")
    csv = _is_csv(p)
    try:
        with _open_text(p) as fh:
            header_seen = not csv
            for line_no, line in enumerate(fh, start=1):
                text = line.strip()
                if not text or text.startswith("#"):
                    continue
                if not header_seen:
                    header_seen = True
                    if len(text.split(",")) != 2:
                        raise ParseError(str(p), line_no, "CSV header must name two columns")
                    continue
                parts = text.split(",") if csv else text.split()
                if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
                    shown = text if len(text) <= 60 else text[:57] + "..."
                    raise ParseError(str(p), line_no, f"expected two ids, got {shown!r}")
                u, v = parts[0].strip(), parts[1].strip()
                # The one id rule (graphmatch._validation): an id no URL can address is refused
                # here, with its line, rather than loaded and stranded.
                problem = id_problem(u) or id_problem(v)
                if problem is not None:
                    raise ParseError(str(p), line_no, problem)
                yield u, v
    except (UnicodeDecodeError, gzip.BadGzipFile, EOFError) as exc:
        raise InvalidInput(f"{p}: cannot read as an edge list ({exc})") from exc


def read_edgelist(path: str | Path) -> tuple[list[tuple[str, str]], LoadReport]:
    """Read an edge list, folded to undirected, without self-loops or duplicates.

    Parameters
    ----------
    path : str or Path
        A SNAP-style file (``.txt``, ``.gz``) or a CSV file with a header (``.csv``).

    Returns
    -------
    edges : list of (str, str)
        Distinct undirected friendships, each once, in first-seen order.
    report : LoadReport
        Lines read, friendships kept, self-loops and duplicates dropped, people seen.

    Raises
    ------
    InvalidInput, ParseError
        As :func:`iter_edges`.

    Examples
    --------
    >>> import os, pathlib, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "g.txt")
    >>> _ = pathlib.Path(p).write_text("1 2\\n2 1\\n3 3\\n2 3\\n")
    >>> edges, report = read_edgelist(p)
    >>> edges, report.duplicates, report.self_loops
    ([('1', '2'), ('2', '3')], 1, 1)
    """
    report = LoadReport(path=str(path))
    seen: set[tuple[str, str]] = set()
    edges: list[tuple[str, str]] = []
    people: set[str] = set()
    for u, v in iter_edges(path):
        report.lines += 1
        if u == v:
            report.self_loops += 1
            continue
        key = (u, v) if u < v else (v, u)
        if key in seen:
            report.duplicates += 1
            continue
        seen.add(key)
        edges.append((u, v))
        people.add(u)
        people.add(v)
    report.edges = len(edges)
    report.people = len(people)
    return edges, report
