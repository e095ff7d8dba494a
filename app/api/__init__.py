"""JSON API v1 (API.md): bearer tokens, problem+json, pagination, Idempotency-Key, OpenAPI from the code."""

from __future__ import annotations

from flask import Flask, jsonify
from flask_smorest import Api as SmorestApi

from app.extensions import csrf

API_PREFIX = "/api/v1"


class Api(SmorestApi):
    def _register_error_handlers(self) -> None:
        """Errors are answered by app.core.web as problem+json (RFC 9457) for every /api/ path."""


def init_app(app: Flask) -> None:
    from app.api import (  # noqa: F401  (routes)
        audit,
        dialogue,
        findings,
        followups,
        learning,
        planning,
        search,
        sync,
        trust,
        units,
        visits,
    )
    from app.api.blueprint import blp

    api = Api(
        app,
        spec_kwargs={
            "info": {"description": "Lärande tillsyn — JSON API v1. See API.md for the conventions."},
            "servers": [{"url": "/"}],
            "components": {
                "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            },
            "security": [{"bearerAuth": []}],
        },
    )
    csrf.exempt(blp)  # bearer tokens, not cookies: CSRF cannot ride on them
    api.register_blueprint(blp)
    app.extensions["tillsyn_api"] = api

    @app.get(f"{API_PREFIX}/openapi.json")
    def openapi_document():  # type: ignore[no-untyped-def]
        return jsonify(api.spec.to_dict())
