"""Kept follow-up counts per person (issue 17): what a start page shows (``services.summary``) and the total of a
person's default follow-ups list, read from a few small rows instead of counted over every open follow-up.

``FollowUpCount`` holds, per person, how many open follow-ups they count in each bucket (the status; for a
proposal, which sides have not accepted it yet) and due date. "A person counts a follow-up" is the start page's
rule (``counted_by``, the SQL form of ``policy.visible_follow_ups`` and, for a reviewer who is no coordinator, the
"mine" filter of ``services._filtered``), written for any person at once so that a change is counted set-wise.
Overdue is not stored: it is the agreed rows whose due date is before the reader's today, so the next day needs
no recount.

The counts are kept by session hooks, in the same transaction as the change, whoever writes it (web, API, /sync,
tasks, CLI):

* a follow-up that changes (status, acceptance, due date, visit, reviewer) or is removed, and every open
  follow-up of a visit whose team, status or unit changes: before the flush its part is taken off every person
  who counts it (as the database still has it), after the flush the new part is added (as the database now has
  it) — exact, O(those follow-ups × the people who may count them), one statement each way;
* a new follow-up: its part is added after the flush;
* a person who is new, or whose roles or unit memberships change: their rows are counted afresh.

On PostgreSQL the writers take one transaction-level advisory lock before touching the counts, so two changes at
once never update the same rows in different orders (no deadlock) and each adds to what the other committed.

Writes that bypass the ORM session (bulk SQL, a restore) leave the counts behind: run ``recount()`` (``flask
followups recount``) afterwards. A person without the ``known`` row (everyone right after the migration that
added the table, until that command runs) is counted directly, as before.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Date, and_, case, delete, func, inspect, literal, or_, select, text, true, union
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from app.auth.models import Role, User, UserRole
from app.core.models import local_today
from app.extensions import db
from app.followups.models import FollowUp, FollowUpCount, FollowUpStatus
from app.units.models import Membership
from app.visits import policy as visits_policy
from app.visits.models import TeamMember, Visit

# The buckets: a proposal by the sides that have not accepted it yet ("s": the supervising body, "u": the unit).
WAITING_FOR_SUPERVISOR = ("proposed:s", "proposed:su")
WAITING_FOR_UNIT = ("proposed:u", "proposed:su")
AGREED = "agreed"
DONE_REPORTED = "done_reported"
BUCKETS = ("proposed:", "proposed:s", "proposed:u", "proposed:su", AGREED, DONE_REPORTED)
KNOWN = "known"  # the person's counts are complete; its due_date: the day they were counted afresh
UNDATED = date(2000, 1, 1)  # the due date kept for every bucket but agreed (no count needs theirs)

OPEN_STATUSES = (FollowUpStatus.proposed, FollowUpStatus.agreed, FollowUpStatus.done_reported)
STAFF_ROLES = (Role.coordinator, Role.reviewer)
# What of a follow-up decides who counts it and in which bucket.
_FOLLOW_UP_FIELDS = (
    "status",
    "supervisor_accepted_at",
    "unit_accepted_at",
    "due_date",
    "reviewer_id",
    "visit_id",
    "unit_id",
    "reviewer",
    "visit",
    "unit",
)
_VISIT_FIELDS = ("status", "unit_id", "unit", "team")
_PERSON_FIELDS = ("role_rows", "memberships")
_LOCK_KEY = 0x46_55_43_4E  # "FUCN": the advisory lock of the kept counts (PostgreSQL)
_SUBTRACTED = "followup_counts_subtracted"
_HANDLED_VISITS = "followup_counts_visits"


# ---- who counts what, for any person at once -----------------------------------------------------------------


def _has_role(person: Any, *roles: Role) -> Any:
    return select(UserRole.user_id).where(UserRole.user_id == person, UserRole.role.in_(roles)).exists()


def counted_by(person: Any) -> Any:
    """SQL: the follow-up (``FollowUp`` in the enclosing query) is one that the person ``person`` (a column or
    value) counts on their start page: they may see it (``policy.visible_follow_ups``: a unit member the follow-ups
    of their units, except those of a visit the unit may not see yet; staff every one, except those of their own
    unit's such visits — jäv), and for a reviewer who is no coordinator it is theirs (``services._filtered``'s
    "mine": on the visit's team, responsible for it, or nobody's yet). Tests hold it equal to the per-person query."""
    staff = _has_role(person, *STAFF_ROLES)
    member = select(Membership.id).where(Membership.user_id == person, Membership.unit_id == FollowUp.unit_id).exists()
    visit, own = aliased(Visit), aliased(Membership)
    unit_sees = or_(  # one level deep, so that it correlates with the person's and the follow-up's query
        FollowUp.visit_id.is_(None),
        select(visit.id)
        .join(own, own.unit_id == visit.unit_id)
        .where(visit.id == FollowUp.visit_id, visit.status.in_(visits_policy.OPEN_TO_UNIT), own.user_id == person)
        .exists(),
    )
    visible = or_(and_(~staff, member, unit_sees), and_(staff, or_(~member, unit_sees)))
    on_team = select(TeamMember.id).where(TeamMember.visit_id == FollowUp.visit_id, TeamMember.user_id == person)
    mine = or_(
        ~_has_role(person, Role.reviewer),
        _has_role(person, Role.coordinator),
        FollowUp.reviewer_id == person,
        on_team.exists(),
        and_(FollowUp.visit_id.is_(None), FollowUp.reviewer_id.is_(None)),
    )
    return and_(visible, mine)


def _bucket() -> Any:
    waiting = case(
        (FollowUp.supervisor_accepted_at.is_(None) & FollowUp.unit_accepted_at.is_(None), "su"),
        (FollowUp.supervisor_accepted_at.is_(None), "s"),
        (FollowUp.unit_accepted_at.is_(None), "u"),
        else_="",
    )
    return case((FollowUp.status == FollowUpStatus.proposed, literal("proposed:") + waiting), else_=FollowUp.status)


def _parts(*, follow_up_ids: Iterable[uuid.UUID] | None = None, person_ids: Iterable[uuid.UUID] | None = None) -> Any:
    """(user_id, bucket, due_date, n): how many of the open follow-ups (only these ids, if given) each person (only
    these, if given) counts per bucket and due date. The people tried are the staff and the members of each
    follow-up's unit (nobody else counts one); the rule is ``counted_by``."""
    staff = (
        select(UserRole.user_id.label("user_id"), FollowUp.id.label("follow_up_id"))
        .join(FollowUp, true())  # every staff member may count every follow-up
        .where(UserRole.role.in_(STAFF_ROLES), FollowUp.status.in_(OPEN_STATUSES))
    )
    members = (
        select(Membership.user_id.label("user_id"), FollowUp.id.label("follow_up_id"))
        .join(FollowUp, FollowUp.unit_id == Membership.unit_id)
        .where(FollowUp.status.in_(OPEN_STATUSES))
    )
    if follow_up_ids is not None:
        ids = list(follow_up_ids)
        staff, members = staff.where(FollowUp.id.in_(ids)), members.where(FollowUp.id.in_(ids))
    if person_ids is not None:
        people = list(person_ids)
        staff, members = staff.where(UserRole.user_id.in_(people)), members.where(Membership.user_id.in_(people))
    pairs = union(staff, members).subquery("pairs")
    bucket = _bucket()
    # Only overdue needs the due date: the other buckets keep one row per person (on ``UNDATED``).
    due = case((FollowUp.status == FollowUpStatus.agreed, FollowUp.due_date), else_=literal(UNDATED, Date))
    return (
        select(pairs.c.user_id, bucket.label("bucket"), due.label("due_date"), func.count().label("n"))
        .select_from(pairs)
        .join(FollowUp, FollowUp.id == pairs.c.follow_up_id)
        .where(counted_by(pairs.c.user_id))
        .group_by(pairs.c.user_id, bucket, due)
        .order_by(pairs.c.user_id, bucket, due)  # one order of row locks for every writer
    )


