"""The reminder outbox (DESIGN.md 4.4): reminders that are never lost and never doubled.

1. **Written with the change.** When a follow-up becomes agreed (or its due date changes, or it is reopened),
   and when a visit goes out for comment, the reminders for the schedule points still ahead are inserted
   in the same transaction, one row per identity: (follow-up, kind, due date) or (visit, kind, deadline).
   A rollback leaves no row; a second planning of the same identity changes nothing (unique key).
2. **Swept.** Every minute a sweep claims what is due (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), applies
   the skip rules, leases each claimed row and enqueues one task per row *after its commit*. Only one
   sweep acts at a time: it first locks the single ``reminder_sweeps`` row (``FOR UPDATE SKIP LOCKED``; a
   second sweep finds it locked and does nothing). On SQLite the same statement takes the database's write
   lock, so sweeps there run one after the other.
3. **Handed to the e-mail outbox.** The task claims its row with a conditional update (so two tasks for one
   row act once), checks again that the reminder still applies, renders one e-mail per recipient with a
   ``Message-ID`` derived from the identity, and writes them to the one e-mail outbox (app.core.mail,
   DESIGN.md 4.9) in the same transaction that marks the reminder ``sent``. The outbox sends, retries and
   recovers them; a recipient the mail server refuses for good marks the reminder ``failed`` for
   coordinators (``record_refused``, called through ``mail.email_refused``).
4. **Recovered.** A row whose lease ran out (its worker died, its task was lost with Redis) is claimed again
   by the next sweep; the outbox recovers its own e-mails the same way. A worker killed between the mail
   server's "250 OK" and the commit that records it can cause one duplicate, with the same ``Message-ID``;
   nothing is ever lost.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.auth.models import User
from app.core import mail
from app.core.models import local_today, utcnow
from app.core.tasks import enqueue_after_commit
from app.core.urls import external_url
from app.extensions import db
from app.followups import schedule
from app.followups.models import (
    LEASED_STATUSES,
    FollowUp,
    FollowUpStatus,
    Reminder,
    ReminderStatus,
    ReminderStatusCount,
    ReminderSweep,
)
from app.units.models import Membership
from app.visits import policy as visits_policy
from app.visits.models import Response, Visit, VisitStatus

log = logging.getLogger(__name__)

SEND_TASK = "followups.send_reminder"
SWEEP_NAME = "reminders"
SOURCE = "reminder"  # the outbox rows' source: "reminder:<reminder id>:<person id>"


def _insert(model: Any) -> Any:
    dialect = db.session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(model)


def _rowcount(result: Any) -> int:
    """Rows an INSERT/UPDATE touched (a CursorResult's; typed loosely by SQLAlchemy's session.execute)."""
    return int(result.rowcount or 0)


def _lease() -> timedelta:
    return timedelta(seconds=float(current_app.config["REMINDER_LEASE_SECONDS"]))


# ---- planning, in the transaction of the change ----------------------------------------------------------


def _plan(points: list[schedule.Point], subject: dict[str, uuid.UUID], now: datetime) -> int:
    """Insert the rows of ``points`` still ahead of ``now``; an identity made obsolete earlier whose moment
    is still ahead is pending again (a reopened follow-up, a due date moved away and back). Sent, skipped
    and failed identities are never touched: each identity is sent at most once."""
    ((column_name, subject_id),) = subject.items()
    column = getattr(Reminder, column_name)
    created = 0
    for point in points:
        if point.send_after <= now:
            continue  # only the schedule points that are still in the future
        statement = (
            _insert(Reminder)
            .values(
                id=uuid.uuid4(),
                kind=point.kind,
                offset_days=point.offset_days,
                due_date=point.due_date,
                send_on=point.send_on,
                send_after=point.send_after,
                status=ReminderStatus.pending,
                attempts=0,
                delivered_to=[],
                failed_to=[],
                created_at=now,
                updated_at=now,
                **subject,
            )
            .on_conflict_do_nothing(index_elements=[column_name, "kind", "due_date"])
            .returning(Reminder.id)  # a row back only when it was inserted (rowcount is not reliable here)
        )
        if db.session.execute(statement).first() is not None:
            created += 1
            continue
        db.session.execute(
            update(Reminder)
            .where(
                column == subject_id,
                Reminder.kind == point.kind,
                Reminder.due_date == point.due_date,
                Reminder.status == ReminderStatus.obsolete,
            )
            .values(status=ReminderStatus.pending, detail=None, finished_at=None, lease_until=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    return created


def _make_obsolete(condition: Any, *, reason: str, now: datetime) -> int:
    """Unsent rows that no longer apply. Rows a send task holds right now (``sending``) are left to it: it
    checks again before sending, and a sweep checks a recovered one."""
    result = db.session.execute(
        update(Reminder)
        .where(condition, Reminder.status.in_([ReminderStatus.pending, ReminderStatus.queued]))
        .values(status=ReminderStatus.obsolete, detail=reason, lease_until=None, finished_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result)


def plan_follow_up(follow_up: FollowUp, *, now: datetime) -> int:
    """An agreed follow-up's reminders for its current due date (DESIGN.md 4.4)."""
    if follow_up.status != FollowUpStatus.agreed:
        return 0
    return _plan(schedule.follow_up_points(follow_up.due_date), {"follow_up_id": follow_up.id}, now)


