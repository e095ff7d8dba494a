"""The rules of DESIGN.md 4.1: templates and their versions, planning with case numbers and jäv, the status
machine with the kommunicering gate, findings, and the unit's responses."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import Select, exists, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from app.auth.models import Role, User, UserRole
from app.core import access, client_ids, mail, signals
from app.core.errors import DomainError, InvalidInput, NotFound
from app.core.models import local_today, local_zone, utcnow
from app.core.urls import external_url
from app.extensions import db
from app.units import policy as units_policy
from app.units.models import Membership
from app.visits import policy, report
from app.visits.models import (
    CaseCounter,
    Finding,
    FindingKind,
    Response,
    ResponseComment,
    ReviewArea,
    Severity,
    Stance,
    TeamMember,
    Template,
    TemplateVersion,
    Visit,
    VisitPurpose,
    VisitStatus,
)
from app.visits.report import (  # noqa: F401  (part of this module's public interface)
    authority_comments,
    current_responses,
)

T = TypeVar("T")


# ---- templates ------------------------------------------------------------------------------------


@dataclass
class AreaSpec:
    title: str
    questions: list[str]


def parse_areas(text: str) -> list[AreaSpec]:
    """The template editor's plain format: a line is a review area's title, a line starting with "-" is a
    guiding question of the area above it. Works in any browser, without JavaScript."""
    areas: list[AreaSpec] = []
    errors: list[str] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith(("-", "•", "*")):
            question = line.lstrip("-•* ").strip()
            if not areas:
                errors.append(_("Line %(n)d: a question must come after the title of a review area.", n=number))
            elif question:
                areas[-1].questions.append(question)
        elif len(line) > 200:
            errors.append(_("Line %(n)d: a review area's title may be at most 200 characters.", n=number))
        else:
            areas.append(AreaSpec(title=line, questions=[]))
    if not areas and not errors:
        errors.append(_("Add at least one review area."))
    if errors:
        raise InvalidInput({"areas": errors})
    return areas


def areas_text(version: TemplateVersion) -> str:
    """A version's areas in the editor's format."""
    lines: list[str] = []
    for area in version.areas:
        lines.append(area.title)
        lines.extend(f"- {q}" for q in area.question_list)
        lines.append("")
    return "\n".join(lines).strip()


def _validated_template(name: str, areas: str) -> tuple[str, list[AreaSpec]]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Enter the template's name.")]
    elif len(name) > 200:
        errors["name"] = [_("The name may be at most %(n)d characters long.", n=200)]
    try:
        specs = parse_areas(areas)
    except InvalidInput as exc:
        errors.update(exc.errors)
        specs = []
    if errors:
        raise InvalidInput(errors)
    return name, specs


def _fill_version(version: TemplateVersion, specs: list[AreaSpec]) -> None:
    version.areas = [
        ReviewArea(id=uuid.uuid4(), position=i, title=spec.title, questions="\n".join(spec.questions))
        for i, spec in enumerate(specs)
    ]


def create_template(*, actor: User, name: str, description: str = "", areas: str) -> Template:
    access.require_role(actor, Role.coordinator)
    name, specs = _validated_template(name, areas)
    template = Template(id=uuid.uuid4(), name=name)
    version = TemplateVersion(id=uuid.uuid4(), number=1, description=(description or "").strip())
    _fill_version(version, specs)
    template.versions.append(version)
    db.session.add(template)
    db.session.flush()
    return template


def version_in_use(version_id: uuid.UUID) -> bool:
    return bool(db.session.scalar(select(exists().where(Visit.template_version_id == version_id))))


def update_template(
    template_id: uuid.UUID, *, actor: User, name: str, description: str = "", areas: str
) -> TemplateVersion:
    """Edit a template. If a visit already uses its current version, the edit becomes a new version and
    that visit keeps the one it used."""
    access.require_role(actor, Role.coordinator)
    template = db.session.get(Template, template_id)
    if template is None:
        raise NotFound(_("The template does not exist."))
    name, specs = _validated_template(name, areas)
    template.name = name
    current = template.current
    if version_in_use(current.id):
        version = TemplateVersion(id=uuid.uuid4(), number=current.number + 1)
        template.versions.append(version)
    else:
        version = current
    version.description = (description or "").strip()
    _fill_version(version, specs)
    db.session.flush()
    return version


def template_query(*, actor: User, include_archived: bool = False) -> Select[Template]:
    """Templates for planning and for the tablet (reviewers and coordinators), by name, with their versions."""
    access.require_role(actor, Role.coordinator, Role.reviewer)
    query = select(Template).options(selectinload(Template.versions).selectinload(TemplateVersion.areas))
    if not include_archived:
        query = query.where(Template.is_archived.is_(False))
    return query.order_by(func.lower(Template.name), Template.id)


def get_template(template_id: uuid.UUID, *, actor: User) -> Template:
    access.require_role(actor, Role.coordinator, Role.reviewer)
    template = db.session.get(Template, template_id)
    if template is None:
        raise NotFound(_("The template does not exist."))
    return template


def active_templates() -> list[Template]:
    return list(db.session.scalars(select(Template).where(Template.is_archived.is_(False)).order_by(Template.name)))


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
    conflicted = db.session.scalars(
        select(User.name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == unit_id, User.id.in_(ids))
        .order_by(User.name)
    ).all()
    if conflicted:
        errors.setdefault("team", []).append(
            _(
                "Conflict of interest (jäv): %(names)s belongs to the unit under review and cannot be on its team.",
                names=", ".join(conflicted),
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


# ---- jäv over time (DESIGN.md 4.6) ---------------------------------------------------------------

# The visits whose team must not take the unit's side: from planned to out for comment.
JAV_OPEN_STATUSES = (VisitStatus.planned, VisitStatus.in_progress, VisitStatus.draft, VisitStatus.sent_for_comment)


def visits_reviewed_by(person_id: uuid.UUID, unit_ids: Iterable[uuid.UUID]) -> list[Visit]:
    """The open visits (planned to out for comment) of these units that have the person on their team, by
    case number: what a membership of those units would put them on both sides of."""
    ids = list(unit_ids)
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Visit)
            .where(
                Visit.unit_id.in_(ids),
                Visit.status.in_(JAV_OPEN_STATUSES),
                Visit.team.any(TeamMember.user_id == person_id),
            )
            .order_by(Visit.case_number)
        )
    )


def refuse_membership_with_open_visits(person: User, *, unit_ids: Iterable[uuid.UUID], **_kwargs: Any) -> None:
    """Receiver of ``signals.before_membership_added``: jäv holds over time (DESIGN.md 4.6). A membership that
    would make the person a member of a unit whose open visit has them on its team is refused (InvalidInput on
    ``units``) naming the visits, until they are replaced on those teams."""
    conflicting = visits_reviewed_by(person.id, unit_ids)
    if conflicting:
        raise InvalidInput(
            {
                "units": [
                    _(
                        "Conflict of interest (jäv): %(name)s is on the review team of %(visits)s of this unit. "
                        "Replace them on those teams before making them a member of the unit.",
                        name=person.name,
                        visits=", ".join(f"{v.case_number} ({v.unit.name})" for v in conflicting),
                    )
                ]
            }
        )


def connect() -> None:
    """The visits domain's receivers of other domains' events (called by app.visits.init_app)."""
    signals.before_membership_added.connect(refuse_membership_with_open_visits)


# ---- closer review (asked for by app.trust when a trust boundary is crossed, DESIGN.md 4.3) ------------


def open_closer_review_visit(unit_id: uuid.UUID) -> Visit | None:
    """The unit's newest closer-review visit that is not closed yet, if any."""
    return db.session.scalar(
        select(Visit)
        .where(
            Visit.unit_id == unit_id,
            Visit.purpose == VisitPurpose.closer_review,
            Visit.status.not_in([VisitStatus.closed, VisitStatus.cancelled]),
        )
        .order_by(Visit.created_at.desc())
        .limit(1)
    )


