"""Evidence of a done report: photos and documents, checked, cleaned and stored by the same steps as a finding's
evidence (app.core.files: the type from the content, photos re-encoded from their pixels without metadata,
server-generated names outside the static folder, files removed again if the transaction rolls back)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from app.core import files as uploads
from app.core.errors import InvalidInput
from app.extensions import db
from app.followups.models import FollowUp, FollowUpEvidence

if TYPE_CHECKING:
    from app.auth.models import User

MAX_FILES = 10


def check_files(files: Sequence[tuple[str, bytes]]) -> list[uploads.CheckedUpload]:
    """Every file checked before anything is stored; errors name the file, under the form's field "files"."""
    if len(files) > MAX_FILES:
        raise InvalidInput({"files": [_("Attach at most %(n)d files at a time.", n=MAX_FILES)]})
    checked = []
    for filename, data in files:
        try:
            checked.append(uploads.check_upload(filename, data))
        except InvalidInput as exc:
            raise InvalidInput({"files": exc.errors.get("file", [exc.message])}) from None
    return checked


def store(follow_up: FollowUp, *, actor: User, checked: uploads.CheckedUpload) -> FollowUpEvidence:
    """One checked file, stored under a new name; the caller has checked the actor may report it done."""
    stored = uploads.write_upload(checked)
    item = FollowUpEvidence(
        id=uuid.uuid4(),
        follow_up=follow_up,
        **stored.columns(),
        uploaded_by_id=actor.id,
    )
    db.session.add(item)
    return item
