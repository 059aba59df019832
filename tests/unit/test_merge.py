from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from admitall.domain.intake import PersonInput, parse_person_input
from admitall.domain.lifecycle import identify, reclassify
from admitall.domain.merge import merge
from admitall.domain.people import EventKind, Person, Risk, Severity, Stamp, Status
from tests.factories import person_row

NOW = datetime(2020, 2, 10, 6, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")


def registration(**overrides) -> PersonInput:
    result = parse_person_input(person_row(**overrides), now=NOW, tz=TZ)
    assert isinstance(result, PersonInput), result
    return result


def stamp(item: PersonInput) -> Stamp:
    return Stamp(occurred_at=item.identified_at, recorded_at=NOW, actor="t", source="lab list")


def existing(**overrides) -> Person:
    item = registration(**overrides)
    return identify(item.details, item.status, stamp(item), severity=item.severity, risks=item.risks)[0]


def test_a_higher_category_is_taken_and_the_event_records_the_source():
    item = registration(category="confirmed", severity="severe")
    out = merge(existing(category="contact"), item, stamp(item))
    assert (out.person.status, out.person.severity) == (Status.CONFIRMED, Severity.SEVERE)
    assert [e.kind for e in out.events] == [EventKind.RECLASSIFIED]
    assert out.events[0].stamp.source == "lab list"


def test_a_lower_category_is_never_taken_silently():
    item = registration(category="contact")
    out = merge(existing(category="confirmed"), item, stamp(item))
    assert out.person.status is Status.CONFIRMED
    assert out.events == []
    assert [n.field for n in out.notes] == ["category"]


def test_the_same_row_again_changes_nothing():
    item = registration()
    out = merge(existing(), item, stamp(item))
    assert out.events == [] and out.notes == []


def test_blank_details_are_filled_and_recorded_ones_kept():
    person = existing(phone="", address=None)
    item = registration(phone="13912345678", address="解放大道1号", name="张叁")
    out = merge(person, item, stamp(item))
    assert out.person.details.phone == "13912345678"
    assert out.person.details.address == "解放大道1号"
    assert out.person.details.name == "张三"
    assert [n.field for n in out.notes] == ["name"]


def test_severity_rises_but_is_not_lowered_and_risks_are_added():
    person = existing(category="confirmed", severity="severe")
    item = registration(category="confirmed", severity="mild", risk="comorbidity")
    out = merge(person, item, stamp(item))
    assert out.person.severity is Severity.SEVERE
    assert Risk.COMORBIDITY in out.person.risks
    assert "severity" in {n.field for n in out.notes}


def test_a_row_older_than_the_release_does_not_bring_a_person_back():
    person = existing(category="contact")
    person, _ = reclassify(person, Status.RELEASED, Stamp(NOW - timedelta(hours=1), NOW, "t", "s"))
    item = registration(category="contact")
    out = merge(person, item, stamp(item))
    assert out.person.status is Status.RELEASED
    assert [n.field for n in out.notes] == ["identified_at"]
