from __future__ import annotations

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint

blp = Blueprint("api_v1", __name__, url_prefix="/api/v1", description="Lärande tillsyn API v1")


@blp.before_request
def _require_token() -> None:
    if not current_user.is_authenticated:
        abort(401)
