"""The indicator catalogue: what units report on (DESIGN.md 4.3)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
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
from app.trust.services.readings import parse_value
from app.units.models import UnitKind

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


def _bound(raw: Any, field: str, errors: dict[str, list[str]]) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        return parse_value(raw)
    except ValueError as exc:
        errors.setdefault(field, []).append(str(exc))
        return None


def _kinds(raw: Sequence[str] | str | None, errors: dict[str, list[str]]) -> str:
    items = raw.split(",") if isinstance(raw, str) else list(raw or [])
    kinds = []
    for item in items:
        kind = str(item).strip()
        if not kind:
            continue
        if kind not in UnitKind.__members__:
            errors.setdefault("unit_kinds", []).append(
                _("“%(kind)s” is not a kind of unit; use %(kinds)s.", kind=kind, kinds=", ".join(UnitKind.__members__))
            )
        elif kind not in kinds:
            kinds.append(kind)
    return ",".join(kind for kind in UnitKind.__members__ if kind in kinds)


def _validated_indicator(
    name_sv: str,
    name_en: str,
    unit_of_measure: str,
    description: str,
    min_value: Any = None,
    max_value: Any = None,
    unit_kinds: Sequence[str] | str | None = None,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {
        "name_sv": _text(name_sv, "name_sv", errors, required=_("Enter the Swedish name."), limit=200),
        "name_en": _text(name_en, "name_en", errors, required=_("Enter the English name."), limit=200),
        "unit_of_measure": _text(unit_of_measure, "unit_of_measure", errors, required=None, limit=40),
        "description": _text(description, "description", errors, required=None, limit=5000),
        "min_value": _bound(min_value, "min_value", errors),
        "max_value": _bound(max_value, "max_value", errors),
        "unit_kinds": _kinds(unit_kinds, errors),
    }
    low: float | None = values["min_value"]
    high: float | None = values["max_value"]
    if low is not None and high is not None and low > high:
        errors.setdefault("max_value", []).append(_("The highest value must not be below the lowest."))
    return values, errors


def create_indicator(
    *,
    actor: User,
    key: str,
    name_sv: str,
    name_en: str,
    unit_of_measure: str = "",
    description: str = "",
    min_value: float | str | None = None,
    max_value: float | str | None = None,
    unit_kinds: Sequence[str] | str | None = None,
    indicator_id: uuid.UUID | None = None,
) -> Indicator:
    """Add an indicator to the catalogue (coordinators; DESIGN.md 4.3). ``min_value``/``max_value`` bound the
    readings (inclusive, None = no bound; a percentage: 0 and 100); ``unit_kinds`` (UnitKind values, empty =
    every kind) are the kinds of unit that report it. Raises Forbidden, InvalidInput naming the field."""
    access.require_role(actor, Role.coordinator)
    if indicator_id is not None and (existing := db.session.get(Indicator, indicator_id)) is not None:
        return existing
    values, errors = _validated_indicator(
        name_sv, name_en, unit_of_measure, description, min_value, max_value, unit_kinds
    )
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
    min_value: float | str | None = None,
    max_value: float | str | None = None,
    unit_kinds: Sequence[str] | str | None = None,
) -> Indicator:
    """Names, description, allowed range and unit kinds can change; the key cannot (files and integrations rely
    on it). A narrower range does not touch readings already stored; it applies to the next reports."""
    indicator = trust_policy.get_indicator(actor, indicator_id)
    access.require_role(actor, Role.coordinator)
    values, errors = _validated_indicator(
        name_sv, name_en, unit_of_measure, description, min_value, max_value, unit_kinds
    )
    if errors:
        raise InvalidInput(errors)
    for key, value in values.items():
        setattr(indicator, key, value)
    db.session.flush()
    return indicator


def all_indicators() -> list[Indicator]:
    return list(db.session.scalars(select(Indicator).order_by(Indicator.key)))
