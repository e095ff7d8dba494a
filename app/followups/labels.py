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
    import uuid

    from flask_babel import gettext as _
    from sqlalchemy import select

    from app.core import timeline
    from app.extensions import db
    from app.followups.models import FollowUp

    def titles(ids):  # type: ignore[no-untyped-def]
        keys = [uuid.UUID(i) for i in ids]
        return {
            str(i): t for i, t in db.session.execute(select(FollowUp.id, FollowUp.title).where(FollowUp.id.in_(keys)))
        }

    timeline.register_reference("follow_up", titles)

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
        "proposed_by_id": _l("Proposed by"),
        "proposed_by_side": _l("Proposed by the party"),
        "supervisor_accepted_by_id": _l("Accepted for the supervising body by"),
        "supervisor_accepted_at": _l("Accepted by the supervising body"),
        "unit_accepted_by_id": _l("Accepted for the unit by"),
        "unit_accepted_at": _l("Accepted by the unit"),
        "agreed_at": _l("Agreed"),
        "done_description": _l("What was done"),
        "done_reported_at": _l("Reported done"),
        "done_reported_by_id": _l("Reported done by"),
        "verification_note": _l("How the effect was checked"),
        "verified_at": _l("Verified"),
        "verified_by_id": _l("Verified by"),
        "reopen_note": _l("Why it was reopened"),
        "reopened_at": _l("Reopened"),
        "cancel_reason": _l("Why it was cancelled"),
        "cancelled_at": _l("Cancelled"),
        "cancelled_by_id": _l("Cancelled by"),
        "user_id": _l("Person"),
        "uploaded_by_id": _l("Added by"),
        "original_name": _l("File name"),
        "kind": _l("Kind"),
        "revoked_at": _l("Revoked"),
    }
    people = [
        "owner_id",
        "reviewer_id",
        "proposed_by_id",
        "supervisor_accepted_by_id",
        "unit_accepted_by_id",
        "done_reported_by_id",
        "verified_by_id",
        "cancelled_by_id",
        "user_id",
        "uploaded_by_id",
    ]
    refs = {name: "user" for name in people} | {"unit_id": "unit", "visit_id": "visit"}
    hidden = {"finding_id", "follow_up_id", "content_type", "size_bytes", "sha256", "storage_name", "thumbnail_name"}

    def follow_up(event, who):  # type: ignore[no-untyped-def]
        what = timeline.named(event, _("the follow-up"))
        if event.action == "create":
            return _(
                "%(who)s proposed %(what)s, due %(date)s.",
                who=who,
                what=what,
                date=timeline.words_of(event, "due_date"),
            )
        if event.action == "delete":
            return _("%(who)s removed %(what)s.", who=who, what=what)
        status = timeline.change(event, "status")
        new = status[1] if status else None
        if new == "agreed" and status and status[0] == "proposed":
            return _("%(who)s accepted %(what)s; both parties have agreed to it.", who=who, what=what)
        if new == "agreed":
            return _("%(who)s reopened %(what)s.", who=who, what=what)
        if new == "done_reported":
            return _("%(who)s reported %(what)s done.", who=who, what=what)
        if new == "verified":
            return _("%(who)s verified the effect of %(what)s.", who=who, what=what)
        if new == "cancelled":
            return _("%(who)s cancelled %(what)s.", who=who, what=what)
        if new == "proposed":
            return _("%(who)s proposed %(what)s again.", who=who, what=what)
        if timeline.change(event, "supervisor_accepted_at") or timeline.change(event, "unit_accepted_at"):
            return _("%(who)s accepted %(what)s.", who=who, what=what)
        due = timeline.change(event, "due_date")
        if due:
            return _(
                "%(who)s moved the due date of %(what)s to %(date)s.",
                who=who,
                what=what,
                date=timeline.change_value(event, "due_date", due[1]),
            )
        return _("%(who)s changed %(what)s.", who=who, what=what)

    def evidence(event, who):  # type: ignore[no-untyped-def]
        what = timeline.named(event, _("a file"))
        if event.action == "create":
            return _("%(who)s added %(what)s to the done report.", who=who, what=what)
        if event.action == "delete":
            return _("%(who)s removed %(what)s from the done report.", who=who, what=what)
        return None

    def feed(event, who):  # type: ignore[no-untyped-def]
        if event.action == "create":
            return _("%(who)s made a calendar link for their follow-ups.", who=who)
        return _("%(who)s revoked a calendar link.", who=who)

    common: dict[str, Any] = {"fields": fields, "refs": refs, "hidden": hidden}
    timeline.register_object_type(
        "follow_up",
        _l("a follow-up"),
        values={"status": FOLLOW_UP_STATUS, "proposed_by_side": SIDE},
        sentence=follow_up,
        **common,
    )
    timeline.register_object_type(
        "follow_up_evidence",
        _l("a photo or document of a done report"),
        values={"kind": timeline.FILE_KINDS},
        sentence=evidence,
        **common,
    )
    timeline.register_object_type("calendar_feed", _l("a calendar link"), sentence=feed, **common)

    @app.context_processor
    def _labels() -> dict[str, Any]:
        return {
            "follow_up_status_labels": FOLLOW_UP_STATUS,
            "follow_up_side_labels": SIDE,
            "reminder_status_labels": REMINDER_STATUS,
            "follow_up_filter_labels": STATUS_FILTERS,
            "reminder_kind_label": reminder_kind,
        }
