"""Start pages per role, the accessibility statement, language switching and the health check."""

from flask import Blueprint, Flask

bp = Blueprint("main", __name__)


def init_app(app: Flask) -> None:
    from app.main import views  # noqa: F401  (routes; imported late so models never import views)

    app.register_blueprint(bp)
