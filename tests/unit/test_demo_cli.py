"""`admitall demo` says what it is doing, in the command line's one language, and its summary says what each
count is (admissions include transfers, so they may outnumber the people found)."""

import io
import re

import pytest

from admitall.cli_demo import StderrProgress, duration, summary_lines
from admitall.services.demo import STEPS

COUNTS = {
    "units": {"district": 13, "street": 193, "community": 3495},
    "facilities": {"facilities": 80},
    "officials": {"units": 3702},
    "cadres": {"cadres": 40512, "communities": 3495},
    "users": {"users": 8},
    "outbreak": {"hours": 55, "days": 2},
    "record": {"people": 2296},
}
RESULT = {
    "loaded": True,
    "units": {"accepted": 3702},
    "facilities": 80,
    "simulated": {"hours": 55, "identified": 2296, "admitted": 3139, "waiting_at_end": 182},
    "users": ["admin", "commander"],
    "password": "wuhan-demo-2020",
}


def told(language: str) -> list[str]:
    stream = io.StringIO()
    progress = StderrProgress(language, stream)
    for key in STEPS:
        progress.step(key, COUNTS[key])
        if key == "outbreak":
            for tick in range(0, 111):
                progress.played(tick, 110)
    progress.finished()
    return stream.getvalue().splitlines()


def test_every_step_is_numbered_with_its_counts_in_chinese():
    lines = told("zh")
    steps = [line for line in lines if line.startswith("[")]
    assert [line.split("]")[0] + "]" for line in steps] == [f"[{i}/7]" for i in range(1, 8)]
    assert steps[0] == "[1/7] 13 个区（含边界）、193 个街道、3,495 个社区和村…"
    assert "3,702" in steps[2] and "40,512" in steps[3] and "55 小时" in steps[5] and "2,296" in steps[6]
    played = [line for line in lines if "已推演" in line]
    assert len(played) == 11 and played[-1].startswith("  已推演 100%")  # a line every tenth when not a terminal
    assert lines[-1].startswith("演示城市已建成，用时")
    assert not any(re.search(r"[A-Za-z]", line) for line in lines)


def test_in_english_every_line_is_english():
    lines = told("en")
    assert lines[0] == "[1/7] 13 districts with their boundaries, 193 streets, 3,495 communities and villages…"
    assert lines[-1].startswith("The demo city is ready in")
    assert not any(re.search(r"[\u4e00-\u9fff]", line) for line in lines)


@pytest.mark.parametrize(
    ("language", "words"),
    [("zh", "发现 2,296 人，收治（含转院）3,139 人次"), ("en", "2,296 people found, 3,139 admissions incl. transfers")],
)
def test_the_summary_says_admissions_include_transfers(language, words):
    lines = summary_lines(RESULT, language)
    assert words in lines[0] and "wuhan-demo-2020" in lines[1]


def test_an_already_loaded_demo_is_said_so():
    assert summary_lines({"loaded": False, "units": 3702, "people": 2296}, "en") == [
        "Demo city already loaded (3,702 units, 2,296 people); left as it is"
    ]


def test_durations_read_as_a_person_says_them():
    assert (duration(42.4, "zh"), duration(82, "zh"), duration(82, "en")) == ("42 秒", "1 分 22 秒", "1 min 22 s")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_in_a_terminal_the_outbreak_s_progress_is_one_line_rewritten():
    stream = Terminal()
    progress = StderrProgress("en", stream)
    progress.step("outbreak", COUNTS["outbreak"])
    for tick in range(0, 21):
        progress.played(tick, 20)
    progress.step("record", COUNTS["record"])
    lines = stream.getvalue().split("\n")
    assert lines[0].startswith("[6/7] ") and lines[2].startswith("[7/7] ")
    assert lines[1].count("\r") == 21 and re.search(r"\r  100% played \(\d+ s\)$", lines[1])


def test_what_make_run_prints_is_in_one_language_at_a_time():
    from admitall.cli_demo import WORDS, say

    values = {
        "url": "sqlite:///admitall.db",
        "revision": "0022",
        "where": "admitall.db.key",
        "host": "127.0.0.1",
        "port": 8000,
        "password": "wuhan-demo-2020",
        "percent": 50,
        "units": 3702,
        "facilities": 80,
        "hours": 55,
        "found": 2296,
        "admissions": 3139,
        "waiting": 182,
        "users": "admin",
        "people": 2296,
    }
    names = re.compile(
        r"AdmitAll|ADMITALL_SECRET_KEY|sqlite:///admitall\.db|admitall\.db\.key|http://\S+|wuhan-demo-2020|admin"
    )
    for key in WORDS:
        zh = say(key, "zh", **values, elapsed=duration(61, "zh"))
        en = say(key, "en", **values, elapsed=duration(61, "en"))
        assert not re.search(r"[A-Za-z]", names.sub("", zh)), zh
        assert not re.search(r"[\u4e00-\u9fff]", en), en
