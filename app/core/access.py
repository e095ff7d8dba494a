"""The domain-free primitives of the access policy (DESIGN.md 4.6, section 5).

Each domain owns its policy (``app/<domain>/policy.py``): the getters every query for a person goes through and
the ``can_*`` predicates that say what a person may do now. This module holds only what every domain shares
and imports no domain:

- jäv: ``takes_unit_side`` (a member of a unit always takes part as the unit) and ``supervises`` (staff act for
  the supervising body in every unit but their own); ``can_see_unit`` (another unit's object is a 404);
- ``require_role`` (a role that may not act: 403) and ``OPERATOR`` (whoever runs the command line);
- ``audit_events``: the audit trail a person may read, through the registry of audit object types the domains
  fill (``app.core.audit.register_audit_type``, also reachable here): which types a unit member may read, how to
  fetch one object of a type for a person (its 404), which of its fields a unit member may read;
- the registry of objects the API's 404-guard covers (``register_guarded_object``): a URL argument and the
  domain getter that answers 404 for an object the caller may not know of.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Protocol

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, exists, false, select
from sqlalchemy.orm import selectinload

from app.core import audit
from app.core.audit import AUDIT_TYPES, AuditType, hidden_from_unit, unit_readable_types
from app.core.errors import Forbidden, NotFound
from app.extensions import db


class Actor(Protocol):
    """What the policy needs of a person (``app.auth.models.User``, ``OPERATOR``)."""

    @property
    def id(self) -> uuid.UUID | None: ...

    @property
    def is_staff(self) -> bool: ...

    @property
    def is_coordinator(self) -> bool: ...

    @property
    def is_reviewer(self) -> bool: ...

    @property
    def unit_ids(self) -> frozenset[uuid.UUID]: ...

    def has_role(self, *roles: Any) -> bool: ...


# ---- jäv and unit isolation -----------------------------------------------------------------------


def can_see_unit(actor: Actor, unit_id: uuid.UUID) -> bool:
    """Staff see every unit; a unit member only their own (anything else answers 404, DESIGN.md 4.6)."""
    return actor.is_staff or unit_id in actor.unit_ids


def takes_unit_side(actor: Actor, unit_id: uuid.UUID) -> bool:
    """A member of a unit takes part as the unit in everything of that unit, whatever other roles they hold
    (jäv, DESIGN.md 2): a peer reviewer never gets the supervising side's view or voice in their own unit."""
    return actor.id is not None and unit_id in actor.unit_ids


def supervises(actor: Actor, unit_id: uuid.UUID) -> bool:
    """Reviewers and coordinators act for the supervising body in every unit but their own."""
    return actor.is_staff and not takes_unit_side(actor, unit_id)


def require_role(actor: Actor, *roles: Any) -> None:
    """For actions on something the actor may see but their role may not do (403)."""
    if not actor.has_role(*roles):
        raise Forbidden(_("Your role does not allow this."))


def may_see_audit_of_unit(actor: Actor, unit_id: uuid.UUID | None) -> bool:
    """Coordinators read every unit's history; others the history of the units they may see."""
    if actor.is_coordinator:
        return True
    return unit_id is not None and can_see_unit(actor, unit_id)


class Operator:
    """Whoever runs the command line on the server: acts with every role; the audit trail names them "cli"."""

    id = None
    is_staff = True
    is_coordinator = True
    is_reviewer = True
    unit_ids: frozenset[uuid.UUID] = frozenset()

    def has_role(self, *roles: Any) -> bool:
        return True


OPERATOR = Operator()


# ---- the API's 404-guard --------------------------------------------------------------------------

# URL argument (``visit_id``…) → the domain getter that raises NotFound for an object the caller may not know of.
GUARDED_OBJECTS: dict[str, Callable[[Any, uuid.UUID], Any]] = {}


def register_guarded_object(url_arg: str, getter: Callable[[Any, uuid.UUID], Any]) -> None:
    """A domain names an object its API URLs carry; ``guard_url_objects`` fetches it before a write's body
    is read, so a 422 never tells whether another unit's object exists."""
    GUARDED_OBJECTS[url_arg] = getter


