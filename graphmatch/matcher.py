"""The matcher: mutual friends, introductions and ranking, the same over every store."""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from graphmatch._validation import check_pair_shapes
from graphmatch.errors import InvalidInput, PersonNotFound
from graphmatch.rule import (
    DEFAULT_SCORE,
    LEARNED,
    QUANTUM,
    SCORES,
    WEIGHTED,
    check_score,
    order_key,
    pair_score,
    quantise,
    score_from_stats,
)

# Re-exported: presence and older callers import the explanation order from here.
from graphmatch.rule import explanation_order as explanation_order
from graphmatch.stores.protocol import (
    BuildsSuggestions,
    CountsMutual,
    Dismisses,
    GraphStore,
    HasIndex,
    RanksCandidates,
    RunsQueries,
)

if TYPE_CHECKING:
    from graphmatch.learn.ranker import LearnedRanker

__all__ = ["MAX_EXPLAIN", "MAX_LIMIT", "Matcher", "Mutual", "Suggestion"]

MAX_LIMIT = 1000
MAX_EXPLAIN = 100

_T = TypeVar("_T")

#: The classic scores, as a set: one hash probe on the hot path.
_SCORES = frozenset(SCORES)


@dataclass(frozen=True)
class Mutual:
    """The mutual friends of two people.

    ``count`` is exact; ``people`` names those who may be shown, strongest tie first;
    ``hidden`` says how many were withheld: those who opted out of being shown as a mutual
    friend, and anyone blocked either way with either of the two people (when the two are
    blocked with each other, every mutual friend is withheld).
    """

    count: int
    people: list[str] = field(default_factory=list)
    hidden: int = 0

    @property
    def exact(self) -> bool:
        """Whether every mutual friend is named."""
        return self.hidden == 0


@dataclass(frozen=True)
class Suggestion:
    """One ranked person: score, mutual-friend count and the named mutual friends.

    ``score`` and ``mutual_count`` count every mutual friend; ``mutual`` names only those
    who may be shown to the person the suggestion is for (not opted out of being shown, not
    blocked either way with that person), so it may be shorter than the count.
    """

    person: str
    score: float
    mutual_count: int
    mutual: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """Return the suggestion as JSON-ready data (the HTTP shape)."""
        return {
            "id": self.person,
            "score": self.score,
            "mutual_count": self.mutual_count,
            "mutual": list(self.mutual),
        }


def _suggestions(rows: Iterable[tuple[str, float, int, list[str]]]) -> list[Suggestion]:
    """Build Suggestions from ``(id, score, count, named)`` rows, skipping the frozen __init__.

    A frozen dataclass sets each field through ``object.__setattr__``; filling the instance
    dict directly is the same result at about half the cost, which shows on the hot path.
    """
    new = object.__new__
    out = []
    for person, score, count, named in rows:
        s = new(Suggestion)
        d = s.__dict__
        d["person"], d["score"], d["mutual_count"], d["mutual"] = person, score, count, named
        out.append(s)
    return out


def _best(
    values: Mapping[str, float], counts: Mapping[str, int], limit: int
) -> list[tuple[str, float, int]]:
    """Return the ``limit`` best candidates by the ranking rule, as ``(id, score, count)``."""
    if not values:
        return []
    # Quantising is monotone, so the k-th best quantised score is that of the k-th best raw
    # score, found by C-level selection over bare numbers. Only scores within a rounding
    # margin of it can quantise to it; everyone farther above is strictly above the bar.
    bar = heapq.nlargest(limit, values.values())[-1]
    qbar = quantise(bar)
    margin = 2 * QUANTUM + 8 * math.ulp(bar)
    low, high = bar - margin, bar + margin
    above: list[tuple[tuple[int, int, str], float]] = []
    tied: list[str] = []
    for v, s in [(v, s) for v, s in values.items() if s >= low]:
        if s == bar:
            tied.append(v)  # the common case: thousands reached through one friend tie
            continue
        q = quantise(s) if s <= high else qbar + 1
        if q > qbar:
            above.append((order_key(v, s, counts[v]), float(s)))
        elif q == qbar:
            tied.append(v)
    above.sort()
    # Fewer than limit are strictly above (they all beat the k-th best raw score); the rest
    # come from the tied, by the rest of the key: count desc, id asc.
    need = limit - len(above)
    if len(tied) > need:
        if len({counts[v] for v in tied}) == 1:
            tied = heapq.nsmallest(need, tied)
        else:
            tied = [v for _, v in heapq.nsmallest(need, [(-counts[v], v) for v in tied])]
    else:
        tied.sort(key=lambda v: (-counts[v], v))
    out = [(key[2], value, -key[1]) for key, value in above]
    out += [(v, float(values[v]), counts[v]) for v in tied]
    return out


