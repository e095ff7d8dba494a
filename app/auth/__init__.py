"""Login, sessions, set-password links, profile and API tokens; coordinators' pages for people."""

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
    from app.auth import oidc, saml, views  # noqa: F401  (routes; imported late so models never import views)
    from app.auth.forms import ROLE_LABELS
    from app.core import timeline

    timeline.register_values("user_role", "role", ROLE_LABELS)
    timeline.register_values("user", "language", {"sv": "svenska", "en": "English"})

    oidc.init_app(app)
    saml.init_app(app)
    app.register_blueprint(bp)
