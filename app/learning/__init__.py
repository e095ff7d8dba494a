"""Learning (DESIGN.md 4.5): the library of good examples, shared with the unit's consent and searched in Swedish."""

from typing import Any

from flask import Blueprint, Flask

bp = Blueprint("learning", __name__)


def init_app(app: Flask) -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from app.core import signals
    from app.learning import labels, models, policy, services, views  # noqa: F401  (routes; imported late)
    from app.learning.services import feedback

    signals.visit_status_changed.connect(feedback.on_visit_status_changed)
    labels.register_timeline()
    policy.register_template_globals(app)
    if not event.contains(Session, "before_flush", models.refuse_changes_to_self_assessments):
        event.listen(Session, "before_flush", models.refuse_changes_to_self_assessments)
    app.register_blueprint(bp)
    app.context_processor(_template_helpers)
    app.add_template_filter(labels.one_decimal, "one_decimal")


def _template_helpers() -> dict[str, Any]:
    """What other domains' pages include from this one: a visit's good examples by finding id (one query per
    visit and request however many findings the page shows), and the words for an example's status."""
    from flask import g

    from app.learning import labels, services

    def good_examples_of_visit(visit_id: Any) -> dict:
        cache = g.setdefault("learning_examples_by_visit", {})
        if visit_id not in cache:
            cache[visit_id] = services.examples_of_visit(visit_id)
        return cache[visit_id]

    def example_status_label(example: Any) -> str:
        return str(labels.EXAMPLE_STATUS[example.status.value])

    def self_assessment_of_visit(visit_id: Any) -> Any:
        cache = g.setdefault("learning_self_assessment_by_visit", {})
        if visit_id not in cache:
            cache[visit_id] = services.self_assessment_of_visit(visit_id)
        return cache[visit_id]

    return {
        "good_examples_of_visit": good_examples_of_visit,
        "example_status_label": example_status_label,
        "self_assessment_of_visit": self_assessment_of_visit,
        "rating_labels": labels.RATING,
        "feedback_labels": labels.FEEDBACK_QUESTIONS,
    }
