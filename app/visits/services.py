"""The rules of DESIGN.md 4.1: templates and their versions, planning with case numbers and jäv, the status
machine with the kommunicering gate, findings, and the unit's responses."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, exists, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from app.auth.models import Role, User
from app.core import access, client_ids, mail, signals
from app.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from app.core.models import local_today, local_zone, utcnow
from app.extensions import db
from app.units.models import Membership
from app.visits.models import (
    CaseCounter,
    Finding,
    FindingKind,
    Response,
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
    unit = access.get_unit(actor, unit_id)
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
    if visit_date is None and purpose != VisitPurpose.closer_review:
        errors["visit_date"] = [_("Enter the date of the visit.")]
    registered = local_today()
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


def visit_date_problem(visit_date: date, registered: date) -> str | None:
    """DESIGN.md 4.1: a visit date more than 365 days before the case's registration or more than 3 years after
    it is refused (a mistyped year, ``0364-12-13``); returns the message, or None when the date is acceptable."""
    earliest = registered - timedelta(days=MAX_DAYS_BEFORE_REGISTRATION)
    try:
        latest = registered.replace(year=registered.year + MAX_YEARS_AFTER_REGISTRATION)
    except ValueError:  # 29 February
        latest = registered.replace(year=registered.year + MAX_YEARS_AFTER_REGISTRATION, day=28)
    if earliest <= visit_date <= latest:
        return None
    return _(
        "Enter a date from %(earliest)s to %(latest)s: at most a year before the case was registered and at most "
        "three years after.",
        earliest=earliest.isoformat(),
        latest=latest.isoformat(),
    )


def update_plan(
    visit_id: uuid.UUID,
    *,
    actor: User,
    visit_date: date | None,
    lead_id: uuid.UUID | None,
    member_ids: Iterable[uuid.UUID],
    aim: str,
) -> Visit:
    visit = access.get_visit(actor, visit_id)
    access.require_visit_editor(actor, visit)
    if visit.status in (VisitStatus.final, VisitStatus.closed):
        raise DomainError(_("A final visit's plan can no longer be changed."))
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
    previous = access.get_visit(actor, previous_visit_id)
    access.require_role(actor, Role.coordinator, Role.reviewer)
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
    query = access.visible_visits(actor)
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
            .where(Visit.team.any(TeamMember.user_id == person.id), Visit.status != VisitStatus.closed)
            .options(selectinload(Visit.unit), selectinload(Visit.team).selectinload(TeamMember.user))
            .order_by(Visit.visit_date.asc().nulls_last(), Visit.case_number)
            .limit(limit)
        )
    )


# ---- the status machine ---------------------------------------------------------------------------

# (from, to): the moves DESIGN.md 4.1 allows; draft → final only with a recorded kommunicering waiver.
ALLOWED_MOVES = {
    (VisitStatus.planned, VisitStatus.in_progress),
    (VisitStatus.in_progress, VisitStatus.draft),
    (VisitStatus.draft, VisitStatus.in_progress),
    (VisitStatus.draft, VisitStatus.sent_for_comment),
    (VisitStatus.sent_for_comment, VisitStatus.final),
    (VisitStatus.draft, VisitStatus.final),
    (VisitStatus.final, VisitStatus.closed),
}


def has_response(visit: Visit) -> bool:
    return bool(db.session.scalar(select(exists().where(Response.visit_id == visit.id))))


def transition(
    visit_id: uuid.UUID,
    *,
    actor: User,
    to: VisitStatus | str,
    comment_deadline: date | None = None,
    waiver_reason: str | None = None,
    today: date | None = None,
) -> Visit:
    """Move a visit along DESIGN.md 4.1's status machine, or raise why not (409 in the API)."""
    visit = access.get_visit(actor, visit_id)
    access.require_visit_editor(actor, visit)
    try:
        target = VisitStatus(to)
    except ValueError:
        raise InvalidInput({"to": [_("Unknown status.")]}) from None
    if (visit.status, target) not in ALLOWED_MOVES:
        raise DomainError(
            _(
                "A visit cannot go from %(from)s to %(to)s.",
                **{"from": status_label(visit.status), "to": status_label(target)},
            )
        )
    today = today or local_today()
    now = utcnow()
    if target == VisitStatus.in_progress and visit.visit_date is None:
        raise DomainError(_("Set the date of the visit before starting it."), field="visit_date")
    if target == VisitStatus.sent_for_comment:
        if not visit.findings:
            raise DomainError(_("Record at least one finding before sending the report for comment."))
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
    previous = visit.status
    visit.status = target
    db.session.flush()
    signals.visit_status_changed.send(visit, actor=actor, previous=previous)
    if target == VisitStatus.final:
        from app.visits import report

        report.store_final_report(visit)
    return visit


