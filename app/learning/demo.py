"""Demo data of the learning domain (DESIGN.md 4.5; idempotent: a second run creates nothing).

Three years of final visits with findings (so the years at a glance mean something), each through the product's
own services: photos on the strengths, good examples the units consented to (named, or shown by kind), one
withdrawn and one still proposed; feedback on the supervision from the units' members (five answers for the lead
reviewer, so the coordinators' page shows per-reviewer figures, and fewer for the other reviewer, whose figures it
hides); a submitted self-assessment on the visit in progress and a draft on the planned one.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from app.auth import services as auth_services
from app.auth.models import User
from app.core import access
from app.core.models import local_today
from app.extensions import db
from app.learning import services
from app.learning.models import GoodExample, SelfAssessment, SelfAssessmentDraft
from app.learning.services.self_assessment import answer_key
from app.units.models import Unit
from app.visits.models import Finding, FindingKind, Template, Visit, VisitStatus

OPERATOR: Any = access.OPERATOR

# A unit member more, so that feedback on one visit comes from two people (no password: not a demo login).
EXTRA_MEMBERS = [("personal@demo.tillsyn.se", "Pia Personal", "Björkbackens äldreboende")]


@dataclass(frozen=True)
class PastFinding:
    area: int  # the index of the template's review area
    kind: str
    severity: str | None
    text: str
    # For a strength: the good example's fate ("named", "by_kind", "withdrawn", "" for none) and its photos.
    example: str = ""
    photos: tuple[str, ...] = ()


@dataclass(frozen=True)
class PastVisit:
    unit: str
    template: str
    years_ago: int
    month: int
    day: int
    findings: tuple[PastFinding, ...]
    # (e-mail, useful, respectful, clear, text) of the unit's members who gave feedback.
    feedback: tuple[tuple[str, int, int, int, str], ...] = ()


ELDERLY = "Äldreomsorg – särskilt boende"
SCHOOL = "Skola – grundskola och gymnasium"

PAST_VISITS = [
    PastVisit(
        "Björkbackens äldreboende",
        ELDERLY,
        2,
        3,
        14,
        (
            PastFinding(
                1,
                "strength",
                None,
                "Måltiderna är lugna: de boende väljer själva var och med vem de sitter, och personalen äter med.",
                "withdrawn",
            ),
            PastFinding(0, "deviation", "serious", "Riskbedömningar för fall saknades för fyra av tolv boende."),
            PastFinding(2, "development", None, "Introduktionen av timanställda är muntlig och dokumenteras inte."),
            PastFinding(3, "deviation", "minor", "Två genomförandeplaner saknade den enskildes underskrift."),
        ),
        (
            ("enhet@demo.tillsyn.se", 4, 5, 4, "Bra samtal med granskarna; rapporten var lätt att förstå."),
            ("personal@demo.tillsyn.se", 3, 5, 3, "Vi hade gärna fått frågorna lite tidigare."),
        ),
    ),
    PastVisit(
        "Solrosens förskola",
        SCHOOL,
        2,
        11,
        8,
        (
            PastFinding(
                1,
                "strength",
                None,
                "Förskolans utemiljö är indelad i lugna och aktiva zoner, och barnen är med och planerar dem.",
                "named",
                ("utemiljo.jpg",),
            ),
            PastFinding(
                0, "development", None, "Uppföljningen av barnens lärande dokumenteras olika på avdelningarna."
            ),
        ),
        (("unit@demo.tillsyn.se", 5, 5, 4, "Useful advice we could act on at once."),),
    ),
    PastVisit(
        "Östra gymnasiet",
        SCHOOL,
        1,
        4,
        20,
        (
            PastFinding(
                1,
                "strength",
                None,
                "Skolan har ett välfungerande mentorskap: varje elev träffar sin mentor enskilt varannan vecka, "
                "och trygghetsenkäten följs upp klass för klass.",
                "by_kind",
                ("mentorsrum.jpg",),
            ),
            PastFinding(2, "development", None, "Elevhälsans mottagningstider är svåra att hitta för eleverna."),
            PastFinding(
                1, "deviation", "minor", "Två anmälningar om kränkande behandling utreddes efter mer än en månad."
            ),
            PastFinding(3, "deviation", "serious", "Resultaten används inte i det systematiska kvalitetsarbetet."),
        ),
        (("kollega@demo.tillsyn.se", 4, 4, 3, "Tydligt underlag, men långt mellan besöket och rapporten."),),
    ),
    PastVisit(
        "Björkbackens äldreboende",
        ELDERLY,
        1,
        10,
        2,
        (
            PastFinding(
                0,
                "strength",
                None,
                "Äldreboendet har en tydlig rutin för att förebygga fall: varje ny boende får en riskbedömning "
                "inom ett dygn, och åtgärderna följs upp vid teamträffen varje vecka.",
                "named",
                ("teamtavla.jpg", "rollator.jpg"),
            ),
            PastFinding(
                0, "development", None, "Larmloggarna gås igenom, men slutsatserna sprids inte till nattpersonalen."
            ),
            PastFinding(2, "deviation", "minor", "Tre av åtta timanställda hade inte gått introduktionen."),
        ),
        # Elin (enhet@) has not answered yet: her portal invites her.
        (("personal@demo.tillsyn.se", 4, 4, 5, "Granskarna lyssnade på oss och gav konkreta tips."),),
    ),
]

# The colours of a made-up photo: sky, ground, and three shapes (a demo needs something to look at).
PHOTO_COLOURS = {
    "utemiljo.jpg": ((170, 205, 235), (110, 160, 80), [(200, 60, 50), (240, 200, 40), (90, 120, 200)]),
    "mentorsrum.jpg": ((225, 220, 205), (150, 120, 90), [(60, 90, 140), (200, 160, 60), (120, 150, 110)]),
    "teamtavla.jpg": ((235, 235, 230), (120, 120, 130), [(40, 110, 160), (200, 80, 60), (80, 150, 90)]),
    "rollator.jpg": ((215, 225, 235), (170, 150, 120), [(60, 60, 70), (180, 40, 40), (230, 230, 230)]),
}

SELF_ASSESSMENT_WORDS = [
    (3, "Vi har rutiner för detta och följer upp dem på arbetsplatsträffarna."),
    (2, "Delvis: rutinen finns men är inte känd av alla nya medarbetare."),
    (4, "Ja, det här fungerar väl och följs upp varje termin."),
    (3, "Vi arbetar med det, men dokumentationen kan bli bättre."),
]


def photo(name: str) -> bytes:
    """A small made-up JPEG for the demo's photos (sky, ground and a few shapes): 640×480 pixels."""
    from PIL import Image, ImageDraw

    sky, ground, shapes = PHOTO_COLOURS.get(name, ((200, 200, 200), (120, 120, 120), [(80, 80, 80)] * 3))
    image = Image.new("RGB", (640, 480), sky)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 300, 640, 480), fill=ground)
    for i, colour in enumerate(shapes):
        x = 90 + i * 180
        draw.rounded_rectangle((x, 170 + 20 * i, x + 120, 330), radius=18, fill=colour)
        draw.ellipse((x + 30, 120 + 20 * i, x + 90, 180 + 20 * i), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def load() -> int:
    """Create what is missing (nothing once any good example exists); returns how many objects were created."""
    if db.session.scalar(select(GoodExample.id).limit(1)) is not None:
        return 0
    people = {u.email: u for u in db.session.scalars(select(User))}
    units = {u.name: u for u in db.session.scalars(select(Unit))}
    templates = {t.name: t for t in db.session.scalars(select(Template))}
    lead = people.get("granskare@demo.tillsyn.se")
    if lead is None or not all(v.unit in units and v.template in templates for v in PAST_VISITS):
        return 0
    created = _load_members(people, units)
    for past in PAST_VISITS:
        created += _load_past_visit(past, lead, people, units, templates)
    created += _load_current_proposal()
    created += _load_self_assessments(people)
    return created


def _load_members(people: dict[str, User], units: dict[str, Unit]) -> int:
    created = 0
    for email, name, unit in EXTRA_MEMBERS:
        if email not in people:
            people[email] = auth_services.create_user(
                actor=OPERATOR,
                email=email,
                name=name,
                roles=["unit_member"],
                unit_ids=[units[unit].id],
                language="sv",
                password=None,  # not one of the demo's logins: she only gave feedback
            )
            created += 1
    return created


def _load_past_visit(
    past: PastVisit,
    lead: User,
    people: dict[str, User],
    units: dict[str, Unit],
    templates: dict[str, Template],
) -> int:
    """One final visit of ``past.years_ago`` years ago: findings, photos, follow-ups of its serious deviations
    (agreed and verified, as the final report requires), kommunicering, final, good examples and feedback."""
    from app.followups import services as followups
    from app.visits import evidence
    from app.visits import services as visits

    today = local_today()
    when = date(today.year - past.years_ago, past.month, past.day)
    unit = units[past.unit]
    peer = people.get("kollega@demo.tillsyn.se")
    team = [peer.id] if peer is not None and unit.id not in {m.unit_id for m in peer.memberships} else []
    # Registered today with a date the planning rule accepts, then put on its real date (a visit of years ago
    # registered afterwards, DESIGN.md 4.1).
    visit = visits.create_visit(
        actor=OPERATOR,
        unit_id=unit.id,
        template_id=templates[past.template].id,
        visit_date=today,
        lead_id=lead.id,
        member_ids=team,
        aim="Ordinarie tillsyn enligt tillsynsplanen.",
    )
    visit.visit_date = when
    db.session.flush()
    visits.transition(visit.id, actor=OPERATOR, to=VisitStatus.in_progress, today=when)
    areas = visit.template_version.areas
    added: list[tuple[PastFinding, Finding]] = []
    for spec in past.findings:
        finding = visits.add_finding(
            visit.id,
            actor=OPERATOR,
            kind=spec.kind,
            severity=spec.severity,
            text=spec.text,
            review_area_id=areas[spec.area].id,
        )
        for name in spec.photos:
            evidence.store_upload(finding.id, actor=lead, filename=name, data=photo(name))
        added.append((spec, finding))
    visits.transition(visit.id, actor=OPERATOR, to=VisitStatus.draft, today=when)
    visits.transition(
        visit.id,
        actor=OPERATOR,
        to=VisitStatus.sent_for_comment,
        today=when + timedelta(days=14),
        comment_deadline=when + timedelta(days=35),
    )
    members = [p for p in people.values() if unit.id in {m.unit_id for m in p.memberships}]
    answerer = members[0] if members else None
    agreed_at = datetime.combine(when + timedelta(days=20), time(9), tzinfo=UTC)
    for spec, finding in added:
        if spec.severity == "serious" and answerer is not None:
            follow_up = followups.propose(
                actor=lead,
                unit_id=unit.id,
                finding_id=finding.id,
                title="Åtgärda bristen",
                description=f"Åtgärd efter tillsynen: {spec.text}",
                owner_id=answerer.id,
                due_date=when + timedelta(days=90),
                now=agreed_at,
            )
            followups.accept(follow_up.id, actor=answerer, now=agreed_at + timedelta(hours=3))
            followups.report_done(
                follow_up.id,
                actor=answerer,
                description="Åtgärden är genomförd och följs upp på arbetsplatsträffarna.",
                now=agreed_at + timedelta(days=60),
            )
            followups.verify(
                follow_up.id,
                actor=lead,
                note="Kontrollerat vid uppföljande samtal och i stickprov.",
                now=agreed_at + timedelta(days=70),
            )
    visits.transition(visit.id, actor=OPERATOR, to=VisitStatus.final, today=when + timedelta(days=40))
    created = 1
    for spec, finding in added:
        if spec.example and answerer is not None:
            _good_example(spec, finding, lead, answerer)
            created += 1
    for email, useful, respectful, clear, text in past.feedback:
        if email in people:
            services.give_feedback(
                visit.id, actor=people[email], useful=useful, respectful=respectful, clear=clear, text=text
            )
            created += 1
    db.session.flush()
    return created


def _good_example(spec: PastFinding, finding: Finding, lead: User, member: User) -> None:
    example = services.propose(finding.id, actor=lead)
    photo_ids = [e.id for e in finding.evidence if e.kind.value == "photo"]
    services.answer(example.id, actor=member, consent=True, named=spec.example != "by_kind", photo_ids=photo_ids)
    if spec.example == "withdrawn":
        services.withdraw(example.id, actor=member)


def _load_current_proposal() -> int:
    """The strength of the visit now out for comment (or later) is proposed: its unit decides in the portal."""
    finding = db.session.scalar(
        select(Finding)
        .join(Visit, Visit.id == Finding.visit_id)
        .outerjoin(GoodExample, GoodExample.finding_id == Finding.id)
        .where(
            Finding.kind == FindingKind.strength,
            GoodExample.id.is_(None),
            Visit.status.in_([VisitStatus.draft, VisitStatus.sent_for_comment]),
        )
        .order_by(Visit.visit_date.desc())
        .limit(1)
    )
    if finding is None:
        return 0
    lead = next((m.user for m in finding.visit.team if m.is_lead), None)
    services.propose(finding.id, actor=lead or OPERATOR)
    return 1


def _load_self_assessments(people: dict[str, User]) -> int:
    """Östra gymnasiet's visit in progress: submitted (the reviewers' tablet shows it beside their findings);
    Solrosens förskola's planned visit: a draft half filled in."""
    created = 0
    for unit_name, email, submit in (
        ("Östra gymnasiet", "kollega@demo.tillsyn.se", True),
        ("Solrosens förskola", "unit@demo.tillsyn.se", False),
    ):
        member = people.get(email)
        visit = db.session.scalar(
            select(Visit)
            .join(Unit, Unit.id == Visit.unit_id)
            .where(Unit.name == unit_name, Visit.status.in_([VisitStatus.planned, VisitStatus.in_progress]))
            .order_by(Visit.visit_date)
            .limit(1)
        )
        if member is None or visit is None:
            continue
        if db.session.scalar(select(SelfAssessment.id).where(SelfAssessment.visit_id == visit.id)) is not None:
            continue
        if db.session.scalar(select(SelfAssessmentDraft.id).where(SelfAssessmentDraft.visit_id == visit.id)):
            continue
        answers: dict[str, tuple[int | None, str]] = {}
        n = 0
        for area in visit.template_version.areas:
            for index, _question in enumerate(area.question_list):
                rating, words = SELF_ASSESSMENT_WORDS[n % len(SELF_ASSESSMENT_WORDS)]
                n += 1
                if submit or n <= 3:  # the draft: the first three questions so far
                    answers[answer_key(area.id, index)] = (rating, words)
        services.save_self_assessment(visit.id, actor=member, answers=answers, submit=submit)
        created += 1
    return created
