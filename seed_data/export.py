"""Export a network to plain files other tools can load, and read them back.

- ``friendships.txt``: SNAP-style edge list, ``a b`` per line, ``#`` comment header. Readable by
  ``networkx.read_edgelist``, ``graphmatch.MemoryStore.from_edgelist`` or ``awk``.
- ``people.jsonl``: one JSON object per person (``id`` first), UTF-8.
- ``event.json``: the conference, its attendees, highlight pairs and newcomers.
"""

from __future__ import annotations

import json
from os import PathLike
from pathlib import Path

import numpy as np

from graphmatch.errors import InvalidInput
from seed_data.generator import canonical_edges
from seed_data.model import Event, Network, Person
from seed_data.structure import canonical_keys

__all__ = ["EVENT_FILE", "FRIENDSHIPS_FILE", "PEOPLE_FILE", "export", "load"]

FRIENDSHIPS_FILE = "friendships.txt"
PEOPLE_FILE = "people.jsonl"
EVENT_FILE = "event.json"
_PARAMS_PREFIX = "# params: "


def export(network: Network, directory: str | PathLike[str]) -> dict[str, Path]:
    """Write ``friendships.txt``, ``people.jsonl`` and ``event.json`` into directory.

    The bytes depend only on the network (ids, sorted edges, fixed key order), so two exports
    of the same seed are identical files.

    Parameters
    ----------
    network : Network
        The network to write.
    directory : str or path-like
        Created if missing; existing files of the same names are replaced.

    Returns
    -------
    dict
        ``{"friendships": path, "people": path, "event": path}``.

    Examples
    --------
    >>> import tempfile
    >>> from seed_data import generate
    >>> paths = export(generate(100, 4), tempfile.mkdtemp())
    >>> paths["friendships"].read_text().startswith("#")
    True
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    ids = network.ids
    header = (
        f"# graphmatch seed_data network: undirected friendships, one 'a b' pair per line\n"
        f"# Nodes: {network.n_people} Edges: {network.n_friendships}\n"
        f"{_PARAMS_PREFIX}{json.dumps(network.params, sort_keys=True)}\n"
    )
    paths = {
        "friendships": out / FRIENDSHIPS_FILE,
        "people": out / PEOPLE_FILE,
        "event": out / EVENT_FILE,
    }
    with paths["friendships"].open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(header)
        # Chunks keep memory flat at a million lines without a Python call per line.
        edges = network.edges
        for start in range(0, edges.shape[0], 100_000):
            chunk = edges[start : start + 100_000].tolist()
            fh.write("".join(f"{ids[a]} {ids[b]}\n" for a, b in chunk))
    with paths["people"].open("w", encoding="utf-8", newline="\n") as fh:
        for person in network.people:
            fh.write(json.dumps(person.to_json(), ensure_ascii=False) + "\n")
    with paths["event"].open("w", encoding="utf-8", newline="\n") as fh:
        json.dump(network.event.to_json(), fh, ensure_ascii=False, indent=2)
        fh.write("\n")
    return paths


def load(directory: str | PathLike[str]) -> Network:
    """Read back a directory written by :func:`export`.

    Parameters
    ----------
    directory : str or path-like
        Holds ``friendships.txt``, ``people.jsonl`` and ``event.json``.

    Returns
    -------
    Network
        Equal to the exported one (same people, friendships, event and params).

    Raises
    ------
    InvalidInput
        If a file is missing or a line cannot be read.

    Examples
    --------
    >>> import tempfile
    >>> from seed_data import generate
    >>> net = generate(100, 4)
    >>> d = tempfile.mkdtemp(); _ = export(net, d)
    >>> load(d).friendships == net.friendships
    True
    """
    base = Path(directory)
    try:
        people_lines = (base / PEOPLE_FILE).read_text(encoding="utf-8").splitlines()
        edge_lines = (base / FRIENDSHIPS_FILE).read_text(encoding="utf-8").splitlines()
        event_raw = json.loads((base / EVENT_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InvalidInput(f"not a seed_data export: {exc.filename} is missing") from exc
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{base / EVENT_FILE}: {exc}") from exc

    people: list[Person] = []
    for no, line in enumerate(people_lines, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            people.append(
                Person(
                    id=str(raw["id"]),
                    name=raw["name"],
                    handle=raw["handle"],
                    city=raw["city"],
                    employer=raw["employer"],
                    school=raw["school"],
                    interests=tuple(raw["interests"]),
                    locale=raw["locale"],
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InvalidInput(f"{base / PEOPLE_FILE}:{no}: bad person ({exc})") from exc
    index = {p.id: i for i, p in enumerate(people)}

    params: dict[str, object] = {}
    a: list[int] = []
    b: list[int] = []
    for no, line in enumerate(edge_lines, 1):
        if line.startswith(_PARAMS_PREFIX):
            params = json.loads(line[len(_PARAMS_PREFIX) :])
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2 or parts[0] not in index or parts[1] not in index:
            raise InvalidInput(f"{base / FRIENDSHIPS_FILE}:{no}: expected two known person ids")
        a.append(index[parts[0]])
        b.append(index[parts[1]])
    ids = [p.id for p in people]
    # Through integer keys first, so a hand-edited file with repeats or loops still loads clean.
    keys = canonical_keys(np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64), len(ids))
    edges = canonical_edges(keys // len(ids), keys % len(ids), ids)

    event = Event(
        id=event_raw["id"],
        name=event_raw["name"],
        city=event_raw["city"],
        attendees=tuple(event_raw["attendees"]),
        highlights=tuple((x, y) for x, y in event_raw.get("highlights", [])),
        newcomers=tuple(event_raw.get("newcomers", [])),
    )
    return Network(people=people, edges=edges, event=event, params=params)
