"""The timeline's registry: every audited object type is named by its domain, in one way."""

from __future__ import annotations

from app.core import timeline
from app.core.models import Auditable
from app.extensions import db


def audited_types() -> set[str]:
    names = set()
    for mapper in db.Model.registry.mappers:
        cls = mapper.class_
        audit_type = cls.__dict__.get("__audit_type__")
        if issubclass(cls, Auditable) and isinstance(audit_type, str) and audit_type:
            names.add(audit_type)
    return names


def test_every_audited_object_type_is_registered_for_the_timeline(app):
    missing = audited_types() - set(timeline.OBJECT_TYPES)
    assert not missing, f"register these with app.core.timeline.register_object_type: {sorted(missing)}"


def test_a_field_is_labelled_by_its_own_object_types_words(app):
    from app.core.models import AuditEvent

    with app.test_request_context("/?lang=en"):
        follow_up = AuditEvent(object_type="follow_up", action="update")
        boundary_version = AuditEvent(object_type="boundary_version", action="update")
        assert timeline.change_value(follow_up, "proposed_by_side", "unit") == "The unit"
        assert timeline.change_value(boundary_version, "proposed_by_side", "unit") == "the unit"
        assert timeline.field_label(follow_up, "due_date") == "Due date"
        assert timeline.field_label(AuditEvent(object_type="unknown"), "due_date") == "due_date"
