"""The chains' heads, kept per day and printed in the public bulletin, so that a deleted record is found too.

An HMAC catches a record changed behind the system's back, but not one removed whole (a person with all their
events, a unit's latest report, the read audit). So each family of chained records (store.repositories.chains)
is summed into a head at the end of every local day: how many of its records were stamped before midnight
(`seq`) and the sum of their HMACs, keyed (domain.chain.head_mac) and kept in `chain_heads`. The watch keeps
yesterday's heads after midnight; `admitall verify --record` keeps one on demand, as of now. `verify` counts the
families again and names every head they fall short of — the missing tail.

A head kept in the database could itself be deleted or, by someone holding the key as well, recomputed. So the
day's heads (16 hex digits of each HMAC, with the count) are printed in that day's public bulletin, on every
copy made of it: `admitall verify --heads FILE` checks the database against heads copied from a bulletin.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from admitall.domain.chain import MODULUS, fold, head_mac, same, sum_hex
from admitall.domain.errors import InvalidInput
from admitall.services.context import Context
from admitall.services.scorecards import day_window, today
from admitall.store.repositories.chains import FAMILIES, ChainRepository

# how much of a head's HMAC the bulletin prints: enough that no rewritten history can be made to match by chance
PRINTED_DIGITS = 16
_LINE = re.compile(r"^\s*([a-z_]+)\s+(\d{4}-\d{2}-\d{2})\s+(\d+)\s+([0-9a-f]{8,64})\s*$")


def _head(ctx: Context, chain: str, day: date, through: datetime) -> dict[str, Any]:
    """The family's head at `through`, folded on from its last valid head before (or counted from the start)."""
    key = ctx.keys.chain
    with ctx.uow() as uow:
        repo = ChainRepository(uow.conn)
        start = repo.latest_before(chain, through)
        if start is not None and not _valid(key, start):
            start = None
        count, total = (start["seq"], int(start["total"], 16)) if start else (0, 0)
        for _, digest in repo.records(chain, start["through"] if start else None, through):
            count, total = count + 1, fold(total, digest)
    return {
        "chain": chain,
        "day": day,
        "through": through,
        "seq": count,
        "total": sum_hex(total),
        "hmac": head_mac(key, chain, through, count, total),
        "recorded_at": ctx.clock.now(),
    }


def _valid(key: bytes, head: dict[str, Any]) -> bool:
    return same(head_mac(key, head["chain"], head["through"], head["seq"], int(head["total"], 16)), head["hmac"])


def record(ctx: Context, day: date, through: datetime) -> list[dict[str, Any]]:
    """Keep every family's head at `through` (unless kept already); returns the heads as kept."""
    heads = [_head(ctx, chain, day, through) for chain in FAMILIES]
    with ctx.uow(write=True) as uow:
        for row in heads:
            ChainRepository(uow.conn).add(row)
        uow.commit()
    with ctx.uow() as uow:
        kept = ChainRepository(uow.conn).heads(day=day)
    return [x for x in kept if x["through"] == through]


def record_day(ctx: Context, day: date) -> list[dict[str, Any]]:
    """The heads at the end of a closed local day, kept the first time they are asked for."""
    _, end = day_window(day, ctx)
    with ctx.uow() as uow:
        kept = [x for x in ChainRepository(uow.conn).heads(day=day) if x["through"] == end]
    if len(kept) == len(FAMILIES):
        return kept
    return record(ctx, day, end)


def record_yesterday(ctx: Context) -> bool:
    """Keep yesterday's heads if they are not kept yet (the watch calls this every round)."""
    yesterday = today(ctx) - timedelta(days=1)
    _, end = day_window(yesterday, ctx)
    with ctx.uow() as uow:
        kept = sum(1 for x in ChainRepository(uow.conn).heads(day=yesterday) if x["through"] == end)
    if kept == len(FAMILIES):
        return False
    record(ctx, yesterday, end)
    return True


def record_now(ctx: Context) -> list[dict[str, Any]]:
    """Keep every family's head as of now (on demand)."""
    now = ctx.clock.now()
    return record(ctx, today(ctx), now)


