"""Rankers beyond the four classic scores, chosen by offline evaluation (docs/evaluation.md).

Each ranker is a function of the statistics the matcher already aggregates for a candidate —
mutual count, Adamic-Adar sum, resource-allocation sum, the two degrees — so it plugs into
:func:`graphmatch.rule.score_from_stats` as one more score name, and every store computes it
for free.

=========  ==================================  =================================================
ranker     value                               why
=========  ==================================  =================================================
cn_ra      |M| · Σ_{w∈M} 1 / d(w)              resource allocation weighs exclusive mutual
                                               friends highly, but lets one friend of degree 2
                                               outrank five ordinary ones; multiplying by the
                                               count keeps that weighting and rewards breadth.
=========  ==================================  =================================================

``cn_ra`` has no fitted parameter. It ranks like the geometric mean of common neighbours and
resource allocation (the square root is monotone), and is 0 for a pair with no mutual friend.
"""

from __future__ import annotations

from typing import Final

from graphmatch.errors import InvalidInput

__all__ = ["RANKERS", "ranker_from_stats"]

#: Ranker names, usable wherever a score name is.
RANKERS: Final = ("cn_ra",)


def ranker_from_stats(
    score: str, count: int, aa: float, ra: float, deg_u: int, deg_v: int
) -> float:
    """Return a ranker's value from a candidate's aggregated mutual-friend statistics.

    Same signature as :func:`graphmatch.rule.score_from_stats`, so the two dispatch alike.

    Parameters
    ----------
    score : str
        One of :data:`RANKERS`.
    count : int
        Number of mutual friends.
    aa, ra : float
        Sums of 1/ln d(w) and 1/d(w) over the mutual friends.
    deg_u, deg_v : int
        Degrees of the two people (unused by ``cn_ra``; kept for the common signature).

    Returns
    -------
    float
        The value; higher ranks first.

    Raises
    ------
    InvalidInput
        For an unknown ranker name.

    Examples
    --------
    Two mutual friends of degrees 2 and 4: 2 · (1/2 + 1/4).

    >>> ranker_from_stats("cn_ra", 2, 0.0, 0.75, 5, 7)
    1.5
    """
    if score == "cn_ra":
        return count * ra
    raise InvalidInput(f"unknown ranker {score!r}; choose one of {', '.join(RANKERS)}")
