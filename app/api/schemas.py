"""Marshmallow schemas: what the API takes and gives, and what the OpenAPI document describes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validate

from app.core import input as input_layer
from app.core.pagination import MAX_PER_PAGE
from app.units.models import TrustLevel, UnitKind


class ApiSchema(Schema):
    """The base of every API schema (bodies and query strings): the input layer (``app.core.input``) applied
    field by field before marshmallow's own checks.

    Text is NFC-normalised; control characters and lone surrogates are refused naming the field (tab and line
    breaks only in multi-line fields: ``metadata={"multiline": True}`` or a prose name such as ``text``, ``reason``);
    numbers (number fields, and raw fields marked ``metadata={"number": True}``) beyond what the database stores
    and dates outside 1900–2199 are refused (422)."""

    def _multiline(self, name: str, field: fields.Field) -> bool:
        flag = field.metadata.get("multiline")
        return bool(flag) if flag is not None else input_layer.is_multiline_name(name)

    @pre_load
    def _input_layer(self, data: Any, **kwargs: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        cleaned = {key: data[key] for key in data}  # a plain dict (webargs hands query strings as a proxy)
        errors: dict[str, list[str]] = {}
        for name, field in self.load_fields.items():
            key = field.data_key or name
            if key not in cleaned:
                continue
            value = cleaned[key]
            values = value if isinstance(value, list) else [value]
            for item in values:
                message: str | None = None
                if isinstance(field, (fields.String, fields.List)) and isinstance(item, str):
                    message = input_layer.text_problem(item, multiline=self._multiline(name, field))
                elif (isinstance(field, fields.Number) or field.metadata.get("number")) and isinstance(
                    item, (int, float, str)
                ):
                    message = input_layer.number_problem(item, integer=isinstance(field, fields.Integer))
                if message:
                    errors[key] = [message]
                    break
            if key not in errors:
                if isinstance(value, str):
                    cleaned[key] = input_layer.normalise(value)
                elif isinstance(value, list):
                    cleaned[key] = [input_layer.normalise(v) if isinstance(v, str) else v for v in value]
        if errors:
            raise ValidationError(errors)
        return cleaned

    @post_load
    def _sane_dates(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, Mapping):
            errors: dict[str, list[str]] = {}
            for name, value in data.items():
                day = value.date() if isinstance(value, datetime) else value
                if isinstance(day, date):
                    message = input_layer.date_problem(day)
                    if message:
                        field = self.fields.get(name)
                        errors[(field.data_key if field else None) or name] = [message]
            if errors:
                raise ValidationError(errors)
        return data


class PageArgs(ApiSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=input_layer.MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class PageSchema(ApiSchema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)


class PersonRefSchema(ApiSchema):
    """A person named in an answer (who proposed, who closed…): their id and name only."""

    id = fields.UUID()
    name = fields.String()


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    return type(name, (PageSchema,), {"items": fields.List(fields.Nested(item_schema), required=True)})


class UnitSchema(ApiSchema):
    # Optional on create: a client-generated id makes a repeated create return the first result (API.md).
    id = fields.UUID(load_default=None)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.Enum(UnitKind, by_value=True, load_default=UnitKind.other)
    contact_email = fields.Email(allow_none=True, load_default=None)
    address = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=300))
    owner = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))
    municipality = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=100))
    organisation_number = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=20))
    trust_level = fields.Enum(TrustLevel, by_value=True, dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class UnitQueryArgs(PageArgs):
    q = fields.String(
        load_default=None, validate=validate.Length(max=200), metadata={"description": "part of the name, any case"}
    )
    trust_level = fields.Enum(TrustLevel, by_value=True, load_default=None)
    unit_kind = fields.Enum(UnitKind, by_value=True, load_default=None)
    owner = fields.String(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "the owner (huvudman), for example the municipality; the whole name"},
    )


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
