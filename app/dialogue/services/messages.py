"""Posting messages and internal notes with their attachments, and reading an attachment (DESIGN.md 4.6)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import User
from app.core import client_ids, files
from app.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from app.core.models import utcnow
from app.dialogue import policy as dialogue_policy
from app.dialogue.models import (
    Attachment,
    Message,
    Side,
    Thread,
)
from app.dialogue.services.notifications import _queue_notifications
from app.dialogue.services.read_state import _advance_read, _count_message, _withdraw_read_notifications
from app.dialogue.services.summaries import _note_activity
from app.dialogue.services.threads import (
    MAX_TEXT_LENGTH,
    Upload,
    _thread_for_writing,
    subject,
    visible_messages,
    writer_side,
)
from app.extensions import db


def post_message(
    *,
    actor: User,
    visit_id: uuid.UUID | None = None,
    finding_id: uuid.UUID | None = None,
    text: str,
    internal: bool = False,
    uploads: Sequence[Upload] = (),
    message_id: uuid.UUID | None = None,
) -> Message:
    """Write a message (or an internal note) with attachments, in the visit's or a finding's conversation."""
    visit, finding = subject(actor, visit_id=visit_id, finding_id=finding_id)
    thread_key = Thread.key_for(visit.id, finding.id if finding else None)

    def is_replay(message: Message) -> bool:
        return message.author_id == actor.id and message.thread.key == thread_key

    if (existing := client_ids.replayed(Message, message_id, is_replay=is_replay)) is not None:
        return existing  # a repeated create with the client's id (API.md)
    side = writer_side(actor, visit)
    if (closed := dialogue_policy.why_conversation_is_closed(visit)) is not None:
        raise DomainError(closed)
    if internal and side == Side.unit:
        raise Forbidden(_("Internal notes are for the review team and coordinators."))
    if finding is not None and not internal and not visit.is_open_to_unit:
        raise DomainError(
            _(
                "The unit sees this finding only once the report is sent for comment. "
                "Until then, write an internal note for the team."
            ),
            field="internal",
        )
    errors: dict[str, list[str]] = {}
    text = (text or "").strip()
    if not text and not uploads:
        errors["text"] = [_("Write a message or attach a file.")]
    elif len(text) > MAX_TEXT_LENGTH:
        errors["text"] = [_("The text may be at most %(n)d characters long.", n=MAX_TEXT_LENGTH)]
    limit = int(current_app.config["MAX_FILES_PER_UPLOAD"])
    checked: list[files.CheckedUpload] = []
    if len(uploads) > limit:
        errors["files"] = [_("Attach at most %(n)d files to one message.", n=limit)]
    else:
        for upload in uploads:  # every file is checked before any is written: all are stored, or none
            try:
                checked.append(files.check_upload(upload.filename, upload.data))
            except InvalidInput as exc:
                errors.setdefault("files", []).extend(exc.errors.get("file", [exc.message]))
    if errors:
        raise InvalidInput(errors)

    thread = _thread_for_writing(visit, finding)
    message = Message(
        id=message_id or uuid.uuid4(),
        thread=thread,
        author_id=actor.id,
        author_side=side,
        text=text,
        is_internal=bool(internal),
        created_at=utcnow(),
    )
    for position, item in enumerate(checked):
        stored = files.write_upload(item)
        message.attachments.append(
            Attachment(
                id=uuid.uuid4(),
                position=position,
                **stored.columns(),
            )
        )
    db.session.add(message)
    db.session.flush()
    _note_activity(thread.id, message)
    _count_message(message.id, 1)
    if actor.id is not None:  # what one writes in, one has read
        _advance_read(thread.id, actor, message.created_at)
        _withdraw_read_notifications(actor.id, thread.id, message.created_at)
    _queue_notifications(message, visit, side, actor)
    return message


def get_attachment(actor: User, attachment_id: uuid.UUID) -> Attachment:
    """An attachment of a message the actor may read; anything else is a 404 (an internal note's files too)."""
    item = db.session.scalar(
        select(Attachment)
        .join(Message, Message.id == Attachment.message_id)
        .where(Attachment.id == attachment_id, Message.id.in_(visible_messages(actor).with_only_columns(Message.id)))
    )
    if item is None:
        raise NotFound(_("The file does not exist or you may not see it."))
    return item
