"""The rules of DESIGN.md 4.2 and 4.6 for conversations: who may read and write where, internal notes, read
state, and the batched e-mails about new messages. Module-level functions with an explicit actor; they flush,
never commit.

Who takes part (decided here, documented in the README text of the issue):
- Every visit has one conversation, open to the unit's members from the moment the visit is planned: the unit
  sees the date and the team then (4.1), and practicalities of the planned visit (who to meet, access, documents
  to prepare) belong in it. A finding's conversation opens to the unit with the finding itself, at kommunicering;
  until then it holds only the team's internal notes.
- The unit's members, the review team and coordinators write; other reviewers read along. A member of the unit
  always takes part as the unit, whatever other roles they hold (jäv), and never sees internal notes.
- A closed case's conversations stay readable but take no new messages.
- A new message notifies the other party (the team for the unit's messages, the unit's members for the team's);
  an internal note notifies the rest of the review team. Never the author.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Select, and_, case, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.auth.models import Role, User, UserRole
from app.core import client_ids, files, mail
from app.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from app.core.models import local_zone, utcnow
from app.core.pagination import MAX_PER_PAGE, Page
from app.core.tasks import enqueue_after_commit
from app.core.urls import external_url
from app.dialogue import policy as dialogue_policy
from app.dialogue.models import (
    Attachment,
    BatchStatus,
    Message,
    NotificationBatch,
    NotificationMode,
    NotificationSetting,
    PendingNotification,
    Side,
    Thread,
    ThreadRead,
    UnreadCount,
)
from app.extensions import db
from app.units.models import Membership
from app.visits import policy as visits_policy
from app.visits.models import Finding, TeamMember, Visit, VisitStatus

MAX_TEXT_LENGTH = 10000
# A sending task holds its batch this long; a worker that dies mid-send leaves it to the next flush after it.
BATCH_CLAIM = timedelta(minutes=10)
# A batch still unsent this long after it was made is enqueued again by the flush (a lost enqueue).
BATCH_RESEND_AFTER = timedelta(minutes=5)
MAX_BATCH_ATTEMPTS = 10


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


# ---- the subject of a conversation -----------------------------------------------------------------


def subject(
    actor: User, *, visit_id: uuid.UUID | None = None, finding_id: uuid.UUID | None = None
) -> tuple[Visit, Finding | None]:
    """The visit (and finding) whose conversation the actor opens; 404 for what they may not know of."""
    if finding_id is not None:
        finding = visits_policy.get_finding(actor, finding_id)
        return finding.visit, finding
    if visit_id is None:
        raise NotFound(_("The conversation does not exist or you may not see it."))
    return visits_policy.get_visit(actor, visit_id), None


def find_thread(visit_id: uuid.UUID, finding_id: uuid.UUID | None) -> Thread | None:
    return db.session.scalar(select(Thread).where(Thread.key == Thread.key_for(visit_id, finding_id)))


def _thread_for_writing(visit: Visit, finding: Finding | None) -> Thread:
    """The conversation, made with its first message. Two first messages at once: one insert wins, the other
    finds its thread (the unique key), so a conversation is never split in two."""
    existing = find_thread(visit.id, finding.id if finding else None)
    if existing is not None:
        return existing
    thread = Thread(
        id=uuid.uuid4(),
        key=Thread.key_for(visit.id, finding.id if finding else None),
        unit_id=visit.unit_id,
        visit=visit,
        finding=finding,
    )
    try:
        with db.session.begin_nested():
            db.session.add(thread)
    except IntegrityError:
        winner = find_thread(visit.id, finding.id if finding else None)
        if winner is None:
            raise
        return winner
    return thread


def thread_title(thread_or_visit: Thread | Visit, finding: Finding | None = None) -> str:
    """A conversation's title: the case and the unit, and for a finding its review area (never its text)."""
    if isinstance(thread_or_visit, Thread):
        visit, finding = thread_or_visit.visit, thread_or_visit.finding
    else:
        visit = thread_or_visit
    if finding is None:
        return _("%(case)s %(unit)s: the visit", case=visit.case_number, unit=visit.unit.name)
    if finding.review_area is not None:
        return _(
            "%(case)s %(unit)s: a finding under “%(area)s”",
            case=visit.case_number,
            unit=visit.unit.name,
            area=finding.review_area.title,
        )
    return _("%(case)s %(unit)s: a finding", case=visit.case_number, unit=visit.unit.name)


