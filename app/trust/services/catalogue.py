"""The indicator catalogue: what units report on (DESIGN.md 4.3)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import Role, User
from app.core import access
from app.core.errors import InvalidInput
from app.extensions import db
from app.trust import policy as trust_policy
from app.trust.models import (
    Indicator,
)
from app.trust.services.common import (
    _text,
)

# ---- the indicator catalogue ----------------------------------------------------------------------

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def find_indicator(reference: str | uuid.UUID | None) -> Indicator | None:
    """An indicator by key or id (CSV files and the API use keys)."""
    if reference is None:
        return None
    if isinstance(reference, uuid.UUID):
        return db.session.get(Indicator, reference)
    text = str(reference).strip()
    try:
        found = db.session.get(Indicator, uuid.UUID(text))
        if found is not None:
            return found
    except ValueError:
        pass
    return db.session.scalar(select(Indicator).where(Indicator.key == text.lower()))


def _validated_indicator(
    name_sv: str, name_en: str, unit_of_measure: str, description: str
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    values = {
        "name_sv": _text(name_sv, "name_sv", errors, required=_("Enter the Swedish name."), limit=200),
        "name_en": _text(name_en, "name_en", errors, required=_("Enter the English name."), limit=200),
        "unit_of_measure": _text(unit_of_measure, "unit_of_measure", errors, required=None, limit=40),
        "description": _text(description, "description", errors, required=None, limit=5000),
    }
    return values, errors


def create_indicator(
    *,
    actor: User,
    key: str,
    name_sv: str,
    name_en: str,
    unit_of_measure: str = "",
    description: str = "",
    indicator_id: uuid.UUID | None = None,
) -> Indicator:
    access.require_role(actor, Role.coordinator)
    if indicator_id is not None and (existing := db.session.get(Indicator, indicator_id)) is not None:
        return existing
    values, errors = _validated_indicator(name_sv, name_en, unit_of_measure, description)
    key = (key or "").strip().lower()
    if not key:
        errors["key"] = [_("Enter a key, for example larm_inom_10_min.")]
    elif len(key) > 60 or not KEY_RE.match(key):
        errors["key"] = [_("Use at most 60 lowercase letters a–z, digits, - and _, starting with a letter or digit.")]
    elif db.session.scalar(select(Indicator.id).where(Indicator.key == key)) is not None:
        errors["key"] = [_("There is already an indicator with this key.")]
    if errors:
        raise InvalidInput(errors)
    indicator = Indicator(id=indicator_id or uuid.uuid4(), key=key, **values)
    db.session.add(indicator)
    db.session.flush()
    return indicator


def update_indicator(
    indicator_id: uuid.UUID,
    *,
    actor: User,
    name_sv: str,
    name_en: str,
    unit_of_measure: str = "",
    description: str = "",
) -> Indicator:
    """Names and description can change; the key cannot (files and integrations rely on it)."""
    indicator = trust_policy.get_indicator(actor, indicator_id)
    access.require_role(actor, Role.coordinator)
    values, errors = _validated_indicator(name_sv, name_en, unit_of_measure, description)
    if errors:
        raise InvalidInput(errors)
    for key, value in values.items():
        setattr(indicator, key, value)
    db.session.flush()
    return indicator


def all_indicators() -> list[Indicator]:
    return list(db.session.scalars(select(Indicator).order_by(Indicator.key)))
