"""Form pieces shared by every domain."""

from __future__ import annotations

from flask_wtf import FlaskForm


class EmptyForm(FlaskForm):
    """A POST-only button (log out, deactivate, revoke): it carries only the CSRF token."""


def apply_errors(form: FlaskForm, errors: dict[str, list[str]]) -> None:
    """Show a service's per-field errors beside the fields they concern, keeping what was typed."""
    for name, messages in errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors or []) + list(messages)
        else:
            form.form_errors.extend(messages)
