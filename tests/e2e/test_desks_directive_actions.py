"""A directive's buttons are shown only to whoever may use them (issue 14 §1's rule, kept on the directives desk):
the receiving unit and its responsible lead acknowledge and complete; a unit above sees what its units received
but answers in nobody's place, so it gets no buttons; and every button shown works, every one withheld is refused."""

from __future__ import annotations

import re
from contextlib import closing

from tests.e2e.conftest import World
from tests.e2e.test_desks_names import issue
from tests.e2e.test_desks_web import pages
from tests.factories import DAZHI, JIANGAN


def rows(page: str) -> dict[int, str]:
    return {int(m.group(1)): m.group(0) for m in re.finditer(r'<tr id="r-(\d+)".*?</tr>', page, re.S)}


def test_the_buttons_are_where_the_user_may_answer_and_nowhere_else(world: World):
    to_street = issue(world, "街道核查隔离点", DAZHI)["recipients"][0]["id"]
    to_district = issue(world, "区级核查定点医院", JIANGAN)["recipients"][0]["id"]
    district, csrf = pages(world, "jiangan")
    with closing(district):
        shown = rows(district.get("/directives").text)
        assert {to_street, to_district} <= set(shown)
        assert "act-ack" in shown[to_district] and "act-complete" in shown[to_district]
        assert "act-ack" not in shown[to_street] and "act-complete" not in shown[to_street]
        for recipient, row in shown.items():  # each button shown works; each withheld is refused
            sent = district.post(f"/directives/recipients/{recipient}/acknowledge", data={"csrf_token": csrf})
            assert sent.status_code == (303 if "act-complete" in row else 403), (recipient, sent.status_code)
    street, _ = pages(world, "dazhi")
    with closing(street):
        assert "act-ack" in rows(street.get("/directives").text)[to_street]
    with world.client("jiangan") as api:
        listed = {x["id"]: x["may_respond"] for x in api.get("/api/directives").json()["received"]}
    assert (listed[to_street], listed[to_district]) == (False, True)
