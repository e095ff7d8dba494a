"""/api/v1 endpoint of the tablet's offline queue (``POST /sync``): each operation applied as its own endpoint
would apply it, in a savepoint of its own, at most once per client id."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError

from app.api.blueprint import blp
from app.api.findings import op_add_finding, op_delete_evidence, op_delete_finding, op_update_finding
from app.api.idempotency import IdempotencyRecord, idempotent
from app.api.visits import op_create_visit, op_transition, op_update_visit
from app.api.visits_common import IDEMPOTENCY_KEY, problems
from app.api.visits_schemas import (
    FindingCreateSchema,
    FindingPatchSchema,
    FindingSchema,
    SyncRequestSchema,
    SyncResponseSchema,
    TransitionSchema,
    VisitCreateSchema,
    VisitDetailSchema,
    VisitPatchSchema,
)
from app.auth.models import Role
from app.core import access
from app.core import input as input_layer
from app.core.errors import DomainError
from app.core.web import ERROR_TITLES, flatten_errors
from app.extensions import db

# ---- the tablet's offline queue -------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    run: Callable[..., Any]
    body: type[Schema] | None  # the arguments besides the object's id
    object_arg: str | None  # the argument naming the object ("visit_id"…)
    status: int
    answer: type[Schema] | None


OPERATIONS: dict[str, Operation] = {
    "create_visit": Operation(
        lambda _oid, data: op_create_visit(data), VisitCreateSchema, None, 201, VisitDetailSchema
    ),
    "update_visit": Operation(op_update_visit, VisitPatchSchema, "visit_id", 200, VisitDetailSchema),
    "transition": Operation(op_transition, TransitionSchema, "visit_id", 200, VisitDetailSchema),
    "add_finding": Operation(op_add_finding, FindingCreateSchema, "visit_id", 201, FindingSchema),
    "update_finding": Operation(op_update_finding, FindingPatchSchema, "finding_id", 200, FindingSchema),
    "delete_finding": Operation(op_delete_finding, None, "finding_id", 204, None),
    "delete_evidence": Operation(op_delete_evidence, None, "evidence_id", 204, None),
}


def _problem_body(status: int, detail: str = "", errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    title = _("Not applied") if status == 424 else ERROR_TITLES.get(status, ERROR_TITLES[500])()
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    return body


def _load_operation(operation: Operation, args: dict[str, Any]) -> tuple[uuid.UUID | None, dict[str, Any]]:
    """The object's id and the validated body, or a ValidationError naming the fields under ``args``."""
    rest = dict(args)
    object_id: uuid.UUID | None = None
    errors: dict[str, Any] = {}
    if operation.object_arg:
        raw = rest.pop(operation.object_arg, None)
        try:
            object_id = uuid.UUID(str(raw)) if raw is not None else None
        except ValueError:
            object_id = None
        if object_id is None:
            errors[operation.object_arg] = [_("Enter an id (a UUID).")]
    data: dict[str, Any] = {}
    if operation.body is not None:
        try:
            data = operation.body().load(rest)
        except ValidationError as exc:
            errors.update(exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages})
    elif rest:
        errors.update({key: [_("This field is not part of the request.")] for key in rest})
    if errors:
        raise ValidationError(errors)
    return object_id, data


# Characters no text of the product holds: C0 controls but tab and line breaks, DEL, and lone surrogates (which
# JSON can carry but UTF-8 and PostgreSQL cannot). API.md: such text is a 422 naming the field, never a 500.
_REFUSED_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _unstorable_text(value: Any, path: str) -> dict[str, list[str]]:
    """``{"args.text": [msg]}`` for every string under ``value`` (dicts and lists walked) holding a character
    that text may not hold; empty when all is well."""
    if isinstance(value, str):
        return {path: [_("Remove the control characters from this text.")]} if _REFUSED_CHARACTERS.search(value) else {}
    found: dict[str, list[str]] = {}
    if isinstance(value, dict):
        for key, inner in value.items():
            found.update(_unstorable_text(inner, f"{path}.{key}"))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found.update(_unstorable_text(inner, f"{path}.{index}"))
    return found


def _stored(key: str) -> IdempotencyRecord | None:
    return db.session.scalar(
        select(IdempotencyRecord).where(IdempotencyRecord.user_id == current_user.id, IdempotencyRecord.key == key)
    )


