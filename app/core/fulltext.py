"""Swedish full-text search: one mechanism for every domain, on PostgreSQL and on SQLite (DESIGN.md 4.5, issue 16).

Domain-free: a ``Source`` names a table and the SQL expression of its searchable text; ``match(source, words)``
gives the condition and a rank to add to any query over that table (the domains' visibility getters stay in
charge of *which* rows). The product's search (app.search: units, visits, findings, follow-ups, messages) reads
its tables directly; a domain whose searchable text spans several tables (the library of good examples) writes it
to ``fulltext_documents`` with ``index``/``remove`` and searches it with ``matches`` — the same mechanism.

- **PostgreSQL**: a stored column ``swedish_vector`` per source, ``GENERATED ALWAYS AS
  (to_tsvector('swedish'::regconfig, <text>)) STORED`` (kept in step by PostgreSQL itself, outside the models),
  matched with ``swedish_vector @@ to_tsquery('swedish', 'word:*' & …)`` through a GIN index on it
  (``ix_<table>_fulltext``) and ranked by ``ts_rank`` over the same stored vector, so no matched row's text is
  parsed again at query time (migration 0026; before it, an expression index that ``ts_rank`` re-parsed). The Swedish
  configuration stems both sides, and ``:*`` makes each stemmed word a prefix, so "rutinerna" finds "rutiner",
  "skolor" finds "skolan" and "brandlarm" finds "brandlarmet".
- **SQLite** (the embedded default): an FTS5 table ``<table>_fts`` per source (``unicode61``, diacritics kept so
  å/ä/ö stay letters) whose rowid is the source row's rowid, kept in step by triggers; a word is stemmed with the
  Snowball Swedish stemmer and matched as a prefix (``"rutin"*``), ranked by ``bm25``.

A batch migration that recreates one of these tables on SQLite renumbers rowids and drops the triggers:
``migrations/env.py`` runs ``ensure_sqlite`` after every migration, which rebuilds such a source; a migration may
also call ``install_sqlite(connection, sources, rebuild=True)`` itself.

Writes happen in the caller's transaction (flushed, not committed): a rollback removes them with the rest.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import snowballstemmer
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    bindparam,
    delete,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import IdMixin
from app.extensions import Model, db

# Words: letters and digits (å, ä, ö, é… included); anything else separates words and is never sent raw.
WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 8
_stemmer = snowballstemmer.stemmer("swedish")
# PostgreSQL: the stored, generated tsvector column of every source table (see the module's docstring).
VECTOR_COLUMN = "swedish_vector"


@dataclass(frozen=True)
class Source:
    """A searchable table: ``table`` and ``text_sql``, the SQL expression of its text over unqualified columns
    (the same expression the PostgreSQL index is built on)."""

    table: str
    text_sql: str

    @property
    def fts(self) -> str:
        return f"{self.table}_fts"

    @property
    def plain(self) -> str:
        """``text_sql`` over unqualified columns (as an index expression needs them)."""
        return re.sub(r"\{(\w+)\}", r"\1", self.text_sql)

    def qualified(self, prefix: str) -> str:
        """``text_sql`` with every column qualified by ``prefix`` (the table name, or NEW/OLD in a trigger)."""
        return re.sub(r"\{(\w+)\}", lambda m: f"{prefix}.{m.group(1)}", self.text_sql)


def words(query: str) -> list[str]:
    """The words of a search, lowercased (underscores dropped), at most ``MAX_WORDS``; empty when nothing
    searchable is left. Never raises on any input text."""
    found = (w.replace("_", "") for w in WORD.findall((query or "").lower()))
    return [w for w in found if w][:MAX_WORDS]


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """For Alembic's comparison (``migrations/env.py``): the full-text structures are made by migrations by hand,
    outside the models' metadata: on SQLite the FTS5 tables ``<table>_fts`` (and their shadow tables
    ``<table>_fts_*``), on PostgreSQL the GIN indexes ``ix_<table>_fulltext`` and the generated columns
    ``swedish_vector`` of the source tables. Everything else is compared."""
    if not reflected or compare_to is not None or name is None:
        return True
    if type_ == "column":
        table_name = getattr(getattr(obj, "table", None), "name", None)
        return not (name == VECTOR_COLUMN and table_name in {s.table for s in SOURCES})
    if type_ == "table":
        return not any(name == s.fts or name.startswith(f"{s.fts}_") for s in SOURCES)
    if type_ == "index":
        return name not in {postgres_index_sql(s)[0] for s in SOURCES}
    return True


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def match(source: Source, terms: list[str]) -> tuple[ColumnElement[bool], ColumnElement[Any], Any]:
    """The condition that a row of ``source`` contains every word of ``terms`` (as a prefix, in any Swedish word
    form), its rank (higher is better) and, on SQLite, the FTS table to join (None on PostgreSQL: join nothing).

    Join it with ``join_fts``."""
    if _dialect() == "postgresql":
        # The stored vector (migration 0026): matched through its GIN index and ranked without re-parsing the text.
        vector: ColumnElement[Any] = literal_column(f"{source.table}.{VECTOR_COLUMN}")
        tsquery = text(f"to_tsquery('swedish'::regconfig, :tsq_{source.table})").bindparams(
            bindparam(f"tsq_{source.table}", " & ".join(f"{w}:*" for w in terms))
        )
        return vector.op("@@")(tsquery), func.ts_rank(vector, tsquery), None
    fts_query = " ".join(f'"{_stemmer.stemWord(w)}"*' for w in terms)
    fts = table(source.fts)
    condition = literal_column(source.fts).op("MATCH")(bindparam(f"fts_{source.table}", fts_query))
    rank: ColumnElement[Any] = -literal_column(f"bm25({source.fts})")
    return condition, rank, fts


def join_fts(query: Any, source: Source, fts: Any, entity: Any) -> Any:
    """``query`` joined from ``entity`` (the source table's model) to its FTS table on SQLite; unchanged on
    PostgreSQL (``fts`` is None there)."""
    if fts is None:
        return query
    return query.join_from(
        entity, fts, literal_column(f"{source.fts}.rowid") == literal_column(f"{source.table}.rowid")
    )


def _sqlite_statements(s: Source) -> list[str]:
    """The FTS5 table of one source, its three triggers and the statement that fills it. Table and column names
    come from the constant Source definitions, never from input."""
    new = s.qualified("NEW")
    create = f"CREATE VIRTUAL TABLE {s.fts} USING fts5(body, tokenize = 'unicode61 remove_diacritics 0')"
    insert = f"INSERT INTO {s.fts}(rowid, body) VALUES (NEW.rowid, {new});"  # noqa: S608
    delete = f"DELETE FROM {s.fts} WHERE rowid = OLD.rowid;"  # noqa: S608
    fill = f"INSERT INTO {s.fts}(rowid, body) SELECT rowid, {s.qualified(s.table)} FROM {s.table}"  # noqa: S608
    return [
        create,
        f"CREATE TRIGGER {s.fts}_ai AFTER INSERT ON {s.table} BEGIN {insert} END",
        f"CREATE TRIGGER {s.fts}_ad AFTER DELETE ON {s.table} BEGIN {delete} END",
        f"CREATE TRIGGER {s.fts}_au AFTER UPDATE ON {s.table} BEGIN {delete} {insert} END",
        fill,
    ]


def install_sqlite(connection: Connection, sources: list[Source], *, rebuild: bool = False) -> None:
    """Create each source's FTS5 table and the triggers that keep it in step, and fill it from the table."""
    for s in sources:
        if rebuild:
            drop_sqlite(connection, [s])
        for statement in _sqlite_statements(s):
            connection.exec_driver_sql(statement)


def sqlite_triggers_missing(connection: Connection, source: Source) -> bool:
    """Whether ``source``'s FTS5 table exists on SQLite but one of its triggers does not (what a batch migration
    that recreates the source's table leaves behind)."""
    names = {
        row[0]
        for row in connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE name LIKE ?", (f"{source.fts}%",))
    }
    return source.fts in names and not {f"{source.fts}_{s}" for s in ("ai", "ad", "au")} <= names


def ensure_sqlite(connection: Connection, sources: list[Source] | None = None) -> list[str]:
    """After migrations on SQLite: rebuild every source whose FTS5 table lost its triggers (a batch migration on
    units, visits, findings, follow_ups or dialogue_messages recreates the table, which drops its triggers and
    renumbers its rowids), so no migration can leave the search silently stale. Returns the tables rebuilt.
    ``migrations/env.py`` calls it after every upgrade or downgrade."""
    rebuilt = []
    for source in SOURCES if sources is None else sources:
        if sqlite_triggers_missing(connection, source):
            install_sqlite(connection, [source], rebuild=True)
            rebuilt.append(source.table)
    return rebuilt


def drop_sqlite(connection: Connection, sources: list[Source]) -> None:
    """Remove what ``install_sqlite`` made."""
    for s in sources:
        for suffix in ("ai", "ad", "au"):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {s.fts}_{suffix}")
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {s.fts}")


def postgres_index_sql(source: Source) -> tuple[str, str]:
    """The GIN index on the source's Swedish text vector *as an expression*: (its name, its CREATE INDEX
    statement). What migrations 0014 and 0023 built; migration 0026 replaces it with ``postgres_vector_sql``."""
    name = f"ix_{source.table}_fulltext"
    expression = f"to_tsvector('swedish'::regconfig, {source.plain})"
    return name, f"CREATE INDEX {name} ON {source.table} USING gin ({expression})"


def postgres_vector_sql(source: Source, column: str = VECTOR_COLUMN) -> list[str]:
    """The statements that give ``source`` its stored Swedish vector on PostgreSQL: the generated column
    ``swedish_vector`` (``to_tsvector('swedish', <text>)``, computed by PostgreSQL on every insert and update)
    and the GIN index ``ix_<table>_fulltext`` on it, replacing the expression index of ``postgres_index_sql``.
    ``column`` is the generated column's name (a migration passes the name as of its revision). Table and column
    names come from constants, never from input."""
    name = postgres_index_sql(source)[0]
    expression = f"to_tsvector('swedish'::regconfig, {source.plain})"
    return [
        f"DROP INDEX IF EXISTS {name}",
        f"ALTER TABLE {source.table} ADD COLUMN {column} tsvector GENERATED ALWAYS AS ({expression}) STORED",
        f"CREATE INDEX {name} ON {source.table} USING gin ({column})",
    ]


def drop_postgres_vector_sql(source: Source, column: str = VECTOR_COLUMN) -> list[str]:
    """The statements that undo ``postgres_vector_sql`` (back to the expression index)."""
    return [
        f"DROP INDEX IF EXISTS {postgres_index_sql(source)[0]}",
        f"ALTER TABLE {source.table} DROP COLUMN IF EXISTS {column}",
        postgres_index_sql(source)[1],
    ]


# The sources of the product's search. Kept here (table names and columns only) so the migration can import
# them without importing a domain. DOCUMENTS holds what a domain indexes itself (``index``/``remove``): the
# library of good examples, whose text comes from several tables.
UNITS = Source("units", "{name}")
VISITS = Source("visits", "{case_number} || ' ' || coalesce({aim}, '')")
FINDINGS = Source("findings", "{text}")
FOLLOW_UPS = Source("follow_ups", "{title} || ' ' || coalesce({description}, '')")
MESSAGES = Source("dialogue_messages", "{text}")
DOCUMENTS = Source("fulltext_documents", "{body}")
SOURCES = [UNITS, VISITS, FINDINGS, FOLLOW_UPS, MESSAGES, DOCUMENTS]


# ---- documents a domain indexes itself --------------------------------------------------------------------------


class FulltextDocument(IdMixin, Model):
    """The searchable text of one object of a domain (``kind`` + ``doc_id``), searched as the source DOCUMENTS."""

    __tablename__ = "fulltext_documents"

    kind: Mapped[str] = mapped_column(String(40))
    doc_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    body: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (UniqueConstraint("kind", "doc_id"),)


def index(kind: str, doc_id: uuid.UUID, body: str) -> None:
    """Make ``body`` the searchable text of (``kind``, ``doc_id``), replacing what was there. Flushes."""
    remove(kind, doc_id)
    db.session.add(FulltextDocument(kind=kind, doc_id=doc_id, body=body))
    db.session.flush()


def remove(kind: str, doc_id: uuid.UUID) -> None:
    """Take (``kind``, ``doc_id``) out of the search at once (nothing happens if it was not there)."""
    db.session.execute(delete(FulltextDocument).where(FulltextDocument.kind == kind, FulltextDocument.doc_id == doc_id))


def matches(kind: str, query: str) -> Select[Any] | None:
    """The documents of ``kind`` matching every word of ``query`` (each as a prefix of its Swedish stem), as a
    ``Select`` of the columns ``doc_id`` (UUID) and ``rank`` (float, higher is better) to join with the domain's
    table, e.g. ``hits = matches(...).subquery(); select(X).join(hits, hits.c.doc_id == X.id)``.

    None when ``query`` has no words (the caller then shows everything). Never raises on any input text."""
    terms = words(query)
    if not terms:
        return None
    condition, rank, fts = match(DOCUMENTS, terms)
    found = select(FulltextDocument.doc_id.label("doc_id"), rank.label("rank")).where(
        FulltextDocument.kind == kind, condition
    )
    return join_fts(found, DOCUMENTS, fts, FulltextDocument)


__all__ = [
    "DOCUMENTS",
    "SOURCES",
    "VECTOR_COLUMN",
    "FulltextDocument",
    "Source",
    "ensure_sqlite",
    "include_object",
    "index",
    "install_sqlite",
    "join_fts",
    "match",
    "matches",
    "postgres_vector_sql",
    "remove",
    "words",
]
