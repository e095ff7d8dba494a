"""The audit trail: every create, update and delete of an ``Auditable`` object becomes an ``AuditEvent``
in the same flush, so in the same transaction, as the change itself.

Who acted is taken from the session's audit context, set once per request (the logged-in person and their
address), per CLI command or per task. Services still take an explicit actor for their rules.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, event, inspect, or_, select
from sqlalchemy.orm import Session, selectinload

from app.core import audit_chain
from app.core.models import Auditable, AuditEvent, utcnow

REDACTED = "***"


@dataclass(frozen=True)
class AuditContext:
    actor_id: uuid.UUID | None
    actor_label: str | None = None
    client_address: str | None = None
    via: str = "system"


SYSTEM = AuditContext(actor_id=None, actor_label="system", via="system")


def set_audit_context(session: Session, context: AuditContext) -> None:
    session.info["audit_context"] = context


def get_audit_context(session: Session) -> AuditContext:
    return session.info.get("audit_context", SYSTEM)


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _column_changes(obj: Auditable, *, mode: str) -> dict[str, list[Any]]:
    state = inspect(obj)
    changes: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in obj.__audit_ignore__ or key == "id":
            continue
        if mode == "update":
            history = state.attrs[key].history
            if not history.has_changes():
                continue
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            if _plain(before) == _plain(after):
                continue
        else:
            value = getattr(obj, key)
            before, after = (None, value) if mode == "create" else (value, None)
            if value is None:
                continue
        if key in obj.__audit_redact__:
            changes[key] = [REDACTED if before is not None else None, REDACTED if after is not None else None]
        else:
            changes[key] = [_plain(before), _plain(after)]
    return changes


def _event_for(obj: Auditable, action: str, changes: dict[str, list[Any]], ctx: AuditContext) -> AuditEvent:
    unit_id, parent = obj.audit_scope()
    return AuditEvent(
        id=uuid.uuid4(),
        occurred_at=utcnow(),
        actor_id=ctx.actor_id,
        actor_label=ctx.actor_label,
        client_address=ctx.client_address,
        via=ctx.via,
        action=action,
        object_type=obj.__audit_type__,
        object_id=str(obj.id),  # type: ignore[attr-defined]
        parent_type=parent[0] if parent else None,
        parent_id=str(parent[1]) if parent else None,
        unit_id=unit_id,
        changes=changes,
    )


def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError("audit events are append-only")


def _deleted(session: Session, flush_context: Any) -> list[Any]:
    """What this flush deleted: what was marked with ``session.delete`` and the orphans the flush removed by
    cascade (a membership taken out of ``person.memberships``), which ``session.deleted`` does not list."""
    found = list(session.deleted)
    seen = {id(obj) for obj in found}
    for state, (is_delete, _list_only) in getattr(flush_context, "states", {}).items():
        obj = state.obj()
        if is_delete and obj is not None and id(obj) not in seen:
            seen.add(id(obj))
            found.append(obj)
    return found


def _after_flush(session: Session, flush_context: Any) -> None:
    """Foreign keys are set and attribute history is still intact here; the events are inserted on the
    flush's own connection, so they commit or roll back with the change."""
    ctx = get_audit_context(session)
    events: list[AuditEvent] = []
    for obj in session.new:
        if isinstance(obj, Auditable):
            events.append(_event_for(obj, "create", _column_changes(obj, mode="create"), ctx))
    for obj in session.dirty:
        if isinstance(obj, Auditable) and session.is_modified(obj, include_collections=False):
            changes = _column_changes(obj, mode="update")
            if changes:
                events.append(_event_for(obj, "update", changes, ctx))
    for obj in _deleted(session, flush_context):
        if isinstance(obj, Auditable):
            events.append(_event_for(obj, "delete", _column_changes(obj, mode="delete"), ctx))
    if events:
        table = AuditEvent.__table__  # a Table: Core insert on the flush's connection
        rows = [{c.key: getattr(ev, c.key) for c in table.columns} for ev in events]
        for row in rows:
            row["occurred_at"] = row["occurred_at"] or utcnow()
        session.connection().execute(table.insert(), rows)  # type: ignore[attr-defined]
        audit_chain.note_inserted(session, [row["id"] for row in rows])


def install(session_class: type[Session] = Session) -> None:
    if not event.contains(session_class, "before_flush", _before_flush):
        event.listen(session_class, "before_flush", _before_flush)
        event.listen(session_class, "after_flush", _after_flush)
    audit_chain.install(session_class)  # after the listener above: it links what that one inserted


