"""Forms of the learning domain: answering a proposal, writing to an example's unit, the library's search."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.learning.services import MAX_CONTACT_LENGTH

SHOW_AS = {"named": _l("With our unit's name"), "kind": _l("Only as the kind of unit and its municipality")}


class ConsentForm(FlaskForm):
    """Consent to a proposal: named or by kind, and which of the finding's photos may be shown."""

    show_as = RadioField(_l("How the library shows your unit"), choices=list(SHOW_AS.items()), default="kind")
    photos = SelectMultipleField(_l("Photos the library may show"), choices=[], coerce=str, validate_choice=False)


class ContactForm(FlaskForm):
    text = TextAreaField(
        _l("Your message to the unit"),
        validators=[DataRequired(_l("Write a message.")), Length(max=MAX_CONTACT_LENGTH)],
        description=_l("The unit's members get it by e-mail with your name and address, so they can answer you."),
        render_kw={"rows": 5},
    )


SCORES = [(str(n), str(n)) for n in range(1, 6)]


class FeedbackForm(FlaskForm):
    """Feedback on the supervision: three questions 1–5 and free text (labels in app.learning.labels)."""

    useful = RadioField(_l("Useful"), choices=SCORES, validators=[DataRequired(_l("Choose a number from 1 to 5."))])
    respectful = RadioField(
        _l("Respectful"), choices=SCORES, validators=[DataRequired(_l("Choose a number from 1 to 5."))]
    )
    clear = RadioField(_l("Clear"), choices=SCORES, validators=[DataRequired(_l("Choose a number from 1 to 5."))])
    text = TextAreaField(
        _l("Anything else you want to tell us?"),
        validators=[Length(max=5000)],
        description=_l("Coordinators read the texts without your name."),
        render_kw={"rows": 4},
    )
