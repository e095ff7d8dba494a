"""Thin views of the installable web app (DESIGN.md 4.8)."""

from __future__ import annotations

from pathlib import Path

from flask import Response, current_app, jsonify, render_template
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from app.offline import bp


@bp.get("/sw.js")
def service_worker() -> Response:
    """The service worker (built by ``npm run build`` into app/static/dist, committed), served from the root so its
    scope covers every page; never cached by the browser's HTTP cache, so a new version is picked up at once."""
    script = Path(current_app.static_folder or "static", "dist", "sw.js").read_bytes()
    response = Response(script, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline")
def offline_page() -> str:
    """What the tablet shows for a page it does not keep while there is no network (the service worker caches it
    at install). Holds nothing of any person."""
    return render_template("offline/offline.html")


@bp.get("/session/state")
def session_state() -> tuple[Response, int]:
    """For the offline queue before it sends: ``{"user_id", "csrf_token"}`` of the person logged in now, or 401
    ``{"user_id": null}``; the queue only goes out under the person who recorded it."""
    if not current_user.is_authenticated:
        return jsonify({"user_id": None}), 401
    response = jsonify({"user_id": str(current_user.id), "csrf_token": generate_csrf()})
    return response, 200
