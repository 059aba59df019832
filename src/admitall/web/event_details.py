"""A person's history event as a reader reads it: each value with its label, enums in words, a facility by its
name ("收治机构：金银潭医院（DH-JYT） · 床位类型：重症床位"), never the stored keys ("facility_code: DH-JYT")."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from admitall.domain.facilities import BedType
from admitall.domain.help import ToCheck, Urgency
from admitall.domain.identity import DocumentType, Sex
from admitall.domain.labels import LabeledEnum
from admitall.domain.people import Risk, Severity, Status

# each key an event's data may hold: the page word that labels it, and the enum its values come from
FIELDS: dict[str, tuple[str, type[LabeledEnum] | None]] = {
    "status": ("category", Status),
    "severity": ("severity", Severity),
    "risks": ("risks", Risk),
    "name": ("name", None),
    "unit_code": ("unit_code", None),
    "document_type": ("id_type", DocumentType),
    "document_number": ("id_number", None),
    "phone": ("phone", None),
    "sex": ("sex", Sex),
    "birth_date": ("birth_date", None),
    "address": ("address", None),
    "facility_code": ("facility", None),
    "bed_type": ("bed_type", BedType),
    "held_facility_code": ("event_held_facility", None),
    "held_bed_type": ("event_held_bed_type", BedType),
    "help_request": ("help_number", None),
    "urgency": ("help_urgency", Urgency),
    "to_check": ("help_to_check", ToCheck),
}
# the event kinds whose data is a change "from" → "to" of one field
CHANGES = {"reclassified": "status", "severity_changed": "severity", "risks_changed": "risks"}
# an identification shows what it found the person to be; the person's details are on the page above it
IDENTIFIED = ("status", "severity", "risks")


def describe_event(
    kind: str,
    data: Mapping[str, Any],
    lang: str,
    t: Callable[..., str],
    facilities: Mapping[str, str] | None = None,
) -> list[str]:
    """The event's details as lines "label：value" (zh) or "label: value" (en), in the reader's language."""
    colon = ": " if lang == "en" else "："
    facilities = facilities or {}

    def value(key: str, raw: Any) -> str:
        enum = FIELDS.get(key, ("", None))[1]
        if raw is None or raw == "" or raw == []:
            return "—"
        if isinstance(raw, list):
            return (", " if lang == "en" else "、").join(value(key, r) for r in raw)
        if enum is not None:
            member = enum.parse(str(raw))
            return member.label(lang) if member else str(raw)
        if key.endswith("facility_code") and raw in facilities:
            return f"{facilities[raw]} ({raw})" if lang == "en" else f"{facilities[raw]}（{raw}）"
        return str(raw)

    def line(key: str, text: str) -> str:
        word = FIELDS[key][0] if key in FIELDS else "details"
        return f"{t(word)}{colon}{text}"

    if kind in CHANGES:
        key = CHANGES[kind]
        lines = [line(key, f"{value(key, data.get('from'))} → {value(key, data.get('to'))}")]
        if kind == "reclassified" and data.get("severity"):
            lines.append(line("severity", value("severity", data["severity"])))
        return lines
    keys = IDENTIFIED if kind == "identified" else tuple(data)
    return [line(k, value(k, data[k])) for k in keys if data.get(k) not in (None, "", []) and k in FIELDS]
