"""Outside the jurisdiction reads exactly as not there: every route that takes a unit code, person id, facility
code, official id, alert id, problem id, directive id or recipient id answers a record of another district with
the same status, error code and message as a record that does not exist — over the API and on the pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from admitall.domain.access import Role
from admitall.services import directives, officials, referrals, reporting, watch
from admitall.services.context import Actor, cli_actor
from admitall.services.registration import register_batch
from admitall.services.reporting import ReportInput
from tests.factories import (
    CITY,
    DAZHI_1,
    JIANGAN,
    PASSWORD,
    WUCHANG,
    WUCHANG_1,
    WUCHANG_STREET,
    id_number,
    person_row,
)

START = "2020-02-10T10:00:00+08:00"
DUE = "2020-02-11T10:00:00+08:00"
NO_UNIT = "420102099000"  # a street code of 江岸区 that no unit has
NO_ID = 987654


@dataclass
class Outside:
    """Records of 武昌区, outside 江岸区, each beside an id that no record has."""

    unit: tuple[str, str]
    person: tuple[int, int]
    facility: tuple[str, str]
    official: tuple[int, int]
    alert: tuple[int, int]
    problem: tuple[int, int]
    directive: tuple[int, int]
    recipient: tuple[int, int]
    referral: tuple[int, int]
    own_official: int


@pytest.fixture(scope="module")
def outside(world) -> Outside:
    ctx = world.ctx
    sent = reporting.submit(
        ctx,
        Actor("wuchang-duty", Role.UNIT_OFFICER, WUCHANG),
        ReportInput(
            unit_code=WUCHANG_1,
            period_start=START,
            reported={},
            attested_by="网格员",
            attest=True,
            problems=[{"type": "beds", "severity": "high", "description": "缺床", "needs_help": True}],
        ),
    )
    assert sent["problems"]
    problem = next(p["id"] for p in watch.problems(ctx, cli_actor())["problems"] if p["unit_code"] == WUCHANG_1)
    hq = Actor("commander", Role.COMMANDER, CITY)
    order = directives.issue(ctx, hq, title="核查床位", due_at=DUE, units=[WUCHANG])
    world.clock.advance(timedelta(hours=1, minutes=15))
    watch.watch(ctx)
    alerts = watch.inbox(ctx, cli_actor())["alerts"]
    alert = next(a["id"] for a in alerts if a["unit_code"] == WUCHANG_STREET and a["target_unit"] == WUCHANG)
    # 江岸区 registers someone who is 武昌区's 王五: kept as a referral for 武昌区, not theirs to see
    duty = Actor("jiangan-duty", Role.UNIT_OFFICER, JIANGAN)
    row = person_row(
        name="王五", id_number=id_number(seq=4), phone="13900000004", unit_code=DAZHI_1, category="contact"
    )
    register_batch(ctx, duty, [(2, row)], source="probe")
    referral = referrals.list_referrals(ctx, cli_actor())["referrals"][0]["id"]
    leads = officials.list_officials(ctx, cli_actor(), WUCHANG)["officials"]
    jiangan_leads = officials.list_officials(ctx, cli_actor(), JIANGAN)["officials"]
    return Outside(
        unit=(WUCHANG_1, NO_UNIT),
        person=(world.ids["wang"], NO_ID),
        facility=("H1", "NO-SUCH-FACILITY"),
        official=(leads[0]["id"], NO_ID),
        alert=(alert, NO_ID),
        problem=(problem, NO_ID),
        directive=(order["id"], NO_ID),
        recipient=(order["recipients"][0]["id"], NO_ID),
        referral=(referral, NO_ID),
        own_official=next(x["id"] for x in jiangan_leads if x["home_unit"] == JIANGAN),
    )


# (user, method, path, body) with {x} where the id goes; the kind of id names the pair in `Outside`
API_ROUTES: list[tuple[str, str, str, str, Any]] = [
    ("unit", "jiangan", "GET", "/api/units/{x}", None),
    ("unit", "jiangan", "GET", "/api/units/{x}/tree", None),
    ("unit", "jiangan", "GET", "/api/units/{x}/leads", None),
    ("unit", "jiangan", "GET", "/api/stock?unit={x}", None),
    ("unit", "jiangan", "GET", "/api/backlog?unit={x}", None),
    ("unit", "jiangan", "GET", "/api/persons?unit={x}", None),
    ("unit", "jiangan", "GET", "/api/reports/draft?unit={x}", None),
    ("unit", "jiangan", "GET", f"/api/reports/history?unit={{x}}&period_start={START}", None),
    ("unit", "jiangan", "GET", "/api/reports/board?unit={x}", None),
    ("unit", "jiangan", "GET", "/api/reports/completeness?unit={x}", None),
    ("unit", "jiangan", "GET", "/api/reports/discrepancies?unit={x}", None),
    ("unit", "jiangan", "GET", "/api/officials?unit={x}", None),
    ("unit", "jiangan", "GET", "/api/officials/vacancies?unit={x}", None),
    ("unit", "jiangan", "GET", "/api/scorecards/units/{x}", None),
    ("unit", "jiangan", "GET", "/api/scorecards/facts?kinds=breach&unit={x}", None),
    ("unit", "jiangan", "GET", "/api/command/{x}", None),
    (
        "unit",
        "jiangan",
        "POST",
        "/api/reports",
        {"unit_code": "{x}", "period_start": START, "attested_by": "网格员", "attest": True},
    ),
    ("unit", "jiangan", "POST", "/api/directives", {"title": "越界", "due_at": DUE, "units": ["{x}"]}),
    ("unit", "district_admin", "POST", "/api/officials", {"name": "钱多", "home_unit": "{x}"}),
    (
        "unit",
        "district_admin",
        "POST",
        "/api/users",
        {"username": "probe", "password": PASSWORD, "role": "unit_officer", "unit_code": "{x}"},
    ),
    ("unit", "district_admin", "POST", "/api/units/{x}/lead", {"official_id": "{own_official}"}),
    ("person", "jiangan", "GET", "/api/persons/{x}", None),
    ("person", "jiangan", "GET", "/api/persons/{x}/history", None),
    ("person", "jiangan", "POST", "/api/persons/{x}/reclassify", {"to": "confirmed", "severity": "mild"}),
    ("person", "jiangan", "POST", "/api/persons/{x}/severity", {"to": "severe"}),
    ("person", "dispatcher_jiangan", "POST", "/api/persons/{x}/depart", {}),
    ("person", "dispatcher_jiangan", "POST", "/api/persons/{x}/outcome", {"outcome": "recovered"}),
    ("person", "facility", "POST", "/api/persons/{x}/admit", {}),
    ("person", "facility", "POST", "/api/persons/{x}/refuse", {"reason": "无床"}),
    ("person", "facility", "POST", "/api/persons/{x}/outcome", {"outcome": "recovered"}),
    ("facility", "district_admin", "GET", "/api/facilities/{x}", None),
    ("facility", "district_admin", "GET", "/api/facilities/{x}/desk", None),
    ("facility", "district_admin", "PUT", "/api/facilities/{x}/beds/icu", {"capacity": 0, "out_of_service": 0}),
    ("official", "jiangan", "GET", "/api/scorecards/officials/{x}", None),
    ("official", "jiangan", "GET", "/api/scorecards/facts?kinds=breach&official={x}", None),
    ("official", "jiangan", "POST", "/api/directives", {"title": "越界", "due_at": DUE, "officials": ["{x}"]}),
    ("official", "district_admin", "POST", f"/api/units/{DAZHI_1}/lead", {"official_id": "{x}"}),
    ("alert", "jiangan", "POST", "/api/alerts/{x}/acknowledge", {"note": "收到"}),
    ("problem", "jiangan", "POST", "/api/problems/{x}/resolve", {"note": "已解决"}),
    ("directive", "jiangan", "GET", "/api/directives/{x}", None),
    ("recipient", "jiangan", "POST", "/api/directives/recipients/{x}/acknowledge", {}),
    ("recipient", "jiangan", "POST", "/api/directives/recipients/{x}/complete", {"note": "已完成"}),
    ("unit", "jiangan", "GET", "/api/referrals?unit={x}", None),
    ("referral", "jiangan", "POST", "/api/referrals/{x}/apply", {}),
    ("referral", "jiangan", "POST", "/api/referrals/{x}/dismiss", {"reason": "不是同一人"}),
]

PAGE_ROUTES: list[tuple[str, str, str, str, Any]] = [
    ("unit", "jiangan", "GET", "/units/{x}", None),
    ("unit", "jiangan", "GET", "/people?unit={x}", None),
    ("unit", "jiangan", "GET", "/reports/new?unit={x}", None),
    ("unit", "jiangan", "GET", "/reports?unit={x}", None),
    ("unit", "jiangan", "GET", "/command/{x}", None),
    ("unit", "jiangan", "GET", "/scorecards/units/{x}", None),
    ("unit", "jiangan", "POST", "/reports/new", {"unit": "{x}", "attested_by": "网格员", "attest": "on"}),
    ("unit", "jiangan", "POST", "/directives", {"title": "越界", "due_at": "2020-02-11T10:00", "unit_codes": "{x}"}),
    ("unit", "district_admin", "POST", "/officials", {"name": "钱多", "home_unit": "{x}"}),
    ("unit", "district_admin", "POST", "/officials/lead", {"unit_code": "{x}", "official_id": "{own_official}"}),
    ("person", "jiangan", "GET", "/people/{x}", None),
    ("person", "jiangan", "POST", "/people/{x}/reclassify", {"to": "confirmed", "severity": "mild"}),
    ("person", "jiangan", "POST", "/people/{x}/severity", {"to": "severe"}),
    ("person", "facility", "POST", "/facilities/H1/people/{x}/admit", {}),
    ("person", "facility", "POST", "/facilities/H1/people/{x}/outcome", {"outcome": "recovered"}),
    ("facility", "district_admin", "GET", "/facilities/{x}", None),
    ("facility", "district_admin", "POST", "/facilities/{x}/beds/icu", {"capacity": "0", "out_of_service": "0"}),
    ("official", "jiangan", "GET", "/scorecards/officials/{x}", None),
    ("official", "district_admin", "POST", "/officials/lead", {"unit_code": DAZHI_1, "official_id": "{x}"}),
    ("alert", "jiangan", "POST", "/alerts/{x}/acknowledge", {"note": "收到"}),
    ("problem", "jiangan", "POST", "/problems/{x}/resolve", {"note": "已解决"}),
    ("recipient", "jiangan", "POST", "/directives/recipients/{x}/acknowledge", {}),
    ("recipient", "jiangan", "POST", "/directives/recipients/{x}/complete", {"note": "已完成"}),
    ("referral", "jiangan", "POST", "/referrals/{x}/apply", {}),
    ("referral", "jiangan", "POST", "/referrals/{x}/dismiss", {"reason": "不是同一人"}),
]


def _fill(value: Any, x: Any, outside: Outside) -> Any:
    if isinstance(value, str):
        if value == "{own_official}":
            return outside.own_official
        if value == "{x}":
            return x
        return value.replace("{x}", str(x))
    if isinstance(value, list):
        return [_fill(v, x, outside) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, x, outside) for k, v in value.items()}
    return value


def _same(answer: httpx.Response, key: Any) -> str:
    """The body (of a page: its main part) with the id asked for blanked out, as the message names it."""
    text = answer.text
    main = re.search(r"<main.*</main>", text, re.S)
    text = main.group(0) if main else text
    text = re.sub(r'name="csrf_token" value="[^"]*"', "", text)
    return re.sub(rf"(?<![0-9A-Za-z-]){re.escape(str(key))}(?![0-9A-Za-z])", "<id>", text)


@pytest.fixture(scope="module")
def users(world) -> Iterator[dict[str, Any]]:
    from tests.factories import make_user

    make_user(world.ctx, "dispatcher_jiangan", "dispatcher", JIANGAN)
    yield {}


def _api(world, username: str) -> httpx.Client:
    return world.client(username)


def _pages(world, username: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=world.url, timeout=30)
    form = client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
    assert token is not None
    signed = client.post("/login", data={"username": username, "password": PASSWORD, "login_csrf": token.group(1)})
    assert signed.status_code == 303, signed.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/units", follow_redirects=True).text)
    assert csrf is not None
    return client, csrf.group(1)


@pytest.mark.parametrize(("kind", "user", "method", "path", "body"), API_ROUTES, ids=lambda v: str(v)[:40])
def test_an_api_route_answers_a_record_outside_exactly_as_one_that_does_not_exist(
    world, outside, users, kind, user, method, path, body
):
    answers = []
    with _api(world, user) as client:
        for x in getattr(outside, kind):
            sent = client.request(
                method, _fill(path, x, outside), json=_fill(body, x, outside) if body is not None else None
            )
            assert sent.status_code < 500, sent.text
            answers.append(sent)
    there, absent = answers
    assert there.status_code == absent.status_code == 404, (there.text, absent.text)
    assert there.json()["error"]["code"] == absent.json()["error"]["code"]
    x_there, x_absent = getattr(outside, kind)
    assert _same(there, x_there) == _same(absent, x_absent)


@pytest.mark.parametrize(("kind", "user", "method", "path", "body"), PAGE_ROUTES, ids=lambda v: str(v)[:40])
def test_a_page_answers_a_record_outside_exactly_as_one_that_does_not_exist(
    world, outside, users, kind, user, method, path, body
):
    client, csrf = _pages(world, user)
    answers = []
    for x in getattr(outside, kind):
        form = {**_fill(body, x, outside), "csrf_token": csrf} if body is not None else None
        sent = client.request(method, _fill(path, x, outside), data=form)
        assert sent.status_code < 500, sent.text
        answers.append(sent)
    client.close()
    there, absent = answers
    assert there.status_code == absent.status_code == 404, (there.status_code, there.text[:300])
    x_there, x_absent = getattr(outside, kind)
    assert _same(there, x_there) == _same(absent, x_absent)
