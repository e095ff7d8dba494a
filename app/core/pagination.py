"""One way to page a query, for the UI and the API (``?page=1&per_page=50``, at most 200)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from app.core.input import parse_page
from app.extensions import db

MAX_PER_PAGE = 200


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(query: Select[Any], args: Mapping[str, Any], *, per_page: int = 25) -> Page:
    """One page of the query (``page`` from 1, ``per_page`` up to 200, from the query string).

    A page beyond the last answers no items; a page or size that is not a sane whole number raises
    ``InvalidInput`` (422) naming it (``app.core.input.parse_page``)."""
    page = parse_page(args.get("page"))
    size = min(parse_page(args.get("per_page"), field="per_page", default=per_page), MAX_PER_PAGE)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = list(db.session.scalars(query.limit(size).offset((page - 1) * size)))
    return Page(items=items, page=page, per_page=size, total=total)
