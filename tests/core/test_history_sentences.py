"""The history in plain sentences (issue 14, DESIGN.md 4.1): every audited event of every domain reads as a
sentence in Swedish and English, with values in words, without ids, ISO timestamps, Python reprs or stored codes.

The sweep enumerates the event types from the models (every ``Auditable`` mapper, create/update/delete) and from the
source (every ``audit.record(action=…)`` call site), so a new type or a new recorded action without words fails here.
"""

from __future__ import annotations

import ast
import enum
import re
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask_babel import refresh
from sqlalchemy import JSON, Boolean, Date, Enum, Float, Integer, LargeBinary, Uuid

from app.core import audit, timeline
from app.core.models import Auditable, AuditEvent, UTCDateTime
from app.extensions import db

APP_DIR = Path(__file__).resolve().parents[2] / "app"

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
ISO_RE = re.compile(r"(?<![\w-])\d{4}-\d{2}(-\d{2})?(?!\d)|T\d{2}:\d{2}")
REPR_RE = re.compile(r"[{}\[\]]|'\w+'|\bNone\b|\bTrue\b|\bFalse\b|<\w+[ .]")
SNAKE_RE = re.compile(r"\b[a-z]+_[a-z_]+\b")
DECIMAL_POINT_RE = re.compile(r"\d\.\d")

# String columns holding codes or formats, with the values they really take.
STRING_SAMPLES: dict[str, list[Any]] = {
    "language": ["sv", "en"],
    "source": ["form", "csv", "api", "cli"],
    "period": ["2026-10"],
    "unit_kinds": ["school,elderly_care", ""],
    "content_type": ["image/jpeg"],
}
JSON_SAMPLES: dict[str, list[Any]] = {
    "evidence": [
        {"readings": [["2026-10", 84.9], ["2026-11", 86.25]]},
        {"findings": [{"finding_id": str(uuid.uuid4()), "visit_id": str(uuid.uuid4()), "case_number": "TS-2026-0003"}]},
        {"follow_ups": [{"follow_up_id": str(uuid.uuid4()), "title": "Rutin för läkemedel", "due_date": "2026-09-30"}]},
    ],
    "trigger_keys": [[f"finding:{uuid.uuid4()}"]],
    "photo_ids": [[str(uuid.uuid4()), str(uuid.uuid4())]],
}


def audited_classes() -> dict[str, type]:
    """Every audited object type and its model, as the models declare them (a property type gives several)."""
    found: dict[str, type] = {}
    for mapper in db.Model.registry.mappers:
        cls = mapper.class_
        if not issubclass(cls, Auditable):
            continue
        declared = cls.__dict__.get("__audit_type__")
        if isinstance(declared, str) and declared:
            found[declared] = cls
        elif isinstance(declared, property):
            flags = [c.key for c in mapper.column_attrs if isinstance(c.columns[0].type, Boolean)]
            for flag in flags:
                for value in (True, False):
                    found[cls(**{flag: value}).__audit_type__] = cls
    return found


def recorded_actions() -> set[tuple[str, str]]:
    """(object type, action) of every ``audit.record`` call in the app's source."""
    pairs: set[tuple[str, str]] = set()
    for path in APP_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr != "record" or not isinstance(node.func.value, ast.Name) or node.func.value.id != "audit":
                continue
            kw = {k.arg: k.value for k in node.keywords}
            object_type = kw.get("object_type")
            assert isinstance(object_type, ast.Constant), f"{path}: audit.record with a computed object_type"
            actions = [
                n.value for n in ast.walk(kw["action"]) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            ]
            assert actions, f"{path}: audit.record with a computed action"
            pairs.update((object_type.value, action) for action in actions)
    return pairs


def samples(cls: type, column: Any) -> list[Any]:
    """Stored values (as the trail stores them: plain JSON) a column really takes."""
    kind = column.type
    if column.key in cls.__audit_redact__:
        return [audit.REDACTED]
    if isinstance(kind, Enum) and kind.enum_class is not None:
        return [member.value for member in kind.enum_class]
    if isinstance(kind, Uuid):
        return [str(uuid.uuid4())]
    if isinstance(kind, UTCDateTime):
        return [datetime(2026, 10, 5, 13, 45, tzinfo=UTC).isoformat()]
    if isinstance(kind, Date):
        return [date(2026, 10, 5).isoformat()]
    if isinstance(kind, Boolean):
        return [True, False]
    if isinstance(kind, Float):
        return [150.0, 83.5]
    if isinstance(kind, Integer):
        return [3]
    if isinstance(kind, LargeBinary):
        return [audit.REDACTED]
    if isinstance(kind, JSON):
        return JSON_SAMPLES.get(column.key, [{"something": [1, 2]}])
    return STRING_SAMPLES.get(column.key, ["Rutiner för läkemedelshantering"])


