"""Lists as CSV that Excel in Swedish opens right (issue 16): UTF-8 with a byte-order mark, semicolons,
decimal commas, dates as YYYY-MM-DD, and formula injection neutralised.

A cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return, which Excel also reads as the
start of a formula) gets a leading apostrophe, so ``=HYPERLINK(...)`` shows as text and never runs (OWASP "CSV
injection"). Numbers are written as numbers (``3,5``) and are not touched by that rule.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Response, request

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def wants_csv() -> bool:
    """Whether the request asks for CSV: ``Accept: text/csv`` (preferred over HTML) or ``?format=csv``."""
    if request.args.get("format") == "csv":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "text/csv"])
    return best == "text/csv" and request.accept_mimetypes["text/csv"] > request.accept_mimetypes["text/html"]


def cell(value: Any) -> str:
    """One value as CSV text: numbers with a decimal comma, dates ISO, booleans as "ja"/"nej" is left to the
    caller (pass text); any text starting like a formula is prefixed with an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float, Decimal)):
        return str(value).replace(".", ",")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The whole CSV document (with its byte-order mark), semicolon-separated, CRLF line ends."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([cell(h) for h in header])
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return out.getvalue()


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A download of ``rows`` under ``header`` as ``filename`` (ASCII name, ``.csv``)."""
    response = Response(csv_text(header, rows).encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Vary"] = "Accept"
    return response
