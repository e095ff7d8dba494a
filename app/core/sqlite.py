"""SQLite as PostgreSQL would behave where the product relies on it.

SQLite's built-in ``lower()`` folds ASCII letters only, so ``lower(name) LIKE '%ängs%'`` never finds
"Ängsgården" and sorting by ``lower(name)`` puts "Åby" apart from "åby". Every SQLite connection gets a Unicode
``lower()`` (Python's ``str.lower``), as PostgreSQL has with a UTF-8 database; it is deterministic, so indexes on
``lower(...)`` stay valid.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

_installed = False


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)


def install() -> None:
    """Give every new SQLite connection (any engine) the Unicode ``lower()``; once per process."""
    global _installed
    if not _installed:
        event.listen(Engine, "connect", _on_connect)
        _installed = True
