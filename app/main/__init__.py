"""Start pages per role (the unit's portal among them, app.main.portal), the accessibility statement and its reports
of problems, language switching and the health check."""

from typing import Any

from flask import Blueprint, Flask

bp = Blueprint("main", __name__)


def init_app(app: Flask) -> None:
    from app.main import models, views  # noqa: F401  (routes; imported late so models never import views)

    _register_timeline()
    app.register_blueprint(bp)
    app.context_processor(_template_helpers)


def _register_timeline() -> None:
    """This domain's object type in the kernel's timeline registry."""
    from flask_babel import gettext as _
    from flask_babel import lazy_gettext as _l

    from app.core import timeline

    def report(event, who):  # type: ignore[no-untyped-def]
        if event.action == "create":
            return _("Someone reported an accessibility problem.")
        handled = timeline.change(event, "handled_at")
        if handled and handled[1]:
            return _("%(who)s handled a report of an accessibility problem.", who=who)
        return None

    timeline.register_object_type(
        "accessibility_report",
        _l("a report of an accessibility problem"),
        fields={
            "handled_at": _l("Handled"),
            "handled_note": _l("What was done"),
            "handled_by_id": _l("Handled by"),
            "received_at": _l("Received"),
            "description": _l("Description"),
            "page": _l("Page"),
            "contact_email": _l("Contact e-mail"),
            "contact_name": _l("Contact name"),
            "language": _l("Language"),
            "reporter_id": _l("Reported by"),
        },
        refs={"handled_by_id": "user", "reporter_id": "user"},
        values={"language": {"sv": "svenska", "en": "English"}},
        sentence=report,
    )


def _template_helpers() -> dict[str, Any]:
    from flask import request, url_for

    def accessibility_url() -> str:
        """The statement, told which page the person came from (so a report of a problem names it). A path that
        carries a secret (a set-password link) is given as its pattern, never with the token."""
        if request.endpoint == "main.accessibility":
            return url_for("main.accessibility")
        secret = request.url_rule is not None and any("token" in key for key in (request.view_args or {}))
        page = request.url_rule.rule if secret and request.url_rule is not None else request.path
        values: dict[str, Any] = {"from": page}  # "from" is a keyword in Python, so not an argument name
        return url_for("main.accessibility", **values)

    return {"accessibility_url": accessibility_url}
