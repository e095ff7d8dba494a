"""What the report is made of (DESIGN.md 4.1): the lead's summary, photo captions, the template's purpose and legal
basis; who may write them and when, in the UI and the API; bad input answered with the field named."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from app.core.errors import DomainError, Forbidden, InvalidInput

API = "/api/v1"


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (200, 150), "orange").save(buffer, format="JPEG")
    return buffer.getvalue()


# ---- the lead's summary --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "who", "refusal"),
    [
        ("planned", "lead", DomainError),
        ("in_progress", "lead", None),
        ("draft", "lead", None),
        ("sent_for_comment", "lead", None),
        ("final", "lead", DomainError),
        ("draft", "coordinator", None),
        ("draft", "team_member", Forbidden),
        ("draft", "other_reviewer", Forbidden),
    ],
)
def test_the_lead_writes_the_summary_until_the_report_is_final(status, who, refusal, make_visit, make_user, db):
    from app.visits import policy, services

    member = make_user("reviewer", name="Omar Haddad")
    visit = make_visit(status, members=(member,))
    actor = {
        "lead": visit.lead,
        "coordinator": make_user("coordinator"),
        "team_member": member,
        "other_reviewer": make_user("reviewer"),
    }[who]
    assert policy.can_write_summary(actor, visit) is (refusal is None)
    if refusal is None:
        services.write_summary(visit.id, actor=actor, summary="  Enheten arbetar väl.\n\nTvå brister.  ")
        db.session.commit()
        assert visit.summary == "Enheten arbetar väl.\n\nTvå brister."
    else:
        with pytest.raises(refusal):
            services.write_summary(visit.id, actor=actor, summary="Enheten arbetar väl.")


def test_a_summary_too_long_or_with_control_characters_is_refused_naming_the_field(make_visit):
    from app.visits import services

    visit = make_visit("draft")
    for bad in ("x" * (services.MAX_SUMMARY + 1), "Bra\x00arbete"):
        with pytest.raises(InvalidInput) as refused:
            services.write_summary(visit.id, actor=visit.lead, summary=bad)
        assert "summary" in refused.value.errors


def test_the_visit_page_offers_the_lead_the_summary_and_shows_it_to_the_unit_from_kommunicering(
    browser, make_visit, make_user, db
):
    from datetime import date, timedelta

    from app.visits import services

    visit = make_visit("draft")
    browser.login(visit.lead)
    page = browser.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert f'action="/visits/{visit.id}/summary"' in page
    saved = browser.post(f"/visits/{visit.id}/summary", data={"summary": "Enheten ger ett gott bemötande."})
    assert saved.status_code == 302
    assert "Enheten ger ett gott bemötande." in browser.get(f"/visits/{visit.id}").get_data(as_text=True)
    too_long = "å" * (services.MAX_SUMMARY + 1)
    refused = browser.post(f"/visits/{visit.id}/summary", data={"summary": too_long})
    assert refused.status_code == 422
    assert too_long in refused.get_data(as_text=True), "what was typed is kept"
    db.session.refresh(visit)
    assert visit.summary == "Enheten ger ett gott bemötande."

    member = make_user("unit_member", units=[visit.unit])
    browser.logout()
    browser.login(member)
    assert "Enheten ger ett gott bemötande." not in browser.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert browser.post(f"/visits/{visit.id}/summary", data={"summary": "Vi skriver."}).status_code in (403, 404)
    services.transition(
        visit.id, actor=visit.lead, to="sent_for_comment", comment_deadline=date.today() + timedelta(days=7)
    )
    db.session.commit()
    page = browser.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "Enheten ger ett gott bemötande." in page
    assert f'action="/visits/{visit.id}/summary"' not in page


def test_the_api_reads_and_patches_the_summary(client, make_visit, make_user, api_token):
    member = make_user("reviewer")
    visit = make_visit("in_progress", members=(member,))
    url = f"{API}/visits/{visit.id}"
    patched = client.patch(url, json={"summary": "Sammanfattning."}, headers=api_token(visit.lead))
    assert patched.status_code == 200, patched.json
    assert patched.json["summary"] == "Sammanfattning."
    assert "write_summary" in patched.json["actions"]
    assert client.get(url, headers=api_token(visit.lead)).json["summary"] == "Sammanfattning."
    refused = client.patch(url, json={"summary": "Min text."}, headers=api_token(member))
    assert refused.status_code == 403
    assert refused.content_type == "application/problem+json"
    bad = client.patch(url, json={"summary": "x" * 10_001}, headers=api_token(visit.lead))
    assert bad.status_code == 422 and "summary" in bad.json["errors"]
    unit_member = make_user("unit_member", units=[visit.unit])
    assert "summary" not in client.get(url, headers=api_token(unit_member)).json, "the team's draft until kommunicering"


# ---- captions ------------------------------------------------------------------------------------


def test_a_caption_is_given_at_upload_changed_where_evidence_is_managed_and_is_the_alt_text(browser, make_visit, db):
    visit = make_visit("in_progress")
    finding = visit.findings[0]
    browser.login(visit.lead)
    uploaded = browser.post(
        f"/findings/{finding.id}/evidence",
        data={"files": (io.BytesIO(_photo()), "rum.jpg"), "caption": "Det olåsta läkemedelsrummet."},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 302
    db.session.refresh(finding)
    (item,) = finding.evidence
    assert item.caption == "Det olåsta läkemedelsrummet."
    assert 'alt="Det olåsta läkemedelsrummet."' in browser.get(f"/visits/{visit.id}").get_data(as_text=True)
    edit_page = browser.get(f"/findings/{finding.id}/edit").get_data(as_text=True)
    assert f'action="/evidence/{item.id}/caption"' in edit_page
    changed = browser.post(f"/evidence/{item.id}/caption", data={"caption": "Läkemedelsrummet, avdelning 2."})
    assert changed.status_code == 302
    db.session.refresh(item)
    assert item.caption == "Läkemedelsrummet, avdelning 2."
    browser.post(f"/evidence/{item.id}/caption", data={"caption": "x" * 501})
    db.session.refresh(item)
    assert item.caption == "Läkemedelsrummet, avdelning 2.", "a caption too long changes nothing"


def test_a_caption_cannot_change_once_the_report_has_gone_to_the_unit(make_visit, make_user, db):
    from datetime import date, timedelta

    from app.visits import evidence, services

    visit = make_visit("in_progress")
    item = evidence.store_upload(visit.findings[0].id, actor=visit.lead, filename="a.jpg", data=_photo(), caption="A")
    services.transition(visit.id, actor=visit.lead, to="draft")
    services.transition(
        visit.id, actor=visit.lead, to="sent_for_comment", comment_deadline=date.today() + timedelta(days=7)
    )
    db.session.commit()
    with pytest.raises(DomainError):
        evidence.set_caption(item.id, actor=visit.lead, caption="B")
    with pytest.raises(Forbidden):
        evidence.set_caption(item.id, actor=make_user("unit_member", units=[visit.unit]), caption="B")


def test_the_api_takes_and_gives_the_caption(client, make_visit, api_token):
    visit = make_visit("in_progress")
    url = f"{API}/findings/{visit.findings[0].id}/evidence"
    made = client.post(
        url,
        data={"file": (io.BytesIO(_photo()), "rum.jpg"), "caption": "Läkemedelsrummet."},
        headers=api_token(visit.lead),
        content_type="multipart/form-data",
    )
    assert made.status_code == 201, made.json
    assert made.json["caption"] == "Läkemedelsrummet."
    too_long = client.post(
        url,
        data={"file": (io.BytesIO(_photo()), "rum.jpg"), "caption": "x" * 501},
        headers=api_token(visit.lead),
        content_type="multipart/form-data",
    )
    assert too_long.status_code == 422 and "caption" in too_long.json["errors"]
    finding = client.get(f"{API}/findings/{visit.findings[0].id}", headers=api_token(visit.lead)).json
    assert [e["caption"] for e in finding["evidence"]] == ["Läkemedelsrummet."]


# ---- the template's purpose and legal basis -----------------------------------------------------


def test_a_coordinator_writes_the_templates_purpose_and_legal_basis_and_a_used_version_keeps_its_own(
    browser, make_user, make_visit, db
):
    from app.visits import services
    from app.visits.models import Template

    coordinator = make_user("coordinator")
    browser.login(coordinator)
    form = {
        "name": "Förskola",
        "description": "",
        "purpose": "Bedöma om förskolan följer skollagen.",
        "legal_basis": "26 kap. 3 § skollagen (2010:800).",
        "areas": "Trygghet\n- Hur?",
    }
    assert browser.post("/templates/new", data=form).status_code == 302
    template = db.session.query(Template).filter_by(name="Förskola").one()
    assert (template.current.purpose, template.current.legal_basis) == (form["purpose"], form["legal_basis"])
    page = browser.get(f"/templates/{template.id}").get_data(as_text=True)
    assert "Rättslig grund" in page and "26 kap. 3 § skollagen (2010:800)." in page
    edit = browser.get(f"/templates/{template.id}/edit").get_data(as_text=True)
    assert "Granskningens syfte" in edit and "Bedöma om förskolan följer skollagen." in edit

    visit = make_visit("planned", template=template)
    assert browser.post(f"/templates/{template.id}/edit", data={**form, "legal_basis": "Ny grund."}).status_code == 302
    db.session.refresh(template)
    assert template.current.number == 2 and template.current.legal_basis == "Ny grund."
    assert visit.template_version.legal_basis == "26 kap. 3 § skollagen (2010:800).", "the visit keeps its version"

    refused = browser.post("/templates/new", data={**form, "name": "", "legal_basis": "§" * 5001})
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert 'href="#legal_basis"' in text and 'href="#name"' in text, "every bad field is named at once"
    with pytest.raises(InvalidInput) as both:
        services.create_template(actor=coordinator, name="", areas="A", purpose="x" * 5001)
    assert set(both.value.errors) == {"name", "purpose"}


def test_the_visit_forms_no_longer_have_two_fields_called_syfte(browser, make_user, make_visit):
    visit = make_visit("planned")
    browser.login(make_user("coordinator"))
    page: Any = browser.get("/visits/new").get_data(as_text=True)
    assert ">Typ av besök<" in page and ">Syfte med besöket<" in page
    assert ">Syfte<" not in page
    assert ">Typ av besök<" in browser.get(f"/visits/{visit.id}").get_data(as_text=True)
