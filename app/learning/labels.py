"""The Swedish/English words for the learning domain's codes (DESIGN.md 3) and its history sentences."""

from __future__ import annotations

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import timeline
from app.core.models import AuditEvent

EXAMPLE_STATUS = {
    "proposed": _l("Proposed, waiting for the unit"),
    "consented": _l("In the library"),
    "declined": _l("Declined by the unit"),
    "withdrawn": _l("Withdrawn by the unit"),
}

# The four-step scale of the self-assessment.
RATING = {
    1: _l("Not true"),
    2: _l("Partly true"),
    3: _l("Largely true"),
    4: _l("Fully true"),
}

# The three questions of the feedback on the supervision (1–5 each).
FEEDBACK_QUESTIONS = {
    "useful": _l("How useful was the supervision for your work?"),
    "respectful": _l("How respectfully were you treated?"),
    "clear": _l("How clear were the report and its findings?"),
}

# The four counts of the years at a glance.
BUCKETS = {
    "strength": _l("Strengths"),
    "development": _l("Areas for development"),
    "minor": _l("Minor deviations"),
    "serious": _l("Serious deviations"),
}

FIELDS = {
    "status": _l("Status"),
    "named": _l("Shown with the unit's name"),
    "photo_ids": _l("Photos shown"),
    "year": _l("Year"),
}


def one_decimal(value: float) -> str:
    """A number with one decimal in the reader's language ("3,5" in Swedish)."""
    return format_decimal(value, format="0.0")


def register_timeline() -> None:
    """The good example in the kernel's timeline registry (called by app.learning.init_app)."""

    def good_example(event: AuditEvent, who: str) -> str | None:
        status = timeline.change(event, "status")
        new = status[-1] if status else None
        if new == "proposed":
            return _("%(who)s proposed a strength as a good example.", who=who)
        if new == "consented":
            return _("%(who)s consented to sharing a good example in the library.", who=who)
        if new == "declined":
            return _("%(who)s declined sharing a good example.", who=who)
        if new == "withdrawn":
            return _("%(who)s withdrew a good example from the library.", who=who)
        return None

    def self_assessment(event: AuditEvent, who: str) -> str | None:
        return _("%(who)s submitted the unit's self-assessment.", who=who) if event.action == "create" else None

    def feedback(event: AuditEvent, who: str) -> str | None:
        return _("%(who)s gave feedback on the supervision.", who=who) if event.action == "create" else None

    timeline.register_object_type("supervision_feedback", _l("feedback on the supervision"), sentence=feedback)
    timeline.register_object_type("self_assessment", _l("the self-assessment"), sentence=self_assessment)
    timeline.register_object_type(
        "good_example",
        _l("a good example"),
        fields=FIELDS,
        values={"status": EXAMPLE_STATUS},
        sentence=good_example,
    )
