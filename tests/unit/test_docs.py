"""The README is checked against the code, so that what it promises stays true."""

import re
from fnmatch import fnmatch
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


ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted(p for p in (ROOT / "docs").rglob("*") if p.is_file())
# the namespaces an SVG declares are names, not links
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
LOCAL = ("http://127.0.0.1", "http://localhost")


def _documents() -> dict[Path, str]:
    return {ROOT / "README.md": README} | {p: p.read_text(encoding="utf-8") for p in DOCS}


def test_the_docs_folder_holds_the_architecture_and_only_text():
    assert ROOT / "docs" / "architecture.md" in DOCS
    assert all(p.suffix in (".md", ".svg") for p in DOCS), DOCS


@pytest.mark.parametrize("path", [ROOT / "README.md", *DOCS], ids=lambda p: str(p.relative_to(ROOT)))
def test_the_readme_and_every_file_in_docs_stand_alone_in_a_clone(path):
    """No link or path that leaves the repository, no address on the internet (a command network has none), and
    every file named or linked is in the repository."""
    text = _documents()[path]
    prose = re.sub(r"```.*?```", "", text, flags=re.S)  # a shell example's relative paths are not the docs'
    for relative in re.findall(r"(?:\.\./)+[\w.-]*", prose):
        where = (path.parent / relative).resolve()
        assert where.is_relative_to(ROOT), f"{path.name} points outside the repository: {relative}"
    addresses = set(re.findall(r"https?://[^\s)\]>\"'`,]+", text)) - NAMESPACES
    assert not sorted(a for a in addresses if not a.startswith(LOCAL)), f"{path.name} links outside"
    linked = re.findall(r"\]\(([^)\s]+)\)", text) + re.findall(r'(?:href|src)="([^"#]+)"', text)
    for target in linked:
        resolved = (path.parent / target.split("#")[0]).resolve()
        assert resolved.is_relative_to(ROOT) and resolved.exists(), f"{path.name} links to a missing {target}"
    named = set(re.findall(r"`((?:docs|bench|src|tests|scripts)/[\w./-]+)`", text))
    assert not sorted(p for p in named if not (ROOT / p.rstrip("/")).exists()), f"{path.name} names missing files"


def test_the_readme_names_the_architecture():
    assert "`docs/architecture.md`" in README


def test_the_architecture_names_every_part_of_the_code():
    """The layout in docs/architecture.md is the code's: every package and command module is in it, and everything
    in it exists."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    tree = text.split("```", 2)[1]
    listed = set(re.findall(r"^  ([\w.*]+/?)", tree, re.M))
    package = ROOT / "src" / "admitall"
    parts = {f"{p.name}/" for p in package.iterdir() if (p / "__init__.py").exists()}
    parts |= {p.name for p in package.glob("*.py") if p.name != "__init__.py"} | {"data/"}
    assert not sorted(p for p in parts if not any(fnmatch(p, entry) for entry in listed)), "not in the layout"
    assert not sorted(e for e in listed if not any(fnmatch(p, e) for p in parts)), "in the layout, not in the code"
