"""The rules of DESIGN.md 4.3, conditional trust: the indicator catalogue, readings and their corrections, boundaries
agreed as versions between the two parties, the evaluation of every boundary kind, and what a breach sets off.

Decisions the design leaves open, and how they are settled here:

* **The breach rule** of an ``indicator`` boundary looks at the k most recent *periods that have readings*, whatever
  the gaps between them; fewer than k readings never breach; a value exactly at the threshold is on the wrong side
  only for ``>=`` and ``<=``.
* **Which facts a breach covers.** Each breach records the facts that crossed the boundary (the newest period of
  the window, a serious deviation, an overdue follow-up with its due date). A fact already covered by a breach of
  the boundary, open or closed, never opens another one: closing a breach is the end of that closer look, and only
  new facts (a new month still on the wrong side, another serious deviation) open a new breach. At most one breach
  per boundary version is open, which the database enforces with a partial unique index.
* **When the data stops crossing the boundary** (a corrected reading, a follow-up reported done) an open breach
  stays open: trust never changes by itself. The breach is marked ``condition_cleared_at`` so the reviewer closing
  it sees that; the mark is taken away if the boundary is crossed again meanwhile.
* **Serious deviations** count from the moment the boundary was first agreed: a deviation in a visit that reached
  kommunicering (or was finalised without it) before the agreement is not a breach of it. Overdue follow-ups are a
  state, not an event: one that is overdue by more than d days when the boundary is agreed breaches it.
* **The limit of active boundaries** counts a unit's boundaries in force plus new boundaries proposed and waiting
  for acceptance (they would be in force the moment they are accepted). A new version of a boundary in force does
  not count again. Proposing a new boundary beyond the limit is refused, and so is accepting one (a lowered limit).
* **The closer-review visit** uses the template and lead reviewer of the unit's latest visit; failing that the
  template named by ``CLOSER_REVIEW_TEMPLATE`` or the first active one, and the reviewer named by
  ``CLOSER_REVIEW_LEAD_EMAIL``, the reviewer who led a visit most recently, or the first active reviewer — never a
  member of the unit (jäv). Without any template or eligible reviewer no visit is planned; the breach and the
  trust level stand, and the e-mail to the coordinators says a visit must be planned by hand.
* **Sides.** A person who belongs to the unit speaks for the unit, even a peer reviewer (jäv); coordinators and
  reviewers speak for the supervising body.

Evaluation runs as "the system" in the audit trail, whoever's action set it off, and serialises per unit by
locking the unit's row, so simultaneous evaluations of one unit make one breach and one closer-review visit.
"""

from __future__ import annotations

import csv
import io
import math
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Select, exists, func, or_, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, selectinload

from app.auth.models import Role, User, UserRole
from app.core import access, audit, mail, signals
from app.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from app.core.models import local_today, utcnow
from app.extensions import db
from app.trust import labels
from app.trust import policy as trust_policy
from app.trust.models import (
    Boundary,
    BoundaryKind,
    BoundaryVersion,
    Breach,
    Comparator,
    Indicator,
    Reading,
    Side,
    TrustChange,
    VersionStatus,
)
from app.units import policy as units_policy
from app.units.models import Membership, TrustLevel, Unit

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


# ---- readings -------------------------------------------------------------------------------------

PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass
class ReadingInput:
    """One value as typed, uploaded or sent: the indicator by key or id, the period ``YYYY-MM``, the value."""

    indicator: str | uuid.UUID | None
    period: str | None
    value: str | float | int | None


@dataclass
class ItemError:
    index: int
    field: str  # "indicator", "period" or "value"
    message: str


@dataclass
class _Valid:
    indicator: Indicator
    period: str
    value: float


@dataclass
class StoredReadings:
    readings: list[Reading]
    created: int = 0
    corrected: int = 0
    unchanged: int = 0
    breaches: list[Breach] = field(default_factory=list)


class ReadingErrors(InvalidInput):
    """Some readings are not valid; nothing was stored. ``items`` tells which and why."""

    def __init__(self, items: list[ItemError], key: Callable[[ItemError], str]) -> None:
        errors: dict[str, list[str]] = {}
        for item in items:
            errors.setdefault(key(item), []).append(item.message)
        super().__init__(errors)
        self.items = items


def parse_period(raw: Any, today: date) -> str:
    """A month as ``YYYY-MM``, not after the current one; raises ValueError with a message for a person."""
    text = str(raw or "").strip()
    match = PERIOD_RE.match(text)
    if not match:
        raise ValueError(_("Write the period as YYYY-MM, for example %(example)s.", example=f"{today:%Y-%m}"))
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValueError(_("The month must be between 01 and 12."))
    if year < 2000:
        raise ValueError(_("The period must be in the year 2000 or later."))
    if text > f"{today:%Y-%m}":
        raise ValueError(_("The period %(period)s has not begun yet.", period=text))
    return text


def parse_value(raw: Any) -> float:
    """A number as people type it: ``93,5``, ``93.5``, ``1 234``, ``87 %``; raises ValueError with a message."""
    if isinstance(raw, bool) or raw is None:
        raise ValueError(_("Enter the value as a number, for example 93,5."))
    if isinstance(raw, int | float):
        number = float(raw)
    else:
        text = str(raw).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "").rstrip("%")
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        if not text:
            raise ValueError(_("Enter the value as a number, for example 93,5."))
        try:
            number = float(text)
        except ValueError:
            raise ValueError(_("Enter the value as a number, for example 93,5.")) from None
    if not math.isfinite(number):
        raise ValueError(_("Enter the value as a number, for example 93,5."))
    if abs(number) > MAX_VALUE:
        raise ValueError(_("The value is too large."))
    return number


