"""Request-wide behaviour of the browser UI and the API: language, login from the server-side session,
the audit context, security headers, and error pages that leak nothing."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Flask,
    Response,
    current_app,
    flash,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin, current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.core import audit
from app.core.errors import DomainError
from app.extensions import db, login_manager

log = logging.getLogger(__name__)
SESSION_KEY = "sid"

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class Anonymous(AnonymousUserMixin):
    language = None
    roles: frozenset = frozenset()
    is_staff = is_coordinator = is_reviewer = False

    def has_role(self, *roles: Any) -> bool:
        return False


def select_locale() -> str:
    langs = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.args.get("lang")
    if chosen and chosen in langs:
        session["lang"] = chosen
        return chosen
    user = current_user
    language = getattr(user, "language", None)
    if language in langs:
        return str(language)
    if session.get("lang") in langs:
        return str(session["lang"])
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def _load_user_from_session(_request: Any) -> Any:
    from app.auth import services

    if is_api_request():
        return _load_user_from_bearer()
    raw = session.get(SESSION_KEY)
    if not raw:
        return None
    row = services.load_session(raw)
    db.session.commit()  # the touch (or the ending of an idle session) stands on its own
    if row is None:
        session.pop(SESSION_KEY, None)
        g.session_expired = True
        return None
    return row.user


def _load_user_from_bearer() -> Any:
    from app.auth import services

    header = request.headers.get("Authorization", "")
    scheme, _sep, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    person = services.person_for_api_token(raw.strip())
    db.session.commit()
    return person


def client_address() -> str | None:
    return request.remote_addr


def _set_audit_context() -> None:
    if request.endpoint == "static":
        return
    user = current_user
    db.session.info["audit_context"] = audit.AuditContext(
        actor_id=user.id if user.is_authenticated else None,
        actor_label=None,
        client_address=client_address(),
        via="api" if is_api_request() else "web",
    )


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "geolocation=(), microphone=(), camera=(self)")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if current_user and current_user.is_authenticated and not request.path.startswith("/static/"):
        headers.setdefault("Cache-Control", "no-store")
    return response


def problem(status: int, title: str, detail: str = "", errors: dict[str, list[str]] | None = None) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


ERROR_TITLES = {
    400: lambda: _("The request could not be understood"),
    401: lambda: _("You need to log in"),
    403: lambda: _("You may not do this"),
    404: lambda: _("Page not found"),
    405: lambda: _("This action is not allowed here"),
    409: lambda: _("This is not possible right now"),
    413: lambda: _("The file is too large"),
    422: lambda: _("Some of the information is not valid"),
    429: lambda: _("Too many attempts"),
    500: lambda: _("Something went wrong"),
}


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages as ``{"findings.0.stance": [msg]}``: one dotted path per field."""
    if isinstance(messages, dict):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            flat.update(flatten_errors(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(messages, list) and any(isinstance(m, dict) for m in messages):
        flat = {}
        for message in messages:
            flat.update(flatten_errors(message, prefix))
        return flat
    listed = messages if isinstance(messages, list) else [messages]
    return {prefix or "_schema": [str(m) for m in listed]}


def _title(status: int) -> str:
    return ERROR_TITLES.get(status, ERROR_TITLES[500])()


def _handle_http(exc: HTTPException) -> Any:
    status = exc.code or 500
    if is_api_request():
        custom = exc.description != type(exc).description and isinstance(exc.description, str)
        detail = str(exc.description) if custom and status < 500 else ""
        errors = getattr(exc, "data", {}).get("messages") if hasattr(exc, "data") else None
        flat: dict[str, list[str]] | None = None
        if isinstance(errors, dict):  # webargs/marshmallow: {"json": {field: [msg]}}
            flat = {}
            for loc in errors.values():
                if isinstance(loc, dict):
                    flat.update(flatten_errors(loc))
        response = problem(status, _title(status), detail, flat)
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    if isinstance(exc, CSRFError):
        target = stash_form() if request.method == "POST" and current_user.is_authenticated else None
        if target:
            flash(_("The form had expired. What you typed is kept: check it and send it again."), "info")
            return redirect(target)
        return render_template("errors/csrf.html", title=_title(400)), 400
    return render_template("errors/error.html", status=status, title=_title(status)), status


def _handle_domain(exc: DomainError) -> Any:
    db.session.rollback()
    if is_api_request():
        return problem(exc.status, _title(exc.status), exc.message or "", exc.errors or None)
    return render_template(
        "errors/error.html", status=exc.status, title=_title(exc.status), detail=exc.message
    ), exc.status


def _handle_unexpected(exc: Exception) -> Any:
    log.exception("unhandled error on %s %s", request.method, request.path)
    db.session.rollback()
    if current_app.debug and not current_app.testing:
        raise exc
    if is_api_request():
        return problem(500, _title(500))
    return render_template("errors/error.html", status=500, title=_title(500)), 500


# ---- what a person typed survives an expired session or form -------------------------------------
# Text fields of a refused POST are kept (in the signed session cookie, so up to a few kB; the page's own
# script keeps longer drafts in the browser) and put back into the form of the page it came from.
STASH_KEY = "form_stash"
STASH_MAX_BYTES = 2500


def _referrer_path() -> str | None:
    """The page the form was on, if it is on this site."""
    from urllib.parse import urlsplit

    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if not referrer or parts.netloc != request.host or not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


SECRET_FIELD_WORDS = ("password", "token", "secret")


def is_secret_field(name: str) -> bool:
    """A field never kept in the cookie (signed, not encrypted): passwords, tokens, secrets (ASVS 7.2.1)."""
    return any(word in name.lower() for word in SECRET_FIELD_WORDS)


def stash_form() -> str | None:
    """Keep the posted text fields for the page the form came from; returns that page (or None)."""
    target = _referrer_path()
    if target is None:
        return None
    posted = request.form.items(multi=False)
    fields = {k: v for k, v in posted if k != "csrf_token" and len(v) < STASH_MAX_BYTES}
    if any(is_secret_field(name) for name in fields):
        fields = {}  # a form with a secret (its confirmation too) keeps nothing: nothing in it is worth the risk
    if sum(len(v) for v in fields.values()) <= STASH_MAX_BYTES:
        session[STASH_KEY] = {"path": target.split("?")[0], "fields": fields}
    return target


def take_stash(path: str) -> dict[str, str] | None:
    """The fields kept for this page, once."""
    stash = session.get(STASH_KEY)
    if not stash or stash.get("path") != path:
        return None
    session.pop(STASH_KEY, None)
    return dict(stash.get("fields") or {})


def _unauthorized() -> Any:
    if is_api_request():
        response = problem(401, _title(401), _("Send a valid token in the Authorization header: Bearer <token>."))
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    if request.method == "POST":
        target = stash_form()
        flash(
            _("You were logged out meanwhile. Log in again: what you typed is kept for you to check and save."), "info"
        )
        return redirect(url_for("auth.login", next=target))
    if g.get("session_expired"):
        flash(_("You were logged out after a while without activity. Log in again to continue."), "info")
    return redirect(url_for("auth.login", next=request.full_path))


def init_app(app: Flask) -> None:
    login_manager.anonymous_user = Anonymous
    login_manager.request_loader(_load_user_from_session)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page says it itself
    login_manager.unauthorized_handler(_unauthorized)
    app.before_request(_set_audit_context)
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(DomainError, _handle_domain)
    app.register_error_handler(Exception, _handle_unexpected)

    from app.core import access, timeline

    timeline.init_app(app)
    # The access policy's answers for templates deciding what to show (never what to fetch).
    app.jinja_env.globals.update(supervises=access.supervises, can_see_visit_content=access.can_see_visit_content)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        from flask_babel import get_locale

        def lang_url(code: str) -> str:
            """This page in another language, keeping its query (filters, page). A page answering a POST to an
            address that takes only POST (a form with errors) links to the page the form was on instead."""
            from urllib.parse import urlencode, urlsplit

            rule = request.url_rule
            if request.method != "GET" and rule is not None and "GET" not in (rule.methods or ()):
                page = urlsplit(_referrer_path() or url_for("main.index"))
                return f"{page.path}?{urlencode({'lang': code})}"
            args = request.args.to_dict(flat=False)
            args["lang"] = [code]
            return f"{request.path}?{urlencode(args, doseq=True)}"

        return {
            "lang_url": lang_url,
            "current_locale": str(get_locale()),
            "idle_timeout_seconds": current_app.config["IDLE_TIMEOUT_MINUTES"] * 60,
            "idle_warning_seconds": current_app.config["IDLE_WARNING_SECONDS"],
        }