def thread_path(visit_id: uuid.UUID, finding_id: uuid.UUID | None) -> str:
    return f"/findings/{finding_id}/messages" if finding_id else f"/visits/{visit_id}/messages"


# ---- who may write ---------------------------------------------------------------------------------


def writer_side(actor: User, visit: Visit) -> Side:
    """The capacity the actor writes in, or 403 for a reviewer who is not on the team."""
    if dialogue_policy.writes_for_unit(actor, visit):
        return Side.unit
    if dialogue_policy.can_write_in_dialogue(actor, visit):
        return Side.supervisor
    raise Forbidden(_("Only the review team, coordinators and the unit's members can write in this conversation."))


@dataclass(frozen=True)
class WritePermission:
    may_write: bool
    may_write_internal: bool
    # A finding's conversation before kommunicering: the unit may not see the finding yet.
    internal_only: bool
    reason: str = ""


def write_permission(actor: User, visit: Visit, finding: Finding | None) -> WritePermission:
    """What the page offers: the same rules ``post_message`` enforces."""
    if visit.status == VisitStatus.closed:
        return WritePermission(
            False, False, False, _("The case is closed. Its conversations can be read, not continued.")
        )
    if not dialogue_policy.can_write_in_dialogue(actor, visit):
        return WritePermission(
            False,
            False,
            False,
            _("You can read this conversation. The review team, coordinators and the unit's members write in it."),
        )
    internal_only = finding is not None and not visit.is_open_to_unit
    return WritePermission(True, dialogue_policy.can_write_internal(actor, visit), internal_only)


def post_message(
    *,
    actor: User,
    visit_id: uuid.UUID | None = None,
    finding_id: uuid.UUID | None = None,
    text: str,
    internal: bool = False,
    uploads: Sequence[Upload] = (),
    message_id: uuid.UUID | None = None,
) -> Message:
    """Write a message (or an internal note) with attachments, in the visit's or a finding's conversation."""
    visit, finding = subject(actor, visit_id=visit_id, finding_id=finding_id)
    thread_key = Thread.key_for(visit.id, finding.id if finding else None)

    def is_replay(message: Message) -> bool:
        return message.author_id == actor.id and message.thread.key == thread_key

    if (existing := client_ids.replayed(Message, message_id, is_replay=is_replay)) is not None:
        return existing  # a repeated create with the client's id (API.md)
    side = writer_side(actor, visit)
    if visit.status == VisitStatus.closed:
        raise DomainError(_("The case is closed. Its conversations can be read, not continued."))
    if internal and side == Side.unit:
        raise Forbidden(_("Internal notes are for the review team and coordinators."))
    if finding is not None and not internal and not visit.is_open_to_unit:
        raise DomainError(
            _(
                "The unit sees this finding only once the report is sent for comment. "
                "Until then, write an internal note for the team."
            ),
            field="internal",
        )
    errors: dict[str, list[str]] = {}
    text = (text or "").strip()
    if not text and not uploads:
        errors["text"] = [_("Write a message or attach a file.")]
    elif len(text) > MAX_TEXT_LENGTH:
        errors["text"] = [_("The text may be at most %(n)d characters long.", n=MAX_TEXT_LENGTH)]
    limit = int(current_app.config["MAX_FILES_PER_UPLOAD"])
    checked: list[files.CheckedUpload] = []
    if len(uploads) > limit:
        errors["files"] = [_("Attach at most %(n)d files to one message.", n=limit)]
    else:
        for upload in uploads:  # every file is checked before any is written: all are stored, or none
            try:
                checked.append(files.check_upload(upload.filename, upload.data))
            except InvalidInput as exc:
                errors.setdefault("files", []).extend(exc.errors.get("file", [exc.message]))
    if errors:
        raise InvalidInput(errors)

    thread = _thread_for_writing(visit, finding)
    message = Message(
        id=message_id or uuid.uuid4(),
        thread=thread,
        author_id=actor.id,
        author_side=side,
        text=text,
        is_internal=bool(internal),
        created_at=utcnow(),
    )
    for position, item in enumerate(checked):
        stored = files.write_upload(item)
        message.attachments.append(
            Attachment(
                id=uuid.uuid4(),
                position=position,
                **stored.columns(),
            )
        )
    db.session.add(message)
    db.session.flush()
    _note_activity(thread.id, message)
    _count_message(message.id, 1)
    if actor.id is not None:  # what one writes in, one has read
        _advance_read(thread.id, actor, message.created_at)
        _withdraw_read_notifications(actor.id, thread.id, message.created_at)
    _queue_notifications(message, visit, side, actor)
    return message


