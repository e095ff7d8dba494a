"""The closer-review visit the trust domain asks for when a boundary is crossed (DESIGN.md 4.3)."""

from __future__ import annotations

import uuid

from flask import current_app
from sqlalchemy import func, select

from app.auth.models import Role, User, UserRole
from app.core import access
from app.core.errors import DomainError
from app.extensions import db
from app.visits.models import (
    TeamMember,
    Template,
    Visit,
    VisitPurpose,
    VisitStatus,
)
from app.visits.services.planning import create_visit

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
