"""The report: one template for the HTML view and the PDF (WeasyPrint). On ``final`` the PDF is stored once
with its SHA-256 and served byte-identical afterwards."""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.core.models import local_today, local_zone
from app.core.organisation import Organisation, current_organisation
from app.extensions import db
from app.visits import policy
from app.visits.models import FinalReport, Finding, FindingKind, Response, ResponseComment, Severity, Visit

KIND_ORDER = [FindingKind.strength, FindingKind.development, FindingKind.deviation]


def current_responses(visit: Visit) -> dict[uuid.UUID | None, Response]:
    """The newest response per finding (None: the report as a whole) to the draft now out for comment or
    final; responses to a draft the lead took back for revision are not among them (DESIGN.md 4.1)."""
    newest: dict[uuid.UUID | None, Response] = {}
    for row in db.session.scalars(
        select(Response)
        .where(Response.visit_id == visit.id, policy.current_response(visit))
        .order_by(Response.received_at, Response.id)
    ):
        newest[row.finding_id] = row
    return newest


def authority_comments(visit: Visit) -> dict[uuid.UUID, ResponseComment]:
    """The authority's comments on the visit's responses, by response id (one query; DESIGN.md 4.1)."""
    return {
        c.response_id: c
        for c in db.session.scalars(
            select(ResponseComment)
            .join(Response, Response.id == ResponseComment.response_id)
            .where(Response.visit_id == visit.id)
            .options(selectinload(ResponseComment.written_by))
        )
    }


def ordered_findings(findings: list[Finding]) -> list[Finding]:
    """Strengths first, then areas for development, then deviations (serious before minor); in each kind in
    the order they were recorded. Learning-oriented supervision opens with what works."""
    return sorted(
        findings,
        key=lambda f: (KIND_ORDER.index(f.kind), f.severity != Severity.serious, f.created_at, f.id),
    )


LOGO_URL = "tillsyn:/organisation/logo"


def logo_src(organisation: Organisation, *, for_pdf: bool) -> str | None:
    """Where the letterhead's logo comes from: the PDF's own fetcher (``tillsyn:/organisation/logo``), or for the
    web view the file inlined as a ``data:`` URL; None without a configured logo (DESIGN.md 4.1)."""
    if organisation.logo_path is None:
        return None
    if for_pdf:
        return LOGO_URL
    mime = mimetypes.guess_type(organisation.logo_path.name)[0] or "image/png"
    return f"data:{mime};base64,{base64.b64encode(organisation.logo_path.read_bytes()).decode()}"


@dataclass(frozen=True)
class Signature:
    """Who finalised the report and in what role ("fastställd av", DESIGN.md 4.1), and the contact person the
    report names: the lead reviewer's name and e-mail with the organisation's telephone. ``finaliser`` is None
    for a draft, or when the command line finalised it; ``role`` is translated and lower-case (it stands
    inside a sentence)."""

    finaliser: User | None
    role: str
    finalised_at: datetime | None
    contact: User | None
    contact_phone: str | None


def signature(visit: Visit, organisation: Organisation) -> Signature:
    """The report's closing lines (see :class:`Signature`)."""
    finaliser = db.session.get(User, visit.finalised_by_id) if visit.finalised_by_id else None
    role = ""
    if finaliser is not None:
        member = next((m for m in visit.team if m.user_id == finaliser.id), None)
        if member is not None and member.is_lead:
            role = _("lead reviewer")
        elif finaliser.is_coordinator:
            role = _("coordinator")
        else:
            role = _("reviewer")
    return Signature(
        finaliser=finaliser,
        role=role,
        finalised_at=visit.finalised_at,
        contact=visit.lead,
        contact_phone=organisation.phone,
    )


