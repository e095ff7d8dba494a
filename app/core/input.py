"""The one input layer (API.md conventions, DESIGN.md 4.6; OWASP ASVS 5.0 V1/V2): what any text, number, date,
page or body may be before a service sees it, for forms, API schemas, CSV files and query strings alike.

- Text is normalised to NFC. Control characters (C0, DEL, C1) and lone UTF-16 surrogates are refused with a
  message naming the character; tab and line breaks only in multi-line text. Single-line text (names, keys, titles)
  also refuses line and paragraph separators and the bidirectional embedding/override/isolate controls (U+202A–E,
  U+2066–9) that make a name read differently from what it is.
- Numbers stay within what the database stores (``MAX_ABS_NUMBER``, ``MAX_INT``); pages within ``MAX_PAGE``;
  dates within ``MIN_DATE``–``MAX_DATE`` (the domain narrows them further: DESIGN.md 4.1).
- Request bodies other than uploads hold at most ``MAX_BODY_BYTES``; JSON nests at most ``MAX_JSON_DEPTH`` deep;
  NUL and lone surrogates never get past the request, whatever reads it afterwards.
- A web form's field holding a character that cannot be stored is bad input like any other (DESIGN.md section 5):
  the guard leaves the character out and notes the field as *refused* for this request; the form (``BaseForm``)
  shows the message beside that field with what was typed, ``run_service`` refuses the call, and a commit while a
  refusal is unanswered is refused (422), so nothing is saved. Messages name the field as the person sees it (its
  label on this request's form), or "one of the fields"; the API keeps its problem+json naming the field.

This module imports no domain: the WTForms base (``app.core.forms.BaseForm``), the API's base schema
(``app.api.schemas.ApiSchema``) and CSV readers call these functions.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Flask, Request, Response, current_app, g, has_request_context, render_template, request
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from app.core.errors import InvalidInput

MAX_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32
MAX_PAGE = 1_000_000
MAX_INT = 2**31 - 1  # an SQL integer
MAX_ABS_NUMBER = Decimal(10) ** 12  # any decimal measure (readings, scores) stays below a trillion
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2199, 12, 31)

LINE_BREAKS = frozenset("\n\r")
SEPARATORS = frozenset("\u2028\u2029\x85")
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Field names whose text is prose a person writes over several lines; every other text field is single-line.
MULTILINE_SUFFIXES = (
    "text",
    "description",
    "rationale",
    "reason",
    "note",
    "aim",
    "summary",
    "comment",
    "message",
    "body",
    "address",
    "questions",
    "legal_basis",
    "purpose",
)


def is_multiline_name(name: str) -> bool:
    """Whether a field of this name holds multi-line prose (``text``, ``close_note``, ``waiver_reason``…)."""
    return name.lower().endswith(MULTILINE_SUFFIXES)


def _codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"


def text_problem(value: str, *, multiline: bool) -> str | None:
    """What is wrong with this text, as a translated sentence a person can act on; None when it is acceptable.

    Refused everywhere: lone surrogates and control characters (Unicode category Cc) except tab and line breaks
    in multi-line text. Refused in single-line text also: line breaks, line/paragraph separators and bidi controls."""
    for char in value:
        code = ord(char)
        if 0xD800 <= code <= 0xDFFF:
            return _("Contains a broken character (%(code)s) that cannot be stored.", code=_codepoint(char))
        if char in LINE_BREAKS or char in SEPARATORS:
            if multiline and char in LINE_BREAKS:
                continue
            return _("Must be written on one line.")
        if char == "\t" and multiline:
            continue
        if unicodedata.category(char) == "Cc":
            return _("Contains a control character (%(code)s) that cannot be stored.", code=_codepoint(char))
        if not multiline and char in BIDI_CONTROLS:
            return _(
                "Contains a text-direction control character (%(code)s) that makes it read differently: remove it.",
                code=_codepoint(char),
            )
    return None


def normalise(value: str) -> str:
    """NFC (how Å/Ä/Ö are stored and compared everywhere). Call only on text ``text_problem`` accepted."""
    return unicodedata.normalize("NFC", value)


def fold(value: str) -> str:
    """The key under which names are compared and searched, the same on SQLite and PostgreSQL: NFKC, whitespace
    collapsed, then Unicode full case folding (``str.casefold``: "Åby" and "åby" and "ÅBY" meet; "ß" meets "ss")."""
    return unicodedata.normalize("NFKC", " ".join(value.split())).casefold()


def clean_text(value: str, *, field: str, multiline: bool | None = None) -> str:
    """The text normalised to NFC, or ``InvalidInput({field: [message]})`` (422) when it holds what may not be stored.

    ``multiline`` defaults to the field name's convention (``is_multiline_name``)."""
    if multiline is None:
        multiline = is_multiline_name(field)
    message = text_problem(value, multiline=multiline)
    if message:
        raise InvalidInput({field: [message]}, message=f"{field}: {message}")
    return normalise(value)


