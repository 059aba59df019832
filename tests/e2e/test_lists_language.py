"""Every list page in Chinese shows no English word (but codes, units and data) and in English no Chinese (but
names and data), the pager included, on a page in the middle of the list."""

from __future__ import annotations

import pytest

from tests.e2e.language_walk import DataWords, foreign_words, visible_text
from tests.e2e.lists_world import paged_world, web

__all__ = ["paged_world"]
PAGES = [
    ("district_admin", "/officials?page=2&size=20&q=干部"),
    ("district_admin", "/audit?page=2&action=test_read"),
    ("district_admin", "/audit?page=99"),
    ("dazhi", "/people?page=2"),
    ("dazhi", "/discrepancies?hours=72"),
    ("dazhi", "/directives?status=pending"),
    ("dazhi", "/referrals?state=all"),
    ("commander", "/sim"),
]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_list_pages_speak_one_language(paged_world, lang):
    data = DataWords.read(paged_world.ctx.engine)
    found = {}
    for user, path in PAGES:
        with web(paged_world, user) as c:
            c.cookies.set("lang", lang)
            response = c.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        words = sorted(set(foreign_words(visible_text(response.text), lang, data)))
        if words:
            found[path] = words
    assert found == {}
