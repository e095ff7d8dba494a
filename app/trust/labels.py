"""The words of the trust domain (DESIGN.md 3), and each boundary as a plain sentence: what is watched, when the
parties look closer together, and why."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from app.trust.models import BoundaryVersion, Indicator

KIND = {
    "indicator": _l("An indicator"),
    "serious_deviation": _l("Serious deviations"),
    "overdue_follow_up": _l("Overdue follow-ups"),
}
COMPARATOR = {
    ">": _l("above"),
    ">=": _l("at or above"),
    "<": _l("below"),
    "<=": _l("at or below"),
}
VERSION_STATUS = {
    "proposed": _l("Proposed, waiting for acceptance"),
    "active": _l("Agreed, in force"),
    "superseded": _l("Replaced by a later version"),
    "ended": _l("Agreed to end the boundary"),
    "rejected": _l("Declined"),
    "withdrawn": _l("Withdrawn"),
}
SIDE = {"supervisor": _l("the supervising body"), "unit": _l("the unit")}


def number(value: float | None) -> str:
    """A value as people write it in the reader's language (93,5 in Swedish)."""
    if value is None:
        return "–"
    return str(format_decimal(value, format="#,##0.##"))


def amount(value: float | None, indicator: Indicator | None) -> str:
    """A value with its unit of measure: "93,5 %", "4,2 per 1000 vårddygn"."""
    text = number(value)
    unit = indicator.unit_of_measure if indicator else ""
    return f"{text} {unit}".strip() if value is not None else text


def watched(version: BoundaryVersion) -> str:
    """What the boundary watches."""
    kind = version.boundary.kind.value
    if kind == "indicator":
        name = version.indicator.name if version.indicator else "–"
        return _("We watch the indicator “%(name)s”.", name=name)
    if kind == "serious_deviation":
        return _("We watch the serious deviations found in review visits.")
    return _("We watch the follow-up actions we have agreed on.")


def when_closer(version: BoundaryVersion) -> str:
    """When the parties look closer together."""
    kind = version.boundary.kind.value
    if kind == "indicator":
        limit = amount(version.threshold, version.indicator)
        side = str(COMPARATOR[version.comparator.value]) if version.comparator else "–"
        k = version.periods or 1
        return ngettext(
            "We look closer together when the latest reported month is %(side)s %(limit)s.",
            "We look closer together when each of the %(num)d latest reported months is %(side)s %(limit)s.",
            k,
            side=side,
            limit=limit,
        )
    if kind == "serious_deviation":
        return _("We look closer together when a serious deviation is found in a report sent to the unit.")
    return ngettext(
        "We look closer together when an agreed follow-up is more than %(num)d day past its due date "
        "without being reported done.",
        "We look closer together when an agreed follow-up is more than %(num)d days past its due date "
        "without being reported done.",
        version.days or 0,
    )


def why(version: BoundaryVersion) -> str:
    return _("Why: %(rationale)s", rationale=version.rationale.strip()) if version.rationale.strip() else ""


def sentence(version: BoundaryVersion) -> str:
    """The whole boundary as one short paragraph, as the parties agreed it."""
    if version.ends_boundary:
        return _("Proposal to end the boundary. %(why)s", why=why(version)).strip()
    return " ".join(part for part in (watched(version), when_closer(version), why(version)) if part)


def title(version: BoundaryVersion) -> str:
    """A short name for lists and e-mail subjects."""
    if version.boundary.kind.value == "indicator" and version.indicator is not None:
        return version.indicator.name
    return str(KIND[version.boundary.kind.value])


SOURCE = {
    "form": _l("the web form"),
    "csv": _l("a CSV file"),
    "api": _l("the API"),
    "cli": _l("the command line"),
}


def month(period: str) -> str:
    """ "2026-10" → "October 2026" in the reader's language (the period as written where it is no month)."""
    from datetime import date

    from flask_babel import format_date

    try:
        year, mon = (int(part) for part in str(period).split("-"))
        return str(format_date(date(year, mon, 1), "LLLL yyyy"))
    except (TypeError, ValueError):
        return str(period)


