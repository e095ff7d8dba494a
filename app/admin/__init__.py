"""Coordinators' operational pages: the mail outbox of the embedded mode and the reports of accessibility problems."""

from flask import Blueprint, Flask

bp = Blueprint("admin", __name__, url_prefix="/admin")


def init_app(app: Flask) -> None:
    from app.admin import views  # noqa: F401  (routes; imported late so models never import views)

    app.register_blueprint(bp)
