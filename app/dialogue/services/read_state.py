"""Read state and unread counts (DESIGN.md 4.6): how far a person has read a thread, the kept unread counters
and their recount."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.auth.models import Role, User, UserRole
from app.core.errors import InvalidInput
from app.core.models import utcnow
from app.core.pagination import MAX_PER_PAGE, Page
from app.dialogue import policy as dialogue_policy
from app.dialogue.models import (
    Message,
    PendingNotification,
    Thread,
    ThreadRead,
    UnreadCount,
)
from app.dialogue.services.threads import WritePermission, find_thread, subject, visible_messages, write_permission
from app.extensions import db
from app.units.models import Membership
from app.visits import policy as visits_policy
from app.visits.models import Finding, Visit


@dataclass
class ThreadView:
    visit: Visit
    finding: Finding | None
    thread: Thread | None
    page: Page
    # When the actor had read up to, before this page: later messages by others are marked new.
    read_until: datetime | None
    unread_count: int
    permission: WritePermission
    sees_internal: bool

    @property
    def messages(self) -> list[Message]:
        return self.page.items

    @property
    def newest_at(self) -> datetime | None:
        return self.page.items[-1].created_at if self.page.items else None

    def is_new(self, message: Message, actor: User) -> bool:
        if message.author_id == actor.id:
            return False
        return self.read_until is None or message.created_at > self.read_until


def _read_until(thread_id: uuid.UUID, user_id: uuid.UUID | None) -> datetime | None:
    if user_id is None:
        return None
    return db.session.scalar(
        select(ThreadRead.last_read_at).where(ThreadRead.thread_id == thread_id, ThreadRead.user_id == user_id)
    )


def thread_view(
    *,
    actor: User,
    visit_id: uuid.UUID | None = None,
    finding_id: uuid.UUID | None = None,
    page: int | None = None,
    per_page: int = 50,
) -> ThreadView:
    """A conversation, oldest message first, a page at a time; without ``page`` the newest page."""
    visit, finding = subject(actor, visit_id=visit_id, finding_id=finding_id)
    thread = find_thread(visit.id, finding.id if finding else None)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    permission = write_permission(actor, visit, finding)
    sees_internal = dialogue_policy.sees_internal_notes(actor, visit.unit_id)
    if thread is None:
        return ThreadView(visit, finding, None, Page([], 1, per_page, 0), None, 0, permission, sees_internal)
    query = visible_messages(actor).where(Message.thread_id == thread.id)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, -(-total // per_page))
    number = min(max(page or pages, 1), pages)
    items = list(
        db.session.scalars(
            query.options(selectinload(Message.author), selectinload(Message.attachments))
            .order_by(Message.created_at, Message.id)
            .limit(per_page)
            .offset((number - 1) * per_page)
        )
    )
    read_until = _read_until(thread.id, actor.id)
    unread = _count_unread(actor, thread_ids=[thread.id])
    return ThreadView(
        visit, finding, thread, Page(items, number, per_page, total), read_until, unread, permission, sees_internal
    )


def _advance_read(thread_id: uuid.UUID, actor: User, moment: datetime) -> None:
    """Move a person's read mark forward (never back); two requests at once both land on one row. The person's
    stored unread count drops by the messages the move reads, in the same transaction."""
    user_id = actor.id
    row = db.session.scalar(select(ThreadRead).where(ThreadRead.thread_id == thread_id, ThreadRead.user_id == user_id))
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.add(ThreadRead(id=uuid.uuid4(), thread_id=thread_id, user_id=user_id, last_read_at=moment))
            _count_read(actor, thread_id, None, moment)
            return
        except IntegrityError:
            row = db.session.scalar(
                select(ThreadRead).where(ThreadRead.thread_id == thread_id, ThreadRead.user_id == user_id)
            )
            if row is None:
                raise
    if row.last_read_at < moment:
        _count_read(actor, thread_id, row.last_read_at, moment)
        row.last_read_at = moment
        db.session.flush()


def _count_read(actor: User, thread_id: uuid.UUID, after: datetime | None, until: datetime) -> None:
    """Lower the actor's stored unread count by the messages of one thread that a read mark moved from ``after``
    (None: no mark yet) to ``until`` reads: visible to them, by someone else (one statement, no row: nothing)."""
    newly_read = (
        select(func.count(Message.id))
        .select_from(Message)
        .join(Thread, Thread.id == Message.thread_id)
        .join(Visit, Visit.id == Thread.visit_id)
        .where(
            Message.thread_id == thread_id,
            dialogue_policy.message_visibility(actor),
            or_(Message.author_id.is_(None), Message.author_id != actor.id),
            Message.created_at <= until,
        )
    )
    if after is not None:
        newly_read = newly_read.where(Message.created_at > after)
    db.session.execute(
        update(UnreadCount)
        .where(UnreadCount.user_id == actor.id)
        .values(total=UnreadCount.total - newly_read.scalar_subquery())
        .execution_options(synchronize_session=False)
    )


def mark_read(
    *,
    actor: User,
    visit_id: uuid.UUID | None = None,
    finding_id: uuid.UUID | None = None,
    up_to: datetime | None = None,
) -> int:
    """Mark a conversation read up to ``up_to`` (the newest message the person was shown; default now), so a
    message that arrived meanwhile stays new. Returns how many messages are still unread."""
    visit, finding = subject(actor, visit_id=visit_id, finding_id=finding_id)
    thread = find_thread(visit.id, finding.id if finding else None)
    if thread is None or actor.id is None:
        return 0
    now = utcnow()
    if up_to is not None and up_to.tzinfo is None:
        raise InvalidInput({"up_to": [_("Give the time with its offset, e.g. 2026-11-23T10:15:00+01:00.")]})
    moment = min(up_to, now) if up_to is not None else now
    _advance_read(thread.id, actor, moment)
    _withdraw_read_notifications(actor.id, thread.id, moment)
    return _count_unread(actor, thread_ids=[thread.id])


def _withdraw_read_notifications(user_id: uuid.UUID, thread_id: uuid.UUID, moment: datetime) -> None:
    """What a person has read in the app is no longer news: drop it from their waiting e-mail."""
    read_messages = select(Message.id).where(Message.thread_id == thread_id, Message.created_at <= moment)
    db.session.execute(
        delete(PendingNotification)
        .where(
            PendingNotification.recipient_id == user_id,
            PendingNotification.batch_id.is_(None),
            PendingNotification.message_id.in_(read_messages),
        )
        .execution_options(synchronize_session=False)
    )


# ---- unread counts and lists of conversations -------------------------------------------------------


def _unread_condition(actor: User) -> Any:
    return and_(
        or_(Message.author_id.is_(None), Message.author_id != actor.id),
        or_(ThreadRead.last_read_at.is_(None), Message.created_at > ThreadRead.last_read_at),
    )


def _with_read_state(query: Select, actor: User) -> Select:  # type: ignore[type-arg]
    return query.outerjoin(ThreadRead, and_(ThreadRead.thread_id == Thread.id, ThreadRead.user_id == actor.id))


def _count_unread(actor: User, *, thread_ids: Iterable[uuid.UUID] | None = None) -> int:
    if actor.id is None:
        return 0
    query = _with_read_state(
        select(func.count(Message.id))
        .select_from(Message)
        .join(Thread, Thread.id == Message.thread_id)
        .join(Visit, Visit.id == Thread.visit_id),
        actor,
    ).where(dialogue_policy.message_visibility(actor), _unread_condition(actor))
    if thread_ids is not None:
        query = query.where(Thread.id.in_(list(thread_ids)))
    return int(db.session.scalar(query) or 0)


def unread_by_unit(actor: User, unit_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """How many messages are new to the actor in each of these units (one query)."""
    if actor.id is None:
        return {}
    query = _with_read_state(
        select(Thread.unit_id, func.count(Message.id))
        .select_from(Message)
        .join(Thread, Thread.id == Message.thread_id)
        .join(Visit, Visit.id == Thread.visit_id),
        actor,
    ).where(dialogue_policy.message_visibility(actor), _unread_condition(actor), Thread.unit_id.in_(list(unit_ids)))
    return {unit_id: int(count) for unit_id, count in db.session.execute(query.group_by(Thread.unit_id)).all()}


def unread_total(actor: User) -> int:
    """How many messages are new to the actor, over every conversation they may read: one row read
    (``UnreadCount``, kept by the writes that change it). Without a row (people who existed before the counts did,
    until ``count_unread_for_everyone`` runs) it is counted over the visible messages."""
    if actor.id is None:
        return 0
    stored = db.session.scalar(select(UnreadCount.total).where(UnreadCount.user_id == actor.id))
    if stored is not None:
        return int(stored)
    return _count_unread(actor)


def _new_to_person(person_id: Any) -> Any:
    """The condition "this message (joined with its Thread and Visit) is new to the person ``person_id``" in SQL,
    for any person at once: ``policy.message_visibility`` written over the roles and memberships tables (an
    internal note for staff outside the unit, jäv; a public message for staff and for the unit's members once
    they may see the conversation), by someone else, after the person's read mark. Tests hold it equal to the
    per-person rule."""
    staff = (
        select(UserRole.user_id)
        .where(UserRole.user_id == person_id, UserRole.role.in_([Role.coordinator, Role.reviewer]))
        .correlate_except(UserRole)
        .exists()
    )
    member = (
        select(Membership.id)
        .where(Membership.user_id == person_id, Membership.unit_id == Thread.unit_id)
        .correlate_except(Membership)
        .exists()
    )
    unit_may_see = or_(Thread.finding_id.is_(None), Visit.status.in_(visits_policy.OPEN_TO_UNIT))
    read = (
        select(ThreadRead.id)
        .where(
            ThreadRead.thread_id == Message.thread_id,
            ThreadRead.user_id == person_id,
            ThreadRead.last_read_at >= Message.created_at,
        )
        .correlate_except(ThreadRead)
        .exists()
    )
    return and_(
        or_(
            and_(Message.is_internal.is_(True), staff, ~member),
            and_(Message.is_internal.is_(False), or_(staff, and_(member, unit_may_see))),
        ),
        or_(Message.author_id.is_(None), Message.author_id != person_id),
        ~read,
    )


def _messages_new_to_person(person_id: Any) -> Select[Any]:
    return (
        select(func.count(Message.id))
        .select_from(Message)
        .join(Thread, Thread.id == Message.thread_id)
        .join(Visit, Visit.id == Thread.visit_id)
        .where(_new_to_person(person_id))
    )


def _recount(person_ids: Iterable[uuid.UUID] | None, session: Any = None) -> None:
    """Store the unread count of these people (None: everyone) afresh from the messages, in the current
    transaction: one statement per call, O(messages they may read) per person."""
    session = session or db.session
    people = select(User.id, _messages_new_to_person(User.id).scalar_subquery())
    gone = delete(UnreadCount)
    if person_ids is not None:
        ids = list(person_ids)
        if not ids:
            return
        people = people.where(User.id.in_(ids))
        gone = gone.where(UnreadCount.user_id.in_(ids))
    session.execute(gone.execution_options(synchronize_session=False))
    session.execute(
        UnreadCount.__table__.insert().from_select(["user_id", "total"], people)  # type: ignore[attr-defined]
    )


def count_unread_for_everyone() -> None:
    """Store every person's unread count afresh (after the migration that adds the counts, or a bulk import);
    DESIGN.md 4.2. Flushes, does not commit."""
    _recount(None)


def _count_message(message_id: uuid.UUID, step: int) -> None:
    """Raise (``step`` 1, a new message) or lower (-1, a message about to be removed) the stored count of
    everyone the message is new to, in the message's transaction: one statement."""
    new_to = (
        select(Message.id)
        .join(Thread, Thread.id == Message.thread_id)
        .join(Visit, Visit.id == Thread.visit_id)
        .where(Message.id == message_id, _new_to_person(UnreadCount.user_id))
        .exists()
    )
    db.session.execute(
        update(UnreadCount)
        .where(new_to)
        .values(total=UnreadCount.total + step)
        .execution_options(synchronize_session=False)
    )


def _recount_after_flush(session: Any, flush_context: Any) -> None:
    """Who may read what changed (a new person, a membership, a role, a visit's status): the stored unread counts
    of the people concerned are made afresh in the same transaction."""
    from sqlalchemy import inspect as sa_inspect

    people: set[uuid.UUID] = set()
    units: set[uuid.UUID] = set()
    for obj in list(session.new) + list(session.deleted) + list(session.dirty):
        if isinstance(obj, User) and obj in session.new:
            people.add(obj.id)
        elif isinstance(obj, Membership | UserRole):
            people.add(obj.user_id)
        elif isinstance(obj, Visit) and obj not in session.new and sa_inspect(obj).attrs.status.history.has_changes():
            units.add(obj.unit_id)
    if units:
        people.update(session.scalars(select(Membership.user_id).where(Membership.unit_id.in_(list(units)))).all())
    people.discard(None)  # type: ignore[arg-type]
    if people:
        _recount(people, session)
