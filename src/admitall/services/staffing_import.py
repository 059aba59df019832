"""A site's roster imported from a list (CSV or XLSX, issue 18 §2): every row accounted — added, already on the
roster (the same name and role with the same ID number or phone, on the roster now), or rejected with its row,
field and reason. One transaction; audited with its counts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import insert, select

from admitall.domain.access import Permission
from admitall.domain.errors import InvalidInput
from admitall.services.context import Actor, Context
from admitall.services.staffing import clean_member, day_of, site_in_scope
from admitall.store.tables_staffing import staff_members

ROSTER_HEADERS: Mapping[str, str] = {
    "name": "name",
    "姓名": "name",
    "role": "role",
    "岗位": "role",
    "职务": "role",
    "phone": "phone",
    "电话": "phone",
    "手机": "phone",
    "id_number": "id_number",
    "证件号": "id_number",
    "身份证号": "id_number",
    "active_from": "active_from",
    "到岗日期": "active_from",
    "active_until": "active_until",
    "离岗日期": "active_until",
}
REQUIRED = ("name", "role")


def import_roster(
    ctx: Context, actor: Actor, site: str, rows: Iterable[tuple[int, Mapping[str, str | None]]]
) -> dict[str, Any]:
    actor.require(Permission.MANAGE_STAFF)
    now = ctx.clock.now()
    today = day_of(now, ctx.settings.tz)
    s = staff_members.c
    added: list[dict[str, Any]] = []
    already, rejected, total = 0, [], 0
    with ctx.uow(write=True) as uow:
        code = site_in_scope(uow, actor, site)
        known = {
            (r.name, r.role, r.id_number or r.phone or "")
            for r in uow.conn.execute(
                select(s.name, s.role, s.id_number, s.phone).where(
                    s.site_code == code, (s.active_until.is_(None)) | (s.active_until >= today)
                )
            )
        }
        for row, raw in rows:
            if not any(v is not None and str(v).strip() for v in raw.values()):
                continue
            total += 1
            try:
                fields = clean_member(raw, today)
            except InvalidInput as e:
                rejected.append({"row": row, "field": e.field, "zh": e.message("zh"), "en": e.message("en")})
                continue
            key = (fields["name"], fields["role"], fields["id_number"] or fields["phone"] or "")
            if key in known:
                already += 1
                continue
            known.add(key)
            added.append(
                {**fields, "site_code": code, "source": "import", "created_by": actor.username, "created_at": now}
            )
        if added:
            uow.conn.execute(insert(staff_members), added)
        uow.audit.record(
            now,
            actor.username,
            "import_staff",
            "unit",
            None,
            site=code,
            rows=total,
            added=len(added),
            already=already,
            rejected=len(rejected),
        )
        uow.commit()
    assert len(added) + already + len(rejected) == total
    return {"site_code": code, "rows": total, "added": len(added), "already": already, "rejected": rejected}