def _validate_readings(items: Sequence[ReadingInput], today: date) -> tuple[list[_Valid], list[ItemError]]:
    keys = {str(i.indicator).strip().lower() for i in items if i.indicator is not None}
    ids = set()
    for key in keys:
        with suppress(ValueError):
            ids.add(uuid.UUID(key))
    catalogue = db.session.scalars(select(Indicator).where(or_(Indicator.key.in_(keys), Indicator.id.in_(ids)))).all()
    by_ref = {i.key: i for i in catalogue} | {str(i.id): i for i in catalogue}
    valid: list[_Valid] = []
    errors: list[ItemError] = []
    seen: dict[tuple[uuid.UUID, str], int] = {}
    for index, item in enumerate(items):
        ref = str(item.indicator or "").strip().lower()
        indicator = by_ref.get(ref)
        item_errors: list[ItemError] = []
        if not ref:
            item_errors.append(ItemError(index, "indicator", _("Choose the indicator.")))
        elif indicator is None:
            item_errors.append(
                ItemError(index, "indicator", _("There is no indicator with the key “%(key)s”.", key=ref))
            )
        try:
            period = parse_period(item.period, today)
        except ValueError as exc:
            item_errors.append(ItemError(index, "period", str(exc)))
            period = ""
        try:
            value = parse_value(item.value)
        except ValueError as exc:
            item_errors.append(ItemError(index, "value", str(exc)))
            value = 0.0
        if not item_errors and indicator is not None:
            first = seen.setdefault((indicator.id, period), index)
            if first != index:
                item_errors.append(ItemError(index, "period", _("The same indicator and period come twice.")))
        if item_errors:
            errors.extend(item_errors)
        elif indicator is not None:
            valid.append(_Valid(indicator, period, value))
    return valid, errors


def _may_report(actor: User, unit: Unit) -> None:
    if not trust_policy.can_report_readings(actor, unit.id):
        raise Forbidden(_("Your role does not allow this."))


def record_readings(
    unit_id: uuid.UUID,
    items: Sequence[ReadingInput],
    *,
    actor: User,
    source: str = "form",
    today: date | None = None,
    error_key: Callable[[ItemError], str] | None = None,
) -> StoredReadings:
    """Store readings, all or nothing. A period reported again replaces its value (a correction, kept in the
    audit trail). Then the unit's indicator boundaries are evaluated; the breaches this opened are returned."""
    unit = units_policy.get_unit(actor, unit_id)
    _may_report(actor, unit)
    today = today or local_today()
    if not items:
        raise InvalidInput({"readings": [_("Send at least one reading.")]})
    if len(items) > MAX_BATCH:
        raise InvalidInput({"readings": [_("Send at most %(n)d readings at a time.", n=MAX_BATCH)]})
    valid, errors = _validate_readings(items, today)
    if errors:
        single = len(items) == 1
        raise ReadingErrors(errors, error_key or (lambda e: e.field if single else f"readings[{e.index}].{e.field}"))
    _lock_unit(unit.id)
    existing = {
        (r.indicator_id, r.period): r
        for r in db.session.scalars(
            select(Reading).where(
                Reading.unit_id == unit.id,
                Reading.indicator_id.in_({v.indicator.id for v in valid}),
                Reading.period.in_({v.period for v in valid}),
            )
        )
    }
    now = utcnow()
    result = StoredReadings(readings=[])
    for item in valid:
        row = existing.get((item.indicator.id, item.period))
        if row is None:
            row = Reading(
                id=uuid.uuid4(),
                unit_id=unit.id,
                indicator=item.indicator,
                period=item.period,
                value=item.value,
                source=source,
                reported_by_id=_actor_id(actor),
                reported_at=now,
            )
            db.session.add(row)
            result.created += 1
        elif row.value != item.value:
            row.value = item.value
            row.source = source
            row.reported_by_id = _actor_id(actor)
            row.reported_at = now
            row.corrected_at = now
            result.corrected += 1
        else:
            result.unchanged += 1
        result.readings.append(row)
    db.session.flush()
    signals.readings_stored.send(unit, actor=actor, readings=result.readings)
    result.breaches = evaluate_unit(
        unit.id,
        kinds={BoundaryKind.indicator},
        indicator_ids={v.indicator.id for v in valid},
        today=today,
    )
    return result


# CSV: "indicator,period,value" (or ";" as Swedish spreadsheets write it), a header line first.
CSV_HEADERS = {
    "indicator": "indicator",
    "indikator": "indicator",
    "period": "period",
    "value": "value",
    "värde": "value",
    "varde": "value",
}
MAX_CSV_BYTES = 5 * 1024 * 1024


@dataclass
class LineError:
    line: int
    field: str | None
    message: str

    def __str__(self) -> str:
        if self.field:
            return _(
                "Line %(line)d, %(field)s: %(message)s",
                line=self.line,
                field=field_label(self.field),
                message=self.message,
            )
        return _("Line %(line)d: %(message)s", line=self.line, message=self.message)


def field_label(name: str) -> str:
    return {"indicator": _("indicator"), "period": _("period"), "value": _("value")}.get(name, name)


class CsvImportError(InvalidInput):
    """The file has errors; nothing was imported. ``lines`` names every bad line, its field and the problem."""

    def __init__(self, lines: list[LineError]) -> None:
        messages = [str(line) for line in lines]
        super().__init__(
            {"file": messages},
            message=(
                _("Nothing was imported: the file has an error.")
                if len(lines) == 1
                else _("Nothing was imported: the file has %(n)d errors.", n=len(lines))
            ),
        )
        self.lines = lines


