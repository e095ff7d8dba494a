"""Login, sessions, set-password links, profile and API tokens; coordinators' pages for people."""

from flask import Blueprint, Flask, Response
from flask_babel import lazy_gettext as _l

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
    from app.auth import oidc, saml, views  # noqa: F401  (routes; imported late so models never import views)
    from app.auth.forms import ROLE_LABELS
    from app.core import timeline

    timeline.register_values("user_role", "role", ROLE_LABELS)
    timeline.register_values("user", "language", {"sv": "svenska", "en": "English"})
    # How a person's history names what the login methods change (the number itself is redacted in the trail).
    timeline.FIELD_LABELS.update(
        {
            "personal_number_hmac": _l("Personal identity number"),
            "provider": _l("Identity provider"),
            "issuer": _l("Issuer"),
            "subject": _l("Account at the identity provider"),
        }
    )
    timeline.OBJECT_LABELS["linked_identity"] = _l("a login through the organisation's account")

    oidc.init_app(app)
    saml.init_app(app)
    app.register_blueprint(bp)
