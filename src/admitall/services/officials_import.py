"""Importing officials from a file (a city registers its thousands of 包保 officials at once).

Columns (English or Chinese headers): name 姓名, title 职务, home_unit 所属单位, phone 手机号, username 用户名,
leads 包保单位 (unit codes the official leads from now on, separated by ';'). Every row ends accepted or rejected
with its row number, field and reason; the whole file is one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from admitall.domain.access import Permission
from admitall.domain.errors import Conflict, InvalidInput
from admitall.domain.identity import normalize_phone
from admitall.domain.officials import check_assignment, handover, new_official
from admitall.domain.units import normalize_code
from admitall.services.auth import users_changed
from admitall.services.context import Actor, Context
from admitall.services.officials import NO_LEAD, check_username
from admitall.services.tabular import Limits, read_table
from admitall.store.text_limits import check_row

OFFICIAL_HEADERS = {
    "name": "name",
    "姓名": "name",
    "title": "title",
    "职务": "title",
    "home_unit": "home_unit",
    "所属单位": "home_unit",
    "phone": "phone",
    "手机号": "phone",
    "username": "username",
    "用户名": "username",
    "leads": "leads",
    "包保单位": "leads",
}


@dataclass
class OfficialImportSummary:
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    leads_assigned: int = 0
    rejections: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, row: int, e: InvalidInput, default_field: str) -> None:
        self.rejected += 1
        self.rejections.append({"row": row, "field": e.field or default_field, "reason": e.zh, "reason_en": e.en})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _no_unit(code: str, field_name: str) -> InvalidInput:
    """Outside the jurisdiction reads exactly as not there."""
    return InvalidInput(
        "unit.unknown",
        f"单位 {code} 不存在或不在您的管辖范围内",
        f"No unit {code} (or not within your jurisdiction)",
        field=field_name,
    )


def import_officials(
    ctx: Context, actor: Actor, rows: Iterable[tuple[int, Mapping[str, str | None]]]
) -> OfficialImportSummary:
    actor.require(Permission.MANAGE_OFFICIALS)
    summary = OfficialImportSummary()
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        for row, raw in rows:
            text = {k: (v or "").strip() for k, v in raw.items()}
            if not any(text.values()):
                continue
            summary.rows += 1
            try:
                home = normalize_code(text.get("home_unit", ""))
                if not actor.covers(home) or uow.units.get(home) is None:
                    raise _no_unit(home, "home_unit")
                phone = normalize_phone(text["phone"]) if text.get("phone") else None
                check_row("officials", {k: text.get(k, "") for k in ("name", "title", "username")})
                official = new_official(text.get("name", ""), text.get("title", ""), home, phone)
                username = text.get("username") or None
                if username:
                    try:
                        check_username(uow, actor, username)
                    except Conflict as e:
                        raise InvalidInput(e.code, e.zh, e.en, field="username") from None
                leads = [normalize_code(c) for c in text.get("leads", "").replace("；", ";").split(";") if c.strip()]
                for code in leads:
                    if not actor.covers(code) or uow.units.get(code) is None:
                        raise _no_unit(code, "leads")
                    try:
                        check_assignment(official, code)
                    except InvalidInput as e:
                        raise InvalidInput(e.code, e.zh, e.en, field="leads") from None
            except InvalidInput as e:
                summary.reject(row, e, "home_unit")
                continue
            official_id = uow.officials.add(replace(official, username=username), now)
            for code in leads:
                current = uow.officials.current_lead(code)
                if current is not None and current.official_id == official_id:
                    continue
                if current is not None and current.id is not None:
                    uow.officials.end(current.id, now)
                uow.officials.start(handover(current, official_id, code, now), actor.username, "import")
                uow.reports.resolve_open_alerts(NO_LEAD, code, now)
                summary.leads_assigned += 1
            summary.accepted += 1
        uow.audit.record(
            now, actor.username, "import_officials", None, None, rows=summary.rows, accepted=summary.accepted
        )
        uow.commit()
    users_changed(ctx)  # an account linked to an official is shown by the official's name from its next request
    return summary


def import_officials_file(ctx: Context, actor: Actor, path: Path) -> OfficialImportSummary:
    table = read_table(path, OFFICIAL_HEADERS, ("name", "home_unit"), limits=Limits.of(ctx.settings))
    return import_officials(ctx, actor, table.rows)
