"""Thread summaries for the conversation lists (DESIGN.md 4.6): last activity, unread counts per thread."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select, update
from sqlalchemy.orm import joinedload

from app.auth.models import User
from app.core.pagination import MAX_PER_PAGE, Key, KeysetPage, Page, keyset_page
from app.core.urls import external_url
from app.dialogue import policy as dialogue_policy
from app.dialogue.models import (
    Message,
    Thread,
)
from app.dialogue.services.read_state import _new_to_person, _unread_condition, _with_read_state
from app.dialogue.services.threads import thread_path, thread_title
from app.extensions import db
from app.visits import policy as visits_policy
from app.visits.models import Finding, Visit


@dataclass
class ThreadSummary:
    thread: Thread
    message_count: int
    unread_count: int
    last_activity_at: datetime
    internal_count: int = 0

    @property
    def title(self) -> str:
        return thread_title(self.thread)

    @property
    def path(self) -> str:
        return thread_path(self.thread.visit_id, self.thread.finding_id)

    @property
    def link(self) -> str:
        """The conversation's absolute URL on PUBLIC_BASE_URL, for e-mails."""
        if self.thread.finding_id:
            return external_url("dialogue.finding_thread", finding_id=self.thread.finding_id)
        return external_url("dialogue.visit_thread", visit_id=self.thread.visit_id)


def _summary_query(actor: User) -> Select[Any]:
    """Per conversation: visible messages, how many are new to the actor, internal notes, the newest's time.
    Only what the actor may read counts, so an internal note never moves a conversation up a unit's list."""
    unread = func.sum(case((_unread_condition(actor), 1), else_=0)) if actor.id else func.sum(0)
    query = (
        select(
            Thread.id,
            func.count(Message.id),
            unread,
            func.max(Message.created_at),
            func.sum(case((Message.is_internal.is_(True), 1), else_=0)),
        )
        .select_from(Message)
        .join(Thread, Thread.id == Message.thread_id)
        .join(Visit, Visit.id == Thread.visit_id)
        .where(dialogue_policy.message_visibility(actor))
        .group_by(Thread.id)
    )
    return _with_read_state(query, actor)


def _summaries(rows: Sequence[Any]) -> list[ThreadSummary]:
    ids = [row[0] for row in rows]
    threads = {
        t.id: t
        for t in db.session.scalars(
            select(Thread)
            .where(Thread.id.in_(ids))
            # Each thread's visit and unit, finding and review area in the same statement (many-to-one joins:
            # no row is repeated), not one statement each (issue 17).
            .options(
                joinedload(Thread.visit).joinedload(Visit.unit),
                joinedload(Thread.finding).joinedload(Finding.review_area),
            )
        )
    }
    return [
        ThreadSummary(threads[row[0]], int(row[1]), int(row[2] or 0), row[3], int(row[4] or 0))
        for row in rows
        if row[0] in threads
    ]


def _note_activity(thread_id: uuid.UUID, message: Message) -> None:
    """Move the thread's last-activity times forward to a new message (one statement, never back)."""
    moment = message.created_at
    values: dict[str, Any] = {
        "last_message_at": case(
            (or_(Thread.last_message_at.is_(None), Thread.last_message_at < moment), moment),
            else_=Thread.last_message_at,
        )
    }
    if not message.is_internal:
        values["last_public_at"] = case(
            (or_(Thread.last_public_at.is_(None), Thread.last_public_at < moment), moment),
            else_=Thread.last_public_at,
        )
    db.session.execute(
        update(Thread).where(Thread.id == thread_id).values(**values).execution_options(synchronize_session=False)
    )


def _last_visible_activity(actor: User) -> tuple[Any, Any]:
    """The newest message the actor may read per thread, from the thread's own columns, and the condition that
    the thread has one: ``policy.message_visibility`` per thread (internal notes count for the supervising side
    only, so they never move a conversation up a unit's list)."""
    member_units = list(actor.unit_ids)
    if actor.is_staff:
        if not member_units:
            return Thread.last_message_at, Thread.last_message_at.is_not(None)
        key = case((Thread.unit_id.in_(member_units), Thread.last_public_at), else_=Thread.last_message_at)
        return key, key.is_not(None)
    return Thread.last_public_at, and_(
        Thread.unit_id.in_(member_units),
        Thread.last_public_at.is_not(None),
        or_(Thread.finding_id.is_(None), Visit.status.in_(visits_policy.OPEN_TO_UNIT)),
    )


