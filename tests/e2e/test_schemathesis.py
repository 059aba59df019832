"""Schemathesis over the OpenAPI document against the live server, signed in: no generated request may get a 5xx.

A bounded, derandomised run (the same examples every time, so CI is stable): each operation gets a few examples
from the schema's own bounds and their edges, sent by a user allowed to do what the operation does (the
dispatcher for admission, a district's unit officer for reports and directives, a street's for registrations,
the admin for the rest). Any 5xx fails the test with the request that caused it.

The schema is the application's own document, read at collection without a database (Schemathesis's fixture
loader does not run under pytest 9); the requests go to the `world` server over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from admitall.api.app import create_app
from admitall.clock import ManualClock
from tests.conftest import make_ctx
from tests.e2e.conftest import World

_document = create_app(make_ctx("sqlite://", ManualClock(datetime(2020, 2, 10, tzinfo=UTC)))).openapi()
schema = schemathesis.openapi.from_dict(_document)


# who sends each operation's requests, by its tag: a user allowed to do it, so the examples reach the service
SENDER = {"admission": "dispatcher", "reporting": "jiangan", "accountability": "jiangan", "registry": "dazhi"}


@pytest.fixture(scope="module")
def tokens(world: World) -> dict[str, str]:
    return {username: world.token(username) for username in {"admin", *SENDER.values()}}


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_generated_request_gets_a_server_error(case: Any, world: World, tokens: dict[str, str]) -> None:
    tags = case.operation.tags or []
    sender = next((SENDER[t] for t in tags if t in SENDER), "admin")
    case.call_and_validate(
        base_url=world.url,
        headers={"Authorization": f"Bearer {tokens[sender]}"},
        checks=[not_a_server_error],
        timeout=60,
    )
