"""Registering contacts from a list (CSV/XLSX) or from a case's page (issue 17 §1): the persons columns of every
import, plus the case they were exposed to (by person id or by a source reference), the exposure date, setting and
closeness. Every row is accounted for as in every import — accepted, merged or rejected with its row, field and
reason: the exposure's fields are checked first (a row without a case found in the jurisdiction is rejected), the
people are registered by services.registration (category `contact` where the row gives none), then the exposures
recorded (services.tracing), which puts each contact under observation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import select

from admitall.domain.intake import HEADERS, FieldProblem
from admitall.domain.tracing import Closeness, Setting
from admitall.services.context import Actor, Context
from admitall.services.registration import RawRow, Rejection, register_batch
from admitall.services.tracing import ExposureInput, register_exposures
from admitall.store.tables import person_sources, persons

EXPOSURE_FIELDS = ("case_id", "case_ref", "exposed_on", "setting", "closeness")
CONTACT_HEADERS: dict[str, str] = dict(HEADERS)
for _key, _names in {
    "case_id": ("case_id", "病例编号", "传染源编号"),
    "case_ref": ("case_ref", "病例来源编号", "传染源来源编号"),
    "exposed_on": ("exposed_on", "接触日期", "末次接触日期"),
    "setting": ("setting", "接触场所"),
    "closeness": ("closeness", "接触程度"),
}.items():
    for _name in _names:
        CONTACT_HEADERS[_name.lower()] = _key


def _date(text: str | None) -> date | None:
    if not text or not text.strip():
        return None
    value = text.strip().replace("/", "-").replace(".", "-")[:10]
    try:
        return date.fromisoformat(value)
    except ValueError:
        parts = value.split("-")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            try:
                return date(int(parts[0]), int(parts[1]), int(parts[2]))
            except ValueError:
                return None
        return None


def _problem(field: str, zh: str, en: str) -> FieldProblem:
    return FieldProblem(field, zh, en)


def _cases(ctx: Context, actor: Actor, ids: set[int], refs: set[str]) -> tuple[dict[int, bool], dict[str, set[int]]]:
    """Which case ids exist within the jurisdiction; which people each source reference names (within it)."""
    with ctx.uow() as uow:
        found = {
            pid: actor.covers(unit)
            for pid, unit in uow.conn.execute(
                select(persons.c.id, persons.c.unit_code).where(persons.c.id.in_(sorted(ids)))
            ).all()
        }
        named: dict[str, set[int]] = {}
        if refs:
            s = person_sources.c
            for ref, pid, unit in uow.conn.execute(
                select(s.source_ref, s.person_id, persons.c.unit_code)
                .join(persons, persons.c.id == s.person_id)
                .where(s.source_ref.in_(sorted(refs)))
            ).all():
                if actor.covers(unit):
                    named.setdefault(ref, set()).add(pid)
    return found, named


def import_contacts(
    ctx: Context,
    actor: Actor,
    rows: Iterable[tuple[int, RawRow]],
    *,
    source: str,
    filename: str = "",
    sha256: str = "",
    lang: str = "zh",
) -> dict[str, Any]:
    """Register the contacts of the rows and their exposures; the accounting of every row."""
    rows = [(n, dict(raw)) for n, raw in rows]
    ids = {int(raw["case_id"]) for _, raw in rows if (raw.get("case_id") or "").strip().isdigit()}
    refs = {raw["case_ref"].strip() for _, raw in rows if (raw.get("case_ref") or "").strip()}
    found, named = _cases(ctx, actor, ids, refs)
    early: list[Rejection] = []
    people: list[tuple[int, RawRow]] = []
    exposure: dict[int, tuple[int, date, str, str]] = {}
    for n, raw in rows:
        if not any(v is not None and str(v).strip() for v in raw.values()):
            continue
        problems = []
        case = _case_of(raw, found, named, problems)
        exposed = _date(raw.get("exposed_on"))
        if exposed is None:
            problems.append(
                _problem("exposed_on", "接触日期缺失或无法识别", "The exposure date is missing or unreadable")
            )
        setting = Setting.parse(raw.get("setting") or "")
        if setting is None:
            problems.append(_problem("setting", "接触场所无法识别", "The setting is not recognised"))
        closeness = Closeness.parse(raw.get("closeness") or "close")
        if closeness is None:
            problems.append(_problem("closeness", "接触程度无法识别", "The closeness is not recognised"))
        if problems or case is None or exposed is None or setting is None or closeness is None:
            early.append(Rejection(n, tuple(problems), raw))
            continue
        person = {k: v for k, v in raw.items() if k not in EXPOSURE_FIELDS}
        if not (person.get("category") or "").strip():
            person["category"] = "contact"
        people.append((n, person))
        exposure[n] = (case, exposed, setting.value, closeness.value)
    summary = register_batch(ctx, actor, people, source=source, filename=filename, sha256=sha256)
    items = [
        ExposureInput(summary.person_ids[n], case, exposed, setting, closeness)
        for n, (case, exposed, setting, closeness) in exposure.items()
        if n in summary.person_ids
    ]
    traced = register_exposures(ctx, actor, items, source=source, lang=lang)
    result = summary.as_dict(lang)
    rejected = [*early, *summary.rejections]
    rejected.sort(key=lambda r: r.row)
    result.update(
        rows=summary.rows + len(early),
        rejected=summary.rejected + len(early),
        rejections=[
            {"row": r.row, "field": r.fields(), "field_name": r.field_names(lang), "reason": r.reason(lang)}
            for r in rejected
        ],
        exposures=traced.as_dict(),
    )
    return result


def _case_of(
    raw: Mapping[str, str | None], found: dict[int, bool], named: dict[str, set[int]], problems: list[FieldProblem]
) -> int | None:
    text_id = (raw.get("case_id") or "").strip()
    ref = (raw.get("case_ref") or "").strip()
    if text_id:
        if not text_id.isdigit() or not found.get(int(text_id)):
            problems.append(_problem("case_id", f"找不到病例 {text_id}", f"No case {text_id}"))
            return None
        return int(text_id)
    if ref:
        matches = named.get(ref, set())
        if len(matches) != 1:
            zh = f"来源编号 {ref} 对应多名人员" if matches else f"找不到来源编号为 {ref} 的病例"
            en = f"Source reference {ref} names several people" if matches else f"No case with source reference {ref}"
            problems.append(_problem("case_ref", zh, en))
            return None
        return next(iter(matches))
    problems.append(
        _problem("case_id", "缺少病例编号或病例来源编号", "The case's person id or source reference is missing")
    )
    return None
