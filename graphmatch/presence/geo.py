"""Geometry and validation for presence: bounds, great-circle distance, the 3-D grid cells.

Distances are great-circle (haversine) on a sphere of radius :data:`EARTH_RADIUS_M`, the
radius Neo4j's ``point.distance`` uses for WGS-84 points, so both presence indexes draw the
same circle to the millimetre and a person one metre outside the radius is outside on both.

Examples
--------
>>> round(haversine_m(59.9139, 10.7522, 59.9140, 10.7522), 2)
11.13
>>> check_radius(MAX_RADIUS_M)
50000.0
"""

from __future__ import annotations

import math

from graphmatch.errors import InvalidInput

__all__ = [
    "BASE_CELL_M",
    "CELL_OFFSET",
    "DEFAULT_RADIUS_M",
    "DEFAULT_TTL_S",
    "EARTH_RADIUS_M",
    "GRID_LEVELS",
    "MAX_EVENT_ID",
    "MAX_RADIUS_M",
    "MAX_TTL_S",
    "MIN_RADIUS_M",
    "MIN_TTL_S",
    "cell_key",
    "check_coords",
    "check_event_id",
    "check_lat",
    "check_lon",
    "check_radius",
    "check_ttl",
    "destination",
    "haversine_m",
    "unit_vector",
]

#: Sphere radius in metres: Neo4j's for WGS-84 ``point.distance``, so both stores agree.
EARTH_RADIUS_M = 6_378_140.0
DEFAULT_TTL_S = 2 * 3600
MIN_TTL_S = 60
MAX_TTL_S = 24 * 3600
DEFAULT_RADIUS_M = 100.0
MIN_RADIUS_M = 1.0
MAX_RADIUS_M = 50_000.0
MAX_EVENT_ID = 256


# -- validation -------------------------------------------------------------------------------
def _number(name: str, value: object, low: float, high: float, unit: str = "") -> float:
    """Return value as a float if it is a finite real number in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{name} must be a number, got {value!r}")
    if not low <= value <= high:
        raise InvalidInput(f"{name} must be from {low:g} to {high:g}{unit}, got {value!r}")
    return float(value)


def check_lat(lat: object) -> float:
    """Return a latitude in degrees, or raise.

    Parameters
    ----------
    lat : float
        Degrees north, -90 to 90.

    Returns
    -------
    float

    Raises
    ------
    InvalidInput
        If lat is not a finite number in [-90, 90].

    Examples
    --------
    >>> check_lat(59.9)
    59.9
    """
    return _number("lat", lat, -90.0, 90.0)


def check_lon(lon: object) -> float:
    """Return a longitude in degrees, or raise.

    Parameters
    ----------
    lon : float
        Degrees east, -180 to 180.

    Returns
    -------
    float

    Raises
    ------
    InvalidInput
        If lon is not a finite number in [-180, 180].

    Examples
    --------
    >>> check_lon(-179.5)
    -179.5
    """
    return _number("lon", lon, -180.0, 180.0)


def check_radius(radius_m: object) -> float:
    """Return a search radius in metres, or raise.

    Parameters
    ----------
    radius_m : float
        :data:`MIN_RADIUS_M` (1 m) to :data:`MAX_RADIUS_M` (50 km).

    Returns
    -------
    float

    Raises
    ------
    InvalidInput
        If radius_m is out of bounds or not a number.

    Examples
    --------
    >>> check_radius(250)
    250.0
    """
    return _number("radius_m", radius_m, MIN_RADIUS_M, MAX_RADIUS_M, " m")


def check_ttl(ttl_s: object) -> float:
    """Return a presence time to live in seconds, or raise.

    Parameters
    ----------
    ttl_s : float
        :data:`MIN_TTL_S` (60 s) to :data:`MAX_TTL_S` (24 h).

    Returns
    -------
    float

    Raises
    ------
    InvalidInput
        If ttl_s is out of bounds or not a number.

    Examples
    --------
    >>> check_ttl(3600)
    3600.0
    """
    return _number("ttl_s", ttl_s, MIN_TTL_S, MAX_TTL_S, " s")


def check_event_id(event_id: object) -> str:
    """Return an event id (a non-empty string of at most 256 characters), or raise.

    Parameters
    ----------
    event_id : str

    Returns
    -------
    str

    Raises
    ------
    InvalidInput
        For anything else.

    Examples
    --------
    >>> check_event_id("pycon-2025")
    'pycon-2025'
    """
    if not isinstance(event_id, str) or not event_id or len(event_id) > MAX_EVENT_ID:
        raise InvalidInput(f"event ids are strings of 1 to {MAX_EVENT_ID} characters")
    return event_id


def check_coords(lat: object, lon: object) -> tuple[float, float] | None:
    """Return a validated ``(lat, lon)``, or None when neither is given.

    Parameters
    ----------
    lat, lon : float or None
        Degrees; both or neither.

    Returns
    -------
    (float, float) or None

    Raises
    ------
    InvalidInput
        If only one of them is given, or either is out of range.

    Examples
    --------
    >>> check_coords(1, 2), check_coords(None, None)
    ((1.0, 2.0), None)
    """
    if lat is None and lon is None:
        return None
    if lat is None or lon is None:
        raise InvalidInput("give both lat and lon, or neither")
    return check_lat(lat), check_lon(lon)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the great-circle distance in metres, as Neo4j's ``point.distance`` computes it.

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : float
        Degrees.

    Returns
    -------
    float
        Metres on a sphere of radius :data:`EARTH_RADIUS_M`.

    Examples
    --------
    >>> round(haversine_m(0.0, 0.0, 0.0, 1.0), 3)
    111319.543
    >>> round(haversine_m(0.0, 179.9, 0.0, -179.9), 1)  # across the antimeridian
    22263.9
    """
    p1 = math.radians(lat1)
    p2 = math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    h = min(1.0, h)  # rounding can push antipodal points a hair over 1
    return 2 * EARTH_RADIUS_M * math.atan2(math.sqrt(h), math.sqrt(1 - h))


