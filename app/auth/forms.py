from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.auth.passwords import MAX_LENGTH
from app.core.forms import BaseForm


class LoginForm(BaseForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(_l("Enter your e-mail address."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])


class SetPasswordForm(BaseForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Choose a password.")), Length(max=MAX_LENGTH)],
        description=_l("At least 12 characters. A few unrelated words make a good password."),
    )
    confirm = PasswordField(_l("Repeat the new password"), validators=[DataRequired(_l("Repeat the password."))])

    def validate_confirm(self, field: PasswordField) -> None:
        from wtforms.validators import ValidationError

        if field.data != self.password.data:
            raise ValidationError(_l("The two passwords are not the same."))


class ChangePasswordForm(SetPasswordForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password."))]
    )


class LanguageForm(BaseForm):
    language = SelectField(
        _l("Language"),
        choices=[("", _l("Browser's choice (Swedish by default)")), ("sv", "Svenska"), ("en", "English")],
        validators=[Optional()],
    )


class TokenForm(BaseForm):
    label = StringField(
        _l("What the token is for"),
        validators=[DataRequired(_l("Say what the token is for.")), Length(max=100)],
        description=_l("For example: import of readings from the quality system."),
    )


class WriteOnlyField(StringField):
    """A text field whose typed value is never written back into the page (a personal identity number)."""

    def _value(self) -> str:
        return ""


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PersonForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the person's name.")), Length(max=200)])
    email = EmailField(_l("E-mail address"), validators=[DataRequired(_l("Enter an e-mail address.")), Length(max=320)])
    roles = MultiCheckboxField(_l("Roles"), choices=[])
    units = MultiCheckboxField(_l("Member of units"), choices=[], coerce=str)
    language = SelectField(
        _l("Language"),
        choices=[("", _l("Browser's choice (Swedish by default)")), ("sv", "Svenska"), ("en", "English")],
        validators=[Optional()],
    )
    send_link = BooleanField(_l("E-mail a link to choose a password"), default=True)
    personal_number = WriteOnlyField(
        _l("Personal identity number (for BankID or Freja)"),
        validators=[Optional(), Length(max=20)],
        description=_l(
            "YYYYMMDD-NNNN. Registered once; only a code that cannot be turned back into the number is kept, "
            "and it is never shown again."
        ),
    )


ROLE_LABELS = {
    "coordinator": _l("Coordinator"),
    "reviewer": _l("Reviewer"),
    "unit_member": _l("Unit member"),
}


class RepresentativeForm(BaseForm):
    """A unit page's "add a representative" (issue 16): someone already registered is found by their address."""

    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Enter an e-mail address.")), Length(max=320)],
        description=_l("Someone already registered is added to the unit with their account as it is."),
    )
    name = StringField(
        _l("Name"),
        validators=[Optional(), Length(max=200)],
        description=_l("Needed for someone new."),
    )
    language = SelectField(
        _l("Language"),
        choices=[("", _l("Browser's choice (Swedish by default)")), ("sv", "Svenska"), ("en", "English")],
        validators=[Optional()],
    )
    send_link = BooleanField(_l("E-mail someone new a link to choose a password"), default=True)
