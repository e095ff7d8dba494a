"""Evidence of a done report: photos and documents, checked and cleaned exactly like a finding's evidence
(app.visits.evidence: the type from the content, photos re-encoded from their pixels without metadata,
server-generated names outside the static folder, files removed again if the transaction rolls back)."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import gettext as _

from app.core.errors import InvalidInput
from app.extensions import db
from app.followups.models import FollowUp, FollowUpEvidence
from app.visits import evidence as finding_evidence
from app.visits.models import EvidenceKind

if TYPE_CHECKING:
    from app.auth.models import User

MAX_FILES = 10


def file_path(item: FollowUpEvidence) -> Path:
    return finding_evidence.storage_dir() / item.storage_name


def thumbnail_path(item: FollowUpEvidence) -> Path:
    return finding_evidence.storage_dir() / (item.thumbnail_name or item.storage_name)


def download_name(item: FollowUpEvidence, *, thumbnail: bool = False) -> str:
    return finding_evidence.download_name(item, thumbnail=thumbnail)  # type: ignore[arg-type]


def check_files(files: list[tuple[str, bytes]]) -> None:
    """Refuse, before anything is stored, what cannot be evidence (with the file's name in the message)."""
    if len(files) > MAX_FILES:
        raise InvalidInput({"files": [_("Attach at most %(n)d files at a time.", n=MAX_FILES)]})
    limit_mb = int(current_app.config["MAX_UPLOAD_MB"])
    for filename, data in files:
        name = finding_evidence.clean_filename(filename)
        if not data:
            raise InvalidInput({"files": [_("%(name)s is empty.", name=name)]})
        if len(data) > limit_mb * 1024 * 1024:
            raise InvalidInput(
                {"files": [_("%(name)s is too large. A file may be at most %(limit)d MB.", name=name, limit=limit_mb)]}
            )
        if finding_evidence.sniff(data) is None:
            raise InvalidInput(
                {
                    "files": [
                        _(
                            "%(name)s is neither a photo nor a PDF. "
                            "Upload photos (JPEG, PNG, HEIC) or documents (PDF).",
                            name=name,
                        )
                    ]
                }
            )


def store(follow_up: FollowUp, *, actor: User, filename: str, data: bytes) -> FollowUpEvidence:
    """One checked file, stored under a new name; the caller has checked the actor may report it done."""
    check_files([(filename, data)])
    name = finding_evidence.clean_filename(filename)
    content_type = finding_evidence.sniff(data)
    assert content_type is not None
    try:
        prepared = (
            finding_evidence._Prepared(data, finding_evidence.PDF, EvidenceKind.document)
            if content_type == finding_evidence.PDF
            else finding_evidence._prepare_image(data, content_type, name)
        )
    except InvalidInput as exc:
        raise InvalidInput({"files": exc.errors.get("file", [exc.message])}) from None
    token = uuid.uuid4().hex
    storage_name = token + finding_evidence.EXTENSIONS[prepared.content_type]
    thumbnail_name = f"{token}-thumb.jpg" if prepared.thumbnail is not None else None
    folder = finding_evidence.storage_dir()
    folder.mkdir(parents=True, exist_ok=True)
    files = [(folder / storage_name, prepared.data)]
    if thumbnail_name and prepared.thumbnail is not None:
        files.append((folder / thumbnail_name, prepared.thumbnail))
    finding_evidence._remove_after_rollback([path for path, _content in files])
    for path, content in files:
        finding_evidence._write_atomically(path, content)
    item = FollowUpEvidence(
        id=uuid.uuid4(),
        follow_up=follow_up,
        kind=prepared.kind,
        original_name=name,
        content_type=prepared.content_type,
        size_bytes=len(prepared.data),
        sha256=hashlib.sha256(prepared.data).hexdigest(),
        storage_name=storage_name,
        thumbnail_name=thumbnail_name,
        uploaded_by_id=actor.id,
    )
    db.session.add(item)
    return item
