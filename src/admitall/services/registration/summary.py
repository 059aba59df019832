"""The accounting of a batch: every row accepted, merged, referred or rejected, with the warnings said on the way.

A row is *referred* when it matched a person outside the registrant's jurisdiction: it is kept for that person's
own unit (services.referrals) and the accounting says nothing more about it — no person, no field, no warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from admitall.domain.intake import FieldProblem, field_name


@dataclass(frozen=True)
class Rejection:
    row: int
    problems: tuple[FieldProblem, ...]
    raw: Mapping[str, str | None]

    def fields(self) -> str:
        """The fields at fault, by their keys (id_number; phone)."""
        return "; ".join(dict.fromkeys(p.field for p in self.problems))

    def field_names(self, lang: str) -> str:
        """The same fields as a person calls them, in `lang` (身份证号；联系电话)."""
        return ("; " if lang == "en" else "；").join(
            field_name(f, lang) for f in dict.fromkeys(p.field for p in self.problems)
        )

    def reason(self, lang: str) -> str:
        return "; ".join(p.message(lang) for p in self.problems)


@dataclass
class BatchSummary:
    rows: int = 0
    accepted: int = 0
    merged: int = 0
    referred: int = 0
    rejected: int = 0
    blank_rows: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[tuple[int, FieldProblem]] = field(default_factory=list)
    # row number → person id, for every row that was accepted or merged (never for a referred row)
    person_ids: dict[int, int] = field(default_factory=dict)
    changed_existing: int = 0
    # the import's record, for a file (None for rows from a form or the API's one person)
    import_id: int | None = None

    def reject(self, row: int, raw: Mapping[str, str | None], field_name: str, zh: str, en: str) -> None:
        self.rejections.append(Rejection(row, (FieldProblem(field_name, zh, en),), raw))

    def as_dict(self, lang: str = "zh", *, detail_limit: int = 1000) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "accepted": self.accepted,
            "merged": self.merged,
            "referred": self.referred,
            "rejected": self.rejected,
            "blank_rows_skipped": self.blank_rows,
            "existing_people_changed": self.changed_existing,
            "import_id": self.import_id,
            "rejections": [
                {"row": r.row, "field": r.fields(), "field_name": r.field_names(lang), "reason": r.reason(lang)}
                for r in self.rejections[:detail_limit]
            ],
            "warnings": [
                {"row": row, "field": w.field, "field_name": field_name(w.field, lang), "message": w.message(lang)}
                for row, w in self.warnings[:detail_limit]
            ],
        }
