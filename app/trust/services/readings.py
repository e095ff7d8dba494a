"""Readings of indicators: validation, storing with corrections, and the CSV import (DESIGN.md 4.3)."""

from __future__ import annotations

import csv
import io
import math
import re
import uuid
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.core import signals
from app.core.errors import Forbidden, InvalidInput
from app.core.models import local_today, utcnow
from app.extensions import db
from app.trust import policy as trust_policy
from app.trust.models import (
    BoundaryKind,
    Breach,
    Indicator,
    Reading,
)
from app.trust.services.common import (
    MAX_BATCH,
    MAX_VALUE,
    _actor_id,
    _lock_unit,
)
from app.trust.services.evaluation import evaluate_unit
from app.units import policy as units_policy
from app.units.forms import KIND_LABELS
from app.units.models import Unit

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


def _number(value: float) -> str:
    return format_decimal(value, locale=str(get_locale() or "sv"))


def _out_of_range(indicator: Indicator, value: float) -> str | None:
    """Why ``value`` is outside the indicator's allowed range (inclusive bounds), or None when it is inside."""
    low, high = indicator.min_value, indicator.max_value
    if (low is not None and value < low) or (high is not None and value > high):
        unit = f" {indicator.unit_of_measure}" if indicator.unit_of_measure else ""
        if low is not None and high is not None:
            return _(
                "%(name)s takes values from %(min)s to %(max)s%(unit)s.",
                name=indicator.name,
                min=_number(low),
                max=_number(high),
                unit=unit,
            )
        if low is not None:
            return _(
                "%(name)s takes values of at least %(min)s%(unit)s.", name=indicator.name, min=_number(low), unit=unit
            )
        return _(
            "%(name)s takes values of at most %(max)s%(unit)s.", name=indicator.name, max=_number(high or 0), unit=unit
        )
    return None


def _validate_readings(items: Sequence[ReadingInput], today: date, unit: Unit) -> tuple[list[_Valid], list[ItemError]]:
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
        elif not indicator.applies_to(unit.kind):
            item_errors.append(
                ItemError(
                    index,
                    "indicator",
                    _(
                        "%(name)s is not reported by units of the kind “%(kind)s”.",
                        name=indicator.name,
                        kind=unit_kind_label(unit.kind),
                    ),
                )
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
        else:
            if indicator is not None and (why := _out_of_range(indicator, value)) is not None:
                item_errors.append(ItemError(index, "value", why))
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
    valid, errors = _validate_readings(items, today, unit)
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
        elif row.value != item.value or row.withdrawn_at is not None:
            row.value = item.value
            row.withdrawn_at = None
            row.withdrawn_by_id = None
            row.withdrawal_reason = None
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


def unit_kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(str(kind), str(kind)))


MAX_REASON = 2000


def withdraw_reading(reading_id: uuid.UUID, *, actor: User, reason: str, today: date | None = None) -> Reading:
    """Take a wrong reading back (DESIGN.md 4.3). Whoever may report the unit's readings may withdraw one, with a
    reason (required, at most 2,000 characters). The row stays, marked withdrawn, and its change is in the audit
    trail and the history; charts and evaluation no longer count it. The unit's indicator boundaries are evaluated
    again: no new breach can come from the withdrawn value, and a breach it already opened stays open (breaches are
    closed by people). Raises NotFound (not visible), Forbidden (may not report), InvalidInput (``reason``;
    ``reading`` when already withdrawn)."""
    reading = trust_policy.get_reading(actor, reading_id)
    why = trust_policy.why_not_withdraw_reading(actor, reading)
    if why is not None:
        raise why
    text = (reason or "").strip()
    if not text:
        raise InvalidInput({"reason": [_("Write why the reading is withdrawn.")]})
    if len(text) > MAX_REASON:
        raise InvalidInput({"reason": [_("The text may be at most %(n)d characters long.", n=MAX_REASON)]})
    _lock_unit(reading.unit_id)
    reading.withdrawn_at = utcnow()
    reading.withdrawn_by_id = _actor_id(actor)
    reading.withdrawal_reason = text
    db.session.flush()
    evaluate_unit(
        reading.unit_id,
        kinds={BoundaryKind.indicator},
        indicator_ids={reading.indicator_id},
        today=today or local_today(),
    )
    return reading


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
    unit = units_policy.get_unit(actor, unit_id)
    rows, problems = parse_readings_csv(data)
    line_of = [line for line, _item in rows]
    if problems:  # report the other lines' errors too, in one go
        _valid, errors = _validate_readings([item for _line, item in rows], today or local_today(), unit)
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
