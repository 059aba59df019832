"""Which person a registration belongs to (同一人识别)."""

from __future__ import annotations

from dataclasses import dataclass, field

from admitall.domain.intake import PersonInput
from admitall.domain.people import Person, PersonEvent

Key = tuple[str, str]


@dataclass(eq=False)
class Target:
    """A person rows can merge into: stored already (`stored_id`), or new in this batch until it is written.

    `events` and `sources` hold only what is not yet written; `rows` every row that ended in this person.
    """

    person: Person
    events: list[PersonEvent]
    sources: list[Key]
    stored_id: int | None = None
    rows: list[int] = field(default_factory=list)
    # the person as stored, before this batch changed them (None until written)
    stored: Person | None = None


def doc_key(p: PersonInput | Person) -> Key | None:
    doc = p.details.document
    return (doc.type.value, doc.number) if doc else None


def name_phone_key(p: PersonInput | Person) -> Key | None:
    return (p.details.name, p.details.phone) if p.details.phone else None


class Matcher:
    """Finds the person a registration belongs to: the same document; without one, the same name and phone;
    or the same (source, source reference) seen before. Knows stored people and those new in this batch."""

    def __init__(self, by_doc: dict[Key, Target], by_name_phone: dict[Key, Target], by_source: dict[Key, Target]):
        self.by_doc, self.by_name_phone, self.by_source = by_doc, by_name_phone, by_source

    def find(self, item: PersonInput, source: str) -> tuple[Target | None, str]:
        """The person the registration belongs to, and what matched: document, name_phone or source."""
        doc, np_key = doc_key(item), name_phone_key(item)
        if doc is not None:
            if doc in self.by_doc:
                return self.by_doc[doc], "document"
            # a registration with a document matches a name-and-phone record only if that record has none
            candidate = self.by_name_phone.get(np_key) if np_key else None
            if candidate is not None and candidate.person.details.document is None:
                return candidate, "name_phone"
        elif np_key is not None and np_key in self.by_name_phone:
            return self.by_name_phone[np_key], "name_phone"
        if item.source_ref is not None:
            return self.by_source.get((source, item.source_ref)), "source"
        return None, ""

    def owner_of(self, source_key: Key | None) -> Target | None:
        return self.by_source.get(source_key) if source_key else None

    def remember(self, target: Target, source_key: Key | None) -> None:
        doc, np_key = doc_key(target.person), name_phone_key(target.person)
        if doc is not None:
            self.by_doc.setdefault(doc, target)
        if np_key is not None:
            self.by_name_phone.setdefault(np_key, target)
        if source_key is not None:
            self.by_source.setdefault(source_key, target)
