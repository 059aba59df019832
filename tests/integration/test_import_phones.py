"""Phones through a real import, on SQLite and PostgreSQL: a landline or a number abroad is stored whole (the
column holds E.164 with an extension), the same number written two ways is the same person, an unreadable phone
costs the phone and is named with its row in the summary's warnings."""

from admitall.domain.access import Role
from admitall.services import people
from admitall.services.registration import register_batch
from tests.factories import id_number, load_small_city, officer, person_row


def rows(*items):
    return [(i + 2, row) for i, row in enumerate(items)]


def test_landlines_and_numbers_abroad_are_registered_and_kept_whole(ctx):
    load_small_city(ctx)
    summary = register_batch(
        ctx,
        officer(),
        rows(
            person_row(name="座机", id_number=id_number(seq=1), phone="027-85551234 转 1234"),
            person_row(name="香港", id_number=id_number(seq=2), phone="+852 9123 4567"),
            person_row(name="台湾", id_number=id_number(seq=3), phone="+886 912 345 678"),
        ),
        source="list",
        filename="list.csv",
    )
    assert (summary.accepted, summary.rejected, summary.warnings) == (3, 0, [])
    with ctx.uow() as uow:
        stored = {p.details.name: p.details.phone for p in uow.persons.get_many(summary.person_ids.values()).values()}
    assert stored == {"座机": "+862785551234;ext=1234", "香港": "+85291234567", "台湾": "+886912345678"}


def test_the_same_landline_written_two_ways_is_the_same_person(ctx):
    load_small_city(ctx)
    first = register_batch(
        ctx, officer(), rows(person_row(name="李四", id_number="", phone="027-85551234")), source="a", filename="a.csv"
    )
    second = register_batch(
        ctx,
        officer(),
        rows(
            person_row(name="李四", id_number="", phone="(027)8555 1234"),
            person_row(name="李四", id_number="", phone="+86 27 85551234"),
        ),
        source="b",
        filename="b.csv",
    )
    assert (first.accepted, second.accepted, second.merged) == (1, 0, 2)
    assert set(second.person_ids.values()) == set(first.person_ids.values())


def test_an_unreadable_phone_keeps_the_person_and_is_named_in_the_warnings_with_its_row(ctx):
    load_small_city(ctx)
    summary = register_batch(
        ctx,
        officer(),
        rows(
            person_row(name="甲", id_number=id_number(seq=1)),
            person_row(name="乙", id_number=id_number(seq=2), phone="8555-123"),
            person_row(name="丙", id_number="", phone="8555-123"),
        ),
        source="list",
        filename="list.csv",
    )
    assert (summary.accepted, summary.rejected) == (2, 1)
    assert [(row, w.field) for row, w in summary.warnings] == [(3, "phone")]
    assert [(r.row, r.fields()) for r in summary.rejections] == [(4, "phone")]
    result = summary.as_dict("zh")
    assert result["warnings"][0]["row"] == 3 and result["warnings"][0]["field_name"] == "联系电话"
    assert "8555-123" in result["warnings"][0]["message"]
    with ctx.uow() as uow:
        assert uow.persons.get(summary.person_ids[3]).details.phone is None


def test_a_masked_role_sees_only_the_last_four_digits_of_a_landline(ctx):
    load_small_city(ctx)
    summary = register_batch(
        ctx, officer(), rows(person_row(phone="027-85551234-88")), source="list", filename="list.csv"
    )
    pid = summary.person_ids[2]
    assert people.get_person(ctx, officer(), pid)["phone"] == "+862785551234;ext=88"
    admin = officer(role=Role.ADMIN, username="admin")
    assert people.get_person(ctx, admin, pid)["phone"] == "+********1234"
