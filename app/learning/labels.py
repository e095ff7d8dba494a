"""The Swedish/English words for the learning domain's codes (DESIGN.md 3) and its history sentences."""

from __future__ import annotations

from typing import Any

from flask_babel import format_decimal, ngettext
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
    "unit_id": _l("Unit"),
    "visit_id": _l("Review visit"),
    "user_id": _l("Person"),
    "proposed_by_id": _l("Proposed by"),
    "proposed_at": _l("Proposed on"),
    "answered_by_id": _l("Answered by"),
    "answered_at": _l("Answered"),
    "withdrawn_at": _l("Withdrawn"),
    "submitted_by_id": _l("Submitted by"),
    "received_at": _l("Received"),
    "given_at": _l("Given"),
    "useful": _l("Useful"),
    "respectful": _l("Respectful"),
    "clear": _l("Clear"),
    "text": _l("Text"),
}
REFS = {
    "unit_id": "unit",
    "visit_id": "visit",
    "user_id": "user",
    "proposed_by_id": "user",
    "answered_by_id": "user",
    "submitted_by_id": "user",
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
        if event.action == "create":
            return _("%(who)s submitted the unit's self-assessment.", who=who)
        return _("%(who)s changed the unit's self-assessment.", who=who)

    def feedback(event: AuditEvent, who: str) -> str | None:
        if event.action == "create":
            return _("%(who)s gave feedback on the supervision.", who=who)
        return _("%(who)s changed their feedback on the supervision.", who=who)

    def photos(event: AuditEvent, value: object) -> str:
        count = len(value) if isinstance(value, list) else 0
        return ngettext("%(num)d photo", "%(num)d photos", count) if count else _("No photos")

    common: dict[str, Any] = {"fields": FIELDS, "refs": REFS, "hidden": {"finding_id"}}
    timeline.register_object_type(
        "supervision_feedback", _l("feedback on the supervision"), sentence=feedback, **common
    )
    timeline.register_object_type("self_assessment", _l("the self-assessment"), sentence=self_assessment, **common)
    timeline.register_object_type(
        "good_example",
        _l("a good example"),
        values={"status": EXAMPLE_STATUS},
        formats={"photo_ids": photos},
        sentence=good_example,
        **common,
    )
