"""Units at scale (issue 16): address, owner, Luhn-checked organisation number, and `flask units import`."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select


def names(db) -> list[str]:
    from app.units.models import Unit

    return list(db.session.scalars(select(Unit.name).order_by(func.lower(Unit.name))))


def run_import(app, tmp_path, text: str, *args: str):
    path = tmp_path / "enheter.csv"
    path.write_text(text, encoding="utf-8")
    return app.test_cli_runner().invoke(args=["units", "import", str(path), *args])


@pytest.mark.parametrize(
    ("given", "stored"),
    [("212000-1355", "212000-1355"), ("2120001355", "212000-1355"), (" 556036 0793 ", "556036-0793")],
)
def test_a_valid_organisation_number_is_stored_with_its_dash(app, given, stored):
    from app.units.services import normalise_organisation_number

    with app.test_request_context():
        assert normalise_organisation_number(given) == stored


@pytest.mark.parametrize("given", ["212000-1356", "21200013", "abcdef-ghij", "２１２０００１３５５"])
def test_a_wrong_organisation_number_is_refused_naming_the_field(app, given):
    from app.core.errors import InvalidInput
    from app.units.services import normalise_organisation_number

    with app.test_request_context(), pytest.raises(InvalidInput) as refused:
        normalise_organisation_number(given)
    assert list(refused.value.errors) == ["organisation_number"]


def test_the_import_creates_and_updates_units_with_å_ä_ö(app, db, tmp_path, make_unit):
    make_unit("Solgläntans förskola", kind="preschool")
    text = (
        "name;kind;email;address;organisation_number;owner\n"
        "Åby äldreboende;elderly_care;aby@example.se;Storgatan 1, 123 45 Åby;212000-1355;Åby kommun\n"
        "solgläntans förskola;preschool;;Ängsvägen 2, Åby;;Åby kommun\n"
    )

    result = run_import(app, tmp_path, text)

    assert result.exit_code == 0, result.output
    assert "1 units were created, 1 were updated." in result.output
    assert set(names(db)) == {"Åby äldreboende", "solgläntans förskola"}  # the file's spelling wins
    from app.units.models import Unit

    aby = db.session.scalar(select(Unit).where(Unit.name == "Åby äldreboende"))
    assert (aby.owner, aby.organisation_number, aby.address) == ("Åby kommun", "212000-1355", "Storgatan 1, 123 45 Åby")


def test_one_bad_line_imports_nothing_and_every_bad_line_is_named(app, db, tmp_path):
    text = (
        "name,kind,email,address,organisation_number,owner\n"
        "Östra skolan,school,,,,\n"
        "Västra skolan,castle,,,,\n"
        ",school,,,,\n"
        "Norra skolan,school,inte-en-adress,,212000-1356,\n"
    )

    result = run_import(app, tmp_path, text)

    assert result.exit_code == 1
    assert "Rad 3, kind: Välj en av typerna i listan." in result.output
    assert "Rad 4, name: Ange enhetens namn." in result.output
    assert "Rad 5, email" in result.output and "Rad 5, organisation_number" in result.output
    assert names(db) == []


def test_a_name_twice_in_the_file_is_an_error_on_the_second_line(app, db, tmp_path):
    result = run_import(app, tmp_path, "name,kind\nÄlvgården,elderly_care\nÄLVGÅRDEN,elderly_care\n")

    assert result.exit_code == 1
    assert "Rad 3: ÄLVGÅRDEN finns också på rad 2." in result.output
    assert names(db) == []


def test_a_dry_run_shows_what_would_change_and_changes_nothing(app, db, tmp_path):
    result = run_import(app, tmp_path, "name,kind\nÖdegården,elderly_care\n", "--dry-run")

    assert result.exit_code == 0, result.output
    assert "1 units would be created" in result.output and "+ Ödegården" in result.output
    assert names(db) == []


def test_a_file_with_unknown_columns_is_refused(app, db, tmp_path):
    result = run_import(app, tmp_path, "namn,typ\nÅby,school\n")

    assert result.exit_code == 1 and "Rad 1: kolumnerna ska vara name, kind" in result.output
