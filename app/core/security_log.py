"""Refused access to objects, logged for security monitoring (OWASP ASVS 5.0 16.3.2; issue 13 item 6).

Every answer 403 or 404 to a URL that names an object (a rule with arguments: ``/visits/<visit_id>``…) writes one
line to the ``tillsyn.security`` logger: who (person id, or anonymous, and address), what (method, endpoint, the
object ids of the URL, the status), when (the log record's time). A person probing ids writes at most
``SECURITY_LOG_PER_MINUTE`` lines a minute; what is held back is counted in the next line that gets through, so a
flood is visible without flooding the log.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask, Response, current_app, request
from flask_login import current_user

log = logging.getLogger("tillsyn.security")

_lock = threading.Lock()
_windows: dict[str, tuple[float, int, int]] = {}  # who -> (window start, lines written, lines held back)
WINDOW_SECONDS = 60.0


def _who() -> str:
    user = current_user
    return f"user:{user.id}" if user and user.is_authenticated else f"anonymous@{request.remote_addr}"


def _admit(who: str, per_minute: int) -> tuple[bool, int]:
    """Whether this line may be written now, and how many were held back since the last one written."""
    now = time.monotonic()
    with _lock:
        start, written, held = _windows.get(who, (now, 0, 0))
        if now - start >= WINDOW_SECONDS:
            start, written = now, 0
        if written >= per_minute:
            _windows[who] = (start, written, held + 1)
            return False, 0
        _windows[who] = (start, written + 1, 0)
        return True, held


def log_refusal(response: Response) -> Response:
    """``after_request``: one line for a refused object URL (see the module's docstring)."""
    if response.status_code not in (403, 404) or not request.view_args or request.endpoint == "static":
        return response
    who = _who()
    allowed, held = _admit(who, int(current_app.config["SECURITY_LOG_PER_MINUTE"]))
    if allowed:
        objects = {key: str(value) for key, value in request.view_args.items()}
        log.warning(
            "access refused: %s from %s %s %s endpoint=%s objects=%s status=%d%s",
            who,
            request.remote_addr,
            request.method,
            request.path,
            request.endpoint,
            objects,
            response.status_code,
            f" (and {held} more held back)" if held else "",
            extra={
                "security_event": "access_refused",
                "actor": who,
                "client_address": request.remote_addr,
                "endpoint": request.endpoint,
                "objects": objects,
                "status": response.status_code,
            },
        )
    return response


def reset() -> None:
    """Forget the rate windows (tests)."""
    with _lock:
        _windows.clear()


def init_app(app: Flask) -> None:
    app.after_request(log_refusal)
