"""Conditional trust: indicators, readings, agreed boundaries, breaches and the trust level (DESIGN.md 4.3)."""

from flask import Blueprint, Flask

bp = Blueprint("trust", __name__)


def init_app(app: Flask) -> None:
    from app.trust import labels, models, notices, policy, services, views  # noqa: F401  (routes; imported late so models never import views)

    labels.register(app)
    notices.register()
    policy.register_template_globals(app)
    services.connect_signals()
    app.add_template_global(views.unit_panel, "trust_unit_panel")
    app.register_blueprint(bp)