def _upsert(session: Session, rows: Any, step: int) -> None:
    """Add ``step`` × n to each (person, bucket, due date) of ``rows`` (a ``_parts`` select): one statement."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    source = select(rows.c.user_id, rows.c.bucket, rows.c.due_date, rows.c.n * step).where(literal(True))
    statement = insert(FollowUpCount).from_select(["user_id", "bucket", "due_date", "total"], source)
    statement = statement.on_conflict_do_update(
        index_elements=["user_id", "bucket", "due_date"],
        set_={"total": FollowUpCount.total + statement.excluded.total},
    )
    session.execute(statement)


def _lock(session: Session) -> None:
    """PostgreSQL: one writer of the counts at a time, until its transaction ends (see the module's docstring)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


def _add(session: Session, follow_up_ids: set[uuid.UUID], step: int) -> None:
    if follow_up_ids:
        _upsert(session, _parts(follow_up_ids=follow_up_ids).subquery(), step)


def recount(
    person_ids: Iterable[uuid.UUID] | None = None, *, session: Session | None = None, today: date | None = None
) -> None:
    """Count these people's open follow-ups afresh (None: everyone's) and store them with their ``known`` row:
    after a bulk load or restore that bypassed the ORM, or when the counts are first added (``flask followups
    recount``). Flushes nothing, commits nothing; two statements, O(the people's follow-ups)."""
    session = session or db.session()
    people = None if person_ids is None else list(person_ids)
    if people is not None and not people:
        return
    _lock(session)
    gone = delete(FollowUpCount)
    known = select(User.id, literal(KNOWN), literal(today or local_today()), literal(1))
    if people is not None:
        gone, known = gone.where(FollowUpCount.user_id.in_(people)), known.where(User.id.in_(people))
    session.execute(gone.execution_options(synchronize_session=False))
    _upsert(session, _parts(person_ids=people).subquery(), 1)
    session.execute(
        FollowUpCount.__table__.insert().from_select(["user_id", "bucket", "due_date", "total"], known)  # type: ignore[attr-defined]
    )


# ---- reading ----------------------------------------------------------------------------------------------


@dataclass
class Stored:
    """A person's kept counts: proposals waiting for their side, reported done, overdue on ``today``, and every
    open follow-up they count (the total of their default list)."""

    waiting_for_acceptance: int
    waiting_for_verification: int
    overdue: int
    open_total: int


def stored(actor: User, today: date) -> Stored | None:
    """The actor's kept counts in one statement over their few rows, or None when they are not known (no
    ``known`` row: counted directly instead)."""
    if actor.id is None:
        return None
    waiting = WAITING_FOR_SUPERVISOR if actor.is_staff else WAITING_FOR_UNIT

    def tally(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, FollowUpCount.total), else_=0)), 0)

    row = db.session.execute(
        select(
            tally(FollowUpCount.bucket.in_(waiting)),
            tally(FollowUpCount.bucket == DONE_REPORTED),
            tally((FollowUpCount.bucket == AGREED) & (FollowUpCount.due_date < today)),
            tally(FollowUpCount.bucket != KNOWN),
            tally(FollowUpCount.bucket == KNOWN),
        ).where(FollowUpCount.user_id == actor.id)
    ).one()
    if not row[4]:
        return None
    return Stored(int(row[0]), int(row[1]), int(row[2]), int(row[3]))


