"""Reviewed units: list, page with history, coordinators' create and edit."""

from flask import Blueprint, Flask

bp = Blueprint("units", __name__)


def init_app(app: Flask) -> None:
    from app.units import views  # noqa: F401  (routes; imported late so models never import views)

    app.register_blueprint(bp)
