"""A transmission chain drawn on the server as SVG (issue 17 §1): a simple layered layout (sources above their
contacts), each node a box with the person's name and category, its class naming the category, the focus and
the observation; edges as lines with an arrow. No inline style: the classes are styled in app.css."""

from __future__ import annotations

from html import escape
from typing import Any

from admitall.domain.people import Status
from admitall.domain.tracing import layered

BOX_W, BOX_H, GAP_X, GAP_Y, PAD = 150, 46, 24, 46, 12


def _label(status: str, lang: str) -> str:
    found = Status.parse(status)
    return found.label(lang) if found is not None else status


def chain_svg(chain: dict[str, Any], lang: str = "zh") -> str:
    """The chain (services.tracing.chain's result) as one <svg> element."""
    nodes = {n["id"]: n for n in chain["nodes"]}
    edges = [(e["from"], e["to"]) for e in chain["edges"]]
    layout = layered(nodes, edges)
    width = PAD * 2 + max(1, layout.widest) * (BOX_W + GAP_X) - GAP_X
    height = PAD * 2 + max(1, layout.layers) * (BOX_H + GAP_Y) - GAP_Y

    def box(n: int) -> tuple[int, int]:
        return PAD + layout.order[n] * (BOX_W + GAP_X), PAD + layout.layer[n] * (BOX_H + GAP_Y)

    title = "传播链" if lang != "en" else "Transmission chain"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chain-graph" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{title}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" class="chain-arrow"/></marker></defs>',
    ]
    for a, b in edges:
        if a not in layout.layer or b not in layout.layer:
            continue
        (x1, y1), (x2, y2) = box(a), box(b)
        parts.append(
            f'<line class="edge" x1="{x1 + BOX_W // 2}" y1="{y1 + BOX_H}" x2="{x2 + BOX_W // 2}" y2="{y2}" '
            'marker-end="url(#arrow)"/>'
        )
    for pid in sorted(nodes, key=lambda n: (layout.layer[n], layout.order[n])):
        n = nodes[pid]
        x, y = box(pid)
        classes = ["node", f"status-{n['status']}"]
        if n.get("focus"):
            classes.append("focus")
        if n.get("observation") == "active":
            classes.append("observed")
        parts.append(
            f'<a href="/people/{pid}"><g class="{" ".join(classes)}" transform="translate({x},{y})">'
            f'<rect width="{BOX_W}" height="{BOX_H}" rx="6"/>'
            f'<text x="8" y="18" class="chain-name">{escape(str(n["name"])[:24])} · {pid}</text>'
            f'<text x="8" y="36" class="chain-status">{escape(_label(n["status"], lang))}</text></g></a>'
        )
    parts.append("</svg>")
    return "".join(parts)
