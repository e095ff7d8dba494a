"""Render a final report of a realistic visit and put three of its pages in docs/ as PNG (DESIGN.md 4.1).

A throw-away SQLite database and upload folder; one visit taken through the real services (planned, on site with
findings and captioned photos, the lead's summary, kommunicering with the unit's response and the authority's
comments, agreed follow-ups, finalised by the lead). Needs poppler's ``pdftoppm``.

    .venv/bin/python scripts/report_pages.py [--out docs] [--pdf /tmp/report.pdf]
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime, time
from pathlib import Path

import time_machine
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TEMPLATE_AREAS = """Trygghet och säkerhet
- Hur arbetar ni med riskbedömningar för fall, trycksår och undernäring?
- Hur tas larm emot och besvaras dygnet runt?
Bemötande och delaktighet
- Hur görs de boende delaktiga i planeringen av sin vardag?
- Hur tas klagomål och synpunkter om hand?
Läkemedelshantering
- Hur förvaras läkemedel och vem har tillgång till dem?
- Hur följs signeringslistor upp?
"""
PURPOSE = (
    "Granskningen ska bedöma om verksamheten bedrivs i enlighet med socialtjänstlagen och de föreskrifter som gäller "
    "för särskilt boende för äldre, och ge enheten underlag för sitt eget förbättringsarbete. Tillsynen är lärande: "
    "den lyfter fram det som fungerar väl lika tydligt som det som behöver utvecklas."
)
LEGAL_BASIS = (
    "13 kap. 1 och 2 §§ socialtjänstlagen (2001:453) om tillsyn och egenkontroll.\n"
    "Socialstyrelsens föreskrifter och allmänna råd om ledningssystem för systematiskt kvalitetsarbete "
    "(SOSFS 2011:9).\n"
    "Socialstyrelsens föreskrifter om ordination och hantering av läkemedel (HSLF-FS 2017:37)."
)
SUMMARY = (
    "Björkbackens äldreboende ger ett gott och respektfullt bemötande. Personalen känner de boende väl och "
    "arbetar aktivt med att göra dem delaktiga i vardagen. Den nya rutinen för överlämning mellan arbetspassen "
    "fungerar och är ett gott exempel för andra enheter.\n\n"
    "Granskningen visar också att riskbedömningar för fall och undernäring inte följs upp på ett systematiskt sätt, "
    "och att läkemedelsrummet på avdelning 2 inte var låst vid besöket. Enheten har i sitt yttrande beskrivit hur "
    "den åtgärdar bristerna. Två åtgärder har överenskommits och följs upp vid nästa besök."
)


def photo(colour: str, accent: str) -> bytes:
    """A small stand-in photo (a room with a cupboard), enough to show how photos and captions are laid out."""
    image = Image.new("RGB", (800, 600), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 420, 800, 600), fill="#8a7b66")  # floor
    draw.rectangle((460, 120, 700, 470), fill=accent, outline="#333333", width=6)  # cupboard
    draw.line((580, 120, 580, 470), fill="#333333", width=4)
    draw.rectangle((90, 150, 330, 330), fill="#dfe9f2", outline="#555555", width=8)  # window
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def logo() -> bytes:
    """A plain stand-in logo for the fictional authority."""
    image = Image.new("RGBA", (360, 120), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, 120, 120), radius=18, fill="#0b4f8a")
    draw.polygon([(20, 95), (60, 25), (100, 95)], fill="#ffffff")
    draw.rectangle((52, 70, 68, 95), fill="#0b4f8a")
    buffer = io.BytesIO()
    image.crop((0, 0, 121, 121)).save(buffer, format="PNG")
    return buffer.getvalue()


def at(day: date, hour: int = 10) -> time_machine.travel:
    return time_machine.travel(datetime.combine(day, time(hour), tzinfo=UTC), tick=False)


def build(tmp: Path) -> tuple[bytes, str]:
    """Make the visit and return its stored final PDF and SHA-256."""
    from flask_migrate import upgrade

    from app import create_app
    from app.auth import services as auth_services
    from app.core import access
    from app.extensions import db
    from app.followups import services as followups
    from app.units import services as units
    from app.visits import evidence, report, services

    (tmp / "logo.png").write_bytes(logo())
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "report-pages",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'report.db'}",
            "UPLOAD_DIR": str(tmp / "uploads"),
            "MAIL_OUTBOX_DIR": str(tmp / "outbox"),
            "SMTP_HOST": None,
            "REDIS_URL": None,
            "CELERY_EMBEDDED_BROKER": "memory://",
            "RATELIMIT_STORAGE_URI": "memory://",
            "PUBLIC_BASE_URL": "https://tillsyn.norrviken.se",
            "ORGANISATION_NAME": "Norrvikens kommun, Tillsynsenheten",
            "ORGANISATION_ADDRESS": "Box 400|851 85 Norrviken|Besök: Storgatan 14",
            "ORGANISATION_PHONE": "0771-44 55 66",
            "ORGANISATION_EMAIL": "tillsyn@norrviken.se",
            "ORGANISATION_WEBSITE": "www.norrviken.se/tillsyn",
            "ORGANISATION_LOGO_PATH": str(tmp / "logo.png"),
        }
    )
    op = access.OPERATOR
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "sv"}):
        upgrade()
        with at(date(2026, 9, 21)):
            unit = units.create_unit(
                actor=op,  # type: ignore[arg-type]
                name="Björkbackens äldreboende",
                kind="elderly_care",
                address="Björkvägen 12, 852 40 Norrviken",
            )
            lead = auth_services.create_user(
                actor=op, email="karin.lindqvist@norrviken.se", name="Karin Lindqvist", roles=["reviewer"]
            )
            peer = auth_services.create_user(
                actor=op, email="omar.haddad@norrviken.se", name="Omar Haddad", roles=["reviewer"]
            )
            manager = auth_services.create_user(
                actor=op,
                email="eva.sundberg@bjorkbacken.se",
                name="Eva Sundberg",
                roles=["unit_member"],
                unit_ids=[unit.id],
            )
            template = services.create_template(
                actor=op,  # type: ignore[arg-type]
                name="Särskilt boende för äldre",
                areas=TEMPLATE_AREAS,
                purpose=PURPOSE,
                legal_basis=LEGAL_BASIS,
            )
            visit = services.create_visit(
                actor=op,  # type: ignore[arg-type]
                unit_id=unit.id,
                template_id=template.id,
                visit_date=date(2026, 10, 14),
                lead_id=lead.id,
                member_ids=[peer.id],
                aim="Ordinarie granskning enligt tillsynsplanen för 2026, med särskilt fokus på riskbedömningar.",
            )
            db.session.commit()
        areas = visit.template_version.areas
        with at(date(2026, 10, 14), 8):
            services.transition(visit.id, actor=lead, to="in_progress")
            found = {}
            for key, area, kind, severity, text in [
                (
                    "handover",
                    0,
                    "strength",
                    None,
                    "Överlämningen mellan dag- och kvällspersonal sker enligt en ny, skriftlig rutin. Vi såg hur "
                    "personalen gick igenom varje boendes dag, ändrade behov och inbokade besök. Rutinen är känd av "
                    "alla vi talade med.",
                ),
                (
                    "risk",
                    0,
                    "development",
                    None,
                    "Riskbedömningar för fall, trycksår och undernäring görs vid inflyttning men följs inte upp "
                    "systematiskt. I fyra av tio granskade genomförandeplaner var den senaste bedömningen äldre än "
                    "sex månader.",
                ),
                (
                    "alarm",
                    0,
                    "deviation",
                    "minor",
                    "Larmloggen för september visar att elva larm nattetid besvarades efter mer än tio minuter. "
                    "Enheten har ingen rutin för att följa upp sena svar.",
                ),
                (
                    "participation",
                    1,
                    "strength",
                    None,
                    "De boende gör sina röster hörda: boenderåd hålls varje månad och protokollen sitter uppsatta. "
                    "Tre boende berättade att de själva valt sina aktiviteter och måltidstider.",
                ),
                (
                    "complaints",
                    1,
                    "development",
                    None,
                    "Synpunkter och klagomål tas emot muntligt men dokumenteras sällan, så enheten kan inte se mönster "
                    "över tid.",
                ),
                (
                    "medicine",
                    2,
                    "deviation",
                    "minor",
                    "Läkemedelsrummet på avdelning 2 var olåst vid besöket klockan 10.40 och ingen personal fanns i "
                    "närheten. Signeringslistorna var i övrigt fullständigt ifyllda.",
                ),
            ]:
                found[key] = services.add_finding(
                    visit.id,
                    actor=lead,
                    kind=kind,
                    severity=severity,
                    text=text,
                    review_area_id=areas[area].id,
                )
            evidence.store_upload(
                found["handover"].id,
                actor=peer,
                filename="overlamning.jpg",
                data=photo("#f2efe6", "#c9b38a"),
                caption="Tavlan i personalrummet där överlämningen mellan arbetspassen görs.",
            )
            evidence.store_upload(
                found["medicine"].id,
                actor=lead,
                filename="lakemedelsrum.jpg",
                data=photo("#e8edf0", "#b24a3a"),
                caption="Läkemedelsrummet på avdelning 2: dörren stod öppen och skåpet var olåst kl. 10.40.",
            )
            evidence.store_upload(
                found["medicine"].id,
                actor=lead,
                filename="lakemedelsskap.jpg",
                data=photo("#efe9e2", "#6d8fb0"),
                caption="Läkemedelsskåpet på avdelning 1 är låst med kodlås, vilket kan vara en förebild.",
            )
            db.session.commit()
        with at(date(2026, 10, 27)):
            services.write_summary(visit.id, actor=lead, summary=SUMMARY)
            services.transition(visit.id, actor=lead, to="draft")
        with at(date(2026, 10, 28)):
            services.transition(visit.id, actor=lead, to="sent_for_comment", comment_deadline=date(2026, 11, 11))
            db.session.commit()
        with at(date(2026, 11, 9), 14):
            responses = services.submit_response(
                visit.id,
                actor=manager,
                overall=(
                    "Vi tackar för en grundlig och respektfull granskning. Vi känner igen bilden och har redan "
                    "påbörjat arbetet med de områden som behöver utvecklas."
                ),
                answers=[
                    services.FindingAnswer(
                        found["risk"].id,
                        "agree",
                        "Från och med november följer sjuksköterskan upp riskbedömningarna var tredje månad.",
                    ),
                    services.FindingAnswer(
                        found["medicine"].id,
                        "partly",
                        "Dörren var öppen under en leverans. Vi har nu satt in en dörrstängare och ett kodlås.",
                    ),
                ],
            )
            db.session.commit()
        with at(date(2026, 11, 13)):
            by_finding = {r.finding_id: r for r in responses}
            services.comment_on_response(
                by_finding[found["medicine"].id].id,
                actor=lead,
                text=(
                    "Förvaltningen noterar åtgärden. Ett olåst läkemedelsrum är en avvikelse oavsett orsak; "
                    "åtgärden följs upp vid nästa besök."
                ),
            )
            services.comment_on_response(
                by_finding[found["risk"].id].id,
                actor=lead,
                text="Förvaltningen bedömer att den nya rutinen svarar mot iakttagelsen.",
            )
            for title, description, finding, due in [
                (
                    "Rutin för uppföljning av riskbedömningar",
                    "Riskbedömningar för fall, trycksår och undernäring följs upp minst var tredje månad och "
                    "dokumenteras i genomförandeplanen.",
                    found["risk"],
                    date(2027, 2, 15),
                ),
                (
                    "Låsta läkemedelsrum",
                    "Dörrstängare och kodlås på avdelning 2; egenkontroll av att rummet är låst en gång per vecka.",
                    found["medicine"],
                    date(2026, 12, 31),
                ),
            ]:
                proposed = followups.propose(
                    actor=lead,
                    unit_id=unit.id,
                    title=title,
                    description=description,
                    due_date=due,
                    owner_id=manager.id,
                    visit_id=visit.id,
                    finding_id=finding.id,
                )
                db.session.commit()
                followups.accept(proposed.id, actor=manager)
            db.session.commit()
        with at(date(2026, 11, 20), 9):
            services.transition(visit.id, actor=lead, to="final")
            db.session.commit()
        stored = report.stored_report(visit)
        assert stored is not None
        return stored.pdf, stored.sha256


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs"), help="folder for report-page-1.png … (default: docs)")
    parser.add_argument("--pdf", default=None, help="also keep the PDF here")
    parser.add_argument("--pages", type=int, default=3, help="how many pages to render (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pdf, digest = build(Path(tmp))
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        pdf_path = Path(args.pdf) if args.pdf else Path(tmp) / "report.pdf"
        pdf_path.write_bytes(pdf)
        pages = ["-f", "1", "-l", str(args.pages)]
        command = ["pdftoppm", "-png", "-r", "60", *pages, str(pdf_path), str(out / "report-page")]
        subprocess.run(command, check=True)  # noqa: S603 - poppler's tool, our own file names
        # pdftoppm numbers pages with leading zeros when the document has ten or more pages
        for made in out.glob("report-page-0*.png"):
            made.rename(out / f"report-page-{int(made.stem.rsplit('-', 1)[1])}.png")
    print(f"SHA-256 {digest}; pages in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
