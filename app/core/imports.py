"""The coordinators' upload of a CSV import (issue 16): choose a file, see a dry run (what would change, or every
bad line), then confirm. Shared by the units and the people imports; each domain's service does the checking.

The file is checked by its content, not its name or type: at most ``MAX_IMPORT_BYTES``, UTF-8 (or cp1252, as
Excel on Windows writes) text with no control characters (``app.core.input.clean_csv``). The checked text
travels back in the preview's form, so the confirmed import is the file that was previewed, checked again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import TextAreaField

from app.core import input as input_layer
from app.core.errors import DomainError, InvalidInput
from app.core.forms import BaseForm
from app.extensions import db

MAX_IMPORT_BYTES = 1024 * 1024


class ImportForm(BaseForm):
    """The file to check (preview) or the checked text to import (confirm)."""

    file = FileField(_l("CSV file"))
    content = TextAreaField(_l("The checked file"))


def read_upload(form: ImportForm) -> str:
    """The upload's text: from the chosen file (a preview) or the previewed text (a confirmation).

    Raises ``InvalidInput({"file": [...]})`` (422) when there is no file, it is empty or over 1 MB, or it is not
    text that can be stored (naming the lines)."""
    upload: Any = form.file.data
    if upload is not None and hasattr(upload, "read") and upload.filename:
        try:
            data = upload.read(MAX_IMPORT_BYTES + 1)
        finally:
            upload.close()
        if len(data) > MAX_IMPORT_BYTES:
            raise InvalidInput({"file": [_("The file is larger than 1 MB. Split it into smaller files.")]})
    elif form.content.data:
        data = form.content.data.encode("utf-8")
        if len(data) > MAX_IMPORT_BYTES:
            raise InvalidInput({"file": [_("The file is larger than 1 MB. Split it into smaller files.")]})
    else:
        raise InvalidInput({"file": [_("Choose a CSV file to upload.")]})
    if not data.strip():
        raise InvalidInput({"file": [_("The file is empty.")]})
    if b"\x00" in data:
        raise InvalidInput({"file": [_("The file is not a CSV text file.")]})
    text = input_layer.clean_csv(data).decode("utf-8")
    return text.replace("\r\n", "\n")


def upload_page(
    form: ImportForm,
    *,
    run: Callable[[str, bool], Any],
    summary: Callable[[Any], str],
    preview_summary: Callable[[Any], str],
    done_url: str,
    template_args: dict[str, Any],
) -> Any:
    """The upload page's one flow: GET shows the form; a POSTed file runs ``run(text, True)`` (a dry run, rolled
    back) and shows what it would change or every bad line (422); a POSTed confirmation runs ``run(text, False)``,
    commits (each created or changed row is in the audit trail with the coordinator as actor) and redirects to
    ``done_url`` with ``summary(report)``."""
    errors: list[str] = []
    report = None
    content = ""
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        confirm = request.form.get("confirm") == "1"
        try:
            content = read_upload(form)
            report = run(content, not confirm)
        except InvalidInput as exc:
            db.session.rollback()
            errors = [m for messages in exc.errors.values() for m in messages] or [exc.message]
            report, status = None, 422
        except DomainError as exc:
            db.session.rollback()
            errors, report, status = [exc.message], None, exc.status
        else:
            if confirm:
                db.session.commit()
                flash(summary(report), "success")
                return redirect(done_url)
            db.session.rollback()  # a dry run changes nothing
    elif request.method == "POST":
        errors, status = [m for messages in form.errors.values() for m in messages], 422
    return render_template(
        "imports/upload.html",
        form=form,
        errors=errors,
        report=report,
        content=content,
        summary=preview_summary(report) if report is not None else "",
        **template_args,
    ), status
