"""Evidence in the browser: adding photos and documents to a finding, serving them to those allowed to see
them, removing them. CSRF is checked for every POST by the app-wide CSRFProtect."""

from __future__ import annotations

import logging
import uuid
from urllib.parse import urlsplit

from flask import flash, redirect, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.core.files import stored_file_response
from app.core.run import run_service
from app.visits import bp, evidence
from app.visits import policy as visits_policy
from app.visits.forms import CaptionForm

log = logging.getLogger(__name__)


def is_local_path(target: str) -> bool:
    """A path on this site ("/visits/…"), never another site: no "//host", no "/\\host", no scheme."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _back_to(visit_id: uuid.UUID) -> Response:
    target = request.form.get("next", "")
    return redirect(target if is_local_path(target) else f"/visits/{visit_id}")


@bp.post("/findings/<uuid:finding_id>/evidence")
@login_required
def upload_evidence(finding_id: uuid.UUID) -> Response:
    """One or more files (field ``files``) in one transaction: all are stored, or none."""
    finding = visits_policy.get_finding(current_user, finding_id)
    visits_policy.require_visit_editor(current_user, finding.visit)
    visit_id = finding.visit_id
    uploads = [upload for upload in request.files.getlist("files") if upload and upload.filename]
    if not uploads:
        flash(_("Choose at least one photo or document to add."), "error")
        return _back_to(visit_id)

    caption = request.form.get("caption", "")

    def store_all() -> None:
        for upload in uploads:
            evidence.store_upload(
                finding.id, actor=current_user, filename=upload.filename or "", data=upload.read(), caption=caption
            )

    if not run_service(store_all, flash_refusal=True):
        return _back_to(visit_id)
    flash(
        ngettext("%(num)d file is added to the finding.", "%(num)d files are added to the finding.", len(uploads)),
        "success",
    )
    return _back_to(visit_id)


@bp.get("/evidence/<uuid:evidence_id>")
@login_required
def evidence_file(evidence_id: uuid.UUID) -> Response:
    """The stored file: photos inline, documents as a download; 404 to anyone who may not see the finding."""
    return stored_file_response(visits_policy.get_evidence(current_user, evidence_id))


@bp.get("/evidence/<uuid:evidence_id>/thumb")
@login_required
def evidence_thumbnail(evidence_id: uuid.UUID) -> Response:
    return stored_file_response(visits_policy.get_evidence(current_user, evidence_id), thumbnail=True)


@bp.post("/evidence/<uuid:evidence_id>/caption")
@login_required
def caption_evidence(evidence_id: uuid.UUID) -> Response:
    """Change a photo's caption (the report's caption and the image's alt text, DESIGN.md 4.1)."""
    item = visits_policy.get_evidence(current_user, evidence_id)
    visit_id = item.finding.visit_id
    form = CaptionForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(_("Caption: %(error)s", error=message), "error")
        return _back_to(visit_id)
    if run_service(
        lambda: evidence.set_caption(item.id, actor=current_user, caption=form.caption.data or ""),
        flash_refusal=True,
    ):
        flash(_("The caption is saved."), "success")
    return _back_to(visit_id)


@bp.post("/evidence/<uuid:evidence_id>/delete")
@login_required
def delete_evidence(evidence_id: uuid.UUID) -> Response:
    item = visits_policy.get_evidence(current_user, evidence_id)
    visit_id = item.finding.visit_id
    if run_service(lambda: evidence.delete_evidence(item.id, actor=current_user), flash_refusal=True):
        flash(_("The file is removed."), "success")
    return _back_to(visit_id)
