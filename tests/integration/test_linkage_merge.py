"""Record linkage in the registry (issue 16 §2): imports queue a likely duplicate, `run_link` finds and merges sure
pairs, a person's merge and unmerge keep both histories, restore both exactly, keep every count to one person per
person and leave `verify` clean — on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from admitall.domain.access import Role
from admitall.domain.errors import Conflict, Forbidden, NotFound
from admitall.services.backlog import backlog
from admitall.services.command import command_screen
from admitall.services.context import cli_actor
from admitall.services.linkage import run_link, unresolved
from admitall.services.linkage_review import decide, merge_links, pair_view, review_queue, unmerge
from admitall.services.people import person_history, reclassify_person
from admitall.services.registration import register_batch
from admitall.services.trends import hourly
from admitall.services.verify import verify
from admitall.store.tables import persons
from admitall.store.tables_census import event_flows
from admitall.store.tables_linkage import link_pairs
from tests.factories import DAZHI, DAZHI_1, DAZHI_2, WUCHANG, id_number, load_small_city, officer, person_row


@pytest.fixture
def city(ctx):
    load_small_city(ctx, leads=False)
    return ctx


def register(ctx, rows, source):
    return register_batch(ctx, cli_actor(), list(enumerate(rows, start=2)), source=source).person_ids


def two_records(ctx, *, second_unit=DAZHI_1, **second):
    """One person on two lists: a community's (ID number, contact) and a fever clinic's (a homophone of the name,
    no ID number, the same phone and birth date, suspected)."""
    first = register(
        ctx, [person_row(name="张伟", source_ref="C-1", category="contact", birth_date="1985-03-07")], "community"
    )
    row = person_row(
        name="张维",
        id_number=None,
        source_ref="F-9",
        category="suspected",
        unit_code=second_unit,
        birth_date="1985-03-07",
        sex="男",
    )
    row.update(second)
    other = register(ctx, [row], "fever_clinic")
    return first[2], other[2]


def problems(ctx):
    return verify(ctx)["problems"]


def state(ctx, pid):
    with ctx.uow() as uow:
        return uow.persons.get(pid)


def census_total(ctx, root=None):
    with ctx.uow() as uow:
        return sum(n for *_, n in uow.census.counts(root))


def flows(ctx, kind="identified"):
    with ctx.engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(event_flows).where(event_flows.c.kind == kind)
        ).scalar_one()


def test_an_imported_record_of_a_known_person_becomes_a_candidate_pair_not_a_silent_duplicate(city):
    a, b = two_records(city)
    with city.uow() as uow:
        row = uow.conn.execute(select(link_pairs)).one()
        assert unresolved(uow, DAZHI) == 1
        assert unresolved(uow, WUCHANG) == 0
    assert (row.person_a, row.person_b, row.state, row.found_by) == (a, b, "review", "import")
    assert row.probability >= 0.6
    assert command_screen(city, officer())["duplicates"]["unresolved"] == 1  # the screen says it is unresolved
    decide(city, officer(), row.id, "distinct")
    assert command_screen(city, officer())["duplicates"]["unresolved"] == 0


def test_a_merge_keeps_both_histories_raises_the_category_and_counts_the_person_once(city):
    a, b = two_records(city)
    before_a, before_b = state(city, a), state(city, b)
    assert census_total(city) == 2 and flows(city) == 2
    pair = review_queue(city, officer())["pairs"][0]
    result = decide(city, officer(), pair["id"], "merge")
    assert (result["survivor"], result["merged"]) == (a, b)  # both waiting: the one with an ID number
    survivor, away = state(city, a), state(city, b)
    assert survivor.status.value == "suspected"  # the contact was raised to the other list's suspected
    assert survivor.details.sex is not None  # a blank filled from the other record
    assert (away.status.value, away.placement.value) == ("excluded", "left")
    # counted once: the census, the flows of the screen, the backlog's stock
    assert census_total(city) == 1 and flows(city) == 1
    with city.engine.connect() as conn:  # the waiting trend counts the person once too
        assert hourly(conn, DAZHI, city.clock.now(), 2)["waiting"][-1] == 1
    figures = backlog(city, officer())
    assert figures["stock"]["waiting"] == 1 and round(figures["inflow"]["per_hour_24h"] * 24) == 1
    assert problems(city) == []
    # both histories kept, the merge an event of each
    kinds_b = [e["kind"] for e in person_history(city, officer(), b)["events"]]
    assert kinds_b == ["identified", "merged"]
    kinds_a = [e["kind"] for e in person_history(city, officer(), a)["events"]]
    assert kinds_a[:2] == ["identified", "merged"] and "reclassified" in kinds_a
    assert merge_links(city, officer(), b)["merged_into"] == a
    with pytest.raises(Conflict):  # a pointer takes no change: act on the survivor
        reclassify_person(city, officer(), b, "confirmed", severity="mild")
    assert merge_links(city, officer(), a)["merged_from"] == [b]

    unmerge(city, officer(), b)
    after_a, after_b = state(city, a), state(city, b)
    assert replace(after_a, version=0) == replace(before_a, version=0)
    assert replace(after_b, version=0) == replace(before_b, version=0)
    assert census_total(city) == 2 and flows(city) == 2
    assert problems(city) == []
    assert [e["kind"] for e in person_history(city, officer(), b)["events"]][-1] == "unmerged"
    with city.uow() as uow:
        assert uow.conn.execute(select(link_pairs.c.state)).scalar_one() == "unmerged"


def test_a_survivor_changed_after_the_merge_keeps_its_later_state_when_unmerged(city, clock):
    a, b = two_records(city)
    decide(city, officer(), review_queue(city, officer())["pairs"][0]["id"], "merge")
    clock.advance(timedelta(hours=1))
    reclassify_person(city, officer(), a, "confirmed", severity="severe")
    unmerge(city, officer(), b)
    assert state(city, a).status.value == "confirmed"  # its own later event stands
    assert state(city, b).status.value == "suspected"
    assert problems(city) == []


def test_a_record_holding_a_bed_survives_and_the_other_bed_is_released_then_taken_back(city, clock):
    from tests.factories import load_small_facilities

    load_small_facilities(city)
    a, b = two_records(city)
    with city.uow(write=True) as uow:  # both were given a single room by the dispatcher
        from admitall.domain.lifecycle import assign_bed
        from admitall.services.changes import save_changes

        for pid in (a, b):
            p = uow.persons.get(pid)
            if p.status.value == "contact":
                continue
            after, event = assign_bed(p, "I1", "single_room", city.stamp(cli_actor(), "t"))
            save_changes(city, uow, cli_actor(), p, after, [event], None)
        uow.commit()

    def reserved():
        with city.engine.connect() as conn:
            return conn.execute(text("SELECT reserved FROM bed_pools WHERE facility_code = 'I1'")).scalar_one()

    assert reserved() == 1 and state(city, b).placement.value == "assigned"
    result = decide(city, officer(), review_queue(city, officer())["pairs"][0]["id"], "merge")
    assert result["survivor"] == b  # the record with the bed survives
    assert state(city, a).placement.value == "left"
    assert reserved() == 1 and state(city, b).facility_code == "I1"
    assert problems(city) == []
    unmerge(city, officer(), a)
    assert state(city, a).status.value == "contact" and state(city, b).status.value == "suspected"
    assert problems(city) == []


def test_a_merged_away_bed_is_released_and_taken_back_on_unmerge_when_still_free(city):
    from admitall.domain.lifecycle import assign_bed
    from admitall.services.changes import save_changes
    from tests.factories import load_small_facilities

    load_small_facilities(city)
    a, b = two_records(city, category="confirmed", severity="severe")
    with city.uow(write=True) as uow:
        for pid, (fac, bed) in ((a, ("Q1", "quarantine_room")), (b, ("H1", "severe"))):
            p = uow.persons.get(pid)
            after, event = assign_bed(p, fac, bed, city.stamp(cli_actor(), "t"))
            save_changes(city, uow, cli_actor(), p, after, [event], None)
        uow.commit()

    def reserved(fac):
        with city.engine.connect() as conn:
            return conn.execute(text(f"SELECT sum(reserved) FROM bed_pools WHERE facility_code = '{fac}'")).scalar_one()

    decide(city, officer(), review_queue(city, officer())["pairs"][0]["id"], "merge")
    # both assigned: the confirmed record survives; the contact's quarantine room is released by its merge event
    assert reserved("Q1") == 0 and reserved("H1") == 1
    assert problems(city) == []
    unmerge(city, officer(), a)
    assert reserved("Q1") == 1 and state(city, a).facility_code == "Q1"
    assert problems(city) == []


def test_not_the_same_person_is_recorded_and_the_pair_leaves_the_queue(city):
    two_records(city)
    pair = review_queue(city, officer())["pairs"][0]
    decide(city, officer(), pair["id"], "distinct")
    assert review_queue(city, officer())["total"] == 0
    assert review_queue(city, officer(), state="distinct")["total"] == 1
    with pytest.raises(Conflict):
        decide(city, officer(), pair["id"], "merge")
    with city.uow() as uow:
        entry = uow.conn.execute(text("SELECT detail FROM audit_log WHERE action = 'link_decision'")).scalar_one()
    assert "distinct" in str(entry)


def test_refusals_outside_the_jurisdiction_and_for_roles_that_may_not(city):
    two_records(city, second_unit=DAZHI_2)  # the second record lives in the neighbouring community
    with city.uow() as uow:
        pair_id = uow.conn.execute(select(link_pairs.c.id)).scalar_one()
    assert review_queue(city, officer(DAZHI))["total"] == 1  # the street holds both people
    community = officer(DAZHI_1, username="c1")
    assert review_queue(city, community)["total"] == 0  # one person outside: not in this officer's queue
    with pytest.raises(NotFound):
        pair_view(city, community, pair_id)
    with pytest.raises(NotFound):
        decide(city, community, pair_id, "merge")
    commander = officer("420100000000", Role.COMMANDER, "cmd")
    view = pair_view(city, commander, pair_id)
    assert view["people"][0]["masked"] and "*" in view["people"][0]["document"]
    assert view["may_decide"] is False
    with pytest.raises(Forbidden):
        decide(city, commander, pair_id, "merge")
    with pytest.raises(Forbidden):
        review_queue(city, officer(DAZHI, Role.ANALYST, "an"))
    with pytest.raises(Forbidden):
        review_queue(city, officer(DAZHI, Role.FACILITY_OFFICER, "desk"))


def test_run_link_merges_sure_pairs_queues_the_rest_and_writes_every_candidate(city):
    # the same person three times (once typed in pinyin), and two neighbours who share a phone
    base = dict(birth_date="1990-05-01", sex="女", category="contact", address="幸福路1号")
    rows = [
        person_row(name="李娜", id_number=id_number(date(1990, 5, 1), seq=202), phone="13900000001", source_ref="A1",
                   **base),
        person_row(name="李娜", id_number=None, phone="13900000001", source_ref="B1", **{**base, "category": "fever"}),
        person_row(name="Li Na", id_number=None, phone="15822223333", source_ref="C1", **base),
        person_row(name="王芳", id_number=id_number(date(1960, 1, 2), seq=204),
                   phone="13900000777", source_ref="A2", birth_date="1960-01-02", sex="女", category="contact"),
        person_row(name="赵强", id_number=id_number(date(1958, 8, 8), seq=205),
                   phone="13900000777", source_ref="A3", birth_date="1958-08-08", sex="男", category="contact"),
    ]  # fmt: skip
    register(city, rows[:1] + rows[3:], "community")
    register(city, rows[1:3], "hotline")
    run = run_link(city, cli_actor(), with_refs=True)
    decided = {(r["source_refs_a"], r["source_refs_b"]): r["decision"] for r in run.rows()}
    assert run.candidates == len(decided) == 2  # B1 joined A1 at import already: the same name and phone
    assert decided[("A2", "A3")] == "distinct"  # neighbours sharing a phone are not merged
    assert decided[("A1;B1", "C1")] == "merged"  # the name in pinyin, the same birth date, sex and address
    assert problems(city) == []
    # counted once: five records, two of them the same person as a third at most
    with city.uow() as uow:
        living = uow.conn.execute(
            select(func.count()).select_from(persons).where(persons.c.status != "excluded")
        ).scalar_one()
    assert census_total(city) == living
    again = run_link(city, cli_actor())
    assert again.merged == 0 or again.merged <= run.merged  # a second run finds nothing new to merge
