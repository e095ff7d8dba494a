"""The visit interval that trust earns and the next visit due (DESIGN.md 4.7).

Computed on read, never stored. Why: one input is time itself ("no breach opened in the last 24 months" turns
true on a day when nothing happens), so a stored interval would need a nightly sweep to stay right; and the
other inputs (a visit becoming final, a breach opening, trust restored) already change rows this reads, so the
page is right the moment they commit, without signals. Reading is cheap: ``unit_plans`` loads the facts of any
number of units in a fixed number of statements (the same at 10 and 2,000 units), each served by an index
(visits by unit and status, findings by visit, breaches and trust changes by unit).
"""

from __future__ import annotations

import calendar
import enum
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, select, text

from app.auth.models import Role, User, UserRole
from app.core import access
from app.core.input import fold
from app.core.models import local_zone
from app.extensions import db
from app.planning import policy
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


def unit_plans(units: list[Unit], today: date, *, unit_ids: Any = None) -> list[UnitPlan]:
    """The plans of ``units`` (already visible to the caller), in a fixed number of statements whatever their
    number: final visits (two latest per unit, with a serious-deviation flag, their lead and template), the
    latest breach and move to closer review, the open visits, the leads' names and memberships."""
    if not units:
        return []
    # ``unit_ids``: the query the units came from as a select of their ids (PostgreSQL plans a semi-join far
    # better than a list of 2,000 ids); by default their ids.
    ids = unit_ids if unit_ids is not None else [u.id for u in units]
    if db.session.get_bind().dialect.name == "postgresql":
        # The planner cannot estimate the window's "rank <= 2" and expects 50,000 rows where 4,000 come; the
        # estimated cost then switches JIT compilation on, which alone took a second of the 2,000-unit page
        # (scripts/bench_planning.py). For the rest of this transaction only.
        db.session.execute(text("SET LOCAL jit = off"))
    facts: dict[uuid.UUID, dict[str, Any]] = {u.id: {"finals": [], "lead": None, "template": None} for u in units}

    # The two latest final visits per unit first (an index scan of visits by unit and status), and only for those
    # few rows whether they had a serious deviation, their lead and their template.
    ranked = (
        select(
            Visit.id.label("visit_id"),
            func.row_number()
            .over(partition_by=Visit.unit_id, order_by=(Visit.visit_date.desc(), Visit.finalised_at.desc()))
            .label("rank"),
        )
        .where(Visit.unit_id.in_(ids), Visit.status.in_(FINAL_STATUSES))
        .subquery()
    )
    serious = (
        exists()
        .where(
            Finding.visit_id == Visit.id, Finding.kind == FindingKind.deviation, Finding.severity == Severity.serious
        )
        .correlate(Visit)
    )
    lead = (
        select(TeamMember.user_id)
        .where(TeamMember.visit_id == Visit.id, TeamMember.is_lead.is_(True))
        .correlate(Visit)
        .limit(1)
        .scalar_subquery()
    )
    latest = (
        select(
            Visit.unit_id,
            Visit.visit_date,
            Visit.finalised_at,
            serious.label("serious"),
            lead.label("lead_id"),
            TemplateVersion.template_id,
            ranked.c.rank,
        )
        .join(ranked, and_(ranked.c.visit_id == Visit.id, ranked.c.rank <= 2))
        .join(TemplateVersion, TemplateVersion.id == Visit.template_version_id)
        .order_by(ranked.c.rank)
    )
    for row in db.session.execute(latest):
        day = row.visit_date or _local_date(row.finalised_at)
        entry = facts[row.unit_id]
        entry["finals"].append((day, bool(row.serious)))
        if row.rank == 1:
            entry["lead"], entry["template"] = row.lead_id, row.template_id

    breaches = dict(
        db.session.execute(
            select(Breach.unit_id, func.max(Breach.opened_at)).where(Breach.unit_id.in_(ids)).group_by(Breach.unit_id)
        ).all()
    )
    closer_since = dict(
        db.session.execute(
            select(TrustChange.unit_id, func.max(TrustChange.changed_at))
            .where(TrustChange.unit_id.in_(ids), TrustChange.to_level == TrustLevel.closer_review)
            .group_by(TrustChange.unit_id)
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
    open_team = db.session.execute(
        select(TeamMember.visit_id, TeamMember.user_id).where(
            TeamMember.visit_id.in_([v.id for v in open_visits.values()] or [uuid.uuid4()])
        )
    ).all()
    team_by_visit: dict[uuid.UUID, set[uuid.UUID]] = {}
    for visit_id, user_id in open_team:
        team_by_visit.setdefault(visit_id, set()).add(user_id)

    lead_ids = {e["lead"] for e in facts.values() if e["lead"] is not None}
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
    for unit in units:
        entry = facts[unit.id]
        breach_at = breaches.get(unit.id)
        interval = interval_for(
            UnitFacts(
                trust_level=unit.trust_level,
                registered=_local_date(unit.created_at) or today,
                final_visits=tuple(entry["finals"]),
                latest_breach=_local_date(breach_at),
                closer_since=_local_date(closer_since.get(unit.id)),
            ),
            today,
        )
        last_reviewer = reviewers.get(entry["lead"]) if entry["lead"] else None
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
        if entry["lead"]:
            responsible.add(entry["lead"])
        plans.append(
            UnitPlan(
                unit=unit,
                interval=interval,
                last_visit_date=entry["finals"][0][0] if entry["finals"] else None,
                last_reviewer=last_reviewer,
                planned_visit=planned,
                suggested_template_id=entry["template"] if entry["template"] in active_templates else None,
                suggested_reviewer=suggested,
                reviewer_ids=responsible,
            )
        )
    return plans


def planning(
    actor: Any,
    *,
    today: date,
    unit_kind: UnitKind | None = None,
    trust_level: TrustLevel | None = None,
    reviewer_id: uuid.UUID | None = None,
    due_before: date | None = None,
    include_planned: bool = False,
) -> list[UnitPlan]:
    """The planning list (DESIGN.md 4.7): the units the actor may see by due date, overdue first.

    Filters: ``unit_kind``, ``trust_level``, ``reviewer_id`` (the lead of the unit's latest final visit or a
    member of its planned visit's team), ``due_before`` (next visit due before that day). A unit with a planned
    visit leaves the due list unless ``include_planned``. Raises ``Forbidden`` for a unit member."""
    policy.require_planning(actor)
    query = units_policy.visible_units(actor)
    if unit_kind is not None:
        query = query.where(Unit.kind == unit_kind)
    if trust_level is not None:
        query = query.where(Unit.trust_level == trust_level)
    plans = unit_plans(list(db.session.scalars(query)), today, unit_ids=query.with_only_columns(Unit.id))
    selected = [
        p
        for p in plans
        if (include_planned or p.planned_visit is None)
        and (reviewer_id is None or reviewer_id in p.reviewer_ids)
        and (due_before is None or p.next_due < due_before)
    ]
    return sorted(selected, key=lambda p: (p.next_due, p.unit.name.lower()))


def unit_plan(actor: Any, unit_id: uuid.UUID, *, today: date) -> UnitPlan:
    """One unit's interval and due date (for its unit page); ``NotFound`` for a unit the actor may not see."""
    unit = units_policy.get_unit(actor, unit_id)
    return unit_plans([unit], today)[0]


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


def unit_list(
    actor: Any,
    *,
    today: date,
    q: str = "",
    unit_kind: UnitKind | None = None,
    trust_level: TrustLevel | None = None,
    reviewer_id: uuid.UUID | None = None,
    due_before: date | None = None,
    sort: str = "name",
    descending: bool = False,
) -> list[UnitPlan]:
    """The units list (issue 16): the units the actor may see with their latest visit and next visit due,
    filtered by name (``q``, case-insensitive part of the name), kind, trust level, reviewer and "due before",
    sorted by ``sort`` (one of ``UNIT_SORTS``; anything else sorts by name), ties by name. Visible to everyone
    who sees units (a unit member: their own). A fixed number of statements whatever the number of units."""
    query = units_policy.visible_units(actor)
    if q:
        query = query.where(Unit.name_key.contains(fold(q), autoescape=True))
    if unit_kind is not None:
        query = query.where(Unit.kind == unit_kind)
    if trust_level is not None:
        query = query.where(Unit.trust_level == trust_level)
    plans = [
        p
        for p in unit_plans(list(db.session.scalars(query)), today, unit_ids=query.with_only_columns(Unit.id))
        if (reviewer_id is None or reviewer_id in p.reviewer_ids) and (due_before is None or p.next_due < due_before)
    ]
    keys: dict[str, Any] = {
        "kind": lambda p: str(p.unit.kind.value),
        "trust_level": lambda p: str(p.unit.trust_level.value),
        "last_visit": lambda p: p.last_visit_date or date.min,
        "next_due": lambda p: p.next_due,
    }
    plans.sort(key=lambda p: p.unit.name.lower())
    if sort in keys:
        plans.sort(key=keys[sort], reverse=descending)
    elif descending:
        plans.reverse()
    return plans


# Sorts the database can page by itself: the list's page then costs the same at 20 or 2,000 units (issue 17).
SQL_SORTS = {"name": (), "kind": (Unit.kind,), "trust_level": (Unit.trust_level,)}


def unit_list_page(
    actor: Any,
    *,
    today: date,
    page: int,
    per_page: int,
    q: str = "",
    unit_kind: UnitKind | None = None,
    trust_level: TrustLevel | None = None,
    reviewer_id: uuid.UUID | None = None,
    due_before: date | None = None,
    sort: str = "name",
    descending: bool = False,
) -> tuple[list[UnitPlan], int]:
    """One page of the units list (``unit_list``'s rules) and the number of units in the whole list.

    Sorted by name, kind or trust level and filtered without a reviewer or a due date, the database sorts and
    pages, and only the page's units get their plans: a fixed number of statements and rows whatever the number of
    units. Sorting by the latest or next visit, or filtering by reviewer or due date, needs every unit's plan, so
    those compute the whole list (``unit_list``) and slice it."""
    if reviewer_id is not None or due_before is not None or sort not in SQL_SORTS:
        plans = unit_list(
            actor,
            today=today,
            q=q,
            unit_kind=unit_kind,
            trust_level=trust_level,
            reviewer_id=reviewer_id,
            due_before=due_before,
            sort=sort,
            descending=descending,
        )
        return plans[(page - 1) * per_page : page * per_page], len(plans)
    query = units_policy.visible_units(actor)
    if q:
        query = query.where(Unit.name_key.contains(fold(q), autoescape=True))
    if unit_kind is not None:
        query = query.where(Unit.kind == unit_kind)
    if trust_level is not None:
        query = query.where(Unit.trust_level == trust_level)
    total = db.session.scalar(query.with_only_columns(func.count()).order_by(None)) or 0
    order = [*SQL_SORTS[sort], Unit.name_key, Unit.id]
    ordered = query.order_by(*(c.desc() for c in order) if descending else order)
    units = list(db.session.scalars(ordered.offset((page - 1) * per_page).limit(per_page)))
    return unit_plans(units, today), total


def active_reviewers() -> list[tuple[str, str]]:
    """Active reviewers as (id, name) by name: the choices of a reviewer filter."""
    people = db.session.execute(
        select(User.id, User.name)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.reviewer, User.is_active_account.is_(True))
        .order_by(func.lower(User.name))
    ).all()
    return [(str(i), n) for i, n in people]
