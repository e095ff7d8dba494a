"""The tablet as an installable web app (DESIGN.md 4.8): the service worker's address, the page shown without a
network, and the session facts the page's offline queue checks before it sends anything."""

from flask import Blueprint, Flask

bp = Blueprint("offline", __name__)


def init_app(app: Flask) -> None:
    from app.offline import views  # noqa: F401  (routes)

    app.register_blueprint(bp)
