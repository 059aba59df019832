"""Cadres sent down to communities (issue 18 §3): assign one, import a list (CSV/XLSX, every row accounted: added,
already listed, or rejected with its row, field and reason), end an assignment, and list them by jurisdiction.
Coverage and the command tile are services.cadres_coverage.

Assigning, importing and ending need `manage_cadres` within the jurisdiction (HQ, a district, a street or a
community's desk, for communities of its subtree); reading needs `view_counts`. A cadre's phone is shown in full
only to roles that see personal data; the rest see it masked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import IO, Any

from sqlalchemy import and_, insert, or_, select, update

from admitall.domain.access import Permission
from admitall.domain.cadres import CadreInput, end_day, new_cadre
from admitall.domain.errors import AdmitAllError, InvalidInput
from admitall.domain.identity import mask_phone, nfkc, normalize_phone
from admitall.domain.intake import parse_date
from admitall.domain.units import subtree_bounds
from admitall.services.context import Actor, Context, community_in_scope, not_found, unit_in_scope
from admitall.services.tabular import Limits, open_table
from admitall.store.paged import DEFAULT_SIZE, bounded, fetch_page, page_fields
from admitall.store.tables import units
from admitall.store.tables_cadres import cadre_assignments
from admitall.store.uow import UnitOfWork

_c = cadre_assignments.c

CADRE_HEADERS: Mapping[str, str] = {
    "name": "name",
    "姓名": "name",
    "department": "department",
    "派出单位": "department",
    "部门": "department",
    "phone": "phone",
    "电话": "phone",
    "手机": "phone",
    "community": "community_code",
    "community_code": "community_code",
    "社区编码": "community_code",
    "role": "role",
    "职责": "role",
    "岗位": "role",
    "starts_on": "starts_on",
    "开始日期": "starts_on",
    "ends_on": "ends_on",
    "结束日期": "ends_on",
}
REQUIRED_HEADERS = ("name", "department", "community_code", "starts_on")


def local_today(ctx: Context) -> date:
    return ctx.clock.now().astimezone(ctx.settings.tz).date()


def on_duty(day: date) -> Any:
    """The condition: the assignment covers `day`."""
    return and_(_c.starts_on <= day, or_(_c.ends_on.is_(None), _c.ends_on >= day))


def sees_phones(actor: Actor) -> bool:
    return actor.can(Permission.SEE_PERSONAL_DATA)


def cadre_view(r: Any, actor: Actor, names: Mapping[str, str], day: date) -> dict[str, Any]:
    phone = r.phone if r.phone is None or sees_phones(actor) else mask_phone(r.phone)
    return {
        "id": r.id,
        "name": r.name,
        "department": r.department,
        "phone": phone,
        "community_code": r.community_code,
        "community_name": names.get(r.community_code),
        "role": r.role,
        "starts_on": r.starts_on.isoformat(),
        "ends_on": r.ends_on.isoformat() if r.ends_on else None,
        "on_duty": r.starts_on <= day and (r.ends_on is None or r.ends_on >= day),
        "ended": r.ends_on is not None and r.ends_on < day,
    }


def _community(uow: UnitOfWork, actor: Actor, given: str, checked: dict[str, str | AdmitAllError]) -> str:
    """The community of a row, looked up once per distinct code of the batch (a list names each community many
    times): the same answer, or the same refusal, for every row that names it."""
    if given not in checked:
        try:
            checked[given] = community_in_scope(uow, actor, given, "cadre.not_community")
        except AdmitAllError as e:
            checked[given] = e
    found = checked[given]
    if isinstance(found, AdmitAllError):
        raise found
    return found


def _parse(
    uow: UnitOfWork,
    actor: Actor,
    raw: Mapping[str, object],
    default_community: str | None,
    checked: dict[str, str | AdmitAllError],
) -> CadreInput:
    code = _community(uow, actor, str(raw.get("community_code") or default_community or "").strip(), checked)
    starts = parse_date(str(raw.get("starts_on") or ""), "starts_on")
    ends_raw = str(raw.get("ends_on") or "").strip()
    phone_raw = str(raw.get("phone") or "").strip()
    return new_cadre(
        name=raw.get("name"),
        department=raw.get("department"),
        community_code=code,
        role=raw.get("role"),
        starts_on=starts,
        ends_on=parse_date(ends_raw, "ends_on") if ends_raw else None,
        phone=normalize_phone(phone_raw) if phone_raw else None,
    )


def _row(x: CadreInput, actor: Actor, ctx: Context, source: str) -> dict[str, Any]:
    return {
        "name": x.name,
        "department": x.department,
        "phone": x.phone,
        "community_code": x.community_code,
        "role": x.role,
        "starts_on": x.starts_on,
        "ends_on": x.ends_on,
        "source": source,
        "created_by": actor.username,
        "created_at": ctx.clock.now(),
    }


def add_cadres(
    ctx: Context,
    actor: Actor,
    rows: Iterable[tuple[int, Mapping[str, object]]],
    *,
    community: str | None = None,
    source: str = "import",
    lang: str = "zh",
) -> dict[str, Any]:
    """Store the listed assignments in one transaction (one insert). Every row is accounted for: added, already
    listed (the same name and department in the same community from the same day), or rejected with its row, field
    and reason; a community outside the jurisdiction is refused as one that does not exist."""
    actor.require(Permission.MANAGE_CADRES)
    now = ctx.clock.now()
    added: list[dict[str, Any]] = []
    already, total = 0, 0
    rejected: list[dict[str, Any]] = []
    with ctx.uow(write=True) as uow:
        parsed: list[tuple[int, CadreInput]] = []
        checked: dict[str, str | AdmitAllError] = {}
        for row, raw in rows:
            if not any(v is not None and str(v).strip() for v in raw.values()):
                continue
            total += 1
            try:
                parsed.append((row, _parse(uow, actor, raw, community, checked)))
            except AdmitAllError as e:
                rejected.append({"row": row, "field": getattr(e, "field", None), "zh": e.message("zh"),
                                 "en": e.message("en"), "message": e.message(lang), "error": e})  # fmt: skip
        codes = sorted({x.community_code for _, x in parsed})
        known = {
            (r.name, r.department, r.community_code, r.starts_on)
            for r in uow.conn.execute(
                select(_c.name, _c.department, _c.community_code, _c.starts_on).where(_c.community_code.in_(codes))
            )
        } if codes else set()  # fmt: skip
        for _row_no, x in parsed:
            key = (x.name, x.department, x.community_code, x.starts_on)
            if key in known:
                already += 1
                continue
            known.add(key)
            added.append(_row(x, actor, ctx, source))
        ids: list[int] = []
        if added:
            ids = list(uow.conn.execute(insert(cadre_assignments).returning(_c.id), added).scalars())
        uow.audit.record(
            now, actor.username, "add_cadres", "unit", None, unit=community or actor.unit_code, source=source,
            rows=total, added=len(added), already=already, rejected=len(rejected),
        )  # fmt: skip
        uow.commit()
    assert len(added) + already + len(rejected) == total
    return {"rows": total, "added": len(added), "already": already, "rejected": rejected, "ids": ids}


def without_errors(result: dict[str, Any]) -> dict[str, Any]:
    """An import's accounting as the API and the pages show it (the rejected rows' reasons, not the errors)."""
    return {**result, "rejected": [{k: v for k, v in r.items() if k != "error"} for r in result["rejected"]]}


def import_list(
    ctx: Context, actor: Actor, source: IO[bytes], filename: str, *, community: str | None = None, lang: str = "zh"
) -> dict[str, Any]:
    """An uploaded list (CSV, or XLSX by its name) added by `add_cadres`, as the API and the page show it."""
    actor.require(Permission.MANAGE_CADRES)
    xlsx = (filename or "").lower().endswith(".xlsx")
    table = open_table(source, CADRE_HEADERS, REQUIRED_HEADERS, xlsx=xlsx, limits=Limits.of(ctx.settings))
    return without_errors(add_cadres(ctx, actor, table.rows, community=community, lang=lang))


def assign_cadre(ctx: Context, actor: Actor, fields: Mapping[str, object], *, lang: str = "zh") -> dict[str, Any]:
    """One cadre assigned from the page or the API: added, or refused with the field at fault."""
    result = add_cadres(ctx, actor, [(1, fields)], source="desk", lang=lang)
    if result["rejected"]:
        raise result["rejected"][0]["error"]  # as it was: a community elsewhere is not found (404)
    if result["already"]:
        raise InvalidInput(
            "cadre.already", "该干部已在此社区登记（同一天开始）", "This cadre is already assigned here from that day"
        )
    return result


def end_cadre(ctx: Context, actor: Actor, cadre_id: int, *, on: str | None = None) -> dict[str, Any]:
    """End an assignment on a day (today by default; that day is still on duty). Nothing is deleted."""
    actor.require(Permission.MANAGE_CADRES)
    now = ctx.clock.now()
    day = parse_date(on, "ends_on") if on else local_today(ctx)
    with ctx.uow(write=True) as uow:
        r = uow.conn.execute(select(cadre_assignments).where(_c.id == cadre_id)).first()
        if r is None or not actor.covers(r.community_code):
            raise not_found("cadre", cadre_id)
        last = end_day(r.starts_on, r.ends_on, day)
        uow.conn.execute(
            update(cadre_assignments)
            .where(_c.id == cadre_id)
            .values(ends_on=last, ended_by=actor.username, ended_at=now)
        )
        uow.audit.record(now, actor.username, "end_cadre", "cadre", cadre_id, unit=r.community_code, ends_on=str(last))
        uow.commit()
    return {"id": cadre_id, "ends_on": last.isoformat()}


def list_cadres(
    ctx: Context,
    actor: Actor,
    unit: str | None = None,
    *,
    q: str = "",
    duty: str = "today",
    page: int = 1,
    size: int = DEFAULT_SIZE,
) -> dict[str, Any]:
    """A page of the jurisdiction's cadres (`duty`: 'today' on duty today, 'all' every assignment), newest start
    first; search by part of a name or department; with the real total."""
    actor.require(Permission.VIEW_COUNTS)
    page, size = bounded(page, size)
    q = nfkc(q).strip()
    day = local_today(ctx)
    with ctx.uow() as uow:
        root = unit_in_scope(uow, actor, unit) if unit else actor.unit_code
        query = select(cadre_assignments)
        if root:
            query = query.where(_c.community_code.between(*subtree_bounds(root)))
        if duty != "all":
            query = query.where(on_duty(day))
        if q:
            query = query.where(or_(_c.name.contains(q, autoescape=True), _c.department.contains(q, autoescape=True)))
        rows, total = fetch_page(uow.conn, query.order_by(_c.starts_on.desc(), _c.id.desc()), page, size)
        names = uow.units.names({r.community_code for r in rows} | ({root} if root else set()))
    return {
        "unit": root,
        "unit_name": names.get(root) if root else None,
        "day": day.isoformat(),
        "duty": "all" if duty == "all" else "today",
        "q": q,
        "cadres": [cadre_view(r, actor, names, day) for r in rows],
        "may_manage": actor.can(Permission.MANAGE_CADRES),
        **page_fields(page, size, total),
    }


def on_duty_in(uow: UnitOfWork, actor: Actor, codes: Iterable[str], day: date, limit: int = 50) -> dict[str, Any]:
    """Who is on duty on `day` in these communities (for a community's desk): the first `limit` and the total."""
    codes = sorted(set(codes))
    if not codes:
        return {"communities": 0, "total": 0, "cadres": []}
    query = select(cadre_assignments).where(_c.community_code.in_(codes), on_duty(day))
    rows, total = fetch_page(uow.conn, query.order_by(_c.community_code, _c.name), 1, limit)
    names = dict(uow.conn.execute(select(units.c.code, units.c.name).where(units.c.code.in_(codes))).all())
    return {"communities": len(codes), "total": total, "cadres": [cadre_view(r, actor, names, day) for r in rows]}