def _eligible_lead(person: User | None, unit_id: uuid.UUID) -> bool:
    """An active reviewer who is not a member of the unit (jäv)."""
    return (
        person is not None
        and person.is_active_account
        and Role.reviewer in person.roles
        and not access.takes_unit_side(person, unit_id)  # jäv
    )


def _closer_review_template_and_lead(unit_id: uuid.UUID) -> tuple[Template | None, User | None]:
    """The template and lead reviewer of the unit's latest visit; failing that the template named by
    ``CLOSER_REVIEW_TEMPLATE`` or the first active one, and the reviewer named by ``CLOSER_REVIEW_LEAD_EMAIL``, the
    reviewer who led a visit of another unit most recently, or the first active reviewer — never a member of the
    unit (jäv). Either may be None when there is none."""
    latest = db.session.scalar(select(Visit).where(Visit.unit_id == unit_id).order_by(Visit.created_at.desc()).limit(1))
    template = None
    if latest is not None and not latest.template_version.template.is_archived:
        template = latest.template_version.template
    if template is None:
        active = select(Template).where(Template.is_archived.is_(False))
        configured = current_app.config.get("CLOSER_REVIEW_TEMPLATE")
        if configured:
            template = db.session.scalar(active.where(func.lower(Template.name) == configured.strip().lower()))
        template = template or db.session.scalar(active.order_by(Template.name).limit(1))
    candidates: list[User | None] = [latest.lead if latest is not None else None]
    configured_lead = current_app.config.get("CLOSER_REVIEW_LEAD_EMAIL")
    if configured_lead:
        candidates.append(db.session.scalar(select(User).where(User.email == configured_lead.strip().lower())))
    candidates.extend(
        db.session.scalars(
            select(User)
            .join(TeamMember, TeamMember.user_id == User.id)
            .join(Visit, Visit.id == TeamMember.visit_id)
            .where(TeamMember.is_lead.is_(True), Visit.unit_id != unit_id)
            .order_by(Visit.created_at.desc())
            .limit(10)
        )
    )
    candidates.extend(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.reviewer, User.is_active_account.is_(True))
            .order_by(func.lower(User.name))
            .limit(50)
        )
    )
    lead = next((p for p in candidates if _eligible_lead(p, unit_id)), None)
    return template, lead


