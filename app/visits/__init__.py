"""Review visits: templates, planning, findings with evidence, kommunicering and the report (DESIGN.md 4.1)."""

from flask import Blueprint, Flask

bp = Blueprint("visits", __name__)


def init_app(app: Flask) -> None:
    from app.visits import evidence_views, labels, models, report_views, views  # noqa: F401  (routes; imported late so models never import views)

    labels.register(app)
    app.register_blueprint(bp)