# ---- keeping them: session hooks ------------------------------------------------------------------------------


def _changed(obj: Any, fields: Iterable[str]) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in fields if name in attrs)


def _history_values(obj: Any, name: str) -> set[Any]:
    attrs = inspect(obj).attrs
    if name not in attrs:
        return set()
    history = attrs[name].history
    return {v for v in (*history.added, *history.unchanged, *history.deleted) if v is not None}


def _removed(session: Session, flush_context: Any) -> list[Any]:
    """What the flush deleted, the orphans of a collection included (see ``app.core.audit._deleted``)."""
    found = list(session.deleted)
    seen = {id(obj) for obj in found}
    for state, (is_delete, _list_only) in getattr(flush_context, "states", {}).items():
        obj = state.obj()
        if is_delete and obj is not None and id(obj) not in seen:
            seen.add(id(obj))
            found.append(obj)
    return found


def _visits_of_member(member: TeamMember) -> set[Any]:
    return _history_values(member, "visit_id") | {v.id for v in _history_values(member, "visit")}


def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    """Take off the part of every follow-up whose counting this flush may change, as the database has it now."""
    follow_up_ids: set[uuid.UUID] = set()
    visit_ids: set[Any] = set()
    for obj in session.deleted:
        if isinstance(obj, FollowUp):
            follow_up_ids.add(obj.id)
        elif isinstance(obj, Visit):
            visit_ids.add(obj.id)
        elif isinstance(obj, TeamMember):
            visit_ids |= _visits_of_member(obj)
    for obj in session.dirty:
        if isinstance(obj, FollowUp) and _changed(obj, _FOLLOW_UP_FIELDS):
            follow_up_ids.add(obj.id)
        elif isinstance(obj, Visit) and _changed(obj, _VISIT_FIELDS):
            visit_ids.add(obj.id)
        elif isinstance(obj, TeamMember) and _changed(obj, ("visit_id", "user_id", "visit", "user")):
            visit_ids |= _visits_of_member(obj)
    for obj in session.new:
        if isinstance(obj, TeamMember):
            visit_ids |= _visits_of_member(obj)
    visit_ids.discard(None)
    if visit_ids:
        with session.no_autoflush:
            follow_up_ids |= set(
                session.scalars(
                    select(FollowUp.id).where(
                        FollowUp.visit_id.in_(list(visit_ids)), FollowUp.status.in_(OPEN_STATUSES)
                    )
                )
            )
        session.info.setdefault(_HANDLED_VISITS, set()).update(visit_ids)
    follow_up_ids.discard(None)  # type: ignore[arg-type]
    if not follow_up_ids:
        return
    _lock(session)
    _add(session, follow_up_ids, -1)
    session.info.setdefault(_SUBTRACTED, set()).update(follow_up_ids)


