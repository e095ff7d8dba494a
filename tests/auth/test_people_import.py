"""Importing people (issue 16; API.md `flask users import`) and the coordinators' upload of both imports: all or
nothing, every bad line named with its field, a dry run that changes nothing, Å/Ä/Ö, a duplicate in the file,
jäv over time refused as `users add-unit` refuses it, and the new people's set-password links through the outbox."""

from __future__ import annotations

import gc
import io

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.core.models import OutboxEmail


def emails(db) -> list[str]:
    return sorted(db.session.scalars(select(User.email)))


def outbox(db) -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxEmail)) or 0


def run_import(app, tmp_path, text: str, *args: str):
    path = tmp_path / "personer.csv"
    path.write_text(text, encoding="utf-8")
    return app.test_cli_runner().invoke(args=["users", "import", str(path), *args])


GOOD = (
    "\ufeffemail;name;role;units\n"
    "åsa.ostberg@aby.se;Åsa Östberg;unit_member;Åby skola\n"
    "ragnar@tillsyn.se;Ragnar Ärlig;reviewer|coordinator;\n"
    "elin@aby.se;Elin Ek;unit_member;åby skola|Eken\n"
)


@pytest.fixture
def units(make_unit):
    return make_unit("Åby skola"), make_unit("Eken", kind="elderly_care")


def test_the_import_creates_people_with_å_ä_ö_and_mails_their_links(app, db, tmp_path, units):
    aby, eken = units

    result = run_import(app, tmp_path, GOOD)

    assert result.exit_code == 0, result.output
    assert "3 people were created" in result.output and "+ Åsa Östberg <åsa.ostberg@aby.se>" in result.output
    db.session.expire_all()
    asa = db.session.scalar(select(User).where(User.name == "Åsa Östberg"))
    elin = db.session.scalar(select(User).where(User.email == "elin@aby.se"))
    ragnar = db.session.scalar(select(User).where(User.email == "ragnar@tillsyn.se"))
    assert asa.unit_ids == {aby.id} and elin.unit_ids == {aby.id, eken.id}
    assert {r.value for r in ragnar.roles} == {"reviewer", "coordinator"}
    assert outbox(db) == 3  # one set-password link each, written with the people


def test_a_dry_run_changes_nothing_and_says_what_would_change(app, db, tmp_path, units):
    result = run_import(app, tmp_path, GOOD, "--dry-run")

    assert result.exit_code == 0, result.output
    assert "3 people would be created" in result.output and "+ Elin Ek <elin@aby.se>" in result.output
    db.session.expire_all()
    assert emails(db) == [] and outbox(db) == 0


def test_one_bad_line_imports_nothing_and_every_bad_line_is_named_with_its_field(app, db, tmp_path, units):
    text = (
        "email,name,role,units\n"
        "ok@aby.se,Okej Person,unit_member,Åby skola\n"
        "inte-en-adress,Namn,unit_member,Åby skola\n"
        "x@aby.se,,boss,\n"
        "y@aby.se,Yngve,unit_member,Slottet\n"
    )

    result = run_import(app, tmp_path, text)

    assert result.exit_code == 1
    assert "Rad 3, email: Ange en giltig e-postadress" in result.output
    assert "Rad 4, name: Ange personens namn." in result.output and "Rad 4, role: Använd coordinator" in result.output
    assert "Rad 5, units: Det finns ingen enhet som heter Slottet." in result.output
    assert "Rad 2" not in result.output
    db.session.expire_all()
    assert emails(db) == [] and outbox(db) == 0


def test_an_address_twice_in_the_file_is_an_error_on_the_second_line(app, db, tmp_path, units):
    text = "email,name,role,units\nålle@aby.se,Ålle,unit_member,Eken\nÅLLE@aby.se,Ålle Igen,unit_member,Eken\n"

    result = run_import(app, tmp_path, text)

    assert result.exit_code == 1
    assert "Rad 3: ålle@aby.se finns också på rad 2." in result.output
    assert emails(db) == []


def test_a_wrong_header_is_named_on_line_1(app, db, tmp_path):
    result = run_import(app, tmp_path, "mail,namn\nx@y.se,X\n")
    assert result.exit_code == 1 and "Rad 1: kolumnerna ska vara email, name, role, units" in result.output


