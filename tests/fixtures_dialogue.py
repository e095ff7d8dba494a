"""Factories for the dialogue domain: messages through the real service, a conversation with an internal note,
follow-ups for the portal, a queue that runs the tasks the app enqueues, and a query counter."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

SECRET_NOTE = "HEMLIG-INTERN-ANTECKNING om enhetens chef"


def jpeg_with_gps() -> bytes:
    from PIL import ExifTags, Image

    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Tablet Maker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (59.0, 19.0, 48.0)
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), "teal").save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


@pytest.fixture
def write(db) -> Callable[..., Any]:
    """Write a message through the service as ``author`` and commit: write(author, visit=… or finding=…, …)."""
    from app.dialogue import services

    def make(
        author: Any,
        *,
        visit: Any = None,
        finding: Any = None,
        text: str = "Ett meddelande.",
        internal: bool = False,
        uploads: tuple[Any, ...] = (),
    ) -> Any:
        from app.core import audit

        session = db.session()
        previous = audit.get_audit_context(session)
        audit.set_audit_context(session, audit.AuditContext(actor_id=author.id, via="web"))  # as a request would
        try:
            message = services.post_message(
                actor=author,
                visit_id=visit.id if visit is not None else None,
                finding_id=finding.id if finding is not None else None,
                text=text,
                internal=internal,
                uploads=list(uploads),
            )
            db.session.commit()
        finally:
            audit.set_audit_context(session, previous)
        return message

    return make


@pytest.fixture
def conversation(make_visit, make_user, write) -> SimpleNamespace:
    """A visit out for comment with a unit member, a colleague in the unit, the lead, a message to the unit, and an
    internal note (with a photo) in the visit's and in a finding's conversation."""
    from app.dialogue import services

    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit], name="Ulla Unitmember")
    colleague = make_user("unit_member", units=[visit.unit], name="Kalle Kollega")
    finding = visit.findings[0]
    public = write(visit.lead, visit=visit, text="Välkomna att lämna synpunkter på utkastet.")
    note = write(
        visit.lead,
        visit=visit,
        text=SECRET_NOTE,
        internal=True,
        uploads=(services.Upload("intern.jpg", jpeg_with_gps()),),
    )
    finding_note = write(visit.lead, finding=finding, text=SECRET_NOTE + " (iakttagelse)", internal=True)
    return SimpleNamespace(
        visit=visit,
        finding=finding,
        lead=visit.lead,
        member=member,
        colleague=colleague,
        public=public,
        note=note,
        finding_note=finding_note,
    )


@dataclass
class TaskQueue:
    """Stands in for ``Celery.send_task``: keeps what the app enqueues (after commit) and runs it on demand."""

    celery: Any
    sent: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = field(default_factory=list)

    def __call__(self, name: str, args: Any = None, kwargs: Any = None, **options: Any) -> None:
        self.sent.append((name, tuple(args or ()), dict(kwargs or {})))

    def names(self) -> list[str]:
        return [name for name, _args, _kwargs in self.sent]

    def run_all(self) -> list[Any]:
        """Run every queued task in this process (what a worker would do), including what they enqueue."""
        results = []
        while self.sent:
            name, args, kwargs = self.sent.pop(0)
            results.append(self.celery.tasks[name].apply(args=args, kwargs=kwargs).get())
        return results


@pytest.fixture
def task_queue(app, monkeypatch) -> TaskQueue:
    import workers.dialogue  # registers the dialogue tasks
    import workers.mail  # noqa: F401

    celery = app.extensions["celery"]
    queue = TaskQueue(celery)
    monkeypatch.setattr(celery, "send_task", queue)
    return queue


class QueryCounter:
    def __init__(self, engine: Any) -> None:
        self.engine, self.count = engine, 0

    def __enter__(self) -> QueryCounter:
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc: Any) -> None:
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, *args: Any) -> None:
        self.count += 1


@pytest.fixture
def count_queries(app) -> Callable[[Any, str], int]:
    """How many SQL statements one GET of ``url`` runs (it must answer 200)."""
    from app.extensions import db as _db

    def count(browser: Any, url: str) -> int:
        with QueryCounter(_db.engine) as counter:
            response = browser.get(url)
            assert response.status_code == 200, url
        return counter.count

    return count