def _check_may_finalise(visit: Visit, actor: User, waiver_reason: str | None, today: date) -> None:
    lead = visit.lead
    if not actor.is_coordinator and (lead is None or lead.id != actor.id):  # coordinators and the operator may
        raise Forbidden(_("Only the lead reviewer may finalise the report."))
    reason = (waiver_reason or "").strip()
    if visit.status == VisitStatus.draft:
        if len(reason) < 10:
            raise InvalidInput(
                {"waiver_reason": [_("Write why kommunicering is clearly unnecessary (förvaltningslagen 25 §).")]}
            )
        visit.kommunicering_waiver = reason
        return
    deadline_passed = visit.comment_deadline is not None and today > visit.comment_deadline
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


def _notify_unit_of_kommunicering(visit: Visit) -> None:
    members = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == visit.unit_id, User.is_active_account.is_(True))
    ).all()
    for person in members:
        mail.queue(
            mail.render_email(
                "visits/sent_for_comment",
                to=person.email,
                language=person.language,
                person=person,
                visit=visit,
                link=f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/visits/{visit.id}",
            )
        )


def status_label(status: VisitStatus) -> str:
    from app.visits.labels import STATUS

    return str(STATUS[status.value])


# ---- findings -------------------------------------------------------------------------------------

EDITABLE = (VisitStatus.in_progress, VisitStatus.draft)


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
    visit = access.get_visit(actor, visit_id)
    access.require_visit_editor(actor, visit)
    if (existing := client_ids.replayed(Finding, finding_id, is_replay=lambda f: f.visit_id == visit.id)) is not None:
        return existing  # a repeated create with the client's id (API.md, the tablet's offline queue)
    if visit.status == VisitStatus.planned:
        raise DomainError(_("Start the visit before recording findings."))
    if visit.status not in EDITABLE:
        raise DomainError(_("Findings can be changed only while the visit is in progress or a draft."))
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
    finding = access.get_finding(actor, finding_id)
    access.require_visit_editor(actor, finding.visit)
    if finding.visit.status not in EDITABLE:
        raise DomainError(_("Findings can be changed only while the visit is in progress or a draft."))
    for key, value in _validated_finding(finding.visit, kind, severity, text, review_area_id).items():
        setattr(finding, key, value)
    db.session.flush()
    signals.finding_changed.send(finding.visit, actor=actor, finding=finding, action="update")
    return finding


def delete_finding(finding_id: uuid.UUID, *, actor: User) -> Visit:
    finding = access.get_finding(actor, finding_id)
    visit = finding.visit
    access.require_visit_editor(actor, visit)
    if visit.status not in EDITABLE:
        raise DomainError(_("Findings can be changed only while the visit is in progress or a draft."))
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
    if actor.id is None or visit.unit_id not in actor.unit_ids:
        raise Forbidden(_("Only the unit's own members can respond to the report."))
    if visit.status != VisitStatus.sent_for_comment:
        raise DomainError(_("Responses can be given only while the report is out for comment."))
    if visit.comment_deadline is not None and today > visit.comment_deadline:
        raise DomainError(_("The deadline for comments has passed."))


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
    visit = access.get_visit(actor, visit_id)
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


def current_responses(visit: Visit) -> dict[uuid.UUID | None, Response]:
    """The newest response per finding (None: the report as a whole)."""
    newest: dict[uuid.UUID | None, Response] = {}
    for row in db.session.scalars(
        select(Response).where(Response.visit_id == visit.id).order_by(Response.received_at, Response.id)
    ):
        newest[row.finding_id] = row
    return newest


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
