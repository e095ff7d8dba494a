"""The application factory: configuration, extensions, blueprints, CLI. Nothing else."""

from __future__ import annotations

import os
from datetime import date
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import BASE_DIR, INSTANCE_DIR, Config, config_from_env


def create_app(config: type[Config] | dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder="../templates",
        static_folder="static",
    )
    if isinstance(config, dict):
        app.config.from_object(config_from_env())
        app.config.update(config)
    else:
        app.config.from_object(config or config_from_env())
    _check_config(app)
    from app.auth.sessions import configure_cookie

    configure_cookie(app)
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    # The per-file limit is checked (with a clear message) by the evidence service; this bounds a whole request.
    app.config["MAX_CONTENT_LENGTH"] = (
        (app.config["MAX_UPLOAD_MB"] * app.config["MAX_FILES_PER_UPLOAD"] + 1) * 1024 * 1024
    )

    from app.core import availability, security_log
    from app.extensions import babel, celery_init_app, csrf, db, limiter, login_manager, migrate

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = availability.engine_options(app.config)

    db.init_app(app)
    from app.core import fulltext

    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), include_object=fulltext.include_object)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    celery_init_app(app)

    from app.core import audit, pagination, sqlite, tasks, web
    from app.core import input as input_layer

    sqlite.install()
    audit.install()
    tasks.install()
    babel.init_app(app, locale_selector=web.select_locale, timezone_selector=lambda: "Europe/Stockholm")
    web.init_app(app)
    input_layer.init_app(app)
    pagination.init_app(app)
    availability.init_app(app)
    security_log.init_app(app)

    from app import (
        admin,
        api,
        auth,
        dialogue,
        followups,
        learning,
        main,
        offline,
        planning,
        search,
        trust,
        units,
        visits,
    )

    domains = (auth, main, units, visits, followups, trust, dialogue, learning, planning, search, admin, api, offline)
    for domain in domains:
        domain.init_app(app)

    from app import cli

    cli.init_app(app)
    return app


MISSING_SECRET_KEY = "SECRET_KEY is not set. Set it in the environment (refusing to start without it)."  # noqa: S105


def _check_config(app: Flask) -> None:
    """A malformed assessment date stops the start, rather than every visit to the accessibility statement.

    No secret key outside debug: the web server and the workers refuse to start. Operators' commands
    (``flask db upgrade``, ``flask users create``) sign nothing and may run, but even then no request is served."""
    try:
        date.fromisoformat(str(app.config["ACCESSIBILITY_ASSESSED_ON"]))
    except ValueError:
        raise RuntimeError("ACCESSIBILITY_ASSESSED_ON must be a date written YYYY-MM-DD.") from None
    if app.config.get("SECRET_KEY") or app.debug or app.testing:
        return
    if os.environ.get("FLASK_RUN_FROM_CLI") != "true":  # set by the Flask command line before it loads the app
        raise RuntimeError(MISSING_SECRET_KEY)

    @app.before_request
    def _refuse_without_secret_key() -> None:
        raise RuntimeError(MISSING_SECRET_KEY)
