"""Plain-language sentences for audit events, in the reader's language (the reusable timeline partial).

The kernel knows no domain: each domain names its object types once, with ``register_object_type`` in its
``init_app`` (what the object is called, the words for its fields and stored codes, and optionally a sentence for
the events people read most). The timeline filters look everything up here."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import Flask
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _

from app.core.models import AuditEvent

# A domain's sentence for one of its events: (event, the actor's name) → the sentence, or None for the general form.
Sentence = Callable[[AuditEvent, str], "str | None"]


@dataclass(frozen=True)
class ObjectType:
    """What the timeline knows of one ``__audit_type__``: its name in a sentence ("a review visit"), its fields'
    labels, the words for its stored codes by field, and its own sentence (if any)."""

    name: str
    label: Any
    fields: Mapping[str, Any] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    sentence: Sentence | None = None


# ``__audit_type__`` → its registration; filled by the domains' init_app, read by the filters below.
OBJECT_TYPES: dict[str, ObjectType] = {}

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def register_object_type(
    name: str,
    label: Any,
    *,
    fields: Mapping[str, Any] | None = None,
    values: Mapping[str, Mapping[str, Any]] | None = None,
    sentence: Sentence | None = None,
) -> None:
    """Name an audited object type for the timeline (the one way a domain does it; DESIGN.md 5).

    ``name`` is the model's ``__audit_type__``; ``label`` a lazy string used in "X created <label>"; ``fields`` maps
    column names to their lazy labels; ``values`` maps a column to {stored code: lazy label}; ``sentence`` returns the
    domain's own sentence for an event, or None for the general form. Registering a name again replaces it (an app
    factory called twice in one process registers the same thing twice)."""
    OBJECT_TYPES[name] = ObjectType(name, label, dict(fields or {}), dict(values or {}), sentence)


def _type(event: AuditEvent) -> ObjectType | None:
    return OBJECT_TYPES.get(event.object_type)


def change_value(event: AuditEvent, field: str, value: Any) -> str:
    """A before or after value of a change as the reader would say it: a status in words, a moment in local time."""
    if value is None or value == "":
        return "–"
    kind = _type(event)
    labels = kind.values.get(field) if kind else None
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


def field_label(event: AuditEvent, name: str) -> str:
    """A changed field's label as the event's object type names it; the column name where none is registered."""
    kind = _type(event)
    return str(kind.fields.get(name, name)) if kind else name


def actor_name(event: AuditEvent) -> str:
    if event.actor is not None:
        return event.actor.name
    if event.via == "cli":
        return _("An administrator (command line)")
    return _("The system")


def change(event: AuditEvent, field: str) -> list | None:
    """The [before, after] pair of a field in an update event, or None if the field did not change."""
    pair = (event.changes or {}).get(field)
    return pair if isinstance(pair, list) and len(pair) == 2 else None


def sentence(event: AuditEvent) -> str:
    """The event as one plain sentence: the domain's own where it has one, else "<who> changed <what>."."""
    who = actor_name(event)
    kind = _type(event)
    if kind is not None and kind.sentence is not None:
        specific = kind.sentence(event, who)
        if specific is not None:
            return specific
    what = kind.label if kind else event.object_type
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


def init_app(app: Flask) -> None:
    app.add_template_filter(sentence, "audit_sentence")
    app.add_template_filter(field_label, "audit_field")
    app.add_template_filter(change_value, "audit_value")
