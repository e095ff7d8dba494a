"""Plain-language sentences for audit events, in the reader's language (the reusable timeline partial)."""

from __future__ import annotations

from flask import Flask
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
}


def actor_name(event: AuditEvent) -> str:
    if event.actor is not None:
        return event.actor.name
    if event.via == "cli":
        return _("An administrator (command line)")
    return _("The system")


def sentence(event: AuditEvent) -> str:
    who = actor_name(event)
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
