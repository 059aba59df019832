"""Page words by area, each module a ``MESSAGES`` dict of ``key: (zh, en)`` merged into ``web.i18n.MESSAGES``.

One module per area keeps each area's words together; a key defined twice is an error at import, not a silent
overwrite.
"""

from __future__ import annotations

from admitall.web.words import (
    alerts,
    cadres,
    city_map,
    demo,
    desks,
    help,
    imports,
    language,
    linkage,
    lists,
    observation,
    province,
    staffing,
    supplies,
    survey,
)

AREAS = (
    alerts,
    cadres,
    city_map,
    demo,
    desks,
    help,
    imports,
    language,
    linkage,
    lists,
    observation,
    province,
    supplies,
    survey,
    staffing,
)


def merged(base: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """``base`` with every area's words added; a key twice (across areas or with ``base``) raises ``ValueError``."""
    out = dict(base)
    for area in AREAS:
        for key, pair in area.MESSAGES.items():
            if key in out:
                raise ValueError(f"page word {key!r} defined twice ({area.__name__})")
            out[key] = pair
    return out
