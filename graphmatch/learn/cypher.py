"""The learned ranker over a store that runs Cypher (Neo4j): rerank its distance-2 people.

Neo4j holds no compiled index, so the ranker reads what its kernel reads, with parameterised
Cypher (never a string built from data): person_id's friends with their friend lists (the
two-hop walk: stage 1's candidates, their mutual counts and weighted sums), then the friend
lists of stage 1's best ``model.candidates`` (their degrees and 3-step paths), and the consent
flags, blocks and dismissals through the store's own methods. From those rows it builds a
small in-memory graph in which every row the kernel reads is complete (u's, its friends',
the candidates') and ids keep their order, and ranks there with the same kernel: the answer
is the in-memory store's, bit for bit, explanations included.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from graphmatch.errors import PersonNotFound
from graphmatch.learn.ranker import LearnedRanker

__all__ = ["suggest_over_cypher"]

#: u's friends, each with its friend list (u included): the two-hop walk.
_FRIEND_ROWS = """
MATCH (u:Person {id: $id})-[:FRIEND]-(a:Person)
OPTIONAL MATCH (a)-[:FRIEND]-(b:Person)
RETURN a.id AS id, collect(b.id) AS row
"""
#: The friend lists of the given people (stage 1's candidates).
_ROWS = """
UNWIND $ids AS pid
MATCH (p:Person {id: pid})
OPTIONAL MATCH (p)-[:FRIEND]-(x:Person)
RETURN pid AS id, collect(x.id) AS row
"""


def _local(person_id: str, rows: dict[str, list[str]], store: Any) -> Any:
    """Return a MemoryStore of person_id, the rows given, and the store's consent and blocks."""
    from graphmatch.stores.memory import MemoryStore

    g = nx.Graph()
    g.add_node(person_id)
    for a, row in rows.items():
        g.add_edges_from((a, b) for b in row)
    local = MemoryStore(g, index="off")
    people = list(g)
    for p in store.undiscoverable(people):
        local.set_consent(p, discoverable=False)
    for p in store.hidden_as_mutual(people):
        local.set_consent(p, show_as_mutual=False)
    for p in store.blocked_with(person_id):
        if p in g:  # someone farther than two steps is never a candidate nor a mutual friend
            local.block(person_id, p)
    return local


def suggest_over_cypher(
    ranker: LearnedRanker, store: Any, person_id: str, limit: int, *, explain: int = 3
) -> list[Any]:
    """Return :meth:`LearnedRanker.suggest`'s answer for person_id on a Cypher store.

    Parameters
    ----------
    ranker : LearnedRanker
        The model.
    store : Neo4jStore
        A store with ``run_read`` (the :class:`~graphmatch.RunsQueries` capability) and the
        consent, block and dismissal reads.
    person_id : str
        Who the suggestions are for.
    limit, explain : int
        As for :meth:`LearnedRanker.suggest`.

    Returns
    -------
    list of Suggestion
        What the same model answers on a :class:`~graphmatch.MemoryStore` of the same graph,
        dismissals left out as :meth:`graphmatch.Matcher.suggest` leaves them out.

    Raises
    ------
    PersonNotFound
        If person_id is unknown.
    StoreUnavailable
        If the store cannot be reached.

    Examples
    --------
    >>> import networkx as nx, numpy as np, graphmatch as gm
    >>> from graphmatch.learn import LearnedRanker, Model
    >>> class Rows:  # a stand-in answering the two queries from a networkx graph
    ...     def __init__(self, g): self.g = g
    ...     def exists(self, p): return p in self.g
    ...     def run_read(self, q, params):
    ...         ids = [params["id"]] if "id" in params else params["ids"]
    ...         people = self.g[ids[0]] if "id" in params else ids
    ...         return [{"id": a, "row": list(self.g[a])} for a in people]
    ...     undiscoverable = hidden_as_mutual = lambda self, ids: set()
    ...     blocked_with = dismissed = lambda self, p: []
    >>> g = nx.Graph([("a", "w"), ("w", "b"), ("a", "x"), ("x", "b"), ("x", "c")])
    >>> model = Model(features=("log_common_neighbors",), learner="logistic_regression",
    ...               bias=0.0, weights=np.array([1.0]))
    >>> [s.person for s in suggest_over_cypher(LearnedRanker(model), Rows(g), "a", 5)]
    ['b', 'c']
    """
    if not isinstance(person_id, str) or not store.exists(person_id):
        raise PersonNotFound(person_id)
    rows = {r["id"]: list(r["row"]) for r in store.run_read(_FRIEND_ROWS, {"id": person_id})}
    rows[person_id] = list(rows)
    gone = store.dismissed(person_id)
    # Stage 1 needs only the friends' rows. It is taken here before blocks and dismissals
    # leave their people out, so it keeps that many more: the final cut, which leaves them
    # out first, picks among these (stage 1 scores each person alone).
    from graphmatch.learn.ranker import candidate_features

    wider = ranker.model.candidates + len(gone) + len(store.blocked_with(person_id))
    cands, _ = candidate_features(_local(person_id, rows, store), person_id, wider)
    if cands:
        rows.update({r["id"]: list(r["row"]) for r in store.run_read(_ROWS, {"ids": cands})})
    local = _local(person_id, rows, store)
    found: list[Any] = ranker.suggest(local, person_id, limit, explain=explain, skip=gone)
    return found
