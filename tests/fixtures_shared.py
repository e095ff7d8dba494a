"""Fixtures every domain's tests share: the one recorder of enqueued tasks and the one query counter.

``enqueued`` stands in for ``Celery.send_task`` (what the app would have put on the queue, after which commit) and
runs the recorded tasks in this process on demand; ``count_queries`` counts the SQL statements a block runs."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest


@dataclass
class Enqueued:
    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    seen: Any = None  # what the recorder's ``probe`` saw at the moment of sending


@dataclass
class TaskRecorder:
    """Stands in for ``Celery.send_task``: keeps each task the app enqueues (``calls``), in order.

    ``probe``, when set, is called as each task is enqueued (to look at the database then); what it returns is
    kept as the call's ``seen``."""

    celery: Any
    calls: list[Enqueued] = field(default_factory=list)
    probe: Callable[[], Any] | None = None

    def __call__(self, name: str, args: Any = None, kwargs: Any = None, **options: Any) -> None:
        seen = self.probe() if self.probe is not None else None
        self.calls.append(Enqueued(name, tuple(args or ()), dict(kwargs or {}), seen))

    def names(self) -> list[str]:
        """The names of the enqueued tasks, in order."""
        return [c.name for c in self.calls]

    def ids(self, name: str) -> list[str]:
        """The first argument (an id) of each enqueued task called ``name``."""
        return [str(c.args[0]) for c in self.calls if c.name == name]

    def emails(self) -> list[Any]:
        """The outbox rows (``OutboxEmail``: recipient, subject, text, html) whose sending was enqueued, in order."""
        from app.core.models import OutboxEmail
        from app.extensions import db

        return [db.session.get(OutboxEmail, uuid.UUID(i)) for i in self.ids("mail.send")]

    def clear(self) -> None:
        self.calls.clear()

    def run_all(self, *, only: str | None = None) -> list[Any]:
        """Run the recorded tasks in this process as a worker would (retries run at once), including what they
        enqueue in turn, until none is left (``only``: run just the tasks of that name, drop the others)."""
        results = []
        while self.calls:
            call = self.calls.pop(0)
            if only is not None and call.name != only:
                continue
            # Each task runs in an app context (and database session) of its own, as in a worker.
            results.append(self.celery.tasks[call.name].apply(args=call.args, kwargs=call.kwargs).result)
        return results

    def send_mail(self) -> list[Any]:
        """Run the enqueued e-mail sends (``mail.send``) and nothing else."""
        return self.run_all(only="mail.send")


@pytest.fixture
def enqueued(app: Any, monkeypatch: pytest.MonkeyPatch) -> TaskRecorder:
    """What the app enqueues (after commit), instead of reaching a broker; ``run_all()`` runs it here."""
    import workers.auth
    import workers.dialogue
    import workers.followups
    import workers.mail
    import workers.trust  # noqa: F401  (registers every task)

    celery = app.extensions["celery"]
    recorder = TaskRecorder(celery)
    monkeypatch.setattr(celery, "send_task", recorder)
    return recorder


class QueryCounter:
    """Counts the SQL statements ``engine`` runs inside the ``with`` block (``.count``)."""

    def __init__(self, engine: Any) -> None:
        self.engine, self.count = engine, 0

    def __enter__(self) -> QueryCounter:
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc: Any) -> None:
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, *args: Any) -> None:
        self.count += 1


class CountQueries:
    """``with count_queries() as queries: …`` then ``queries.count``: the statements run on the app's engine (or
    on ``engine``, another app's) inside the block; ``count_queries.get(browser, url)``: those of one GET, which
    must answer 200."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def __call__(self, engine: Any = None) -> QueryCounter:
        return QueryCounter(engine if engine is not None else self.engine)

    def get(self, browser: Any, url: str) -> int:
        with self() as counter:
            response = browser.get(url)
            assert response.status_code == 200, url
        return counter.count


@pytest.fixture
def count_queries(app: Any) -> CountQueries:
    """The one query counter (see ``CountQueries``)."""
    from app.extensions import db as _db

    return CountQueries(_db.engine)
