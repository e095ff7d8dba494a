"""Swedish by default, English complete; per-person preference and ?lang=."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "app" / "translations"


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_string_is_translated(lang):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert missing == []
    assert (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo").exists()


def test_catalog_is_up_to_date_with_the_code():
    """Every string in the code is in the catalogs (run `make translations` after adding strings)."""
    from babel.messages.extract import extract_from_dir

    root = TRANSLATIONS.parent.parent
    method_map = [
        ("app/**.py", "python"),
        ("workers/**.py", "python"),
        ("templates/**.html", "jinja2"),
        ("templates/**.txt", "jinja2"),
    ]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}

    # Babel skips folders starting with "_" by default; templates/_macros/ must be read too.
    def directory_filter(path: str) -> bool:
        name = Path(path).name
        return not name.startswith(".") and name not in {"node_modules", "instance", "test-artifacts"}

    messages = extract_from_dir(str(root), method_map, keywords=keywords, directory_filter=directory_filter)
    found = {msg[2] if isinstance(msg[2], str) else msg[2][0] for msg in messages}
    with open(TRANSLATIONS / "sv" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh)}
    assert found - known == set()


def test_swedish_is_the_default(client):
    assert "Logga in" in client.get("/login").get_data(as_text=True)


def test_lang_parameter_switches_to_english_and_sticks(client):
    assert "Log in" in client.get("/login?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)


def test_a_persons_saved_language_wins(browser, make_user):
    person = make_user("reviewer", language="en", name="Eva English")
    browser.login(person)
    assert "Welcome, Eva English" in browser.get("/start").text


def test_a_person_can_save_their_language(browser, make_user, db):
    person = make_user("reviewer", name="Sven Svensk")
    browser.login(person)
    browser.post("/profile/language", {"language": "en"})
    assert "Welcome, Sven Svensk" in browser.get("/start").text
    db.session.expire_all()
    assert db.session.get(type(person), person.id).language == "en"
