"""Rules for units: who may create and edit them, and what a valid unit is."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select

from app.core import access, client_ids
from app.core import input as input_layer
from app.core.errors import InvalidInput
from app.core.input import fold
from app.extensions import db
from app.units import policy as units_policy
from app.units.models import Unit, UnitKind

if TYPE_CHECKING:
    from app.auth.models import User


def normalise_email(value: str | None, field: str, *, required: bool) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise InvalidInput({field: [_("Enter an e-mail address.")]})
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise InvalidInput({field: [_("Enter a valid e-mail address, like name@example.se.")]}) from None


def luhn_ok(digits: str) -> bool:
    """The Luhn (modulus 10) check that the last digit of a Swedish organisation number satisfies."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def normalise_organisation_number(value: str | None, field: str = "organisation_number") -> str | None:
    """An organisation number as ``NNNNNN-NNNN``; empty gives None. Accepts it with or without the dash and with
    spaces; refuses (``InvalidInput`` naming ``field``) anything but ten digits whose last is the Luhn check digit
    (DESIGN.md 4.6, issue 16)."""
    text = (value or "").strip()
    if not text:
        return None
    digits = text.replace("-", "").replace(" ", "")
    if not (digits.isascii() and digits.isdigit() and len(digits) == 10):
        raise InvalidInput({field: [_("Enter the organisation number as ten digits, like 212000-1355.")]})
    if not luhn_ok(digits):
        raise InvalidInput({field: [_("The organisation number's check digit is wrong; check for a typo.")]})
    return f"{digits[:6]}-{digits[6:]}"


def _validated(
    name: str,
    kind: str | UnitKind,
    contact_email: str | None,
    *,
    unit_id: uuid.UUID | None,
    address: str | None = None,
    owner: str | None = None,
    organisation_number: str | None = None,
    municipality: str | None = None,
) -> dict:
    errors: dict[str, list[str]] = {}
    extra: dict[str, str | None] = {}
    for key, value, limit in (("address", address, 300), ("owner", owner, 200), ("municipality", municipality, 100)):
        text = (value or "").strip()
        if len(text) > limit:
            errors[key] = [_("The text may be at most %(n)d characters long.", n=limit)]
        extra[key] = text or None
    try:
        extra["organisation_number"] = normalise_organisation_number(organisation_number)
    except InvalidInput as exc:
        errors.update(exc.errors)
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Enter the unit's name.")]
    elif len(name) > 200:
        errors["name"] = [_("The name may be at most %(n)d characters long.", n=200)]
    else:
        clash = select(Unit.id).where(Unit.name_key == fold(name))
        if unit_id is not None:
            clash = clash.where(Unit.id != unit_id)
        if db.session.scalar(clash) is not None:
            errors["name"] = [_("There is already a unit with this name.")]
    try:
        kind = UnitKind(kind or UnitKind.other)
    except ValueError:
        errors["kind"] = [_("Choose one of the listed kinds.")]
    try:
        email = normalise_email(contact_email, "contact_email", required=False)
    except InvalidInput as exc:
        errors.update(exc.errors)
        email = None
    if errors:
        raise InvalidInput(errors)
    return {"name": name, "kind": kind, "contact_email": email, **extra}


def create_unit(
    *,
    actor: User,
    name: str,
    kind: str | UnitKind = UnitKind.other,
    contact_email: str | None = None,
    unit_id: uuid.UUID | None = None,
    address: str | None = None,
    owner: str | None = None,
    organisation_number: str | None = None,
    municipality: str | None = None,
) -> Unit:
    """Create a unit. A client-chosen ``unit_id`` makes the call idempotent: repeating it returns the first unit.
    ``InvalidInput`` names each bad field (an organisation number must pass the Luhn check)."""
    from app.auth.models import Role

    access.require_role(actor, Role.coordinator)
    if (existing := client_ids.replayed(Unit, unit_id, is_replay=lambda u: True)) is not None:
        return existing  # coordinators see every unit: a repeated create is always theirs to see
    fields = _validated(
        name,
        kind,
        contact_email,
        unit_id=None,
        address=address,
        owner=owner,
        organisation_number=organisation_number,
        municipality=municipality,
    )
    unit = Unit(id=unit_id or uuid.uuid4(), **fields)
    db.session.add(unit)
    db.session.flush()
    return unit


