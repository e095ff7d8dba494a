"""Forms of the trust domain. Fields keep what was typed as text; the services decide what is valid and say why."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from app.auth.forms import MultiCheckboxField
from app.core.forms import BaseForm
from app.trust.labels import COMPARATOR, KIND
from app.units.forms import KIND_LABELS


class IndicatorForm(BaseForm):
    key = StringField(
        _l("Key"),
        validators=[Optional(), Length(max=60)],
        description=_l("Used in CSV files and the API, for example larm_inom_10_min. It cannot be changed later."),
    )
    name_sv = StringField(_l("Name in Swedish"), validators=[Optional(), Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=200)])
    unit_of_measure = StringField(
        _l("Unit of measure"),
        validators=[Optional(), Length(max=40)],
        description=_l("Written after each value, for example: %, per 1000 vårddygn or dagar."),
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=5000)],
        description=_l("How the value is counted, so that every unit reports it the same way."),
        render_kw={"rows": 4},
    )
    min_value = StringField(
        _l("Lowest allowed value"),
        validators=[Optional(), Length(max=40)],
        description=_l("Leave empty for no lower bound. A percentage: 0."),
        render_kw={"inputmode": "decimal"},
    )
    max_value = StringField(
        _l("Highest allowed value"),
        validators=[Optional(), Length(max=40)],
        description=_l("Leave empty for no upper bound. A percentage: 100."),
        render_kw={"inputmode": "decimal"},
    )
    unit_kinds = MultiCheckboxField(
        _l("Kinds of unit that report it"),
        choices=list(KIND_LABELS.items()),
        validators=[Optional()],
        description=_l("Tick none for every kind of unit."),
    )


class WithdrawReadingForm(BaseForm):
    reason = TextAreaField(
        _l("Why is the reading withdrawn?"),
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 3},
    )


class BoundaryForm(BaseForm):
    boundary_id = HiddenField()
    kind = SelectField(_l("What the boundary watches"), choices=list(KIND.items()), validators=[Optional()])
    indicator = SelectField(_l("Indicator"), choices=[], validators=[Optional()])
    comparator = SelectField(
        _l("The value is on the wrong side when it is"),
        choices=[("", _l("Choose…")), *COMPARATOR.items()],
        validators=[Optional()],
    )
    threshold = StringField(
        _l("Threshold"), validators=[Optional(), Length(max=40)], render_kw={"inputmode": "decimal"}
    )
    periods = StringField(
        _l("For how many of the latest reported months"),
        validators=[Optional(), Length(max=4)],
        description=_l("1 means the latest month alone; 3 means each of the three latest months with a reading."),
        render_kw={"inputmode": "numeric"},
    )
    days = StringField(
        _l("Days past the due date"),
        validators=[Optional(), Length(max=4)],
        description=_l("For overdue follow-ups: more than this many days late without being reported done."),
        render_kw={"inputmode": "numeric"},
    )
    rationale = TextAreaField(
        _l("Why this boundary matters"),
        validators=[Optional(), Length(max=2000)],
        description=_l("In plain words both parties can stand behind."),
        render_kw={"rows": 3},
    )


class EndBoundaryForm(BaseForm):
    boundary_id = HiddenField()
    rationale = TextAreaField(
        _l("Why the boundary should end"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 3}
    )


class RejectForm(BaseForm):
    reason = TextAreaField(
        _l("Why you decline (optional)"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 3}
    )


class ReadingForm(BaseForm):
    indicator = SelectField(_l("Indicator"), choices=[], validators=[Optional()], validate_choice=False)
    period = StringField(
        _l("Month"),
        validators=[Optional(), Length(max=10)],
        description=_l("As YYYY-MM, for example 2026-03."),
        render_kw={"type": "month", "placeholder": "2026-03"},
    )
    value = StringField(_l("Value"), validators=[Optional(), Length(max=40)], render_kw={"inputmode": "decimal"})


class CsvForm(BaseForm):
    file = FileField(
        _l("CSV file"),
        description=_l(
            "A first line with the columns indicator, period and value, then one reading per line, "
            "separated by commas or semicolons. Nothing is imported if a line has an error."
        ),
    )


class CloseBreachForm(BaseForm):
    note = TextAreaField(
        _l("What the closer look found and what was agreed"),
        validators=[Optional(), Length(max=5000)],
        render_kw={"rows": 4},
    )


class RestoreForm(BaseForm):
    reason = TextAreaField(
        _l("Why the unit returns to baseline trust"),
        validators=[Optional(), Length(max=5000)],
        render_kw={"rows": 4},
    )
    cancel_closer_review = BooleanField(
        _l("Also cancel the open closer-review visit, with the same reason"), default=True
    )