def parse_readings_csv(data: bytes) -> tuple[list[tuple[int, ReadingInput]], list[LineError]]:
    """The rows of an uploaded file with their line numbers, and the lines that are not rows at all (a wrong number
    of values); raises CsvImportError for a file that cannot be read as readings."""
    if len(data) > MAX_CSV_BYTES:
        raise CsvImportError([LineError(0, None, _("The file is larger than %(n)d MB.", n=MAX_CSV_BYTES // 2**20))])
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        content = data.decode("cp1252", errors="replace")  # what Excel writes as "CSV" on Windows
    lines = content.splitlines()
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        raise CsvImportError([LineError(1, None, _("The file is empty."))])
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(content), delimiter=delimiter)
    header: list[str] | None = None
    columns: dict[str, int] = {}
    rows: list[tuple[int, ReadingInput]] = []
    problems: list[LineError] = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [cell.strip().lower() for cell in row]
            for position, name in enumerate(header):
                if name in CSV_HEADERS:
                    columns.setdefault(CSV_HEADERS[name], position)
            missing = [name for name in ("indicator", "period", "value") if name not in columns]
            if missing:
                raise CsvImportError(
                    [
                        LineError(
                            line,
                            None,
                            _(
                                "The first line must name the columns indicator, period and value "
                                "(missing: %(missing)s).",
                                missing=", ".join(missing),
                            ),
                        )
                    ]
                )
            continue
        if len(row) != len(header):
            problems.append(
                LineError(
                    line,
                    None,
                    _(
                        "Expected %(expected)d values separated by “%(sep)s”, found %(found)d.",
                        expected=len(header),
                        sep=delimiter,
                        found=len(row),
                    ),
                )
            )
            continue
        rows.append(
            (
                line,
                ReadingInput(
                    indicator=row[columns["indicator"]].strip(),
                    period=row[columns["period"]].strip(),
                    value=row[columns["value"]].strip(),
                ),
            )
        )
    if header is not None and not rows and not problems:
        raise CsvImportError(
            [LineError(reader.line_num or 1, None, _("The file has no readings under its first line."))]
        )
    return rows, problems


def import_readings_csv(
    unit_id: uuid.UUID, data: bytes, *, actor: User, source: str = "csv", today: date | None = None
) -> StoredReadings:
    """Import a CSV file of readings, all or nothing: every bad line is reported with its number and field."""
    units_policy.get_unit(actor, unit_id)
    rows, problems = parse_readings_csv(data)
    line_of = [line for line, _item in rows]
    if problems:  # report the other lines' errors too, in one go
        _valid, errors = _validate_readings([item for _line, item in rows], today or local_today())
        found = problems + [LineError(line_of[e.index], e.field, e.message) for e in errors]
        raise CsvImportError(sorted(found, key=lambda e: e.line))
    try:
        return record_readings(
            unit_id,
            [item for _line, item in rows],
            actor=actor,
            source=source,
            today=today,
            error_key=lambda e: str(e.index),
        )
    except ReadingErrors as exc:
        raise CsvImportError([LineError(line_of[e.index], e.field, e.message) for e in exc.items]) from None


def readings_query(
    unit_id: uuid.UUID, *, indicator_id: uuid.UUID | None = None, start: str | None = None, end: str | None = None
) -> Select[Any]:
    query = select(Reading).where(Reading.unit_id == unit_id).options(selectinload(Reading.indicator))
    if indicator_id is not None:
        query = query.where(Reading.indicator_id == indicator_id)
    if start:
        query = query.where(Reading.period >= start)
    if end:
        query = query.where(Reading.period <= end)
    return query.order_by(Reading.period.desc(), Reading.indicator_id)


# ---- boundaries and their agreement ---------------------------------------------------------------


@dataclass
class _Terms:
    indicator: Indicator | None = None
    comparator: Comparator | None = None
    threshold: float | None = None
    periods: int | None = None
    days: int | None = None


def _whole(raw: Any, field: str, low: int, high: int, errors: dict[str, list[str]], message: str) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        errors[field] = [message]
        return None
    try:
        if isinstance(raw, bool):
            raise ValueError
        number = int(str(raw).strip()) if not isinstance(raw, int) else raw
    except ValueError:
        errors[field] = [message]
        return None
    if not low <= number <= high:
        errors[field] = [message]
        return None
    return number


def _validated_terms(
    kind: BoundaryKind,
    *,
    indicator: str | uuid.UUID | None,
    comparator: str | None,
    threshold: Any,
    periods: Any,
    days: Any,
    errors: dict[str, list[str]],
) -> _Terms:
    terms = _Terms()
    if kind == BoundaryKind.indicator:
        terms.indicator = find_indicator(indicator) if indicator else None
        if terms.indicator is None:
            errors["indicator"] = [_("Choose an indicator of the catalogue.")]
        try:
            terms.comparator = Comparator(comparator) if comparator else None
        except ValueError:
            terms.comparator = None
        if terms.comparator is None:
            errors["comparator"] = [
                _("Choose when the value is on the wrong side: above, at or above, below, at or below.")
            ]
        try:
            terms.threshold = parse_value(threshold)
        except ValueError as exc:
            errors["threshold"] = [str(exc)]
        terms.periods = _whole(
            periods,
            "periods",
            1,
            MAX_PERIODS,
            errors,
            _("Enter how many of the latest months count, a whole number from 1 to %(n)d.", n=MAX_PERIODS),
        )
    elif kind == BoundaryKind.overdue_follow_up:
        terms.days = _whole(
            days,
            "days",
            0,
            MAX_DAYS,
            errors,
            _("Enter the number of days past the due date, a whole number from 0 to %(n)d.", n=MAX_DAYS),
        )
    return terms


def counted_boundaries(unit_id: uuid.UUID) -> int:
    """Boundaries in force plus new ones waiting for acceptance: what the limit of MAX_ACTIVE_BOUNDARIES counts."""
    live = select(BoundaryVersion.id).where(
        BoundaryVersion.boundary_id == Boundary.id,
        BoundaryVersion.status.in_([VersionStatus.active, VersionStatus.proposed]),
        BoundaryVersion.ends_boundary.is_(False),
    )
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(Boundary)
            .where(Boundary.unit_id == unit_id, Boundary.ended_at.is_(None), exists(live))
        )
        or 0
    )


def active_boundaries(unit_id: uuid.UUID) -> int:
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(BoundaryVersion)
            .join(Boundary)
            .where(Boundary.unit_id == unit_id, BoundaryVersion.status == VersionStatus.active)
        )
        or 0
    )


