from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from app.core.forms import BaseForm


class FollowUpForm(BaseForm):
    """Propose (with the finding or visit it belongs to) or change a follow-up. The rules (required fields,
    the due date not in the past, an owner of the unit) are the service's, so the API says the same."""

    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(
        _l("What is to be done"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 5}
    )
    owner = SelectField(_l("Responsible in the unit"), choices=[], validators=[Optional()])
    due_date = DateField(_l("Due date"), validators=[Optional()])
    visit = HiddenField()
    finding = HiddenField()


class ReportDoneForm(BaseForm):
    description = TextAreaField(
        _l("What was done"),
        validators=[Optional(), Length(max=5000)],
        description=_l("Describe what the unit has done and how it works now."),
        render_kw={"rows": 5},
    )
    files = MultipleFileField(
        _l("Photos or documents (optional)"),
        description=_l("Photos (JPEG, PNG, HEIC) or PDF documents that show what was done."),
        render_kw={"accept": "image/jpeg,image/png,image/heic,image/heif,application/pdf"},
    )


class VerifyForm(BaseForm):
    note = TextAreaField(
        _l("How the effect was checked"),
        validators=[Optional(), Length(max=5000)],
        description=_l("For example what you saw on a visit, which documents or figures you looked at."),
        render_kw={"rows": 4},
    )


class ReopenForm(BaseForm):
    note = TextAreaField(
        _l("What remains to be done"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 3}
    )


class CancelForm(BaseForm):
    reason = TextAreaField(
        _l("Why the follow-up is cancelled"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 3}
    )
