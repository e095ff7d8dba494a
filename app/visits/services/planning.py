"""Planning visits (DESIGN.md 4.1): case numbers, the team with jäv, the visit date rule, the plan, follow-up
visits, the visit lists and what a tablet keeps offline."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, timedelta

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from app.auth.models import Role, User
from app.core import access, client_ids
from app.core.errors import InvalidInput
from app.core.input import clean_text
from app.core.models import local_today, local_zone
from app.extensions import db
from app.units import policy as units_policy
from app.units.models import Membership
from app.visits import policy
from app.visits.models import (
    CaseCounter,
    TeamMember,
    Template,
    Visit,
    VisitPurpose,
    VisitStatus,
)

# ---- planning -------------------------------------------------------------------------------------


def next_case_number(year: int) -> str:
    """``TS-2026-0042``: one counter row per year, incremented atomically in the caller's transaction.
    Concurrent creators queue on the row lock, and a rolled-back visit rolls its number back: gap-free."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(CaseCounter)
        .values(year=year, last_number=1)
        .on_conflict_do_update(index_elements=["year"], set_={"last_number": CaseCounter.last_number + 1})
        .returning(CaseCounter.last_number)
    )
    number = db.session.execute(statement).scalar_one()
    return f"{current_app.config['CASE_NUMBER_PREFIX']}-{year}-{number:04d}"


def _team(lead_id: uuid.UUID | None, member_ids: Iterable[uuid.UUID], unit_id: uuid.UUID) -> list[TeamMember]:
    """The review team: at least one reviewer, exactly one lead, nobody who is a member of the unit (jäv)."""
    ids = list(dict.fromkeys([*([lead_id] if lead_id else []), *member_ids]))
    if lead_id is None:
        raise InvalidInput({"lead": [_("Choose the lead reviewer.")]})
    people = {p.id: p for p in db.session.scalars(select(User).where(User.id.in_(ids)))}
    errors: dict[str, list[str]] = {}
    for person_id in ids:
        person = people.get(person_id)
        field = "lead" if person_id == lead_id else "team"
        if person is None or not person.is_active_account or Role.reviewer not in person.roles:
            errors.setdefault(field, []).append(_("Only active reviewers can be on a review team."))
    conflicted = db.session.execute(
        select(User.id, User.name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == unit_id, User.id.in_(ids))
        .order_by(User.name)
    ).all()
    # The error stands under the field where the person was chosen: the lead's own, or the other reviewers'.
    for field in ("lead", "team"):
        names = [name for person_id, name in conflicted if (person_id == lead_id) == (field == "lead")]
        if names:
            errors.setdefault(field, []).append(
                _(
                    "Conflict of interest (jäv): %(names)s belongs to the unit under review and cannot be on its team.",
                    names=", ".join(names),
                )
            )
    if errors:
        raise InvalidInput(errors)
    return [TeamMember(id=uuid.uuid4(), user_id=pid, is_lead=pid == lead_id) for pid in ids]


# A visit date more than a year before the case was registered, or more than three years after, is a typing
# mistake, not a plan (DESIGN.md 4.1).
MAX_DAYS_BEFORE_REGISTRATION = 365
MAX_YEARS_AFTER_REGISTRATION = 3


def visit_date_problem(visit_date: date, registered: date) -> str | None:
    """DESIGN.md 4.1: a visit date more than 365 days before the case's registration (Stockholm date) or more than
    3 years after it is refused (a mistyped year, ``0364-12-13``); returns the message, or None when it is fine."""
    earliest = registered - timedelta(days=MAX_DAYS_BEFORE_REGISTRATION)
    try:
        latest = registered.replace(year=registered.year + MAX_YEARS_AFTER_REGISTRATION)
    except ValueError:  # 29 February
        latest = registered.replace(year=registered.year + MAX_YEARS_AFTER_REGISTRATION, day=28)
    if visit_date < earliest:
        return _(
            "The date may be at most a year before the case was registered (%(date)s).",
            date=format_date(earliest, "long"),
        )
    if visit_date > latest:
        return _(
            "The date may be at most three years after the case was registered (%(date)s).",
            date=format_date(latest, "long"),
        )
    return None


