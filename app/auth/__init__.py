"""Login, sessions, set-password links, profile and API tokens; coordinators' pages for people."""

from typing import Any

from flask import Blueprint, Flask, Response

bp = Blueprint("auth", __name__)


@bp.after_app_request
def _form_action_reaches_identity_providers(response: Response) -> Response:
    """Forms that lead to an identity provider (the e-legitimation button, logout with single logout) end in a
    redirect to it, and the CSP's ``form-action`` covers redirects: add the configured providers' origins."""
    from app.auth import oidc, saml
    from app.core.web import CSP

    if response.mimetype != "text/html":
        return response
    origins = sorted({*oidc.provider_origins(), *saml.idp_origins()})
    if origins:
        policy = response.headers.get("Content-Security-Policy", CSP)
        response.headers["Content-Security-Policy"] = policy.replace(
            "form-action 'self'", "form-action 'self' " + " ".join(origins)
        )
    return response


def init_app(app: Flask) -> None:
    from app.auth import oidc, policy, saml, services, views  # noqa: F401  (routes; imported late so models never import views)
    from app.core import web

    web.register_identity_loaders(
        session_token=_person_of_session,
        bearer_token=services.person_for_api_token,
        session_owner=services.session_owner,
    )
    _register_timeline()
    oidc.init_app(app)
    saml.init_app(app)
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
        # the login methods (the personal identity number itself is redacted in the trail)
        "personal_number_hmac": _l("Personal identity number"),
        "provider": _l("Identity provider"),
        "issuer": _l("Issuer"),
        "subject": _l("Account at the identity provider"),
    }
    timeline.register_object_type(
        "user", _l("the person"), fields=fields, values={"language": {"sv": "svenska", "en": "English"}}
    )
    timeline.register_object_type("user_role", _l("a role"), fields=fields, values={"role": ROLE_LABELS})
    timeline.register_object_type("api_token", _l("an API token"), fields=fields)
    timeline.register_object_type("linked_identity", _l("a login through the organisation's account"), fields=fields)