def _limit_message(unit: Unit, count: int) -> str:
    limit = current_app.config["MAX_ACTIVE_BOUNDARIES"]
    return _(
        "%(unit)s already has %(count)d of at most %(max)d trust boundaries (those in force and new ones waiting "
        "for acceptance). Few boundaries keep trust meaningful: end or withdraw one before proposing another.",
        unit=unit.name,
        count=count,
        max=limit,
    )


def propose_boundary(
    unit_id: uuid.UUID,
    *,
    actor: User,
    rationale: str,
    kind: str | BoundaryKind | None = None,
    indicator: str | uuid.UUID | None = None,
    comparator: str | None = None,
    threshold: Any = None,
    periods: Any = None,
    days: Any = None,
    boundary_id: uuid.UUID | None = None,
    ends_boundary: bool = False,
    version_id: uuid.UUID | None = None,
) -> BoundaryVersion:
    """Propose a new boundary, or (with ``boundary_id``) a new version of one or its end. Nothing changes in what
    is in force until the other party accepts (DESIGN.md 4.3)."""
    unit = units_policy.get_unit(actor, unit_id)
    side = side_of(actor, unit.id)
    if side is None:
        raise Forbidden(_("Your role does not allow this."))
    if version_id is not None and (existing := db.session.get(BoundaryVersion, version_id)) is not None:
        return existing  # a repeated create with the client's id (API.md)
    _lock_unit(unit.id)
    errors: dict[str, list[str]] = {}
    boundary: Boundary | None = None
    if boundary_id is not None:
        boundary = trust_policy.get_boundary(actor, boundary_id)
        if boundary.unit_id != unit.id:
            raise NotFound(_("The trust boundary does not exist or you may not see it."))
        if boundary.ended_at is not None:
            raise DomainError(_("This boundary has ended. Propose a new boundary instead."))
        if boundary.pending_version is not None:
            raise DomainError(
                _("A proposal for this boundary already awaits an answer: accept, decline or withdraw it first.")
            )
        if kind and str(kind) != boundary.kind.value:
            errors["kind"] = [_("The kind of a boundary cannot change: propose a new boundary instead.")]
        boundary_kind = boundary.kind
    else:
        if ends_boundary:
            raise InvalidInput({"boundary_id": [_("Choose the boundary to end.")]})
        try:
            boundary_kind = BoundaryKind(kind or "")
        except ValueError:
            raise InvalidInput({"kind": [_("Choose what the boundary watches.")]}) from None
    rationale = _text(
        rationale,
        "rationale",
        errors,
        required=(
            _("Write why the boundary should end.")
            if ends_boundary
            else _("Write in plain words why this boundary matters.")
        ),
        limit=2000,
    )
    if ends_boundary:
        assert boundary is not None
        current = boundary.active_version
        if current is None:
            raise DomainError(_("Only a boundary in force can be ended."))
        terms = _Terms(current.indicator, current.comparator, current.threshold, current.periods, current.days)
    else:
        terms = _validated_terms(
            boundary_kind,
            indicator=indicator,
            comparator=comparator,
            threshold=threshold,
            periods=periods,
            days=days,
            errors=errors,
        )
    if errors:
        raise InvalidInput(errors)
    if boundary is None:
        if boundary_kind != BoundaryKind.indicator and _has_live_boundary(unit.id, boundary_kind):
            raise DomainError(
                _("The unit already has a boundary of this kind: propose a change to it instead."), field="kind"
            )
        count = counted_boundaries(unit.id)
        if count >= current_app.config["MAX_ACTIVE_BOUNDARIES"]:
            raise DomainError(_limit_message(unit, count))
        boundary = Boundary(id=uuid.uuid4(), unit_id=unit.id, kind=boundary_kind)
        db.session.add(boundary)
        number = 1
    else:
        number = boundary.latest_version.number + 1
    try:
        with db.session.begin_nested():
            version = BoundaryVersion(
                id=version_id or uuid.uuid4(),
                boundary=boundary,
                number=number,
                status=VersionStatus.proposed,
                ends_boundary=ends_boundary,
                indicator=terms.indicator,
                comparator=terms.comparator,
                threshold=terms.threshold,
                periods=terms.periods,
                days=terms.days,
                rationale=rationale,
                proposed_by_id=_actor_id(actor),
                proposed_by_side=side,
                proposed_at=utcnow(),
            )
            db.session.add(version)
            db.session.flush()
    except IntegrityError:
        raise DomainError(
            _("A proposal for this boundary already awaits an answer: accept, decline or withdraw it first.")
        ) from None
    _notify_proposal(unit, version)
    return version


def _has_live_boundary(unit_id: uuid.UUID, kind: BoundaryKind) -> bool:
    live = select(BoundaryVersion.id).where(
        BoundaryVersion.boundary_id == Boundary.id,
        BoundaryVersion.status.in_([VersionStatus.active, VersionStatus.proposed]),
    )
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Boundary.unit_id == unit_id, Boundary.kind == kind, Boundary.ended_at.is_(None), exists(live)
                )
            )
        )
    )


def _pending(actor: User, version_id: uuid.UUID) -> tuple[BoundaryVersion, Side | None]:
    version = trust_policy.get_boundary_version(actor, version_id)
    if version.status != VersionStatus.proposed:
        raise DomainError(
            _(
                "This proposal is no longer waiting for an answer (%(status)s).",
                status=labels.VERSION_STATUS[version.status.value],
            )
        )
    return version, side_of(actor, version.boundary.unit_id)


