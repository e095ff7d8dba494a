"""Marshmallow schemas: what the API takes and gives, and what the OpenAPI document describes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from marshmallow import Schema, fields, validate

from app.core.pagination import MAX_PER_PAGE
from app.units.models import TrustLevel, UnitKind


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class PageSchema(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)


class PersonRefSchema(Schema):
    """A person named in an answer (who proposed, who closed…): their id and name only."""

    id = fields.UUID()
    name = fields.String()


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    return type(name, (PageSchema,), {"items": fields.List(fields.Nested(item_schema), required=True)})


class UnitSchema(Schema):
    # Optional on create: a client-generated id makes a repeated create return the first result (API.md).
    id = fields.UUID(load_default=None)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.Enum(UnitKind, by_value=True, load_default=UnitKind.other)
    contact_email = fields.Email(allow_none=True, load_default=None)
    address = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=300))
    owner = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))
    organisation_number = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=20))
    trust_level = fields.Enum(TrustLevel, by_value=True, dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class UnitQueryArgs(PageArgs):
    trust_level = fields.Enum(TrustLevel, by_value=True, load_default=None)


UnitPage = page_of(UnitSchema, "UnitPage")


def actions_field(compute: Callable[[Any, Any], list[str]], names: Sequence[str], what: str) -> fields.Function:
    """``actions``: what the caller may do with the object now, from its domain's ``can_*`` predicates (the same
    the pages ask), so a client offers only what the API would accept (input rules aside). ``compute(actor,
    obj)`` gives the names; ``names`` lists every name for the OpenAPI document."""
    from flask_login import current_user

    return fields.Function(
        lambda obj: compute(current_user, obj),
        dump_only=True,
        metadata={
            "type": "array",
            "items": {"type": "string", "enum": list(names)},
            "description": f"What the caller may do with {what} now (their role, the status and the dates allow it).",
        },
    )
