"""When a service the product depends on is away (API.md: "503 problem+json within 5 seconds"; issue 13 item 3).

- The engine gets a connect timeout and a statement timeout on PostgreSQL (``DB_CONNECT_TIMEOUT_SECONDS``,
  ``DB_STATEMENT_TIMEOUT_SECONDS``) and a bounded wait for a pooled connection, so a database that is down, or
  that accepts the connection and never answers, is noticed within seconds, not when gunicorn kills the worker.
- A database error of the operational kind (unreachable, timed out, connection lost) answers 503: problem+json in
  the API, a translated "try again shortly" page in the browser that needs no database to render.
- ``/healthz`` reports the database, Redis and the mail outbox (transport and what waits in it) apart, as JSON
  (``health_report``); a domain can add its own check with ``register_check``.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, render_template
from flask_babel import gettext as _
from sqlalchemy import text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.extensions import db, login_manager

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
_last_logged = 0.0


def engine_options(config: dict[str, Any]) -> dict[str, Any]:
    """``SQLALCHEMY_ENGINE_OPTIONS`` for the configured database: timeouts on PostgreSQL (seconds in the config,
    milliseconds for the server's ``statement_timeout``), a bounded pool wait everywhere but SQLite in memory."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options.setdefault("pool_pre_ping", True)
    uri = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
    if uri.startswith("postgresql"):
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("connect_timeout", int(config["DB_CONNECT_TIMEOUT_SECONDS"]))
        statement_ms = int(float(config["DB_STATEMENT_TIMEOUT_SECONDS"]) * 1000)
        if statement_ms > 0:
            connect_args.setdefault("options", f"-c statement_timeout={statement_ms}")
        options["connect_args"] = connect_args
        options.setdefault("pool_timeout", int(config["DB_CONNECT_TIMEOUT_SECONDS"]))
    return options


def _unavailable(exc: Exception) -> Any:
    """The database is away: 503, without touching the database again while answering."""
    global _last_logged
    from app.core.web import is_api_request, problem

    db.session.rollback()
    g._login_user = login_manager.anonymous_user()  # nobody is loaded from a database that is away
    now = time.monotonic()
    if now - _last_logged > 10:  # one line per ten seconds, not one per request, while it lasts
        _last_logged = now
        log.error("database unavailable: %s", type(exc.__cause__ or exc).__name__)
    title = _("The service is unavailable for a moment")
    detail = _("The database cannot be reached right now. Try again shortly.")
    if is_api_request():
        response = problem(503, title, detail)
    else:
        response = current_app.make_response(
            (render_template("errors/unavailable.html", title=title, detail=detail), 503)
        )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


# ---- /healthz ----------------------------------------------------------------------------------------------------

Check = Callable[[], dict[str, Any]]
_checks: dict[str, Check] = {}


def register_check(name: str, check: Check) -> None:
    """Add (or replace) a part of ``/healthz``: ``check()`` returns ``{"status": "ok"|"unavailable"|…, …}`` and
    must answer within a couple of seconds; an exception counts as ``unavailable``."""
    _checks[name] = check


def _database() -> dict[str, Any]:
    try:
        db.session.execute(text("SELECT 1"))
        return {"status": "ok"}
    except (OperationalError, InterfaceError, PoolTimeout) as exc:
        db.session.rollback()
        return {"status": "unavailable", "error": type(exc.orig if hasattr(exc, "orig") else exc).__name__}


def _redis() -> dict[str, Any]:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return {"status": "not_configured"}
    import redis

    timeout = float(current_app.config["DB_CONNECT_TIMEOUT_SECONDS"])
    try:
        redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout).ping()
        return {"status": "ok"}
    except redis.RedisError as exc:
        return {"status": "unavailable", "error": type(exc).__name__}


def _mail_outbox() -> dict[str, Any]:
    """The durable outbox (DESIGN.md 4.9): can mail leave at all (the SMTP server answers, or the outbox folder
    is writable), and how much waits to be sent (``waiting``, through the partial index of unsent rows) and how
    long the oldest has waited (``oldest_waiting_seconds``)."""
    from sqlalchemy import func, select

    from app.core.models import OutboxEmail, OutboxStatus, utcnow
    from app.extensions import db

    config = current_app.config
    if config.get("SMTP_HOST"):
        try:
            with socket.create_connection(
                (config["SMTP_HOST"], int(config["SMTP_PORT"])), timeout=float(config["DB_CONNECT_TIMEOUT_SECONDS"])
            ):
                report: dict[str, Any] = {"status": "ok", "transport": "smtp"}
        except OSError as exc:
            report = {"status": "unavailable", "transport": "smtp", "error": type(exc).__name__}
    else:
        folder = Path(config["MAIL_OUTBOX_DIR"])
        try:
            folder.mkdir(parents=True, exist_ok=True)
            writable = folder.is_dir() and _writable(folder)
        except OSError:
            writable = False
        report = {"status": "ok" if writable else "unavailable", "transport": "files"}
    if g.get("database_away"):
        return report  # what waits is in the database, which the database's own check found away
    try:
        waiting, oldest = db.session.execute(
            select(func.count(), func.min(OutboxEmail.created_at)).where(
                OutboxEmail.status.in_([OutboxStatus.queued, OutboxStatus.sending])
            )
        ).one()
        db.session.rollback()
    except Exception:
        db.session.rollback()
        return report
    report["waiting"] = int(waiting or 0)
    if oldest is not None:
        if oldest.tzinfo is None:
            from datetime import UTC

            oldest = oldest.replace(tzinfo=UTC)
        report["oldest_waiting_seconds"] = int((utcnow() - oldest).total_seconds())
    return report


def _writable(folder: Path) -> bool:
    import os

    return os.access(folder, os.W_OK)


def health_report() -> tuple[dict[str, Any], int]:
    """``({"status": "ok"|"unavailable", "database": {...}, "redis": {...}, "mail_outbox": {...}}, http_status)``:
    503 when the database or a configured Redis is away (the product cannot work); a mail problem alone is
    reported but answers 200 (mail waits in the outbox, DESIGN.md 4.9)."""
    parts: dict[str, Any] = {}
    for name, check in {"database": _database, "redis": _redis, "mail_outbox": _mail_outbox, **_checks}.items():
        try:
            parts[name] = check()
        except Exception as exc:
            parts[name] = {"status": "unavailable", "error": type(exc).__name__}
        if name == "database" and parts[name]["status"] == "unavailable":
            g.database_away = True  # later checks don't wait for it again (the answer stays within 5 s)
    essential_down = any(parts[name]["status"] == "unavailable" for name in ("database", "redis"))
    parts = {"status": "unavailable" if essential_down else "ok", **parts}
    return parts, 503 if essential_down else 200


def init_app(app: Flask) -> None:
    """Answer 503 for a database that is away (the engine options are set by ``create_app`` before ``db``)."""
    for error in (OperationalError, InterfaceError, PoolTimeout):
        app.register_error_handler(error, _unavailable)