def _register_history(fields: dict) -> None:
    """The trust domain's object types in the kernel's timeline registry: values with their unit of measure,
    periods as months, what crossed a boundary in words (DESIGN.md 4.3)."""
    import uuid
    from typing import Any

    from flask_babel import get_locale
    from sqlalchemy import select

    from app.core import timeline
    from app.extensions import db
    from app.trust import models as m

    def keys(ids):  # type: ignore[no-untyped-def]
        return [uuid.UUID(i) for i in ids]

    def localised(ids):  # type: ignore[no-untyped-def]
        english = str(get_locale() or "sv") == "en"
        rows = db.session.execute(
            select(m.Indicator.id, m.Indicator.name_sv, m.Indicator.name_en).where(m.Indicator.id.in_(keys(ids)))
        )
        return {str(i): (en if english and en else sv) for i, sv, en in rows}

    def units_of(model, join):  # type: ignore[no-untyped-def]
        def load(ids):  # type: ignore[no-untyped-def]
            query = select(model.id, m.Indicator.unit_of_measure).join(*join).where(model.id.in_(keys(ids)))
            return {str(i): unit or "" for i, unit in db.session.execute(query)}

        return load

    timeline.register_reference("indicator", localised)
    timeline.register_reference(
        "indicator_unit",
        lambda ids: {
            str(i): unit or ""
            for i, unit in db.session.execute(
                select(m.Indicator.id, m.Indicator.unit_of_measure).where(m.Indicator.id.in_(keys(ids)))
            )
        },
    )
    timeline.register_reference(
        "reading_unit", units_of(m.Reading, (m.Indicator, m.Indicator.id == m.Reading.indicator_id))
    )
    timeline.register_reference(
        "version_unit", units_of(m.BoundaryVersion, (m.Indicator, m.Indicator.id == m.BoundaryVersion.indicator_id))
    )
    timeline.register_reference(
        "breach_unit",
        lambda ids: {
            str(i): unit or ""
            for i, unit in db.session.execute(
                select(m.Breach.id, m.Indicator.unit_of_measure)
                .join(m.BoundaryVersion, m.BoundaryVersion.id == m.Breach.boundary_version_id)
                .join(m.Indicator, m.Indicator.id == m.BoundaryVersion.indicator_id)
                .where(m.Breach.id.in_(keys(ids)))
            )
        },
    )

    def measured(kind: str, own: str | None = None):  # type: ignore[no-untyped-def]
        """A value with the unit of measure of the indicator it belongs to ("83,5 %")."""

        def fmt(event: Any, value: Any) -> str:
            unit = timeline.value_of(event, own) if own else None
            if unit is None:
                ind = timeline.value_of(event, "indicator_id")
                unit = timeline.reference_name("indicator_unit", ind) if ind else None
            if unit is None:
                unit = timeline.reference_name(kind, event.object_id)
            try:
                text = number(float(value))
            except (TypeError, ValueError):
                return "–"
            return f"{text} {unit or ''}".strip()

        return fmt

    def evidence(event: Any, value: Any) -> str:
        """What crossed a boundary, in words: the months and values, the findings' cases, the follow-ups."""
        if not isinstance(value, dict):
            return "–"
        unit = timeline.reference_name("breach_unit", event.object_id) or ""
        parts: list[str] = []
        for period, amount_ in value.get("readings") or []:
            parts.append(_("%(value)s in %(month)s", value=f"{number(amount_)} {unit}".strip(), month=month(period)))
        for finding in value.get("findings") or []:
            case = finding.get("case_number") if isinstance(finding, dict) else None
            parts.append(_("a serious deviation in %(case)s", case=case or _("a review visit")))
        for item in value.get("follow_ups") or []:
            if not isinstance(item, dict):
                continue
            due = timeline.change_value(event, "due_date", item.get("due_date"))
            parts.append(_("the follow-up “%(title)s”, due %(date)s", title=item.get("title", ""), date=due))
        return "; ".join(parts) or "–"

    def unit_kinds(event: Any, value: Any) -> str:
        from app.units.forms import KIND_LABELS

        kinds = [k for k in str(value or "").split(",") if k]
        return ", ".join(str(KIND_LABELS.get(k, k)) for k in kinds) or _("every kind of unit")

    people = "reported_by_id withdrawn_by_id proposed_by_id accepted_by_id rejected_by_id closed_by_id actor_id"
    refs = {name: "user" for name in people.split()} | {
        "unit_id": "unit",
        "indicator_id": "indicator",
        "visit_id": "visit",
    }
    hidden = {"boundary_id", "boundary_version_id", "breach_id", "trigger_keys", "key"}
    common: dict[str, Any] = {"fields": fields, "refs": refs, "hidden": hidden}

    def indicator_name(event: Any) -> str:
        ind = timeline.value_of(event, "indicator_id")
        return timeline.reference_name("indicator", ind) or _("an indicator") if ind else _("an indicator")

    def reading(event: Any, who: str) -> str | None:
        withdrawn = (event.changes or {}).get("withdrawn_at")
        if event.action == "update" and withdrawn and withdrawn[1]:
            reason = (event.changes.get("withdrawal_reason") or [None, ""])[1] or ""
            return _("%(who)s withdrew a reading: %(reason)s", who=who, reason=reason)
        value = timeline.change(event, "value")
        if event.action == "create":
            return _(
                "%(who)s reported %(value)s for “%(indicator)s”, %(month)s.",
                who=who,
                value=timeline.words_of(event, "value"),
                indicator=indicator_name(event),
                month=month(timeline.value_of(event, "period") or ""),
            )
        if value:
            return _(
                "%(who)s corrected a reported value from %(before)s to %(after)s.",
                who=who,
                before=timeline.change_value(event, "value", value[0]),
                after=timeline.change_value(event, "value", value[1]),
            )
        if event.action == "delete":
            return _("%(who)s removed a reading.", who=who)
        return _("%(who)s changed a reading.", who=who)

    def boundary(event: Any, who: str) -> str | None:
        kind = timeline.words_of(event, "kind")
        if event.action == "create":
            return _("%(who)s started a trust boundary: %(kind)s.", who=who, kind=kind)
        if timeline.change(event, "ended_at") and timeline.value_of(event, "ended_at"):
            return _("The parties agreed to end a trust boundary.")
        if timeline.change(event, "agreed_at") and timeline.value_of(event, "agreed_at"):
            return _("The parties agreed on a trust boundary; it is in force.")
        if event.action == "delete":
            return _("%(who)s removed a trust boundary.", who=who)
        return _("%(who)s changed a trust boundary.", who=who)

    def version(event: Any, who: str) -> str | None:
        num = timeline.value_of(event, "number") or ""
        if event.action == "create":
            if timeline.value_of(event, "ends_boundary"):
                return _("%(who)s proposed ending the trust boundary.", who=who)
            if num:
                return _("%(who)s proposed version %(number)s of a trust boundary.", who=who, number=num)
            return _("%(who)s proposed a new version of a trust boundary.", who=who)
        status = timeline.change(event, "status")
        new = status[1] if status else None
        if new in ("active", "ended"):
            return _("%(who)s accepted the proposed trust boundary.", who=who)
        if new == "rejected":
            return _("%(who)s declined the proposed trust boundary.", who=who)
        if new == "withdrawn":
            return _("%(who)s withdrew the proposed trust boundary.", who=who)
        if new == "superseded":
            return _("An agreed later version replaced the trust boundary in force.")
        if event.action == "delete":
            return _("%(who)s removed a version of a trust boundary.", who=who)
        return _("%(who)s changed a proposed trust boundary.", who=who)

    def breach(event: Any, who: str) -> str | None:
        if event.action == "create":
            found = timeline.words_of(event, "evidence")
            return _("A trust boundary was crossed: %(what)s.", what=found)
        closed = timeline.change(event, "closed_at")
        if closed and closed[1]:
            note = timeline.value_of(event, "close_note") or ""
            return _("%(who)s closed the boundary breach: %(note)s", who=who, note=note).strip()
        cleared = timeline.change(event, "condition_cleared_at")
        if cleared and cleared[1]:
            return _("The boundary is no longer crossed; the breach stays open until a reviewer closes it.")
        if cleared:
            return _("The boundary is crossed again.")
        if timeline.change(event, "evidence"):
            return _("More crossed the trust boundary: %(what)s.", what=timeline.words_of(event, "evidence"))
        if timeline.change(event, "visit_id"):
            return _("A closer-review visit was linked to the boundary breach.")
        return _("%(who)s changed a boundary breach.", who=who)

    def trust_change(event: Any, who: str) -> str | None:
        if event.action != "create":
            return None
        to = timeline.words_of(event, "to_level")
        reason = timeline.value_of(event, "reason") or ""
        if timeline.value_of(event, "actor_id") is None and event.actor_id is None:
            return _("The unit moved to %(level)s: %(reason)s", level=to.lower(), reason=reason).strip()
        return _(
            "%(who)s changed the trust level to %(level)s: %(reason)s", who=who, level=to.lower(), reason=reason
        ).strip()

    timeline.register_object_type(
        "indicator",
        _l("an indicator"),
        formats={
            "min_value": measured("indicator_unit", "unit_of_measure"),
            "max_value": measured("indicator_unit", "unit_of_measure"),
            "unit_kinds": unit_kinds,
        },
        **common,
    )
    timeline.register_object_type(
        "reading",
        _l("a reading"),
        sentence=reading,
        values={"source": SOURCE},
        formats={"value": measured("reading_unit"), "period": lambda event, value: month(value)},
        **common,
    )
    timeline.register_object_type(
        "boundary", _l("a trust boundary"), values={"kind": KIND}, sentence=boundary, **common
    )
    timeline.register_object_type(
        "boundary_version",
        _l("a version of a trust boundary"),
        values={"status": VERSION_STATUS, "comparator": COMPARATOR, "proposed_by_side": SIDE},
        formats={"threshold": measured("version_unit")},
        sentence=version,
        **common,
    )
    timeline.register_object_type(
        "breach", _l("a boundary breach"), formats={"evidence": evidence}, sentence=breach, **common
    )
    from app.units.forms import TRUST_LABELS

    timeline.register_object_type(
        "trust_change",
        _l("the trust level"),
        values={"from_level": TRUST_LABELS, "to_level": TRUST_LABELS},
        sentence=trust_change,
        **common,
    )


