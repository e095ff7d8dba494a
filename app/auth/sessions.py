"""The one place a browser login starts and its cookie is shaped (OWASP ASVS 5.0 V7; issue 13 item 4).

Password login and the single sign-on logins (OIDC, SAML) all call ``log_in``: a fresh server-side session
(``services.start_session``: absolute lifetime ``SESSION_MAX_HOURS``, idle timeout ``IDLE_TIMEOUT_MINUTES``) under a
new cookie that keeps nothing from before but the language and the text a person typed.
"""

from __future__ import annotations

from flask import Flask, session

from app.auth import services
from app.auth.models import User
from app.core.web import SESSION_KEY, client_address

KEPT_ACROSS_LOGIN = ("lang", "form_stash")
HOST_PREFIX = "__Host-"


def log_in(person: User) -> None:
    """Start ``person``'s session in this browser (the caller commits). Nothing from the session before carries
    over but the language and the kept form text: a new session id at every login (ASVS 7.2.4)."""
    kept = {key: session[key] for key in KEPT_ACROSS_LOGIN if key in session}
    session.clear()
    session.update(kept)
    session[SESSION_KEY] = services.start_session(person, client_address=client_address())
    session.permanent = False


def configure_cookie(app: Flask) -> None:
    """Over HTTPS (``SESSION_COOKIE_SECURE``, the production default) the cookie's name carries the ``__Host-``
    prefix: the browser then accepts it only when Secure, for the whole site (Path=/) and this host alone (no
    Domain), so a sibling subdomain cannot plant or overwrite it (ASVS 3.3.1)."""
    if not app.config.get("SESSION_COOKIE_SECURE"):
        return
    name = str(app.config["SESSION_COOKIE_NAME"])
    if not name.startswith(HOST_PREFIX):
        app.config["SESSION_COOKIE_NAME"] = HOST_PREFIX + name
    app.config["SESSION_COOKIE_PATH"] = "/"
    app.config["SESSION_COOKIE_DOMAIN"] = None