def update_unit(
    unit_id: uuid.UUID,
    *,
    actor: User,
    name: str,
    kind: str | UnitKind,
    contact_email: str | None,
    address: str | None = None,
    owner: str | None = None,
    organisation_number: str | None = None,
    municipality: str | None = None,
) -> Unit:
    """Change a unit (coordinators); ``InvalidInput`` names each bad field."""
    from app.auth.models import Role

    unit = units_policy.get_unit(actor, unit_id)
    access.require_role(actor, Role.coordinator)
    fields = _validated(
        name,
        kind,
        contact_email,
        unit_id=unit.id,
        address=address,
        owner=owner,
        organisation_number=organisation_number,
        municipality=municipality,
    )
    for key, value in fields.items():
        setattr(unit, key, value)
    db.session.flush()
    return unit


def find_unit(reference: str) -> Unit | None:
    """A unit by id or by name, compared as ``fold`` does (CLI arguments: "östra gymnasiet" finds "Östra gymnasiet")."""
    try:
        found = db.session.get(Unit, uuid.UUID(reference))
        if found is not None:
            return found
    except ValueError:
        pass
    return db.session.scalar(select(Unit).where(Unit.name_key == fold(reference)))


IMPORT_COLUMNS = ("name", "kind", "email", "address", "organisation_number", "owner")


@dataclass
class UnitImport:
    """What an import did, or would do in a dry run: the names created and updated, in file order."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    dry_run: bool = False


def _rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """The CSV's rows by line number (the header is line 1), comma- or semicolon-separated, a BOM allowed."""
    header, rows = input_layer.csv_rows(text)
    missing = [c for c in ("name",) if c not in header]
    unknown = [h for h in header if h not in IMPORT_COLUMNS]
    if missing or unknown or len(set(header)) < len(header):
        raise InvalidInput(
            {
                "file": [
                    _(
                        "Line 1: the columns must be %(columns)s (name is required).",
                        columns=", ".join(IMPORT_COLUMNS),
                    )
                ]
            }
        )
    return rows


def import_units(*, actor: User, text: str, dry_run: bool = False) -> UnitImport:
    """Create or update units from CSV text (``name,kind,email,address,organisation_number,owner``; API.md),
    all or nothing: a unit whose name exists (any case) is updated, others are created. Every bad line is named
    in one ``InvalidInput({"file": ["Line 3: …", …]})`` and nothing is written; a name twice in the file is an
    error on its second line. ``dry_run`` checks everything and reports what would change, writing nothing.
    Coordinators only (DESIGN.md 4.6)."""
    from app.auth.models import Role

    access.require_role(actor, Role.coordinator)
    rows = _rows(text)
    errors: list[str] = []
    seen: dict[str, int] = {}
    plan: list[tuple[Unit | None, dict]] = []
    for line, row in rows:
        name = row.get("name", "")
        key = fold(name)
        if key and key in seen:
            errors.append(
                _("Line %(line)d: %(name)s is also on line %(first)d.", line=line, name=name, first=seen[key])
            )
            continue
        seen[key] = line
        existing = db.session.scalar(select(Unit).where(Unit.name_key == key)) if key else None
        try:
            fields = _validated(
                name,
                (row.get("kind") or "other").lower(),
                row.get("email"),
                unit_id=existing.id if existing else None,
                address=row.get("address"),
                owner=row.get("owner"),
                organisation_number=row.get("organisation_number"),
            )
        except InvalidInput as exc:
            for column, messages in exc.errors.items():
                label = "email" if column == "contact_email" else column
                errors.extend(
                    _("Line %(line)d, %(column)s: %(message)s", line=line, column=label, message=m) for m in messages
                )
            continue
        plan.append((existing, fields))
    if not rows:
        errors.append(_("The file has no units."))
    if errors:
        raise InvalidInput({"file": errors})
    report = UnitImport(dry_run=dry_run)
    for existing, fields in plan:
        (report.updated if existing else report.created).append(fields["name"])
        if dry_run:
            continue
        if existing is not None:
            for key, value in fields.items():
                setattr(existing, key, value)
        else:
            db.session.add(Unit(id=uuid.uuid4(), **fields))
    db.session.flush()
    return report
