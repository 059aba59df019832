"""The rows an import rejected, kept for the user who imported and offered back as a spreadsheet to fix and import
again: each row as it came, with its row number, the fields at fault and the reason, in the user's language; and
on a second sheet every warning of the import (the accepted rows whose phone was not recorded, …).

Kept in the import's own transaction (only for a file, only if a row was rejected) for `KEPT`: older ones are
never given out, and are deleted by the next import that keeps its own (the rows hold personal data that did not
enter the registry). Only the importer gets them back; anyone else, and a
file no longer kept, is told it does not exist.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import datetime, timedelta

import orjson

from admitall.domain.access import Permission
from admitall.domain.errors import NotFound
from admitall.domain.intake import FieldProblem
from admitall.services.context import Actor, Context
from admitall.services.registration.sheets import rejects_workbook
from admitall.services.registration.summary import Rejection
from admitall.store.repositories.import_rejects import ImportRejectsRepository
from admitall.store.uow import UnitOfWork

KEPT = timedelta(days=7)


Warning = tuple[int, FieldProblem]


def pack(rejections: Sequence[Rejection], warnings: Sequence[Warning] = ()) -> bytes:
    data = {
        "rejected": [
            [r.row, [[p.field, p.zh, p.en] for p in r.problems], {k: v for k, v in r.raw.items() if v is not None}]
            for r in rejections
        ],
        "warnings": [[row, w.field, w.zh, w.en] for row, w in warnings],
    }
    return zlib.compress(orjson.dumps(data), 6)


def unpack(body: bytes) -> tuple[list[Rejection], list[Warning]]:
    data = orjson.loads(zlib.decompress(body))
    rejections = [
        Rejection(row, tuple(FieldProblem(*p) for p in problems), raw) for row, problems, raw in data["rejected"]
    ]
    return rejections, [(row, FieldProblem(field, zh, en)) for row, field, zh, en in data["warnings"]]


def keep(
    uow: UnitOfWork,
    import_id: int,
    username: str,
    at: datetime,
    rejections: Sequence[Rejection],
    warnings: Sequence[Warning],
) -> None:
    """Within the import's transaction: keep its rejected rows and its warnings (a phone not recorded, a birth date
    the ID number overruled: every one of them, where the page lists the first hundred), and forget whatever was
    kept longer than KEPT."""
    kept = ImportRejectsRepository(uow.conn)
    kept.forget_before(at - KEPT)
    if rejections or warnings:
        kept.keep(import_id, username, at, len(rejections), pack(rejections, warnings))


def rejects_file(ctx: Context, actor: Actor, import_id: int, lang: str) -> bytes:
    """The rejected rows of the actor's own import `import_id`, as an XLSX in `lang`; 404 for anyone else's."""
    actor.require(Permission.IMPORT_PERSONS)
    with ctx.uow(write=True) as uow:
        now = ctx.clock.now()
        body = ImportRejectsRepository(uow.conn).body(import_id, actor.username, since=now - KEPT)
        if body is None:
            raise NotFound(
                "import.rejects_not_found",
                "找不到这次导入的被拒绝行（只保留7天，且只给导入的人）",
                "No rejected rows are kept for this import (they are kept for 7 days, for the one who imported)",
            )
        uow.audit.record(now, actor.username, "download_import_rejects", "import", import_id, unit=actor.unit_code)
        uow.commit()
    rejections, warnings = unpack(body)
    return rejects_workbook(rejections, lang, warnings)