def create_visit(
    *,
    actor: User,
    unit_id: uuid.UUID,
    template_id: uuid.UUID,
    visit_date: date | None,
    lead_id: uuid.UUID | None,
    member_ids: Iterable[uuid.UUID] = (),
    purpose: VisitPurpose | str = VisitPurpose.planned,
    aim: str = "",
    previous_visit_id: uuid.UUID | None = None,
    visit_id: uuid.UUID | None = None,
) -> Visit:
    access.require_role(actor, Role.coordinator, Role.reviewer)
    unit = units_policy.get_unit(actor, unit_id)
    if (existing := client_ids.replayed(Visit, visit_id, is_replay=lambda v: v.unit_id == unit.id)) is not None:
        return existing  # a repeated create with the client's id (API.md)
    errors: dict[str, list[str]] = {}
    template = db.session.get(Template, template_id) if template_id else None
    if template is None or template.is_archived:
        errors["template"] = [_("Choose a review template.")]
    try:
        purpose = VisitPurpose(purpose)
    except ValueError:
        errors["purpose"] = [_("Choose one of the listed purposes.")]
    registered = local_today()
    if visit_date is None and purpose != VisitPurpose.closer_review:
        errors["visit_date"] = [_("Enter the date of the visit.")]
    if visit_date is not None and (problem := visit_date_problem(visit_date, registered)):
        errors["visit_date"] = [problem]
    try:
        team = _team(lead_id, member_ids, unit.id)
    except InvalidInput as exc:
        errors.update(exc.errors)
        team = []
    if errors:
        raise InvalidInput(errors)
    assert template is not None
    year = registered.year  # the case's year is when it is registered, never the visit date (DESIGN.md 4.1)

    def insert() -> Visit:
        visit = Visit(
            id=visit_id or uuid.uuid4(),
            case_number=next_case_number(year),  # in the savepoint: a lost race gives its number back
            unit=unit,
            template_version_id=template.current.id,
            purpose=purpose,
            status=VisitStatus.planned,
            visit_date=visit_date,
            aim=(aim or "").strip(),
            previous_visit_id=previous_visit_id,
        )
        visit.team = team
        db.session.add(visit)
        db.session.flush()
        return visit

    return client_ids.created_once(Visit, visit_id, insert, is_replay=lambda v: v.unit_id == unit.id)


MAX_DAYS_BEFORE_REGISTRATION = 365
MAX_YEARS_AFTER_REGISTRATION = 3
MAX_COMMENT_DEADLINE_DAYS = 365


def update_plan(
    visit_id: uuid.UUID,
    *,
    actor: User,
    visit_date: date | None,
    lead_id: uuid.UUID | None,
    member_ids: Iterable[uuid.UUID],
    aim: str,
) -> Visit:
    visit = policy.get_visit(actor, visit_id)
    if (refusal := policy.why_not_change_plan(actor, visit)) is not None:
        raise refusal
    if visit_date is None and visit.status != VisitStatus.planned:
        raise InvalidInput({"visit_date": [_("Enter the date of the visit.")]})
    registered = visit.created_at.astimezone(local_zone()).date() if visit.created_at else local_today()
    if visit_date is not None and (problem := visit_date_problem(visit_date, registered)):
        raise InvalidInput({"visit_date": [problem]})
    team = _team(lead_id, member_ids, visit.unit_id)
    wanted = {m.user_id: m.is_lead for m in team}
    for member in list(visit.team):
        if member.user_id not in wanted:
            visit.team.remove(member)
        else:
            member.is_lead = wanted.pop(member.user_id)
    for user_id, is_lead in wanted.items():
        visit.team.append(TeamMember(id=uuid.uuid4(), user_id=user_id, is_lead=is_lead))
    visit.visit_date = visit_date
    visit.aim = (aim or "").strip()
    db.session.flush()
    return visit


# The summary is a page of text at most: the report opens with it (DESIGN.md 4.1).
MAX_SUMMARY = 10_000


