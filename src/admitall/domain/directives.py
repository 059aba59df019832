"""Directives (指令): an order from a higher unit to the units below it, tracked to completion.

A directive says what to do, by when, and how completion is measured: reported by the recipient (free text), or
a target the registry can check ("nobody of a class left waiting", "at most N waiting"). A measurable directive
completes by itself when the registry shows it done, and a recipient cannot report it done while the registry
says otherwise. Each recipient unit acknowledges and completes on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from admitall.domain.errors import InvalidInput
from admitall.domain.labels import LabeledEnum
from admitall.domain.policy import PriorityClass
from admitall.domain.units import in_subtree

# how long an unfinished directive waits past its due time before it escalates one more level
ESCALATE_EVERY = timedelta(hours=1)


class TargetKind(LabeledEnum):
    REPORTED = ("reported", "由接收单位报告完成", "completion reported by the recipient", "grey")
    NONE_WAITING = ("none_waiting", "辖区内此类人员全部收治", "nobody of the class left waiting", "red")
    WAITING_AT_MOST = ("waiting_at_most", "辖区内待收治不超过", "at most so many left waiting", "orange")


class RecipientStatus(LabeledEnum):
    OPEN = ("open", "待签收", "not yet acknowledged", "red")
    ACKNOWLEDGED = ("acknowledged", "已签收", "acknowledged", "orange")
    COMPLETED = ("completed", "已完成", "completed", "green")


@dataclass(frozen=True)
class Target:
    kind: TargetKind = TargetKind.REPORTED
    priority_class: PriorityClass | None = None  # None: every class
    at_most: int = 0

    @property
    def measurable(self) -> bool:
        return self.kind is not TargetKind.REPORTED

    def waiting(self, by_class: Mapping[str, int]) -> int:
        if self.priority_class is None:
            return sum(by_class.values())
        return by_class.get(self.priority_class.value, 0)

    def met(self, by_class: Mapping[str, int]) -> bool:
        """Whether the registry's count of people waiting in the recipient's subtree meets the target."""
        if not self.measurable:
            return False
        limit = 0 if self.kind is TargetKind.NONE_WAITING else self.at_most
        return self.waiting(by_class) <= limit

    def describe(self, lang: str) -> str:
        cls = self.priority_class.label(lang) if self.priority_class else ("全部类别" if lang == "zh" else "any class")
        if self.kind is TargetKind.NONE_WAITING:
            return f"{cls}：待收治 0 人" if lang == "zh" else f"{cls}: nobody left waiting"
        if self.kind is TargetKind.WAITING_AT_MOST:
            return (
                f"{cls}：待收治不超过 {self.at_most} 人" if lang == "zh" else f"{cls}: at most {self.at_most} waiting"
            )
        return self.kind.label(lang)

    def as_data(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "priority_class": self.priority_class.value if self.priority_class else None,
            "at_most": self.at_most,
        }


def parse_target(data: Mapping[str, Any] | None) -> Target:
    if not data:
        return Target()
    kind = TargetKind.parse(str(data.get("kind") or "reported"))
    if kind is None:
        known = ", ".join(k.value for k in TargetKind)
        raise InvalidInput(
            "directive.bad_target", f"完成标准无法识别（可选：{known}）", f"Unknown target ({known})", field="target"
        )
    raw_class = data.get("priority_class")
    cls = PriorityClass.parse(str(raw_class)) if raw_class else None
    if raw_class and cls is None:
        raise InvalidInput(
            "directive.bad_class",
            f"优先类别无法识别：{raw_class}",
            f"Unknown priority class: {raw_class}",
            field="target",
        )
    at_most = data.get("at_most", 0)
    if not isinstance(at_most, int) or isinstance(at_most, bool) or at_most < 0:
        raise InvalidInput(
            "directive.bad_at_most",
            "人数上限必须是不小于 0 的整数",
            "The limit must be a whole number ≥ 0",
            field="target",
        )
    return Target(kind, cls, at_most if kind is TargetKind.WAITING_AT_MOST else 0)


def check_directive(title: str, issued_at: datetime, due_at: datetime) -> None:
    if not title.strip():
        raise InvalidInput("directive.title_required", "指令内容必填", "A directive needs a text", field="title")
    if due_at <= issued_at:
        raise InvalidInput(
            "directive.due_in_past",
            "完成时限必须晚于下达时间",
            "The due time must be after the time of issue",
            field="due_at",
        )


def check_recipient(issuer_unit: str | None, recipient: str) -> None:
    """A directive goes down: to units strictly below the issuer's unit, never to a sibling or upwards."""
    if issuer_unit is not None and (recipient == issuer_unit or not in_subtree(recipient, issuer_unit)):
        raise InvalidInput(
            "directive.not_below",
            f"指令只能下达给本单位辖区内的下级单位：{recipient} 不是",
            f"A directive goes only to units below the issuer's: {recipient} is not",
            field="units",
        )
