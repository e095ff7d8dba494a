"""/api/v1/search (issue 16)"""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from marshmallow import fields, validate

from app.api.blueprint import blp
from app.api.schemas import ApiSchema
from app.search import services


class SearchArgs(ApiSchema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=200))


class HitSchema(ApiSchema):
    kind = fields.String()
    id = fields.UUID()
    title = fields.String()
    excerpt = fields.String()
    rank = fields.Float()
    unit_name = fields.String()
    visit_id = fields.UUID(allow_none=True)
    finding_id = fields.UUID(allow_none=True)


class CaseSchema(ApiSchema):
    id = fields.UUID()
    case_number = fields.String()


class SearchResultSchema(ApiSchema):
    query = fields.String()
    visit = fields.Nested(CaseSchema, allow_none=True)
    items = fields.List(fields.Nested(HitSchema), attribute="hits")


@blp.route("/search", methods=["GET"])
@blp.arguments(SearchArgs, location="query")
@blp.response(200, SearchResultSchema)
def search(args: dict[str, Any]):  # type: ignore[no-untyped-def]
    """A case number gives ``visit`` (the visit it names, if the caller may see it); otherwise ``items``: ranked
    hits across units, visits, findings, follow-ups and messages, within what the caller may see."""
    return services.search(current_user, args["q"])