def accept_version(version_id: uuid.UUID, *, actor: User) -> BoundaryVersion:
    """The other party agrees: the proposal comes into force and the version it replaces goes out of force."""
    version, _side = _pending(actor, version_id)
    if (refusal := trust_policy.why_not_answer(actor, version, "accept")) is not None:
        raise refusal
    boundary = version.boundary
    unit = _lock_unit(boundary.unit_id)
    current = boundary.active_version
    if current is None and not version.ends_boundary:
        count = active_boundaries(unit.id)
        if count >= current_app.config["MAX_ACTIVE_BOUNDARIES"]:
            raise DomainError(_limit_message(unit, count))
    now = utcnow()
    if current is not None:
        current.status = VersionStatus.superseded
        current.superseded_at = now
        db.session.flush()  # out of force before its successor comes in (one version in force, by the database)
    version.accepted_by_id = _actor_id(actor)
    version.accepted_at = now
    if version.ends_boundary:
        version.status = VersionStatus.ended
        boundary.ended_at = now
    else:
        version.status = VersionStatus.active
        boundary.agreed_at = boundary.agreed_at or now
    db.session.flush()
    if version.status == VersionStatus.active:
        evaluate_unit(unit.id)
    return version


def reject_version(version_id: uuid.UUID, *, actor: User, reason: str | None = None) -> BoundaryVersion:
    """The other party declines; what was in force stays in force."""
    version, _side = _pending(actor, version_id)
    if (refusal := trust_policy.why_not_answer(actor, version, "reject")) is not None:
        raise refusal
    errors: dict[str, list[str]] = {}
    text = _text(reason, "reason", errors, required=None, limit=2000)
    if errors:
        raise InvalidInput(errors)
    version.status = VersionStatus.rejected
    version.rejected_by_id = _actor_id(actor)
    version.rejected_at = utcnow()
    version.rejection_reason = text or None
    db.session.flush()
    return version


def withdraw_version(version_id: uuid.UUID, *, actor: User) -> BoundaryVersion:
    """The proposing party takes its proposal back before it is answered."""
    version, _side = _pending(actor, version_id)
    if (refusal := trust_policy.why_not_answer(actor, version, "withdraw")) is not None:
        raise refusal
    version.status = VersionStatus.withdrawn
    version.withdrawn_by_id = _actor_id(actor)
    version.withdrawn_at = utcnow()
    db.session.flush()
    return version


def boundaries_of(unit_id: uuid.UUID) -> list[Boundary]:
    """A unit's boundaries with every version and the people on them, newest first, in a fixed number of queries."""
    return list(
        db.session.scalars(
            select(Boundary)
            .where(Boundary.unit_id == unit_id)
            .options(
                selectinload(Boundary.versions).selectinload(BoundaryVersion.indicator),
                selectinload(Boundary.versions).selectinload(BoundaryVersion.proposed_by),
                selectinload(Boundary.versions).selectinload(BoundaryVersion.accepted_by),
                selectinload(Boundary.versions).selectinload(BoundaryVersion.rejected_by),
                selectinload(Boundary.versions).selectinload(BoundaryVersion.withdrawn_by),
            )
            .order_by(Boundary.ended_at.is_not(None), Boundary.created_at.desc())
        )
    )


# ---- evaluation -----------------------------------------------------------------------------------


def is_wrong_side(value: float, comparator: Comparator, threshold: float) -> bool:
    """Exactly at the threshold is on the wrong side only for ``>=`` and ``<=`` (DESIGN.md 4.3)."""
    if comparator == Comparator.gt:
        return value > threshold
    if comparator == Comparator.ge:
        return value >= threshold
    if comparator == Comparator.lt:
        return value < threshold
    return value <= threshold


@dataclass
class Verdict:
    breached: bool
    keys: list[str] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)


def indicator_verdict(version: BoundaryVersion, newest_first: Sequence[tuple[str, float]]) -> Verdict:
    """``newest_first``: the unit's readings of the indicator, newest period first (at least the k newest)."""
    k = version.periods or 1
    window = list(newest_first[:k])
    if len(window) < k or version.comparator is None or version.threshold is None:
        return Verdict(False)
    if not all(is_wrong_side(value, version.comparator, version.threshold) for _period, value in window):
        return Verdict(False)
    return Verdict(
        True,
        keys=[f"{version.indicator_id}:{window[0][0]}"],
        evidence={"readings": [[period, value] for period, value in window]},
    )


def _recent_readings(
    versions: Sequence[BoundaryVersion], unit_id: uuid.UUID
) -> dict[uuid.UUID, list[tuple[str, float]]]:
    """The k newest readings of each indicator the versions watch, newest first, in one statement whose cost
    depends on k, never on how many readings the unit has (each part is an index range scan with a LIMIT)."""
    depth: dict[uuid.UUID, int] = {}
    for version in versions:
        if version.indicator_id is not None:
            depth[version.indicator_id] = max(depth.get(version.indicator_id, 0), version.periods or 1)
    if not depth:
        return {}
    parts = [
        select(Reading.indicator_id, Reading.period, Reading.value)
        .where(Reading.unit_id == unit_id, Reading.indicator_id == indicator_id)
        .order_by(Reading.period.desc())
        .limit(k)
        .subquery()
        for indicator_id, k in depth.items()
    ]
    statement = union_all(*(select(p.c.indicator_id, p.c.period, p.c.value) for p in parts))
    found: dict[uuid.UUID, list[tuple[str, float]]] = {i: [] for i in depth}
    for indicator_id, period, value in db.session.execute(statement):
        found[indicator_id if isinstance(indicator_id, uuid.UUID) else uuid.UUID(str(indicator_id))].append(
            (period, float(value))
        )
    for rows in found.values():
        rows.sort(reverse=True)
    return found


def _serious_deviations(unit_id: uuid.UUID) -> list[dict[str, Any]]:
    """Serious deviations in the unit's visits that have reached kommunicering (or were finalised without it)."""
    from app.visits.models import Finding, FindingKind, Severity, Visit, VisitStatus

    rows = db.session.execute(
        select(Finding.id, Visit.id, Visit.case_number, Visit.sent_for_comment_at, Visit.finalised_at)
        .join(Visit, Visit.id == Finding.visit_id)
        .where(
            Visit.unit_id == unit_id,
            Visit.status.in_([VisitStatus.sent_for_comment, VisitStatus.final, VisitStatus.closed]),
            Finding.kind == FindingKind.deviation,
            Finding.severity == Severity.serious,
        )
        .order_by(Visit.case_number, Finding.created_at)
    ).all()
    return [
        {"finding_id": str(fid), "visit_id": str(vid), "case_number": case, "at": sent or final}
        for fid, vid, case, sent, final in rows
    ]


