"""The one ranking rule: the scores, the quantum, the order key and the explanation order.

For people u, v with friend sets N(u), N(v), degrees d and mutual friends M = N(u) ∩ N(v):

=====================  ==================================  ====================================
score                  value                               matches networkx
=====================  ==================================  ====================================
common_neighbors       |M|                                 ``len(nx.common_neighbors(G, u, v))``
jaccard                |M| / (d(u) + d(v) - |M|)           ``nx.jaccard_coefficient``
adamic_adar            Σ_{w∈M} 1 / ln d(w)                 ``nx.adamic_adar_index``
resource_allocation    Σ_{w∈M} 1 / d(w)                    ``nx.resource_allocation_index``
cn_ra (default)        |M| · Σ_{w∈M} 1 / d(w)              ``len(common_neighbors) * RA``
=====================  ==================================  ====================================

``cn_ra`` is graphmatch's own ranker (mutual count times resource allocation, no fitted
parameters): resource allocation weighs exclusive mutual friends highly but lets one friend of
degree 2 outrank five ordinary ones; multiplying by the count keeps that weighting and rewards
breadth. It ranks like the geometric mean of common neighbours and resource allocation. It is
the default formula, but measured with paired 95% intervals it beats the best classic score on
precision@10 on only 2 of the 7 shared graphs (Twitch DE and FR) and loses on ego-Facebook;
the learned ranker (:data:`LEARNED`, :mod:`graphmatch.learn`) beats the best classic score on
6 of 7 and ties the seventh, but needs a trained model file (docs/evaluation.md).

With a degree cap, M holds only the mutual friends of degree <= cap, and the Jaccard
denominator still uses the true degrees.

What every path (the plain Python path, the compiled kernels, the batch, Cypher) keeps:

- **Canonical sums.** A weighted score adds its mutual friends' weights in ascending degree
  order (:func:`weighted_sum`). The weight depends only on the degree, so friends of equal
  degree add equal numbers and their order among themselves cannot change a bit: equal
  mutual-friend degree multisets give equal score bits.
- **The quantum.** Scores are compared as whole multiples of :data:`QUANTUM`
  (:func:`quantise`: ``floor(s / QUANTUM + 0.5)``, computed as a product with
  :data:`QUANTUM_INV`), so two scores a rounding error apart still tie.
- **The order** (:func:`order_key`): quantised score descending, mutual count descending, id
  ascending.

The compiled kernels (:mod:`graphmatch.index.kernels`) import these constants and weight
functions; the Cypher text of the Neo4j store is checked against them by
``tests/oracles/test_order_rule.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Final

from graphmatch.errors import InvalidInput

__all__ = [
    "CLASSIC",
    "DEFAULT_SCORE",
    "LEARNED",
    "QUANTUM",
    "QUANTUM_INV",
    "SCORES",
    "WEIGHTED",
    "aa_weight",
    "check_score",
    "explanation_order",
    "order_key",
    "pair_score",
    "quantise",
    "ra_weight",
    "score_from_stats",
    "weighted_sum",
]

SCORES: Final = ("common_neighbors", "jaccard", "adamic_adar", "resource_allocation", "cn_ra")
DEFAULT_SCORE: Final = "cn_ra"
#: The four classic scores every score is compared with (``vs_best_classic``).
CLASSIC: Final = ("common_neighbors", "jaccard", "adamic_adar", "resource_allocation")
#: The learned ranker's score name (:mod:`graphmatch.learn`): a model, not a formula, so it is
#: not in SCORES; a :class:`~graphmatch.Matcher` given a model answers ``score=LEARNED``.
LEARNED: Final = "learned"
#: Scores that need the weighted two-hop sums rather than plain counts.
WEIGHTED: Final = frozenset({"adamic_adar", "resource_allocation", "cn_ra"})
#: Scores are compared as whole multiples of this.
QUANTUM: Final = 1e-10
#: 1 / QUANTUM, the factor :func:`quantise` multiplies by (a product, not a division: the
#: kernels and Cypher compute the very same product).
QUANTUM_INV: Final = 1e10


def check_score(score: str) -> str:
    """Return score if it is a known score name, else raise InvalidInput."""
    if score not in SCORES:
        raise InvalidInput(f"unknown score {score!r}; choose one of {', '.join(SCORES)}")
    return score


def quantise(score: float) -> int:
    """Return a score as a whole number of quanta, the unit every ranking compares.

    Parameters
    ----------
    score : float
        A score (finite).

    Returns
    -------
    int
        ``floor(score * QUANTUM_INV + 0.5)``.

    Examples
    --------
    The two Adamic-Adar sums of the issue's example straddle a quantum boundary:

    >>> quantise(0.7132384669499999), quantise(0.71323846695)
    (7132384669, 7132384670)
    """
    return math.floor(score * QUANTUM_INV + 0.5)


def order_key(person: str, score: float, count: int) -> tuple[int, int, str]:
    """Return the sort key of the ranking rule: quantised score desc, count desc, id asc.

    Parameters
    ----------
    person : str
        The candidate's id.
    score : float
        The candidate's score.
    count : int
        The candidate's mutual-friend count.

    Returns
    -------
    tuple of (int, int, str)
        Sorting these ascending puts the best candidate first.

    Examples
    --------
    >>> sorted([order_key("b", 0.5, 1), order_key("a", 0.5, 1), order_key("c", 0.5, 2)])
    [(-5000000000, -2, 'c'), (-5000000000, -1, 'a'), (-5000000000, -1, 'b')]
    """
    return (-quantise(score), -count, person)


def explanation_order(mutual: Mapping[str, int]) -> list[str]:
    """Order mutual friends by tie strength: fewest friends first, then id.

    A mutual friend who knows few people is the stronger tie between two strangers (the same
    reasoning that weighs Adamic-Adar by 1/ln degree), so they explain a match best.

    Parameters
    ----------
    mutual : mapping of str to int
        Mutual friends and their degrees.

    Returns
    -------
    list of str
        The mutual friends, strongest tie first.

    Examples
    --------
    >>> explanation_order({"x": 5, "w": 2, "a": 5})
    ['w', 'a', 'x']
    """
    return sorted(mutual, key=lambda w: (mutual[w], w))


def aa_weight(degree: int) -> float:
    """Return what one mutual friend of ``degree`` friends (>= 2) adds to Adamic-Adar.

    Parameters
    ----------
    degree : int
        The mutual friend's degree; a mutual friend knows both people, so it is at least 2.

    Returns
    -------
    float
        ``1 / ln degree``.

    Examples
    --------
    >>> aa_weight(2) == 1 / math.log(2)
    True
    """
    return 1.0 / math.log(degree)


def ra_weight(degree: int) -> float:
    """Return what one mutual friend of ``degree`` friends adds to resource allocation.

    ``cn_ra`` uses the same weight and multiplies the sum by the mutual count.

    Parameters
    ----------
    degree : int
        The mutual friend's degree (>= 2).

    Returns
    -------
    float
        ``1 / degree``.

    Examples
    --------
    >>> ra_weight(4)
    0.25
    """
    return 1.0 / degree


def weighted_sum(weight: Callable[[int], float], degrees: Iterable[int]) -> float:
    """Return the canonical sum of the weights of mutual friends of the given degrees.

    Weights are added one by one in ascending degree order, starting from 0.0: the order
    every path (Python, the compiled kernels, Cypher) adds them in, so equal degree multisets
    give equal bits. (Not the builtin ``sum``: from Python 3.12 it compensates float sums,
    which no other path does.)

    Parameters
    ----------
    weight : callable
        :func:`aa_weight` or :func:`ra_weight`.
    degrees : iterable of int
        The mutual friends' degrees (each >= 2), in any order.

    Returns
    -------
    float
        The sum.

    Examples
    --------
    The order the degrees come in does not matter; the bits are those of ascending order:

    >>> a = weighted_sum(aa_weight, [21, 291, 121])
    >>> a.hex() == weighted_sum(aa_weight, [121, 21, 291]).hex()
    True
    >>> a == (aa_weight(21) + aa_weight(121)) + aa_weight(291)
    True
    """
    total = 0.0
    for d in sorted(degrees):
        total += weight(d)
    return total


def score_from_stats(score: str, count: int, aa: float, ra: float, deg_u: int, deg_v: int) -> float:
    """Return one score from a candidate's aggregated mutual-friend statistics.

    Parameters
    ----------
    score : str
        One of :data:`SCORES`.
    count : int
        Number of mutual friends.
    aa, ra : float
        Canonical sums (:func:`weighted_sum`) of 1/ln d(w) and 1/d(w) over the mutual friends.
    deg_u, deg_v : int
        Degrees of the two people (Jaccard only).

    Returns
    -------
    float
        The score.

    Raises
    ------
    InvalidInput
        For an unknown score name.

    Examples
    --------
    >>> score_from_stats("jaccard", 2, 0.0, 0.0, 3, 4)
    0.4
    >>> score_from_stats("cn_ra", 2, 0.0, 0.75, 5, 7)
    1.5
    """
    if score == "common_neighbors":
        return float(count)
    if score == "adamic_adar":
        return aa
    if score == "resource_allocation":
        return ra
    if score == "cn_ra":
        return count * ra
    if score == "jaccard":
        union = deg_u + deg_v - count
        return count / union if union else 0.0
    raise InvalidInput(f"unknown score {score!r}; choose one of {', '.join(SCORES)}")


def pair_score(score: str, mutual: Mapping[str, int], deg_u: int, deg_v: int) -> float:
    """Return one score from the explicit mutual friends ``{friend: degree}``.

    Parameters
    ----------
    score : str
        One of :data:`SCORES`.
    mutual : mapping of str to int
        The mutual friends and their degrees.
    deg_u, deg_v : int
        Degrees of the two people.

    Returns
    -------
    float
        The score, bit for bit what every ranking path gives for the same friends.

    Raises
    ------
    InvalidInput
        For an unknown score name.

    Examples
    --------
    >>> pair_score("resource_allocation", {"w": 4, "x": 2}, 3, 3)
    0.75
    """
    check_score(score)
    aa = ra = 0.0
    if score in WEIGHTED:
        # A friend of degree 1 cannot be mutual; the filter keeps odd inputs from ln 1 = 0.
        degrees = [d for d in mutual.values() if d > 1]
        aa = weighted_sum(aa_weight, degrees) if score == "adamic_adar" else 0.0
        ra = weighted_sum(ra_weight, degrees) if score != "adamic_adar" else 0.0
    return score_from_stats(score, len(mutual), aa, ra, deg_u, deg_v)
