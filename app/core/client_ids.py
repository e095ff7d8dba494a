"""Creates with a client-chosen id (API.md: "a client-generated ``id`` UUID on create"; the tablet's offline queue).

One rule for every such create (visits, findings, evidence, messages, follow-ups, boundary versions, units,
indicators): sending the same create again returns the first object, **only** when that object is the caller's own
replay — visible to the caller and belonging where the new one would (same unit, visit, finding, author). Any other
object holding the id answers exactly as an unknown id would be refused: a 422 on ``id`` that says nothing of what
holds it (DESIGN.md 4.6: never confirm that another unit's object exists), checked before anything is returned.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.core.errors import InvalidInput
from app.extensions import db

T = TypeVar("T")

ID_TAKEN = _l("This id cannot be used. Generate a new id (a UUID) for a new object.")


def id_taken() -> InvalidInput:
    """The one answer for an id the caller may not reuse (422 on ``id``), whatever holds it."""
    return InvalidInput({"id": [str(ID_TAKEN)]})


def replayed(model: type[T], object_id: uuid.UUID | None, *, is_replay: Callable[[T], bool]) -> T | None:
    """The object a repeated create returns, or None when the id is free (or not given).

    Raises ``InvalidInput`` (``id_taken``) when an object holds the id and ``is_replay`` (the caller's visibility
    and the create's parent, checked on that object) says it is not this caller's own earlier create."""
    if object_id is None:
        return None
    existing = cast(Any, db.session).get(model, object_id)
    if existing is None:
        return None
    if not is_replay(existing):
        raise id_taken()
    return cast(T, existing)


def created_once(
    model: type[Any], object_id: uuid.UUID | None, insert: Callable[[], T], *, is_replay: Callable[[Any], bool]
) -> T:
    """Insert an object whose id the client chose. Two requests racing with one id both find it free; the loser's
    insert fails on the primary key, its savepoint rolls back (with anything numbered in it), and the winner's
    object is returned — if ``is_replay`` accepts it, otherwise ``id_taken``. Call ``replayed`` first."""
    if object_id is None:
        return insert()
    try:
        with db.session.begin_nested():
            return insert()
    except IntegrityError:
        existing = db.session.get(model, object_id)
        if existing is None:
            raise
        if not is_replay(existing):
            raise id_taken() from None
        return cast(T, existing)
