"""The README is checked against the code, so that what it promises stays true."""

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from admitall.cli import app
from admitall.domain.access import Permission, Role, can
from admitall.domain.intake import HEADERS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def table_rows(heading: str) -> list[list[str]]:
    """The body rows of the first table after a heading."""
    lines = README.split(heading, 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    table = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        table.append([cell.strip() for cell in line.strip("|").split("|")])
    return table


def test_every_persons_column_in_the_readme_is_accepted_in_both_languages():
    rows = table_rows("## Importing people")
    assert len(rows) == 13
    for english, chinese, _ in rows:
        assert HEADERS[english.strip("`")] == english.strip("`")
        assert HEADERS[chinese] == english.strip("`")


@pytest.mark.parametrize("command", sorted(set(re.findall(r"^admitall ((?:import |users |sim )?\w+)", README, re.M))))
def test_every_command_in_the_readme_exists(command):
    result = CliRunner().invoke(app, [*command.split(), "--help"])
    assert result.exit_code == 0, result.output


def test_the_roles_table_says_who_sees_personal_data():
    for role_name, _people, personal, _changes in table_rows("## Roles"):
        role = Role(role_name)
        if personal.startswith("shown"):
            assert can(role, Permission.SEE_PERSONAL_DATA)
        else:
            assert not can(role, Permission.SEE_PERSONAL_DATA)


def test_every_facilities_column_in_the_readme_is_accepted():
    from admitall.services.facilities import FACILITY_HEADERS

    listed = README.split("with the columns", 1)[1].split("(the", 1)[0]
    columns = re.findall(r"(\w+)", listed)
    assert len(columns) == 17
    assert all(FACILITY_HEADERS[c] == c for c in columns)


def test_every_label_the_pages_ask_for_has_both_languages():
    from admitall.web.i18n import MESSAGES

    templates = Path(__file__).resolve().parents[2] / "src" / "admitall" / "web" / "templates"
    asked = {
        key for path in templates.glob("*.html") for key in re.findall(r"\bt\('([a-z0-9_]+)'\s*[),]", path.read_text())
    }
    assert asked and not sorted(asked - set(MESSAGES))
    assert all(zh and en for zh, en in MESSAGES.values())


def test_the_readme_and_docs_stand_alone_in_a_clone():
    """No link or path that leaves the repository, and every file the README names is in it."""
    root = Path(__file__).resolve().parents[2]
    texts = {"README.md": README} | {
        f"docs/{p.name}": p.read_text(encoding="utf-8") for p in (root / "docs").glob("*.md")
    }
    for name, text in texts.items():
        assert "../" not in text, f"{name} points outside the repository"
    named = set(re.findall(r"`((?:docs|bench|src|tests)/[\w./-]+\.(?:md|py|toml|csv))`", README))
    assert "docs/architecture.md" in named
    assert not sorted(p for p in named if not (root / p).exists())
