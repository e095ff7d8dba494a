from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.core.forms import BaseForm

KIND_LABELS = {
    "school": _l("School"),
    "preschool": _l("Preschool"),
    "elderly_care": _l("Elderly care"),
    "disability_care": _l("Disability care"),
    "social_services": _l("Social services"),
    "municipal_office": _l("Municipal office"),
    "other": _l("Other"),
}

TRUST_LABELS = {"baseline": _l("Baseline trust"), "closer_review": _l("Closer review")}


class UnitForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the unit's name.")), Length(max=200)])
    kind = SelectField(_l("Kind of unit"), choices=list(KIND_LABELS.items()))
    contact_email = EmailField(
        _l("Contact e-mail"),
        validators=[Optional(), Length(max=320)],
        description=_l("A shared address of the unit, for example the principal's office."),
    )
    address = StringField(
        _l("Address"),
        validators=[Optional(), Length(max=300)],
        description=_l("Street address and town, shown as the location of its visits."),
    )
    owner = StringField(
        _l("Owner (huvudman)"),
        validators=[Optional(), Length(max=200)],
        description=_l("The municipality, region or company that runs the unit."),
    )
    municipality = StringField(
        _l("Municipality"),
        validators=[Optional(), Length(max=100)],
        description=_l("The municipality the unit is in, for example Norrviks kommun."),
    )
    organisation_number = StringField(
        _l("Organisation number"),
        validators=[Optional(), Length(max=20)],
        description=_l("The owner's organisation number, ten digits like 212000-1355."),
    )