def write_summary(visit_id: uuid.UUID, *, actor: User, summary: str) -> Visit:
    """Store the lead's summary of the visit, which opens the final report (DESIGN.md 4.1). Refused (as
    ``policy.why_not_write_summary`` says) unless the actor is the lead or a coordinator and the visit is under
    way and not yet final; ``InvalidInput({"summary": [...]})`` (422) when longer than ``MAX_SUMMARY`` characters
    or holding control characters. An empty text removes the summary."""
    visit = policy.get_visit(actor, visit_id)
    if (refusal := policy.why_not_write_summary(actor, visit)) is not None:
        raise refusal
    text = clean_text(summary or "", field="summary", multiline=True).strip()
    if len(text) > MAX_SUMMARY:
        raise InvalidInput({"summary": [_("The summary may be at most %(n)d characters long.", n=MAX_SUMMARY)]})
    visit.summary = text
    db.session.flush()
    return visit


def start_follow_up(
    previous_visit_id: uuid.UUID, *, actor: User, visit_date: date | None, visit_id: uuid.UUID | None = None
) -> Visit:
    """A new visit to the same unit with the same template (its current version) and team. A client-chosen
    ``visit_id`` makes a repeated call return the first follow-up visit."""
    previous = policy.get_visit(actor, previous_visit_id)
    access.require_role(actor, Role.coordinator, Role.reviewer)
    if (refusal := policy.why_not_start_follow_up_visit(actor, previous)) is not None:
        raise refusal
    if (
        existing := client_ids.replayed(Visit, visit_id, is_replay=lambda v: v.previous_visit_id == previous.id)
    ) is not None:
        return existing
    lead = previous.lead
    return create_visit(
        actor=actor,
        unit_id=previous.unit_id,
        template_id=previous.template_version.template_id,
        visit_date=visit_date,
        lead_id=lead.id if lead else None,
        member_ids=[m.user_id for m in previous.team if not m.is_lead],
        purpose=VisitPurpose.follow_up,
        aim=_("Follow-up of %(case)s", case=previous.case_number),
        previous_visit_id=previous.id,
        visit_id=visit_id,
    )


def visit_query(
    actor: User,
    *,
    status: VisitStatus | str | None = None,
    unit_id: uuid.UUID | None = None,
    reviewer_id: uuid.UUID | None = None,
) -> Select[Visit]:
    """The visits a person may see, filtered by status, unit and a reviewer on the team; the newest first
    (those without a date, still to be planned, at the top). The UI's list and the API's share it."""
    query = policy.visible_visits(actor)
    if status:
        query = query.where(Visit.status == VisitStatus(status))
    if unit_id is not None:
        query = query.where(Visit.unit_id == unit_id)
    if reviewer_id is not None:
        query = query.where(Visit.team.any(TeamMember.user_id == reviewer_id))
    return query.order_by(Visit.visit_date.desc().nulls_first(), Visit.case_number.desc())


def my_visits(person: User, limit: int = 10) -> list[Visit]:
    """A reviewer's current visits (not closed), soonest first: the start page's list."""
    return list(
        db.session.scalars(
            select(Visit)
            .where(
                Visit.team.any(TeamMember.user_id == person.id),
                Visit.status.not_in([VisitStatus.closed, VisitStatus.cancelled]),
            )
            .options(selectinload(Visit.unit), selectinload(Visit.team).selectinload(TeamMember.user))
            .order_by(Visit.visit_date.asc().nulls_last(), Visit.case_number)
            .limit(limit)
        )
    )


# The visits whose site screens the tablet keeps for working without a network (DESIGN.md 4.8).
OFFLINE_DAYS_AHEAD = 14


def kept_offline(visit: Visit, person: User, today: date | None = None) -> bool:
    """Whether the tablet keeps this visit's site screens for ``person`` (DESIGN.md 4.8): they are on its team,
    and it is planned for a day from today to 14 days ahead, or in progress with a date no later than that."""
    today = today or local_today()
    if visit.visit_date is None or visit.visit_date > today + timedelta(days=OFFLINE_DAYS_AHEAD):
        return False
    if not any(member.user_id == person.id for member in visit.team):
        return False
    if visit.status == VisitStatus.in_progress:
        return True
    return visit.status == VisitStatus.planned and visit.visit_date >= today