def number_problem(value: Any, *, integer: bool = False) -> str | None:
    """What is wrong with a number's size (None when sane): integers fit SQL ``integer``, decimals stay below 10¹²."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except (ArithmeticError, ValueError):
        return None  # not a number at all: the field's own parser says so
    if not number.is_finite():
        return _("Enter a number.")
    limit = Decimal(MAX_INT) if integer else MAX_ABS_NUMBER
    if abs(number) > limit:
        return _("The number is too large.")
    return None


def date_problem(value: date) -> str | None:
    """A date outside ``MIN_DATE``–``MAX_DATE`` (None when sane)."""
    if value < MIN_DATE or value > MAX_DATE:
        return _("Enter a date between %(start)s and %(end)s.", start=MIN_DATE.isoformat(), end=MAX_DATE.isoformat())
    return None


def parse_page(raw: Any, *, field: str = "page", default: int = 1, maximum: int = MAX_PAGE) -> int:
    """A page number (or page size) from a query string: missing or empty → ``default``; a whole number from 1
    to ``maximum``, otherwise ``InvalidInput`` (422). A page beyond the last one is for the caller to answer empty."""
    if raw is None or raw == "":
        return default
    text = str(raw).strip()
    if not text.isdigit() or len(text) > 9 or not 1 <= int(text) <= maximum:
        message = _("Enter a whole number from 1 to %(max)d.", max=maximum)
        raise InvalidInput({field: [message]}, message=f"{field}: {message}")
    return int(text)


# ---- CSV -------------------------------------------------------------------------------------------------------

MAX_CSV_PROBLEMS = 20


def clean_csv(data: bytes, *, field: str = "file") -> bytes:
    """A CSV file's bytes checked line by line and returned as NFC UTF-8 (UTF-8 with or without BOM, else what
    Excel writes on Windows, cp1252). A cell is single-line text: a line holding a control character, a lone
    surrogate or a bidi control raises ``InvalidInput({field: ["Line 3: …", …]})`` (422), at most 20 lines named;
    bytes that are neither UTF-8 nor cp1252 (0x81, 0x8D, 0x8F, 0x90, 0x9D) raise it too, never stored as "�"."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise InvalidInput(
                {field: [_("The file is not UTF-8 or Windows-1252 text. Save it as CSV (UTF-8) and try again.")]}
            ) from None
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        message = text_problem(line, multiline=False)
        if message:
            problems.append(_("Line %(n)d: %(problem)s", n=number, problem=message))
            if len(problems) >= MAX_CSV_PROBLEMS:
                break
    if problems:
        raise InvalidInput({field: problems}, message=_("The file holds characters that cannot be stored."))
    return normalise(text).encode("utf-8")


def csv_rows(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """An import file's header (names stripped and lower-cased) and its rows as ``(line number, {column: value})``
    with values stripped (issue 16). Comma- or semicolon-separated (whichever the header has more of); a BOM and
    blank lines (before the header too) are skipped, line numbers counting them. ``InvalidInput({"file": [...]})``
    names each line whose cell runs over two lines or that has more cells than the header (at most 20)."""
    import csv
    import io

    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    skipped = 0
    while skipped < len(lines) and not lines[skipped].strip():
        skipped += 1
    first = lines[skipped] if skipped < len(lines) else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO("".join(lines[skipped:])), delimiter=delimiter, restkey="\x00extra")
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    rows: list[tuple[int, dict[str, str]]] = []
    problems: list[str] = []
    for row in reader:
        line = reader.line_num + skipped
        if "\x00extra" in row:
            problems.append(_("Line %(n)d: %(problem)s", n=line, problem=_("It has more cells than the first line.")))
        elif any("\n" in v or "\r" in v for v in row.values() if v):
            problems.append(_("Line %(n)d: %(problem)s", n=line, problem=_("Must be written on one line.")))
        else:
            rows.append((line, {k: (v or "").strip() for k, v in row.items() if k}))
        if len(problems) >= MAX_CSV_PROBLEMS:
            break
    if problems:
        raise InvalidInput({"file": problems})
    return header, rows


