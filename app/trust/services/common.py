"""What the trust services share: limits, the party a person speaks for, the unit lock that serialises a unit's
trust work, the system's audit identity, and the people e-mails go to (DESIGN.md 4.3)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.auth.models import Role, User, UserRole
from app.core import audit
from app.extensions import db
from app.trust import policy as trust_policy
from app.units.models import Membership, Unit

MAX_PERIODS = 24
MAX_DAYS = 365
MAX_BATCH = 5000
MAX_VALUE = 1e12
MIN_NOTE = 10


def _actor_id(actor: User) -> uuid.UUID | None:
    return actor.id


side_of = trust_policy.side_of  # who speaks for which party (app.trust.policy)


def _lock_unit(unit_id: uuid.UUID) -> Unit:
    """Serialise the trust work of one unit (evaluations, proposals, readings) on its row."""
    return db.session.execute(
        select(Unit).where(Unit.id == unit_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()


@contextmanager
def _as_system() -> Iterator[None]:
    """What the rules set off (breaches, the trust level, a visit) is the system's doing in the audit trail."""
    session = db.session()
    before = audit.get_audit_context(session)
    audit.set_audit_context(
        session, audit.AuditContext(actor_id=None, actor_label="system", client_address=None, via="system")
    )
    try:
        yield
    finally:
        audit.set_audit_context(session, before)


def _text(value: str | None, field: str, errors: dict[str, list[str]], *, required: str | None, limit: int) -> str:
    value = (value or "").strip()
    if not value and required:
        errors.setdefault(field, []).append(required)
    elif len(value) > limit:
        errors.setdefault(field, []).append(_("The text may be at most %(n)d characters long.", n=limit))
    return value


def _people(unit_id: uuid.UUID | None, *, coordinators: bool) -> list[User]:
    """Active members of the unit, and (if asked) the active coordinators; each once."""
    conditions = []
    if unit_id is not None:
        conditions.append(User.id.in_(select(Membership.user_id).where(Membership.unit_id == unit_id)))
    if coordinators:
        conditions.append(User.id.in_(select(UserRole.user_id).where(UserRole.role == Role.coordinator)))
    if not conditions:
        return []
    return list(
        db.session.scalars(select(User).where(User.is_active_account.is_(True), or_(*conditions)).order_by(User.email))
    )
