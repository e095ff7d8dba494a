from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from app.core.forms import BaseForm


class AccessibilityReportForm(BaseForm):
    """The fields only: what is required and how long it may be are the service's rules (app.main.services)."""

    description = TextAreaField(
        _l("What did not work?"),
        validators=[Optional()],
        description=_l("For example what you tried to do, what happened and what aid you use, if any."),
        render_kw={"rows": 6},
    )
    page = StringField(
        _l("On which page?"),
        validators=[Optional()],
        description=_l("Filled in with the page you came from, if you followed the link at the bottom of a page."),
    )
    contact_email = EmailField(
        _l("Your e-mail address, if you want an answer"),
        validators=[Optional(), Length(max=320, message=_l("The e-mail address is too long."))],
    )
    contact_name = StringField(
        _l("Your name (optional)"),
        validators=[Optional()],
    )


class HandleReportForm(BaseForm):
    note = TextAreaField(
        _l("What was done or answered"),
        validators=[Optional()],
        description=_l("Kept with the report for the other coordinators; it is not sent to the person who reported."),
        render_kw={"rows": 4},
    )
