"""Login, sessions, set-password links, profile and API tokens; coordinators' pages for people."""

import uuid
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
    """This domain's object types in the kernel's timeline registry: people by name, their roles and logins in
    sentences (a person's own login reads "<name> logged in", not "the system")."""
    from flask_babel import gettext as _
    from flask_babel import lazy_gettext as _l
    from sqlalchemy import select

    from app.auth.forms import ROLE_LABELS
    from app.auth.models import User
    from app.core import timeline
    from app.extensions import db

    def user_names(ids):  # type: ignore[no-untyped-def]
        found = db.session.execute(select(User.id, User.name).where(User.id.in_([uuid.UUID(i) for i in ids])))
        return {str(i): name for i, name in found}

    timeline.register_reference("user", user_names)

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
    refs = {"user_id": "user"}

    def person(event):  # type: ignore[no-untyped-def]
        """The person an event of theirs is about: the user itself, or the owner of a role, token or login."""
        if event.object_type == "user":
            return timeline.object_name(event) or _("a person")
        return timeline.parent_name(event) or timeline.reference_name("user", timeline.value_of(event, "user_id"))

    def user(event, who):  # type: ignore[no-untyped-def]
        name = person(event)
        if event.action == "login":
            # Logging in happens before anyone is logged in: the person is the one the event is about.
            return _("%(name)s logged in.", name=name)
        if event.action == "logout":
            return _("%(name)s logged out.", name=name)
        if event.action == "login_failed":
            return _("A login failed.")
        if event.action == "set_password_link":
            return _("%(who)s sent %(name)s a link to choose a password.", who=who, name=name)
        if event.action == "password_changed":
            return _("%(name)s chose a new password.", name=name)
        if event.action == "create":
            return _("%(who)s added %(name)s as a user.", who=who, name=name)
        if event.action == "delete":
            return _("%(who)s removed the user %(name)s.", who=who, name=name)
        active = timeline.change(event, "is_active_account")
        if active and active[1] is False:
            return _("%(who)s deactivated %(name)s's account.", who=who, name=name)
        if active and active[1] is True:
            return _("%(who)s reactivated %(name)s's account.", who=who, name=name)
        if timeline.change(event, "password_hash") and len(event.changes or {}) == 1:
            return _("%(who)s set a password for %(name)s.", who=who, name=name)
        return _("%(who)s changed the details of %(name)s.", who=who, name=name)

    def role(event, who):  # type: ignore[no-untyped-def]
        name, what = person(event) or _("a person"), timeline.words_of(event, "role")
        if event.action == "create":
            return _("%(who)s gave %(name)s the role %(role)s.", who=who, name=name, role=what)
        if event.action == "delete":
            return _("%(who)s took the role %(role)s from %(name)s.", who=who, name=name, role=what)
        return None

    def token(event, who):  # type: ignore[no-untyped-def]
        what = timeline.named(event, _("the API token"))
        if event.action == "create":
            return _("%(who)s created %(what)s.", who=who, what=what)
        if event.action == "delete" or timeline.change(event, "revoked_at"):
            return _("%(who)s revoked %(what)s.", who=who, what=what)
        return None

    def identity(event, who):  # type: ignore[no-untyped-def]
        name = person(event) or _("a person")
        if event.action == "create":
            return _("%(name)s's account was linked to a login through the organisation.", name=name)
        if event.action == "delete":
            return _("%(who)s removed a login through the organisation from %(name)s.", who=who, name=name)
        return None

    timeline.register_object_type(
        "user",
        _l("the person"),
        fields=fields,
        values={"language": {"sv": "svenska", "en": "English"}},
        sentence=user,
    )
    timeline.register_object_type(
        "user_role", _l("a role"), fields=fields, values={"role": ROLE_LABELS}, refs=refs, sentence=role
    )
    timeline.register_object_type(
        "api_token", _l("an API token"), fields=fields, refs=refs, sentence=token, hidden={"token_hash", "prefix"}
    )
    timeline.register_object_type(
        "linked_identity",
        _l("a login through the organisation's account"),
        fields=fields,
        refs=refs,
        sentence=identity,
        hidden={"issuer", "subject"},
    )
