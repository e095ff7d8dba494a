"""Absolute links for what is read outside the browser: e-mails, calendar feeds (DESIGN.md 5)."""

from __future__ import annotations

from typing import Any

from flask import current_app


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of ``endpoint`` on ``PUBLIC_BASE_URL``, whatever request (or none) is running:
    ``external_url("visits.show", visit_id=v.id)`` → ``"https://tillsyn.example.se/visits/<id>"``.

    Built by the app's URL map as ``url_for(..., _external=True)`` builds it (URL defaults applied, a
    ``_anchor`` value becomes the fragment), so a link in an e-mail never repeats a path by hand. Raises
    ``werkzeug.routing.BuildError`` for an unknown endpoint or missing values."""
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    scheme, _, rest = base.partition("://")
    host, _, prefix = rest.partition("/")
    anchor = values.pop("_anchor", None)
    current_app.inject_url_defaults(endpoint, values)
    adapter = current_app.url_map.bind(host, script_name=f"/{prefix}" if prefix else "/", url_scheme=scheme)
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{anchor}" if anchor else url
