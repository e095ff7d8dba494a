"""Import files as people really have them (issue 16): blank lines before the header, Windows-1252 from Excel,
a NUL byte, a cell broken over two lines, more cells than columns, a column twice, through the CLI and the upload."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

HEADER = "name;kind;email;address;organisation_number;owner\n"


def unit_count(db) -> int:
    from app.units.models import Unit

    return db.session.scalar(select(func.count()).select_from(Unit)) or 0


def cli(app, tmp_path, data: bytes, command: str = "units"):
    path = tmp_path / "fil.csv"
    path.write_bytes(data)
    return app.test_cli_runner().invoke(args=[command, "import", str(path)])


@pytest.fixture
def coordinator(browser, make_user):
    browser.login(make_user("coordinator"))
    return browser


def upload(browser, data: bytes):
    return browser.post(
        "/units/import", data={"file": (io.BytesIO(data), "enheter.csv")}, content_type="multipart/form-data"
    )


def test_the_cli_refuses_a_nul_byte_like_the_upload_storing_nothing(app, db, tmp_path):
    result = cli(app, tmp_path, (HEADER + "Åby skola;school;;;;Åby\x00 kommun\n").encode())

    assert result.exit_code == 1
    assert "Rad 2: " in result.output and "U+0000" in result.output
    assert unit_count(db) == 0


def test_the_cli_reads_windows_1252_as_the_upload_does(app, db, tmp_path):
    result = cli(app, tmp_path, (HEADER + "Åby skola;school;;Storgatan 1;;Åby kommun\n").encode("cp1252"))

    assert result.exit_code == 0, result.output
    from app.units.models import Unit

    assert db.session.scalar(select(Unit.owner)) == "Åby kommun"


def test_the_people_cli_refuses_a_nul_byte(app, db, tmp_path):
    result = cli(app, tmp_path, b"email;name;role\na@example.se;A\x00;reviewer\n", "users")

    assert result.exit_code == 1 and "Rad 2: " in result.output


def test_blank_lines_before_the_header_are_skipped(coordinator, db):
    page = upload(coordinator, ("\r\n\r\n" + HEADER + "Åby skola;school;;;;\r\n\r\nEken;school;;;;\r\n").encode())

    assert page.status_code == 200, page.get_data(as_text=True)
    assert "Nya enheter: 2." in page.get_data(as_text=True)


def test_bytes_that_are_neither_utf8_nor_windows_1252_are_refused(coordinator, db):
    page = upload(coordinator, HEADER.encode() + b"X\x81\x8d;school;;;;\n")

    assert page.status_code == 422
    assert "\ufffd" not in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (HEADER + 'Åby skola;school;;;;\n"Eken\nNorr";school;;;;\n', "Rad 4"),  # a cell over two lines
        (HEADER + "Åby skola;school;;;;;;extra\n", "Rad 2"),  # more cells than columns
    ],
)
def test_a_malformed_line_is_named_and_nothing_imported(coordinator, db, data, line):
    page = upload(coordinator, data.encode())

    assert page.status_code == 422
    assert line in page.get_data(as_text=True)
    assert unit_count(db) == 0


def test_a_column_twice_in_the_header_is_refused(coordinator, db):
    page = upload(coordinator, b"name;kind;name\nA;school;B\n")

    assert page.status_code == 422 and "Rad 1" in page.get_data(as_text=True)
