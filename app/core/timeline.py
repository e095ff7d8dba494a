"""Plain-language sentences for audit events, in the reader's language (the reusable timeline partial).

The kernel knows no domain: each domain names its object types once, with ``register_object_type`` in its
``init_app`` (what the object is called, the words for its fields and stored codes, which fields name another
object, how a structured value reads, and optionally a sentence for the events people read most), and says how
its objects are named with ``register_reference`` (a person by their name, a visit by its case number…). The
timeline filters look everything up here; nothing a reader sees is an id, a stored code or a Python repr
(DESIGN.md 4.1, "history in plain sentences")."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import Flask, g, has_app_context, has_request_context, request
from flask_babel import format_date, format_decimal, format_time, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect as sa_inspect

from app.core.models import AuditEvent

# A domain's sentence for one of its events: (event, the actor's name) → the sentence, or None for the general form.
Sentence = Callable[[AuditEvent, str], "str | None"]
# How a structured or measured value reads: (event, stored value) → words ("84,9 % in October 2026").
Formatter = Callable[[AuditEvent, Any], str]
# The names of objects of one kind: ids (as stored in the trail, strings) → {id: name}; ids not found are left out.
NameLoader = Callable[[Collection[str]], Mapping[str, str]]


@dataclass(frozen=True)
class ObjectType:
    """What the timeline knows of one ``__audit_type__``: its name in a sentence ("a review visit"), its fields'
    labels, the words for its stored codes by field, and its own sentence (if any)."""

    name: str
    label: Any
    fields: Mapping[str, Any] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    sentence: Sentence | None = None
    refs: Mapping[str, str] = field(default_factory=dict)
    formats: Mapping[str, Formatter] = field(default_factory=dict)
    hidden: frozenset[str] = frozenset()


# ``__audit_type__`` → its registration; filled by the domains' init_app, read by the filters below.
OBJECT_TYPES: dict[str, ObjectType] = {}
# Reference kind ("user", "unit", "visit"…) → the loader of its objects' names; filled by the domains.
REFERENCES: dict[str, NameLoader] = {}
# The fields a deleted object may still be named by (its last values are in the delete event).
_NAME_FIELDS = ("title", "name", "case_number", "original_name", "label")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
REDACTED = "***"
# The kinds of a stored upload (app.core.models.FileKind), for every domain that stores files.
FILE_KINDS = {"photo": _l("Photo"), "document": _l("Document")}

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def register_object_type(
    name: str,
    label: Any,
    *,
    fields: Mapping[str, Any] | None = None,
    values: Mapping[str, Mapping[str, Any]] | None = None,
    sentence: Sentence | None = None,
    refs: Mapping[str, str] | None = None,
    formats: Mapping[str, Formatter] | None = None,
    hidden: Iterable[str] = (),
) -> None:
    """Name an audited object type for the timeline (the one way a domain does it; DESIGN.md 5).

    ``name`` is the model's ``__audit_type__``; ``label`` a lazy string used in "X created <label>"; ``fields`` maps
    column names to their lazy labels; ``values`` maps a column to {stored code: lazy label}; ``sentence`` returns the
    domain's own sentence for an event, or None for the general form; ``refs`` maps a column holding another
    object's id to that object's reference kind (``{"owner_id": "user"}``, named through ``register_reference``);
    ``formats`` maps a column to the words of its value (a JSON detail, a measured value with its unit);
    ``hidden`` lists columns a reader never sees in a change (file names on disk, checksums, internal links).
    Every audited column is labelled, referenced, formatted or hidden (tests/core/test_history_sentences.py).
    Registering a name again replaces it (an app factory called twice in one process registers it twice)."""
    OBJECT_TYPES[name] = ObjectType(
        name,
        label,
        dict(fields or {}),
        dict(values or {}),
        sentence,
        dict(refs or {}),
        dict(formats or {}),
        frozenset(hidden),
    )


def register_reference(kind: str, loader: NameLoader) -> None:
    """Say how objects of ``kind`` are named in a history ("user" → the person's name, "visit" → its case
    number). ``loader`` takes the ids as strings and returns {id: name} for those it finds (one query)."""
    REFERENCES[kind] = loader


def _cache() -> dict[tuple[str, str], str | None]:
    """Names already loaded, per request (or app context) and per language (an indicator has a name in each)."""
    holder: Any = request if has_request_context() else (g if has_app_context() else None)
    if holder is None:
        return {}
    caches = getattr(holder, "_timeline_names", None)
    if caches is None:
        caches = {}
        holder._timeline_names = caches
    return caches.setdefault(str(get_locale() or ""), {})


def _load(kind: str, ids: Collection[str]) -> None:
    cache = _cache()
    missing = [i for i in ids if (kind, i) not in cache and _UUID.match(i)]
    loader = REFERENCES.get(kind)
    if not missing or loader is None:
        return
    found = loader(missing)
    for i in missing:
        cache[(kind, i)] = found.get(i)


def reference_name(kind: str, value: Any) -> str | None:
    """The name of the object of ``kind`` with id ``value`` (None when unknown or removed)."""
    if value is None:
        return None
    key = str(value)
    cache = _cache()
    if (kind, key) not in cache:
        _load(kind, [key])
    return cache.get((kind, key))


def remember_names(kind: str, names: Mapping[str, str]) -> None:
    """Names of objects of ``kind`` the caller has already read ({id as a string: name}), kept for this request
    so that ``prefetch`` and ``reference_name`` do not look them up again."""
    cache = _cache()
    for key, name in names.items():
        cache[(kind, key)] = name


def prefetch(events: Iterable[AuditEvent]) -> list[AuditEvent]:
    """Load the names a page of events needs in one query per kind (the objects themselves, the ids their
    changes name and the actors whose person is not loaded with the event); returns the events, so a template
    can write ``events|timeline_prefetch``."""
    events = list(events)
    wanted: dict[str, set[str]] = {}
    for event in events:
        kind = _type(event)
        state = sa_inspect(event, raiseerr=False)
        if event.actor_id is not None and state is not None and "actor" in state.unloaded:
            wanted.setdefault("user", set()).add(str(event.actor_id))
        wanted.setdefault(event.object_type, set()).add(str(event.object_id))
        if event.parent_type and event.parent_id:
            wanted.setdefault(event.parent_type, set()).add(str(event.parent_id))
        if kind is None:
            continue
        for name, pair in (event.changes or {}).items():
            ref = kind.refs.get(name)
            if ref and isinstance(pair, list):
                wanted.setdefault(ref, set()).update(str(v) for v in pair if v)
    for ref, ids in wanted.items():
        if ref in REFERENCES:
            _load(ref, ids)
    return events


def object_name(event: AuditEvent) -> str | None:
    """The name of the object an event is about (a follow-up's title, a person's name, a visit's case number):
    looked up through its reference kind, else taken from the event's own values (a removed object)."""
    name = reference_name(event.object_type, event.object_id)
    if name:
        return name
    for key in _NAME_FIELDS:
        pair = (event.changes or {}).get(key)
        if isinstance(pair, list) and len(pair) == 2:
            value = pair[1] if pair[1] not in (None, "", REDACTED) else pair[0]
            if isinstance(value, str) and value and value != REDACTED:
                return value
    return None


def named(event: AuditEvent, what: Any) -> str:
    """``what`` ("a follow-up") followed by the object's name in quotes where it has one."""
    name = object_name(event)
    return _("%(what)s “%(name)s”", what=what, name=name) if name else str(what)


def value_of(event: AuditEvent, field: str) -> Any:
    """A field's value in an event: the new value, or the last one for a removed object (None if absent)."""
    pair = (event.changes or {}).get(field)
    if not isinstance(pair, list) or len(pair) != 2:
        return None
    return pair[1] if pair[1] is not None else pair[0]


def words_of(event: AuditEvent, field: str) -> str:
    """``value_of`` in words, as ``change_value`` says it ("–" when absent)."""
    return change_value(event, field, value_of(event, field))


def parent_name(event: AuditEvent) -> str | None:
    """The name of the object an event's object belongs to (a finding's visit: its case number)."""
    if not event.parent_type or not event.parent_id:
        return None
    return reference_name(event.parent_type, event.parent_id)


def _type(event: AuditEvent) -> ObjectType | None:
    return OBJECT_TYPES.get(event.object_type)


def number(value: float | int) -> str:
    """A number as the reader writes it (93,5 in Swedish; no trailing ".0")."""
    return str(format_decimal(value, format="#,##0.##"))


def moment(value: datetime) -> str:
    """A moment as the reader writes it, in local time: "5 okt. 2026 15:45" (never the ISO form)."""
    return f"{format_date(value, 'medium')} {format_time(value, 'short')}"


def change_value(event: AuditEvent, field: str, value: Any) -> str:
    """A before or after value of a change as the reader would say it: a status in words, a person by name, a
    moment in local time, a number with a decimal comma. Never an id, a stored code or a Python repr."""
    if value is None or value == "" or value == []:
        return "–"
    if value == REDACTED:
        return _("(not shown)")
    kind = _type(event)
    if kind is not None and field in kind.formats:
        return kind.formats[field](event, value)
    if kind is not None and field in kind.refs:
        return reference_name(kind.refs[field], value) or _("(no longer available)")
    labels = kind.values.get(field) if kind else None
    if labels is not None and str(value) in labels:
        return str(labels[str(value)])
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, float):
        return number(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(change_value(event, field, v) for v in value)
    if isinstance(value, dict):
        return _("(details not shown)")
    if isinstance(value, str) and _UUID.match(value):
        return _("(not shown)")
    if isinstance(value, str) and _ISO_DATE.match(value):
        return format_date(date.fromisoformat(value), "medium")
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        try:
            return moment(datetime.fromisoformat(value))
        except ValueError:
            return _("(not shown)")
    return str(value)


def change_lines(event: AuditEvent) -> list[tuple[str, str, str]]:
    """The changes of an update as (label, before, after) in words, without the columns a reader never sees."""
    if event.action != "update":
        return []
    kind = _type(event)
    lines = []
    for name, pair in (event.changes or {}).items():
        if not isinstance(pair, list) or len(pair) != 2 or (kind is not None and name in kind.hidden):
            continue
        lines.append((field_label(event, name), change_value(event, name, pair[0]), change_value(event, name, pair[1])))
    return lines


def field_label(event: AuditEvent, name: str) -> str:
    """A changed field's label as the event's object type names it; the column name where none is registered."""
    kind = _type(event)
    return str(kind.fields.get(name, name)) if kind else name


def actor_name(event: AuditEvent) -> str:
    """Who acted, by name: the person, an administrator at the command line, or the system."""
    state = sa_inspect(event, raiseerr=False)
    if (state is None or "actor" not in state.unloaded) and event.actor is not None:
        return event.actor.name
    if event.actor_id is not None:
        return reference_name("user", event.actor_id) or _("The system")
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
    what = named(event, kind.label) if kind else _("a record")
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
    if event.action == "password_changed":
        return _("%(who)s changed their password.", who=who)
    return _("%(who)s did something with %(what)s.", who=who, what=what)


def init_app(app: Flask) -> None:
    app.add_template_filter(sentence, "audit_sentence")
    app.add_template_filter(change_lines, "audit_changes")
    app.add_template_filter(prefetch, "timeline_prefetch")
    app.add_template_filter(moment, "audit_moment")
    app.add_template_filter(field_label, "audit_field")
    app.add_template_filter(change_value, "audit_value")
