"""Printing pages to PDF without letting the printer take the server down.

A PDF is printed by a headless Chromium (services.exports.html_to_pdf): a few hundred megabytes and a second or
two each. So:
- a page is printed once and kept: the PDF bytes are stored in the database (printed_pdfs), one per subject (a
  day's bulletin, a unit's brief for a day) and language, with the fingerprint of exactly what was printed (the
  figures, the templates and the style). The next reader — on any worker — whose page has the same fingerprint gets
  the kept bytes; a page whose figures changed (today's brief, an hour later) is printed again and replaces it.
  A closed day's bulletin and brief never change, so they are printed once per language.
- at most `settings.print_limit` pages are printed at once in this process (a semaphore) and across all workers
  (slots claimed in the database, print_slots, freed when done or, should a worker die, when their lease ends);
- when every slot is taken the request is not queued: it is refused at once with 503 and Retry-After
  (`settings.print_retry_seconds`), in the reader's language, through the one error renderer.

`STATS` counts, for this process, how often the printer was entered, how many ran at once at most, how many were
refused and how many were served from the store: the tests read it; an operator can too.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from admitall.domain.errors import Busy
from admitall.services import exports
from admitall.services.context import Context
from admitall.store.tables_security import print_slots, printed_pdfs

# a slot is held for at most this long (Chromium is given 60 s): a worker that died frees its slot by then
LEASE = timedelta(minutes=2)


@dataclass
class PrinterStats:
    entered: int = 0  # pages handed to the printer
    running: int = 0  # being printed now
    most_at_once: int = 0
    refused: int = 0  # answered 503: every slot was taken
    kept: int = 0  # served from the store without printing

    def reset(self) -> None:
        self.entered = self.running = self.most_at_once = self.refused = self.kept = 0


STATS = PrinterStats()
_stats_lock = threading.Lock()
_gates: dict[int, threading.BoundedSemaphore] = {}


def _gate(limit: int) -> threading.BoundedSemaphore:
    with _stats_lock:
        return _gates.setdefault(limit, threading.BoundedSemaphore(limit))


def fingerprint(what: Any, lang: str) -> str:
    """The hash of what a page is printed from: equal fingerprints print equal PDFs."""
    text = json.dumps({"what": what, "lang": lang}, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def busy(ctx: Context) -> Busy:
    seconds = ctx.settings.print_retry_seconds
    return Busy(
        "pdf.busy",
        f"服务器正在生成其他 PDF，请 {seconds} 秒后再试",
        f"The server is printing other PDFs; try again in {seconds} seconds",
        retry_after=seconds,
    )


def _kept(ctx: Context, subject: str, lang: str, mark: str) -> bytes | None:
    with ctx.uow() as uow:
        row = uow.conn.execute(
            select(printed_pdfs.c.fingerprint, printed_pdfs.c.body).where(
                printed_pdfs.c.subject == subject, printed_pdfs.c.lang == lang
            )
        ).first()
    return bytes(row.body) if row is not None and row.fingerprint == mark else None


def _keep(ctx: Context, subject: str, lang: str, mark: str, pdf: bytes) -> None:
    key = (printed_pdfs.c.subject == subject, printed_pdfs.c.lang == lang)
    try:
        with ctx.uow(write=True) as uow:
            uow.conn.execute(delete(printed_pdfs).where(*key))
            values = {"fingerprint": mark, "printed_at": ctx.clock.now(), "body": pdf}
            uow.conn.execute(insert(printed_pdfs).values(subject=subject, lang=lang, **values))
            uow.commit()
    except IntegrityError:  # another worker kept the same page a moment before: theirs is as good
        pass


def _claim_slot(ctx: Context, holder: str) -> int | None:
    """A free printer slot across all workers (an expired lease counts as free), or None."""
    now = ctx.clock.now()
    for slot in range(ctx.settings.print_limit):
        with ctx.uow(write=True) as uow:
            claimed = uow.conn.execute(
                update(print_slots)
                .where(print_slots.c.slot == slot, print_slots.c.expires_at <= now)
                .values(holder=holder, expires_at=now + LEASE)
            ).rowcount
            if not claimed:
                taken = uow.conn.execute(select(print_slots.c.slot).where(print_slots.c.slot == slot)).first()
                if taken is not None:
                    continue
                try:
                    uow.conn.execute(insert(print_slots).values(slot=slot, holder=holder, expires_at=now + LEASE))
                except IntegrityError:  # claimed by another worker just now
                    continue
            uow.commit()
            return slot
    return None


def _free_slot(ctx: Context, slot: int, holder: str) -> None:
    with ctx.uow(write=True) as uow:
        uow.conn.execute(delete(print_slots).where(print_slots.c.slot == slot, print_slots.c.holder == holder))
        uow.commit()


def _enter() -> None:
    with _stats_lock:
        STATS.entered += 1
        STATS.running += 1
        STATS.most_at_once = max(STATS.most_at_once, STATS.running)


def _leave() -> None:
    with _stats_lock:
        STATS.running -= 1


def _count(field: str) -> None:
    with _stats_lock:
        setattr(STATS, field, getattr(STATS, field) + 1)


def printed(ctx: Context, subject: str, lang: str, what: Any, page: Callable[[], str]) -> bytes:
    """The PDF of `page()` (a self-contained HTML page made from `what`): the kept one if `what` is unchanged,
    else printed now within the limit and kept. Raises Busy (503, Retry-After) when the printer is full."""
    mark = fingerprint(what, lang)
    kept = _kept(ctx, subject, lang, mark)
    if kept is not None:
        _count("kept")
        return kept
    gate = _gate(max(1, ctx.settings.print_limit))
    if not gate.acquire(blocking=False):
        _count("refused")
        raise busy(ctx)
    try:
        holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        slot = _claim_slot(ctx, holder)
        if slot is None:
            _count("refused")
            raise busy(ctx)
        _enter()
        try:
            pdf = exports.html_to_pdf(page(), ctx.settings.chromium)
        finally:
            _leave()
            _free_slot(ctx, slot, holder)
    finally:
        gate.release()
    _keep(ctx, subject, lang, mark, pdf)
    return pdf
