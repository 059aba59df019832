"""A waiting group's members as the kept waiting list hands them to the engine: oldest first, never changed once
handed out, and brought up to date at the cost of what changed.

A group of a big city can hold tens of thousands of people (contacts waiting at home for a quarantine room, all
from one street). Rebuilding its list whenever one of them changes would make every plan cost everyone waiting in
every group touched. So the members are kept in chunks of at most CHUNK (each an immutable tuple, oldest first):
a change makes a new `Members` that shares every chunk it did not touch and rebuilds the few it did. Reading one
member or a slice (the engine takes the first `count` after those it placed) finds its chunk by bisection.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from itertools import accumulate
from operator import attrgetter
from typing import overload

from admitall.allocation.model import Candidate

CHUNK = 512  # members per chunk at most; a chunk that grows past it is split when rebuilt

OLDEST_FIRST = attrgetter("waiting_since", "person_id")
Key = tuple[datetime, int]  # (waiting since, person id): a member's place in the order


class Members(Sequence[Candidate]):
    """Candidates oldest first (by waiting since, then id), in immutable chunks shared between versions."""

    __slots__ = ("_chunks", "_ends", "_len")

    def __init__(self, chunks: Sequence[tuple[Candidate, ...]] = ()) -> None:
        self._chunks = tuple(c for c in chunks if c)
        self._ends = list(accumulate(len(c) for c in self._chunks))
        self._len = self._ends[-1] if self._ends else 0

    @classmethod
    def of(cls, members: Iterable[Candidate]) -> Members:
        ordered = sorted(members, key=OLDEST_FIRST)
        return cls([tuple(ordered[i : i + CHUNK]) for i in range(0, len(ordered), CHUNK)])

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[Candidate]:
        for chunk in self._chunks:
            yield from chunk

    @overload
    def __getitem__(self, index: int) -> Candidate: ...

    @overload
    def __getitem__(self, index: slice) -> list[Candidate]: ...

    def __getitem__(self, index: int | slice) -> Candidate | list[Candidate]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._len)
            if step != 1:
                return list(self)[index]
            found: list[Candidate] = []
            k = bisect_right(self._ends, start)
            while start < stop and k < len(self._chunks):
                begin = self._ends[k] - len(self._chunks[k])
                found.extend(self._chunks[k][start - begin : stop - begin])
                start, k = self._ends[k], k + 1
            return found
        position = index + self._len if index < 0 else index
        if not 0 <= position < self._len:
            raise IndexError(index)
        k = bisect_right(self._ends, position)
        return self._chunks[k][position - (self._ends[k] - len(self._chunks[k]))]

    def changed(self, gone: Iterable[Key], joining: Sequence[Candidate]) -> Members:
        """These members less those at the keys `gone` (as they were in this list), plus `joining`: only the
        chunks where someone left or joined are made again; the others are shared."""
        if not self._chunks:
            return Members.of(joining)
        firsts = [OLDEST_FIRST(chunk[0]) for chunk in self._chunks]
        leaving: dict[int, set[int]] = {}
        coming: dict[int, list[Candidate]] = {}
        for key in gone:
            leaving.setdefault(max(0, bisect_right(firsts, key) - 1), set()).add(key[1])
        for c in joining:
            coming.setdefault(max(0, bisect_right(firsts, OLDEST_FIRST(c)) - 1), []).append(c)
        chunks: list[tuple[Candidate, ...]] = []
        for k, chunk in enumerate(self._chunks):
            if k not in leaving and k not in coming:
                chunks.append(chunk)
                continue
            out = leaving.get(k, set())
            kept = [c for c in chunk if c.person_id not in out]
            if k in coming:
                kept.extend(coming[k])
                kept.sort(key=OLDEST_FIRST)
            chunks.extend(tuple(kept[i : i + CHUNK]) for i in range(0, len(kept), CHUNK))
        return Members(chunks)
