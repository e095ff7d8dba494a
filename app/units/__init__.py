"""Reviewed units: list, page with history, coordinators' create and edit."""

from flask import Blueprint, Flask

bp = Blueprint("units", __name__)


def init_app(app: Flask) -> None:
    from app.core import timeline
    from app.units import policy, views  # noqa: F401  (routes; imported late so models never import views)
    from app.units.forms import KIND_LABELS, TRUST_LABELS

    timeline.register_values("unit", "kind", KIND_LABELS)
    timeline.register_values("unit", "trust_level", TRUST_LABELS)

    app.jinja_env.globals.update(can_manage_units=policy.can_manage_units)
    app.register_blueprint(bp)
