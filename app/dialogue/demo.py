"""Demo data of the dialogue domain (idempotent: a second run creates nothing): conversations on the demo visits
of app/demo.py, written by the demo people themselves, with an internal note and messages still new to someone."""

from __future__ import annotations

import io

from sqlalchemy import select

from app.auth.models import User
from app.core import audit
from app.dialogue import services
from app.dialogue.models import Thread
from app.extensions import db
from app.units.models import Unit
from app.visits.models import Finding, FindingKind, Severity, Visit


def _alarm_chart() -> bytes:
    """A small bar chart of alarm response times, as the unit might photograph or export it."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 240), "white")
    draw = ImageDraw.Draw(image)
    draw.line((40, 200, 460, 200), fill="black", width=2)
    draw.line((40, 20, 40, 200), fill="black", width=2)
    for i, minutes in enumerate([4, 6, 3, 22, 5, 24, 4]):
        x = 60 + i * 56
        draw.rectangle((x, 200 - minutes * 7, x + 36, 200), fill="#a4161a" if minutes > 15 else "#0b4f8a")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _visit_of(unit_name: str) -> Visit | None:
    return db.session.scalar(select(Visit).join(Unit, Unit.id == Visit.unit_id).where(Unit.name == unit_name))


def load() -> int:
    """Create what is missing; returns how many objects were created."""
    if db.session.scalar(select(Thread.id).limit(1)) is not None:
        return 0
    people = {u.email: u for u in db.session.scalars(select(User))}
    lead = people.get("granskare@demo.tillsyn.se")
    peer = people.get("kollega@demo.tillsyn.se")
    care_member = people.get("enhet@demo.tillsyn.se")
    preschool_member = people.get("unit@demo.tillsyn.se")
    care, school, preschool = (
        _visit_of("Björkbackens äldreboende"),
        _visit_of("Östra gymnasiet"),
        _visit_of("Solrosens förskola"),
    )
    if not (lead and peer and care_member and preschool_member and care and school and preschool):
        return 0
    session = db.session()
    previous = audit.get_audit_context(session)
    created = 0

    def write(author: User, text: str, **kwargs: object) -> None:
        nonlocal created
        # The history shows who wrote, as it would after a real login.
        audit.set_audit_context(session, audit.AuditContext(actor_id=author.id, via="web"))
        services.post_message(actor=author, text=text, **kwargs)  # type: ignore[arg-type]
        created += 1

    alarms = db.session.scalar(
        select(Finding).where(
            Finding.visit_id == care.id, Finding.kind == FindingKind.deviation, Finding.severity == Severity.serious
        )
    )
    strength = db.session.scalar(select(Finding).where(Finding.visit_id == school.id))
    try:
        write(
            lead,
            "Tack för ett givande besök! Utkastet till rapport finns nu hos er för synpunkter. "
            "Hör av er här om något är oklart.",
            visit_id=care.id,
        )
        write(
            care_member,
            "Tack! Vi går igenom utkastet på arbetsplatsträffen på torsdag och återkommer före sista dagen "
            "för synpunkter.",
            visit_id=care.id,
        )
        if alarms is not None:
            write(
                care_member,
                "Vi har tagit fram larmloggen för hela veckan. De sena svaren var båda samma natt, då en kollega "
                "var sjuk och inte ersattes. Sammanställningen är bifogad.",
                finding_id=alarms.id,
                uploads=[services.Upload("larmtider-vecka-12.png", _alarm_chart())],
            )
            write(
                peer,
                "Larmloggen stämmer med våra anteckningar från besöket. Förslag: vi tar upp bemanningen nattetid "
                "som en uppföljning i stället för de enskilda larmen.",
                finding_id=alarms.id,
                internal=True,
            )
            write(
                lead,
                "Tack för underlaget! Vi föreslår en uppföljning om hur frånvaro nattetid ersätts. "
                "Förslaget kommer till er här i portalen.",
                finding_id=alarms.id,
            )
        write(
            preschool_member,
            "Hello! We have a planning day in the afternoon of the visit. Could you come in the morning instead?",
            visit_id=preschool.id,
        )
        if strength is not None:
            write(
                lead,
                "Flera elever beskrev oberoende av varandra vart de vänder sig. Kandidat till gott exempel "
                "när rapporten är klar.",
                finding_id=strength.id,
                internal=True,
            )
    finally:
        audit.set_audit_context(session, previous)
    return created