def _overdue_follow_ups(unit_id: uuid.UUID, today: date, least_days: int) -> list[dict[str, Any]]:
    """Agreed follow-ups of the unit past their due date by more than ``least_days`` days, not reported done."""
    from app.followups.models import FollowUp, FollowUpStatus

    rows = db.session.execute(
        select(FollowUp.id, FollowUp.title, FollowUp.due_date)
        .where(
            FollowUp.unit_id == unit_id,
            FollowUp.status == FollowUpStatus.agreed,
            FollowUp.due_date < today - timedelta(days=least_days),
        )
        .order_by(FollowUp.due_date)
    ).all()
    return [{"follow_up_id": str(fid), "title": title, "due_date": due} for fid, title, due in rows]


def _verdict(
    version: BoundaryVersion,
    *,
    readings: dict[uuid.UUID, list[tuple[str, float]]],
    deviations: list[dict[str, Any]],
    overdue: list[dict[str, Any]],
    today: date,
) -> Verdict:
    kind = version.boundary.kind
    if kind == BoundaryKind.indicator:
        return indicator_verdict(version, readings.get(version.indicator_id, []) if version.indicator_id else [])
    if kind == BoundaryKind.serious_deviation:
        since = version.boundary.agreed_at
        hits = [d for d in deviations if d["at"] is not None and (since is None or d["at"] >= since)]
        return Verdict(
            bool(hits),
            keys=[f"finding:{d['finding_id']}" for d in hits],
            evidence={
                "findings": [
                    {"finding_id": d["finding_id"], "visit_id": d["visit_id"], "case_number": d["case_number"]}
                    for d in hits
                ]
            },
        )
    limit = today - timedelta(days=version.days or 0)
    late = [f for f in overdue if f["due_date"] < limit]
    return Verdict(
        bool(late),
        keys=[f"follow_up:{f['follow_up_id']}:{f['due_date'].isoformat()}" for f in late],
        evidence={
            "follow_ups": [
                {"follow_up_id": f["follow_up_id"], "title": f["title"], "due_date": f["due_date"].isoformat()}
                for f in late
            ]
        },
    )