def record(
    session: Session | Any,
    *,
    action: str,
    object_type: str,
    object_id: uuid.UUID | str,
    unit_id: uuid.UUID | None = None,
    changes: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Write an event that is not a column change (a login, a sent link, a refused attempt)."""
    ctx = get_audit_context(session)
    ev = AuditEvent(
        id=uuid.uuid4(),
        actor_id=ctx.actor_id,
        actor_label=actor_label or ctx.actor_label,
        client_address=ctx.client_address,
        via=ctx.via,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        unit_id=unit_id,
        changes=_plain(changes or {}),
    )
    session.add(ev)
    return ev


# ---- the registry of audited object types, filled by the domains ---------------------------------------


@dataclass(frozen=True)
class AuditType:
    """How the audit trail treats one object type (``__audit_type__``) of a domain.

    ``get``: the domain getter of one object for a person (NotFound when they may not see it), used before an
    object's history is read. ``unit_may_read``: a unit member reads these events of their own units
    (DESIGN.md 4.6). ``hidden_from_unit``: given the unit ids concerned, a condition over ``AuditEvent`` for
    events of this type the unit may not read yet (a follow-up the team prepares before kommunicering).
    ``unit_fields``: the columns whose changes a unit member reads (None: all). ``coordinators_only``: only
    coordinators read these (people's accounts). ``without_unit``: staff read these although they belong to
    no unit (review templates)."""

    object_type: str
    get: Callable[[Any, uuid.UUID], Any] | None = None
    unit_may_read: bool = False
    hidden_from_unit: Callable[[Collection[uuid.UUID] | None], ColumnElement[bool] | None] | None = None
    unit_fields: frozenset[str] | None = None
    coordinators_only: bool = False
    without_unit: bool = False


AUDIT_TYPES: dict[str, AuditType] = {}


def register_audit_type(object_type: str, **how: Any) -> AuditType:
    """A domain declares how the audit trail treats one of its object types (see ``AuditType``)."""
    entry = AuditType(object_type, **how)
    AUDIT_TYPES[object_type] = entry
    return entry


def unit_readable_types() -> tuple[str, ...]:
    """The object types whose events a unit member reads in their own units (filled by the domains)."""
    return tuple(sorted(t for t, entry in AUDIT_TYPES.items() if entry.unit_may_read))


def hidden_from_unit(unit_ids: Collection[uuid.UUID] | None = None) -> list[ColumnElement[bool]]:
    """Conditions over ``AuditEvent`` that a unit member's events must not match (see ``AuditType``)."""
    conditions = []
    for entry in AUDIT_TYPES.values():
        if entry.unit_may_read and entry.hidden_from_unit is not None:
            condition = entry.hidden_from_unit(unit_ids)
            if condition is not None:
                conditions.append(condition)
    return conditions


# What a unit's own members may read of their unit's history is registered by the domains
# (``register_audit_type`` above): not the review team's working material (findings and evidence
# before kommunicering, the team's composition changes) and never internal notes. A message shows here only
# as "message" (what the unit can read); an internal note is "internal_note".
# What only the supervising side reads, and not even a reviewer who is a member of the unit (app.core.access).
INTERNAL_TYPES = ("internal_note",)


def _readable(query, *, for_unit_member: bool, with_internal: bool, unit_ids=None):  # type: ignore[no-untyped-def]
    if for_unit_member:
        query = query.where(AuditEvent.object_type.in_(unit_readable_types()))
        for hidden in hidden_from_unit(unit_ids):
            query = query.where(~hidden)
    if not with_internal:
        query = query.where(AuditEvent.object_type.not_in(INTERNAL_TYPES))
    return query


def history_query(  # type: ignore[no-untyped-def]
    object_type: str,
    object_id: uuid.UUID | str,
    *,
    for_unit_member: bool = False,
    with_internal: bool = True,
    unit_ids=None,
):
    """Events about an object and its children (memberships of a user, roles, a visit's findings and messages…),
    oldest first; ``for_unit_member`` keeps what the unit may read (of the units ``unit_ids``, when given),
    ``with_internal=False`` drops internal notes."""
    oid = str(object_id)
    query = select(AuditEvent).where(
        or_(
            (AuditEvent.object_type == object_type) & (AuditEvent.object_id == oid),
            (AuditEvent.parent_type == object_type) & (AuditEvent.parent_id == oid),
        )
    )
    query = _readable(query, for_unit_member=for_unit_member, with_internal=with_internal, unit_ids=unit_ids)
    return query.options(selectinload(AuditEvent.actor)).order_by(AuditEvent.occurred_at, AuditEvent.id)


def unit_history_query(  # type: ignore[no-untyped-def]
    unit_id: uuid.UUID, *, for_unit_member: bool = False, with_internal: bool = True, load_actors: bool = True
):
    """Everything that happened in a unit (the unit itself, its memberships, its visits…), oldest first. With
    ``load_actors=False`` the events' actors are not loaded: a timeline names them through its one name lookup
    per page (``app.core.timeline.prefetch``), one statement instead of the actors and their roles."""
    query = _readable(
        select(AuditEvent).where(AuditEvent.unit_id == unit_id),
        for_unit_member=for_unit_member,
        with_internal=with_internal,
        unit_ids=[unit_id],
    )
    if load_actors:
        query = query.options(selectinload(AuditEvent.actor))
    return query.order_by(AuditEvent.occurred_at, AuditEvent.id)
