"""Evidence uploads (photos and documents) on a finding (DESIGN.md 4.1): storing and removing them.

Every rule about the file itself (type from the content, metadata stripped, size, storage tied to the
transaction) is app.core.files, shared with every other upload of the product."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _

from app.core import client_ids, files
from app.core.errors import DomainError, InvalidInput
from app.core.input import clean_text
from app.extensions import db
from app.visits import policy as visits_policy
from app.visits.models import Evidence
from app.visits.services import EDITABLE

if TYPE_CHECKING:
    from app.auth.models import User


# ---- services --------------------------------------------------------------------------------------

# A caption is a sentence or two: what the photo shows (the report prints it under the photo; it is the alt text).
MAX_CAPTION = 500


def clean_caption(caption: str | None) -> str:
    """The caption trimmed and on one line, or ``InvalidInput({"caption": [...]})`` (422) when it is longer than
    ``MAX_CAPTION`` characters or holds control characters (DESIGN.md 4.1)."""
    text = " ".join(clean_text(caption or "", field="caption", multiline=True).split())
    if len(text) > MAX_CAPTION:
        raise InvalidInput({"caption": [_("The caption may be at most %(n)d characters long.", n=MAX_CAPTION)]})
    return text


def _require_editable(status: Any) -> None:
    if status not in EDITABLE:
        raise DomainError(_("Photos and documents can be changed only while the visit is in progress or a draft."))


def store_upload(
    finding_id: uuid.UUID,
    *,
    actor: User,
    filename: str,
    data: bytes,
    evidence_id: uuid.UUID | None = None,
    caption: str = "",
) -> Evidence:
    """Check, clean and store one uploaded file as evidence of a finding, with its ``caption`` (see
    :func:`clean_caption`). A client-chosen ``evidence_id`` makes a repeated upload (the tablet sending again
    after a lost answer) return the first one."""
    finding = visits_policy.get_finding(actor, finding_id)
    visits_policy.require_visit_editor(actor, finding.visit)
    if (
        existing := client_ids.replayed(Evidence, evidence_id, is_replay=lambda e: e.finding_id == finding.id)
    ) is not None:
        return existing  # the tablet sending the same photo again after a lost answer
    _require_editable(finding.visit.status)
    caption = clean_caption(caption)
    checked = files.check_upload(filename, data)

    def insert() -> Evidence:
        # The files are written inside the savepoint of a client-chosen id, so a lost race removes them at once.
        stored = files.write_upload(checked)
        item = Evidence(
            id=evidence_id or uuid.uuid4(),
            finding=finding,
            **stored.columns(),
            uploaded_by_id=actor.id,
            caption=caption,
        )
        db.session.add(item)
        db.session.flush()
        return item

    return client_ids.created_once(Evidence, evidence_id, insert, is_replay=lambda e: e.finding_id == finding.id)


def delete_evidence(evidence_id: uuid.UUID, *, actor: User) -> None:
    """Remove a photo or document; its files go once the removal is committed (a rollback keeps them)."""
    item = visits_policy.get_evidence(actor, evidence_id)
    visit = item.finding.visit
    visits_policy.require_visit_editor(actor, visit)
    _require_editable(visit.status)
    db.session.delete(item)
    db.session.flush()
    files.remove_files_after_commit(item)


def set_caption(evidence_id: uuid.UUID, *, actor: User, caption: str) -> Evidence:
    """Change what a photo's caption says (the report prints it under the photo and uses it as the alt text;
    DESIGN.md 4.1): the review team, while findings may change. ``InvalidInput`` (422) for a bad caption,
    ``Forbidden``/``DomainError`` as for the finding, ``NotFound`` for evidence the actor may not see."""
    item = visits_policy.get_evidence(actor, evidence_id)
    if (refusal := visits_policy.why_not_change_findings(actor, item.finding.visit)) is not None:
        raise refusal
    item.caption = clean_caption(caption)
    db.session.flush()
    return item
