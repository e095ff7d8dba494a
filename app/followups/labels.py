"""The Swedish/English words for the follow-ups domain's codes (DESIGN.md 3)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

FOLLOW_UP_STATUS = {
    "proposed": _l("Proposed"),
    "agreed": _l("Agreed"),
    "done_reported": _l("Reported done"),
    "verified": _l("Verified"),
    "cancelled": _l("Cancelled"),
}
SIDE = {"supervisor": _l("The supervising body"), "unit": _l("The unit")}
REMINDER_STATUS = {
    "pending": _l("Waiting"),
    "queued": _l("Queued"),
    "sending": _l("Being sent"),
    "sent": _l("Sent"),
    "skipped": _l("Skipped"),
    "obsolete": _l("No longer needed"),
    "failed": _l("Failed"),
}
STATUS_FILTERS = {
    "open": _l("Open"),
    "overdue": _l("Overdue"),
    "proposed": _l("Proposed"),
    "agreed": _l("Agreed"),
    "done_reported": _l("Reported done"),
    "verified": _l("Verified"),
    "cancelled": _l("Cancelled"),
    "all": _l("All"),
}


def reminder_kind(kind: str) -> str:
    """ "follow_up_before_7d" → "7 days before the due date", in the reader's language."""
    from flask_babel import gettext as _

    if kind == "follow_up_due":
        return _("On the due date")
    number = "".join(ch for ch in kind.rsplit("_", 1)[-1] if ch.isdigit())
    days = int(number) if number else 0
    if kind.startswith("follow_up_before_"):
        return _("%(n)d days before the due date", n=days)
    if kind.startswith("follow_up_after_"):
        return _("%(n)d days after the due date", n=days)
    if kind.startswith("comment_deadline_before_"):
        return _("%(n)d days before the deadline for comments", n=days)
    return kind


def register(app: Flask) -> None:
    from app.core import timeline

    # The timeline names this domain's objects, fields and codes in plain words too.
    fields = {
        "status": _l("Status"),
        "unit_id": _l("Unit"),
        "visit_id": _l("Review visit"),
        "title": _l("Title"),
        "description": _l("Description"),
        "due_date": _l("Due date"),
        "owner_id": _l("Responsible"),
        "reviewer_id": _l("Responsible reviewer"),
        "proposed_by_side": _l("Proposed by the party"),
        "supervisor_accepted_at": _l("Accepted by the supervising body"),
        "unit_accepted_at": _l("Accepted by the unit"),
        "agreed_at": _l("Agreed"),
        "done_description": _l("What was done"),
        "done_reported_at": _l("Reported done"),
        "verification_note": _l("How the effect was checked"),
        "verified_at": _l("Verified"),
        "reopen_note": _l("Why it was reopened"),
        "cancel_reason": _l("Why it was cancelled"),
        "cancelled_at": _l("Cancelled"),
    }
    timeline.register_object_type(
        "follow_up",
        _l("a follow-up"),
        fields=fields,
        values={"status": FOLLOW_UP_STATUS, "proposed_by_side": SIDE},
    )
    timeline.register_object_type("follow_up_evidence", _l("a photo or document of a done report"), fields=fields)
    timeline.register_object_type("calendar_feed", _l("a calendar link"), fields=fields)

    @app.context_processor
    def _labels() -> dict[str, Any]:
        return {
            "follow_up_status_labels": FOLLOW_UP_STATUS,
            "follow_up_side_labels": SIDE,
            "reminder_status_labels": REMINDER_STATUS,
            "follow_up_filter_labels": STATUS_FILTERS,
            "reminder_kind_label": reminder_kind,
        }
