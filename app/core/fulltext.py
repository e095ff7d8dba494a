"""Full-text search in Swedish: one mechanism for every domain (DESIGN.md 4.5; the library of good examples uses it,
and any other search may).

A domain indexes a document under a ``kind`` ("good_example", …) and its own id, and removes it again; a search
answers a ``Select`` of ``(doc_id, rank)`` to join with the domain's own table, so its filters, order and paging
stay in one SQL statement.

- PostgreSQL: the table ``fulltext_documents`` with a GIN index over ``to_tsvector('swedish', body)``; a query's
  words each become a *prefix of its stem* (``to_tsquery('swedish', 'skolor:*')`` = ``'skol':*``), all required,
  ranked by ``ts_rank``. So "skolor" finds "skola", "skola" finds "skolan", "äldreboende" finds "äldreboendet"
  (the Swedish stemmer leaves definite forms alone; the prefix covers them).
- SQLite (the embedded default): an FTS5 table ``fulltext_fts`` holding the body's words stemmed by the same Swedish
  Snowball stemmer in Python, searched with the query's stems as prefixes, ranked by bm25.

Writes happen in the caller's transaction (flushed, not committed): a rollback removes them with the rest.
"""

from __future__ import annotations

import re
import uuid
from functools import lru_cache
from typing import Any

import snowballstemmer
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    delete,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import IdMixin
from app.extensions import Model, db

# Words of a query beyond this many are ignored (a search box, not a document).
MAX_TERMS = 12
_WORD = re.compile(r"\w+", re.UNICODE)
SQLITE_TABLE = "fulltext_fts"
POSTGRES_INDEX = "ix_fulltext_documents_swedish"
SWEDISH: ColumnElement[Any] = literal_column("'swedish'::regconfig")


class FulltextDocument(IdMixin, Model):
    """The searchable text of one object of a domain (``kind`` + ``doc_id``)."""

    __tablename__ = "fulltext_documents"

    kind: Mapped[str] = mapped_column(String(40))
    doc_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    body: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (UniqueConstraint("kind", "doc_id"),)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """For Alembic's comparison: the SQLite FTS5 table (with its shadow tables) and PostgreSQL's GIN expression
    index are made by the migration by hand, outside the models' metadata."""
    if type_ == "table" and name is not None and name.startswith(SQLITE_TABLE):
        return False
    return not (type_ == "index" and name == POSTGRES_INDEX)


def _is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    return snowballstemmer.stemmer("swedish")


def words(value: str) -> list[str]:
    """The words of ``value``, lower-cased, in order (letters and digits of any script; punctuation dropped)."""
    return [w for w in _WORD.findall(value.lower()) if w.strip("_")]


def stems(value: str) -> list[str]:
    """The Swedish Snowball stems of the words of ``value``."""
    return [_stemmer().stemWord(w) for w in words(value)]


def index(kind: str, doc_id: uuid.UUID, body: str) -> None:
    """Make ``body`` the searchable text of (``kind``, ``doc_id``), replacing what was there. Flushes."""
    remove(kind, doc_id)
    db.session.add(FulltextDocument(kind=kind, doc_id=doc_id, body=body))
    if not _is_postgres():
        db.session.execute(
            text("INSERT INTO fulltext_fts (kind, doc_id, body) VALUES (:kind, :doc_id, :body)"),
            {"kind": kind, "doc_id": doc_id.hex, "body": " ".join(stems(body))},
        )
    db.session.flush()


def remove(kind: str, doc_id: uuid.UUID) -> None:
    """Take (``kind``, ``doc_id``) out of the search at once (nothing happens if it was not there)."""
    db.session.execute(delete(FulltextDocument).where(FulltextDocument.kind == kind, FulltextDocument.doc_id == doc_id))
    if not _is_postgres():
        db.session.execute(
            text("DELETE FROM fulltext_fts WHERE kind = :kind AND doc_id = :doc_id"),
            {"kind": kind, "doc_id": doc_id.hex},
        )


def matches(kind: str, query: str) -> Select[Any] | None:
    """The documents of ``kind`` matching every word of ``query`` (each as a prefix of its Swedish stem), as a
    ``Select`` of the columns ``doc_id`` (UUID) and ``rank`` (float, higher is better) to join with the domain's
    table, e.g. ``hits = matches(...).subquery(); select(X).join(hits, hits.c.doc_id == X.id)``.

    None when ``query`` has no words (the caller then shows everything). Never raises on any input text."""
    raw = [w.replace("_", "") for w in words(query)][:MAX_TERMS]
    terms = [t for t in (_stemmer().stemWord(w) for w in raw) if t]
    if not terms:
        return None
    if _is_postgres():
        # PostgreSQL stems each word itself (the same Snowball algorithm); ``:*`` makes the stem a prefix.
        tsquery = func.to_tsquery(SWEDISH, " & ".join(f"{w}:*" for w in raw if w))
        vector = func.to_tsvector(SWEDISH, FulltextDocument.body)
        return select(FulltextDocument.doc_id.label("doc_id"), func.ts_rank(vector, tsquery).label("rank")).where(
            FulltextDocument.kind == kind, vector.op("@@")(tsquery)
        )
    fts_query = " AND ".join('"{}"*'.format(t.replace('"', "")) for t in terms)
    return (
        select(
            literal_column("doc_id", Uuid).label("doc_id"),
            (-func.bm25(literal_column(SQLITE_TABLE))).label("rank"),
        )
        .select_from(text(SQLITE_TABLE))
        .where(literal_column(SQLITE_TABLE).op("MATCH")(fts_query), literal_column("kind", String) == kind)
    )


__all__ = ["FulltextDocument", "include_object", "index", "matches", "remove", "stems", "words"]
