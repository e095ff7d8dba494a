"""Dialogue: conversation threads, internal notes, read state and batched notifications (DESIGN.md 4.2)."""

from typing import Any

from flask import Blueprint, Flask

bp = Blueprint("dialogue", __name__)


def init_app(app: Flask) -> None:
    from app.dialogue import labels, models, policy, services, views  # noqa: F401  (routes; imported late so models never import views)

    labels.register_timeline()
    services.install()
    app.register_blueprint(bp)
    app.context_processor(_template_helpers)


def _template_helpers() -> dict[str, Any]:
    """What other domains' pages include from this one (the menu's count, a visit's conversations and why they are
    closed, the profile's choice of e-mails); each runs its query only when a page calls it."""
    from flask_login import current_user

    from app.dialogue import forms, policy, services

    def unread_total() -> int:
        return services.unread_total(current_user) if current_user.is_authenticated else 0

    def visit_summary(visit: Any) -> dict:
        return services.visit_summaries(current_user, visit)

    def notification_settings_form() -> forms.NotificationForm:
        return forms.notification_form(services.notification_mode(current_user.id))

    return {
        "dialogue_unread_total": unread_total,
        "dialogue_visit_summary": visit_summary,
        "notification_settings_form": notification_settings_form,
        "dialogue_closed_reason": policy.why_conversation_is_closed,
    }
