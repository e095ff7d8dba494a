"""Agreed follow-up actions and their e-mail reminders (DESIGN.md 4.4)."""

from flask import Blueprint, Flask

bp = Blueprint("followups", __name__)


def init_app(app: Flask) -> None:
    from app.api.followups import calendar_bp
    from app.followups import counts, labels, models, notices, policy, receivers, views  # noqa: F401  (routes; imported late so models never import views)

    counts.install()
    labels.register(app)
    notices.register()
    policy.register_template_globals(app)
    receivers.connect()
    app.context_processor(views.template_globals)
    app.add_template_filter(views.finding_excerpt, "finding_excerpt")
    app.register_blueprint(bp)
    app.register_blueprint(calendar_bp)
