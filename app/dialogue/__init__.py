"""Dialogue: conversation threads, internal notes, read state and batched notifications (DESIGN.md 4.2)."""

from flask import Blueprint, Flask

bp = Blueprint("dialogue", __name__)


def init_app(app: Flask) -> None:
    from app.dialogue import models, views  # noqa: F401  (routes; imported late so models never import views)

    app.register_blueprint(bp)
