"""Request-wide behaviour of the browser UI and the API: language, login from the server-side session,
the audit context, security headers, and error pages that leak nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable
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
from sqlalchemy import inspect as sa_inspect
from werkzeug.exceptions import HTTPException

from app.core import audit, drafts
from app.core.errors import DomainError
from app.extensions import db, login_manager

log = logging.getLogger(__name__)
SESSION_KEY = "sid"

# blob: images: the tablet decodes a photo taken offline through an <img> where createImageBitmap is missing.
CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
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


# How a login session's token and an API bearer token become a person: filled by app.auth (the kernel knows no
# domain). Each takes the raw token and returns the person or None; the touch it makes is committed here.
_identity_loaders: dict[str, Callable[[str], Any]] = {}


def register_identity_loaders(
    *,
    session_token: Callable[[str], Any],
    bearer_token: Callable[[str], Any],
    session_owner: Callable[[str], Any] | None = None,
) -> None:
    """Tell the kernel how to find the person of a request: ``session_token(raw)`` for the browser's session
    cookie, ``bearer_token(raw)`` for the API's Authorization header; each returns the person or None.
    ``session_owner(raw)`` names the person (id) whose session a token was, even after it ended, so that what
    they typed can be kept for them (app.core.drafts)."""
    _identity_loaders["session"] = session_token
    _identity_loaders["bearer"] = bearer_token
    if session_owner is not None:
        _identity_loaders["session_owner"] = session_owner


def _load_user_from_session(_request: Any) -> Any:
    if is_api_request() and (request.headers.get("Authorization") or not request.headers.get(CSRF_HEADER)):
        return _load_user_from_bearer()
    raw = session.get(SESSION_KEY)
    if not raw:
        return None
    if is_api_request() and not _csrf_header_is_valid():
        return None
    person = _commit_keeping(lambda: _identity_loaders["session"](raw))  # the touch (or the ending) stands alone
    if person is None:
        session.pop(SESSION_KEY, None)
        g.session_expired = True
        owner = _identity_loaders.get("session_owner")
        g.expired_person_id = owner(raw) if owner else None  # whose typed text to keep (app.core.drafts)
        return None
    return person


# The page's own script calls the API with the browser session (the tablet's offline queue, DESIGN.md 4.8); such a
# call must carry the page's CSRF token in this header, since the cookie alone would ride along on any site's request.
CSRF_HEADER = "X-CSRFToken"


def _csrf_header_is_valid() -> bool:
    from flask_wtf.csrf import validate_csrf
    from wtforms import ValidationError

    try:
        validate_csrf(request.headers.get(CSRF_HEADER))
    except ValidationError:
        return False
    return True


def _load_user_from_bearer() -> Any:
    header = request.headers.get("Authorization", "")
    scheme, _sep, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    return _commit_keeping(lambda: _identity_loaders["bearer"](raw.strip()))


def _commit_keeping(load: Callable[[], Any]) -> Any:
    """Run an identity loader and commit what it wrote (a session's touch or ending, a token's last use) on its
    own, keeping what the loader read — the person, their roles, the session row — loaded: a commit would expire
    them and the page's first look at the person would read them again (two statements on every page, issue
    17). Objects the session held before the loader ran are expired as a commit expires them."""
    session = db.session()
    before = set(session.identity_map.values())
    result = load()
    keep_loaded, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep_loaded
    if keep_loaded:
        for obj in before:
            if sa_inspect(obj).persistent:
                session.expire(obj)
    return result


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
        # The form's owner: the person logged in, or the one whose session ran out meanwhile.
        person = current_user.id if current_user.is_authenticated else g.get("expired_person_id")
        target = drafts.stash_form(person) if request.method == "POST" and person else None
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


def _unauthorized() -> Any:
    if is_api_request():
        response = problem(401, _title(401), _("Send a valid token in the Authorization header: Bearer <token>."))
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    if request.method == "POST":
        target = drafts.stash_form(g.get("expired_person_id"))
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
    drafts.init_app(app)

    from app.core import access, timeline

    timeline.init_app(app)
    # The jäv primitive for templates deciding what to show (never what to fetch); each domain registers its
    # own predicates (app/<domain>/policy.py).
    app.jinja_env.globals.update(supervises=access.supervises)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        from flask_babel import get_locale

        def lang_url(code: str) -> str:
            """This page in another language, keeping its query (filters, page). A page answering a POST to an
            address that takes only POST (a form with errors) links to the page the form was on instead."""
            from urllib.parse import urlencode, urlsplit

            rule = request.url_rule
            if request.method != "GET" and rule is not None and "GET" not in (rule.methods or ()):
                page = urlsplit(drafts.referrer_path() or url_for("main.index"))
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
