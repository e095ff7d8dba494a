"""Services of the learning domain (DESIGN.md 4.5), one module per capability; everything public is here too.

Every function takes the acting person explicitly, flushes and never commits (the caller's ``run_service`` or the
API does), and raises ``DomainError`` subclasses for a person to read."""

from app.learning.services.examples import (
    FULLTEXT_KIND,
    MAX_CONTACT_LENGTH,
    LibraryFilters,
    answer,
    contact_unit,
    examples_of_visit,
    library,
    library_filters,
    proposals_awaiting,
    propose,
    unit_examples,
    withdraw,
)
from app.learning.services.feedback import (
    MAX_FEEDBACK_LENGTH,
    FeedbackSummary,
    Figures,
    feedback_summary,
    feedback_waiting,
    give_feedback,
    invite_to_feedback,
    own_feedback,
    unit_feedback,
)
from app.learning.services.self_assessment import (
    MAX_ANSWER_LENGTH,
    SelfAssessmentView,
    save_self_assessment,
    self_assessment_of_visit,
    self_assessment_view,
    self_assessments_waiting,
)
from app.learning.services.statistics import BUCKETS, PERIODS, FindingStatistics, finding_statistics, statistics_csv

__all__ = [
    "BUCKETS",
    "FULLTEXT_KIND",
    "MAX_ANSWER_LENGTH",
    "MAX_CONTACT_LENGTH",
    "MAX_FEEDBACK_LENGTH",
    "PERIODS",
    "FeedbackSummary",
    "Figures",
    "FindingStatistics",
    "LibraryFilters",
    "SelfAssessmentView",
    "answer",
    "contact_unit",
    "examples_of_visit",
    "feedback_summary",
    "feedback_waiting",
    "finding_statistics",
    "give_feedback",
    "invite_to_feedback",
    "library",
    "library_filters",
    "own_feedback",
    "proposals_awaiting",
    "propose",
    "save_self_assessment",
    "self_assessment_of_visit",
    "self_assessment_view",
    "self_assessments_waiting",
    "statistics_csv",
    "unit_examples",
    "unit_feedback",
    "withdraw",
]
