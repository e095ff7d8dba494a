"""Form pieces shared by every domain."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, StringField, TextAreaField
from wtforms.meta import DefaultMeta

from app.core import input as input_layer


def _text_filter(multiline: bool) -> Any:
    """A WTForms filter: NFC-normalise, or refuse with the input layer's message (shown beside the field)."""

    def clean(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        message = input_layer.text_problem(value, multiline=multiline)
        if message:
            raise ValueError(message)
        return input_layer.normalise(value)

    return clean


class _Meta(DefaultMeta):
    def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Field:
        """Every text field goes through the input layer: single-line unless it is a text area."""
        field = super().bind_field(form, unbound_field, options)
        if isinstance(field, StringField):
            field.filters = (_text_filter(isinstance(field, TextAreaField)), *field.filters)
        return field


class BaseForm(FlaskForm):
    """Every form of the product: text normalised to NFC, control characters refused beside the field
    (tab and line breaks only in text areas; line breaks and bidi controls never in one-line fields). A field the
    request guard refused (a NUL or another character that cannot be stored, ``app.core.input``) fails validation
    with that message beside it, the rest of what was typed kept in it."""

    class Meta(_Meta, FlaskForm.Meta):  # type: ignore[misc]
        pass

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        input_layer.note_field_labels({field.name: str(field.label.text) for field in self if field.label.text})

    def validate(self, extra_validators: Any = None) -> bool:
        """WTForms' validation, and the fields the request guard refused shown as errors beside them."""
        valid = super().validate(extra_validators)
        refused = input_layer.refused_fields()
        for field in self:
            if field.name in refused:
                field.errors = [*field.errors, refused[field.name]]
                input_layer.answer_refused([field.name])
                valid = False
        return valid


class EmptyForm(BaseForm):
    """A POST-only button (log out, deactivate, revoke): it carries only the CSRF token."""


def apply_errors(form: FlaskForm, errors: dict[str, list[str]]) -> None:
    """Show a service's per-field errors beside the fields they concern, keeping what was typed."""
    for name, messages in errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors or []) + list(messages)
        else:
            form.form_errors.extend(messages)