def columns(cls: type) -> list[Any]:
    return [
        attr.columns[0]
        for attr in cls.__mapper__.column_attrs  # type: ignore[attr-defined]
        if attr.key != "id" and attr.key not in cls.__audit_ignore__  # type: ignore[attr-defined]
    ]


def event(object_type: str, action: str, changes: dict[str, Any], **extra: Any) -> AuditEvent:
    return AuditEvent(
        id=uuid.uuid4(),
        occurred_at=datetime(2026, 10, 5, 13, 45, tzinfo=UTC),
        object_type=object_type,
        object_id=extra.pop("object_id", str(uuid.uuid4())),
        action=action,
        changes=changes,
        via="web",
        **extra,
    )


def synthetic_events() -> list[tuple[AuditEvent, type | None]]:
    """Create, update (one per column and value) and delete of every audited type, and every recorded action."""
    made: list[tuple[AuditEvent, type | None]] = []
    for object_type, cls in sorted(audited_classes().items()):
        cols = columns(cls)
        full = {c.key: [None, samples(cls, c)[0]] for c in cols}
        made.append((event(object_type, "create", full), cls))
        made.append((event(object_type, "delete", {k: [v[1], None] for k, v in full.items()}), cls))
        for column in cols:
            values = samples(cls, column)
            for value in values:
                before = values[-1] if len(values) > 1 and value != values[-1] else None
                made.append((event(object_type, "update", {column.key: [before, value]}), cls))
    for object_type, action in sorted(recorded_actions()):
        made.append((event(object_type, action, {"method": "password"}), None))
    return made


def problems(text: str, *, swedish: bool, codes: set[str]) -> list[str]:
    found = []
    for name, pattern in (("an id", UUID_RE), ("an ISO date or time", ISO_RE), ("a Python repr", REPR_RE)):
        if pattern.search(text):
            found.append(name)
    if SNAKE_RE.search(text):
        found.append("a stored code")
    if swedish:
        if DECIMAL_POINT_RE.search(text):
            found.append("a decimal point in Swedish")
        words = set(re.findall(r"\b[a-z_]+\b", text))
        if words & codes:
            found.append(f"an untranslated code {sorted(words & codes)}")
    return found


def enum_codes(cls: type | None) -> set[str]:
    if cls is None:
        return set()
    codes = set()
    for column in columns(cls):
        if isinstance(column.type, Enum) and column.type.enum_class is not None:
            codes.update(str(m.value) for m in column.type.enum_class if isinstance(m, enum.Enum))
    return {c for c in codes if c.isidentifier()}


def rendered(ev: AuditEvent) -> list[str]:
    return [timeline.sentence(ev)] + [
        f"{label}: {before} → {after}" for label, before, after in timeline.change_lines(ev)
    ]


def test_every_audited_event_reads_as_a_plain_sentence_in_both_languages(app):
    events = synthetic_events()
    assert len(events) > 300  # the sweep really walks every column of every type
    failures: list[str] = []
    sentences: dict[str, dict[str, str]] = {"sv": {}, "en": {}}
    for language in ("sv", "en"):
        with app.test_request_context(f"/?lang={language}"):
            refresh()  # the language is cached on the test's app context
            for ev, cls in events:
                for line in rendered(ev):
                    for problem in problems(line, swedish=language == "sv", codes=enum_codes(cls)):
                        failures.append(
                            f"{language} {ev.object_type}/{ev.action} {sorted(ev.changes)}: {problem}: {line}"
                        )
                sentence = timeline.sentence(ev)
                sentences[language][str(ev.id)] = sentence
                if "did something with" in sentence or "gjorde något med" in sentence:
                    failures.append(f"{language} {ev.object_type}/{ev.action}: no sentence for this action: {sentence}")
    for ev, _cls in events:
        if sentences["sv"][str(ev.id)] == sentences["en"][str(ev.id)]:
            failures.append(f"{ev.object_type}/{ev.action}: not translated: {sentences['sv'][str(ev.id)]}")
    assert not failures, "\n".join(failures[:60]) + f"\n… {len(failures)} in all"


def test_every_audited_column_is_labelled_named_or_hidden(app):
    """A new column must be given words (a label, its codes' words, whose name an id is) or be hidden."""
    missing = []
    for object_type, cls in sorted(audited_classes().items()):
        kind = timeline.OBJECT_TYPES.get(object_type)
        if kind is None:
            missing.append(f"{object_type}: not registered with app.core.timeline.register_object_type")
            continue
        for column in columns(cls):
            key = column.key
            if key in kind.hidden:
                continue
            if key not in kind.fields:
                missing.append(f"{object_type}.{key}: no label")
            if isinstance(column.type, Uuid) and key not in kind.refs:
                missing.append(f"{object_type}.{key}: an id without a reference kind (refs=)")
            if isinstance(column.type, Enum) and key not in kind.values:
                missing.append(f"{object_type}.{key}: stored codes without words (values=)")
            if isinstance(column.type, JSON) and key not in kind.formats and key not in cls.__audit_redact__:
                missing.append(f"{object_type}.{key}: a structured value without words (formats=)")
        for ref in kind.refs.values():
            if ref not in timeline.REFERENCES:
                missing.append(f"{object_type}: reference kind {ref!r} is not registered")
    assert not missing, "\n".join(missing)


