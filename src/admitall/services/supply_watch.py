"""The watch round's part for supplies (issue 18 §1): a site whose cover of an item falls under the threshold
(data/supplies.toml: shortage_days; equipment: fewer on hand than the occupied beds hold) opens a shortage and
raises an alert (kind supply_short, the shortage as its subject: one alert per site and item while open) to the
unit that must act — a facility's or warehouse's own unit, a unit's parent; once its cover is back, the shortage
ends and the alert is resolved. By set statements: the cover of every site (services.supply_stock: three
statements), the open shortages (one), then one executemany each for what opens and what ends. Called by
services.watch inside the round's transaction; also `record_estimated_consumption`, the twin's daily step."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update

from admitall.domain import supplies as rules
from admitall.services.context import Context
from admitall.services.supply_stock import covers
from admitall.store.repositories.alert_batch import change_alerts, raise_alerts
from admitall.store.repositories.alert_states import OPEN as ALERT_OPEN
from admitall.store.tables import alerts, bed_pools
from admitall.store.tables_supplies import supply_movements, supply_shortages, supply_sites
from admitall.store.uow import UnitOfWork

SUPPLY_SHORT = "supply_short"
_h, _a, _s, _b = supply_shortages.c, alerts.c, supply_sites.c, bed_pools.c


def watch_supplies(uow: UnitOfWork, now: datetime, top: Callable[[str | None], str | None]) -> dict[str, int]:
    """Open shortages (and their alerts) for sites now short; end those whose cover is back. Counts of each."""
    policy = rules.default_supply_policy()
    found = covers(uow.conn, policy, now)
    short = {(c.site_id, c.item_code): c for c in found if c.short}
    open_rows = list(uow.conn.execute(select(_h.id, _h.site_id, _h.item_code).where(_h.ended_at.is_(None))))
    already = {(r.site_id, r.item_code) for r in open_rows}
    fresh = [c for key, c in short.items() if key not in already]
    raised = 0
    if fresh:
        uow.conn.execute(
            insert(supply_shortages),
            [
                {
                    "site_id": c.site_id,
                    "item_code": c.item_code,
                    "started_at": now,
                    "on_hand": c.on_hand,
                    "per_day": c.per_day,
                }
                for c in fresh
            ],
        )
        ids = {
            (r.site_id, r.item_code): r.id
            for r in uow.conn.execute(
                select(_h.id, _h.site_id, _h.item_code).where(_h.ended_at.is_(None), _h.started_at == now)
            )
        }
        rows = [
            {
                "kind": SUPPLY_SHORT,
                "unit_code": c.unit_code,
                "period_start": now,
                "target_unit": (top(c.site_code) if c.site_kind == "unit" else c.unit_code) or c.unit_code,
                "step": 0,
                "consecutive": 1,
                "raised_at": now,
                "subject_id": ids[(c.site_id, c.item_code)],
                "detail": _detail(c),
            }
            for c in fresh
        ]
        raised = raise_alerts(uow.conn, uow.keys, rows)
    over = [r.id for r in open_rows if (r.site_id, r.item_code) not in short]
    resolved = 0
    if over:
        uow.conn.execute(
            update(supply_shortages).where(_h.id == bindparam("sid")).values(ended_at=now), [{"sid": i} for i in over]
        )
        settled = uow.conn.execute(
            select(alerts).where(_a.kind == SUPPLY_SHORT, ALERT_OPEN, _a.subject_id.in_(over))
        ).mappings()
        resolved = change_alerts(uow.conn, uow.keys, [(dict(a), {"resolved_at": now}) for a in settled])
    return {"supply_short_raised": raised, "supply_short_resolved": resolved, "supply_short_open": len(short)}


def _detail(c: Any) -> dict[str, Any]:
    return {
        "site_kind": c.site_kind,
        "site_code": c.site_code,
        "item": c.item_code,
        "on_hand": c.on_hand,
        "per_day": round(c.per_day, 2),
        "cover_days": None if c.cover_days is None else round(c.cover_days, 2),
    }


def record_estimated_consumption(ctx: Context, day: date) -> int:
    """The twin's daily step: each facility's consumables used on `day` by its occupied beds at the policy's rates
    per bed-day, in whole units rounded up (never more than it holds), appended as consumption marked estimated,
    at the day's end (UTC) or now if earlier. One statement per table: the occupied beds, the facilities' sites,
    their stock, then one executemany. Returns the rows written."""
    policy = rules.default_supply_policy()
    at = min(datetime.combine(day, time(23, 59), tzinfo=UTC), ctx.clock.now())  # never ahead of the clock
    consumables = [i for i in policy.items.values() if i.kind == rules.CONSUMABLE and i.per_bed_day]
    with ctx.uow(write=True) as uow:
        conn = uow.conn
        beds: dict[str, dict[Any, int]] = {}
        for code, bed, n in conn.execute(select(_b.facility_code, _b.bed_type, _b.occupied).where(_b.occupied > 0)):
            if bed in rules.BedType._value2member_map_:
                beds.setdefault(code, {})[rules.BedType(bed)] = int(n)
        sites = (
            dict(conn.execute(select(_s.code, _s.id).where(_s.kind == "facility", _s.code.in_(sorted(beds)))).all())
            if beds
            else {}
        )
        m = supply_movements.c
        held = (
            {
                (s, i): float(q or 0)
                for s, i, q in conn.execute(
                    select(m.site_id, m.item_code, func.sum(m.quantity))
                    .where(m.site_id.in_(list(sites.values())), m.at <= at)
                    .group_by(m.site_id, m.item_code)
                )
            }
            if sites
            else {}
        )
        rows = []
        for code, site_id in sites.items():
            for item in consumables:
                use = min(rules.whole_units(rules.estimated_use(item, beds[code])), held.get((site_id, item.code), 0.0))
                if use > 0:
                    rows.append(
                        {
                            "site_id": site_id,
                            "item_code": item.code,
                            "kind": rules.CONSUMPTION,
                            "quantity": -round(use, 2),
                            "at": at,
                            "recorded_at": ctx.clock.now(),
                            "actor": "twin",
                            "reason": "",
                            "estimated": 1,
                        }
                    )
        if rows:
            conn.execute(insert(supply_movements), rows)
        uow.commit()
    return len(rows)
