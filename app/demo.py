"""The demo data set of the embedded default: a few units and people of every role (idempotent)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.auth import services as auth_services
from app.auth.models import User
from app.core import access, audit
from app.extensions import db
from app.units import services as unit_services
from app.units.models import Unit, UnitKind

DEMO_PASSWORD = "tillsyn-demo-2026"  # noqa: S105  (printed by `make run`; demo data only)

UNITS = [
    ("Solrosens förskola", UnitKind.preschool, "solrosen@demo.tillsyn.se"),
    ("Björkbackens äldreboende", UnitKind.elderly_care, "bjorkbacken@demo.tillsyn.se"),
    ("Östra gymnasiet", UnitKind.school, "ostra@demo.tillsyn.se"),
    ("Medborgarkontoret Centrum", UnitKind.municipal_office, "medborgarkontoret@demo.tillsyn.se"),
]

# Where each unit is, who runs it (huvudman) and its organisation number (Luhn-valid, made up).
PLACES = {
    "Solrosens förskola": ("Solrosvägen 4, 123 45 Demoby", "Demo kommun", "212000-1355"),
    "Björkbackens äldreboende": ("Björkbacken 12, 123 46 Demoby", "Omsorg i Demo AB", "559900-0006"),
    "Östra gymnasiet": ("Skolgatan 1, 123 47 Demoby", "Demo kommun", "212000-1355"),
    "Medborgarkontoret Centrum": ("Stora torget 2, 123 40 Demoby", "Demo kommun", "212000-1355"),
}

# (e-mail, name, roles, units, language)
PEOPLE = [
    ("samordnare@demo.tillsyn.se", "Sara Samordnare", ["coordinator"], [], "sv"),
    ("granskare@demo.tillsyn.se", "Gustav Granskare", ["reviewer"], [], "sv"),
    ("kollega@demo.tillsyn.se", "Karin Kollega", ["reviewer", "unit_member"], ["Östra gymnasiet"], "sv"),
    ("enhet@demo.tillsyn.se", "Elin Enhetschef", ["unit_member"], ["Björkbackens äldreboende"], "sv"),
    ("unit@demo.tillsyn.se", "Ulla Unit", ["unit_member"], ["Solrosens förskola"], "en"),
]

# What `make run` prints: one login per role.
DEMO_LOGINS = [
    ("coordinator", "samordnare@demo.tillsyn.se"),
    ("reviewer", "granskare@demo.tillsyn.se"),
    ("unit_member", "enhet@demo.tillsyn.se"),
    ("peer reviewer", "kollega@demo.tillsyn.se"),  # a reviewer who is also a member of Östra gymnasiet (jäv)
]


def load() -> int:
    """Create what is missing; returns how many objects were created (0 on a second run)."""
    created = 0
    units: dict[str, Unit] = {u.name: u for u in db.session.scalars(select(Unit))}
    for name, kind, email in UNITS:
        if name not in units:
            address, owner, organisation_number = PLACES.get(name, (None, None, None))
            units[name] = unit_services.create_unit(
                actor=access.OPERATOR,  # type: ignore[arg-type]
                name=name,
                kind=kind,
                contact_email=email,
                address=address,
                owner=owner,
                organisation_number=organisation_number,
                municipality="Demo kommun" if name in PLACES else None,
            )
            created += 1
    existing = set(db.session.scalars(select(User.email)))
    for email, name, roles, unit_names, language in PEOPLE:
        if email in existing:
            continue
        auth_services.create_user(
            actor=access.OPERATOR,  # type: ignore[arg-type]
            email=email,
            name=name,
            roles=roles,
            unit_ids=[units[n].id for n in unit_names],
            language=language,
            password=DEMO_PASSWORD,
        )
        created += 1
    db.session.flush()
    created += _load_visits()
    db.session.flush()
    from app.dialogue import demo as dialogue_demo
    from app.followups import demo as followups_demo
    from app.learning import demo as learning_demo
    from app.trust import demo as trust_demo

    for domain_demo in (followups_demo, trust_demo, dialogue_demo, learning_demo):
        created += domain_demo.load()
        db.session.flush()
    # After the follow-ups' demo (it adds its own only while there are none).
    created += _load_visits_in_every_status()
    db.session.flush()
    return created


ELDERLY_CARE = """Trygghet och säkerhet
- Hur arbetar ni med riskbedömningar för fall, trycksår och undernäring?
- Hur rapporteras, analyseras och följs avvikelser upp?
- Hur säkerställs att larm besvaras i tid, även nattetid?
Bemötande, delaktighet och självbestämmande
- Hur görs de boende delaktiga i planeringen av sin vardag?
- Hur tas hänsyn till den enskildes vanor och önskemål?
Personal och kompetens
- Hur introduceras ny personal och timanställda?
- Hur säkerställs kontinuitet i vem som ger stöd till den enskilde?
Dokumentation
- Är genomförandeplanerna aktuella och kända av personalen?
"""

SCHOOL = """Undervisning och lärande
- Hur anpassas undervisningen efter elevernas olika behov?
- Hur följs elevernas kunskapsutveckling upp?
Trygghet och studiero
- Hur arbetar skolan förebyggande mot kränkande behandling?
- Hur utreds och åtgärdas anmälda kränkningar?
Elevhälsa
- Hur samverkar elevhälsan med lärarna?
- Hur snabbt får elever i behov av särskilt stöd en utredning?
Styrning och utveckling
- Hur används resultaten i det systematiska kvalitetsarbetet?
"""


def _load_visits() -> int:
    """Two realistic templates and visits in several statuses (only when none exist yet)."""
    from datetime import date, timedelta

    from app.visits import services as visit_services
    from app.visits.models import Template, Visit, VisitPurpose, VisitStatus

    if db.session.scalar(select(Template.id).limit(1)) is not None:
        return 0
    operator = access.OPERATOR
    elderly = visit_services.create_template(
        actor=operator,  # type: ignore[arg-type]
        name="Äldreomsorg – särskilt boende",
        description="Granskningsmall för kollegial granskning av särskilda boenden.",
        areas=ELDERLY_CARE,
    )
    school = visit_services.create_template(
        actor=operator,  # type: ignore[arg-type]
        name="Skola – grundskola och gymnasium",
        description="Granskningsmall för tillsyn av skolor.",
        areas=SCHOOL,
    )
    people = {u.email: u for u in db.session.scalars(select(User))}
    units = {u.name: u for u in db.session.scalars(select(Unit))}
    lead = people["granskare@demo.tillsyn.se"]
    peer = people["kollega@demo.tillsyn.se"]
    today = date.today()

    def plan(unit: str, template: Template, when: date | None, members: list[User], purpose: str = "planned") -> Visit:
        return visit_services.create_visit(
            actor=operator,  # type: ignore[arg-type]
            unit_id=units[unit].id,
            template_id=template.id,
            visit_date=when,
            lead_id=lead.id,
            member_ids=[m.id for m in members],
            purpose=VisitPurpose(purpose),
            aim="Ordinarie tillsyn enligt tillsynsplanen.",
        )

    def move(visit: Visit, *steps: VisitStatus, **kwargs: object) -> None:
        for step in steps:
            visit_services.transition(visit.id, actor=operator, to=step, **kwargs)  # type: ignore[arg-type]

    # Björkbackens äldreboende: the draft report is out for comment with the unit.
    care = plan("Björkbackens äldreboende", elderly, today - timedelta(days=6), [peer])
    move(care, VisitStatus.in_progress)
    areas = care.template_version.areas
    for area, kind, severity, text in [
        (areas[1], "strength", None, "Personalen känner de boendes vanor väl och ger dem tid vid måltiderna."),
        (areas[0], "development", None, "Riskbedömningar görs, men åtgärderna följs inte alltid upp i journalen."),
        (
            areas[0],
            "deviation",
            "serious",
            "Två larm nattetid besvarades efter mer än 20 minuter under granskad vecka.",
        ),
        (areas[3], "deviation", "minor", "Tre av tio genomförandeplaner var äldre än ett år."),
    ]:
        visit_services.add_finding(
            care.id,
            actor=operator,  # type: ignore[arg-type]
            kind=kind,
            severity=severity,
            text=text,
            review_area_id=area.id,  # type: ignore[arg-type]
        )
    move(care, VisitStatus.draft)
    move(care, VisitStatus.sent_for_comment, comment_deadline=today + timedelta(days=10))

    # Östra gymnasiet: on site today (the peer reviewer is a member of this unit, so not on the team: jäv).
    gym = plan("Östra gymnasiet", school, today, [])
    move(gym, VisitStatus.in_progress)
    visit_services.add_finding(
        gym.id,
        actor=operator,  # type: ignore[arg-type]
        kind="strength",
        text="Eleverna beskriver en trygg skolmiljö och vet vart de vänder sig.",
        review_area_id=gym.template_version.areas[1].id,
    )
    # Solrosens förskola: planned.
    plan("Solrosens förskola", school, today + timedelta(days=21), [peer])
    return 6


MUNICIPAL_OFFICE = """Tillgänglighet och bemötande
- Hur får besökare hjälp på andra språk än svenska?
- Hur anpassas mottagandet för besökare med funktionsnedsättning?
Handläggning och service
- Hur följs ärenden upp som inte kan lösas vid första besöket?
- Hur dokumenteras råd och hänvisningar?
Informationssäkerhet
- Hur skyddas personuppgifter vid disken och i telefon?
"""


def _load_visits_in_every_status() -> int:
    """The visits the README promises beside the first ones: a draft report, a final report with its stored PDF,
    a closed case whose follow-up was verified, and a cancelled visit (only when no such visit exists yet).

    Every step goes through the services, as a person would take it: the final PDF is stored by the move to
    ``final`` and the closing waits for the verified follow-up (DESIGN.md 4.1, 4.4)."""
    from datetime import date

    from app.visits import services as visit_services
    from app.visits.models import Template, Visit, VisitStatus

    # Final visits alone do not count: the learning demo finalises visits of earlier years of its own.
    later = (VisitStatus.draft, VisitStatus.closed, VisitStatus.cancelled)
    if db.session.scalar(select(Visit.id).where(Visit.status.in_(later)).limit(1)) is not None:
        return 0
    people = {u.email: u for u in db.session.scalars(select(User))}
    units = {u.name: u for u in db.session.scalars(select(Unit))}
    templates = {t.name: t for t in db.session.scalars(select(Template))}
    lead = people.get("granskare@demo.tillsyn.se")
    peer = people.get("kollega@demo.tillsyn.se")
    care_member = people.get("enhet@demo.tillsyn.se")
    elderly = templates.get("Äldreomsorg – särskilt boende")
    school = templates.get("Skola – grundskola och gymnasium")
    if not (lead and peer and care_member and elderly and school) or len(units) < len(UNITS):
        return 0
    operator: Any = access.OPERATOR
    today = date.today()
    session = db.session()
    previous = audit.get_audit_context(session)

    def by(person: User) -> None:
        """The history names who took each step, as if they had taken it in the app (as the dialogue's demo does)."""
        audit.set_audit_context(session, audit.AuditContext(actor_id=person.id, via="web"))

    def plan(unit: str, template: Template, when: date, members: list[User], aim: str) -> Visit:
        return visit_services.create_visit(
            actor=operator,
            unit_id=units[unit].id,
            template_id=template.id,
            visit_date=when,
            lead_id=lead.id,
            member_ids=[m.id for m in members],
            aim=aim,
        )

    def record(visit: Visit, findings: list[tuple[int, str, str | None, str]]) -> None:
        visit_services.transition(visit.id, actor=operator, to=VisitStatus.in_progress)
        areas = visit.template_version.areas
        for area, kind, severity, text in findings:
            visit_services.add_finding(
                visit.id, actor=operator, kind=kind, severity=severity, text=text, review_area_id=areas[area].id
            )
        visit_services.transition(visit.id, actor=operator, to=VisitStatus.draft)

    try:
        return _visits_in_every_status(plan, record, by, lead, peer, care_member, elderly, school, units, today)
    finally:
        audit.set_audit_context(session, previous)


def _visits_in_every_status(plan, record, by, lead, peer, care_member, elderly, school, units, today) -> int:  # type: ignore[no-untyped-def]
    """The steps of ``_load_visits_in_every_status``, each by the person who would take it."""
    from datetime import timedelta

    from app.followups import services as followup_services
    from app.visits import services as visit_services
    from app.visits.models import VisitStatus
    from app.visits.services.responses import FindingAnswer

    operator: Any = access.OPERATOR
    # Björkbackens äldreboende, last winter: closed; its serious deviation's follow-up was done and verified.
    by(lead)
    earlier = plan(
        "Björkbackens äldreboende",
        elderly,
        today - timedelta(days=300),
        [peer],
        "Ordinarie tillsyn enligt tillsynsplanen, med särskilt fokus på läkemedelshantering.",
    )
    record(
        earlier,
        [
            (0, "deviation", "serious", "Läkemedelsskåpet på avdelning 2 stod olåst vid två av tre kontroller."),
            (1, "strength", None, "De boende väljer själva när de vill äta frukost och äter i lugn och ro."),
        ],
    )
    visit_services.transition(
        earlier.id, actor=operator, to=VisitStatus.sent_for_comment, comment_deadline=today + timedelta(days=14)
    )
    serious = next(f for f in earlier.findings if f.severity is not None)
    by(care_member)
    visit_services.submit_response(
        earlier.id,
        actor=care_member,
        overall="Vi tackar för en lärorik granskning.",
        answers=[
            FindingAnswer(
                serious.id, "agree", "Vi har bytt lås och infört en kontrollista som signeras vid varje pass."
            )
        ],
    )
    by(lead)
    locks = followup_services.propose(
        actor=lead,
        unit_id=units["Björkbackens äldreboende"].id,
        visit_id=earlier.id,
        finding_id=serious.id,
        title="Låsta läkemedelsskåp på alla avdelningar",
        description="Byt lås och inför en kontrollista som signeras vid varje arbetspass.",
        due_date=today + timedelta(days=30),
        owner_id=care_member.id,
    )
    by(care_member)
    followup_services.accept(locks.id, actor=care_member)
    followup_services.report_done(
        locks.id, actor=care_member, description="Nya lås är monterade och kontrollistan används sedan en månad."
    )
    by(lead)
    followup_services.verify(
        locks.id, actor=lead, note="Kontrollerat vid ett oanmält besök: alla skåp var låsta och listan signerad."
    )
    visit_services.transition(earlier.id, actor=operator, to=VisitStatus.final)
    visit_services.transition(earlier.id, actor=operator, to=VisitStatus.closed)

    # Östra gymnasiet, in the spring: the report is final and its PDF stored (the unit responded in time).
    spring = plan(
        "Östra gymnasiet",
        school,
        today - timedelta(days=120),
        [],
        "Tillsyn av trygghet, studiero och elevhälsa efter elevenkätens resultat.",
    )
    record(
        spring,
        [
            (1, "strength", None, "Mentorerna följer upp frånvaro samma dag och kontaktar vårdnadshavare."),
            (2, "development", None, "Elevhälsans möten dokumenteras, men åtgärderna följs sällan upp."),
            (1, "deviation", "minor", "Två anmälningar om kränkande behandling saknade dokumenterad utredning."),
        ],
    )
    visit_services.transition(
        spring.id, actor=operator, to=VisitStatus.sent_for_comment, comment_deadline=today + timedelta(days=14)
    )
    by(peer)
    visit_services.submit_response(
        spring.id,
        actor=peer,
        overall="Rektor och elevhälsan har gått igenom rapporten tillsammans.",
        answers=[
            FindingAnswer(f.id, "agree", "Vi har infört en mall för uppföljning av elevhälsans åtgärder.")
            for f in spring.findings
            if f.kind.value == "development"
        ],
    )
    by(lead)
    visit_services.transition(spring.id, actor=operator, to=VisitStatus.final)

    # Medborgarkontoret Centrum: findings written up, the draft report not yet sent to the unit.

    office = visit_services.create_template(
        actor=operator,
        name="Medborgarservice – kommunalt kontor",
        description="Granskningsmall för kommunens medborgarkontor.",
        areas=MUNICIPAL_OFFICE,
    )
    draft = plan(
        "Medborgarkontoret Centrum",
        office,
        today - timedelta(days=9),
        [peer],
        "Uppföljning av medborgarnas synpunkter om väntetider och tillgänglighet.",
    )
    record(
        draft,
        [
            (0, "strength", None, "Besökare får tolk via telefon inom fem minuter."),
            (1, "development", None, "Hänvisningar till andra förvaltningar dokumenteras inte alltid."),
            (2, "deviation", "minor", "Besökslistan med namn och ärende låg synlig på disken."),
        ],
    )

    # Solrosens förskola: a second visit planned by mistake, cancelled with the reason the unit reads.
    mistaken = plan(
        "Solrosens förskola", school, today + timedelta(days=35), [peer], "Ordinarie tillsyn enligt tillsynsplanen."
    )
    visit_services.transition(
        mistaken.id,
        actor=operator,
        to=VisitStatus.cancelled,
        reason="Besöket planerades av misstag: förskolan har redan ett planerat besök den här terminen.",
    )
    return 5
