"""Plain-language sentences for audit events, in the reader's language (the reusable timeline partial)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from flask import Flask
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.models import AuditEvent

OBJECT_LABELS = {
    "unit": _l("the unit"),
    "user": _l("the person"),
    "membership": _l("a unit membership"),
    "user_role": _l("a role"),
    "api_token": _l("an API token"),
    "template": _l("a review template"),
    "template_version": _l("a version of a review template"),
    "visit": _l("a review visit"),
    "team_member": _l("a member of a review team"),
    "finding": _l("a finding"),
    "evidence": _l("a photo or document"),
    "response": _l("a response from the unit"),
    "final_report": _l("the final report"),
    "message": _l("a message"),
    "internal_note": _l("an internal note"),
    "notification_setting": _l("the choice of e-mails about messages"),
}

FIELD_LABELS = {
    "name": _l("Name"),
    "email": _l("E-mail address"),
    "kind": _l("Kind"),
    "contact_email": _l("Contact e-mail"),
    "trust_level": _l("Trust level"),
    "language": _l("Language"),
    "is_active_account": _l("Active"),
    "password_hash": _l("Password"),
    "role": _l("Role"),
    "label": _l("Label"),
    "revoked_at": _l("Revoked"),
    "unit_id": _l("Unit"),
    "user_id": _l("Person"),
    "status": _l("Status"),
    "visit_date": _l("Date of the visit"),
    "aim": _l("Aim of the visit"),
    "comment_deadline": _l("Deadline for comments"),
    "kommunicering_waiver": _l("Why kommunicering was unnecessary"),
    "text": _l("Text"),
    "severity": _l("Severity"),
    "review_area_id": _l("Review area"),
    "is_lead": _l("Lead reviewer"),
    "sent_for_comment_at": _l("Sent for comment"),
    "finalised_at": _l("Finalised"),
    "closed_at": _l("Closed"),
    "mode": _l("E-mails about new messages"),
    "author_side": _l("Written for"),
    "is_internal": _l("Internal note"),
}


# (object type, field) → {stored code: the reader's word}; each domain registers its codes in its init_app.
VALUE_LABELS: dict[tuple[str, str], Mapping[str, Any]] = {}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def register_values(object_type: str, field: str, labels: Mapping[str, Any]) -> None:
    VALUE_LABELS[(object_type, field)] = labels


def change_value(event: AuditEvent, field: str, value: Any) -> str:
    """A before or after value of a change as the reader would say it: a status in words, a moment in local time."""
    if value is None or value == "":
        return "–"
    labels = VALUE_LABELS.get((event.object_type, field))
    if labels is not None and str(value) in labels:
        return str(labels[str(value)])
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, str) and _ISO_DATE.match(value):
        return format_date(date.fromisoformat(value), "medium")
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        try:
            return format_datetime(datetime.fromisoformat(value), "short")
        except ValueError:
            return value
    return str(value)


def actor_name(event: AuditEvent) -> str:
    if event.actor is not None:
        return event.actor.name
    if event.via == "cli":
        return _("An administrator (command line)")
    return _("The system")


# A visit's moves along its status machine, in the words both parties use (DESIGN.md 4.1).
STATUS_SENTENCES = {
    "in_progress": _l("%(who)s started the visit."),
    "draft": _l("%(who)s marked the report as a draft."),
    "sent_for_comment": _l("%(who)s sent the draft report to the unit for comment."),
    "final": _l("%(who)s finalised the report."),
    "closed": _l("%(who)s closed the case."),
}


def _change(event: AuditEvent, field: str) -> list | None:
    pair = (event.changes or {}).get(field)
    return pair if isinstance(pair, list) and len(pair) == 2 else None


def _visit_sentence(event: AuditEvent, who: str) -> str | None:
    if event.action == "create":
        return _("%(who)s planned the visit.", who=who)
    if event.action != "update":
        return None
    status = _change(event, "status")
    if status:
        if status[0] == "draft" and status[1] == "in_progress":
            return _("%(who)s took the report back to recording findings.", who=who)
        template = STATUS_SENTENCES.get(status[1])
        if template is not None:
            return str(template) % {"who": who}
    if _change(event, "visit_date"):
        return _("%(who)s changed the date of the visit.", who=who)
    if _change(event, "comment_deadline"):
        return _("%(who)s set the deadline for the unit's comments.", who=who)
    return None


def _domain_sentence(event: AuditEvent, who: str) -> str | None:
    """The events both parties read most, in plain sentences; None falls back to the general form."""
    kind, action = event.object_type, event.action
    if kind == "visit":
        return _visit_sentence(event, who)
    if kind == "message" and action == "create":
        return _("%(who)s wrote a message.", who=who)
    if kind == "internal_note" and action == "create":
        return _("%(who)s wrote an internal note (not shown to the unit).", who=who)
    if kind == "response" and action == "create":
        if _change(event, "finding_id"):
            return _("%(who)s responded to a finding on behalf of the unit.", who=who)
        return _("%(who)s responded to the report on behalf of the unit.", who=who)
    if kind == "final_report" and action == "create":
        return _("The final report was stored as a PDF.")
    if kind == "finding":
        return {
            "create": _("%(who)s recorded a finding.", who=who),
            "update": _("%(who)s changed a finding.", who=who),
            "delete": _("%(who)s removed a finding.", who=who),
        }.get(action)
    if kind == "team_member":
        return {
            "create": _("%(who)s added a reviewer to the team.", who=who),
            "delete": _("%(who)s removed a reviewer from the team.", who=who),
        }.get(action)
    if kind == "notification_setting":
        return _("%(who)s chose which e-mails to get about new messages.", who=who)
    return None


def sentence(event: AuditEvent) -> str:
    who = actor_name(event)
    specific = _domain_sentence(event, who)
    if specific is not None:
        return specific
    what = OBJECT_LABELS.get(event.object_type, event.object_type)
    if event.action == "create":
        return _("%(who)s created %(what)s.", who=who, what=what)
    if event.action == "update":
        return _("%(who)s changed %(what)s.", who=who, what=what)
    if event.action == "delete":
        return _("%(who)s removed %(what)s.", who=who, what=what)
    if event.action == "login":
        return _("%(who)s logged in.", who=who)
    if event.action == "logout":
        return _("%(who)s logged out.", who=who)
    if event.action == "login_failed":
        return _("A login failed.")
    if event.action == "set_password_link":
        return _("%(who)s sent a link to choose a password.", who=who)
    return _("%(who)s: %(action)s %(what)s.", who=who, action=event.action, what=what)


def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))


def init_app(app: Flask) -> None:
    app.add_template_filter(sentence, "audit_sentence")
    app.add_template_filter(field_label, "audit_field")
    app.add_template_filter(change_value, "audit_value")


def visit_refs(events: Iterable[AuditEvent]) -> dict[str, Any]:
    """The visits the events belong to, by id (one query), so a timeline can name each event's case."""
    from sqlalchemy import select

    from app.extensions import db
    from app.visits.models import Visit

    ids = set()
    for event in events:
        ref = event.object_id if event.object_type == "visit" else None
        ref = ref or (event.parent_id if event.parent_type == "visit" else None)
        if ref:
            try:
                ids.add(uuid.UUID(ref))
            except ValueError:
                continue
    if not ids:
        return {}
    return {str(v.id): v for v in db.session.scalars(select(Visit).where(Visit.id.in_(ids)))}
