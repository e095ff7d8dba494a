from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

from flask import abort, current_app, render_template, request
from flask_login import current_user, login_required

from app.admin import bp
from app.auth.models import Role
from app.core import access
from app.core.pagination import Page

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
    folder = _outbox()
    files = sorted(folder.glob("*.eml"), reverse=True) if folder.is_dir() else []
    try:
        page_no = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page_no = 1
    per_page = 50
    chosen = files[(page_no - 1) * per_page : page_no * per_page]
    page = Page(items=[_parse(p) for p in chosen], page=page_no, per_page=per_page, total=len(files))
    return render_template("admin/outbox.html", page=page, smtp=bool(current_app.config["SMTP_HOST"]))


@bp.get("/outbox/<name>")
@login_required
def outbox_message(name: str):  # type: ignore[no-untyped-def]
    access.require_role(current_user, Role.coordinator)
    if not SAFE_NAME.match(name):
        abort(404)
    path = _outbox() / name
    if not path.is_file():
        abort(404)
    return render_template("admin/outbox_message.html", message=_parse(path))
