"""Benchmark ``Presence.nearby``: 100,000 people present on a 1,000,000-friendship network.

The graph is ``seed_data.generate(100_000, mean_degree=20)``; everyone checks in at a random
point around one of five cities (Gaussian scatter, sigma 3 km; Suva sits by the antimeridian
and Longyearbyen at 78 N). Prints p50/p99 of ``nearby`` for random people at several radii
on the memory store, the spatial query alone for the grid index against a SciPy KD-tree over
the same 3-D vectors and a vectorised full scan, and, with ``--neo4j``, ``nearby`` on Neo4j.

On Neo4j the network is written under the id prefix ``bench-`` and deleted afterwards.

Usage: ``python benchmarks/bench_nearby.py [--people 100000] [--queries 2000] [--neo4j]``
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # seed_data, tests.support.neo4j

import graphmatch as gm
from graphmatch.presence import (
    EARTH_RADIUS_M,
    CheckIn,
    MemoryPresenceIndex,
    Presence,
    destination,
)

CITIES = [
    ("Oslo", 59.9139, 10.7522),
    ("New York", 40.7128, -74.0060),
    ("Tokyo", 35.6762, 139.6503),
    ("Suva", -18.1248, 178.4501),
    ("Longyearbyen", 78.2232, 15.6267),
]
SIGMA_M = 3_000.0


def percentiles(samples: list[float]) -> tuple[float, float]:
    """Return (p50, p99) in milliseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]
    return statistics.median(ordered) * 1e3, p99 * 1e3


