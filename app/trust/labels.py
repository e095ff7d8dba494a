"""The words of the trust domain (DESIGN.md 3), and each boundary as a plain sentence: what is watched, when the
parties look closer together, and why."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from app.core.models import AuditEvent
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


def register(app) -> None:  # type: ignore[no-untyped-def]
    from app.core import timeline
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
        "proposed_at": _l("Proposed"),
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
    timeline.register_object_type("indicator", _l("an indicator"), fields=fields)

    def reading(event: AuditEvent, who: str) -> str | None:
        withdrawn = (event.changes or {}).get("withdrawn_at")
        if event.action != "update" or not withdrawn or not withdrawn[1]:
            return None
        reason = (event.changes.get("withdrawal_reason") or [None, ""])[1] or ""
        return _("%(who)s withdrew a reading: %(reason)s", who=who, reason=reason)

    timeline.register_object_type("reading", _l("a reading"), fields=fields, sentence=reading)
    timeline.register_object_type("boundary", _l("a trust boundary"), fields=fields, values={"kind": KIND})
    timeline.register_object_type(
        "boundary_version",
        _l("a version of a trust boundary"),
        fields=fields,
        values={"status": VERSION_STATUS, "comparator": COMPARATOR, "proposed_by_side": SIDE},
    )
    timeline.register_object_type("breach", _l("a boundary breach"), fields=fields)
    timeline.register_object_type(
        "trust_change",
        _l("the trust level"),
        fields=fields,
        values={"from_level": TRUST_LABELS, "to_level": TRUST_LABELS},
    )

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
