"""Readings by form, CSV upload and the command line: validation with a message per field or per line, all or
nothing, corrections kept in the audit trail."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from sqlalchemy import func, select

from app.core import access
from app.core.errors import InvalidInput
from app.core.models import AuditEvent
from app.trust import services
from app.trust.models import Breach, Reading

CLOCK = time_machine.travel("2026-06-15 10:00:00+02:00", tick=False)


@pytest.fixture(autouse=True)
def _frozen():
    with CLOCK:
        yield


@pytest.fixture
def unit_with_member(db, make_unit, make_user, make_indicator):
    unit = make_unit("Björkbacken")
    member = make_user("unit_member", units=[unit], name="Elin Enhet")
    make_indicator("larm")
    make_indicator("fall", name_sv="Antal fall per 1000 vårddygn", unit_of_measure="per 1000 vårddygn")
    return unit, member


def readings(db) -> list[tuple[str, str, float]]:
    db.session.expire_all()
    return [
        (r.indicator.key, r.period, r.value)
        for r in db.session.scalars(select(Reading).order_by(Reading.period, Reading.indicator_id))
    ]


# ---- the service ----------------------------------------------------------------------------------


def test_a_value_typed_the_swedish_way_is_stored(db, unit_with_member):
    unit, member = unit_with_member
    result = services.record_readings(unit.id, [services.ReadingInput("larm", "2026-05", "93,5 %")], actor=member)
    db.session.commit()
    assert (result.created, readings(db)) == (1, [("larm", "2026-05", 93.5)])


def test_reporting_a_period_again_is_a_correction_kept_in_the_audit_trail(db, unit_with_member):
    unit, member = unit_with_member
    services.record_readings(unit.id, [services.ReadingInput("larm", "2026-05", 93.5)], actor=member)
    db.session.commit()

    result = services.record_readings(unit.id, [services.ReadingInput("larm", "2026-05", "88")], actor=member)
    db.session.commit()

    assert (result.created, result.corrected) == (0, 1)
    assert readings(db) == [("larm", "2026-05", 88.0)]
    [update] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "reading", AuditEvent.action == "update")
    ).all()
    assert update.changes["value"] == [93.5, 88.0]
    assert update.unit_id == unit.id
    assert db.session.scalar(select(Reading)).corrected_at is not None


def test_reporting_the_same_value_again_changes_nothing(db, unit_with_member):
    unit, member = unit_with_member
    services.record_readings(unit.id, [services.ReadingInput("larm", "2026-05", 93.5)], actor=member)
    db.session.commit()
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    result = services.record_readings(unit.id, [services.ReadingInput("larm", "2026-05", "93,5")], actor=member)
    db.session.commit()
    assert result.unchanged == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events


@pytest.mark.parametrize(
    ("item", "field", "message"),
    [
        (("okänd", "2026-05", "1"), "indicator", "Det finns ingen indikator med nyckeln ”okänd”."),
        (("larm", "maj 2026", "1"), "period", "Skriv perioden som ÅÅÅÅ-MM, till exempel 2026-06."),
        (("larm", "2026-13", "1"), "period", "Månaden ska vara mellan 01 och 12."),
        (("larm", "2026-07", "1"), "period", "Perioden 2026-07 har inte börjat ännu."),
        (("larm", "2026-05", "nittio"), "value", "Skriv värdet som ett tal, till exempel 93,5."),
        (("larm", "2026-05", "nan"), "value", "Skriv värdet som ett tal, till exempel 93,5."),
        (("larm", "2026-05", ""), "value", "Skriv värdet som ett tal, till exempel 93,5."),
    ],
)
def test_a_bad_reading_is_refused_with_a_message_naming_the_field(db, unit_with_member, item, field, message):
    unit, member = unit_with_member
    with pytest.raises(InvalidInput) as refused:
        services.record_readings(unit.id, [services.ReadingInput(*item)], actor=member)
    assert refused.value.errors == {field: [message]}


def test_a_batch_with_one_bad_reading_stores_nothing_and_names_its_position(db, unit_with_member):
    unit, member = unit_with_member
    with pytest.raises(InvalidInput) as refused:
        services.record_readings(
            unit.id,
            [services.ReadingInput("larm", "2026-04", 90), services.ReadingInput("larm", "2026-04x", 91)],
            actor=member,
        )
    db.session.rollback()
    assert list(refused.value.errors) == ["readings[1].period"]
    assert readings(db) == []


# ---- the form -------------------------------------------------------------------------------------


def test_a_unit_member_reports_a_value_by_form(browser, db, unit_with_member):
    unit, member = unit_with_member
    browser.login(member)
    response = browser.post(
        f"/units/{unit.id}/readings", {"indicator": "larm", "period": "2026-05", "value": "91,2"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "1 mätvärde sparat." in response.text
    assert readings(db) == [("larm", "2026-05", 91.2)]
    assert "91,2 %" in response.text


def test_a_bad_value_in_the_form_keeps_what_was_typed_and_says_why(browser, db, unit_with_member):
    unit, member = unit_with_member
    browser.login(member)
    response = browser.post(f"/units/{unit.id}/readings", {"indicator": "larm", "period": "2026-5", "value": "91,2"})
    assert response.status_code == 422
    assert "Skriv perioden som ÅÅÅÅ-MM" in response.text
    assert 'value="91,2"' in response.text
    assert 'value="2026-5"' in response.text
    assert readings(db) == []


def test_a_reviewer_may_report_for_any_unit(browser, db, unit_with_member, make_user):
    unit, _member = unit_with_member
    browser.login(make_user("reviewer"))
    response = browser.post(f"/units/{unit.id}/readings", {"indicator": "larm", "period": "2026-05", "value": "95"})
    assert response.status_code == 302
    assert readings(db) == [("larm", "2026-05", 95.0)]


# ---- CSV upload -----------------------------------------------------------------------------------


def upload(browser, unit, content: bytes, name: str = "matvarden.csv"):
    import io

    return browser.post(
        f"/units/{unit.id}/readings/import",
        {"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_a_csv_file_with_semicolons_and_decimal_commas_is_imported(browser, db, unit_with_member):
    unit, member = unit_with_member
    browser.login(member)
    content = "indikator;period;värde\r\nlarm;2026-03;93,5\r\nlarm;2026-04;94\r\n\r\nfall;2026-04;5,2\r\n"
    response = upload(browser, unit, content.encode("utf-8-sig"))
    assert "3 mätvärden sparade." in response.text
    assert sorted(readings(db)) == [("fall", "2026-04", 5.2), ("larm", "2026-03", 93.5), ("larm", "2026-04", 94.0)]


def test_a_csv_file_with_errors_imports_nothing_and_reports_every_bad_line(browser, db, unit_with_member):
    unit, member = unit_with_member
    browser.login(member)
    content = (
        "indicator,period,value\nlarm,2026-03,93.5\nokand,2026-03,1\nlarm,2026/04,x\nlarm,2026-05\nlarm,2026-03,90\n"
    )
    response = upload(browser, unit, content.encode())
    assert response.status_code == 422
    text = response.text
    assert "Ingenting importerades: filen har 5 fel." in text
    assert "Rad 3, indikator: Det finns ingen indikator med nyckeln ”okand”." in text
    assert "Rad 4, period: Skriv perioden som ÅÅÅÅ-MM" in text
    assert "Rad 4, värde: Skriv värdet som ett tal" in text
    assert "Rad 5: Väntade 3 värden åtskilda med ”,”, hittade 2." in text
    assert "Rad 6, period: Samma indikator och period förekommer två gånger." in text
    assert readings(db) == []


def test_a_csv_file_without_the_header_says_which_columns_are_missing(db, unit_with_member):
    unit, member = unit_with_member
    with pytest.raises(services.CsvImportError) as refused:
        services.import_readings_csv(unit.id, b"larm,2026-03,93\n", actor=member)
    [line] = refused.value.lines
    assert line.line == 1
    assert "indicator, period, value" in str(line)


@pytest.mark.parametrize("content", [b"", b"\n\n", b"indicator,period,value\n"])
def test_an_empty_csv_file_is_refused(db, unit_with_member, content):
    unit, member = unit_with_member
    with pytest.raises(services.CsvImportError):
        services.import_readings_csv(unit.id, content, actor=member)


def test_a_csv_file_saved_by_excel_in_windows_1252_is_read(db, unit_with_member):
    unit, member = unit_with_member
    services.import_readings_csv(unit.id, "indikator;period;värde\nlarm;2026-02;91,5\n".encode("cp1252"), actor=member)
    assert readings(db) == [("larm", "2026-02", 91.5)]


def test_a_csv_import_that_crosses_a_boundary_says_so(browser, db, unit_with_member, make_boundary, enqueued):
    unit, member = unit_with_member
    larm = services.find_indicator("larm")
    make_boundary(unit, indicator=larm, periods=2, acceptor=member)
    browser.login(member)
    response = upload(browser, unit, b"indicator,period,value\nlarm,2026-04,80\nlarm,2026-05,82\n")
    assert "En förtroendegräns överskreds." in response.text
    assert db.session.scalar(select(func.count()).select_from(Breach)) == 1


# ---- the command line -----------------------------------------------------------------------------


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_readings_import_on_the_command_line(app, db, unit_with_member, tmp_path):
    unit, _member = unit_with_member
    path = tmp_path / "import.csv"
    path.write_text("indicator,period,value\nlarm,2026-04,92\nlarm,2026-05,93\n", encoding="utf-8")

    result = run(app, "readings", "import", str(path), "--unit", unit.name)

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "imported 2 reading(s): 2 new, 0 corrected, 0 unchanged; 0 new breach(es)"
    assert [r[2] for r in readings(db)] == [92.0, 93.0]
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "reading")).all()
    assert {e.via for e in events} == {"cli"}


def test_readings_import_reports_every_bad_line_and_imports_nothing(app, db, unit_with_member, tmp_path):
    unit, _member = unit_with_member
    path = tmp_path / "import.csv"
    path.write_text("indicator,period,value\nlarm,2026-04,92\nlarm,2026-99,93\nokand,2026-05,1\n", encoding="utf-8")

    result = run(app, "readings", "import", str(path), "--unit", str(unit.id))

    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0] == "Rad 3, period: Månaden ska vara mellan 01 och 12."
    assert lines[1] == "Rad 4, indikator: Det finns ingen indikator med nyckeln ”okand”."
    assert lines[-1] == "Error: Ingenting importerades: filen har 2 fel."
    assert readings(db) == []


def test_readings_import_with_an_unknown_unit_is_a_one_line_error(app, tmp_path):
    path = tmp_path / "import.csv"
    path.write_text("indicator,period,value\n", encoding="utf-8")
    result = run(app, "readings", "import", str(path), "--unit", "Finns inte")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: unit: no unit named or with id 'Finns inte'"


def test_trust_commands_have_help(app):
    for args in (["trust", "evaluate"], ["readings", "import"]):
        result = run(app, *args, "--help")
        assert result.exit_code == 0
        assert "Usage" in result.output


def test_the_operator_may_report_for_any_unit(db, unit_with_member):
    unit, _member = unit_with_member
    services.record_readings(
        unit.id, [services.ReadingInput("fall", "2026-01", 3)], actor=access.OPERATOR, today=date(2026, 6, 1)
    )
    assert readings(db) == [("fall", "2026-01", 3.0)]
