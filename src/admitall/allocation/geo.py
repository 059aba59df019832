"""Distances between places, as the crow flies (a stand-in for travel until road times are known)."""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0088
# travel is counted in whole units of 100 m, so that the solver works with integers
UNITS_PER_KM = 10


def distance_km(lat1: float | None, lon1: float | None, lat2: float | None, lon2: float | None) -> float | None:
    """Great-circle distance; None when either place has no coordinates."""
    if lat1 is None or lon1 is None or lat2 is None or lon2 is None:
        return None
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def travel_units(km: float | None) -> int:
    """Whole units of 100 m; an unknown distance counts as none, so it never decides between beds."""
    return 0 if km is None else round(km * UNITS_PER_KM)
