"""Tracing (流调): who was exposed to whom, and the chains and clusters the exposures make. Pure: edges in, graphs
out.

An exposure is an edge from a case (the source) to a contact. A chain from a person is everyone reachable up
(their sources, and theirs) and down (their contacts, and theirs), within a depth; a cluster is a connected
component of the exposure graph, ignoring direction.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from admitall.domain.errors import InvalidInput
from admitall.domain.labels import LabeledEnum


class Setting(LabeledEnum):
    HOUSEHOLD = ("household", "家庭", "household", "red")
    WORK = ("work", "工作场所", "work", "orange")
    TRANSPORT = ("transport", "交通工具", "transport", "yellow")
    CARE = ("care", "医疗照护", "care", "purple")


class Closeness(LabeledEnum):
    CLOSE = ("close", "密切", "close", "red")
    MEDIUM = ("medium", "一般", "medium", "orange")
    CASUAL = ("casual", "偶然", "casual", "grey")


@dataclass(frozen=True)
class Exposure:
    contact_id: int
    case_id: int
    exposed_on: date
    setting: Setting
    closeness: Closeness


def parse_exposure(
    contact_id: int, case_id: int, exposed_on: date | None, setting: str | None, closeness: str | None, today: date
) -> Exposure:
    """An exposure checked: a person is not their own source, the date is not in the future, the setting and
    closeness are known words (keys, Chinese or English labels). Raises InvalidInput naming the field."""
    if contact_id == case_id:
        raise InvalidInput(
            "exposure.self", "接触者不能是自己的传染源", "A contact cannot be their own source", field="case"
        )
    if exposed_on is None:
        raise InvalidInput("exposure.date_required", "缺少接触日期", "The exposure date is missing", field="exposed_on")
    if exposed_on > today:
        raise InvalidInput(
            "exposure.date_future", "接触日期晚于今天", "The exposure date is after today", field="exposed_on"
        )
    found_setting = Setting.parse(setting or "")
    if found_setting is None:
        raise InvalidInput(
            "exposure.setting_invalid",
            f"无法识别的接触场所：{setting or ''}",
            f"Unknown setting: {setting or ''}",
            field="setting",
        )
    found_closeness = Closeness.parse(closeness or "close")
    if found_closeness is None:
        raise InvalidInput(
            "exposure.closeness_invalid",
            f"无法识别的接触程度：{closeness}",
            f"Unknown closeness: {closeness}",
            field="closeness",
        )
    return Exposure(contact_id, case_id, exposed_on, found_setting, found_closeness)


Edge = tuple[int, int]  # (case, contact)


def components(edges: Iterable[Edge], top: int | None = None) -> tuple[int, int, list[set[int]]]:
    """Connected components of the graph (direction ignored): (how many, how many people in them, the `top`
    largest — all when None — as sets, largest first, then by their smallest id). Only those returned are built
    as sets: a city's few largest cost what they hold, not what the city holds."""
    parent: dict[int, int] = {}
    get = parent.get
    for a, b in edges:
        ra = a
        while (up := get(ra, ra)) != ra:
            ra = up
        rb = b
        while (up := get(rb, rb)) != rb:
            rb = up
        root = min(ra, rb)
        parent[ra] = parent[rb] = root
        if a != root:
            parent[a] = root
        if b != root:
            parent[b] = root
    roots: dict[int, int] = {}
    for node in parent:
        r = node
        while (up := parent[r]) != r:
            r = up
        roots[node] = r
    sizes = Counter(roots.values())
    chosen = sorted(sizes, key=lambda r: (-sizes[r], r))
    if top is not None:
        chosen = chosen[:top]
    wanted = set(chosen)
    members: dict[int, set[int]] = {r: set() for r in chosen}
    for node, r in roots.items():
        if r in wanted:
            members[r].add(node)
    return len(sizes), len(roots), [members[r] for r in chosen]


class GrowingClusters:
    """The connected components of a graph that only gains edges, kept as it grows: an edge joining two clusters
    costs the smaller one (its members re-pointed to the larger's), so adding a round's new edges costs those
    edges, not the graph. `summary` answers as `components` does for every edge added so far."""

    def __init__(self) -> None:
        self._cluster: dict[int, int] = {}  # node -> its cluster's label (one of its nodes)
        self._members: dict[int, set[int]] = {}  # label -> nodes
        self._lowest: dict[int, int] = {}  # label -> its smallest node

    def add(self, edges: Iterable[Edge]) -> None:
        for a, b in edges:
            keep, other = self._label(a), self._label(b)
            if keep == other:
                continue
            if len(self._members[keep]) < len(self._members[other]):
                keep, other = other, keep
            moved = self._members.pop(other)
            for node in moved:
                self._cluster[node] = keep
            self._members[keep] |= moved
            self._lowest[keep] = min(self._lowest[keep], self._lowest.pop(other))

    def _label(self, node: int) -> int:
        label = self._cluster.get(node)
        if label is None:
            self._cluster[node] = self._lowest[node] = label = node
            self._members[node] = {node}
        return label

    def summary(self, top: int | None = None) -> tuple[int, int, list[set[int]]]:
        """(how many clusters, how many people in them, the `top` largest — all when None — as sets, largest
        first, then by their smallest id), as `components` gives them."""

        def order(label: int) -> tuple[int, int]:
            return -len(self._members[label]), self._lowest[label]

        chosen = sorted(self._members, key=order) if top is None else heapq.nsmallest(top, self._members, key=order)
        return len(self._members), len(self._cluster), [set(self._members[label]) for label in chosen]


def clusters(edges: Iterable[Edge]) -> list[set[int]]:
    """Every connected component, largest first, then by their smallest id."""
    return components(edges)[2]


@dataclass(frozen=True)
class Layout:
    """Where each node sits: its layer (0 = the topmost known source) and its place within the layer."""

    layer: Mapping[int, int]
    order: Mapping[int, int]
    layers: int
    widest: int


def layered(nodes: Iterable[int], edges: Iterable[Edge]) -> Layout:
    """A simple layered layout: a node's layer is one below its deepest source among the nodes (sources first),
    cycles broken by ignoring an edge back to a node already placed; within a layer, by id."""
    nodes = sorted(set(nodes))
    sources: dict[int, list[int]] = defaultdict(list)
    for case, contact in edges:
        if case in nodes and contact in nodes and case != contact:
            sources[contact].append(case)
    layer: dict[int, int] = {}

    def depth(n: int, seen: frozenset[int]) -> int:
        if n in layer:
            return layer[n]
        ups = [s for s in sources.get(n, ()) if s not in seen]
        layer[n] = 1 + max((depth(s, seen | {n}) for s in ups), default=-1)
        return layer[n]

    for n in nodes:
        depth(n, frozenset())
    order: dict[int, int] = {}
    counts: dict[int, int] = defaultdict(int)
    for n in sorted(nodes, key=lambda x: (layer[x], x)):
        order[n] = counts[layer[n]]
        counts[layer[n]] += 1
    return Layout(layer, order, (max(counts) + 1) if counts else 0, max(counts.values(), default=0))


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0–100) by the nearest rank; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]