def plan_closer_review(unit_id: uuid.UUID, *, aim: str) -> Visit | None:
    """Plan a closer-review visit of the unit, as the system (no date yet; DESIGN.md 4.3), with ``aim`` as its aim;
    the template and lead reviewer are chosen as ``_closer_review_template_and_lead`` says. Returns None, and plans
    nothing, when there is no template or eligible reviewer or the visit is refused: the caller tells people a
    visit must be planned by hand. Flushes; never commits."""
    template, lead = _closer_review_template_and_lead(unit_id)
    if template is None or lead is None:
        return None
    try:
        return create_visit(
            actor=access.OPERATOR,  # type: ignore[arg-type]
            unit_id=unit_id,
            template_id=template.id,
            visit_date=None,
            lead_id=lead.id,
            purpose=VisitPurpose.closer_review,
            aim=aim,
        )
    except DomainError:
        return None


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


# ---- the status machine ---------------------------------------------------------------------------

ALLOWED_MOVES = policy.ALLOWED_MOVES  # the status machine lives in the policy (app.visits.policy)


has_response = policy.has_response


def transition(
    visit_id: uuid.UUID,
    *,
    actor: User,
    to: VisitStatus | str,
    comment_deadline: date | None = None,
    waiver_reason: str | None = None,
    reason: str | None = None,
    today: date | None = None,
) -> Visit:
    """Move a visit along DESIGN.md 4.1's status machine, or raise why not (409 in the API).

    ``reason`` is the written reason of the lead's two moves back: cancelling a planned or started visit
    (``to="cancelled"``) and taking the draft back from kommunicering for revision (``sent_for_comment →
    draft``); both are shown to the unit and e-mailed to its members. Raises InvalidInput (``reason``,
    ``comment_deadline``, ``waiver_reason``, ``to``), Forbidden, or DomainError when the move is not allowed."""
    visit = policy.get_visit(actor, visit_id)
    policy.require_visit_editor(actor, visit)
    try:
        target = VisitStatus(to)
    except ValueError:
        raise InvalidInput({"to": [_("Unknown status.")]}) from None
    if (refusal := policy.why_not_transition(actor, visit, target)) is not None:
        raise refusal
    today = today or local_today()
    now = utcnow()
    previous = visit.status
    withdrawing = previous == VisitStatus.sent_for_comment and target == VisitStatus.draft
    if target == VisitStatus.cancelled or withdrawing:
        written = _written_reason(reason)
        if target == VisitStatus.cancelled:
            visit.cancel_reason = written
            visit.cancelled_at = now
        else:
            visit.withdrawal_reason = written
            visit.withdrawn_at = now
            # Sending again starts a new kommunicering with a new deadline; the responses given so far now
            # answer the earlier draft (``Response.answers_earlier_draft``, derived from ``withdrawn_at``).
            visit.comment_deadline = None
    if target == VisitStatus.sent_for_comment:
        deadline = comment_deadline or today + timedelta(days=current_app.config["COMMENT_DEADLINE_DAYS"])
        if deadline <= today:
            raise InvalidInput({"comment_deadline": [_("The deadline for comments must be after today.")]})
        if deadline > today + timedelta(days=MAX_COMMENT_DEADLINE_DAYS):
            raise InvalidInput({"comment_deadline": [_("The deadline for comments may be at most a year from today.")]})
        visit.comment_deadline = deadline
        visit.sent_for_comment_at = now
        _notify_unit_of_kommunicering(visit)
    if target == VisitStatus.final:
        _check_may_finalise(visit, actor, waiver_reason, today)
        visit.finalised_at = now
    # Other domains' gates (follow-ups: a serious deviation needs an agreed follow-up before final, closing
    # needs every follow-up verified or cancelled) refuse the move by raising a DomainError.
    signals.before_visit_transition.send(visit, actor=actor, to=target, today=today)
    if target == VisitStatus.closed:
        visit.closed_at = now
    visit.status = target
    db.session.flush()
    signals.visit_status_changed.send(visit, actor=actor, previous=previous)
    if target == VisitStatus.cancelled or withdrawing:
        _notify_unit_of_move(visit, "visits/cancelled" if target == VisitStatus.cancelled else "visits/withdrawn")
    if target == VisitStatus.final:
        report.store_final_report(visit)
    return visit