def _replayed(item: dict[str, Any], record: IdempotencyRecord, fingerprint: str) -> dict[str, Any]:
    if record.fingerprint != fingerprint:
        return {
            **item,
            "status": 422,
            "replayed": False,
            "problem": _problem_body(
                422,
                _("This operation id was already used for a different operation."),
                {"id": [_("Use a new id for a different operation.")]},
            ),
        }
    body = json.loads(record.body)
    return {**item, "status": record.status_code, "replayed": True, **({"body": body} if body is not None else {})}


def apply_operation(raw: dict[str, Any]) -> dict[str, Any]:
    """Apply one queued write in a savepoint of its own; its result is kept under the operation's id, so a
    replay answers that result and changes nothing. A failure leaves nothing behind (not even a result):
    sending the operation again, once what stopped it is fixed, tries it again."""
    item = {"id": raw["id"], "op": raw["op"]}
    operation = OPERATIONS[raw["op"]]
    key = f"sync:{raw['id']}"
    fingerprint = hashlib.sha256(
        json.dumps({"op": raw["op"], "args": raw.get("args") or {}}, sort_keys=True, default=str).encode()
    ).hexdigest()
    if unstorable := _unstorable_text(raw.get("args") or {}, "args"):
        first = next(iter(unstorable.values()))[0]
        return {**item, "status": 422, "replayed": False, "problem": _problem_body(422, first, unstorable)}
    if (record := _stored(key)) is not None:
        return _replayed(item, record, fingerprint)
    try:
        object_id, data = _load_operation(operation, raw.get("args") or {})
    except ValidationError as exc:
        errors = {f"args.{k}": v for k, v in flatten_errors(exc.messages).items()}
        first = next(iter(errors.values()), [""])[0]
        return {**item, "status": 422, "replayed": False, "problem": _problem_body(422, first, errors)}
    savepoint = db.session.begin_nested()
    try:
        result = operation.run(object_id, data)
        body = operation.answer().dump(result) if operation.answer is not None else None
        db.session.add(
            IdempotencyRecord(
                user_id=current_user.id,
                key=key,
                fingerprint=fingerprint,
                status_code=operation.status,
                body=json.dumps(body),
            )
        )
        db.session.flush()
        savepoint.commit()
    except DomainError as exc:
        savepoint.rollback()
        named = {f"args.{k}": v for k, v in exc.errors.items()}
        return {
            **item,
            "status": exc.status,
            "replayed": False,
            "problem": _problem_body(exc.status, exc.message, named or None),
        }
    except DataError:
        savepoint.rollback()  # a value the database cannot hold (say, a number out of its range): this item only
        return {
            **item,
            "status": 422,
            "replayed": False,
            "problem": _problem_body(422, _("A value of this operation cannot be stored. Check what was typed.")),
        }
    except IntegrityError:
        savepoint.rollback()  # the same operation, applied by a concurrent request meanwhile
        if (record := _stored(key)) is not None:
            return _replayed(item, record, fingerprint)
        return {
            **item,
            "status": 409,
            "replayed": False,
            "problem": _problem_body(409, _("Someone changed the same thing at the same time. Send it again.")),
        }
    return {**item, "status": operation.status, "replayed": False, **({"body": body} if body is not None else {})}


@blp.route("/sync", methods=["POST"])
@idempotent
@blp.arguments(SyncRequestSchema)
@blp.response(200, SyncResponseSchema)
@problems(403, 422)
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@input_layer.checks_items_itself
def sync(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The tablet's offline queue (reviewers and coordinators): writes made without a connection, applied in
    the order given, each in a savepoint of its own, each answered as its endpoint would answer it.

    Each operation carries the client's ``id``; an operation already applied is not applied again (its first
    result is answered with ``replayed: true``), so the whole batch can be sent again after a lost answer and
    changes nothing more. A failed operation changes nothing; with ``on_error: stop`` (the default) the
    operations after it are not tried (status 424), since they may build on it. The answer is 200 whenever
    the batch was read; look at each result's ``status``."""
    access.require_role(current_user, Role.coordinator, Role.reviewer)
    results: list[dict[str, Any]] = []
    stopped = False
    for raw in data["operations"]:
        if stopped:
            detail = _("Not applied: an earlier operation in the batch failed.")
            results.append(
                {
                    "id": raw["id"],
                    "op": raw["op"],
                    "status": 424,
                    "replayed": False,
                    "problem": _problem_body(424, detail),
                }
            )
            continue
        result = apply_operation(raw)
        results.append(result)
        if result["status"] >= 400 and data["on_error"] == "stop":
            stopped = True
    return {
        "results": results,
        "applied": sum(1 for r in results if r["status"] < 400),
        "failed": sum(1 for r in results if r["status"] >= 400 and r["status"] != 424),
        "skipped": sum(1 for r in results if r["status"] == 424),
    }