def report_context(visit: Visit, *, for_pdf: bool = False) -> dict[str, Any]:
    """Findings grouped by review area, and within an area strengths first (learning-oriented supervision);
    the letterhead's organisation and logo, and the closing signature (DESIGN.md 4.1)."""
    areas = list(visit.template_version.areas)
    grouped: list[tuple[Any, list[tuple[FindingKind, list[Finding]]]]] = []
    for area in [*areas, None]:
        in_area = [f for f in ordered_findings(visit.findings) if f.review_area_id == (area.id if area else None)]
        if not in_area:
            continue
        by_kind = [(kind, [f for f in in_area if f.kind == kind]) for kind in KIND_ORDER]
        grouped.append((area, [(k, fs) for k, fs in by_kind if fs]))
    organisation = current_organisation()
    return {
        "visit": visit,
        "grouped": grouped,
        "responses": current_responses(visit),
        "comments": authority_comments(visit),
        "organisation": organisation,
        "logo_src": logo_src(organisation, for_pdf=for_pdf),
        "signature": signature(visit, organisation),
        "letter_date": (
            visit.finalised_at.astimezone(local_zone()).date() if visit.finalised_at is not None else local_today()
        ),
    }


def render_report_html(visit: Visit, *, for_pdf: bool = False) -> str:
    """The web view, or the standalone document WeasyPrint turns into the PDF; both include the same body."""
    template = "visits/report_pdf.html" if for_pdf else "visits/report.html"
    return render_template(
        template, for_pdf=for_pdf, stored=stored_report(visit), **report_context(visit, for_pdf=for_pdf)
    )


def render_pdf(visit: Visit) -> bytes:
    from weasyprint import HTML

    html = render_report_html(visit, for_pdf=True)
    # Tagged as PDF/UA-1: headings, lists, tables and the language reach screen readers (WCAG 1.3.1).
    return HTML(string=html, url_fetcher=_evidence_fetcher(), base_url="tillsyn:/").write_pdf(pdf_variant="pdf/ua-1")


def _evidence_fetcher() -> Any:
    """Images in the PDF come straight from evidence storage; nothing else may be fetched (no network)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    from app.core import files
    from app.visits.models import Evidence

    class EvidenceFetcher(URLFetcher):  # type: ignore[misc]
        prefix = "tillsyn:/evidence/"

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if url == LOGO_URL:
                logo = current_organisation().logo_path
                if logo is None:
                    raise ValueError("no logo is configured")
                mime = mimetypes.guess_type(logo.name)[0] or "image/png"
                return URLFetcherResponse(url, body=logo.read_bytes(), headers={"Content-Type": mime})
            if not url.startswith(self.prefix):
                raise ValueError(f"not allowed in a report: {url}")
            evidence_id, _sep, variant = url[len(self.prefix) :].partition("/")
            item = db.session.get(Evidence, uuid.UUID(evidence_id))
            if item is None:
                raise ValueError("no such evidence")
            thumb = variant == "thumb" and item.thumbnail_name
            path = files.thumbnail_path(item) if thumb else files.file_path(item)
            mime = "image/jpeg" if thumb else item.content_type
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mime})

    return EvidenceFetcher(allowed_protocols={"tillsyn"})


def pdf_bytes(visit: Visit) -> tuple[bytes, str | None]:
    """The report's PDF and, for a final report, its SHA-256: the stored bytes once final, never rendered
    again (data changed since then do not touch it); a draft is rendered now and has no fixed hash."""
    from app.visits.models import VisitStatus

    if visit.status in (VisitStatus.final, VisitStatus.closed):
        stored = stored_report(visit)
        if stored is not None:
            return stored.pdf, stored.sha256
    return render_pdf(visit), None


def stored_report(visit: Visit) -> FinalReport | None:
    return db.session.scalar(select(FinalReport).where(FinalReport.visit_id == visit.id))


def store_final_report(visit: Visit) -> FinalReport:
    """Render and keep the final PDF once; a second call returns the stored one unchanged."""
    existing = stored_report(visit)
    if existing is not None:
        return existing
    pdf = render_pdf(visit)
    row = FinalReport(id=uuid.uuid4(), visit=visit, pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest())
    db.session.add(row)
    db.session.flush()
    return row
