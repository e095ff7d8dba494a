"""Factories for the dialogue domain: messages through the real service, a conversation with an internal note,
follow-ups for the portal."""

from __future__ import annotations

import io
from collections.abc import Callable
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
