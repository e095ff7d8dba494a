"""The visit interval that trust earns and the next visit due (DESIGN.md 4.7).

Stored, recalculated when what the rule reads changes (issues 16, 17): each unit's interval, its reason as a code
and the next visit due live in ``unit_plans`` (``app.planning.models.StoredPlan``), so the planning page, the API
and the units list filter, sort (overdue first) and page in SQL, with a fixed number of statements and rows per
page whatever the number of units.

- **When**: in the transaction of the change itself. ``init_app`` listens to the ORM session: a flush that makes a
  visit final (or takes it out of final, or changes a final visit's date), changes a finding or the lead of a final
  visit, opens or changes a breach, records a trust change, changes a unit's trust level or kind, or creates a
  unit, marks the unit; right after that flush ``recalculate`` rewrites its row, written by the next flush (the
  commit's at the latest). No domain has to remember to call planning, and planning imports only models.
- **Time**: the rows hold facts, never today. A breach stops counting ``VISIT_INTERVAL_MONTHS`` after it opened
  with no event at all; the row stores that day (``changes_on``) and the plan from then on (``later_*``), and
  ``effective`` picks by the reader's today (in SQL for filters and order).
- **Settings**: after changing ``VISIT_INTERVAL_MONTHS``, ``EARNED_INTERVAL_MONTHS`` or
  ``CLOSER_REVIEW_INTERVAL_MONTHS``, run ``flask --app app planning recalculate``.
- **The reason's sentence** is made on reading from the code and its date (``interval_sentence``), in the reader's
  language.
"""

from __future__ import annotations

import calendar
import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, case, event, exists, func, inspect, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from app.auth.models import Role, User, UserRole
from app.core import access
from app.core.input import fold
from app.core.models import local_today, local_zone
from app.extensions import db
from app.planning import policy
from app.planning.models import StoredPlan
from app.trust.models import Breach, TrustChange
from app.units import policy as units_policy
from app.units.models import Membership, TrustLevel, Unit, UnitKind
from app.visits.models import (
    Finding,
    FindingKind,
    Severity,
    TeamMember,
    Template,
    TemplateVersion,
    Visit,
    VisitStatus,
)

# A visit is final from "final" on; a planned visit is any visit not yet final that is not cancelled.
FINAL_STATUSES = (VisitStatus.final, VisitStatus.closed)
OPEN_STATUSES = (VisitStatus.planned, VisitStatus.in_progress, VisitStatus.draft, VisitStatus.sent_for_comment)


class IntervalReason(enum.StrEnum):
    """Why a unit has its interval; each has one plain sentence (``interval_sentence``)."""

    closer_review = "closer_review"
    earned = "earned"
    never_visited = "never_visited"
    one_visit = "one_visit"
    serious_deviation = "serious_deviation"
    breach = "breach"


@dataclass(frozen=True)
class UnitFacts:
    """What the interval rule reads about one unit. ``final_visits`` are the two latest final visits, newest
    first, as (visit date, had a serious deviation); ``latest_breach`` the newest breach opened at all (the rule
    looks at its date); ``closer_since`` when the unit last moved to closer review."""

    trust_level: TrustLevel
    registered: date
    final_visits: tuple[tuple[date, bool], ...] = ()
    latest_breach: date | None = None
    closer_since: date | None = None


@dataclass(frozen=True)
class Interval:
    """A unit's interval in months, why (a code and the date the sentence names), and the next visit due."""

    months: int
    reason: IntervalReason
    since: date | None
    next_due: date

    @property
    def sentence(self) -> str:
        """The reason in one plain sentence, in the request's language."""
        return interval_sentence(self)


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months; the 31st becomes the last day of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _settings() -> tuple[int, int, int]:
    config = current_app.config
    return (
        int(config["VISIT_INTERVAL_MONTHS"]),
        int(config["EARNED_INTERVAL_MONTHS"]),
        int(config["CLOSER_REVIEW_INTERVAL_MONTHS"]),
    )