def guard_url_objects(actor: Actor, view_args: dict[str, Any] | None) -> None:
    """Fetch every guarded object a URL names through its domain's policy (NotFound: 404)."""
    for name, value in (view_args or {}).items():
        getter = GUARDED_OBJECTS.get(name)
        if getter is not None:
            getter(actor, value)


# ---- the audit trail ------------------------------------------------------------------------------


def _types(predicate: Callable[[AuditType], bool]) -> list[str]:
    return [t for t, entry in AUDIT_TYPES.items() if predicate(entry)]


def _object_uuid(object_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(object_id))
    except ValueError:
        raise NotFound(_("The object does not exist or you may not see its history.")) from None


def audit_events(actor: Actor, *, object_type: str | None = None, object_id: str | None = None) -> Select[Any]:
    """The audit trail a person may read (DESIGN.md 4.6), oldest first; with an object, its events and its
    children's (for a unit: everything that happened in it, as its timeline shows).

    Coordinators read everything. Reviewers read the trail of the supervision (units, everything in them,
    review templates) but not people's accounts (403 for one account's). A unit member reads their own units'
    events of the types the domains registered as readable by the unit, and of one object only when its
    domain's getter lets them see it: anything else is a 404. In their own units a peer reviewer reads what
    the unit reads (jäv)."""
    from app.core.models import AuditEvent

    entry = AUDIT_TYPES.get(object_type) if object_type else None
    if object_type is not None and object_id is not None:
        if entry is not None and entry.get is not None and (object_type == "unit" or not actor.is_staff):
            # The domain's 404 for what the actor may not see (staff may read a removed object's history).
            entry.get(actor, _object_uuid(object_id))
        if object_type == "unit":
            unit_id = _object_uuid(object_id)
            query = audit.unit_history_query(
                unit_id,
                for_unit_member=not supervises(actor, unit_id),
                with_internal=supervises(actor, unit_id),
            )
        else:
            query = audit.history_query(object_type, object_id)
    else:  # the whole trail, or every event about one kind of object
        query = (
            select(AuditEvent).options(selectinload(AuditEvent.actor)).order_by(AuditEvent.occurred_at, AuditEvent.id)
        )
        if object_type is not None:
            query = query.where(AuditEvent.object_type == object_type)
    if actor.is_coordinator:
        return query
    readable = unit_readable_types()
    if actor.is_reviewer:
        if entry is not None and entry.coordinators_only and object_id is not None:
            raise Forbidden(_("Only coordinators may read the history of people's accounts."))
        query = query.where(
            AuditEvent.unit_id.is_not(None) | AuditEvent.object_type.in_(_types(lambda e: e.without_unit))
        )
        if actor.unit_ids:  # in their own units a peer reviewer reads what the unit reads (jäv)
            member_of = list(actor.unit_ids)
            as_unit: ColumnElement[bool] = AuditEvent.object_type.in_(readable)
            for hidden in hidden_from_unit(member_of):
                as_unit = and_(as_unit, ~hidden)
            query = query.where(AuditEvent.unit_id.is_(None) | AuditEvent.unit_id.not_in(member_of) | as_unit)
        return query
    own_units = list(actor.unit_ids)
    own: ColumnElement[bool] = AuditEvent.unit_id.in_(own_units) if own_units else false()
    if object_type is not None and object_id is not None and object_type != "unit":
        known = db.session.scalar(
            select(exists().where(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id), own))
        )
        if object_type not in readable or not known:
            raise NotFound(_("The object does not exist or you may not see its history."))
    query = query.where(own, AuditEvent.object_type.in_(readable))
    for hidden in hidden_from_unit(own_units):
        query = query.where(~hidden)
    return query


def visible_audit_changes(actor: Actor, event: Any) -> dict[str, Any]:
    """The before/after values of an event the actor may read (a unit member: not the team's working text)."""
    supervising = supervises(actor, event.unit_id) if event.unit_id is not None else actor.is_staff
    entry = AUDIT_TYPES.get(event.object_type)
    if supervising or entry is None or entry.unit_fields is None:
        return dict(event.changes or {})
    return {k: v for k, v in (event.changes or {}).items() if k in entry.unit_fields}
