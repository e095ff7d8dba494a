"""PostgreSQL full-text (app.core.fulltext, migration 0026; issue 16 Deliver 5): every source table has its stored,
generated Swedish tsvector with the GIN index on it, and the search matches and ranks over that stored vector —
never re-parsing a matched row's text with ``to_tsvector`` at query time."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text


def _postgres_only(db) -> None:
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("the stored tsvector is PostgreSQL's; SQLite's FTS5 tables store their own index")


def test_every_source_has_a_generated_swedish_vector_with_its_gin_index(db):
    from app.core import fulltext

    _postgres_only(db)
    for source in fulltext.SOURCES:
        generated = db.session.execute(
            text(
                "SELECT is_generated, generation_expression FROM information_schema.columns "
                "WHERE table_name = :t AND column_name = :c"
            ),
            {"t": source.table, "c": fulltext.VECTOR_COLUMN},
        ).one()
        assert generated[0] == "ALWAYS" and "swedish" in generated[1], source.table
        index = db.session.scalar(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = :n"), {"n": f"ix_{source.table}_fulltext"}
        )
        assert "gin" in index and fulltext.VECTOR_COLUMN in index, source.table


def test_match_and_rank_read_the_stored_vector_without_parsing_text(db):
    from app.core import fulltext

    _postgres_only(db)
    condition, rank, fts = fulltext.match(fulltext.FINDINGS, ["skola"])
    dialect = db.session.get_bind().dialect
    for expression in (condition, rank):
        sql = str(expression.compile(dialect=dialect))
        assert f"findings.{fulltext.VECTOR_COLUMN}" in sql
        assert "to_tsvector" not in sql
    assert fts is None


def test_the_stored_vector_follows_an_update(db):
    from app.core import fulltext

    _postgres_only(db)
    fulltext.index("test", uuid.uuid4(), "Skolan har rutiner.")
    document = db.session.scalars(
        select(fulltext.FulltextDocument).where(fulltext.FulltextDocument.kind == "test")
    ).one()
    assert db.session.execute(fulltext.matches("test", "brandlarm")).all() == []
    document.body = "Brandlarmet provas varje månad."
    db.session.flush()
    assert [row.doc_id for row in db.session.execute(fulltext.matches("test", "brandlarm"))] == [document.doc_id]


def test_flask_db_check_leaves_the_generated_columns_alone_and_nothing_else():
    from app.core import fulltext

    def column(table: str, name: str) -> SimpleNamespace:
        return SimpleNamespace(name=name, table=SimpleNamespace(name=table))

    assert not fulltext.include_object(column("findings", "swedish_vector"), "swedish_vector", "column", True, None)
    assert fulltext.include_object(column("findings", "text"), "text", "column", True, None)
    assert fulltext.include_object(column("people", "swedish_vector"), "swedish_vector", "column", True, None)