# ---- JSON -------------------------------------------------------------------------------------------------------

_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth(raw: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest (strings ignored), without parsing it."""
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in brackets:
        depth += 1 if byte in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _json_strings(value: Any, path: str) -> Iterable[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            yield path or "_schema", str(key)
            yield from _json_strings(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_strings(item, f"{path}.{index}" if path else str(index))


def _unstorable(value: str) -> str | None:
    """NUL and lone surrogates: never storable, whatever the field (the schema checks the rest)."""
    for char in value:
        if char == "\x00" or 0xD800 <= ord(char) <= 0xDFFF:
            return text_problem(char, multiline=True)
    return None


def check_json(raw: bytes, parsed: Any) -> None:
    """Refuse (422) a JSON body that nests too deep or holds NUL or a lone surrogate in any key or string."""
    if json_depth(raw) > MAX_JSON_DEPTH:
        message = _("The JSON nests deeper than %(n)d levels.", n=MAX_JSON_DEPTH)
        raise InvalidInput({"_schema": [message]}, message=message)
    for path, text in _json_strings(parsed, ""):
        message = _unstorable(text)
        if message:
            field = path or "_schema"
            raise InvalidInput({field: [message]}, message=f"{field}: {message}")


# ---- the request ----------------------------------------------------------------------------------------------


def _cleaned(values: MultiDict[str, str], *, multiline: bool) -> ImmutableMultiDict[str, str]:
    """Every key and value checked and NFC-normalised; the first refused one raises ``InvalidInput`` naming it."""
    items: list[tuple[str, str]] = []
    for key, value in values.items(multi=True):
        name = clean_text(key, field="_schema", multiline=False)
        items.append((name, clean_text(value, field=name, multiline=multiline)))
    return ImmutableMultiDict(items)


# ---- refused form fields (web forms only) ----------------------------------------------------------------------


def _without_unstorable(value: str) -> str:
    """The text without the characters ``text_problem`` refuses even in multi-line text (NUL, other control
    characters, lone surrogates, line/paragraph separators): what was typed, minus what cannot be stored or shown."""
    return "".join(char for char in value if text_problem(char, multiline=True) is None)


def _kept(values: MultiDict[str, str]) -> ImmutableMultiDict[str, str]:
    """A web form's fields NFC-normalised; a value holding what cannot be stored keeps the rest of what was typed
    and its field is noted refused for this request (:func:`refused_fields`). A refused key still raises."""
    items: list[tuple[str, str]] = []
    refused: dict[str, str] = g.setdefault("input_refused", {})
    for key, value in values.items(multi=True):
        name = clean_text(key, field="_schema", multiline=False)
        problem = text_problem(value, multiline=True)
        if problem:
            refused.setdefault(name, problem)
            value = _without_unstorable(value)
        items.append((name, normalise(value)))
    return ImmutableMultiDict(items)


def note_field_labels(labels: Mapping[str, str]) -> None:
    """A form of this request names its fields (``{field name: label}``), so a refusal names them as the person
    sees them (called by ``app.core.forms.BaseForm``)."""
    if has_request_context():
        g.setdefault("input_labels", {}).update(labels)


def field_in_words(name: str) -> str:
    """The field as the person sees it: its label on this request's form in quotes, or "One of the fields"."""
    label = g.get("input_labels", {}).get(name) if has_request_context() else None
    return _("“%(label)s”", label=label) if label else _("One of the fields")


def refused_fields() -> dict[str, str]:
    """This request's refused form fields not yet answered, ``{field name: message}`` (empty outside a request)."""
    if not has_request_context():
        return {}
    answered = g.get("input_refused_answered", set())
    return {name: message for name, message in g.get("input_refused", {}).items() if name not in answered}


def answer_refused(names: Iterable[str]) -> None:
    """The person has been shown these refused fields (beside the field, or as the request's refusal)."""
    g.setdefault("input_refused_answered", set()).update(names)


def refusal_of(refused: Mapping[str, str], *, beside: Iterable[str] = ()) -> InvalidInput:
    """The refused fields as an ``InvalidInput`` (422): ``{name: [message]}``, the message alone for a field shown
    with its label (``beside``), else preceded by the field in words ("“Your message”: …", "One of the fields: …")."""
    shown = set(beside)
    errors = {
        name: [message if name in shown else _("%(field)s: %(problem)s", field=field_in_words(name), problem=message)]
        for name, message in refused.items()
    }
    summary = " ".join(
        _("%(field)s: %(problem)s", field=field_in_words(name), problem=message) for name, message in refused.items()
    )
    return InvalidInput(errors, message=summary)


def _refuse_unanswered_commit(session: Session) -> None:
    """Nothing is saved while a refused field is unanswered (a view that read it without a form, DESIGN.md 4.8)."""
    refused = refused_fields()
    if refused and not g.get("form_draft_kept"):  # (a form kept after the session ran out: app.core.drafts)
        answer_refused(refused)
        refusal = refusal_of(refused)
        refusal.message += " " + _("Nothing was saved. Go back, remove it from the field and send the form again.")
        raise refusal


def _is_upload(req: Request) -> bool:
    return req.mimetype == "multipart/form-data"


def bound_body() -> None:
    """First thing of every request (before CSRF reads the form): a body other than an upload holds at most
    ``MAX_BODY_BYTES``; uploads keep ``MAX_CONTENT_LENGTH`` (files × per-file limit)."""
    if not _is_upload(request):
        limit = MAX_BODY_BYTES
        if request.max_content_length is None or request.max_content_length > limit:
            request.max_content_length = limit


def checks_items_itself(view: Any) -> Any:
    """Mark a view that answers each item of a batch on its own (the tablet's ``/sync``, DESIGN.md 4.8): the request
    guard leaves its JSON strings to the items' schemas (``ApiSchema``), so one bad item is refused alone instead
    of the whole batch failing, again and again. The body and nesting limits still apply."""
    view.checks_items_itself = True
    return view


def guard_request() -> None:
    """Before every view: check and normalise the query string, form fields and JSON.

    Query parameters are single-line; form fields may hold line breaks (the form's own fields decide whether
    they are single-line); JSON strings are checked for what can never be stored (the API schema does the rest).
    A web form's field that holds what cannot be stored is kept without it and noted refused (see the module's
    docstring): the person gets the form back with the message beside the field. An API request is refused here
    (422 problem+json naming the field, API.md)."""
    from app.core.web import is_api_request

    if request.args:
        request.args = _cleaned(request.args, multiline=False)  # type: ignore[misc]
    if request.method in {"POST", "PUT", "PATCH", "DELETE"}:
        if request.mimetype in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            if is_api_request():
                request.form = _cleaned(request.form, multiline=True)  # type: ignore[misc]
            else:
                request.form = _kept(request.form)  # type: ignore[misc]
            for name, upload in request.files.items(multi=True):
                clean_text(upload.filename or "", field=name, multiline=False)  # a file's name is stored too
        elif request.is_json and request.content_length != 0:
            raw = request.get_data(cache=True)
            if json_depth(raw) > MAX_JSON_DEPTH:
                check_json(raw, None)
            view = current_app.view_functions.get(request.endpoint or "")
            if getattr(view, "checks_items_itself", False):
                return
            parsed = request.get_json(silent=True)
            if parsed is not None:
                check_json(raw, parsed)


def body_limit_sentence() -> str:
    """The limits, said to a person (the 413 page and problem)."""
    from flask import current_app

    return _(
        "A form or API request may be at most %(body)d MB; an uploaded file at most %(file)d MB.",
        body=MAX_BODY_BYTES // 2**20,
        file=current_app.config["MAX_UPLOAD_MB"],
    )


def _too_large(exc: RequestEntityTooLarge) -> Any:
    from app.core.web import is_api_request, problem

    title = _("The request is too large")
    if is_api_request():
        return problem(413, title, body_limit_sentence())
    return render_template("errors/error.html", status=413, title=title, detail=body_limit_sentence()), 413


def allow_header(response: Response) -> Response:
    """A 405 names the methods the address does take (RFC 9110 15.5.6), on pages and in the API alike."""
    if response.status_code == 405 and "Allow" not in response.headers:
        adapter = current_app.url_map.bind_to_environ(request.environ)
        methods = sorted(adapter.allowed_methods(request.path))
        if methods:
            response.headers["Allow"] = ", ".join(methods)
    return response


def init_app(app: Flask) -> None:
    """Install the body bound (before every other hook), the request guard (after CSRF, before any view) and the
    413 answer that states the limits."""
    app.before_request_funcs.setdefault(None, []).insert(0, bound_body)
    app.before_request(guard_request)
    app.after_request(allow_header)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    if not event.contains(Session, "before_commit", _refuse_unanswered_commit):
        event.listen(Session, "before_commit", _refuse_unanswered_commit)
