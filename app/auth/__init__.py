"""Login, sessions, set-password links, profile and API tokens; coordinators' pages for people."""

from flask import Blueprint, Flask

bp = Blueprint("auth", __name__)


def init_app(app: Flask) -> None:
    from app.auth import views  # noqa: F401  (routes; imported late so models never import views)

    app.register_blueprint(bp)
