"""The pager every list shows: which rows of how many are on the page, and links to the pages around it that keep
every other parameter of the address (search, filters, the size).

A page's data carries `total`, `page` and `size` (store.paged.page_fields); the template includes `_pager.html`,
which asks `pager(total, page, size)` for this object. A list sharing its page with another names its own
parameter (`param="dpage"`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from jinja2 import pass_context

from admitall.store.paged import bounded


@dataclass(frozen=True)
class Pager:
    page: int
    size: int
    total: int
    path: str
    query: tuple[tuple[str, str], ...]  # the address's other parameters, in order
    param: str = "page"
    more: bool = False  # the total is a capped count: more rows than that (store.paged)

    @property
    def pages(self) -> int:
        """The pages known; past a capped total one more, so that the next page can still be asked for."""
        return max(1, -(-self.total // self.size)) + (1 if self.more else 0)

    @property
    def first(self) -> int:
        """The position of the first row shown (1-based), 0 when the page shows none."""
        return (self.page - 1) * self.size + 1 if self.page <= self.pages and self.total else 0

    @property
    def last(self) -> int:
        if self.more:
            return self.page * self.size if self.first else 0
        return min(self.page * self.size, self.total) if self.first else 0

    @property
    def beyond(self) -> bool:
        """Asked for a page after the last (the list shrank, or a hand-made address)."""
        return self.total > 0 and self.page > self.pages

    def url(self, page: int) -> str:
        params = [(k, v) for k, v in self.query if k != self.param]
        if page > 1:
            params.append((self.param, str(page)))
        return f"{self.path}?{urlencode(params)}" if params else self.path

    @property
    def prev_url(self) -> str | None:
        return self.url(min(self.page - 1, self.pages)) if self.page > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.url(self.page + 1) if self.page < self.pages else None

    @property
    def last_url(self) -> str:
        return self.url(self.pages)


def pager_of(path: str, query: Any, total: int, page: int, size: int, param: str = "page", more: bool = False) -> Pager:
    """The pager of a list at `path` whose address has the parameters `query` (a multi-dict or pairs); `more`:
    `total` is a capped count."""
    page, size = bounded(page, size)
    items = query.multi_items() if hasattr(query, "multi_items") else list(query)
    kept = tuple((str(k), str(v)) for k, v in items if v not in (None, ""))
    return Pager(page=page, size=size, total=total, path=path, query=kept, param=param, more=more)


@pass_context
def pager(context: Any, total: int, page: int, size: int, param: str = "page", more: bool = False) -> Pager:
    """The template's pager: the request's own path and parameters."""
    request = context["request"]
    return pager_of(request.url.path, request.query_params, total, page, size, param, more)


def thousands(n: int) -> str:
    return f"{n:,}"