# ---- reading ---------------------------------------------------------------------------------------


def visible_messages(actor: User) -> Select[Any]:
    """Messages the actor may read, joined with their thread and visit (the access policy's one condition)."""
    return (
        select(Message)
        .join(Thread, Thread.id == Message.thread_id)
        .join(Visit, Visit.id == Thread.visit_id)
        .where(dialogue_policy.message_visibility(actor))
    )


def get_attachment(actor: User, attachment_id: uuid.UUID) -> Attachment:
    """An attachment of a message the actor may read; anything else is a 404 (an internal note's files too)."""
    item = db.session.scalar(
        select(Attachment)
        .join(Message, Message.id == Attachment.message_id)
        .where(Attachment.id == attachment_id, Message.id.in_(visible_messages(actor).with_only_columns(Message.id)))
    )
    if item is None:
        raise NotFound(_("The file does not exist or you may not see it."))
    return item


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
            .options(
                selectinload(Thread.visit).selectinload(Visit.unit),
                selectinload(Thread.finding).selectinload(Finding.review_area),
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
    key, visible = _last_visible_activity(actor)
    threads = select(Thread.id).join(Visit, Visit.id == Thread.visit_id).where(visible)
    if unit_ids is not None:
        threads = threads.where(Thread.unit_id.in_(list(unit_ids)))
    if unread_only:
        if actor.id is None:
            return Page([], 1, per_page, 0)
        new_here = select(Message.id).where(Message.thread_id == Thread.id, _new_to_person(actor.id)).exists()
        threads = threads.where(new_here)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    total = int(db.session.scalar(select(func.count()).select_from(threads.subquery())) or 0)
    page_ids = threads.order_by(key.desc(), Thread.id).limit(per_page).offset((page - 1) * per_page)
    rows = db.session.execute(
        _summary_query(actor)
        .where(Thread.id.in_(page_ids.scalar_subquery()))
        .order_by(func.max(Message.created_at).desc(), Thread.id)
    ).all()
    return Page(_summaries(rows), page, per_page, total)


def visit_summaries(actor: User, visit: Visit) -> dict[uuid.UUID | None, ThreadSummary]:
    """The conversations of one visit the actor may read, by finding id (None: the visit's own)."""
    rows = db.session.execute(_summary_query(actor).where(Thread.visit_id == visit.id)).all()
    return {s.thread.finding_id: s for s in _summaries(rows)}


# ---- notification preferences ------------------------------------------------------------------------


def notification_mode(user_id: uuid.UUID) -> NotificationMode:
    mode = db.session.scalar(select(NotificationSetting.mode).where(NotificationSetting.user_id == user_id))
    return mode or NotificationMode.immediate


def set_notification_mode(*, actor: User, mode: NotificationMode | str) -> NotificationSetting:
    """A person's own choice for e-mails about new messages (reminders of follow-ups are not affected)."""
    try:
        chosen = NotificationMode(mode)
    except ValueError:
        raise InvalidInput({"mode": [_("Choose one of the listed options.")]}) from None
    if actor.id is None:
        raise Forbidden(_("Your role does not allow this."))
    setting = db.session.scalar(select(NotificationSetting).where(NotificationSetting.user_id == actor.id))
    if setting is None:
        setting = NotificationSetting(id=uuid.uuid4(), user_id=actor.id, mode=chosen)
        db.session.add(setting)
    else:
        setting.mode = chosen
    db.session.flush()
    if chosen == NotificationMode.off:  # nothing waiting is sent any more
        db.session.execute(
            delete(PendingNotification)
            .where(PendingNotification.recipient_id == actor.id, PendingNotification.batch_id.is_(None))
            .execution_options(synchronize_session=False)
        )
    return setting


# ---- notifications: who is told, and the waiting list ------------------------------------------------


def _active_unit_members(unit_id: uuid.UUID) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.unit_id == unit_id, User.is_active_account.is_(True))
        )
    )