def interval_for(facts: UnitFacts, today: date) -> Interval:
    """The interval rule of DESIGN.md 4.7 for one unit on ``today``.

    ``CLOSER_REVIEW_INTERVAL_MONTHS`` (6) while in closer review; ``EARNED_INTERVAL_MONTHS`` (36) when the two
    latest final visits recorded no serious deviation and no breach was opened within the last
    ``VISIT_INTERVAL_MONTHS`` (24); otherwise ``VISIT_INTERVAL_MONTHS``. The next visit is due at the latest final
    visit's date plus the interval; a unit never visited at its registration date plus the baseline interval."""
    baseline, earned, closer = _settings()
    latest = facts.final_visits[0][0] if facts.final_visits else None
    window_start = add_months(today, -baseline)
    breach_recent = facts.latest_breach is not None and facts.latest_breach >= window_start
    serious = [day for day, had_serious in facts.final_visits[:2] if had_serious]

    if facts.trust_level == TrustLevel.closer_review:
        months, reason, since = closer, IntervalReason.closer_review, facts.closer_since
    elif latest is None:
        months, reason, since = baseline, IntervalReason.never_visited, facts.registered
    elif serious:
        months, reason, since = baseline, IntervalReason.serious_deviation, serious[0]
    elif breach_recent:
        months, reason, since = baseline, IntervalReason.breach, facts.latest_breach
    elif len(facts.final_visits) < 2:
        months, reason, since = baseline, IntervalReason.one_visit, latest
    else:
        months, reason, since = earned, IntervalReason.earned, window_start
    anchor = latest if latest is not None else facts.registered
    due_months = months if latest is not None else baseline
    return Interval(months=months, reason=reason, since=since, next_due=add_months(anchor, due_months))


def interval_sentence(interval: Interval) -> str:
    """The one plain sentence that explains an interval (DESIGN.md 4.7), in the request's language."""
    months = interval.months
    if interval.reason == IntervalReason.closer_review:
        if interval.since is None:
            return _("%(months)d months: the unit is in closer review.", months=months)
        return _(
            "%(months)d months: the unit has been in closer review since %(since)s.",
            months=months,
            since=format_date(interval.since, "long"),
        )
    if interval.reason == IntervalReason.earned:
        return _(
            "%(months)d months: no serious deviation in the two latest visits and no boundary crossed since %(since)s.",
            months=months,
            since=format_date(interval.since, "MMMM yyyy"),
        )
    if interval.reason == IntervalReason.never_visited:
        return _(
            "%(months)d months: not visited yet, so the first visit is due %(months)d months after the unit was "
            "registered.",
            months=months,
        )
    if interval.reason == IntervalReason.serious_deviation:
        return _(
            "%(months)d months: a serious deviation was recorded at the visit of %(since)s.",
            months=months,
            since=format_date(interval.since, "long"),
        )
    if interval.reason == IntervalReason.breach:
        return _(
            "%(months)d months: a boundary was crossed in %(since)s.",
            months=months,
            since=format_date(interval.since, "MMMM yyyy"),
        )
    return _(
        "%(months)d months: only one final visit so far; two visits without a serious deviation earn a longer "
        "interval.",
        months=months,
    )


@dataclass
class UnitPlan:
    """One row of the planning page: the unit, its interval and due date, the open (planned) visit if any,
    the reviewer of its latest visit and the suggested "plan a visit" values."""

    unit: Unit
    interval: Interval
    last_visit_date: date | None = None
    last_reviewer: User | None = None
    planned_visit: Visit | None = None
    suggested_template_id: uuid.UUID | None = None
    suggested_reviewer: User | None = None
    reviewer_ids: set[uuid.UUID] = field(default_factory=set)

    @property
    def next_due(self) -> date:
        return self.interval.next_due

    def is_overdue(self, today: date) -> bool:
        return self.planned_visit is None and self.interval.next_due < today


def _local_date(moment: datetime | None) -> date | None:
    return moment.astimezone(local_zone()).date() if moment is not None else None


# ---- the stored plan: computed from the facts, written in the transaction of the change ---------------------------

# Units per statement when recalculating many (an IN list each database takes comfortably).
CHUNK = 500