def _check_may_finalise(visit: Visit, actor: User, waiver_reason: str | None, today: date) -> None:
    reason = (waiver_reason or "").strip()
    if visit.status == VisitStatus.draft:
        if len(reason) < 10:
            raise InvalidInput(
                {"waiver_reason": [_("Write why kommunicering is clearly unnecessary (förvaltningslagen 25 §).")]}
            )
        visit.kommunicering_waiver = reason
        return
    deadline_passed = policy.comment_deadline_passed(visit, today)
    if not (has_response(visit) or deadline_passed or len(reason) >= 10):
        raise DomainError(
            _(
                "The report can be finalised when the unit has responded, after the deadline %(deadline)s, "
                "or with a written reason why kommunicering is clearly unnecessary.",
                deadline=visit.comment_deadline.isoformat() if visit.comment_deadline else "–",
            )
        )
    if reason and not has_response(visit) and not deadline_passed:
        visit.kommunicering_waiver = reason


MIN_REASON = 10
MAX_REASON = 5000


def _written_reason(reason: str | None) -> str:
    """The written reason of a cancellation or withdrawal: at least 10 characters, at most 5000."""
    text = (reason or "").strip()
    if len(text) < MIN_REASON:
        raise InvalidInput(
            {"reason": [_("Write the reason (at least %(n)d characters); the unit sees it.", n=MIN_REASON)]}
        )
    if len(text) > MAX_REASON:
        raise InvalidInput({"reason": [_("The reason may be at most %(n)d characters long.", n=MAX_REASON)]})
    return text


def _unit_members(visit: Visit) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.unit_id == visit.unit_id, User.is_active_account.is_(True))
            .order_by(User.email)
        )
    )


def _notify_unit_of_move(visit: Visit, template: str) -> None:
    """The unit's members hear that their visit was cancelled or its draft taken back, with the reason
    (DESIGN.md 4.1, 4.2). A unit member sees every visit of their unit (its date and team), so it is always
    one they could see."""
    for person in _unit_members(visit):
        mail.queue(
            mail.render_email(
                template,
                to=person.email,
                language=person.language,
                person=person,
                visit=visit,
                link=external_url("visits.show", visit_id=visit.id),
            ),
            source=f"{template.replace('/', '.')}:{visit.id}:{person.id}",
        )


