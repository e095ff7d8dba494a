from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField, TextAreaField
from wtforms.validators import Length, Optional

from app.core.forms import BaseForm
from app.dialogue.models import NotificationMode
from app.dialogue.services import MAX_TEXT_LENGTH


class MessageForm(BaseForm):
    text = TextAreaField(
        _l("Your message"), validators=[Optional(), Length(max=MAX_TEXT_LENGTH)], render_kw={"rows": 5}
    )
    internal = BooleanField(
        _l("Internal note"),
        description=_l("Only the review team and coordinators see an internal note; the unit never does."),
    )


class MarkReadForm(BaseForm):
    # The newest message the person was shown: one that arrives meanwhile stays new.
    seen_until = HiddenField()


class NotificationForm(BaseForm):
    mode = RadioField(_l("E-mails about new messages"), choices=[])


def notification_form(mode: NotificationMode | None = None) -> NotificationForm:
    form = NotificationForm()
    minutes = current_app.config["DIALOGUE_NOTIFICATION_WINDOW_MINUTES"]
    form.mode.choices = [
        (
            NotificationMode.immediate.value,
            _("Soon after something new: at most one e-mail every %(minutes)d minutes", minutes=minutes),
        ),
        (
            NotificationMode.daily.value,
            _("One summary a day, at %(hour)02d:00", hour=current_app.config["DIALOGUE_DIGEST_HOUR"]),
        ),
        (NotificationMode.off.value, _("No e-mails about messages")),
    ]
    if mode is not None and not form.is_submitted():
        form.mode.data = mode.value
    return form