def _after_flush(session: Session, flush_context: Any) -> None:
    """Add the new part of what ``_before_flush`` took off and of new follow-ups; count afresh the people whose
    roles or memberships changed (and, as a safety net, whoever a change that ``_before_flush`` did not see may
    concern: another hook's change to a follow-up, a team member of a visit it did not handle)."""
    subtracted: set[uuid.UUID] = session.info.pop(_SUBTRACTED, set())
    handled: set[uuid.UUID] = session.info.pop(_HANDLED_VISITS, set())
    follow_up_ids = set(subtracted)
    people: set[Any] = set()
    units: set[Any] = set()
    removed = _removed(session, flush_context)
    removed_ids = {id(obj) for obj in removed}
    for obj in list(session.new) + list(session.dirty) + removed:
        is_new, is_removed = obj in session.new, id(obj) in removed_ids
        if isinstance(obj, FollowUp):
            if is_new:
                follow_up_ids.add(obj.id)
            elif obj.id not in subtracted and (is_removed or _changed(obj, _FOLLOW_UP_FIELDS)):
                units.add(obj.unit_id)
        elif isinstance(obj, User):
            if is_new or _changed(obj, _PERSON_FIELDS):
                people.add(obj.id)
        elif isinstance(obj, Membership | UserRole):
            if is_new or is_removed or _changed(obj, ("user_id", "unit_id", "role", "user", "unit")):
                people |= _history_values(obj, "user_id") | {u.id for u in _history_values(obj, "user")}
        elif isinstance(obj, TeamMember) and (is_new or is_removed or _changed(obj, ("visit_id", "user_id"))):
            # A member of a visit handled before the flush, or of a new visit (no follow-up counted it), is done.
            handled_before = _visits_of_member(obj) <= handled
            if not handled_before and not (obj.visit is not None and obj.visit in session.new):
                people |= _history_values(obj, "user_id") | {u.id for u in _history_values(obj, "user")}
    follow_up_ids -= {obj.id for obj in removed if isinstance(obj, FollowUp)}
    if units:
        people |= set(session.scalars(select(Membership.user_id).where(Membership.unit_id.in_(list(units)))))
        people |= set(session.scalars(select(UserRole.user_id).where(UserRole.role.in_(STAFF_ROLES))))
    people.discard(None)
    if not follow_up_ids and not people:
        return
    _lock(session)
    _add(session, follow_up_ids, 1)
    if people:
        recount(people, session=session)
    session.execute(delete(FollowUpCount).where(FollowUpCount.total == 0).execution_options(synchronize_session=False))


def _forget(session: Session, *_: Any) -> None:
    session.info.pop(_SUBTRACTED, None)
    session.info.pop(_HANDLED_VISITS, None)


def install() -> None:
    """Keep the counts with every flush of any session (idempotent; called by ``init_app``)."""
    from sqlalchemy import event

    for name, handler in (
        ("before_flush", _before_flush),
        ("after_flush", _after_flush),
        ("after_soft_rollback", _forget),
    ):
        if not event.contains(Session, name, handler):
            event.listen(Session, name, handler)
