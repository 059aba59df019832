"""The policy's [observation] table read and checked (data/policy.toml): its keys are code, named as written."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from typing import Any

from admitall.domain.errors import InvalidInput
from admitall.domain.observation import ObservationRules
from admitall.domain.people import Status


def _bad(zh: str, en: str) -> InvalidInput:
    return InvalidInput("policy.invalid", f"收治策略文件无效：{zh}", f"The admission policy file is invalid: {en}")


def parse_rules(data: Mapping[str, Any] | None) -> ObservationRules:
    """The [observation] table checked; absent keys keep their defaults."""
    if data is None:
        return ObservationRules()
    if not isinstance(data, Mapping):
        raise _bad("[observation] 必须是表", "[observation] must be a table")
    unknown = set(data) - {"days", "fever_threshold", "fever_moves_to", "release_needs_negative_test", "check_times"}
    if unknown:
        raise _bad(
            f"[observation] 未知的设置 {sorted(unknown)}", f"unknown settings in [observation] {sorted(unknown)}"
        )
    base = ObservationRules()
    days = data.get("days", base.days)
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 60:
        raise _bad("observation.days 必须是 1 到 60 的整数", "observation.days must be a whole number from 1 to 60")
    threshold = data.get("fever_threshold", base.fever_threshold)
    if not isinstance(threshold, int | float) or isinstance(threshold, bool) or not 35 <= threshold <= 42:
        raise _bad("observation.fever_threshold 必须在 35 到 42 之间", "observation.fever_threshold must be 35 to 42")
    to = data.get("fever_moves_to", base.fever_moves_to.value)
    if to not in (Status.FEVER.value, Status.SUSPECTED.value):
        raise _bad(
            "observation.fever_moves_to 只能是 fever 或 suspected", "observation.fever_moves_to: fever or suspected"
        )
    test = data.get("release_needs_negative_test", base.release_needs_negative_test)
    if not isinstance(test, bool):
        raise _bad("observation.release_needs_negative_test 必须是 true 或 false", "must be true or false")
    times = data.get("check_times", [t.strftime("%H:%M") for t in base.check_deadlines])
    try:
        deadlines = tuple(sorted(time.fromisoformat(t) for t in times))
    except (TypeError, ValueError):
        raise _bad("observation.check_times 必须是 HH:MM 列表", "observation.check_times must list HH:MM") from None
    if not deadlines or len(set(deadlines)) != len(deadlines) or deadlines[0] == time(0, 0):
        raise _bad("observation.check_times 必须是不重复的时刻", "observation.check_times must be distinct times")
    return ObservationRules(days, float(threshold), Status(to), test, deadlines)