def thread_list(
    actor: User,
    *,
    unread_only: bool = False,
    unit_ids: Iterable[uuid.UUID] | None = None,
    page: int = 1,
    per_page: int = 25,
) -> Page:
    """Conversations the actor may read, the newest activity first, a page of ``ThreadSummary`` at a time.

    The page is chosen first over the threads' last-activity columns (an index), and only its rows are
    aggregated: the cost does not grow with the number of conversations beyond counting them."""
    threads = _visible_threads(actor, select(Thread.id), unread_only=unread_only, unit_ids=unit_ids)
    if threads is None:
        return Page([], 1, per_page, 0)
    key, _visible = _last_visible_activity(actor)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    total = int(db.session.scalar(select(func.count()).select_from(threads.subquery())) or 0)
    page_ids = threads.order_by(key.desc(), Thread.id.desc()).limit(per_page).offset((page - 1) * per_page)
    return Page(_page_summaries(actor, list(db.session.scalars(page_ids))), page, per_page, total)


def unread_threads(actor: User, *, unit_ids: Iterable[uuid.UUID] | None = None, limit: int = 10) -> list[ThreadSummary]:
    """The ``limit`` conversations with the newest activity that have a message new to the actor (of
    ``unit_ids`` only, when given), as ``ThreadSummary``: ``thread_list(unread_only=True)``'s first page without
    counting every such conversation (the portal counts new messages per unit instead, ``unread_by_unit``)."""
    threads = _visible_threads(actor, select(Thread.id), unread_only=True, unit_ids=unit_ids)
    if threads is None:
        return []
    key, _visible = _last_visible_activity(actor)
    newest = threads.order_by(key.desc(), Thread.id.desc()).limit(max(1, min(limit, MAX_PER_PAGE)))
    return _page_summaries(actor, list(db.session.scalars(newest)))


def _visible_threads(
    actor: User, query: Select[Any], *, unread_only: bool, unit_ids: Iterable[uuid.UUID] | None
) -> Select[Any] | None:
    """``query`` (over ``Thread``) narrowed to the conversations the actor may read that have a message for them;
    the visit is joined only when the rule needs its status (a unit member's view). None: nothing to list."""
    _key, visible = _last_visible_activity(actor)
    if not actor.is_staff or unread_only:  # the visit's status: the unit's view and "new to the person"
        query = query.join(Visit, Visit.id == Thread.visit_id)
    query = query.where(visible)
    if unit_ids is not None:
        query = query.where(Thread.unit_id.in_(list(unit_ids)))
    if unread_only:
        if actor.id is None:
            return None
        new_here = select(Message.id).where(Message.thread_id == Thread.id, _new_to_person(actor.id)).exists()
        query = query.where(new_here)
    return query


def _page_summaries(actor: User, ids: Sequence[uuid.UUID]) -> list[ThreadSummary]:
    """The summaries of a page's threads (aggregated over those threads' messages only), in the page's order."""
    if not ids:
        return []
    rows = db.session.execute(_summary_query(actor).where(Thread.id.in_(list(ids)))).all()
    by_id = {s.thread.id: s for s in _summaries(rows)}
    return [by_id[i] for i in ids if i in by_id]


def thread_page(actor: User, args: Mapping[str, Any], *, unread_only: bool = False, per_page: int = 25) -> KeysetPage:
    """The conversation list of the UI (/messages): a ``KeysetPage`` of ``ThreadSummary``, the newest activity
    first, read after (``?after=``) or before (``?before=``) a conversation's key — (last visible activity, id)
    — so every page costs one index range scan and links stay put while new messages arrive (issue 17). No count:
    it would read every visible conversation. A bad cursor raises ``InvalidInput`` (422)."""
    key, _visible = _last_visible_activity(actor)
    threads = _visible_threads(actor, select(Thread), unread_only=unread_only, unit_ids=None)
    if threads is None:
        return KeysetPage(items=[], per_page=per_page)
    page = keyset_page(threads, args, [Key(key, descending=True), Key(Thread.id, descending=True)], per_page=per_page)
    page.items = _page_summaries(actor, [t.id for t in page.items])
    return page


def visit_summaries(actor: User, visit: Visit) -> dict[uuid.UUID | None, ThreadSummary]:
    """The conversations of one visit the actor may read, by finding id (None: the visit's own)."""
    rows = db.session.execute(_summary_query(actor).where(Thread.visit_id == visit.id)).all()
    return {s.thread.finding_id: s for s in _summaries(rows)}
