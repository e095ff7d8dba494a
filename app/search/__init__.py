"""Search across units, visits, findings, follow-ups and messages, each within what the searcher may see."""

from flask import Blueprint, Flask

bp = Blueprint("search", __name__)


def init_app(app: Flask) -> None:
    from app.search import views  # noqa: F401  (routes; imported late so models never import views)

    app.register_blueprint(bp)
