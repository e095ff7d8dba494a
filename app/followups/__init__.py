"""Agreed follow-up actions and their e-mail reminders (DESIGN.md 4.4)."""

from flask import Blueprint, Flask

bp = Blueprint("followups", __name__)


def init_app(app: Flask) -> None:
    from app.followups import models, views  # noqa: F401  (routes; imported late so models never import views)

    app.register_blueprint(bp)