def _check_int(name: str, value: object, low: int, high: int) -> int:
    """Return value if it is an int within [low, high], else raise InvalidInput."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{name} must be an integer from {low} to {high}, got {value!r}")
    return value


def _check_cap(max_degree: int | None) -> int | None:
    """Return a valid degree cap (None or >= 1)."""
    if max_degree is None:
        return None
    return _check_int("max_degree", max_degree, 1, 2**62)


class Matcher:
    """Answers "friends in common" questions over any :class:`~graphmatch.GraphStore`.

    Parameters
    ----------
    store : GraphStore
        Where the graph lives (:class:`~graphmatch.MemoryStore`, ``Neo4jStore``...).
    explain : int, default 3
        How many mutual friends each suggestion names.
    push_down : bool, default True
        Let the store rank and count with its own capabilities (compiled kernels, one Cypher
        query). False answers every read through the plain :class:`~graphmatch.GraphStore`
        methods: the same answers, slower; the conformance suite runs both ways.

    Examples
    --------
    >>> import networkx as nx, graphmatch as gm
    >>> G = nx.Graph([("ann", "bob"), ("bob", "cat"), ("ann", "dan"), ("dan", "cat")])
    >>> m = gm.Matcher(gm.MemoryStore(G))
    >>> m.mutual_friends("ann", "cat").people
    ['bob', 'dan']
    >>> [(s.person, s.mutual_count) for s in m.suggest("ann")]
    [('cat', 2)]
    """

    def __init__(
        self,
        store: GraphStore,
        *,
        explain: int = 3,
        push_down: bool = True,
        model: str | Path | LearnedRanker | None = None,
    ) -> None:
        self.store = store
        # The capabilities are checked once here: a runtime Protocol check costs microseconds,
        # too much for every call on the hot path.
        self._ranks: RanksCandidates | None = None
        self._counts: CountsMutual | None = None
        if push_down and isinstance(store, RanksCandidates):
            self._ranks = store
        if push_down and isinstance(store, CountsMutual):
            self._counts = store
        # A store that builds the Suggestions itself, in the loop reading its kernel's rows,
        # and answers None for an unknown person (MemoryStore): the latency path.
        # The bound method is kept: one attribute lookup less per call.
        self._ranks_as: Callable[..., list[Suggestion] | None] | None = (
            store.top_candidates_as
            if self._ranks is not None and isinstance(store, BuildsSuggestions)
            else None
        )
        # Not a push-down: what people dismissed is data, excluded on every path.
        self._dismisses: Dismisses | None = store if isinstance(store, Dismisses) else None
        self.explain = _check_int("explain", explain, 0, MAX_EXPLAIN)
        self.learned: LearnedRanker | None = None
        if model is not None:
            from graphmatch.learn.ranker import LearnedRanker  # numpy only when asked

            self.learned = model if isinstance(model, LearnedRanker) else LearnedRanker.load(model)

    def _require(self, *person_ids: str) -> None:
        """Raise PersonNotFound for the first unknown id (one store call for any number)."""
        if len(person_ids) == 1:
            if not self.store.exists(person_ids[0]):
                raise PersonNotFound(person_ids[0])
            return
        # degrees() leaves unknown ids out: one query on Neo4j instead of one per id.
        known = self.store.degrees(person_ids)
        for pid in person_ids:
            if pid not in known:
                raise PersonNotFound(pid)

    def mutual_friends(self, a: str, b: str, *, max_degree: int | None = None) -> Mutual:
        """Return the mutual friends of two people.

        Parameters
        ----------
        a, b : str
            Two different person ids.
        max_degree : int, optional
            Leave out mutual friends with more friends than this.

        Returns
        -------
        Mutual
            ``count`` (exact), ``people`` (named, strongest tie first), ``hidden``. A block
            hides both people from each other: nobody blocked either way with a or b is
            named, and if a and b are blocked with each other nobody is named at all (the
            answer may be shown to either of them).

        Raises
        ------
        PersonNotFound
            If either id is unknown.
        InvalidInput
            If a == b or max_degree is not a positive integer.

        Examples
        --------
        >>> import networkx as nx, graphmatch as gm
        >>> m = gm.Matcher(gm.MemoryStore(nx.Graph([("a", "w"), ("w", "b")])))
        >>> m.mutual_friends("a", "b")
        Mutual(count=1, people=['w'], hidden=0)
        """
        cap = _check_cap(max_degree)
        if a == b:
            raise InvalidInput("mutual friends need two different people")
        self._require(a, b)
        common = self.store.mutual(a, [b], cap)[b]
        if not common:
            return Mutual(count=0)
        blocked = self.store.blocked_with(a)
        if b in blocked:
            # Naming anyone would show each of them the other's friends.
            return Mutual(count=len(common), people=[], hidden=len(common))
        hidden = self.store.hidden_as_mutual(common) | blocked | self.store.blocked_with(b)
        named = [w for w in explanation_order(common) if w not in hidden]
        return Mutual(count=len(common), people=named, hidden=len(common) - len(named))

    def mutual_counts(self, pairs: Iterable[tuple[str, str]]) -> list[int]:
        """Return how many friends each pair has in common, for many pairs at once.

        Parameters
        ----------
        pairs : iterable of (str, str)
            Pairs of person ids.

        Returns
        -------
        list of int
            One exact count per pair, in order (no consent filtering: counts only).

        Raises
        ------
        PersonNotFound
            If any id is unknown.
        InvalidInput
            If an item does not hold two ids.

        Examples
        --------
        >>> import networkx as nx, graphmatch as gm
        >>> m = gm.Matcher(gm.MemoryStore(nx.Graph([("a", "w"), ("w", "b"), ("a", "b")])))
        >>> m.mutual_counts([("a", "b"), ("a", "w")])
        [1, 1]
        """
        batch = list(pairs)
        counts = self._counts
        if counts is not None:
            if len(batch) == 1 and batch[0].__class__ is tuple and len(batch[0]) == 2:
                # One pair is the latency case: skip building arrays for a batch of one.
                return [counts.mutual_count(*batch[0])]
            return counts.mutual_counts(batch)
        check_pair_shapes(batch)
        out = []
        for a, b in batch:
            self._require(a, b)
            out.append(len(self.store.mutual(a, [b])[b]))
        return out

    def score(
        self, a: str, b: str, score: str = DEFAULT_SCORE, *, max_degree: int | None = None
    ) -> float:
        """Return one score for one pair, with no consent filtering.

        Parameters
        ----------
        a, b : str
            Two person ids.
        score : str
            One of :data:`graphmatch.SCORES`.
        max_degree : int, optional
            Leave out mutual friends with more friends than this.

        Returns
        -------
        float
            The score, as networkx's link-prediction function would give it.

        Raises
        ------
        PersonNotFound
            If either id is unknown.
        InvalidInput
            For an unknown score or a == b.

        Examples
        --------
        >>> import networkx as nx, graphmatch as gm
        >>> m = gm.Matcher(gm.MemoryStore(nx.Graph([("a", "w"), ("w", "b")])))
        >>> m.score("a", "b", "jaccard")
        1.0
        """
        check_score(score)
        cap = _check_cap(max_degree)
        if a == b:
            raise InvalidInput("a score needs two different people")
        self._require(a, b)
        common = self.store.mutual(a, [b], cap)[b]
        degs = self.store.degrees([a, b])
        return pair_score(score, common, degs[a], degs[b])

    def suggest(
        self,
        person_id: str,
        limit: int = 10,
        score: str = DEFAULT_SCORE,
        *,
        max_degree: int | None = None,
        explain: int | None = None,
    ) -> list[Suggestion]:
        """Return the people person_id may know, best first.

        Candidates are the people at distance exactly 2, never person_id, never a friend,
        never anyone blocked either way, never anyone who opted out of discovery, never
        anyone person_id dismissed (a store with :class:`~graphmatch.Dismisses`). Order:
        score descending, then mutual count descending, then id ascending. The named mutual
        friends never include anyone blocked either way with person_id (they still count).

        Parameters
        ----------
        person_id : str
            Who the suggestions are for.
        limit : int, default 10
            How many suggestions, 1 to :data:`MAX_LIMIT`.
        score : str, default "cn_ra"
            One of :data:`graphmatch.SCORES`.
        max_degree : int, optional
            Degree cap: mutual friends with more friends than this are not counted as
            evidence (a friend of 5,000 people says little about two strangers).
        explain : int, optional
            How many mutual friends to name per suggestion (default: the matcher's).

        Returns
        -------
        list of Suggestion

        Raises
        ------
        PersonNotFound
            If person_id is unknown.
        InvalidInput
            For an unknown score or out-of-range limit, max_degree or explain.

        Examples
        --------
        >>> import networkx as nx, graphmatch as gm
        >>> G = nx.Graph([("a", "w"), ("w", "b"), ("a", "x"), ("x", "b"), ("x", "c")])
        >>> [s.person for s in gm.Matcher(gm.MemoryStore(G)).suggest("a")]
        ['b', 'c']
        """
        ranks = self._ranks
        if (
            ranks is not None
            and score.__class__ is str
            and score in _SCORES
            and limit.__class__ is int
            and 0 < limit <= MAX_LIMIT
            and max_degree is None
            and (explain is None or (explain.__class__ is int and 0 <= explain <= MAX_EXPLAIN))
        ):
            # The common call (a known score, an int limit and explain, no cap) checked in
            # one expression and pushed down at once: the checks below cost about 1 µs of a
            # fixed cost under 10 µs (measured: Matcher.suggest on a 7-person graph). An
            # explicit explain takes this path too: the HTTP API always passes one.
            n_named = self.explain if explain is None else explain
            ranks_as = self._ranks_as
            if ranks_as is not None and person_id.__class__ is str:
                # No exists() first: this store answers None for an unknown person, and the
                # checks below then raise PersonNotFound.
                found = ranks_as(person_id, score, limit, n_named, Suggestion)
                if found is not None:
                    return found
            else:
                if not self.store.exists(person_id):
                    raise PersonNotFound(person_id)
                pushed = ranks.top_candidates(person_id, score, limit, None, n_named)
                if pushed is not None:
                    return _suggestions(pushed)
        if score == LEARNED:
            return self._suggest_learned(person_id, limit, max_degree, explain)
        check_score(score)
        limit = _check_int("limit", limit, 1, MAX_LIMIT)
        cap = _check_cap(max_degree)
        n_explain = (
            self.explain if explain is None else _check_int("explain", explain, 0, MAX_EXPLAIN)
        )
        self._require(person_id)
        store = self.store
        if self._ranks is not None:
            # A store may rank in a compiled kernel or in its query language; it keeps the
            # same rule (blocks included), and the conformance suite runs with and without it.
            pushed = self._ranks.top_candidates(person_id, score, limit, cap, n_explain)
            if pushed is not None:
                return _suggestions(pushed)
        blocked = store.blocked_with(person_id)
        drop = {person_id, *store.friends(person_id), *blocked}
        if self._dismisses is not None:
            # Dropped as candidates only: a dismissed person who is a friend now is named.
            drop.update(self._dismisses.dismissed(person_id))
        counts: dict[str, int]
        values: dict[str, float]
        if score in WEIGHTED:
            weights = self._filtered(store.two_hop_weights(person_id, cap), drop)
            counts = {v: t[0] for v, t in weights.items()}
            if score == "cn_ra":
                values = {v: t[0] * t[2] for v, t in weights.items()}
            else:
                pos = 1 if score == "adamic_adar" else 2
                values = {v: t[pos] for v, t in weights.items()}
        else:
            counts = self._filtered(store.two_hop_counts(person_id, cap), drop)
            if score == "common_neighbors":
                values = counts  # type: ignore[assignment]  # ints order like their floats
            else:
                du = store.degree(person_id)
                degs = store.degrees(counts)
                values = {
                    v: score_from_stats(score, c, 0.0, 0.0, du, degs[v]) for v, c in counts.items()
                }
        ranked = _best(values, counts, limit)
        return self._explain(person_id, ranked, cap, n_explain, blocked)

    def _suggest_learned(
        self, person_id: str, limit: int, max_degree: int | None, explain: int | None
    ) -> list[Suggestion]:
        """Return suggest()'s answer by the learned model (candidates from the compiled index)."""
        if self.learned is None:
            raise InvalidInput(
                "score 'learned' needs a model: Matcher(store, model=PATH) "
                "(graphmatch train GRAPH --out PATH)"
            )
        if max_degree is not None:
            raise InvalidInput("score 'learned' takes no max_degree")
        limit = _check_int("limit", limit, 1, MAX_LIMIT)
        n_explain = (
            self.explain if explain is None else _check_int("explain", explain, 0, MAX_EXPLAIN)
        )
        self._require(person_id)
        if not isinstance(self.store, HasIndex) and isinstance(self.store, RunsQueries):
            # Neo4j: no compiled index; its rows are read with Cypher and reranked.
            from graphmatch.learn.cypher import suggest_over_cypher

            return suggest_over_cypher(
                self.learned, self.store, person_id, limit, explain=n_explain
            )
        gone = self._dismisses.dismissed(person_id) if self._dismisses is not None else ()
        # Dismissed people are left out before stage 1's cut, as graphmatch batch does.
        return self.learned.suggest(self.store, person_id, limit, explain=n_explain, skip=gone)

    def rank(
        self,
        person_id: str,
        candidates: Iterable[str],
        score: str = DEFAULT_SCORE,
        *,
        limit: int | None = None,
        max_degree: int | None = None,
        explain: int | None = None,
        include_friends: bool = False,
    ) -> list[Suggestion]:
        """Order a given list of people for person_id, by the same rules as :meth:`suggest`.

        This answers "who here should I meet": the candidates are the people present.
        Candidates with no friend in common are kept (score 0). person_id, people blocked
        either way, people who opted out of discovery and people person_id dismissed are
        dropped; so are friends unless include_friends (which keeps a friend even if once
        dismissed). Duplicates count once.

        Parameters
        ----------
        person_id : str
            Who the ranking is for.
        candidates : iterable of str
            The people to order.
        score : str, default "cn_ra"
            One of :data:`graphmatch.SCORES`.
        limit : int, optional
            Keep only the best ``limit`` (1 to :data:`MAX_LIMIT`); all by default.
        max_degree : int, optional
            Degree cap on the mutual friends, as in :meth:`suggest`.
        explain : int, optional
            How many mutual friends to name per person.
        include_friends : bool, default False
            Keep candidates who are already friends.

        Returns
        -------
        list of Suggestion

        Raises
        ------
        PersonNotFound
            If person_id or any candidate is unknown.
        InvalidInput
            For an unknown score or out-of-range limit, max_degree or explain.

        Examples
        --------
        >>> import networkx as nx, graphmatch as gm
        >>> G = nx.Graph([("a", "w"), ("w", "b"), ("c", "d")])
        >>> [s.person for s in gm.Matcher(gm.MemoryStore(G)).rank("a", ["c", "b"])]
        ['b', 'c']
        """
        check_score(score)
        if limit is not None:
            limit = _check_int("limit", limit, 1, MAX_LIMIT)
        cap = _check_cap(max_degree)
        n_explain = (
            self.explain if explain is None else _check_int("explain", explain, 0, MAX_EXPLAIN)
        )
        if isinstance(candidates, str):
            raise InvalidInput("candidates must be a list of ids, not one string")
        wanted = list(dict.fromkeys(candidates))
        self._require(person_id, *wanted)
        store = self.store
        blocked = store.blocked_with(person_id)
        drop = {person_id} | blocked | store.undiscoverable(wanted)
        if not include_friends:
            drop.update(set(store.friends(person_id)).intersection(wanted))
        if self._dismisses is not None:
            gone = set(self._dismisses.dismissed(person_id)).intersection(wanted)
            if gone and include_friends:
                gone.difference_update(store.friends(person_id))
            drop.update(gone)
        wanted = [c for c in wanted if c not in drop]
        if not wanted:
            return []
        common = store.mutual(person_id, wanted, cap)
        degs = store.degrees([person_id, *wanted])
        du = degs[person_id]
        keyed = []
        for v in wanted:
            # pair_score adds the weights in the canonical order: the bits of every other path.
            value = pair_score(score, common[v], du, degs[v])
            keyed.append((order_key(v, value, len(common[v])), value))
        keyed.sort()
        if limit is not None:
            keyed = keyed[:limit]
        ranked = [(key[2], value, -key[1]) for key, value in keyed]
        return self._explain(person_id, ranked, cap, n_explain, blocked, common)

    def _filtered(self, stats: dict[str, _T], drop: set[str]) -> dict[str, _T]:
        """Drop the given people and those who opted out of discovery, in place."""
        # Stores hand back a fresh dict, so it is filtered in place rather than copied.
        for other in drop:
            stats.pop(other, None)
        for other in self.store.undiscoverable(stats):
            stats.pop(other, None)
        return stats

    def _explain(
        self,
        person_id: str,
        ranked: Sequence[tuple[str, float, int]],
        cap: int | None,
        n_explain: int,
        blocked: set[str],
        common: Mapping[str, Mapping[str, int]] | None = None,
    ) -> list[Suggestion]:
        """Attach up to n_explain named mutual friends (never one blocked with person_id)."""
        if n_explain == 0 or not ranked:
            return [Suggestion(v, value, count, []) for v, value, count in ranked]
        if common is None:
            common = self.store.mutual(person_id, [v for v, _, _ in ranked], cap)
        everyone = set().union(*(common[v].keys() for v, _, _ in ranked))
        hidden = self.store.hidden_as_mutual(everyone) if everyone else set()
        # The explanation is shown to person_id: a friend they blocked (or who blocked them)
        # stays counted, since the friendship explains the rank, but is never named.
        hidden = hidden | blocked
        out = []
        for v, value, count in ranked:
            named = [w for w in explanation_order(common[v]) if w not in hidden]
            out.append(Suggestion(v, value, count, named[:n_explain]))
        return out
