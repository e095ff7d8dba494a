"""Swedish word forms in the full-text search (app.core.fulltext): PostgreSQL's Swedish configuration with prefix
matching, and SQLite FTS5 with the Snowball stems as prefixes — the mechanism of the search too (run the file on both:
TEST_DB=postgres for PostgreSQL)."""

from __future__ import annotations

import uuid

import pytest

CASES = [
    ("skolor", "Eleverna trivs på skolan och i skola med god ordning."),
    ("skolor", "En skola med tydliga rutiner."),
    ("äldreboende", "På äldreboendet äter de boende tillsammans."),
    ("skola", "Skolan har en trygg skolgård."),
    ("SKOLA", "Skolan har en trygg skolgård."),
    ("boendet rutiner", "Boendet har rutiner för läkemedel."),
]


@pytest.mark.parametrize(("query", "body"), CASES)
def test_a_swedish_word_form_finds_its_other_forms(db, query, body):
    from app.core import fulltext

    doc = uuid.uuid4()
    fulltext.index("test", doc, body)
    fulltext.index("test", uuid.uuid4(), "Något helt annat om brandskydd.")
    hits = db.session.execute(fulltext.matches("test", query)).all()
    assert [h.doc_id for h in hits] == [doc]


def test_every_word_of_the_query_must_match(db):
    from app.core import fulltext

    fulltext.index("test", uuid.uuid4(), "Skolan har rutiner.")
    assert db.session.execute(fulltext.matches("test", "skola brandskydd")).all() == []


def test_a_removed_document_is_no_longer_found(db):
    from app.core import fulltext

    doc = uuid.uuid4()
    fulltext.index("test", doc, "Skolan har rutiner.")
    fulltext.remove("test", doc)
    assert db.session.execute(fulltext.matches("test", "skola")).all() == []


def test_another_kind_is_not_found(db):
    from app.core import fulltext

    fulltext.index("other", uuid.uuid4(), "Skolan har rutiner.")
    assert db.session.execute(fulltext.matches("test", "skola")).all() == []


def test_a_query_without_words_matches_nothing_to_filter(db):
    from app.core import fulltext

    assert fulltext.matches("test", "  !? ") is None


def test_the_embedded_default_uses_fts5_and_postgresql_the_swedish_configuration(db):
    from sqlalchemy import text

    if db.session.get_bind().dialect.name == "postgresql":
        index = db.session.scalar(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_fulltext_documents_fulltext'")
        )
        assert "gin" in index and "swedish" in index
    else:
        sql = db.session.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'fulltext_documents_fts'"))
        assert "fts5" in sql.lower()
