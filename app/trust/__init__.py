"""Conditional trust: indicators, readings, agreed boundaries, breaches and the trust level (DESIGN.md 4.3)."""

from flask import Blueprint, Flask

bp = Blueprint("trust", __name__)


def init_app(app: Flask) -> None:
    from app.trust import models, views  # noqa: F401  (routes; imported late so models never import views)

    app.register_blueprint(bp)
