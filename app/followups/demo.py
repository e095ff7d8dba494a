"""Demo data of the followups domain (idempotent: a second run creates nothing).

Follow-ups in every state on the demo visits and units, with due dates relative to today; the overdue one
was agreed "a month ago", so its earlier reminders are due now and the first sweep sends the latest of
them (and marks the earlier one skipped), which `make run` shows in the outbox within a minute.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.auth.models import User
from app.core import access
from app.core.models import utcnow
from app.extensions import db
from app.followups import services
from app.followups.models import FollowUp
from app.units.models import Unit
from app.visits.models import FindingKind, Severity, Visit, VisitStatus


def load() -> int:
    """Create what is missing; returns how many objects were created."""
    if db.session.scalar(select(FollowUp.id).limit(1)) is not None:
        return 0
    people = {u.email: u for u in db.session.scalars(select(User))}
    units = {u.name: u for u in db.session.scalars(select(Unit))}
    reviewer = people.get("granskare@demo.tillsyn.se")
    care_member = people.get("enhet@demo.tillsyn.se")
    preschool_member = people.get("unit@demo.tillsyn.se")
    school_member = people.get("kollega@demo.tillsyn.se")
    care = units.get("Björkbackens äldreboende")
    if not (reviewer and care_member and preschool_member and school_member and care):
        return 0
    now = utcnow()
    today = now.date()
    month_ago = now - timedelta(days=30)
    created = 0
    visit = db.session.scalar(
        select(Visit).where(Visit.unit_id == care.id, Visit.status == VisitStatus.sent_for_comment)
    )
    if visit is not None:
        findings = {(f.kind, f.severity): f for f in visit.findings}
        serious = findings.get((FindingKind.deviation, Severity.serious))
        development = findings.get((FindingKind.development, None))
        if serious is not None:
            # Agreed for the serious deviation: proposed by the lead reviewer, accepted by the unit.
            alarm = services.propose(
                actor=reviewer,
                unit_id=care.id,
                finding_id=serious.id,
                title="Rutin för att besvara larm nattetid",
                description="Ta fram och inför en rutin som säkerställer att larm nattetid besvaras inom "
                "fem minuter, med uppföljning av svarstider varje vecka.",
                owner_id=care_member.id,
                due_date=today + timedelta(days=21),
            )
            services.accept(alarm.id, actor=care_member)
            created += 1
        if development is not None:
            # Proposed by the unit, waiting for the review team.
            services.propose(
                actor=care_member,
                unit_id=care.id,
                finding_id=development.id,
                title="Uppföljning av riskbedömningar i journalen",
                description="Omvårdnadsansvarig sjuksköterska går igenom att åtgärder efter riskbedömningar "
                "dokumenteras, vid varje teamträff.",
                due_date=today + timedelta(days=45),
            )
            created += 1
    # Agreed a month ago and now overdue: its reminders 7 days before and on the due date are both due.
    overdue = services.propose(
        actor=reviewer,
        unit_id=care.id,
        title="Uppdatera genomförandeplaner som är äldre än ett år",
        description="Alla genomförandeplaner ses över tillsammans med den enskilde och uppdateras.",
        owner_id=care_member.id,
        due_date=today - timedelta(days=2),
        now=month_ago,
    )
    services.accept(overdue.id, actor=care_member, now=month_ago + timedelta(hours=2))
    created += 1
    # Solrosens förskola: reported done, waiting for the reviewer to verify.
    preschool = units.get("Solrosens förskola")
    if preschool is not None:
        done = services.propose(
            actor=reviewer,
            unit_id=preschool.id,
            title="Utrymningsövning med barnen",
            description="Genomför en utrymningsövning under hösten och dokumentera erfarenheterna.",
            owner_id=preschool_member.id,
            due_date=today + timedelta(days=5),
            now=month_ago,
        )
        services.accept(done.id, actor=preschool_member, now=month_ago + timedelta(days=1))
        services.report_done(
            done.id,
            actor=preschool_member,
            description="Övningen genomfördes den 12:e med alla avdelningar; alla var ute inom fyra minuter. "
            "Erfarenheterna är dokumenterade i kvalitetsrapporten.",
        )
        created += 1
    # Östra gymnasiet: one verified, one cancelled.
    school = units.get("Östra gymnasiet")
    if school is not None:
        verified = services.propose(
            actor=reviewer,
            unit_id=school.id,
            title="Rutin för anmälan av kränkande behandling",
            description="Rutinen för anmälan till huvudmannen görs känd för all personal.",
            owner_id=school_member.id,
            due_date=today + timedelta(days=1),
            now=month_ago,
        )
        services.accept(verified.id, actor=school_member, now=month_ago)
        services.report_done(
            verified.id, actor=school_member, description="Rutinen gicks igenom på APT; den finns på intranätet."
        )
        services.verify(
            verified.id,
            actor=reviewer,
            note="Kontrollerat i protokoll från APT och i stickprov bland fem lärare som alla kände till rutinen.",
        )
        cancelled = services.propose(
            actor=school_member,
            unit_id=school.id,
            title="Ny schemaläggning för elevhälsan",
            description="Elevhälsans mottagningstider samordnas med lärarnas planeringstid.",
            due_date=today + timedelta(days=60),
        )
        services.cancel(
            cancelled.id,
            actor=access.OPERATOR,  # type: ignore[arg-type]
            reason="Ersätts av huvudmannens gemensamma översyn av elevhälsan.",
        )
        created += 2
    db.session.flush()
    return created
