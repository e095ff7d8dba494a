"""``Idempotency-Key`` on writes (API.md): repeating a write with the same key returns the first answer
and changes nothing more. The answer is stored in the same transaction as the change it answers, so a
crash leaves neither or both; two racing requests with one key collide on the unique key and the loser
answers with the winner's stored result."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from flask import Response, make_response, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, Uuid, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from app.core.input import text_problem
from app.core.models import IdMixin, UTCDateTime, utcnow
from app.core.web import problem
from app.extensions import Model, db


class IdempotencyRecord(IdMixin, Model):
    __tablename__ = "idempotency_records"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    # sha256 of method, path and body: the same key with another request is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "key"),)


def _fingerprint() -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    if request.mimetype == "multipart/form-data":
        # A client sending an upload again picks a new multipart boundary: compare what was sent, not the bytes.
        for name, value in sorted(request.form.items(multi=True)):
            digest.update(f"form {name}={value}\n".encode())
        for name, upload in sorted(request.files.items(multi=True), key=lambda item: (item[0], item[1].filename or "")):
            content = upload.stream.read()
            upload.stream.seek(0)
            digest.update(f"file {name} {upload.filename} {hashlib.sha256(content).hexdigest()}\n".encode())
    else:
        digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        return problem(
            422,
            _("Some of the information is not valid"),
            _("This Idempotency-Key was already used for a different request."),
            {"Idempotency-Key": [_("Use a new key for a different request.")]},
        )
    response = Response(record.body, status=record.status_code, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


MAX_KEY_LENGTH = 200


def _key_problem(key: str) -> str | None:
    """A key longer than stored (never cut: two long keys would collide) or holding control characters."""
    if len(key) > MAX_KEY_LENGTH:
        return _("An Idempotency-Key may be at most %(n)d characters.", n=MAX_KEY_LENGTH)
    return text_problem(key, multiline=False)


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a write: commit once, and remember the answer under the caller's key when one is given."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = (request.headers.get("Idempotency-Key") or "").strip()
        refused = _key_problem(key)
        if refused:
            return problem(422, _("Some of the information is not valid"), refused, {"Idempotency-Key": [refused]})
        if not key:
            response = make_response(view(*args, **kwargs))
            try:
                db.session.commit()
            except IntegrityError:
                # Two requests creating the same client-chosen id at once: the loser changes nothing, and
                # sending it again answers the winner's object.
                db.session.rollback()
                return problem(
                    409,
                    _("This is not possible right now"),
                    _("Someone changed the same thing at the same time. Send it again."),
                )
            return response
        fingerprint = _fingerprint()
        lookup = select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == current_user.id, IdempotencyRecord.key == key
        )
        existing = db.session.scalar(lookup)
        if existing is not None:
            return _replay(existing, fingerprint)
        response = make_response(view(*args, **kwargs))
        if response.status_code < 500:
            db.session.add(
                IdempotencyRecord(
                    user_id=current_user.id,
                    key=key,
                    fingerprint=fingerprint,
                    status_code=response.status_code,
                    body=response.get_data(as_text=True) or json.dumps(None),
                )
            )
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # a concurrent request with the same key won: answer with its result
            existing = db.session.scalar(lookup)
            if existing is None:
                raise
            return _replay(existing, fingerprint)
        return response

    return wrapper
