"""Directives (指令): issued down the tree, acknowledged, completed — by the recipient's word for a free-text
order, by the registry for a measurable one — and escalated when overdue (see services.watch)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from admitall.domain.access import Permission
from admitall.domain.directives import RecipientStatus, Target, check_directive, check_recipient, parse_target
from admitall.domain.errors import Conflict, Forbidden, InvalidInput
from admitall.domain.identity import nfkc
from admitall.domain.text import check_day
from admitall.domain.units import UnitLevel, level_of
from admitall.services.auth import shown_names
from admitall.services.context import Actor, Context, not_found
from admitall.store.text_limits import check_row
from admitall.store.uow import UnitOfWork

OVERDUE = "directive_overdue"
SYSTEM = "system"


def parse_when(value: datetime | str, ctx: Context, field: str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=ctx.settings.tz)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            "directive.bad_time", f"时间无法识别：{value}", f"Not a date and time: {value}", field=field
        ) from None
    check_day(field, parsed.date())
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ctx.settings.tz)


def _recipient_units(
    uow: UnitOfWork, actor: Actor, units: list[str], officials: list[int], broadcast_level: str | None
) -> list[tuple[str, int | None]]:
    """(unit, official addressed) for every recipient, checked: below the issuer, within the jurisdiction."""
    found: dict[str, int | None] = {}
    for raw in units:
        code = actor.scoped(raw)
        if uow.units.get(code) is None:
            raise not_found("unit", code)
        found.setdefault(code, None)
    for official_id in officials:
        official = uow.officials.get(official_id)
        if official is None or not actor.covers(official.home_unit):
            raise not_found("official", official_id)
        led = [a.unit_code for a in uow.officials.of_official(official_id) if a.ends_at is None]
        for code in led or [official.home_unit]:
            found[code] = official_id
    if broadcast_level:
        level = UnitLevel.parse(broadcast_level)
        if level is None:
            raise InvalidInput(
                "directive.bad_level",
                f"层级无法识别：{broadcast_level}",
                f"Unknown level: {broadcast_level}",
                field="level",
            )
        for code, _, _ in uow.units.reporting(actor.unit_code, [level.value]):
            found.setdefault(code, None)
    if not found:
        raise InvalidInput(
            "directive.no_recipients", "请指定接收单位、干部或层级", "Name the units, officials or level", field="units"
        )
    for code in found:
        if not actor.covers(code):
            raise not_found("unit", code)
        try:
            check_recipient(actor.unit_code, code)
        except InvalidInput as e:
            raise Forbidden(e.code, e.zh, e.en) from None
    return sorted(found.items())


def issue(
    ctx: Context,
    actor: Actor,
    *,
    title: str,
    body: str = "",
    due_at: datetime | str,
    units: list[str] | None = None,
    officials: list[int] | None = None,
    broadcast_level: str | None = None,
    target: dict[str, Any] | None = None,
) -> dict[str, Any]:
    actor.require(Permission.ISSUE_DIRECTIVES)
    now = ctx.clock.now()
    due = parse_when(due_at, ctx, "due_at")
    text = nfkc(title or "")
    check_row("directives", {"title": text, "body": nfkc(body or "")}, multiline=("body",))
    check_directive(text, now, due)
    goal = parse_target(target)
    with ctx.uow(write=True) as uow:
        recipients = _recipient_units(uow, actor, units or [], officials or [], broadcast_level)
        leads = uow.officials.leads_now(None) if any(o is None for _, o in recipients) else {}
        row = {
            "issuer": actor.username,
            "issuer_unit": actor.unit_code,
            "title": text[:200],
            "body": nfkc(body or "")[:4000],
            "issued_at": now,
            "due_at": due,
            "target": goal.as_data(),
            "broadcast_level": broadcast_level,
        }
        directive_id = uow.directives.add(
            row,
            [
                {
                    "unit_code": code,
                    "official_id": official if official is not None else _lead_id(leads, code),
                    "due_at": due,
                    "status": RecipientStatus.OPEN.value,
                }
                for code, official in recipients
            ],
        )
        uow.audit.record(
            now,
            actor.username,
            "issue_directive",
            "directive",
            directive_id,
            unit=actor.unit_code,
            recipients=len(recipients),
        )
        view = _directive_view(uow, {**row, "id": directive_id})
        named(uow, [view])
        uow.commit()
    return view


def _lead_id(leads: dict[str, Any], code: str) -> int | None:
    lead = leads.get(code)
    return lead.official_id if lead is not None else None


def _directive_view(uow: UnitOfWork, d: dict[str, Any], lang: str = "zh") -> dict[str, Any]:
    recipients = uow.directives.recipients_of([d["id"]])
    names = uow.units.names({x["unit_code"] for x in recipients})
    target = parse_target(d["target"])
    counts = {s.value: sum(1 for x in recipients if x["status"] == s.value) for s in RecipientStatus}
    return {
        "id": d["id"],
        "title": d["title"],
        "body": d["body"],
        "issuer": d["issuer"],
        "issuer_unit": d["issuer_unit"],
        "issued_at": d["issued_at"].isoformat(),
        "due_at": d["due_at"].isoformat(),
        "target": _target_view(target),
        "broadcast_level": d["broadcast_level"],
        "counts": counts,
        "recipients": [_recipient_view(x, names, target) for x in recipients],
    }


def _recipient_view(x: dict[str, Any], names: dict[str, str], target: Target | None = None) -> dict[str, Any]:
    """A recipient's standing. One the registry completed (`completed_by` SYSTEM) has no note of its own: the page
    says "the registry shows the target met" in its language from `verified` (the target in zh and en)."""
    target = target or parse_target(x.get("target"))
    by_registry = x["completed_by"] == SYSTEM
    return {
        "id": x["id"],
        "directive_id": x["directive_id"],
        "unit_code": x["unit_code"],
        "unit_name": names.get(x["unit_code"]),
        "official_id": x["official_id"],
        "status": x["status"],
        "due_at": x["due_at"].isoformat(),
        **{k: x[k].isoformat() if x[k] else None for k in ("acknowledged_at", "completed_at")},
        "acknowledged_by": x["acknowledged_by"],
        "completed_by": x["completed_by"],
        "completed_by_registry": by_registry,
        "completion_note": None if by_registry else x["completion_note"],
        "verified": _target_view(target)["text"] if by_registry else None,
    }


def named(uow: UnitOfWork, views: list[dict[str, Any]]) -> None:
    """Put beside every username in these views (issuer, who acknowledged, who completed) the name the person is
    shown by (services.auth.shown_names: the official's name and title), read in one query."""
    keys = ("issuer", "acknowledged_by", "completed_by")
    rows = [*views, *(x for v in views for x in v.get("recipients", ()))]
    shown = shown_names(uow, {row[k] for row in rows for k in keys if row.get(k)})
    for row in rows:
        for k in keys:
            if k in row:
                row[f"{k}_name"] = shown.get(row[k]) if row[k] and row[k] != SYSTEM else None


def directive(ctx: Context, actor: Actor, directive_id: int) -> dict[str, Any]:
    actor.require(Permission.VIEW_COUNTS)
    with ctx.uow() as uow:
        d = uow.directives.get(directive_id)
        if d is None:
            raise not_found("directive", directive_id)
        recipients = uow.directives.recipients_of([directive_id])
        issuer_ok = actor.unit_code is None or (d["issuer_unit"] is not None and actor.covers(d["issuer_unit"]))
        if not issuer_ok and not any(actor.covers(x["unit_code"]) for x in recipients):
            raise not_found("directive", directive_id)
        view = _directive_view(uow, d)
        named(uow, [view])
        return view


def inbox_view(x: dict[str, Any], names: dict[str, str], now: datetime) -> dict[str, Any]:
    """A receipt as the received list shows it: its unit's name, the directive's words and target, and whether it
    is overdue at `now`."""
    return {
        **_recipient_view(x, names),
        "title": x["title"],
        "body": x["body"],
        "issuer": x["issuer"],
        "target": _target_view(parse_target(x["target"])),
        "overdue": x["status"] != RecipientStatus.COMPLETED.value and x["due_at"] <= now,
    }


def answerable(uow: UnitOfWork, actor: Actor, inbox: list[dict[str, Any]]) -> None:
    """Mark each receipt the actor may acknowledge and complete (`may_respond`), by `_mine`'s rule: one of their
    own unit, or of a unit they lead now as its official, and not completed. The page shows the buttons there and
    nowhere else (a unit above sees what its units received, but does not answer in their place)."""
    may = actor.can(Permission.RESPOND_DIRECTIVES)
    led: set[str] = set()
    if may and any(x["unit_code"] != actor.unit_code for x in inbox):
        official = uow.officials.by_username(actor.username)
        if official is not None and official.id is not None:
            led = {a.unit_code for a in uow.officials.leads_now_of([official.id])}
    for x in inbox:
        mine = x["unit_code"] == actor.unit_code or x["unit_code"] in led
        x["may_respond"] = may and mine and x["status"] != RecipientStatus.COMPLETED.value


def _target_view(target: Target) -> dict[str, Any]:
    return {**target.as_data(), "text": {"zh": target.describe("zh"), "en": target.describe("en")}}


def _mine(uow: UnitOfWork, actor: Actor, recipient_id: int) -> dict[str, Any]:
    """The recipient the actor answers for: their own unit's, or one of a unit they lead as its official. A unit
    above sees it but does not answer in its place."""
    x = uow.directives.recipient(recipient_id)
    if x is None or not actor.covers(x["unit_code"]):
        raise not_found("directive", recipient_id)
    if actor.unit_code != x["unit_code"]:
        official = uow.officials.by_username(actor.username)
        leads = uow.officials.current_lead(x["unit_code"])
        if official is None or leads is None or leads.official_id != official.id:
            raise Forbidden(
                "directive.not_yours",
                "只有接收单位（或其包保责任人）可以签收和报告完成",
                "Only the receiving unit (or its responsible lead) acknowledges and reports completion",
            )
    return x


def acknowledge(ctx: Context, actor: Actor, recipient_id: int) -> dict[str, Any]:
    actor.require(Permission.RESPOND_DIRECTIVES)
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        x = _mine(uow, actor, recipient_id)
        if x["status"] == RecipientStatus.OPEN.value:
            uow.directives.update_recipient(
                recipient_id,
                status=RecipientStatus.ACKNOWLEDGED.value,
                acknowledged_at=now,
                acknowledged_by=actor.username,
            )
            uow.audit.record(
                now, actor.username, "acknowledge_directive", "directive_recipient", recipient_id, unit=x["unit_code"]
            )
        view = _recipient_view(uow.directives.recipient(recipient_id) or x, uow.units.names([x["unit_code"]]))
        uow.commit()
    return view


def complete(ctx: Context, actor: Actor, recipient_id: int, note: str) -> dict[str, Any]:
    """The recipient reports the directive done, with a note. A measurable one must also be done in the registry."""
    actor.require(Permission.RESPOND_DIRECTIVES)
    text = nfkc(note or "")
    check_row("directive_recipients", {"completion_note": text}, multiline=("completion_note",))
    if not text:
        raise InvalidInput(
            "directive.needs_note",
            "报告完成须说明完成情况",
            "Reporting completion needs a note on what was done",
            field="note",
        )
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        x = _mine(uow, actor, recipient_id)
        if x["status"] == RecipientStatus.COMPLETED.value:
            raise Conflict("directive.already_completed", "此指令已完成", "This directive is already completed")
        target = parse_target(x["target"])
        if target.measurable:
            waiting = uow.waits.open_by_class(x["unit_code"])
            if not target.met(waiting):
                raise Conflict(
                    "directive.target_not_met",
                    f"系统显示尚未达到完成标准（{target.describe('zh')}）：目前仍有 {target.waiting(waiting)} 人待收治",
                    f"The registry does not show the target met ({target.describe('en')}): "
                    f"{target.waiting(waiting)} still waiting",
                )
        _complete(uow, x, actor.username, text, now)
        view = _recipient_view(uow.directives.recipient(recipient_id) or x, uow.units.names([x["unit_code"]]))
        uow.commit()
    return view


def _complete(uow: UnitOfWork, x: dict[str, Any], by: str, note: str, now: datetime) -> None:
    uow.directives.update_recipient(
        x["id"],
        status=RecipientStatus.COMPLETED.value,
        completed_at=now,
        completed_by=by,
        completion_note=note[:2000],
        acknowledged_at=x["acknowledged_at"] or now,
        acknowledged_by=x["acknowledged_by"] or by,
    )
    uow.reports.resolve_open_alerts(OVERDUE, x["unit_code"], now, subject_id=x["id"])
    uow.audit.record(now, by, "complete_directive", "directive_recipient", x["id"], unit=x["unit_code"], note=note)


def complete_measured(uow: UnitOfWork, now: datetime) -> int:
    """Complete every open measurable directive the registry now shows done (run by the watch)."""
    done = 0
    counts: dict[str, dict[str, int]] = {}
    for x in uow.directives.open_recipients():
        target: Target = parse_target(x["target"])
        if not target.measurable:
            continue
        waiting = counts.get(x["unit_code"])
        if waiting is None:
            waiting = counts[x["unit_code"]] = uow.waits.open_by_class(x["unit_code"])
        if target.met(waiting):
            note = f"系统核实：{target.describe('zh')} / registry shows: {target.describe('en')}"
            _complete(uow, x, SYSTEM, note, now)
            done += 1
    return done


def level_below(code: str | None) -> UnitLevel | None:
    """The level a broadcast from this unit would usually go to."""
    order = [UnitLevel.CITY, UnitLevel.DISTRICT, UnitLevel.STREET, UnitLevel.COMMUNITY]
    if code is None:
        return UnitLevel.DISTRICT
    level = level_of(code)
    return order[order.index(level) + 1] if level in order[:-1] else None
