"""/api/v1 endpoints of the dialogue domain: a visit's and a finding's conversation (read, write, mark read),
the list of conversations, and attachments. Internal notes only ever reach the supervising side (API.md)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError, fields, validate

from app.api.blueprint import blp
from app.api.idempotency import idempotent
from app.api.schemas import ApiSchema, PageArgs, PageSchema
from app.core.errors import InvalidInput
from app.core.files import stored_file_response
from app.dialogue import services


class AuthorSchema(ApiSchema):
    id = fields.UUID()
    name = fields.String()


class AttachmentSchema(ApiSchema):
    id = fields.UUID()
    name = fields.String(metadata={"description": "The file's name as uploaded (cleaned)."})
    kind = fields.String(metadata={"description": "photo or document"})
    content_type = fields.String()
    size_bytes = fields.Integer()
    url = fields.String(metadata={"description": "Download with the same bearer token."})


class MessageSchema(ApiSchema):
    id = fields.UUID()
    thread_id = fields.UUID()
    visit_id = fields.UUID()
    finding_id = fields.UUID(allow_none=True)
    author = fields.Nested(AuthorSchema, allow_none=True)
    author_side = fields.String(metadata={"description": "supervisor or unit: the capacity the author wrote in"})
    text = fields.String()
    internal = fields.Boolean(metadata={"description": "An internal note; never shown to the unit"})
    created_at = fields.DateTime()
    attachments = fields.List(fields.Nested(AttachmentSchema))
    unread = fields.Boolean(metadata={"description": "New to the caller: by someone else, after their read mark"})


class MessagePage(PageSchema):
    items = fields.List(fields.Nested(MessageSchema), required=True)
    unread = fields.Integer(metadata={"description": "Messages of this conversation still new to the caller"})


class MessageCreateSchema(ApiSchema):
    id = fields.UUID(load_default=None, metadata={"description": "Client-generated; a repeat returns the first"})
    text = fields.String(load_default="", validate=validate.Length(max=services.MAX_TEXT_LENGTH))
    internal = fields.Boolean(load_default=False)


class MarkReadSchema(ApiSchema):
    up_to = fields.AwareDateTime(
        load_default=None, metadata={"description": "Mark read up to here (the newest message shown); default now"}
    )


class ReadStateSchema(ApiSchema):
    unread = fields.Integer()


class ThreadSchema(ApiSchema):
    id = fields.UUID()
    unit_id = fields.UUID()
    visit_id = fields.UUID()
    finding_id = fields.UUID(allow_none=True)
    title = fields.String()
    message_count = fields.Integer()
    unread_count = fields.Integer()
    last_activity_at = fields.DateTime()
    messages_url = fields.String()


class ThreadPage(PageSchema):
    items = fields.List(fields.Nested(ThreadSchema), required=True)


class ThreadQueryArgs(PageArgs):
    unread = fields.Boolean(load_default=False, metadata={"description": "Only conversations with new messages"})


MESSAGE_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": MessageCreateSchema},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "text": {"type": "string"},
                    "internal": {"type": "boolean"},
                    "id": {"type": "string", "format": "uuid"},
                    "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                },
            }
        },
    },
}


def _message_json(message: Any, view: services.ThreadView | None) -> dict[str, Any]:
    thread = message.thread
    return {
        "id": message.id,
        "thread_id": message.thread_id,
        "visit_id": thread.visit_id,
        "finding_id": thread.finding_id,
        "author": {"id": message.author.id, "name": message.author.name} if message.author else None,
        "author_side": message.author_side.value,
        "text": message.text,
        "internal": message.is_internal,
        "created_at": message.created_at,
        "attachments": [
            {
                "id": a.id,
                "name": a.original_name,
                "kind": a.kind.value,
                "content_type": a.content_type,
                "size_bytes": a.size_bytes,
                "url": url_for("api_v1.get_attachment", attachment_id=a.id),
            }
            for a in message.attachments
        ],
        "unread": view.is_new(message, current_user) if view is not None else False,
    }


def _thread_page(args: dict, **subject: uuid.UUID) -> dict[str, Any]:
    view = services.thread_view(actor=current_user, page=args["page"], per_page=args["per_page"], **subject)
    return {
        "items": [_message_json(m, view) for m in view.messages],
        "page": view.page.page,
        "per_page": view.page.per_page,
        "total": view.page.total,
        "unread": view.unread_count,
    }


def _create_args() -> tuple[dict[str, Any], list[services.Upload]]:
    """JSON, or multipart with files (the same upload rules as evidence)."""
    uploads: list[services.Upload] = []
    if request.mimetype == "multipart/form-data":
        raw: dict[str, Any] = {k: v for k, v in request.form.items() if k in ("id", "text", "internal") and v != ""}
        uploads = [
            services.Upload(f.filename or "", f.read()) for f in request.files.getlist("files") if f and f.filename
        ]
    else:
        body = request.get_json(silent=True)
        if body is not None and not isinstance(body, dict):
            raise InvalidInput({"json": [_("Send a JSON object.")]})
        raw = body or {}
    try:
        return MessageCreateSchema().load(raw), uploads
    except ValidationError as exc:
        errors = exc.messages if isinstance(exc.messages, dict) else {"json": exc.messages}
        flat = {k: [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in errors.items()}
        raise InvalidInput(flat) from None


def _create(**subject: uuid.UUID) -> tuple[dict[str, Any], int]:
    data, uploads = _create_args()
    message = services.post_message(
        actor=current_user,
        text=data["text"],
        internal=data["internal"],
        uploads=uploads,
        message_id=data["id"],
        **subject,
    )
    return _message_json(message, None), 201


def _mark_read(data: dict, **subject: uuid.UUID) -> dict[str, int]:
    return {"unread": services.mark_read(actor=current_user, up_to=data.get("up_to"), **subject)}


@blp.route("/visits/<uuid:visit_id>/messages", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, MessagePage)
def list_visit_messages(args: dict, visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """The visit's conversation, oldest first (without ``page``: the newest page). Internal notes only for the
    review team and coordinators."""
    return _thread_page({**args, "page": args["page"] if "page" in request.args else None}, visit_id=visit_id)


@blp.route("/visits/<uuid:visit_id>/messages", methods=["POST"])
@blp.doc(requestBody=MESSAGE_BODY)
@idempotent
@blp.response(201, MessageSchema)
def create_visit_message(visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Write in the visit's conversation; ``internal`` only for the review team and coordinators (else 403)."""
    return _create(visit_id=visit_id)


