"""Who is told about a new message, and each person's notification mode (DESIGN.md 4.6)."""

from __future__ import annotations

import uuid

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.core.errors import Forbidden, InvalidInput
from app.dialogue import policy as dialogue_policy
from app.dialogue.models import (
    Message,
    NotificationMode,
    NotificationSetting,
    PendingNotice,
    PendingNotification,
    Side,
)
from app.extensions import db
from app.units.models import Membership
from app.visits.models import TeamMember, Visit

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
        for table in (PendingNotification, PendingNotice):
            db.session.execute(
                delete(table)
                .where(table.recipient_id == actor.id, table.batch_id.is_(None))
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
