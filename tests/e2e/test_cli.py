"""The `admitall` command as a user runs it: a real process, a real database file."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import DAZHI_1, SMALL_CITY, id_number

ADMITALL = [sys.executable, "-m", "admitall.cli"]


def run(tmp_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ADMITALL_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "ADMITALL_LANG": "en"}
    return subprocess.run(
        [*ADMITALL, *args], capture_output=True, text=True, env=env, input=stdin, timeout=120, cwd=tmp_path
    )


def one_json(result: subprocess.CompletedProcess[str]) -> dict:
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, result.stdout
    return json.loads(lines[0])


@pytest.fixture
def city(tmp_path):
    assert run(tmp_path, "init").returncode == 0
    units = tmp_path / "units.csv"
    units.write_text("code,name\n" + "\n".join(f"{c},{n}" for c, n in SMALL_CITY) + "\n", encoding="utf-8")
    assert one_json(run(tmp_path, "import", "units", str(units), "--json"))["accepted"] == len(SMALL_CITY)
    return tmp_path


def test_import_persons_prints_one_json_object_that_accounts_for_every_row(city):
    path = city / "people.csv"
    path.write_text(
        "姓名,身份证号,手机号,类别,社区编码,来源编号\n"
        f"张三,{id_number()},13812345678,疑似,{DAZHI_1},A1\n"
        f"张三,{id_number()},13812345678,确诊,{DAZHI_1},A2\n"
        f"李四,{id_number()[:17]}0,13812345679,密接,{DAZHI_1},A3\n",
        encoding="utf-8-sig",
    )
    rejects = city / "rejects.csv"
    result = run(city, "import", "persons", str(path), "--source", "hotline", "--rejects", str(rejects), "--json")
    assert result.returncode == 0, result.stderr
    summary = one_json(result)
    assert {k: summary[k] for k in ("rows", "accepted", "merged", "rejected")} == {
        "rows": 3,
        "accepted": 1,
        "merged": 1,
        "rejected": 1,
    }
    with rejects.open(encoding="utf-8-sig") as f:
        written = list(csv.DictReader(f))
    assert [(r["row"], r["field"], r["name"]) for r in written] == [("4", "id_number", "李四")]
    assert "check character" in written[0]["reason"]


def test_a_missing_file_is_a_clear_error_not_a_stack_trace(city):
    result = run(city, "import", "persons", str(city / "nope.csv"))
    assert result.returncode == 2
    assert "Cannot read the file" in result.stderr and "Traceback" not in result.stderr
    as_json = one_json(run(city, "import", "persons", str(city / "nope.csv"), "--json"))
    assert as_json["error"]["code"] == "file.unreadable"


def test_users_add_reads_the_password_from_stdin_and_refuses_a_short_one(city):
    ok = run(
        city,
        "users",
        "add",
        "wang",
        "--role",
        "dispatcher",
        "--unit",
        DAZHI_1,
        "--password-stdin",
        "--json",
        stdin="a good long password\n",
    )
    assert one_json(ok)["role"] == "dispatcher"
    short = run(
        city, "users", "add", "li", "--role", "dispatcher", "--unit", DAZHI_1, "--password-stdin", stdin="short\n"
    )
    assert short.returncode == 2 and "at least 12" in short.stderr
    bad_role = run(
        city,
        "users",
        "add",
        "li",
        "--role",
        "king",
        "--unit",
        DAZHI_1,
        "--password-stdin",
        stdin="a good long password\n",
    )
    assert bad_role.returncode == 2 and "Unknown role" in bad_role.stderr


def test_stock_as_json(city):
    summary = one_json(run(city, "stock", "--json"))
    assert summary["four_categories_total"] == 0


def test_facilities_allocate_and_backlog_from_the_command_line(city):
    facilities = city / "facilities.csv"
    facilities.write_text(
        "code,name,type,unit_code,icu,severe,general,quarantine_room\n"
        f"H1,定点医院,designated_hospital,{DAZHI_1},1,1,2,\n"
        f"Q1,隔离酒店,quarantine_site,{DAZHI_1},,,,5\n"
        f"X1,坏,shelter_hospital,{DAZHI_1},3,,,\n",
        encoding="utf-8",
    )
    imported = one_json(run(city, "import", "facilities", str(facilities), "--json"))
    assert (imported["accepted"], imported["rejected"]) == (2, 1)
    people = city / "people.csv"
    people.write_text(
        "name,id_number,category,severity,unit_code\n"
        f"危重,{id_number(seq=1)},confirmed,critical,{DAZHI_1}\n"
        f"密接,{id_number(seq=3)},contact,,{DAZHI_1}\n",
        encoding="utf-8",
    )
    assert one_json(run(city, "import", "persons", str(people), "--json"))["accepted"] == 2
    dry = one_json(run(city, "allocate", "--json"))
    assert [(a["priority_class"], a["facility"], a["bed_type"]) for a in dry["assignments"]] == [
        ("critical", "H1", "icu"),
        ("contact", "Q1", "quarantine_room"),
    ]
    assert dry["assignments"][0]["document"] == id_number(seq=1) and dry["committed"] is False
    assert one_json(run(city, "allocate", "--json"))["assignments"] == dry["assignments"]  # nothing changed
    committed = one_json(run(city, "allocate", "--commit", "--json"))
    assert committed["confirmed"] == 2
    assert one_json(run(city, "allocate", "--json"))["assignments"] == []
    figures = one_json(run(city, "backlog", "--json"))
    assert figures["stock"]["assigned_or_in_transit"] == 2 and figures["stock"]["waiting"] == 0


def test_an_invalid_policy_file_is_refused_at_start(city):
    bad = city / "policy.toml"
    bad.write_text('priority = ["critical"]\n', encoding="utf-8")
    env_run = subprocess.run(
        [*ADMITALL, "allocate"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=city,
        env={
            **os.environ,
            "ADMITALL_DATABASE_URL": f"sqlite:///{city / 'cli.db'}",
            "ADMITALL_LANG": "en",
            "ADMITALL_POLICY_FILE": str(bad),
        },
    )
    assert env_run.returncode == 2
    assert "The admission policy file is invalid" in env_run.stderr and "Traceback" not in env_run.stderr