def _notify_unit_of_kommunicering(visit: Visit) -> None:
    for person in _unit_members(visit):
        mail.queue(
            mail.render_email(
                "visits/sent_for_comment",
                to=person.email,
                language=person.language,
                person=person,
                visit=visit,
                link=external_url("visits.show", visit_id=visit.id),
            ),
            source=f"visits.sent_for_comment:{visit.id}",
        )


status_label = policy.status_label


# ---- findings -------------------------------------------------------------------------------------

EDITABLE = policy.EDITABLE


def _validated_finding(
    visit: Visit,
    kind: str | FindingKind | None,
    severity: str | Severity | None,
    text: str,
    review_area_id: uuid.UUID | None,
) -> dict:
    errors: dict[str, list[str]] = {}
    try:
        kind = FindingKind(kind) if kind else None
    except ValueError:
        kind = None
    if kind is None:
        errors["kind"] = [_("Choose what kind of finding this is.")]
    sev: Severity | None = None
    if kind == FindingKind.deviation:
        try:
            sev = Severity(severity) if severity else None
        except ValueError:
            sev = None
        if sev is None:
            errors["severity"] = [_("Choose whether the deviation is minor or serious.")]
    text = (text or "").strip()
    if not text:
        errors["text"] = [_("Describe what you saw.")]
    elif len(text) > 10000:
        errors["text"] = [_("The text may be at most %(n)d characters long.", n=10000)]
    if review_area_id is not None and review_area_id not in {a.id for a in visit.template_version.areas}:
        errors["review_area"] = [_("Choose a review area of the visit's template.")]
    if errors:
        raise InvalidInput(errors)
    return {"kind": kind, "severity": sev, "text": text, "review_area_id": review_area_id}


def add_finding(
    visit_id: uuid.UUID,
    *,
    actor: User,
    kind: str | FindingKind | None,
    text: str,
    severity: str | Severity | None = None,
    review_area_id: uuid.UUID | None = None,
    finding_id: uuid.UUID | None = None,
) -> Finding:
    visit = policy.get_visit(actor, visit_id)
    policy.require_visit_editor(actor, visit)
    if (existing := client_ids.replayed(Finding, finding_id, is_replay=lambda f: f.visit_id == visit.id)) is not None:
        return existing  # a repeated create with the client's id (API.md, the tablet's offline queue)
    if (refusal := policy.why_not_change_findings(actor, visit)) is not None:
        raise refusal
    fields = _validated_finding(visit, kind, severity, text, review_area_id)

    def insert() -> Finding:
        finding = Finding(id=finding_id or uuid.uuid4(), visit=visit, created_by_id=actor.id, **fields)
        db.session.add(finding)
        db.session.flush()
        signals.finding_changed.send(visit, actor=actor, finding=finding, action="create")
        return finding

    return client_ids.created_once(Finding, finding_id, insert, is_replay=lambda f: f.visit_id == visit.id)


def update_finding(
    finding_id: uuid.UUID,
    *,
    actor: User,
    kind: str | FindingKind | None,
    text: str,
    severity: str | Severity | None = None,
    review_area_id: uuid.UUID | None = None,
) -> Finding:
    finding = policy.get_finding(actor, finding_id)
    if (refusal := policy.why_not_change_findings(actor, finding.visit)) is not None:
        raise refusal
    for key, value in _validated_finding(finding.visit, kind, severity, text, review_area_id).items():
        setattr(finding, key, value)
    db.session.flush()
    signals.finding_changed.send(finding.visit, actor=actor, finding=finding, action="update")
    return finding


def delete_finding(finding_id: uuid.UUID, *, actor: User) -> Visit:
    finding = policy.get_finding(actor, finding_id)
    visit = finding.visit
    if (refusal := policy.why_not_change_findings(actor, visit)) is not None:
        raise refusal
    db.session.delete(finding)
    db.session.flush()
    signals.finding_changed.send(visit, actor=actor, finding=None, action="delete")
    return visit


