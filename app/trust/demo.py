"""Demo data of the trust domain (idempotent: a second run creates nothing).

An indicator catalogue; boundaries agreed between reviewers and units (and some still proposed); fourteen months
of readings; and Björkbackens äldreboende in closer review, with an open breach and its closer-review visit.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.auth.models import User
from app.core.models import local_today
from app.extensions import db
from app.trust import services
from app.trust.models import Indicator
from app.units.models import Unit

INDICATORS = [
    (
        "larm_inom_10_min",
        "Andel larm besvarade inom 10 minuter",
        "Share of alarms answered within 10 minutes",
        "%",
        "Andel trygghetslarm under månaden där personal var på plats hos den boende inom 10 minuter, "
        "enligt larmsystemets logg.",
    ),
    (
        "fall_per_1000_vardygn",
        "Antal fall per 1000 vårddygn",
        "Falls per 1,000 care days",
        "per 1000 vårddygn",
        "Rapporterade fall under månaden, delat med antalet vårddygn och multiplicerat med 1000.",
    ),
    (
        "personalomsattning",
        "Personalomsättning",
        "Staff turnover",
        "%",
        "Andel tillsvidareanställda som slutat under de senaste tolv månaderna, räknat vid månadens slut.",
    ),
    (
        "hog_franvaro",
        "Andel elever med hög frånvaro",
        "Share of pupils with high absence",
        "%",
        "Andel elever med minst 15 procent frånvaro (anmäld och oanmäld) under månaden.",
    ),
    (
        "svarstid_epost",
        "Svarstid på e-post från invånare",
        "Response time to e-mail from residents",
        "dagar",
        "Median av antalet arbetsdagar från inkommet e-postmeddelande till första svar.",
    ),
]

# Fourteen months, oldest first, ending with last month.
LARM = [94.1, 95.0, 93.2, 92.8, 94.6, 96.0, 93.9, 91.7, 92.4, 90.8, 91.2, 88.6, 86.5, 84.9]
FALL = [5.8, 6.1, 4.9, 5.5, 6.4, 7.2, 5.1, 4.8, 6.0, 5.7, 6.6, 7.9, 6.2, 5.9]
TURNOVER = [14.2, 15.1, 15.8, 16.4, 17.9, 18.3, 19.0, 18.4, 17.6, 16.9, 17.2, 18.8, 19.5, 20.1]
ABSENCE = [11.8, 12.4, 10.9, 13.1, 12.7, 9.8, 8.9, 11.5, 12.9, 13.6, 12.2, 11.9, 12.8, 13.4]
RESPONSE = [3.0, 2.5, 2.0, 2.5, 3.5, 4.0, 3.0, 2.5, 2.0, 2.0, 1.5, 2.0, 2.5, 2.0]


def _months(count: int, today: date) -> list[str]:
    """The ``count`` months before the current one, oldest first, as ``YYYY-MM``."""
    index = today.year * 12 + today.month - 1
    return [f"{(i // 12):04d}-{(i % 12) + 1:02d}" for i in range(index - count, index)]


def _agree(unit: Unit, proposer: User, acceptor: User, **terms: object) -> None:
    version = services.propose_boundary(unit.id, actor=proposer, **terms)  # type: ignore[arg-type]
    services.accept_version(version.id, actor=acceptor)


def _report(unit: Unit, reporter: User, key: str, values: list[float], today: date) -> None:
    months = _months(len(values), today)
    services.record_readings(
        unit.id,
        [services.ReadingInput(key, month, value) for month, value in zip(months, values, strict=True)],
        actor=reporter,
        source="csv",
        today=today,
    )


def load() -> int:
    """Create what is missing; returns how many objects were created."""
    if db.session.scalar(select(Indicator.id).limit(1)) is not None:
        return 0
    from app.core import access

    created = 0
    for key, name_sv, name_en, unit_of_measure, description in INDICATORS:
        services.create_indicator(
            actor=access.OPERATOR,  # type: ignore[arg-type]
            key=key,
            name_sv=name_sv,
            name_en=name_en,
            unit_of_measure=unit_of_measure,
            description=description,
        )
        created += 1
    people = {u.email: u for u in db.session.scalars(select(User))}
    units = {u.name: u for u in db.session.scalars(select(Unit))}
    reviewer = people.get("granskare@demo.tillsyn.se")
    care, preschool, school = (
        units.get("Björkbackens äldreboende"),
        units.get("Solrosens förskola"),
        units.get("Östra gymnasiet"),
    )
    care_member = people.get("enhet@demo.tillsyn.se")
    preschool_member = people.get("unit@demo.tillsyn.se")
    school_member = people.get("kollega@demo.tillsyn.se")
    if reviewer is None or None in (care, preschool, school, care_member, preschool_member, school_member):
        return created  # the foundation's demo people and units are not there: the catalogue alone
    assert care and preschool and school and care_member and preschool_member and school_member
    today = local_today()

    # Solrosens förskola: turnover watched; the unit proposes a stricter threshold, waiting for the supervisor.
    _agree(
        preschool,
        reviewer,
        preschool_member,
        kind="indicator",
        indicator="personalomsattning",
        comparator=">",
        threshold=25,
        periods=3,
        rationale="Barnen behöver trygga och kända vuxna; hög omsättning gör det svårt att hålla kontinuiteten.",
    )
    _report(preschool, preschool_member, "personalomsattning", TURNOVER, today)
    boundary = services.boundaries_of(preschool.id)[0]
    services.propose_boundary(
        preschool.id,
        actor=preschool_member,
        boundary_id=boundary.id,
        indicator="personalomsattning",
        comparator=">",
        threshold=20,
        periods=3,
        rationale="Vi vill själva bli påminda tidigare: omsättningen har ökat och vi vill vända trenden i tid.",
    )
    created += 3

    # Östra gymnasiet: absence watched, well inside the boundary.
    _agree(
        school,
        reviewer,
        school_member,
        kind="indicator",
        indicator="hog_franvaro",
        comparator=">",
        threshold=18,
        periods=2,
        rationale="Hög frånvaro är ofta det första tecknet på att en elev inte får det stöd den behöver.",
    )
    _report(school, school_member, "hog_franvaro", ABSENCE, today)
    created += 2

    # Björkbackens äldreboende: alarms, falls and serious deviations agreed; a boundary on overdue follow-ups
    # proposed and waiting for the unit. The latest three months of alarm readings cross the boundary.
    _agree(
        care,
        reviewer,
        care_member,
        kind="indicator",
        indicator="larm_inom_10_min",
        comparator="<",
        threshold=90,
        periods=3,
        rationale="Den som larmar ska få hjälp snabbt, också på natten. Ett enstaka dåligt utfall kan vara en slump, "
        "tre månader i rad är det inte.",
    )
    _agree(
        care,
        care_member,
        reviewer,
        kind="indicator",
        indicator="fall_per_1000_vardygn",
        comparator=">",
        threshold=9,
        periods=2,
        rationale="Vi vill upptäcka tidigt om fallen ökar, så att vi kan se över riskbedömningarna tillsammans.",
    )
    _agree(
        care,
        reviewer,
        care_member,
        kind="serious_deviation",
        rationale="En allvarlig brist i en granskning ska alltid följas upp tillsammans, inte bara skriftligt.",
    )
    services.propose_boundary(
        care.id,
        actor=reviewer,
        kind="overdue_follow_up",
        days=30,
        rationale="Det vi kommer överens om ska bli gjort; en månads försening är skäl att prata om varför.",
    )
    _report(care, care_member, "fall_per_1000_vardygn", FALL, today)
    _report(care, care_member, "larm_inom_10_min", LARM, today)
    created += 6

    # Medborgarkontoret Centrum reports response times without any boundary on them yet.
    office = units.get("Medborgarkontoret Centrum")
    if office is not None:
        _report(office, reviewer, "svarstid_epost", RESPONSE, today)
        created += 1
    db.session.flush()
    return created
