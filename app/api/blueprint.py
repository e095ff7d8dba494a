from __future__ import annotations

from flask import abort, request
from flask_login import current_user
from flask_smorest import Blueprint

from app.core import access

blp = Blueprint("api_v1", __name__, url_prefix="/api/v1", description="Lärande tillsyn API v1")


@blp.before_request
def _require_token() -> None:
    if not current_user.is_authenticated:
        abort(401)


@blp.before_request
def _url_objects_through_the_access_policy() -> None:
    """For a write, another unit's object (or a draft's finding, for the unit) is a 404 before the body is
    read, so what the body holds (a 422) never tells whether the object exists. The domains register the
    objects their URLs name (``access.register_guarded_object``); reads fetch their object first anyway."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    access.guard_url_objects(current_user, request.view_args)
