"""How the browser's session cookie is shaped (OWASP ASVS 5.0 V7; issue 13 item 4). A login starts in
``app.auth.login.begin_session`` whatever the method; its server-side session has an absolute lifetime
(``SESSION_MAX_HOURS``) and an idle timeout (``IDLE_TIMEOUT_MINUTES``)."""

from __future__ import annotations

from flask import Flask

HOST_PREFIX = "__Host-"


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
