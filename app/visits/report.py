"""The report: one template for the HTML view and the PDF (WeasyPrint). On ``final`` the PDF is stored once
with its SHA-256 and served byte-identical afterwards."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

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


def report_context(visit: Visit) -> dict[str, Any]:
    """Findings grouped by review area, and within an area strengths first (learning-oriented supervision)."""
    areas = list(visit.template_version.areas)
    grouped: list[tuple[Any, list[tuple[FindingKind, list[Finding]]]]] = []
    for area in [*areas, None]:
        in_area = [f for f in ordered_findings(visit.findings) if f.review_area_id == (area.id if area else None)]
        if not in_area:
            continue
        by_kind = [(kind, [f for f in in_area if f.kind == kind]) for kind in KIND_ORDER]
        grouped.append((area, [(k, fs) for k, fs in by_kind if fs]))
    return {
        "visit": visit,
        "grouped": grouped,
        "responses": current_responses(visit),
        "comments": authority_comments(visit),
    }


def render_report_html(visit: Visit, *, for_pdf: bool = False) -> str:
    """The web view, or the standalone document WeasyPrint turns into the PDF; both include the same body."""
    template = "visits/report_pdf.html" if for_pdf else "visits/report.html"
    return render_template(template, for_pdf=for_pdf, stored=stored_report(visit), **report_context(visit))


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
