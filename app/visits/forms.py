from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.auth.forms import MultiCheckboxField
from app.core.forms import BaseForm
from app.visits.labels import KIND, PURPOSE, SEVERITY, STANCE


class TemplateForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the template's name.")), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    purpose = TextAreaField(
        _l("Purpose of the review"),
        validators=[Optional(), Length(max=5000)],
        description=_l("What a review with this template is for. The final report quotes it."),
        render_kw={"rows": 3},
    )
    legal_basis = TextAreaField(
        _l("Legal basis"),
        validators=[Optional(), Length(max=5000)],
        description=_l(
            "The laws and regulations the review rests on, e.g. 'SoL 13 kap. 1 §'. The final report quotes it."
        ),
        render_kw={"rows": 3},
    )
    areas = TextAreaField(
        _l("Review areas and guiding questions"),
        validators=[DataRequired(_l("Add at least one review area."))],
        description=_l(
            "One review area per line; its guiding questions on the lines below it, each starting with a dash (-)."
        ),
        render_kw={"rows": 16},
    )


class VisitForm(BaseForm):
    unit = SelectField(_l("Unit"), choices=[], validators=[DataRequired(_l("Choose the unit."))])
    template = SelectField(
        _l("Review template"), choices=[], validators=[DataRequired(_l("Choose a review template."))]
    )
    purpose = SelectField(_l("Kind of visit"), choices=list(PURPOSE.items()))
    visit_date = DateField(_l("Date of the visit"), validators=[Optional()])
    lead = SelectField(_l("Lead reviewer"), choices=[], validators=[DataRequired(_l("Choose the lead reviewer."))])
    team = MultiCheckboxField(_l("Other reviewers on the team"), choices=[])
    aim = TextAreaField(_l("Aim of the visit"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 4})


class PlanForm(BaseForm):
    visit_date = DateField(_l("Date of the visit"), validators=[Optional()])
    lead = SelectField(_l("Lead reviewer"), choices=[], validators=[DataRequired(_l("Choose the lead reviewer."))])
    team = MultiCheckboxField(_l("Other reviewers on the team"), choices=[])
    aim = TextAreaField(_l("Aim of the visit"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 4})


class SummaryForm(BaseForm):
    summary = TextAreaField(
        _l("Summary of the report"),
        validators=[Optional(), Length(max=10000)],
        description=_l(
            "The lead reviewer's summary opens the report: what the visit found and what matters most, in a few "
            "paragraphs. It can be changed until the report is final."
        ),
        render_kw={"rows": 8},
    )


class CaptionForm(BaseForm):
    caption = StringField(
        _l("Caption"),
        validators=[Optional(), Length(max=500)],
        description=_l("What the photo shows, in a sentence. The report prints it under the photo."),
    )


class FindingForm(BaseForm):
    kind = RadioField(_l("Kind of finding"), choices=list(KIND.items()), validators=[Optional()])
    severity = RadioField(_l("Severity (deviations only)"), choices=list(SEVERITY.items()), validators=[Optional()])
    text = TextAreaField(_l("What did you see?"), validators=[Optional(), Length(max=10000)], render_kw={"rows": 5})
    review_area = SelectField(_l("Review area"), choices=[], validators=[Optional()])


class TransitionForm(BaseForm):
    to = HiddenField()
    comment_deadline = DateField(_l("Deadline for the unit's comments"), validators=[Optional()])
    waiver_reason = TextAreaField(
        _l("Why kommunicering is clearly unnecessary"),
        validators=[Optional(), Length(max=5000)],
        description=_l("Only when finalising without the unit's response (förvaltningslagen 25 §)."),
        render_kw={"rows": 3},
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[Optional(), Length(max=5000)],
        render_kw={"rows": 3},
    )


class FollowUpForm(BaseForm):
    visit_date = DateField(_l("Date of the follow-up visit"), validators=[Optional()])


STANCE_CHOICES = [("", _l("No answer")), *STANCE.items()]


class ResponseCommentForm(BaseForm):
    text = TextAreaField(
        _l("The authority's comment"),
        validators=[Optional(), Length(max=5000)],
        description=_l(
            "How the response was taken into account. It is printed beside the response in the final report."
        ),
        render_kw={"rows": 5},
    )
