"""`admitall demo`: the demo city built and played up to now, saying on stderr what it is doing as it goes.

The steps are numbered with their counts ("[1/7] 13 个区（含边界）、193 个街道、3,495 个社区和村…"), the
outbreak's ticks as a percentage (one line rewritten in a terminal, a line every tenth otherwise), and the summary
at the end says what each count is: admissions include transfers (a patient moved to a bed that fits them is
admitted twice), so they may outnumber the people found.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

import typer

from admitall.cli_common import context, emit, errors, lang
from admitall.keys import DEMO_MARK
from admitall.services.context import cli_actor

STEP_WORDS = {
    "units": ("{district} 个区（含边界）、{street} 个街道、{community:,} 个社区和村…",
              "{district} districts with their boundaries, {street} streets, {community:,} communities and villages…"),
    "facilities": ("{facilities} 个收治点及其床位…", "{facilities} facilities and their beds…"),
    "officials": ("{units:,} 个单位的包保责任人…", "a responsible official for each of {units:,} units…"),
    "cadres": ("{cadres:,} 名下沉干部派驻 {communities:,} 个社区…",
               "{cadres:,} cadres sent down to {communities:,} communities…"),
    "users": ("{users} 个演示账号…", "{users} demo users…"),
    "outbreak": ("推演最近 {days} 天的疫情（{hours} 小时，逐时经过系统的真实服务）…",
                 "the outbreak's last {days} days ({hours} hours, played through the real services)…"),
    "record": ("保存推演结果（{people:,} 人）…", "recording the run ({people:,} people)…"),
}  # fmt: skip
WORDS = {
    "played": ("  已推演 {percent}%（用时 {elapsed}）", "  {percent}% played ({elapsed})"),
    "done": ("演示城市已建成，用时 {elapsed}", "The demo city is ready in {elapsed}"),
    "loaded": (
        "演示城市：{units:,} 个单位，{facilities} 个收治点；已推演至当前的 {hours} 小时疫情：发现 {found:,} 人，"
        "收治（含转院）{admissions:,} 人次，仍在等待 {waiting:,} 人",
        "Demo city: {units:,} units, {facilities} facilities; {hours} hours of the outbreak played up to now: "
        "{found:,} people found, {admissions:,} admissions incl. transfers, {waiting:,} waiting",
    ),
    "users": ("演示账号：{users}（密码 {password}）", "Demo users: {users} (password {password})"),
    # what `make run` prints around the demo: `admitall init` and `admitall serve`
    "ready": ("数据库已就绪：{url}（版本 {revision}）", "Database ready: {url} (revision {revision})"),
    "key_file": (
        "链密钥：{where}（仅供演示；其他场合请把其内容设为 ADMITALL_SECRET_KEY）",
        "Chain key: {where} (for the demo; elsewhere set ADMITALL_SECRET_KEY to its contents)",
    ),
    "no_key": (
        "未设置 ADMITALL_SECRET_KEY：写入或启动服务前请先设置",
        "No ADMITALL_SECRET_KEY: set one before anything is written or served",
    ),
    "running": ("AdmitAll 已启动：http://{host}:{port}/", "AdmitAll is running at http://{host}:{port}/"),
    "demo_key": (
        "演示数据库：其数据链与登录由 {where} 加密，而非 ADMITALL_SECRET_KEY",
        "Demo database: its chains and sign-ins are keyed by {where}, not ADMITALL_SECRET_KEY",
    ),
    "signins": ("演示账号（密码：{password}）：", "Demo sign-ins (password: {password}):"),
    "already": (
        "演示城市已存在（{units:,} 个单位，{people:,} 人），未作改动",
        "Demo city already loaded ({units:,} units, {people:,} people); left as it is",
    ),
}


def say(key: str, language: str, table: dict[str, tuple[str, str]] = WORDS, **values: Any) -> str:
    zh, en = table[key]
    return (en if language == "en" else zh).format(**values)


def duration(seconds: float, language: str) -> str:
    minutes, rest = divmod(round(seconds), 60)
    if language == "en":
        return f"{minutes} min {rest} s" if minutes else f"{rest} s"
    return f"{minutes} 分 {rest} 秒" if minutes else f"{rest} 秒"


class StderrProgress:
    """The demo's steps and the outbreak's progress on a stream (stderr), in one language."""

    def __init__(self, language: str, stream: TextIO | None = None) -> None:
        self.language = language
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.number = 0
        self.last_tenth = -1
        self.rewriting = False

    def elapsed(self) -> str:
        return duration(time.monotonic() - self.started, self.language)

    def _line(self, text: str) -> None:
        if self.rewriting:
            self.stream.write("\n")
            self.rewriting = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def step(self, key: str, counts: dict[str, int]) -> None:
        from admitall.services.demo import STEPS

        self.number = STEPS.index(key) + 1
        self._line(f"[{self.number}/{len(STEPS)}] " + say(key, self.language, STEP_WORDS, **counts))

    def played(self, done: int, total: int) -> None:
        percent = 100 * done // max(total, 1)
        text = say("played", self.language, percent=percent, elapsed=self.elapsed())
        if self.stream.isatty():
            self.stream.write("\r" + text)
            self.stream.flush()
            self.rewriting = done < total
            if not self.rewriting:
                self.stream.write("\n")
        elif percent // 10 > self.last_tenth:
            self.last_tenth = percent // 10
            self._line(text)

    def finished(self) -> None:
        self._line(say("done", self.language, elapsed=self.elapsed()))


def summary_lines(result: dict[str, Any], language: str) -> list[str]:
    if not result["loaded"]:
        return [say("already", language, units=result["units"], people=result["people"])]
    played = result["simulated"]
    return [
        say(
            "loaded",
            language,
            units=result["units"]["accepted"],
            facilities=result["facilities"],
            hours=played["hours"],
            found=played["identified"],
            admissions=played["admitted"],
            waiting=played["waiting_at_end"],
        ),
        say("users", language, users=", ".join(result["users"]), password=result["password"]),
    ]


def demo(
    seed: int = typer.Option(2020, help="Random seed: the same seed gives the same city and outbreak."),
    days: int = typer.Option(2, help="How many days of the outbreak to play up to now."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (and no progress)."),
) -> None:
    """Load the demo city (Wuhan's real districts, streets and communities, facilities, officials, users) and play
    the last days of an outbreak in it up to now (the digital twin, scenario `demo`), showing progress on stderr."""
    from admitall.services.demo import load_demo
    from admitall.store.db import init_database

    language = lang()
    progress = None if as_json else StderrProgress(language)
    with errors(as_json):
        ctx = context()
        init_database(ctx.engine)
        result = load_demo(ctx, cli_actor(), seed=seed, days=days, progress=progress)
        with ctx.uow(write=True) as uow:  # the one database `serve` runs with the key file beside it
            uow.secrets.get_or_set(DEMO_MARK, "yes")
            uow.commit()
    if progress is not None and result["loaded"]:
        progress.finished()
    emit(as_json, result, summary_lines(result, language))
