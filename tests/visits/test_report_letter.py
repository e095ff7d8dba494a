"""The final report is an authority's document (DESIGN.md 4.1): letterhead, purpose and legal basis, the lead's
summary, photo captions, "fastställd av", a contact person; headings never alone at a page foot; a long word never
runs off the page. Read back from the PDF with pypdf (text, and each text run's position and width)."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader
from pypdf.generic._font import Font

ORGANISATION = {
    "ORGANISATION_NAME": "Norrvikens kommun, Tillsynsenheten",
    "ORGANISATION_ADDRESS": "Box 400|851 85 Norrviken",
    "ORGANISATION_PHONE": "0771-44 55 66",
    "ORGANISATION_EMAIL": "tillsyn@norrviken.se",
    "ORGANISATION_WEBSITE": "www.norrviken.se/tillsyn",
}
AREAS = """Trygghet och säkerhet
- Hur arbetar ni med riskbedömningar?
Bemötande och delaktighet
- Hur görs de boende delaktiga?
Läkemedelshantering
- Hur förvaras läkemedel?
"""
PURPOSE = "Granskningen bedömer om verksamheten följer socialtjänstlagen och stödjer enhetens förbättringsarbete."
LEGAL_BASIS = "13 kap. 1 § socialtjänstlagen (2001:453); SOSFS 2011:9."
SUMMARY = "Enheten ger ett gott bemötande men behöver följa upp riskbedömningar systematiskt."
CAPTION = "Läkemedelsrummet på avdelning 2 stod olåst vid besöket."
# A pasted link or reference: 160 characters without a space.
TOKEN = ("Avvikelserapport-" + "0123456789abcdefghij" * 8)[:160]
MM = 72 / 25.4
LEFT_MARGIN, RIGHT_MARGIN, TOP_MARGIN, BOTTOM_MARGIN = 25 * MM, 20 * MM, 24 * MM, 26 * MM  # report_pdf.html


@pytest.fixture
def app_config(app_config: dict[str, Any], tmp_path: Any) -> dict[str, Any]:
    logo = tmp_path / "logo.png"
    Image.new("RGB", (120, 120), "#0b4f8a").save(logo)
    return {**app_config, **ORGANISATION, "ORGANISATION_LOGO_PATH": str(logo)}


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), "orange").save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture
def final_visit(db, make_unit, make_user) -> Any:
    """Make a visit the lead finalises, through the services: findings in three areas (``texts`` by area), a captioned
    photo, the summary, the unit's response with the authority's comment, an agreed follow-up."""
    from app.core import access
    from app.followups import services as followups
    from app.visits import evidence, services

    def make(
        texts: dict[int, list[tuple[str, str | None, str]]] | None = None,
        *,
        summary: str = SUMMARY,
        caption: str = CAPTION,
        follow_up: str = "Dörrstängare och kodlås på avdelning 2.",
        response: str = "Vi har satt in ett kodlås.",
    ) -> Any:
        unit = make_unit("Björkbackens äldreboende", address="Björkvägen 12, 852 40 Norrviken")
        lead = make_user("reviewer", name="Karin Lindqvist", email="karin.lindqvist@norrviken.se")
        manager = make_user("unit_member", name="Eva Sundberg", units=[unit])
        template = services.create_template(
            actor=access.OPERATOR,  # type: ignore[arg-type]
            name="Särskilt boende",
            areas=AREAS,
            purpose=PURPOSE,
            legal_basis=LEGAL_BASIS,
        )
        visit = services.create_visit(
            actor=access.OPERATOR,  # type: ignore[arg-type]
            unit_id=unit.id,
            template_id=template.id,
            visit_date=date.today(),
            lead_id=lead.id,
            member_ids=[],
        )
        services.transition(visit.id, actor=lead, to="in_progress")
        areas = visit.template_version.areas
        texts = texts or {
            0: [("strength", None, "Överlämningen sker enligt en skriftlig rutin.")],
            2: [("deviation", "minor", "Läkemedelsrummet var olåst.")],
        }
        findings = [
            services.add_finding(visit.id, actor=lead, kind=kind, severity=sev, text=text, review_area_id=areas[i].id)
            for i, rows in texts.items()
            for kind, sev, text in rows
        ]
        evidence.store_upload(findings[-1].id, actor=lead, filename="rum.jpg", data=_photo(), caption=caption)
        services.write_summary(visit.id, actor=lead, summary=summary)
        services.transition(visit.id, actor=lead, to="draft")
        services.transition(visit.id, actor=lead, to="sent_for_comment", comment_deadline=date.today() + timedelta(7))
        db.session.commit()
        (answer,) = services.submit_response(
            visit.id, actor=manager, answers=[services.FindingAnswer(findings[-1].id, "agree", response)]
        )
        services.comment_on_response(answer.id, actor=lead, text="Förvaltningen noterar åtgärden.")
        proposed = followups.propose(
            actor=lead,
            unit_id=unit.id,
            title="Låsta läkemedelsrum",
            description=follow_up,
            due_date=date.today() + timedelta(60),
            owner_id=manager.id,
            visit_id=visit.id,
            finding_id=findings[-1].id,
        )
        db.session.commit()
        followups.accept(proposed.id, actor=manager)
        services.transition(visit.id, actor=lead, to="final")
        db.session.commit()
        visit.lead_person = lead
        return visit

    return make


def _pdf(visit: Any) -> bytes:
    from app.visits import report

    body, _digest = report.pdf_bytes(visit)
    return body


def _text(body: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages).split())


def _runs(page: Any) -> list[tuple[float, float, float, str]]:
    """Every text run of a page as (x, y, right edge, text), in PDF points from the page's lower left corner; the
    right edge from the embedded font's glyph widths (the font's ToUnicode map read backwards)."""
    fonts: dict[int, tuple[Font, dict[str, str]]] = {}
    runs: list[tuple[float, float, float, str]] = []

    def width(font_dict: Any, text: str) -> float:
        if id(font_dict) not in fonts:
            font = Font.from_font_resource(font_dict)
            fonts[id(font_dict)] = (font, {uni: code for code, uni in font.character_map.items()})
        font, codes = fonts[id(font_dict)]
        default = font.character_widths["default"]
        return sum(font.character_widths.get(codes.get(ch, ch), default) for ch in text) / 1000

    def visit(text: str, cm: Any, tm: Any, font_dict: Any, font_size: float) -> None:
        if not text.strip() or font_dict is None:
            return
        a, b, _c, _d, e, f = tm
        ca, cb, cc, cd, ce, cf = cm
        x, y = e * ca + f * cc + ce, e * cb + f * cd + cf
        scale = a * ca + b * cc
        runs.append((x, y, x + width(font_dict, text.rstrip()) * font_size * scale, text))

    page.extract_text(visitor_text=visit)
    return runs


def _headings(visit: Any) -> set[str]:
    from app.visits import report

    html = report.render_report_html(visit, for_pdf=True)
    return {" ".join(re.sub(r"<[^>]+>", "", h).split()) for h in re.findall(r"<h[1-4][^>]*>(.*?)</h[1-4]>", html, re.S)}


def test_the_final_pdf_is_a_letter_from_the_organisation(browser, final_visit):
    visit = final_visit()
    text = _text(_pdf(visit))
    for expected in (
        ORGANISATION["ORGANISATION_NAME"],
        "Box 400, 851 85 Norrviken",
        ORGANISATION["ORGANISATION_EMAIL"],
        ORGANISATION["ORGANISATION_WEBSITE"],
        visit.case_number,
        "Björkbackens äldreboende",
        "Björkvägen 12, 852 40 Norrviken",  # the recipient
        "Granskningens syfte",
        PURPOSE,
        "Rättslig grund",
        LEGAL_BASIS,
        "Sammanfattning",
        SUMMARY,
        CAPTION,
        "Förvaltningen noterar åtgärden.",  # the authority's comment on the unit's response
        "Dörrstängare och kodlås på avdelning 2.",  # the agreed follow-up
    ):
        assert expected in text, expected
    assert re.search(r"Fastställd av Karin Lindqvist, ansvarig granskare, den \d+ \w+ \d{4}\.", text), text
    assert "Kontaktperson: Karin Lindqvist, ansvarig granskare" in text
    assert "karin.lindqvist@norrviken.se" in text
    assert "Telefon: 0771-44 55 66" in text
    # The follow-ups' heading once: no second, "visually hidden" caption printed in the PDF.
    assert text.count("Överenskomna åtgärder") == 1
    # The page header names the authority and the case in the same family as the body.
    reader = PdfReader(io.BytesIO(_pdf(visit)))
    families = {
        re.sub(r"^/?[A-Z]{6}\+", "", str(font.get_object()["/BaseFont"])).split("-")[0]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert len(families) == 1, families  # Liberation Sans where fonts-liberation is installed
    logo_and_photo = [
        obj
        for obj in (reader.pages[0]["/Resources"].get("/XObject") or {}).values()
        if obj.get_object().get("/Subtype") == "/Image"
    ]
    assert logo_and_photo, "the letterhead carries the configured logo"


def test_the_caption_is_the_photos_alternative_text(browser, final_visit):
    visit = final_visit()
    browser.login(visit.lead_person)
    html = browser.get(f"/visits/{visit.id}/report").get_data(as_text=True)
    assert f'alt="{CAPTION}"' in html
    assert f'alt="{CAPTION}"' in browser.get(f"/visits/{visit.id}").get_data(as_text=True)
    # In the tagged PDF the figure's /Alt is the caption (PDF/UA: screen readers read it).
    assert _alt_in_structure(visit)


def _alt_in_structure(visit: Any) -> bool:
    reader = PdfReader(io.BytesIO(_pdf(visit)))
    seen: set[int] = set()

    def walk(node: Any) -> bool:
        node = node.get_object()
        if id(node) in seen:
            return False
        seen.add(id(node))
        if isinstance(node, dict):
            if str(node.get("/Alt", "")) == CAPTION:
                return True
            kids = node.get("/K")
            if kids is not None:
                return any(walk(k) for k in (kids if isinstance(kids, list) else [kids]) if hasattr(k, "get_object"))
        return False

    return walk(reader.trailer["/Root"]["/StructTreeRoot"])


def test_no_heading_is_the_last_line_of_a_page(final_visit):
    """Enough findings of uneven length over three areas that headings meet page feet; each page's lowest line of
    body text (below the running header, above the footer) must not be a heading."""
    filler = "Personalen beskrev rutinen och visade dokumentationen för granskarna. "
    texts = {
        area: [
            (
                kind,
                "minor" if kind == "deviation" else None,
                f"Iakttagelse {area}.{n}. " + filler * (1 + (n * 7 + area) % 6),
            )
            for n, kind in enumerate(["strength", "strength", "development", "deviation", "development"])
        ]
        for area in range(3)
    }
    visit = final_visit(texts)
    headings = _headings(visit)
    reader = PdfReader(io.BytesIO(_pdf(visit)))
    assert len(reader.pages) >= 3
    for number, page in enumerate(reader.pages, start=1):
        height = float(page.mediabox.height)
        body = [run for run in _runs(page) if BOTTOM_MARGIN < run[1] < height - TOP_MARGIN]
        lowest_y = min(run[1] for run in body)
        last_line = " ".join(" ".join(r[3] for r in sorted(body) if abs(r[1] - lowest_y) < 1).split())
        assert last_line not in headings, f"page {number} ends with the heading {last_line!r}"


def test_every_part_of_a_160_character_token_stays_inside_the_page(final_visit):
    """A 160-character token in a finding, the summary, a caption, the unit's response and a follow-up's table cell
    breaks across lines; no run of text reaches past the page's right margin."""
    visit = final_visit(
        {0: [("development", None, f"Se {TOKEN} för detaljer.")], 2: [("deviation", "minor", TOKEN)]},
        summary=f"Sammanfattning med referensen {TOKEN}.",
        caption=TOKEN,
        follow_up=TOKEN,
        response=TOKEN,
    )
    reader = PdfReader(io.BytesIO(_pdf(visit)))
    whole = "".join("".join(page.extract_text().split()) for page in reader.pages).replace("\u2010", "")
    assert whole.count(TOKEN) >= 5, "the token is there in full each time (broken across lines, nothing lost)"
    for number, page in enumerate(reader.pages, start=1):
        right = float(page.mediabox.width) - RIGHT_MARGIN + 0.5
        for x, _y, end, text in _runs(page):
            assert x >= LEFT_MARGIN - 0.5, f"page {number}: {text!r} starts left of the margin at {x:.1f}"
            assert end <= right, f"page {number}: {text!r} ends at {end:.1f} pt, past the margin at {right:.1f}"
