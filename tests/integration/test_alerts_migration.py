"""Migration 0018 on a database with alerts raised the old way (one per period, a copy per level gone up): each
unit's broken link becomes one open alert, misses a later report passed expire, nothing is deleted, and what
verified before verifies after, while a row tampered with before stays named."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from admitall.domain.chain import ALERT_STATE, fields, seal
from admitall.services.alert_inbox import inbox
from admitall.services.verify import verify
from admitall.settings import get_settings
from admitall.store.db import alembic_config
from admitall.store.repositories.reports import alert_hash
from admitall.store.tables import UTCDateTime
from tests.factories import CITY, DAZHI, DAZHI_1, DAZHI_2, JIANGAN, YIYUAN, YIYUAN_1, load_small_city, officer
from tests.integration.test_reporting import HOUR, TEN, send

MISSING = "missing_report"
LATE = timedelta(minutes=10)
TIMES = ("period_start", "raised_at", "resolved_at", "acknowledged_at")
PLAIN = (
    "kind", "unit_code", "target_unit", "step", "consecutive", "subject_id", "official_id", "acknowledged_by",
    "ack_note", "hash", "seal",
)  # fmt: skip
# the alerts table as it was before 0018
OLD = sa.table(
    "alerts",
    *(sa.column(c) for c in PLAIN),
    *(sa.column(c, UTCDateTime()) for c in TIMES),
    sa.column("detail", sa.JSON()),
)


def _old(key: bytes, unit: str, start, target: str, step: int = 0, **state) -> dict:
    """An alert as the code before 0018 raised and sealed it."""
    row = {
        "kind": MISSING,
        "unit_code": unit,
        "period_start": start,
        "target_unit": target,
        "step": step,
        "consecutive": 1,
        "raised_at": start + HOUR + LATE + step * HOUR,
        "detail": {"period_start": start.isoformat()},
        "subject_id": 0,
        "official_id": None,
        **dict.fromkeys(ALERT_STATE),
        **state,
    }
    row["hash"] = alert_hash(key, row)
    row["seal"] = seal(key, row["hash"], fields(row, ALERT_STATE))
    return row


def _migrate(ctx, target: str) -> None:
    from alembic import command

    config = alembic_config(ctx.engine)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ADMITALL_SECRET_KEY", ctx.settings.secret_key)
        get_settings.cache_clear()
        with ctx.engine.begin() as conn:
            config.attributes["connection"] = conn
            if target == "head":
                command.upgrade(config, "head")
            else:
                command.downgrade(config, target)
    get_settings.cache_clear()


def test_old_alerts_fold_into_one_per_broken_link_and_still_verify(ctx, clock):
    load_small_city(ctx)
    clock.set(TEN + 2 * HOUR + timedelta(minutes=50))
    send(ctx, DAZHI_2, TEN + 2 * HOUR)  # 和平社区 reported 12:00, never 10:00
    _migrate(ctx, "0017_unit_boundaries")
    key = ctx.keys.chain
    acknowledged = {"acknowledged_at": TEN + 2 * HOUR, "acknowledged_by": "officer", "ack_note": "已联系"}
    rows = [
        _old(key, DAZHI_1, TEN, DAZHI),
        _old(key, DAZHI_1, TEN, JIANGAN, step=1),
        _old(key, DAZHI_1, TEN + HOUR, DAZHI, consecutive=2),
        _old(key, DAZHI_1, TEN + 2 * HOUR, DAZHI, consecutive=2),
        _old(key, DAZHI_2, TEN, DAZHI),
        _old(key, YIYUAN_1, TEN, YIYUAN, **acknowledged),
        _old(key, YIYUAN_1, TEN + HOUR, YIYUAN),
    ]
    with ctx.engine.begin() as conn:
        conn.execute(sa.insert(OLD), rows)
        forged = "UPDATE alerts SET ack_note = 'forged' WHERE hash = :h"
        assert conn.execute(sa.text(forged), {"h": rows[-1]["hash"]}).rowcount == 1  # tampered with before
    _migrate(ctx, "head")

    with ctx.engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM alerts")).scalar_one()
    assert count == len(rows)  # nothing deleted: the day's heads still count every alert
    found = inbox(ctx, officer(CITY), state="all", size=200)["alerts"]
    by_unit: dict[str, list[dict]] = {}
    for a in found:
        by_unit.setdefault(a["unit_code"], []).append(a)
    [run] = by_unit[DAZHI_1]  # the copies and the later periods are folded into the first
    assert (run["state"], run["periods_missed"], run["last_period_start"]) == ("open", 3, (TEN + 2 * HOUR).isoformat())
    assert (run["target_unit"], run["step"]) == (JIANGAN, 1)  # where its copy had gone up to
    assert [a["state"] for a in by_unit[DAZHI_2]] == ["expired"]  # 12:00 was reported after it
    assert sorted(a["state"] for a in by_unit[YIYUAN_1]) == ["acknowledged", "open"]
    assert inbox(ctx, officer(CITY))["total"] == 2  # one per broken link still waiting for someone
    problems = [p for p in verify(ctx)["problems"] if p["table"] == "alerts"]
    assert [p["unit"] for p in problems] == [YIYUAN_1]  # only the row forged before the upgrade


def test_going_down_and_up_again_keeps_every_alert_verifiable(ctx, clock):
    load_small_city(ctx)
    clock.set(TEN + 2 * HOUR + timedelta(minutes=50))
    send(ctx, DAZHI_2, TEN + 2 * HOUR)
    _migrate(ctx, "0017_unit_boundaries")
    key = ctx.keys.chain
    with ctx.engine.begin() as conn:
        conn.execute(sa.insert(OLD), [_old(key, DAZHI_1, TEN, DAZHI), _old(key, DAZHI_2, TEN, DAZHI)])
    _migrate(ctx, "head")
    _migrate(ctx, "0017_unit_boundaries")  # the expired one is marked resolved the old way, sealed the old way
    _migrate(ctx, "head")
    assert [p for p in verify(ctx)["problems"] if p["table"] == "alerts"] == []
    assert inbox(ctx, officer(CITY))["total"] == 1