# ---- the unit's response (yttrande) ---------------------------------------------------------------


@dataclass
class FindingAnswer:
    finding_id: uuid.UUID
    stance: Stance | str | None
    text: str


def _may_respond(actor: User, visit: Visit, today: date) -> None:
    if (refusal := policy.why_not_respond(actor, visit, today)) is not None:
        raise refusal


def submit_response(
    visit_id: uuid.UUID,
    *,
    actor: User,
    overall: str = "",
    answers: Iterable[FindingAnswer] = (),
    today: date | None = None,
) -> list[Response]:
    """The unit's response: the report as a whole and any findings, received now and never edited after.
    The unit knows of its visits before kommunicering (date and team), so responding then is refused by
    rule (409), not hidden; the findings are read only once the report is out for comment."""
    visit = policy.get_visit(actor, visit_id)
    _may_respond(actor, visit, today or local_today())
    findings = {f.id: f for f in visit.findings}
    errors: dict[str, list[str]] = {}
    rows: list[Response] = []
    received = utcnow()
    overall = (overall or "").strip()
    if overall:
        rows.append(Response(id=uuid.uuid4(), visit=visit, stance=None, text=overall))
    for answer in answers:
        text = (answer.text or "").strip()
        if answer.finding_id not in findings:
            errors.setdefault("findings", []).append(_("A finding in the response is not part of this report."))
            continue
        if not answer.stance and not text:
            continue  # left unanswered
        try:
            stance = Stance(answer.stance) if answer.stance else None
        except ValueError:
            stance = None
        if stance is None:
            errors[f"stance-{answer.finding_id}"] = [_("Choose whether you agree, partly agree or disagree.")]
            continue
        rows.append(
            Response(id=uuid.uuid4(), visit=visit, finding=findings[answer.finding_id], stance=stance, text=text)
        )
    if not rows and not errors:
        errors["overall"] = [_("Write a comment on the report or answer at least one finding.")]
    if errors:
        raise InvalidInput(errors)
    for row in rows:
        row.submitted_by_id = actor.id
        row.received_at = received
        db.session.add(row)
    db.session.flush()
    return rows


MAX_COMMENT = 5000


def comment_on_response(response_id: uuid.UUID, *, actor: User, text: str) -> ResponseComment:
    """Write (or rewrite) the authority's comment on one of the unit's responses: how it was taken into account
    (DESIGN.md 4.1). The response itself never changes; the comment is its own row, one per response, and is
    printed beside the response in the final report. Raises NotFound, Forbidden, DomainError (not out for
    comment, or a response to an earlier draft) or InvalidInput (``text``: 1–5000 characters)."""
    response = policy.get_response(actor, response_id)
    if (refusal := policy.why_not_comment_on_response(actor, response)) is not None:
        raise refusal
    written = (text or "").strip()
    if not written:
        raise InvalidInput({"text": [_("Write how the response was taken into account.")]})
    if len(written) > MAX_COMMENT:
        raise InvalidInput({"text": [_("The text may be at most %(n)d characters long.", n=MAX_COMMENT)]})
    comment = db.session.scalar(select(ResponseComment).where(ResponseComment.response_id == response.id))
    if comment is None:
        comment = ResponseComment(id=uuid.uuid4(), response_id=response.id, response=response, text=written)
        db.session.add(comment)
    else:
        comment.text = written
    comment.written_by_id = actor.id
    db.session.flush()
    return comment


def responses_query(visit: Visit) -> Select[Response]:
    """Every response the unit has given on a visit, newest first (corrections are newer rows)."""
    return (
        select(Response)
        .where(Response.visit_id == visit.id)
        .options(selectinload(Response.submitted_by))
        .order_by(Response.received_at.desc(), Response.id)
    )


def responses_history(visit: Visit) -> list[Response]:
    return list(db.session.scalars(responses_query(visit)))


def finding_query(visit: Visit) -> Select[Finding]:
    """A visit's findings in the order they were recorded, with their evidence."""
    return (
        select(Finding)
        .where(Finding.visit_id == visit.id)
        .options(selectinload(Finding.evidence))
        .order_by(Finding.created_at, Finding.id)
    )
