"""The report as a web page and as a PDF; a final report's PDF is the stored one, byte for byte."""

from __future__ import annotations

import base64
import uuid

from flask import Response, current_app, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.core.web import is_api_request, problem
from app.visits import bp, report
from app.visits import policy as visits_policy
from app.visits.models import Visit


@bp.get("/visits/<uuid:visit_id>/report")
@login_required
def report_page(visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    visit = visits_policy.get_visit_with_content(current_user, visit_id)
    return report.render_report_html(visit)


@bp.get("/visits/<uuid:visit_id>/report.pdf")
@login_required
def report_pdf(visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    visit = visits_policy.get_visit_with_content(current_user, visit_id)
    return pdf_response(visit)


def pdf_response(visit: Visit) -> Response:
    """The stored PDF of a final report (with its SHA-256 in ``X-Report-SHA256``, ``Repr-Digest`` and the
    ETag), or a draft rendered now. The UI and the API both answer with this."""
    try:
        body, digest = report.pdf_bytes(visit)
    except OSError:  # WeasyPrint without its system libraries (Pango): say so, don't crash
        current_app.logger.exception("could not render the PDF of %s", visit.case_number)
        if is_api_request():
            return problem(503, _("The PDF cannot be made right now"), _("Try again later or open the report page."))
        return Response(render_template("errors/error.html", status=503, title="PDF"), status=503)
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{visit.case_number}.pdf"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    if digest:
        response.headers["X-Report-SHA256"] = digest
        response.headers["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(digest)).decode()}:"
        response.set_etag(digest)
    return response
