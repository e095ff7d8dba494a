"""Swedish full-text search over a few text columns, on PostgreSQL and on SQLite (issue 16).

Domain-free: a ``Source`` names a table and the SQL expression of its searchable text; ``match(source, words)``
gives the condition and a rank to add to any query over that table (the domains' visibility getters stay in
charge of *which* rows).

- **PostgreSQL**: ``to_tsvector('swedish'::regconfig, <text>) @@ to_tsquery('swedish', 'word:*' & …)``, ranked by
  ``ts_rank``, served by a GIN index on exactly that expression (migration ``0014_planning``). The Swedish
  configuration stems both sides, and ``:*`` makes each word a prefix, so "rutinerna" finds "rutiner" and
  "brandlarm" finds "brandlarmet".
- **SQLite** (the embedded default): an FTS5 table ``<table>_fts`` per source (``unicode61``, diacritics kept so
  å/ä/ö stay letters) whose rowid is the source row's rowid, kept in step by triggers; a word is stemmed with the
  Snowball Swedish stemmer and matched as a prefix (``"rutin"*``), ranked by ``bm25``.

A batch migration that recreates one of these tables on SQLite renumbers rowids and drops the triggers: run
``install_sqlite(connection, rebuild=True)`` after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import snowballstemmer
from sqlalchemy import ColumnElement, bindparam, func, literal_column, table, text
from sqlalchemy.engine import Connection

from app.extensions import db

# Words: letters and digits (å, ä, ö, é… included); anything else separates words and is never sent raw.
WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 8
_stemmer = snowballstemmer.stemmer("swedish")


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
    """The words of a search, lowercased, at most ``MAX_WORDS``; empty when nothing searchable is left."""
    return [w.lower() for w in WORD.findall(query or "")][:MAX_WORDS]


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def match(source: Source, terms: list[str]) -> tuple[ColumnElement[bool], ColumnElement[Any], Any]:
    """The condition that a row of ``source`` contains every word of ``terms`` (as a prefix, in any Swedish word
    form), its rank (higher is better) and, on SQLite, the FTS table to join (None on PostgreSQL: join nothing).

    Join it with ``join_fts``."""
    if _dialect() == "postgresql":
        vector: ColumnElement[Any] = literal_column(
            f"to_tsvector('swedish'::regconfig, {source.qualified(source.table)})"
        )
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


def drop_sqlite(connection: Connection, sources: list[Source]) -> None:
    """Remove what ``install_sqlite`` made."""
    for s in sources:
        for suffix in ("ai", "ad", "au"):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {s.fts}_{suffix}")
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {s.fts}")


def postgres_index_sql(source: Source) -> tuple[str, str]:
    """The GIN index on the source's Swedish text vector: (its name, its CREATE INDEX statement)."""
    name = f"ix_{source.table}_fulltext"
    expression = f"to_tsvector('swedish'::regconfig, {source.plain})"
    return name, f"CREATE INDEX {name} ON {source.table} USING gin ({expression})"


# The sources of the product's search. Kept here (table names and columns only) so the migration can import
# them without importing a domain.
UNITS = Source("units", "{name}")
VISITS = Source("visits", "{case_number} || ' ' || coalesce({aim}, '')")
FINDINGS = Source("findings", "{text}")
FOLLOW_UPS = Source("follow_ups", "{title} || ' ' || coalesce({description}, '')")
MESSAGES = Source("dialogue_messages", "{text}")
SOURCES = [UNITS, VISITS, FINDINGS, FOLLOW_UPS, MESSAGES]