@blp.route("/visits/<uuid:visit_id>/messages/read", methods=["POST"])
@idempotent
@blp.arguments(MarkReadSchema)
@blp.response(200, ReadStateSchema)
def read_visit_messages(data: dict, visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Mark the visit's conversation read (up to ``up_to``); answers how many messages are still new."""
    return _mark_read(data, visit_id=visit_id)


@blp.route("/findings/<uuid:finding_id>/messages", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, MessagePage)
def list_finding_messages(args: dict, finding_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """A finding's conversation; 404 to the unit until the report is sent for comment."""
    return _thread_page({**args, "page": args["page"] if "page" in request.args else None}, finding_id=finding_id)


@blp.route("/findings/<uuid:finding_id>/messages", methods=["POST"])
@blp.doc(requestBody=MESSAGE_BODY)
@idempotent
@blp.response(201, MessageSchema)
def create_finding_message(finding_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Write in a finding's conversation; before kommunicering only internal notes (409 otherwise)."""
    return _create(finding_id=finding_id)


@blp.route("/findings/<uuid:finding_id>/messages/read", methods=["POST"])
@idempotent
@blp.arguments(MarkReadSchema)
@blp.response(200, ReadStateSchema)
def read_finding_messages(data: dict, finding_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Mark a finding's conversation read (up to ``up_to``)."""
    return _mark_read(data, finding_id=finding_id)


@blp.route("/threads", methods=["GET"])
@blp.arguments(ThreadQueryArgs, location="query")
@blp.response(200, ThreadPage)
def list_threads(args: dict):  # type: ignore[no-untyped-def]
    """Conversations the caller may read, the newest activity first, with how many messages are new."""
    page = services.thread_list(current_user, unread_only=args["unread"], page=args["page"], per_page=args["per_page"])
    items = [
        {
            "id": s.thread.id,
            "unit_id": s.thread.unit_id,
            "visit_id": s.thread.visit_id,
            "finding_id": s.thread.finding_id,
            "title": s.title,
            "message_count": s.message_count,
            "unread_count": s.unread_count,
            "last_activity_at": s.last_activity_at,
            "messages_url": url_for("api_v1.list_finding_messages", finding_id=s.thread.finding_id)
            if s.thread.finding_id
            else url_for("api_v1.list_visit_messages", visit_id=s.thread.visit_id),
        }
        for s in page.items
    ]
    return {"items": items, "page": page.page, "per_page": page.per_page, "total": page.total}


@blp.route("/attachments/<uuid:attachment_id>", methods=["GET"])
@blp.response(200, content_type="application/octet-stream")
def get_attachment(attachment_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """An attached file of a message the caller may read (an internal note's files only for the supervising side)."""
    return stored_file_response(services.get_attachment(current_user, attachment_id))
