"""PDF printing over real HTTP, on SQLite and PostgreSQL: never more than the limit at once (the rest answered 503
with Retry-After at once, not queued), and a page printed once is kept in the database and served from there by
any worker.

The printer here is a stand-in for Chromium (a small program that takes Chromium's arguments and writes a PDF when
the test lets it), so that the test decides when a print finishes: the counts come from `printing.STATS`, not from
timings. The real Chromium prints in tests/e2e/test_bulletin_web.py and test_accountability_web.py."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, insert, select

from admitall.api.deps import SESSION_COOKIE
from admitall.clock import ManualClock
from admitall.services import printing
from admitall.services.auth import authenticate, start_session
from admitall.services.context import Context, cli_actor
from admitall.services.registration import register_batch
from admitall.settings import Settings
from admitall.store.db import make_engine
from admitall.store.tables_security import print_slots, printed_pdfs
from tests.factories import CITY, PASSWORD, load_small_city, make_user, person_row
from tests.live_server import serving

DAY = "2020-02-10"  # the people were registered that day; the clock stands on the next morning
NEXT_MORNING = datetime(2020, 2, 11, 2, 0, tzinfo=UTC)
FAKE_CHROMIUM = """#!{python}
import pathlib, sys, time, uuid
out = next(a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--print-to-pdf="))
go = pathlib.Path(__file__).with_name("go")
deadline = time.monotonic() + 60
while not go.exists() and time.monotonic() < deadline:
    time.sleep(0.02)
pathlib.Path(out).write_bytes(b"%PDF-1.4 stand-in " + uuid.uuid4().hex.encode())
"""


class Printer:
    """The stand-in Chromium: it prints only once `release()` was called."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir()
        self.path = folder / "chromium"
        self.path.write_text(FAKE_CHROMIUM.format(python=sys.executable))
        self.path.chmod(0o755)
        self.go = folder / "go"

    def release(self) -> None:
        self.go.touch()


def worker(url: str, printer: Printer) -> Context:
    """An app instance's context of its own (engine, clock) over the shared database, printing with `printer`."""
    settings = Settings(
        database_url=url, secret_key="test-secret-" + "x" * 32, run_jobs=False, chromium=str(printer.path)
    )
    return Context(engine=make_engine(url), clock=ManualClock(NEXT_MORNING), settings=settings)


@pytest.fixture
def printer(tmp_path: Path) -> Printer:
    return Printer(tmp_path / "printer")


@pytest.fixture
def city(database_url: str, ctx: Context, printer: Printer) -> Iterator[Context]:
    """The small city with an analyst and a day with people in it; a worker serving it prints with `printer`."""
    load_small_city(ctx)
    make_user(ctx, "analyst", "analyst", CITY)
    register_batch(ctx, cli_actor(), [(2, person_row())], source="seed")
    printing.STATS.reset()
    first = worker(database_url, printer)
    yield first
    first.engine.dispose()


def _session(ctx: Context) -> dict[str, str]:
    token, _csrf = start_session(ctx, authenticate(ctx, "analyst", PASSWORD))
    return {SESSION_COOKIE: token}


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, f"waited in vain for {what}"
        time.sleep(0.02)


def test_eight_concurrent_brief_pdfs_print_at_most_two_at_once_and_the_rest_get_503_with_retry_after(city, printer):
    answers: list[httpx.Response] = []
    with serving(city) as base, httpx.Client(base_url=base, cookies=_session(city), timeout=90) as analyst:

        def ask() -> None:
            answers.append(analyst.get("/briefs/daily.pdf", params={"day": DAY}))

        threads = [threading.Thread(target=ask) for _ in range(8)]
        for t in threads:
            t.start()
        _wait_for(lambda: len(answers) == 6, "the six requests over the limit to be answered")
        assert printing.STATS.running == 2  # two are printing, held by the printer until released
        printer.release()
        for t in threads:
            t.join(timeout=90)
    busy = [a for a in answers if a.status_code == 503]
    printed = [a for a in answers if a.status_code == 200]
    assert len(busy) == 6 and len(printed) == 2
    assert all(a.headers["Retry-After"] == "15" for a in busy)
    assert all('data-code="pdf.busy"' in a.text and "请 15 秒后再试" in a.text for a in busy)
    assert all(a.content.startswith(b"%PDF") for a in printed)
    assert printing.STATS.entered == 2 and printing.STATS.most_at_once == 2 and printing.STATS.refused == 6
    with city.engine.connect() as conn:  # every slot was given back
        assert conn.execute(select(func.count()).select_from(print_slots)).scalar_one() == 0


def test_a_busy_printer_answers_in_english_too(city, printer):
    with city.uow(write=True) as uow:  # another worker holds both slots
        for slot in (0, 1):
            uow.conn.execute(insert(print_slots).values(slot=slot, holder="elsewhere", expires_at=NEXT_MORNING))
        uow.commit()
    city.clock.set(NEXT_MORNING - timedelta(minutes=1))
    with serving(city) as base:
        busy = httpx.get(f"{base}/bulletin/{DAY}.pdf", cookies={"lang": "en"}, timeout=30)
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "15"
    assert "The server is printing other PDFs; try again in 15 seconds" in busy.text
    assert printing.STATS.entered == 0


def test_the_limit_holds_across_workers_and_a_dead_workers_slot_frees_itself(city, printer):
    printer.release()
    with city.uow(write=True) as uow:  # another worker is printing in both slots, its leases running till 10:05
        for slot in (0, 1):
            values = {"slot": slot, "holder": "worker-2", "expires_at": NEXT_MORNING + timedelta(minutes=5)}
            uow.conn.execute(insert(print_slots).values(**values))
        uow.commit()
    with serving(city) as base:
        busy = httpx.get(f"{base}/bulletin/{DAY}.pdf", timeout=30)
        assert busy.status_code == 503 and printing.STATS.entered == 0  # this process had both its own places free
        city.clock.advance(timedelta(minutes=5))  # that worker died: its leases ran out
        printed = httpx.get(f"{base}/bulletin/{DAY}.pdf", timeout=90)
    assert printed.status_code == 200 and printing.STATS.entered == 1


def test_a_closed_days_bulletin_is_printed_once_per_language_and_then_served_from_the_database_by_any_worker(
    city, printer, database_url
):
    printer.release()
    other = worker(database_url, printer)  # a second app instance: its own engine, nothing shared but the database
    try:
        with serving(city) as first, serving(other) as second:
            one = httpx.get(f"{first}/bulletin/{DAY}.pdf", timeout=90)
            again = httpx.get(f"{first}/bulletin/{DAY}.pdf", timeout=30)
            elsewhere = httpx.get(f"{second}/bulletin/{DAY}.pdf", timeout=30)
            assert one.status_code == again.status_code == elsewhere.status_code == 200
            assert one.content == again.content == elsewhere.content  # the stand-in prints different bytes each time
            assert printing.STATS.entered == 1 and printing.STATS.kept == 2
            english = httpx.get(f"{second}/bulletin/{DAY}.pdf", cookies={"lang": "en"}, timeout=90)
            english_again = httpx.get(f"{first}/bulletin/{DAY}.pdf", cookies={"lang": "en"}, timeout=30)
        assert english.content == english_again.content != one.content
        assert printing.STATS.entered == 2
        with city.engine.connect() as conn:
            kept = conn.execute(select(printed_pdfs.c.subject, printed_pdfs.c.lang)).all()
        assert sorted(kept) == [(f"bulletin:{DAY}", "en"), (f"bulletin:{DAY}", "zh")]
    finally:
        other.engine.dispose()


def test_a_brief_is_kept_while_its_figures_stay_the_same_and_printed_again_when_they_change(city, printer):
    printer.release()
    with serving(city) as base, httpx.Client(base_url=base, cookies=_session(city), timeout=90) as analyst:
        first = analyst.get("/briefs/daily.pdf", params={"day": DAY})
        second = analyst.get("/briefs/daily.pdf", params={"day": DAY})
        assert first.status_code == second.status_code == 200 and first.content == second.content
        assert printing.STATS.entered == 1
    # the service itself: other figures under the same subject print again and replace what was kept
    pages = iter(["<p>one</p>", "<p>two</p>"])
    again = printing.printed(city, "brief:test", "zh", {"open_alerts": 1}, lambda: next(pages))
    changed = printing.printed(city, "brief:test", "zh", {"open_alerts": 2}, lambda: next(pages))
    assert again != changed and printing.STATS.entered == 3
    with city.engine.connect() as conn:
        subjects = conn.execute(select(printed_pdfs.c.subject).where(printed_pdfs.c.subject == "brief:test")).all()
    assert len(subjects) == 1
