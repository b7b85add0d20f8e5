"""PROFILE the Neo4j suggestion and mutual-friend queries: the straightforward form, then ours.

Bulk-loads ego-Facebook (after clearing the database!) and, for the biggest hub, a person of
median degree and a low-degree person, runs each query under ``PROFILE``: total db hits
(summed over the plan) and the median of 5 timed runs.

* ``two-hop (first form)``: labels on every node, grouped by ``v.id`` — what one writes
  first, and what the store shipped before it was profiled.
* ``two-hop (store)``: ``Neo4jStore``'s two-hop query: no label checks on nodes reached by
  ``:FRIEND`` (only people carry it), grouped by node, the degree cap before the second hop.
* ``suggest (per path)``: one query that filters friends, blocks and opt-outs on every
  two-hop path and names mutual friends for every candidate before ranking.
* ``suggest (EXISTS per candidate)``: the store's first one-query suggest: filters once per
  candidate with ``NOT EXISTS { (p)-[:FRIEND]-(v) }``, names mutual friends only for the top
  ``limit``.
* ``suggest (store)``: ``Neo4jStore.top_candidates``' query now: friends and blocked people
  collected once, tested with ``IN``.
* ``mutual (first form)`` / ``mutual (store)``: mutual friends of one pair.

Usage::

    scripts/neo4j-local start
    .venv/bin/python benchmarks/profile_neo4j.py

Connection as in ``benchmarks/bench_neo4j.py``.
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import graphmatch as gm  # noqa: E402
from graphmatch.stores.neo4j import store as neo4j_store  # noqa: E402
from graphmatch.stores.neo4j.store import Neo4jStore  # noqa: E402

DATA = ROOT / "tests" / "data" / "facebook_combined.txt.gz"

TWO_HOP_FIRST = """
MATCH (p:Person {id: $id})-[:FRIEND]-(w:Person)-[:FRIEND]-(v:Person)
WHERE v.id <> $id
WITH v.id AS vid, count(w) AS c
RETURN collect(vid) AS ids, collect(c) AS counts
"""

SUGGEST_PER_PATH = """
MATCH (p:Person {id: $id})-[:FRIEND]-(w:Person)-[:FRIEND]-(v:Person)
WHERE v <> p AND NOT EXISTS { (p)-[:FRIEND]-(v) } AND NOT EXISTS { (p)-[:BLOCKED]-(v) }
  AND coalesce(v.discoverable, true)
WITH v, collect(w) AS ws
WITH v, size(ws) AS c,
     [w IN ws WHERE coalesce(w.show_as_mutual, true) | w.id] AS named
ORDER BY c DESC, v.id ASC
LIMIT $limit
RETURN v.id AS id, c AS count, named[..$explain] AS named
"""

# Neo4jStore's suggest query before it was profiled: friends and blocks tested per candidate
# with EXISTS (an Expand(Into) from the person, a dense node for a hub).
SUGGEST_EXISTS = """
MATCH (p:Person {id: $id})
WITH p, COUNT { (p)-[:FRIEND]-() } AS du
MATCH (p)-[:FRIEND]-(w)
WITH p, du, w, COUNT { (w)-[:FRIEND]-() } AS d
WHERE d >= 2 AND ($max_degree IS NULL OR d <= $max_degree)
MATCH (w)-[:FRIEND]-(v)
WHERE v <> p
WITH p, du, v, count(*) AS c, sum(1.0 / log(d)) AS aa, sum(1.0 / d) AS ra
WHERE coalesce(v.discoverable, true)
  AND NOT EXISTS { (p)-[:FRIEND]-(v) }
  AND NOT EXISTS { (p)-[:BLOCKED]-(v) }
WITH p, v, c, CASE $score
    WHEN 'common_neighbors' THEN toFloat(c)
    WHEN 'adamic_adar' THEN aa
    WHEN 'resource_allocation' THEN ra
    WHEN 'cn_ra' THEN c * ra
    ELSE toFloat(c) / (du + COUNT { (v)-[:FRIEND]-() } - c)
  END AS s