def _merge_evidence(evidence: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    merged = {key: list(value) for key, value in evidence.items()}
    for key, items in more.items():
        have = merged.setdefault(key, [])
        for item in items:
            if item not in have:
                have.append(item)
    return merged


def active_versions_query(unit_id: uuid.UUID | None = None) -> Select[Any]:
    query = (
        select(BoundaryVersion)
        .join(BoundaryVersion.boundary)
        .where(BoundaryVersion.status == VersionStatus.active)
        .options(contains_eager(BoundaryVersion.boundary), selectinload(BoundaryVersion.indicator))
    )
    if unit_id is not None:
        query = query.where(Boundary.unit_id == unit_id)
    return query


@dataclass
class _Assessment:
    """What each boundary version's facts say, against the breaches already recorded for its boundary."""

    verdicts: dict[uuid.UUID, Verdict]
    covered: dict[uuid.UUID, set[str]]
    open_breach: dict[uuid.UUID, Breach]

    def new_keys(self, version: BoundaryVersion) -> list[str]:
        seen = self.covered.get(version.boundary_id, set())
        return [k for k in self.verdicts[version.id].keys if k not in seen]

    def changes(self, version: BoundaryVersion) -> bool:
        current = self.open_breach.get(version.id)
        if not self.verdicts[version.id].breached:
            return current is not None and current.condition_cleared_at is None
        if current is not None:
            return current.condition_cleared_at is not None or bool(self.new_keys(version))
        return bool(self.new_keys(version))


def _assess(unit_id: uuid.UUID, versions: list[BoundaryVersion], today: date) -> _Assessment:
    """Read the facts each version watches and the breaches of their boundaries: a fixed number of statements
    (at most four), whatever the number of readings, findings or follow-ups."""
    by_kind = {v.boundary.kind for v in versions}
    readings = _recent_readings(versions, unit_id) if BoundaryKind.indicator in by_kind else {}
    deviations = _serious_deviations(unit_id) if BoundaryKind.serious_deviation in by_kind else []
    overdue: list[dict[str, Any]] = []
    if BoundaryKind.overdue_follow_up in by_kind:
        least = min(v.days or 0 for v in versions if v.boundary.kind == BoundaryKind.overdue_follow_up)
        overdue = _overdue_follow_ups(unit_id, today, least)
    history = db.session.scalars(
        select(Breach)
        .where(Breach.boundary_id.in_({v.boundary_id for v in versions}))
        .execution_options(populate_existing=True)  # what another transaction committed meanwhile
    ).all()
    assessment = _Assessment(
        verdicts={
            v.id: _verdict(v, readings=readings, deviations=deviations, overdue=overdue, today=today) for v in versions
        },
        covered={},
        open_breach={},
    )
    for breach in history:
        assessment.covered.setdefault(breach.boundary_id, set()).update(breach.trigger_keys or [])
        if breach.closed_at is None:
            assessment.open_breach[breach.boundary_version_id] = breach
    return assessment


def evaluate_unit(
    unit_id: uuid.UUID,
    *,
    kinds: Iterable[BoundaryKind] | None = None,
    indicator_ids: Iterable[uuid.UUID] | None = None,
    today: date | None = None,
) -> list[Breach]:
    """Evaluate the unit's boundaries in force (those of ``kinds``, and for indicators those of ``indicator_ids``)
    and open a breach for each one newly crossed; returns the breaches opened. Safe to run any number of times,
    also at once: the same facts never open a second breach.

    A first look reads without locking; only when something is to change is the unit's row locked and everything
    read again, so that simultaneous evaluations decide one after the other and the periodic sweep writes nothing
    (and waits for no one) where nothing changed."""
    today = today or local_today()
    query = active_versions_query(unit_id)
    if kinds is not None:
        query = query.where(Boundary.kind.in_(list(kinds)))
    watched = set(indicator_ids) if indicator_ids is not None else None
    versions = [
        v
        for v in db.session.scalars(query).unique()
        if watched is None or v.boundary.kind != BoundaryKind.indicator or v.indicator_id in watched
    ]
    if not versions or not any(map(_assess(unit_id, versions, today).changes, versions)):
        return []
    unit = _lock_unit(unit_id)
    assessment = _assess(unit_id, versions, today)
    opened: list[Breach] = []
    now = utcnow()
    with _as_system():
        for version in versions:
            verdict = assessment.verdicts[version.id]
            current = assessment.open_breach.get(version.id)
            if not verdict.breached:
                if current is not None and current.condition_cleared_at is None:
                    current.condition_cleared_at = now
                continue
            new_keys = assessment.new_keys(version)
            if current is not None:
                if current.condition_cleared_at is not None:
                    current.condition_cleared_at = None
                if new_keys:  # more of the same while the closer look is under way: it covers them too
                    current.trigger_keys = [*current.trigger_keys, *new_keys]
                    current.evidence = _merge_evidence(current.evidence, verdict.evidence)
                continue
            if not new_keys:
                continue  # these facts were looked at already, in a breach now closed
            breach = Breach(
                id=uuid.uuid4(),
                unit_id=unit_id,
                boundary_id=version.boundary_id,
                boundary_version_id=version.id,
                opened_at=now,
                evidence=verdict.evidence,
                trigger_keys=list(verdict.keys),
            )
            try:
                with db.session.begin_nested():
                    db.session.add(breach)
                    db.session.flush()
            except IntegrityError:
                continue  # another evaluation opened it at the same moment (the database's own guard)
            breach.version = version
            opened.append(breach)
        db.session.flush()
        if opened:
            _consequences(unit, opened)
    return opened


def units_to_evaluate() -> list[uuid.UUID]:
    """Units with at least one boundary in force: what the periodic sweep fans out over."""
    return list(
        db.session.scalars(
            select(Boundary.unit_id)
            .join(BoundaryVersion, BoundaryVersion.boundary_id == Boundary.id)
            .where(BoundaryVersion.status == VersionStatus.active)
            .distinct()
            .order_by(Boundary.unit_id)
        )
    )


# ---- consequences of a breach ---------------------------------------------------------------------


def _change_trust_level(
    unit: Unit,
    to: TrustLevel,
    *,
    reason: str,
    actor_id: uuid.UUID | None = None,
    breach_id: uuid.UUID | None = None,
) -> TrustChange:
    """The one place a unit's trust level changes, always with a row of its history."""
    change = TrustChange(
        id=uuid.uuid4(),
        unit_id=unit.id,
        from_level=unit.trust_level,
        to_level=to,
        reason=reason,
        actor_id=actor_id,
        breach_id=breach_id,
        changed_at=utcnow(),
    )
    db.session.add(change)
    unit.trust_level = to
    return change


def _consequences(unit: Unit, opened: list[Breach]) -> None:
    """A new breach: closer review, a closer-review visit unless one is open, and e-mail to the unit and the
    coordinators once the transaction has committed (DESIGN.md 4.3)."""
    if unit.trust_level != TrustLevel.closer_review:
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            reason = _("The trust boundary “%(title)s” was crossed.", title=labels.title(opened[0].version))
        _change_trust_level(unit, TrustLevel.closer_review, reason=reason, breach_id=opened[0].id)
    visit = open_closer_review_visit(unit.id) or _plan_closer_review(unit, opened)
    for breach in opened:
        breach.visit_id = visit.id if visit else None
    db.session.flush()
    _notify_breaches(unit, opened, visit)


def open_closer_review_visit(unit_id: uuid.UUID) -> Any:
    """The unit's closer-review visit that is not closed yet, if any."""
    from app.visits.models import Visit, VisitPurpose, VisitStatus

    return db.session.scalar(
        select(Visit)
        .where(
            Visit.unit_id == unit_id,
            Visit.purpose == VisitPurpose.closer_review,
            Visit.status != VisitStatus.closed,
        )
        .order_by(Visit.created_at.desc())
        .limit(1)
    )


def _eligible_lead(person: User | None, unit_id: uuid.UUID) -> bool:
    return (
        person is not None
        and person.is_active_account
        and Role.reviewer in person.roles
        and not access.takes_unit_side(person, unit_id)  # jäv
    )


def _closer_review_plan(unit: Unit) -> tuple[Any, User | None]:
    """(template, lead reviewer) for a closer-review visit, as the module docstring explains."""
    from app.visits.models import TeamMember, Template, Visit

    latest = db.session.scalar(select(Visit).where(Visit.unit_id == unit.id).order_by(Visit.created_at.desc()).limit(1))
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
            .where(TeamMember.is_lead.is_(True), Visit.unit_id != unit.id)
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
    lead = next((p for p in candidates if _eligible_lead(p, unit.id)), None)
    return template, lead


def _plan_closer_review(unit: Unit, opened: list[Breach]) -> Any:
    from app.visits import services as visit_services
    from app.visits.models import VisitPurpose

    template, lead = _closer_review_plan(unit)
    if template is None or lead is None:
        return None
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        aim = _(
            "Closer review together with the unit after a crossed trust boundary: %(titles)s.",
            titles=", ".join(dict.fromkeys(labels.title(b.version) for b in opened)),
        )
    try:
        return visit_services.create_visit(
            actor=access.OPERATOR,  # type: ignore[arg-type]
            unit_id=unit.id,
            template_id=template.id,
            visit_date=None,
            lead_id=lead.id,
            purpose=VisitPurpose.closer_review,
            aim=aim,
        )
    except DomainError:
        return None


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


def _link(path: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}{path}"


def _notify_breaches(unit: Unit, opened: list[Breach], visit: Any) -> None:
    versions = [b.version for b in opened]
    for person in _people(unit.id, coordinators=True):
        mail.queue(
            mail.render_email(
                "trust/breach_opened",
                to=person.email,
                language=person.language,
                person=person,
                unit=unit,
                versions=versions,
                visit=visit,
                is_coordinator=person.is_coordinator,
                link=_link(f"/units/{unit.id}"),
                visit_link=_link(f"/visits/{visit.id}") if visit is not None else None,
            )
        )


def _notify_proposal(unit: Unit, version: BoundaryVersion) -> None:
    """Tell the other party a proposal waits for their answer."""
    if version.proposed_by_side == Side.supervisor:
        people = _people(unit.id, coordinators=False)
    else:
        people = [p for p in _people(None, coordinators=True) if not access.takes_unit_side(p, unit.id)]
    for person in people:
        if person.id == version.proposed_by_id:
            continue
        mail.queue(
            mail.render_email(
                "trust/boundary_proposed",
                to=person.email,
                language=person.language,
                person=person,
                unit=unit,
                version=version,
                proposer=version.proposed_by.name
                if version.proposed_by
                else labels.SIDE[version.proposed_by_side.value],
                link=_link(f"/units/{unit.id}/boundaries"),
            )
        )


# ---- closing breaches and restoring trust ---------------------------------------------------------


def _require_reviewer_without_conflict(actor: User, unit_id: uuid.UUID, *roles: Role) -> None:
    if (refusal := trust_policy.why_not_decide_trust(actor, unit_id, *roles)) is not None:
        raise refusal


def close_breach(breach_id: uuid.UUID, *, actor: User, note: str) -> Breach:
    """A reviewer closes a breach after the closer look, with a note of what was found and agreed."""
    breach = trust_policy.get_breach(actor, breach_id)
    if (refusal := trust_policy.why_not_close_breach(actor, breach)) is not None:
        raise refusal
    text = (note or "").strip()
    if len(text) < MIN_NOTE:
        raise InvalidInput({"note": [_("Write a note of what the closer look found and what was agreed.")]})
    if len(text) > 5000:
        raise InvalidInput({"note": [_("The text may be at most %(n)d characters long.", n=5000)]})
    breach.closed_at = utcnow()
    breach.closed_by_id = _actor_id(actor)
    breach.close_note = text
    db.session.flush()
    return breach


def open_breaches(unit_id: uuid.UUID) -> list[Breach]:
    return list(
        db.session.scalars(
            select(Breach)
            .where(Breach.unit_id == unit_id, Breach.closed_at.is_(None))
            .options(selectinload(Breach.version).selectinload(BoundaryVersion.indicator))
            .order_by(Breach.opened_at)
        )
    )


def restore_baseline(unit_id: uuid.UUID, *, actor: User, reason: str) -> TrustChange:
    """A coordinator returns the unit to baseline trust, with a written reason, once no breach is open."""
    unit = units_policy.get_unit(actor, unit_id)
    _require_reviewer_without_conflict(actor, unit.id, Role.coordinator)
    text = (reason or "").strip()
    if len(text) < MIN_NOTE:
        raise InvalidInput({"reason": [_("Write why the unit returns to baseline trust.")]})
    if len(text) > 5000:
        raise InvalidInput({"reason": [_("The text may be at most %(n)d characters long.", n=5000)]})
    unit = _lock_unit(unit.id)
    if unit.trust_level == TrustLevel.baseline:
        raise DomainError(_("The unit already has baseline trust."))
    still_open = db.session.scalar(
        select(func.count()).select_from(Breach).where(Breach.unit_id == unit.id, Breach.closed_at.is_(None))
    )
    if still_open:
        raise DomainError(
            _(
                "Baseline trust can be restored only when no breach is open; %(n)d is still open. "
                "A reviewer closes each breach with a note first.",
                n=still_open,
            )
        )
    change = _change_trust_level(unit, TrustLevel.baseline, reason=text, actor_id=_actor_id(actor))
    db.session.flush()
    for person in _people(unit.id, coordinators=False):
        mail.queue(
            mail.render_email(
                "trust/baseline_restored",
                to=person.email,
                language=person.language,
                person=person,
                unit=unit,
                link=_link(f"/units/{unit.id}"),
            )
        )
    return change


def trust_history_query(unit_id: uuid.UUID) -> Select[Any]:
    return (
        select(TrustChange)
        .where(TrustChange.unit_id == unit_id)
        .options(
            selectinload(TrustChange.actor),
            selectinload(TrustChange.breach).selectinload(Breach.version).selectinload(BoundaryVersion.indicator),
            selectinload(TrustChange.breach).selectinload(Breach.boundary),
        )
        .order_by(TrustChange.changed_at.desc())
    )


# ---- domain events --------------------------------------------------------------------------------


def _on_visit_status_changed(visit: Any, **kwargs: Any) -> None:
    if visit.is_open_to_unit:
        evaluate_unit(visit.unit_id, kinds={BoundaryKind.serious_deviation})


def _on_finding_changed(visit: Any, **kwargs: Any) -> None:
    evaluate_unit(visit.unit_id, kinds={BoundaryKind.serious_deviation})


def _on_follow_up_changed(follow_up: Any, **kwargs: Any) -> None:
    evaluate_unit(follow_up.unit_id, kinds={BoundaryKind.overdue_follow_up})


def connect_signals() -> None:
    signals.visit_status_changed.connect(_on_visit_status_changed)
    signals.finding_changed.connect(_on_finding_changed)
    signals.follow_up_changed.connect(_on_follow_up_changed)
