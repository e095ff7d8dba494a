"""Paging a query, for the UI and the API.

* ``paginate``: ``?page=1&per_page=50`` (at most 200) with a total — API.md's convention for every API list;
* ``paginate_deferred``: the same convention, the page's ids chosen first over the order's index (the long API
  lists: a deep page costs an index scan, not the rows before it);
* ``keyset_page``: the long lists of the UI, ``?after=`` / ``?before=`` a row's key (an opaque cursor) or
  ``?last=1`` (the list's end, read backwards), the same cost for every page, the last as the first, and links that
  stay stable while rows are added (issue 17)."""

from __future__ import annotations

import base64
import binascii
import enum
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, and_, func, literal, or_, select, tuple_

from app.core.errors import InvalidInput
from app.core.input import parse_page
from app.extensions import db

MAX_PER_PAGE = 200
# Where in a list a page starts (OFFSET pages and keyset cursors): dropped when the sort, a filter or the download
# changes, so that starts again from the list's beginning.
POSITION_ARGS = ("page", "after", "before", "last")


def list_args(args: Mapping[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    """The list's query arguments (``args``, by default the request's; the first value of each) without its page
    position (``POSITION_ARGS``), with ``changes`` applied: for the links of a sort header, a filter and the CSV
    download (a template global)."""
    from flask import request

    kept = dict(request.args if args is None else args)
    for name in POSITION_ARGS:
        kept.pop(name, None)
    kept.update(changes)
    return kept


def init_app(app: Any) -> None:
    """``list_args`` for the templates' sort headers, filter links, pagers and CSV links."""
    app.jinja_env.globals.update(list_args=list_args)


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


# ---- keyset pages (issue 17): the same cost for the first page and the thousandth ---------------------------

CURSOR_MAX_LENGTH = 600


@dataclass(frozen=True)
class Key:
    """One part of a list's order: the SQL ``column`` (or expression) and its direction. The keys together must
    make the order total (end with an id). Their values are read back from the database with each row, so the
    cursor holds exactly what the database compares (its own lower-casing, its own dates)."""

    column: Any
    descending: bool = False
    # Only with ``descending``: NULLs come first (``DESC NULLS FIRST``, a backward scan of a plain index).
    nulls_first: bool = False


@dataclass
class KeysetPage:
    """A page of a list read after (or before) a row's key, not at an OFFSET: ``items``; ``next_cursor`` /
    ``prev_cursor`` (opaque strings for ``?after=`` / ``?before=``, None at either end); ``total`` when the caller
    counted (or knew) it, else None. Links stay stable while rows are added: a page starts after the row it was
    asked for, wherever that row now is."""

    items: list[Any]
    per_page: int
    next_cursor: str | None = None
    prev_cursor: str | None = None
    total: int | None = None
    is_first: bool = True
    # Whether the page holds the list's last row (no "Next", no "Last page" link).
    is_last: bool = True

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_prev(self) -> bool:
        return self.prev_cursor is not None


def _encode_value(value: Any) -> list[str]:
    if value is None:
        return ["n", ""]
    if isinstance(value, datetime):
        return ["t", value.isoformat()]
    if isinstance(value, date):
        return ["d", value.isoformat()]
    if isinstance(value, uuid.UUID):
        return ["u", str(value)]
    if isinstance(value, bool):
        return ["b", "1" if value else "0"]
    if isinstance(value, int):
        return ["i", str(value)]
    if isinstance(value, enum.Enum):
        return ["e", str(value.name)]
    return ["s", str(value)]


def _decode_value(tag: str, text: str) -> Any:
    if tag == "n":
        return None
    if tag == "t":
        moment = datetime.fromisoformat(text)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if tag == "d":
        return date.fromisoformat(text)
    if tag == "u":
        return uuid.UUID(text)
    if tag == "b":
        return text == "1"
    if tag == "i":
        return int(text)
    if tag in ("e", "s"):
        return text
    raise ValueError(tag)


def encode_cursor(values: Sequence[Any]) -> str:
    """A row's key values as an opaque, URL-safe string (``?after=`` / ``?before=``)."""
    raw = json.dumps([_encode_value(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, field: str, size: int) -> list[Any]:
    """The key values of a cursor made by ``encode_cursor``; anything else raises ``InvalidInput`` (422) naming the
    field (``after`` or ``before``)."""
    try:
        if len(cursor) > CURSOR_MAX_LENGTH:
            raise ValueError(field)
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = json.loads(raw)
        if not isinstance(parts, list) or len(parts) != size:
            raise ValueError(field)
        return [_decode_value(str(tag), str(text)) for tag, text in parts]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        message = _("This link to a page of the list is not valid. Start again from the first page.")
        raise InvalidInput({field: [message]}, message=f"{field}: {message}") from None


def _type_of(key: Key) -> Any:
    kind = getattr(key.column, "type", None)
    return None if kind is None or kind.__class__.__name__ == "NullType" else kind


def _beyond(keys: Sequence[Key], values: Sequence[Any], *, backwards: bool) -> Any:
    """The rows after ``values`` in the keys' order (before them when ``backwards``): a row comparison when every
    key runs the same way (one index range), else the expanded form."""
    directions = {k.descending for k in keys}
    later = lambda key: key.descending == backwards  # noqa: E731  (ascending forwards: greater)
    if any(k.nulls_first for k in keys):
        return _beyond_with_nulls(keys, values, backwards=backwards)
    if len(directions) == 1:
        left, right = (
            tuple_(*(k.column for k in keys)),
            tuple_(*(literal(v, _type_of(k)) for k, v in zip(keys, values, strict=True))),
        )
        beyond = left > right if later(keys[0]) else left < right
        if values[0] is None or len(keys) == 1:
            return beyond
        # The first key alone too: an index condition when the keys span a join (the responsible person's name,
        # then the follow-up's columns), where the row comparison can only filter.
        first = literal(values[0], _type_of(keys[0]))
        return and_(keys[0].column >= first if later(keys[0]) else keys[0].column <= first, beyond)
    alternatives = []
    for index, key in enumerate(keys):
        equal = [keys[i].column == values[i] for i in range(index)]
        step = key.column > values[index] if later(key) else key.column < values[index]
        alternatives.append(and_(*equal, step))
    return or_(*alternatives)


def _beyond_with_nulls(keys: Sequence[Key], values: Sequence[Any], *, backwards: bool) -> Any:
    """``_beyond`` when a descending key puts NULLs first: NULL is equal to NULL and comes before every value."""
    alternatives = []
    for index, key in enumerate(keys):
        equal = [
            keys[i].column.is_(None) if keys[i].nulls_first and values[i] is None else keys[i].column == values[i]
            for i in range(index)
        ]
        value = values[index]
        if key.nulls_first:
            if not backwards:
                step = key.column.is_not(None) if value is None else key.column < value
            elif value is None:
                continue  # nothing comes before the NULLs but other NULLs (the next keys decide)
            else:
                step = or_(key.column.is_(None), key.column > value)
        else:
            step = key.column > value if key.descending == backwards else key.column < value
        alternatives.append(and_(*equal, step))
    return or_(*alternatives) if alternatives else literal(False)


def keyset_order(key: Key, backwards: bool = False) -> Any:
    """The ORDER BY term of a key (reversed for a page read backwards)."""
    if key.nulls_first:
        return key.column.asc().nulls_last() if backwards else key.column.desc().nulls_first()
    return key.column.asc() if key.descending == backwards else key.column.desc()


def keyset_page(
    query: Select[Any],
    args: Mapping[str, Any],
    keys: Sequence[Key],
    *,
    per_page: int = 25,
    count: bool = False,
    total: int | None = None,
) -> KeysetPage:
    """One page of ``query`` (without an ORDER BY: the keys give it) in the keys' order, starting after the row of
    ``?after=`` or ending before the row of ``?before=`` (cursors of this function's earlier pages), or with
    ``?last=1`` the list's last ``per_page`` rows (read backwards from the end in the keys' order), ``per_page``
    rows (``?per_page=``, at most 200). Each page costs one index range scan of ``per_page + 1`` rows, whether it
    is the first, the thousandth or the last; ``count=True`` also counts the whole list (one more statement),
    ``total`` passes a count the caller keeps elsewhere. A bad cursor, ``last`` or size raises ``InvalidInput``
    (422) naming the field. A cursor wins over ``last``."""
    size = min(parse_page(args.get("per_page"), field="per_page", default=per_page), MAX_PER_PAGE)
    after, before = args.get("after") or None, args.get("before") or None
    last = _wants_last(args.get("last")) and after is None and before is None
    backwards = (before is not None and after is None) or last
    cursor = before if backwards else after
    ordered = query
    if cursor is not None:
        field = "before" if backwards else "after"
        values = _checked(keys, decode_cursor(str(cursor), field=field, size=len(keys)), field=field)
        ordered = ordered.where(_beyond(keys, values, backwards=backwards))
    order = [keyset_order(k, backwards) for k in keys]
    found = list(db.session.execute(ordered.add_columns(*(k.column for k in keys)).order_by(*order).limit(size + 1)))
    more = len(found) > size
    found = found[:size]
    if backwards:
        found.reverse()
    rows = [row[0] for row in found]
    key_values = {id(row[0]): list(row[1:]) for row in found}

    def cursor_of(item: Any) -> str:
        return encode_cursor(key_values[id(item)])

    if last:
        prev_cursor = cursor_of(rows[0]) if more and rows else None
        next_cursor = None
    elif backwards:
        prev_cursor = cursor_of(rows[0]) if more and rows else None
        next_cursor = cursor_of(rows[-1]) if rows else None
    else:
        prev_cursor = cursor_of(rows[0]) if cursor is not None and rows else None
        next_cursor = cursor_of(rows[-1]) if more else None
    if count and total is None:
        total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    return KeysetPage(
        items=rows,
        per_page=size,
        next_cursor=next_cursor,
        prev_cursor=prev_cursor,
        total=total,
        is_first=prev_cursor is None,
        is_last=next_cursor is None,
    )


def _fits(key: Key, value: Any) -> bool:
    """Whether a cursor's value is of the kind the key's column holds (a cursor of another sort, or one edited by
    hand, would otherwise reach the database as a date made of a title)."""
    kind = _type_of(key)
    if value is None or kind is None:
        return True
    try:
        expected = kind.python_type
    except NotImplementedError:
        return True
    if isinstance(expected, type) and issubclass(expected, enum.Enum):
        return isinstance(value, str) and value in expected.__members__
    if expected is bool:
        return isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected is date:
        return isinstance(value, date) and not isinstance(value, datetime)
    if expected in (str, datetime, uuid.UUID):
        return isinstance(value, expected)
    return True  # other kinds (floats, decimals: kept as text) are left to the database


def _checked(keys: Sequence[Key], values: list[Any], *, field: str) -> list[Any]:
    """The cursor's values when each fits its key's column; else ``InvalidInput`` (422) naming the field."""
    if all(_fits(key, value) for key, value in zip(keys, values, strict=True)):
        return values
    message = _("This link to a page of the list is not valid. Start again from the first page.")
    raise InvalidInput({field: [message]}, message=f"{field}: {message}")


def _wants_last(value: Any) -> bool:
    """``?last=1`` (or empty/absent: no); anything else is refused as a 422 naming ``last``."""
    if value in (None, "", "0"):
        return False
    if value == "1":
        return True
    message = _("This link to a page of the list is not valid. Start again from the first page.")
    raise InvalidInput({"last": [message]}, message=f"last: {message}")


def paginate_deferred(
    query: Select[Any], args: Mapping[str, Any], entity: Any, *, per_page: int = 25, total: int | None = None
) -> Page:
    """``paginate`` for the API's ``?page=`` convention (API.md) with a bounded cost per page: the page's ids are
    chosen first over the ordered query's key columns alone (an index-only plan where the order is indexed), then
    only those rows are loaded, in the same order. ``entity``: the mapped class whose ``id`` the query pages."""
    page = parse_page(args.get("page"))
    size = min(parse_page(args.get("per_page"), field="per_page", default=per_page), MAX_PER_PAGE)
    if total is None:
        total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    if (page - 1) * size >= total:
        return Page(items=[], page=page, per_page=size, total=total)
    ids = list(db.session.scalars(query.with_only_columns(entity.id).limit(size).offset((page - 1) * size)))
    found = {item.id: item for item in db.session.scalars(query.order_by(None).where(entity.id.in_(ids)))}
    return Page(items=[found[i] for i in ids if i in found], page=page, per_page=size, total=total)