def _active_team(visit: Visit) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(TeamMember, TeamMember.user_id == User.id)
            .where(TeamMember.visit_id == visit.id, User.is_active_account.is_(True))
            .options(selectinload(User.memberships))
        )
    )


def recipients(message: Message, visit: Visit, side: Side, author_id: uuid.UUID | None) -> list[User]:
    """Who is told about a new message: the other party; for an internal note, the rest of the team."""
    if message.is_internal:
        people = [p for p in _active_team(visit) if dialogue_policy.sees_internal_notes(p, visit.unit_id)]
    elif side == Side.unit:
        people = _active_team(visit)
    else:
        people = _active_unit_members(visit.unit_id)
    return [p for p in people if p.id != author_id]


def _queue_notifications(message: Message, visit: Visit, side: Side, actor: User) -> None:
    people = recipients(message, visit, side, actor.id)
    if not people:
        return
    modes = dict(
        db.session.execute(
            select(NotificationSetting.user_id, NotificationSetting.mode).where(
                NotificationSetting.user_id.in_([p.id for p in people])
            )
        ).all()
    )
    for person in people:
        if modes.get(person.id, NotificationMode.immediate) == NotificationMode.off:
            continue
        db.session.add(
            PendingNotification(id=uuid.uuid4(), recipient_id=person.id, message=message, created_at=message.created_at)
        )
    db.session.flush()


# ---- notifications: batching (the periodic flush) ----------------------------------------------------


def _window() -> timedelta:
    return timedelta(minutes=int(current_app.config["DIALOGUE_NOTIFICATION_WINDOW_MINUTES"]))


def latest_digest_moment(now: datetime) -> datetime:
    """The most recent daily digest time at or before ``now`` (the configured hour, Europe/Stockholm), in UTC."""
    local = now.astimezone(local_zone())
    hour = int(current_app.config["DIALOGUE_DIGEST_HOUR"])
    moment = datetime.combine(local.date(), time(hour), tzinfo=local_zone())
    if moment > local:
        moment = datetime.combine(local.date() - timedelta(days=1), time(hour), tzinfo=local_zone())
    return moment.astimezone(now.tzinfo)


@dataclass
class Due:
    recipient_id: uuid.UUID
    is_digest: bool
    # The person's previous e-mail must be at or before this moment (the window, or the digest time).
    previous_not_after: datetime


