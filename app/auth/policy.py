"""Who may see which people (DESIGN.md 4.6): coordinators manage people; staff see everyone; a unit member sees
the people who share a unit with them. People's accounts are the coordinators' history to read."""

from __future__ import annotations

import uuid
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, exists, select

from app.auth.models import User
from app.core import audit
from app.core.errors import NotFound
from app.extensions import db
from app.units.models import Membership


def visible_users(actor: Any) -> Select[User]:
    """Staff see everyone; a unit member sees the people who share a unit with them (and themselves)."""
    query = select(User)
    if not actor.is_staff:
        shared = (
            select(Membership.id)
            .where(Membership.user_id == User.id)
            .where(Membership.unit_id.in_(select(Membership.unit_id).where(Membership.user_id == actor.id)))
        )
        query = query.where((User.id == actor.id) | exists(shared))
    return query


def get_user(actor: Any, user_id: uuid.UUID) -> User:
    """A person the actor may see; NotFound (404) otherwise."""
    person: User | None = db.session.scalars(visible_users(actor).where(User.id == user_id)).first()
    if person is None:
        raise NotFound(_("The person does not exist or you may not see them."))
    return person


def can_manage_people(actor: Any) -> bool:
    """Creating people, changing their roles and memberships: the coordinators'."""
    return bool(actor.is_coordinator)


# Events about people's accounts (logins, roles, tokens) belong to the coordinators, who manage people.
for _type in ("user", "user_role", "api_token"):
    audit.register_audit_type(_type, coordinators_only=True)
