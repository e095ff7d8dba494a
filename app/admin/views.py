from __future__ import annotations

import email
import email.policy
import re
import uuid
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.admin import bp
from app.auth.models import Role
from app.core import access, mail
from app.core.errors import InvalidInput
from app.core.pagination import paginate
from app.core.run import run_service
from app.main import services as reports
from app.main.forms import HandleReportForm

SAFE_NAME = re.compile(r"^[0-9T]+-[0-9a-f]{8}\.eml$")


def _outbox() -> Path:
    return Path(current_app.config["MAIL_OUTBOX_DIR"])


def _parse(path: Path) -> dict:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    text_part = msg.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    return {
        "name": path.name,
        "to": msg["To"],
        "subject": msg["Subject"],
        "date": msg["Date"],
        "message_id": msg["Message-ID"],
        "text": text_part.get_content() if text_part is not None else "",
    }


@bp.get("/outbox")
@login_required
def outbox():  # type: ignore[no-untyped-def]
    access.require_role(current_user, Role.coordinator)
    return render_template(
        "admin/outbox.html",
        page=mail.outbox_page(request.args),
        statuses=mail.status_labels(),
        smtp=bool(current_app.config["SMTP_HOST"]),
    )


@bp.get("/outbox/<uuid:email_id>")
@login_required
def outbox_email(email_id: uuid.UUID):  # type: ignore[no-untyped-def]
    access.require_role(current_user, Role.coordinator)
    row = mail.outbox_email(email_id)
    if row is None:
        abort(404)
    return render_template("admin/outbox_email.html", row=row, statuses=mail.status_labels())


@bp.get("/outbox/<name>")  # an .eml file the embedded mode wrote (linked from nowhere since the list reads the table)
@login_required
def outbox_message(name: str):  # type: ignore[no-untyped-def]
    access.require_role(current_user, Role.coordinator)
    if not SAFE_NAME.match(name):
        abort(404)
    path = _outbox() / name
    if not path.is_file():
        abort(404)
    return render_template("admin/outbox_message.html", message=_parse(path))


# ---- reports of accessibility problems (from the accessibility statement) ------------------------------------


@bp.get("/accessibility-reports")
@login_required
def accessibility_reports():  # type: ignore[no-untyped-def]
    status = request.args.get("status", "open")
    if status not in reports.FILTERS:
        status = "open"
    page = paginate(reports.reports_query(current_user, status), request.args, per_page=25)
    return render_template(
        "admin/accessibility_reports.html", page=page, status=status, open_count=reports.open_report_count()
    )


@bp.route("/accessibility-reports/<uuid:report_id>", methods=["GET", "POST"])
@login_required
def accessibility_report(report_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """One report, and (while it is open) the form to note what was done and mark it handled."""
    report = reports.get_report(current_user, report_id)
    form = HandleReportForm()
    if request.method == "POST" and form.validate_on_submit():
        handled = run_service(
            lambda: reports.handle_report(report.id, actor=current_user, note=form.note.data or ""),
            form=form,
            errors=lambda exc: exc.errors if isinstance(exc, InvalidInput) else {},
            to_error_page=(),
        )
        if handled.error is not None and not isinstance(handled.error, InvalidInput):
            flash(handled.error.message, "error")  # a rule's refusal (handled meanwhile): told on the report's page
            return redirect(url_for("admin.accessibility_report", report_id=report_id))
        if handled:
            flash(_("The report is marked as handled."), "success")
            return redirect(url_for("admin.accessibility_reports"))
    return render_template(
        "admin/accessibility_report.html",
        report=report,
        form=form,
        page_link=reports.same_site_path(report.page),
    ), 422 if form.errors else 200