def drop_follow_up(follow_up_id: uuid.UUID, *, reason: str, now: datetime, keep_due_date: date | None = None) -> int:
    """The unsent reminders of a follow-up that was reported done or cancelled, or whose due date changed
    (then ``keep_due_date`` is the new one, whose identities stay)."""
    condition = Reminder.follow_up_id == follow_up_id
    if keep_due_date is not None:
        condition = and_(condition, Reminder.due_date != keep_due_date)
    return _make_obsolete(condition, reason=reason, now=now)


def plan_comment_deadline(visit: Visit, *, now: datetime) -> int:
    """The reminder to the unit before the kommunicering deadline (DESIGN.md 4.1)."""
    if visit.status != VisitStatus.sent_for_comment or visit.comment_deadline is None:
        return 0
    return _plan([schedule.comment_deadline_point(visit.comment_deadline)], {"visit_id": visit.id}, now)


def drop_comment_deadline(visit_id: uuid.UUID, *, reason: str, now: datetime) -> int:
    return _make_obsolete(Reminder.visit_id == visit_id, reason=reason, now=now)


# ---- the sweep -------------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    ran: bool = True  # False: another sweep held the lock, this one did nothing
    claimed: int = 0  # send tasks enqueued (after the commit)
    recovered: int = 0  # of those, rows taken back after their lease ran out
    skipped: int = 0
    obsolete: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _lock_sweep(now: datetime) -> ReminderSweep | None:
    """The single sweep row, locked for this transaction; None when another sweep holds it.

    The lock is a row lock in the database that holds the outbox: released by commit or rollback, and by the
    server when a sweeper's connection dies, so nothing needs a time-to-live and no second store can disagree.
    """
    db.session.execute(
        _insert(ReminderSweep).values(name=SWEEP_NAME, summary={}).on_conflict_do_nothing(index_elements=["name"])
    )
    row = db.session.scalar(
        select(ReminderSweep)
        .where(ReminderSweep.name == SWEEP_NAME)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    if row is not None:
        row.started_at = now
    return row


def _follow_up_obstacle(follow_up: FollowUp | None, reminder: Reminder) -> str | None:
    """Why a follow-up's reminder no longer applies, or None."""
    if follow_up is None:
        return "the follow-up no longer exists"
    if follow_up.status != FollowUpStatus.agreed:
        return f"the follow-up is {follow_up.status.value}"
    if follow_up.due_date != reminder.due_date:
        return f"the due date changed to {follow_up.due_date.isoformat()}"
    return None


def _deadline_obstacle(visit: Visit | None, reminder: Reminder, responded: bool) -> str | None:
    if visit is None:
        return "the visit no longer exists"
    if visit.status != VisitStatus.sent_for_comment:
        return f"the visit is {visit.status.value}"
    if visit.comment_deadline != reminder.due_date:
        deadline = visit.comment_deadline.isoformat() if visit.comment_deadline else "none"
        return f"the deadline changed to {deadline}"
    if responded:
        return "the unit has responded"
    return None


def _latest_due_offsets(follow_up_ids: set[uuid.UUID], now: datetime) -> dict[tuple[uuid.UUID, date], int]:
    """Per (follow-up, due date): the latest schedule point whose time has come (sent or not)."""
    if not follow_up_ids:
        return {}
    rows = db.session.execute(
        select(Reminder.follow_up_id, Reminder.due_date, func.max(Reminder.offset_days))
        .where(
            Reminder.follow_up_id.in_(follow_up_ids),
            Reminder.send_after <= now,
            Reminder.status != ReminderStatus.obsolete,
        )
        .group_by(Reminder.follow_up_id, Reminder.due_date)
    ).all()
    return {(fid, due): offset for fid, due, offset in rows if fid is not None}


def _responded(visit_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    if not visit_ids:
        return set()
    return set(
        db.session.scalars(
            select(Response.visit_id)
            .join(Visit, Visit.id == Response.visit_id)
            .where(Response.visit_id.in_(visit_ids), visits_policy.current_response_of_joined_visit())
            .distinct()
        )
    )


def _close(reminder: Reminder, status: ReminderStatus, detail: str, now: datetime) -> None:
    reminder.status = status
    reminder.detail = detail
    reminder.lease_until = None
    reminder.finished_at = now


def sweep(*, now: datetime | None = None) -> SweepResult:
    """Claim what is due and what a dead worker left behind; enqueue one send task per claimed row once this
    transaction commits. The caller commits (the beat task, the CLI)."""
    now = now or utcnow()
    lock = _lock_sweep(now)
    if lock is None:
        return SweepResult(ran=False)
    batch = int(current_app.config["REMINDER_SWEEP_BATCH"])
    lease_until = now + _lease()
    stale = db.session.scalars(
        select(Reminder)
        .where(Reminder.status.in_(LEASED_STATUSES), Reminder.lease_until < now)
        .order_by(Reminder.send_after)
        .limit(batch)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).all()
    due = db.session.scalars(
        select(Reminder)
        .where(Reminder.status == ReminderStatus.pending, Reminder.send_after <= now)
        .order_by(Reminder.send_after)
        .limit(batch)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).all()
    result = SweepResult()
    rows = [*stale, *due]
    follow_up_ids = {r.follow_up_id for r in rows if r.follow_up_id}
    visit_ids = {r.visit_id for r in rows if r.visit_id}
    follow_ups = {f.id: f for f in db.session.scalars(select(FollowUp).where(FollowUp.id.in_(follow_up_ids)))}
    visits = {v.id: v for v in db.session.scalars(select(Visit).where(Visit.id.in_(visit_ids)))}
    latest = _latest_due_offsets(follow_up_ids, now)
    responded = _responded(visit_ids)
    for reminder in rows:
        if reminder.follow_up_id is not None:
            obstacle = _follow_up_obstacle(follow_ups.get(reminder.follow_up_id), reminder)
            later = latest.get((reminder.follow_up_id, reminder.due_date), reminder.offset_days)
            if obstacle is None and later > reminder.offset_days:
                _close(reminder, ReminderStatus.skipped, f"a later reminder ({later:+d} days) was due too", now)
                result.skipped += 1
                continue
        else:
            assert reminder.visit_id is not None
            obstacle = _deadline_obstacle(visits.get(reminder.visit_id), reminder, reminder.visit_id in responded)
        if obstacle is not None:
            _close(reminder, ReminderStatus.obsolete, obstacle, now)
            result.obsolete += 1
            continue
        if reminder.status in LEASED_STATUSES:
            result.recovered += 1
            log.warning("reminder %s: lease ran out while %s, sending it again", reminder.id, reminder.status.value)
        reminder.status = ReminderStatus.queued
        reminder.lease_until = lease_until
        reminder.updated_at = now
        enqueue_after_commit(SEND_TASK, str(reminder.id))
        result.claimed += 1
    lock.finished_at = utcnow()
    lock.summary = {k: v for k, v in result.as_dict().items() if k != "ran"}
    db.session.flush()
    return result


def last_sweep() -> ReminderSweep | None:
    return db.session.get(ReminderSweep, SWEEP_NAME)


def status_counts() -> dict[str, int]:
    """How many reminders have each status, ``{"pending": n, …, "failed": n}`` (every status, 0 when none): read
    from ``reminder_status_counts``, which database triggers keep in the same transaction as each insert, change
    of status and delete (migration 0024), so the cost is one small table whatever the number of reminders."""
    stored = dict(db.session.execute(select(ReminderStatusCount.status, ReminderStatusCount.total)).all())
    return {s.value: max(0, int(stored.get(s.value, 0))) for s in ReminderStatus}


def failed_count() -> int:
    """Reminders that need a coordinator (the start page says how many), from the per-status counters."""
    total = db.session.scalar(
        select(ReminderStatusCount.total).where(ReminderStatusCount.status == ReminderStatus.failed.value)
    )
    return max(0, int(total or 0))


# ---- sending, step by step (the send task commits after each) --------------------------------------------


@dataclass
class Outgoing:
    recipient_id: str
    email: mail.OutgoingEmail = field(repr=False)


def message_id(reminder: Reminder, recipient_id: str) -> str:
    """The same for every attempt at the same identity and recipient, so a duplicate is recognisable."""
    subject = f"follow_up:{reminder.follow_up_id}" if reminder.follow_up_id else f"visit:{reminder.visit_id}"
    identity = f"{subject}|{reminder.kind}|{reminder.due_date.isoformat()}|{recipient_id}"
    return mail.stable_message_id("reminder", identity)


def claim_for_sending(reminder_id: uuid.UUID, *, now: datetime | None = None) -> bool:
    """Take the row for this send task: only a queued row, or a leased one whose lease ran out. Two tasks
    for one row (a redelivered message, a sweep's re-enqueue) cannot both get it."""
    now = now or utcnow()
    result = db.session.execute(
        update(Reminder)
        .where(
            Reminder.id == reminder_id,
            or_(
                Reminder.status == ReminderStatus.queued,
                and_(Reminder.status.in_(LEASED_STATUSES), Reminder.lease_until < now),
            ),
        )
        .values(
            status=ReminderStatus.sending,
            lease_until=now + _lease(),
            attempts=Reminder.attempts + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def _reminder(reminder_id: uuid.UUID) -> Reminder:
    row = db.session.get(Reminder, reminder_id, populate_existing=True)
    assert row is not None
    return row


def _active(people: list[User | None]) -> list[User]:
    seen: set[uuid.UUID] = set()
    kept = []
    for person in people:
        if person is not None and person.is_active_account and person.id not in seen:
            seen.add(person.id)
            kept.append(person)
    return kept


def _follow_up_lead(follow_up: FollowUp) -> User | None:
    return follow_up.visit.lead if follow_up.visit is not None else follow_up.reviewer


def prepare(reminder_id: uuid.UUID, *, now: datetime | None = None) -> list[Outgoing]:
    """The e-mails still to send for a row this task has claimed, in each recipient's language; empty when
    the reminder no longer applies (the row is then closed as skipped or obsolete) or nobody is left."""
    now = now or utcnow()
    reminder = _reminder(reminder_id)
    recipients: list[User]
    if reminder.follow_up_id is not None:
        follow_up = db.session.get(FollowUp, reminder.follow_up_id)
        obstacle = _follow_up_obstacle(follow_up, reminder)
        if obstacle is None:
            later = _latest_due_offsets({reminder.follow_up_id}, now).get(
                (reminder.follow_up_id, reminder.due_date), reminder.offset_days
            )
            if later > reminder.offset_days:
                _close(reminder, ReminderStatus.skipped, f"a later reminder ({later:+d} days) was due too", now)
                db.session.flush()
                return []
        if obstacle is not None:
            _close(reminder, ReminderStatus.obsolete, obstacle, now)
            db.session.flush()
            return []
        assert follow_up is not None
        to_lead = schedule.copies_lead_reviewer(reminder.offset_days)
        recipients = _active([follow_up.owner, _follow_up_lead(follow_up) if to_lead else None])
        context: dict[str, Any] = {
            "follow_up": follow_up,
            # The case number people quote on the phone, and whom to ask (DESIGN.md 4.1; issue 14).
            "case_number": follow_up.visit.case_number if follow_up.visit is not None else None,
            "contact": _follow_up_lead(follow_up),
            "link": external_url("followups.show", follow_up_id=follow_up.id),
            # Worded by the day it is sent, not the day it was meant for: a late reminder says what is true.
            "days_left": (follow_up.due_date - local_today(now)).days,
        }
        template = "followups/reminder"
    else:
        assert reminder.visit_id is not None
        visit = db.session.get(Visit, reminder.visit_id)
        obstacle = _deadline_obstacle(visit, reminder, bool(_responded({reminder.visit_id})))
        if obstacle is not None:
            _close(reminder, ReminderStatus.obsolete, obstacle, now)
            db.session.flush()
            return []
        assert visit is not None
        recipients = _active(
            list(
                db.session.scalars(
                    select(User)
                    .join(Membership, Membership.user_id == User.id)
                    .where(Membership.unit_id == visit.unit_id)
                    .order_by(User.email)
                )
            )
        )
        context = {
            "visit": visit,
            "case_number": visit.case_number,
            "contact": visit.lead,
            "link": external_url("visits.respond", visit_id=visit.id),
        }
        template = "followups/comment_deadline"
    if not recipients:
        _close(reminder, ReminderStatus.obsolete, "nobody active to send it to", now)
        db.session.flush()
        return []
    done = set(reminder.delivered_to or []) | set(reminder.failed_to or [])
    outgoing = []
    lead = _follow_up_lead(context["follow_up"]) if "follow_up" in context else None
    for person in recipients:
        key = str(person.id)
        if key in done:
            continue
        email = mail.render_email(
            template,
            to=person.email,
            language=person.language,
            person=person,
            reminder=reminder,
            as_lead_reviewer=lead is not None and person.id == lead.id,
            **context,
        )
        email.message_id = message_id(reminder, key)
        outgoing.append(Outgoing(key, email))
    if not outgoing:
        finish(reminder_id, now=now)
    return outgoing


def hand_to_outbox(reminder_id: uuid.UUID, outgoing: list[Outgoing], *, now: datetime | None = None) -> Reminder:
    """Write each prepared e-mail to the e-mail outbox (sent after this transaction commits) and mark the
    reminder ``sent``: from here on the outbox sends, retries and recovers them (DESIGN.md 4.9)."""
    now = now or utcnow()
    reminder = _reminder(reminder_id)
    for item in outgoing:
        mail.queue(item.email, source=f"{SOURCE}:{reminder_id}:{item.recipient_id}", now=now)
        reminder.delivered_to = [*(reminder.delivered_to or []), item.recipient_id]
    reminder.updated_at = now
    db.session.flush()
    return finish(reminder_id, now=now)


def record_refused(reminder_id: uuid.UUID, recipient_id: str, error: str, *, now: datetime | None = None) -> None:
    """The mail server refused this recipient's e-mail for good (5xx, or the outbox gave up): the reminder is
    ``failed`` for coordinators, and a retry (``retry_failed``) prepares this recipient's e-mail again."""
    now = now or utcnow()
    reminder = _reminder(reminder_id)
    reminder.delivered_to = [r for r in (reminder.delivered_to or []) if r != recipient_id]
    reminder.failed_to = [*(reminder.failed_to or []), recipient_id]
    reminder.detail = f"refused for {recipient_id}: {error}"[:2000]
    reminder.updated_at = now
    db.session.flush()
    if reminder.status == ReminderStatus.sent:
        finish(reminder_id, now=now)


def on_email_refused(source: str, *, error: str, **_kwargs: Any) -> None:
    """``mail.email_refused`` receiver: a reminder's e-mail failed for good (its source names it)."""
    kind, _, rest = source.partition(":")
    if kind != SOURCE:
        return
    reminder_id, _, recipient_id = rest.partition(":")
    if db.session.get(Reminder, uuid.UUID(reminder_id)) is not None:
        record_refused(uuid.UUID(reminder_id), recipient_id, error)


def finish(reminder_id: uuid.UUID, *, now: datetime | None = None) -> Reminder:
    """Every recipient had their attempt: ``sent``, or ``failed`` when the server refused someone for good."""
    now = now or utcnow()
    reminder = _reminder(reminder_id)
    if reminder.failed_to:
        _close(reminder, ReminderStatus.failed, reminder.detail or "refused by the mail server", now)
    else:
        _close(reminder, ReminderStatus.sent, "", now)
        reminder.detail = None
    db.session.flush()
    return reminder


def retry_failed(reminder_id: uuid.UUID, *, now: datetime | None = None) -> Reminder:
    """A coordinator sends a failed reminder again (after fixing an address): the next sweep takes it;
    whoever already received it is not sent it twice."""
    now = now or utcnow()
    reminder = _reminder(reminder_id)
    if reminder.status == ReminderStatus.failed:
        reminder.status = ReminderStatus.pending
        reminder.failed_to = []
        reminder.attempts = 0
        reminder.detail = None
        reminder.finished_at = None
        reminder.lease_until = None
        reminder.updated_at = now
        db.session.flush()
    return reminder
