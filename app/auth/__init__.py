"""Login, sessions, set-password links, profile and API tokens; coordinators' pages for people."""

from typing import Any

from flask import Blueprint, Flask

bp = Blueprint("auth", __name__)


def init_app(app: Flask) -> None:
    from app.auth import services, views  # noqa: F401  (routes; imported late so models never import views)
    from app.core import web

    web.register_identity_loaders(session_token=_person_of_session, bearer_token=services.person_for_api_token)
    _register_timeline()
    app.register_blueprint(bp)


def _person_of_session(raw: str) -> Any:
    """The person of a live login session (touched now), or None for an ended, idle or unknown one."""
    from app.auth import services

    row = services.load_session(raw)
    return row.user if row is not None else None


def _register_timeline() -> None:
    """This domain's object types in the kernel's timeline registry."""
    from flask_babel import lazy_gettext as _l

    from app.auth.forms import ROLE_LABELS
    from app.core import timeline

    fields = {
        "name": _l("Name"),
        "email": _l("E-mail address"),
        "language": _l("Language"),
        "is_active_account": _l("Active"),
        "password_hash": _l("Password"),
        "role": _l("Role"),
        "label": _l("Label"),
        "revoked_at": _l("Revoked"),
        "user_id": _l("Person"),
    }
    timeline.register_object_type(
        "user", _l("the person"), fields=fields, values={"language": {"sv": "svenska", "en": "English"}}
    )
    timeline.register_object_type("user_role", _l("a role"), fields=fields, values={"role": ROLE_LABELS})
    timeline.register_object_type("api_token", _l("an API token"), fields=fields)