WITH p, v, c, s, floor(s * 1.0e10 + 0.5) AS q
ORDER BY q DESC, c DESC, v.id ASC
LIMIT $limit
CALL (p, v) {
  MATCH (p)-[:FRIEND]-(w)-[:FRIEND]-(v)
  WITH w, COUNT { (w)-[:FRIEND]-() } AS d
  WHERE coalesce(w.show_as_mutual, true) AND ($max_degree IS NULL OR d <= $max_degree)
  WITH w, d ORDER BY d ASC, w.id ASC LIMIT $explain
  RETURN collect(w.id) AS named
}
RETURN v.id AS id, s AS score, c AS count, named
"""

MUTUAL_FIRST = """
MATCH (a:Person {id: $a})-[:FRIEND]-(w:Person)-[:FRIEND]-(b:Person {id: $b})
RETURN collect(w.id) AS ids
"""


def db_hits(plan: Any) -> int:
    """Return the db hits of a profiled plan and all its children."""
    if plan is None:
        return 0
    own = int(plan.get("dbHits", 0)) if isinstance(plan, dict) else 0
    children = plan.get("children", []) if isinstance(plan, dict) else []
    return own + sum(db_hits(c) for c in children)


def measure(neo: Neo4jStore, query: str, params: dict[str, Any]) -> tuple[int, float]:
    """Return (db hits under PROFILE, median seconds of 5 plain runs)."""
    with neo._session() as session:
        summary = session.run("PROFILE " + query, params).consume()
        hits = db_hits(summary.profile)
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            session.run(query, params).consume()
            times.append(time.perf_counter() - t0)
    return hits, statistics.median(times)


def main() -> int:
    """Load ego-Facebook, profile each query on three people, print a table."""
    # The driver logs a warning per query that names a property no node has yet (the
    # consent flags, :BLOCKED): expected on a freshly loaded graph.
    logging.getLogger("neo4j").setLevel(logging.ERROR)
    uri = os.environ.get("NEO4J_URI")
    if not uri and (ROOT / ".neo4j" / "uri").is_file():
        uri = (ROOT / ".neo4j" / "uri").read_text().strip()
    auth = (
        os.environ.get("NEO4J_USER") or "neo4j",
        os.environ.get("NEO4J_PASSWORD") or "graphmatch-test",
    )
    edges, _ = gm.read_edgelist(DATA)
    memory = gm.MemoryStore.from_edgelist(DATA, index="off")
    by_degree = sorted(memory.graph, key=lambda p: (memory.degree(p), p))
    people = {
        "hub": by_degree[-1],
        "median": by_degree[len(by_degree) // 2],
        "low": by_degree[len(by_degree) // 10],
    }
    partner = {k: memory.friends(memory.friends(p)[0])[-1] for k, p in people.items()}
    try:
        with Neo4jStore(uri, auth=auth, timeout=300) as neo:
            neo.ping()
            neo.clear()
            neo.bulk_load(edges)
            suggest = {"limit": 10, "explain": 3, "max_degree": None, "score": "common_neighbors"}
            suggest.update(aa_fix={}, quantum_inv=neo4j_store.rule.QUANTUM_INV)
            queries = {
                "two-hop (first form)": (TWO_HOP_FIRST, {}),
                "two-hop (store)": (neo4j_store._TWO_HOP_COUNTS, {"max_degree": None}),
                "suggest (per path)": (SUGGEST_PER_PATH, {"limit": 10, "explain": 3}),
                "suggest (EXISTS per candidate)": (SUGGEST_EXISTS, suggest),
                "suggest (store)": (neo4j_store._TOP_CANDIDATES, suggest),
            }
            print(f"{'query':32} {'person':7} {'degree':>6} {'db hits':>10} {'p50 ms':>8}")
            for label, (query, extra) in queries.items():
                for who, person in people.items():
                    hits, secs = measure(neo, query, {"id": person, **extra})
                    print(
                        f"{label:32} {who:7} {memory.degree(person):>6} {hits:>10,} "
                        f"{secs * 1e3:>8.2f}"
                    )
            for who, person in people.items():
                pair = {"a": person, "b": partner[who]}
                hits, secs = measure(neo, MUTUAL_FIRST, pair)
                print(f"{'mutual (first form)':32} {who:7} {'':>6} {hits:>10,} {secs * 1e3:>8.2f}")
                store = {"a": person, "others": [partner[who]], "max_degree": None}
                hits, secs = measure(neo, neo4j_store._MUTUAL, store)
                print(f"{'mutual (store)':32} {who:7} {'':>6} {hits:>10,} {secs * 1e3:>8.2f}")
    except gm.GraphMatchError as exc:
        print(f"profile_neo4j: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