def due_recipients(*, now: datetime | None = None) -> list[Due]:
    """People whose e-mail about new messages is due now.

    Batched (the default): WINDOW minutes after the first new thing since their last e-mail, so everything within
    one window goes in one e-mail and two e-mails are at least a window apart. Daily: at the digest hour."""
    now = now or utcnow()
    window = _window()
    waiting = db.session.execute(
        select(PendingNotification.recipient_id, func.min(PendingNotification.created_at))
        .where(PendingNotification.batch_id.is_(None))
        .group_by(PendingNotification.recipient_id)
    ).all()
    if not waiting:
        return []
    settings = {
        s.user_id: s
        for s in db.session.scalars(
            select(NotificationSetting).where(NotificationSetting.user_id.in_([r[0] for r in waiting]))
        )
    }
    digest_moment = latest_digest_moment(now)
    due: list[Due] = []
    for recipient_id, oldest in waiting:
        setting = settings.get(recipient_id)
        mode = setting.mode if setting else NotificationMode.immediate
        last = setting.last_sent_at if setting else None
        if mode == NotificationMode.off:
            continue
        if mode == NotificationMode.daily:
            # What came before the latest digest time goes in that digest (late, after downtime, if need be);
            # what came after waits for the next.
            if oldest <= digest_moment and (last is None or last < digest_moment):
                due.append(Due(recipient_id, True, digest_moment - timedelta(microseconds=1)))
        elif oldest <= now - window and (last is None or last <= now - window):
            due.append(Due(recipient_id, False, now - window))
    return due


