"""Config files a city edits (policy, scoring, scenarios and `--set` overrides of the twin) are refused with the key
named, in Chinese and English, when a number is not finite, out of any sane range, of the wrong type, or a key is
unknown — never an internal OverflowError or ValueError; at the command line that is exit 2, also at `serve`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from admitall.domain.errors import InvalidInput
from admitall.domain.policy import parse_policy
from admitall.domain.scoring import parse_scoring
from admitall.sim.scenario import apply_setting, overridden, parse_scenario

POLICY = resources.files("admitall").joinpath("data/policy.toml").read_text(encoding="utf-8")
SCORING = resources.files("admitall").joinpath("data/scoring.toml").read_text(encoding="utf-8")
SMALL = resources.files("admitall").joinpath("data/scenarios/small.toml").read_text(encoding="utf-8")


def _policy_with(key: str, value: str) -> str:
    return POLICY.replace(f"\n{key} = 1\n", f"\n{key} = {value}\n", 1)


@pytest.mark.parametrize("value", ["1e308", "inf", "nan", "-1", "0", "9000", '"1"', "true"])
def test_a_policy_time_target_that_is_not_a_sane_number_of_hours_is_refused_with_its_key(value):
    text = _policy_with("critical", value)
    assert text != POLICY
    with pytest.raises(InvalidInput) as refused:
        parse_policy(text)
    assert refused.value.code == "policy.invalid"
    assert "sla_hours.critical" in refused.value.en and "sla_hours.critical" in refused.value.zh


def test_a_sane_policy_time_target_is_kept():
    assert parse_policy(_policy_with("critical", "0.5")).sla


def _scoring_with(section: str, line: str) -> str:
    """The packaged scoring file with `line` in place of the line of the same key, or added to `section`."""
    name = line.split(" = ")[0]
    pattern = re.compile(rf"^{re.escape(name)} = .*$", re.MULTILINE)
    if pattern.search(SCORING):
        return pattern.sub(line, SCORING, count=1)
    return re.sub(rf"^\[{section}\].*$", lambda m: f"{m.group()}\n{line}", SCORING, count=1, flags=re.MULTILINE)


@pytest.mark.parametrize(
    ("section", "line", "key"),
    [
        ("review", "composite_below = nan", "review.composite_below"),
        ("review", "composite_below = inf", "review.composite_below"),
        ("review", "composite_below = 1000", "review.composite_below"),
        ("commend", "composite_at_least = -inf", "commend.composite_at_least"),
        ("commend", "min_demand = 1.5", "commend.min_demand"),
        ("ranking", "list_size = 0", "ranking.list_size"),
        ("ranking", "list_size = 1e308", "ranking.list_size"),
        ("review", "missing_reports_at_least = nan", "review.missing_reports_at_least"),
        ("weights", "timeliness = nan", "weights.timeliness"),
        ("weights", "timeliness = 1e308", "weights.timeliness"),
        ("commend", "speed = 3", "speed"),
        ("ranking", "size = 3", "size"),
    ],
)
def test_a_scoring_number_that_is_not_finite_or_in_range_or_an_unknown_key_is_refused_with_its_key(section, line, key):
    text = _scoring_with(section, line)
    assert line in text
    with pytest.raises(InvalidInput) as refused:
        parse_scoring(text)
    assert refused.value.code == "scoring.invalid" and key in refused.value.en and key in refused.value.zh


def test_a_scoring_section_that_is_not_a_table_is_refused():
    with pytest.raises(InvalidInput, match="commend"):
        parse_scoring("commend = 3\n[weights]\nplacement = 1\n")


def _scenario(*settings: str) -> object:
    raw = tomllib.loads(SMALL)
    for setting in settings:
        apply_setting(raw, setting)
    return parse_scenario(raw, settings)


@pytest.mark.parametrize(
    ("setting", "key"),
    [
        ('city.districts=["999999", 5]', "city.districts"),
        ("city.districts=[420102]", "city.districts"),
        ('city.districts=["420102", "420102"]', "city.districts"),
        ("city.communities_per_street=[0, 0]", "city.communities_per_street"),
        ("city.communities_per_street=[1, 1e9]", "city.communities_per_street"),
        ("city.streets_per_district=-1", "city.streets_per_district"),
        ("scenario.days=100000", "scenario.days"),
        ("scenario.seed=-5", "scenario.seed"),
        ("epidemic.seed_infections=1e12", "epidemic.seed_infections"),
        ("detection.contacts_per_case=nan", "detection.contacts_per_case"),
        ("detection.contacts_per_case=1e6", "detection.contacts_per_case"),
        ("detection.observation_days=inf", "detection.observation_days"),
        ("detection.rule_out_hours=1e308", "detection.rule_out_hours"),
        ("clinical.waiting_death_multiplier=nan", "clinical.waiting_death_multiplier"),
        ("detection.suspected_share=nan", "detection.suspected_share"),
        ('epidemic.r=[["2020-01-01", nan]]', "epidemic.r"),
        ('epidemic.r=[["2020-01-01", 1e308]]', "epidemic.r"),
        ("clinical.recovery_from_onset_days=[10, inf]", "clinical.recovery_from_onset_days"),
        ("operations.tick_minutes=1e3", "operations.tick_minutes"),
        ("operations.watch_every_minutes=-1", "operations.watch_every_minutes"),
        ("operations.report_every_minutes.street=99999960", "operations.report_every_minutes.street"),
    ],
)
def test_a_scenario_value_that_is_not_finite_or_in_range_or_of_the_wrong_type_is_refused_with_its_key(setting, key):
    with pytest.raises(InvalidInput) as refused:
        _scenario(setting)
    assert refused.value.code == "scenario.invalid"
    assert key in refused.value.en and key in refused.value.zh and refused.value.field == key


def test_an_unknown_key_in_a_scenario_file_is_refused_by_name():
    raw = tomllib.loads(SMALL)
    raw["detection"]["contacts_per_cases"] = 3
    raw["city"]["district"] = ["420102"]
    with pytest.raises(InvalidInput) as refused:
        parse_scenario(raw)
    assert "contacts_per_cases" in refused.value.en or "city.district" in refused.value.en
    raw = tomllib.loads(SMALL)
    raw["facilities"][0]["bedz"] = {"icu": 3}
    with pytest.raises(InvalidInput, match=r"facilities\[0\]\.bedz"):
        parse_scenario(raw)


def test_a_facility_with_absurd_beds_in_a_scenario_is_refused():
    raw = tomllib.loads(SMALL)
    key = next(iter(raw["facilities"][0]["beds"]))
    raw["facilities"][0]["beds"][key] = 10**15
    with pytest.raises(InvalidInput, match=rf"facilities\[0\]\.beds\.{key}"):
        parse_scenario(raw)


def test_the_packaged_scenarios_still_read():
    assert _scenario().days == 10  # type: ignore[attr-defined]


def _cli(tmp_path: Path, *args: str, lang: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "ADMITALL_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}", "ADMITALL_LANG": lang}
    return subprocess.run(
        [sys.executable, "-m", "admitall.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**environment, **env},
    )


@pytest.mark.parametrize("command", [("stock",), ("serve", "--port", "1")])
def test_a_policy_with_an_overflowing_time_target_stops_the_command_and_the_server_with_exit_2(tmp_path, command):
    policy = tmp_path / "policy.toml"
    policy.write_text(_policy_with("critical", "1e308"), encoding="utf-8")
    english = _cli(tmp_path, *command, lang="en", ADMITALL_POLICY_FILE=str(policy))
    assert english.returncode == 2, english.stderr
    assert "sla_hours.critical" in english.stderr and "Traceback" not in english.stderr
    chinese = _cli(tmp_path, *command, lang="zh", ADMITALL_POLICY_FILE=str(policy))
    assert chinese.returncode == 2 and "收治策略文件无效" in chinese.stderr and "sla_hours.critical" in chinese.stderr


def test_a_scoring_file_with_nan_stops_the_server_with_exit_2(tmp_path):
    scoring = tmp_path / "scoring.toml"
    scoring.write_text(SCORING.replace("composite_below = 60", "composite_below = nan"), encoding="utf-8")
    done = _cli(tmp_path, "serve", "--port", "1", lang="en", ADMITALL_SCORING_FILE=str(scoring))
    assert done.returncode == 2 and "review.composite_below" in done.stderr


def test_a_scenario_with_an_unknown_district_is_refused_at_the_command_line_with_exit_2(tmp_path):
    done = _cli(tmp_path, "sim", "run", "small", "--set", 'city.districts=["999999", 5]', lang="en")
    assert done.returncode == 2 and "city.districts" in done.stderr and "Traceback" not in done.stderr
    done = _cli(tmp_path, "sim", "run", "small", "--set", "detection.contacts_per_case=nan", lang="zh")
    assert done.returncode == 2 and "detection.contacts_per_case" in done.stderr and "有限数" in done.stderr


@pytest.mark.parametrize(
    ("days", "seed", "key"), [(100_000, None, "--days"), (-3, None, "--days"), (None, -1, "--seed")]
)
def test_the_command_lines_days_and_seed_are_held_to_a_scenarios_bounds(days, seed, key):
    with pytest.raises(InvalidInput) as refused:
        overridden(_scenario(), days=days, seed=seed)  # type: ignore[arg-type]
    assert refused.value.field == key and key in refused.value.zh


def test_sim_run_for_a_hundred_thousand_days_is_refused_with_exit_2(tmp_path):
    done = _cli(tmp_path, "sim", "run", "small", "--days", "100000", lang="en")
    assert done.returncode == 2 and "--days" in done.stderr and "Traceback" not in done.stderr