def test_someone_registered_gets_the_units_but_jav_over_time_is_refused(app, db, tmp_path, make_visit, make_user):
    rita = make_user("reviewer", name="Rita Granskare", email="rita@tillsyn.se")
    visit = make_visit("in_progress", lead=rita)
    unit_name = visit.unit.name
    text = (
        "email,name,role,units\n"
        f"rita@tillsyn.se,Rita,unit_member,{unit_name}\n"
        f"ny@aby.se,Ny Person,unit_member,{unit_name}\n"
    )

    result = run_import(app, tmp_path, text)

    assert result.exit_code == 1
    assert "Rad 2, units: Jäv" in result.output and visit.case_number in result.output
    db.session.expire_all()
    assert visit.unit_id not in db.session.get(User, rita.id).unit_ids
    assert "ny@aby.se" not in emails(db)


def test_someone_registered_is_given_more_units_keeping_their_name(app, db, tmp_path, units, make_user):
    aby, eken = units
    olle = make_user("unit_member", units=[aby], name="Olle Olsson", email="olle@aby.se")

    result = run_import(app, tmp_path, "email,name,role,units\nolle@aby.se,Annat Namn,unit_member,Eken\n")

    assert result.exit_code == 0, result.output
    assert "1 were given more units or roles" in result.output
    db.session.expire_all()
    olle = db.session.get(User, olle.id)
    assert olle.unit_ids == {aby.id, eken.id} and olle.name == "Olle Olsson"
    assert outbox(db) == 0  # they have an account already


# ---- the coordinators' upload ---------------------------------------------------------------------------


def upload(browser, url: str, content: bytes, name: str = "fil.csv"):
    return browser.client.post(
        url,
        data={"csrf_token": browser.token(), "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_the_upload_previews_then_imports_on_confirmation(browser, make_user, units, db):
    browser.login(make_user("coordinator"))

    preview = upload(browser, "/people/import", GOOD.encode())

    assert preview.status_code == 200
    assert "Nya personer: 3." in preview.text and "Åsa Östberg" in preview.text
    assert emails(db)[:0] == [] and "elin@aby.se" not in emails(db)  # the preview saved nothing
    content = preview.text.split('<textarea name="content" hidden>')[1].split("</textarea>")[0]
    import html

    done = browser.post("/people/import", {"content": html.unescape(content), "confirm": "1"})

    assert done.status_code == 302
    db.session.expire_all()
    assert {"åsa.ostberg@aby.se", "elin@aby.se", "ragnar@tillsyn.se"} <= set(emails(db))
    assert outbox(db) == 3


def test_the_upload_names_every_bad_line_and_saves_nothing(browser, make_user, units, db):
    browser.login(make_user("coordinator"))

    response = upload(browser, "/people/import", b"email,name,role,units\nx,,unit_member,Slottet\n")

    assert response.status_code == 422
    assert "Rad 2, email" in response.text and "Rad 2, units: Det finns ingen enhet som heter Slottet." in response.text
    assert "Inget har importerats" in response.text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Filen är tom."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "inte en CSV-textfil"),
        (b"name\n" + b"a" * (1024 * 1024 + 1), "större än 1 MB"),
    ],
)
def test_the_file_is_checked_by_its_content_and_size(browser, make_user, content, message):
    browser.login(make_user("coordinator"))
    response = upload(browser, "/units/import", content, name="enheter.csv")
    status, text = response.status_code, response.text
    response.request.environ["wsgi.input"].close()  # the test client's spooled body of over 1 MB, unread to its end
    del response
    gc.collect()
    assert status in (413, 422)
    if status == 422:
        assert message in text


def test_the_upload_needs_the_csrf_token_and_a_coordinator(browser, make_user, units, db, make_unit):
    browser.login(make_user("reviewer"))
    assert browser.get("/people/import").status_code == 403
    assert browser.get("/units/import").status_code == 403
    browser.logout()
    browser.login(make_user("coordinator"))
    refused = browser.client.post(
        "/units/import", data={"content": "name\nNy enhet\n", "confirm": "1"}, content_type="multipart/form-data"
    )
    assert refused.status_code in (400, 403, 422)
    from app.units.models import Unit

    assert db.session.scalar(select(Unit).where(Unit.name == "Ny enhet")) is None


def test_the_units_upload_previews_and_imports(browser, make_user, db):
    browser.login(make_user("coordinator"))
    text = "name;kind;email;address;organisation_number;owner\nÖsterns förskola;preschool;;;212000-1355;Åby kommun\n"

    preview = upload(browser, "/units/import", text.encode("utf-8"))
    assert preview.status_code == 200 and "Nya enheter: 1." in preview.text
    done = browser.post("/units/import", {"content": text, "confirm": "1"})

    assert done.status_code == 302
    from app.units.models import Unit

    unit = db.session.scalar(select(Unit).where(Unit.name == "Österns förskola"))
    assert unit is not None and unit.owner == "Åby kommun"