def breach_stops_counting(opened: date) -> date:
    """The first day on which a breach opened on ``opened`` is no longer within the last ``VISIT_INTERVAL_MONTHS``
    (the window of ``interval_for``): the smallest day ``d`` with ``add_months(d, -baseline) > opened``."""
    baseline = _settings()[0]
    day = add_months(opened, baseline)
    while add_months(day, -baseline) <= opened:
        day += timedelta(days=1)
    return day


def stored_values(facts: UnitFacts, today: date) -> dict[str, Any]:
    """The columns of a unit's ``StoredPlan`` for ``facts``, the same whatever day it is computed on.

    The plan that holds while the latest breach counts (computed on the breach's own day when there is one), and,
    when that plan's reason is the breach, the day it stops counting (``changes_on``) with the plan from then on
    (``later_*``). ``today`` only matters when the unit has no breach (and then to nothing stored)."""
    first = interval_for(facts, facts.latest_breach if facts.latest_breach is not None else today)
    values: dict[str, Any] = {
        "interval_months": first.months,
        "interval_reason": first.reason.value,
        # "earned" names the reader's today minus the baseline; every other reason a fact's date.
        "interval_since": None if first.reason == IntervalReason.earned else first.since,
        "next_visit_due": first.next_due,
        "changes_on": None,
        "later_interval_months": None,
        "later_interval_reason": None,
        "later_next_visit_due": None,
    }
    if first.reason == IntervalReason.breach and facts.latest_breach is not None:
        ends = breach_stops_counting(facts.latest_breach)
        later = interval_for(facts, ends)
        values.update(
            changes_on=ends,
            later_interval_months=later.months,
            later_interval_reason=later.reason.value,
            later_next_visit_due=later.next_due,
        )
    return values