def _claim_window(recipient_id: uuid.UUID, now: datetime, previous_not_after: datetime) -> bool:
    """Take the person's window with one conditional update: of two workers, only one makes the batch."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(
        insert(NotificationSetting)
        .values(id=uuid.uuid4(), user_id=recipient_id, mode=NotificationMode.immediate, updated_at=now)
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    claimed = db.session.execute(
        update(NotificationSetting)
        .where(
            NotificationSetting.user_id == recipient_id,
            or_(NotificationSetting.last_sent_at.is_(None), NotificationSetting.last_sent_at <= previous_not_after),
        )
        .values(last_sent_at=now)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1  # type: ignore[attr-defined]


def make_batch(due: Due, *, now: datetime | None = None) -> NotificationBatch | None:
    """One person's waiting items become one batch (an outbox row), sent by its own task after the commit."""
    now = now or utcnow()
    if not _claim_window(due.recipient_id, now, due.previous_not_after):
        return None
    batch = NotificationBatch(id=uuid.uuid4(), recipient_id=due.recipient_id, is_digest=due.is_digest, created_at=now)
    db.session.add(batch)
    db.session.flush()
    taken = db.session.execute(
        update(PendingNotification)
        .where(
            PendingNotification.recipient_id == due.recipient_id,
            PendingNotification.batch_id.is_(None),
            PendingNotification.created_at <= now,
        )
        .values(batch_id=batch.id)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount == 0:  # type: ignore[attr-defined]
        batch.status = BatchStatus.skipped
        db.session.flush()
        return None
    enqueue_after_commit("dialogue.send_batch", str(batch.id))
    return batch


def batches_to_resend(*, now: datetime | None = None) -> list[uuid.UUID]:
    """Batches whose sending was lost (an enqueue that never arrived, a worker killed mid-send): send again."""
    now = now or utcnow()
    ids = list(
        db.session.scalars(
            select(NotificationBatch.id).where(
                NotificationBatch.status == BatchStatus.pending,
                NotificationBatch.created_at <= now - BATCH_RESEND_AFTER,
                NotificationBatch.attempts < MAX_BATCH_ATTEMPTS,
                or_(NotificationBatch.claimed_until.is_(None), NotificationBatch.claimed_until < now),
            )
        )
    )
    for batch_id in ids:
        enqueue_after_commit("dialogue.send_batch", str(batch_id))
    return ids


# ---- notifications: sending one batch ----------------------------------------------------------------


def claim_batch(batch_id: uuid.UUID, *, now: datetime | None = None) -> bool:
    """Hold a pending batch for sending (conditional update); False if it is sent, held, or given up."""
    now = now or utcnow()
    claimed = db.session.execute(
        update(NotificationBatch)
        .where(
            NotificationBatch.id == batch_id,
            NotificationBatch.status == BatchStatus.pending,
            or_(NotificationBatch.claimed_until.is_(None), NotificationBatch.claimed_until < now),
        )
        .values(claimed_until=now + BATCH_CLAIM, attempts=NotificationBatch.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1  # type: ignore[attr-defined]


def finish_batch(batch_id: uuid.UUID, *, sent: bool, now: datetime | None = None) -> None:
    db.session.execute(
        update(NotificationBatch)
        .where(NotificationBatch.id == batch_id)
        .values(
            status=BatchStatus.sent if sent else BatchStatus.skipped,
            sent_at=(now or utcnow()) if sent else None,
            claimed_until=None,
        )
        .execution_options(synchronize_session=False)
    )


@dataclass
class NewsLine:
    title: str
    link: str
    messages: int
    internal_notes: int


def batch_news(batch: NotificationBatch, recipient: User) -> list[NewsLine]:
    """What the e-mail lists: per conversation, how many messages are new, among those the recipient may read
    *now* and has not read yet. Counts, titles and links only: never a message's or a finding's text."""
    rows = db.session.execute(
        _summary_query(recipient)
        .join(PendingNotification, PendingNotification.message_id == Message.id)
        .where(PendingNotification.batch_id == batch.id, _unread_condition(recipient))
        .order_by(func.max(Message.created_at).desc())
    ).all()
    return [NewsLine(s.title, s.link, s.message_count - s.internal_count, s.internal_count) for s in _summaries(rows)]


def batch_email(batch_id: uuid.UUID) -> mail.OutgoingEmail | None:
    """The e-mail of a batch in the recipient's language, or None when nothing is left to tell."""
    batch = db.session.get(NotificationBatch, batch_id)
    if batch is None:
        return None
    recipient = batch.recipient
    if not recipient.is_active_account:
        return None
    config = current_app.config
    with force_locale(
        recipient.language if recipient.language in config["LANGUAGES"] else config["BABEL_DEFAULT_LOCALE"]
    ):
        news = batch_news(batch, recipient)  # the titles in the recipient's language
    if not news:
        return None
    outgoing = mail.render_email(
        "dialogue/new_messages",
        to=recipient.email,
        language=recipient.language,
        person=recipient,
        news=news,
        is_digest=batch.is_digest,
        window_minutes=int(current_app.config["DIALOGUE_NOTIFICATION_WINDOW_MINUTES"]),
        messages_link=external_url("dialogue.index"),
        settings_link=external_url("auth.profile", _anchor="notifications"),
    )
    # One identity per batch: a resend after a lost acknowledgement is recognisable as the same e-mail.
    outgoing.message_id = mail.stable_message_id("dialogue", f"batch:{batch.id}")
    return outgoing


# ---- a finding removed while the visit is still being recorded ---------------------------------------


def _drop_conversations_of_removed_findings(session: Any, flush_context: Any, instances: Any) -> None:
    """A finding removed during recording takes its conversation along (its internal notes, their files), in the
    same flush, through the ORM: the audit trail records each note's removal and the files go after the commit.
    (SQLite does not enforce the foreign keys' ON DELETE, so this cannot be left to the database.)"""
    finding_ids = [obj.id for obj in session.deleted if isinstance(obj, Finding)]
    if not finding_ids:
        return
    threads = list(session.scalars(select(Thread).where(Thread.finding_id.in_(finding_ids))))
    if not threads:
        return
    thread_ids = [t.id for t in threads]
    messages = list(
        session.scalars(
            select(Message).where(Message.thread_id.in_(thread_ids)).options(selectinload(Message.attachments))
        )
    )
    message_ids = [m.id for m in messages]
    if message_ids:
        session.execute(delete(PendingNotification).where(PendingNotification.message_id.in_(message_ids)))
    session.execute(delete(ThreadRead).where(ThreadRead.thread_id.in_(thread_ids)))
    for message in messages:
        _count_message(message.id, -1)
        for item in message.attachments:
            files.remove_files_after_commit(item)
        session.delete(message)
    for thread in threads:
        session.delete(thread)


def install() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "after_flush", _recount_after_flush):
        event.listen(Session, "after_flush", _recount_after_flush)
    if not event.contains(Session, "before_flush", _drop_conversations_of_removed_findings):
        event.listen(Session, "before_flush", _drop_conversations_of_removed_findings)
