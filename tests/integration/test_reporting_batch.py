"""Many reports in one transaction (reporting.submit_many): the same rules, refusals, idempotency, versions,
chains and audit as one submission; each report stored or refused on its own."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from admitall.domain.access import Role
from admitall.domain.errors import Forbidden
from admitall.services import reporting, watch
from admitall.services.context import Actor, cli_actor
from admitall.services.registration import register_batch
from admitall.services.reporting import ReportInput
from admitall.services.verify import verify
from admitall.store.tables import audit_log, reports
from tests.factories import (
    CITY,
    DAZHI,
    DAZHI_1,
    DAZHI_2,
    JIANGAN,
    WUCHANG,
    WUCHANG_1,
    WUCHANG_STREET,
    YIYUAN,
    YIYUAN_1,
    id_number,
    load_small_city,
    person_row,
)

TEN = datetime(2020, 2, 10, 2, 0, tzinfo=UTC)  # 10:00 in Wuhan
HOUR = timedelta(hours=1)
UNITS = [JIANGAN, DAZHI, DAZHI_1, DAZHI_2, YIYUAN, YIYUAN_1, WUCHANG, WUCHANG_STREET, WUCHANG_1]


def officer(unit: str = CITY, role: Role = Role.UNIT_OFFICER) -> Actor:
    return Actor(f"officer-{unit}", role, unit)


def report(unit: str, start: datetime | str | None = TEN, **kw) -> ReportInput:
    return ReportInput(
        **{"unit_code": unit, "period_start": start, "reported": {}, "attested_by": "值班员", "attest": True, **kw}
    )


@pytest.fixture
def chain(ctx, clock):
    load_small_city(ctx)
    rows = [
        person_row(
            name=f"人{i}",
            id_number=id_number(seq=i),
            phone=f"1381234{i:04d}",
            unit_code=unit,
            category=cat,
            identified_at="2020-02-10 10:05",
        )
        for i, (unit, cat) in enumerate(
            [
                (DAZHI_1, "contact"),
                (DAZHI_1, "suspected"),
                (DAZHI_2, "fever"),
                (YIYUAN_1, "contact"),
                (WUCHANG_1, "suspected"),
            ]
        )
    ]
    clock.set(TEN + timedelta(minutes=10))
    register_batch(ctx, cli_actor(), list(enumerate(rows, start=2)), source="t")
    clock.set(TEN + timedelta(minutes=50))
    return ctx


def outcomes(result: dict) -> list[tuple[str, str, str | None]]:
    return [(r["unit_code"], r["outcome"], (r.get("error") or {}).get("code")) for r in result["results"]]


def test_a_batch_stores_every_units_report_with_the_registrys_figures_chained_and_audited(chain):
    result = reporting.submit_many(chain, officer(), [report(u, idempotency_key=f"k-{u}") for u in UNITS])
    assert (result["stored"], result["duplicate"], result["refused"]) == (len(UNITS), 0, 0)
    for unit in UNITS:
        stored = reporting.history(chain, officer(), unit, TEN.isoformat())["versions"]
        assert len(stored) == 1 and stored[0]["version"] == 1 and stored[0]["on_time"] is True
        assert stored[0]["registry"] == reporting.draft(chain, officer(), unit, TEN)["figures"]
    jiangan = reporting.history(chain, officer(), JIANGAN, TEN.isoformat())["versions"][0]["registry"]
    assert jiangan["found"] == {"contact": 2, "suspected": 1, "fever": 1, "total": 4}
    with chain.uow() as uow:
        audited = uow.conn.execute(
            select(func.count()).select_from(audit_log).where(audit_log.c.action == "submit_report")
        ).scalar_one()
    assert audited == len(UNITS)
    assert verify(chain)["ok"] is True


def test_one_bad_report_does_not_sink_the_others_and_each_refusal_names_its_unit_field_and_reason(chain):
    batch = [
        report(DAZHI_1),
        report(WUCHANG_1),  # outside the street's jurisdiction
        report("420102002999"),  # no such unit
        report(DAZHI_2, reported={"found": {"contact": -1}}),
        report(DAZHI, attested_by="", attest=False),
        report(DAZHI, start=TEN + HOUR),
        report(DAZHI, start=TEN + timedelta(minutes=7)),
        report(DAZHI),
    ]
    result = reporting.submit_many(chain, officer(DAZHI), batch)
    assert outcomes(result) == [
        (DAZHI_1, "stored", None),
        (WUCHANG_1, "refused", "unit.not_found"),
        ("420102002999", "refused", "unit.not_found"),
        (DAZHI_2, "refused", "report.bad_figure"),
        (DAZHI, "refused", "report.attestation"),
        (DAZHI, "refused", "report.future_period"),
        (DAZHI, "refused", "report.bad_period"),
        (DAZHI, "stored", None),
    ]
    errors = {r["index"]: r["error"] for r in result["results"] if r["outcome"] == "refused"}
    assert errors[3]["field"] == "found.contact" and errors[4]["field"] == "attested_by"
    assert errors[3]["zh"] and errors[3]["en"]
    # a unit elsewhere is refused exactly like one that does not exist, but for the code
    assert errors[1]["message"].replace(WUCHANG_1, "X") == errors[2]["message"].replace("420102002999", "X")
    assert (result["stored"], result["refused"]) == (2, 6)


def test_a_level_that_does_not_report_and_a_second_report_of_a_period_are_refused_as_one_submission_would(chain):
    result = reporting.submit_many(chain, officer(), [report(CITY), report(DAZHI_1), report(DAZHI_1)])
    assert outcomes(result) == [
        (CITY, "refused", "report.level_does_not_report"),
        (DAZHI_1, "stored", None),
        (DAZHI_1, "refused", "report.already_sent"),
    ]


def test_the_same_key_twice_in_a_batch_or_across_batches_stores_one_report(chain):
    first = reporting.submit_many(
        chain, officer(), [report(DAZHI_1, idempotency_key="a"), report(DAZHI_1, idempotency_key="a")]
    )
    assert [r["outcome"] for r in first["results"]] == ["stored", "duplicate"]
    assert first["results"][0]["id"] == first["results"][1]["id"]
    again = reporting.submit_many(chain, officer(), [report(DAZHI_1, idempotency_key="a")])
    assert again["results"][0]["outcome"] == "duplicate" and again["results"][0]["id"] == first["results"][0]["id"]
    one = reporting.submit(chain, officer(), report(DAZHI_1, idempotency_key="a"))
    assert (one["outcome"], one["id"]) == ("duplicate", first["results"][0]["id"])


def test_a_key_of_another_jurisdictions_report_is_refused_like_an_absent_unit(chain):
    reporting.submit_many(chain, officer(WUCHANG), [report(WUCHANG_1, idempotency_key="theirs")])
    result = reporting.submit_many(chain, officer(DAZHI), [report(DAZHI_1, idempotency_key="theirs")])
    assert outcomes(result) == [(DAZHI_1, "refused", "unit.not_found")]


def test_a_unit_reporting_two_periods_in_one_batch_chains_them_and_a_correction_takes_the_next_version(chain, clock):
    clock.set(TEN + HOUR + timedelta(minutes=5))
    result = reporting.submit_many(chain, officer(), [report(DAZHI_1, TEN), report(DAZHI_1, TEN + HOUR)])
    assert [r["outcome"] for r in result["results"]] == ["stored", "stored"]
    with chain.uow() as uow:
        rows = uow.conn.execute(
            select(reports.c.prev_hash, reports.c.hash).where(reports.c.unit_code == DAZHI_1).order_by(reports.c.id)
        ).all()
    assert rows[0].prev_hash == "" and rows[1].prev_hash == rows[0].hash
    first = result["results"][0]
    fix = report(DAZHI_1, TEN, supersedes=first["id"], correction_reason="漏报两人")
    stale = report(DAZHI_1, TEN + HOUR, supersedes=first["id"], correction_reason="错了")
    corrected = reporting.submit_many(chain, officer(), [fix, stale])
    assert outcomes(corrected) == [(DAZHI_1, "stored", None), (DAZHI_1, "refused", "report.stale_correction")]
    assert corrected["results"][0]["version"] == 2
    assert verify(chain)["ok"] is True


def test_a_batched_late_report_stops_the_missing_reports_escalation(chain, clock):
    clock.set(TEN + HOUR + timedelta(minutes=10))
    watch.watch(chain)
    open_before = [a for a in watch.inbox(chain, officer(DAZHI))["alerts"] if a["unit_code"] == DAZHI_1]
    assert open_before and open_before[0]["resolved_at"] is None
    clock.set(TEN + HOUR + timedelta(minutes=20))
    result = reporting.submit_many(chain, officer(), [report(DAZHI_1, TEN)])
    assert result["results"][0]["on_time"] is False
    after = [a for a in watch.inbox(chain, officer(DAZHI), open_only=False)["alerts"] if a["unit_code"] == DAZHI_1]
    assert all(a["resolved_at"] is not None for a in after)
    assert verify(chain)["ok"] is True


@pytest.mark.parametrize("role", [Role.COMMANDER, Role.ADMIN, Role.ANALYST, Role.DISPATCHER])
def test_roles_that_do_not_report_cannot_send_a_batch(chain, role):
    with pytest.raises(Forbidden):
        reporting.submit_many(chain, officer(CITY, role), [report(DAZHI_1)])
    with chain.uow() as uow:
        assert uow.conn.execute(select(func.count()).select_from(reports)).scalar_one() == 0


def test_concurrent_reports_of_one_unit_keep_its_chain_whole(chain, clock):
    """Two writers read the same chain head; the unique (unit, prev_hash) refuses the second, which retries."""
    clock.set(TEN + 3 * HOUR + timedelta(minutes=5))
    starts = [TEN + i * HOUR for i in range(4)]
    errors: list[BaseException] = []

    def send(start: datetime) -> None:
        try:
            reporting.submit(chain, officer(), report(DAZHI_1, start))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=send, args=(s,)) for s in starts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with chain.uow() as uow:
        rows = uow.conn.execute(select(reports.c.prev_hash, reports.c.hash).order_by(reports.c.id)).all()
    assert len(rows) == 4 and [r.prev_hash for r in rows] == ["", *[r.hash for r in rows[:-1]]]
    assert verify(chain)["ok"] is True