def _chunks(ids: list[uuid.UUID]) -> Iterable[list[uuid.UUID]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def compute(session: Session, unit_ids: Iterable[uuid.UUID] | None, today: date) -> dict[uuid.UUID, dict[str, Any]]:
    """The stored-plan columns (``stored_values`` plus ``last_visit_date`` and ``last_lead_id``) of the units
    ``unit_ids`` (every unit when None), keyed by unit id; units that do not exist are left out.

    Reads columns only (never whole rows), so a migration may call it: per chunk of ``CHUNK`` units, four
    statements (units, their two latest final visits with a serious-deviation flag and lead, latest breach, latest
    move to closer review), each served by an index."""
    ids = list(session.scalars(select(Unit.id))) if unit_ids is None else list(dict.fromkeys(unit_ids))
    result: dict[uuid.UUID, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        ranked = (
            select(
                Visit.id.label("visit_id"),
                Visit.unit_id.label("unit_id"),
                Visit.visit_date.label("visit_date"),
                Visit.finalised_at.label("finalised_at"),
                func.row_number()
                .over(partition_by=Visit.unit_id, order_by=(Visit.visit_date.desc(), Visit.finalised_at.desc()))
                .label("rank"),
            )
            .where(Visit.unit_id.in_(chunk), Visit.status.in_(FINAL_STATUSES))
            .subquery()
        )
        serious = exists().where(
            Finding.visit_id == ranked.c.visit_id,
            Finding.kind == FindingKind.deviation,
            Finding.severity == Severity.serious,
        )
        lead = (
            select(TeamMember.user_id)
            .where(TeamMember.visit_id == ranked.c.visit_id, TeamMember.is_lead.is_(True))
            .limit(1)
            .scalar_subquery()
        )
        finals: dict[uuid.UUID, list[tuple[date, bool]]] = {}
        leads: dict[uuid.UUID, uuid.UUID | None] = {}
        for row in session.execute(
            select(
                ranked.c.unit_id,
                ranked.c.visit_date,
                ranked.c.finalised_at,
                ranked.c.rank,
                serious.label("serious"),
                lead.label("lead_id"),
            )
            .where(ranked.c.rank <= 2)
            .order_by(ranked.c.rank)
        ):
            day = row.visit_date or _local_date(row.finalised_at) or today
            finals.setdefault(row.unit_id, []).append((day, bool(row.serious)))
            if row.rank == 1:
                leads[row.unit_id] = row.lead_id
        breaches = dict(
            session.execute(
                select(Breach.unit_id, func.max(Breach.opened_at))
                .where(Breach.unit_id.in_(chunk))
                .group_by(Breach.unit_id)
            ).all()
        )
        closer_since = dict(
            session.execute(
                select(TrustChange.unit_id, func.max(TrustChange.changed_at))
                .where(TrustChange.unit_id.in_(chunk), TrustChange.to_level == TrustLevel.closer_review)
                .group_by(TrustChange.unit_id)
            ).all()
        )
        for unit_id, trust_level, created_at in session.execute(
            select(Unit.id, Unit.trust_level, Unit.created_at).where(Unit.id.in_(chunk))
        ):
            unit_finals = tuple(finals.get(unit_id, ()))
            facts = UnitFacts(
                trust_level=TrustLevel(trust_level),
                registered=_local_date(created_at) or today,
                final_visits=unit_finals,
                latest_breach=_local_date(breaches.get(unit_id)),
                closer_since=_local_date(closer_since.get(unit_id)),
            )
            values = stored_values(facts, today)
            values["last_visit_date"] = unit_finals[0][0] if unit_finals else None
            values["last_lead_id"] = leads.get(unit_id)
            result[unit_id] = values
    return result


def recalculate(
    unit_ids: Iterable[uuid.UUID] | None = None, *, session: Session | None = None, today: date | None = None
) -> int:
    """Rewrite the stored plans of ``unit_ids`` (every unit when None) from the facts, in the caller's transaction
    (the rows are added or changed, written by the next flush; nothing is committed). Returns how many units were
    recalculated. Used by the session hook of ``init_app`` and by ``flask planning recalculate``."""
    session = session or db.session()
    ids = list(session.scalars(select(Unit.id))) if unit_ids is None else list(dict.fromkeys(unit_ids))
    # The units' rows locked first (PostgreSQL; SQLite writes one at a time anyway), as the trust services lock a
    # unit before changing its trust: two transactions changing facts of one unit at once (a visit made final, a
    # breach opened) then recalculate one after the other, the second reading what the first committed, so neither
    # overwrites the other with a plan that misses its change; and the lock is the one trust takes, in the same
    # order (a unit, then its plan), so the two never wait for each other in a circle. FOR NO KEY UPDATE: rows
    # that merely refer to the unit (visits, findings) may still be inserted meanwhile.
    existing: dict[uuid.UUID, StoredPlan] = {}
    for chunk in _chunks(sorted(ids)):
        session.execute(select(Unit.id).where(Unit.id.in_(chunk)).order_by(Unit.id).with_for_update(key_share=True))
        stored = session.scalars(select(StoredPlan).where(StoredPlan.unit_id.in_(chunk)))
        existing.update((p.unit_id, p) for p in stored)
    values = compute(session, ids, today or local_today())
    for unit_id, columns in values.items():
        plan = existing.get(unit_id)
        if plan is None:
            plan = StoredPlan(unit_id=unit_id)
            session.add(plan)
        for name, value in columns.items():
            if getattr(plan, name) != value:
                setattr(plan, name, value)
    return len(values)


# ---- the session hook: which units a flush touched -----------------------------------------------------------------

_UNITS_KEY, _VISITS_KEY = "planning.units", "planning.visits"


def _changed(obj: Any, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _touches_final(visit: Visit, is_new_or_deleted: bool) -> bool:
    history = inspect(visit).attrs.status.history
    statuses = {visit.status, *history.added, *history.deleted}
    if not statuses & set(FINAL_STATUSES):
        return False
    return is_new_or_deleted or _changed(visit, "status", "visit_date", "finalised_at", "unit_id")


def _loaded_status(session: Session, visit_id: uuid.UUID | None) -> tuple[VisitStatus, uuid.UUID] | None:
    """The status and unit of a visit the session holds loaded (recording on site has it), or None when it would
    take a statement to know: a finding's flush then needs no SELECT to see that its visit is not final."""
    if visit_id is None:
        return None
    visit = session.identity_map.get(identity_key(Visit, visit_id))
    if visit is None or not isinstance(visit, Visit):
        return None
    state = inspect(visit)
    if "status" in state.unloaded or "unit_id" in state.unloaded:
        return None
    return visit.status, visit.unit_id


def _mark(session: Session, _context: Any) -> None:
    """After a flush (its new/dirty/deleted still as they were): note the units whose plan the flush may change."""
    units: set[uuid.UUID] = session.info.setdefault(_UNITS_KEY, set())
    visits: set[uuid.UUID] = session.info.setdefault(_VISITS_KEY, set())
    for objects, kind in ((session.new, "new"), (session.dirty, "dirty"), (session.deleted, "deleted")):
        is_new_or_deleted = kind != "dirty"
        for obj in objects:
            if isinstance(obj, Visit):
                if _touches_final(obj, is_new_or_deleted):
                    units.add(obj.unit_id)
                    units.update(u for u in inspect(obj).attrs.unit_id.history.deleted if u is not None)
            elif isinstance(obj, Finding) or (isinstance(obj, TeamMember) and obj.is_lead):
                known = _loaded_status(session, obj.visit_id)
                if known is None:
                    visits.add(obj.visit_id)  # not in the session: asked for after the flush
                elif known[0] in FINAL_STATUSES:
                    units.add(known[1])
            elif isinstance(obj, (Breach, TrustChange)):
                units.add(obj.unit_id)
            elif isinstance(obj, Unit) and (
                kind == "new" or (kind == "dirty" and _changed(obj, "trust_level", "kind", "created_at"))
            ):
                units.add(obj.id)


def _recalculate_marked(session: Session, _context: Any) -> None:
    """Right after the flush: recalculate the marked units (those of final visits among the marked visits too)."""
    units: set[uuid.UUID] = session.info.pop(_UNITS_KEY, set())
    visits: set[uuid.UUID] = session.info.pop(_VISITS_KEY, set())
    if not units and not visits:
        return
    with session.no_autoflush:
        if visits:
            units |= set(
                session.scalars(select(Visit.unit_id).where(Visit.id.in_(visits), Visit.status.in_(FINAL_STATUSES)))
            )
        if units:
            recalculate(units, session=session)


def _forget_marks(session: Session, *_: Any) -> None:
    session.info.pop(_UNITS_KEY, None)
    session.info.pop(_VISITS_KEY, None)


def listen() -> None:
    """Keep stored plans in step with every flush of the app's session (idempotent; called by ``init_app``)."""
    target = db.session
    for name, handler in (
        ("after_flush", _mark),
        ("after_flush_postexec", _recalculate_marked),
        ("after_soft_rollback", _forget_marks),
    ):
        if not event.contains(target, name, handler):
            event.listen(target, name, handler)


# ---- reading: the effective plan on the reader's day ---------------------------------------------------------------


def _switched(plan: StoredPlan, today: date) -> bool:
    return plan.changes_on is not None and plan.changes_on <= today


def effective(plan: StoredPlan, today: date) -> Interval:
    """The interval a stored plan gives on ``today`` (the later values from ``changes_on`` on)."""
    later = _switched(plan, today)
    months = plan.later_interval_months if later else plan.interval_months
    reason = IntervalReason((plan.later_interval_reason if later else None) or plan.interval_reason)
    next_due = plan.later_next_visit_due if later else plan.next_visit_due
    since = plan.last_visit_date if later else plan.interval_since
    if reason == IntervalReason.earned:
        since = add_months(today, -_settings()[0])
    assert months is not None and next_due is not None
    return Interval(months=months, reason=reason, since=since, next_due=next_due)


def due_column(today: date) -> ColumnElement[date]:
    """The next visit due on ``today`` as an SQL expression over ``unit_plans`` (for filters and order)."""
    switched = and_(StoredPlan.changes_on.is_not(None), StoredPlan.changes_on <= today)
    return case((switched, StoredPlan.later_next_visit_due), else_=StoredPlan.next_visit_due)


def months_column(today: date) -> ColumnElement[int]:
    """The interval in months on ``today`` as an SQL expression over ``unit_plans``."""
    switched = and_(StoredPlan.changes_on.is_not(None), StoredPlan.changes_on <= today)
    return case((switched, StoredPlan.later_interval_months), else_=StoredPlan.interval_months)


def _open_visit(reviewer_id: uuid.UUID | None = None) -> Any:
    condition = exists().where(Visit.unit_id == Unit.id, Visit.status.in_(OPEN_STATUSES))
    if reviewer_id is not None:
        condition = condition.where(TeamMember.visit_id == Visit.id, TeamMember.user_id == reviewer_id)
    return condition


def _filtered(
    actor: Any,
    today: date,
    *,
    q: str = "",
    unit_kind: UnitKind | None = None,
    owner: str | None = None,
    trust_level: TrustLevel | None = None,
    reviewer_id: uuid.UUID | None = None,
    due_before: date | None = None,
    without_planned: bool = False,
) -> Any:
    """The visible units with their stored plans, filtered, as a ``Select`` of (Unit, StoredPlan)."""
    query = units_policy.visible_units(actor).join(StoredPlan, StoredPlan.unit_id == Unit.id).add_columns(StoredPlan)
    if q:
        query = query.where(Unit.name_key.contains(fold(q), autoescape=True))
    if unit_kind is not None:
        query = query.where(Unit.kind == unit_kind)
    if owner:
        query = query.where(Unit.owner == owner)
    if trust_level is not None:
        query = query.where(Unit.trust_level == trust_level)
    if reviewer_id is not None:
        # The lead of the latest final visit, or on the team of a planned visit.
        query = query.where(or_(StoredPlan.last_lead_id == reviewer_id, _open_visit(reviewer_id)))
    if due_before is not None:
        query = query.where(due_column(today) < due_before)
    if without_planned:
        query = query.where(~_open_visit())
    return query


def _count(query: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def _details(rows: list[Any], today: date) -> list[UnitPlan]:
    """The plans of a page of (Unit, StoredPlan) rows with what the page shows beyond the stored plan: the last
    reviewer, the planned visit and its team, the suggested template and reviewer. Six statements whatever the
    page's size; none when it is empty."""
    if not rows:
        return []
    ids = [unit.id for unit, _plan in rows]
    latest = (
        select(
            Visit.unit_id.label("unit_id"),
            Visit.template_version_id.label("version_id"),
            func.row_number()
            .over(partition_by=Visit.unit_id, order_by=(Visit.visit_date.desc(), Visit.finalised_at.desc()))
            .label("rank"),
        )
        .where(Visit.unit_id.in_(ids), Visit.status.in_(FINAL_STATUSES))
        .subquery()
    )
    templates: dict[uuid.UUID, uuid.UUID] = dict(
        db.session.execute(
            select(latest.c.unit_id, TemplateVersion.template_id)
            .join(TemplateVersion, TemplateVersion.id == latest.c.version_id)
            .where(latest.c.rank == 1)
        ).all()
    )
    open_ranked = (
        select(
            Visit.id,
            func.row_number()
            .over(partition_by=Visit.unit_id, order_by=(Visit.visit_date.asc().nulls_last(), Visit.created_at))
            .label("rank"),
        )
        .where(Visit.unit_id.in_(ids), Visit.status.in_(OPEN_STATUSES))
        .subquery()
    )
    open_visits = {
        v.unit_id: v
        for v in db.session.scalars(
            select(Visit).join(open_ranked, and_(open_ranked.c.id == Visit.id, open_ranked.c.rank == 1))
        )
    }
    team_by_visit: dict[uuid.UUID, set[uuid.UUID]] = {}
    for visit_id, user_id in db.session.execute(
        select(TeamMember.visit_id, TeamMember.user_id).where(
            TeamMember.visit_id.in_([v.id for v in open_visits.values()] or [uuid.uuid4()])
        )
    ):
        team_by_visit.setdefault(visit_id, set()).add(user_id)
    lead_ids = {plan.last_lead_id for _unit, plan in rows if plan.last_lead_id is not None}
    reviewers = {
        p.id: p
        for p in db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.id.in_(lead_ids or [uuid.uuid4()]), UserRole.role == Role.reviewer)
        )
    }
    members_of = set(
        db.session.execute(
            select(Membership.user_id, Membership.unit_id).where(
                Membership.user_id.in_(lead_ids or [uuid.uuid4()]), Membership.unit_id.in_(ids)
            )
        ).all()
    )
    active_templates = set(db.session.scalars(select(Template.id).where(Template.is_archived.is_(False))))

    plans = []
    for unit, stored in rows:
        last_reviewer = reviewers.get(stored.last_lead_id) if stored.last_lead_id else None
        # Jäv (DESIGN.md 2): never suggest a reviewer who belongs to the unit, nor one no longer active.
        suggested = (
            last_reviewer
            if last_reviewer is not None
            and last_reviewer.is_active_account
            and (last_reviewer.id, unit.id) not in members_of
            else None
        )
        planned = open_visits.get(unit.id)
        responsible = set(team_by_visit.get(planned.id, set())) if planned else set()
        if stored.last_lead_id:
            responsible.add(stored.last_lead_id)
        template_id = templates.get(unit.id)
        plans.append(
            UnitPlan(
                unit=unit,
                interval=effective(stored, today),
                last_visit_date=stored.last_visit_date,
                last_reviewer=last_reviewer,
                planned_visit=planned,
                suggested_template_id=template_id if template_id in active_templates else None,
                suggested_reviewer=suggested,
                reviewer_ids=responsible,
            )
        )
    return plans


def planning_page(
    actor: Any,
    *,
    today: date,
    page: int = 1,
    per_page: int = 50,
    unit_kind: UnitKind | None = None,
    trust_level: TrustLevel | None = None,
    reviewer_id: uuid.UUID | None = None,
    due_before: date | None = None,
    include_planned: bool = False,
) -> tuple[list[UnitPlan], int]:
    """One page of the planning list (DESIGN.md 4.7) and the number of units in the whole list: the units the
    actor may see by next visit due, overdue first (ties by name), filtered, sorted and paged in SQL over the
    stored plans (a fixed number of statements whatever the number of units).

    Filters: ``unit_kind``, ``trust_level``, ``reviewer_id`` (the lead of the unit's latest final visit or on the
    team of a planned visit), ``due_before`` (next visit due before that day). A unit with a planned visit leaves
    the due list unless ``include_planned``. ``page`` counts from 1. Raises ``Forbidden`` for a unit member."""
    policy.require_planning(actor)
    query = _filtered(
        actor,
        today,
        unit_kind=unit_kind,
        trust_level=trust_level,
        reviewer_id=reviewer_id,
        due_before=due_before,
        without_planned=not include_planned,
    )
    total = _count(query)
    ordered = query.order_by(due_column(today), Unit.name_key, Unit.id)
    rows = db.session.execute(ordered.offset((max(page, 1) - 1) * per_page).limit(per_page)).all()
    return _details([tuple(r) for r in rows], today), total


def unit_plan(actor: Any, unit_id: uuid.UUID, *, today: date) -> UnitPlan:
    """One unit's interval and due date and its planned visit (the open visit the planning page names), for its
    unit page, in two statements; the planning page's suggestions (the last reviewer, template and lead) are not
    read here, so those fields stay empty. ``NotFound`` for a unit the actor may not see."""
    unit = units_policy.get_unit(actor, unit_id)
    stored = db.session.get(StoredPlan, unit.id)
    if stored is None:  # a unit inserted behind the app's back: compute it now (written with the request's commit)
        recalculate([unit.id])
        db.session.flush()
        stored = db.session.get(StoredPlan, unit.id)
    assert stored is not None
    planned = db.session.scalars(
        select(Visit)
        .where(Visit.unit_id == unit.id, Visit.status.in_(OPEN_STATUSES))
        .order_by(Visit.visit_date.asc().nulls_last(), Visit.created_at)
        .limit(1)
    ).first()
    return UnitPlan(
        unit=unit, interval=effective(stored, today), last_visit_date=stored.last_visit_date, planned_visit=planned
    )


def may_plan_for(actor: Any, unit_id: uuid.UUID) -> bool:
    """Whether "plan a visit" is offered: the supervising side, outside the actor's own unit (jäv)."""
    return policy.can_see_planning(actor) and access.supervises(actor, unit_id)


def plan_link_values(plan: UnitPlan) -> dict[str, str]:
    """The query string of the "plan a visit" link: the unit, the suggested template and lead reviewer."""
    values = {"unit": str(plan.unit.id)}
    if plan.suggested_template_id:
        values["template"] = str(plan.suggested_template_id)
    if plan.suggested_reviewer is not None:
        values["lead"] = str(plan.suggested_reviewer.id)
    return values


UNIT_SORTS = ("name", "kind", "trust_level", "last_visit", "next_due")


def _unit_order(sort: str, descending: bool, today: date) -> list[Any]:
    """The units list's ORDER BY: the column, then the name (A–Ö) and the id as ties; by name, both reversed."""
    if sort not in UNIT_SORTS or sort == "name":
        return [Unit.name_key.desc(), Unit.id.desc()] if descending else [Unit.name_key, Unit.id]
    if sort == "last_visit":  # never visited counts as the earliest
        last = StoredPlan.last_visit_date
        key = last.desc().nulls_last() if descending else last.asc().nulls_first()
    else:
        column: Any = {"kind": Unit.kind, "trust_level": Unit.trust_level, "next_due": due_column(today)}[sort]
        key = column.desc() if descending else column.asc()
    return [key, Unit.name_key, Unit.id]


def unit_list_query(
    actor: Any,
    *,
    today: date,
    q: str = "",
    unit_kind: UnitKind | None = None,
    owner: str | None = None,
    trust_level: TrustLevel | None = None,
    reviewer_id: uuid.UUID | None = None,
    due_before: date | None = None,
    sort: str = "name",
    descending: bool = False,
) -> Any:
    """The units list (issue 16) as an ordered ``Select`` of (Unit, StoredPlan): the units the actor may see,
    filtered by name (``q``, case-insensitive part of the name), kind, owner (huvudman: the municipality, exact),
    trust level, reviewer and "due before",
    sorted by ``sort`` (one of ``UNIT_SORTS``; anything else sorts by name), ties by name."""
    query = _filtered(
        actor,
        today,
        q=q,
        unit_kind=unit_kind,
        owner=owner,
        trust_level=trust_level,
        reviewer_id=reviewer_id,
        due_before=due_before,
    )
    return query.order_by(*_unit_order(sort, descending, today))


def unit_list(actor: Any, *, today: date, **filters: Any) -> list[UnitPlan]:
    """The whole units list (``unit_list_query``'s filters and order) for the CSV export: each unit with its
    stored plan only (no planned visit or suggestions), one statement."""
    rows = db.session.execute(unit_list_query(actor, today=today, **filters)).all()
    return [
        UnitPlan(unit=unit, interval=effective(stored, today), last_visit_date=stored.last_visit_date)
        for unit, stored in rows
    ]


def unit_list_page(actor: Any, *, today: date, page: int, per_page: int, **filters: Any) -> tuple[list[UnitPlan], int]:
    """One page of the units list (``unit_list_query``'s filters and order) and the number of units in the whole
    list. Every filter and sort runs in the database over the stored plans, and only the page's units get their
    details: a fixed number of statements and rows whatever the number of units (issue 17)."""
    query = unit_list_query(actor, today=today, **filters)
    total = _count(query)
    rows = db.session.execute(query.offset((max(page, 1) - 1) * per_page).limit(per_page)).all()
    return _details([tuple(r) for r in rows], today), total


def active_reviewers() -> list[tuple[str, str]]:
    """Active reviewers as (id, name) by name: the choices of a reviewer filter."""
    people = db.session.execute(
        select(User.id, User.name)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.reviewer, User.is_active_account.is_(True))
        .order_by(func.lower(User.name))
    ).all()
    return [(str(i), n) for i, n in people]