# ---- the cases the issue names -------------------------------------------------------------------------


def _say(app: Any, ev: AuditEvent, language: str = "sv") -> list[str]:
    with app.test_request_context(f"/?lang={language}"):
        refresh()
        return rendered(ev)


def test_a_persons_own_login_reads_with_their_name(app, make_user):
    from sqlalchemy import select

    from app.auth import services
    from tests.conftest import PASSWORD

    person = make_user("reviewer", name="Greta Granskare", email="greta@example.se")
    with app.test_request_context("/"):
        assert services.authenticate("greta@example.se", PASSWORD) is not None
    db.session.commit()
    login = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "login", AuditEvent.object_id == str(person.id))
    ).one()
    assert _say(app, login)[0] == "Greta Granskare loggade in."
    assert _say(app, login, "en")[0] == "Greta Granskare logged in."


def test_accepting_a_follow_up_reads_as_accepting_and_people_by_name(app, make_user):
    person = make_user("unit_member", name="Elin Enhet")
    changes = {
        "status": ["proposed", "agreed"],
        "unit_accepted_by_id": [None, str(person.id)],
        "done_reported_by_id": [None, str(person.id)],
    }
    lines = _say(app, event("follow_up", "update", changes, actor_id=person.id))
    assert "godtog" in lines[0] and "ändrade" not in lines[0], lines
    assert "Godtogs för enheten av: – → Elin Enhet" in lines
    assert not any(UUID_RE.search(line) for line in lines)


def test_a_corrected_reading_has_a_decimal_comma_and_its_unit(app, make_unit, make_user):
    from app.trust.models import Indicator, Reading

    unit = make_unit("Solbackens äldreboende")
    indicator = Indicator(
        key="andel_test", name_sv="Andel brukare med plan", name_en="Share with a plan", unit_of_measure="%"
    )
    db.session.add(indicator)
    db.session.flush()
    reading = Reading(unit_id=unit.id, indicator_id=indicator.id, period="2026-10", value=150.0)
    db.session.add(reading)
    db.session.commit()
    ev = event("reading", "update", {"value": [150.0, 83.5]}, object_id=str(reading.id))
    lines = _say(app, ev)
    assert "Värde: 150 % → 83,5 %" in lines, lines
    created = event(
        "reading",
        "create",
        {"indicator_id": [None, str(indicator.id)], "period": [None, "2026-10"], "value": [None, 83.5]},
    )
    assert "83,5 % för ”Andel brukare med plan”, oktober 2026" in _say(app, created)[0]
    assert "“Share with a plan”, October 2026" in _say(app, created, "en")[0]


def test_what_crossed_a_boundary_reads_in_words(app):
    ev = event("breach", "create", {"evidence": [None, {"readings": [["2026-10", 84.9], ["2026-11", 86.0]]}]})
    sentence = _say(app, ev)[0]
    assert "84,9 i oktober 2026; 86 i november 2026" in sentence, sentence
    assert "readings" not in sentence and "[" not in sentence


def test_removing_a_unit_membership_leaves_a_line_in_the_units_history(app, make_unit, make_user):
    from app.auth import services

    school, other = make_unit("Björkskolan"), make_unit("Ekskolan")
    coordinator = make_user("coordinator", name="Kim Samordnare")
    member = make_user("unit_member", units=[school, other], name="Ulla Enhet")
    with app.test_request_context("/"):
        services.update_user(
            member.id,
            actor=coordinator,
            email=member.email,
            name=member.name,
            roles=["unit_member"],
            unit_ids=[other.id],
            language=None,
        )
        db.session.commit()
    events = list(db.session.scalars(audit.unit_history_query(school.id)))
    with app.test_request_context("/?lang=sv"):
        refresh()
        said = [timeline.sentence(e) for e in timeline.prefetch(events)]
    assert any("tog bort Ulla Enhet från Björkskolan" in s for s in said), said
    assert any("gjorde Ulla Enhet till medlem i Björkskolan" in s for s in said), said


@pytest.mark.parametrize("language", ["sv", "en"])
def test_an_unknown_or_removed_person_is_never_shown_by_id(app, language):
    ev = event("follow_up", "update", {"owner_id": [str(uuid.uuid4()), str(uuid.uuid4())]})
    lines = _say(app, ev, language)
    assert not any(UUID_RE.search(line) for line in lines), lines
