"""What offices take away: scorecards and rankings as XLSX, the daily accountability brief (data for the printable
page), and PDF printing of a page through the system's Chromium (no network, the fonts of the machine)."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from admitall.domain.errors import Unavailable
from admitall.domain.scoring import COMPONENTS
from admitall.domain.units import UnitLevel
from admitall.services import alert_inbox
from admitall.services import officials as officials_service
from admitall.services.context import Actor, Context
from admitall.services.scorecard_views import explain, ranking, unit_card, window_of
from admitall.services.tabular import append_text_safe

HEADERS = {
    "rank": ("名次", "Rank"),
    "subject": ("编码", "Code"),
    "name": ("名称", "Name"),
    "score": ("综合得分", "Score"),
    "flags": ("标记", "Flags"),
    "placement": ("收治率", "Placement"),
    "sla": ("时限达标率", "Within the time target"),
    "completeness": ("报告完整率", "Report completeness"),
    "timeliness": ("报告及时率", "Report timeliness"),
    "truthfulness": ("报告真实率", "Report truthfulness"),
    "directives": ("指令按时完成率", "Directives done on time"),
    "problems": ("问题按时解决率", "Problems solved on time"),
}
FLAGS = {"review": ("问责", "review"), "commend": ("表扬", "commend")}
# the rules of the flags, with their threshold {t} (as the pages say them)
RULES = {
    "composite_below": ("综合得分低于 {t}", "score below {t}"),
    "composite_at_least": ("综合得分不低于 {t}", "score at least {t}"),
    "min_demand": ("至少 {t} 人需要床位", "at least {t} needed a bed"),
    "critical_breaches_at_least": ("危重型超时 ≥ {t} 人", "critical patients past the target ≥ {t}"),
    "missing_reports_at_least": ("漏报 ≥ {t} 次", "missing reports ≥ {t}"),
    "discrepant_reports_at_least": ("报告与系统不符 ≥ {t} 次", "reports disagreeing with the registry ≥ {t}"),
    "overdue_directives_at_least": ("指令逾期 ≥ {t} 条", "overdue directives ≥ {t}"),
    "overdue_problems_at_least": ("问题逾期 ≥ {t} 个", "overdue problems ≥ {t}"),
}
RED = PatternFill("solid", fgColor="FDE2E1")
GREEN = PatternFill("solid", fgColor="E1F5E4")


def _words(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    pair = table.get(key)
    return (pair[1] if lang == "en" else pair[0]) if pair else key


def _flag_text(flags: list[dict[str, Any]], lang: str) -> str:
    """Each flag as its rule reads, with the value found: "问责：漏报 ≥ 3 次（5）"."""
    zh = lang != "en"
    colon, open_, close = ("：", "（", "）") if zh else (": ", " (", ")")
    return ("；" if zh else "; ").join(
        f"{_words(FLAGS, f['flag'], lang)}{colon}{_words(RULES, f['rule'], lang).format(t=f['threshold'])}"
        f"{open_}{f['value']}{close}"
        for f in flags
    )


def _sheet(wb: Workbook, title: str, entries: list[dict[str, Any]], lang: str) -> None:
    ws = wb.create_sheet(title)
    i = 1 if lang == "en" else 0
    columns = ["rank", "subject", "name", "score", *COMPONENTS, "flags"]
    append_text_safe(ws, [HEADERS[c][i] for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for e in entries:
        append_text_safe(
            ws,
            [
                e["rank"],
                e["subject"],
                e["name"],
                e["score"],
                *(e["components"].get(c) for c in COMPONENTS),
                _flag_text(e["flags"], lang),
            ],
        )
        fill = RED if any(f["flag"] == "review" for f in e["flags"]) else GREEN if e["flags"] else None
        if fill is not None:
            for cell in ws[ws.max_row]:
                cell.fill = fill
    ws.freeze_panes = "A2"
    for column, width in zip("ABCDEFGHIJKL", (6, 14, 22, 10, 10, 8, 12, 12, 12, 10, 10, 50), strict=False):
        ws.column_dimensions[column].width = width


def scorecards_xlsx(ctx: Context, actor: Actor, *, day: str | None, level: str, kind: str, lang: str = "zh") -> bytes:
    """The ranking of a level for a stored day, its red and black lists, and how the score is computed."""
    data = ranking(ctx, actor, level=level, day=day, kind=kind)
    wb = Workbook()
    wb.remove(wb.active)
    zh = lang != "en"
    _sheet(wb, "排名" if zh else "Ranking", data["entries"], lang)
    _sheet(wb, "红榜" if zh else "Commended", data["red_list"], lang)
    _sheet(wb, "黑榜" if zh else "Review", data["black_list"], lang)
    method = wb.create_sheet("计分方法" if zh else "Method")
    level = UnitLevel(data["level"]).label(lang)
    final = ("是" if zh else "yes") if data["final"] else ("否" if zh else "no")
    append_text_safe(method, ["日期" if zh else "Day", data["day"], "层级" if zh else "Level", level])
    append_text_safe(method, ["终版" if zh else "Final", final, "中位数" if zh else "Median", data["median"]])
    how = explain(ctx.scoring)
    for part in how["components"]:
        append_text_safe(
            method, [_words(HEADERS, part["name"], lang), part["weight"], part["zh"] if zh else part["en"]]
        )
    for flag in ("review", "commend"):
        for rule, value in how[flag].items():
            append_text_safe(method, [_words(FLAGS, flag, lang), _words(RULES, rule, lang).format(t=value)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def daily_brief(ctx: Context, actor: Actor, day: str | None = None) -> dict[str, Any]:
    """The day at a glance for the actor's jurisdiction: its scorecard, the rankings below it with the red and
    black lists (units and their leads) and their flags (the page links each to its facts), units without a lead,
    open alerts."""
    first, _, _ = window_of(ctx, day, None, None)
    card = unit_card(ctx, actor, day=first)
    level = card["subject"]["level"]
    order = [UnitLevel.CITY, UnitLevel.DISTRICT, UnitLevel.STREET, UnitLevel.COMMUNITY]
    below = [lv for lv in order if lv.depth > UnitLevel(level).depth][:2]
    rankings = [
        {
            "level": lv.value,
            "units": ranking(ctx, actor, level=lv.value, day=first),
            "officials": ranking(ctx, actor, level=lv.value, day=first, kind="official"),
        }
        for lv in below
    ]
    alerts = alert_inbox.open_by_kind(ctx, actor)
    return {
        "day": first.isoformat(),
        "unit": card["subject"],
        "card": card,
        "rankings": rankings,
        "vacancies": officials_service.vacancies(ctx, actor)["units"],
        "open_alerts": alerts["open"],
        "open_alerts_by_kind": alerts["by_kind"],
    }


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def html_to_pdf(html: str, browser: str | None = None) -> bytes:
    """Print a self-contained HTML page to PDF with the machine's Chromium (or `browser`), headless and offline.
    Call it through services.printing, which keeps what was printed and limits how many print at once."""
    browser = browser or chromium()
    if browser is None:
        raise Unavailable(
            "pdf.no_browser",
            "服务器未安装 Chromium，无法生成 PDF；请在浏览器中打开打印版并打印",
            "No Chromium on the server to make the PDF; open the printable page and print it from the browser",
        )
    with tempfile.TemporaryDirectory(prefix="admitall-pdf-") as tmp:
        page, pdf = Path(tmp) / "brief.html", Path(tmp) / "brief.pdf"
        page.write_text(html, encoding="utf-8")
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--user-data-dir={tmp}/profile",
            f"--print-to-pdf={pdf}",
            page.as_uri(),
        ]
        done = subprocess.run(command, capture_output=True, timeout=60, check=False)
        if not pdf.exists() or pdf.stat().st_size == 0:
            raise Unavailable(
                "pdf.failed",
                "生成 PDF 失败；请在浏览器中打开打印版并打印",
                f"Making the PDF failed ({done.returncode}); open the printable page and print it from the browser",
            )
        return pdf.read_bytes()


def stamp(day: date) -> str:
    return day.strftime("%Y%m%d")
