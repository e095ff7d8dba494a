"""What a person typed survives (DESIGN.md 4.8): the server's half of the drafts.

Two pieces, both per person:

- **Kept forms.** A form posted after the session ran out (or its CSRF token expired) is kept whole, in the
  database, tied to the person whose session it was, for a day (``FORM_DRAFT_HOURS``). The next page of that person
  at the form's address gets it back once (``kept_form_draft``): the view may put it into its form, and
  base.html hands it to the page's script, which restores it into the form it came from.
- **Confirmations.** A form marked with a ``draft_key`` field whose POST succeeded (a redirect after a "success"
  flash) is named on the next page the person sees (``data-saved-drafts`` on ``<body>``): only then does the script
  forget the browser's copy. An error page, the login page or the browser's offline page never carries it.

The browser's own copy (app/static/js) is keyed by the person's id as well, so nothing of one person's drafts is
ever shown to another.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Response, current_app, g, message_flashed, request, session
from flask_login import current_user
from sqlalchemy import ForeignKey, String, Text, Uuid, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import IdMixin, UTCDateTime, utcnow
from app.extensions import Model, db

DRAFT_FIELD = "draft_key"  # the hidden field naming a form's draft (the same key the script uses)
STASH_KEY = "form_stash"  # in the signed session cookie: only the address a kept form waits at
SAVED_KEY = "saved_drafts"  # in the signed session cookie: draft keys confirmed since the last page
MAX_PATH = 500
MAX_KEY = 200


class FormDraft(IdMixin, Model):
    """A whole posted form kept for its person after their session ran out; gone after ``expires_at``."""

    __tablename__ = "form_drafts"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The page the form was on (path only); the draft comes back there.
    path: Mapped[str] = mapped_column(String(MAX_PATH))
    # The form's draft key (its data-autosave), when it had one.
    draft_key: Mapped[str | None] = mapped_column(String(MAX_KEY))
    # JSON object of the posted fields, {name: value} (the last value of a repeated name; files are never kept).
    fields: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


def keep_form_draft(
    user_id: uuid.UUID, *, path: str, fields: dict[str, str], draft_key: str | None = None
) -> FormDraft:
    """Keep ``fields`` for ``user_id`` at ``path`` (replacing what was kept there before), whatever its length,
    until ``FORM_DRAFT_HOURS`` (default 24) from now. Flushes, never commits (DESIGN.md 4.8)."""
    db.session.execute(delete(FormDraft).where(FormDraft.user_id == user_id, FormDraft.path == path[:MAX_PATH]))
    hours = int(current_app.config["FORM_DRAFT_HOURS"])
    draft = FormDraft(
        user_id=user_id,
        path=path[:MAX_PATH],
        draft_key=(draft_key or None) and draft_key[:MAX_KEY],
        fields=json.dumps(fields, ensure_ascii=False),
        expires_at=utcnow() + timedelta(hours=hours),
    )
    db.session.add(draft)
    db.session.flush()
    return draft


def take_form_draft(user_id: uuid.UUID, path: str) -> dict[str, Any] | None:
    """The draft kept for ``user_id`` at ``path`` as ``{"draft_key": str | None, "fields": {name: value}}``, and
    forget it; None when there is none (or only an expired one). Another person's drafts are never returned.
    Flushes, never commits."""
    draft = db.session.scalar(
        select(FormDraft)
        .where(FormDraft.user_id == user_id, FormDraft.path == path[:MAX_PATH], FormDraft.expires_at > utcnow())
        .order_by(FormDraft.created_at.desc())
        .limit(1)
    )
    if draft is None:
        return None
    kept = {"draft_key": draft.draft_key, "fields": json.loads(draft.fields)}
    db.session.delete(draft)
    db.session.flush()
    return kept


def purge_expired_form_drafts(now: datetime | None = None) -> int:
    """Forget the kept forms whose day is over; returns how many. Flushes, never commits."""
    result = db.session.execute(delete(FormDraft).where(FormDraft.expires_at <= (now or utcnow())))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# ---- the request side ------------------------------------------------------------------------------


def referrer_path() -> str | None:
    """The page the form was on, if it is on this site."""
    from urllib.parse import urlsplit

    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if not referrer or parts.netloc != request.host or not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


SECRET_FIELD_WORDS = ("password", "token", "secret")


def is_secret_field(name: str) -> bool:
    """A field never kept anywhere (ASVS 7.2.1): passwords, tokens, secrets."""
    return any(word in name.lower() for word in SECRET_FIELD_WORDS)


def stash_form(person_id: uuid.UUID | None) -> str | None:
    """Keep the posted form of a refused POST (session or CSRF token expired) for ``person_id`` and return the
    page it came from (or None when it came from elsewhere). Without a person (no session at all) nothing is
    kept on the server; the browser's copy remains."""
    target = referrer_path()
    if target is None:
        return None
    path = target.split("?")[0]
    if person_id is not None:
        fields = {k: v for k, v in request.form.items(multi=False) if k not in ("csrf_token", DRAFT_FIELD)}
        if any(is_secret_field(name) for name in fields):
            fields = {}  # a form with a secret (its confirmation too) keeps nothing: nothing in it is worth the risk
        keep_form_draft(person_id, path=path, fields=fields, draft_key=request.form.get(DRAFT_FIELD))
        # A field the request guard refused is kept without what cannot be stored; the form is checked again when
        # it is sent again, so app.core.input lets this commit through (``g.form_draft_kept``).
        g.form_draft_kept = True
        db.session.commit()  # the refused request ends in a redirect: the kept form stands on its own
        session[STASH_KEY] = {"path": path}
    return target


def kept_form_draft() -> dict[str, Any] | None:
    """The form kept for the current person at this page, once per request (see ``take_form_draft``)."""
    if "kept_form_draft" not in g:
        g.kept_form_draft = None
        waiting = session.get(STASH_KEY)
        if (
            request.method == "GET"
            and isinstance(waiting, dict)
            and waiting.get("path") == request.path
            and current_user.is_authenticated
        ):
            session.pop(STASH_KEY, None)
            g.kept_form_draft = take_form_draft(current_user.id, request.path)
            db.session.commit()
    return g.kept_form_draft


def take_stash(path: str) -> dict[str, str] | None:
    """The fields kept for this page (for a view that fills its form on the server), once."""
    kept = kept_form_draft() if path == request.path else None
    return dict(kept["fields"]) if kept else None


def _note_success(sender: Flask, message: str, category: str) -> None:
    if category == "success":
        g.flashed_success = True


def _confirm_saved_draft(response: Response) -> Response:
    """After a form with a draft key went through (a "success" flash and a redirect), name its key for the next
    page, whose script then forgets the browser's copy."""
    if not (request.method == "POST" and g.get("flashed_success") and 300 <= response.status_code < 400):
        return response  # (a refused request, a 413 among them, is not read again here)
    key = request.form.get(DRAFT_FIELD) if request.mimetype else None
    if key:
        saved = [k for k in session.get(SAVED_KEY, []) if k != key][-9:]
        session[SAVED_KEY] = [*saved, key[:MAX_KEY]]
    return response


def saved_drafts() -> list[str]:
    """The draft keys the server confirmed since the last page (for ``data-saved-drafts``), once."""
    if not current_user.is_authenticated:
        return []
    return list(session.pop(SAVED_KEY, []) or [])


def init_app(app: Flask) -> None:
    message_flashed.connect(_note_success, app)
    app.after_request(_confirm_saved_draft)
    app.jinja_env.globals.update(kept_form_draft=kept_form_draft, saved_drafts=saved_drafts)
