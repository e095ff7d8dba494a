"""Thin views of conversations: a thread page per visit and per finding, writing, marking read, the list of
conversations, attachments, and the choice of e-mails on the profile page."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.core.errors import DomainError
from app.core.files import stored_file_response
from app.core.input import parse_page
from app.core.run import form_errors, run_service
from app.dialogue import bp, services
from app.dialogue.forms import MarkReadForm, MessageForm, notification_form
from app.dialogue.labels import SIDE
from app.extensions import db


def _page_number() -> int | None:
    raw = request.args.get("page")
    return parse_page(raw) if raw else None


def _thread_page(
    *,
    visit_id: uuid.UUID | None = None,
    finding_id: uuid.UUID | None = None,
    form: MessageForm | None = None,
    file_errors: list[str] | None = None,
) -> Any:
    view = services.thread_view(actor=current_user, visit_id=visit_id, finding_id=finding_id, page=_page_number())
    form = form or MessageForm()
    path = services.thread_path(view.visit.id, view.finding.id if view.finding else None)
    return render_template(
        "dialogue/thread.html",
        view=view,
        form=form,
        file_errors=file_errors or [],
        read_form=MarkReadForm(seen_until=view.newest_at.isoformat() if view.newest_at else ""),
        path=path,
        title=services.thread_title(view.visit, view.finding),
        side_labels=SIDE,
        max_upload_mb=current_app.config["MAX_UPLOAD_MB"],
    )


def _post(*, visit_id: uuid.UUID | None = None, finding_id: uuid.UUID | None = None) -> Any:
    visit, finding = services.subject(current_user, visit_id=visit_id, finding_id=finding_id)
    form = MessageForm()
    file_errors: list[str] = []
    if form.validate_on_submit():
        uploads = [
            services.Upload(upload.filename or "", upload.read())
            for upload in request.files.getlist("files")
            if upload and upload.filename
        ]

        def beside_the_file_input(exc: DomainError) -> dict[str, list[str]]:
            errors = form_errors(exc)
            file_errors.extend(errors.pop("files", []))  # shown beside the file input
            return errors

        posted = run_service(
            lambda: services.post_message(
                actor=current_user,
                visit_id=visit_id,
                finding_id=finding_id,
                text=form.text.data or "",
                internal=bool(form.internal.data),
                uploads=uploads,
            ),
            form=form,
            errors=beside_the_file_input,
        )
        if (message := posted.value) is not None:
            flash(_("Your internal note is saved.") if message.is_internal else _("Your message is sent."), "success")
            return redirect(services.thread_path(visit.id, finding.id if finding else None) + f"#message-{message.id}")
    return _thread_page(visit_id=visit_id, finding_id=finding_id, form=form, file_errors=file_errors), 422


def _parse_moment(value: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def _mark_read(*, visit_id: uuid.UUID | None = None, finding_id: uuid.UUID | None = None) -> Response:
    visit, finding = services.subject(current_user, visit_id=visit_id, finding_id=finding_id)
    form = MarkReadForm()
    path = services.thread_path(visit.id, finding.id if finding else None)
    if not form.validate_on_submit():
        return redirect(path)
    remaining = services.mark_read(
        actor=current_user, visit_id=visit_id, finding_id=finding_id, up_to=_parse_moment(form.seen_until.data)
    )
    db.session.commit()
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"unread": remaining})
    flash(_("The conversation is marked as read."), "success")
    return redirect(path)


@bp.get("/visits/<uuid:visit_id>/messages")
@login_required
def visit_thread(visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return _thread_page(visit_id=visit_id)


@bp.post("/visits/<uuid:visit_id>/messages")
@login_required
def post_visit_message(visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return _post(visit_id=visit_id)


@bp.post("/visits/<uuid:visit_id>/messages/read")
@login_required
def read_visit_thread(visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return _mark_read(visit_id=visit_id)


@bp.get("/findings/<uuid:finding_id>/messages")
@login_required
def finding_thread(finding_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return _thread_page(finding_id=finding_id)


@bp.post("/findings/<uuid:finding_id>/messages")
@login_required
def post_finding_message(finding_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return _post(finding_id=finding_id)


@bp.post("/findings/<uuid:finding_id>/messages/read")
@login_required
def read_finding_thread(finding_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return _mark_read(finding_id=finding_id)


@bp.get("/messages")
@login_required
def index():  # type: ignore[no-untyped-def]
    """Every conversation the person may read, the newest activity first."""
    unread_only = request.args.get("unread") == "1"
    page = services.thread_page(current_user, request.args, unread_only=unread_only)
    return render_template("dialogue/index.html", page=page, unread_only=unread_only)


@bp.get("/attachments/<uuid:attachment_id>")
@login_required
def attachment_file(attachment_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return stored_file_response(services.get_attachment(current_user, attachment_id))


@bp.get("/attachments/<uuid:attachment_id>/thumb")
@login_required
def attachment_thumbnail(attachment_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return stored_file_response(services.get_attachment(current_user, attachment_id), thumbnail=True)


@bp.post("/profile/notifications")
@login_required
def notification_settings():  # type: ignore[no-untyped-def]
    form = notification_form()
    if form.validate_on_submit():
        chosen = run_service(
            lambda: services.set_notification_mode(actor=current_user, mode=form.mode.data or ""),
            flash_refusal=True,
            to_error_page=(),
        )
        if chosen:
            flash(_("Your choice of e-mails is saved."), "success")
    else:
        for messages in form.errors.values():
            for message in messages:
                flash(message, "error")
    return redirect(url_for("auth.profile") + "#notifications")
