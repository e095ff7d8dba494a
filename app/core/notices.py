"""What the other side did (DESIGN.md 4.2, third bullet): a domain *records* a notice of a move that waits for, or
concerns, the other party; the dialogue's batched e-mail *tells* it, one line per notice, in the person's next batch
(at most one e-mail per person per window, through the durable outbox, DESIGN.md 4.9).

The kernel imports no domain, so this module only carries the notice between them:

1. **Kinds and subjects are registered by the domains** at start-up: ``register_notice_kinds({"follow_up.proposed":
   sentence, …}, answered={…})`` says what happened in one translated sentence naming who did it (and, for a kind
   whose sentence says something waits for the reader, what the line says once the reader's own side has answered
   it); ``register_notice_subject(
   "follow_up", describe)`` says, at sending time and for one recipient, the case number, title and link of the
   object — or ``None`` when that person may no longer see it (then the line is left out).
2. **A service records** with :func:`record` in the transaction of its move, after its flush. The recipients are
   the domain's to name (it knows who the other side is); the actor is never told of their own move.
3. **The dialogue listens** (:data:`notice_recorded`) and writes one waiting row per recipient in the same
   transaction, consumed by the next batch. A rollback leaves no row and sends nothing. A later move on the same
   object supersedes what still waits about it (see :func:`record`): a batch never tells a state that is over.

A line holds the case number, the object's title, what happened, who did it and a link: never reasons, notes,
descriptions or any other confidential text (DESIGN.md 4.2).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from blinker import Namespace

# sender: the Notice; receivers write the waiting rows in the current transaction (flush, never commit).
notice_recorded = Namespace().signal("notice-recorded")


@dataclass(frozen=True)
class NoticeSubject:
    """What a line says of its object, in the reader's language: ``case_number`` (``TS-2026-0042``, or None for
    an object outside any visit, such as a trust boundary), ``title`` (a follow-up's title, "the unit's response",
    a boundary's description: never free text written as a reason or note) and ``link`` (an absolute URL made with
    ``app.core.urls.external_url``)."""

    case_number: str | None
    title: str
    link: str


@dataclass(frozen=True)
class Notice:
    """One move to tell: ``kind`` (registered), the object (``object_type``, ``object_id``), who did it
    (``actor_id``, None for the system) and who is told (``recipient_ids``, the actor already left out)."""

    kind: str
    object_type: str
    object_id: uuid.UUID
    actor_id: uuid.UUID | None
    recipient_ids: tuple[uuid.UUID, ...]


# kind → sentence(who) in the current language, e.g. "Anna Berg proposed a follow-up."
NOTICE_KINDS: dict[str, Callable[[str], str]] = {}
# kind → sentence(who) once the reader's own side has answered the move since, e.g. "Anna Berg proposed it; your
# side has answered it since." Only for kinds whose sentence says something waits for the reader.
NOTICE_ANSWERED: dict[str, Callable[[str], str]] = {}
# object type → describe(object_id, recipient) → NoticeSubject | None
NOTICE_SUBJECTS: dict[str, Callable[[uuid.UUID, Any], NoticeSubject | None]] = {}


def register_notice_kinds(
    sentences: Mapping[str, Callable[[str], str]], *, answered: Mapping[str, Callable[[str], str]] | None = None
) -> None:
    """A domain declares its kinds of notice, ``{kind: sentence}``: ``sentence(who)`` returns what happened as one
    translated sentence naming ``who`` (the actor's name), called at sending time inside the recipient's locale.

    ``answered`` gives, for the kinds whose sentence says the move waits for the reader ("it waits for your side to
    accept it"), the sentence a line says instead when a later move of the reader's own side (a colleague's, or the
    reader's) answered it before their batch went out: "Anna Berg proposed it; your side has answered it since."
    A kind left out of ``answered`` states a plain fact and is told as it is (DESIGN.md 4.2)."""
    NOTICE_KINDS.update(sentences)
    NOTICE_ANSWERED.update(answered or {})


def register_notice_subject(object_type: str, describe: Callable[[uuid.UUID, Any], NoticeSubject | None]) -> None:
    """A domain declares how a line names one of its object types: ``describe(object_id, recipient)`` returns a
    :class:`NoticeSubject`, or None when the object is gone or ``recipient`` (a User) may no longer see it."""
    NOTICE_SUBJECTS[object_type] = describe


def record(
    kind: str,
    *,
    object_type: str,
    object_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    recipient_ids: Iterable[uuid.UUID | None],
) -> Notice | None:
    """Record a notice of ``kind`` for ``recipient_ids`` (each once; the actor and empty ids left out) in the current
    transaction; the caller commits. Returns the Notice, or None when nobody is left to tell.

    Every move is announced, even one nobody is told of, because it supersedes what still waits about the same
    object: the listener replaces a waiting line of someone told of this move by this one, and marks the waiting
    line of anyone else (the actor's own side) as answered (``NOTICE_ANSWERED``), so a batch never says a move
    waits for someone when a later one answered it (DESIGN.md 4.2).
    Raises KeyError for a kind or object type no domain registered (a programming error, DESIGN.md 4.2)."""
    if kind not in NOTICE_KINDS:
        raise KeyError(f"unregistered notice kind {kind!r}")
    if object_type not in NOTICE_SUBJECTS:
        raise KeyError(f"unregistered notice subject {object_type!r}")
    people = tuple(dict.fromkeys(p for p in recipient_ids if p is not None and p != actor_id))
    notice = Notice(kind, object_type, object_id, actor_id, people)
    notice_recorded.send(notice)
    return notice if people else None