def printed(heads: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The heads as a bulletin prints them: family, day, count and the first digits of the HMAC."""
    return [
        {
            "chain": x["chain"],
            "day": x["day"].isoformat() if isinstance(x["day"], date) else str(x["day"]),
            "seq": x["seq"],
            "digest": x["hmac"][:PRINTED_DIGITS],
        }
        for x in sorted(heads, key=lambda x: x["chain"])
    ]


def _live(ctx: Context, chain: str, cuts: list[datetime]) -> list[tuple[int, int]]:
    """(count, sum) of the family's records stamped before each cut (sorted), from one pass over the family."""
    buckets = [[0, 0] for _ in range(len(cuts) + 1)]
    with ctx.uow() as uow:
        for at, digest in ChainRepository(uow.conn).records(chain):
            b = buckets[bisect.bisect_right(cuts, at)]
            b[0], b[1] = b[0] + 1, fold(b[1], digest)
    out, count, total = [], 0, 0
    for c, t in buckets[:-1]:
        count, total = count + c, (total + t) % MODULUS
        out.append((count, total))
    return out


def check(ctx: Context, found: list[dict[str, Any]], published: list[dict[str, Any]] | None = None) -> int:
    """Compare every family with the heads kept (and with heads copied from bulletins, if given) and add what
    does not match to `found`; returns the number of heads checked."""
    key = ctx.keys.chain
    with ctx.uow() as uow:
        kept = ChainRepository(uow.conn).heads()
    copied = [dict(x, through=day_window(date.fromisoformat(x["day"]), ctx)[1]) for x in published or []]
    checked = 0
    for chain in FAMILIES:
        mine = [x for x in kept if x["chain"] == chain]
        theirs = [x for x in copied if x["chain"] == chain]
        cuts = sorted({x["through"] for x in mine} | {x["through"] for x in theirs})
        if not cuts:
            continue
        live = dict(zip(cuts, _live(ctx, chain, cuts), strict=True))
        for head in mine:
            checked += 1
            if not _valid(key, head):
                found.append(_problem(chain, head, "the kept head itself was changed (its HMAC does not match)"))
                continue
            count, total = live[head["through"]]
            if count < head["seq"]:
                missing = head["seq"] - count
                found.append(_problem(chain, head, f"{missing} of the {head['seq']} records counted then are missing"))
            elif count > head["seq"] or sum_hex(total) != head["total"]:
                found.append(
                    _problem(chain, head, "the records counted then were changed, replaced or added to afterwards")
                )
        for copy in theirs:
            checked += 1
            count, total = live[copy["through"]]
            digest = head_mac(key, chain, copy["through"], count, total)
            if count != copy["seq"] or not digest.startswith(copy["digest"]):
                found.append(
                    {
                        "table": chain,
                        "id": f"bulletin {copy['day']}",
                        "unit": None,
                        "problem": f"the published head ({copy['seq']} records, {copy['digest']}) does not match: "
                        f"{count} records, {digest[:PRINTED_DIGITS]} now",
                    }
                )
    return checked


def _problem(chain: str, head: dict[str, Any], what: str) -> dict[str, Any]:
    through = head["through"].isoformat()
    return {"table": chain, "id": f"head {head['day']}", "unit": None, "problem": f"head through {through}: {what}"}


def read_published(text: str) -> list[dict[str, Any]]:
    """Heads copied from bulletins: a bulletin's JSON (its `chain_heads`), a list of such, or lines of
    `chain day count digest` as the printed page shows them."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    entries: list[Any] = []
    if data is not None:
        for item in data if isinstance(data, list) else [data]:
            entries.extend(item.get("chain_heads", []) if isinstance(item, dict) else [])
    else:
        for line in text.splitlines():
            m = _LINE.match(line)
            if m:
                entries.append({"chain": m[1], "day": m[2], "seq": int(m[3]), "digest": m[4]})
    heads: list[dict[str, Any]] = []
    for e in entries:
        try:
            heads.append(
                {
                    "chain": str(e["chain"]),
                    "day": date.fromisoformat(str(e["day"])).isoformat(),
                    "seq": int(e["seq"]),
                    "digest": str(e["digest"]).lower(),
                }
            )
        except (KeyError, TypeError, ValueError):
            continue
    unknown = sorted({h["chain"] for h in heads} - set(FAMILIES))
    if not heads or unknown:
        raise InvalidInput(
            "verify.bad_heads",
            "文件中没有可识别的链头（应为每日通报的 JSON，或“链 日期 条数 摘要”的行）"
            + (f"；未知的链：{', '.join(unknown)}" if unknown else ""),
            "No chain heads found in the file (a bulletin's JSON, or lines of `chain day count digest`)"
            + (f"; unknown chains: {', '.join(unknown)}" if unknown else ""),
            field="heads",
        )
    return heads
