"""/api/v1 endpoint of the audit trail (``GET /audit``)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from app.api.blueprint import blp
from app.api.visits_common import problems
from app.api.visits_schemas import (
    AuditPage,
    AuditQueryArgs,
)
from app.core import access
from app.core.models import AuditEvent
from app.core.pagination import paginate_deferred
from app.core.timeline import prefetch, sentence

# ---- the audit trail ------------------------------------------------------------------------------


class AuditOut:
    def __init__(self, event: Any) -> None:
        self._event = event

    def __getattr__(self, name: str) -> Any:
        event = self._event
        if name == "summary":
            return sentence(event)
        if name == "changes":
            return access.visible_audit_changes(current_user, event)
        if name == "client_address" and not current_user.is_coordinator:
            raise AttributeError(name)
        return getattr(event, name)


@blp.route("/audit", methods=["GET"])
@blp.arguments(AuditQueryArgs, location="query")
@blp.response(200, AuditPage)
@problems(403, 404, 422)
def list_audit_events(args: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The audit trail, oldest first: with ``object_type`` and ``object_id`` the events of that object and of
    its parts (for ``unit``: everything that happened in the unit, as its timeline shows).

    Coordinators read everything. Reviewers read the trail of units, visits and templates (not people's
    accounts: 403 for those). A unit member reads only their own units' events of the kinds a unit may see,
    without the review team's working text; any other object is a 404."""
    query = access.audit_events(current_user, object_type=args.get("object_type"), object_id=args.get("object_id"))
    page = paginate_deferred(query, args, AuditEvent, per_page=50)  # a deep page reads the index, not the rows before
    return {
        "items": [AuditOut(e) for e in prefetch(page.items)],
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
    }
