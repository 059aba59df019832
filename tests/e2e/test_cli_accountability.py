"""`admitall import officials`, `officials`, `scorecards` as a user runs them: a real process, a real file."""

from __future__ import annotations

import os
import subprocess

from tests.e2e.test_cli import ADMITALL, city, one_json, run  # noqa: F401  (the `city` fixture)
from tests.factories import CITY, DAZHI, DAZHI_1, JIANGAN


def test_importing_officials_accounts_for_every_row_and_assigns_their_units(city):  # noqa: F811
    path = city / "officials.csv"
    path.write_text(
        "姓名,职务,所属单位,手机号,用户名,包保单位\n"
        f"王忠,副指挥长,{CITY},13800000001,commander,{CITY}\n"
        f"李江,区委副书记,{JIANGAN},13800000002,,{JIANGAN}\n"
        f"张智,街道书记,{JIANGAN},,,{DAZHI};{DAZHI_1}\n"  # a district official sunk to a street and a community
        f",社区书记,{DAZHI_1},,,\n"  # no name
        f"刘外,书记,{DAZHI_1},,,{JIANGAN}\n"  # leads a unit above their own
        f"陈号,书记,{DAZHI_1},12345,,\n"  # not a mobile number
        "\n",
        encoding="utf-8",
    )
    summary = one_json(run(city, "import", "officials", str(path), "--json"))
    assert (summary["rows"], summary["accepted"], summary["rejected"], summary["leads_assigned"]) == (6, 3, 3, 4)
    assert {(r["row"], r["field"]) for r in summary["rejections"]} == {(5, "name"), (6, "leads"), (7, "phone")}
    listed = one_json(run(city, "officials", "list", "--json"))
    leads = {o["name"]: sorted(u["code"] for u in o["leads"]) for o in listed["officials"]}
    assert leads["张智"] == [DAZHI, DAZHI_1]
    assert CITY not in {u["code"] for u in listed["vacancies"]} and DAZHI_1 not in {
        u["code"] for u in listed["vacancies"]
    }


def test_scorecards_are_computed_and_shown_from_the_command_line(city):  # noqa: F811
    added = one_json(
        run(city, "officials", "add", "周昌", "--unit", JIANGAN, "--title", "区委副书记", "--lead", "--json")
    )
    assert added["lead"]["unit_code"] == JIANGAN
    computed = one_json(run(city, "scorecards", "compute", "--json"))
    assert computed["units"] == 10 and computed["officials"] == 1
    shown = one_json(run(city, "scorecards", "show", JIANGAN, "--json"))
    assert shown["subject"]["code"] == JIANGAN and shown["stored"] is True
    assert [s["name"] for s in shown["card"]["leads"]] == ["周昌"]
    bad = run(city, "scorecards", "show", JIANGAN, "--from", "2020-02-10", "--to", "2020-04-10")
    assert bad.returncode == 2 and "A window is 1 to 31 days" in bad.stderr


def test_an_invalid_scoring_file_is_refused_at_start(city):  # noqa: F811
    bad = city / "scoring.toml"
    bad.write_text("[weights]\nplacement = -3\n", encoding="utf-8")
    env = {
        **os.environ,
        "ADMITALL_DATABASE_URL": f"sqlite:///{city / 'cli.db'}",
        "ADMITALL_LANG": "en",
        "ADMITALL_SCORING_FILE": str(bad),
    }
    result = subprocess.run([*ADMITALL, "scorecards", "compute"], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 2
    assert "Invalid scoring file: weights.placement" in result.stderr and "Traceback" not in result.stderr