def timed(fn: Callable[[], object], n: int) -> tuple[float, float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return percentiles(out)


def places(n: int, seed: int) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    pts = []
    for _ in range(n):
        _, lat, lon = CITIES[rng.randrange(len(CITIES))]
        # A 2-D Gaussian around the centre: Rayleigh-distributed distance, uniform bearing.
        dist = SIGMA_M * math.sqrt(-2 * math.log(1 - rng.random()))
        pts.append(destination(lat, lon, dist, rng.uniform(0, 360)))
    return pts


def unit(pts: list[tuple[float, float]]) -> np.ndarray:
    a = np.radians(np.asarray(pts))
    lat, lon = a[:, 0], a[:, 1]
    return EARTH_RADIUS_M * np.stack(
        [np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--degree", type=int, default=20)
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--neo4j", action="store_true", help="also benchmark on Neo4j")
    ap.add_argument("--neo4j-queries", type=int, default=300)
    args = ap.parse_args()

    from seed_data import generate

    t = time.perf_counter()
    net = generate(args.people, mean_degree=args.degree, seed=args.seed, progress=False)
    g = nx.Graph()
    g.add_nodes_from(net.ids)
    g.add_edges_from(net.friendships)
    print(
        f"graph: {g.number_of_nodes():,} people, {g.number_of_edges():,} friendships "
        f"({time.perf_counter() - t:.1f} s)"
    )
    store = gm.MemoryStore(g, index="off")
    clock = [1_000_000.0]
    presence = Presence(store, clock=lambda: clock[0])
    pts = places(args.people, args.seed)
    t = time.perf_counter()
    for pid, (lat, lon) in zip(net.ids, pts, strict=True):
        presence.check_in(pid, lat=lat, lon=lon, ttl_s=86_400)
    dt = time.perf_counter() - t
    print(f"check-in: {args.people:,} people in {dt:.2f} s ({args.people / dt:,.0f}/s)")

    rng = random.Random(args.seed + 1)
    askers = [rng.choice(net.ids) for _ in range(args.queries)]
    print(f"\nmemory store, nearby over {args.queries:,} random people (limit 10)")
    print(f"{'radius':>8} {'candidates':>11} {'p50 ms':>8} {'p99 ms':>8}")
    for radius in (50.0, 250.0, 1_000.0):
        samples, sizes = [], []
        index = presence.index
        for who in askers:
            me = index.get(who, clock[0])
            assert me is not None and me.lat is not None and me.lon is not None
            sizes.append(len(index.within(me.lat, me.lon, radius, clock[0])))
            t = time.perf_counter()
            presence.nearby(who, radius_m=radius, limit=10)
            samples.append(time.perf_counter() - t)
        p50, p99 = percentiles(samples)
        print(f"{radius:>7.0f}m {statistics.mean(sizes):>11.1f} {p50:>8.3f} {p99:>8.3f}")

    # The spatial query alone: grid vs KD-tree vs full scan, same points, same answers.
    print("\nspatial query alone (250 m), p50/p99 ms")
    idx = MemoryPresenceIndex()
    for pid, (lat, lon) in zip(net.ids, pts, strict=True):
        idx.put(CheckIn(pid, lat, lon, None, True, 0.0, 1e12), 0.0)
    xyz = unit(pts)
    radius = 250.0
    chord = 2 * EARTH_RADIUS_M * math.sin(radius / (2 * EARTH_RADIUS_M))
    centres = [pts[rng.randrange(len(pts))] for _ in range(args.queries)]
    it = iter(centres * 3)
    grid = timed(lambda: idx.within(*next(it), radius, 1.0), len(centres))
    print(f"  grid (this index)   {grid[0]:.3f} / {grid[1]:.3f}")
    try:
        from scipy.spatial import cKDTree
    except ImportError:
        print("  KD-tree             (scipy not installed)")
    else:
        t = time.perf_counter()
        tree = cKDTree(xyz)
        build = time.perf_counter() - t
        q = unit(centres)
        qi = iter(range(len(centres)))
        kd = timed(lambda: tree.query_ball_point(q[next(qi)], chord), len(centres))
        rebuild = f"(+ {build * 1e3:.0f} ms to rebuild after any change)"
        print(f"  KD-tree (scipy)     {kd[0]:.3f} / {kd[1]:.3f}   {rebuild}")
    lat_r, lon_r = np.radians(np.asarray(pts)).T
    si = iter(centres)

    def scan() -> object:
        clat, clon = np.radians(next(si))
        h = (
            np.sin((lat_r - clat) / 2) ** 2
            + np.cos(clat) * np.cos(lat_r) * np.sin((lon_r - clon) / 2) ** 2
        )
        return np.nonzero(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(h, 1))) <= radius)[0]

    full = timed(scan, min(300, len(centres)))
    print(f"  numpy full scan     {full[0]:.3f} / {full[1]:.3f}")

    if args.neo4j:
        bench_neo4j(net.ids, net.friendships, pts, askers[: args.neo4j_queries])


def bench_neo4j(
    ids: list[str],
    friendships: list[tuple[str, str]],
    pts: list[tuple[float, float]],
    askers: list[str],
) -> None:
    from neo4j.spatial import WGS84Point

    from tests.support.neo4j import connect

    store = connect(batch_size=20_000)
    prefix = "bench-"
    clean = (
        "MATCH (n) WHERE (n:Person AND n.id STARTS WITH $p) OR "
        "(n:Presence AND n.person_id STARTS WITH $p) WITH n LIMIT 20000 DETACH DELETE n "
        "RETURN count(*) AS n"
    )

    def cleanup() -> None:
        while store._write(lambda tx: tx.run(clean, p=prefix).single(strict=True)["n"]):
            pass

    try:
        cleanup()
        t = time.perf_counter()
        store.bulk_load((prefix + a, prefix + b) for a, b in friendships)
        print(
            f"\nneo4j: loaded {len(friendships):,} friendships in {time.perf_counter() - t:.0f} s"
        )
        now = 1_000_000.0
        presence = Presence(store, clock=lambda: now)
        presence.index.purge(now)  # creates the presence schema
        rows = [
            {"p": prefix + pid, "loc": WGS84Point((lon, lat)), "at": now, "exp": now + 86_400}
            for pid, (lat, lon) in zip(ids, pts, strict=True)
        ]
        put = (
            "UNWIND $rows AS r MERGE (pr:Presence {person_id: r.p}) "
            "SET pr.location = r.loc, pr.visible = true, pr.checked_in_at = r.at, "
            "pr.expires_at = r.exp"
        )
        t = time.perf_counter()

        for i in range(0, len(rows), 20_000):

            def write(tx: Any, chunk: list[dict[str, Any]] = rows[i : i + 20_000]) -> None:
                tx.run(put, rows=chunk).consume()

            store._write(write)
        print(f"neo4j: {len(rows):,} check-ins in {time.perf_counter() - t:.1f} s (batched)")
        print(f"{'radius':>8} {'p50 ms':>8} {'p99 ms':>8}   ({len(askers)} queries)")
        for radius in (50.0, 250.0, 1_000.0):
            for who in askers[:20]:  # warm the plan cache and page cache
                presence.nearby(prefix + who, radius_m=radius)
            it = iter(askers)

            def one(it: Iterator[str] = it, radius: float = radius) -> object:
                return presence.nearby(prefix + next(it), radius_m=radius)

            p50, p99 = timed(one, len(askers))
            print(f"{radius:>7.0f}m {p50:>8.2f} {p99:>8.2f}")
    finally:
        cleanup()
        store.close()


if __name__ == "__main__":
    main()
