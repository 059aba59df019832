"""What a reader sees of a page, and the words in it that belong to the other language.

The visible text of a page is its text nodes (not scripts or styles) and the attributes a person reads (title,
placeholder, aria-label, alt, a button's value). Words that come from the database — the names of units, people,
facilities and officials, and what people typed (a directive, a problem, a note) — are data, not the page's
language: `DataWords` holds them, read from the database the pages were rendered from, and what they cover is not a
finding.

- In Chinese, a finding is a Latin word with a lower-case letter that is neither data nor in `ALLOWED_LATIN` (codes
  and acronyms such as DH-JYT, ICU or P90 are upper case; one letter is a label or a unit: "h", "A").
- In English, a finding is a run of Chinese characters (with Chinese punctuation) that is not data, and a plural
  after the number one ("1 people", "1 recipients").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

from sqlalchemy import Engine, text

# Latin words a Chinese page may show: the product's name, the name of the other language on the switch, units of
# measure and file formats written as people write them in Chinese too
ALLOWED_LATIN = frozenset({"AdmitAll", "English", "Excel", "GeoJSON", "km", "min", "kg", "mg", "ml", "MB", "KB", "GB"})
LATIN = re.compile(r"[A-Za-z][A-Za-z0-9_'’-]*[A-Za-z0-9]|[A-Za-z]")
_IDEOGRAPH = "\u3400-\u9fff\uf900-\ufaff"
_CJK_PUNCTUATION = "\u3000-\u303f\uff01-\uff5e"
# a run of Chinese: ideographs with the Chinese punctuation inside or around them
HAN = re.compile(f"[{_CJK_PUNCTUATION}]*[{_IDEOGRAPH}][{_IDEOGRAPH}{_CJK_PUNCTUATION}]*")
CODE_LIKE = re.compile(r"\d")  # a word with a digit is a code or a digest: P90, UTF-8, 51dcc6326a
ALLOWED_HAN = frozenset({"中文"})  # the name of the other language on the switch
PUNCTUATION = "\u3000\u3001\u3002\uff0c\uff1a\uff1b\uff08\uff09\u300a\u300b\u3010\u3011\uff01\uff1f\u00b7\u2014\u2026"
# "1 people", "1 units": one, then a plural (not "1 is", "1 across", "1 class")
ONE_PLURAL = re.compile(r"(?<![\d.,])\b1 (people|(?!(?:is|was|has|plus|minus|across|always|versus)\b)[a-z]+[^s\W]s)\b")
READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
SKIPPED = {"script", "style", "template", "code", "pre", "kbd", "samp"}  # code is no language

# the columns that hold data: names, and what people (or the demo's people) typed
DATA_COLUMNS = (
    ("units", "name"),
    ("persons", "name"),
    ("persons", "address"),
    ("facilities", "name"),
    ("users", "username"),
    ("users", "display_name"),
    ("officials", "name"),
    ("officials", "title"),
    ("officials", "username"),
    ("person_events", "actor"),
    ("person_events", "source"),
    ("person_sources", "source"),
    ("person_sources", "source_ref"),
    ("import_batches", "source"),
    ("import_batches", "filename"),
    ("import_batches", "actor"),
    ("reports", "attested_by"),
    ("reports", "reporter"),
    ("reports", "correction_reason"),
    ("report_problems", "description"),
    ("report_problems", "resolution_note"),
    ("report_problems", "resolved_by"),
    ("alerts", "acknowledged_by"),
    ("alerts", "ack_note"),
    ("lead_assignments", "assigned_by"),
    ("lead_assignments", "reason"),
    ("directives", "issuer"),
    ("directives", "title"),
    ("directives", "body"),
    ("directive_recipients", "acknowledged_by"),
    ("directive_recipients", "completed_by"),
    ("directive_recipients", "completion_note"),
    ("registration_referrals", "submitted_by"),
    ("registration_referrals", "source"),
    ("registration_referrals", "filename"),
    ("registration_referrals", "decided_by"),
    ("registration_referrals", "reason"),
    ("audit_log", "actor"),
    ("sim_runs", "scenario_name"),
    ("sim_runs", "recorded_by"),
    ("cadre_assignments", "name"),
    ("cadre_assignments", "department"),
    ("cadre_assignments", "role"),
    ("medical_teams", "name"),
    ("medical_teams", "origin"),
    ("staff_members", "name"),
    ("supply_sites", "name"),
    ("supply_movements", "reason"),
)
# what the system writes into those columns is the page's language, not data: its own name as an actor, and the
# note of a directive it completed (stored in both languages; the pages show it in theirs)
NOT_DATA = frozenset({"system", "cli"})
SYSTEM_WRITTEN = ("系统核实：",)
# a run's title is written in both languages: each is data only in its own
DATA_COLUMNS_BY_LANG = {"zh": (("sim_runs", "title_zh"),), "en": (("sim_runs", "title_en"),)}


@dataclass
class DataWords:
    """The Latin words and the Chinese runs found in the database's data columns."""

    latin: set[str] = field(default_factory=set)
    han: dict[str, set[str]] = field(default_factory=dict)  # lang → runs

    @classmethod
    def read(cls, engine: Engine, extra: Iterable[str] = ()) -> DataWords:
        words = cls(han={"zh": set(), "en": set()})
        with engine.connect() as connection:
            for lang in ("zh", "en"):
                for table, column in (*DATA_COLUMNS, *DATA_COLUMNS_BY_LANG[lang]):
                    rows = connection.execute(text(f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL"))
                    for (value,) in rows:
                        if str(value) not in NOT_DATA and not str(value).startswith(SYSTEM_WRITTEN):
                            words.add(str(value), lang)
        for value in extra:
            words.add(value, "zh")
            words.add(value, "en")
        return words

    def add(self, value: str, lang: str) -> None:
        if lang == "zh":
            self.latin.update(LATIN.findall(value))
        self.han[lang].update(HAN.findall(value))

    def covers_han(self, run: str, lang: str, after: str) -> bool:
        """Whether a Chinese run is data: a whole run of a data value, or one cut short ("金银潭医…")."""
        if run in self.han[lang]:
            return True
        stem = run.rstrip("…")
        if stem != run or after.startswith(("…", "...")):
            return any(value.startswith(stem) for value in self.han[lang])
        return False


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            self._skipping += 1
        values = dict(attrs)
        for name in READ_ATTRIBUTES:
            if values.get(name):
                self.chunks.append(str(values[name]))
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.chunks.append(str(values["value"]))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in SKIPPED:
            self._skipping -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping and data.strip():
            self.chunks.append(data.strip())


def visible_text(html: str) -> list[str]:
    """The page's text as a reader meets it: one string per text node or read attribute."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.chunks


def foreign_words(chunks: Iterable[str], lang: str, data: DataWords) -> Iterator[str]:
    """Each piece of text that is in the other language and not data, with its context (data in the context is
    shown as {data}, so that one template's finding is one finding whatever the names in it)."""
    for chunk in chunks:
        if lang == "en":
            yield from _han_findings(chunk, data)
            yield from (f"{m.group()}  ⟨{chunk[:120]}⟩" for m in ONE_PLURAL.finditer(chunk))
            continue
        for word in LATIN.findall(chunk):
            if len(word) == 1 or word == word.upper() or CODE_LIKE.search(word) or word in ALLOWED_LATIN:
                continue
            if word not in data.latin:
                yield f"{word}  ⟨{chunk[:120]}⟩"


def _han_findings(chunk: str, data: DataWords) -> Iterator[str]:
    found: list[str] = []
    context = chunk
    for match in HAN.finditer(chunk):
        run = match.group()
        if run in ALLOWED_HAN or data.covers_han(run, "en", chunk[match.end() :]):
            context = context.replace(run, "{data}", 1)
            continue
        core = run.strip(PUNCTUATION)
        if core and data.covers_han(core, "en", chunk[match.end() :]):
            context = context.replace(core, "{data}", 1)
            found.append(run.replace(core, ""))  # only the punctuation around a name is the page's
        else:
            found.append(run)
    for run in found:
        yield f"{run}  ⟨{context[:120]}⟩"
