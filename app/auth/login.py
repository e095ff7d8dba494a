"""Starting a login session, the one way every login method ends (password, OpenID Connect, SAML)."""

from __future__ import annotations

from typing import Any

from flask import current_app, session

from app.auth import services
from app.auth.models import User
from app.core.web import SESSION_KEY, client_address


def begin_session(person: User, *, method: str, keep: dict[str, Any] | None = None) -> None:
    """Log a person in, whatever the method (password, OpenID Connect, SAML): a new session id (nothing from
    before carries over but the language, typed text and ``keep``), a new server-side session that records the
    method, and a line in the login log. The caller commits. Every login method goes through here (ASVS V3/V7)."""
    kept = {key: session[key] for key in ("lang", "form_stash") if key in session}
    session.clear()
    session.update(kept)
    session.update(keep or {})
    session[SESSION_KEY] = services.start_session(person, client_address=client_address(), method=method)
    session.permanent = False
    current_app.logger.info("login of %s by %s from %s", person.email, method, client_address())