def register(app) -> None:  # type: ignore[no-untyped-def]
    from app.units.forms import TRUST_LABELS

    fields = {
        "kind": _l("Kind"),
        "status": _l("Status"),
        "unit_id": _l("Unit"),
        "closed_at": _l("Closed"),
        "description": _l("Description"),
        "value": _l("Value"),
        "period": _l("Period"),
        "threshold": _l("Threshold"),
        "comparator": _l("Comparator"),
        "periods": _l("Periods"),
        "days": _l("Days"),
        "rationale": _l("Why"),
        "close_note": _l("Note on closing"),
        "rejection_reason": _l("Reason for declining"),
        "condition_cleared_at": _l("No longer crossed"),
        "corrected_at": _l("Corrected"),
        "key": _l("Key"),
        "name_sv": _l("Name in Swedish"),
        "name_en": _l("Name in English"),
        "unit_of_measure": _l("Unit of measure"),
        "indicator_id": _l("Indicator"),
        "source": _l("Reported through"),
        "reported_by_id": _l("Reported by"),
        "boundary_id": _l("Trust boundary"),
        "boundary_version_id": _l("Version of the boundary"),
        "number": _l("Version"),
        "ends_boundary": _l("Proposal to end the boundary"),
        "proposed_by_id": _l("Proposed by"),
        "proposed_by_side": _l("Proposed by the party"),
        "proposed_at": _l("Proposed on"),
        "accepted_by_id": _l("Accepted by"),
        "accepted_at": _l("Accepted"),
        "rejected_by_id": _l("Declined by"),
        "rejected_at": _l("Declined"),
        "withdrawn_by_id": _l("Withdrawn by"),
        "withdrawn_at": _l("Withdrawn"),
        "withdrawal_reason": _l("Why it was withdrawn"),
        "min_value": _l("Lowest allowed value"),
        "max_value": _l("Highest allowed value"),
        "unit_kinds": _l("Kinds of unit that report it"),
        "superseded_at": _l("Out of force"),
        "agreed_at": _l("Agreed"),
        "ended_at": _l("Ended"),
        "opened_at": _l("Found"),
        "evidence": _l("What crossed the boundary"),
        "trigger_keys": _l("Facts covered"),
        "visit_id": _l("Review visit"),
        "closed_by_id": _l("Closed by"),
        "from_level": _l("From trust level"),
        "to_level": _l("To trust level"),
        "reason": _l("Reason"),
        "actor_id": _l("Decided by"),
        "breach_id": _l("Boundary breach"),
        "changed_at": _l("Changed"),
    }
    _register_history(fields)

    @app.context_processor
    def _labels() -> dict:
        return {
            "trust_level_labels": TRUST_LABELS,
            "boundary_kind_labels": KIND,
            "comparator_labels": COMPARATOR,
            "version_status_labels": VERSION_STATUS,
            "boundary_side_labels": SIDE,
        }

    app.add_template_filter(sentence, "boundary_sentence")
    app.add_template_filter(title, "boundary_title")
    app.add_template_filter(number, "trust_number")
    app.add_template_filter(watched, "boundary_watched")
    app.add_template_filter(when_closer, "boundary_when")
    app.add_template_filter(why, "boundary_why")
