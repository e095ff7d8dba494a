"""Login through an organisation's OpenID Connect provider (issue 18): Authlib's Flask client does the protocol.

Authorization code flow with PKCE (S256), ``state`` and ``nonce`` kept in the session by Authlib, the provider's
metadata and keys from discovery (``<issuer>/.well-known/openid-configuration``); the ID token's signature,
``iss``, ``aud``, ``exp``, ``iat`` and ``nonce`` are checked by Authlib before we read a claim. Who the claims
belong to is ``app.auth.identity``'s rule; logging in is ``app.auth.login.begin_session``, as for a password.

Routes: ``/login/oidc/<name>`` starts, ``/login/oidc/<name>/callback`` is the redirect URI to register at the
provider. Logging out redirects to the provider's ``end_session_endpoint`` when its metadata has one.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from authlib.integrations.flask_client import OAuth
from flask import Flask, abort, current_app, redirect, render_template, url_for
from flask_babel import gettext as _

from app.auth import bp, identity
from app.auth.login import begin_session
from app.auth.models import Role
from app.core import audit
from app.core.web import client_address
from app.extensions import db, limiter

log = logging.getLogger(__name__)

EXTENSION = "tillsyn.oidc"
# What the session keeps for single logout: the provider's name and the ID token (the id_token_hint).
SESSION_PROVIDER = "oidc_provider"
SESSION_ID_TOKEN = "oidc_id_token"  # noqa: S105  (a session key, not a secret)


@dataclass(frozen=True)
class Provider:
    """One entry of OIDC_PROVIDERS."""

    name: str
    label: str
    issuer: str
    client_id: str
    client_secret: str
    roles: tuple[str, ...]
    # The boolean claim that vouches for the e-mail address ("email_verified"; Entra ID: "xms_edov").
    verified_email_claim: str = "email_verified"


def _parse_providers(raw: list[Any]) -> dict[str, Provider]:
    providers: dict[str, Provider] = {}
    for entry in raw:
        if not isinstance(entry, dict):
            raise RuntimeError("OIDC_PROVIDERS: every provider is a JSON object.")
        missing = [k for k in ("name", "issuer", "client_id", "client_secret") if not entry.get(k)]
        if missing:
            raise RuntimeError(f"OIDC_PROVIDERS: a provider lacks {', '.join(missing)}.")
        name = str(entry["name"])
        if not name.replace("-", "").replace("_", "").isalnum() or len(name) > 50:
            raise RuntimeError("OIDC_PROVIDERS: a name is letters, digits, - and _ (at most 50).")
        roles = tuple(entry.get("roles") or [r.value for r in Role])
        unknown = [r for r in roles if r not in {x.value for x in Role}]
        if unknown:
            raise RuntimeError(f"OIDC_PROVIDERS: unknown roles {unknown} for {name}.")
        providers[name] = Provider(
            name=name,
            label=str(entry.get("label") or name),
            issuer=str(entry["issuer"]).rstrip("/"),
            client_id=str(entry["client_id"]),
            client_secret=str(entry["client_secret"]),
            roles=roles,
            verified_email_claim=str(entry.get("verified_email_claim") or "email_verified"),
        )
    return providers


def init_app(app: Flask) -> None:
    """Register every provider of OIDC_PROVIDERS with Authlib (discovery happens at the first login).
    Raises ``RuntimeError`` at start-up for a malformed OIDC_PROVIDERS."""
    providers = _parse_providers(app.config.get("OIDC_PROVIDERS") or [])
    oauth = OAuth(app)
    for provider in providers.values():
        oauth.register(
            provider.name,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            server_metadata_url=f"{provider.issuer}/.well-known/openid-configuration",
            code_challenge_method="S256",
            # Seconds to wait for the provider (discovery, keys, token endpoint) before the login is refused.
            client_kwargs={"scope": "openid email profile", "default_timeout": 10},
        )
    app.extensions[EXTENSION] = (oauth, providers)


def _providers() -> dict[str, Provider]:
    return current_app.extensions[EXTENSION][1]  # type: ignore[no-any-return]


def _client(name: str) -> Any:
    return current_app.extensions[EXTENSION][0].create_client(name)


def _base_url() -> str:
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")


def redirect_uri(name: str) -> str:
    """The redirect URI to register at the provider: ``<PUBLIC_BASE_URL>/login/oidc/<name>/callback``."""
    return f"{_base_url()}/login/oidc/{name}/callback"


def provider_origins() -> list[str]:
    """The origins (scheme://host[:port]) of the configured providers' issuers, for the CSP's form-action."""
    origins = []
    for provider in _providers().values():
        parts = urlsplit(provider.issuer)
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins


def provider_buttons() -> list[tuple[str, str]]:
    """(name, label) of each configured provider, for the login page."""
    return [(p.name, p.label) for p in _providers().values()]


def _provider_or_404(name: str) -> Provider:
    provider = _providers().get(name)
    if provider is None:
        abort(404)
    return provider


def _refused(message: str, status: int = 403) -> Any:
    return render_template("auth/login_refused.html", message=message), status


@bp.get("/login/oidc/<name>")
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def oidc_start(name: str):  # type: ignore[no-untyped-def]
    """Send the browser to the provider (a new state, nonce and PKCE verifier, kept in the session)."""
    provider = _provider_or_404(name)
    try:
        return _client(provider.name).authorize_redirect(redirect_uri(provider.name))
    except Exception as exc:  # discovery failed: the provider is down or misconfigured
        log.warning("OIDC provider %s unreachable at login: %s", provider.name, type(exc).__name__)
        return _refused(_("The identity provider cannot be reached right now. Try again later."), 502)


@bp.get("/login/oidc/<name>/callback")
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def oidc_callback(name: str):  # type: ignore[no-untyped-def]
    """The provider's answer: the code is exchanged and the ID token verified (Authlib), then the person found."""

    provider = _provider_or_404(name)
    method = identity.oidc_method(provider.name)
    client = _client(provider.name)
    try:
        token = client.authorize_access_token()
        claims = token.get("userinfo")
        if not claims:  # no ID token at all: Authlib verifies one only when it is there
            raise ValueError("no ID token in the token response")
        issuer = str(client.load_server_metadata()["issuer"])
        if issuer.rstrip("/") != provider.issuer:  # OpenID Connect Discovery 4.3: no mix-up of providers
            raise ValueError("the discovered issuer is not the configured one")
    except Exception as exc:  # every failure of the protocol (state, signature, nonce, expiry...) is a refusal
        log.warning("OIDC login through %s refused: %s", provider.name, type(exc).__name__)
        identity.record_refusal(method=method, reason=f"protocol:{type(exc).__name__}"[:100])
        db.session.commit()
        return _refused(_("The login could not be verified. Start again from the login page."))
    try:
        person = identity.person_for_oidc_login(
            provider=provider.name,
            issuer=issuer,
            claims=claims,
            roles=provider.roles,
            verified_email_claim=provider.verified_email_claim,
        )
    except identity.LoginRefused as exc:
        db.session.rollback()
        log.warning("OIDC login through %s refused: %s from %s", provider.name, exc.reason, client_address())
        identity.record_refusal(method=method, reason=exc.reason)
        db.session.commit()
        return _refused(exc.message)
    audit.record(db.session, action="login", object_type="user", object_id=person.id, changes={"method": method})
    begin_session(
        person, method=method, keep={SESSION_PROVIDER: provider.name, SESSION_ID_TOKEN: token.get("id_token")}
    )
    db.session.commit()
    return redirect(url_for("main.start"))


def end_session_url(session: MutableMapping[str, Any]) -> str | None:
    """Where to send the browser after our own logout: the provider's end-session endpoint (with the ID token as
    hint and the login page to come back to), when the person logged in through a provider that offers one."""
    name = session.get(SESSION_PROVIDER)
    if not name or name not in _providers():
        return None
    try:
        client = _client(name)
        if not client.load_server_metadata().get("end_session_endpoint"):
            return None
        result = client.create_logout_url(
            post_logout_redirect_uri=f"{_base_url()}/login",
            id_token_hint=session.get(SESSION_ID_TOKEN),
            client_id=client.client_id,
        )
    except Exception as exc:  # the provider is unreachable: our own session has ended anyway
        log.warning("OIDC provider %s unreachable at logout: %s", name, type(exc).__name__)
        return None
    return str(result["url"])