#: Edge of the finest grid cell in metres; each coarser level doubles it.
BASE_CELL_M = 64.0
#: 64 m .. 32.8 km: the coarsest cell is at least half the chord of the largest radius.
GRID_LEVELS = 10
#: Added to each cell coordinate so it packs non-negative into 21 bits (R / 64 m < 2**17).
CELL_OFFSET = 1 << 20


def unit_vector(lat: float, lon: float) -> tuple[float, float, float]:
    """Return the point as an Earth-centred 3-D vector of length :data:`EARTH_RADIUS_M`.

    Parameters
    ----------
    lat, lon : float
        Degrees.

    Returns
    -------
    (float, float, float)
        Metres along x (towards 0 N 0 E), y (towards 0 N 90 E) and z (towards the north pole).

    Examples
    --------
    >>> [round(c) for c in unit_vector(90.0, 0.0)]
    [0, 0, 6378140]
    """
    p, q = math.radians(lat), math.radians(lon)
    c = math.cos(p)
    return (
        EARTH_RADIUS_M * c * math.cos(q),
        EARTH_RADIUS_M * c * math.sin(q),
        EARTH_RADIUS_M * math.sin(p),
    )


def cell_key(ix: int, iy: int, iz: int) -> int:
    """Return one int naming the grid cell with integer coordinates (ix, iy, iz).

    One int per cell because hashing an int is cheaper than hashing a tuple of three.

    Parameters
    ----------
    ix, iy, iz : int
        Cell coordinates (a coordinate in metres divided by the cell edge, floored).

    Returns
    -------
    int

    Examples
    --------
    >>> cell_key(0, 0, 1) - cell_key(0, 0, 0), cell_key(0, 1, 0) - cell_key(0, 0, 0)
    (1, 2097152)
    """
    return ((ix + CELL_OFFSET) << 42) | ((iy + CELL_OFFSET) << 21) | (iz + CELL_OFFSET)


def destination(lat: float, lon: float, dist_m: float, bearing_deg: float) -> tuple[float, float]:
    """Return the point dist_m from (lat, lon) along an initial bearing, on the same sphere.

    Parameters
    ----------
    lat, lon : float
        Start, degrees.
    dist_m : float
        Metres along the great circle.
    bearing_deg : float
        Initial bearing, degrees clockwise from north.

    Returns
    -------
    (float, float)
        ``(lat, lon)`` in degrees, lon normalised to [-180, 180).

    Examples
    --------
    >>> lat, lon = destination(0.0, 179.9999, 100.0, 90.0)
    >>> round(haversine_m(0.0, 179.9999, lat, lon), 6), lon < 0
    (100.0, True)
    """
    d = dist_m / EARTH_RADIUS_M
    b = math.radians(bearing_deg)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(
        math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    lon2 = (math.degrees(l2) + 540.0) % 360.0 - 180.0
    return max(-90.0, min(90.0, math.degrees(p2))), lon2
